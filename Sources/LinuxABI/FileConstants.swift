// Linux's values for open(2), the *at calls, utimensat(2), renameat2(2) and
// statx(2), under the names Linux gives them. Glibc as Swift imports it is
// built without _GNU_SOURCE and lacks exactly these; the rest (O_CREAT,
// AT_FDCWD, AT_SYMLINK_NOFOLLOW, S_IFMT…) every module takes from Glibc, so
// no value is written twice.

public let O_PATH: Int32 = 0o10000000
public let O_DIRECT: Int32 = 0o40000
public let O_NOATIME: Int32 = 0o1000000
/// The kernel's bit, which glibc's x86-64 headers define as 0.
public let O_LARGEFILE: Int32 = 0o100000
/// Glibc's __O_TMPFILE | O_DIRECTORY.
public let O_TMPFILE: Int32 = 0o20200000

public let AT_EMPTY_PATH: Int32 = 0x1000
public let AT_NO_AUTOMOUNT: Int32 = 0x800
public let AT_RECURSIVE: Int32 = 0x8000
public let AT_STATX_FORCE_SYNC: Int32 = 0x2000
public let AT_STATX_DONT_SYNC: Int32 = 0x4000
public let AT_STATX_SYNC_TYPE: Int32 = 0x6000

/// tv_nsec values of utimensat(2): set to now, leave unchanged.
public let UTIME_NOW: Int = (1 << 30) - 1
public let UTIME_OMIT: Int = (1 << 30) - 2

public let RENAME_NOREPLACE: UInt32 = 1 << 0
public let RENAME_EXCHANGE: UInt32 = 1 << 1
public let RENAME_WHITEOUT: UInt32 = 1 << 2
