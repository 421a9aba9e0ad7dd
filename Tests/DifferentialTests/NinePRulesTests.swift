import Foundation
import Glibc
import Testing

/// The rulebook's answers through both doors of a distro: the same
/// permission and attribute operations (open modes, chmod and the setgid
/// bit, chown and chgrp, user./trusted. xattrs, sticky deletes) asked of
/// the syscalls in a real chroot, of the syscalls under picorun, and of
/// picorun's 9P server, by root, daemon and nobody.
@Suite("9P and the syscalls answer as Linux does", .enabled(if: TestRootfs.path != nil && getuid() == 0))
struct NinePRulesTests {
    static let users: [(uid: Int, gid: Int)] = [(0, 0), (1, 1), (65534, 65534)]

    /// Lays out `dir` as root, then runs the checks as each user.
    static func syscallScript(_ dir: String) -> String {
        var script = "rm -rf \(dir) && /tmp/rules-distro --setup \(dir) || exit 1\n"
        for u in users {
            script += "setpriv --reuid=\(u.uid) --regid=\(u.gid) --init-groups /tmp/rules-distro \(dir) \(u.uid) \(u.gid)\n"
        }
        return script + "rm -rf \(dir)\n"
    }

    @Test func sameAnswersEverywhere() throws {
        let root = TestRootfs.path!
        _ = run("/bin/cp", [Paths.fixtures + "/rules", root + "/tmp/rules-distro"], env: baseEnvironment())
        let kernel = TestRootfs.chroot(Self.syscallScript("/tmp/r9-chroot"), in: root)
        #expect(kernel.status == 0 && kernel.stderr.isEmpty, "\(kernel)")
        #expect(kernel.stdout.split(separator: "\n").count > 500, "\(kernel)")
        guard let home = DroppedDistro.home else { return }
        let syscalls = DroppedDistro.guest(Self.syscallScript("/tmp/r9-syscalls"))
        #expect(syscalls == kernel, "chroot:\n\(kernel)\npicorun:\n\(syscalls)")

        // The same layout, asked over 9P of a server the distro's owner runs.
        let layout = DroppedDistro.guest("rm -rf /tmp/r9p && /tmp/rules-distro --setup /tmp/r9p")
        #expect(layout.status == 0, "\(layout)")
        let port = Int.random(in: 20000..<60000)
        var script = """
            /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups "$PICORUN" serve deb --listen tcp:127.0.0.1:$PORT 2>"$SERVE_LOG" & srv=$!
            for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.05; done
            status=0

            """
        for u in Self.users {
            script += "/usr/bin/python3 \"$FIX/rules9p.py\" 127.0.0.1 $PORT /tmp/r9p \(u.uid) \(u.gid) || status=1\n"
        }
        script += "kill $srv; wait $srv 2>/dev/null; exit $status\n"
        let env = baseEnvironment(["PICORUN_HOME": home, "PICORUN": Paths.picorun, "PORT": "\(port)",
                                   "FIX": NineP.fixtures, "SERVE_LOG": home + "/serve-rules.log"])
        let overNineP = run("/bin/bash", ["-c", script], env: env, timeout: 300)
        #expect(overNineP.status == 0, "\(overNineP)")
        #expect(overNineP.stdout == kernel.stdout, "first difference: \(Self.firstDifference(kernel.stdout, overNineP.stdout))")
        _ = DroppedDistro.guest("rm -rf /tmp/r9p")
    }

    static func firstDifference(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n"), y = b.split(separator: "\n")
        for (i, (l, r)) in zip(x, y).enumerated() where l != r { return "line \(i + 1): kernel '\(l)', 9P '\(r)'" }
        return "lengths \(x.count) and \(y.count)"
    }
}
