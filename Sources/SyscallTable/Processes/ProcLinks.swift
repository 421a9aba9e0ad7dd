import Glibc
import LinuxABI
import PicoCore

/// /proc/PID/fd/N, /proc/PID/exe and their kin, for the walker: the object
/// a guest process holds, and who may reach it.
///
/// The supervisor opens /proc with its own rights, which reach every
/// guest; Linux lets a process follow another's links only when
/// ptrace_may_access(PTRACE_MODE_READ_FSCREDS) allows it, so that rule is
/// made here with the caller's credentials: the emulated ones in a distro,
/// the host's (from /proc/PID/status) on the host tree, where guests
/// change their host ids themselves.
struct ProcLinks {
    let processes: GuestProcesses
    /// Whether guests carry emulated credentials (distro runs).
    let emulated: Bool
    /// What a guest's O_PATH fds stand in for.
    let standIns: PathStandIns

    /// The object `link` names, as an fd the walker takes over; nil for a
    /// process that is not a guest (the walker then walks the host's text,
    /// which never names more than a path).
    func object(_ caller: GuestFileTree.Caller, _ link: ProcLink) throws(TraceeError) -> Int32? {
        guard processes.isGuestTask(link.tid) else { return nil }
        switch link.kind {
        case .fd(let n):
            // O_PATH through the kernel's own magic link: the very object
            // the guest's fd refers to, which a reopen gives a new open file
            // description of, with the mode asked for, as Linux does.
            let fd = open("/proc/\(link.tid)/fd/\(n)", O_PATH | O_CLOEXEC)
            guard fd >= 0 else { throw TraceeError(errno == ENOENT ? .ENOENT : LinuxErrno(errno)) }
            // A stand-in for an O_PATH fd names what it stands for.
            if let object = standIns.link(standingFor: fd) {
                close(fd)
                return object
            }
            return fd
        case .exe:
            // The image picorun loaded (the kernel's exe is the loader stub).
            guard let fd = processes.withImage(ofProcess: link.pid, { fcntl($0, F_DUPFD_CLOEXEC, 0) }), fd >= 0 else {
                throw TraceeError(.ENOENT)
            }
            return fd
        case .cwd, .root:
            return nil  // directories: the walker re-walks their guest paths
        }
    }

    /// `cap` in the caller's effective set (CAP_SYS_PTRACE: Yama's exemption).
    func hasCapability(_ caller: GuestFileTree.Caller, _ cap: Capability = .sysPtrace) -> Bool {
        if emulated { return processes.credentials(caller.tid).has(cap) }
        guard let k = HostIdentity(tid: caller.tid) else { return false }
        return CapabilitySet(rawValue: k.capabilities).contains(cap)
    }

    /// ptrace_may_access(PTRACE_MODE_READ_FSCREDS): the caller's own
    /// process always; else CAP_SYS_PTRACE, or the caller's fs ids equal to
    /// all of the target's real, effective and saved ids, with the target
    /// dumpable (kernel/ptrace.c:__ptrace_may_access).
    ///
    /// `realCreds` is PTRACE_MODE_REALCREDS, what ptrace(PTRACE_ATTACH)
    /// asks: the caller's real ids instead of its fs ids.
    func mayAccess(_ caller: GuestFileTree.Caller, _ pid: pid_t, realCreds: Bool = false) -> Bool {
        if pid == caller.tgid { return true }
        if emulated {
            let k = processes.credentials(caller.tid)
            if k.has(.sysPtrace) { return true }
            guard processes.isGuestTask(pid) else { return false }
            let t = processes.credentials(pid)
            let (uid, gid) = realCreds ? (k.ruid, k.rgid) : (k.fsuid, k.fsgid)
            return [t.ruid, t.euid, t.suid].allSatisfy { $0 == uid } && [t.rgid, t.egid, t.sgid].allSatisfy { $0 == gid }
                && t.dumpable != 0
        }
        guard let k = HostIdentity(tid: caller.tid) else { return false }
        if CapabilitySet(rawValue: k.capabilities).contains(.sysPtrace) { return true }
        guard let t = HostIdentity(tid: pid) else { return false }
        let (uid, gid) = realCreds ? (k.uids[0], k.gids[0]) : (k.fsuid, k.fsgid)
        guard t.uids[0..<3].allSatisfy({ $0 == uid }), t.gids[0..<3].allSatisfy({ $0 == gid }) else { return false }
        // Not dumpable: by the kernel (its /proc entries are then owned by
        // root) or by the guest's own prctl, which picorun keeps (the
        // kernel's must stay 1, or picorun could not reach its memory).
        var st = stat()
        return stat("/proc/\(pid)", &st) == 0 && st.st_uid == t.uids[1] && processes.credentials(pid).dumpable != 0
    }

    /// Yama's ptrace_scope as the host sets it: 0 classic, 1 descendants
    /// only, 2 CAP_SYS_PTRACE only, 3 no attaching at all.
    static let yamaScope: Int = {
        guard let text = readSmallFile("/proc/sys/kernel/yama/ptrace_scope") else { return 0 }
        return Int(text.split(whereSeparator: { $0 == "\n" }).first ?? "") ?? 0
    }()

    /// ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS) and then Yama, which
    /// judges attach modes only: ptrace's ATTACH and SEIZE,
    /// process_vm_readv/writev, pidfd_getfd.
    func mayAttach(_ caller: GuestFileTree.Caller, _ pid: pid_t) -> Bool {
        guard mayAccess(caller, pid, realCreds: true) else { return false }
        switch Self.yamaScope {
        case 0: return true
        case 1: return hasCapability(caller) || Self.descends(pid, from: caller.tgid)
        case 2: return hasCapability(caller)
        default: return false
        }
    }

    /// Whether process `pid` descends from `ancestor`, by the parents the
    /// kernel records (an orphan's chain ends at its new reaper, as in
    /// Yama's own walk).
    static func descends(_ pid: pid_t, from ancestor: pid_t) -> Bool {
        var p = pid
        for _ in 0..<4096 {
            if p == ancestor { return true }
            // /proc/PID/stat: "pid (comm) state ppid ...", comm may hold spaces.
            guard p > 1, let text = readSmallFile("/proc/\(p)/stat"), let close = text.lastIndex(of: ")") else { return false }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = pid_t(fields[1]) else { return false }
            p = parent
        }
        return false
    }
}
