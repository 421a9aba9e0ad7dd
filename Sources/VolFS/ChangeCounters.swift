import CPicoLinux
import FileNames
import Glibc
import LinuxABI

/// How a picorun process learns, without a syscall, that another one
/// changed a distro: two counters in a small file beside the sidecar,
/// mapped shared by every process that opens it (`picorun run` sessions,
/// `picorun serve`, the 9P server inside a session).
///
/// Why: the supervisor answers sidecar rows and resolved directories from
/// memory. A process bumps `rows` after each sidecar commit and
/// `directories` after any change that can move, remove or re-protect a
/// directory (rename, rmdir, chmod, chown or an ACL of a directory); a
/// reader compares one memory word with the value its cache was filled at.
/// Programs other than picorun that change the distro's folder or its
/// SQLite file directly are not counted: caches also expire (see
/// `cacheLifetime`).
public final class ChangeCounters: @unchecked Sendable {
    public let rows: UnsafeMutablePointer<UInt64>
    public let directories: UnsafeMutablePointer<UInt64>
    /// False when the file could not be mapped: the counters are this
    /// process's own, and another process's changes are not seen through them.
    public let shared: Bool
    let base: UnsafeMutableRawPointer
    let length = 4096

    /// How long anything answered from memory may be believed without a
    /// counter having moved (the shim's one rule for every cache).
    public static let cacheLifetime = UInt64(PICO_CACHE_LIFETIME_NS)

    /// The counters of the distro whose sidecar is `sidecarPath`, in
    /// `<sidecar>-changes` (created if missing); private ones if that fails.
    public init(sidecarPath: String) {
        let fd = open(FileNames.cString(sidecarPath + "-changes"), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        var st = stat()
        var mapped: UnsafeMutableRawPointer?
        if fd >= 0, fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG,
           st.st_size >= length || ftruncate(fd, off_t(length)) == 0 {
            let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            if p != MAP_FAILED { mapped = p }
        }
        if fd >= 0 { close(fd) }
        if let mapped {
            base = mapped
            shared = true
        } else {
            base = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: length)
            shared = false
        }
        rows = base.assumingMemoryBound(to: UInt64.self)
        // A cache line apart: the two are bumped by different work.
        directories = rows + 8
    }

    deinit {
        if shared { munmap(base, length) } else { base.deallocate() }
    }

    public func rowsChanged() { pico_counter_bump(rows) }
    public func directoriesChanged() { pico_counter_bump(directories) }
}
