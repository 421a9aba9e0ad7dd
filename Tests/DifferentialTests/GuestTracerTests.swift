import Foundation
import Glibc
import Testing

/// ptrace inside the guest: a tracer fixture, strace and gdb, each run
/// natively and under picorun with the output compared (pids and
/// addresses normalised), as root and as nobody; and the escape rules: a
/// guest tracer reaches guest tasks only, and what its register writes
/// make a tracee call is still translated.
@Suite("Guest tracers", .serialized)
struct GuestTracerTests {
    /// The fixture copied where nobody can run it too.
    static let tracer: String = {
        let dir = scratchDir()
        chmod(dir, 0o755)
        let path = dir + "/tracer"
        // Copied by cp, not in this process: a write fd held here while
        // another test forks would make the exec fail with ETXTBSY.
        _ = run("/bin/cp", [Paths.fixtures + "/tracer", path], env: baseEnvironment())
        return path
    }()

    static let nobody = ["--reuid", "65534", "--regid", "65534", "--clear-groups"]

    /// Runs argv natively and under picorun, as root or as nobody (setpriv).
    func both(_ argv: [String], asNobody: Bool = false, env: [String: String] = baseEnvironment()) -> (Outcome, Outcome) {
        if asNobody {
            return (run("/usr/bin/setpriv", Self.nobody + argv, env: env),
                    run("/usr/bin/setpriv", Self.nobody + [Paths.picorun] + argv, env: env))
        }
        return (run(argv[0], Array(argv.dropFirst()), env: env), run(Paths.picorun, argv, env: env))
    }

    /// Pids, thread ids and addresses differ from run to run.
    static func normalised(_ text: String) -> String {
        var t = text
        for (pattern, with) in [("0x[0-9a-f]+", "ADDR"), ("LWP [0-9]+", "LWP N"), ("process [0-9]+", "process N"),
                                ("(?m)^[0-9]+ +", ""), ("pid=[0-9]+", "pid=N"), ("(?m)= [0-9]{2,}$", "= N"),
                                // Which process strace names, and how it pads the
                                // columns, follow who ran first after a fork.
                                ("\\[pid +[0-9]+\\] ", ""), ("Process [0-9]+", "Process N"), (" +", " "),
                                ("(wait4|kill)\\([0-9]+", "$1(N")] {
            t = t.replacingOccurrences(of: pattern, with: with, options: .regularExpression)
        }
        return t
    }

    @Test(arguments: [false, true])
    func fixtureMatchesNative(asNobody: Bool) {
        let (native, guest) = both([Self.tracer], asNobody: asNobody)
        #expect(native.stdout.hasSuffix("done\n"), "native run incomplete:\n\(native)")
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
    }

    /// A guest tracer reaches guest tasks only: picorun (its parent here)
    /// and a host process are not there for it.
    @Test func hostProcessesAreInvisible() {
        let parent = run(Paths.picorun, [Self.tracer, "attach-parent"], env: baseEnvironment())
        #expect(parent.stdout == "attach: No such process\n", "\(parent)")
        let host = run(Paths.picorun, [Self.tracer, "attach", "\(getpid())"], env: baseEnvironment())
        #expect(host.stdout == "attach: No such process\n", "\(host)")
        let nobody = run("/usr/bin/setpriv", Self.nobody + [Paths.picorun, Self.tracer, "attach", "\(getpid())"], env: baseEnvironment())
        #expect(nobody.stdout == "attach: No such process\n", "\(nobody)")
    }

    /// Who may trace whom: nobody may not attach to a process of root's,
    /// root may, as natively (Linux's ptrace_may_access on the guest's
    /// identity).
    @Test(.enabled(if: getuid() == 0)) func nobodyMayNotTraceRoot() {
        let script = "sleep 5 & setpriv --reuid 65534 --regid 65534 --clear-groups \(Self.tracer) attach $!; \(Self.tracer) attach $!; kill $!"
        let native = run("/bin/sh", ["-c", script], env: baseEnvironment())
        let guest = run(Paths.picorun, ["/bin/sh", "-c", script], env: baseEnvironment())
        #expect(native.stdout == "attach: Operation not permitted\nattach: attached\n", "native:\n\(native)")
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
    }

    /// The tracer turns its tracee's getpid into an openat of a host path
    /// outside the rootfs: the call is still resolved in the rootfs, as in
    /// a real chroot (ENOENT), and the fixture's other checks match too, as
    /// root and as nobody.
    @Test(.enabled(if: TestRootfs.path != nil && getuid() == 0))
    func inTheRootfsAsInAChroot() throws {
        let root = try #require(TestRootfs.path)
        let inside = "/tmp/picorun-tracer-\(getpid())"
        try? FileManager.default.removeItem(atPath: root + inside)
        let copied = run("/bin/cp", [Self.tracer, root + inside], env: baseEnvironment())
        try #require(copied.status == 0, "\(copied)")
        defer { try? FileManager.default.removeItem(atPath: root + inside) }
        let hostOnly = Paths.repo.appendingPathComponent("Package.swift").path
        // nobody too: the distro's emulated identities decide who may
        // attach, read memory and take fds, where the host sees one uid.
        let (chroot, guest) = TestRootfs.againstChroot("\(inside) steer \(hostOnly); \(inside); su nobody -s /bin/sh -c \(inside); echo end")
        #expect(chroot.stdout.contains("steered call: No such file or directory") && chroot.stdout.hasSuffix("done\nend\n")
                && chroot.stdout.contains("pidfd_getfd: Operation not permitted"),
                "chroot run:\n\(chroot)")
        #expect(guest.stdout == chroot.stdout, "chroot:\n\(chroot)\npicorun:\n\(guest)")
    }

    /// A static program that opens, forks, execs, waits and signals.
    static let straceTarget: String = {
        let dir = scratchDir()
        chmod(dir, 0o755)
        let src = dir + "/target.c", out = dir + "/target"
        try? """
        #include <fcntl.h>
        #include <signal.h>
        #include <sys/wait.h>
        #include <unistd.h>
        int main(void) {
            int fd = open("/etc/hostname", O_RDONLY);
            char b[8]; read(fd, b, 1); close(fd);
            close(open("/nonexistent", O_RDONLY));
            pid_t p = fork();
            if (p == 0) { execl("/bin/true", "true", (char *)0); _exit(1); }
            int st; waitpid(p, &st, 0);
            signal(SIGUSR1, SIG_IGN); kill(getpid(), SIGUSR1);
            write(1, "ok\\n", 3);
            return 0;
        }
        """.write(toFile: src, atomically: true, encoding: .utf8)
        _ = run("/usr/bin/cc", ["-O1", "-static", "-o", out, src], env: baseEnvironment())
        return out
    }()

    static func strace() throws -> String {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "strace is not installed (scripts/test.sh installs it)")
        return "/usr/bin/strace"
    }

    /// strace -f prints the same calls and results (picorun's loader and
    /// stops invisible), as root and as nobody. Each process's calls go to
    /// a file of its own (-ff): on one stream, where a call is cut into
    /// "unfinished" and "resumed" follows who runs first after the fork,
    /// natively as much as under picorun.
    @Test(arguments: [false, true])
    func straceFollowsForks(asNobody: Bool) throws {
        try compareStraceFf([], asNobody: asNobody)
    }

    /// strace --seccomp-bpf: strace's own filter in the tracee returns
    /// SECCOMP_RET_TRACE for the traced calls, and strace checks the order
    /// of seccomp and syscall stops before it relies on them (it says so
    /// and falls back when they are not Linux's). picorun makes that
    /// filter's verdicts, for the calls it answers itself too.
    @Test(arguments: [false, true])
    func straceWithItsSeccompFilter(asNobody: Bool) throws {
        try compareStraceFf(["--seccomp-bpf"], asNobody: asNobody)
    }

    func compareStraceFf(_ flags: [String], asNobody: Bool) throws {
        let strace = try Self.strace()
        func traced(_ picorun: Bool) -> (Outcome, [String]) {
            let dir = scratchDir()
            chmod(dir, 0o777)
            var argv = [strace] + flags + ["-ff", "-qq", "-o", dir + "/t", "-e", "trace=openat,close,read,write,execve,wait4,kill,exit_group", Self.straceTarget]
            if picorun { argv.insert(Paths.picorun, at: 0) }
            if asNobody { argv = ["/usr/bin/setpriv"] + Self.nobody + argv }
            let outcome = run(argv[0], Array(argv.dropFirst()), env: baseEnvironment())
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("t.") }
            let traces = files.map { Self.normalised((try? String(contentsOfFile: dir + "/" + $0, encoding: .utf8)) ?? "") }
            return (outcome, traces.sorted())
        }
        let (native, nativeTraces) = traced(false)
        let (guest, guestTraces) = traced(true)
        #expect(native.stdout == "ok\n" && native.stderr.isEmpty && nativeTraces.count == 2 && nativeTraces.contains { $0.contains("execve(\"/bin/true\"") },
                "native:\n\(native)\n\(nativeTraces.joined(separator: "\n--\n"))")
        #expect(guestTraces == nativeTraces, "native:\n\(nativeTraces.joined(separator: "\n--\n"))\npicorun:\n\(guestTraces.joined(separator: "\n--\n"))\n\(guest)")
        #expect(guest.stdout == native.stdout && guest.status == native.status && guest.stderr == native.stderr, "native:\n\(native)\npicorun:\n\(guest)")
    }

    /// strace -c counts the same calls and errors; -e inject fails the
    /// second openat as asked.
    @Test func straceCountsAndInjects() throws {
        let strace = try Self.strace()
        let count = [strace, "-f", "-c", "-S", "name", "-U", "name,calls,errors", "-e", "trace=openat,close,read,write,wait4,execve", Self.straceTarget]
        let (n1, g1) = both(count)
        #expect(n1.stderr.contains("openat"), "native:\n\(n1)")
        #expect(Self.normalised(g1.stderr) == Self.normalised(n1.stderr), "native:\n\(n1)\npicorun:\n\(g1)")
        let inject = [strace, "-qq", "-e", "trace=openat", "-e", "inject=openat:error=EACCES:when=2", "/bin/cat", "/etc/hostname"]
        let (n2, g2) = both(inject)
        #expect(n2.stderr.contains("EACCES (Permission denied) (INJECTED)"), "native:\n\(n2)")
        #expect(Self.normalised(g2.stderr) == Self.normalised(n2.stderr) && g2.stdout == n2.stdout && g2.status == n2.status,
                "native:\n\(n2)\npicorun:\n\(g2)")
    }

    /// gdb -batch: a conditional breakpoint in a function called from two
    /// threads, run, bt, print a local, info threads, a hardware
    /// watchpoint, finish, continue to exit.
    @Test func gdbBatchSession() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb"), "gdb is not installed (scripts/test.sh installs it)")
        let dir = scratchDir()
        chmod(dir, 0o755)
        try """
        #include <pthread.h>
        #include <stdio.h>
        int counter;
        int square(int x) { int y = x * x; counter += y; return y; }
        static void *worker(void *arg) { (void)arg; for (int i = 0; i < 3; i++) square(i); return 0; }
        int main(void) {
            pthread_t t; pthread_create(&t, 0, worker, 0); pthread_join(t, 0);
            int total = square(7);
            printf("total %d counter %d\\n", total, counter);
            return 0;
        }
        """.write(toFile: dir + "/g.c", atomically: true, encoding: .utf8)
        let cc = run("/usr/bin/cc", ["-g", "-O0", "-pthread", "-o", dir + "/g", dir + "/g.c"], env: baseEnvironment())
        try #require(cc.status == 0, "\(cc)")
        try """
        set pagination off
        set confirm off
        break square if x == 7
        run
        bt
        print x
        info threads
        watch counter
        continue
        finish
        delete
        continue
        """.write(toFile: dir + "/g.gdb", atomically: true, encoding: .utf8)
        let (native, guest) = both(["/usr/bin/gdb", "-batch", "-nx", "-x", dir + "/g.gdb", dir + "/g"])
        #expect(native.stdout.contains("Hardware watchpoint 2: counter") && native.stdout.contains("exited normally"),
                "native:\n\(native)")
        #expect(Self.normalised(guest.stdout) == Self.normalised(native.stdout), "native:\n\(native)\npicorun:\n\(guest)")
    }
}
