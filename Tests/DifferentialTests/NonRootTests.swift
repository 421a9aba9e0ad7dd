import Foundation
import Glibc
import Testing

/// The fixtures again, natively and under picorun, as an unprivileged host
/// user (uid 65534): picorun must work without CAP_SYS_PTRACE and without
/// root's way past every permission (a real user's situation; the rest of
/// the suite runs as root in CI).
@Suite("Fixtures as an unprivileged host user", .enabled(if: getuid() == 0))
struct NonRootTests {
    static let cases = ["hello", "hello-dyn", "hello-pie", "threads", "forkwait", "signals", "pipes", "pingpong",
                        "reaper", "sockets", "fsextras", "openat2", "killself", "exec", "memory-pie"]

    /// picorun and the fixtures copied where uid 65534 can reach them.
    static let staging: String = {
        let dir = scratchDir()
        chmod(dir, 0o755)
        for f in cases + ["exitcode", "args-env"] {
            _ = run("/bin/cp", [Paths.fixtures + "/" + f, dir + "/" + f], env: baseEnvironment())
        }
        _ = run("/bin/cp", [Paths.picorun, dir + "/picorun"], env: baseEnvironment())
        _ = run("/bin/chmod", ["-R", "a+rX", dir], env: baseEnvironment())
        return dir
    }()

    @Test(arguments: cases)
    func sameAsNativeWithoutPrivileges(_ fixture: String) {
        let dir = Self.staging
        let drop = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
        let args = fixture == "exec" ? [dir] : fixture == "killself" ? ["term"] : []
        let native = run("/usr/bin/setpriv", drop + [dir + "/" + fixture] + args, env: baseEnvironment())
        let picorun = run("/usr/bin/setpriv", drop + [dir + "/picorun", dir + "/" + fixture] + args, env: baseEnvironment())
        #expect(!native.timedOut && !picorun.timedOut)
        #expect(picorun == native, "native:\n\(native)\npicorun:\n\(picorun)")
    }
}
