import PicoCore

/// How picorun treats one syscall: the support level with its handler and
/// note. The table in SyscallPolicy.swift names every kernel syscall once.
enum Policy {
    case passthrough(String = "")
    case translated(EnterHandler, ExitHandler? = nil, String)
    case emulated(EnterHandler, ExitHandler? = nil, String)
    case partial(EnterHandler, ExitHandler? = nil, String)
    case unsupported(LinuxErrno, String)
    /// Takes a path: resolved by picorun in the guest file tree and carried
    /// out by the supervisor, answered through a seccomp notification.
    case path(PathHandler)
    /// Answered by the supervisor through a notification, in distro runs
    /// only (guest identities, sidecar metadata); on the host tree the host
    /// answers.
    case distro(PathHandler, String)
    /// Answered through a notification in every run: a check of register
    /// arguments (another process's pid) before the kernel runs the call.
    case checked(PathHandler, String)

    static let pathNote = "path resolved by picorun in the guest file tree (chroot semantics), call made by the supervisor"

    /// Refused because the guest must not change the host this way.
    static func hostPrivileged(_ what: String) -> Policy {
        .unsupported(.EPERM, "\(what) would change the host; refused as an unprivileged kernel would")
    }

    /// Not implemented by the Linux kernel either.
    static let obsolete = Policy.unsupported(.ENOSYS, "not implemented by Linux on x86-64")
}
