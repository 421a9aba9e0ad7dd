// libFuzzer harness: PicoCore's ELF parser and the loader's pure planning
// steps (bias choice, segment mapping script) on arbitrary bytes. Built
// and run by scripts/fuzz.sh elf. Writes nothing anywhere.
@testable import PicoCore

/// What a tracee's address space holds before the guest is mapped: the
/// loader stub (at StubImage.base), a vdso and the stack, as Loader.begin
/// reads them from /proc/PID/maps.
let occupied: [(UInt64, UInt64)] = [
    (StubImage.base, StubImage.base + 0x10000),
    (0x7fff_f7fc_1000, 0x7fff_f7fc_5000),
    (0x7fff_fffd_e000, 0x7fff_ffff_f000),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzElf(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.starts(with: [0x23, 0x21]) {
        // A script: the #! line as ProgramResolver.plan reads it.
        _ = try? ProgramResolver.parseShebang(Array(bytes.prefix(ProgramResolver.shebangLimit)), path: "/fuzz")
        return 0
    }
    guard let image = try? ElfImage.parse(MemoryElfSource(bytes)) else { return 0 }
    _ = image.span
    // The image as the program, then as an interpreter (beside itself when
    // it placed as a program): what Loader.begin plans before it touches
    // the tracee. Not randomized, so a crash replays.
    let exeBias = try? Loader.chooseProgramBias(image, occupied: occupied, randomize: false)
    let programSpan = exeBias.map { Loader.span(image, $0) }
    let interpBias = try? Loader.chooseInterpreterBias(image, occupied: occupied + (programSpan.map { [$0] } ?? []),
                                                       randomize: false)
    var script = LoaderScript()
    if let exeBias, let programSpan {
        Loader.mapImage(image, bias: exeBias, path: "/fuzz/program", dirfd: UInt64(bitPattern: Int64(LoaderFiles.token(0))), into: &script)
        // The auxv values and brk start Loader.begin derives from the bias
        // (the same expressions: begin itself needs a live tracee).
        _ = exeBias &+ image.phdrAddress
        _ = exeBias &+ image.entry
        _ = roundUpToPage(programSpan.1)
    }
    if let interpBias {
        Loader.mapImage(image, bias: interpBias, path: "/fuzz/interpreter", dirfd: UInt64(bitPattern: Int64(LoaderFiles.token(1))), into: &script)
        _ = Loader.span(image, interpBias)
        _ = interpBias &+ image.entry
    }
    _ = script.encode(at: 0x7fff_fff0_0000 - UInt64(script.encodedSize))
    return 0
}
