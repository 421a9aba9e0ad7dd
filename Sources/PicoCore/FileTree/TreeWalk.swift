import CPicoLinux
import FileNames
import Glibc
import LinuxABI

/// The walk itself: a guest path resolved one component at a time, each an
/// openat relative to the directory before it (the tree's header says why
/// that makes it race-free).
///
/// Why this shape: `walk` runs for every path syscall, so its state is one
/// struct (`WalkState`) handed from step to step `inout`, and every step is
/// a method named for the case it handles (a start, ".", "..", a name, a
/// mount point, a /proc name, a symlink, a magic link, the final object, the
/// end on a directory): `walk` itself reads as the algorithm, and no step
/// allocates a closure or a box of captured variables.
extension GuestFileTree {
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
        var s = try startWalk(path, caller: caller, followFinal: followFinal, resolve: resolve, base: base)
        s.cache?.begin(tree: serial, generation: pico_counter_load(directoryChanges))
        defer { s.cache?.end() }
        do throws(TraceeError) {
            // A mount may sit at the very first component; handled per step.
            while !s.pending.isEmpty {
                if s.tryCache {
                    s.tryCache = false
                    jumpCached(&s)
                }
                let comp = s.pending.removeFirst()
                let isLast = s.pending.isEmpty
                if comp == "." || comp == ".." {
                    try dots(comp, isLast: isLast, &s, caller: caller)
                } else if let found = try enter(comp, isLast: isLast, &s, caller: caller, answerFinal: answerFinal) {
                    return found
                }
            }
            return try ended(&s)
        } catch {
            s.closeStack()
            throw error
        }
    }

    /// Where the walk starts: at the base directory, else at the tree's
    /// root with the caller's cwd (it is canonical) or root walked first.
    private func startWalk(_ path: [UInt8], caller: Caller, followFinal: Bool, resolve: Resolve,
                           base: Base?) throws(TraceeError) -> WalkState {
        let text = FileNames.string(path)
        let beneath = resolve.contains(.beneath) && base != nil
        let fromDirectory = resolve.contains(.fromDirectory) && base != nil
        if beneath && text.hasPrefix("/") { throw TraceeError(.EXDEV) }
        // A chrooted caller's absolute names (its own, and its symlinks') start at its root.
        let rootComponents: [Substring] = base == nil && caller.root != "/" ? Array(caller.root.split(separator: "/")) : []
        // "name/" must be a directory: a final symlink is followed and
        // anything else is ENOTDIR.
        let trailingSlash = path.last == UInt8(ascii: "/")
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
        var s = WalkState(pending: pending, tryCache: cache != nil, resolve: resolve, asked: followFinal,
                          followFinal: followFinal || trailingSlash, trailingSlash: trailingSlash, beneath: beneath,
                          fromDirectory: fromDirectory, rootComponents: rootComponents, cache: cache, identity: identity)
        if let base {
            s.stack.append(WalkedDirectory(fd: base.fd, guest: base.guestPath, mount: base.mount, owned: false))
        } else {
            s.push(root)
        }
        return s
    }

    /// Jumps over the pending components that name cached directories,
    /// from the top of the stack (never the final name, never into /proc
    /// or across a mount point: the walk takes those steps itself).
    private func jumpCached(_ s: inout WalkState) {
        guard let cache = s.cache, let identity = s.identity else { return }
        var top = s.top
        while s.pending.count > 1, !top.mount.isProc {
            let comp = s.pending[0]
            if comp == "." || comp == ".." { return }
            let g = Self.join(top.guest, String(comp))
            if mountAt(g) != nil { return }
            guard let e = cache.lookup(g, identity: identity) else { return }
            top = WalkedDirectory(fd: e.fd, guest: g, mount: e.mount, owned: false)
            s.stack.append(top)
            s.pending.removeFirst()
        }
    }

    /// "." and "..", which the walker answers from its own stack.
    @inline(__always)
    private func dots(_ comp: Substring, isLast: Bool, _ s: inout WalkState, caller: Caller) throws(TraceeError) {
        // Looking up "." or ".." in a directory needs search
        // permission on it, as any other name does (may_lookup).
        if !Self.maySearch(s.top, caller) { throw TraceeError(.EACCES) }
        if comp == ".." { try climb(&s, caller: caller) }
        if isLast { s.finalName = "" }
    }

    /// "..": pops the walker's stack; the kernel is never asked to climb.
    private func climb(_ s: inout WalkState, caller: Caller) throws(TraceeError) {
        if s.stack.count == 1 && s.beneath { throw TraceeError(.EXDEV) }
        if s.stack.count == 1 && s.fromDirectory { throw Self.needsFullWalk }
        // At the caller's root '..' stays there, as in the kernel.
        if s.stack.count > 1 && s.top.guest != caller.root {
            let left = s.stack.removeLast()
            left.release()
            if s.resolve.contains(.noXdev) && left.mount.guestPath != s.top.mount.guestPath {
                throw TraceeError(.EXDEV)
            }
        }
    }

    /// A name in the directory on top of the stack: a mount point, a /proc
    /// name that depends on the caller, a directory to walk into, a symlink
    /// to follow, or the final object. nil: the walk goes on.
    private func enter(_ comp: Substring, isLast: Bool, _ s: inout WalkState, caller: Caller,
                       answerFinal: (_ dirfd: Int32, _ name: String, _ mount: Mount) -> Bool) throws(TraceeError) -> Walk? {
        guard comp.utf8.count <= 255 else { throw TraceeError(.ENAMETOOLONG) }
        let top = s.top
        if let maySearch = caller.maySearch, top.mount.guestPath == "/", !maySearch(top.fd) {
            throw TraceeError(.EACCES)
        }
        let guestHere = Self.join(top.guest, String(comp))
        if let m = mountAt(guestHere) {
            try crossMount(m, isLast: isLast, &s)
            return nil
        }
        let name = String(comp)
        if top.mount.isProc, try procName(name, in: top, isLast: isLast, &s, caller: caller) { return nil }
        if !isLast {
            // Most components are plain directories: one openat, no fstat.
            let dir = openat(top.fd, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC)
            if dir >= 0 {
                s.pushOpened(dir, guestHere, top.mount)
                return nil
            }
            if errno != ENOTDIR { throw TraceeError(LinuxErrno(errno)) }
        } else if !s.trailingSlash, !top.mount.isProc, answerFinal(top.fd, name, top.mount) {
            s.closeStack()
            var answered = Walk(parent: -1, parentGuestPath: top.guest, name: name, object: -1,
                                guestPath: guestHere, mount: top.mount)
            answered.answered = true
            return answered
        }
        let fd = openat(top.fd, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT && isLast {
                s.finalName = name
                return nil
            }
            throw TraceeError(LinuxErrno(e))
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw TraceeError(LinuxErrno(errno)) }
        let type = st.st_mode & S_IFMT
        if type == S_IFLNK && (!isLast || s.followFinal) {
            return try followSymlink(fd, st, name: name, in: top, isLast: isLast, &s, caller: caller)
        }
        if isLast { return try foundFinal(fd, st, name: name, at: guestHere, in: top, &s) }
        guard type == S_IFDIR else { close(fd); throw TraceeError(.ENOTDIR) }
        s.pushOpened(fd, guestHere, top.mount)
        return nil
    }

    /// A mount point: the walk goes on in the mounted directory, never in
    /// the one it covers.
    @inline(__always)
    private func crossMount(_ m: Mount, isLast: Bool, _ s: inout WalkState) throws(TraceeError) {
        if s.resolve.contains(.noXdev) { throw TraceeError(.EXDEV) }
        s.push(m)
        if isLast { s.finalName = "" }
        s.tryCache = s.cache != nil
    }

    /// A name in /proc (`top` is under /proc's mount), where what the
    /// caller may see depends on who it is. true: the name stood for other
    /// components (/proc/self), now pending in its place.
    private func procName(_ name: String, in top: WalkedDirectory, isLast: Bool, _ s: inout WalkState,
                          caller: Caller) throws(TraceeError) -> Bool {
        if top.guest == top.mount.guestPath {
            // /proc/self and /proc/thread-self name the caller, not the supervisor.
            if name == "self" { s.pending.insert(contentsOf: ["\(caller.tgid)"], at: 0); return true }
            if name == "thread-self" {
                s.pending.insert(contentsOf: ["\(caller.tgid)", "task", "\(caller.tid)"], at: 0)
                return true
            }
            if let pid = pid_t(name), caller.tgid != Self.supervisorPid {
                // The first guest's parent shows only what anyone may read of it.
                let parentView = pid == Self.supervisorPid && Self.supervisorShows(s.pending)
                if !parentView && (Self.isSupervisorTask(pid) || procShows.map({ !$0(pid) }) == true) {
                    throw TraceeError(.ENOENT)
                }
            }
        }
        // The supervisor opens /proc with its own rights: another
        // process's links, memory, environment and auxv are the
        // caller's only as ptrace_may_access allows.
        if caller.tgid != Self.supervisorPid, let procAccess,
           (["fd", "exe", "cwd", "root", "map_files"].contains(name) && (name == "fd" || name == "map_files" || !isLast || s.followFinal))
            || (isLast && ["mem", "environ", "auxv"].contains(name)) {
            let dir = top.guest.dropFirst(top.mount.guestPath.count).split(separator: "/")
            if dir.count == 1 || (dir.count == 3 && dir[1] == "task"), let pid = Self.procOwner(of: dir), !procAccess(caller, pid) {
                throw TraceeError(.EACCES)
            }
        }
        return false
    }

    /// A symlink on the way, or a final one to follow (`fd`, which this
    /// closes): its target's components go before the pending ones. A
    /// result only when a /proc magic link hands over the object itself.
    private func followSymlink(_ fd: Int32, _ st: stat, name: String, in top: WalkedDirectory, isLast: Bool,
                               _ s: inout WalkState, caller: Caller) throws(TraceeError) -> Walk? {
        if s.resolve.contains(.noSymlinks) { close(fd); throw TraceeError(.ELOOP) }
        s.symlinks += 1
        guard s.symlinks <= Self.maxSymlinks else { close(fd); throw TraceeError(.ELOOP) }
        let target = Self.readLink(fd)
        close(fd)
        guard let target, !target.isEmpty else { throw TraceeError(.ENOENT) }
        if top.mount.isProc, target.hasPrefix("/") || !target.allSatisfy({ $0 != ":" }) {
            return try followMagicLink(target, name: name, in: top, isLast: isLast, &s, caller: caller)
        }
        if let mayFollow = caller.mayFollow, !mayFollow(top.fd, name, st) { throw TraceeError(.EACCES) }
        if target.hasPrefix("/") {
            if s.beneath { throw TraceeError(.EXDEV) }
            if s.fromDirectory { throw Self.needsFullWalk }
            if s.resolve.contains(.noXdev) && top.mount.guestPath != s.stack[0].mount.guestPath {
                throw TraceeError(.EXDEV)
            }
            s.popToFirst()
        }
        s.pending = Array(target.split(separator: "/")) + s.pending
        if target.hasPrefix("/") { s.pending = s.rootComponents + s.pending }
        if s.pending.isEmpty { s.finalName = "" }
        s.tryCache = s.cache != nil
        return nil
    }

    /// A magic link (fd/N, cwd, root, exe): the kernel's answer is
    /// a host path or an anonymous object; only paths inside the
    /// tree may be followed, and then as guest paths.
    private func followMagicLink(_ target: String, name: String, in top: WalkedDirectory, isLast: Bool,
                                 _ s: inout WalkState, caller: Caller) throws(TraceeError) -> Walk? {
        if s.resolve.contains(.noMagicLinks) { throw TraceeError(.ELOOP) }
        if s.fromDirectory { throw Self.needsFullWalk }
        if s.resolve.isScoped || s.resolve.contains(.noXdev) { throw TraceeError(.EXDEV) }
        let inProc = top.guest.dropFirst(top.mount.guestPath.count).split(separator: "/")
        let link = ProcLink(in: inProc, name: name)
        if let link, isLast && s.followFinal || link.kind == .exe, let object = try procObject?(caller, link) {
            // A program is no directory to walk through.
            if !isLast { close(object); throw TraceeError(.ENOTDIR) }
            if let held = try heldObject(object, caller: caller, name: name, parentFD: top.fd,
                                         parentGuestPath: top.guest, procMount: top.mount) {
                s.closeStack()
                return held
            }
        }
        let override = link.flatMap { procLinkOverride?($0.pid, name) }
        guard let guest = override ?? guestPath(ofHost: target) else { throw TraceeError(.EACCES) }
        s.popToFirst()
        s.pending = Array(guest.split(separator: "/")) + s.pending
        s.tryCache = s.cache != nil
        return nil
    }

    /// The final name exists and is no symlink to follow (`fd`, which the
    /// result takes): the result holds it and the directory it is in.
    private func foundFinal(_ fd: Int32, _ st: stat, name: String, at guestHere: String, in top: WalkedDirectory,
                            _ s: inout WalkState) throws(TraceeError) -> Walk {
        let type = st.st_mode & S_IFMT
        // A call that uses the object fails here; one that names it
        // (unlink, mkdir's EEXIST) decides with `trailingSlash`.
        if s.trailingSlash && type != S_IFDIR && s.asked { close(fd); throw TraceeError(.ENOTDIR) }
        let parent = s.stack.removeLast()
        s.closeStack()
        let parentFD: Int32
        do throws(TraceeError) { parentFD = try parent.kept() } catch { close(fd); throw error }
        var found = Walk(parent: parentFD, parentGuestPath: top.guest, name: name, object: fd,
                         guestPath: guestHere, mount: top.mount)
        found.trailingSlash = s.trailingSlash && type != S_IFDIR
        found.hostStat = st
        return found
    }

    /// The components ran out on a directory (".", "..", a mount root, a
    /// symlink to a directory) or on a missing final component.
    private func ended(_ s: inout WalkState) throws(TraceeError) -> Walk {
        let last = s.stack.removeLast()
        let fd = try last.kept()
        if !s.finalName.isEmpty {
            s.closeStack()
            var missing = Walk(parent: fd, parentGuestPath: last.guest, name: s.finalName, object: -1,
                               guestPath: Self.join(last.guest, s.finalName), mount: last.mount)
            missing.trailingSlash = s.trailingSlash
            return missing
        }
        // The parent is the walker's previous directory, never the kernel's
        // "..": above the root or a mount root that would be a host directory.
        let above = s.stack.last
        if above == nil && s.fromDirectory { close(fd); throw Self.needsFullWalk }
        let parentFD = dup(above?.fd ?? fd)
        s.closeStack()
        return Walk(parent: parentFD, parentGuestPath: above?.guest ?? "/", name: "", object: fd,
                    guestPath: last.guest, mount: last.mount)
    }
}
