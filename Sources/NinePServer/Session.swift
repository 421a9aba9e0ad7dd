import CPicoLinux
import FileNames
import Glibc
import LinuxABI
import VolFS

/// One client connection: its fids and its negotiated msize. Requests are
/// answered as they are read, but for those that may wait on another
/// program (FIFOs): they leave work for a worker thread (`Answer.later`),
/// which the connection runs and a Tflush cancels.
final class Session {
    enum Answer {
        case now([UInt8])
        case later(UInt16, (Cancellation) -> [UInt8]?)
    }

    /// A fid holds its fds until the last reference goes: a worker still
    /// reading a FIFO keeps its fid's fd open after a Tclunk.
    final class Fid {
        /// Components below the export root (the server's own '..').
        var path: [String]
        /// O_PATH fd of the object.
        let fd: Int32
        var open: Int32 = -1
        var entries: [(name: String, qid: Qid, type: UInt8)]?
        var user: User
        /// The open file is a FIFO: reads and writes wait on a worker.
        var fifo = false
        var nonblocking = false
        /// A fid from Txattrwalk: the value or list read back.
        var xattr: [UInt8]?
        /// A fid from Txattrcreate: the value written, set on Tclunk.
        var xattrWrite: XattrWrite?

        init(path: [String], fd: Int32, user: User) {
            self.path = path
            self.fd = fd
            self.user = user
        }

        deinit {
            if open >= 0 { close(open) }
            close(fd)
        }
    }

    struct XattrWrite {
        let name: String
        let size: Int
        let flags: Int32
        var value: [UInt8] = []
    }

    /// Work cancelled by a Tflush: its reply is never sent.
    struct Flushed: Error {}

    /// A 9P user: root holds every capability, as a root process on the
    /// server's machine would; anyone else none.
    struct User {
        let uid: UInt32
        let gid: UInt32
        let groups: [UInt32]
        var isRoot: Bool { uid == 0 }
        func inGroup(_ g: UInt32) -> Bool { g == gid || groups.contains(g) }
        /// The user as the rulebook judges it, creating with group `gid`.
        func caller(gid: UInt32? = nil) -> Rulebook.Caller {
            Rulebook.Caller(fsuid: uid, fsgid: gid ?? self.gid, groups: groups, capabilities: isRoot ? .all : .none)
        }
    }

    struct Failure: Error {
        let errno: LinuxErrno
        init(_ e: LinuxErrno) { errno = e }
        static func last() -> Failure { Failure(LinuxErrno(Glibc.errno)) }
    }

    let export: Export
    /// Held while a message is handled and while a worker touches a fid.
    let lock = Lock()
    var fids: [UInt32: Fid] = [:]
    /// Set by a handler that must wait: run on a worker, not answered now.
    var pendingWork: ((Cancellation) throws -> [UInt8])?
    var msize: UInt32 = 8192
    static let maxMsize: UInt32 = 1 << 20
    static let maxWalk = 16

    init(export: Export) {
        self.export = export
    }

    /// When the connection ends (not while a message is handled: the lock is not recursive).
    func clunkAll() {
        lock.locked { fids.removeAll() }
    }

    /// Answers one whole message (size included); nil only for a message
    /// too short to carry a tag, after which the connection is closed.
    func handle(_ message: [UInt8]) -> Answer? {
        var r = WireReader(message, at: 4)
        guard let type = try? r.u8(), let tag = try? r.u16() else { return nil }
        return lock.locked {
            pendingWork = nil
            do {
                let reply = try dispatch(type, tag, &r)
                guard let work = pendingWork else { return .now(reply) }
                pendingWork = nil
                return .later(tag) { cancel in
                    // The worker's reply is written without the tag, which is known here.
                    do { return Self.tagged(try work(cancel), tag) } catch is Flushed { return nil } catch let e as Failure {
                        return Self.error(tag, e.errno)
                    } catch { return Self.error(tag, .EIO) }
                }
            } catch let e as Failure {
                return .now(Self.error(tag, e.errno))
            } catch {
                return .now(Self.error(tag, .EINVAL))  // malformed body
            }
        }
    }

    static func tagged(_ reply: [UInt8], _ tag: UInt16) -> [UInt8] {
        var reply = reply
        reply[5] = UInt8(tag & 0xff)
        reply[6] = UInt8(tag >> 8)
        return reply
    }

    static func error(_ tag: UInt16, _ errno: LinuxErrno) -> [UInt8] {
        var w = WireWriter(type: 7, tag: tag)
        w.u32(UInt32(bitPattern: errno.rawValue))
        return w.finish()
    }

    func fid(_ r: inout WireReader) throws -> Fid {
        guard let f = fids[try r.u32()] else { throw Failure(.EBADF) }
        return f
    }

    func dispatch(_ type: UInt8, _ tag: UInt16, _ r: inout WireReader) throws -> [UInt8] {
        var w = WireWriter(type: type &+ 1, tag: tag)
        switch type {
        case 100:  // Tversion
            let size = try r.u32()
            let version = try r.string()
            fids.removeAll()
            // Never more than the client offered (it sized its buffers so), and
            // at least what a Rreadlink or an Rgetattr may need.
            guard size >= 4096 else { throw Failure(.EINVAL) }
            msize = min(size, Self.maxMsize)
            w.u32(msize)
            w.string(version.hasPrefix("9P2000.L") ? "9P2000.L" : "unknown")
        case 102:  // Tauth: none is configured; ENOENT is how 9P servers say "not required"
            throw Failure(.ENOENT)
        case 104:  // Tattach
            let fidNumber = try r.u32()
            _ = try r.u32()
            let uname = try r.string()
            _ = try r.string()
            let number = r.remaining >= 4 ? try r.u32() : UInt32.max
            guard fids[fidNumber] == nil else { throw Failure(.EBADF) }
            guard let u = export.user(name: uname, number: number == UInt32.max ? nil : number) else { throw Failure(.EACCES) }
            let fd = dup(export.root)
            let f = Fid(path: [], fd: fd, user: User(uid: u.uid, gid: u.gid, groups: u.groups))
            fids[fidNumber] = f
            w.qid(try qid(fd))
        case 108:  // Tflush: the connection answers it; here only if too short
            _ = try r.u16()
        case 110: try walk(&r, &w)
        case 12: try lopen(&r, &w)
        case 14: try lcreate(&r, &w)
        case 116: try readData(&r, &w)
        case 118: try writeData(&r, &w)
        case 120:  // Tclunk
            let n = try r.u32()
            guard let f = fids.removeValue(forKey: n) else { throw Failure(.EBADF) }
            try commitXattr(f)
        case 122:  // Tremove: clunked whatever happens
            let n = try r.u32()
            guard let f = fids.removeValue(forKey: n) else { throw Failure(.EBADF) }
            let path = currentPath(f)
            guard let name = path.last else { throw Failure(.EBUSY) }
            let parent = try open(Array(path.dropLast()))
            defer { close(parent) }
            try remove(f.user, parent: parent, name: name, directory: isDirectory(f.fd))
        case 8: try statfs(&r, &w)
        case 24: try getattr(&r, &w)
        case 26: try setattr(&r, &w)
        case 40: try readdir(&r, &w)
        case 22:  // Treadlink
            let f = try fid(&r)
            var buf = [UInt8](repeating: 0, count: 4097)
            let n = buf.withUnsafeMutableBytes { readlinkat(f.fd, "", $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
            guard n >= 0 else { throw Failure.last() }
            w.string(FileNames.string(buf[0..<n]))
        case 16, 18, 72: try make(type, &r, &w)
        case 20:  // Trename fid dfid name
            let f = try fid(&r), dir = try fid(&r)
            let name = try component(try r.string())
            let path = currentPath(f)
            guard let old = path.last else { throw Failure(.EBUSY) }
            let from = try open(Array(path.dropLast()))
            defer { close(from) }
            try rename(f.user, from, old, dir.fd, name)
            f.path = currentPath(dir) + [name]
        case 74:  // Trenameat
            let from = try fid(&r)
            let old = try component(try r.string())
            let to = try fid(&r)
            let new = try component(try r.string())
            try rename(from.user, from.fd, old, to.fd, new)
        case 76:  // Tunlinkat
            let dir = try fid(&r)
            let name = try component(try r.string())
            let flags = try r.u32()
            try remove(dir.user, parent: dir.fd, name: name, directory: flags & UInt32(AT_REMOVEDIR) != 0)
        case 70:  // Tlink dfid fid name
            let dir = try fid(&r), f = try fid(&r)
            let name = try component(try r.string())
            try writable(dir)
            guard linkat(f.fd, "", dir.fd, FileNames.cString(name), AT_EMPTY_PATH) == 0
                    || linkat(AT_FDCWD, "/proc/self/fd/\(f.fd)", dir.fd, FileNames.cString(name), AT_SYMLINK_FOLLOW) == 0 else {
                throw Failure.last()
            }
        case 50:  // Tfsync
            let f = try fid(&r)
            if f.open >= 0 { fsync(f.open) }
        case 52: try lock(&r, &w)
        case 54: try getlock(&r, &w)
        case 30: try xattrwalk(&r, &w)
        case 32: try xattrcreate(&r, &w)
        default:
            throw Failure(.EOPNOTSUPP)
        }
        return w.finish()
    }

    // MARK: names and objects

    /// One path component: never '/', '.', '..' or empty where a name is created.
    /// A name to create: "/", "." and ".." exist already, as mkdir(2) says.
    func newComponent(_ name: String) throws -> String {
        if ["/", ".", ".."].contains(name) { throw Failure(.EEXIST) }
        return try component(name)
    }

    func component(_ name: String) throws -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.utf8.contains(0), name.utf8.count <= 255 else {
            throw Failure(.EINVAL)
        }
        return name
    }

    /// Where a fid's file is now: renames by other fids (or by a running
    /// session) move it, so the kernel's name for its fd is asked first.
    func currentPath(_ f: Fid) -> [String] {
        guard let root = export.realRoot,
              let host = readLink("/proc/self/fd/\(f.fd)"), !host.hasSuffix(" (deleted)") else { return f.path }
        if host == root { return [] }
        guard host.hasPrefix(root + "/") else { return f.path }
        return host.dropFirst(root.count + 1).split(separator: "/").map(String.init)
    }

    func readLink(_ path: String) -> String? {
        var buf = [UInt8](repeating: 0, count: 4097)
        let n = buf.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
        return n < 0 ? nil : FileNames.string(buf[0..<n])
    }

    /// An O_PATH fd for components below the root.
    func open(_ path: [String]) throws -> Int32 {
        var fd = dup(export.root)
        for name in path {
            let next = openat(fd, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_CLOEXEC)
            close(fd)
            guard next >= 0 else { throw Failure.last() }
            fd = next
        }
        return fd
    }

    func hostStat(_ fd: Int32) throws -> stat {
        var st = stat()
        guard fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 else { throw Failure.last() }
        return st
    }

    func isDirectory(_ fd: Int32) -> Bool {
        (try? hostStat(fd)).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
    }

    func metadata(_ fd: Int32) throws -> Metadata {
        guard let m = export.volume.metadata(fd: fd) else { throw Failure.last() }
        return m
    }

    func qid(_ fd: Int32) throws -> Qid {
        guard let (_, host) = FileIdentity.of(fd: fd) else { throw Failure.last() }
        return Self.qid(host)
    }

    /// A qid needs no sidecar row: the guest's directories and symlinks are
    /// real ones on the host, and every other kind (device nodes kept as
    /// host files included) is a plain file to 9P.
    static func qid(_ host: FileIdentity.HostStat) -> Qid {
        let kind = host.mode & UInt32(S_IFMT)
        let type = kind == UInt32(S_IFDIR) ? Qid.directory : kind == UInt32(S_IFLNK) ? Qid.symlink : Qid.file
        let version = UInt32(truncatingIfNeeded: host.ctime.tv_sec ^ (host.ctime.tv_nsec << 8))
        return Qid(type: type, version: version, path: host.inode)
    }

    func check(_ user: User, _ fd: Int32, _ want: UInt32) throws {
        if let e = Rulebook.mayAccess(try metadata(fd), user.caller(), want) { throw Failure(e) }
    }

    /// A write or truncation through `f`: setuid and setgid go as Linux drops them.
    func written(_ f: Fid) {
        guard let meta = try? metadata(f.fd) else { return }
        let mode = Rulebook.modeAfterWrite(meta, f.user.caller())
        if mode != meta.mode { try? export.volume.update(fd: f.fd) { $0.mode = mode } }
    }

    func writable(_ dir: Fid) throws {
        if export.readOnly { throw Failure(.EROFS) }
        try check(dir.user, dir.fd, 3)
    }

    // MARK: messages

    func walk(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let newNumber = try r.u32()
        let count = Int(try r.u16())
        guard count <= Self.maxWalk else { throw Failure(.EINVAL) }
        var names: [String] = []
        for _ in 0..<count { names.append(try r.string()) }
        let onto = fids[newNumber] === f
        if !onto && fids[newNumber] != nil { throw Failure(.EBADF) }
        // The kernel's name for the fid's file is asked only where '..' needs it.
        var path = names.contains("..") ? currentPath(f) : f.path
        var fd = f.fd  // the fid's own until the first step opens another
        var qids: [Qid] = []
        var failure: Int32 = 0
        let caller = f.user.caller()
        for name in names {
            guard !name.isEmpty, name == "/" || !name.contains("/"), !name.utf8.contains(0) else { failure = ENOENT; break }
            if !f.user.isRoot {
                let m: Metadata
                do { m = try metadata(fd) } catch { failure = (error as? Failure)?.errno.rawValue ?? EIO; break }
                guard m.type == S_IFDIR else { failure = ENOTDIR; break }
                if let e = Rulebook.mayAccess(m, caller, Rulebook.execute) { failure = e.rawValue; break }
            } else if name == "." || name == "..", !isDirectory(fd) {
                // Other names: openat below answers ENOTDIR for a non-directory.
                failure = ENOTDIR
                break
            }
            let next: Int32
            if name == "." {
                next = dup(fd)
            } else if name == "/" {
                // Some clients (py9p) walk "/" first: the export's root, never the host's.
                path = []
                next = dup(export.root)
            } else if name == ".." {
                // The server's own parent: never above the export's root.
                if !path.isEmpty { path.removeLast() }
                next = (try? open(path)) ?? -1
            } else {
                next = openat(fd, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_CLOEXEC)
                if next >= 0 { path.append(name) }
            }
            if next < 0 { failure = Glibc.errno; break }
            if fd != f.fd { close(fd) }
            fd = next
            do { qids.append(try qid(fd)) } catch { failure = (error as? Failure)?.errno.rawValue ?? EIO; break }
        }
        if qids.count < names.count {
            if fd != f.fd { close(fd) }
            if qids.isEmpty { throw Failure(failure == 0 ? .ENOENT : LinuxErrno(failure)) }
        } else {
            if fd == f.fd { fd = dup(fd) }
            guard fd >= 0 else { throw Failure.last() }
            fids[newNumber] = Fid(path: path, fd: fd, user: f.user)
        }
        w.u16(UInt16(qids.count))
        for q in qids { w.qid(q) }
    }

    /// Linux open flags a client may ask for, nothing that changes where
    /// the open lands.
    static func openFlags(_ flags: UInt32) -> Int32 {
        let allowed: UInt32 = 0o3 | 0o1000 | 0o2000 | 0o4000 | 0o40000 | 0o200000 | 0o4010000 | 0o1000000
        return Int32(bitPattern: flags & allowed) | O_CLOEXEC | O_NOFOLLOW
    }

    func lopen(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let flags = try r.u32()
        guard f.open < 0 else { throw Failure(.EBADF) }
        let access = flags & 3
        let st = try hostStat(f.fd)
        // may_open(): a directory opened for writing (O_TRUNC writes too) is
        // EISDIR before any permission or read-only check.
        if st.st_mode & S_IFMT == S_IFDIR && (access != 0 || flags & 0o1000 != 0) { throw Failure(.EISDIR) }
        if export.readOnly && (access != 0 || flags & 0o1000 != 0) { throw Failure(.EROFS) }
        // O_TRUNC writes the file, whatever the access mode says.
        try check(f.user, f.fd, (access == 0 ? 4 : access == 1 ? 2 : 6) | (flags & 0o1000 != 0 ? 2 : 0))
        if st.st_mode & S_IFMT == S_IFDIR {
            f.open = openat(f.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        } else if st.st_mode & S_IFMT == S_IFIFO {
            return try openFifo(f, flags, &w)
        } else {
            f.open = Glibc.open("/proc/self/fd/\(f.fd)", Self.openFlags(flags) & ~O_NOFOLLOW | O_NONBLOCK)
            if f.open >= 0 && flags & 0o4000 == 0 { _ = fcntl(f.open, F_SETFL, fcntl(f.open, F_GETFL) & ~O_NONBLOCK) }
        }
        guard f.open >= 0 else { throw Failure.last() }
        if flags & 0o1000 != 0 && st.st_mode & S_IFMT == S_IFREG { written(f) }
        w.qid(try qid(f.fd))
        w.u32(msize - 24)
    }

    func lcreate(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let name = try newComponent(try r.string())
        let flags = try r.u32(), requested = try r.u32(), asked = try r.u32()
        try writable(f)
        let (gid, mode) = try newOwnerGroup(f, asked, requested & 0o7777, directory: false)
        let host = Metadata.hostPermissions(guestMode: mode & 0o7777, isDirectory: false)
        let fd = openat(f.fd, FileNames.cString(name), Self.openFlags(flags) | O_CREAT | O_EXCL, mode_t(host))
        guard fd >= 0 else { throw Failure.last() }
        try? export.volume.created(dirfd: f.fd, name: name, Metadata(uid: f.user.uid, gid: gid, mode: S_IFREG | mode))
        let object = openat(f.fd, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard object >= 0 else { close(fd); throw Failure.last() }
        // The fid now names the new, open file.
        let created = Fid(path: f.path + [name], fd: object, user: f.user)
        created.open = fd
        if let key = fids.first(where: { $0.value === f })?.key {
            fids[key] = created
        }
        w.qid(try qid(object))
        w.u32(msize - 24)
    }

    func readData(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let offset = try r.u64()
        let count = min(try r.u32(), msize - 11)
        if let x = f.xattr {
            let slice = x.dropFirst(Int(min(offset, UInt64(x.count)))).prefix(Int(count))
            w.u32(UInt32(slice.count))
            w.bytes += slice
            return
        }
        guard f.open >= 0 else { throw Failure(.EBADF) }
        if f.fifo { return readFifo(f, Int(count)) }
        // The data is read straight into the reply: no zeroed buffer, no
        // second copy, no regrowth (a third of the server's time went there).
        let head = w.bytes
        var failure: Int32 = 0
        w.bytes = [UInt8](unsafeUninitializedCapacity: head.count + 4 + Int(count)) { buf, initialized in
            _ = UnsafeMutableBufferPointer(rebasing: buf[0..<head.count]).initialize(from: head)
            let n = pread(f.open, buf.baseAddress! + head.count + 4, Int(count), off_t(Int64(bitPattern: offset)))
            if n < 0 { failure = errno }
            let got = max(n, 0)
            for i in 0..<4 { buf[head.count + i] = UInt8(truncatingIfNeeded: UInt32(got) >> (8 * UInt32(i))) }
            initialized = head.count + 4 + got
        }
        if failure != 0 { throw Failure(LinuxErrno(failure)) }
    }

    func writeData(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let offset = try r.u64()
        let count = Int(try r.u32())
        let data = try r.data(count)
        if f.xattrWrite != nil { return try appendXattr(f, offset, data, &w) }
        guard f.open >= 0 else { throw Failure(.EBADF) }
        if export.readOnly { throw Failure(.EROFS) }
        if f.fifo { return writeFifo(f, data) }
        let n = data.withUnsafeBytes { pwrite(f.open, $0.baseAddress, $0.count, off_t(Int64(bitPattern: offset))) }
        guard n >= 0 else { throw Failure.last() }
        if n > 0 { written(f) }
        w.u32(UInt32(n))
    }

    func statfs(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        var s = statvfs()
        guard fstatvfs(f.open >= 0 ? f.open : export.root, &s) == 0 || statvfs(export.rootPath, &s) == 0 else { throw Failure.last() }
        w.u32(0x0102_1997)  // V9FS_MAGIC
        w.u32(UInt32(truncatingIfNeeded: s.f_bsize))
        w.u64(UInt64(s.f_blocks)); w.u64(UInt64(s.f_bfree)); w.u64(UInt64(s.f_bavail))
        w.u64(UInt64(s.f_files)); w.u64(UInt64(s.f_ffree)); w.u64(UInt64(s.f_fsid))
        w.u32(UInt32(truncatingIfNeeded: s.f_namemax))
    }

    func getattr(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        _ = try r.u64()
        guard let (meta, host) = export.volume.describe(fd: f.fd) else { throw Failure.last() }
        w.u64(0x3fff)  // P9_GETATTR_ALL
        w.qid(Self.qid(host))
        w.u32(meta.mode)
        w.u32(meta.uid)
        w.u32(meta.gid)
        w.u64(UInt64(host.nlink))
        w.u64(meta.type == S_IFCHR || meta.type == S_IFBLK ? meta.rdev : 0)
        w.u64(host.size); w.u64(UInt64(host.blksize)); w.u64(host.blocks)
        for t in [host.atime, host.mtime, host.ctime, host.btime] {
            w.u64(UInt64(bitPattern: Int64(t.tv_sec)))
            w.u64(UInt64(t.tv_nsec))
        }
        w.u64(0)
        w.u64(0)
    }

    func setattr(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let valid = try r.u32(), mode = try r.u32(), uid = try r.u32(), gid = try r.u32()
        let size = try r.u64()
        let atime = (try r.u64(), try r.u64()), mtime = (try r.u64(), try r.u64())
        if export.readOnly && valid != 0 { throw Failure(.EROFS) }
        let meta = try metadata(f.fd)
        let caller = f.user.caller()
        // A directory's new owner or mode changes who may search it.
        defer { if valid & 0x7 != 0 && meta.type == S_IFDIR { export.volume.sidecar.counters.directoriesChanged() } }
        if valid & 0x6 != 0 {
            let uid: UInt32? = valid & 0x2 != 0 ? uid : nil, gid: UInt32? = valid & 0x4 != 0 ? gid : nil
            if let e = Rulebook.mayChown(meta, caller, uid: uid, gid: gid) { throw Failure(e) }
            do {
                try export.volume.update(fd: f.fd) { m in
                    if let uid { m.uid = uid }
                    if let gid { m.gid = gid }
                    m.mode = Rulebook.modeAfterChown(m, caller)
                }
            } catch { throw Failure(.EIO) }
        }
        if valid & 0x1 != 0 {
            // Judged against the group it has after a chown in the same message, as setattr_prepare does.
            var judged = meta
            if valid & 0x4 != 0 { judged.gid = gid }
            let kept: UInt32
            switch Rulebook.chmod(judged, caller, to: mode) {
            case .failure(let e): throw Failure(e)
            case .success(let m): kept = m
            }
            if meta.type != S_IFLNK {
                _ = Glibc.chmod("/proc/self/fd/\(f.fd)", mode_t(Metadata.hostPermissions(guestMode: kept, isDirectory: meta.type == S_IFDIR)))
            }
            do { try export.volume.update(fd: f.fd) { $0.mode = $0.type | kept } } catch { throw Failure(.EIO) }
        }
        if valid & 0x8 != 0 {
            try check(f.user, f.fd, 2)
            let fd = Glibc.open("/proc/self/fd/\(f.fd)", O_WRONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw Failure.last() }
            defer { close(fd) }
            guard ftruncate(fd, off_t(Int64(bitPattern: size))) == 0 else { throw Failure.last() }
            written(f)
        }
        if valid & 0x30 != 0 {
            if let e = Rulebook.maySetTimes(meta, caller, toNow: valid & 0x180 == 0) { throw Failure(e) }
            let omit = timespec(tv_sec: 0, tv_nsec: Int((1 << 30) - 2)), now = timespec(tv_sec: 0, tv_nsec: Int((1 << 30) - 1))
            // Times come from the wire: any 64-bit value, never trusted to fit.
            for (given, t) in [(UInt32(0x80), atime), (UInt32(0x100), mtime)] where valid & given != 0 && t.1 >= 1_000_000_000 {
                throw Failure(.EINVAL)
            }
            func time(_ set: UInt32, _ given: UInt32, _ t: (UInt64, UInt64)) -> timespec {
                valid & set == 0 ? omit : valid & given != 0
                    ? timespec(tv_sec: Int(truncatingIfNeeded: t.0), tv_nsec: Int(truncatingIfNeeded: t.1)) : now
            }
            var times = [time(0x10, 0x80, atime), time(0x20, 0x100, mtime)]
            guard utimensat(f.fd, "", &times, AT_EMPTY_PATH) == 0 else { throw Failure.last() }
        }
    }

    func readdir(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let offset = try r.u64()
        let count = Int(min(try r.u32(), msize - 11))
        guard f.open >= 0, isDirectory(f.fd) else { throw Failure(f.open < 0 ? .EBADF : .ENOTDIR) }
        if f.entries == nil || offset == 0 { f.entries = try listing(f) }
        let entries = f.entries!
        var body = WireWriter(type: 0, tag: 0)
        body.bytes = []
        var index = Int(min(offset, UInt64(entries.count)))
        while index < entries.count {
            let e = entries[index]
            var one = WireWriter(type: 0, tag: 0)
            one.bytes = []
            one.qid(e.qid)
            one.u64(UInt64(index + 1))
            one.u8(e.type)
            one.string(e.name)
            if body.bytes.count + one.bytes.count > count { break }
            body.bytes += one.bytes
            index += 1
        }
        w.u32(UInt32(body.bytes.count))
        w.bytes += body.bytes
    }

    func listing(_ f: Fid) throws -> [(name: String, qid: Qid, type: UInt8)] {
        let fd = openat(f.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, let dir = fdopendir(fd) else { throw Failure.last() }
        defer { closedir(dir) }
        return export.volume.snapshot { sidecar in
            var out: [(String, Qid, UInt8)] = []
            while let e = Glibc.readdir(dir) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { FileNames.string($0.prefix { $0 != 0 }) }
                // Each name is described where it is (never followed): '..' of
                // the export's root is the root itself.
                let (base, entry) = name == ".." && f.path.isEmpty ? (export.root, ".") : (dirfd(dir), name)
                guard let (m, host) = sidecar.describe(dirfd: base, name: entry) else { continue }
                let dt: UInt8 = switch m.type {
                case S_IFDIR: 4
                case S_IFLNK: 10
                case S_IFCHR: 2
                case S_IFBLK: 6
                case S_IFIFO: 1
                case S_IFSOCK: 12
                default: 8
                }
                out.append((name, Self.qid(host), dt))
            }
            return out
        }
    }

    func make(_ type: UInt8, _ r: inout WireReader, _ w: inout WireWriter) throws {
        let dir = try fid(&r)
        let name = try newComponent(try r.string())
        try writable(dir)
        var meta: Metadata
        switch type {
        case 16:  // Tsymlink name target gid
            let target = try r.string()
            let (gid, _) = try newOwnerGroup(dir, try r.u32(), 0o777, directory: false)
            guard !target.isEmpty, symlinkat(FileNames.cString(target), dir.fd, FileNames.cString(name)) == 0 else { throw target.isEmpty ? Failure(.ENOENT) : Failure.last() }
            meta = Metadata(uid: dir.user.uid, gid: gid, mode: S_IFLNK | 0o777)
        case 18:  // Tmknod name mode major minor gid
            let given = try r.u32(), major = try r.u32(), minor = try r.u32()
            let kind = given & S_IFMT
            let (gid, mode) = try newOwnerGroup(dir, try r.u32(), given & 0o7777, directory: false)
            guard [S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].contains(kind) else {
                throw Failure(.EINVAL)
            }
            if let e = Rulebook.mayMknod(type: kind, dir.user.caller()) { throw Failure(e) }
            let host = mode_t(Metadata.hostPermissions(guestMode: mode, isDirectory: false))
            if kind == S_IFIFO {
                guard mkfifoat(dir.fd, FileNames.cString(name), host) == 0 else { throw Failure.last() }
            } else {
                let fd = openat(dir.fd, FileNames.cString(name), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, host)
                guard fd >= 0 else { throw Failure.last() }
                close(fd)
            }
            let rdev = TarEntry(path: "", kind: .charDevice, mode: 0, uid: 0, gid: 0, mtime: 0, devMajor: major, devMinor: minor).rdev
            meta = Metadata(uid: dir.user.uid, gid: gid, mode: kind | (mode & 0o7777), rdev: kind == S_IFCHR || kind == S_IFBLK ? rdev : 0)
        default:  // Tmkdir name mode gid
            let given = try r.u32()
            let (gid, mode) = try newOwnerGroup(dir, try r.u32(), given & 0o7777, directory: true)
            guard mkdirat(dir.fd, FileNames.cString(name), mode_t(Metadata.hostPermissions(guestMode: mode, isDirectory: true))) == 0 else { throw Failure.last() }
            meta = Metadata(uid: dir.user.uid, gid: gid, mode: S_IFDIR | (mode & 0o7777))
        }
        try? export.volume.created(dirfd: dir.fd, name: name, meta)
        let object = openat(dir.fd, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard object >= 0 else { throw Failure.last() }
        defer { close(object) }
        w.qid(try qid(object))
    }

    func rename(_ user: User, _ fromDir: Int32, _ old: String, _ toDir: Int32, _ new: String) throws {
        if export.readOnly { throw Failure(.EROFS) }
        try check(user, fromDir, 3)
        try check(user, toDir, 3)
        try sticky(user, fromDir, old)
        try sticky(user, toDir, new)
        let forget = export.volume.removal(dirfd: toDir, name: new)
        guard renameat(fromDir, FileNames.cString(old), toDir, FileNames.cString(new)) == 0 else { throw Failure.last() }
        // A session's walker may have the old path of a directory cached.
        export.volume.sidecar.counters.directoriesChanged()
        forget()
    }

    func remove(_ user: User, parent: Int32, name: String, directory: Bool) throws {
        if export.readOnly { throw Failure(.EROFS) }
        try check(user, parent, 3)
        try sticky(user, parent, name)
        let forget = export.volume.removal(dirfd: parent, name: name)
        guard unlinkat(parent, FileNames.cString(name), directory ? AT_REMOVEDIR : 0) == 0 else { throw Failure.last() }
        if directory { export.volume.sidecar.counters.directoriesChanged() }
        forget()
    }

    /// In a sticky directory (/tmp) only the file's owner, the directory's
    /// owner or CAP_FOWNER may remove or replace a name (the rulebook's).
    func sticky(_ user: User, _ dir: Int32, _ name: String) throws {
        guard let d = try? metadata(dir), d.mode & 0o1000 != 0 else { return }
        let fd = openat(dir, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }  // nothing there: the call itself says ENOENT
        defer { close(fd) }
        if let m = try? metadata(fd), Rulebook.isStickyProtected(m, in: d, user.caller()) { throw Failure(.EPERM) }
    }

    /// The group and mode a new file gets: the client's gid, which must be
    /// one of the user's groups (9P says who creates, the server checks),
    /// then the rulebook's new owner (a setgid directory's group and bit).
    func newOwnerGroup(_ dir: Fid, _ asked: UInt32, _ mode: UInt32, directory: Bool) throws -> (UInt32, UInt32) {
        let parent = try metadata(dir.fd)
        guard parent.mode & 0o2000 != 0 || dir.user.isRoot || dir.user.inGroup(asked) else { throw Failure(.EPERM) }
        let type = directory ? S_IFDIR : S_IFREG
        let meta = Rulebook.newOwner(in: parent, dir.user.caller(gid: asked), mode: type | mode)
        return (meta.gid, meta.mode & 0o7777)
    }
}
