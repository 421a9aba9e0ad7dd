import CPicoLinux
import Glibc

/// Random numbers for address-space layout, from getrandom(2).
public enum Randomness {
    public static func word() -> UInt64 {
        var v: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &v) { pico_getrandom($0.baseAddress, 8) }
        return v
    }

    /// Whether layouts should be randomized: off under `setarch -R` (the
    /// personality the guest inherits) or kernel.randomize_va_space=0.
    public static var addressSpaceRandomization: Bool {
        let addrNoRandomize: Int32 = 0x0040000
        if pico_personality() & addrNoRandomize != 0 { return false }
        if let s = readSmallFile("/proc/sys/kernel/randomize_va_space"), s.hasPrefix("0") { return false }
        return true
    }
}
