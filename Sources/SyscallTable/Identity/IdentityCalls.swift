import Glibc
import PicoCore

/// The uid/gid/groups/capabilities calls, answered from picorun's record of
/// the calling process's credentials (distro runs only; a run on the host
/// tree is the host user and these pass through).
enum IdentityCalls {
    static func creds(_ c: GuestCall) -> Credentials { c.processes.credentials(c.caller.tid) }

    static func change(_ c: GuestCall, _ body: (inout Credentials) -> Bool) throws(TraceeError) -> Outcome {
        guard c.processes.updateCredentials(c.caller.tid, body) else { throw TraceeError(.EPERM) }
        return .value(0)
    }

    static func id(_ c: GuestCall) -> UInt32 { UInt32(truncatingIfNeeded: c.args[0]) }
    static func id(_ c: GuestCall, _ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: c.args[i]) }

    /// Getuid implements Linux syscall getuid(2).
    static func getuid(_ c: GuestCall) throws(TraceeError) -> Outcome { .value(Int64(creds(c).ruid)) }
    /// Geteuid implements Linux syscall geteuid(2).
    static func geteuid(_ c: GuestCall) throws(TraceeError) -> Outcome { .value(Int64(creds(c).euid)) }
    /// Getgid implements Linux syscall getgid(2).
    static func getgid(_ c: GuestCall) throws(TraceeError) -> Outcome { .value(Int64(creds(c).rgid)) }
    /// Getegid implements Linux syscall getegid(2).
    static func getegid(_ c: GuestCall) throws(TraceeError) -> Outcome { .value(Int64(creds(c).egid)) }

    /// Getresuid implements Linux syscall getresuid(2).
    static func getresuid(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let k = creds(c)
        try writeIDs(c, [k.ruid, k.euid, k.suid])
        return .value(0)
    }

    /// Getresgid implements Linux syscall getresgid(2).
    static func getresgid(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let k = creds(c)
        try writeIDs(c, [k.rgid, k.egid, k.sgid])
        return .value(0)
    }

    static func writeIDs(_ c: GuestCall, _ ids: [UInt32]) throws(TraceeError) {
        for (i, v) in ids.enumerated() { try c.write(v, to: c.args[i]) }
    }

    /// Getgroups implements Linux syscall getgroups(2).
    static func getgroups(_ c: GuestCall) throws(TraceeError) -> Outcome {
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
    static func setgroups(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let size = Int(truncatingIfNeeded: c.args[0])
        guard size >= 0, size <= 65536 else { throw TraceeError(.EINVAL) }
        guard creds(c).has(.setgid) else { throw TraceeError(.EPERM) }
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
    static func setuid(_ c: GuestCall) throws(TraceeError) -> Outcome {
        guard id(c) != invalidID else { throw TraceeError(.EINVAL) }  // (uid_t)-1 is no user
        return try change(c) { $0.setUID(id(c)) }
    }
    /// Setgid implements Linux syscall setgid(2).
    static func setgid(_ c: GuestCall) throws(TraceeError) -> Outcome {
        guard id(c) != invalidID else { throw TraceeError(.EINVAL) }
        return try change(c) { $0.setGID(id(c)) }
    }

    /// (uid_t)-1: "no change" to the set*id calls that take several ids,
    /// invalid to setuid/setgid, ignored by setfsuid/setfsgid.
    static let invalidID = UInt32.max
    /// Setreuid implements Linux syscall setreuid(2).
    static func setreuid(_ c: GuestCall) throws(TraceeError) -> Outcome { try change(c) { $0.setReUID(id(c, 0), id(c, 1)) } }
    /// Setregid implements Linux syscall setregid(2).
    static func setregid(_ c: GuestCall) throws(TraceeError) -> Outcome { try change(c) { $0.setReGID(id(c, 0), id(c, 1)) } }
    /// Setresuid implements Linux syscall setresuid(2).
    static func setresuid(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try change(c) { $0.setResUID(id(c, 0), id(c, 1), id(c, 2)) }
    }
    /// Setresgid implements Linux syscall setresgid(2).
    static func setresgid(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try change(c) { $0.setResGID(id(c, 0), id(c, 1), id(c, 2)) }
    }

    /// Setfsuid implements Linux syscall setfsuid(2): returns the old value.
    static func setfsuid(_ c: GuestCall) throws(TraceeError) -> Outcome {
        var old: UInt32 = 0
        _ = c.processes.updateCredentials(c.caller.tid) { k in old = k.fsuid; k.setFSUID(id(c)); return true }
        return .value(Int64(old))
    }

    /// Setfsgid implements Linux syscall setfsgid(2): returns the old value.
    static func setfsgid(_ c: GuestCall) throws(TraceeError) -> Outcome {
        var old: UInt32 = 0
        _ = c.processes.updateCredentials(c.caller.tid) { k in old = k.fsgid; k.setFSGID(id(c)); return true }
        return .value(Int64(old))
    }

    static let capabilityVersion1: UInt32 = 0x1998_0330
    static let capabilityVersion3: UInt32 = 0x2008_0522
    static let capabilityVersions: [UInt32] = [capabilityVersion1, 0x2007_1026, capabilityVersion3]

    /// The header's version, or EINVAL with the kernel's written back.
    static func capabilityHeader(_ c: GuestCall) throws(TraceeError) -> (version: UInt32, pid: Int32, valid: Bool) {
        let header = try c.tracee.readBytes(at: c.args[0], count: 8)
        let version = (0..<4).reduce(UInt32(0)) { $0 | UInt32(header[$1]) << (8 * UInt32($1)) }
        let pid = Int32(bitPattern: (4..<8).reduce(UInt32(0)) { $0 | UInt32(header[$1]) << (8 * UInt32($1 - 4)) })
        guard capabilityVersions.contains(version) else {
            try c.write(capabilityVersion3, to: c.args[0])
            return (version, pid, false)
        }
        return (version, pid, true)
    }

    /// Capget implements Linux syscall capget(2): the sets picorun keeps
    /// for the caller or another guest process.
    static func capget(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let h = try capabilityHeader(c)
        guard h.valid else {
            if c.args[1] == 0 { return .value(0) }
            throw TraceeError(.EINVAL)
        }
        guard c.args[1] != 0 else { return .value(0) }
        if h.pid < 0 { throw TraceeError(.EINVAL) }
        if h.pid != 0 && !c.processes.isGuestTask(h.pid) { throw TraceeError(.ESRCH) }
        let k = h.pid == 0 ? creds(c) : c.processes.credentials(h.pid)
        let words = h.version == capabilityVersion1 ? 1 : 2
        var bytes: [UInt8] = []
        for i in 0..<words {
            for set in [k.effective, k.permitted, k.inheritable] {
                withUnsafeBytes(of: UInt32(truncatingIfNeeded: set.rawValue >> (32 * UInt64(i))).littleEndian) { bytes += $0 }
            }
        }
        try c.tracee.writeBytes(bytes, at: c.args[1])
        return .value(0)
    }

    /// Capset implements Linux syscall capset(2) by commoncap's rules: the
    /// caller's own sets only, never beyond its permitted set.
    static func capset(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let h = try capabilityHeader(c)
        guard h.valid else { throw TraceeError(.EINVAL) }
        if h.pid != 0 && h.pid != c.caller.tid && h.pid != c.caller.tgid { throw TraceeError(.EPERM) }
        let words = h.version == capabilityVersion1 ? 1 : 2
        let data = try c.tracee.readBytes(at: c.args[1], count: 12 * words)
        func set(_ index: Int) -> CapabilitySet {
            var v: UInt64 = 0
            for w in 0..<words {
                let at = 12 * w + 4 * index
                let word = (0..<4).reduce(UInt64(0)) { $0 | UInt64(data[at + $1]) << (8 * UInt64($1)) }
                v |= word << (32 * UInt64(w))
            }
            return CapabilitySet(rawValue: v) & .all
        }
        var refused: LinuxErrno?
        _ = c.processes.updateCredentials(c.caller.tid) { k in
            refused = k.setCapabilities(effective: set(0), permitted: set(1), inheritable: set(2))
            return true
        }
        if let refused { throw TraceeError(refused) }
        return .value(0)
    }

    static let prGetDumpable = 3, prSetDumpable = 4, prGetKeepCaps = 7, prSetKeepCaps = 8
    static let prCapbsetRead = 23, prCapbsetDrop = 24, prGetSecurebits = 27, prSetSecurebits = 28
    static let prSetNoNewPrivs = 38, prGetNoNewPrivs = 39, prCapAmbient = 47
    static let secureAllBits: UInt32 = 0x55, secureAllLocks: UInt32 = 0xaa, secbitKeepCapsLocked: UInt32 = 1 << 5

    /// An identity change on the host tree as root: the kernel makes it;
    /// what is known of the caller's host identity is stale once it has.
    static func hostIdentityChanged(_ c: GuestCall) -> Outcome {
        c.processes.forgetHostIdentity(c.caller.tid)
        return .continueCall
    }

    /// prctl(2) on the host tree, where the kernel keeps the identity: only
    /// dumpable is picorun's. The kernel's must stay 1 (a process that is
    /// not dumpable is out of reach of a supervisor without CAP_SYS_PTRACE,
    /// which then cannot read its paths), so PR_SET_DUMPABLE 0 is kept
    /// here, and PR_GET_DUMPABLE is 0 if either says so.
    static func hostPrctl(_ c: GuestCall) -> Outcome {
        let processes = c.processes, tid = c.caller.tid, args = c.args
        switch Int(Int32(truncatingIfNeeded: args[0])) {
        case prGetDumpable:
            return processes.credentials(tid).dumpable == 0 ? .value(0) : .continueCall
        case prSetDumpable:
            guard args[1] <= 1 else { return .error(.EINVAL) }
            _ = processes.updateCredentials(tid) { $0.dumpable = UInt32(args[1]); return true }
            return args[1] == 1 ? .continueCall : .value(0)
        default:
            return .continueCall
        }
    }

    /// Prctl implements Linux syscall prctl(2) in distro runs: the options
    /// that read or change the identity picorun keeps (capabilities,
    /// securebits, dumpable, no_new_privs), by security/commoncap.c and
    /// kernel/sys.c; every other option is the kernel's.
    static func prctl(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let option = Int(Int32(truncatingIfNeeded: c.args[0]))
        let a2 = c.args[1], rest = c.args[2] | c.args[3] | c.args[4]
        let k = creds(c)
        func valid(_ cap: UInt64) -> Capability? { cap <= UInt64(Capability.last) ? Capability(rawValue: Int(cap)) : nil }
        func update(_ body: (inout Credentials) -> Void) -> Outcome {
            _ = c.processes.updateCredentials(c.caller.tid) { body(&$0); return true }
            return .value(0)
        }
        switch option {
        case prGetDumpable:
            return .value(Int64(k.dumpable))
        case prSetDumpable:
            // Emulated only: the kernel's must stay 1, or picorun could not
            // reach a non-root guest's memory.
            guard a2 <= 1 else { throw TraceeError(.EINVAL) }
            return update { $0.dumpable = UInt32(a2) }
        case prGetKeepCaps:
            return .value(k.securebits & Credentials.secbitKeepCaps != 0 ? 1 : 0)
        case prSetKeepCaps:
            guard a2 <= 1 else { throw TraceeError(.EINVAL) }
            if k.securebits & secbitKeepCapsLocked != 0 { throw TraceeError(.EPERM) }
            return update { if a2 == 1 { $0.securebits |= Credentials.secbitKeepCaps } else { $0.securebits &= ~Credentials.secbitKeepCaps } }
        case prCapbsetRead:
            guard let cap = valid(a2) else { throw TraceeError(.EINVAL) }
            return .value(k.bounding.contains(cap) ? 1 : 0)
        case prCapbsetDrop:
            guard let cap = valid(a2) else { throw TraceeError(.EINVAL) }
            guard k.has(.setpcap) else { throw TraceeError(.EPERM) }
            return update { $0.bounding.remove(cap) }
        case prGetSecurebits:
            return .value(Int64(k.securebits))
        case prSetSecurebits:
            let new = UInt32(truncatingIfNeeded: a2), old = k.securebits
            if ((old & secureAllLocks) >> 1) & (old ^ new) != 0 || old & secureAllLocks & ~new != 0
                || a2 & ~UInt64(secureAllLocks | secureAllBits) != 0 || !k.has(.setpcap) {
                throw TraceeError(.EPERM)
            }
            return update { $0.securebits = new }
        case prCapAmbient:
            if a2 == 4 {  // PR_CAP_AMBIENT_CLEAR_ALL
                guard c.args[2] | c.args[3] | c.args[4] == 0 else { throw TraceeError(.EINVAL) }
                return update { $0.ambient = .none }
            }
            guard let cap = valid(c.args[2]), c.args[3] | c.args[4] == 0 else { throw TraceeError(.EINVAL) }
            switch a2 {
            case 1: return .value(k.ambient.contains(cap) ? 1 : 0)  // IS_SET
            case 2:  // RAISE
                guard k.permitted.contains(cap), k.inheritable.contains(cap),
                      k.securebits & Credentials.secbitNoCapAmbientRaise == 0 else { throw TraceeError(.EPERM) }
                return update { $0.ambient.insert(cap) }
            case 3: return update { $0.ambient.remove(cap) }  // LOWER
            default: throw TraceeError(.EINVAL)
            }
        case prSetNoNewPrivs:
            guard a2 == 1, rest == 0 else { throw TraceeError(.EINVAL) }
            // Recorded, and the kernel's set too (a guest's own seccomp filter needs it).
            _ = update { $0.noNewPrivs = true }
            return .continueCall
        case prGetNoNewPrivs:
            guard a2 | rest == 0 else { throw TraceeError(.EINVAL) }
            return .value(k.noNewPrivs ? 1 : 0)
        default:
            return .continueCall
        }
    }
}
