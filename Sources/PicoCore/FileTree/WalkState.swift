import Glibc
import LinuxABI

extension GuestFileTree {
    /// A directory on the walker's stack, which ".." pops.
    /// A mount's own fd is borrowed (the tree keeps it open), never
    /// closed here; it is duplicated only if it ends up in the result.
    struct WalkedDirectory {
        let fd: Int32
        /// Its canonical guest path.
        let guest: String
        let mount: Mount
        /// The walk opened `fd` and closes it; false for a borrowed fd (a
        /// mount's own, or one the thread's `DirectoryCache` lends).
        let owned: Bool

        @inline(__always)
        func release() {
            if owned { close(fd) }
        }

        /// An fd the result owns for this entry (taken from the stack).
        func kept() throws(TraceeError) -> Int32 {
            if owned { return fd }
            let copy = dup(fd)
            guard copy >= 0 else { throw TraceeError(LinuxErrno(errno)) }
            return copy
        }
    }

    /// Everything one walk carries from step to step (TreeWalk.swift).
    struct WalkState {
        /// The directories walked so far; the first is the tree's root or the base.
        var stack: [WalkedDirectory] = []
        /// The components still to walk; a symlink's target goes in front.
        var pending: [Substring]
        /// Whether to look the next components up in the cache first (at
        /// the start, and after every jump the walk made itself).
        var tryCache: Bool
        var symlinks = 0
        /// The missing final component's name; "" for a walk that ends on a directory.
        var finalName = ""
        let resolve: Resolve
        /// Whether the caller asked to follow a final symlink (stat vs lstat).
        let asked: Bool
        /// `asked`, or the path ends in "/".
        let followFinal: Bool
        let trailingSlash: Bool
        /// RESOLVE_BENEATH with a base.
        let beneath: Bool
        /// `.fromDirectory` with a base.
        let fromDirectory: Bool
        /// The chrooted caller's root, where its absolute names start.
        let rootComponents: [Substring]
        /// This thread's cached directories, for plain walks by a known identity.
        let cache: DirectoryCache?
        let identity: Identity?

        init(pending: [Substring], tryCache: Bool, resolve: Resolve, asked: Bool, followFinal: Bool, trailingSlash: Bool,
             beneath: Bool, fromDirectory: Bool, rootComponents: [Substring], cache: DirectoryCache?, identity: Identity?) {
            self.pending = pending
            self.tryCache = tryCache
            self.resolve = resolve
            self.asked = asked
            self.followFinal = followFinal
            self.trailingSlash = trailingSlash
            self.beneath = beneath
            self.fromDirectory = fromDirectory
            self.rootComponents = rootComponents
            self.cache = cache
            self.identity = identity
        }

        /// The directory the next component is looked up in.
        @inline(__always)
        var top: WalkedDirectory { stack[stack.count - 1] }

        @inline(__always)
        mutating func push(_ m: Mount) {
            stack.append(WalkedDirectory(fd: m.fd, guest: m.guestPath, mount: m, owned: false))
        }

        /// Pushes a directory the walk just opened, lending it to the cache.
        @inline(__always)
        mutating func pushOpened(_ fd: Int32, _ g: String, _ m: Mount) {
            if let cache, let identity, !m.isProc, cache.insert(g, fd: fd, mount: m, identity: identity) {
                stack.append(WalkedDirectory(fd: fd, guest: g, mount: m, owned: false))
            } else {
                stack.append(WalkedDirectory(fd: fd, guest: g, mount: m, owned: true))
            }
        }

        /// Back to the first directory (an absolute symlink starts again there).
        mutating func popToFirst() {
            for d in stack.dropFirst() { d.release() }
            stack.removeSubrange(1...)
        }

        mutating func closeStack() {
            for d in stack { d.release() }
            stack.removeAll()
        }
    }
}
