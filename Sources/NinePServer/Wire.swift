import FileNames
import LinuxABI

/// 9P's wire format: little-endian integers, strings as u16 length + UTF-8
/// bytes, qids as 13 bytes. Decoding never trusts a length: a message that
/// ends early is a `Malformed` error, never a read out of bounds.
struct Malformed: Error {}

struct WireReader {
    let bytes: [UInt8]
    var at: Int

    init(_ bytes: [UInt8], at: Int = 0) {
        self.bytes = bytes
        self.at = at
    }

    var remaining: Int { bytes.count - at }

    mutating func u8() throws(Malformed) -> UInt8 {
        guard at + 1 <= bytes.count else { throw Malformed() }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func u16() throws(Malformed) -> UInt16 {
        guard at + 2 <= bytes.count else { throw Malformed() }
        defer { at += 2 }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    mutating func u32() throws(Malformed) -> UInt32 {
        guard at + 4 <= bytes.count else { throw Malformed() }
        defer { at += 4 }
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    mutating func u64() throws(Malformed) -> UInt64 {
        guard at + 8 <= bytes.count else { throw Malformed() }
        defer { at += 8 }
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }

    mutating func string() throws(Malformed) -> String {
        let n = Int(try u16())
        guard at + n <= bytes.count else { throw Malformed() }
        defer { at += n }
        return FileNames.string(bytes[at..<(at + n)])
    }

    mutating func data(_ count: Int) throws(Malformed) -> ArraySlice<UInt8> {
        guard count >= 0, at + count <= bytes.count else { throw Malformed() }
        defer { at += count }
        return bytes[at..<(at + count)]
    }
}

struct WireWriter {
    var bytes: [UInt8] = []

    /// Starts a message: size (patched in `finish`), type, tag.
    init(type: UInt8, tag: UInt16) {
        bytes.reserveCapacity(64)
        u32(0)
        u8(type)
        u16(tag)
    }

    init(_ type: NinePMessageType, tag: UInt16) { self.init(type: type.rawValue, tag: tag) }

    /// Fields with no message header: one Rreaddir entry, or several.
    init() {}

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xff)); bytes.append(UInt8(v >> 8)) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }

    mutating func string(_ s: String) {
        let b = Array(FileNames.bytes(s).prefix(65535))
        u16(UInt16(b.count))
        bytes += b
    }

    mutating func qid(_ q: Qid) {
        u8(q.type)
        u32(q.version)
        u64(q.path)
    }

    mutating func finish() -> [UInt8] {
        let n = UInt32(bytes.count)
        for i in 0..<4 { bytes[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt32(i))) }
        return bytes
    }
}

/// The server's unique id for a file: type bits, version, inode.
struct Qid: Equatable {
    var type: UInt8
    var version: UInt32
    var path: UInt64

    /// QTDIR, QTSYMLINK and QTFILE: the only kinds a 9P2000.L qid tells apart here.
    static let directory: UInt8 = 0x80, symlink: UInt8 = 0x02, file: UInt8 = 0
}
