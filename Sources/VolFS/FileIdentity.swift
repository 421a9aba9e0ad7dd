import CPicoLinux
import FileNames
import Glibc
import LinuxABI

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
        of(dirfd: fd, name: "", flags: AT_EMPTY_PATH)
    }

    /// STATX_BASIC_STATS | STATX_BTIME: one call answers a whole getattr too.
    static let mask: UInt32 = 0xfff

    /// What the host says of the file: the defaults of a file with no row,
    /// and the attributes the guest sees from the host as they are.
    public struct HostStat {
        public let mode: UInt32, uid: UInt32, gid: UInt32
        public let inode: UInt64, nlink: UInt32, size: UInt64, blocks: UInt64, blksize: UInt32
        /// btime is zero where the filesystem keeps none.
        public let atime: timespec, mtime: timespec, ctime: timespec, btime: timespec
        /// As glibc's dev_t encodes them.
        public var dev: UInt64 = 0, rdev: UInt64 = 0
        public var defaults: Metadata { .defaults(hostMode: mode, hostUID: uid, hostGID: gid) }

        /// The same as stat(2) gives it.
        public var asStat: stat {
            var st = stat()
            st.st_dev = UInt(dev)
            st.st_ino = UInt(inode)
            st.st_nlink = UInt(nlink)
            st.st_mode = mode
            st.st_uid = uid
            st.st_gid = gid
            st.st_rdev = UInt(rdev)
            st.st_size = Int(Int64(bitPattern: size))
            st.st_blksize = Int(blksize)
            st.st_blocks = Int(Int64(bitPattern: blocks))
            st.st_atim = atime
            st.st_mtim = mtime
            st.st_ctim = ctime
            return st
        }

        /// glibc's makedev.
        static func device(major: UInt32, minor: UInt32) -> UInt64 {
            let ma = UInt64(major), mi = UInt64(minor)
            return (ma & 0xffff_f000) << 32 | (ma & 0xfff) << 8 | (mi & 0xffff_ff00) << 12 | mi & 0xff
        }
    }

    /// Whether the filesystem holding `path` keeps birth times: without
    /// them a file that reuses a deleted file's inode number cannot be told
    /// from it, and may inherit its sidecar row.
    public static func keepsBirthTimes(_ path: String) -> Bool {
        let fd = open(FileNames.cString(path), O_PATH | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return (of(fd: fd)?.0.birth ?? 0) != 0
    }

    /// What to warn of where `path`'s filesystem keeps no birth times.
    public static func birthTimeWarning(_ path: String) -> String? {
        keepsBirthTimes(path) ? nil : "\(path): this filesystem keeps no birth times, so a new file that reuses a deleted one's"
            + " inode number can inherit its owner and mode (setuid bits included)"
    }

    /// The identity of `name` in directory `dirfd`, not following a symlink.
    public static func of(dirfd: Int32, name: String, flags: Int32 = 0) -> (FileIdentity, HostStat)? {
        // struct statx, read by offset: Glibc as Swift imports it has no statx.
        withUnsafeTemporaryAllocation(byteCount: 256, alignment: 8) { b -> (FileIdentity, HostStat)? in
            guard pico_statx(dirfd, FileNames.cString(name), flags | AT_SYMLINK_NOFOLLOW, mask, b.baseAddress) == 0 else { return nil }
            func u32(_ o: Int) -> UInt32 { b.loadUnaligned(fromByteOffset: o, as: UInt32.self) }
            func u64(_ o: Int) -> UInt64 { b.loadUnaligned(fromByteOffset: o, as: UInt64.self) }
            func time(_ o: Int) -> timespec { timespec(tv_sec: Int(Int64(bitPattern: u64(o))), tv_nsec: Int(u32(o + 8))) }
            let born = u32(0) & 0x800 != 0
            let birth = born ? Int64(bitPattern: u64(80)) * 1_000_000_000 + Int64(u32(88)) : 0
            var host = HostStat(mode: u32(28) & 0xffff, uid: u32(20), gid: u32(24), inode: u64(32), nlink: u32(16),
                                size: u64(40), blocks: u64(48), blksize: u32(4),
                                atime: time(64), mtime: time(112), ctime: time(96), btime: born ? time(80) : timespec())
            host.rdev = HostStat.device(major: u32(128), minor: u32(132))
            host.dev = HostStat.device(major: u32(136), minor: u32(140))
            return (FileIdentity(inode: u64(32), birth: birth), host)
        }
    }
}
