import Glibc
import LinuxABI
import VolFS

/// Why a request failed: the Linux errno its Rlerror carries. Every
/// handler throws this and nothing else, so no failure can reach the wire
/// as anything but a Linux number (a malformed body is EINVAL, an unknown
/// message type EOPNOTSUPP, both said where the request is decoded).
struct NinePError: Error {
    let errno: LinuxErrno

    init(_ errno: LinuxErrno) { self.errno = errno }

    /// A sidecar that could not record a change: what the same failure of
    /// an inode write would be (ENOSPC, EROFS), else EIO, as the syscall
    /// handlers answer it too (VolumeSemantics).
    init(sidecar failure: VolFSError) { errno = failure.errno ?? .EIO }

    /// The host call that just failed, by its errno.
    static func last() -> NinePError { NinePError(LinuxErrno(Glibc.errno)) }
}
