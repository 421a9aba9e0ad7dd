import Glibc
import Testing
@testable import PicoCore

/// A tracee whose memory is a byte array at a base address.
final class FakeTracee: Tracee, @unchecked Sendable {
    let tid: pid_t = 1
    var base: UInt64
    var memory: [UInt8]
    var regs = Registers()

    init(base: UInt64, size: Int) {
        self.base = base
        self.memory = [UInt8](repeating: 0, count: size)
    }

    func registers() throws(TraceeError) -> Registers { regs }
    func setRegisters(_ r: Registers) throws(TraceeError) { regs = r }

    func read(at address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(TraceeError) -> Int {
        guard address >= base, address < base + UInt64(memory.count) else { return 0 }
        let o = Int(address - base), n = min(buffer.count, memory.count - o)
        memory.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[o..<(o + n)])) }
        return n
    }

    func write(at address: UInt64, from bytes: UnsafeRawBufferPointer) throws(TraceeError) {
        guard address >= base, address + UInt64(bytes.count) <= base + UInt64(memory.count) else { throw TraceeError(.EFAULT) }
        let o = Int(address - base)
        memory.replaceSubrange(o..<(o + bytes.count), with: bytes)
    }

    func word(_ address: UInt64) -> UInt64 { (try? readWord(at: address)) ?? 0xdead }
}

@Suite struct InitialStackTests {
    /// Lays out a stack the way the kernel does and checks that the guest's
    /// rebuilt one keeps the strings, rewrites the right auxv entries and
    /// keeps argc 16-byte aligned.
    @Test func rebuildsTablesBelowTheStrings() throws {
        let t = FakeTracee(base: 0x7fff_0000_0000, size: 65536)
        let top = t.base + 65536
        var p = top - 8
        func pushString(_ s: String) -> UInt64 {
            p -= UInt64(s.utf8.count + 1)
            try! t.writeBytes(Array(s.utf8) + [0], at: p)
            return p
        }
        let execfn = pushString("/dev/fd/3")
        let env = [pushString("B=2"), pushString("A=1")].reversed() as [UInt64]
        let argv = [pushString("arg1"), pushString("/prog")].reversed() as [UInt64]
        let platform = pushString("x86_64")
        p -= 16
        let random = p
        try t.writeBytes(Array(1...16), at: random)
        let aux: [(UInt64, UInt64)] = [(AT.sysinfoEhdr, 0x7fff_1000), (AT.phdr, 1), (AT.phnum, 2), (AT.base, 3),
                                       (AT.entry, 4), (AT.random, random), (AT.execfn, execfn), (AT.platform, platform)]
        var words: [UInt64] = [2] + argv + [0] + env + [0]
        for (k, v) in aux { words += [k, v] }
        words += [0, 0]
        let sp = (p - UInt64(words.count * 8)) & ~15
        for (i, w) in words.enumerated() { try t.writeBytes(withUnsafeBytes(of: w) { Array($0) }, at: sp + UInt64(i * 8)) }

        let k = try KernelStack.read(from: t, sp: sp)
        #expect(k.argc == 2 && k.argv == argv && k.envp == env)
        #expect(k.stringsStart == argv[0])
        let guest = GuestAuxv(phdr: 0x400040, phnum: 9, base: 0x7f00_0000_0000, entry: 0x401000, execfn: Array("/bin/prog".utf8))
        let image = GuestStackImage.build(from: k, guest: guest, platform: Array("x86_64".utf8), randomBytes: Array(1...16),
                                          randomize: true)
        try t.writeBytes(image.bytes, at: image.low)
        let nsp = image.stackPointer
        #expect(nsp % 16 == 0)
        #expect(t.word(nsp) == 2)
        #expect(t.word(nsp + 8) == argv[0] && t.word(nsp + 16) == argv[1] && t.word(nsp + 24) == 0)
        #expect(t.word(nsp + 32) == env[0] && t.word(nsp + 40) == env[1] && t.word(nsp + 48) == 0)
        var auxv: [UInt64: UInt64] = [:]
        var keys: [UInt64] = []
        var a = nsp + 56
        while t.word(a) != 0 { auxv[t.word(a)] = t.word(a + 8); keys.append(t.word(a)); a += 16 }
        #expect(keys == aux.map(\.0), "auxv order is the kernel's")
        #expect(auxv[AT.phdr] == 0x400040 && auxv[AT.phnum] == 9 && auxv[AT.base] == 0x7f00_0000_0000)
        #expect(auxv[AT.entry] == 0x401000 && auxv[AT.sysinfoEhdr] == 0x7fff_1000)
        #expect(try t.readCString(at: auxv[AT.execfn]!) == Array("/bin/prog".utf8))
        #expect(try t.readCString(at: auxv[AT.platform]!) == Array("x86_64".utf8))
        #expect(try t.readBytes(at: auxv[AT.random]!, count: 16) == Array(1...16))
        #expect(try t.readCString(at: argv[1]) == Array("arg1".utf8), "strings untouched")
    }

    @Test func readCStringStopsAtUnmappedMemory() {
        let t = FakeTracee(base: 0x10000, size: 4096)
        try! t.writeBytes([UInt8](repeating: 0x41, count: 4096), at: 0x10000)
        #expect(throws: TraceeError(.EFAULT)) { try t.readCString(at: 0x10ff0) }
        #expect(throws: TraceeError(.ENAMETOOLONG)) { try t.readCString(at: 0x10000, limit: 100) }
        #expect(throws: TraceeError(.EFAULT)) { try t.readCString(at: 0) }
    }
}
