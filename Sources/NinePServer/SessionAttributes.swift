import Glibc
import LinuxABI
import VolFS

/// Attributes: Tgetattr answers with the sidecar's owner, group, mode and
/// device number over the host's sizes and times; Tsetattr changes them as
/// chown, chmod, truncate and utimensat would (VolumeSemantics and the
/// rulebook, the syscall handlers' own); Tstatfs is the host filesystem's.
extension Session {
    func getattr(_ f: Fid, _ w: inout WireWriter) throws(NinePError) {
        guard let (meta, host) = export.volume.describe(fd: f.fd) else { throw NinePError.last() }
        w.u64(GetattrMask.all)
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
        w.u64(0)  // st_gen
        w.u64(0)  // st_data_version
    }

    /// Tsetattr: owner and group, then mode, then size, then times, each
    /// judged as its syscall is; the first refused stops the rest.
    func setattr(_ f: Fid, _ a: SetAttributes) throws(NinePError) {
        let valid = a.valid
        if export.readOnly && !valid.isEmpty { throw NinePError(.EROFS) }
        let meta = try metadata(f.fd)
        let caller = f.user.caller()
        // A directory's new owner or mode changes who may search it.
        defer {
            if !valid.isDisjoint(with: [.mode, .uid, .gid]) && meta.type == S_IFDIR {
                export.volume.sidecar.counters.directoriesChanged()
            }
        }
        if !valid.isDisjoint(with: [.uid, .gid]) {
            let uid: UInt32? = valid.contains(.uid) ? a.uid : nil, gid: UInt32? = valid.contains(.gid) ? a.gid : nil
            if let e = semantics.changeOwner(fd: f.fd, uid: uid, gid: gid, caller: caller) { throw NinePError(e) }
        }
        if valid.contains(.mode) {
            // Judged with the group a chown in the same message has just
            // given it, as setattr_prepare() judges ATTR_MODE with ATTR_GID's.
            if let e = semantics.changeMode(fd: f.fd, to: a.mode, caller: caller) { throw NinePError(e) }
        }
        if valid.contains(.size) {
            try check(f.user, f.fd, Rulebook.write)
            let fd = Glibc.open(Self.procPath(f.fd), O_WRONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw NinePError.last() }
            defer { close(fd) }
            guard ftruncate(fd, off_t(Int64(bitPattern: a.size))) == 0 else { throw NinePError.last() }
            written(f)
        }
        if !valid.isDisjoint(with: [.atime, .mtime]) {
            try setTimes(f, a, meta, caller)
        }
    }

    /// utimensat() for Tsetattr's times: "now" unless the time is given.
    func setTimes(_ f: Fid, _ a: SetAttributes, _ meta: Metadata, _ caller: Rulebook.Caller) throws(NinePError) {
        let valid = a.valid
        if let e = Rulebook.maySetTimes(meta, caller, toNow: valid.isDisjoint(with: [.atimeSet, .mtimeSet])) { throw NinePError(e) }
        // Times come from the wire: any 64-bit value, never trusted to fit.
        for (given, t) in [(SetattrValid.atimeSet, a.atime), (SetattrValid.mtimeSet, a.mtime)] where valid.contains(given) {
            if t.nanoseconds >= TimeValue.nanosecondsPerSecond { throw NinePError(.EINVAL) }
        }
        func timespecFor(_ set: SetattrValid, _ given: SetattrValid, _ t: WireTime) -> timespec {
            if !valid.contains(set) { return timespec(tv_sec: 0, tv_nsec: TimeValue.omit) }
            if !valid.contains(given) { return timespec(tv_sec: 0, tv_nsec: TimeValue.now) }
            return timespec(tv_sec: Int(truncatingIfNeeded: t.seconds), tv_nsec: Int(truncatingIfNeeded: t.nanoseconds))
        }
        var times = [timespecFor(.atime, .atimeSet, a.atime), timespecFor(.mtime, .mtimeSet, a.mtime)]
        guard utimensat(f.fd, "", &times, AT_EMPTY_PATH) == 0 else { throw NinePError.last() }
    }

    func statfs(_ f: Fid, _ w: inout WireWriter) throws(NinePError) {
        var s = statvfs()
        guard fstatvfs(f.open >= 0 ? f.open : export.root, &s) == 0 || statvfs(export.rootPath, &s) == 0 else { throw NinePError.last() }
        w.u32(NineP.magic)
        w.u32(UInt32(truncatingIfNeeded: s.f_bsize))
        w.u64(UInt64(s.f_blocks)); w.u64(UInt64(s.f_bfree)); w.u64(UInt64(s.f_bavail))
        w.u64(UInt64(s.f_files)); w.u64(UInt64(s.f_ffree)); w.u64(UInt64(s.f_fsid))
        w.u32(UInt32(truncatingIfNeeded: s.f_namemax))
    }
}
