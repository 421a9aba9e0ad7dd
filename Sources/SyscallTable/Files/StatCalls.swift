import FileNames
import CPicoLinux
import Glibc
import LinuxABI
import PicoCore
import VolFS

/// The stat family, access(2) and readlink(2) in the guest file tree: the
/// supervisor resolves, asks the host, and writes the answer into the guest.
enum StatCalls {
    /// Stat implements Linux syscall stat(2).
    static func stat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try statAt(c, dirfd: AT_FDCWD, path: c.args[0], buffer: c.args[1], flags: 0)
    }

    /// Lstat implements Linux syscall lstat(2).
    static func lstat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try statAt(c, dirfd: AT_FDCWD, path: c.args[0], buffer: c.args[1], flags: UInt64(AT_SYMLINK_NOFOLLOW))
    }

    /// Newfstatat implements Linux syscall newfstatat(2).
    static func newfstatat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        guard c.args[3] & ~statFlags == 0 else { throw TraceeError(.EINVAL) }
        return try statAt(c, dirfd: c.int32(0), path: c.args[1], buffer: c.args[2], flags: c.args[3])
    }

    /// AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH.
    static let statFlags = UInt64(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)

    static func statAt(_ c: GuestCall, dirfd: Int32, path: UInt64, buffer: UInt64, flags: UInt64) throws(TraceeError) -> Outcome {
        var st = Glibc.stat()
        let follow = flags & UInt64(AT_SYMLINK_NOFOLLOW) == 0
        let w = try c.existingObject(dirfd: dirfd, path: path, flags: flags, nullIsEmpty: true, answerFinal: { dirfd, name, mount in
            answer(c, dirfd, name, mount, follow: follow, into: &st)
        }, answerHeld: { fd in answer(c, held: fd, into: &st) })
        defer { w.close() }
        if !w.answered {
            if let seen = w.hostStat { st = seen } else {
                guard fstatat(w.object, "", &st, AT_EMPTY_PATH) == 0 else { throw .errno() }
            }
            Ownership.overlay(&st, c, w)
        }
        try c.write(st, to: buffer)
        return .value(0)
    }

    /// fstat's answer from the fd alone, where the file's device tells its
    /// mount (no readlink of its path): the host's, or the sidecar's view
    /// of a distro file.
    static func answer(_ c: GuestCall, held fd: Int32, into st: inout Glibc.stat) -> Bool {
        guard let volume = c.volume else { return Glibc.fstat(fd, &st) == 0 }
        guard let (meta, host) = volume.describe(fd: fd), let mount = c.tree.mount(ofDevice: host.dev) else { return false }
        switch mount.kind {
        case .volume: st = host.asStat; Ownership.apply(meta, to: &st)
        case .host: st = host.asStat
        case .drvfs: return false
        }
        return true
    }

    /// stat's answer from the final name's directory, in one call and no
    /// fd of the object: the host's stat, or in a distro the statx that
    /// also names the sidecar row. False (the walk opens the object) for a
    /// symlink to follow, an error (the walk reports it as it would), and
    /// DrvFS folders, whose modes need the object itself.
    static func answer(_ c: GuestCall, _ dirfd: Int32, _ name: String, _ mount: GuestFileTree.Mount,
                       follow: Bool, into st: inout Glibc.stat) -> Bool {
        if let volume = c.volume, mount.kind == .volume {
            guard let (meta, host) = volume.describe(dirfd: dirfd, name: name),
                  !(follow && host.mode & UInt32(S_IFMT) == UInt32(S_IFLNK)) else { return false }
            st = host.asStat
            Ownership.apply(meta, to: &st)
            return true
        }
        guard mount.kind != .drvfs, fstatat(dirfd, FileNames.cString(name), &st, AT_SYMLINK_NOFOLLOW) == 0 else { return false }
        return !(follow && st.st_mode & S_IFMT == S_IFLNK)
    }

    /// Fstat implements Linux syscall fstat(2) in distro runs (the sidecar's
    /// owners and modes), on the supervisor's duplicate of the guest's fd.
    /// It is newfstatat(fd, NULL, AT_EMPTY_PATH), except that AT_FDCWD names no fd.
    static func fstat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        guard c.int32(0) >= 0 else { throw TraceeError(.EBADF) }
        return try statAt(c, dirfd: c.int32(0), path: 0, buffer: c.args[1], flags: UInt64(AT_EMPTY_PATH))
    }

    /// Statx implements Linux syscall statx(2).
    static func statx(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let flags = c.args[2]
        // AT_STATX_FORCE_SYNC with DONT_SYNC, unknown flags, or the reserved mask bit.
        guard flags & ~(statFlags | UInt64(AT_STATX_SYNC_TYPE)) == 0, flags & UInt64(AT_STATX_SYNC_TYPE) != UInt64(AT_STATX_SYNC_TYPE), c.args[3] & 0x8000_0000 == 0 else {
            throw TraceeError(.EINVAL)
        }
        let w = try c.existingObject(dirfd: c.int32(0), path: c.args[1], flags: flags, nullIsEmpty: true)
        defer { w.close() }
        var buf = [UInt8](repeating: 0, count: 256)
        let sync = Int32(truncatingIfNeeded: flags & UInt64(AT_STATX_SYNC_TYPE))
        let r = buf.withUnsafeMutableBytes { pico_statx(w.object, "", AT_EMPTY_PATH | sync, UInt32(truncatingIfNeeded: c.args[3]), $0.baseAddress) }
        guard r == 0 else { throw TraceeError(LinuxErrno(Int32(-r))) }
        Ownership.overlay(statx: &buf, c, w)
        try c.tracee.writeBytes(buf, at: c.args[4])
        return .value(0)
    }

    /// Access implements Linux syscall access(2).
    static func access(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try accessAt(c, dirfd: AT_FDCWD, path: c.args[0], mode: c.args[1], flags: 0)
    }

    /// Faccessat implements Linux syscall faccessat(2) (no flags argument).
    static func faccessat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try accessAt(c, dirfd: c.int32(0), path: c.args[1], mode: c.args[2], flags: 0)
    }

    /// Faccessat2 implements Linux syscall faccessat2(2).
    static func faccessat2(_ c: GuestCall) throws(TraceeError) -> Outcome {
        guard c.args[3] & ~0x1300 == 0 else { throw TraceeError(.EINVAL) }  // AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH
        return try accessAt(c, dirfd: c.int32(0), path: c.args[1], mode: c.args[2], flags: c.args[3])
    }

    static func accessAt(_ c: GuestCall, dirfd: Int32, path: UInt64, mode: UInt64, flags: UInt64) throws(TraceeError) -> Outcome {
        guard mode & ~7 == 0 else { throw TraceeError(.EINVAL) }
        let w = try c.existingObject(dirfd: dirfd, path: path, flags: flags)
        defer { w.close() }
        let eaccess = Int32(truncatingIfNeeded: flags & 0x200)
        if w.mount.kind == .volume, let volume = c.volume, let meta = volume.metadata(fd: w.object) {
            // A distro file: the sidecar decides, for the real ids unless AT_EACCESS.
            let k = c.processes.credentials(c.caller.tid)
            let verdict = eaccess != 0 ? Rulebook.mayAccess(meta, k.fileCaller, UInt32(mode))
                : Rulebook.mayAccessByRealIDs(meta, ruid: k.ruid, rgid: k.rgid, groups: k.groups, permitted: k.permitted, UInt32(mode))
            if let verdict { throw TraceeError(verdict) }
            if mode & 2 != 0 && w.mount.readOnly { throw TraceeError(.EROFS) }
            return .value(0)
        }
        let r: Int
        if eaccess == 0, c.volume == nil, HostIdentity.supervisorIsRoot, let who = c.processes.hostIdentity(c.caller.tid) {
            // access(2) judges by the real ids: the performing thread takes
            // the caller's for the check (the kernel would take the thread's own).
            r = who.withRealIDs { pico_faccessat2(w.object, "", Int32(mode), AT_EMPTY_PATH | AT_EACCESS) }
        } else {
            r = pico_faccessat2(w.object, "", Int32(mode), AT_EMPTY_PATH | eaccess)
        }
        guard r == 0 else { throw TraceeError(LinuxErrno(Int32(-r))) }
        return .value(0)
    }

    /// Readlink implements Linux syscall readlink(2).
    static func readlink(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try readlinkAt(c, dirfd: AT_FDCWD, path: c.args[0], buffer: c.args[1], size: c.args[2])
    }

    /// Readlinkat implements Linux syscall readlinkat(2).
    static func readlinkat(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try readlinkAt(c, dirfd: c.int32(0), path: c.args[1], buffer: c.args[2], size: c.args[3])
    }

    static func readlinkAt(_ c: GuestCall, dirfd: Int32, path: UInt64, buffer: UInt64, size: UInt64) throws(TraceeError) -> Outcome {
        // bufsiz is an int.
        guard Int32(truncatingIfNeeded: size) > 0 else { throw TraceeError(.EINVAL) }
        let raw = try c.path(path)
        // readlinkat(fd, "") names the fd's own symlink; anything else is ENOENT.
        if raw.isEmpty && dirfd == AT_FDCWD { throw TraceeError(.ENOENT) }
        let w = raw.isEmpty ? try c.fdObject(dirfd) : try c.walk(dirfd: dirfd, path: raw, follow: false)
        defer { w.close() }
        guard w.exists else { throw TraceeError(.ENOENT) }
        if w.trailingSlash { throw TraceeError(.ENOTDIR) }
        if let pid = c.tree.procLinkOwner(w), let mayAccess = c.tree.procAccess, !mayAccess(c.caller, pid) {
            throw TraceeError(.EACCES)
        }
        let target: String
        if let answer = procLinkAnswer(c, w) {
            target = answer
        } else {
            var st = Glibc.stat()
            guard Glibc.fstat(w.object, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else {
                throw TraceeError(raw.isEmpty ? .ENOENT : .EINVAL)
            }
            guard let t = GuestFileTree.readLink(w.object) else { throw .errno() }
            // The kernel's answers under /proc are host paths; the guest sees guest paths.
            target = w.mount.isProc && t.hasPrefix("/") ? (c.tree.guestPath(ofHost: t).map(c.caller.visible) ?? t) : t
        }
        let bytes = Array(FileNames.bytes(target).prefix(Int(min(UInt32(truncatingIfNeeded: size), 4096))))
        try c.tracee.writeBytes(bytes, at: buffer)
        return .value(Int64(bytes.count))
    }

    /// /proc/PID/{exe,cwd,root} of a guest process, answered from picorun's
    /// own records (the kernel would name the loader stub and host paths).
    static func procLinkAnswer(_ c: GuestCall, _ w: GuestFileTree.Walk) -> String? {
        guard w.mount.isProc else { return nil }
        let parts = w.guestPath.dropFirst(w.mount.guestPath.count).split(separator: "/")
        guard parts.count == 2, let pid = pid_t(parts[0]), c.processes.isGuest(pid) else { return nil }
        switch parts[1] {
        case "exe": return c.processes.withImage(ofProcess: pid) { c.tree.linkText(ofHeld: $0, caller: c.caller) }
        case "cwd": return c.processes.cwd(ofProcess: pid).map(c.caller.visible)
        case "root": return c.processes.root(ofProcess: pid).map(c.caller.visible)
        default: return nil
        }
    }
}
