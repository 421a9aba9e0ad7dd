import Glibc
import PicoCore

/// What a handler makes of a call. The dispatcher turns it into the
/// answer of the way the call arrived: a ptrace stop's action or a
/// notification's reply. `.fd` and `.deferred` exist only for
/// notifications, `.rewritten` and `.continueSeeingExit` only at ptrace
/// stops; a handler that needs one of them is trapped that way.
enum Outcome: Equatable {
    /// The call returns this value (a negative errno at a ptrace stop too).
    case value(Int64)
    case error(LinuxErrno)
    /// The supervisor's fd is installed in the task as the call's result.
    case fd(Int32, cloexec: Bool)
    /// The kernel runs the call as made.
    case continueCall
    /// The kernel runs it as made, and the exit handler sees its result.
    case continueSeeingExit
    /// The handler changed the stop's registers; the kernel runs the new
    /// call and the exit handler sees its result.
    case rewritten
    /// Answered later through `GuestCall.respond`.
    case deferred

    /// As a notification's reply; nil for what only a ptrace stop can do.
    var notificationReply: NotificationReply {
        switch self {
        case .value(let v): return .value(v)
        case .error(let e): return .error(e)
        case .fd(let fd, let cloexec): return .fd(fd, cloexec: cloexec)
        case .continueCall: return .continueCall
        case .deferred: return .deferred
        case .continueSeeingExit, .rewritten:
            assertionFailure("a notification cannot \(self)")
            return .error(.ENOSYS)
        }
    }

    /// As a ptrace stop's action.
    var stopAction: SyscallAction {
        switch self {
        case .value(let v): return .emulated(v)
        case .error(let e): return .emulated(-Int64(e.rawValue))
        case .continueCall: return .passthrough
        case .continueSeeingExit: return .passthroughSeeingExit
        case .rewritten: return .rewritten
        case .fd(let fd, _):
            // No fd can be handed over at a ptrace stop.
            close(fd)
            assertionFailure("a ptrace stop cannot hand over an fd")
            return .emulated(-Int64(LinuxErrno.ENOSYS.rawValue))
        case .deferred:
            assertionFailure("a ptrace stop cannot be answered later")
            return .emulated(-Int64(LinuxErrno.ENOSYS.rawValue))
        }
    }
}
