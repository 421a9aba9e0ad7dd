import Glibc
import PicoCore
import Synchronization

/// Per-process state the path handlers need (working directory, the guest
/// path of the running program), shared between the ptrace thread, which
/// sees processes come and go, and the notification thread, which answers
/// path syscalls.
public final class GuestProcesses: Sendable {
    struct State {
        var tgidOf: [pid_t: pid_t] = [:]
        var cwd: [pid_t: String] = [:]
        /// chroot(2)'s root, where it is not "/".
        var root: [pid_t: String] = [:]
        /// The image each process runs: what /proc/PID/exe reopens.
        var image: [pid_t: ImageFiles] = [:]
        /// Processes between their exec and the loader stub's last open:
        /// the index of the file the stub takes next.
        var loaderNext: [pid_t: Int] = [:]
        var credentials: [pid_t: Credentials] = [:]
        /// The auxiliary vector picorun's loader gave each process.
        var auxv: [pid_t: [UInt8]] = [:]
        /// Guest processes that have exited but wait for their parent's
        /// wait(): still there for kill(pid, 0) and /proc, as on Linux. Keyed
        /// by pid, with the start time that tells the zombie from a process
        /// that took its pid after the reaping, and its real uid (its
        /// parent's SIGCHLD carries it).
        var zombies: [pid_t: (start: UInt64, ruid: UInt32)] = [:]
        /// On the host tree, each task's host identity as last read
        /// (forgotten when the task changes ids or execs).
        var hostIdentity: [pid_t: HostIdentity] = [:]
    }

    let state = Mutex(State())
    let initialCwd: String
    let initialCredentials: Credentials

    public init(initialCwd: String, credentials: Credentials = .root) {
        self.initialCwd = initialCwd
        self.initialCredentials = credentials
    }

    /// A new task; `parent` is the thread that cloned it, whose host
    /// identity it starts with (the kernel copies the credentials), so a
    /// spawn costs no /proc read.
    func spawned(tid: pid_t, tgid: pid_t, parent: (tid: pid_t, tgid: pid_t)?) {
        let parentTgid = parent?.tgid
        state.withLock { s in
            s.tgidOf[tid] = tgid
            if let parent, let known = s.hostIdentity[parent.tid] { s.hostIdentity[tid] = known }
            if s.cwd[tgid] == nil {
                s.cwd[tgid] = parentTgid.flatMap { s.cwd[$0] } ?? initialCwd
                s.root[tgid] = parentTgid.flatMap { s.root[$0] }
                s.image[tgid] = parentTgid.flatMap { s.image[$0] }
                s.credentials[tgid] = parentTgid.flatMap { s.credentials[$0] } ?? initialCredentials
            }
        }
    }

    func exited(tid: pid_t) {
        state.withLock { s in
            s.hostIdentity[tid] = nil
            guard let tgid = s.tgidOf.removeValue(forKey: tid) else { return }
            if tid == tgid && !s.tgidOf.values.contains(tgid) {
                s.cwd[tgid] = nil
                s.root[tgid] = nil
                s.image[tgid] = nil
                s.loaderNext[tgid] = nil
                let ruid = (s.credentials.removeValue(forKey: tgid) ?? initialCredentials).ruid
                s.auxv[tgid] = nil
                // Not reaped yet when its parent is another guest (picorun reaps its own child).
                if let start = Self.startTime(tgid) { s.zombies[tgid] = (start, ruid) }
            }
            if s.zombies.count > 4096 { s.zombies = s.zombies.filter { Self.startTime($0.key) == $0.value.start } }
        }
    }

    /// The loader handed over to a new program with this auxv.
    func started(tid: pid_t, auxv: [UInt8]) {
        state.withLock { s in s.auxv[s.tgidOf[tid] ?? tid] = auxv }
    }

    func auxv(ofProcess pid: pid_t) -> [UInt8]? { state.withLock { $0.auxv[$0.tgidOf[pid] ?? pid] } }

    /// A thread that exec'd took over its leader's tid; `files` are the
    /// image it now runs, which its loader stub is about to map.
    func execed(tid: pid_t, files: ImageFiles?) {
        state.withLock { s in
            let tgid = s.tgidOf[tid] ?? tid
            s.image[tgid] = files
            s.loaderNext[tgid] = files == nil ? nil : 0
        }
    }

    /// The loader stub's open of file `index` of its exec (LoaderFiles):
    /// a duplicate for the stub, each file once and in order, and nothing
    /// once the stub has taken them all (guest code runs only after that).
    func loaderFile(tid: pid_t, index: Int) -> Int32? {
        state.withLock { s in
            let tgid = s.tgidOf[tid] ?? tid
            guard tid == tgid, s.loaderNext[tgid] == index, let files = s.image[tgid] else { return nil }
            let fd = index == 0 ? files.program : files.interpreter
            guard let fd else { return nil }
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
            if index == 1 || files.interpreter == nil {
                s.loaderNext[tgid] = nil
                files.dropInterpreter()
            } else {
                s.loaderNext[tgid] = index + 1
            }
            return copy >= 0 ? copy : nil
        }
    }

    /// `body` with the fd of the image process `pid` runs, under the lock
    /// (the fd closes when the process goes).
    func withImage<T: Sendable>(ofProcess pid: pid_t, _ body: (Int32) -> T?) -> T? {
        state.withLock { s -> T? in
            guard let files = s.image[pid] else { return nil }
            return body(files.program)
        }
    }

    /// Task `tid`'s host identity, read from /proc once and kept until
    /// `forgetHostIdentity` (the task's own identity calls, and execs that
    /// may change its capabilities).
    func hostIdentity(_ tid: pid_t) -> HostIdentity? {
        if let known = state.withLock({ $0.hostIdentity[tid] }) { return known }
        guard let read = HostIdentity(tid: tid) else { return nil }
        state.withLock { $0.hostIdentity[tid] = read }
        return read
    }

    func forgetHostIdentity(_ tid: pid_t) {
        state.withLock { s in _ = s.hostIdentity.removeValue(forKey: tid) }
    }

    /// The task exec'd picorun's stub (never setuid, no file capabilities):
    /// its ids and groups stay, and its capabilities stay in the two common
    /// cases, so only the others are read again.
    func execedHostIdentity(_ tid: pid_t) {
        state.withLock { s in
            guard let known = s.hostIdentity[tid], !known.keptByExec else { return }
            s.hostIdentity[tid] = nil
        }
    }

    func caller(_ tid: pid_t) -> GuestFileTree.Caller {
        state.withLock { s in
            let tgid = s.tgidOf[tid] ?? tid
            return GuestFileTree.Caller(tgid: tgid, tid: tid, cwd: s.cwd[tgid] ?? initialCwd, root: s.root[tgid] ?? "/")
        }
    }

    func setCwd(_ tid: pid_t, _ path: String) {
        state.withLock { s in s.cwd[s.tgidOf[tid] ?? tid] = path }
    }

    func setRoot(_ tid: pid_t, _ path: String) {
        state.withLock { s in s.root[s.tgidOf[tid] ?? tid] = path == "/" ? nil : path }
    }

    func credentials(_ tid: pid_t) -> Credentials {
        state.withLock { s in s.credentials[s.tgidOf[tid] ?? tid] ?? initialCredentials }
    }

    /// Applies `body` to the caller's process's credentials; false (and no
    /// change) when it refuses.
    func updateCredentials(_ tid: pid_t, _ body: (inout Credentials) -> Bool) -> Bool {
        state.withLock { s in
            let tgid = s.tgidOf[tid] ?? tid
            var k = s.credentials[tgid] ?? initialCredentials
            guard body(&k) else { return false }
            s.credentials[tgid] = k
            return true
        }
    }

    func cwd(ofProcess pid: pid_t) -> String? { state.withLock { $0.cwd[pid] } }
    func root(ofProcess pid: pid_t) -> String? { state.withLock { s in s.cwd[pid] == nil ? nil : s.root[pid] ?? "/" } }
    func isGuest(_ pid: pid_t) -> Bool { state.withLock { $0.cwd[pid] != nil } }
    /// The real uid a guest task has in picorun's record, a zombie's too;
    /// nil for a task that is no guest's.
    func realUid(_ tid: pid_t) -> UInt32? {
        guard isGuestTask(tid) else { return nil }
        return state.withLock { s in
            if let tgid = s.tgidOf[tid] { return (s.credentials[tgid] ?? initialCredentials).ruid }
            return s.zombies[tid]?.ruid
        }
    }

    /// A thread of a guest process (any tid, not only a leader's).
    func isGuestTask(_ tid: pid_t) -> Bool {
        state.withLock { s in
            if s.tgidOf[tid] != nil { return true }
            guard let start = s.zombies[tid]?.start else { return false }
            if Self.startTime(tid) == start { return true }
            s.zombies[tid] = nil
            return false
        }
    }

    /// Field 22 of /proc/PID/stat (after the parenthesised command, which may hold anything).
    static func startTime(_ pid: pid_t) -> UInt64? {
        guard let text = readSmallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
    func guestProcesses() -> [pid_t] { state.withLock { Array($0.cwd.keys) } }

    /// The guest processes in process group `pgid` (the supervisor and host
    /// jobs may share it; they are never among these).
    func members(ofGroup pgid: pid_t) -> [pid_t] { guestProcesses().filter { getpgid($0) == pgid } }

    /// kill(2) of each guest process `to` chooses, folded as Linux folds a
    /// group signal: 0 if any got it, else EPERM if one was refused, else ESRCH.
    func signal(_ targets: [pid_t], _ sig: Int32) -> Int32 {
        var sent = 0, denied = false
        for t in targets {
            if Glibc.kill(t, sig) == 0 { sent += 1 } else if errno == EPERM { denied = true }
        }
        return sent > 0 ? 0 : denied ? EPERM : ESRCH
    }
}
