import PicoCore

/// How picorun treats one syscall: its support level (the constructor), its
/// handler, how it is trapped, and its note. The table in SyscallPolicy.swift
/// names every kernel syscall once, in the style of gVisor's linux64.go.
enum Policy {
    case passthrough(String = "")
    /// `exit`: for a ptrace trap, at the exit stop. `hostTree`: for a
    /// distro trap that also stops on the host tree (`Trap.HostTree`), the
    /// answer there.
    case translated(Handler, exit: ExitHandler? = nil, hostTree: Handler? = nil, trap: Trap, note: String)
    case emulated(Handler, exit: ExitHandler? = nil, hostTree: Handler? = nil, trap: Trap, note: String)
    case partial(Handler, exit: ExitHandler? = nil, hostTree: Handler? = nil, trap: Trap, note: String)
    case unsupported(LinuxErrno, String)

    static let pathNote = "path resolved by picorun in the guest file tree (chroot semantics), call made by the supervisor"

    /// Refused because the guest must not change the host this way.
    static func hostPrivileged(_ what: String) -> Policy {
        .unsupported(.EPERM, "\(what) would change the host; refused as an unprivileged kernel would")
    }

    /// Not implemented by the Linux kernel either.
    static let obsolete = Policy.unsupported(.ENOSYS, "not implemented by Linux on x86-64")
}
