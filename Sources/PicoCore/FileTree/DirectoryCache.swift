import CPicoLinux
import Glibc
import LinuxABI
import PerThread

/// Directories one thread has walked, by canonical guest path: the walker
/// starts a path from the deepest cached directory on it instead of
/// opening every component from the root (`/usr/lib/x86_64-linux-gnu/x`
/// costs one lookup, not five).
///
/// Why this shape: each answering thread has its own cache, so the hot
/// path takes no lock and an fd is closed only by the thread that lends it
/// (never while one of its own walks borrows it: closing waits for the
/// next walk's start). An entry is believed only while
///   - the tree's change counter has not moved (any guest's rename, rmdir,
///     or change of a directory's mode, owner or ACL, through picorun's
///     handlers or its 9P server, in this process or, for a distro, in any
///     picorun process: `GuestFileTree.directoryChanges`),
///   - the caller has the identity that walked it (the search checks on
///     the way were that identity's), and
///   - it is younger than `lifetime`: changes made outside picorun (another
///     program renaming a folder of the host tree) are seen within it.
/// Nothing under /proc is cached, and a mount point is never an entry (the
/// tree's mounts are looked up first).
final class DirectoryCache {
    struct Entry {
        let fd: Int32
        let mount: GuestFileTree.Mount
        let identity: GuestFileTree.Identity
        let filled: UInt64
    }

    var entries: [String: Entry] = [:]
    /// The guest paths of directories guests hold fds on, by host inode:
    /// an *at call's dirfd named without a readlink of /proc/self/fd.
    struct Inode: Hashable {
        let dev: UInt64, ino: UInt64
    }
    var byInode: [Inode: (guest: String, mount: GuestFileTree.Mount, filled: UInt64)] = [:]
    /// Fds of replaced entries, closed at the next walk's start.
    var retired: [Int32] = []
    /// The tree (its `serial`) and change count the entries belong to.
    var tree: UInt64 = 0
    var generation: UInt64 = 0
    /// The time read at the outermost walk's start.
    var now: UInt64 = 0
    /// Walks in progress on this thread (a walk's callbacks may walk
    /// again): fds are closed only when the outermost one starts.
    var depth = 0
    /// False in a walk nested in one that found the count moved.
    var usable = true

    static let capacity = 2048
    static let lifetime = UInt64(PICO_CACHE_LIFETIME_NS)

    static let perThread = PerThread { DirectoryCache() }

    deinit { flush() }

    /// At a walk's start: drops everything if the tree or the count moved,
    /// and closes what earlier walks replaced (no walk of this thread holds
    /// them now). Every `begin` has its `end`.
    func begin(tree serial: UInt64, generation current: UInt64) {
        depth += 1
        let fresh = serial == tree && current == generation
        guard depth == 1 else {
            // An outer walk borrows these fds: nothing may be closed now.
            usable = usable && fresh
            return
        }
        now = pico_coarse_nanoseconds()
        usable = true
        if !fresh {
            flush()
            tree = serial
            generation = current
        }
        for fd in retired { close(fd) }
        retired.removeAll(keepingCapacity: true)
    }

    func end() { depth -= 1 }

    func flush() {
        for e in entries.values { close(e.fd) }
        entries.removeAll(keepingCapacity: true)
        byInode.removeAll(keepingCapacity: true)
        for fd in retired { close(fd) }
        retired.removeAll(keepingCapacity: true)
    }

    func directory(dev: UInt64, ino: UInt64) -> (guest: String, mount: GuestFileTree.Mount)? {
        guard usable, let e = byInode[Inode(dev: dev, ino: ino)], now &- e.filled < Self.lifetime else { return nil }
        return (e.guest, e.mount)
    }

    func remember(dev: UInt64, ino: UInt64, guest: String, mount: GuestFileTree.Mount) {
        guard usable else { return }
        if byInode.count >= Self.capacity { byInode.removeAll(keepingCapacity: true) }
        byInode[Inode(dev: dev, ino: ino)] = (guest, mount, now)
    }

    func lookup(_ path: String, identity: GuestFileTree.Identity) -> Entry? {
        guard usable, let e = entries[path], e.identity == identity, now &- e.filled < Self.lifetime else { return nil }
        return e
    }

    /// Takes `fd` (an O_PATH directory fd the walk owns) as the entry for
    /// `path`; false in a walk that may not use the cache (the walk keeps
    /// and closes it). A full cache starts again: its fds are retired.
    func insert(_ path: String, fd: Int32, mount: GuestFileTree.Mount, identity: GuestFileTree.Identity) -> Bool {
        guard usable else { return false }
        if let old = entries[path] {
            retired.append(old.fd)
        } else if entries.count >= Self.capacity {
            // Full: start again at the next walk (borrowed fds stay open until then).
            for e in entries.values { retired.append(e.fd) }
            entries.removeAll(keepingCapacity: true)
        }
        entries[path] = Entry(fd: fd, mount: mount, identity: identity, filled: now)
        return true
    }
}
