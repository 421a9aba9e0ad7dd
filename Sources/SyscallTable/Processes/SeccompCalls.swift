import PicoCore

/// seccomp(2): the kernel installs a guest's filter beside picorun's, and
/// picorun keeps a copy (GuestSeccomp), whose TRACE verdicts it makes as
/// Linux does. prctl(PR_SET_SECCOMP) is seen in its notification.
enum SeccompCalls {
    static let setModeFilter: UInt64 = 1
    static let flagTsync: UInt64 = 1, flagNewListener: UInt64 = 1 << 3

    /// Seccomp implements Linux syscall seccomp(2).
    static func seccomp(_ c: GuestCall) -> Outcome {
        c.arg(0) == setModeFilter ? .continueSeeingExit : .continueCall
    }

    static func seccompExit(_ c: GuestCall, _ result: Int64) -> Int64 {
        let flags = c.arg(1), tsync = flags & flagTsync != 0
        // With TSYNC a positive result is the thread that could not follow
        // (unless a listener fd is the result): nothing was installed.
        guard result >= 0, !(tsync && flags & flagNewListener == 0 && result != 0), let seccomp = c.tracing?.seccomp,
              let program = GuestSeccomp.program(c.tracee, at: c.arg(2)) else { return result }
        seccomp.installed(c.task.tid, program, threadsOf: tsync ? c.task.process.tgid : nil)
        return result
    }
}
