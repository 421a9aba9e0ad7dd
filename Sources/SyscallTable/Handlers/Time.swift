import PicoCore

/// Clock syscalls that picorun must see.
enum Time {
    /// Adjtime implements Linux syscalls adjtimex(2) and clock_adjtime(2):
    /// a read (modes == 0) passes through; any adjustment is refused.
    static func adjtime(_ c: SyscallContext) -> SyscallAction {
        // struct timex starts with `unsigned int modes`.
        let timex = c.number == 305 ? c.arg(1) : c.arg(0)
        guard let modes = try? c.tracee.readBytes(at: timex, count: 4) else {
            return .emulated(-Int64(LinuxErrno.EFAULT.rawValue))
        }
        if modes == [0, 0, 0, 0] { return .passthrough }
        return .emulated(-Int64(LinuxErrno.EPERM.rawValue))
    }
}
