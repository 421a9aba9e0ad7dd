import FileNames
import CPicoLinux
import Glibc
import PicoCore
import VolFS

/// The path-based extended-attribute calls. The supervisor walks the path
/// and makes the call on exactly the object found: through its
/// /proc/self/fd/N when symlinks are followed, or as PARENT/name with the
/// l-variant, whose last component the kernel must not follow (it is looked
/// up inside the walked directory, so a swap can only pick another entry of it).
enum XattrCalls {
    static let nameMax = 255
    static let sizeMax = 65536

    /// Getxattr implements Linux syscall getxattr(2).
    static func getxattr(_ c: PathContext) throws(TraceeError) -> NotificationReply { try get(c, follow: true) }
    /// Lgetxattr implements Linux syscall lgetxattr(2).
    static func lgetxattr(_ c: PathContext) throws(TraceeError) -> NotificationReply { try get(c, follow: false) }
    /// Setxattr implements Linux syscall setxattr(2).
    static func setxattr(_ c: PathContext) throws(TraceeError) -> NotificationReply { try set(c, follow: true) }
    /// Lsetxattr implements Linux syscall lsetxattr(2).
    static func lsetxattr(_ c: PathContext) throws(TraceeError) -> NotificationReply { try set(c, follow: false) }
    /// Listxattr implements Linux syscall listxattr(2).
    static func listxattr(_ c: PathContext) throws(TraceeError) -> NotificationReply { try list(c, follow: true) }
    /// Llistxattr implements Linux syscall llistxattr(2).
    static func llistxattr(_ c: PathContext) throws(TraceeError) -> NotificationReply { try list(c, follow: false) }
    /// Removexattr implements Linux syscall removexattr(2).
    static func removexattr(_ c: PathContext) throws(TraceeError) -> NotificationReply { try remove(c, follow: true) }
    /// Lremovexattr implements Linux syscall lremovexattr(2).
    static func lremovexattr(_ c: PathContext) throws(TraceeError) -> NotificationReply { try remove(c, follow: false) }

    /// The host path naming the walked object, for a call that takes only a path.
    static func target(_ w: GuestFileTree.Walk, follow: Bool) -> [CChar] {
        FileNames.cString(follow || w.name.isEmpty ? procPath(w.object) : procPath(w.parent) + "/" + w.name)
    }

    static func object(_ c: PathContext, follow: Bool) throws(TraceeError) -> GuestFileTree.Walk {
        try c.existingObject(dirfd: PathContext.atFdcwd, path: c.args[0], flags: follow ? 0 : PathContext.atSymlinkNofollow)
    }

    static func attributeName(_ c: PathContext) throws(TraceeError) -> String {
        let raw = try c.tracee.readCString(at: c.args[1], limit: nameMax + 1)
        guard !raw.isEmpty, raw.count <= nameMax else { throw TraceeError(.ERANGE) }
        return String(decoding: raw, as: UTF8.self)
    }

    /// The value a set call gives (arguments 2 and 3 in every variant).
    static func attributeValue(_ c: PathContext) throws(TraceeError) -> [UInt8] {
        guard c.args[3] <= UInt64(sizeMax) else { throw TraceeError(.E2BIG) }
        return c.args[3] == 0 ? [] : try c.tracee.readBytes(at: c.args[2], count: Int(c.args[3]))
    }

    static func get(_ c: PathContext, follow: Bool) throws(TraceeError) -> NotificationReply {
        let name = try attributeName(c)
        let w = try object(c, follow: follow)
        defer { w.close() }
        let path = target(w, follow: follow)
        let size = min(Int(min(c.args[3], UInt64(sizeMax))), sizeMax)
        var buf = [UInt8](repeating: 0, count: max(size, 1))
        let n = buf.withUnsafeMutableBytes { b in
            follow ? CPicoLinux.getxattr(path, name, b.baseAddress, size) : CPicoLinux.lgetxattr(path, name, b.baseAddress, size)
        }
        guard n >= 0 else { throw .errno() }
        if size > 0 { try c.tracee.writeBytes(Array(buf[0..<n]), at: c.args[2]) }
        return .value(Int64(n))
    }

    static func set(_ c: PathContext, follow: Bool) throws(TraceeError) -> NotificationReply {
        let name = try attributeName(c)
        let value = try attributeValue(c)
        let w = try object(c, follow: follow)
        defer { w.close() }
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        try Permissions.rule(c, w, fd: w.object) { Rulebook.mayUseXattr(name, $0, $1, write: true) }
        if name == AccessAcl.name, let reply = try AccessAcl.set(c, w, value) { return reply }
        let path = target(w, follow: follow)
        let flags = c.int32(4)
        let r = value.withUnsafeBytes { b in
            follow ? CPicoLinux.setxattr(path, name, b.baseAddress, b.count, flags)
                : CPicoLinux.lsetxattr(path, name, b.baseAddress, b.count, flags)
        }
        guard r == 0 else { throw .errno() }
        return .value(0)
    }

    /// Fsetxattr implements Linux syscall fsetxattr(2) in distro runs, on
    /// the supervisor's copy of the guest's fd: an access ACL sets the
    /// guest's mode (see AccessAcl); any other name goes to the host file.
    static func fsetxattr(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let name = try attributeName(c)
        let value = try attributeValue(c)
        let w = try c.fdObject(c.int32(0))
        defer { w.close() }
        try Permissions.rule(c, w, fd: w.object) { Rulebook.mayUseXattr(name, $0, $1, write: true) }
        if name == AccessAcl.name, let reply = try AccessAcl.set(c, w, value) { return reply }
        let r = value.withUnsafeBytes { CPicoLinux.fsetxattr(w.object, name, $0.baseAddress, $0.count, c.int32(4)) }
        guard r == 0 else { throw .errno() }
        return .value(0)
    }

    static func list(_ c: PathContext, follow: Bool) throws(TraceeError) -> NotificationReply {
        let w = try object(c, follow: follow)
        defer { w.close() }
        let path = target(w, follow: follow)
        let size = Int(min(c.args[2], UInt64(sizeMax)))
        var buf = [UInt8](repeating: 0, count: max(size, 1))
        let n = buf.withUnsafeMutableBytes { b in
            let p = b.baseAddress!.assumingMemoryBound(to: CChar.self)
            return follow ? CPicoLinux.listxattr(path, p, size) : CPicoLinux.llistxattr(path, p, size)
        }
        guard n >= 0 else { throw .errno() }
        if size > 0 { try c.tracee.writeBytes(Array(buf[0..<n]), at: c.args[1]) }
        return .value(Int64(n))
    }

    static func remove(_ c: PathContext, follow: Bool) throws(TraceeError) -> NotificationReply {
        let name = try attributeName(c)
        let w = try object(c, follow: follow)
        defer { w.close() }
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        let path = target(w, follow: follow)
        let r = follow ? CPicoLinux.removexattr(path, name) : CPicoLinux.lremovexattr(path, name)
        guard r == 0 else { throw .errno() }
        return .value(0)
    }
}
