import DrvFS
import Glibc
import LinuxABI
import PicoCore
import VolFS

/// The host's own files (the host tree, and /proc, /dev, /sys in a
/// distro): the host's owners and modes, the kernel's chmod and chown. When
/// picorun is host root and the guest's identity is its own (a distro's),
/// the kernel would let everything through, so the rulebook first judges
/// the guest against the host's owner and mode (`judged`).
struct HostSemantics: MountSemantics {
    /// Judge with the rulebook before the kernel does (see above).
    let judged: Bool

    func guestView(fd: Int32, caller: Rulebook.Caller, readOnly: Bool) -> Metadata? { nil }

    func hostMetadata(_ fd: Int32) -> Metadata? {
        var st = stat()
        guard judged, fstat(fd, &st) == 0 else { return nil }
        return Metadata(uid: st.st_uid, gid: st.st_gid, mode: UInt32(st.st_mode))
    }

    func changeMode(fd: Int32, to requested: UInt32, caller: Rulebook.Caller) -> LinuxErrno? {
        if let meta = hostMetadata(fd), case .failure(let e) = Rulebook.chmod(meta, caller, to: requested) { return e }
        return Glibc.chmod(procPath(fd), mode_t(requested & 0o7777)) == 0 ? nil : LinuxErrno(errno)
    }

    func changeOwner(fd: Int32, uid: UInt32?, gid: UInt32?, caller: Rulebook.Caller) -> LinuxErrno? {
        if let meta = hostMetadata(fd), let e = Rulebook.mayChown(meta, caller, uid: uid, gid: gid) { return e }
        return Glibc.fchownat(fd, "", uid ?? UInt32.max, gid ?? UInt32.max, AT_EMPTY_PATH) == 0 ? nil : LinuxErrno(errno)
    }

    func mayMake(type: UInt32, caller: Rulebook.Caller) -> LinuxErrno? { nil }  // the kernel's mknod judges

    func created(parent: Int32, name: String, mode: UInt32, rdev: UInt64, caller: Rulebook.Caller) {}
}

extension GuestCall {
    /// The file semantics of the mount `w` was found on: the one place a
    /// mount's kind is looked at.
    func semantics(_ w: GuestFileTree.Walk) -> any MountSemantics {
        switch w.mount.kind {
        case .volume: if let volume { return VolumeSemantics(volume) }
        case .drvfs: return DrvFSSemantics()
        case .host: break
        }
        return HostSemantics(judged: Permissions.hostView(self, w, fd: w.object, modesOnly: false) != nil)
    }
}
