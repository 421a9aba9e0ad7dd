// libFuzzer harness: picorun.conf parsing (DistroConfig.load, compiled
// into this module from Sources/picorun/DistroConfig.swift, since the
// executable target cannot be imported). The input is written to a
// scratch file and loaded; what loads is rendered, reloaded and must
// render the same (PICORUN_FUZZ_ROUNDTRIP=0 turns that check off;
// Fuzz/crashes/config-roundtrip-* are the values render() once wrote bare).
// Built and run by scripts/fuzz.sh config.
import Glibc
import PicoCore

nonisolated(unsafe) var path = ""
nonisolated(unsafe) var fd: Int32 = -1
let roundTrip = getenv("PICORUN_FUZZ_ROUNDTRIP").map { String(cString: $0) != "0" } ?? true

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if fd < 0 {
        path = Scratch.root + "/picorun.conf"
        fd = Scratch.file("picorun.conf")
    }
    Scratch.replaceContents(fd, UnsafeBufferPointer(start: data, count: size))
    guard let (config, _) = try? DistroConfig.load(path) else { return 0 }
    let rendered = config.render()
    guard roundTrip else { return 0 }
    let text = Array(rendered.utf8)
    text.withUnsafeBufferPointer { Scratch.replaceContents(fd, $0) }
    let again: DistroConfig
    do { again = try DistroConfig.load(path).0 } catch {
        fatalError("render() wrote a picorun.conf that does not load: \(error.message)\n--- rendered:\n\(rendered)")
    }
    let second = again.render()
    if second != rendered {
        fatalError("picorun.conf does not round-trip through render():\n--- first:\n\(rendered)--- reloaded:\n\(second)")
    }
    return 0
}

// DistroConfig.swift calls String.trimmingCharacters(in:), which the
// executable target defines in DistroCommands.swift (with the commands,
// too much to compile here); the same one-liner over PicoCore's Substring
// version. Drop this if that extension moves to a file of its own.
extension String {
    func trimmingCharacters(in set: String) -> String {
        String(Substring(self).trimmingCharacters(in: set))
    }
}
