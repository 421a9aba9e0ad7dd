import Glibc
import Testing
@testable import PicoCore
@testable import SyscallTable
@testable import SyscallTrace

final class MemoryTracee: Tracee, @unchecked Sendable {
    let tid: pid_t = 42
    let base: UInt64 = 0x10000
    var memory = [UInt8](repeating: 0, count: 8192)
    func registers() throws(TraceeError) -> Registers { Registers() }
    func setRegisters(_ r: Registers) throws(TraceeError) {}
    func read(at address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(TraceeError) -> Int {
        guard address >= base, address < base + UInt64(memory.count) else { return 0 }
        let o = Int(address - base), n = min(buffer.count, memory.count - o)
        memory.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[o..<(o + n)])) }
        return n
    }
    func write(at address: UInt64, from bytes: UnsafeRawBufferPointer) throws(TraceeError) {
        let o = Int(address - base)
        memory.replaceSubrange(o..<(o + bytes.count), with: bytes)
    }
}

@Suite struct ArgumentDecoderTests {
    func decode(_ name: String, _ args: [UInt64], tracee: Tracee = MemoryTracee(), result: Int64? = nil) -> [String] {
        let e = SyscallTable.entry(named: name)!
        let d = ArgumentDecoder(tracee: tracee, args: args + [UInt64](repeating: 0, count: 6 - args.count), kinds: e.args)
        return e.args.indices.map { d.decode($0, result: result) }
    }

    @Test func openatDecodesPathAndFlags() throws {
        let t = MemoryTracee()
        try t.writeBytes(Array("/etc/passwd".utf8) + [0], at: 0x10000)
        #expect(decode("openat", [UInt64(bitPattern: -100), 0x10000, 0o2000000 | 0o100 | 2, 0o644], tracee: t)
                == ["AT_FDCWD", "\"/etc/passwd\"", "O_RDWR|O_CREAT|O_CLOEXEC", "0644"])
    }

    @Test func unreadablePointersPrintAsAddresses() {
        #expect(decode("openat", [3, 0xdead0000, 0, 0]) == ["3", "0xdead0000", "O_RDONLY", ""])
        #expect(decode("stat", [0, 0]) == ["NULL", "NULL"])
    }

    @Test func mmapFlagsAndProtections() {
        #expect(decode("mmap", [0, 4096, 3, 0x22, UInt64.max, 0])
                == ["NULL", "4096", "PROT_READ|PROT_WRITE", "MAP_PRIVATE|MAP_ANONYMOUS", "-1", "0"])
        #expect(decode("mprotect", [0x1000, 4096, 0]) == ["0x1000", "4096", "PROT_NONE"])
    }

    @Test func writeShowsTheBytesQuoted() throws {
        let t = MemoryTracee()
        try t.writeBytes(Array("hi\n\"x\"\u{1}".utf8), at: 0x10000)
        #expect(decode("write", [1, 0x10000, 7], tracee: t) == ["1", "\"hi\\n\\\"x\\\"\\x01\"", "7"])
    }

    @Test func readOutputIsDecodedAtExitOnly() throws {
        let t = MemoryTracee()
        try t.writeBytes(Array("abc".utf8), at: 0x10000)
        #expect(decode("read", [0, 0x10000, 100], tracee: t, result: 3)[1] == "\"abc\"")
        #expect(decode("read", [0, 0x10000, 100], tracee: t, result: -9)[1] == "0x10000")
    }

    @Test func cloneFlagsKeepTheExitSignal() {
        #expect(FlagNames.cloneFlags(0x100 | 0x10000 | 17) == "CLONE_VM|CLONE_THREAD|SIGCHLD")
    }

    @Test func errorsPrintByName() {
        #expect(Tracer.format(-2, entry: nil) == "-1 ENOENT (No such file or directory)")
        #expect(Tracer.format(0x7f00_0000_0000, entry: SyscallTable.entry(named: "mmap")?.shape) == "0x7f0000000000")
    }
}
