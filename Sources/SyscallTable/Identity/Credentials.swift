/// A guest process's identity, kept by picorun: the host runs every guest
/// as the host user, the guest sees and obeys these.
public struct Credentials: Sendable, Equatable {
    public var ruid: UInt32, euid: UInt32, suid: UInt32, fsuid: UInt32
    public var rgid: UInt32, egid: UInt32, sgid: UInt32, fsgid: UInt32
    public var groups: [UInt32]

    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = []) {
        ruid = uid; euid = uid; suid = uid; fsuid = uid
        rgid = gid; egid = gid; sgid = gid; fsgid = gid
        self.groups = groups
    }

    public static let root = Credentials(uid: 0, gid: 0)

    /// CAP_SETUID, CAP_SETGID, CAP_CHOWN, CAP_FOWNER, CAP_DAC_OVERRIDE...:
    /// picorun's guest has all of them exactly when its effective uid is 0.
    public var isPrivileged: Bool { euid == 0 }
    /// For file access the kernel looks at the filesystem uid.
    public var isFileRoot: Bool { fsuid == 0 }

    /// Whether `gid` is one of the caller's groups for file access.
    public func inGroup(_ gid: UInt32) -> Bool { gid == fsgid || groups.contains(gid) }

    static let unchanged = UInt32.max

    /// setresuid(2)'s rules; false for EPERM.
    mutating func setResUID(_ r: UInt32, _ e: UInt32, _ s: UInt32) -> Bool {
        let allowed = [ruid, euid, suid]
        if !isPrivileged {
            for v in [r, e, s] where v != Self.unchanged && !allowed.contains(v) { return false }
        }
        if r != Self.unchanged { ruid = r }
        if e != Self.unchanged { euid = e }
        if s != Self.unchanged { suid = s }
        fsuid = euid
        return true
    }

    mutating func setResGID(_ r: UInt32, _ e: UInt32, _ s: UInt32) -> Bool {
        let allowed = [rgid, egid, sgid]
        if !isPrivileged {
            for v in [r, e, s] where v != Self.unchanged && !allowed.contains(v) { return false }
        }
        if r != Self.unchanged { rgid = r }
        if e != Self.unchanged { egid = e }
        if s != Self.unchanged { sgid = s }
        fsgid = egid
        return true
    }

    /// setreuid(2): the saved uid follows the effective one when the real
    /// one is set or the effective one moves away from the real one.
    mutating func setReUID(_ r: UInt32, _ e: UInt32) -> Bool {
        let oldReal = ruid
        if !isPrivileged {
            if r != Self.unchanged && r != ruid && r != euid { return false }
            if e != Self.unchanged && e != ruid && e != euid && e != suid { return false }
        }
        if r != Self.unchanged { ruid = r }
        if e != Self.unchanged { euid = e }
        if r != Self.unchanged || (e != Self.unchanged && e != oldReal) { suid = euid }
        fsuid = euid
        return true
    }

    mutating func setReGID(_ r: UInt32, _ e: UInt32) -> Bool {
        let oldReal = rgid
        if !isPrivileged {
            if r != Self.unchanged && r != rgid && r != egid { return false }
            if e != Self.unchanged && e != rgid && e != egid && e != sgid { return false }
        }
        if r != Self.unchanged { rgid = r }
        if e != Self.unchanged { egid = e }
        if r != Self.unchanged || (e != Self.unchanged && e != oldReal) { sgid = egid }
        fsgid = egid
        return true
    }

    /// setuid(2): privileged, all three; else only the effective one.
    mutating func setUID(_ u: UInt32) -> Bool {
        if isPrivileged { ruid = u; euid = u; suid = u; fsuid = u; return true }
        guard u == ruid || u == suid else { return false }
        euid = u
        fsuid = u
        return true
    }

    mutating func setGID(_ g: UInt32) -> Bool {
        if isPrivileged { rgid = g; egid = g; sgid = g; fsgid = g; return true }
        guard g == rgid || g == sgid else { return false }
        egid = g
        fsgid = g
        return true
    }
}
