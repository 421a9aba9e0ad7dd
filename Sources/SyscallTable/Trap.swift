import PicoCore

/// How a call reaches picorun: the table's column beside the support level.
/// The seccomp filter is built from it, the dispatcher routes by it, and
/// `picorun syscalls` prints it; nothing else decides whether a call stops.
public enum Trap: Sendable, Equatable {
    /// Never stops: the host runs it as made.
    case never
    /// A ptrace syscall stop: the handler runs at entry, may rewrite the
    /// registers or answer, and sees the exit.
    case ptrace
    /// A ptrace stop unless argument `index` is 0: a pid of 0 names the
    /// caller, which needs no check (prlimit64(0, …) runs at every start).
    case ptraceUnlessArgZero(Int)
    /// A seccomp user notification: the supervisor resolves the path in the
    /// guest file tree and makes the call itself. Without a file tree
    /// (tests of the table only) the host runs it.
    case notify
    /// A notification unless argument `index` is 0: sendto with no
    /// destination (a connected socket) names no path.
    case notifyUnlessArgZero(Int)
    /// A notification in distro runs, where identities and sidecar metadata
    /// are picorun's; on the host tree as `hostTree` says.
    case distro(hostTree: HostTree)

    public enum HostTree: Sendable, Equatable {
        /// The host answers; the call never stops.
        case never
        /// Notified when picorun runs as the host's root: the guest's own
        /// host identity then decides each call (HostIdentity), so its
        /// changes must be seen.
        case notifyAsRoot
        /// Notified in every run with a file tree.
        case notify
    }

    /// What a run is, as far as trapping goes.
    public struct Run: Sendable {
        /// The guest's file tree is picorun's (every real run).
        public var hasFileTree: Bool
        /// A distro run: guest identities are emulated.
        public var distro: Bool
        /// On the host tree with picorun as the host's root.
        public var hostRoot: Bool
        /// --trace-all or coverage: every call that would run untouched stops.
        public var observing: Bool
    }

    /// The seccomp filter's verdict for this call in `run`.
    public func action(in run: Run) -> SeccompFilter.Action {
        let untouched: SeccompFilter.Action = run.observing ? .trace : .allow
        switch self {
        case .never: return untouched
        case .ptrace: return .trace
        case .ptraceUnlessArgZero(let i): return run.observing ? .trace : .traceUnlessArgZero(i)
        case .notify: return run.hasFileTree ? .notify : untouched
        case .notifyUnlessArgZero(let i): return run.hasFileTree ? .notifyUnlessArgZero(i, zeroTraced: run.observing) : untouched
        case .distro(let host):
            guard run.hasFileTree else { return untouched }
            if run.distro { return .notify }
            switch host {
            case .never: return untouched
            case .notifyAsRoot: return run.hostRoot ? .notify : untouched
            case .notify: return .notify
            }
        }
    }

    /// Whether the handler runs at a ptrace stop (else at a notification).
    var stopsAtPtrace: Bool {
        switch self {
        case .ptrace, .ptraceUnlessArgZero: return true
        default: return false
        }
    }

    /// How `picorun syscalls` prints it.
    public var description: String {
        switch self {
        case .never: return "never"
        case .ptrace: return "ptrace"
        case .ptraceUnlessArgZero(let i): return "ptrace unless arg\(i) is 0"
        case .notify: return "notify"
        case .notifyUnlessArgZero(let i): return "notify unless arg\(i) is 0"
        case .distro(.never): return "notify in distros"
        case .distro(.notifyAsRoot): return "notify in distros and as root"
        case .distro(.notify): return "notify"
        }
    }
}
