import CPicoLinux
import FileNames
import Glibc
import LinuxABI
import Synchronization

/// The guest's file tree: a root directory on the host plus mounts (host
/// directories shown at guest paths, like /proc, /dev, /sys), walked with
/// chroot semantics entirely by the supervisor.
///
/// Resolution is race-free by construction: every component is opened with
/// openat(parent, name, O_PATH|O_NOFOLLOW) relative to the fd of the
/// directory before it, symlinks are read and spliced in by the walker, and
/// ".." pops the walker's own stack of directory fds, never asking the kernel
/// to climb. A component swapped for a symlink between two steps is seen as
/// a symlink and resolved inside the tree; nothing the guest does makes the
/// walk reach a host directory that is not under the root or a mount.
///
/// This file holds the tree's types and its mount table. The walk is in
/// TreeWalk.swift (what it carries between steps in WalkState.swift), the
/// directories it remembers in DirectoryCache.swift, /proc's magic links
/// in ProcMagicLinks.swift, and path spelling, which resolves nothing, in
/// PathText.swift.
public final class GuestFileTree {
    /// What a mount shows: the distro itself (VolFS, metadata from its
    /// sidecar), a host pseudo-filesystem as the host has it (/proc, /dev,
    /// /sys), or a host folder with DrvFS's fixed modes.
    public enum Kind: Sendable {
        case volume, host, drvfs
    }

    public final class Mount: @unchecked Sendable {
        /// Normalized guest path ("/" for the root, "/proc", ...).
        public let guestPath: String
        public let hostPath: String
        /// O_PATH fd of the host directory, kept open for the tree's life.
        public let fd: Int32
        public let readOnly: Bool
        /// /proc needs its magic links translated.
        public let isProc: Bool
        public let kind: Kind
        /// hostPath + "/": made once, compared on every translated path.
        let hostPrefix: String
        /// The host device the directory is on.
        public let device: UInt64

        init(guestPath: String, hostPath: String, fd: Int32, readOnly: Bool, isProc: Bool, kind: Kind, device: UInt64 = 0) {
            self.device = device
            self.guestPath = guestPath
            self.hostPath = hostPath
            self.fd = fd
            self.readOnly = readOnly
            self.isProc = isProc
            self.kind = kind
            hostPrefix = hostPath == "/" ? "/" : hostPath + "/"
        }
    }

    /// What a walk found. `parent` and `object` are O_PATH fds owned by the
    /// result: call `close()` when done.
    public struct Walk {
        /// The directory holding the final component.
        public let parent: Int32
        /// Guest path of `parent`.
        public let parentGuestPath: String
        /// The final component ("" when the path names a mount root).
        public let name: String
        /// The final object, or -1 if it does not exist.
        public let object: Int32
        /// Canonical guest path of the final object (symlinks resolved as asked).
        public let guestPath: String
        public let mount: Mount
        /// The path ended in "/" but names no directory: missing, or (for a
        /// walk that did not follow the final name) an existing non-directory,
        /// which a call using it must refuse with ENOTDIR.
        public var trailingSlash = false
        /// The host's stat of `object`, when the walk made one on its way
        /// (it needs the type): the stat calls answer from it, one syscall fewer.
        public var hostStat: stat?
        /// A host file outside the tree and its mounts that a guest holds,
        /// reached through /proc/PID/fd/N: judged by its host owner and mode.
        public var outsideTree = false
        /// The walk's `answerFinal` answered the call from the final name's
        /// directory: the result holds no fd (`parent` and `object` are -1).
        public var answered = false

        public var exists: Bool { object >= 0 || answered }
        /// `name` as the bytes a syscall takes.
        public var cName: [CChar] { FileNames.cString(name) }

        /// The object an fd names (the supervisor's duplicate `fd`, which
        /// the result owns), for calls that act on an fd rather than a path.
        public static func held(_ fd: Int32, in tree: GuestFileTree) -> Walk {
            let host = GuestFileTree.fdPath(fd)
            let guest = host.flatMap { tree.guestPath(ofHost: $0) } ?? ""
            let mount = host.flatMap { tree.mount(ofHost: $0) } ?? tree.root
            return Walk(parent: dup(fd), parentGuestPath: GuestFileTree.parentOf(guest), name: "", object: fd,
                        guestPath: guest, mount: mount)
        }

        /// A call answered from an fd without walking (see `answered`).
        public static func answered(in tree: GuestFileTree) -> Walk {
            var w = Walk(parent: -1, parentGuestPath: "", name: "", object: -1, guestPath: "", mount: tree.root)
            w.answered = true
            return w
        }

        public func close() {
            if object >= 0 { Glibc.close(object) }
            if parent >= 0 { Glibc.close(parent) }
        }
    }

    /// Who is asking, for /proc/self and relative paths.
    public struct Caller: Sendable {
        public let tgid: pid_t
        public let tid: pid_t
        /// The caller's working directory as a canonical guest path.
        public var cwd: String
        /// The caller's root (chroot(2)), a canonical guest path: where its
        /// absolute names start and its '..' stops. "/" for most.
        public let root: String
        /// For a caller that does not bypass permissions: whether it may
        /// search the directory an fd is open on (checked for every
        /// directory of the distro a walk passes through; mounts of host
        /// folders keep the host's own checks).
        public var maySearch: (@Sendable (Int32) -> Bool)?
        /// fs.protected_symlinks: whether the caller may follow the symlink
        /// `name` (host stat `link`) found in the directory `dir` (the walker
        /// follows links itself, so the kernel never asks).
        public var mayFollow: (@Sendable (_ dir: Int32, _ name: String, _ link: stat) -> Bool)?
        /// Who the search checks on the way are made for: walks by the same
        /// identity share cached directories (`DirectoryCache`). nil: none.
        public var identity: Identity?
        public init(tgid: pid_t, tid: pid_t, cwd: String, root: String = "/", maySearch: (@Sendable (Int32) -> Bool)? = nil,
                    mayFollow: (@Sendable (Int32, String, stat) -> Bool)? = nil) {
            self.tgid = tgid
            self.tid = tid
            self.cwd = cwd
            self.root = root
            self.maySearch = maySearch
            self.mayFollow = mayFollow
        }

        /// A guest path as the caller names it under its root. One outside
        /// the root keeps its full name, as the kernel's d_path gives it.
        public func visible(_ path: String) -> String { underRoot(path) ?? path }

        /// A guest path as the caller names it under its root; nil for one
        /// outside the root (which the caller cannot name at all).
        public func underRoot(_ path: String) -> String? {
            if root == "/" { return path }
            if path == root { return "/" }
            return path.hasPrefix(root + "/") ? String(path.dropFirst(root.utf8.count)) : nil
        }
    }

    /// What a directory's search check depends on: a cached directory is
    /// reused only by a walk made for the same.
    public struct Identity: Equatable, Sendable {
        public let uid: UInt32, gid: UInt32
        public let groups: [UInt32]
        public let capabilities: UInt64
        public init(uid: UInt32, gid: UInt32, groups: [UInt32], capabilities: UInt64) {
            self.uid = uid
            self.gid = gid
            self.groups = groups
            self.capabilities = capabilities
        }
    }

    /// openat2(2)'s RESOLVE_* restrictions, applied by the walker.
    public struct Resolve: OptionSet, Sendable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        public static let noXdev = Resolve(rawValue: 0x01)
        public static let noMagicLinks = Resolve(rawValue: 0x02)
        public static let noSymlinks = Resolve(rawValue: 0x04)
        public static let beneath = Resolve(rawValue: 0x08)
        public static let inRoot = Resolve(rawValue: 0x10)
        public static let cached = Resolve(rawValue: 0x20)
        /// picorun's own: a relative walk that starts at the base directory
        /// (an *at call's dirfd) instead of walking to it from the root.
        /// Whatever needs the base's ancestors (a ".." above it, an absolute
        /// or /proc magic symlink, ending on the base itself) throws
        /// `needsFullWalk`, and the caller walks from the root instead.
        public static let fromDirectory = Resolve(rawValue: 1 << 40)
        /// picorun's own: an absolute path is one of the tree's (a guest
        /// path picorun recorded), not one the caller names under its root.
        public static let treePath = Resolve(rawValue: 1 << 41)
        public var isScoped: Bool { !intersection([.beneath, .inRoot]).isEmpty }
    }

    /// Thrown only by a `.fromDirectory` walk; never reaches a guest.
    public static let needsFullWalk = TraceeError(LinuxErrno(rawValue: 1 << 20))

    /// Where a scoped walk (RESOLVE_BENEATH, RESOLVE_IN_ROOT) starts: the
    /// directory it may not leave, already walked.
    public struct Base {
        public let fd: Int32
        public let guestPath: String
        public let mount: Mount
        public init(_ w: Walk) {
            fd = w.object
            guestPath = w.guestPath
            mount = w.mount
        }

        public init(fd: Int32, guestPath: String, mount: Mount) {
            self.fd = fd
            self.guestPath = guestPath
            self.mount = mount
        }
    }

    public let root: Mount
    /// Counts changes that can make a cached directory wrong (renames,
    /// rmdirs, a directory's new mode, owner or ACL): this process's own by
    /// default, a distro's shared one (`ChangeCounters`) in distro runs.
    /// Set before any guest runs.
    public private(set) nonisolated(unsafe) var directoryChanges: UnsafeMutablePointer<UInt64>
    let ownChanges: UnsafeMutablePointer<UInt64>
    nonisolated(unsafe) var changesOwner: AnyObject?

    /// Counts directory changes in `counter` (a distro's, shared with the
    /// other processes that open it), which `owner` keeps mapped.
    public func shareDirectoryChanges(_ counter: UnsafeMutablePointer<UInt64>, keptBy owner: AnyObject) {
        directoryChanges = counter
        changesOwner = owner
    }
    /// Tells this tree's cached directories from another tree's.
    let serial = GuestFileTree.serials.add(1, ordering: .relaxed).newValue
    static let serials = Atomic<UInt64>(0)

    /// A guest (or the 9P server) changed a directory: every thread's
    /// cached directories are dropped before its next walk.
    public func directoriesChanged() { pico_counter_bump(directoryChanges) }

    /// Answers /proc/PID/{root,cwd,exe} of guest processes with guest paths
    /// (set once, before any guest runs, by whoever tracks processes).
    public nonisolated(unsafe) var procLinkOverride: (@Sendable (_ pid: pid_t, _ link: String) -> String?)?
    /// In a distro's tree, the processes /proc shows: the guest's own, as a
    /// pid namespace would (the supervisor's /proc/PID/mem and fds, and every
    /// host process, stay out of reach). nil on the host tree: all of them.
    public nonisolated(unsafe) var procShows: (@Sendable (pid_t) -> Bool)?
    /// The object a guest process's magic link names (an fd the result
    /// owns), for a walk that follows /proc/PID/fd/N or /proc/PID/exe;
    /// nil when the link is not a guest's (the host's text is walked).
    public nonisolated(unsafe) var procObject: (@Sendable (_ caller: Caller, _ link: ProcLink) throws(TraceeError) -> Int32?)?
    /// Whether the caller may look into process `pid`'s fd/, exe, cwd and
    /// root (ptrace_may_access with PTRACE_MODE_READ_FSCREDS, by the
    /// caller's own credentials). nil: everyone may.
    public nonisolated(unsafe) var procAccess: (@Sendable (_ caller: Caller, _ pid: pid_t) -> Bool)?

    /// The host kernel's settings under /proc (sys/, sysrq-trigger): read-only
    /// to a distro's guest, which must not change the host through them.
    public func isHostKernelSetting(_ w: Walk) -> Bool {
        guard procShows != nil, w.mount.isProc else { return false }
        let inside = w.guestPath.dropFirst(w.mount.guestPath.count)
        return inside == "/sys" || inside.hasPrefix("/sys/") || inside == "/sysrq-trigger"
    }
    /// Longest guest path first, so the most specific mount wins.
    public private(set) var mounts: [Mount]

    static let maxSymlinks = 40
    static let pathMax = 4096

    public init(root hostRoot: String) throws(SupervisorError) {
        root = try Self.openMount(guest: "/", host: hostRoot, readOnly: false, kind: .volume)
        mounts = [root]
        ownChanges = .allocate(capacity: 1)
        ownChanges.initialize(to: 0)
        directoryChanges = ownChanges
    }

    deinit {
        for m in mounts { close(m.fd) }
        ownChanges.deallocate()
    }

    /// Shows host directory `host` at guest path `guest`.
    public func mount(guest: String, host: String, readOnly: Bool = false, kind: Kind = .host) throws(SupervisorError) {
        let g = Self.normalize(guest)
        guard g != "/" else { throw SupervisorError("cannot mount over the guest root") }
        let m = try Self.openMount(guest: g, host: host, readOnly: readOnly, kind: kind)
        mounts.append(m)
        mounts.sort { $0.guestPath.count > $1.guestPath.count }
    }

    static func openMount(guest: String, host: String, readOnly: Bool, kind: Kind) throws(SupervisorError) -> Mount {
        let fd = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SupervisorError("\(host): \(hostErrorString(errno))") }
        let real = Self.fdPath(fd) ?? host
        var st = stat()
        _ = fstat(fd, &st)
        return Mount(guestPath: guest, hostPath: real, fd: fd, readOnly: readOnly,
                     isProc: real == "/proc", kind: kind, device: UInt64(st.st_dev))
    }

    /// The mount a file on host device `dev` belongs to, when no other
    /// mount shares that device (a file's fstat then tells its mount
    /// without a readlink of its path); nil when it is ambiguous.
    public func mount(ofDevice dev: UInt64) -> Mount? {
        var found: Mount?
        for m in mounts where m.device == dev {
            if found != nil { return nil }
            found = m
        }
        return found
    }

    /// The guest path and mount of the directory on (dev, ino), as a walk
    /// from a dirfd found it before (see `DirectoryCache`).
    public func cachedDirectory(dev: UInt64, ino: UInt64) -> (guest: String, mount: Mount)? {
        withCache { $0.directory(dev: dev, ino: ino) }
    }

    public func rememberDirectory(dev: UInt64, ino: UInt64, guest: String, mount: Mount) {
        withCache { $0.remember(dev: dev, ino: ino, guest: guest, mount: mount) }
    }

    /// This thread's cache, checked against the change counter, outside a walk.
    func withCache<T>(_ body: (DirectoryCache) -> T) -> T {
        let cache = DirectoryCache.perThread.current
        cache.begin(tree: serial, generation: pico_counter_load(directoryChanges))
        defer { cache.end() }
        return body(cache)
    }

    /// The mount whose guest path is exactly `g`, if any.
    func mountAt(_ g: String) -> Mount? { mounts.first { $0.guestPath == g } }

    /// The guest path of a host path inside the root or a mount, or nil if
    /// the host path is outside everything the guest may see.
    public func guestPath(ofHost host: String) -> String? {
        let h = Self.normalize(host)
        guard let m = Self.innermost(h, root: root, mounts: mounts) else { return nil }
        if m.guestPath == "/" {
            return root.hostPath == "/" ? h : h == root.hostPath ? "/" : String(h.dropFirst(root.hostPath.count))
        }
        return h == m.hostPath ? m.guestPath : m.guestPath + h.dropFirst(m.hostPath.count)
    }

    /// The mount a host path lies in (the root for the distro's own files).
    public func mount(ofHost host: String) -> Mount? {
        Self.innermost(Self.normalize(host), root: root, mounts: mounts)
    }

    /// The mount whose host directory is the deepest one holding `h`: a
    /// rootfs inside a mounted home folder is the root's, not the mount's.
    /// On a tie (one host folder mounted twice) the root, then the first.
    static func innermost(_ h: String, root: Mount, mounts: [Mount]) -> Mount? {
        func holds(_ m: Mount) -> Bool { m.hostPath == "/" || h == m.hostPath || h.hasPrefix(m.hostPrefix) }
        var best: Mount? = holds(root) ? root : nil
        for m in mounts where m.guestPath != "/" && holds(m) {
            if best == nil || m.hostPath.utf8.count > best!.hostPath.utf8.count { best = m }
        }
        return best
    }

    /// The mount a canonical guest path lies in (the most specific one).
    public func mount(ofGuest guest: String) -> Mount? {
        for m in mounts where m.guestPath != "/" {
            if guest == m.guestPath || guest.hasPrefix(m.guestPath + "/") { return m }
        }
        return guest.hasPrefix("/") ? root : nil
    }
}
