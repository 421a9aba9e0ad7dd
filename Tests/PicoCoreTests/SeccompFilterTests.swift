import CPicoLinux
import Testing
@testable import PicoCore

/// Runs a classic-BPF seccomp program the way the kernel would, over a
/// seccomp_data with the given number and architecture.
func runFilter(_ prog: [sock_filter], nr: UInt32, arch: UInt32 = SeccompFilter.auditArchX86_64) -> UInt32 {
    var a: UInt32 = 0
    var pc = 0
    while pc < prog.count {
        let i = prog[pc]
        switch i.code {
        case 0x20: a = i.k == 0 ? nr : (i.k == 4 ? arch : 0); pc += 1
        case 0x15: pc += 1 + Int(a == i.k ? i.jt : i.jf)
        case 0x35: pc += 1 + Int(a >= i.k ? i.jt : i.jf)
        case 0x05: pc += 1 + Int(i.k)
        case 0x06: return i.k
        default: Issue.record("unexpected BPF opcode \(i.code)"); return 0
        }
    }
    Issue.record("fell off the end of the filter")
    return 0
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
        #expect(runFilter(prog, nr: UInt32(StubImage.magicDone)) == SeccompFilter.retTrace)
        #expect(runFilter(prog, nr: 1, arch: 0x4000_0003) == SeccompFilter.retKillProcess, "i386 ABI is killed")
    }
}
