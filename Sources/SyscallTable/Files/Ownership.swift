import Glibc
import DrvFS
import PicoCore
import VolFS

/// The guest's owners and modes in a distro run: what stat reports, what
/// chown/chmod change and who owns a new file. All of it lives in the
/// sidecar; the host file keeps the host user as owner and a mode the host
/// user can always read and write.
enum Ownership {
    static let setuid: UInt32 = 0o4000, setgid: UInt32 = 0o2000, groupExec: UInt32 = 0o010

    /// The guest's owner, group and mode for the walked object: the
    /// sidecar's on the distro, DrvFS's fixed ones on a host folder, the
    /// host's own on /proc, /dev and /sys. Nil: report the host's stat.
    static func guestView(_ c: PathContext, _ w: GuestFileTree.Walk) -> Metadata? {
        switch w.mount.kind {
        case .volume: return c.volume?.metadata(fd: w.object)
        case .host: return nil
        case .drvfs:
            var st = stat()
            guard fstat(w.object, &st) == 0 else { return nil }
            let k = c.processes.credentials(c.caller.tid)
            let hostMode = UInt32(st.st_mode)
            let writable = DrvFS.isWritable(fd: w.object, hostMode: hostMode, readOnlyMount: w.mount.readOnly)
            return Metadata(uid: k.fsuid, gid: k.fsgid, mode: DrvFS.guestMode(hostMode: hostMode, writable: writable))
        }
    }

    /// Puts the guest's view of the walked object into `st`.
    static func overlay(_ st: inout stat, _ c: PathContext, _ w: GuestFileTree.Walk) {
        guard let meta = guestView(c, w) else { return }
        st.st_uid = meta.uid
        st.st_gid = meta.gid
        st.st_mode = meta.mode
        if meta.type == Metadata.charDevice || meta.type == Metadata.blockDevice { st.st_rdev = dev_t(truncatingIfNeeded: meta.rdev) }
    }

    /// The same for a struct statx buffer (uid at 20, gid at 24, mode at 28,
    /// rdev major/minor at 128/132).
    static func overlay(statx b: inout [UInt8], _ c: PathContext, _ w: GuestFileTree.Walk) {
        guard let meta = guestView(c, w) else { return }
        func put32(_ o: Int, _ v: UInt32) { for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
        put32(20, meta.uid)
        put32(24, meta.gid)
        b[28] = UInt8(truncatingIfNeeded: meta.mode)
        b[29] = UInt8(truncatingIfNeeded: meta.mode >> 8)
        if meta.type == Metadata.charDevice || meta.type == Metadata.blockDevice {
            put32(128, UInt32(truncatingIfNeeded: (meta.rdev >> 8) & 0xfff | (meta.rdev >> 32) & ~0xfff))
            put32(132, UInt32(truncatingIfNeeded: meta.rdev & 0xff | (meta.rdev >> 12) & ~0xff))
        }
    }

    /// Records who owns a file the guest just created as `name` in `parent`
    /// (a setgid directory passes on its group, and to directories its
    /// setgid bit), with the guest mode `mode` (type and permissions).
    static func created(_ c: PathContext, _ w: GuestFileTree.Walk, mode: UInt32, rdev: UInt64 = 0) {
        guard let volume = c.volume, w.mount.kind == .volume else { return }
        let (parent, name) = (w.parent, w.name)
        let k = c.processes.credentials(c.caller.tid)
        var meta = Rulebook.newOwner(in: volume.metadata(fd: parent), k.fileCaller, mode: mode)
        meta.rdev = rdev
        try? volume.created(dirfd: parent, name: name, meta)
    }

    /// A truncation or write by the caller: the sidecar's setuid and setgid
    /// bits go as Linux drops them (the host file never has them).
    static func written(_ c: PathContext, _ w: GuestFileTree.Walk) {
        guard let volume = c.volume, w.mount.kind == .volume, let meta = volume.metadata(fd: w.object) else { return }
        let mode = Rulebook.modeAfterWrite(meta, c.processes.credentials(c.caller.tid).fileCaller)
        if mode != meta.mode { try? volume.update(fd: w.object) { $0.mode = mode } }
    }

    /// chmod(2) on the file `fd` names: the guest mode to the sidecar, the
    /// host mode kept owner-accessible.
    static func changeMode(_ c: PathContext, _ w: GuestFileTree.Walk, mode requested: UInt32) throws(TraceeError) -> NotificationReply {
        let fd = w.object
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        if w.mount.kind == .drvfs {
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw .errno() }
            if let mode = DrvFS.hostModeAfterChmod(requested: requested, hostMode: UInt32(st.st_mode)) {
                guard Glibc.chmod(procPath(fd), mode_t(mode)) == 0 else { throw .errno() }
            }
            return .value(0)
        }
        guard let volume = c.volume, w.mount.kind == .volume else {
            // Only its owner may chmod a host file, whatever rights picorun has.
            if let (meta, k) = Permissions.hostView(c, w, fd: fd, modesOnly: false),
               case .failure(let e) = Rulebook.chmod(meta, k.fileCaller, to: requested) {
                throw TraceeError(e)
            }
            return try AttributeCalls.check(Glibc.chmod(procPath(fd), mode_t(requested & 0o7777)))
        }
        guard let meta = volume.metadata(fd: fd) else { throw .errno() }
        let k = c.processes.credentials(c.caller.tid)
        let mode: UInt32
        switch Rulebook.chmod(meta, k.fileCaller, to: requested) {
        case .failure(let e): throw TraceeError(e)
        case .success(let m): mode = m
        }
        if meta.type != Metadata.symlink {
            let host = Metadata.hostPermissions(guestMode: mode, isDirectory: meta.type == Metadata.directory)
            guard Glibc.chmod(procPath(fd), mode_t(host)) == 0 else { throw .errno() }
        }
        do { try volume.update(fd: fd) { $0.mode = $0.type | mode } } catch { throw TraceeError(.EIO) }
        return .value(0)
    }

    /// chown(2) on the file `fd` names, by the rulebook: CAP_CHOWN may give
    /// anything away; an owner may only change the group to one of its own.
    /// A chown clears setuid (and setgid, as setattr_should_drop_sgid says)
    /// on non-directories.
    static func changeOwner(_ c: PathContext, _ w: GuestFileTree.Walk, uid: UInt32, gid: UInt32) throws(TraceeError) -> NotificationReply {
        let fd = w.object
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        if w.mount.kind == .drvfs {
            // Every DrvFS file already belongs to the caller: giving it to
            // the caller is a no-op (cp -a, rsync -a), anything else EPERM.
            let k = c.processes.credentials(c.caller.tid)
            guard uid == UInt32.max || uid == k.fsuid, gid == UInt32.max || gid == k.fsgid else { throw TraceeError(.EPERM) }
            return .value(0)
        }
        guard let volume = c.volume, w.mount.kind == .volume else {
            // A host file as the kernel would judge the guest's own chown.
            if let (meta, k) = Permissions.hostView(c, w, fd: fd, modesOnly: false),
               let e = Rulebook.mayChown(meta, k.fileCaller, uid: uid == UInt32.max ? nil : uid, gid: gid == UInt32.max ? nil : gid) {
                throw TraceeError(e)
            }
            return try AttributeCalls.check(Glibc.fchownat(fd, "", uid, gid, LinuxFlags.atEmptyPath))
        }
        guard let meta = volume.metadata(fd: fd) else { throw .errno() }
        let k = c.processes.credentials(c.caller.tid).fileCaller
        let keep = UInt32.max
        if let e = Rulebook.mayChown(meta, k, uid: uid == keep ? nil : uid, gid: gid == keep ? nil : gid) { throw TraceeError(e) }
        let mode = Rulebook.modeAfterChown(meta, k)
        // Clearing setuid bits is a mode change: a non-owner's chown(-1, -1) of one is refused.
        if mode != meta.mode && uid == keep && gid == keep && !Rulebook.isOwnerOrCapable(meta, k) { throw TraceeError(.EPERM) }
        do {
            try volume.update(fd: fd) { m in
                if uid != keep { m.uid = uid }
                if gid != keep { m.gid = gid }
                m.mode = mode
            }
        } catch {
            throw TraceeError(.EIO)
        }
        return .value(0)
    }
}
