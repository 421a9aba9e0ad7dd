import Glibc
import LinuxABI
/// Symbolic names for flag and enum arguments, as strace prints them.
enum FlagNames {
    typealias Bits = [(UInt64, String)]

    /// "A|B|0x40" for the set bits; `zero` when nothing is set.
    static func bits(_ v: UInt64, _ table: Bits, zero: String = "0") -> String {
        var rest = v
        var parts: [String] = []
        for (bit, name) in table where bit != 0 && rest & bit == bit {
            parts.append(name)
            rest &= ~bit
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.isEmpty ? zero : parts.joined(separator: "|")
    }

    static func value(_ v: UInt64, _ table: [UInt64: String]) -> String {
        table[v] ?? String(Int64(bitPattern: v))
    }

    /// In strace's order, so that lines compare with strace's.
    static let openFlagBits: Bits = [
        (O_CREAT, "O_CREAT"), (O_EXCL, "O_EXCL"), (O_NOCTTY, "O_NOCTTY"), (O_TRUNC, "O_TRUNC"), (O_APPEND, "O_APPEND"),
        (O_NONBLOCK, "O_NONBLOCK"), (O_SYNC, "O_SYNC"), (O_DSYNC, "O_DSYNC"), (O_DIRECT, "O_DIRECT"),
        (O_LARGEFILE, "O_LARGEFILE"), (O_NOFOLLOW, "O_NOFOLLOW"), (O_NOATIME, "O_NOATIME"), (O_CLOEXEC, "O_CLOEXEC"),
        (O_PATH, "O_PATH"), (O_TMPFILE, "O_TMPFILE"), (O_DIRECTORY, "O_DIRECTORY"), (O_ASYNC, "FASYNC"),
    ].map { (UInt64($0.0), $0.1) }

    static func openFlags(_ v: UInt64) -> String {
        let access = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][Int(v & 3)]
        let rest = bits(v & ~3, openFlagBits, zero: "")
        return rest.isEmpty ? access : access + "|" + rest
    }

    /// statx's: the sync type first, AT_STATX_SYNC_AS_STAT when it is 0.
    static func statxFlags(_ v: UInt64) -> String {
        let sync = UInt64(AT_STATX_SYNC_TYPE)
        let type = v & sync == 0 ? "AT_STATX_SYNC_AS_STAT" : bits(v & sync, atFlags)
        let rest = bits(v & ~sync, atFlags, zero: "")
        return rest.isEmpty ? type : type + "|" + rest
    }

    static let accessAtFlags: Bits = [
        (AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"), (AT_EACCESS, "AT_EACCESS"), (AT_EMPTY_PATH, "AT_EMPTY_PATH"),
    ].map { (UInt64($0.0), $0.1) }

    static let accessModes: Bits = [(UInt64(R_OK), "R_OK"), (UInt64(W_OK), "W_OK"), (UInt64(X_OK), "X_OK")]

    static let statxMask: Bits = [
        (0xfff, "STATX_ALL"), (0x7ff, "STATX_BASIC_STATS"),
        (0x1, "STATX_TYPE"), (0x2, "STATX_MODE"), (0x4, "STATX_NLINK"), (0x8, "STATX_UID"), (0x10, "STATX_GID"),
        (0x20, "STATX_ATIME"), (0x40, "STATX_MTIME"), (0x80, "STATX_CTIME"), (0x100, "STATX_INO"), (0x200, "STATX_SIZE"),
        (0x400, "STATX_BLOCKS"), (0x800, "STATX_BTIME"), (0x1000, "STATX_MNT_ID"), (0x2000, "STATX_DIOALIGN"),
        (0x4000, "STATX_MNT_ID_UNIQUE"), (0x8000, "STATX_SUBVOL"), (0x10000, "STATX_WRITE_ATOMIC"),
    ]

    static let statxAttributes: Bits = [
        (0x4, "STATX_ATTR_COMPRESSED"), (0x10, "STATX_ATTR_IMMUTABLE"), (0x20, "STATX_ATTR_APPEND"),
        (0x40, "STATX_ATTR_NODUMP"), (0x800, "STATX_ATTR_ENCRYPTED"), (0x1000, "STATX_ATTR_AUTOMOUNT"),
        (0x2000, "STATX_ATTR_MOUNT_ROOT"), (0x100000, "STATX_ATTR_VERITY"), (0x200000, "STATX_ATTR_DAX"),
    ]

    static let prot: Bits = [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"), (0x0100_0000, "PROT_GROWSDOWN"),
                             (0x0200_0000, "PROT_GROWSUP")]

    static func mmapFlags(_ v: UInt64) -> String {
        let type = ["0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"][Int(v & 3)]
        let rest = bits(v & ~3, [
            (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x40, "MAP_32BIT"), (0x100, "MAP_GROWSDOWN"),
            (0x800, "MAP_DENYWRITE"), (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"), (0x4000, "MAP_NORESERVE"),
            (0x8000, "MAP_POPULATE"), (0x10000, "MAP_NONBLOCK"), (0x20000, "MAP_STACK"), (0x40000, "MAP_HUGETLB"),
            (0x80000, "MAP_SYNC"), (0x100000, "MAP_FIXED_NOREPLACE"),
        ], zero: "")
        return rest.isEmpty ? type : type + "|" + rest
    }

    static let atFlags: Bits = [
        (AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"), (AT_REMOVEDIR, "AT_REMOVEDIR"), (AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"),
        (AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"), (AT_EMPTY_PATH, "AT_EMPTY_PATH"), (AT_STATX_FORCE_SYNC, "AT_STATX_FORCE_SYNC"),
        (AT_STATX_DONT_SYNC, "AT_STATX_DONT_SYNC"), (AT_RECURSIVE, "AT_RECURSIVE"),
    ].map { (UInt64($0.0), $0.1) }

    static func cloneFlags(_ v: UInt64) -> String {
        let sig = v & 0xff
        var s = bits(v & ~0xff, [
            (0x100, "CLONE_VM"), (0x200, "CLONE_FS"), (0x400, "CLONE_FILES"), (0x800, "CLONE_SIGHAND"),
            (0x1000, "CLONE_PIDFD"), (0x2000, "CLONE_PTRACE"), (0x4000, "CLONE_VFORK"), (0x8000, "CLONE_PARENT"),
            (0x10000, "CLONE_THREAD"), (0x20000, "CLONE_NEWNS"), (0x40000, "CLONE_SYSVSEM"), (0x80000, "CLONE_SETTLS"),
            (0x100000, "CLONE_PARENT_SETTID"), (0x200000, "CLONE_CHILD_CLEARTID"), (0x400000, "CLONE_DETACHED"),
            (0x800000, "CLONE_UNTRACED"), (0x1000000, "CLONE_CHILD_SETTID"), (0x2000000, "CLONE_NEWCGROUP"),
            (0x4000000, "CLONE_NEWUTS"), (0x8000000, "CLONE_NEWIPC"), (0x10000000, "CLONE_NEWUSER"),
            (0x20000000, "CLONE_NEWPID"), (0x40000000, "CLONE_NEWNET"), (0x80000000, "CLONE_IO"),
        ], zero: "")
        if sig != 0 { s += (s.isEmpty ? "" : "|") + signal(sig) }
        return s.isEmpty ? "0" : s
    }

    static let signalNames = ["", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
                              "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
                              "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
                              "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"]

    static func signal(_ v: UInt64) -> String {
        if v > 0 && v < UInt64(signalNames.count) { return signalNames[Int(v)] }
        if v >= 32 && v <= 64 { return "SIGRT_\(v - 32)" }
        return String(Int64(bitPattern: v))
    }

    static let whence: [UInt64: String] = [0: "SEEK_SET", 1: "SEEK_CUR", 2: "SEEK_END", 3: "SEEK_DATA", 4: "SEEK_HOLE"]

    static let fcntl: [UInt64: String] = [
        0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK", 6: "F_SETLK", 7: "F_SETLKW",
        8: "F_SETOWN", 9: "F_GETOWN", 10: "F_SETSIG", 11: "F_GETSIG", 15: "F_SETOWN_EX", 16: "F_GETOWN_EX",
        36: "F_OFD_GETLK", 37: "F_OFD_SETLK", 38: "F_OFD_SETLKW", 1024: "F_SETLEASE", 1025: "F_GETLEASE",
        1026: "F_NOTIFY", 1030: "F_DUPFD_CLOEXEC", 1031: "F_SETPIPE_SZ", 1032: "F_GETPIPE_SZ", 1033: "F_ADD_SEALS",
        1034: "F_GET_SEALS",
    ]

    static func futexOp(_ v: UInt64) -> String {
        let ops = ["FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
                   "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET",
                   "FUTEX_WAIT_REQUEUE_PI", "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2"]
        let cmd = Int(v & 127)
        var s = cmd < ops.count ? ops[cmd] : String(cmd)
        if v & 128 != 0 { s += "_PRIVATE" }
        if v & 256 != 0 { s += "|FUTEX_CLOCK_REALTIME" }
        return s
    }

    static let ioctl: [UInt64: String] = [
        0x5401: "TCGETS", 0x5402: "TCSETS", 0x5403: "TCSETSW", 0x5404: "TCSETSF", 0x540E: "TIOCSCTTY",
        0x540F: "TIOCGPGRP", 0x5410: "TIOCSPGRP", 0x5413: "TIOCGWINSZ", 0x5414: "TIOCSWINSZ", 0x541B: "FIONREAD",
        0x5421: "FIONBIO", 0x5422: "TIOCNOTTY", 0x5450: "FIONCLEX", 0x5451: "FIOCLEX",
    ]

    static let prctl: [UInt64: String] = [
        1: "PR_SET_PDEATHSIG", 2: "PR_GET_PDEATHSIG", 3: "PR_GET_DUMPABLE", 4: "PR_SET_DUMPABLE", 15: "PR_SET_NAME",
        16: "PR_GET_NAME", 22: "PR_SET_SECCOMP", 35: "PR_SET_MM", 36: "PR_SET_CHILD_SUBREAPER",
        37: "PR_GET_CHILD_SUBREAPER", 38: "PR_SET_NO_NEW_PRIVS", 39: "PR_GET_NO_NEW_PRIVS",
    ]

    static func fileType(_ mode: UInt64) -> String {
        let types: [UInt32: String] = [
            S_IFSOCK: "S_IFSOCK", S_IFLNK: "S_IFLNK", S_IFREG: "S_IFREG", S_IFBLK: "S_IFBLK", S_IFDIR: "S_IFDIR",
            S_IFCHR: "S_IFCHR", S_IFIFO: "S_IFIFO",
        ]
        return types[UInt32(truncatingIfNeeded: mode) & S_IFMT] ?? "0"
    }
}
