import Foundation
import Glibc
import Testing

/// A guest in a scratch root tries every path trick, fd and race it can to
/// read a host file outside its root (Fixtures/elf/src/escape.c).
@Suite("Nothing escapes the guest root")
struct EscapeTests {
    @Test func everyAttemptIsContained() throws {
        let base = scratchDir()
        let fm = FileManager.default
        for d in ["root/tmp", "root/etc", "root/bin", "secret"] {
            try fm.createDirectory(atPath: base + "/" + d, withIntermediateDirectories: true)
        }
        try "HOST-SECRET\n".write(toFile: base + "/secret/key", atomically: true, encoding: .utf8)
        try fm.copyItem(atPath: Paths.fixtures + "/escape", toPath: base + "/root/escape")
        // A host unix socket outside the root, listening.
        let sockPath = base + "/secret/sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in sockPath.utf8.enumerated() where i < p.count - 1 { p[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0 && listen(listener, 1) == 0)
        // fd 3 is a host directory holding the secret, inherited by the guest.
        let script = "exec 3<'\(base)/secret'; exec '\(Paths.picorun)' --rootfs '\(base)/root' /escape '\(base)/secret/key' key '\(sockPath)'"
        let r = run("/bin/sh", ["-c", script], env: baseEnvironment(), timeout: 120)
        #expect(r.status == 0, "\(r)")
        #expect(!r.stdout.contains("LEAK"), "\(r.stdout)")
        #expect(r.stdout.hasSuffix("leaks: 0\n"), "\(r.stdout)")
        let race = r.stdout.split(separator: "\n").first { $0.hasPrefix("symlink swap race, 5000 opens") }
        #expect(race?.hasSuffix("contained (some opens succeeded)") == true, "\(r.stdout)")
        for attempt in ["connect", "sendto", "sendmsg", "sendmmsg"] {
            #expect(r.stdout.contains("\(attempt)(host unix socket path)"), "\(r.stdout)")
        }
    }

    /// The second suite (Fixtures/elf/src/escape2.c via run-escape2.sh): the
    /// supervisor's /proc entries, memory, fds, seccomp listener and signals;
    /// other host processes; inherited fds; memfd exec; DrvFS mounts; host
    /// kernel settings under /proc/sys; setuid bits planted by a non-root
    /// guest user and a symlink-flip race on a setuid exec.
    @Test func theSupervisorAndTheHostAreOutOfReach() {
        let r = run("/bin/bash", [Paths.fixtures + "/../run-escape2.sh", Paths.picorun, Paths.fixtures + "/escape2"],
                    env: baseEnvironment(["HOME": scratchDir()]), timeout: 300)
        #expect(r.status == 0 && r.stdout.contains("\nleaks: 0\n"), "\(r)")
        #expect(!r.stdout.contains("LEAK"), "\(r.stdout)")
        // A section that could not set itself up tried nothing: not a pass.
        #expect(!r.stdout.contains("skipped"), "\(r.stdout)")
    }

    /// The same as an unprivileged host user: no CAP_SYS_PTRACE, but the
    /// supervisor and the user's other processes share its uid.
    @Test(.enabled(if: getuid() == 0)) func theSupervisorIsOutOfReachOfAnUnprivilegedUser() {
        let dir = scratchDir()
        chmod(dir, 0o755)
        for f in [Paths.picorun, Paths.fixtures + "/escape2", Paths.fixtures + "/../run-escape2.sh"] {
            _ = run("/bin/cp", [f, dir + "/"], env: baseEnvironment())
        }
        _ = run("/bin/mkdir", [dir + "/home"], env: baseEnvironment())
        _ = run("/bin/chown", ["65534:65534", dir + "/home"], env: baseEnvironment())
        _ = run("/bin/chmod", ["-R", "a+rX", dir], env: baseEnvironment())
        let r = run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                                         "/bin/bash", dir + "/run-escape2.sh", dir + "/picorun", dir + "/escape2"],
                    env: baseEnvironment(["HOME": dir + "/home"]), timeout: 300)
        #expect(r.status == 0 && r.stdout.contains("\nleaks: 0\n"), "\(r)")
        #expect(!r.stdout.contains("LEAK"), "\(r.stdout)")
        // A section that could not set itself up tried nothing: not a pass.
        #expect(!r.stdout.contains("skipped"), "\(r.stdout)")
    }
}
