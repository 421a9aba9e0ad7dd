import Glibc
import PicoCore

/// ptrace(2), wait4(2) and waitid(2) for guest tracers. picorun is every
/// task's real tracer (PicoCore's GuestTracing holds the stops); here are
/// Linux's rules for who may trace whom, and the wait calls' side.
enum PtraceCalls {
    static func errno(_ e: Int32) -> Outcome { .value(-Int64(e)) }

    /// Ptrace implements Linux syscall ptrace(2).
    static func ptrace(_ c: GuestCall) -> Outcome {
        guard let tracing = c.tracing else { return errno(EPERM) }
        let request = Int32(truncatingIfNeeded: c.arg(0))
        let pid = pid_t(truncatingIfNeeded: c.arg(1))
        let (addr, data) = (c.arg(2), c.arg(3))
        switch request {
        case Ptrace.traceMe:
            return ProcLinks.yamaScope >= 3 ? errno(EPERM) : .value(tracing.traceMe(c.task))
        case Ptrace.attach, Ptrace.seize:
            // Only guest tasks exist for a guest: picorun and the host's
            // processes are ESRCH, as from another pid namespace.
            guard let target = tracing.task(pid) else { return errno(ESRCH) }
            if request == Ptrace.seize {
                guard addr == 0 else { return errno(EIO) }
                guard UInt(data) & ~Ptrace.optionMask == 0 else { return errno(EINVAL) }
            }
            guard mayAttach(c.kernel, c.task.tid, target.process.tgid) else { return errno(EPERM) }
            return .value(tracing.attach(c.task, target, seize: request == Ptrace.seize,
                                            options: request == Ptrace.seize ? UInt(data) : 0))
        case Ptrace.seccompGetFilter:
            // kernel/seccomp.c:seccomp_get_filter(): CAP_SYS_ADMIN, and a
            // caller that is not itself filtered (its own guest filters;
            // picorun's are not the guest's).
            guard c.kernel.links.hasCapability(c.processes.caller(c.task.tid), .sysAdmin),
                  !tracing.seccomp.filtered(c.task.tid) else { return errno(EACCES) }
            return .value(tracing.request(c.task, memory: c.tracee, request: request, pid: pid, addr: addr, data: data))
        default:
            return .value(tracing.request(c.task, memory: c.tracee, request: request, pid: pid, addr: addr, data: data))
        }
    }

    /// ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS), then Yama: for
    /// ptrace and any other call that attaches to a guest process's memory
    /// or files, judged with the caller's own credentials: the kernel sees
    /// one host identity for every guest.
    static func mayAttach(_ kernel: GuestKernel, _ tid: pid_t, _ pid: pid_t) -> Bool {
        kernel.links.mayAttach(kernel.processes.caller(tid), pid)
    }

    // MARK: - Waits

    static let wNoHang: Int32 = 1
    static let eRestartSys: Int64 = 512
    static let eRestartNoHand: Int64 = 514
    static let sysPause: UInt64 = 34

    /// Wait4 implements Linux syscall wait4(2) for a tracer; for everyone
    /// else it is the kernel's.
    static func wait4(_ c: GuestCall) -> Outcome {
        wait(c, pid: Int64(Int32(truncatingIfNeeded: c.arg(0))), options: Int32(truncatingIfNeeded: c.arg(2)),
             isWaitid: false, answer: wait4Answer(c))
    }

    static func wait4Exit(_ c: GuestCall, _ result: Int64) -> Int64 {
        waitExit(c, result, pid: Int64(Int32(truncatingIfNeeded: c.arg(0))), options: Int32(truncatingIfNeeded: c.arg(2)),
                 isWaitid: false, answer: wait4Answer(c))
    }

    /// wait4's answer: the status, and a zeroed rusage.
    static func wait4Answer(_ c: GuestCall) -> (TraceeReport) throws(TraceeError) -> Int64 {
        { r throws(TraceeError) in
            if c.arg(1) != 0 { try c.tracee.writeBytes(bytes(of: r.status), at: c.arg(1)) }
            if c.arg(3) != 0 { try c.tracee.writeBytes([UInt8](repeating: 0, count: MemoryLayout<rusage>.size), at: c.arg(3)) }
            return Int64(r.tid)
        }
    }

    /// Waitid implements Linux syscall waitid(2) for a tracer.
    static func waitid(_ c: GuestCall) -> Outcome {
        guard c.tracing?.idle == false, let pid = waitidPid(c) else { return .continueCall }
        return wait(c, pid: pid, options: Int32(truncatingIfNeeded: c.arg(3)), isWaitid: true) { r throws(TraceeError) in
            try fillSiginfo(c, r)
            return 0
        }
    }

    static func waitidExit(_ c: GuestCall, _ result: Int64) -> Int64 {
        guard let pid = waitidPid(c) else { return result }
        return waitExit(c, result, pid: pid, options: Int32(truncatingIfNeeded: c.arg(3)), isWaitid: true, answer: { r throws(TraceeError) in
            try fillSiginfo(c, r)
            return 0
        })
    }

    /// P_ALL, P_PID, P_PGID and P_PIDFD as wait4's pid.
    static func waitidPid(_ c: GuestCall) -> Int64? {
        let id = Int64(Int32(truncatingIfNeeded: c.arg(1)))
        switch c.arg(0) {
        case 0: return -1
        case 1: return id > 0 ? id : nil
        case 2: return id == 0 ? 0 : -id
        case 3: return pidfdTarget(c.task.process.tgid, fd: id)
        default: return nil
        }
    }

    /// The pid a pidfd of the caller's names ("Pid:" in its fdinfo); nil
    /// (the kernel answers) if the fd is no pidfd.
    static func pidfdTarget(_ tgid: pid_t, fd: Int64) -> Int64? {
        guard fd >= 0, let pid = PidfdCalls.pidfdPid(readSmallFile("/proc/\(tgid)/fdinfo/\(fd)")), pid > 0 else { return nil }
        return Int64(pid)
    }

    static func fillSiginfo(_ c: GuestCall, _ r: TraceeReport) throws(TraceeError) {
        guard c.arg(2) != 0 else { return }
        // A stop's si_status keeps the event bits, as waitid gives them.
        let (code, value) = r.exited ? ChldInfo.exit(r.status) : (ChldInfo.trapped, (r.status >> 8) & 0xffff)
        let uid = c.processes.credentials(r.tid).ruid
        let words = ChldInfo(pid: r.tid, uid: uid, code: code, status: value).words
        try c.tracee.writeBytes(words.withUnsafeBytes { Array($0) }, at: c.arg(2))
    }

    /// A wait by a task whose process traces: a stop or exit ready now is
    /// the answer; WNOHANG asks the kernel for its children too; a
    /// blocking wait lets the kernel wait for real children (or pause, if
    /// there are none) and is interrupted when a tracee stops.
    static func wait(_ c: GuestCall, pid: Int64, options: Int32, isWaitid: Bool,
                     answer: (TraceeReport) throws(TraceeError) -> Int64) -> Outcome {
        guard let tracing = c.tracing, !tracing.idle, tracing.hasTracees(c.task, pid: pid) else { return .continueCall }
        if let r = tracing.takeReport(c.task, pid: pid, options: options, waitid: isWaitid) {
            do { return .value(try answer(r)) } catch { return .value(-Int64(EFAULT)) }
        }
        if options & wNoHang != 0 { return .continueSeeingExit }
        tracing.waiting(c.task, true)
        if tracing.hasChildProcesses(c.task, pid: pid) { return .continueSeeingExit }
        // No child the kernel could report: pause until a signal or
        // picorun's interrupt; the exit stop then answers or restarts.
        c.registers.orig_rax = sysPause
        return .rewritten
    }

    static func waitExit(_ c: GuestCall, _ result: Int64, pid: Int64, options: Int32, isWaitid: Bool,
                         answer: (TraceeReport) throws(TraceeError) -> Int64) -> Int64 {
        guard let tracing = c.tracing else { return result }
        tracing.waiting(c.task, false)
        let interrupted = result == -eRestartSys || result == -eRestartNoHand
        guard interrupted || result == 0 || result == -Int64(ECHILD) else { return result }
        if let r = tracing.takeReport(c.task, pid: pid, options: options, waitid: isWaitid) {
            do { return try answer(r) } catch { return -Int64(EFAULT) }
        }
        // A signal, or a tracee that stopped and was reported elsewhere:
        // restart, or EINTR when the guest's handler says so, as wait4 does.
        if interrupted { return -eRestartSys }
        if result == -Int64(ECHILD) && tracing.hasTracees(c.task, pid: pid) {
            if isWaitid, c.arg(2) != 0 { try? c.tracee.writeBytes([UInt8](repeating: 0, count: 32), at: c.arg(2)) }
            return 0
        }
        return result
    }

    static func bytes(of v: Int32) -> [UInt8] {
        withUnsafeBytes(of: v) { Array($0) }
    }
}
