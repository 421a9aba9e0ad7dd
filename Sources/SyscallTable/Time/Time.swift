import CPicoLinux
import PicoCore

/// Clock syscalls that picorun must see.
enum Time {
    static let adjAdjtime: UInt32 = 0x8000, adjOffsetSingleshot: UInt32 = 0x0001, adjOffsetReadonly: UInt32 = 0x2000
    /// CLOCKFD: a clock id made from an fd (a PTP device), in the guest's fd table.
    static func isFdClock(_ id: Int32) -> Bool { id < 0 && id & 7 == 3 }

    /// Adjtime implements Linux syscalls adjtimex(2) and clock_adjtime(2).
    /// The supervisor makes the call on its own copy of the guest's struct
    /// and copies the answer out, so the kernel never reads guest memory
    /// (another guest thread could turn a checked read into an adjustment).
    /// Reads (modes 0, ADJ_OFFSET_SS_READ) work; an adjustment gets the
    /// errno Linux gives an unprivileged caller: the clock's own checks
    /// first (made with modes 0), then EINVAL for ADJ_ADJTIME without
    /// ADJ_OFFSET_SINGLESHOT, else EPERM.
    static func adjtime(_ c: GuestCall) -> Outcome {
        let isClock = c.number == 305
        let address = isClock ? c.arg(1) : c.arg(0)
        let clock = isClock ? Int32(truncatingIfNeeded: c.arg(0)) : 0
        guard var buf = try? c.tracee.readBytes(at: address, count: Int(PICO_TIMEX_SIZE)) else {
            return .value(-Int64(LinuxErrno.EFAULT.rawValue))
        }
        if isClock && isFdClock(clock) { return .value(-Int64(LinuxErrno.EINVAL.rawValue)) }
        let modes = buf.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        // Exactly: ADJ_SETOFFSET and friends beside ADJ_OFFSET_SS_READ still act.
        let readOnly = modes == 0 || modes == adjAdjtime | adjOffsetSingleshot | adjOffsetReadonly
        if !readOnly { buf.replaceSubrange(0..<4, with: [0, 0, 0, 0]) }
        let r = buf.withUnsafeMutableBytes { pico_adjtime(isClock ? 1 : 0, clock, $0.baseAddress) }
        guard r >= 0 else { return .value(Int64(r)) }
        guard readOnly else {
            let invalid = modes & adjAdjtime != 0 && modes & adjOffsetSingleshot == 0
            return .value(-Int64((invalid ? LinuxErrno.EINVAL : LinuxErrno.EPERM).rawValue))
        }
        do { try c.tracee.writeBytes(buf, at: address) } catch { return .value(-Int64(LinuxErrno.EFAULT.rawValue)) }
        return .value(Int64(r))
    }
}
