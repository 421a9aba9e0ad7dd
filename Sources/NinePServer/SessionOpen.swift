import FileNames
import Glibc
import LinuxABI
import VolFS

/// Opening files and moving their data: Tlopen and Tlcreate open the
/// fid's object (through its /proc/self/fd name, so exactly the object the
/// walk found), Tread and Twrite go straight to the host file, Treaddir
/// lists a directory with the sidecar's file types.
extension Session {
    /// Linux open flags a client may ask for, nothing that changes where
    /// the open lands.
    static func openFlags(_ flags: UInt32) -> Int32 {
        let allowed = OpenFlag.accessMode | OpenFlag.truncate | OpenFlag.append | OpenFlag.nonblocking | OpenFlag.direct
            | OpenFlag.directory | OpenFlag.sync | OpenFlag.noatime
        return Int32(bitPattern: flags & allowed) | O_CLOEXEC | O_NOFOLLOW
    }

    /// The iounit of Rlopen and Rlcreate: the most a Tread or Twrite moves at once.
    var iounit: UInt32 { msize - NineP.ioHeaderSize }

    func lopen(_ f: Fid, flags: UInt32, _ w: inout WireWriter) throws(NinePError) {
        guard f.open < 0 else { throw NinePError(.EBADF) }
        let wants = Rulebook.openAccess(flags: flags)
        let st = try hostStat(f.fd)
        // may_open(): a directory opened for writing (O_TRUNC writes too) is
        // EISDIR before any permission or read-only check.
        if st.st_mode & S_IFMT == S_IFDIR && wants & Rulebook.write != 0 { throw NinePError(.EISDIR) }
        if export.readOnly && wants & Rulebook.write != 0 { throw NinePError(.EROFS) }
        try check(f.user, f.fd, wants)
        if st.st_mode & S_IFMT == S_IFDIR {
            f.open = openat(f.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        } else if st.st_mode & S_IFMT == S_IFIFO {
            return try openFifo(f, flags, &w)
        } else {
            f.open = Glibc.open(Self.procPath(f.fd), Self.openFlags(flags) & ~O_NOFOLLOW | O_NONBLOCK)
            if f.open >= 0 && flags & OpenFlag.nonblocking == 0 { _ = fcntl(f.open, F_SETFL, fcntl(f.open, F_GETFL) & ~O_NONBLOCK) }
        }
        guard f.open >= 0 else { throw NinePError.last() }
        if flags & OpenFlag.truncate != 0 && st.st_mode & S_IFMT == S_IFREG { written(f) }
        w.qid(try qid(f.fd))
        w.u32(iounit)
    }

    /// Tlcreate: the fid, a directory's, becomes the new file's, open.
    func lcreate(_ f: Fid, _ name: String, flags: UInt32, mode requested: UInt32, gid asked: UInt32,
                 _ w: inout WireWriter) throws(NinePError) {
        let name = try newComponent(name)
        try writable(f)
        let (gid, mode) = try newOwnerGroup(f, asked, requested & ModeBits.permissions, directory: false)
        let host = Metadata.hostPermissions(guestMode: mode, isDirectory: false)
        let fd = openat(f.fd, FileNames.cString(name), Self.openFlags(flags) | O_CREAT | O_EXCL, mode_t(host))
        guard fd >= 0 else { throw NinePError.last() }
        record(Metadata(uid: f.user.uid, gid: gid, mode: S_IFREG | mode), as: name, in: f.fd)
        let objectFd: Int32
        do throws(NinePError) { objectFd = try object(in: f.fd, name) } catch {
            close(fd)
            throw error
        }
        // The fid now names the new, open file.
        let created = Fid(path: f.path + [name], fd: objectFd, user: f.user)
        created.open = fd
        if let key = fids.first(where: { $0.value === f })?.key {
            fids[key] = created
        }
        w.qid(try qid(objectFd))
        w.u32(iounit)
    }

    func readData(_ f: Fid, at offset: UInt64, count asked: UInt32, _ w: inout WireWriter) throws(NinePError) {
        let count = min(asked, msize - NineP.countedReplyHeader)
        if let x = f.xattr {
            let slice = x.dropFirst(Int(min(offset, UInt64(x.count)))).prefix(Int(count))
            w.u32(UInt32(slice.count))
            w.bytes += slice
            return
        }
        guard f.open >= 0 else { throw NinePError(.EBADF) }
        if f.fifo { return readFifo(f, Int(count)) }
        // The data is read straight into the reply: no zeroed buffer, no
        // second copy, no regrowth (a third of the server's time went there).
        let head = w.bytes
        var failure: NinePError?
        w.bytes = [UInt8](unsafeUninitializedCapacity: head.count + 4 + Int(count)) { buf, initialized in
            _ = UnsafeMutableBufferPointer(rebasing: buf[0..<head.count]).initialize(from: head)
            let n = pread(f.open, buf.baseAddress! + head.count + 4, Int(count), off_t(Int64(bitPattern: offset)))
            if n < 0 { failure = NinePError.last() }
            let got = max(n, 0)
            for i in 0..<4 { buf[head.count + i] = UInt8(truncatingIfNeeded: UInt32(got) >> (8 * UInt32(i))) }
            initialized = head.count + 4 + got
        }
        if let failure { throw failure }
    }

    func writeData(_ f: Fid, at offset: UInt64, _ data: ArraySlice<UInt8>, _ w: inout WireWriter) throws(NinePError) {
        if f.xattrWrite != nil { return try appendXattr(f, offset, data, &w) }
        guard f.open >= 0 else { throw NinePError(.EBADF) }
        if export.readOnly { throw NinePError(.EROFS) }
        if f.fifo { return writeFifo(f, data) }
        let n = data.withUnsafeBytes { pwrite(f.open, $0.baseAddress, $0.count, off_t(Int64(bitPattern: offset))) }
        guard n >= 0 else { throw NinePError.last() }
        if n > 0 { written(f) }
        w.u32(UInt32(n))
    }

    /// Treaddir: entries from `offset` (an entry's index plus one) while
    /// they fit `count`; the listing is read afresh at offset 0.
    func readdir(_ f: Fid, at offset: UInt64, count asked: UInt32, _ w: inout WireWriter) throws(NinePError) {
        let count = Int(min(asked, msize - NineP.countedReplyHeader))
        guard f.open >= 0, isDirectory(f.fd) else { throw NinePError(f.open < 0 ? .EBADF : .ENOTDIR) }
        if f.entries == nil || offset == 0 { f.entries = try listing(f) }
        let entries = f.entries!
        var body = WireWriter()
        var index = Int(min(offset, UInt64(entries.count)))
        while index < entries.count {
            let e = entries[index]
            var one = WireWriter()
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

    func listing(_ f: Fid) throws(NinePError) -> [(name: String, qid: Qid, type: UInt8)] {
        let fd = openat(f.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, let dir = fdopendir(fd) else { throw NinePError.last() }
        defer { closedir(dir) }
        return export.volume.snapshot { sidecar in
            var out: [(String, Qid, UInt8)] = []
            while let e = Glibc.readdir(dir) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { FileNames.string($0.prefix { $0 != 0 }) }
                // Each name is described where it is (never followed): '..' of
                // the export's root is the root itself.
                let (base, entry) = name == ".." && f.path.isEmpty ? (export.root, ".") : (dirfd(dir), name)
                guard let (m, host) = sidecar.describe(dirfd: base, name: entry) else { continue }
                out.append((name, Self.qid(host), DirentType.of(m.type)))
            }
            return out
        }
    }
}
