import Glibc

/// Random access to the bytes of an ELF file: a host fd, or memory in tests
/// and fuzzers.
public protocol ElfSource {
    var size: UInt64 { get }
    /// Up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: UInt64, count: Int) throws(ElfError) -> [UInt8]
}

public struct MemoryElfSource: ElfSource {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: UInt64 { UInt64(bytes.count) }
    public func read(at offset: UInt64, count: Int) throws(ElfError) -> [UInt8] {
        guard offset < size else { return [] }
        let start = Int(offset)
        return Array(bytes[start..<min(bytes.count, start + count)])
    }
}

/// A host file opened read-only; the fd stays valid for the lifetime of the value's owner.
public struct FileElfSource: ElfSource {
    public let fd: Int32
    public let size: UInt64

    public init(fd: Int32) throws(ElfError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ElfError("cannot stat: \(hostErrorString(errno))", errno: LinuxErrno(errno)) }
        self.fd = fd
        self.size = UInt64(st.st_size)
    }

    public func read(at offset: UInt64, count: Int) throws(ElfError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { p in
                pread(fd, p.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ElfError("read error: \(hostErrorString(errno))", errno: .EIO)
            }
            if n == 0 { break }
            done += n
        }
        out.removeSubrange(done...)
        return out
    }
}
