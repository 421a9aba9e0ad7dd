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
    static let nameMax = XattrNames.nameMax
    static let sizeMax = XattrNames.sizeMax

    /// Getxattr implements Linux syscall getxattr(2).
    static func getxattr(_ c: GuestCall) throws(TraceeError) -> Outcome { try get(c, follow: true) }
    /// Lgetxattr implements Linux syscall lgetxattr(2).
    static func lgetxattr(_ c: GuestCall) throws(TraceeError) -> Outcome { try get(c, follow: false) }
    /// Setxattr implements Linux syscall setxattr(2).
    static func setxattr(_ c: GuestCall) throws(TraceeError) -> Outcome { try set(c, follow: true) }
    /// Lsetxattr implements Linux syscall lsetxattr(2).
    static func lsetxattr(_ c: GuestCall) throws(TraceeError) -> Outcome { try set(c, follow: false) }
    /// Listxattr implements Linux syscall listxattr(2).
    static func listxattr(_ c: GuestCall) throws(TraceeError) -> Outcome { try list(c, follow: true) }
    /// Llistxattr implements Linux syscall llistxattr(2).
    static func llistxattr(_ c: GuestCall) throws(TraceeError) -> Outcome { try list(c, follow: false) }
    /// Removexattr implements Linux syscall removexattr(2).
    static func removexattr(_ c: GuestCall) throws(TraceeError) -> Outcome { try remove(c, follow: true) }
    /// Lremovexattr implements Linux syscall lremovexattr(2).
    static func lremovexattr(_ c: GuestCall) throws(TraceeError) -> Outcome { try remove(c, follow: false) }

    /// The host's name for the attribute: a distro's privileged names are
    /// kept elsewhere (VolFS.XattrNames); on the host tree, the name itself.
    static func hostName(_ c: GuestCall, _ name: String) -> String { c.volume == nil ? name : XattrNames.host(name) }

    /// The host path naming the walked object, for a call that takes only a path.
    static func target(_ w: GuestFileTree.Walk, follow: Bool) -> [CChar] {
        FileNames.cString(follow || w.name.isEmpty ? procPath(w.object) : procPath(w.parent) + "/" + w.name)
    }

    static func object(_ c: GuestCall, follow: Bool) throws(TraceeError) -> GuestFileTree.Walk {
        try c.existingObject(dirfd: AT_FDCWD, path: c.args[0], flags: follow ? 0 : UInt64(AT_SYMLINK_NOFOLLOW))
    }

    static func attributeName(_ c: GuestCall) throws(TraceeError) -> String {
        let raw = try c.tracee.readCString(at: c.args[1], limit: nameMax + 1)
        guard !raw.isEmpty, raw.count <= nameMax else { throw TraceeError(.ERANGE) }
        return String(decoding: raw, as: UTF8.self)
    }

    /// The value a set call gives (arguments 2 and 3 in every variant).
    static func attributeValue(_ c: GuestCall) throws(TraceeError) -> [UInt8] {
        guard c.args[3] <= UInt64(sizeMax) else { throw TraceeError(.E2BIG) }
        return c.args[3] == 0 ? [] : try c.tracee.readBytes(at: c.args[2], count: Int(c.args[3]))
    }

    static func get(_ c: GuestCall, follow: Bool) throws(TraceeError) -> Outcome {
        let name = try attributeName(c)
        let w = try object(c, follow: follow)
        defer { w.close() }
        let path = target(w, follow: follow)
        let size = min(Int(min(c.args[3], UInt64(sizeMax))), sizeMax)
        var buf = [UInt8](repeating: 0, count: max(size, 1))
        try Permissions.rule(c, w, fd: w.object) { Rulebook.mayUseXattr(name, $0, $1, write: false) }
        let host = hostName(c, name)
        let n = buf.withUnsafeMutableBytes { b in
            follow ? CPicoLinux.getxattr(path, host, b.baseAddress, size) : CPicoLinux.lgetxattr(path, host, b.baseAddress, size)
        }
        guard n >= 0 else { throw .errno() }
        if size > 0 { try c.tracee.writeBytes(Array(buf[0..<n]), at: c.args[2]) }
        return .value(Int64(n))
    }

    static func set(_ c: GuestCall, follow: Bool) throws(TraceeError) -> Outcome {
        let name = try attributeName(c)
        let value = try attributeValue(c)
        let w = try object(c, follow: follow)
        defer { w.close() }
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        try Permissions.rule(c, w, fd: w.object) { Rulebook.mayUseXattr(name, $0, $1, write: true) }
        if name == AccessAcl.name, let reply = try AccessAcl.set(c, w, value) { return reply }
        let path = target(w, follow: follow)
        let flags = c.int32(4)
        let host = hostName(c, name)
        let r = value.withUnsafeBytes { b in
            follow ? CPicoLinux.setxattr(path, host, b.baseAddress, b.count, flags)
                : CPicoLinux.lsetxattr(path, host, b.baseAddress, b.count, flags)
        }
        guard r == 0 else { throw .errno() }
        c.changed(w)
        return .value(0)
    }

    /// Fsetxattr implements Linux syscall fsetxattr(2) in distro runs, on
    /// the supervisor's copy of the guest's fd: an access ACL sets the
    /// guest's mode (see AccessAcl); any other name goes to the host file.
    static func fsetxattr(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let name = try attributeName(c)
        let value = try attributeValue(c)
        let w = try c.fdObject(c.int32(0))
        defer { w.close() }
        try Permissions.rule(c, w, fd: w.object) { Rulebook.mayUseXattr(name, $0, $1, write: true) }
        if name == AccessAcl.name, let reply = try AccessAcl.set(c, w, value) { return reply }
        let r = value.withUnsafeBytes { CPicoLinux.fsetxattr(w.object, hostName(c, name), $0.baseAddress, $0.count, c.int32(4)) }
        guard r == 0 else { throw .errno() }
        c.changed(w)
        return .value(0)
    }

    static func list(_ c: GuestCall, follow: Bool) throws(TraceeError) -> Outcome {
        let w = try object(c, follow: follow)
        defer { w.close() }
        let path = target(w, follow: follow)
        return try answerList(c, w) { b, n in follow ? CPicoLinux.listxattr(path, b, n) : CPicoLinux.llistxattr(path, b, n) }
    }

    /// The host's list in the guest's names, into the buffer at args[1] of size args[2].
    static func answerList(_ c: GuestCall, _ w: GuestFileTree.Walk,
                           _ call: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws(TraceeError) -> Outcome {
        let asked = Int(min(c.args[2], UInt64(sizeMax)))
        var buf = [UInt8](repeating: 0, count: sizeMax)
        let n = buf.withUnsafeMutableBytes { call($0.baseAddress!.assumingMemoryBound(to: CChar.self), sizeMax) }
        guard n >= 0 else { throw .errno() }
        let showTrusted = c.volume == nil || c.processes.credentials(c.caller.tid).has(.sysAdmin)
        let names = c.volume == nil ? Array(buf[0..<n]) : XattrNames.guestList(Array(buf[0..<n]), showTrusted: showTrusted)
        if asked == 0 { return .value(Int64(names.count)) }
        guard names.count <= asked else { throw TraceeError(.ERANGE) }
        try c.tracee.writeBytes(names, at: c.args[1])
        return .value(Int64(names.count))
    }

    static func remove(_ c: GuestCall, follow: Bool) throws(TraceeError) -> Outcome {
        let name = try attributeName(c)
        let w = try object(c, follow: follow)
        defer { w.close() }
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        try Permissions.rule(c, w, fd: w.object) { Rulebook.mayUseXattr(name, $0, $1, write: true) }
        let path = target(w, follow: follow)
        let host = hostName(c, name)
        let r = follow ? CPicoLinux.removexattr(path, host) : CPicoLinux.lremovexattr(path, host)
        guard r == 0 else { throw .errno() }
        c.changed(w)
        return .value(0)
    }

    /// Fgetxattr implements Linux syscall fgetxattr(2) in distro runs, on the
    /// supervisor's copy of the guest's fd, in the guest's names.
    static func fgetxattr(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let name = try attributeName(c)
        let w = try c.fdObject(c.int32(0))
        defer { w.close() }
        try Permissions.rule(c, w, fd: w.object) { Rulebook.mayUseXattr(name, $0, $1, write: false) }
        let size = min(Int(min(c.args[3], UInt64(sizeMax))), sizeMax)
        var buf = [UInt8](repeating: 0, count: max(size, 1))
        let n = buf.withUnsafeMutableBytes { CPicoLinux.fgetxattr(w.object, hostName(c, name), $0.baseAddress, size) }
        guard n >= 0 else { throw .errno() }
        if size > 0 { try c.tracee.writeBytes(Array(buf[0..<n]), at: c.args[2]) }
        return .value(Int64(n))
    }

    /// Flistxattr implements Linux syscall flistxattr(2) in distro runs.
    static func flistxattr(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let w = try c.fdObject(c.int32(0))
        defer { w.close() }
        return try answerList(c, w) { CPicoLinux.flistxattr(w.object, $0, $1) }
    }

    /// Fremovexattr implements Linux syscall fremovexattr(2) in distro runs.
    static func fremovexattr(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let name = try attributeName(c)
        let w = try c.fdObject(c.int32(0))
        defer { w.close() }
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        try Permissions.rule(c, w, fd: w.object) { Rulebook.mayUseXattr(name, $0, $1, write: true) }
        guard CPicoLinux.fremovexattr(w.object, hostName(c, name)) == 0 else { throw .errno() }
        c.changed(w)
        return .value(0)
    }
}
