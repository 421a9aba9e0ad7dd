import PicoCore
import VolFS

/// A guest process's identity, kept by picorun: the host runs every guest
/// as the host user, the guest sees and obeys these. The rules that move
/// them are the kernel's (kernel/sys.c, security/commoncap.c).
public struct Credentials: Sendable, Equatable {
    public var ruid: UInt32, euid: UInt32, suid: UInt32, fsuid: UInt32
    public var rgid: UInt32, egid: UInt32, sgid: UInt32, fsgid: UInt32
    public var groups: [UInt32]
    public var effective: CapabilitySet, permitted: CapabilitySet, inheritable: CapabilitySet
    public var bounding: CapabilitySet, ambient: CapabilitySet
    /// SECBIT_* (include/uapi/linux/securebits.h).
    public var securebits: UInt32 = 0
    /// PR_SET_DUMPABLE's value: 1, or 0 after a change of identity.
    public var dumpable: UInt32 = 1
    /// PR_SET_NO_NEW_PRIVS: kept across fork and exec, never cleared.
    public var noNewPrivs = false

    /// A process started as `uid`, as after a login: the bounding set
    /// picorun itself has (a container's may lack some), all of it for
    /// root, nothing for anyone else.
    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = []) {
        ruid = uid; euid = uid; suid = uid; fsuid = uid
        rgid = gid; egid = gid; sgid = gid; fsgid = gid
        self.groups = groups
        bounding = Self.hostBounding
        effective = uid == 0 ? bounding : .none
        permitted = effective
        inheritable = .none
        ambient = .none
    }

    /// picorun's own bounding set, which no process it starts can exceed.
    static let hostBounding: CapabilitySet = {
        guard let bits = procStatusField("self", "CapBnd").flatMap({ UInt64($0, radix: 16) }) else { return .all }
        return CapabilitySet(rawValue: bits) & .all
    }()

    public static let root = Credentials(uid: 0, gid: 0)

    public func has(_ c: Capability) -> Bool { effective.contains(c) }

    /// Whether `gid` is one of the caller's groups for file access.
    public func inGroup(_ gid: UInt32) -> Bool { gid == fsgid || groups.contains(gid) }

    /// The caller as the rulebook (VolFS.Rulebook) judges file access.
    public var fileCaller: Rulebook.Caller {
        Rulebook.Caller(fsuid: fsuid, fsgid: fsgid, groups: groups, capabilities: effective)
    }

    static let unchanged = UInt32.max

    static let secbitNoroot: UInt32 = 1 << 0
    static let secbitNoSetuidFixup: UInt32 = 1 << 2
    static let secbitKeepCaps: UInt32 = 1 << 4
    static let secbitNoCapAmbientRaise: UInt32 = 1 << 6
    var keepsCaps: Bool { securebits & Self.secbitKeepCaps != 0 }

    /// Applies a uid change made by `body` (false: EPERM, nothing changes),
    /// then commoncap's cap_task_fix_setuid(): leaving root drops the
    /// capabilities (unless SECBIT_KEEP_CAPS), the effective set follows
    /// the effective uid, and a changed identity is no longer dumpable.
    mutating func changingUIDs(_ body: (inout Credentials) -> Bool) -> Bool {
        var next = self
        guard body(&next) else { return false }
        next.fsuid = next.euid
        if securebits & Self.secbitNoSetuidFixup == 0 {
            let wasRoot = ruid == 0 || euid == 0 || suid == 0
            let isRoot = next.ruid == 0 || next.euid == 0 || next.suid == 0
            if wasRoot && !isRoot {
                if !keepsCaps { next.permitted = .none; next.effective = .none }
                next.ambient = .none
            }
            if euid == 0 && next.euid != 0 { next.effective = .none }
            if euid != 0 && next.euid == 0 { next.effective = next.permitted }
        }
        next.noteChange(from: self)
        self = next
        return true
    }

    mutating func changingGIDs(_ body: (inout Credentials) -> Bool) -> Bool {
        var next = self
        guard body(&next) else { return false }
        next.fsgid = next.egid
        next.noteChange(from: self)
        self = next
        return true
    }

    /// kernel/cred.c:commit_creds(): a process whose euid, egid, fs ids or
    /// capabilities changed becomes undumpable (suid_dumpable is 0).
    mutating func noteChange(from old: Credentials) {
        if euid != old.euid || egid != old.egid || fsuid != old.fsuid || fsgid != old.fsgid
            || !permitted.isSubset(of: old.permitted) {
            dumpable = 0
        }
    }

    /// setresuid(2)'s rules.
    mutating func setResUID(_ r: UInt32, _ e: UInt32, _ s: UInt32) -> Bool {
        let allowed = [ruid, euid, suid]
        if !has(.setuid) {
            for v in [r, e, s] where v != Self.unchanged && !allowed.contains(v) { return false }
        }
        return changingUIDs { k in
            if r != Self.unchanged { k.ruid = r }
            if e != Self.unchanged { k.euid = e }
            if s != Self.unchanged { k.suid = s }
            return true
        }
    }

    mutating func setResGID(_ r: UInt32, _ e: UInt32, _ s: UInt32) -> Bool {
        let allowed = [rgid, egid, sgid]
        if !has(.setgid) {
            for v in [r, e, s] where v != Self.unchanged && !allowed.contains(v) { return false }
        }
        return changingGIDs { k in
            if r != Self.unchanged { k.rgid = r }
            if e != Self.unchanged { k.egid = e }
            if s != Self.unchanged { k.sgid = s }
            return true
        }
    }

    /// setreuid(2): the saved uid follows the effective one when the real
    /// one is set or the effective one moves away from the real one.
    mutating func setReUID(_ r: UInt32, _ e: UInt32) -> Bool {
        if !has(.setuid) {
            if r != Self.unchanged && r != ruid && r != euid { return false }
            if e != Self.unchanged && e != ruid && e != euid && e != suid { return false }
        }
        let oldReal = ruid
        return changingUIDs { k in
            if r != Self.unchanged { k.ruid = r }
            if e != Self.unchanged { k.euid = e }
            if r != Self.unchanged || (e != Self.unchanged && e != oldReal) { k.suid = k.euid }
            return true
        }
    }

    mutating func setReGID(_ r: UInt32, _ e: UInt32) -> Bool {
        if !has(.setgid) {
            if r != Self.unchanged && r != rgid && r != egid { return false }
            if e != Self.unchanged && e != rgid && e != egid && e != sgid { return false }
        }
        let oldReal = rgid
        return changingGIDs { k in
            if r != Self.unchanged { k.rgid = r }
            if e != Self.unchanged { k.egid = e }
            if r != Self.unchanged || (e != Self.unchanged && e != oldReal) { k.sgid = k.egid }
            return true
        }
    }

    /// setuid(2): with CAP_SETUID, all three; else only the effective one.
    mutating func setUID(_ u: UInt32) -> Bool {
        if has(.setuid) { return changingUIDs { k in k.ruid = u; k.euid = u; k.suid = u; return true } }
        guard u == ruid || u == suid else { return false }
        return changingUIDs { k in k.euid = u; return true }
    }

    mutating func setGID(_ g: UInt32) -> Bool {
        if has(.setgid) { return changingGIDs { k in k.rgid = g; k.egid = g; k.sgid = g; return true } }
        guard g == rgid || g == sgid else { return false }
        return changingGIDs { k in k.egid = g; return true }
    }

    /// setfsuid(2): any of the caller's uids, or anything with CAP_SETUID;
    /// leaving or taking fs uid 0 drops or raises the file capabilities.
    mutating func setFSUID(_ u: UInt32) {
        guard u != Self.unchanged, has(.setuid) || [ruid, euid, suid, fsuid].contains(u), u != fsuid else { return }
        let old = self
        if securebits & Self.secbitNoSetuidFixup == 0 {
            if fsuid == 0 && u != 0 { effective = effective.removing(.fileSystem) }
            if fsuid != 0 && u == 0 { effective = effective | (permitted & .fileSystem) }
        }
        fsuid = u
        noteChange(from: old)
    }

    mutating func setFSGID(_ g: UInt32) {
        guard g != Self.unchanged, has(.setgid) || [rgid, egid, sgid, fsgid].contains(g), g != fsgid else { return }
        let old = self
        fsgid = g
        noteChange(from: old)
    }

    /// security/commoncap.c:cap_capset().
    mutating func setCapabilities(effective e: CapabilitySet, permitted p: CapabilitySet, inheritable i: CapabilitySet) -> LinuxErrno? {
        if !has(.setpcap) && !i.isSubset(of: inheritable | permitted) { return .EPERM }
        if !i.isSubset(of: inheritable | bounding) { return .EPERM }
        if !p.isSubset(of: permitted) { return .EPERM }
        if !e.isSubset(of: p) { return .EPERM }
        let old = self
        effective = e
        permitted = p
        inheritable = i
        ambient = ambient & p & i
        noteChange(from: old)
        return nil
    }

    /// security/commoncap.c:cap_bprm_creds_from_file() for an exec of a
    /// file owned by `owner` with `mode` and its file capabilities (the
    /// sidecar's security.capability), no_new_privs and a ptracer aside.
    func afterExec(owner: (uid: UInt32, gid: UInt32), mode: UInt32, fileCaps: FileCapabilities?) -> Credentials {
        var next = self
        if !noNewPrivs {
            if mode & 0o4000 != 0 { next.euid = owner.uid }
            if mode & 0o2010 == 0o2010 { next.egid = owner.gid }
        }
        var fP = fileCaps?.permitted ?? .none, fI = fileCaps?.inheritable ?? .none
        var fEffective = fileCaps?.effective ?? false
        let hasFileCaps = fileCaps != nil
        // handle_privileged_root(): root's exec gets every capability the
        // bounding set allows (not for a setuid-root file with file caps).
        if securebits & Self.secbitNoroot == 0 && !(hasFileCaps && next.euid == 0 && next.ruid != 0) {
            if next.euid == 0 || next.ruid == 0 { fP = .all; fI = .all }
            if next.euid == 0 { fEffective = true }
        }
        let isSetid = next.euid != ruid || next.egid != rgid
        if hasFileCaps || isSetid { next.ambient = .none }
        next.permitted = (fP & bounding) | (fI & inheritable) | next.ambient
        if noNewPrivs { next.permitted = next.permitted & permitted }
        next.effective = fEffective ? next.permitted : next.ambient
        next.suid = next.euid
        next.fsuid = next.euid
        next.sgid = next.egid
        next.fsgid = next.egid
        next.securebits &= ~Self.secbitKeepCaps
        // fs/exec.c:begin_new_exec(): dumpable unless the ids differ.
        next.dumpable = next.euid == next.ruid && next.egid == next.rgid ? 1 : 0
        return next
    }
}

extension Credentials {
    /// AT_SECURE after an exec that gave these: set ids, or capabilities
    /// beyond the ambient set for a non-root user (cap_bprm_creds_from_file).
    var isSecureExec: Bool {
        euid != ruid || egid != rgid || (ruid != 0 && !permitted.isSubset(of: ambient))
    }
}

/// A file's capabilities (struct vfs_cap_data, in security.capability).
public struct FileCapabilities: Equatable, Sendable {
    public var permitted: CapabilitySet
    public var inheritable: CapabilitySet
    /// VFS_CAP_FLAGS_EFFECTIVE: the permitted set becomes effective.
    public var effective: Bool

    /// Parses revision 1, 2 or 3 of vfs_cap_data; nil for anything else.
    public init?(xattr v: [UInt8]) {
        guard v.count >= 12 else { return nil }
        func word(_ i: Int) -> UInt64 { UInt64(v[i]) | UInt64(v[i + 1]) << 8 | UInt64(v[i + 2]) << 16 | UInt64(v[i + 3]) << 24 }
        let magic = word(0)
        let revision = magic & 0xff00_0000
        effective = magic & 1 != 0
        switch revision {
        case 0x0100_0000:
            permitted = CapabilitySet(rawValue: word(4))
            inheritable = CapabilitySet(rawValue: word(8))
        case 0x0200_0000, 0x0300_0000:
            guard v.count >= 20 else { return nil }
            permitted = CapabilitySet(rawValue: word(4) | word(12) << 32) & .all
            inheritable = CapabilitySet(rawValue: word(8) | word(16) << 32) & .all
        default:
            return nil
        }
    }
}
