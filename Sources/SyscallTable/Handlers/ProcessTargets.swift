import CPicoLinux
import Glibc
import PicoCore

/// Calls that name another process by pid. The guest may reach its own
/// processes only: the supervisor, the shell that started picorun and every
/// other host process are invisible to it (ESRCH, as from another pid
/// namespace). The pid is a register, not guest memory, so a checked call
/// can safely be continued by the kernel as made; the group and "every
/// process" forms of kill are carried out here, member by member.
enum ProcessTargets {
    static func visible(_ c: PathContext, _ pid: Int64, allowSelf: Bool = true) -> Bool {
        (allowSelf && pid == 0) || (pid > 0 && pid <= Int64(Int32.max) && c.processes.isGuestTask(pid_t(pid)))
    }

    static func requireVisible(_ c: PathContext, _ pids: Int64...) throws(TraceeError) -> NotificationReply {
        for p in pids where !visible(c, p) { throw TraceeError(.ESRCH) }
        return .continueCall
    }

    static func arg(_ c: PathContext, _ i: Int) -> Int64 { Int64(c.int32(i)) }

    /// Kill implements Linux syscall kill(2).
    static func kill(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let pid = arg(c, 0), sig = c.int32(1)
        guard sig >= 0 && sig <= 64 else { throw TraceeError(.EINVAL) }
        if pid > 0 { return try requireVisible(c, pid) }
        // kill(-1): every guest process but the caller; kill(0)/kill(-pgrp): the
        // guest members of the group (the supervisor may share the first one).
        let group: pid_t? = pid == -1 ? nil : pid == 0 ? getpgid(c.caller.tgid) : pid_t(truncatingIfNeeded: -pid)
        var sent = 0, denied = false
        for t in c.processes.guestProcesses() where (group == nil ? t != c.caller.tgid : getpgid(t) == group) {
            if Glibc.kill(t, sig) == 0 { sent += 1 } else if errno == EPERM { denied = true }
        }
        if sent > 0 { return .value(0) }
        throw TraceeError(denied ? .EPERM : .ESRCH)
    }

    /// Tkill implements Linux syscall tkill(2).
    static func tkill(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        guard arg(c, 0) > 0 else { throw TraceeError(.EINVAL) }
        return try requireVisible(c, arg(c, 0))
    }

    /// Tgkill implements Linux syscall tgkill(2).
    static func tgkill(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        guard arg(c, 0) > 0, arg(c, 1) > 0 else { throw TraceeError(.EINVAL) }
        return try requireVisible(c, arg(c, 0), arg(c, 1))
    }

    /// Rt_sigqueueinfo implements Linux syscall rt_sigqueueinfo(2).
    static func rtSigqueueinfo(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        try requireVisible(c, arg(c, 0))
    }

    /// Rt_tgsigqueueinfo implements Linux syscall rt_tgsigqueueinfo(2).
    static func rtTgsigqueueinfo(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        try requireVisible(c, arg(c, 0), arg(c, 1))
    }

    /// Pidfd_open implements Linux syscall pidfd_open(2): a pidfd of a guest
    /// process only, so every pidfd a guest holds names a guest process.
    static func pidfdOpen(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        guard arg(c, 0) > 0 else { throw TraceeError(.EINVAL) }
        return try requireVisible(c, arg(c, 0))
    }

    /// Pidfd_send_signal implements Linux syscall pidfd_send_signal(2). It
    /// also takes an fd of a /proc/PID directory, which the guest can open
    /// for any process; the signal is sent on the supervisor's copy of the
    /// fd, so another guest thread cannot swap it after the check.
    static func pidfdSendSignal(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let copy = pico_pidfd_getfd(c.caller.tid, c.int32(0))
        guard copy >= 0 else { throw TraceeError(.EBADF) }
        let fd = Int32(copy)
        defer { close(fd) }
        guard let target = targetOf(fd: fd) else { throw TraceeError(.EBADF) }
        guard visible(c, Int64(target), allowSelf: false) else { throw TraceeError(.ESRCH) }
        var info = [UInt8](repeating: 0, count: 128)
        if c.args[2] != 0 { info = try c.tracee.readBytes(at: c.args[2], count: 128) }
        let r = info.withUnsafeMutableBytes { b in
            pico_pidfd_send_signal(fd, c.int32(1), c.args[2] == 0 ? nil : b.baseAddress, UInt32(truncatingIfNeeded: c.args[3]))
        }
        guard r == 0 else { throw TraceeError(LinuxErrno(Int32(-r))) }
        return .value(0)
    }

    /// The process a pidfd (its fdinfo's "Pid:") or a /proc/PID directory names.
    static func targetOf(fd: Int32) -> pid_t? {
        if let info = readSmallFile("/proc/self/fdinfo/\(fd)"),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("Pid:") }) {
            return pid_t(line.dropFirst(4).trimmingCharacters(in: " \t"))
        }
        guard let host = GuestFileTree.fdPath(fd), host.hasPrefix("/proc/") else { return nil }
        return pid_t(host.dropFirst(6))
    }

    /// Process_vm_readv and process_vm_writev: memory of guest processes only.
    static func processVm(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        try requireVisible(c, arg(c, 0))
    }

    /// Kcmp implements Linux syscall kcmp(2).
    static func kcmp(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        guard arg(c, 0) > 0, arg(c, 1) > 0 else { throw TraceeError(.ESRCH) }
        return try requireVisible(c, arg(c, 0), arg(c, 1))
    }

    /// Calls whose first argument is a pid, 0 meaning the caller: prlimit64,
    /// sched_set*, setpgid, migrate_pages, move_pages.
    static func firstPid(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        try requireVisible(c, arg(c, 0))
    }

    /// Setpriority implements Linux syscall setpriority(2): a guest process or
    /// group; every process of a user (PRIO_USER) reaches the host's too.
    static func setpriority(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        try priority(c, which: c.int32(0), who: arg(c, 1), process: 0, group: 1)
    }

    /// Ioprio_set implements Linux syscall ioprio_set(2), by the same rule.
    static func ioprioSet(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        try priority(c, which: c.int32(0), who: arg(c, 1), process: 1, group: 2)
    }

    static func priority(_ c: PathContext, which: Int32, who: Int64, process: Int32, group: Int32) throws(TraceeError) -> NotificationReply {
        if which == process { return try requireVisible(c, who) }
        if which == group {
            guard who == 0 || c.processes.guestProcesses().contains(where: { Int64(getpgid($0)) == who }) else {
                throw TraceeError(.ESRCH)
            }
            return .continueCall
        }
        guard which >= 0 && which <= 3 else { throw TraceeError(.EINVAL) }
        throw TraceeError(.EPERM)
    }
}
