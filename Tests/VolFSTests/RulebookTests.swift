import Foundation
import Glibc
import Testing
@testable import VolFS

/// The rulebook against the kernel's own answers: real files with every
/// combination of owner, group and mode below, and a real process with
/// each set of credentials asking the kernel (python3 under setpriv, one
/// process per identity). Needs root to make the files and the processes.
@Suite("The rulebook answers as the kernel does", .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
struct RulebookTests {
    static let owners: [(UInt32, UInt32)] = [(0, 0), (1234, 4321), (65534, 65534)]
    static let modes: [UInt32] = [0o000, 0o400, 0o200, 0o100, 0o040, 0o020, 0o010, 0o004, 0o002, 0o001,
                                  0o640, 0o604, 0o755, 0o711, 0o4755, 0o2755, 0o2745, 0o666]
    /// (uid, gid, supplementary groups)
    static let callers: [(UInt32, UInt32, [UInt32])] = [(0, 0, []), (1234, 100, []), (4321, 4321, []), (65534, 65534, [4321]),
                                                        (2000, 2000, [])]

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
                close(open(dir + "/" + name, O_CREAT | O_WRONLY, 0o600))
                chown(dir + "/" + name, uid, gid)
                chmod(dir + "/" + name, mode_t(mode))
                cases.append(Case(name: name, owner: (uid, gid), mode: mode, directory: false))
            }
            for mode: UInt32 in [0o1777, 0o777, 0o755] {
                let name = "d-\(uid)-\(gid)-\(String(mode, radix: 8))"
                mkdir(dir + "/" + name, 0o700)
                chown(dir + "/" + name, uid, gid)
                chmod(dir + "/" + name, mode_t(mode))
                cases.append(Case(name: name, owner: (uid, gid), mode: mode, directory: true))
            }
        }
        return (dir, cases)
    }

    /// What the kernel says, for one identity: "name op errno" lines.
    static func kernel(_ dir: String, _ caller: (UInt32, UInt32, [UInt32])) -> [String: Int32] {
        let script = """
            import os, sys, errno
            d = sys.argv[1]
            for n in sorted(os.listdir(d)):
                p = os.path.join(d, n)
                for want, bit in (("r", os.R_OK), ("w", os.W_OK), ("x", os.X_OK)):
                    print(n, want, 0 if os.access(p, bit, effective_ids=True) else errno.EACCES)
                for op, call in (("noatime", lambda: os.close(os.open(p, os.O_RDONLY | os.O_NOATIME))),
                                 ("link", lambda: (os.link(p, p + ".hl"), os.unlink(p + ".hl"))),
                                 ("xattr-user", lambda: os.setxattr(p, "user.rulebook", b"1")),
                                 ("xattr-trusted", lambda: os.setxattr(p, "trusted.rulebook", b"1"))):
                    if op in ("noatime", "link") and os.path.isdir(p): continue
                    try:
                        call(); print(n, op, 0)
                    except OSError as e:
                        print(n, op, e.errno)
            """
        var args = ["--reuid=\(caller.0)", "--regid=\(caller.1)"]
        args += caller.2.isEmpty ? ["--clear-groups"] : ["--groups=" + caller.2.map(String.init).joined(separator: ",")]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = args + ["/usr/bin/python3", "-c", script, dir]
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

    @Test func permissionsAndAttributeRules() {
        let (dir, cases) = Self.layout()
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let protected = Rulebook.protectedHardlinks
        var checked = 0
        var wrong: [String] = []
        for caller in Self.callers {
            let answers = Self.kernel(dir, caller)
            let k = Rulebook.Caller(fsuid: caller.0, fsgid: caller.1, groups: caller.2, privileged: caller.0 == 0)
            for c in cases {
                let type = c.directory ? Metadata.directory : Metadata.regular
                let meta = Metadata(uid: c.owner.0, gid: c.owner.1, mode: type | c.mode)
                var ours: [(String, Int32?)] = [("r", Rulebook.mayAccess(meta, k, 4)), ("w", Rulebook.mayAccess(meta, k, 2)),
                                                ("x", Rulebook.mayAccess(meta, k, 1)),
                                                ("xattr-user", Rulebook.mayUseXattr("user.rulebook", meta, k, write: true)),
                                                ("xattr-trusted", Rulebook.mayUseXattr("trusted.rulebook", meta, k, write: true))]
                if !c.directory {
                    // open(O_RDONLY|O_NOATIME): may_open judges the read first.
                    ours += [("noatime", Rulebook.mayAccess(meta, k, 4) ?? Rulebook.mayOpenNoatime(meta, k)),
                             ("link", Rulebook.mayHardlink(meta, k, protected: protected))]
                }
                for (op, verdict) in ours {
                    guard let kernel = answers["\(c.name) \(op)"] else { continue }
                    // A permission the rulebook grants may still fail in the
                    // kernel for a reason it does not judge (a read-only
                    // filesystem has none here): only EACCES/EPERM count.
                    let kernelVerdict: Int32? = kernel == 0 ? nil : kernel
                    checked += 1
                    if kernelVerdict != verdict && [EACCES, EPERM].contains(kernelVerdict ?? verdict ?? 0) {
                        wrong.append("uid \(caller.0) gid \(caller.1) groups \(caller.2): \(op) \(c.name): kernel \(kernel), rulebook \(verdict ?? 0)")
                    }
                }
            }
        }
        #expect(checked > 1000, "the kernel answered \(checked) checks")
        #expect(wrong.isEmpty, "\(wrong.count) answers differ:\n\(wrong.prefix(200).joined(separator: "\n"))")
    }
}
