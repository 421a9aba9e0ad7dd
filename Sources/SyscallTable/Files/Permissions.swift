import Glibc
import PicoCore
import VolFS

/// The kernel's permission checks, made with the rulebook (VolFS.Rulebook)
/// against the sidecar's owners and modes for a guest the host would not
/// judge right (the host allows everything the host user may, which is
/// every file of the distro). A guest with CAP_DAC_OVERRIDE is left to the
/// host's mode checks, whose modes keep the guest's execute bits; one with
/// every capability, to the host for the other rules too.
enum Permissions {
    static let read: UInt32 = 4, write: UInt32 = 2, execute: UInt32 = 1
    static let sticky: UInt32 = 0o1000

    /// generic_permission() for `want` (a mask of read/write/execute).
    static func allows(_ meta: Metadata, _ k: Credentials, _ want: UInt32) -> Bool {
        Rulebook.mayAccess(meta, k.fileCaller, want) == nil
    }

    /// Every capability a file rule can ask for: a guest holding them all
    /// passes every rule (a container's root may lack others).
    static let ruleCapabilities = CapabilitySet.fileSystem | CapabilitySet([.sysAdmin, .setfcap])

    /// The checks apply in distro runs, to a guest whose capabilities do
    /// not already pass them: `modesOnly` for the mode check alone
    /// (CAP_DAC_OVERRIDE passes it), else every capability.
    static func applies(_ c: GuestCall, modesOnly: Bool = true) -> (Volume, Credentials)? {
        guard let volume = c.volume else { return nil }
        let k = c.processes.credentials(c.caller.tid)
        if modesOnly ? k.has(.dacOverride) : k.effective.isSuperset(of: ruleCapabilities) { return nil }
        return (volume, k)
    }

    /// EACCES unless the caller may `want` the file `fd` names (files of
    /// host mounts keep the host's checks).
    static func check(_ c: GuestCall, _ w: GuestFileTree.Walk, fd: Int32, _ want: UInt32) throws(TraceeError) {
        if want & write != 0 && (w.mount.readOnly || c.tree.isHostKernelSetting(w)) { throw TraceeError(.EROFS) }
        guard let (meta, k) = judged(c, w, fd: fd) else { return }
        if !allows(meta, k, want) { throw TraceeError(.EACCES) }
    }

    /// The owner and mode a non-root guest is judged by for `fd`: the
    /// sidecar's in the distro, the host's on /dev and /sys when picorun is
    /// root (`hostView`); nil where the host's own check decides.
    static func judged(_ c: GuestCall, _ w: GuestFileTree.Walk, fd: Int32, modesOnly: Bool = true) -> (Metadata, Credentials)? {
        // The kernel's one anonymous inode (eventfd, epoll, signalfd, timerfd
        // reopened through /proc/PID/fd) belongs to root, mode 0600.
        if w.guestPath.hasPrefix("anon_inode:"), let (_, k) = applies(c, modesOnly: modesOnly) {
            return (Metadata(uid: 0, gid: 0, mode: UInt32(S_IFREG) | 0o600), k)
        }
        if w.mount.kind != .volume || w.outsideTree { return hostView(c, w, fd: fd, modesOnly: modesOnly) }
        guard let (volume, k) = applies(c, modesOnly: modesOnly), let meta = volume.metadata(fd: fd) else { return nil }
        return (meta, k)
    }

    static let supervisorIsRoot = geteuid() == 0

    /// A file of a host mount (/dev, /sys) as the kernel would judge it for
    /// a guest that is not root, when picorun runs as host root and the
    /// host's own check would let everything through: the host's owner and
    /// mode against the guest's ids. /proc keeps the host's checks (its
    /// per-process files belong to the guests' host identity).
    static func hostView(_ c: GuestCall, _ w: GuestFileTree.Walk, fd: Int32, modesOnly: Bool = true) -> (Metadata, Credentials)? {
        guard supervisorIsRoot, w.mount.kind == .host, !w.mount.isProc || w.outsideTree,
              let (_, k) = applies(c, modesOnly: modesOnly) else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return (Metadata(uid: st.st_uid, gid: st.st_gid, mode: UInt32(st.st_mode)), k)
    }

    /// A rule of the rulebook for the walked object, where picorun judges
    /// it (a distro file, for a guest without every capability): its errno thrown.
    static func rule(_ c: GuestCall, _ w: GuestFileTree.Walk, fd: Int32,
                     _ verdict: (Metadata, Rulebook.Caller) -> LinuxErrno?) throws(TraceeError) {
        guard let (meta, k) = judged(c, w, fd: fd, modesOnly: false), let e = verdict(meta, k.fileCaller) else { return }
        throw TraceeError(e)
    }

    /// May the caller add or remove names in the walk's parent directory?
    static func checkParent(_ c: GuestCall, _ w: GuestFileTree.Walk) throws(TraceeError) {
        try check(c, w, fd: w.parent, write | execute)
    }

    /// Removing or replacing `w` (an existing name): write and search on the
    /// directory, and in a sticky directory only the file's or directory's
    /// owner (or CAP_FOWNER) may do it (may_delete).
    static func checkRemoval(_ c: GuestCall, _ w: GuestFileTree.Walk) throws(TraceeError) {
        try checkParent(c, w)
        guard w.exists else { return }
        // /dev/shm, /dev/mqueue: sticky host folders, with picorun perhaps host root.
        if let (dir, k) = hostView(c, w, fd: w.parent, modesOnly: false), let (file, _) = hostView(c, w, fd: w.object, modesOnly: false),
           Rulebook.isStickyProtected(file, in: dir, k.fileCaller) {
            throw TraceeError(.EPERM)
        }
        guard w.mount.kind == .volume, let (volume, k) = applies(c, modesOnly: false),
              let dir = volume.metadata(fd: w.parent), let file = volume.metadata(fd: w.object) else { return }
        if Rulebook.isStickyProtected(file, in: dir, k.fileCaller) { throw TraceeError(.EPERM) }
    }

    /// Read once: the walker asks on every symlink it follows.
    static let protectedSymlinks = Rulebook.protectedSymlinks

    /// fs.protected_symlinks for the walker (nil when the host turns it
    /// off): the owners as the guest sees them (the sidecar's in a distro),
    /// the caller's fs uid (the emulated one in a distro, its host identity
    /// on the host tree).
    static func followCheck(volume: Volume?, processes: GuestProcesses, tid: pid_t) -> (@Sendable (Int32, String, stat) -> Bool)? {
        guard protectedSymlinks else { return nil }
        return { dir, name, link in
            var st = stat()
            guard fstat(dir, &st) == 0, st.st_mode & (S_ISVTX | S_IWOTH) == S_ISVTX | S_IWOTH || volume != nil else { return true }
            let fsuid = volume != nil ? processes.credentials(tid).fsuid
                : HostIdentity.supervisorIsRoot ? processes.hostIdentity(tid)?.fsuid ?? 0 : geteuid()
            let dirMeta = volume?.metadata(fd: dir) ?? Metadata(uid: st.st_uid, gid: st.st_gid, mode: UInt32(st.st_mode))
            let linkOwner = volume?.metadata(dirfd: dir, name: name)?.uid ?? link.st_uid
            return Rulebook.mayFollowLink(owner: linkOwner, in: dirMeta, fsuid: fsuid) == nil
        }
    }

    /// Whose search checks a walk makes (the key of cached directories): in
    /// a distro the guest's emulated fs ids, groups and capabilities; on the
    /// host tree the thread's own, which the answering thread takes on
    /// (`HostIdentity`), or picorun's, which an unprivileged guest cannot change.
    static func searchIdentity(volume: Volume?, credentials k: Credentials, processes: GuestProcesses, tid: pid_t) -> GuestFileTree.Identity? {
        if volume != nil {
            return GuestFileTree.Identity(uid: k.fsuid, gid: k.fsgid, groups: k.groups, capabilities: k.effective.rawValue)
        }
        guard HostIdentity.supervisorIsRoot else { return ownIdentity }
        return processes.hostIdentity(tid).map {
            GuestFileTree.Identity(uid: $0.fsuid, gid: $0.fsgid, groups: $0.groups, capabilities: $0.capabilities)
        }
    }

    static let ownIdentity = GuestFileTree.Identity(uid: geteuid(), gid: getegid(), groups: [], capabilities: 0)

    /// The search check the walker makes for every distro directory it passes.
    static func searchCheck(volume: Volume?, credentials k: Credentials) -> (@Sendable (Int32) -> Bool)? {
        guard let volume, !k.has(.dacOverride) else { return nil }
        let caller = k.fileCaller
        return { fd in volume.metadata(fd: fd).map { Rulebook.mayAccess($0, caller, execute) == nil } ?? true }
    }
}
