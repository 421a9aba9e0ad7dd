import LinuxABI

/// The one place bytes become requests. A body that ends before its last
/// field is `Malformed` (the session answers EINVAL); bytes after it are
/// ignored, as other servers ignore them. Decoding comes before any fid is
/// looked up or any check made, as in QEMU's and diod's servers: a
/// malformed request is EINVAL whatever else is wrong with it.
extension Request {
    /// The request of message type `type` whose body `r` is at; nil for a
    /// type the server does not answer (R-messages included).
    static func decode(_ type: UInt8, _ r: inout WireReader) throws(Malformed) -> Request? {
        guard let kind = NinePMessageType(rawValue: type) else { return nil }
        switch kind {
        case .tversion:
            let msize = try r.u32()
            return .version(msize: msize, version: try r.string())
        case .tauth:
            return .auth
        case .tattach:
            let fid = try r.u32()
            _ = try r.u32()  // afid: no authentication
            let uname = try r.string()
            _ = try r.string()  // aname: one tree is exported
            let uid = r.remaining >= 4 ? try r.u32() : NineP.noUid
            return .attach(fid: fid, uname: uname, uid: uid == NineP.noUid ? nil : uid)
        case .tflush:
            return .flush(oldtag: try r.u16())
        case .twalk:
            let fid = try r.u32(), newfid = try r.u32()
            let count = Int(try r.u16())
            var names: [String] = []
            for _ in 0..<count { names.append(try r.string()) }
            return .walk(fid: fid, newfid: newfid, names: names)
        case .tlopen:
            let fid = try r.u32()
            return .lopen(fid: fid, flags: try r.u32())
        case .tlcreate:
            let fid = try r.u32()
            let name = try r.string()
            let flags = try r.u32(), mode = try r.u32()
            return .lcreate(fid: fid, name: name, flags: flags, mode: mode, gid: try r.u32())
        case .tread:
            let fid = try r.u32()
            let offset = try r.u64()
            return .read(fid: fid, offset: offset, count: try r.u32())
        case .twrite:
            let fid = try r.u32()
            let offset = try r.u64()
            let count = Int(try r.u32())
            return .write(fid: fid, offset: offset, data: try r.data(count))
        case .tclunk:
            return .clunk(fid: try r.u32())
        case .tremove:
            return .remove(fid: try r.u32())
        case .tstatfs:
            return .statfs(fid: try r.u32())
        case .tgetattr:
            let fid = try r.u32()
            return .getattr(fid: fid, requestMask: try r.u64())
        case .tsetattr:
            let fid = try r.u32()
            let valid = SetattrValid(rawValue: try r.u32())
            let mode = try r.u32(), uid = try r.u32(), gid = try r.u32()
            let size = try r.u64()
            let atime = try wireTime(&r)
            let mtime = try wireTime(&r)
            return .setattr(fid: fid, SetAttributes(valid: valid, mode: mode, uid: uid, gid: gid, size: size, atime: atime, mtime: mtime))
        case .treaddir:
            let fid = try r.u32()
            let offset = try r.u64()
            return .readdir(fid: fid, offset: offset, count: try r.u32())
        case .treadlink:
            return .readlink(fid: try r.u32())
        case .tsymlink:
            let dfid = try r.u32()
            let name = try r.string(), target = try r.string()
            return .symlink(dfid: dfid, name: name, target: target, gid: try r.u32())
        case .tmknod:
            let dfid = try r.u32()
            let name = try r.string()
            let mode = try r.u32(), major = try r.u32(), minor = try r.u32()
            return .mknod(dfid: dfid, name: name, mode: mode, major: major, minor: minor, gid: try r.u32())
        case .tmkdir:
            let dfid = try r.u32()
            let name = try r.string()
            let mode = try r.u32()
            return .mkdir(dfid: dfid, name: name, mode: mode, gid: try r.u32())
        case .trename:
            let fid = try r.u32(), dfid = try r.u32()
            return .rename(fid: fid, dfid: dfid, name: try r.string())
        case .trenameat:
            let old = try r.u32()
            let oldname = try r.string()
            let new = try r.u32()
            return .renameat(olddirfid: old, oldname: oldname, newdirfid: new, newname: try r.string())
        case .tunlinkat:
            let dir = try r.u32()
            let name = try r.string()
            return .unlinkat(dirfid: dir, name: name, flags: try r.u32())
        case .tlink:
            let dfid = try r.u32(), fid = try r.u32()
            return .link(dfid: dfid, fid: fid, name: try r.string())
        case .tfsync:
            return .fsync(fid: try r.u32())
        case .tlock:
            let fid = try r.u32()
            let type = try r.u8()
            let flags = try r.u32()
            let start = try r.u64(), length = try r.u64()
            let procID = try r.u32()
            return .lock(fid: fid, type: type, flags: flags, start: start, length: length, procID: procID, clientID: try r.string())
        case .tgetlock:
            let fid = try r.u32()
            let type = try r.u8()
            let start = try r.u64(), length = try r.u64()
            let procID = try r.u32()
            return .getlock(fid: fid, type: type, start: start, length: length, procID: procID, clientID: try r.string())
        case .txattrwalk:
            let fid = try r.u32(), newfid = try r.u32()
            return .xattrwalk(fid: fid, newfid: newfid, name: try r.string())
        case .txattrcreate:
            let fid = try r.u32()
            let name = try r.string()
            let size = try r.u64()
            return .xattrcreate(fid: fid, name: name, size: size, flags: try r.u32())
        default:
            return nil
        }
    }

    static func wireTime(_ r: inout WireReader) throws(Malformed) -> WireTime {
        let seconds = try r.u64()
        return WireTime(seconds: seconds, nanoseconds: try r.u64())
    }
}
