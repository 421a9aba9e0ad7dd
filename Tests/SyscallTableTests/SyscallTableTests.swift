import Foundation
import Testing
@testable import PicoCore
@testable import SyscallTable

let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The kernel's table, parsed here independently of the generator.
func kernelTable() throws -> [(Int, String)] {
    let text = try String(contentsOf: repo.appendingPathComponent("scripts/data/syscall_64.tbl"), encoding: .utf8)
    return text.split(separator: "\n").compactMap { line in
        let f = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard f.count >= 3, f[1] == "common" || f[1] == "64", let nr = Int(f[0]) else { return nil }
        return (nr, String(f[2]))
    }
}

@Suite struct SyscallTableTests {
    @Test func hasExactlyTheKernelsSyscalls() throws {
        let kernel = try kernelTable()
        #expect(kernel.count == 375)
        let ours = SyscallTable.all.map { ($0.number, $0.name) }
        #expect(ours.map(\.0) == kernel.map(\.0), "same numbers, same gaps")
        #expect(ours.map(\.1) == kernel.map(\.1), "same names")
        #expect(Set(ours.map(\.1)).count == ours.count, "no duplicate names")
        for n in 0...highestKernelSyscall where !kernel.contains(where: { $0.0 == n }) {
            #expect(SyscallTable.entry(n) == nil, "\(n) is a gap in the kernel's table")
        }
    }

    @Test func policyNamesOnlyKernelSyscalls() throws {
        let names = Set(try kernelTable().map(\.1))
        #expect(Set(syscallPolicy.keys) == names)
    }

    @Test func everyEntryIsCoherent() {
        for e in SyscallTable.all {
            switch e.level {
            case .passthrough:
                #expect(e.handler == nil && e.errno == nil, "\(e.name)")
            case .unsupported:
                #expect(e.errno != nil && e.handler == nil, "\(e.name) needs an errno")
                #expect(!e.note.isEmpty, "\(e.name) needs a note saying why")
            case .translated, .emulated, .partial:
                #expect(e.handler != nil, "\(e.name) has no handler")
                #expect(!e.note.isEmpty, "\(e.name) needs a note")
            }
        }
    }

    /// Numbers the kernel reserves without implementing them stay ENOSYS.
    @Test func unimplementedByLinuxAreEnosys() {
        for k in kernelSyscalls where !k.kernelImplements {
            let e = SyscallTable.entry(k.number)!
            #expect(e.level == .unsupported && e.errno == .ENOSYS, "\(k.name)")
        }
    }

    /// Nothing that would change the host passes through.
    @Test(arguments: ["mount", "umount2", "reboot", "kexec_load", "init_module", "swapon", "settimeofday",
                      "io_uring_setup", "open_by_handle_at", "unshare", "setns", "bpf"])
    func hostChangingCallsAreRefused(name: String) {
        #expect(SyscallTable.entry(named: name)?.level == .unsupported)
    }

    /// ptrace and the waits that report its stops are picorun's: a guest
    /// tracer's requests never reach the kernel as made.
    @Test(arguments: ["ptrace", "wait4", "waitid"])
    func tracingIsPicorunsOwn(name: String) {
        let e = SyscallTable.entry(named: name)
        #expect(e != nil && e!.level != .unsupported && e!.level != .passthrough && e!.traps)
    }

    /// chroot never reaches the kernel: picorun keeps the new root itself.
    @Test func chrootIsPicorunsOwn() {
        let e = SyscallTable.entry(named: "chroot")
        #expect(e != nil && e!.level != .unsupported && e!.level != .passthrough)
    }

    @Test func summaryCountsSupportedEntries() {
        let supported = SyscallTable.all.filter { $0.level != .unsupported }.count
        #expect(SyscallTable.summary == "Of 375 syscalls, \(supported) are supported fully or partially")
    }

    /// The seccomp filter picorun installs, run on every number with its
    /// arguments zero and set, stops each call exactly as its table line's
    /// trap column says, in each kind of run.
    @Test func seccompFilterTrapsAsTheTrapColumnSays() throws {
        let hostTree = try GuestFileTree.hostTree()
        func options(tree: Bool, distro: Bool = false, traceAll: Bool = false) -> Dispatcher.Options {
            var o = Dispatcher.Options()
            if tree { o.fileTree = hostTree }
            if distro { o.credentials = .root }
            o.traceAll = traceAll
            return o
        }
        let hostRoot = geteuid() == 0
        let runs: [(String, Dispatcher.Options)] = [
            ("no file tree", options(tree: false)), ("host tree", options(tree: true)),
            ("distro", options(tree: true, distro: true)), ("host tree, --trace-all", options(tree: true, traceAll: true)),
        ]
        for (what, o) in runs {
            let observing = o.traceAll
            let filter = SeccompProgram(code: SeccompFilter.build(highest: highestKernelSyscall,
                                                                  action: Dispatcher(options: o).filterAction))
            for n in 0...(highestKernelSyscall + 2) {
                let e = SyscallTable.entry(n)
                // What the column says, for a call whose arguments are all
                // zero and for one whose arguments are all set.
                let untouched = observing ? SeccompFilter.retTrace : SeccompFilter.retAllow
                let tree = o.fileTree != nil
                let want: (zero: UInt32, set: UInt32)
                switch e?.trap {
                case nil, .ptrace?: want = (SeccompFilter.retTrace, SeccompFilter.retTrace)
                case .never?: want = (untouched, untouched)
                case .ptraceUnlessArgZero?: want = (untouched, SeccompFilter.retTrace)
                case .notify?: want = tree ? (SeccompFilter.retUserNotif, SeccompFilter.retUserNotif) : (untouched, untouched)
                case .notifyUnlessArgZero?: want = tree ? (untouched, SeccompFilter.retUserNotif) : (untouched, untouched)
                case .distro(let host)?:
                    let notified = tree && (o.credentials != nil || host == .notify || (host == .notifyAsRoot && hostRoot))
                    want = notified ? (SeccompFilter.retUserNotif, SeccompFilter.retUserNotif) : (untouched, untouched)
                }
                #expect(filter.run(.init(nr: Int32(n), ip: 0, args: [UInt64](repeating: 0, count: 6))) == want.zero, "\(what): \(SyscallTable.name(n)) with zero arguments")
                #expect(filter.run(.init(nr: Int32(n), ip: 0, args: [UInt64](repeating: 1, count: 6))) == want.set,
                        "\(what): \(SyscallTable.name(n)) with arguments")
            }
        }
    }

    /// Lines of the column that carry a rule of picorun's, stated here.
    @Test func trapColumnKeepsItsRules() throws {
        func trap(_ name: String) -> Trap? { SyscallTable.entry(named: name)?.trap }
        #expect(trap("getpid") == .never, "getpid never stops")
        #expect(trap("openat") == .notify, "openat is answered by the supervisor")
        #expect(trap("sendto") == .notifyUnlessArgZero(4), "sendto to a connected socket names no path")
        #expect(trap("prlimit64") == .ptraceUnlessArgZero(0), "prlimit64(0, …) at every start does not stop")
        #expect(trap("getpriority") == .ptraceUnlessArgZero(1), "getpriority(which, 0) is the caller")
        #expect(trap("kill") == .ptrace, "the loader stub's marker call, kill(0, 0), always stops")
        #expect(trap("setresuid") == .distro(hostTree: .notifyAsRoot))
        #expect(trap("getuid") == .distro(hostTree: .never))
        #expect(trap("prctl") == .distro(hostTree: .notify), "dumpable is picorun's on the host tree too")
        for e in SyscallTable.all where e.level == .unsupported {
            #expect(e.trap == .ptrace, "\(e.name): refusals are answered and counted at a ptrace stop")
        }
        for e in SyscallTable.all where e.level == .passthrough {
            #expect(e.trap == .never, "\(e.name) passes through")
        }
        var all = Dispatcher.Options()
        all.traceAll = true
        #expect(Dispatcher(options: all).traps(39), "--trace-all stops getpid too")
        #expect(Dispatcher().traps(highestKernelSyscall + 1), "numbers beyond the kernel's stop for ENOSYS")
    }

    /// KernelSyscalls.swift is generated; it must match its inputs.
    @Test func generatedTableIsUpToDate() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("KernelSyscalls-\(UUID().uuidString).swift")
        defer { try? FileManager.default.removeItem(at: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", repo.appendingPathComponent("scripts/gen-syscall-table.py").path, out.path]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let committed = try String(contentsOf: repo.appendingPathComponent("Sources/SyscallTable/Generated/KernelSyscalls.swift"), encoding: .utf8)
        #expect(try String(contentsOf: out, encoding: .utf8) == committed)
    }
}
