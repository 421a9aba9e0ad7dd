import CPicoLinux
import PicoCore

/// Clock syscalls that picorun must see.
enum Time {
    /// Adjtime implements Linux syscalls adjtimex(2) and clock_adjtime(2):
    /// a read (modes == 0) is made by the supervisor on its own buffer and
    /// copied out; any adjustment is refused. The kernel never reads the
    /// guest's struct, which another guest thread could turn into an
    /// adjustment between the check and the call.
    static func adjtime(_ c: SyscallContext) -> SyscallAction {
        let isClock = c.number == 305
        // struct timex starts with `unsigned int modes`.
        let timex = isClock ? c.arg(1) : c.arg(0)
        guard let modes = try? c.tracee.readBytes(at: timex, count: Int(PICO_TIMEX_SIZE)) else {
            return .emulated(-Int64(LinuxErrno.EFAULT.rawValue))
        }
        guard modes.prefix(4).allSatisfy({ $0 == 0 }) else { return .emulated(-Int64(LinuxErrno.EPERM.rawValue)) }
        var buf = [UInt8](repeating: 0, count: Int(PICO_TIMEX_SIZE))
        let clock = isClock ? Int32(truncatingIfNeeded: c.arg(0)) : -1
        if isClock && clock < 0 { return .emulated(-Int64(LinuxErrno.EINVAL.rawValue)) }
        let r = buf.withUnsafeMutableBytes { pico_adjtime_read(clock, $0.baseAddress) }
        guard r >= 0 else { return .emulated(Int64(r)) }
        do { try c.tracee.writeBytes(buf, at: timex) } catch { return .emulated(-Int64(LinuxErrno.EFAULT.rawValue)) }
        return .emulated(Int64(r))
    }
}
