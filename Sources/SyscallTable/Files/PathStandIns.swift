import CPicoLinux
import Glibc
import LinuxABI
import PicoCore
import Synchronization

/// O_PATH fds of what must not be opened for real: symlinks, FIFOs,
/// sockets and devices. The kernel hands no O_PATH file to another process
/// (SECCOMP_IOCTL_NOTIF_ADDFD takes real files only); a symlink opens no
/// other way, and a real open of a FIFO waits for its other end (forever,
/// for `mknod -m`'s chmod through O_PATH) while a device's open can act on
/// the device. So the guest gets an empty memfd standing in for the
/// object, and the calls that take an fd with an empty path (fstat,
/// readlinkat, fchownat, ... through GuestCall.fdObject) and reopens
/// through /proc/PID/fd act on the object itself. glibc's
/// fchmodat(AT_SYMLINK_NOFOLLOW) and lchmod need that (they open the file
/// O_PATH, fstat it, then chmod /proc/self/fd/N), and so does tar.
/// One table per GuestKernel.
final class PathStandIns: Sendable {
    typealias Key = FifoOpens.Inode

    struct Table {
        var links: [Key: Int32] = [:]
        /// Oldest first, with when each was made.
        var order: [(key: Key, made: Int)] = []

        /// Lets go of the oldest beyond `limit`, and of any older than
        /// `lifetime`: a stand-in is used at once and closed, as glibc does,
        /// and until the table is empty every fstat pays a look here.
        mutating func prune(now: Int, keep: Int) {
            while let first = order.first, order.count > keep || now - first.made > PathStandIns.lifetime {
                order.removeFirst()
                if let fd = links.removeValue(forKey: first.key) { close(fd) }
            }
        }
    }

    let table = Mutex(Table())
    /// Links held, read without the lock: most fstats find none.
    let count = Atomic<Int>(0)
    /// Links held at a time (each is an fd of the supervisor's), and for
    /// how many seconds.
    static let limit = 256, lifetime = 30

    static func now() -> Int { monotonicSeconds() }

    /// A stand-in fd for the object `link` (an O_PATH fd; the table keeps
    /// its own duplicate).
    func make(for link: Int32) throws(TraceeError) -> Int32 {
        // Sealed: it stays empty, as the check in `link(standingFor:)` wants.
        let memfd = pico_memfd_sealed("picorun: O_PATH stand-in", nil, 0)
        guard memfd >= 0 else { throw .errno() }
        var st = stat()
        let held = dup(link)
        guard held >= 0, fstat(memfd, &st) == 0 else {
            close(memfd)
            if held >= 0 { close(held) }
            throw .errno()
        }
        let key = Key(st)
        let made = Self.now()
        table.withLock { t in
            t.prune(now: made, keep: Self.limit - 1)
            t.links[key] = held
            t.order.append((key, made))
            count.store(t.links.count, ordering: .relaxed)
        }
        return memfd
    }

    /// The object `fd` (the supervisor's copy of a guest fd) stands in
    /// for, as a new O_PATH fd; nil for any other file.
    func link(standingFor fd: Int32) -> Int32? {
        guard count.load(ordering: .relaxed) > 0 else { return nil }
        let when = Self.now()
        table.withLock { t in
            t.prune(now: when, keep: Self.limit)
            count.store(t.links.count, ordering: .relaxed)
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size == 0 else { return nil }
        let key = Key(st)
        return table.withLock { t in t.links[key].map { dup($0) } }
    }
}
