import Glibc
import LinuxABI
import VolFS

/// 9P2000.L's numbers other than message types (include/net/9p/9p.h,
/// diod's protocol notes) and the Linux values the server answers with.
/// Message types are LinuxABI's `NinePMessageType`; qid types are `Qid`'s.
enum NineP {
    /// The dialect spoken; a Tversion asking for any other is answered "unknown".
    static let dialect = "9P2000.L", unknownDialect = "unknown"
    /// Rstatfs's type: V9FS_MAGIC, what statfs(2) shows on a v9fs mount.
    static let magic: UInt32 = 0x0102_1997
    /// P9_NONUNAME: a Tattach that names its user by name only.
    static let noUid = UInt32.max
    /// P9_IOHDRSZ: the header of a Twrite or an Rread; Rlopen's and
    /// Rlcreate's iounit is the msize less it.
    static let ioHeaderSize: UInt32 = 24
    /// size[4] type[1] tag[2] count[4]: what an Rread or Rreaddir carries
    /// before its data, so a count never makes a reply above the msize.
    static let countedReplyHeader: UInt32 = 11
    /// The least msize a Tversion may ask for: an Rreadlink or an Rgetattr must fit.
    static let minMsize: UInt32 = 4096
    /// The msize until a Tversion says otherwise.
    static let defaultMsize: UInt32 = 8192
    /// PATH_MAX: the longest symlink target an Rreadlink carries.
    static let pathMax = 4096
    /// NAME_MAX: the longest name a request may make or name.
    static let nameMax = 255
}

/// Tgetattr's request_mask and Rgetattr's valid (P9_GETATTR_*).
enum GetattrMask {
    static let mode: UInt64 = 0x1, nlink: UInt64 = 0x2, uid: UInt64 = 0x4, gid: UInt64 = 0x8
    static let rdev: UInt64 = 0x10, atime: UInt64 = 0x20, mtime: UInt64 = 0x40, ctime: UInt64 = 0x80
    static let ino: UInt64 = 0x100, size: UInt64 = 0x200, blocks: UInt64 = 0x400
    static let btime: UInt64 = 0x800, gen: UInt64 = 0x1000, dataVersion: UInt64 = 0x2000
    /// Every field: the server fills them all, whatever was asked.
    static let all: UInt64 = 0x3fff
}

/// Tsetattr's valid (P9_SETATTR_*): which of its fields to apply.
struct SetattrValid: OptionSet, Sendable {
    let rawValue: UInt32
    static let mode = SetattrValid(rawValue: 0x1)
    static let uid = SetattrValid(rawValue: 0x2)
    static let gid = SetattrValid(rawValue: 0x4)
    static let size = SetattrValid(rawValue: 0x8)
    static let atime = SetattrValid(rawValue: 0x10)
    static let mtime = SetattrValid(rawValue: 0x20)
    static let ctime = SetattrValid(rawValue: 0x40)
    /// The time given in the message; without it, "now".
    static let atimeSet = SetattrValid(rawValue: 0x80)
    static let mtimeSet = SetattrValid(rawValue: 0x100)
}

/// Tlock's and Tgetlock's lock type (P9_LOCK_TYPE_*).
enum LockType {
    static let read: UInt8 = 0, write: UInt8 = 1, unlock: UInt8 = 2
}

/// Rlock's status (P9_LOCK_*): a lock that would wait is "blocked", and
/// the Linux client waits and asks again.
enum LockStatus {
    static let success: UInt8 = 0, blocked: UInt8 = 1
}

/// Tlopen's and Tlcreate's flags: the Linux client sends its own O_*
/// values (P9_DOTL_* are the same numbers), so they are Linux's here.
enum OpenFlag {
    static let accessMode: UInt32 = 0o3
    static let truncate: UInt32 = 0o1000
    static let append: UInt32 = 0o2000
    static let nonblocking: UInt32 = 0o4000
    static let direct: UInt32 = 0o40000
    static let directory: UInt32 = 0o200000
    static let noatime: UInt32 = 0o1000000
    /// O_SYNC, which is __O_SYNC | O_DSYNC.
    static let sync: UInt32 = 0o4010000
}

/// Mode bits the server itself looks at.
enum ModeBits {
    /// A request's mode past its file type: permissions, setuid, setgid, sticky.
    static let permissions: UInt32 = 0o7777
    /// A setgid directory gives its group to what is made in it.
    static let setgid: UInt32 = 0o2000
    /// A symlink's, which nothing checks: lrwxrwxrwx.
    static let symlink: UInt32 = 0o777
}

/// utimensat(2)'s special nanosecond values, and the range of real ones.
enum TimeValue {
    static let now = UTIME_NOW, omit = UTIME_OMIT
    static let nanosecondsPerSecond: UInt64 = 1_000_000_000
}

/// Rreaddir's entry type: getdents' d_type (DT_*) for a guest file type.
enum DirentType {
    static let fifo: UInt8 = 1, charDevice: UInt8 = 2, directory: UInt8 = 4, blockDevice: UInt8 = 6
    static let regular: UInt8 = 8, symlink: UInt8 = 10, socket: UInt8 = 12

    static func of(_ type: UInt32) -> UInt8 {
        switch type {
        case S_IFDIR: directory
        case S_IFLNK: symlink
        case S_IFCHR: charDevice
        case S_IFBLK: blockDevice
        case S_IFIFO: fifo
        case S_IFSOCK: socket
        default: regular
        }
    }
}
