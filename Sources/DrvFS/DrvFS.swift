import Glibc
import LinuxABI

/// DrvFS: host folders shown inside a distro the way WSL1 shows Windows
/// drives without its `metadata` option. Every file belongs to the guest
/// user looking at it; its mode is 0777 where the host user may write it and
/// 0555 where not (or on a read-only mount); symlinks are 0777. chown is
/// refused; chmod only moves the host's write bits; devices cannot be made.
public enum DrvFS {
    /// The mode the guest sees for a host file of st_mode `hostMode`.
    public static func guestMode(hostMode: UInt32, writable: Bool) -> UInt32 {
        let type = hostMode & S_IFMT
        if type == S_IFLNK { return type | 0o777 }
        return type | (writable ? 0o777 : 0o555)
    }

    /// Whether the host user may write the file (`fd`, O_PATH will do): its
    /// mode has a write bit and the kernel agrees. Root passes access(2)
    /// for everything, so the mode bits decide as Windows' read-only flag does.
    public static func isWritable(fd: Int32, hostMode: UInt32, readOnlyMount: Bool) -> Bool {
        guard !readOnlyMount, hostMode & 0o222 != 0 else { return false }
        return access("/proc/self/fd/\(fd)", W_OK) == 0
    }

    /// What chmod does on DrvFS: the new host mode, or nil for "no effect".
    /// Removing every write bit makes the host file read-only; adding any
    /// write bit to a read-only file makes it writable by its owner.
    public static func hostModeAfterChmod(requested: UInt32, hostMode: UInt32) -> UInt32? {
        let current = hostMode & 0o7777
        if requested & 0o222 == 0 {
            return current & 0o222 == 0 ? nil : current & ~0o222
        }
        return current & 0o200 == 0 ? current | 0o200 : nil
    }
}
