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

/// Answers a trapped call, whichever way it arrived.
typealias Handler = @Sendable (GuestCall) throws(TraceeError) -> Outcome
/// At the exit stop of a call whose handler asked to see it (ptrace only):
/// the result the guest gets.
typealias ExitHandler = @Sendable (GuestCall, Int64) -> Int64

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
    /// For trapped calls: their answer.
    let handler: Handler?
    /// For calls trapped by ptrace: run at the exit stop, if the handler asked.
    let exit: ExitHandler?
    /// For calls notified on the host tree too: the answer there.
    let hostTree: Handler?

    /// Whether the seccomp filter can stop the tracee for it.
    public var traps: Bool { trap != .never }

    /// What the tracer needs of it.
    public var shape: CallShape { CallShape(name: name, args: args) }
}
