import CPicoLinux
import Glibc

/// Which host file a sidecar row belongs to: its inode number and its birth
/// time. Inode numbers are reused after a file is deleted; the birth time
/// of the new file differs, so a recycled inode never inherits the old
/// file's row (a new file must not turn up setuid root).
public struct FileIdentity: Hashable, Sendable {
    public let inode: UInt64
    /// Birth time in nanoseconds since the epoch; 0 where the filesystem
    /// keeps none (then reuse cannot be told apart: see `VolFS.open`).
    public let birth: Int64

    public init(inode: UInt64, birth: Int64) {
        self.inode = inode
        self.birth = birth
    }

    /// The identity of the file `fd` is open on (an O_PATH fd will do), and
    /// what the host says of it.
    public static func of(fd: Int32) -> (FileIdentity, HostStat)? {
        of(dirfd: fd, name: "", flags: emptyPath)
    }

    static let emptyPath: Int32 = 0x1000, symlinkNofollow: Int32 = 0x100
    /// STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_INO | STATX_BTIME
    static let mask: UInt32 = 0x1 | 0x2 | 0x8 | 0x10 | 0x100 | 0x800

    /// What the host says of the file, for the defaults of a file with no row.
    public struct HostStat {
        public let mode: UInt32, uid: UInt32, gid: UInt32
        public var defaults: Metadata { .defaults(hostMode: mode, hostUID: uid, hostGID: gid) }
    }

    /// The identity of `name` in directory `dirfd`, not following a symlink.
    public static func of(dirfd: Int32, name: String, flags: Int32 = 0) -> (FileIdentity, HostStat)? {
        // struct statx, read by offset: Glibc as Swift imports it has no statx.
        var b = [UInt8](repeating: 0, count: 256)
        guard b.withUnsafeMutableBytes({ pico_statx(dirfd, name, flags | symlinkNofollow, mask, $0.baseAddress) }) == 0 else {
            return nil
        }
        func u64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }
        let returned = UInt32(truncatingIfNeeded: u64(0))
        let mode = UInt32(b[28]) | UInt32(b[29]) << 8
        let birth = returned & 0x800 != 0
            ? Int64(bitPattern: u64(80)) * 1_000_000_000 + Int64(UInt32(truncatingIfNeeded: u64(88))) : 0
        let host = HostStat(mode: mode, uid: UInt32(truncatingIfNeeded: u64(20)), gid: UInt32(truncatingIfNeeded: u64(24)))
        return (FileIdentity(inode: u64(32), birth: birth), host)
    }
}
