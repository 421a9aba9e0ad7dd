import PicoCore
import SyscallTrace

/// A syscall as the kernel's table defines it.
public struct KernelSyscall: Sendable {
    public let number: Int
    public let name: String
    public let args: [ArgKind]
    /// False for numbers the kernel reserves but answers with ENOSYS.
    public let kernelImplements: Bool

    init(_ number: Int, _ name: String, _ args: [ArgKind], kernelImplements: Bool = true) {
        self.number = number
        self.name = name
        self.args = args
        self.kernelImplements = kernelImplements
    }
}

/// Runs at a ptrace-trapped call's entry stop.
typealias EnterHandler = @Sendable (StopContext) -> SyscallAction
/// Runs at its exit stop, if the entry asked to see it; gives the guest's result.
typealias ExitHandler = @Sendable (StopContext, Int64) -> Int64
/// Answers a path syscall from the notification thread.
typealias PathHandler = @Sendable (PathContext) throws(TraceeError) -> NotificationReply

/// One row of picorun's syscall table.
public struct SyscallEntry: Sendable {
    public let number: Int
    public let name: String
    public let args: [ArgKind]
    public let level: SupportLevel
    /// How the call reaches picorun (the seccomp filter's column).
    public let trap: Trap
    public let note: String
    /// For unsupported entries: what the guest gets.
    public let errno: LinuxErrno?
    /// For calls trapped by ptrace: run at the entry stop and at the exit.
    let enter: EnterHandler?
    let exit: ExitHandler?
    /// For notified calls: answered by the supervisor.
    let notified: PathHandler?
    /// For calls notified on the host tree too: the answer there.
    let hostTree: PathHandler?

    /// Whether the seccomp filter can stop the tracee for it.
    public var traps: Bool { trap != .never }

    /// What the tracer needs of it.
    public var shape: CallShape { CallShape(name: name, args: args) }
}
