import FileNames
import Glibc
import LinuxABI
import VolFS

/// Tattach and Twalk, and the server's own bookkeeping of where a fid is.
/// Every step is an openat(O_PATH|O_NOFOLLOW) of one name from the last:
/// 9P walks never follow symlinks (the client reads and resolves them),
/// '..' is the server's own and never climbs above the export's root, and
/// a user other than root needs search permission on each directory passed.
extension Session {
    func attach(_ number: UInt32, uname: String, uid: UInt32?, _ w: inout WireWriter) throws(NinePError) {
        guard fids[number] == nil else { throw NinePError(.EBADF) }
        guard let u = export.user(name: uname, number: uid) else { throw NinePError(.EACCES) }
        let fd = dup(export.root)
        let f = Fid(path: [], fd: fd, user: User(uid: u.uid, gid: u.gid, groups: u.groups))
        fids[number] = f
        w.qid(try qid(fd))
    }

    /// Twalk: as far as the names lead. A walk that stops early answers the
    /// qids it found and makes no newfid; one that finds none is the first
    /// step's error.
    func walk(_ f: Fid, to newNumber: UInt32, _ names: [String], _ w: inout WireWriter) throws(NinePError) {
        guard names.count <= Self.maxWalk else { throw NinePError(.EINVAL) }
        let onto = fids[newNumber] === f
        if !onto && fids[newNumber] != nil { throw NinePError(.EBADF) }
        // The kernel's name for the fid's file is asked only where '..' needs it.
        var path = names.contains("..") ? currentPath(f) : f.path
        var fd = f.fd  // the fid's own until the first step opens another
        var qids: [Qid] = []
        var failure: LinuxErrno?
        for name in names {
            do throws(NinePError) {
                let next = try step(f.user, from: fd, name, &path)
                if fd != f.fd { close(fd) }
                fd = next
                qids.append(try qid(fd))
            } catch {
                failure = error.errno
                break
            }
        }
        if qids.count < names.count {
            if fd != f.fd { close(fd) }
            if qids.isEmpty { throw NinePError(failure ?? .ENOENT) }
        } else {
            if fd == f.fd { fd = dup(fd) }
            guard fd >= 0 else { throw NinePError.last() }
            fids[newNumber] = Fid(path: path, fd: fd, user: f.user)
        }
        w.u16(UInt16(qids.count))
        for q in qids { w.qid(q) }
    }

    /// One name of a walk from the directory `fd`: the next object's O_PATH
    /// fd, with `path` moved to it.
    func step(_ user: User, from fd: Int32, _ name: String, _ path: inout [String]) throws(NinePError) -> Int32 {
        guard !name.isEmpty, name == "/" || !name.contains("/"), !name.utf8.contains(0) else { throw NinePError(.ENOENT) }
        if !user.isRoot {
            let m = try metadata(fd)
            guard m.type == S_IFDIR else { throw NinePError(.ENOTDIR) }
            if let e = Rulebook.mayAccess(m, user.caller(), Rulebook.execute) { throw NinePError(e) }
        } else if name == "." || name == "..", !isDirectory(fd) {
            // Other names: openat below answers ENOTDIR for a non-directory.
            throw NinePError(.ENOTDIR)
        }
        switch name {
        case ".":
            let next = dup(fd)
            guard next >= 0 else { throw NinePError.last() }
            return next
        case "/":
            // Some clients (py9p) walk "/" first: the export's root, never the host's.
            path = []
            let next = dup(export.root)
            guard next >= 0 else { throw NinePError.last() }
            return next
        case "..":
            // The server's own parent: never above the export's root.
            if !path.isEmpty { path.removeLast() }
            return try open(path)
        default:
            let next = try object(in: fd, name)
            path.append(name)
            return next
        }
    }

    /// Where a fid's file is now: renames by other fids (or by a running
    /// session) move it, so the kernel's name for its fd is asked first.
    func currentPath(_ f: Fid) -> [String] {
        guard let root = export.realRoot,
              let host = readLink(Self.procPath(f.fd)), !host.hasSuffix(" (deleted)") else { return f.path }
        if host == root { return [] }
        guard host.hasPrefix(root + "/") else { return f.path }
        return host.dropFirst(root.count + 1).split(separator: "/").map(String.init)
    }

    func readLink(_ path: String) -> String? {
        var buf = [UInt8](repeating: 0, count: NineP.pathMax + 1)
        let n = buf.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), NineP.pathMax) }
        return n < 0 ? nil : FileNames.string(buf[0..<n])
    }

    /// A name to create: "/", "." and ".." exist already, as mkdir(2) says.
    func newComponent(_ name: String) throws(NinePError) -> String {
        if ["/", ".", ".."].contains(name) { throw NinePError(.EEXIST) }
        return try component(name)
    }

    /// One name a request makes or names in a directory: never '/', '.',
    /// '..', empty, with a NUL or longer than NAME_MAX.
    func component(_ name: String) throws(NinePError) -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.utf8.contains(0), name.utf8.count <= NineP.nameMax else {
            throw NinePError(.EINVAL)
        }
        return name
    }
}
