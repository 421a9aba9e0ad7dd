import Glibc
import LinuxABI
import VolFS

/// DrvFS as a mount: every file is the caller's, with DrvFS's fixed modes;
/// chmod moves only the host's write bits; chown may only "give" a file to
/// the caller (cp -a, rsync -a); only regular files can be made, as WSL1's.
public struct DrvFSSemantics: MountSemantics {
    public init() {}

    public func guestView(fd: Int32, caller: Rulebook.Caller, readOnly: Bool) -> Metadata? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let hostMode = UInt32(st.st_mode)
        let writable = DrvFS.isWritable(fd: fd, hostMode: hostMode, readOnlyMount: readOnly)
        return Metadata(uid: caller.fsuid, gid: caller.fsgid, mode: DrvFS.guestMode(hostMode: hostMode, writable: writable))
    }

    public func changeMode(fd: Int32, to requested: UInt32, caller: Rulebook.Caller) -> LinuxErrno? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return LinuxErrno(errno) }
        if let mode = DrvFS.hostModeAfterChmod(requested: requested, hostMode: UInt32(st.st_mode)) {
            guard chmod("/proc/self/fd/\(fd)", mode_t(mode)) == 0 else { return LinuxErrno(errno) }
        }
        return nil
    }

    public func changeOwner(fd: Int32, uid: UInt32?, gid: UInt32?, caller: Rulebook.Caller) -> LinuxErrno? {
        (uid ?? caller.fsuid) == caller.fsuid && (gid ?? caller.fsgid) == caller.fsgid ? nil : .EPERM
    }

    public func mayMake(type: UInt32, caller: Rulebook.Caller) -> LinuxErrno? { type == S_IFREG ? nil : .EPERM }

    public func created(parent: Int32, name: String, mode: UInt32, rdev: UInt64, caller: Rulebook.Caller) {}
}
