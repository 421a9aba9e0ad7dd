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
    /// Above PID_MAX_LIMIT (2^22): the kernel's lookup can never succeed.
    static let nowhere: UInt64 = 0x3fff_ffff

    static func pid(_ c: GuestCall, _ i: Int) -> Int64 { Int64(Int32(truncatingIfNeeded: c.arg(i))) }

    static func isGuest(_ c: GuestCall, _ pid: Int64) -> Bool {
        pid > 0 && c.processes.isGuestTask(pid_t(pid))
    }

    /// The supervisor is the first guest's parent: getppid() names it, so a
    /// program may ask whether it is alive (kill(ppid, 0)) and read what any
    /// process may read of another (sched_get*, getpgid, getsid,
    /// getpriority, prlimit64 without a new limit); anything that would
    /// change it or signal it is EPERM, as for a process of another user.
    static let supervisorPid = Int64(GuestFileTree.supervisorPid)

    /// `.continueCall` for a read of the supervisor, EPERM for a change, nil
    /// when the pid at `i` is not the supervisor's.
    static func supervisor(_ c: GuestCall, _ i: Int, reads: Bool) -> Outcome? {
        guard pid(c, i) == supervisorPid else { return nil }
        return reads ? .continueCall : .value(-Int64(EPERM))
    }

    /// Rewrites each positive pid argument at `positions` that is not a
    /// guest's; 0 (the caller) and negative values mean nothing outside
    /// the caller to these calls and reach the kernel as they are.
    static func hide(_ c: GuestCall, _ positions: Int...) -> Outcome {
        var changed = false
        for i in positions where pid(c, i) > 0 && !isGuest(c, pid(c, i)) {
            c.setArg(i, nowhere)
            changed = true
        }
        return changed ? .rewritten : .continueCall
    }

    /// Kill implements Linux syscall kill(2). kill(-1), kill(0) and
    /// kill(-pgrp) are carried out here, on the guest members only.
    static func kill(_ c: GuestCall) -> Outcome {
        let target = pid(c, 0), sig = Int32(truncatingIfNeeded: c.arg(1))
        if target == supervisorPid, sig >= 0 && sig <= 64 { return .value(sig == 0 ? 0 : -Int64(EPERM)) }
        if target > 0 { return hide(c, 0) }
        guard sig >= 0 && sig <= 64 else { return .value(-Int64(EINVAL)) }
        let caller = c.task.process.tgid
        // The supervisor may share the caller's group: only guests are signalled.
        let processes = c.processes
        let targets = target == -1 ? processes.guestProcesses().filter { $0 != caller }
            : processes.members(ofGroup: target == 0 ? getpgid(caller) : pid_t(truncatingIfNeeded: -target))
        return .value(-Int64(processes.signal(targets, sig)))
    }

    /// Tkill implements Linux syscall tkill(2).
    static func tkill(_ c: GuestCall) -> Outcome { hide(c, 0) }

    /// Tgkill implements Linux syscall tgkill(2).
    static func tgkill(_ c: GuestCall) -> Outcome { hide(c, 0, 1) }

    /// Rt_sigqueueinfo implements Linux syscall rt_sigqueueinfo(2).
    static func rtSigqueueinfo(_ c: GuestCall) -> Outcome { hide(c, 0) }

    /// Rt_tgsigqueueinfo implements Linux syscall rt_tgsigqueueinfo(2).
    static func rtTgsigqueueinfo(_ c: GuestCall) -> Outcome { hide(c, 0, 1) }

    /// Pidfd_open implements Linux syscall pidfd_open(2): a pidfd of a guest
    /// process only, so every pidfd a guest holds names a guest process.
    static func pidfdOpen(_ c: GuestCall) -> Outcome { hide(c, 0) }

    /// Process_vm_readv and process_vm_writev: memory of guest processes
    /// only, and of those only what ptrace's attach rule allows the
    /// caller's own identity (EPERM, as mm_access's EACCES becomes). Bad
    /// flags are the kernel's EINVAL first.
    static func processVm(_ c: GuestCall) -> Outcome {
        let target = pid(c, 0)
        if isGuest(c, target) && c.arg(5) == 0 && pid_t(target) != c.task.process.tgid
            && !PtraceCalls.mayAttach(c.kernel, c.task.tid, pid_t(target)) {
            return .value(-Int64(EPERM))
        }
        return hide(c, 0)
    }

    /// Kcmp implements Linux syscall kcmp(2): guest processes only, each
    /// one the caller may read by ptrace's rule (PTRACE_MODE_READ_REALCREDS).
    static func kcmp(_ c: GuestCall) -> Outcome {
        let hidden = hide(c, 0, 1)
        guard hidden == .continueCall else { return hidden }
        let who = c.processes.caller(c.task.tid)
        for i in 0..<2 where pid(c, i) > 0 && !c.kernel.links.mayAccess(who, pid_t(pid(c, i)), realCreds: true) { return .value(-Int64(EPERM)) }
        return .continueCall
    }

    /// Calls whose first argument is a pid, 0 meaning the caller: prlimit64,
    /// sched_set*, setpgid, migrate_pages, move_pages.
    static func firstPid(_ c: GuestCall) -> Outcome {
        supervisor(c, 0, reads: false) ?? hide(c, 0)
    }

    /// The same for calls that only read: sched_get*, getpgid, getsid,
    /// sched_rr_get_interval; prlimit64 reads when it sets no new limit.
    static func firstPidReading(_ c: GuestCall) -> Outcome {
        supervisor(c, 0, reads: true) ?? hide(c, 0)
    }

    /// Prlimit64 implements Linux syscall prlimit64(2).
    static func prlimit(_ c: GuestCall) -> Outcome {
        supervisor(c, 0, reads: c.arg(2) == 0) ?? hide(c, 0)
    }

    /// Setpgid implements Linux syscall setpgid(2): a guest process, into
    /// a new group of its own or a guest's group (never, say, the host
    /// shell's, which would make the guest part of a host job).
    static func setpgid(_ c: GuestCall) -> Outcome {
        let action = hide(c, 0)
        let target = pid(c, 0) == 0 ? Int64(c.task.process.tgid) : pid(c, 0)
        let group = pid(c, 1)
        if group <= 0 || group == target { return action }
        if !c.processes.members(ofGroup: pid_t(truncatingIfNeeded: group)).isEmpty { return action }
        c.setArg(1, nowhere)  // the kernel's EPERM for a group that is not there
        return .rewritten
    }

    /// Setpriority implements Linux syscall setpriority(2): a guest process,
    /// or the guest members of a group (the supervisor may share it);
    /// every process of a user (PRIO_USER) would reach the host's too.
    static func setpriority(_ c: GuestCall) -> Outcome {
        guard Int32(truncatingIfNeeded: c.arg(0)) == 1 else { return priority(c, process: 0, user: 2) }
        let nice = Int(Int32(truncatingIfNeeded: c.arg(2)))
        return eachMember(c) { t in Int32(-pico_syscall3(141 /* setpriority */, 0, Int(t), nice)) }
    }

    /// Ioprio_set implements Linux syscall ioprio_set(2), by the same rule;
    /// the kernel checks the priority before any member, so the first
    /// member's answer to a bad one is the call's.
    static func ioprioSet(_ c: GuestCall) -> Outcome {
        guard Int32(truncatingIfNeeded: c.arg(0)) == 2 else { return priority(c, process: 1, user: 3) }
        let ioprio = Int(Int32(truncatingIfNeeded: c.arg(2)))
        return eachMember(c, stopAtError: true) { t in Int32(-pico_syscall3(251 /* ioprio_set */, 1, Int(t), ioprio)) }
    }

    /// The call made for each guest member of the group in argument 1 (0:
    /// the caller's), with the kernel's way of folding the results: ESRCH
    /// for no member, else the last error (or the first, `stopAtError`).
    static func eachMember(_ c: GuestCall, stopAtError: Bool = false, _ call: (pid_t) -> Int32) -> Outcome {
        let who = pid(c, 1)
        let group = who == 0 ? getpgid(c.task.process.tgid) : pid_t(truncatingIfNeeded: who)
        let members = c.processes.members(ofGroup: group)
        if members.isEmpty || who < 0 {
            c.setArg(1, nowhere)
            return .rewritten
        }
        var error = ESRCH
        for t in members.sorted() {
            let e = call(t)
            if e != 0 { error = e; if stopAtError { break } } else if error == ESRCH { error = 0 }
        }
        return .value(-Int64(error))
    }

    /// Getpriority implements Linux syscall getpriority(2): a guest
    /// process or group; PRIO_USER as the host reports it.
    static func getpriority(_ c: GuestCall) -> Outcome {
        readPriority(c, process: 0, group: 1)
    }

    /// Ioprio_get implements Linux syscall ioprio_get(2), by the same rule.
    static func ioprioGet(_ c: GuestCall) -> Outcome {
        readPriority(c, process: 1, group: 2)
    }

    static func readPriority(_ c: GuestCall, process: Int32, group: Int32) -> Outcome {
        let which = Int32(truncatingIfNeeded: c.arg(0)), who = pid(c, 1)
        if which == process { return supervisor(c, 1, reads: true) ?? hide(c, 1) }
        guard which == group, who > 0 else { return .continueCall }
        if !c.processes.members(ofGroup: pid_t(truncatingIfNeeded: who)).isEmpty { return .continueCall }
        c.setArg(1, nowhere)
        return .rewritten
    }

    /// Perf_event_open implements Linux syscall perf_event_open(2): events
    /// of the caller or of a guest process. A system-wide event (pid -1)
    /// or a cgroup's (PERF_FLAG_PID_CGROUP) would watch the host: EACCES,
    /// as a restrictive perf_event_paranoid answers.
    static func perfEventOpen(_ c: GuestCall) -> Outcome {
        let target = pid(c, 1)
        if target < 0 || c.arg(4) & 0x4 != 0 { return .value(-Int64(EACCES)) }
        return hide(c, 1)
    }

    static func priority(_ c: GuestCall, process: Int32, user: Int32) -> Outcome {
        let which = Int32(truncatingIfNeeded: c.arg(0))
        switch which {
        case process: return hide(c, 1)
        case user: return .value(-Int64(EPERM))
        default: return .continueCall  // the kernel's EINVAL
        }
    }
}
