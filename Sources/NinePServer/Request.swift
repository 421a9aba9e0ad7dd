/// A T-message the server answers, decoded from its body (`decode`, in
/// RequestDecoder.swift) before any handler runs: handlers see fields,
/// never bytes. Fids are the client's numbers; the handler looks them up,
/// so which of a request's errors comes first stays the handler's to say.
/// Fields the server reads but does not use keep their protocol name.
enum Request {
    /// Tversion msize[4] version[s]
    case version(msize: UInt32, version: String)
    /// Tauth afid[4] uname[s] aname[s] n_uname[4]: no authentication is
    /// configured, so its body is never read.
    case auth
    /// Tattach fid[4] afid[4] uname[s] aname[s] n_uname[4]; n_uname may be
    /// left off (older clients) or P9_NONUNAME: nil, the name decides.
    case attach(fid: UInt32, uname: String, uid: UInt32?)
    /// Tflush oldtag[2]: the connection answers it; here only when a
    /// caller hands one to `Session.handle`.
    case flush(oldtag: UInt16)
    /// Twalk fid[4] newfid[4] nwname[2] nwname*(wname[s])
    case walk(fid: UInt32, newfid: UInt32, names: [String])
    /// Tlopen fid[4] flags[4]
    case lopen(fid: UInt32, flags: UInt32)
    /// Tlcreate fid[4] name[s] flags[4] mode[4] gid[4]
    case lcreate(fid: UInt32, name: String, flags: UInt32, mode: UInt32, gid: UInt32)
    /// Tread fid[4] offset[8] count[4]
    case read(fid: UInt32, offset: UInt64, count: UInt32)
    /// Twrite fid[4] offset[8] count[4] data[count]
    case write(fid: UInt32, offset: UInt64, data: ArraySlice<UInt8>)
    /// Tclunk fid[4]
    case clunk(fid: UInt32)
    /// Tremove fid[4]
    case remove(fid: UInt32)
    /// Tstatfs fid[4]
    case statfs(fid: UInt32)
    /// Tgetattr fid[4] request_mask[8]: every field is answered whatever is asked.
    case getattr(fid: UInt32, requestMask: UInt64)
    /// Tsetattr fid[4] valid[4] mode[4] uid[4] gid[4] size[8] atime[16] mtime[16]
    case setattr(fid: UInt32, SetAttributes)
    /// Treaddir fid[4] offset[8] count[4]
    case readdir(fid: UInt32, offset: UInt64, count: UInt32)
    /// Treadlink fid[4]
    case readlink(fid: UInt32)
    /// Tsymlink dfid[4] name[s] symtgt[s] gid[4]
    case symlink(dfid: UInt32, name: String, target: String, gid: UInt32)
    /// Tmknod dfid[4] name[s] mode[4] major[4] minor[4] gid[4]
    case mknod(dfid: UInt32, name: String, mode: UInt32, major: UInt32, minor: UInt32, gid: UInt32)
    /// Tmkdir dfid[4] name[s] mode[4] gid[4]
    case mkdir(dfid: UInt32, name: String, mode: UInt32, gid: UInt32)
    /// Trename fid[4] dfid[4] name[s]
    case rename(fid: UInt32, dfid: UInt32, name: String)
    /// Trenameat olddirfid[4] oldname[s] newdirfid[4] newname[s]
    case renameat(olddirfid: UInt32, oldname: String, newdirfid: UInt32, newname: String)
    /// Tunlinkat dirfd[4] name[s] flags[4]
    case unlinkat(dirfid: UInt32, name: String, flags: UInt32)
    /// Tlink dfid[4] fid[4] name[s]
    case link(dfid: UInt32, fid: UInt32, name: String)
    /// Tfsync fid[4] datasync[4]: datasync is not read (the file is synced
    /// whole either way), so a Tfsync without it is answered too.
    case fsync(fid: UInt32)
    /// Tlock fid[4] type[1] flags[4] start[8] length[8] proc_id[4] client_id[s];
    /// flags (blocking or not) change nothing: a lock that would wait is "blocked".
    case lock(fid: UInt32, type: UInt8, flags: UInt32, start: UInt64, length: UInt64, procID: UInt32, clientID: String)
    /// Tgetlock fid[4] type[1] start[8] length[8] proc_id[4] client_id[s]
    case getlock(fid: UInt32, type: UInt8, start: UInt64, length: UInt64, procID: UInt32, clientID: String)
    /// Txattrwalk fid[4] newfid[4] name[s]: an empty name asks for the list.
    case xattrwalk(fid: UInt32, newfid: UInt32, name: String)
    /// Txattrcreate fid[4] name[s] attr_size[8] flags[4]
    case xattrcreate(fid: UInt32, name: String, size: UInt64, flags: UInt32)
}

/// Tsetattr's fields past its fid; `valid` says which apply.
struct SetAttributes {
    var valid: SetattrValid
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: UInt64
    var atime: WireTime
    var mtime: WireTime
}

/// A time as 9P sends it: seconds and nanoseconds, any 64-bit values
/// (never trusted to fit a timespec until checked).
struct WireTime {
    var seconds: UInt64
    var nanoseconds: UInt64
}
