// NinePServer: picorun's 9P2000.L server, exporting a distro's files with
// the owners, modes and rules a running session gives them (VolFS). Each
// file holds one part of it:
//
//   Server.swift            listening socket; a thread per connection
//   Connection.swift        framing, replies, workers and Tflush
//   MessageReader.swift     reading messages off the socket (and when to poll)
//   Wire.swift              little-endian fields, strings, qids
//   Request.swift           the T-messages answered, one case each, as fields
//   RequestDecoder.swift    the one place bytes become a `Request`
//   NinePConstants.swift    the protocol's other numbers (getattr/setattr
//                           masks, lock types, open flags, sizes)
//   NinePError.swift        the Linux errno a failed request answers with
//   Session.swift           a connection's state, and the dispatch below
//   Fid.swift               fids and the user a fid acts as
//   SessionObjects.swift    fds, stats, qids and permission checks of objects
//   SessionWalk.swift       Tattach, Twalk, the server's own paths and names
//   SessionOpen.swift       Tlopen, Tlcreate, Tread, Twrite, Treaddir
//   SessionAttributes.swift Tgetattr, Tsetattr, Tstatfs
//   SessionNames.swift      Tmkdir, Tsymlink, Tmknod, Treadlink, Tlink,
//                           Trename, Trenameat, Tunlinkat, Tremove
//   SessionFifo.swift       FIFO opens, reads and writes that wait on a worker
//   SessionLocks.swift      Tlock, Tgetlock (open-file-description locks)
//   SessionXattr.swift      Txattrwalk, Txattrcreate
//   Export.swift            what is exported, and its users
//   Lock.swift              the mutex and the cancellation a Tflush fires
//   LinuxConstants.swift    Linux values Glibc as Swift imports it lacks
//
// Permission and ownership rules are never written here: VolFS.Rulebook
// and VolumeSemantics hold them for the syscall handlers and this server
// alike, so the two doors of a distro answer the same.
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

    /// Work cancelled by a Tflush: its reply is never sent.
    struct Flushed: Error {}

    let export: Export
    /// Held while a message is handled and while a worker touches a fid.
    let lock = Lock()
    var fids: [UInt32: Fid] = [:]
    /// Set by a handler that must wait: run on a worker, not answered now.
    /// It throws `Flushed` or a `NinePError`.
    var pendingWork: ((Cancellation) throws -> [UInt8])?
    var msize: UInt32 = NineP.defaultMsize
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
            let reply: [UInt8]
            do throws(NinePError) {
                reply = try answer(type, tag, &r)
            } catch {
                return .now(Self.error(tag, error.errno))
            }
            guard let work = pendingWork else { return .now(reply) }
            pendingWork = nil
            return .later(tag) { cancel in
                // The worker's reply is written without the tag, which is known here.
                do { return Self.tagged(try work(cancel), tag) } catch is Flushed { return nil } catch let e as NinePError {
                    return Self.error(tag, e.errno)
                } catch {
                    return Self.error(tag, .EIO)  // never: work throws only the two above
                }
            }
        }
    }

    /// Decodes and answers a request of message type `type`.
    func answer(_ type: UInt8, _ tag: UInt16, _ r: inout WireReader) throws(NinePError) -> [UInt8] {
        let request: Request?
        do throws(Malformed) {
            request = try Request.decode(type, &r)
        } catch {
            throw NinePError(.EINVAL)
        }
        guard let request, let kind = NinePMessageType(rawValue: type) else { throw NinePError(.EOPNOTSUPP) }
        var w = WireWriter(kind.reply, tag: tag)
        try dispatch(request, &w)
        return w.finish()
    }

    static func tagged(_ reply: [UInt8], _ tag: UInt16) -> [UInt8] {
        var reply = reply
        reply[5] = UInt8(tag & 0xff)
        reply[6] = UInt8(tag >> 8)
        return reply
    }

    static func error(_ tag: UInt16, _ errno: LinuxErrno) -> [UInt8] {
        var w = WireWriter(.rlerror, tag: tag)
        w.u32(UInt32(bitPattern: errno.rawValue))
        return w.finish()
    }

    /// The fid the client numbered `number`.
    func lookup(_ number: UInt32) throws(NinePError) -> Fid {
        guard let f = fids[number] else { throw NinePError(.EBADF) }
        return f
    }

    /// One handler per request, each in the file of its family. Fids are
    /// looked up in the order the message carries them, before the
    /// handler's own checks.
    func dispatch(_ request: Request, _ w: inout WireWriter) throws(NinePError) {
        switch request {
        case .version(let size, let version): try negotiate(size, version, &w)
        // No authentication is configured; ENOENT is how 9P servers say "not required".
        case .auth: throw NinePError(.ENOENT)
        case .attach(let fid, let uname, let uid): try attach(fid, uname: uname, uid: uid, &w)
        case .flush: break  // nothing of this session's is in flight for it
        case .walk(let fid, let newfid, let names): try walk(lookup(fid), to: newfid, names, &w)
        case .lopen(let fid, let flags): try lopen(lookup(fid), flags: flags, &w)
        case .lcreate(let fid, let name, let flags, let mode, let gid):
            try lcreate(lookup(fid), name, flags: flags, mode: mode, gid: gid, &w)
        case .read(let fid, let offset, let count): try readData(lookup(fid), at: offset, count: count, &w)
        case .write(let fid, let offset, let data): try writeData(lookup(fid), at: offset, data, &w)
        case .clunk(let fid): try clunk(fid)
        case .remove(let fid): try removeFid(fid)
        case .statfs(let fid): try statfs(lookup(fid), &w)
        case .getattr(let fid, _): try getattr(lookup(fid), &w)
        case .setattr(let fid, let attributes): try setattr(lookup(fid), attributes)
        case .readdir(let fid, let offset, let count): try readdir(lookup(fid), at: offset, count: count, &w)
        case .readlink(let fid): try readSymlink(lookup(fid), &w)
        case .symlink(let dfid, let name, let target, let gid):
            try makeSymlink(in: lookup(dfid), name, target: target, gid: gid, &w)
        case .mknod(let dfid, let name, let mode, let major, let minor, let gid):
            try makeNode(in: lookup(dfid), name, mode: mode, major: major, minor: minor, gid: gid, &w)
        case .mkdir(let dfid, let name, let mode, let gid): try makeDirectory(in: lookup(dfid), name, mode: mode, gid: gid, &w)
        case .rename(let fid, let dfid, let name): try rename(lookup(fid), into: lookup(dfid), name)
        case .renameat(let old, let oldname, let new, let newname): try renameAt(old, oldname, new, newname)
        case .unlinkat(let dir, let name, let flags): try unlinkAt(lookup(dir), name, flags: flags)
        case .link(let dfid, let fid, let name): try hardLink(in: lookup(dfid), to: lookup(fid), name)
        case .fsync(let fid):
            let f = try lookup(fid)
            if f.open >= 0 { _ = Glibc.fsync(f.open) }
        case .lock(let fid, let type, _, let start, let length, _, _):
            try setLock(lookup(fid), type: type, start: start, length: length, &w)
        case .getlock(let fid, let type, let start, let length, let procID, let clientID):
            try getLock(lookup(fid), type: type, start: start, length: length, procID: procID, clientID: clientID, &w)
        case .xattrwalk(let fid, let newfid, let name): try xattrwalk(lookup(fid), to: newfid, name, &w)
        case .xattrcreate(let fid, let name, let size, let flags): try xattrcreate(lookup(fid), name, size: size, flags: flags)
        }
    }

    /// Tversion: a new start for the connection, every fid forgotten.
    func negotiate(_ size: UInt32, _ version: String, _ w: inout WireWriter) throws(NinePError) {
        fids.removeAll()
        // Never more than the client offered (it sized its buffers so), and
        // at least what an Rreadlink or an Rgetattr may need.
        guard size >= NineP.minMsize else { throw NinePError(.EINVAL) }
        msize = min(size, Self.maxMsize)
        w.u32(msize)
        w.string(version.hasPrefix(NineP.dialect) ? NineP.dialect : NineP.unknownDialect)
    }

    /// Tclunk: a Txattrcreate fid's value is set now.
    func clunk(_ number: UInt32) throws(NinePError) {
        guard let f = fids.removeValue(forKey: number) else { throw NinePError(.EBADF) }
        try commitXattr(f)
    }
}
