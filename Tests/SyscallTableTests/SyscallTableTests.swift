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
                #expect(e.enter == nil && e.errno == nil, "\(e.name)")
            case .unsupported:
                #expect(e.errno != nil && e.enter == nil, "\(e.name) needs an errno")
                #expect(!e.note.isEmpty, "\(e.name) needs a note saying why")
            case .translated, .emulated, .partial:
                #expect(e.enter != nil || e.path != nil, "\(e.name) has no handler")
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

    @Test func dispatcherTrapsWhatTheTableSays() throws {
        var withTree = Dispatcher.Options()
        withTree.fileTree = try GuestFileTree.hostTree()
        let d = Dispatcher(options: withTree)
        for n in 0...highestKernelSyscall {
            let e = SyscallTable.entry(n)
            let want: SeccompFilter.Action = e?.name == "sendto" ? .notifyUnlessArgZero(4)
                // As root on the host tree, the identity changes are seen (HostIdentity).
                // prctl: dumpable is picorun's on the host tree too.
                : e?.distroOnly == true ? ((geteuid() == 0 && Dispatcher.hostIdentityChanges.contains(e!.name)) || e!.name == "prctl" ? .notify : .allow)
                : e?.path != nil ? .notify
                : Dispatcher.pidZeroIsSelf[e?.name ?? ""].map { .traceUnlessArgZero($0) }
                    ?? ((e?.traps ?? true) ? .trace : .allow)
            #expect(d.filterAction(n) == want, "syscall \(n)")
        }
        // In a distro run, identities and sidecar metadata are the supervisor's.
        withTree.credentials = .root
        let distro = Dispatcher(options: withTree)
        for name in ["getuid", "setresuid", "capget", "fstat", "fchown", "fchmod"] {
            #expect(distro.filterAction(SyscallTable.entry(named: name)!.number) == .notify, "\(name)")
        }
        // Without a file tree (table tests only), path calls reach the host.
        #expect(Dispatcher().filterAction(257) == .allow)
        #expect(d.filterAction(257) == .notify, "openat is answered by the supervisor")
        #expect(d.traps(highestKernelSyscall + 1))
        #expect(d.filterAction(39) == .allow, "getpid never stops")
        #expect(d.filterAction(Int(StubImage.markerCall)) == .trace, "the loader stub's marker call always stops")
        var all = Dispatcher.Options()
        all.traceAll = true
        #expect(Dispatcher(options: all).traps(39))
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
