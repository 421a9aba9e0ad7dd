import CPicoLinux
import Glibc
import LinuxABI

/// /proc's magic links as the walker meets them.
///
/// Why this shape: on Linux, following /proc/PID/fd/N or /proc/PID/exe does
/// not resolve a path at all; it hands over the object the process holds
/// (a pipe, a deleted file, a memfd, a socket, the running image). The
/// kernel's readlink text of such a link is a host path or a name like
/// "pipe:[123]", which the walker cannot re-walk. So the walker names the
/// link (`ProcLink`), asks whoever tracks guest processes for the object
/// itself (`procObject`), and only falls back to re-walking a guest path for
/// directories, whose guest path the caller's cwd needs. Who may reach
/// another process's links is the kernel's rule (`procAccess`), judged with
/// the caller's own credentials, never the supervisor's: the supervisor
/// itself may read every guest's /proc, and must not lend that.
public struct ProcLink: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case fd(Int32)
        case exe, cwd, root
    }
    /// The thread group whose link it is.
    public let pid: pid_t
    /// The thread named (/proc/PID/task/TID/...), or `pid`.
    public let tid: pid_t
    public let kind: Kind

    /// The link at `name` in directory `dir` (a path below /proc's mount,
    /// split: ["123"], ["123", "fd"], ["123", "task", "124", "fd"]).
    init?(in dir: [Substring], name: String) {
        var parts = dir
        let fdDir = parts.last == "fd"
        if fdDir { parts.removeLast() }
        guard let pid = parts.first.flatMap({ pid_t($0) }), pid > 0 else { return nil }
        var tid = pid
        if parts.count == 3 {
            guard parts[1] == "task", let t = pid_t(parts[2]), t > 0 else { return nil }
            tid = t
        } else if parts.count != 1 {
            return nil
        }
        let kind: Kind
        if fdDir {
            guard let n = Int32(name), n >= 0, String(n) == name else { return nil }
            kind = .fd(n)
        } else {
            switch name {
            case "exe": kind = .exe
            case "cwd": kind = .cwd
            case "root": kind = .root
            default: return nil
            }
        }
        self.pid = pid
        self.tid = tid
        self.kind = kind
    }

    public init(pid: pid_t, tid: pid_t, kind: Kind) {
        self.pid = pid
        self.tid = tid
        self.kind = kind
    }
}

extension GuestFileTree {
    /// The supervisor's own process: never part of the guest's /proc. Its
    /// fds, memory and environment are picorun's, and the walker opens
    /// /proc with the supervisor's rights (/proc/PICORUN/mem would be the
    /// supervisor writing into itself for the guest).
    public static let supervisorPid = getpid()

    /// What a guest may see of the supervisor, the first guest's parent:
    /// that it is there (its /proc directory), and what anyone may read of
    /// any process (stat, status, comm, cmdline), as kill(ppid, 0) and the
    /// sched_get* calls answer for it; nothing of its fds, memory,
    /// environment or mappings. `rest` is what the path names below it.
    static func supervisorShows(_ rest: [Substring]) -> Bool {
        rest.isEmpty || (rest.count == 1 && ["stat", "status", "comm", "cmdline"].contains(rest[0]))
    }

    /// Whether `pid` names the supervisor or one of its threads.
    static func isSupervisorTask(_ pid: pid_t) -> Bool {
        pid == supervisorPid || faccessat(AT_FDCWD, "/proc/self/task/\(pid)", F_OK, 0) == 0
    }

    /// The process that a component of /proc names as its owner (the PID
    /// of /proc/PID/... and of /proc/PID/task/TID/...), for the kernel's
    /// access rule on fd/, exe, cwd and root; nil elsewhere.
    static func procOwner(of dir: [Substring]) -> pid_t? {
        guard let first = dir.first, let pid = pid_t(first), pid > 0 else { return nil }
        return pid
    }

    /// The supervisor's own name for an object the walker holds: what the
    /// kernel's readlink of the fd shows, as a guest path where it lies in
    /// the tree ("pipe:[N]", "/memfd:x (deleted)" and the like stay as the
    /// kernel writes them).
    public func linkText(ofHeld fd: Int32, caller: Caller) -> String? {
        guard let host = Self.fdPath(fd) else { return nil }
        return linkText(host: host, caller: caller)
    }

    /// A host readlink answer from /proc as the guest must see it.
    public func linkText(host: String, caller: Caller) -> String {
        linkText(host: host, guest: host.hasPrefix("/") ? guestPath(ofHost: Self.withoutDeleted(host)) : nil, caller: caller)
    }

    /// The same, from the guest path of the live name (nil: not in the tree).
    func linkText(host: String, guest: String?, caller: Caller) -> String {
        guard let guest else { return host }
        return caller.visible(guest) + (host.hasSuffix(Self.deleted) ? Self.deleted : "")
    }

    static let deleted = " (deleted)"

    /// The name the kernel's readlink gives a file before it appends " (deleted)".
    static func withoutDeleted(_ host: String) -> String {
        host.hasSuffix(deleted) ? String(host.dropLast(deleted.utf8.count)) : host
    }
}

extension GuestFileTree {
    /// The walk's result for an object a magic link handed over (`object`,
    /// which this takes over). nil, with `object` closed, for a directory:
    /// the walker re-walks its guest path instead, so that a cwd set
    /// through it is a path (and one outside the tree stays refused).
    func heldObject(_ object: Int32, caller: Caller, name: String, parentFD: Int32, parentGuestPath: String,
                    procMount: Mount) throws(TraceeError) -> Walk? {
        var st = stat()
        guard fstat(object, &st) == 0 else {
            let e = errno
            close(object)
            throw TraceeError(LinuxErrno(e))
        }
        if st.st_mode & S_IFMT == S_IFDIR {
            close(object)
            return nil
        }
        let parent = dup(parentFD)
        guard parent >= 0 else {
            let e = errno
            close(object)
            throw TraceeError(LinuxErrno(e))
        }
        let host = Self.fdPath(object) ?? ""
        let live = Self.withoutDeleted(host)
        let guest = live.hasPrefix("/") ? guestPath(ofHost: live) : nil
        // A file of the tree keeps its mount's rules (the distro's sidecar);
        // pipes, sockets and anonymous inodes are /proc's, judged by the host.
        let mount = guest != nil ? (self.mount(ofHost: live) ?? procMount) : procMount
        var w = Walk(parent: parent, parentGuestPath: parentGuestPath, name: name, object: object,
                     guestPath: linkText(host: host, guest: guest, caller: caller), mount: mount)
        w.hostStat = st
        // Pipes, sockets and memfds are the guests' own; a named host file
        // outside the tree is the host's.
        w.outsideTree = guest == nil && live.hasPrefix("/") && !live.hasPrefix("/memfd:")
        return w
    }
}

extension GuestFileTree {
    /// The process whose exe, cwd or root link a walk ended on (readlink
    /// of it needs the same access as following it); nil for anything else.
    public func procLinkOwner(_ w: Walk) -> pid_t? {
        guard w.mount.isProc, w.exists else { return nil }
        let parts = w.guestPath.dropFirst(w.mount.guestPath.count).split(separator: "/")
        guard let name = parts.last, ["exe", "cwd", "root"].contains(name),
              parts.count == 2 || (parts.count == 4 && parts[1] == "task") else { return nil }
        return Self.procOwner(of: Array(parts))
    }
}

extension GuestFileTree {
    /// Search permission on a directory the walker holds, for the names the
    /// walker answers itself ("." and ".."): the sidecar's verdict for the
    /// distro's own directories, the kernel's (as the supervisor's thread
    /// is) elsewhere; a name looked up with openat is judged by the kernel.
    static func maySearch(_ dir: WalkedDirectory, _ caller: Caller) -> Bool {
        if let maySearch = caller.maySearch, dir.mount.guestPath == "/" { return maySearch(dir.fd) }
        return pico_faccessat2(dir.fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) == 0  // AT_EACCESS
    }
}
