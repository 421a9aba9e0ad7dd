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

    /// "/a/b" for any spelling ("//a/./b/"), without resolving anything.
    public static func normalize(_ path: String) -> String {
        if isNormal(path) { return path }
        var parts: [Substring] = []
        for c in path.split(separator: "/") where c != "." {
            if c == ".." { if !parts.isEmpty { parts.removeLast() } } else { parts.append(c) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Already "/a/b": absolute, no empty, "." or ".." component, no
    /// trailing slash (what the kernel's readlink of /proc/self/fd gives).
    static func isNormal(_ path: String) -> Bool {
        var u = path.utf8.makeIterator()
        guard u.next() == UInt8(ascii: "/") else { return false }
        if path.utf8.count == 1 { return true }
        var run = 0  // bytes of the current component, or dots only: -dots
        var dotsOnly = true
        for b in path.utf8.dropFirst() {
            if b == UInt8(ascii: "/") {
                if run == 0 || (dotsOnly && run <= 2) { return false }
                run = 0
                dotsOnly = true
            } else {
                run += 1
                if b != UInt8(ascii: ".") { dotsOnly = false }
            }
        }
        return run > 0 && !(dotsOnly && run <= 2)
    }

    static func join(_ dir: String, _ name: String) -> String {
        dir == "/" ? "/" + name : dir + "/" + name
    }

    /// Resolves `path` as the guest names it. `followFinal` follows a
    /// symlink in the last component (stat vs lstat). Errors are the errno
    /// the guest must see.
    /// With a `base`, the walk is scoped to it as openat2 scopes a lookup
    /// to its dirfd: `..` and absolute names stop at it (RESOLVE_IN_ROOT)
    /// or fail with EXDEV (RESOLVE_BENEATH).
    /// `answerFinal` may answer the call from the final name's directory
    /// (fd, name, mount) without an fd of the object: true, and the result
    /// is `answered`. It is asked only for a name that is not a mount
    /// point, not under /proc and not ending in "/"; false lets the walk go on.
    public func walk(_ path: [UInt8], caller: Caller, followFinal: Bool, resolve: Resolve = [],
                     base: Base? = nil,
                     answerFinal: (_ dirfd: Int32, _ name: String, _ mount: Mount) -> Bool = { _, _, _ in false }) throws(TraceeError) -> Walk {
        guard !path.isEmpty else { throw TraceeError(.ENOENT) }
        guard path.count < Self.pathMax else { throw TraceeError(.ENAMETOOLONG) }
        let text = FileNames.string(path)
        let beneath = resolve.contains(.beneath) && base != nil
        let fromDirectory = resolve.contains(.fromDirectory) && base != nil
        if beneath && text.hasPrefix("/") { throw TraceeError(.EXDEV) }
        // A chrooted caller's absolute names (its own, and its symlinks') start at its root.
        let rootComponents: [Substring] = base == nil && caller.root != "/" ? Array(caller.root.split(separator: "/")) : []
        // "name/" must be a directory: a final symlink is followed and
        // anything else is ENOTDIR.
        let trailingSlash = path.last == UInt8(ascii: "/")
        let asked = followFinal
        let followFinal = followFinal || trailingSlash
        // The stack of directories walked so far: (fd, guest path, mount).
        // A mount's own fd is borrowed (the tree keeps it open), never
        // closed here; it is duplicated only if it ends up in the result.
        var stack: [(fd: Int32, guest: String, mount: Mount, owned: Bool)] = []
        func push(_ m: Mount) {
            stack.append((m.fd, m.guestPath, m, false))
        }
        func release(_ s: (fd: Int32, guest: String, mount: Mount, owned: Bool)) {
            if s.owned { close(s.fd) }
        }
        func closeStack() {
            for s in stack { release(s) }
            stack.removeAll()
        }
        /// An fd the result owns for stack entry `s` (taken from the stack).
        func keep(_ s: (fd: Int32, guest: String, mount: Mount, owned: Bool)) throws(TraceeError) -> Int32 {
            if s.owned { return s.fd }
            let fd = dup(s.fd)
            guard fd >= 0 else { throw TraceeError(LinuxErrno(errno)) }
            return fd
        }

        // Start from the tree's root, walk to the caller's cwd (it is
        // canonical) or root first.
        var pending: [Substring] = Array(text.split(separator: "/"))
        if base == nil {
            if !text.hasPrefix("/") {
                pending = Array(caller.cwd.split(separator: "/")) + pending
            } else if !resolve.contains(.treePath) {
                pending = rootComponents + pending
            }
        }
        // Cached directories: for plain walks by a known identity.
        let identity = caller.identity
        let cache = identity != nil && base == nil && resolve.subtracting(.treePath).isEmpty ? DirectoryCache.perThread.current : nil
        cache?.begin(tree: serial, generation: pico_counter_load(directoryChanges))
        defer { cache?.end() }
        // Jumps over the pending components that name cached directories,
        // from the top of the stack (never the final name, never into /proc
        // or across a mount point: the walk takes those steps itself).
        var tryCache = cache != nil
        func jump() {
            guard let cache, let identity else { return }
            var top = stack[stack.count - 1]
            while pending.count > 1, !top.mount.isProc {
                let comp = pending[0]
                if comp == "." || comp == ".." { return }
                let g = Self.join(top.guest, String(comp))
                if mountAt(g) != nil { return }
                guard let e = cache.lookup(g, identity: identity) else { return }
                top = (e.fd, g, e.mount, false)
                stack.append(top)
                pending.removeFirst()
            }
        }
        /// Pushes a directory the walk just opened, lending it to the cache.
        func pushOpened(_ fd: Int32, _ g: String, _ m: Mount) {
            if let cache, let identity, !m.isProc, cache.insert(g, fd: fd, mount: m, identity: identity) {
                stack.append((fd, g, m, false))
            } else {
                stack.append((fd, g, m, true))
            }
        }
        do throws(TraceeError) {
            if let base {
                stack.append((base.fd, base.guestPath, base.mount, false))
            } else {
                push(root)
            }
            // A mount may sit at the very first component; handled per step.
            var symlinks = 0
            var finalName = ""
            while !pending.isEmpty {
                if tryCache {
                    tryCache = false
                    jump()
                }
                let comp = pending.removeFirst()
                let isLast = pending.isEmpty
                if comp == "." || comp == ".." {
                    // Looking up "." or ".." in a directory needs search
                    // permission on it, as any other name does (may_lookup).
                    if !Self.maySearch(stack[stack.count - 1], caller) { throw TraceeError(.EACCES) }
                }
                if comp == "." {
                    if isLast { finalName = "" }
                    continue
                }
                if comp == ".." {
                    if stack.count == 1 && beneath { throw TraceeError(.EXDEV) }
                    if stack.count == 1 && fromDirectory { throw Self.needsFullWalk }
                    // At the caller's root '..' stays there, as in the kernel.
                    if stack.count > 1 && stack[stack.count - 1].guest != caller.root {
                        let left = stack.removeLast()
                        release(left)
                        if resolve.contains(.noXdev) && left.mount.guestPath != stack[stack.count - 1].mount.guestPath {
                            throw TraceeError(.EXDEV)
                        }
                    }
                    if isLast { finalName = "" }
                    continue
                }
                guard comp.utf8.count <= 255 else { throw TraceeError(.ENAMETOOLONG) }
                let top = stack[stack.count - 1]
                if let maySearch = caller.maySearch, top.mount.guestPath == "/", !maySearch(top.fd) {
                    throw TraceeError(.EACCES)
                }
                let guestHere = Self.join(top.guest, String(comp))
                if let m = mountAt(guestHere) {
                    if resolve.contains(.noXdev) { throw TraceeError(.EXDEV) }
                    push(m)
                    if isLast { finalName = "" }
                    tryCache = cache != nil
                    continue
                }
                let name = String(comp)
                if top.mount.isProc && top.guest == top.mount.guestPath {
                    // /proc/self and /proc/thread-self name the caller, not the supervisor.
                    if name == "self" { pending.insert(contentsOf: ["\(caller.tgid)"], at: 0); continue }
                    if name == "thread-self" {
                        pending.insert(contentsOf: ["\(caller.tgid)", "task", "\(caller.tid)"], at: 0)
                        continue
                    }
                    if let pid = pid_t(name), caller.tgid != Self.supervisorPid {
                        // The first guest's parent shows only what anyone may read of it.
                        let parentView = pid == Self.supervisorPid && Self.supervisorShows(pending)
                        if !parentView && (Self.isSupervisorTask(pid) || procShows.map({ !$0(pid) }) == true) {
                            throw TraceeError(.ENOENT)
                        }
                    }
                }
                // The supervisor opens /proc with its own rights: another
                // process's links, memory, environment and auxv are the
                // caller's only as ptrace_may_access allows.
                if top.mount.isProc, caller.tgid != Self.supervisorPid, let procAccess,
                   (["fd", "exe", "cwd", "root", "map_files"].contains(name) && (name == "fd" || name == "map_files" || !isLast || followFinal))
                    || (isLast && ["mem", "environ", "auxv"].contains(name)) {
                    let dir = top.guest.dropFirst(top.mount.guestPath.count).split(separator: "/")
                    if dir.count == 1 || (dir.count == 3 && dir[1] == "task"), let pid = Self.procOwner(of: dir), !procAccess(caller, pid) {
                        throw TraceeError(.EACCES)
                    }
                }
                if !isLast {
                    // Most components are plain directories: one openat, no fstat.
                    let dir = openat(top.fd, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC)
                    if dir >= 0 {
                        pushOpened(dir, guestHere, top.mount)
                        continue
                    }
                    if errno != ENOTDIR { throw TraceeError(LinuxErrno(errno)) }
                } else if !trailingSlash, !top.mount.isProc, answerFinal(top.fd, name, top.mount) {
                    closeStack()
                    var answered = Walk(parent: -1, parentGuestPath: top.guest, name: name, object: -1,
                                        guestPath: guestHere, mount: top.mount)
                    answered.answered = true
                    return answered
                }
                let fd = openat(top.fd, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_CLOEXEC)
                if fd < 0 {
                    let e = errno
                    if e == ENOENT && isLast {
                        finalName = name
                        break
                    }
                    throw TraceeError(LinuxErrno(e))
                }
                var st = stat()
                guard fstat(fd, &st) == 0 else { close(fd); throw TraceeError(LinuxErrno(errno)) }
                let type = st.st_mode & S_IFMT
                if type == S_IFLNK && (!isLast || followFinal) {
                    if resolve.contains(.noSymlinks) { close(fd); throw TraceeError(.ELOOP) }
                    symlinks += 1
                    guard symlinks <= Self.maxSymlinks else { close(fd); throw TraceeError(.ELOOP) }
                    let target = Self.readLink(fd)
                    close(fd)
                    guard let target, !target.isEmpty else { throw TraceeError(.ENOENT) }
                    if top.mount.isProc, target.hasPrefix("/") || !target.allSatisfy({ $0 != ":" }) {
                        // A magic link (fd/N, cwd, root, exe): the kernel's answer is
                        // a host path or an anonymous object; only paths inside the
                        // tree may be followed, and then as guest paths.
                        if resolve.contains(.noMagicLinks) { throw TraceeError(.ELOOP) }
                        if fromDirectory { throw Self.needsFullWalk }
                        if resolve.isScoped || resolve.contains(.noXdev) { throw TraceeError(.EXDEV) }
                        let inProc = top.guest.dropFirst(top.mount.guestPath.count).split(separator: "/")
                        let link = ProcLink(in: inProc, name: name)
                        if let link, isLast && followFinal || link.kind == .exe, let object = try procObject?(caller, link) {
                            // A program is no directory to walk through.
                            if !isLast { close(object); throw TraceeError(.ENOTDIR) }
                            if let held = try heldObject(object, caller: caller, name: name, parentFD: top.fd,
                                                         parentGuestPath: top.guest, procMount: top.mount) {
                                closeStack()
                                return held
                            }
                        }
                        let override = link.flatMap { procLinkOverride?($0.pid, name) }
                        guard let guest = override ?? guestPath(ofHost: target) else { throw TraceeError(.EACCES) }
                        for s in stack.dropFirst() { release(s) }
                        stack.removeSubrange(1...)
                        pending = Array(guest.split(separator: "/")) + pending
                        tryCache = cache != nil
                        continue
                    }
                    if let mayFollow = caller.mayFollow, !mayFollow(top.fd, name, st) { throw TraceeError(.EACCES) }
                    if target.hasPrefix("/") {
                        if beneath { throw TraceeError(.EXDEV) }
                        if fromDirectory { throw Self.needsFullWalk }
                        if resolve.contains(.noXdev) && top.mount.guestPath != stack[0].mount.guestPath {
                            throw TraceeError(.EXDEV)
                        }
                        for s in stack.dropFirst() { release(s) }
                        stack.removeSubrange(1...)
                    }
                    pending = Array(target.split(separator: "/")) + pending
                    if target.hasPrefix("/") { pending = rootComponents + pending }
                    if pending.isEmpty { finalName = "" }
                    tryCache = cache != nil
                    continue
                }
                if isLast {
                    // A call that uses the object fails here; one that names it
                    // (unlink, mkdir's EEXIST) decides with `trailingSlash`.
                    if trailingSlash && type != S_IFDIR && asked { close(fd); throw TraceeError(.ENOTDIR) }
                    let parent = stack.removeLast()
                    closeStack()
                    let parentFD: Int32
                    do throws(TraceeError) { parentFD = try keep(parent) } catch { close(fd); throw error }
                    var found = Walk(parent: parentFD, parentGuestPath: top.guest, name: name, object: fd,
                                     guestPath: guestHere, mount: top.mount)
                    found.trailingSlash = trailingSlash && type != S_IFDIR
                    found.hostStat = st
                    return found
                }
                guard type == S_IFDIR else { close(fd); throw TraceeError(.ENOTDIR) }
                pushOpened(fd, guestHere, top.mount)
            }
            // Ended on a directory (".", "..", a mount root, a symlink to a
            // directory) or on a missing final component.
            let last = stack.removeLast()
            let top = (fd: try keep(last), guest: last.guest, mount: last.mount)
            if !finalName.isEmpty {
                closeStack()
                var missing = Walk(parent: top.fd, parentGuestPath: top.guest, name: finalName, object: -1,
                                   guestPath: Self.join(top.guest, finalName), mount: top.mount)
                missing.trailingSlash = trailingSlash
                return missing
            }
            // The parent is the walker's previous directory, never the kernel's
            // "..": above the root or a mount root that would be a host directory.
            let above = stack.last
            if above == nil && fromDirectory { close(top.fd); throw Self.needsFullWalk }
            let parentFD = dup(above?.fd ?? top.fd)
            closeStack()
            return Walk(parent: parentFD, parentGuestPath: above?.guest ?? "/", name: "", object: top.fd,
                        guestPath: top.guest, mount: top.mount)
        } catch {
            closeStack()
            throw error
        }
    }

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

    static func parentOf(_ g: String) -> String {
        guard let i = g.lastIndex(of: "/"), g != "/" else { return "/" }
        return i == g.startIndex ? "/" : String(g[..<i])
    }

    public static func readLink(_ fd: Int32) -> String? {
        var buf = [UInt8](repeating: 0, count: pathMax + 1)
        let n = buf.withUnsafeMutableBytes { readlinkat(fd, "", $0.baseAddress!.assumingMemoryBound(to: CChar.self), pathMax) }
        guard n >= 0 else { return nil }
        return FileNames.string(buf[0..<n])
    }

    /// The host path an fd refers to, from /proc/self/fd.
    public static func fdPath(_ fd: Int32) -> String? { linkTarget("/proc/self/fd/\(fd)") }

    /// readlink(2) of a host path (a /proc magic link, usually), as a String.
    public static func linkTarget(_ path: String) -> String? {
        var buf = [UInt8](repeating: 0, count: pathMax + 1)
        let n = buf.withUnsafeMutableBytes { readlink(FileNames.cString(path), $0.baseAddress!.assumingMemoryBound(to: CChar.self), pathMax) }
        guard n >= 0 else { return nil }
        return FileNames.string(buf[0..<n])
    }
}
