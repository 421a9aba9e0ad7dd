import CPicoLinux
import Glibc
import LinuxABI
import VolFS

/// Extended attributes are the host file's own, as a running session sees
/// them. Txattrwalk reads a value (or, with an empty name, the list) into
/// a new fid; Txattrcreate turns a fid into a buffer that Tclunk sets
/// (or, sized 0, removes), as the Linux client expects.
extension Session {
    static let xattrMax = 65536

    /// The rulebook's xattr_permission(), as the syscalls judge it.
    func xattrAllowed(_ f: Fid, _ name: String, write: Bool) throws {
        let caller = f.user.caller()
        if let e = Rulebook.mayUseXattr(name, try metadata(f.fd), caller, write: write) { throw Failure(e) }
    }

    func xattrwalk(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let newfid = try r.u32()
        let name = try r.string()
        guard fids[newfid] == nil || fids[newfid] === f else { throw Failure(.EBADF) }
        guard name.utf8.count <= 255, !name.utf8.contains(0) else { throw Failure(.ERANGE) }
        let path = "/proc/self/fd/\(f.fd)"
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
    func hostXattr(_ call: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws -> [UInt8] {
        for _ in 0..<4 {
            let size = call(nil, 0)
            guard size >= 0 else { throw Failure.last() }
            if size == 0 { return [] }
            var buf = [UInt8](repeating: 0, count: size)
            let n = buf.withUnsafeMutableBytes { call($0.baseAddress!.assumingMemoryBound(to: CChar.self), size) }
            if n >= 0 { return Array(buf[0..<n]) }
            guard errno == ERANGE else { throw Failure.last() }
        }
        throw Failure(.ERANGE)
    }

    func xattrcreate(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let name = try r.string()
        let size = try r.u64()
        let flags = try r.u32()
        if export.readOnly { throw Failure(.EROFS) }
        guard !name.isEmpty, name.utf8.count <= 255, !name.utf8.contains(0) else { throw Failure(.ERANGE) }
        guard size <= UInt64(Self.xattrMax) else { throw Failure(.E2BIG) }
        guard flags & ~3 == 0 else { throw Failure(.EINVAL) }
        guard f.open < 0, f.xattr == nil, f.xattrWrite == nil else { throw Failure(.EBADF) }
        try xattrAllowed(f, name, write: true)
        f.xattrWrite = XattrWrite(name: name, size: Int(size), flags: Int32(flags))
    }

    func appendXattr(_ f: Fid, _ offset: UInt64, _ data: ArraySlice<UInt8>, _ w: inout WireWriter) throws {
        guard var x = f.xattrWrite else { throw Failure(.EBADF) }
        guard offset == UInt64(x.value.count), x.value.count + data.count <= x.size else { throw Failure(.EINVAL) }
        x.value += data
        f.xattrWrite = x
        w.u32(UInt32(data.count))
    }

    /// Tclunk of a Txattrcreate fid: the value must be whole.
    func commitXattr(_ f: Fid) throws {
        guard let x = f.xattrWrite else { return }
        guard x.value.count == x.size else { throw Failure(.EINVAL) }
        let path = "/proc/self/fd/\(f.fd)"
        let host = XattrNames.host(x.name)
        let r = x.size == 0
            ? removexattr(path, host)
            : x.value.withUnsafeBytes { setxattr(path, host, $0.baseAddress, $0.count, x.flags) }
        guard r == 0 else { throw Failure.last() }
        // An ACL can change who may search a directory.
        export.volume.sidecar.counters.directoriesChanged()
    }
}
