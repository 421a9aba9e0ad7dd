import FileNames
import Glibc
import LinuxABI
import VolFS

/// Names in directories: making objects (Tmkdir, Tsymlink, Tmknod),
/// reading a symlink, hard links, renames and removals. New objects get
/// the rulebook's owner (a setgid directory's group); a removal or a
/// replacing rename is may_delete()'s, sticky directories included; and
/// the sidecar forgets a file that is then gone, as the syscalls' do.
extension Session {
    func readSymlink(_ f: Fid, _ w: inout WireWriter) throws(NinePError) {
        var buf = [UInt8](repeating: 0, count: NineP.pathMax + 1)
        let n = buf.withUnsafeMutableBytes { readlinkat(f.fd, "", $0.baseAddress!.assumingMemoryBound(to: CChar.self), NineP.pathMax) }
        guard n >= 0 else { throw NinePError.last() }
        w.string(FileNames.string(buf[0..<n]))
    }

    /// Tsymlink: the target is kept as the client's bytes, read back by the client.
    func makeSymlink(in dir: Fid, _ name: String, target: String, gid asked: UInt32, _ w: inout WireWriter) throws(NinePError) {
        let name = try newComponent(name)
        try writable(dir)
        let (gid, _) = try newOwnerGroup(dir, asked, ModeBits.symlink, directory: false)
        guard !target.isEmpty else { throw NinePError(.ENOENT) }
        guard symlinkat(FileNames.cString(target), dir.fd, FileNames.cString(name)) == 0 else { throw NinePError.last() }
        try made(Metadata(uid: dir.user.uid, gid: gid, mode: S_IFLNK | ModeBits.symlink), name, in: dir, &w)
    }

    /// Tmknod: devices and sockets are empty host files whose type lives in
    /// the sidecar, as WSL1 keeps them; a FIFO is a real one.
    func makeNode(in dir: Fid, _ name: String, mode given: UInt32, major: UInt32, minor: UInt32, gid asked: UInt32,
                  _ w: inout WireWriter) throws(NinePError) {
        let name = try newComponent(name)
        try writable(dir)
        let kind = given & S_IFMT
        let (gid, mode) = try newOwnerGroup(dir, asked, given & ModeBits.permissions, directory: false)
        guard [S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].contains(kind) else {
            throw NinePError(.EINVAL)
        }
        if let e = semantics.mayMake(type: kind, caller: dir.user.caller()) { throw NinePError(e) }
        let host = mode_t(Metadata.hostPermissions(guestMode: mode, isDirectory: false))
        if kind == S_IFIFO {
            guard mkfifoat(dir.fd, FileNames.cString(name), host) == 0 else { throw NinePError.last() }
        } else {
            let fd = openat(dir.fd, FileNames.cString(name), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, host)
            guard fd >= 0 else { throw NinePError.last() }
            close(fd)
        }
        let isDevice = kind == S_IFCHR || kind == S_IFBLK
        let rdev = isDevice ? Self.deviceNumber(major: major, minor: minor) : 0
        try made(Metadata(uid: dir.user.uid, gid: gid, mode: kind | mode, rdev: rdev), name, in: dir, &w)
    }

    /// Linux's dev_t encoding of a major and minor, as the archive code keeps it.
    static func deviceNumber(major: UInt32, minor: UInt32) -> UInt64 {
        TarEntry(path: "", kind: .charDevice, mode: 0, uid: 0, gid: 0, mtime: 0, devMajor: major, devMinor: minor).rdev
    }

    func makeDirectory(in dir: Fid, _ name: String, mode given: UInt32, gid asked: UInt32, _ w: inout WireWriter) throws(NinePError) {
        let name = try newComponent(name)
        try writable(dir)
        let (gid, mode) = try newOwnerGroup(dir, asked, given & ModeBits.permissions, directory: true)
        let host = mode_t(Metadata.hostPermissions(guestMode: mode, isDirectory: true))
        guard mkdirat(dir.fd, FileNames.cString(name), host) == 0 else { throw NinePError.last() }
        try made(Metadata(uid: dir.user.uid, gid: gid, mode: S_IFDIR | mode), name, in: dir, &w)
    }

    /// The group and permissions a new object gets: the client's gid, which
    /// must be one of the user's groups (9P says who creates, the server
    /// checks), then the rulebook's new owner (a setgid directory's group
    /// and bit).
    func newOwnerGroup(_ dir: Fid, _ asked: UInt32, _ mode: UInt32, directory: Bool) throws(NinePError) -> (UInt32, UInt32) {
        let parent = try metadata(dir.fd)
        guard parent.mode & ModeBits.setgid != 0 || dir.user.isRoot || dir.user.inGroup(asked) else { throw NinePError(.EPERM) }
        let type = directory ? S_IFDIR : S_IFREG
        let meta = Rulebook.newOwner(in: parent, dir.user.caller(gid: asked), mode: type | mode)
        return (meta.gid, meta.mode & ModeBits.permissions)
    }

    /// Who owns an object just made. As the syscall handlers' own
    /// (VolumeSemantics.created), a sidecar that cannot store the row does
    /// not fail the call: the object exists either way, and shows the
    /// sidecar's defaults.
    func record(_ meta: Metadata, as name: String, in dir: Int32) {
        try? export.volume.created(dirfd: dir, name: name, meta)
    }

    /// The answer to a Tmkdir, Tsymlink or Tmknod: the new object's owner
    /// recorded, its qid.
    func made(_ meta: Metadata, _ name: String, in dir: Fid, _ w: inout WireWriter) throws(NinePError) {
        record(meta, as: name, in: dir.fd)
        let fd = try object(in: dir.fd, name)
        defer { close(fd) }
        w.qid(try qid(fd))
    }

    /// Tlink: the fid's file under a new name in the directory.
    func hardLink(in dir: Fid, to f: Fid, _ name: String) throws(NinePError) {
        let name = try component(name)
        try writable(dir)
        guard linkat(f.fd, "", dir.fd, FileNames.cString(name), AT_EMPTY_PATH) == 0
                || linkat(AT_FDCWD, Self.procPath(f.fd), dir.fd, FileNames.cString(name), AT_SYMLINK_FOLLOW) == 0 else {
            throw NinePError.last()
        }
    }

    /// Trename: the fid's file, wherever it is now, to `name` in `dir`.
    func rename(_ f: Fid, into dir: Fid, _ name: String) throws(NinePError) {
        let name = try component(name)
        let path = currentPath(f)
        guard let old = path.last else { throw NinePError(.EBUSY) }
        let from = try open(Array(path.dropLast()))
        defer { close(from) }
        try move(f.user, from, old, dir.fd, name)
        f.path = currentPath(dir) + [name]
    }

    /// Trenameat: fids and names in the order the message has them, each
    /// checked before the next is looked up.
    func renameAt(_ oldDir: UInt32, _ oldName: String, _ newDir: UInt32, _ newName: String) throws(NinePError) {
        let from = try lookup(oldDir)
        let old = try component(oldName)
        let to = try lookup(newDir)
        let new = try component(newName)
        try move(from.user, from.fd, old, to.fd, new)
    }

    func move(_ user: User, _ fromDir: Int32, _ old: String, _ toDir: Int32, _ new: String) throws(NinePError) {
        if export.readOnly { throw NinePError(.EROFS) }
        // vfs_rename(): may_delete() the old name, then the new one's (or may_create()).
        try mayRemove(user, fromDir, old)
        try mayRemove(user, toDir, new)
        let forget = export.volume.removal(dirfd: toDir, name: new)
        guard renameat(fromDir, FileNames.cString(old), toDir, FileNames.cString(new)) == 0 else { throw NinePError.last() }
        // A session's walker may have the old path of a directory cached.
        export.volume.sidecar.counters.directoriesChanged()
        forget()
    }

    func unlinkAt(_ dir: Fid, _ name: String, flags: UInt32) throws(NinePError) {
        let name = try component(name)
        try removeEntry(dir.user, parent: dir.fd, name: name, directory: flags & UInt32(AT_REMOVEDIR) != 0)
    }

    /// Tremove: the fid is clunked whatever happens.
    func removeFid(_ number: UInt32) throws(NinePError) {
        guard let f = fids.removeValue(forKey: number) else { throw NinePError(.EBADF) }
        let path = currentPath(f)
        guard let name = path.last else { throw NinePError(.EBUSY) }
        let parent = try open(Array(path.dropLast()))
        defer { close(parent) }
        try removeEntry(f.user, parent: parent, name: name, directory: isDirectory(f.fd))
    }

    func removeEntry(_ user: User, parent: Int32, name: String, directory: Bool) throws(NinePError) {
        if export.readOnly { throw NinePError(.EROFS) }
        try mayRemove(user, parent, name)
        let forget = export.volume.removal(dirfd: parent, name: name)
        guard unlinkat(parent, FileNames.cString(name), directory ? AT_REMOVEDIR : 0) == 0 else { throw NinePError.last() }
        if directory { export.volume.sidecar.counters.directoriesChanged() }
        forget()
    }

    /// The rulebook's may_delete() for `name` in `dir` (write and search,
    /// then the sticky rule); where nothing has the name, the directory's
    /// rights alone (may_create()), and the call itself says ENOENT.
    func mayRemove(_ user: User, _ dir: Int32, _ name: String) throws(NinePError) {
        let d = try metadata(dir)
        let caller = user.caller()
        let verdict: LinuxErrno?
        if let file = export.volume.metadata(dirfd: dir, name: name) {
            verdict = Rulebook.mayDelete(file, from: d, caller)
        } else {
            verdict = Rulebook.mayCreate(in: d, caller)
        }
        if let verdict { throw NinePError(verdict) }
    }
}
