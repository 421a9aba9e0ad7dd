import Glibc
import LinuxABI

/// Unpacks a tar stream into a distro's root folder: contents, symlinks,
/// hard links and times on the host, owners, modes, setuid bits and device
/// nodes in the sidecar. Nothing is ever written through a symlink the
/// archive made, and no member may name a path outside the root.
public final class Importer {
    let root: Int32
    let volume: Volume
    /// Rows waiting for the next transaction.
    var pending: [(FileIdentity, Metadata, FileIdentity.HostStat)] = []
    /// Directory times, set at the end (adding entries changes them).
    var directoryTimes: [(path: [String], mtime: Int64)] = []
    /// The parent directory of the previous member (archives go in order).
    var cachedParent: (path: [String], fd: Int32)?
    public private(set) var entries = 0
    public var onProgress: ((Int) -> Void)?
    static let batchSize = 512

    /// `rootPath` must be an existing, empty folder.
    public init(rootPath: String, volume: Volume) throws(ArchiveError) {
        root = open(rootPath, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard root >= 0 else { throw ArchiveError("\(rootPath): \(String(cString: strerror(errno)))") }
        self.volume = volume
    }

    deinit {
        if let c = cachedParent { close(c.fd) }
        close(root)
    }

    public func run(_ reader: TarReader) throws(ArchiveError) {
        while let entry = try reader.next() {
            try add(entry, reader)
            entries += 1
            if pending.count >= Self.batchSize { try flush() }
            if entries % 256 == 0 { onProgress?(entries) }
        }
        try flush()
        for (path, mtime) in directoryTimes.sorted(by: { $0.path.count > $1.path.count }) {
            if path.isEmpty {
                setTime(root, "", mtime)
                continue
            }
            let (parent, name) = try parentOf(path, create: false)
            setTime(parent, name, mtime)
        }
        onProgress?(entries)
    }

    /// The member's path as components below the root; ".." is refused.
    static func components(_ path: String, at offset: UInt64) throws(ArchiveError) -> [String] {
        var parts: [String] = []
        for c in path.split(separator: "/") where c != "." {
            guard c != ".." else { throw ArchiveError("member \(path) (byte \(offset)) has '..' in its path; refusing to import outside the distro") }
            parts.append(String(c))
        }
        return parts
    }

    func add(_ entry: TarEntry, _ reader: TarReader) throws(ArchiveError) {
        let path = try Self.components(entry.path, at: reader.offset)
        let meta = Metadata(uid: entry.uid, gid: entry.gid, mode: entry.typeBits | entry.mode,
                            rdev: [.charDevice, .blockDevice].contains(entry.kind) ? entry.rdev : 0)
        guard !path.isEmpty else {
            // "./": the root folder itself.
            try record(dirfd: root, name: "", meta)
            directoryTimes.append(([], entry.mtime))
            return
        }
        let (parent, name) = try parentOf(path, create: true)
        let existing = FileIdentity.of(dirfd: parent, name: name)
        if let (_, host) = existing {
            let isDir = host.mode & S_IFMT == S_IFDIR
            if !(isDir && entry.kind == .directory) && unlinkat(parent, name, isDir ? AT_REMOVEDIR : 0) != 0 {
                throw failure(entry, "cannot replace the existing entry")
            }
        }
        let perms = Metadata.hostPermissions(guestMode: entry.mode, isDirectory: entry.kind == .directory)
        switch entry.kind {
        case .directory:
            if existing == nil || FileIdentity.of(dirfd: parent, name: name) == nil {
                guard mkdirat(parent, name, mode_t(perms)) == 0 else { throw failure(entry, "mkdir") }
            } else {
                fchmodat(parent, name, mode_t(perms), 0)
            }
            directoryTimes.append((path, entry.mtime))
        case .file:
            let fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode_t(perms))
            guard fd >= 0 else { throw failure(entry, "create") }
            var writeError: Int32 = 0
            do {
                try reader.readData { chunk in
                    guard writeError == 0 else { return }
                    chunk.withUnsafeBytes { b in
                        var done = 0
                        while done < b.count {
                            let n = write(fd, b.baseAddress! + done, b.count - done)
                            if n < 0 { if errno == EINTR { continue }; writeError = errno; return }
                            done += n
                        }
                    }
                }
            } catch {
                close(fd)
                throw error
            }
            close(fd)
            if writeError != 0 { throw ArchiveError("\(entry.path): cannot write: \(String(cString: strerror(writeError)))") }
            setTime(parent, name, entry.mtime)
        case .symlink:
            guard symlinkat(entry.linkTarget, parent, name) == 0 else { throw failure(entry, "symlink") }
            setTime(parent, name, entry.mtime)
        case .hardlink:
            let target = try Self.components(entry.linkTarget, at: reader.offset)
            guard !target.isEmpty else { throw ArchiveError("\(entry.path): a hard link to the root folder") }
            let targetParent = try openDirectory(Array(target.dropLast()), create: false, member: target)
            defer { close(targetParent) }
            guard linkat(targetParent, target.last!, parent, name, 0) == 0 else {
                throw failure(entry, "hard link to \(entry.linkTarget)")
            }
            return  // the same inode: the target's row is this file's row
        case .fifo:
            guard mkfifoat(parent, name, mode_t(perms)) == 0 else { throw failure(entry, "mkfifo") }
            setTime(parent, name, entry.mtime)
        case .charDevice, .blockDevice:
            // As WSL1 keeps them: an empty file whose type is in the sidecar.
            let fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode_t(perms))
            guard fd >= 0 else { throw failure(entry, "create") }
            close(fd)
            setTime(parent, name, entry.mtime)
        }
        try record(dirfd: parent, name: name, meta)
    }

    func failure(_ entry: TarEntry, _ what: String) -> ArchiveError {
        ArchiveError("\(entry.path): \(what): \(String(cString: strerror(errno)))")
    }

    func record(dirfd: Int32, name: String, _ meta: Metadata) throws(ArchiveError) {
        let identity = name.isEmpty ? FileIdentity.of(fd: dirfd) : FileIdentity.of(dirfd: dirfd, name: name)
        guard let (id, host) = identity else { throw ArchiveError("\(name): vanished while importing") }
        pending.append((id, meta, host))
    }

    func flush() throws(ArchiveError) {
        guard !pending.isEmpty else { return }
        let rows = pending
        pending = []
        do {
            try volume.sidecar.batch { () throws(VolFSError) in
                for (id, meta, host) in rows { try volume.record(id, meta, host: host) }
            }
        } catch {
            throw ArchiveError("metadata sidecar: \(error.message)")
        }
    }

    func setTime(_ dir: Int32, _ name: String, _ mtime: Int64) {
        var times = [timespec(tv_sec: Int(mtime), tv_nsec: 0), timespec(tv_sec: Int(mtime), tv_nsec: 0)]
        utimensat(dir, name.isEmpty ? "." : name, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// The directory holding the last component (made if missing when
    /// `create`), opened component by component without following links.
    func parentOf(_ path: [String], create: Bool) throws(ArchiveError) -> (Int32, String) {
        let dirs = Array(path.dropLast())
        if let c = cachedParent, c.path == dirs { return (c.fd, path.last!) }
        let fd = try openDirectory(dirs, create: create, member: path)
        if let c = cachedParent { close(c.fd) }
        cachedParent = (dirs, fd)
        return (fd, path.last!)
    }

    /// A new fd for directory `dirs` below the root.
    func openDirectory(_ dirs: [String], create: Bool, member path: [String]) throws(ArchiveError) -> Int32 {
        var fd = dup(root)
        for (i, component) in dirs.enumerated() {
            var next = openat(fd, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                // A member whose directory the archive did not list first.
                if mkdirat(fd, component, 0o755) == 0 || errno == EEXIST {
                    try? recordImplicit(fd, component)
                    next = openat(fd, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
            }
            if next < 0 {
                let e = errno
                close(fd)
                let where_ = dirs[0...i].joined(separator: "/")
                if e == ENOTDIR || e == ELOOP {
                    throw ArchiveError("\(path.joined(separator: "/")): \(where_) is not a directory (a symlink?); refusing to write through it")
                }
                throw ArchiveError("\(where_): \(String(cString: strerror(e)))")
            }
            close(fd)
            fd = next
        }
        return fd
    }

    func recordImplicit(_ dir: Int32, _ name: String) throws(ArchiveError) {
        try record(dirfd: dir, name: name, Metadata(uid: 0, gid: 0, mode: S_IFDIR | 0o755))
    }
}
