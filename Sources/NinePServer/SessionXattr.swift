import CPicoLinux
import Glibc
import LinuxABI
import VolFS

/// Extended attributes are the host file's own, as a running session sees
/// them. Txattrwalk reads a value (or, with an empty name, the list) into
/// a new fid; Txattrcreate turns a fid into a buffer that Tclunk sets
/// (or, sized 0, removes), as the Linux client expects.
extension Session {
    /// setxattr(2)'s flags: XATTR_CREATE | XATTR_REPLACE.
    static let xattrFlags: UInt32 = 0x3

    /// The rulebook's xattr_permission(), as the syscalls judge it.
    func xattrAllowed(_ f: Fid, _ name: String, write: Bool) throws(NinePError) {
        let caller = f.user.caller()
        if let e = Rulebook.mayUseXattr(name, try metadata(f.fd), caller, write: write) { throw NinePError(e) }
    }

    /// A name the kernel would take: at most XATTR_NAME_MAX bytes (and, on
    /// the wire, no NUL a C string would cut it at).
    static func isXattrName(_ name: String) -> Bool {
        name.utf8.count <= XattrNames.nameMax && !name.utf8.contains(0)
    }

    func xattrwalk(_ f: Fid, to newfid: UInt32, _ name: String, _ w: inout WireWriter) throws(NinePError) {
        guard fids[newfid] == nil || fids[newfid] === f else { throw NinePError(.EBADF) }
        guard Self.isXattrName(name) else { throw NinePError(.ERANGE) }
        let path = Self.procPath(f.fd)
        var value: [UInt8]
        if name.isEmpty {
            // The list a non-root caller sees omits trusted.*, as listxattr(2) does.
            value = XattrNames.guestList(try hostXattr { listxattr(path, $0, $1) }, showTrusted: f.user.isRoot)
        } else {
            try xattrAllowed(f, name, write: false)
            value = try hostXattr { getxattr(path, XattrNames.host(name), $0, $1) }
        }
        let n = Fid(path: f.path, fd: dup(f.fd), user: f.user)
        n.xattr = value
        fids[newfid] = n
        w.u64(UInt64(value.count))
    }

    /// Asks for the size, then the bytes; a value that grows between the
    /// two calls is asked for again.
    func hostXattr(_ call: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws(NinePError) -> [UInt8] {
        for _ in 0..<4 {
            let size = call(nil, 0)
            guard size >= 0 else { throw NinePError.last() }
            if size == 0 { return [] }
            var buf = [UInt8](repeating: 0, count: size)
            let n = buf.withUnsafeMutableBytes { call($0.baseAddress!.assumingMemoryBound(to: CChar.self), size) }
            if n >= 0 { return Array(buf[0..<n]) }
            guard errno == ERANGE else { throw NinePError.last() }
        }
        throw NinePError(.ERANGE)
    }

    func xattrcreate(_ f: Fid, _ name: String, size: UInt64, flags: UInt32) throws(NinePError) {
        if export.readOnly { throw NinePError(.EROFS) }
        guard !name.isEmpty, Self.isXattrName(name) else { throw NinePError(.ERANGE) }
        guard size <= UInt64(XattrNames.sizeMax) else { throw NinePError(.E2BIG) }
        guard flags & ~Self.xattrFlags == 0 else { throw NinePError(.EINVAL) }
        guard f.open < 0, f.xattr == nil, f.xattrWrite == nil else { throw NinePError(.EBADF) }
        try xattrAllowed(f, name, write: true)
        f.xattrWrite = XattrWrite(name: name, size: Int(size), flags: Int32(flags))
    }

    func appendXattr(_ f: Fid, _ offset: UInt64, _ data: ArraySlice<UInt8>, _ w: inout WireWriter) throws(NinePError) {
        guard var x = f.xattrWrite else { throw NinePError(.EBADF) }
        guard offset == UInt64(x.value.count), x.value.count + data.count <= x.size else { throw NinePError(.EINVAL) }
        x.value += data
        f.xattrWrite = x
        w.u32(UInt32(data.count))
    }

    /// Tclunk of a Txattrcreate fid: the value must be whole.
    func commitXattr(_ f: Fid) throws(NinePError) {
        guard let x = f.xattrWrite else { return }
        guard x.value.count == x.size else { throw NinePError(.EINVAL) }
        let path = Self.procPath(f.fd)
        let host = XattrNames.host(x.name)
        let r = x.size == 0
            ? removexattr(path, host)
            : x.value.withUnsafeBytes { setxattr(path, host, $0.baseAddress, $0.count, x.flags) }
        guard r == 0 else { throw NinePError.last() }
        // An ACL can change who may search a directory.
        export.volume.sidecar.counters.directoriesChanged()
    }
}
