import Glibc
import LinuxABI
import PicoCore
import VolFS

/// open(2), openat(2), openat2(2), creat(2) in the guest file tree. The
/// supervisor resolves and opens the file itself, then installs the fd in
/// the guest with SECCOMP_ADDFD_FLAG_SEND: the kernel never resolves a
/// guest path, so no race can redirect it.
enum OpenCalls {
    static let oCreat = UInt64(O_CREAT), oExcl = UInt64(O_EXCL), oNofollow = UInt64(O_NOFOLLOW)
    static let oCloexec = UInt64(O_CLOEXEC), oTmpfile = UInt64(O_TMPFILE & ~O_DIRECTORY), oNonblock = UInt64(O_NONBLOCK)
    static let oPath = UInt64(O_PATH), oDirectory = UInt64(O_DIRECTORY)

    /// Open implements Linux syscall open(2).
    static func open(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try openAt(c, dirfd: AT_FDCWD, path: c.args[0], flags: c.args[1], mode: c.args[2])
    }

    /// Openat implements Linux syscall openat(2).
    static func openat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        // The loader stub taking the files its exec validated (LoaderFiles);
        // for anyone else such a dirfd is as bad as on Linux.
        if let index = LoaderFiles.index(ofToken: c.int32(0)) {
            guard let fd = c.processes.loaderFile(tid: c.caller.tid, index: index) else { throw TraceeError(.EBADF) }
            return .fd(fd, cloexec: true)
        }
        return try openAt(c, dirfd: c.int32(0), path: c.args[1], flags: c.args[2], mode: c.args[3])
    }

    /// Creat implements Linux syscall creat(2).
    static func creat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try openAt(c, dirfd: AT_FDCWD, path: c.args[0], flags: oCreat | 1 | 0o1000, mode: c.args[1])
    }

    /// Openat2 implements Linux syscall openat2(2), RESOLVE_* flags included
    /// (the walker applies them; RESOLVE_CACHED answers EAGAIN, which tells
    /// the caller to retry without it).
    static func openat2(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let size = c.args[3]
        guard size >= 24 else { throw TraceeError(.EINVAL) }
        guard size <= 4096 else { throw TraceeError(.E2BIG) }
        let how = try c.tracee.readBytes(at: c.args[2], count: Int(size))
        if how[24...].contains(where: { $0 != 0 }) { throw TraceeError(.E2BIG) }
        func word(_ i: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(how[i * 8 + $1]) << (8 * UInt64($1)) } }
        let (flags, mode, resolve) = (word(0), word(1), GuestFileTree.Resolve(rawValue: word(2)))
        guard flags >> 32 == 0, resolve.rawValue & ~0x3f == 0, mode & ~0o7777 == 0,
              !resolve.contains([.beneath, .inRoot]) else { throw TraceeError(.EINVAL) }
        if mode != 0 && flags & oCreat == 0 && flags & oTmpfile != oTmpfile { throw TraceeError(.EINVAL) }
        // With O_PATH, openat2 takes only O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC besides.
        if flags & oPath != 0 && flags & ~(oPath | oDirectory | oNofollow | oCloexec) != 0 { throw TraceeError(.EINVAL) }
        if resolve.contains(.cached) { throw TraceeError(.EAGAIN) }
        return try openAt(c, dirfd: c.int32(0), path: c.args[1], flags: flags, mode: mode, resolve: resolve)
    }

    static func openAt(_ c: GuestCall, dirfd: Int32, path address: UInt64, flags: UInt64, mode: UInt64,
                       resolve: GuestFileTree.Resolve = []) throws(TraceeError) -> Outcome {
        let raw = try c.path(address)
        let create = flags & oCreat != 0 && flags & oTmpfile != oTmpfile
        // O_CREAT of "name/" is EISDIR whatever exists there.
        if create && raw.last == UInt8(ascii: "/") { throw TraceeError(.EISDIR) }
        let follow = flags & oNofollow == 0 && !(create && flags & oExcl != 0)
        let w = try c.walk(dirfd: dirfd, path: raw, follow: follow, resolve: resolve)
        defer { w.close() }
        let cloexec = flags & oCloexec != 0
        let hostFlags = Int32(truncatingIfNeeded: flags & ~oCloexec) | O_CLOEXEC
        // The umask is read from /proc only when a file is created.
        func perm() -> mode_t { mode_t(mode & 0o7777) & ~c.umask() }
        if !w.exists {
            guard create else { throw TraceeError(.ENOENT) }
            try Permissions.checkParent(c, w)
            // Created by name in its parent; O_NOFOLLOW so a symlink planted
            // there meanwhile is refused, never followed.
            let guest = UInt32(perm())
            let host = c.volume == nil ? guest : Metadata.hostPermissions(guestMode: guest, isDirectory: false)
            let fd = Glibc.openat(w.parent, w.cName, hostFlags | O_NOFOLLOW | O_EXCL, mode_t(host))
            if fd < 0 && errno == EEXIST && flags & oExcl == 0 {
                // Someone else created it since the walk: open theirs, as the kernel would.
                let theirs = Glibc.openat(w.parent, w.cName, hostFlags & ~O_CREAT | O_NOFOLLOW)
                guard theirs >= 0 else { throw .errno() }
                return .fd(theirs, cloexec: cloexec)
            }
            guard fd >= 0 else { throw .errno() }
            Ownership.created(c, w, mode: S_IFREG | guest)
            return .fd(fd, cloexec: cloexec)
        }
        if create && flags & oExcl != 0 { throw TraceeError(.EEXIST) }
        var st = stat()
        guard fstat(w.object, &st) == 0 else { throw .errno() }
        if st.st_mode & S_IFMT == S_IFLNK && flags & oPath == 0 { throw TraceeError(.ELOOP) }
        if st.st_mode & S_IFMT == S_IFDIR && flags & 3 != 0 && flags & oTmpfile != oTmpfile { throw TraceeError(.EISDIR) }
        if flags & oPath == 0 {
            var want = Rulebook.openAccess(flags: UInt32(truncatingIfNeeded: flags))
            if flags & oTmpfile == oTmpfile { want = Permissions.write | Permissions.execute }
            try Permissions.check(c, w, fd: w.object, want)
            if flags & UInt64(O_NOATIME) != 0 { try Permissions.rule(c, w, fd: w.object, Rulebook.mayOpenNoatime) }
        }
        if flags & oTmpfile == oTmpfile {
            let fd = Glibc.open(procPath(w.object), hostFlags & ~Int32(O_NOFOLLOW), perm())
            guard fd >= 0 else { throw .errno() }
            return .fd(fd, cloexec: cloexec)
        }
        // Reopen exactly the object the walk found.
        var reopen = hostFlags & ~Int32(truncatingIfNeeded: oCreat | oExcl | oNofollow)
        if flags & oPath != 0 {
            // The kernel cannot hand an O_PATH file to another process
            // (SECCOMP_IOCTL_NOTIF_ADDFD takes only real files), so the guest
            // gets a read-only fd on the same object: it can do everything an
            // O_PATH fd can, and more; a symlink, a stand-in (PathStandIns).
            // O_PATH|O_DIRECTORY is how programs ask "is this a directory?" (mv, find).
            if flags & oDirectory != 0 && st.st_mode & S_IFMT != S_IFDIR { throw TraceeError(.ENOTDIR) }
            if [S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK].contains(st.st_mode & S_IFMT) {
                return .fd(try c.kernel.standIns.make(for: w.object), cloexec: cloexec)
            }
            reopen = O_RDONLY | O_CLOEXEC | O_NOCTTY | (st.st_mode & S_IFMT == S_IFDIR ? O_DIRECTORY : 0)
        }
        if st.st_mode & S_IFMT == S_IFIFO && flags & oNonblock == 0 {
            // A FIFO open waits for the other end: on a thread of its own, so
            // the notification thread keeps answering (the peer may be a guest).
            let object = dup(w.object)
            guard object >= 0 else { throw .errno() }
            c.kernel.fifoOpens.open(tid: c.caller.tid, object: object, flags: reopen, cloexec: cloexec, respond: c.respond)
            return .deferred
        }
        if st.st_mode & S_IFMT == S_IFIFO { c.kernel.fifoOpens.settle(st) }
        if let maps = ProcMapsView.translated(c, w, flags: flags) { return .fd(maps, cloexec: cloexec) }
        if let status = ProcStatusView.translated(c, w, flags: flags) { return .fd(status, cloexec: cloexec) }
        if let auxv = ProcAuxvView.translated(c, w, flags: flags) { return .fd(auxv, cloexec: cloexec) }
        if let mounts = ProcMountsView.translated(c, w, flags: flags) { return .fd(mounts, cloexec: cloexec) }
        let fd = Glibc.open(procPath(w.object), reopen)
        guard fd >= 0 else { throw .errno() }
        if flags & 0o1000 != 0 && st.st_mode & S_IFMT == S_IFREG { Ownership.written(c, w) }  // O_TRUNC
        return .fd(fd, cloexec: cloexec)
    }
}
