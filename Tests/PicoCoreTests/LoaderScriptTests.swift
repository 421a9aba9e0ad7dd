import Testing
@testable import PicoCore

@Suite struct LoaderScriptTests {
    /// The encoding loader-stub.S reads: 8 words a record, flags in word 7,
    /// strings after the end record.
    @Test func encodesRecordsFlagsAndStrings() {
        var s = LoaderScript()
        let path = s.string(Array("/bin/x".utf8))
        s.syscall(257, [.value(UInt64(bitPattern: -100)), path, .value(0)], saveFD: true, what: "open")
        s.syscall(9, [.value(0x400000), .value(0x1000), .value(5), .value(0x12), .savedFD, .value(0)], what: "mmap")
        s.zero(0x401234, 0xdcc, what: "zero")
        let base: UInt64 = 0x7ffd_0000_0000
        let bytes = s.encode(at: base)
        #expect(bytes.count == s.encodedSize)
        func word(_ i: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[i * 8 + $1]) << (8 * UInt64($1)) } }
        #expect(word(0) == 257 && word(2) == base + 4 * 64 && word(7) == 1)
        #expect(word(8) == 9 && word(15) == 1 << 5, "fd substituted into argument 4 (r8)")
        #expect(word(16) == LoaderScript.opZero && word(17) == 0x401234 && word(18) == 0xdcc)
        #expect(word(24) == LoaderScript.opEnd)
        #expect(Array(bytes[(4 * 64)...]) == Array("/bin/x".utf8) + [0])
    }

    @Test func stubImageIsAValidElfThePlannerAccepts() throws {
        let image = try ElfImage.parse(MemoryElfSource(StubImage.bytes))
        #expect(image.entry == StubImage.entry)
        #expect(image.segments.count == 1 && image.segments[0].executable && !image.segments[0].writable)
        #expect(!image.wantsExecutableStack)
    }
}

import Foundation

@Suite struct StubCodeTests {
    /// StubCode.swift is generated; it must be what the committed assembly
    /// source assembles to, or someone edited one without the other.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/as")))
    func committedBytesMatchTheAssemblySource() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("StubCode-\(UUID().uuidString).swift")
        defer { try? FileManager.default.removeItem(at: out) }
        let p = Process()
        p.executableURL = repo.appendingPathComponent("scripts/stub/gen-stub.sh")
        p.arguments = [out.path]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let fresh = try String(contentsOf: out, encoding: .utf8)
        let committed = try String(contentsOf: repo.appendingPathComponent("Sources/PicoCore/Loader/StubCode.swift"), encoding: .utf8)
        #expect(fresh == committed)
    }
}
