import FileNames
import CPicoLinux
import Glibc
import LinuxABI
import PicoCore
import VolFS

/// The working directory and the calls that add, remove and rename names,
/// in the guest file tree. Each acts on (parent fd, one name), so a symlink
/// swapped into the path cannot move the operation outside the tree.
enum DirectoryCalls {
    /// Getcwd implements Linux syscall getcwd(2) from picorun's record of the
    /// guest's working directory.
    static func getcwd(_ c: GuestCall) throws(TraceeError) -> Outcome {
        // Under a chroot, a cwd outside the root is "(unreachable)/...", as Linux has it.
        let seen = c.caller.underRoot(c.caller.cwd) ?? "(unreachable)" + c.caller.cwd
        let bytes = FileNames.bytes(seen) + [0]
        guard UInt64(bytes.count) <= c.args[1] else { throw TraceeError(.ERANGE) }
        try c.tracee.writeBytes(bytes, at: c.args[0])
        return .value(Int64(bytes.count))
    }

    /// Chdir implements Linux syscall chdir(2).
    static func chdir(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let w = try c.walk(dirfd: AT_FDCWD, path: try c.path(c.args[0]), follow: true)
        defer { w.close() }
        guard w.exists else { throw TraceeError(.ENOENT) }
        try enter(c, fd: w.object, guestPath: w.guestPath)
        return .value(0)
    }

    /// Fchdir implements Linux syscall fchdir(2).
    static func fchdir(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let guest = try c.directory(c.int32(0))
        let w = try c.walk(dirfd: AT_FDCWD, path: FileNames.bytes(guest), follow: true, resolve: .treePath)
        defer { w.close() }
        try enter(c, fd: w.object, guestPath: w.guestPath)
        return .value(0)
    }

    static func enter(_ c: GuestCall, fd: Int32, guestPath: String) throws(TraceeError) {
        try searchable(c, fd)
        c.processes.setCwd(c.caller.tid, guestPath)
    }

    /// A directory the caller may search, as chdir and chroot want theirs.
    static func searchable(_ c: GuestCall, _ fd: Int32) throws(TraceeError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .errno() }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw TraceeError(.ENOTDIR) }
        if let volume = c.volume, let meta = volume.metadata(fd: fd) {
            if !Permissions.allows(meta, c.processes.credentials(c.caller.tid), Permissions.execute) { throw TraceeError(.EACCES) }
        }
        // AT_EACCESS: chdir judges by the fs ids (the performing thread's).
        let r = pico_faccessat2(fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS)
        guard r == 0 else { throw TraceeError(LinuxErrno(Int32(-r))) }
    }

    /// Chroot implements Linux syscall chroot(2): the directory becomes the
    /// "/" of the caller's process and of the children it starts from then
    /// on, kept by picorun; the working directory stays where it was, as in
    /// Linux. CAP_SYS_CHROOT is the guest root's (in a distro), or the host
    /// root's running picorun on the host's own tree.
    static func chroot(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let w = try c.walk(dirfd: AT_FDCWD, path: try c.path(c.args[0]), follow: true)
        defer { w.close() }
        guard w.exists else { throw TraceeError(.ENOENT) }
        try searchable(c, w.object)
        let privileged = c.volume != nil ? c.processes.credentials(c.caller.tid).has(.sysChroot) : geteuid() == 0
        guard privileged else { throw TraceeError(.EPERM) }
        c.processes.setRoot(c.caller.tid, w.guestPath)
        return .value(0)
    }

    /// A final component that must not exist yet.
    static func newName(_ c: GuestCall, dirfd: Int32, path: UInt64) throws(TraceeError) -> GuestFileTree.Walk {
        let w = try c.walk(dirfd: dirfd, path: try c.path(path), follow: false)
        if w.exists || w.name.isEmpty {
            w.close()
            throw TraceeError(.EEXIST)
        }
        return w
    }

    /// An existing final component, not followed.
    static func existing(_ c: GuestCall, dirfd: Int32, path: UInt64) throws(TraceeError) -> GuestFileTree.Walk {
        let w = try c.walk(dirfd: dirfd, path: try c.path(path), follow: false)
        guard w.exists, !w.trailingSlash else {
            w.close()
            throw TraceeError(w.exists ? .ENOTDIR : .ENOENT)
        }
        return w
    }

    static func check(_ r: Int32) throws(TraceeError) -> Outcome {
        guard r == 0 else { throw .errno() }
        return .value(0)
    }

    /// Mkdir implements Linux syscall mkdir(2).
    static func mkdir(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try mkdirAt(c, dirfd: AT_FDCWD, path: c.args[0], mode: c.args[1])
    }

    /// Mkdirat implements Linux syscall mkdirat(2).
    static func mkdirat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try mkdirAt(c, dirfd: c.int32(0), path: c.args[1], mode: c.args[2])
    }

    static func mkdirAt(_ c: GuestCall, dirfd: Int32, path: UInt64, mode: UInt64) throws(TraceeError) -> Outcome {
        let w = try newName(c, dirfd: dirfd, path: path)
        defer { w.close() }
        try Permissions.checkParent(c, w)
        let guest = UInt32(mode & 0o7777) & ~UInt32(c.umask())
        let host = c.volume == nil ? guest : Metadata.hostPermissions(guestMode: guest, isDirectory: true)
        guard Glibc.mkdirat(w.parent, w.cName, mode_t(host)) == 0 else { throw .errno() }
        Ownership.created(c, w, mode: S_IFDIR | guest)
        return .value(0)
    }

    /// Mknod implements Linux syscall mknod(2).
    static func mknod(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try mknodAt(c, dirfd: AT_FDCWD, path: c.args[0], mode: c.args[1], dev: c.args[2])
    }

    /// Mknodat implements Linux syscall mknodat(2).
    static func mknodat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try mknodAt(c, dirfd: c.int32(0), path: c.args[1], mode: c.args[2], dev: c.args[3])
    }

    static func mknodAt(_ c: GuestCall, dirfd: Int32, path: UInt64, mode: UInt64, dev: UInt64) throws(TraceeError) -> Outcome {
        let m = UInt32(truncatingIfNeeded: mode)
        var type = m & S_IFMT
        if type == 0 { type = S_IFREG }
        if type == S_IFDIR { throw TraceeError(.EPERM) }  // mkdir(2) makes directories
        guard [S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].contains(type) else {
            throw TraceeError(.EINVAL)
        }
        let w = try newName(c, dirfd: dirfd, path: path)
        defer { w.close() }
        try Permissions.checkParent(c, w)
        if let e = c.semantics(w).mayMake(type: type, caller: c.processes.credentials(c.caller.tid).fileCaller) { throw TraceeError(e) }
        var perms = (m & 0o7777) & ~UInt32(c.umask())
        // A host file made through a mount never carries setuid or setgid
        // bits: they would be the host's, for whoever runs it there.
        if c.volume != nil && w.mount.kind != .volume { perms &= 0o1777 }
        guard c.volume != nil, w.mount.kind == .volume else {
            return try check(Glibc.mknodat(w.parent, w.cName, mode_t(type | perms), dev_t(dev)))
        }
        // In a distro, devices and sockets are empty host files whose type
        // lives in the sidecar, as WSL1 keeps them; a FIFO stays a real one.
        let isDevice = type == S_IFCHR || type == S_IFBLK
        let host = Metadata.hostPermissions(guestMode: perms, isDirectory: false)
        if type == S_IFIFO {
            guard Glibc.mkfifoat(w.parent, w.cName, mode_t(host)) == 0 else { throw .errno() }
        } else {
            let fd = Glibc.openat(w.parent, w.cName, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode_t(host))
            guard fd >= 0 else { throw .errno() }
            close(fd)
        }
        Ownership.created(c, w, mode: type | perms, rdev: isDevice ? dev : 0)
        return .value(0)
    }

    /// Rmdir implements Linux syscall rmdir(2).
    static func rmdir(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try unlinkAt(c, dirfd: AT_FDCWD, path: c.args[0], flags: AT_REMOVEDIR)
    }

    /// rmdir's answer for a path ending in "." (EINVAL) or ".." (ENOTEMPTY),
    /// whatever they name.
    static func dotEnding(_ raw: [UInt8]) -> LinuxErrno? {
        let last = raw.split(separator: UInt8(ascii: "/")).last.map(Array.init) ?? []
        return last == [0x2e] ? .EINVAL : last == [0x2e, 0x2e] ? .ENOTEMPTY : nil
    }

    /// Unlink implements Linux syscall unlink(2).
    static func unlink(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try unlinkAt(c, dirfd: AT_FDCWD, path: c.args[0], flags: 0)
    }

    /// Unlinkat implements Linux syscall unlinkat(2).
    static func unlinkat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        guard c.args[2] & ~0x200 == 0 else { throw TraceeError(.EINVAL) }
        return try unlinkAt(c, dirfd: c.int32(0), path: c.args[1], flags: Int32(c.args[2]))
    }

    static func unlinkAt(_ c: GuestCall, dirfd: Int32, path: UInt64, flags: Int32) throws(TraceeError) -> Outcome {
        if flags & AT_REMOVEDIR != 0, let e = dotEnding(try c.path(path)) {
            _ = try existing(c, dirfd: dirfd, path: path).close()
            throw TraceeError(e)
        }
        let w = try existing(c, dirfd: dirfd, path: path)
        defer { w.close() }
        guard !w.name.isEmpty else { throw TraceeError(flags & AT_REMOVEDIR != 0 ? .EBUSY : .EISDIR) }
        return try remove(c, w, flags: flags)
    }

    /// Removes the walked name; the sidecar forgets a file that is then gone.
    static func remove(_ c: GuestCall, _ w: GuestFileTree.Walk, flags: Int32) throws(TraceeError) -> Outcome {
        try Permissions.checkRemoval(c, w)
        let forget = c.volume?.removal(dirfd: w.parent, name: w.name)
        guard Glibc.unlinkat(w.parent, w.cName, flags) == 0 else { throw .errno() }
        if flags & AT_REMOVEDIR != 0 { c.tree.directoriesChanged() }
        forget?()
        return .value(0)
    }

    /// Rename implements Linux syscall rename(2).
    static func rename(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try renameAt(c, old: (AT_FDCWD, c.args[0]), new: (AT_FDCWD, c.args[1]), flags: 0)
    }

    /// Renameat implements Linux syscall renameat(2).
    static func renameat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try renameAt(c, old: (c.int32(0), c.args[1]), new: (c.int32(2), c.args[3]), flags: 0)
    }

    /// Renameat2 implements Linux syscall renameat2(2).
    static func renameat2(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try renameAt(c, old: (c.int32(0), c.args[1]), new: (c.int32(2), c.args[3]), flags: UInt32(truncatingIfNeeded: c.args[4]))
    }

    static func renameAt(_ c: GuestCall, old: (Int32, UInt64), new: (Int32, UInt64), flags: UInt32) throws(TraceeError) -> Outcome {
        let from = try existing(c, dirfd: old.0, path: old.1)
        defer { from.close() }
        let to = try c.walk(dirfd: new.0, path: try c.path(new.1), follow: false)
        defer { to.close() }
        guard !from.name.isEmpty, !to.name.isEmpty else { throw TraceeError(.EBUSY) }
        // "new/" only names a directory: a file moved there is ENOTDIR.
        var st = stat()
        let movingDirectory = fstat(from.object, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
        let newEndsInSlash = try c.path(new.1).last == UInt8(ascii: "/")
        if (to.trailingSlash && to.exists) || (newEndsInSlash && !movingDirectory) {
            throw TraceeError(.ENOTDIR)
        }
        try Permissions.checkRemoval(c, from)
        if to.exists { try Permissions.checkRemoval(c, to) } else { try Permissions.checkParent(c, to) }
        // A replaced destination is gone (RENAME_EXCHANGE keeps both).
        let forget = flags & 2 == 0 && to.exists ? c.volume?.removal(dirfd: to.parent, name: to.name) : nil
        let r = pico_renameat2(from.parent, from.cName, to.parent, to.cName, flags)
        guard r == 0 else { throw TraceeError(LinuxErrno(Int32(-r))) }
        // A directory moved (or, exchanged, either name): cached paths under it are wrong.
        if movingDirectory || flags & 2 != 0 { c.tree.directoriesChanged() }
        forget?()
        return .value(0)
    }

    /// Link implements Linux syscall link(2).
    static func link(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try linkAt(c, old: (AT_FDCWD, c.args[0]), new: (AT_FDCWD, c.args[1]), flags: 0)
    }

    /// Linkat implements Linux syscall linkat(2).
    static func linkat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try linkAt(c, old: (c.int32(0), c.args[1]), new: (c.int32(2), c.args[3]), flags: c.args[4])
    }

    static func linkAt(_ c: GuestCall, old: (Int32, UInt64), new: (Int32, UInt64), flags: UInt64) throws(TraceeError) -> Outcome {
        let symlinkFollow = UInt64(AT_SYMLINK_FOLLOW)
        guard flags & ~(symlinkFollow | UInt64(AT_EMPTY_PATH)) == 0 else { throw TraceeError(.EINVAL) }
        let raw = try c.path(old.1)
        if raw.isEmpty {
            // Linking an fd: the fd must be valid, the new name free, and then
            // CAP_DAC_READ_SEARCH is needed, which an unprivileged kernel lacks (ENOENT).
            guard flags & UInt64(AT_EMPTY_PATH) != 0 else { throw TraceeError(.ENOENT) }
            try c.fdObject(old.0).close()
            let to = try newName(c, dirfd: new.0, path: new.1)
            to.close()
            throw TraceeError(.ENOENT)
        }
        let from = try c.walk(dirfd: old.0, path: raw, follow: flags & symlinkFollow != 0)
        defer { from.close() }
        guard from.exists else { throw TraceeError(.ENOENT) }
        if from.trailingSlash { throw TraceeError(.ENOTDIR) }
        let to = try newName(c, dirfd: new.0, path: new.1)
        defer { to.close() }
        try Permissions.checkParent(c, to)
        try Permissions.rule(c, from, fd: from.object) { Rulebook.mayHardlink($0, $1, protected: Rulebook.protectedHardlinks) }
        if flags & symlinkFollow != 0 {
            return try check(Glibc.linkat(AT_FDCWD, procPath(from.object), to.parent, to.cName, AT_SYMLINK_FOLLOW))
        }
        guard !from.name.isEmpty else { throw TraceeError(.EPERM) }
        return try check(Glibc.linkat(from.parent, from.cName, to.parent, to.cName, 0))
    }

    /// Symlink implements Linux syscall symlink(2).
    static func symlink(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try symlinkAt(c, target: c.args[0], dirfd: AT_FDCWD, path: c.args[1])
    }

    /// Symlinkat implements Linux syscall symlinkat(2).
    static func symlinkat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try symlinkAt(c, target: c.args[0], dirfd: c.int32(1), path: c.args[2])
    }

    static func symlinkAt(_ c: GuestCall, target: UInt64, dirfd: Int32, path: UInt64) throws(TraceeError) -> Outcome {
        // The target is stored as text and read back by the walker, inside the tree.
        let text = try c.path(target)
        guard !text.isEmpty else { throw TraceeError(.ENOENT) }
        let w = try newName(c, dirfd: dirfd, path: path)
        defer { w.close() }
        try Permissions.checkParent(c, w)
        // The target is the guest's bytes as they are, whatever their encoding.
        guard Glibc.symlinkat(text.map { CChar(bitPattern: $0) } + [0], w.parent, w.cName) == 0 else { throw .errno() }
        Ownership.created(c, w, mode: S_IFLNK | 0o777)
        return .value(0)
    }
}
