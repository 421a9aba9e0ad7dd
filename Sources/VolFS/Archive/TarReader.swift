import Glibc

/// Reads a tar stream (ustar, GNU long names and links, pax extended
/// headers) from an fd: a file, a pipe from a decompressor, stdin. Every
/// malformation is an ArchiveError naming the byte offset.
public final class TarReader {
    let fd: Int32
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var start = 0, end = 0
    var eof = false
    /// Bytes of the archive consumed so far.
    public private(set) var offset: UInt64 = 0
    /// Data bytes of the current entry not read yet, and its padding.
    var remaining: UInt64 = 0
    var padding: UInt64 = 0

    /// `prefix`: bytes already read from `fd` (to sniff the compression).
    public init(fd: Int32, prefix: [UInt8] = []) {
        self.fd = fd
        buffer.replaceSubrange(0..<prefix.count, with: prefix)
        end = prefix.count
    }

    func fill() throws(ArchiveError) {
        if start > 0 && start == end { start = 0; end = 0 }
        guard !eof, end < buffer.count else { return }
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + end, $0.count - end) }
        if n < 0 {
            if errno == EINTR { return }
            throw ArchiveError("cannot read the archive: \(String(cString: strerror(errno)))")
        }
        if n == 0 { eof = true } else { end += n }
    }

    /// Exactly `count` bytes (count ≤ the buffer), or nil at a clean end of input.
    func take(_ count: Int) throws(ArchiveError) -> ArraySlice<UInt8>? {
        if end - start < count && start > 0 {
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
        }
        while end - start < count && !eof { try fill() }
        if end - start < count {
            if end == start { return nil }
            throw ArchiveError("the archive ends in the middle of a block at byte \(offset + UInt64(end - start))")
        }
        defer { start += count; offset += UInt64(count) }
        return buffer[start..<(start + count)]
    }

    func skip(_ count: UInt64) throws(ArchiveError) {
        var left = count
        while left > 0 {
            let chunk = Int(min(left, UInt64(buffer.count)))
            guard try take(chunk) != nil else { throw ArchiveError("the archive ends inside a member at byte \(offset)") }
            left -= UInt64(chunk)
        }
    }

    /// The data of the current entry, in chunks.
    public func readData(_ body: (ArraySlice<UInt8>) throws(ArchiveError) -> Void) throws(ArchiveError) {
        while remaining > 0 {
            let chunk = Int(min(remaining, UInt64(buffer.count / 2)))
            guard let bytes = try take(chunk) else { throw ArchiveError("the archive ends inside a member at byte \(offset)") }
            remaining -= UInt64(chunk)
            try body(bytes)
        }
        try skip(padding)
        padding = 0
    }

    func dataOfSpecialMember(_ size: UInt64) throws(ArchiveError) -> [UInt8] {
        guard size <= 1 << 20 else { throw ArchiveError("an extended header at byte \(offset) claims \(size) bytes") }
        remaining = size
        padding = (512 - size % 512) % 512
        var out: [UInt8] = []
        try readData { out += $0 }
        return out
    }

    /// The next member, or nil at the end of the archive.
    public func next() throws(ArchiveError) -> TarEntry? {
        if remaining > 0 || padding > 0 {
            try skip(remaining + padding)
            remaining = 0
            padding = 0
        }
        var longName: String?
        var longLink: String?
        var pax: [String: String] = [:]
        while true {
            let at = offset
            guard let block = try take(TarBlock.size) else {
                if at == 0 { throw ArchiveError("the archive is empty") }
                return nil  // no end-of-archive blocks: GNU tar accepts it too
            }
            if block.allSatisfy({ $0 == 0 }) { return nil }
            let header = Array(block)
            let stored = try TarBlock.number(header[148..<156], field: "checksum", offset: Int(at))
            guard stored == TarBlock.checksum(header) else {
                throw ArchiveError("bad header checksum at byte \(at) (not a tar archive, or a corrupt one)")
            }
            let type = header[156]
            let size = try TarBlock.number(header[124..<136], field: "size", offset: Int(at))
            switch type {
            case UInt8(ascii: "L"): longName = TarBlock.text(try dataOfSpecialMember(size)[...]); continue
            case UInt8(ascii: "K"): longLink = TarBlock.text(try dataOfSpecialMember(size)[...]); continue
            case UInt8(ascii: "x"): pax.merge(try Self.paxRecords(try dataOfSpecialMember(size), at: at)) { _, new in new }; continue
            case UInt8(ascii: "g"): _ = try dataOfSpecialMember(size); continue
            default: break
            }
            var path = TarBlock.text(header[0..<100])
            if header[257..<262].elementsEqual("ustar".utf8) {
                let prefix = TarBlock.text(header[345..<500])
                if !prefix.isEmpty && header[263] != UInt8(ascii: " ") { path = prefix + "/" + path }
            }
            path = pax["path"] ?? longName ?? path
            let kind: TarEntry.Kind
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = path.hasSuffix("/") ? .directory : .file
            case UInt8(ascii: "1"): kind = .hardlink
            case UInt8(ascii: "2"): kind = .symlink
            case UInt8(ascii: "3"): kind = .charDevice
            case UInt8(ascii: "4"): kind = .blockDevice
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "6"): kind = .fifo
            default:
                throw ArchiveError("member \(path) at byte \(at) has type '\(Character(UnicodeScalar(type)))', which picorun cannot import")
            }
            func num(_ r: Range<Int>, _ name: String) throws(ArchiveError) -> UInt64 {
                try TarBlock.number(header[r], field: name, offset: Int(at))
            }
            var entry = TarEntry(path: path, kind: kind, mode: UInt32(truncatingIfNeeded: try num(100..<108, "mode") & 0o7777),
                                 uid: UInt32(truncatingIfNeeded: try num(108..<116, "uid")),
                                 gid: UInt32(truncatingIfNeeded: try num(116..<124, "gid")),
                                 size: size, mtime: Int64(bitPattern: try num(136..<148, "mtime")),
                                 linkTarget: pax["linkpath"] ?? longLink ?? TarBlock.text(header[157..<257]),
                                 devMajor: UInt32(truncatingIfNeeded: try num(329..<337, "devmajor")),
                                 devMinor: UInt32(truncatingIfNeeded: try num(337..<345, "devminor")))
            if let v = pax["uid"].flatMap({ UInt32($0) }) { entry.uid = v }
            if let v = pax["gid"].flatMap({ UInt32($0) }) { entry.gid = v }
            if let v = pax["size"].flatMap({ UInt64($0) }) { entry.size = v }
            if let v = pax["mtime"].flatMap({ Double($0) }) { entry.mtime = Int64(v) }
            // Links, devices and directories carry no data, whatever size says
            // (except a hard link in some pax writers: then the data is skipped).
            let dataSize = [.file, .hardlink].contains(kind) ? entry.size : (kind == .directory ? 0 : entry.size)
            if kind != .file { entry.size = 0 }
            remaining = dataSize
            padding = (512 - dataSize % 512) % 512
            while entry.path.count > 1 && entry.path.hasSuffix("/") { entry.path.removeLast() }
            return entry
        }
    }

    /// "LEN key=value\n" records.
    static func paxRecords(_ data: [UInt8], at: UInt64) throws(ArchiveError) -> [String: String] {
        var out: [String: String] = [:]
        var i = 0
        while i < data.count {
            // The length counts the whole record, its own digits and the
            // final newline included: the space, the '=' and the newline must
            // all lie inside it.
            guard let space = data[i...].firstIndex(of: 0x20), let length = Int(String(decoding: data[i..<space], as: UTF8.self)),
                  length > 0, length <= data.count - i, space < i + length - 1, data[i + length - 1] == 0x0a,
                  let eq = data[(space + 1)..<(i + length - 1)].firstIndex(of: UInt8(ascii: "=")) else {
                throw ArchiveError("a pax header at byte \(at) is malformed")
            }
            let key = String(decoding: data[(space + 1)..<eq], as: UTF8.self)
            let value = String(decoding: data[(eq + 1)..<(i + length - 1)], as: UTF8.self)
            out[key] = value
            i += length
        }
        return out
    }
}
