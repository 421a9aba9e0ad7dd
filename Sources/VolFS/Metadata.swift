import Glibc
import LinuxABI

/// What the guest believes about a file, beyond what the host keeps: owner,
/// group, the whole mode (file type included, so a device node can be an
/// empty host file) and the device number.
public struct Metadata: Equatable, Sendable {
    public var uid: UInt32
    public var gid: UInt32
    /// st_mode: type bits and permission bits, setuid/setgid/sticky included.
    public var mode: UInt32
    public var rdev: UInt64

    public init(uid: UInt32, gid: UInt32, mode: UInt32, rdev: UInt64 = 0) {
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.rdev = rdev
    }

    public var type: UInt32 { mode & S_IFMT }
    public var permissions: UInt32 { mode & 0o7777 }

    /// A file with no sidecar row: root's, with the host's type and mode
    /// bits. When picorun runs as the host's root, the host's owners are
    /// real ones (a rootfs unpacked by root) and are shown as they are.
    public static func defaults(hostMode: UInt32, hostUID: UInt32, hostGID: UInt32) -> Metadata {
        hostOwnersAreReal ? Metadata(uid: hostUID, gid: hostGID, mode: hostMode) : Metadata(uid: 0, gid: 0, mode: hostMode)
    }

    static let hostOwnersAreReal = geteuid() == 0

    /// The host mode for a guest mode: a file's permission bits without
    /// setuid/setgid (the host must never run anything setuid for a guest;
    /// a directory keeps its sticky and setgid bits, which grant nothing),
    /// and always readable and writable by the host user (and searchable,
    /// for directories), so the supervisor never loses access to a file
    /// whose guest mode is 000.
    public static func hostPermissions(guestMode: UInt32, isDirectory: Bool) -> UInt32 {
        isDirectory ? (guestMode & 0o3777) | 0o700 : (guestMode & 0o777) | 0o600
    }
}
