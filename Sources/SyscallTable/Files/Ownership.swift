import Glibc
import PicoCore
import VolFS

/// The guest's owners and modes: what stat reports, what chown/chmod
/// change and who owns a new file, as the walked object's mount decides
/// (`GuestCall.semantics`: the sidecar's in a distro, DrvFS's fixed ones,
/// the host's own).
enum Ownership {
    static let setuid: UInt32 = 0o4000, setgid: UInt32 = 0o2000, groupExec: UInt32 = 0o010

    /// The guest's owner, group and mode for the walked object; nil: the host's stat.
    static func guestView(_ c: GuestCall, _ w: GuestFileTree.Walk) -> Metadata? {
        c.semantics(w).guestView(fd: w.object, caller: c.processes.credentials(c.caller.tid).fileCaller, readOnly: w.mount.readOnly)
    }

    /// Puts the guest's view of the walked object into `st`.
    static func overlay(_ st: inout stat, _ c: GuestCall, _ w: GuestFileTree.Walk) {
        guard let meta = guestView(c, w) else { return }
        apply(meta, to: &st)
    }

    static func apply(_ meta: Metadata, to st: inout stat) {
        st.st_uid = meta.uid
        st.st_gid = meta.gid
        st.st_mode = meta.mode
        if meta.type == S_IFCHR || meta.type == S_IFBLK { st.st_rdev = dev_t(truncatingIfNeeded: meta.rdev) }
    }

    /// The same for a struct statx buffer (uid at 20, gid at 24, mode at 28,
    /// rdev major/minor at 128/132).
    static func overlay(statx b: inout [UInt8], _ c: GuestCall, _ w: GuestFileTree.Walk) {
        guard let meta = guestView(c, w) else { return }
        func put32(_ o: Int, _ v: UInt32) { for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
        put32(20, meta.uid)
        put32(24, meta.gid)
        b[28] = UInt8(truncatingIfNeeded: meta.mode)
        b[29] = UInt8(truncatingIfNeeded: meta.mode >> 8)
        if meta.type == S_IFCHR || meta.type == S_IFBLK {
            put32(128, UInt32(truncatingIfNeeded: (meta.rdev >> 8) & 0xfff | (meta.rdev >> 32) & ~0xfff))
            put32(132, UInt32(truncatingIfNeeded: meta.rdev & 0xff | (meta.rdev >> 12) & ~0xff))
        }
    }

    /// Records who owns an object the guest just created as the walk's
    /// name, with the guest mode `mode` (type and permissions).
    static func created(_ c: GuestCall, _ w: GuestFileTree.Walk, mode: UInt32, rdev: UInt64 = 0) {
        c.semantics(w).created(parent: w.parent, name: w.name, mode: mode, rdev: rdev, caller: c.processes.credentials(c.caller.tid).fileCaller)
    }

    /// A truncation or write by the caller: the sidecar's setuid and setgid
    /// bits go as Linux drops them (the host file never has them).
    static func written(_ c: GuestCall, _ w: GuestFileTree.Walk) {
        guard let volume = c.volume, w.mount.kind == .volume else { return }
        VolumeSemantics(volume).written(fd: w.object, caller: c.processes.credentials(c.caller.tid).fileCaller)
    }

    /// chmod(2) on the walked object, as its mount does it.
    static func changeMode(_ c: GuestCall, _ w: GuestFileTree.Walk, mode requested: UInt32) throws(TraceeError) -> Outcome {
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        let caller = c.processes.credentials(c.caller.tid).fileCaller
        if let e = c.semantics(w).changeMode(fd: w.object, to: requested, caller: caller) { throw TraceeError(e) }
        c.changed(w)
        return .value(0)
    }

    /// chown(2) on the walked object, as its mount does it ((uid_t)-1: no change).
    static func changeOwner(_ c: GuestCall, _ w: GuestFileTree.Walk, uid: UInt32, gid: UInt32) throws(TraceeError) -> Outcome {
        if w.mount.readOnly { throw TraceeError(.EROFS) }
        let keep = UInt32.max
        let caller = c.processes.credentials(c.caller.tid).fileCaller
        if let e = c.semantics(w).changeOwner(fd: w.object, uid: uid == keep ? nil : uid, gid: gid == keep ? nil : gid, caller: caller) {
            throw TraceeError(e)
        }
        c.changed(w)
        return .value(0)
    }
}
