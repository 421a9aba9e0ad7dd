import CPicoLinux
import Glibc
import LinuxABI
import PicoCore
import VolFS

/// One trapped call, however it arrived (a ptrace stop or a seccomp
/// notification; the table's trap column decides which): its arguments,
/// who made it, and the guest's kernel state. Every handler takes one and
/// answers with an `Outcome`, so moving a call from one trap to the other
/// changes its table line, not its handler. What only a ptrace stop can do
/// (rewrite registers, see the exit, the task's loader and tracing state)
/// is under `stop`.
struct GuestCall {
    /// The guest's processes, file tree, metadata and the supervisor's
    /// bookkeeping.
    let kernel: GuestKernel
    let tid: pid_t
    let notifiedArgs: [UInt64]
    let tracee: any Tracee
    /// The ptrace stop the call arrived at; nil for a notification.
    let stop: SyscallContext?
    let notificationRespond: (@Sendable (NotificationReply) -> Void)?
    let storedCaller: GuestFileTree.Caller?

    /// The arguments as the call was made (a stop's registers may be
    /// rewritten after; `arg` reads them as they are).
    var args: [UInt64] {
        guard let stop else { return notifiedArgs }
        return (0..<6).map { stop.arg($0) }
    }

    /// Answers a notification later, for a `.deferred` outcome.
    var respond: @Sendable (Outcome) -> Void {
        guard let answer = notificationRespond else { preconditionFailure("only a notification is answered later") }
        return { answer($0.notificationReply) }
    }

    var processes: GuestProcesses { kernel.processes }
    /// The distro's metadata, in distro runs.
    var volume: Volume? { kernel.volume }
    /// The distro's configured host name, if any.
    var hostname: String? { kernel.hostname }

    /// The guest file tree. Calls trapped to resolve a path always have one:
    /// without a tree (tests of the table only) they are never trapped.
    var tree: GuestFileTree {
        guard let tree = kernel.tree else { preconditionFailure("a path handler ran without a guest file tree") }
        return tree
    }

    /// The caller as the walker judges it: cwd, root, identity and the
    /// search and symlink rules that apply to it.
    var caller: GuestFileTree.Caller { storedCaller ?? Self.caller(kernel, tid) }

    /// Answers a call from the final name's directory (see `GuestFileTree.walk`).
    typealias Answer = (_ dirfd: Int32, _ name: String, _ mount: GuestFileTree.Mount) -> Bool

    /// A notified call: the caller is looked up at once (path calls all need it).
    init(kernel: GuestKernel, n: SyscallNotification) {
        self.kernel = kernel
        tid = n.tid
        notifiedArgs = n.args
        tracee = PtraceTracee(tid: n.tid)
        stop = nil
        notificationRespond = n.respond
        storedCaller = Self.caller(kernel, n.tid)
    }

    /// A call at a ptrace stop.
    init(kernel: GuestKernel, stop: SyscallContext) {
        self.kernel = kernel
        tid = stop.tracee.tid
        notifiedArgs = []
        tracee = stop.tracee
        self.stop = stop
        notificationRespond = nil
        storedCaller = nil
    }

    static func caller(_ kernel: GuestKernel, _ tid: pid_t) -> GuestFileTree.Caller {
        let processes = kernel.processes, volume = kernel.volume
        var caller = processes.caller(tid)
        let credentials = processes.credentials(tid)
        caller.maySearch = Permissions.searchCheck(volume: volume, credentials: credentials)
        caller.mayFollow = Permissions.followCheck(volume: volume, processes: processes, tid: tid)
        caller.identity = Permissions.searchIdentity(volume: volume, credentials: credentials, processes: processes, tid: tid)
        return caller
    }

    // What only a ptrace stop has; a handler that uses it is trapped by ptrace.

    var ptraceStop: SyscallContext {
        guard let stop else { preconditionFailure("syscall \(tid): a ptrace-only handler answered a notification") }
        return stop
    }
    var task: GuestTask { ptraceStop.task }
    /// The guest tracers' ptrace, for the handlers of ptrace and wait.
    var tracing: GuestTracing? { ptraceStop.tracing }
    var number: Int { ptraceStop.number }
    var registers: Registers {
        get { ptraceStop.registers }
        nonmutating set { ptraceStop.registers = newValue }
    }

    /// Argument `i` (0...5) as it is now (a stop's registers may have been rewritten).
    func arg(_ i: Int) -> UInt64 { stop?.arg(i) ?? args[i] }
    func setArg(_ i: Int, _ v: UInt64) { ptraceStop.setArg(i, v) }

    func int32(_ i: Int) -> Int32 { Int32(truncatingIfNeeded: args[i]) }

    /// The path argument at `address`, as the guest wrote it.
    func path(_ address: UInt64) throws(TraceeError) -> [UInt8] {
        try tracee.readCString(at: address, limit: 4095)
    }

    /// The guest directory a dirfd names: the caller's cwd for AT_FDCWD, or
    /// the guest path of the directory the fd is open on.
    func directory(_ dirfd: Int32) throws(TraceeError) -> String {
        if dirfd == AT_FDCWD { return caller.cwd }
        guard dirfd >= 0 else { throw TraceeError(.EBADF) }
        guard let host = GuestFileTree.linkTarget("/proc/\(caller.tid)/fd/\(dirfd)") else { throw TraceeError(.EBADF) }
        var st = stat()
        guard stat("/proc/\(caller.tid)/fd/\(dirfd)", &st) == 0 else { throw TraceeError(.EBADF) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw TraceeError(.ENOTDIR) }
        // A directory outside everything the guest may see (an fd inherited
        // from the host) is not a starting point for a walk.
        guard let guest = tree.guestPath(ofHost: host) else { throw TraceeError(.EACCES) }
        return guest
    }

    /// A relative walk from the dirfd's own directory (the supervisor's copy
    /// of it), as the kernel starts an *at lookup, instead of from the root
    /// through every ancestor: find(1) stats each name relative to a deep
    /// dirfd. nil when the walk needs the ancestors (the full walk decides).
    func walkFromDirectory(_ dirfd: Int32, _ raw: [UInt8], follow: Bool, answerFinal: Answer) throws(TraceeError) -> GuestFileTree.Walk? {
        guard dirfd >= 0 else { throw TraceeError(.EBADF) }
        // A thread the kernel cannot name by pidfd (before Linux 6.9) takes
        // the full walk, which reads the fd through /proc instead.
        let copy = pico_pidfd_getfd(caller.tid, dirfd)
        guard copy >= 0 else { return nil }
        let fd = Int32(copy)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TraceeError(.EBADF) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw TraceeError(.ENOTDIR) }
        let guest: String, mount: GuestFileTree.Mount
        if let known = tree.cachedDirectory(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino)) {
            (guest, mount) = known
        } else {
            // A directory outside everything the guest may see is no starting point.
            guard let host = GuestFileTree.fdPath(fd), let g = tree.guestPath(ofHost: host) else { throw TraceeError(.EACCES) }
            // The mount the host path lies in must be the one the guest path
            // names (not, say, the root's own empty directory under a mount point).
            guard let m = tree.mount(ofHost: host), tree.mount(ofGuest: g)?.guestPath == m.guestPath else { return nil }
            // Which processes /proc shows is decided at /proc's own level: a
            // dirfd on /proc/PID (say, inherited from the host) must not become
            // a way into a process the guest may not see.
            if m.isProc { return nil }
            (guest, mount) = (g, m)
            tree.rememberDirectory(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), guest: guest, mount: mount)
        }
        do {
            return try tree.walk(raw, caller: caller, followFinal: follow, resolve: .fromDirectory,
                                 base: GuestFileTree.Base(fd: fd, guestPath: guest, mount: mount), answerFinal: answerFinal)
        } catch {
            if error.errno == GuestFileTree.needsFullWalk.errno { return nil }
            throw error
        }
    }

    /// Resolves (dirfd, path) as the *at syscalls do; with RESOLVE_BENEATH
    /// or RESOLVE_IN_ROOT, scoped to the dirfd's directory as openat2 does.
    func walk(dirfd: Int32, path raw: [UInt8], follow: Bool, resolve: GuestFileTree.Resolve = [],
              answerFinal: Answer = { _, _, _ in false }) throws(TraceeError) -> GuestFileTree.Walk {
        if resolve.isScoped {
            let start = try walk(dirfd: dirfd, path: [UInt8(ascii: ".")], follow: true)
            defer { start.close() }
            return try tree.walk(raw, caller: self.caller, followFinal: follow, resolve: resolve, base: GuestFileTree.Base(start))
        }
        let isAbsolute = raw.first == UInt8(ascii: "/")
        if !isAbsolute && !raw.isEmpty && dirfd != AT_FDCWD && resolve.isEmpty,
           let w = try walkFromDirectory(dirfd, raw, follow: follow, answerFinal: answerFinal) {
            return w
        }
        let start = isAbsolute ? "/" : try directory(dirfd)
        var caller = self.caller
        caller.cwd = start
        return try tree.walk(raw, caller: caller, followFinal: follow, resolve: resolve, answerFinal: answerFinal)
    }

    /// The existing object an *at call names, following a final symlink
    /// unless AT_SYMLINK_NOFOLLOW. An fd-only call (AT_EMPTY_PATH with "")
    /// names the fd's own file: the supervisor acts on its duplicate of it,
    /// never lets the kernel run the call, since the kernel would read the
    /// path again after another thread had written a host path there.
    /// `answerFinal`: as the walker's, for calls that need no fd of the object.
    /// `answerHeld`: the same for an fd-only call, given the supervisor's
    /// duplicate of the guest's fd (not a stand-in's).
    func existingObject(dirfd: Int32, path address: UInt64, flags: UInt64, nullIsEmpty: Bool = false,
                        answerFinal: Answer = { _, _, _ in false },
                        answerHeld: (Int32) -> Bool = { _ in false }) throws(TraceeError) -> GuestFileTree.Walk {
        // Since Linux 6.11 the stat calls take a NULL path with AT_EMPTY_PATH.
        if nullIsEmpty && address == 0 && flags & UInt64(AT_EMPTY_PATH) != 0 { return try fdObject(dirfd, answerHeld: answerHeld) }
        let raw = try path(address)
        if raw.isEmpty {
            guard flags & UInt64(AT_EMPTY_PATH) != 0 else { throw TraceeError(.ENOENT) }
            return try fdObject(dirfd, answerHeld: answerHeld)
        }
        let w = try walk(dirfd: dirfd, path: raw, follow: flags & UInt64(AT_SYMLINK_NOFOLLOW) == 0, answerFinal: answerFinal)
        guard w.exists, !w.trailingSlash else {
            w.close()
            throw TraceeError(w.exists ? .ENOTDIR : .ENOENT)
        }
        return w
    }

    /// The file the guest's fd `dirfd` is open on (AT_FDCWD: the caller's cwd).
    /// `answerHeld` may answer from the duplicate fd alone (true: the
    /// result is `answered` and holds no fd).
    func fdObject(_ dirfd: Int32, answerHeld: (Int32) -> Bool = { _ in false }) throws(TraceeError) -> GuestFileTree.Walk {
        if dirfd == AT_FDCWD { return try walk(dirfd: dirfd, path: [UInt8(ascii: ".")], follow: true) }
        guard dirfd >= 0 else { throw TraceeError(.EBADF) }
        let fd = pico_pidfd_getfd(caller.tid, dirfd)
        guard fd >= 0 else { throw TraceeError(.EBADF) }
        if let link = kernel.standIns.link(standingFor: Int32(fd)) {
            close(Int32(fd))
            return GuestFileTree.Walk.held(link, in: tree)
        }
        if answerHeld(Int32(fd)) {
            close(Int32(fd))
            return GuestFileTree.Walk.answered(in: tree)
        }
        return GuestFileTree.Walk.held(Int32(fd), in: tree)
    }

    /// A change to the walked object's mode, owner or attributes: if it is a
    /// directory, the search checks cached walks passed through it are stale.
    func changed(_ w: GuestFileTree.Walk) {
        // The walk's own stat tells the type where it made one (a type never changes).
        var st = w.hostStat ?? stat()
        if w.hostStat == nil, w.object < 0 || fstat(w.object, &st) != 0 { return }
        if st.st_mode & S_IFMT == S_IFDIR { tree.directoriesChanged() }
    }

    /// The guest's umask, as the kernel keeps it for the task.
    func umask() -> mode_t {
        procStatusField("\(caller.tid)", "Umask").flatMap { mode_t($0, radix: 8) } ?? 0o022
    }

    func write<T>(_ value: T, to address: UInt64) throws(TraceeError) {
        var v = value
        let r = withUnsafeBytes(of: &v) { b in Result { () throws(TraceeError) in try tracee.write(at: address, from: b) } }
        try r.get()
    }
}



/// "/proc/self/fd/N": how the supervisor names an object it holds an O_PATH
/// fd for, so that calls which only take paths reach exactly that object.
func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

extension TraceeError {
    static func errno() -> TraceeError { TraceeError(LinuxErrno(Glibc.errno)) }
}
