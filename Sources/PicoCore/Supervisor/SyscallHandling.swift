import Glibc

/// What the supervisor does with a trapped syscall after the handler saw it.
public enum SyscallAction: Equatable {
    /// The host runs it unchanged; no exit stop.
    case passthrough
    /// The host runs it unchanged, and `exit` sees the result.
    case passthroughSeeingExit
    /// The host does not run it; the guest gets this result (-errno for errors).
    case emulated(Int64)
    /// The handler changed `context.registers`; the host runs the new call,
    /// then `exit` sees its result and the guest's registers are restored
    /// (the kernel preserves argument registers; a rewrite must not show).
    case rewritten
}

/// One trapped syscall in one task: its registers and the task's state.
/// Handlers read arguments here, and change `registers` to rewrite a call.
public final class SyscallContext {
    public let tracee: Tracee
    public let task: GuestTask
    public var registers: Registers
    /// The guest tracers' ptrace, for the handlers of ptrace and wait.
    public let tracing: GuestTracing?

    public init(tracee: Tracee, task: GuestTask, registers: Registers, tracing: GuestTracing? = nil) {
        self.tracee = tracee
        self.task = task
        self.registers = registers
        self.tracing = tracing
    }

    public var number: Int { Int(Int64(bitPattern: registers.orig_rax)) }

    /// Argument `i` (0...5) in the x86-64 syscall convention.
    public func arg(_ i: Int) -> UInt64 {
        switch i {
        case 0: return registers.rdi
        case 1: return registers.rsi
        case 2: return registers.rdx
        case 3: return registers.r10
        case 4: return registers.r8
        default: return registers.r9
        }
    }

    public func setArg(_ i: Int, _ v: UInt64) {
        switch i {
        case 0: registers.rdi = v
        case 1: registers.rsi = v
        case 2: registers.rdx = v
        case 3: registers.r10 = v
        case 4: registers.r8 = v
        default: registers.r9 = v
        }
    }
}

/// The supervisor's view of picorun's kernel personality: which syscalls
/// stop, and what happens when they do. SyscallTable implements it.
public protocol SyscallHandling: AnyObject {
    /// Highest syscall number the handler knows; everything above is trapped.
    var highestSyscall: Int { get }
    /// What the seccomp filter does with syscall `nr`.
    func filterAction(_ nr: Int) -> SeccompFilter.Action
    /// Answers a seccomp user notification. Called on the supervisor's
    /// notification thread, concurrently with the other methods.
    func notified(_ n: SyscallNotification) -> NotificationReply
    /// Just before the reply is sent, while the task still waits in the
    /// call: what the supervisor wrote into its memory can still be read,
    /// and nothing the task does next has happened yet.
    func notificationAnswering(_ n: SyscallNotification, reply: NotificationReply)
    /// After the reply reached the task: what the call returned (the fd
    /// number for `.fd`, nil for `.continueCall`).
    func notificationAnswered(_ n: SyscallNotification, result: Int64?)
    /// At the seccomp stop.
    func enter(_ context: SyscallContext) -> SyscallAction
    /// At the exit stop of a call whose `enter` asked to see it; returns the
    /// result the guest gets.
    func exit(_ context: SyscallContext, result: Int64) -> Int64
    /// Tasks appearing, exec'ing and ending.
    func taskEvent(_ event: TaskEvent)
    /// Whether to call `stopHandled` (costs two clock reads a stop).
    var wantsStopTiming: Bool { get }
    /// Time the supervisor spent on one syscall stop of syscall `nr`.
    func stopHandled(_ nr: Int, nanoseconds: UInt64)
    /// Whether guests carry identities picorun keeps (distro runs): then
    /// the uid the kernel writes in a siginfo is picorun's host uid, and
    /// `signalUid` gives the guest's.
    var keepsIdentities: Bool { get }
    /// The real uid of guest task `tid`, a zombie's too; nil for a task
    /// that is no guest.
    func signalUid(of tid: pid_t) -> UInt32?
}

extension SyscallHandling {
    public func notificationAnswering(_ n: SyscallNotification, reply: NotificationReply) {}
    public var keepsIdentities: Bool { false }
    public func signalUid(of tid: pid_t) -> UInt32? { nil }
}

public enum TaskEvent {
    case spawned(GuestTask, parent: GuestTask?)
    /// An exec succeeded: the task's pending execve returned 0.
    case execed(GuestTask)
    /// The loader handed over to the new program, with this auxv.
    case started(GuestTask, auxv: [UInt8])
    case exited(GuestTask, status: Int32)
}

/// A syscall a guest task is blocked in, waiting for the supervisor.
public struct SyscallNotification: Sendable {
    public let id: UInt64
    public let tid: pid_t
    public let number: Int
    public let args: [UInt64]
    /// Answers later, from any thread, a call whose handler said `.deferred`.
    public let respond: @Sendable (NotificationReply) -> Void
}

/// How the supervisor answers a notification.
public enum NotificationReply: Sendable {
    /// The call returns this value.
    case value(Int64)
    case error(LinuxErrno)
    /// The supervisor's fd is installed in the task and is the call's result;
    /// the supervisor closes its copy.
    case fd(Int32, cloexec: Bool)
    /// The kernel runs the call as made (only where no path is resolved).
    case continueCall
    /// The handler answers later through `SyscallNotification.respond`
    /// (a call that may block, done on a thread of its own).
    case deferred
}
