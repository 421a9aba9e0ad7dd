import Glibc
import LinuxABI

/// Linux's permission and attribute rules for a file whose owner, group
/// and mode picorun keeps (the sidecar's): pure functions from the file's
/// metadata and the caller's credentials to a Linux errno, or nil for
/// allowed. The syscall handlers and the 9P server both judge distro files
/// with these, so the two can never answer differently. Each says which
/// kernel function it mirrors.
public enum Rulebook {
    /// Who is asking, as file checks see it: fs ids, groups and the
    /// effective capability set.
    public struct Caller: Sendable, Equatable {
        public let fsuid: UInt32
        public let fsgid: UInt32
        public let groups: [UInt32]
        public let capabilities: CapabilitySet
        public init(fsuid: UInt32, fsgid: UInt32, groups: [UInt32], capabilities: CapabilitySet) {
            self.fsuid = fsuid
            self.fsgid = fsgid
            self.groups = groups
            self.capabilities = capabilities
        }

        public func has(_ c: Capability) -> Bool { capabilities.contains(c) }
        /// kernel/groups.c:in_group_p()
        public func inGroup(_ gid: UInt32) -> Bool { gid == fsgid || groups.contains(gid) }
        /// fs/inode.c:in_group_or_capable()
        func inGroupOrCapable(_ gid: UInt32) -> Bool { inGroup(gid) || has(.fsetid) }
        /// Whether a check of DAC permissions can ever refuse it: a caller
        /// with CAP_DAC_OVERRIDE passes all but exec of a file with no x bit.
        public var overridesModes: Bool { has(.dacOverride) }
    }

    public static let read: UInt32 = 4, write: UInt32 = 2, execute: UInt32 = 1
    static let setuid: UInt32 = 0o4000, setgid: UInt32 = 0o2000, sticky: UInt32 = 0o1000, groupExec: UInt32 = 0o010

    /// fs/namei.c:acl_permission_check() without ACLs: the mode's class for
    /// these ids, no privilege.
    public static func modeAllows(_ meta: Metadata, uid: UInt32, gid: UInt32, groups: [UInt32], _ want: UInt32) -> Bool {
        let bits: UInt32
        if uid == meta.uid { bits = (meta.mode >> 6) & 7 }
        else if meta.gid == gid || groups.contains(meta.gid) { bits = (meta.mode >> 3) & 7 }
        else { bits = meta.mode & 7 }
        return bits & want == want
    }

    /// fs/namei.c:generic_permission() for `want` (r=4, w=2, x=1).
    public static func mayAccess(_ meta: Metadata, _ k: Caller, _ want: UInt32) -> LinuxErrno? {
        if modeAllows(meta, uid: k.fsuid, gid: k.fsgid, groups: k.groups, want) { return nil }
        if meta.type == S_IFDIR {
            // DACs are overridable for directories.
            if want & write == 0 && k.has(.dacReadSearch) { return nil }
            return k.has(.dacOverride) ? nil : .EACCES
        }
        if want == read && k.has(.dacReadSearch) { return nil }
        // Read and write are always overridable; execute when some x bit is set.
        if (want & execute == 0 || meta.mode & 0o111 != 0) && k.has(.dacOverride) { return nil }
        return .EACCES
    }

    /// The same check with the real ids (fs/open.c:do_faccessat without
    /// AT_EACCESS): a caller whose real uid is not 0 has no capabilities for
    /// it, root's real uid has its permitted set.
    public static func mayAccessByRealIDs(_ meta: Metadata, ruid: UInt32, rgid: UInt32, groups: [UInt32],
                                          permitted: CapabilitySet, _ want: UInt32) -> LinuxErrno? {
        mayAccess(meta, Caller(fsuid: ruid, fsgid: rgid, groups: groups, capabilities: ruid == 0 ? permitted : .none), want)
    }

    /// fs/inode.c:inode_owner_or_capable(): the owner, or CAP_FOWNER.
    public static func isOwnerOrCapable(_ meta: Metadata, _ k: Caller) -> Bool {
        k.fsuid == meta.uid || k.has(.fowner)
    }

    /// fs/open.c:build_open_flags(): what an open with these Linux flags
    /// asks of the file: ACC_MODE's read, write or both (O_ACCMODE itself
    /// asks both), and write for O_TRUNC, which may_open() then also
    /// refuses on a directory (EISDIR).
    public static func openAccess(flags: UInt32) -> UInt32 {
        let byMode: [UInt32] = [read, write, read | write, read | write]
        return byMode[Int(flags & 0o3)] | (flags & 0o1000 != 0 ? write : 0)
    }

    /// O_NOATIME (fs/namei.c:may_open): only the owner or CAP_FOWNER.
    public static func mayOpenNoatime(_ meta: Metadata, _ k: Caller) -> LinuxErrno? {
        isOwnerOrCapable(meta, k) ? nil : .EPERM
    }

    /// fs/namei.c:may_create(): write and search on the directory.
    public static func mayCreate(in dir: Metadata, _ k: Caller) -> LinuxErrno? {
        mayAccess(dir, k, write | execute)
    }

    /// fs/namei.c:may_delete(): write and search on the directory, then
    /// check_sticky(): in a sticky directory only the file's owner, the
    /// directory's owner or CAP_FOWNER.
    public static func mayDelete(_ file: Metadata, from dir: Metadata, _ k: Caller) -> LinuxErrno? {
        if let e = mayAccess(dir, k, write | execute) { return e }
        return isStickyProtected(file, in: dir, k) ? .EPERM : nil
    }

    /// fs/namei.c:check_sticky(), alone (the directory's rights judged elsewhere).
    public static func isStickyProtected(_ file: Metadata, in dir: Metadata, _ k: Caller) -> Bool {
        dir.mode & sticky != 0 && k.fsuid != file.uid && k.fsuid != dir.uid && !k.has(.fowner)
    }

    /// fs/namei.c:vfs_mknod(): a device node needs CAP_MKNOD.
    public static func mayMknod(type: UInt32, _ k: Caller) -> LinuxErrno? {
        (type == S_IFCHR || type == S_IFBLK) && !k.has(.mknod) ? .EPERM : nil
    }

    /// fs/attr.c:setattr_prepare() for ATTR_UID/ATTR_GID (chown_ok,
    /// chgrp_ok); nil asks for no change. A non-owner may not even "give"
    /// a file to its current owner.
    public static func mayChown(_ meta: Metadata, _ k: Caller, uid: UInt32?, gid: UInt32?) -> LinuxErrno? {
        if let uid, !(k.fsuid == meta.uid && uid == meta.uid) && !k.has(.chown) { return .EPERM }
        if let gid, !(k.fsuid == meta.uid && (gid == meta.gid || k.inGroup(gid))) && !k.has(.chown) { return .EPERM }
        return nil
    }

    /// The mode after a chown (fs/open.c:chown_common, fs/attr.c:
    /// setattr_should_drop_sgid): a non-directory loses setuid, and setgid
    /// when group-executable or when the caller may not keep it.
    public static func modeAfterChown(_ meta: Metadata, _ k: Caller) -> UInt32 {
        guard meta.type != S_IFDIR else { return meta.mode }
        var mode = meta.mode & ~setuid
        if mode & setgid != 0 && (mode & groupExec != 0 || !k.inGroupOrCapable(meta.gid)) { mode &= ~setgid }
        return mode
    }

    /// The mode after a write or truncation (fs/attr.c:
    /// setattr_should_drop_suidgid, file_remove_privs): a regular file loses
    /// setuid, and setgid as after a chown, unless the caller has CAP_FSETID.
    public static func modeAfterWrite(_ meta: Metadata, _ k: Caller) -> UInt32 {
        guard meta.type == S_IFREG, !k.has(.fsetid) else { return meta.mode }
        var mode = meta.mode & ~setuid
        if mode & setgid != 0 && (mode & groupExec != 0 || !k.inGroupOrCapable(meta.gid)) { mode &= ~setgid }
        return mode
    }

    /// fs/attr.c:setattr_prepare() for ATTR_MODE: the owner or CAP_FOWNER,
    /// and the setgid bit only for a member of the file's group (or
    /// CAP_FSETID); the permission bits it ends with.
    public static func chmod(_ meta: Metadata, _ k: Caller, to requested: UInt32) -> Result<UInt32, LinuxErrno> {
        guard isOwnerOrCapable(meta, k) else { return .failure(.EPERM) }
        var mode = requested & 0o7777
        if !k.inGroupOrCapable(meta.gid) { mode &= ~setgid }
        return .success(mode)
    }

    /// fs/attr.c:setattr_prepare() and fs/utimes.c: explicit times need the
    /// owner or CAP_FOWNER (EPERM); "now" also write permission (EACCES).
    public static func maySetTimes(_ meta: Metadata, _ k: Caller, toNow: Bool) -> LinuxErrno? {
        if isOwnerOrCapable(meta, k) { return nil }
        return toNow ? mayAccess(meta, k, write) : .EPERM
    }

    /// fs/inode.c:inode_init_owner() and mode_strip_sgid(): a new file
    /// belongs to the caller's fs ids, or to a setgid directory's group
    /// (a new directory keeps the setgid bit); a setgid group-executable
    /// file made there by a non-member loses setgid.
    public static func newOwner(in dir: Metadata?, _ k: Caller, mode: UInt32) -> Metadata {
        var meta = Metadata(uid: k.fsuid, gid: k.fsgid, mode: mode)
        guard let dir, dir.mode & setgid != 0 else { return meta }
        meta.gid = dir.gid
        if meta.type == S_IFDIR {
            meta.mode |= setgid
        } else if mode & (setgid | groupExec) == setgid | groupExec && !k.inGroupOrCapable(dir.gid) {
            meta.mode &= ~setgid
        }
        return meta
    }

    /// fs/namei.c:may_linkat() with fs.protected_hardlinks: a hard link to
    /// someone else's file needs a regular, non-setuid, non-setgid-exec
    /// file the caller may both read and write (or CAP_FOWNER).
    public static func mayHardlink(_ meta: Metadata, _ k: Caller, protected: Bool) -> LinuxErrno? {
        if !protected || isOwnerOrCapable(meta, k) { return nil }
        let safe = meta.type == S_IFREG && meta.mode & setuid == 0 && meta.mode & (setgid | groupExec) != setgid | groupExec
            && mayAccess(meta, k, read | write) == nil
        return safe ? nil : .EPERM
    }

    /// fs/namei.c:may_follow_link() with fs.protected_symlinks: in a
    /// sticky, world-writable directory only a symlink the follower owns,
    /// or one the directory's owner owns, is followed (root included).
    public static func mayFollowLink(owner: UInt32, in dir: Metadata, fsuid: UInt32) -> LinuxErrno? {
        if owner == fsuid || dir.mode & (sticky | 0o002) != sticky | 0o002 || dir.uid == owner { return nil }
        return .EACCES
    }

    /// Whether the host asks for protected hard links (the kernel's default).
    public static var protectedHardlinks: Bool { sysctlOn("/proc/sys/fs/protected_hardlinks") }
    /// Whether the host asks for protected symlinks (the kernel's default).
    public static var protectedSymlinks: Bool { sysctlOn("/proc/sys/fs/protected_symlinks") }

    static func sysctlOn(_ path: String) -> Bool {
        var buf = [UInt8](repeating: 0, count: 8)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return n <= 0 || buf[0] != UInt8(ascii: "0")
    }

    /// fs/xattr.c:xattr_permission() with commoncap's and the ACL code's
    /// rules: trusted.* needs CAP_SYS_ADMIN, user.* exists only on regular
    /// files and directories (a sticky directory's for its owner), and the
    /// rest follows the file's read or write permission.
    public static func mayUseXattr(_ name: String, _ meta: Metadata, _ k: Caller, write: Bool) -> LinuxErrno? {
        // What the filesystem and commoncap decide past the VFS: writing
        // security.* needs CAP_SYS_ADMIN (security.capability CAP_SETFCAP);
        // an ACL (system.*), the owner.
        if name.hasPrefix("security.") {
            let needed: Capability = name == "security.capability" ? .setfcap : .sysAdmin
            return write && !k.has(needed) ? .EPERM : nil
        }
        if name.hasPrefix("system.") { return write && !isOwnerOrCapable(meta, k) ? .EPERM : nil }
        if name.hasPrefix("trusted.") { return k.has(.sysAdmin) ? nil : write ? .EPERM : .ENODATA }
        if name.hasPrefix("user.") {
            if meta.type != S_IFREG && meta.type != S_IFDIR { return write ? .EPERM : .ENODATA }
            if meta.type == S_IFDIR && meta.mode & sticky != 0 && write && !isOwnerOrCapable(meta, k) { return .EPERM }
        }
        return mayAccess(meta, k, write ? Self.write : read)
    }
}
