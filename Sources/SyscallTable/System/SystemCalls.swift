import Glibc
import PicoCore

/// uname(2) in a distro run: the host's answer, with the node name the
/// distro's picorun.conf gives ([network] hostname).
enum SystemCalls {
    static let fieldLength = 65

    /// Uname implements Linux syscall uname(2).
    static func uname(_ c: GuestCall) throws(TraceeError) -> Outcome {
        var u = utsname()
        guard Glibc.uname(&u) == 0 else { throw .errno() }
        var bytes = withUnsafeBytes(of: &u) { Array($0) }
        if let name = c.hostname {
            let field = Array(name.utf8.prefix(fieldLength - 1))
            let start = fieldLength  // nodename is the second field
            for i in 0..<fieldLength { bytes[start + i] = i < field.count ? field[i] : 0 }
        }
        try c.tracee.writeBytes(bytes, at: c.args[0])
        return .value(0)
    }
}
