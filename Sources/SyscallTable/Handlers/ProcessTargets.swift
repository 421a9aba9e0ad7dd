import CPicoLinux
import Glibc
import PicoCore

/// Calls that name another process by pid. The guest may reach its own
/// processes only: the supervisor, the shell that started picorun and every
/// other host process are invisible to it, as from another pid namespace.
///
/// These are ptrace stops, not notifications, because the pid is a
/// register: a pid the guest may not reach is rewritten to one no process
/// can have, and the kernel runs the call. It checks every other argument
/// in its own order (EFAULT, EINVAL, E2BIG ...) and then finds no such
/// process (ESRCH), exactly as Linux answers a pid of another namespace.
/// No other guest thread can change a stopped thread's registers.
enum ProcessTargets {
    /// Set once by the Dispatcher, before the first guest runs.
    nonisolated(unsafe) static var processes: GuestProcesses?

    /// Above PID_MAX_LIMIT (2^22): the kernel's lookup can never succeed.
    static let nowhere: UInt64 = 0x3fff_ffff

    static func pid(_ c: SyscallContext, _ i: Int) -> Int64 { Int64(Int32(truncatingIfNeeded: c.arg(i))) }

    static func isGuest(_ pid: Int64) -> Bool {
        pid > 0 && processes?.isGuestTask(pid_t(pid)) == true
    }

    /// Rewrites each positive pid argument at `positions` that is not a
    /// guest's; 0 (the caller) and negative values mean nothing outside
    /// the caller to these calls and reach the kernel as they are.
    static func hide(_ c: SyscallContext, _ positions: Int...) -> SyscallAction {
        var changed = false
        for i in positions where pid(c, i) > 0 && !isGuest(pid(c, i)) {
            c.setArg(i, nowhere)
            changed = true
        }
        return changed ? .rewritten : .passthrough
    }

    /// Kill implements Linux syscall kill(2). kill(-1), kill(0) and
    /// kill(-pgrp) are carried out here, on the guest members only.
    static func kill(_ c: SyscallContext) -> SyscallAction {
        let target = pid(c, 0), sig = Int32(truncatingIfNeeded: c.arg(1))
        if target > 0 { return hide(c, 0) }
        guard sig >= 0 && sig <= 64 else { return .emulated(-Int64(EINVAL)) }
        let caller = c.task.process.tgid
        // The supervisor may share the caller's group: only guests are signalled.
        let group: pid_t? = target == -1 ? nil : target == 0 ? getpgid(caller) : pid_t(truncatingIfNeeded: -target)
        var sent = 0, denied = false
        for t in processes?.guestProcesses() ?? [] where (group == nil ? t != caller : getpgid(t) == group) {
            if Glibc.kill(t, sig) == 0 { sent += 1 } else if errno == EPERM { denied = true }
        }
        if sent > 0 { return .emulated(0) }
        return .emulated(-Int64(denied ? EPERM : ESRCH))
    }

    /// Tkill implements Linux syscall tkill(2).
    static func tkill(_ c: SyscallContext) -> SyscallAction { hide(c, 0) }

    /// Tgkill implements Linux syscall tgkill(2).
    static func tgkill(_ c: SyscallContext) -> SyscallAction { hide(c, 0, 1) }

    /// Rt_sigqueueinfo implements Linux syscall rt_sigqueueinfo(2).
    static func rtSigqueueinfo(_ c: SyscallContext) -> SyscallAction { hide(c, 0) }

    /// Rt_tgsigqueueinfo implements Linux syscall rt_tgsigqueueinfo(2).
    static func rtTgsigqueueinfo(_ c: SyscallContext) -> SyscallAction { hide(c, 0, 1) }

    /// Pidfd_open implements Linux syscall pidfd_open(2): a pidfd of a guest
    /// process only, so every pidfd a guest holds names a guest process.
    static func pidfdOpen(_ c: SyscallContext) -> SyscallAction { hide(c, 0) }

    /// Process_vm_readv and process_vm_writev: memory of guest processes only.
    static func processVm(_ c: SyscallContext) -> SyscallAction { hide(c, 0) }

    /// Kcmp implements Linux syscall kcmp(2).
    static func kcmp(_ c: SyscallContext) -> SyscallAction { hide(c, 0, 1) }

    /// Calls whose first argument is a pid, 0 meaning the caller: prlimit64,
    /// sched_set*, setpgid, migrate_pages, move_pages.
    static func firstPid(_ c: SyscallContext) -> SyscallAction { hide(c, 0) }

    /// Setpriority implements Linux syscall setpriority(2): a guest process or
    /// group; every process of a user (PRIO_USER) would reach the host's too.
    static func setpriority(_ c: SyscallContext) -> SyscallAction {
        priority(c, process: 0, group: 1, user: 2)
    }

    /// Ioprio_set implements Linux syscall ioprio_set(2), by the same rule.
    static func ioprioSet(_ c: SyscallContext) -> SyscallAction {
        priority(c, process: 1, group: 2, user: 3)
    }

    static func priority(_ c: SyscallContext, process: Int32, group: Int32, user: Int32) -> SyscallAction {
        let which = Int32(truncatingIfNeeded: c.arg(0)), who = pid(c, 1)
        switch which {
        case process: return hide(c, 1)
        case group:
            if who == 0 || (processes?.guestProcesses() ?? []).contains(where: { Int64(getpgid($0)) == who }) { return .passthrough }
            c.setArg(1, nowhere)
            return .rewritten
        case user: return .emulated(-Int64(EPERM))
        default: return .passthrough  // the kernel's EINVAL
        }
    }
}
