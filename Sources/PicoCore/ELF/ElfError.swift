/// Why an executable cannot be loaded: one human line, plus the errno that
/// execve(2) would give the guest for the same file.
public struct ElfError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public let errno: LinuxErrno

    public init(_ reason: String, errno: LinuxErrno = .ENOEXEC) {
        self.reason = reason
        self.errno = errno
    }

    public var description: String { reason }
}
