import Glibc
import PicoCore
import VolFS

/// The kernel's permission checks, made against the sidecar's owners and
/// modes for a guest that is not root (the host would allow everything the
/// host user may, which is every file of the distro). A root guest is left
/// to the host's checks, whose modes keep the guest's execute bits.
enum Permissions {
    static let read: UInt32 = 4, write: UInt32 = 2, execute: UInt32 = 1
    static let sticky: UInt32 = 0o1000

    /// generic_permission() for `want` (a mask of read/write/execute).
    static func allows(_ meta: Metadata, _ k: Credentials, _ want: UInt32, realIDs: Bool = false) -> Bool {
        realIDs ? meta.allows(uid: k.ruid, gid: k.rgid, groups: k.groups, want)
            : meta.allows(uid: k.fsuid, gid: k.fsgid, groups: k.groups, want)
    }

    /// The checks apply in distro runs, to a guest without root's bypass.
    static func applies(_ c: PathContext) -> (Volume, Credentials)? {
        guard let volume = c.volume else { return nil }
        let k = c.processes.credentials(c.caller.tid)
        return k.isFileRoot ? nil : (volume, k)
    }

    /// EACCES unless the caller may `want` the file `fd` names (files of
    /// host mounts keep the host's checks).
    static func check(_ c: PathContext, _ w: GuestFileTree.Walk, fd: Int32, _ want: UInt32) throws(TraceeError) {
        if want & write != 0 && (w.mount.readOnly || c.tree.isHostKernelSetting(w)) { throw TraceeError(.EROFS) }
        guard let (meta, k) = judged(c, w, fd: fd) else { return }
        if !allows(meta, k, want) { throw TraceeError(.EACCES) }
    }

    /// The owner and mode a non-root guest is judged by for `fd`: the
    /// sidecar's in the distro, the host's on /dev and /sys when picorun is
    /// root (`hostView`); nil where the host's own check decides.
    static func judged(_ c: PathContext, _ w: GuestFileTree.Walk, fd: Int32) -> (Metadata, Credentials)? {
        // The kernel's one anonymous inode (eventfd, epoll, signalfd, timerfd
        // reopened through /proc/PID/fd) belongs to root, mode 0600.
        if w.guestPath.hasPrefix("anon_inode:"), let (_, k) = applies(c) {
            return (Metadata(uid: 0, gid: 0, mode: UInt32(S_IFREG) | 0o600), k)
        }
        if w.mount.kind != .volume || w.outsideTree { return hostView(c, w, fd: fd) }
        guard let (volume, k) = applies(c), let meta = volume.metadata(fd: fd) else { return nil }
        return (meta, k)
    }

    static let supervisorIsRoot = geteuid() == 0

    /// A file of a host mount (/dev, /sys) as the kernel would judge it for
    /// a guest that is not root, when picorun runs as host root and the
    /// host's own check would let everything through: the host's owner and
    /// mode against the guest's ids. /proc keeps the host's checks (its
    /// per-process files belong to the guests' host identity).
    static func hostView(_ c: PathContext, _ w: GuestFileTree.Walk, fd: Int32) -> (Metadata, Credentials)? {
        guard supervisorIsRoot, w.mount.kind == .host, !w.mount.isProc || w.outsideTree, let (_, k) = applies(c) else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return (Metadata(uid: st.st_uid, gid: st.st_gid, mode: UInt32(st.st_mode)), k)
    }

    /// The caller as the rulebook (VolFS.Rulebook) sees it.
    static func rulebookCaller(_ k: Credentials) -> Rulebook.Caller {
        Rulebook.Caller(fsuid: k.fsuid, fsgid: k.fsgid, groups: k.groups, privileged: k.isFileRoot)
    }

    /// A rule of the rulebook for the walked object, where picorun judges
    /// it (a distro file, for a guest that is not root): its errno thrown.
    static func rule(_ c: PathContext, _ w: GuestFileTree.Walk, fd: Int32,
                     _ verdict: (Metadata, Rulebook.Caller) -> Int32?) throws(TraceeError) {
        guard let (meta, k) = judged(c, w, fd: fd), let e = verdict(meta, rulebookCaller(k)) else { return }
        throw TraceeError(LinuxErrno(e))
    }

    /// May the caller add or remove names in the walk's parent directory?
    static func checkParent(_ c: PathContext, _ w: GuestFileTree.Walk) throws(TraceeError) {
        try check(c, w, fd: w.parent, write | execute)
    }

    /// Removing or replacing `w` (an existing name): write and search on the
    /// directory, and in a sticky directory only the file's or directory's
    /// owner may do it.
    static func checkRemoval(_ c: PathContext, _ w: GuestFileTree.Walk) throws(TraceeError) {
        try checkParent(c, w)
        // /dev/shm, /dev/mqueue: sticky host folders, with picorun perhaps host root.
        if w.exists, let (dir, k) = hostView(c, w, fd: w.parent), dir.mode & sticky != 0,
           let (file, _) = hostView(c, w, fd: w.object), k.fsuid != file.uid && k.fsuid != dir.uid {
            throw TraceeError(.EPERM)
        }
        guard w.exists, w.mount.kind == .volume, let (volume, k) = applies(c),
              let dir = volume.metadata(fd: w.parent), dir.mode & sticky != 0,
              let file = volume.metadata(fd: w.object) else { return }
        if k.fsuid != file.uid && k.fsuid != dir.uid { throw TraceeError(.EPERM) }
    }

    /// The search check the walker makes for every distro directory it passes.
    static func searchCheck(volume: Volume?, credentials k: Credentials) -> (@Sendable (Int32) -> Bool)? {
        guard let volume, !k.isFileRoot else { return nil }
        return { fd in volume.metadata(fd: fd).map { allows($0, k, execute) } ?? true }
    }
}
