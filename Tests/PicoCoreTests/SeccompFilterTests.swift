import CPicoLinux
import Testing
@testable import PicoCore

/// Runs a classic-BPF seccomp program the way the kernel would (picorun's
/// interpreter, which SeccompProgramTests checks against the kernel), over
/// a seccomp_data with the given number and architecture.
func runFilter(_ prog: [sock_filter], nr: UInt32, arch: UInt32 = SeccompFilter.auditArchX86_64,
               args: [UInt64] = [0, 0, 0, 0, 0, 0]) -> UInt32 {
    var data = SeccompProgram.Data(nr: Int32(bitPattern: nr), ip: 0, args: args)
    data.arch = arch
    return SeccompProgram(code: prog).run(data)
}

@Suite struct SeccompFilterTests {
    @Test(arguments: [
        Set<Int>([12]),
        Set<Int>([0, 1, 2, 462]),
        Set(stride(from: 0, through: 462, by: 2)),   // worst case: every other number
        Set<Int>(),
    ])
    func decidesExactlyAsThePolicy(trapped: Set<Int>) {
        let prog = SeccompFilter.build(highest: 462, trapped: { trapped.contains($0) })
        #expect(prog.count < 4096)
        for nr in 0...470 {
            let want = nr > 462 || trapped.contains(nr) ? SeccompFilter.retTrace : SeccompFilter.retAllow
            #expect(runFilter(prog, nr: UInt32(nr)) == want, "syscall \(nr)")
        }
        #expect(runFilter(prog, nr: 0x4000_0001) == SeccompFilter.retTrace, "x32 calls are trapped")
        #expect(runFilter(prog, nr: 1, arch: 0x4000_0003) == SeccompFilter.retKillProcess, "i386 ABI is killed")
    }

    /// sendto without an address never stops; with one (low or high word
    /// set) it is notified; its neighbours keep their own actions.
    @Test func argumentCheckForOneSyscall() {
        let prog = SeccompFilter.build(highest: 462, action: { n in
            n == 44 ? .notifyUnlessArgZero(4) : (n == 43 || n == 45 ? .notify : .allow)
        })
        #expect(runFilter(prog, nr: 44) == SeccompFilter.retAllow)
        #expect(runFilter(prog, nr: 44, args: [3, 0x1000, 10, 0, 0x7ffd_0000_1000, 16]) == SeccompFilter.retUserNotif)
        #expect(runFilter(prog, nr: 44, args: [3, 0x1000, 10, 0, 0x1_0000_0000, 16]) == SeccompFilter.retUserNotif)
        #expect(runFilter(prog, nr: 44, args: [3, 0x1000, 10, 0, 0x10, 16]) == SeccompFilter.retUserNotif)
        #expect(runFilter(prog, nr: 43) == SeccompFilter.retUserNotif)
        #expect(runFilter(prog, nr: 45) == SeccompFilter.retUserNotif)
        #expect(runFilter(prog, nr: 46) == SeccompFilter.retAllow)
        // A traced run sees the call with no address at a ptrace stop.
        let traced = SeccompFilter.build(highest: 462, action: { n in n == 44 ? .notifyUnlessArgZero(4, zeroTraced: true) : .allow })
        #expect(runFilter(traced, nr: 44) == SeccompFilter.retTrace)
        #expect(runFilter(traced, nr: 44, args: [3, 0x1000, 10, 0, 0x10, 16]) == SeccompFilter.retUserNotif)
    }

    /// prlimit64(0, …) (the caller itself) never stops; any other pid, low
    /// or high word, is a ptrace stop, where the pid register can be rewritten.
    @Test func traceUnlessArgZero() {
        let prog = SeccompFilter.build(highest: 462, action: { n in n == 302 ? .traceUnlessArgZero(0) : .allow })
        #expect(runFilter(prog, nr: 302) == SeccompFilter.retAllow)
        #expect(runFilter(prog, nr: 302, args: [1, 0, 0, 0, 0, 0]) == SeccompFilter.retTrace)
        #expect(runFilter(prog, nr: 302, args: [0x1_0000_0000, 0, 0, 0, 0, 0]) == SeccompFilter.retTrace)
        #expect(runFilter(prog, nr: 301) == SeccompFilter.retAllow)
        #expect(runFilter(prog, nr: 303) == SeccompFilter.retAllow)
    }
}
