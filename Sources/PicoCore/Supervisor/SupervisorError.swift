/// A failure of the supervisor itself (not of the guest): one line for the user.
public struct SupervisorError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How the initial guest process ended.
public enum GuestExit: Equatable {
    case exited(Int32)
    case signaled(Int32)
    /// picorun killed it because its program could not be loaded.
    case loadFailed

    /// The exit status a shell would report for it.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let c): return c
        case .signaled(let s): return 128 + s
        case .loadFailed: return 126
        }
    }
}
