import Testing
@testable import PicoCore

/// A minimal valid ELF64 x86-64 executable with the given program headers.
func makeElf(type: UInt16 = 2, entry: UInt64 = 0x400078, phdrs: [[UInt8]]) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: 64)
    b[0...6] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]
    func put(_ o: Int, _ v: UInt64, _ n: Int) { for i in 0..<n { b[o + i] = UInt8((v >> (8 * UInt64(i))) & 0xff) } }
    put(16, UInt64(type), 2); put(18, 62, 2); put(20, 1, 4); put(24, entry, 8); put(32, 64, 8)
    put(52, 64, 2); put(54, 56, 2); put(56, UInt64(phdrs.count), 2)
    for p in phdrs { b += p }
    return b + [UInt8](repeating: 0x90, count: 64)
}

func phdr(type: UInt32 = 1, flags: UInt32 = 5, offset: UInt64 = 0, vaddr: UInt64 = 0x400000,
          filesz: UInt64 = 0x100, memsz: UInt64 = 0x100, align: UInt64 = 0x1000) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: 56)
    func put(_ o: Int, _ v: UInt64, _ n: Int) { for i in 0..<n { b[o + i] = UInt8((v >> (8 * UInt64(i))) & 0xff) } }
    put(0, UInt64(type), 4); put(4, UInt64(flags), 4); put(8, offset, 8); put(16, vaddr, 8); put(24, vaddr, 8)
    put(32, filesz, 8); put(40, memsz, 8); put(48, align, 8)
    return b
}

@Suite struct ElfImageTests {
    @Test func parsesAMinimalExecutable() throws {
        let image = try ElfImage.parse(MemoryElfSource(makeElf(phdrs: [phdr(filesz: 0xb8, memsz: 0x2000)])))
        #expect(image.kind == .exec)
        #expect(image.entry == 0x400078)
        #expect(image.segments.count == 1)
        #expect(image.phdrAddress == 0x400040)
        #expect(image.interpreter == nil)
        #expect(image.span.low == 0x400000 && image.span.high == 0x402000)
    }

    @Test func ptPhdrWinsForAtPhdr() throws {
        let image = try ElfImage.parse(MemoryElfSource(makeElf(phdrs: [
            phdr(type: 6, offset: 64, vaddr: 0x400040, filesz: 112, memsz: 112),
            phdr(filesz: 0xf0, memsz: 0xf0),
        ])))
        #expect(image.phdrAddress == 0x400040)
    }

    @Test func executableStackComesFromPtGnuStack() throws {
        let stack = phdr(type: 0x6474_e551, flags: 7, vaddr: 0, filesz: 0, memsz: 0)
        let image = try ElfImage.parse(MemoryElfSource(makeElf(phdrs: [phdr(filesz: 0xf0, memsz: 0xf0), stack])))
        #expect(image.wantsExecutableStack)
    }

    @Test(arguments: [
        ([UInt8](), "empty file"),
        (Array("#!/bin/sh\n".utf8), "bad magic"),  // scripts are the resolver's job, not the ELF parser's
        ([0x7f, 0x45, 0x4c, 0x46, 1], "ELF32"),
        ([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], "truncated ELF header"),
    ])
    func rejectsEarly(bytes: [UInt8], reason: String) {
        #expect {
            try ElfImage.parse(MemoryElfSource(bytes))
        } throws: { error in
            (error as? ElfError)?.reason.contains(reason) == true
        }
    }

    /// Random mutations of a valid file: the parser must throw or succeed,
    /// never trap (overflow, out-of-range index).
    @Test func survivesMutations() {
        let base = makeElf(phdrs: [phdr(filesz: 0xb8, memsz: 0x2000), phdr(type: 3, offset: 0x70, vaddr: 0, filesz: 8, memsz: 8)])
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var b = base
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if Bool.random(using: &rng) { b = Array(b.prefix(Int.random(in: 0...b.count, using: &rng))) }
            _ = try? ElfImage.parse(MemoryElfSource(b))
        }
    }
}
