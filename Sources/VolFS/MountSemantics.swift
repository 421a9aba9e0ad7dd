import Glibc
import LinuxABI

/// What one kind of mount means for the files on it: where a file's
/// owner, group and mode come from, and what chmod, chown and mknod do
/// there. Each kind has one implementation, in the module named after it
/// (a distro's VolFS here, DrvFS in DrvFS, the host's own trees beside the
/// handlers); the syscall handlers ask the walked object's mount and never
/// switch on its kind. `fd` is an O_PATH (or better) fd on the object.
public protocol MountSemantics: Sendable {
    /// The guest's owner, group and mode; nil: the host's stat as it is.
    func guestView(fd: Int32, caller: Rulebook.Caller, readOnly: Bool) -> Metadata?
    /// chmod(2), done or refused.
    func changeMode(fd: Int32, to requested: UInt32, caller: Rulebook.Caller) -> LinuxErrno?
    /// chown(2), done or refused; nil ids are left as they are.
    func changeOwner(fd: Int32, uid: UInt32?, gid: UInt32?, caller: Rulebook.Caller) -> LinuxErrno?
    /// Whether mknod(2) may make an object of `type` here at all.
    func mayMake(type: UInt32, caller: Rulebook.Caller) -> LinuxErrno?
    /// A new object `name` in `parent`, made by `caller` with `mode` (type
    /// and permissions): who owns it.
    func created(parent: Int32, name: String, mode: UInt32, rdev: UInt64, caller: Rulebook.Caller)
}

/// A distro's files: host files whose guest owner, group, mode and device
/// number live in the sidecar, judged by the rulebook.
public struct VolumeSemantics: MountSemantics {
    let volume: Volume
    public init(_ volume: Volume) { self.volume = volume }

    public func guestView(fd: Int32, caller: Rulebook.Caller, readOnly: Bool) -> Metadata? { volume.metadata(fd: fd) }

    public func changeMode(fd: Int32, to requested: UInt32, caller: Rulebook.Caller) -> LinuxErrno? {
        guard let meta = volume.metadata(fd: fd) else { return LinuxErrno(errno) }
        let mode: UInt32
        switch Rulebook.chmod(meta, caller, to: requested) {
        case .failure(let e): return e
        case .success(let m): mode = m
        }
        if meta.type != S_IFLNK {
            // The host file stays owner-accessible whatever the guest mode.
            let host = Metadata.hostPermissions(guestMode: mode, isDirectory: meta.type == S_IFDIR)
            guard chmod("/proc/self/fd/\(fd)", mode_t(host)) == 0 else { return LinuxErrno(errno) }
        }
        do throws(VolFSError) { try volume.update(fd: fd) { $0.mode = $0.type | mode } } catch { return error.errno ?? .EIO }
        return nil
    }

    public func changeOwner(fd: Int32, uid: UInt32?, gid: UInt32?, caller: Rulebook.Caller) -> LinuxErrno? {
        guard let meta = volume.metadata(fd: fd) else { return LinuxErrno(errno) }
        if let e = Rulebook.mayChown(meta, caller, uid: uid, gid: gid) { return e }
        let mode = Rulebook.modeAfterChown(meta, caller)
        // Clearing setuid bits is a mode change: a non-owner's chown(-1, -1) of one is refused.
        if mode != meta.mode && uid == nil && gid == nil && !Rulebook.isOwnerOrCapable(meta, caller) { return .EPERM }
        do throws(VolFSError) {
            try volume.update(fd: fd) { m in
                if let uid { m.uid = uid }
                if let gid { m.gid = gid }
                m.mode = mode
            }
        } catch {
            return error.errno ?? .EIO
        }
        return nil
    }

    public func mayMake(type: UInt32, caller: Rulebook.Caller) -> LinuxErrno? { Rulebook.mayMknod(type: type, caller) }

    public func created(parent: Int32, name: String, mode: UInt32, rdev: UInt64, caller: Rulebook.Caller) {
        var meta = Rulebook.newOwner(in: volume.metadata(fd: parent), caller, mode: mode)
        meta.rdev = rdev
        try? volume.created(dirfd: parent, name: name, meta)
    }

    /// A write or truncation by `caller` through `fd`: the sidecar's setuid
    /// and setgid bits go as Linux drops them (the host file never has
    /// them). It comes after the data went through, so a sidecar that
    /// cannot record it does not turn the write into a failure.
    public func written(fd: Int32, caller: Rulebook.Caller) {
        guard let meta = volume.metadata(fd: fd) else { return }
        let mode = Rulebook.modeAfterWrite(meta, caller)
        if mode != meta.mode { try? volume.update(fd: fd) { $0.mode = mode } }
    }
}
