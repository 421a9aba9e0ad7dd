import Glibc

/// Linux's permission rules for a file whose owner, group and mode picorun
/// keeps (the sidecar's): pure functions from the file's metadata and the
/// caller's identity to an errno, or nil for allowed. The syscall handlers
/// and the 9P server both judge distro files with these, so the two can
/// never answer differently. Each says which kernel function it mirrors.
///
/// Errors are Linux errno numbers (the host's are Linux's too).
public enum Rulebook {
    /// Who is asking, as file checks see it: fs ids, groups, and whether it
    /// holds the file capabilities (CAP_FOWNER, CAP_DAC_OVERRIDE, ...),
    /// which a guest has exactly when it is root.
    public struct Caller: Sendable {
        public let fsuid: UInt32
        public let fsgid: UInt32
        public let groups: [UInt32]
        public let privileged: Bool
        public init(fsuid: UInt32, fsgid: UInt32, groups: [UInt32], privileged: Bool) {
            self.fsuid = fsuid
            self.fsgid = fsgid
            self.groups = groups
            self.privileged = privileged
        }
    }

    static let read: UInt32 = 4, write: UInt32 = 2

    /// fs/namei.c:generic_permission() for `want` (r=4, w=2, x=1).
    public static func mayAccess(_ meta: Metadata, _ k: Caller, _ want: UInt32) -> Int32? {
        let uid = k.privileged ? 0 : k.fsuid
        return meta.allows(uid: uid, gid: k.fsgid, groups: k.groups, want) ? nil : EACCES
    }

    /// fs/inode.c:inode_owner_or_capable(): the owner, or CAP_FOWNER.
    public static func isOwnerOrCapable(_ meta: Metadata, _ k: Caller) -> Bool {
        k.privileged || k.fsuid == meta.uid
    }

    /// O_NOATIME (fs/namei.c:may_open): only the owner or CAP_FOWNER.
    public static func mayOpenNoatime(_ meta: Metadata, _ k: Caller) -> Int32? {
        isOwnerOrCapable(meta, k) ? nil : EPERM
    }

    /// fs/namei.c:may_linkat() with fs.protected_hardlinks: a hard link to
    /// someone else's file needs a regular, non-setuid, non-setgid-exec
    /// file the caller may both read and write.
    public static func mayHardlink(_ meta: Metadata, _ k: Caller, protected: Bool) -> Int32? {
        if !protected || isOwnerOrCapable(meta, k) { return nil }
        let safe = meta.type == Metadata.regular && meta.mode & 0o4000 == 0 && meta.mode & 0o2010 != 0o2010
            && mayAccess(meta, k, read | write) == nil
        return safe ? nil : EPERM
    }

    /// Whether the host asks for protected hard links (the kernel's default).
    public static var protectedHardlinks: Bool {
        var buf = [UInt8](repeating: 0, count: 8)
        let fd = open("/proc/sys/fs/protected_hardlinks", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return n <= 0 || buf[0] != UInt8(ascii: "0")
    }

    /// fs/xattr.c:xattr_permission() with commoncap's and the ACL code's
    /// rules: trusted.* needs CAP_SYS_ADMIN, user.* exists
    /// only on regular files and directories (a sticky directory's for its
    /// owner), and the rest follows the file's read or write permission.
    public static func mayUseXattr(_ name: String, _ meta: Metadata, _ k: Caller, write: Bool) -> Int32? {
        // What the filesystem and commoncap decide past the VFS: writing
        // security.* needs CAP_SYS_ADMIN; an ACL (system.*), the owner.
        if name.hasPrefix("security.") { return write && !k.privileged ? EPERM : nil }
        if name.hasPrefix("system.") { return write && !isOwnerOrCapable(meta, k) ? EPERM : nil }
        if name.hasPrefix("trusted.") { return k.privileged ? nil : write ? EPERM : ENODATA }
        if name.hasPrefix("user.") {
            if meta.type != Metadata.regular && meta.type != Metadata.directory { return write ? EPERM : ENODATA }
            if meta.type == Metadata.directory && meta.mode & 0o1000 != 0 && write && !isOwnerOrCapable(meta, k) { return EPERM }
        }
        return mayAccess(meta, k, write ? Self.write : read)
    }
}
