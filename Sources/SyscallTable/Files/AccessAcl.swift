import CPicoLinux
import Glibc
import PicoCore
import VolFS

/// POSIX access ACLs (the system.posix_acl_access attribute) on a distro's
/// files. The kernel keeps an ACL that names nobody as the file's mode
/// alone, and its owner, group-class and other entries set the mode of any
/// ACL; the guest's mode lives in the sidecar, so picorun does the same
/// there: `cp -a`, `tar --acls` and `setfacl` set modes this way. An ACL
/// that names users or groups is also kept on the host file, for getfacl.
enum AccessAcl {
    static let name = "system.posix_acl_access"
    static let userObject: UInt16 = 0x01, user: UInt16 = 0x02, groupObject: UInt16 = 0x04
    static let group: UInt16 = 0x08, mask: UInt16 = 0x10, other: UInt16 = 0x20

    /// The rwx bits an ACL gives the owner, the group class and others, and
    /// whether it says no more than a mode; nil where the kernel says EINVAL.
    static func modeBits(_ value: [UInt8]) -> (bits: UInt32, minimal: Bool)? {
        func u16(_ at: Int) -> UInt16 { UInt16(value[at]) | UInt16(value[at + 1]) << 8 }
        guard value.count >= 4, (value.count - 4) % 8 == 0, u16(0) == 2, u16(2) == 0 else { return nil }
        var found: [UInt16: UInt32] = [:]
        var named = false
        // The kernel's order: owner, named users, group, named groups, mask,
        // other (the tags ascend so).
        var last: UInt16 = 0
        for at in stride(from: 4, to: value.count, by: 8) {
            let tag = u16(at), perm = u16(at + 2)
            guard perm & ~7 == 0, tag >= last else { return nil }
            last = tag
            switch tag {
            case user, group: named = true
            case userObject, groupObject, mask, other:
                guard found[tag] == nil else { return nil }
                found[tag] = UInt32(perm)
            default: return nil
            }
        }
        guard let u = found[userObject], let g = found[groupObject], let o = found[other] else { return nil }
        if named && found[mask] == nil { return nil }
        return (u << 6 | (found[mask] ?? g) << 3 | o, !named && found[mask] == nil)
    }

    /// Sets the access ACL of a distro file as the kernel would; nil for an
    /// object the host answers for (outside the distro, a symlink).
    static func set(_ c: GuestCall, _ w: GuestFileTree.Walk, _ value: [UInt8]) throws(TraceeError) -> Outcome? {
        guard let volume = c.volume, w.mount.kind == .volume, let meta = volume.metadata(fd: w.object),
              meta.type != S_IFLNK else { return nil }
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        let k = c.processes.credentials(c.caller.tid)
        if !Rulebook.isOwnerOrCapable(meta, k.fileCaller) { throw TraceeError(.EPERM) }
        let host = procPath(w.object)
        guard !value.isEmpty else {
            // No value removes the ACL; the mode stays.
            if CPicoLinux.removexattr(host, name) != 0 && errno != ENODATA { throw .errno() }
            return .value(0)
        }
        guard let (bits, minimal) = modeBits(value) else { throw TraceeError(.EINVAL) }
        if minimal {
            _ = CPicoLinux.removexattr(host, name)
        } else {
            let r = value.withUnsafeBytes { CPicoLinux.setxattr(host, name, $0.baseAddress, $0.count, 0) }
            guard r == 0 else { throw .errno() }
        }
        return try Ownership.changeMode(c, w, mode: meta.mode & 0o7000 | bits)
    }
}
