import Foundation
import Glibc
import Testing
@testable import VolFS
import LinuxABI

/// The rulebook against the kernel's own answers: real files with every
/// combination of owner, group and mode below, and a real process with
/// each set of credentials asking the kernel (python3 under setpriv, one
/// process per identity). Needs root to make the files and the processes.
@Suite("The rulebook answers as the kernel does", .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
struct RulebookTests {
    static let owners: [(UInt32, UInt32)] = [(0, 0), (1234, 4321), (65534, 65534)]
    static let modes: [UInt32] = [0o000, 0o400, 0o200, 0o100, 0o040, 0o020, 0o010, 0o004, 0o002, 0o001,
                                  0o640, 0o604, 0o755, 0o711, 0o4755, 0o2755, 0o2745, 0o666]
    /// A caller: ids, groups, and the capabilities setpriv leaves it
    /// (for root, minus `dropped`; for others, the ambient `kept`).
    struct Identity {
        let uid: UInt32, gid: UInt32, groups: [UInt32]
        var dropped: [String] = []
        var kept: [String] = []
        var capabilities: CapabilitySet {
            let names: [String: Capability] = ["chown": .chown, "dac_override": .dacOverride, "dac_read_search": .dacReadSearch,
                                               "fowner": .fowner, "fsetid": .fsetid, "mknod": .mknod, "sys_admin": .sysAdmin]
            if uid == 0 { return dropped.reduce(CapabilitySet.all) { $0.removing(CapabilitySet([names[$1]!])) } }
            return CapabilitySet(kept.map { names[$0]! })
        }
        var setprivArguments: [String] {
            var args = ["--reuid=\(uid)", "--regid=\(gid)"]
            args += groups.isEmpty ? ["--clear-groups"] : ["--groups=" + groups.map(String.init).joined(separator: ",")]
            if !dropped.isEmpty { args += ["--inh-caps=-all", "--bounding-set=" + dropped.map { "-" + $0 }.joined(separator: ",")] }
            if !kept.isEmpty {
                let list = kept.map { "+" + $0 }.joined(separator: ",")
                args += ["--inh-caps=" + list, "--ambient-caps=" + list]
            }
            return args
        }
    }
    static let callers: [Identity] = [
        Identity(uid: 0, gid: 0, groups: []), Identity(uid: 1234, gid: 100, groups: []), Identity(uid: 4321, gid: 4321, groups: []),
        Identity(uid: 65534, gid: 65534, groups: [4321]), Identity(uid: 2000, gid: 2000, groups: []),
        Identity(uid: 0, gid: 0, groups: [], dropped: ["dac_override", "fowner", "chown", "mknod", "fsetid", "sys_admin"]),
        Identity(uid: 0, gid: 0, groups: [], dropped: ["dac_override"]),
        Identity(uid: 2000, gid: 2000, groups: [], kept: ["fowner", "chown"]),
        Identity(uid: 2000, gid: 2000, groups: [], kept: ["dac_read_search", "fsetid"]),
    ]
    /// Operations that change the file: each gets its own copy of it.
    static let changing = ["chown-self", "chown-other", "chgrp-own", "chgrp-other", "chown-keep", "chmod-sgid", "utime-set", "utime-now"]

    struct Case {
        let name: String
        let owner: (UInt32, UInt32)
        let mode: UInt32
        let directory: Bool
    }

    /// Files named f-UID-GID-MODE (and d-... directories, with the sticky
    /// bit for the xattr rule) in a folder everyone may write (the hard
    /// links are made and removed there).
    static func layout() -> (String, [Case]) {
        let dir = NSTemporaryDirectory() + "rulebook-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o777)
        chmod(dir, 0o777)
        var cases: [Case] = []
        for (uid, gid) in owners {
            for mode in modes {
                let name = "f-\(uid)-\(gid)-\(String(mode, radix: 8))"
                for file in [name] + changing.map({ name + "." + $0 }) {
                    close(open(dir + "/" + file, O_CREAT | O_WRONLY, 0o600))
                    chown(dir + "/" + file, uid, gid)
                    chmod(dir + "/" + file, mode_t(mode))
                }
                cases.append(Case(name: name, owner: (uid, gid), mode: mode, directory: false))
            }
            for mode: UInt32 in [0o1777, 0o777, 0o755, 0o2777] {
                let name = "d-\(uid)-\(gid)-\(String(mode, radix: 8))"
                mkdir(dir + "/" + name, 0o700)
                // A file of each owner inside, for the sticky rule.
                for (u, g) in owners {
                    close(open(dir + "/" + name + "/in-\(u)", O_CREAT | O_WRONLY, 0o644))
                    chown(dir + "/" + name + "/in-\(u)", u, g)
                }
                chown(dir + "/" + name, uid, gid)
                chmod(dir + "/" + name, mode_t(mode))
                cases.append(Case(name: name, owner: (uid, gid), mode: mode, directory: true))
            }
        }
        return (dir, cases)
    }

    /// What the kernel says, for one identity: "name op errno" lines.
    static func kernel(_ dir: String, _ caller: Identity) -> [String: Int32] {
        let script = """
            import os, sys, errno, stat
            d, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            os.umask(0)
            def attempt(n, op, call):
                try:
                    r = call(); print(n, op, 0)
                    return r
                except OSError as e:
                    print(n, op, e.errno)
            def mode_of(p): return stat.S_IMODE(os.lstat(p).st_mode)
            for n in sorted(os.listdir(d)):
                p = os.path.join(d, n)
                if "." in n: continue
                for want, bit in (("r", os.R_OK), ("w", os.W_OK), ("x", os.X_OK)):
                    print(n, want, 0 if os.access(p, bit, effective_ids=True) else errno.EACCES)
                ops = [("xattr-user", lambda: os.setxattr(p, "user.rulebook", b"1")),
                       ("xattr-trusted", lambda: os.setxattr(p, "trusted.rulebook", b"1"))]
                if not os.path.isdir(p):
                    ops += [("noatime", lambda: os.close(os.open(p, os.O_RDONLY | os.O_NOATIME))),
                            ("link", lambda: (os.link(p, p + ".hl"), os.unlink(p + ".hl")))]
                for op, call in ops: attempt(n, op, call)
                if os.path.isdir(p):
                    for f in sorted(os.listdir(p)):
                        attempt(n, "unlink-" + f, lambda: os.unlink(os.path.join(p, f)))
                    new = os.path.join(p, "new-%d" % os.getpid())
                    if attempt(n, "create", lambda: os.close(os.open(new, os.O_CREAT | os.O_WRONLY, 0o2775))) is None and os.path.exists(new):
                        st = os.lstat(new); print(n, "create-gid", st.st_gid); print(n, "create-mode", stat.S_IMODE(st.st_mode))
                    if attempt(n, "mkdir", lambda: os.mkdir(new + ".d", 0o755)) is None and os.path.exists(new + ".d"):
                        print(n, "mkdir-mode", mode_of(new + ".d"))
                    attempt(n, "mknod-char", lambda: os.mknod(new + ".c", stat.S_IFCHR | 0o600, os.makedev(1, 3)))
                    continue
                m = mode_of(p)
                changes = {"chown-self": lambda q: os.chown(q, uid, -1), "chown-other": lambda q: os.chown(q, 4321, -1),
                           "chgrp-own": lambda q: os.chown(q, -1, gid), "chgrp-other": lambda q: os.chown(q, -1, 4321),
                           "chown-keep": lambda q: os.chown(q, -1, -1), "chmod-sgid": lambda q: os.chmod(q, m | 0o2000),
                           "utime-set": lambda q: os.utime(q, (1, 1)), "utime-now": lambda q: os.utime(q)}
                for op, call in changes.items():
                    q = p + "." + op
                    attempt(n, op, lambda: call(q))
                    print(n, op + "-mode", mode_of(q))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = caller.setprivArguments + ["/usr/bin/python3", "-c", script, dir, "\(caller.uid)", "\(caller.gid)"]
        let out = Pipe()
        p.standardOutput = out
        try? p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var answers: [String: Int32] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let w = line.split(separator: " ")
            if w.count == 3, let e = Int32(w[2]) { answers["\(w[0]) \(w[1])"] = e }
        }
        return answers
    }

    /// What the rulebook says of case `c` for caller `k`: errno answers
    /// (nil allowed), and the modes and groups that result.
    static func rulebook(_ c: Case, _ k: Rulebook.Caller, protected: Bool) -> (verdicts: [String: Int32], values: [String: UInt32]) {
        func e(_ verdict: LinuxErrno?) -> Int32 { verdict?.rawValue ?? 0 }
        func first(_ a: LinuxErrno?, _ b: @autoclosure () -> LinuxErrno?) -> Int32 { a != nil ? e(a) : e(b()) }
        let type = c.directory ? S_IFDIR : S_IFREG
        let meta = Metadata(uid: c.owner.0, gid: c.owner.1, mode: type | c.mode)
        var v: [String: Int32] = ["r": e(Rulebook.mayAccess(meta, k, 4)), "w": e(Rulebook.mayAccess(meta, k, 2)),
                                  "x": e(Rulebook.mayAccess(meta, k, 1)),
                                  "xattr-user": e(Rulebook.mayUseXattr("user.rulebook", meta, k, write: true)),
                                  "xattr-trusted": e(Rulebook.mayUseXattr("trusted.rulebook", meta, k, write: true))]
        var values: [String: UInt32] = [:]
        if c.directory {
            for (u, g) in owners {
                v["unlink-in-\(u)"] = e(Rulebook.mayDelete(Metadata(uid: u, gid: g, mode: S_IFREG | 0o644), from: meta, k))
            }
            v["create"] = e(Rulebook.mayCreate(in: meta, k))
            v["mkdir"] = e(Rulebook.mayCreate(in: meta, k))
            v["mknod-char"] = first(Rulebook.mayCreate(in: meta, k), Rulebook.mayMknod(type: S_IFCHR, k))
            let made = Rulebook.newOwner(in: meta, k, mode: S_IFREG | 0o2775)
            values["create-gid"] = made.gid
            values["create-mode"] = made.permissions
            values["mkdir-mode"] = Rulebook.newOwner(in: meta, k, mode: S_IFDIR | 0o755).permissions
            return (v, values)
        }
        // open(O_RDONLY|O_NOATIME): may_open judges the read first.
        v["noatime"] = first(Rulebook.mayAccess(meta, k, 4), Rulebook.mayOpenNoatime(meta, k))
        v["link"] = e(Rulebook.mayHardlink(meta, k, protected: protected))
        func chown(_ op: String, uid: UInt32?, gid: UInt32?) {
            var e = Rulebook.mayChown(meta, k, uid: uid, gid: gid)
            let after = Rulebook.modeAfterChown(meta, k)
            // Killing setuid bits is a mode change (notify_change): the owner's or CAP_FOWNER's.
            if e == nil && uid == nil && gid == nil && after != meta.mode && !Rulebook.isOwnerOrCapable(meta, k) { e = .EPERM }
            v[op] = e?.rawValue ?? 0
            values[op + "-mode"] = e == nil ? after & 0o7777 : c.mode
        }
        chown("chown-self", uid: k.fsuid, gid: nil)
        chown("chown-other", uid: 4321, gid: nil)
        chown("chgrp-own", uid: nil, gid: k.fsgid)
        chown("chgrp-other", uid: nil, gid: 4321)
        chown("chown-keep", uid: nil, gid: nil)
        switch Rulebook.chmod(meta, k, to: c.mode | 0o2000) {
        case .failure(let error): v["chmod-sgid"] = error.rawValue; values["chmod-sgid-mode"] = c.mode
        case .success(let m): v["chmod-sgid"] = 0; values["chmod-sgid-mode"] = m
        }
        v["utime-set"] = e(Rulebook.maySetTimes(meta, k, toNow: false))
        v["utime-now"] = e(Rulebook.maySetTimes(meta, k, toNow: true))
        values["utime-set-mode"] = c.mode
        values["utime-now-mode"] = c.mode
        return (v, values)
    }

    @Test func permissionsAndAttributeRules() {
        let protected = Rulebook.protectedHardlinks
        var checked = 0
        var wrong: [String] = []
        for caller in Self.callers {
            let (dir, cases) = Self.layout()
            defer { _ = try? FileManager.default.removeItem(atPath: dir) }
            let answers = Self.kernel(dir, caller)
            let k = Rulebook.Caller(fsuid: caller.uid, fsgid: caller.gid, groups: caller.groups, capabilities: caller.capabilities)
            for c in cases {
                let (verdicts, values) = Self.rulebook(c, k, protected: protected)
                for (op, verdict) in verdicts {
                    guard let kernel = answers["\(c.name) \(op)"] else { continue }
                    // A permission the rulebook grants may still fail in the
                    // kernel for a reason it does not judge (EEXIST, ENOTSUP):
                    // only EACCES and EPERM count.
                    checked += 1
                    if kernel != verdict && ([EACCES, EPERM].contains(kernel) || [EACCES, EPERM].contains(verdict)) {
                        wrong.append("\(caller.setprivArguments.joined(separator: " ")): \(op) \(c.name): kernel \(kernel), rulebook \(verdict)")
                    }
                }
                for (what, value) in values {
                    guard let kernel = answers["\(c.name) \(what)"] else { continue }
                    checked += 1
                    if UInt32(kernel) != value {
                        wrong.append("\(caller.setprivArguments.joined(separator: " ")): \(what) \(c.name): kernel \(String(kernel, radix: 8)), rulebook \(String(value, radix: 8))")
                    }
                }
            }
        }
        #expect(checked > 10000, "the kernel answered \(checked) checks")
        #expect(wrong.isEmpty, "\(wrong.count) answers differ:\n\(wrong.prefix(200).joined(separator: "\n"))")
    }
}
