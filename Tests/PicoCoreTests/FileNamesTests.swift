import FileNames
import Testing

/// Names are bytes: any byte string survives the trip through a String.
@Suite struct FileNamesTests {
    @Test(arguments: [
        Array("plain".utf8), Array("café".utf8), [0x63, 0x61, 0x66, 0xe9], [0xff], [0x80, 0x80],
        [0xef, 0x9e, 0x80], [0xef, 0x9f, 0xbf, 0x41], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0xe2, 0x82],
    ] as [[UInt8]])
    func roundTrips(_ bytes: [UInt8]) {
        #expect(FileNames.bytes(FileNames.string(bytes)) == bytes)
    }

    @Test func randomBytesRoundTrip() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(FileNames.bytes(FileNames.string(bytes)) == bytes, "\(bytes)")
        }
    }

    @Test func validUTF8IsItself() {
        for text in ["hello", "naïve", "日本語", "🙂"] {
            #expect(FileNames.string(Array(text.utf8)) == text)
            #expect(FileNames.bytes(text) == Array(text.utf8))
        }
        #expect(FileNames.cString("ab") == [97, 98, 0])
    }
}
