import Foundation
import Glibc
import Testing

/// apt-get in a distro that belongs to an ordinary host user: every owner,
/// mode and `_apt` directory dpkg and apt set lives in the VolFS sidecar.
/// Needs root (to make the copy and drop to the unprivileged user) and
/// Debian's archive over the network.
@Suite("apt-get works in a distro owned by an unprivileged host user",
       .enabled(if: TestRootfs.path != nil && getuid() == 0))
struct AptTests {
    @Test func installHelloAndCowsay() throws {
        let base = scratchDir()
        defer { _ = run("/bin/rm", ["-rf", base], env: baseEnvironment()) }
        chmod(base, 0o755)
        let root = base + "/rootfs"
        // Without the rootfs's /tmp, where other tests write meanwhile (a
        // file that vanishes under cp or tar fails the copy).
        let copy = run("/bin/sh", ["-c", "mkdir \"$2\" && tar -C \"$1\" --exclude=./tmp/* -cf - . | tar -C \"$2\" -xpf -", "sh", TestRootfs.path!, root],
                       env: baseEnvironment(), timeout: 300)
        #expect(copy.status == 0, "\(copy)")
        let nobody = "65534"
        for step in [["/bin/chown", "-R", "\(nobody):\(nobody)", root], ["/bin/mkdir", base + "/home"],
                     ["/bin/chown", nobody, base + "/home"], ["/bin/cp", Paths.picorun, base + "/picorun"],
                     ["/bin/chmod", "755", base + "/picorun"], ["/bin/mkdir", base + "/work"],
                     ["/bin/chown", nobody, base + "/work"]] {
            let r = run(step[0], Array(step.dropFirst()), env: baseEnvironment())
            #expect(r.status == 0, "\(step): \(r)")
        }
        let script = """
            set -e
            apt-get update -q >/dev/null
            apt-get install -y -q hello cowsay >/dev/null
            hello
            /usr/games/cowsay -f tux ok | tail -1
            dpkg --verify
            echo verify-clean
            stat -c '%U %a %n' /var/cache/apt/archives/partial /var/lib/apt/lists/partial
            # Tools in a DrvFS folder, as WSL users use them on /mnt/c.
            apt-get install -y -q git make rsync >/dev/null
            cd /mnt/work
            git init -q repo && cd repo && git config user.email t@e && git config user.name t
            echo x > f && git add f && git commit -qm first && echo y >> f && git status --short && cd ..
            printf 'all:\n\techo made > out\n' > Makefile && make -s && cat out
            cp -a /etc/apt aptcopy && echo cp-a-ok
            rsync -a /etc/apt/ rsynced/ && echo rsync-ok
            # Debuggers from the distro's own packages trace its programs.
            apt-get install -y -q strace gdb >/dev/null
            strace -f -qq -e trace=execve,exit_group /bin/sh -c '/bin/true; exit 3' 2>&1 | grep -v '^--- SIG' | sed -e 's/^\\[pid *[0-9]*\\] //' -e 's/0x[0-9a-f]* .. [0-9]* vars ../ENV/' -e 's/  */ /g'
            printf 'set breakpoint pending on\\nbreak exit\\nrun\\ncontinue\\n' > gdb.cmds
            gdb -batch -nx -x gdb.cmds --args /bin/true 2>&1 | grep -e 'Breakpoint 1, ' -e 'exited normally' | sed 's/Breakpoint 1, .*exit.*/Breakpoint 1 in exit/; s/process [0-9]*/process N/'
            """
        var env = TestRootfs.guestEnvironment(["DEBIAN_FRONTEND": "noninteractive"])
        env["HOME"] = base + "/home"
        let r = run("/usr/bin/setpriv", ["--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups",
                                         base + "/picorun", "--rootfs", root, "--mount", base + "/work:/mnt/work",
                                         "/bin/sh", "-c", script],
                    env: env, timeout: 900)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("Hello, world!\n"), "\(r)")
        #expect(r.stdout.contains("verify-clean\n"), "\(r)")
        #expect(r.stdout.contains("_apt 700 /var/cache/apt/archives/partial\n"), "\(r)")
        #expect(r.stdout.contains(" M f\nmade\ncp-a-ok\nrsync-ok\n"), "\(r)")
        #expect(r.stdout.hasSuffix("""
            rsync-ok
            execve("/bin/sh", ["/bin/sh", "-c", "/bin/true; exit 3"], ENV) = 0
            execve("/bin/true", ["/bin/true"], ENV) = 0
            exit_group(0) = ?
            exit_group(3) = ?
            Breakpoint 1 in exit
            [Inferior 1 (process N) exited normally]

            """), "\(r)")
        // No spurious complaints from the fixed modes (chown, chmod, utimes in cp -a and rsync -a).
        for tool in ["cp:", "rsync:", "rsync error", "fatal:", "make:", "git:"] {
            #expect(!r.stderr.contains(tool), "\(tool) complained:\n\(r.stderr)")
        }
        // On the host, what the guest made there is the host user's, with the guest's umask applied.
        for (path, mode) in [("/work/out", 0o644), ("/work/repo/f", 0o644), ("/work/aptcopy", nil)] {
            var st = stat()
            #expect(stat(base + path, &st) == 0 && st.st_uid == 65534 && (mode == nil || Int(st.st_mode & 0o7777) == mode),
                    "\(path): uid \(st.st_uid) mode \(String(st.st_mode & 0o7777, radix: 8))")
        }
    }
}
