import Glibc
import LinuxABI
/// One member of a tar archive, with the GNU and pax extensions folded in.
public struct TarEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file, directory, symlink, hardlink, charDevice, blockDevice, fifo
    }

    public var path: String
    public var kind: Kind
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: UInt64
    public var mtime: Int64
    public var linkTarget: String
    public var devMajor: UInt32
    public var devMinor: UInt32

    public init(path: String, kind: Kind, mode: UInt32, uid: UInt32, gid: UInt32, size: UInt64 = 0, mtime: Int64,
                linkTarget: String = "", devMajor: UInt32 = 0, devMinor: UInt32 = 0) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime = mtime
        self.linkTarget = linkTarget
        self.devMajor = devMajor
        self.devMinor = devMinor
    }

    /// The Linux st_mode type bits for this kind.
    public var typeBits: UInt32 {
        switch kind {
        case .file, .hardlink: S_IFREG
        case .directory: S_IFDIR
        case .symlink: S_IFLNK
        case .charDevice: S_IFCHR
        case .blockDevice: S_IFBLK
        case .fifo: S_IFIFO
        }
    }

    /// Linux's dev_t encoding of major/minor.
    public var rdev: UInt64 {
        let ma = UInt64(devMajor), mi = UInt64(devMinor)
        return (ma & 0xfff) << 8 | (ma & ~0xfff) << 32 | (mi & 0xff) | (mi & ~0xff) << 12
    }

    public static func split(rdev: UInt64) -> (UInt32, UInt32) {
        let major = UInt32(truncatingIfNeeded: (rdev >> 8) & 0xfff | (rdev >> 32) & ~0xfff)
        let minor = UInt32(truncatingIfNeeded: rdev & 0xff | (rdev >> 12) & ~0xff)
        return (major, minor)
    }
}

public struct ArchiveError: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// The 512-byte header block: octal or base-256 numbers, NUL-padded text.
enum TarBlock {
    static let size = 512

    static func text(_ b: ArraySlice<UInt8>) -> String {
        String(decoding: b.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A numeric field: octal text, or GNU base-256 when the top bit is set.
    static func number(_ b: ArraySlice<UInt8>, field: String, offset: Int) throws(ArchiveError) -> UInt64 {
        guard let first = b.first else { return 0 }
        if first & 0x80 != 0 {
            var v: UInt64 = UInt64(first & 0x7f)
            for byte in b.dropFirst() {
                guard v >> 56 == 0 else { throw ArchiveError("header at byte \(offset): \(field) is too large") }
                v = v << 8 | UInt64(byte)
            }
            return v
        }
        var v: UInt64 = 0
        var seen = false
        for byte in b {
            if byte == 0 || byte == 0x20 { if seen { break } else { continue } }
            guard byte >= 0x30 && byte <= 0x37 else {
                throw ArchiveError("header at byte \(offset): \(field) is not an octal number")
            }
            guard v >> 60 == 0 else { throw ArchiveError("header at byte \(offset): \(field) is too large") }
            v = v << 3 | UInt64(byte - 0x30)
            seen = true
        }
        return v
    }

    /// The header checksum: the sum of all bytes with the checksum field as spaces.
    static func checksum(_ b: [UInt8]) -> UInt64 {
        var sum: UInt64 = 0
        for (i, byte) in b.enumerated() { sum += (148..<156).contains(i) ? 0x20 : UInt64(byte) }
        return sum
    }

    static func putOctal(_ b: inout [UInt8], _ offset: Int, _ width: Int, _ value: UInt64) {
        let digits = String(value, radix: 8)
        if digits.count <= width - 1 {
            let padded = String(repeating: "0", count: width - 1 - digits.count) + digits
            for (i, c) in padded.utf8.enumerated() { b[offset + i] = c }
            b[offset + width - 1] = 0
        } else {
            // GNU base-256 for values that do not fit in octal.
            var v = value
            for i in stride(from: width - 1, to: 0, by: -1) {
                b[offset + i] = UInt8(v & 0xff)
                v >>= 8
            }
            b[offset] = 0x80
        }
    }

    static func putText(_ b: inout [UInt8], _ offset: Int, _ width: Int, _ text: String) {
        for (i, c) in text.utf8.prefix(width).enumerated() { b[offset + i] = c }
    }
}
