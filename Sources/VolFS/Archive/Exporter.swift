import Glibc
import LinuxABI

/// Writes a distro as a GNU tar stream ("./" first, like `tar -C ROOT -c .`)
/// whose owners, modes, setuid bits and device nodes come from the sidecar,
/// with numeric owners only.
public final class Exporter {
    let volume: Volume
    let out: Int32
    /// First path of each multiply-linked inode, for hard-link members.
    var links: [UInt64: String] = [:]
    public private(set) var entries = 0
    public var onProgress: ((Int) -> Void)?

    public init(volume: Volume, output: Int32) {
        self.volume = volume
        self.out = output
    }

    public func run(rootPath: String) throws(ArchiveError) {
        let root = open(rootPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard root >= 0 else { throw ArchiveError("\(rootPath): \(String(cString: strerror(errno)))") }
        defer { close(root) }
        try member(dirfd: root, name: ".", path: ".")
        try directory(root, path: ".")
        try put([UInt8](repeating: 0, count: 1024))
        onProgress?(entries)
    }

    func directory(_ dir: Int32, path: String) throws(ArchiveError) {
        let fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, let stream = fdopendir(fd) else { throw ArchiveError("\(path): \(String(cString: strerror(errno)))") }
        defer { closedir(stream) }
        var names: [String] = []
        while let e = readdir(stream) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        for name in names.sorted() {
            let child = path + "/" + name
            let isDir = try member(dirfd: dirfd(stream), name: name, path: child)
            if isDir {
                let sub = openat(dirfd(stream), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard sub >= 0 else { throw ArchiveError("\(child): \(String(cString: strerror(errno)))") }
                defer { close(sub) }
                try directory(sub, path: child)
            }
        }
    }

    /// Writes one member; whether it is a directory to descend into.
    @discardableResult
    func member(dirfd: Int32, name: String, path: String) throws(ArchiveError) -> Bool {
        var st = stat()
        guard fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw ArchiveError("\(path): \(String(cString: strerror(errno)))")
        }
        guard let meta = name == "." ? volume.metadata(fd: dirfd) : volume.metadata(dirfd: dirfd, name: name) else {
            throw ArchiveError("\(path): vanished while exporting")
        }
        let hostType = UInt32(st.st_mode) & S_IFMT
        if hostType == S_IFSOCK || meta.type == S_IFSOCK { return false }  // tar skips sockets too
        var entry = TarEntry(path: path == "." ? "./" : path, kind: .file, mode: meta.permissions, uid: meta.uid,
                             gid: meta.gid, mtime: Int64(st.st_mtim.tv_sec))
        switch meta.type {
        case S_IFDIR:
            entry.kind = .directory
            if path != "." { entry.path += "/" }  // as GNU tar names directories
        case S_IFLNK:
            entry.kind = .symlink
            var buf = [UInt8](repeating: 0, count: 4097)
            let n = buf.withUnsafeMutableBytes { readlinkat(dirfd, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
            guard n >= 0 else { throw ArchiveError("\(path): \(String(cString: strerror(errno)))") }
            entry.linkTarget = String(decoding: buf[0..<n], as: UTF8.self)
        case S_IFCHR, S_IFBLK:
            entry.kind = meta.type == S_IFCHR ? .charDevice : .blockDevice
            (entry.devMajor, entry.devMinor) = TarEntry.split(rdev: meta.rdev)
        case S_IFIFO: entry.kind = .fifo
        default:
            if st.st_nlink > 1, let first = links[UInt64(st.st_ino)] {
                entry.kind = .hardlink
                entry.linkTarget = first
            } else {
                if st.st_nlink > 1 { links[UInt64(st.st_ino)] = path }
                entry.size = hostType == S_IFREG ? UInt64(st.st_size) : 0
            }
        }
        try header(entry)
        if entry.kind == .file && entry.size > 0 { try copy(dirfd: dirfd, name: name, path: path, size: entry.size) }
        entries += 1
        if entries % 256 == 0 { onProgress?(entries) }
        return entry.kind == .directory
    }

    func header(_ e: TarEntry) throws(ArchiveError) {
        if e.path.utf8.count > 100 { try longMember("L", e.path) }
        if e.linkTarget.utf8.count > 100 { try longMember("K", e.linkTarget) }
        var b = [UInt8](repeating: 0, count: 512)
        TarBlock.putText(&b, 0, 100, e.path)
        TarBlock.putOctal(&b, 100, 8, UInt64(e.mode))
        TarBlock.putOctal(&b, 108, 8, UInt64(e.uid))
        TarBlock.putOctal(&b, 116, 8, UInt64(e.gid))
        TarBlock.putOctal(&b, 124, 12, e.size)
        TarBlock.putOctal(&b, 136, 12, UInt64(max(0, e.mtime)))
        let type: Character = switch e.kind {
        case .file: "0"
        case .hardlink: "1"
        case .symlink: "2"
        case .charDevice: "3"
        case .blockDevice: "4"
        case .directory: "5"
        case .fifo: "6"
        }
        b[156] = type.asciiValue!
        TarBlock.putText(&b, 157, 100, e.linkTarget)
        TarBlock.putText(&b, 257, 8, "ustar  ")
        if e.kind == .charDevice || e.kind == .blockDevice {
            TarBlock.putOctal(&b, 329, 8, UInt64(e.devMajor))
            TarBlock.putOctal(&b, 337, 8, UInt64(e.devMinor))
        }
        try seal(&b)
    }

    /// GNU's ././@LongLink member carrying a name that does not fit.
    func longMember(_ type: Character, _ text: String) throws(ArchiveError) {
        let data = Array(text.utf8) + [0]
        var b = [UInt8](repeating: 0, count: 512)
        TarBlock.putText(&b, 0, 100, "././@LongLink")
        TarBlock.putOctal(&b, 100, 8, 0o644)
        TarBlock.putOctal(&b, 108, 8, 0)
        TarBlock.putOctal(&b, 116, 8, 0)
        TarBlock.putOctal(&b, 124, 12, UInt64(data.count))
        TarBlock.putOctal(&b, 136, 12, 0)
        b[156] = type.asciiValue!
        TarBlock.putText(&b, 257, 8, "ustar  ")
        try seal(&b)
        try put(data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512))
    }

    func seal(_ b: inout [UInt8]) throws(ArchiveError) {
        let sum = TarBlock.checksum(b)
        let digits = String(sum, radix: 8)
        let field = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        for (i, c) in field.utf8.enumerated() { b[148 + i] = c }
        b[154] = 0
        b[155] = 0x20
        try put(b)
    }

    func copy(dirfd: Int32, name: String, path: String, size: UInt64) throws(ArchiveError) {
        let fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var left = size
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while left > 0 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, Int(left))) }
            if n < 0 && errno == EINTR { continue }
            // A file that shrank while exporting: pad with zeros, as tar does.
            if n <= 0 {
                try put([UInt8](repeating: 0, count: Int(left)))
                break
            }
            try put(Array(buffer[0..<n]))
            left -= UInt64(n)
        }
        let pad = Int((512 - size % 512) % 512)
        if pad > 0 { try put([UInt8](repeating: 0, count: pad)) }
    }

    func put(_ bytes: [UInt8]) throws(ArchiveError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(out, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ArchiveError("cannot write the archive: \(String(cString: strerror(errno)))") }
            done += n
        }
    }
}
