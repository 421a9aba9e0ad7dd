import Glibc

/// A guest tracer's hold on one task. picorun stays every task's real
/// tracer; this is what the guest's ptrace(2) and wait(2) see of it.
public final class TraceeState {
    /// The tracer thread: requests from any other thread get ESRCH, as
    /// Linux links a tracee to the task that attached it.
    public let tracer: pid_t
    public let tracerTgid: pid_t
    public let seized: Bool
    public internal(set) var options: UInt
    /// The request picorun resumes the task with while its tracer lets it
    /// run: PTRACE_CONT, PTRACE_SYSCALL, PTRACE_SINGLESTEP or a SYSEMU.
    var resumeRequest: Int32 = Ptrace.cont
    /// The stop the tracer sees; the task sits in a real stop meanwhile.
    var held: TracerStop?
    /// Stops shown after `held` from the same real stop (exec's event,
    /// then its syscall-exit stop, then the legacy SIGTRAP).
    var queued: [TracerStop] = []
    var eventMessage: UInt = 0
    /// An auto-attached child: its first stop is its tracer's.
    var awaitingStart = false
    /// picorun's real options must change (PTRACE_O_TRACEEXIT ...), which
    /// takes a stopped task: done at its next real stop.
    var realOptionsStale = true

    init(tracer: pid_t, tracerTgid: pid_t, seized: Bool, options: UInt) {
        self.tracer = tracer
        self.tracerTgid = tracerTgid
        self.seized = seized
        self.options = options
    }

    var sysGood: Bool { options & Ptrace.optTraceSysGood != 0 }
}

/// One stop as the guest tracer's wait(2) reports it.
struct TracerStop {
    enum Kind: Equatable {
        /// A real signal-delivery-stop: resuming with a signal delivers it.
        case signal
        /// A signal-delivery-stop picorun shows without a real one (the
        /// SIGSTOP a new auto-attached child starts with, exec's SIGTRAP).
        case shownSignal
        case groupStop
        case syscallEntry
        case syscallExit
        /// PTRACE_EVENT_*, PTRACE_EVENT_STOP included.
        case event
    }
    let kind: Kind
    /// The wait status: (what << 8) | 0x7f.
    let status: Int32
    var reported = false
    /// Shown only if the tracer resumed the one before with PTRACE_SYSCALL.
    var onlyAfterSyscall = false
    /// Shown from the delivery stop of a kick (GuestSeccomp.kick), in the
    /// place of a notified call's seccomp or exit stop.
    var kicked = false

    /// WSTOPSIG and the event bits: what waitid puts in si_status.
    var what: Int32 { (status >> 8) & 0xffff }
    var signal: Int32 { (status >> 8) & 0x7f }

    static func signal(_ sig: Int32, shown: Bool = false) -> TracerStop {
        TracerStop(kind: shown ? .shownSignal : .signal, status: sig << 8 | 0x7f)
    }

    static func syscall(entry: Bool, sysGood: Bool) -> TracerStop {
        TracerStop(kind: entry ? .syscallEntry : .syscallExit, status: (SIGTRAP | (sysGood ? 0x80 : 0)) << 8 | 0x7f)
    }

    static func event(_ event: Int32, signal: Int32 = SIGTRAP) -> TracerStop {
        TracerStop(kind: .event, status: (signal | event << 8) << 8 | 0x7f)
    }

    /// A group-stop: a seized tracee reports it as PTRACE_EVENT_STOP.
    static func groupStop(_ sig: Int32, seized: Bool) -> TracerStop {
        TracerStop(kind: .groupStop, status: (sig | (seized ? Ptrace.eventStop << 8 : 0)) << 8 | 0x7f)
    }
}

/// The siginfo of the SIGCHLD a tracer gets for a tracee's stop or exit
/// (kernel/signal.c:do_notify_parent_cldstop() and do_notify_parent()).
/// picorun can only send a SIGCHLD of its own (SI_USER: the kernel refuses
/// another code from a process), so at its delivery stop in the tracer the
/// siginfo is replaced by this one.
/// The same siginfo is what waitid(2) writes for a tracee.
public struct ChldInfo {
    public static let trapped: Int32 = 4  // CLD_TRAPPED
    let pid: pid_t
    let uid: UInt32
    let code: Int32
    let status: Int32

    public init(pid: pid_t, uid: UInt32, code: Int32, status: Int32) {
        (self.pid, self.uid, self.code, self.status) = (pid, uid, code, status)
    }

    /// CLD_EXITED, CLD_KILLED or CLD_DUMPED and si_status for a wait status.
    public static func exit(_ status: Int32) -> (code: Int32, status: Int32) {
        if status & 0x7f == 0 { return (1, status >> 8 & 0xff) }
        return (status & 0x80 != 0 ? 3 : 2, status & 0x7f)
    }

    /// The siginfo words: si_signo, si_errno, si_code; si_pid, si_uid,
    /// si_status; si_utime and si_stime (at 32 and 40) left 0.
    public var words: [Int32] {
        [SIGCHLD, 0, code, 0, pid, Int32(bitPattern: uid), status] + [Int32](repeating: 0, count: 25)
    }
}
