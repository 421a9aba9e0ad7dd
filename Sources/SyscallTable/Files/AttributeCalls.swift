import CPicoLinux
import Glibc
import LinuxABI
import PicoCore
import VolFS

/// Calls that change or read a file's attributes by path, in the guest file
/// tree: the supervisor acts on the exact object the walk found, through
/// its O_PATH fd (or /proc/self/fd/N where the call only takes a path).
enum AttributeCalls {
    static func object(_ c: GuestCall, dirfd: Int32, path: UInt64, follow: Bool) throws(TraceeError) -> GuestFileTree.Walk {
        try c.existingObject(dirfd: dirfd, path: path, flags: follow ? 0 : UInt64(AT_SYMLINK_NOFOLLOW))
    }

    static func isSymlink(_ fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK
    }

    static func check(_ r: Int32) throws(TraceeError) -> Outcome {
        guard r == 0 else { throw .errno() }
        return .value(0)
    }

    /// Chmod implements Linux syscall chmod(2).
    static func chmod(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try chmodAt(c, dirfd: AT_FDCWD, path: c.args[0], mode: c.args[1], flags: 0)
    }

    /// Fchmodat implements Linux syscall fchmodat(2) (no flags argument).
    static func fchmodat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try chmodAt(c, dirfd: c.int32(0), path: c.args[1], mode: c.args[2], flags: 0)
    }

    /// Fchmodat2 implements Linux syscall fchmodat2(2).
    static func fchmodat2(_ c: GuestCall) throws(TraceeError) -> Outcome {
        guard c.args[3] & ~0x1100 == 0 else { throw TraceeError(.EINVAL) }  // AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH
        return try chmodAt(c, dirfd: c.int32(0), path: c.args[1], mode: c.args[2], flags: c.args[3])
    }

    static func chmodAt(_ c: GuestCall, dirfd: Int32, path: UInt64, mode: UInt64, flags: UInt64) throws(TraceeError) -> Outcome {
        let w = try c.existingObject(dirfd: dirfd, path: path, flags: flags)
        defer { w.close() }
        if isSymlink(w.object) { throw TraceeError(.EOPNOTSUPP) }
        return try Ownership.changeMode(c, w, mode: UInt32(truncatingIfNeeded: mode))
    }

    /// Fchmod implements Linux syscall fchmod(2) in distro runs.
    static func fchmod(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let w = try c.fdObject(c.int32(0))
        defer { w.close() }
        return try Ownership.changeMode(c, w, mode: UInt32(truncatingIfNeeded: c.args[1]))
    }

    /// Fchown implements Linux syscall fchown(2) in distro runs.
    static func fchown(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let w = try c.fdObject(c.int32(0))
        defer { w.close() }
        return try Ownership.changeOwner(c, w, uid: UInt32(truncatingIfNeeded: c.args[1]),
                                         gid: UInt32(truncatingIfNeeded: c.args[2]))
    }

    /// Chown implements Linux syscall chown(2).
    static func chown(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try chownAt(c, dirfd: AT_FDCWD, path: c.args[0], uid: c.args[1], gid: c.args[2], flags: 0)
    }

    /// Lchown implements Linux syscall lchown(2).
    static func lchown(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try chownAt(c, dirfd: AT_FDCWD, path: c.args[0], uid: c.args[1], gid: c.args[2], flags: UInt64(AT_SYMLINK_NOFOLLOW))
    }

    /// Fchownat implements Linux syscall fchownat(2).
    static func fchownat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        guard c.args[4] & ~0x1100 == 0 else { throw TraceeError(.EINVAL) }
        return try chownAt(c, dirfd: c.int32(0), path: c.args[1], uid: c.args[2], gid: c.args[3], flags: c.args[4])
    }

    static func chownAt(_ c: GuestCall, dirfd: Int32, path: UInt64, uid: UInt64, gid: UInt64, flags: UInt64) throws(TraceeError) -> Outcome {
        let w = try c.existingObject(dirfd: dirfd, path: path, flags: flags)
        defer { w.close() }
        return try Ownership.changeOwner(c, w, uid: UInt32(truncatingIfNeeded: uid), gid: UInt32(truncatingIfNeeded: gid))
    }

    /// Utimensat implements Linux syscall utimensat(2).
    static func utimensat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        // A NULL path is futimens(2) on the dirfd: no path to resolve, and
        // only a guest the sidecar restricts needs the supervisor to do it.
        let nullPath = c.args[1] == 0
        if nullPath && (c.int32(0) == AT_FDCWD || Permissions.applies(c) == nil) { return .continueCall }
        if nullPath && c.args[3] != 0 { throw TraceeError(.EINVAL) }
        var times: [timespec]? = nil
        if c.args[2] != 0 {
            let b = try c.tracee.readBytes(at: c.args[2], count: 32)
            func word(_ i: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[i * 8 + $1]) << (8 * $1) } }
            times = [timespec(tv_sec: word(0), tv_nsec: word(1)), timespec(tv_sec: word(2), tv_nsec: word(3))]
            // Both UTIME_OMIT: Linux returns 0 before looking at anything else.
            if times!.allSatisfy({ $0.tv_nsec == UTIME_OMIT }) { return .value(0) }
        }
        if nullPath {
            let w = try c.fdObject(c.int32(0))
            defer { w.close() }
            return try setTimes(c, w, times: times, nofollow: false)
        }
        return try setTimes(c, dirfd: c.int32(0), path: c.args[1], times: times, flags: c.args[3])
    }

    /// Utime implements Linux syscall utime(2).
    static func utime(_ c: GuestCall) throws(TraceeError) -> Outcome {
        var times: [timespec]? = nil
        if c.args[1] != 0 {
            let b = try c.tracee.readBytes(at: c.args[1], count: 16)
            func word(_ i: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[i * 8 + $1]) << (8 * $1) } }
            times = [timespec(tv_sec: word(0), tv_nsec: 0), timespec(tv_sec: word(1), tv_nsec: 0)]
        }
        return try setTimes(c, dirfd: AT_FDCWD, path: c.args[0], times: times, flags: 0)
    }

    /// Utimes implements Linux syscall utimes(2).
    static func utimes(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try timevalTimes(c, dirfd: AT_FDCWD, path: c.args[0], tv: c.args[1])
    }

    /// Futimesat implements Linux syscall futimesat(2).
    static func futimesat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try timevalTimes(c, dirfd: c.int32(0), path: c.args[1], tv: c.args[2])
    }

    static func timevalTimes(_ c: GuestCall, dirfd: Int32, path: UInt64, tv: UInt64) throws(TraceeError) -> Outcome {
        var times: [timespec]? = nil
        if tv != 0 {
            let b = try c.tracee.readBytes(at: tv, count: 32)
            func word(_ i: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[i * 8 + $1]) << (8 * $1) } }
            guard word(1) >= 0 && word(1) < 1_000_000 && word(3) >= 0 && word(3) < 1_000_000 else { throw TraceeError(.EINVAL) }
            times = [timespec(tv_sec: word(0), tv_nsec: word(1) * 1000), timespec(tv_sec: word(2), tv_nsec: word(3) * 1000)]
        }
        return try setTimes(c, dirfd: dirfd, path: path, times: times, flags: 0)
    }

    static func setTimes(_ c: GuestCall, dirfd: Int32, path: UInt64, times: [timespec]?, flags: UInt64) throws(TraceeError) -> Outcome {
        guard flags & ~(UInt64(AT_SYMLINK_NOFOLLOW) | UInt64(AT_EMPTY_PATH)) == 0 else { throw TraceeError(.EINVAL) }
        let nofollow = flags & UInt64(AT_SYMLINK_NOFOLLOW) != 0
        let w = try c.existingObject(dirfd: dirfd, path: path, flags: flags)
        defer { w.close() }
        return try setTimes(c, w, times: times, nofollow: nofollow)
    }


    static func setTimes(_ c: GuestCall, _ w: GuestFileTree.Walk, times: [timespec]?, nofollow: Bool) throws(TraceeError) -> Outcome {
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        // Linux's rules, against the sidecar's owner: explicit times are the
        // owner's to set; "now" also anyone who may write the file.
        let onlyNow = times?.allSatisfy { $0.tv_nsec == UTIME_NOW || $0.tv_nsec == UTIME_OMIT } ?? true
        try Permissions.rule(c, w, fd: w.object) { Rulebook.maySetTimes($0, $1, toNow: onlyNow) }
        let r: Int32
        if nofollow && isSymlink(w.object) && !w.name.isEmpty {
            r = times.withOptionalBuffer { Glibc.utimensat(w.parent, w.cName, $0, AT_SYMLINK_NOFOLLOW) }
        } else {
            r = times.withOptionalBuffer { Glibc.utimensat(AT_FDCWD, procPath(w.object), $0, 0) }
        }
        return try check(r)
    }

    /// Truncate implements Linux syscall truncate(2).
    static func truncate(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let w = try object(c, dirfd: AT_FDCWD, path: c.args[0], follow: true)
        defer { w.close() }
        var st = stat()
        guard fstat(w.object, &st) == 0 else { throw .errno() }
        if st.st_mode & S_IFMT == S_IFDIR { throw TraceeError(.EISDIR) }
        try Permissions.check(c, w, fd: w.object, Permissions.write)
        let fd = open(procPath(w.object), O_WRONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .errno() }
        defer { close(fd) }
        let r = try check(ftruncate(fd, off_t(Int64(bitPattern: c.args[1]))))
        Ownership.written(c, w)
        return r
    }

    /// Statfs implements Linux syscall statfs(2).
    static func statfs(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let w = try object(c, dirfd: AT_FDCWD, path: c.args[0], follow: true)
        defer { w.close() }
        // struct statfs is 120 bytes on x86-64; the C shim fills it.
        var buf = [UInt8](repeating: 0, count: 120)
        let r = buf.withUnsafeMutableBytes { pico_statfs(procPath(w.object), $0.baseAddress) }
        guard r == 0 else { throw TraceeError(LinuxErrno(Int32(-r))) }
        try c.tracee.writeBytes(buf, at: c.args[1])
        return .value(0)
    }
}

extension Optional where Wrapped == [timespec] {
    func withOptionalBuffer<R>(_ body: (UnsafePointer<timespec>?) -> R) -> R {
        guard let self else { return body(nil) }
        return self.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
