import PicoCore

/// The uid/gid/groups/capabilities calls, answered from picorun's record of
/// the calling process's credentials (distro runs only; a run on the host
/// tree is the host user and these pass through).
enum IdentityCalls {
    static func creds(_ c: PathContext) -> Credentials { c.processes.credentials(c.caller.tid) }

    static func change(_ c: PathContext, _ body: (inout Credentials) -> Bool) throws(TraceeError) -> NotificationReply {
        guard c.processes.updateCredentials(c.caller.tid, body) else { throw TraceeError(.EPERM) }
        return .value(0)
    }

    static func id(_ c: PathContext) -> UInt32 { UInt32(truncatingIfNeeded: c.args[0]) }
    static func id(_ c: PathContext, _ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: c.args[i]) }

    /// Getuid implements Linux syscall getuid(2).
    static func getuid(_ c: PathContext) throws(TraceeError) -> NotificationReply { .value(Int64(creds(c).ruid)) }
    /// Geteuid implements Linux syscall geteuid(2).
    static func geteuid(_ c: PathContext) throws(TraceeError) -> NotificationReply { .value(Int64(creds(c).euid)) }
    /// Getgid implements Linux syscall getgid(2).
    static func getgid(_ c: PathContext) throws(TraceeError) -> NotificationReply { .value(Int64(creds(c).rgid)) }
    /// Getegid implements Linux syscall getegid(2).
    static func getegid(_ c: PathContext) throws(TraceeError) -> NotificationReply { .value(Int64(creds(c).egid)) }

    /// Getresuid implements Linux syscall getresuid(2).
    static func getresuid(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let k = creds(c)
        try writeIDs(c, [k.ruid, k.euid, k.suid])
        return .value(0)
    }

    /// Getresgid implements Linux syscall getresgid(2).
    static func getresgid(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let k = creds(c)
        try writeIDs(c, [k.rgid, k.egid, k.sgid])
        return .value(0)
    }

    static func writeIDs(_ c: PathContext, _ ids: [UInt32]) throws(TraceeError) {
        for (i, v) in ids.enumerated() { try c.write(v, to: c.args[i]) }
    }

    /// Getgroups implements Linux syscall getgroups(2).
    static func getgroups(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let groups = creds(c).groups
        let size = Int32(truncatingIfNeeded: c.args[0])
        guard size >= 0 else { throw TraceeError(.EINVAL) }
        if size == 0 { return .value(Int64(groups.count)) }
        guard Int(size) >= groups.count else { throw TraceeError(.EINVAL) }
        var bytes: [UInt8] = []
        for g in groups { withUnsafeBytes(of: g.littleEndian) { bytes += $0 } }
        if !bytes.isEmpty { try c.tracee.writeBytes(bytes, at: c.args[1]) }
        return .value(Int64(groups.count))
    }

    /// Setgroups implements Linux syscall setgroups(2).
    static func setgroups(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let size = Int(truncatingIfNeeded: c.args[0])
        guard size >= 0, size <= 65536 else { throw TraceeError(.EINVAL) }
        guard creds(c).isPrivileged else { throw TraceeError(.EPERM) }
        let bytes = size == 0 ? [] : try c.tracee.readBytes(at: c.args[1], count: size * 4)
        var groups = Set<UInt32>()
        for i in 0..<size {
            let b0 = UInt32(bytes[i * 4]), b1 = UInt32(bytes[i * 4 + 1]) << 8
            let b2 = UInt32(bytes[i * 4 + 2]) << 16, b3 = UInt32(bytes[i * 4 + 3]) << 24
            groups.insert(b0 | b1 | b2 | b3)
        }
        return try change(c) { $0.groups = groups.sorted(); return true }
    }

    /// Setuid implements Linux syscall setuid(2).
    static func setuid(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        guard id(c) != invalidID else { throw TraceeError(.EINVAL) }  // (uid_t)-1 is no user
        return try change(c) { $0.setUID(id(c)) }
    }
    /// Setgid implements Linux syscall setgid(2).
    static func setgid(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        guard id(c) != invalidID else { throw TraceeError(.EINVAL) }
        return try change(c) { $0.setGID(id(c)) }
    }

    /// (uid_t)-1: "no change" to the set*id calls that take several ids,
    /// invalid to setuid/setgid, ignored by setfsuid/setfsgid.
    static let invalidID = UInt32.max
    /// Setreuid implements Linux syscall setreuid(2).
    static func setreuid(_ c: PathContext) throws(TraceeError) -> NotificationReply { try change(c) { $0.setReUID(id(c, 0), id(c, 1)) } }
    /// Setregid implements Linux syscall setregid(2).
    static func setregid(_ c: PathContext) throws(TraceeError) -> NotificationReply { try change(c) { $0.setReGID(id(c, 0), id(c, 1)) } }
    /// Setresuid implements Linux syscall setresuid(2).
    static func setresuid(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        try change(c) { $0.setResUID(id(c, 0), id(c, 1), id(c, 2)) }
    }
    /// Setresgid implements Linux syscall setresgid(2).
    static func setresgid(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        try change(c) { $0.setResGID(id(c, 0), id(c, 1), id(c, 2)) }
    }

    /// Setfsuid implements Linux syscall setfsuid(2): returns the old value.
    static func setfsuid(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        var old: UInt32 = 0
        _ = c.processes.updateCredentials(c.caller.tid) { k in
            old = k.fsuid
            let u = id(c)
            if u != invalidID && (k.isPrivileged || [k.ruid, k.euid, k.suid, k.fsuid].contains(u)) { k.fsuid = u }
            return true
        }
        return .value(Int64(old))
    }

    /// Setfsgid implements Linux syscall setfsgid(2): returns the old value.
    static func setfsgid(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        var old: UInt32 = 0
        _ = c.processes.updateCredentials(c.caller.tid) { k in
            old = k.fsgid
            let g = id(c)
            if g != invalidID && (k.isPrivileged || [k.rgid, k.egid, k.sgid, k.fsgid].contains(g)) { k.fsgid = g }
            return true
        }
        return .value(Int64(old))
    }

    static let capabilityVersion3: UInt32 = 0x2008_0522
    static let capabilityVersions: [UInt32] = [0x1998_0330, 0x2007_1026, 0x2008_0522]

    /// Capget implements Linux syscall capget(2): every capability for an
    /// effective root, none otherwise.
    static func capget(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let header = try c.tracee.readBytes(at: c.args[0], count: 8)
        let version = (0..<4).reduce(UInt32(0)) { $0 | UInt32(header[$1]) << (8 * UInt32($1)) }
        guard capabilityVersions.contains(version) else {
            try c.write(capabilityVersion3, to: c.args[0])
            if c.args[1] == 0 { return .value(0) }
            throw TraceeError(.EINVAL)
        }
        guard c.args[1] != 0 else { return .value(0) }
        try capabilityTarget(c, header)
        let words = version == 0x1998_0330 ? 1 : 2
        let all: [UInt32] = [0xffff_ffff, 0x1ff]  // CAP_LAST_CAP is 40
        var bytes: [UInt8] = []
        for i in 0..<words {
            let set = creds(c).isPrivileged ? all[i] : 0
            for v in [set, set, UInt32(0)] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        }
        try c.tracee.writeBytes(bytes, at: c.args[1])
        return .value(0)
    }

    /// Capset implements Linux syscall capset(2): root may set anything (its
    /// capabilities follow its uid here); others may only drop.
    static func capset(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let header = try c.tracee.readBytes(at: c.args[0], count: 8)
        let version = (0..<4).reduce(UInt32(0)) { $0 | UInt32(header[$1]) << (8 * UInt32($1)) }
        guard capabilityVersions.contains(version) else {
            try c.write(capabilityVersion3, to: c.args[0])
            throw TraceeError(.EINVAL)
        }
        // Only the caller's own capabilities may be set (pid 0 or its own tid).
        let pid = Int32(bitPattern: (4..<8).reduce(UInt32(0)) { $0 | UInt32(header[$1]) << (8 * UInt32($1 - 4)) })
        if pid != 0 && pid != c.caller.tid { throw TraceeError(.EPERM) }
        let data = try c.tracee.readBytes(at: c.args[1], count: version == 0x1998_0330 ? 12 : 24)
        if creds(c).isPrivileged { return .value(0) }
        guard data.allSatisfy({ $0 == 0 }) else { throw TraceeError(.EPERM) }
        return .value(0)
    }

    /// capget's pid: negative is EINVAL, another process must exist (ESRCH).
    static func capabilityTarget(_ c: PathContext, _ header: [UInt8]) throws(TraceeError) {
        let pid = Int32(bitPattern: (4..<8).reduce(UInt32(0)) { $0 | UInt32(header[$1]) << (8 * UInt32($1 - 4)) })
        if pid < 0 { throw TraceeError(.EINVAL) }
        if pid != 0 && !c.processes.isGuestTask(pid) { throw TraceeError(.ESRCH) }
    }
}
