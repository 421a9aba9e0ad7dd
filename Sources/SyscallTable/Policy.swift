import PicoCore

/// How picorun treats one syscall: its support level (the constructor), its
/// handler, how it is trapped, and its note. The table in SyscallPolicy.swift
/// names every kernel syscall once, in the style of gVisor's linux64.go.
enum Policy {
    case passthrough(String = "")
    case translated(Handler, trap: Trap, note: String)
    case emulated(Handler, trap: Trap, note: String)
    case partial(Handler, trap: Trap, note: String)
    case unsupported(LinuxErrno, String)

    /// The code that answers a trapped call. Which kind a call has follows
    /// from its trap: a ptrace stop runs `stop`, a notification `notified`.
    enum Handler {
        case stop(EnterHandler, ExitHandler? = nil)
        /// `hostTree`: the answer on the host tree, for calls trapped there
        /// too (`Trap.HostTree`); nil for calls that stop only in distros.
        case notified(PathHandler, hostTree: PathHandler? = nil)
    }

    static let pathNote = "path resolved by picorun in the guest file tree (chroot semantics), call made by the supervisor"

    /// Refused because the guest must not change the host this way.
    static func hostPrivileged(_ what: String) -> Policy {
        .unsupported(.EPERM, "\(what) would change the host; refused as an unprivileged kernel would")
    }

    /// Not implemented by the Linux kernel either.
    static let obsolete = Policy.unsupported(.ENOSYS, "not implemented by Linux on x86-64")
}
