import FileNames
import Glibc
import LinuxABI
import Synchronization

/// A distro's files as the guest sees them: host files, with owners, modes
/// and file types from the sidecar where it has a row, else the defaults
/// (root:root, the host's mode).
public final class Volume: Sendable {
    public let sidecar: Sidecar
    /// Rows of files whose last name was removed while this session ran:
    /// a process may still hold one open and reopen it through
    /// /proc/PID/fd/N, where Linux still judges it by its owner and mode.
    /// Kept in memory only (the file is gone once no one holds it) and
    /// bounded: the oldest are dropped first.
    let orphans = Mutex(Orphans())
    struct Orphans {
        var rows: [FileIdentity: Metadata] = [:]
        var order: [FileIdentity] = []
        static let limit = 4096
        mutating func add(_ id: FileIdentity, _ meta: Metadata) {
            if rows.updateValue(meta, forKey: id) == nil { order.append(id) }
            if order.count > Self.limit { rows[order.removeFirst()] = nil }
        }
    }

    public init(sidecar: Sidecar) {
        self.sidecar = sidecar
    }

    /// The guest metadata of the file `fd` is open on (O_PATH fds included).
    public func metadata(fd: Int32) -> Metadata? { describe(fd: fd)?.0 }

    /// The guest metadata of `name` in directory `dirfd` (not following it).
    public func metadata(dirfd: Int32, name: String) -> Metadata? { describe(dirfd: dirfd, name: name)?.0 }

    /// The guest metadata and what the host says of the file `fd` is open
    /// on, from one statx and one lookup.
    public func describe(fd: Int32) -> (Metadata, FileIdentity.HostStat)? {
        guard let (id, host) = FileIdentity.of(fd: fd) else { return nil }
        if host.nlink == 0, let orphan = orphans.withLock({ $0.rows[id] }) { return (orphan, host) }
        return (sidecar.lookup(id) ?? host.defaults, host)
    }

    public func describe(dirfd: Int32, name: String) -> (Metadata, FileIdentity.HostStat)? {
        Snapshot(lookup: sidecar.lookup).describe(dirfd: dirfd, name: name)
    }

    /// Many files described from one read of the sidecar (a directory
    /// listing): one lock and one SQLite transaction, not one per file.
    public func snapshot<T>(_ body: (Snapshot) -> T) -> T {
        sidecar.reading { lookup in withoutActuallyEscaping(lookup) { body(Snapshot(lookup: $0)) } }
    }

    public struct Snapshot {
        let lookup: (FileIdentity) -> Metadata?

        public func describe(dirfd: Int32, name: String) -> (Metadata, FileIdentity.HostStat)? {
            guard let (id, host) = FileIdentity.of(dirfd: dirfd, name: name) else { return nil }
            return (lookup(id) ?? host.defaults, host)
        }
    }

    /// Changes the guest metadata of the file `fd` is open on, and moves
    /// its change time as the kernel's chown and chmod do: a chown kept in
    /// the sidecar alone shows in stat's ctime and in 9P's qid version.
    public func update(fd: Int32, _ change: (inout Metadata) -> Void) throws(VolFSError) {
        guard let (id, host) = FileIdentity.of(fd: fd) else { throw VolFSError("the file is gone", errno: LinuxErrno(Glibc.errno)) }
        try sidecar.modify(id, defaults: host.defaults, change)
        _ = fchownat(fd, "", UInt32.max, UInt32.max, AT_EMPTY_PATH)  // ids unchanged, ctime now
    }

    /// Records the metadata of a file just created as `name` in `dirfd`.
    public func created(dirfd: Int32, name: String, _ meta: Metadata) throws(VolFSError) {
        guard let (id, host) = FileIdentity.of(dirfd: dirfd, name: name) else { throw VolFSError("\(name): gone", errno: LinuxErrno(Glibc.errno)) }
        try store(id, meta, host: host)
    }

    /// A row only where the guest's view differs from the defaults, so a
    /// distro that the guest never chowns keeps an empty sidecar.
    public func record(_ id: FileIdentity, _ meta: Metadata, host: FileIdentity.HostStat) throws(VolFSError) {
        try store(id, meta, host: host)
    }

    func store(_ id: FileIdentity, _ meta: Metadata, host: FileIdentity.HostStat) throws(VolFSError) {
        if meta == host.defaults {
            if sidecar.lookup(id) != nil { try sidecar.remove(id) }
            return
        }
        try sidecar.store(id, meta)
    }

    /// Call before removing `name` from `dirfd`; call the result after a
    /// successful removal to drop the row of a file that is then gone.
    public func removal(dirfd: Int32, name: String) -> () -> Void {
        var st = stat()
        guard fstatat(dirfd, FileNames.cString(name), &st, AT_SYMLINK_NOFOLLOW) == 0,
              st.st_nlink <= 1 || st.st_mode & S_IFMT == S_IFDIR,
              let (id, _) = FileIdentity.of(dirfd: dirfd, name: name) else { return {} }
        let isDirectory = st.st_mode & S_IFMT == S_IFDIR
        return { [self] in
            guard let row = sidecar.lookup(id) else { return }
            if !isDirectory { orphans.withLock { $0.add(id, row) } }
            try? sidecar.remove(id)
        }
    }
}
