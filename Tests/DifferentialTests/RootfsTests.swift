import Foundation
import Glibc
import Testing

/// The Debian bookworm minbase rootfs built by scripts/make-test-rootfs.sh.
enum TestRootfs {
    static let path: String? = {
        let env = ProcessInfo.processInfo.environment
        let dir = env["PICORUN_TEST_ROOTFS"]
            ?? (env["XDG_CACHE_HOME"] ?? (env["HOME"] ?? "/root") + "/.cache") + "/picorun-test/bookworm-minbase"
        return FileManager.default.fileExists(atPath: dir + "/.picorun-complete") ? dir : nil
    }()

    /// The same command in a real chroot with /proc, /dev and /sys bound in,
    /// in a private mount namespace (needs root, as CI has).
    static func chroot(_ script: String, in root: String) -> Outcome {
        let setup = """
        mount --bind /proc "$R/proc" && mount --rbind /dev "$R/dev" && mount --bind /sys "$R/sys" && \
        exec chroot "$R" /bin/sh -c "$S"
        """
        return run("/usr/bin/unshare", ["-m", "/bin/sh", "-c", setup],
                   env: guestEnvironment(["R": root, "S": script]))
    }

    /// `script` in a real chroot of the test rootfs and under picorun --rootfs.
    static func againstChroot(_ script: String) -> (chroot: Outcome, picorun: Outcome) {
        let root = path!
        return (chroot(script, in: root), run(Paths.picorun, ["--rootfs", root, "/bin/sh", "-c", script], env: guestEnvironment()))
    }

    static func guestEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C"]
        env.merge(extra) { _, new in new }
        return env
    }
}

struct RootfsCommand: CustomTestStringConvertible, Sendable {
    let script: String
    var testDescription: String { script }
}

let rootfsCommands: [RootfsCommand] = ([
    "echo hello | tr a-z A-Z; (cd /etc && echo $(pwd)); x=$(ls / | wc -l); echo entries=$x",
    // Columns are squeezed: ls pads them to the widest entry, and /proc's
    // link count (the host's, under picorun) is left out but still counts.
    "ls -la / | grep -v -e ' proc$' -e ' sys$' -e ' dev$' | tr -s ' '",
    "find /etc -type f | sort | head -20",
    "grep -r root /etc/passwd /etc/group | sort",
    "grep -rc -e root -e pam /etc/default /etc/security /etc/pam.d | sort",
    "bash -c 'for i in 1 2 3; do echo $i; done | (while read n; do echo n=$n; done) | tac; f() { echo in-$1; }; (f sub); echo \"$(echo nested $(echo deep))\"; echo ${BASH_VERSINFO[0]}'",
    "cd /tmp; exec 3</etc/passwd; readlink /proc/self/cwd /proc/self/root /proc/self/fd/3 /proc/$$/cwd; sleep 3 & sleep 0.5; readlink /proc/$!/cwd /proc/$!/exe; kill $!; wait",
    "sed -n '1,3p' /etc/passwd | awk -F: '{print $1, $3, $7}'",
    "cd /tmp && mkdir -p t/a && echo data > t/a/f && tar czf t.tgz t && rm -r t && tar xzf t.tgz && cat t/a/f && rm -r t t.tgz",
    "printf 'b\\na\\nc\\n' | sort -r; echo hello | gzip | gzip -d",
    "perl -e 'print join(\",\", map { $_ * 2 } 1..5), \"\\n\"'",
    "dpkg -l | wc -l",
    "cat /proc/self/status | head -1",
    "readlink /proc/self/exe",
    "cd /bin && pwd && /bin/pwd && cd .. && pwd",
    "cd / && cd .. && cd .. && pwd && ls -d ../../etc",
    "ln -s /etc /tmp/picorun-abs-link && ls /tmp/picorun-abs-link/hostname && readlink /tmp/picorun-abs-link; rm /tmp/picorun-abs-link",
    "test -x /usr/bin/perl && echo perl-executable; [ -d /root ] && echo root-dir",
    // Owners, modes and identities (VolFS and guest credentials).
    "cd /tmp && rm -f f && touch f && chown 123:456 f && stat -c '%u:%g %a' f && chmod 4755 f && stat -c '%A %U' f && chown 7 f && stat -c '%A %u' f; rm -f f",
    "ls -l /usr/bin/passwd /etc/shadow | cut -d' ' -f1,3,4",
    "cd /tmp && rm -f c && touch c && a=$(stat -c %z c) && sleep 0.05 && chown 9 c && b=$(stat -c %z c) && [ \"$a\" != \"$b\" ] && echo chown moves ctime; rm -f c",
    // File names that are not UTF-8 (and ones holding U+F780..U+F7FF) keep their bytes; tar extracts symlinks (O_PATH of a link).
    "cd /tmp && rm -rf lat && mkdir lat && cd lat && touch \"$(printf 'caf\\351')\" \"$(printf '\\357\\236\\200x')\" \"$(printf 'ok\\303\\251')\" && ls | od -c | head -3 && for f in *; do [ -e \"$f\" ] && echo exists; done; ln -s \"$(printf 't\\377')\" l && readlink l | od -c | head -2; mkdir \"$(printf 'd\\377')\" && cd \"$(printf 'd\\377')\" && pwd | od -c | head -2; cd /tmp && tar cf lat.tar lat && rm -rf lat && tar xf lat.tar && echo extracted $? && ls lat | od -c | head -3; rm -rf lat lat.tar",
    // Access ACLs set modes (cp -a copies a directory's mode as one).
    "mkdir -p /tmp/cpa/d && echo x > /tmp/cpa/d/f && echo y > /tmp/cpa/g && chmod 640 /tmp/cpa/g && chmod 751 /tmp/cpa/d && chown -R 5:6 /tmp/cpa && cp -a /tmp/cpa /tmp/cpb && stat -c '%n %u %g %a' /tmp/cpb /tmp/cpb/d /tmp/cpb/d/f /tmp/cpb/g; rm -rf /tmp/cpa /tmp/cpb",
    "touch /tmp/a && chmod 600 /tmp/a && chown 3:3 /tmp/a && for v in '1 7 0 0 4 5 0 0 32 4 0 0' '1 7 0 0' '32 4 0 0 1 7 0 0 4 5 0 0' '1 6 0 0 2 7 5 0 4 4 0 0 16 5 0 0 32 0 0 0' '1 6 0 0 2 7 5 0 4 4 0 0 32 0 0 0'; do perl -e 'my ($p, $n) = (\"/tmp/a\", \"system.posix_acl_access\"); my $v = pack(\"V\", 2) . pack(\"v*\", split / /, $ARGV[0]); print syscall(188, $p, $n, $v, length($v), 0) == 0 ? \"set \" : \"$! \"' \"$v\"; stat -c %a /tmp/a; done; rm /tmp/a",
    // chroot(2): a process of its own root, then a nested one; cwd left outside it; not for nobody.
    "rm -rf /tmp/nr && mkdir -p /tmp/nr/bin /tmp/nr/lib/x86_64-linux-gnu /tmp/nr/lib64 /tmp/nr/d && cp /bin/dash /tmp/nr/bin/sh && cp /lib/x86_64-linux-gnu/libc.so.6 /tmp/nr/lib/x86_64-linux-gnu/ && cp /lib64/ld-linux-x86-64.so.2 /tmp/nr/lib64/ && echo hi > /tmp/nr/d/f && ln -s /d/f /tmp/nr/abs && chroot /tmp/nr /bin/sh -c 'cd /d; pwd; cd ../../..; pwd; echo *; read x < /d/f; echo $x; read y < /abs; echo $y; test -e /etc/passwd || echo no-passwd; echo /proc/*'; echo status $?; rm -rf /tmp/nr",
    "cd /tmp && rm -rf /tmp/pr && mkdir -p /tmp/pr/d && echo x > /tmp/pr/d/f && perl -e 'sub cwd { my $b = \"\\0\" x 256; syscall(79, $b, 256); $b =~ s/\\0.*//s; $b =~ /^\\(unreachable\\)/ ? \"unreachable\" : $b } $pid = fork; if (!$pid) { chroot \"/tmp/pr\" or die; sleep 2; exit 0 } select undef, undef, undef, 0.5; print \"child root: \", readlink(\"/proc/$pid/root\"), \"\\n\"; kill 9, $pid; waitpid $pid, 0; chroot \"/tmp/pr\" or die \"chroot: $!\"; print \"cwd: \", cwd(), \"\\n\"; print -e \"/d/f\" ? \"in\\n\" : \"out\\n\", -e \"/etc/passwd\" ? \"sees etc\\n\" : \"no etc\\n\"; chdir \"..\" for 1..5; print -e \"etc/passwd\" ? \"cwd climbs to the top\\n\" : \"stuck\\n\"; chdir \"/\"; chdir \"..\"; print cwd(), -e \"d/f\" ? \" stays\\n\" : \" left\\n\"; print chroot(\"d\") ? \"nested\\n\" : \"$!\\n\", -e \"/f\" ? \"now /f\\n\" : \"no /f\\n\", chroot(\"/none\") ? \"\" : \"$!\\n\", chroot(\"/f\") ? \"\" : \"$!\\n\"'; rm -rf /tmp/pr",
    "su nobody -s /bin/sh -c 'perl -e \"chroot q(/tmp) or print qq(\\$!\\n)\"'",
    // A signal's si_uid and a SIGCHLD's are the sender's guest uid (the kernel writes the host's).
    #"su nobody -s /bin/sh -c 'perl -MPOSIX -e '\''sub h { my ($s, $i) = @_; print "$s uid $i->{uid} code $i->{code}\n" } for (SIGUSR1, SIGCHLD) { sigaction($_, POSIX::SigAction->new("main::h", POSIX::SigSet->new, SA_SIGINFO)) } kill "USR1", $$; if (!fork) { exit 3 } sleep 1; wait'\'''"#,
    // A FIFO made with no permission bits, then chmod'ed through O_PATH (mknod -m): no open of it.
    "cd /tmp && rm -f f1 && (umask 777; mknod -m 734 f1 p) && ls -l f1 | cut -c1-10 && rm f1",
    // The names unix sockets were bound by, as getsockname and getpeername give them.
    "cd /tmp && perl -MSocket -e 'for $p (\"/tmp/n.sock\", \"r.sock\") { unlink $p; socket(S, AF_UNIX, SOCK_STREAM, 0); bind(S, pack_sockaddr_un($p)) or die \"bind: $!\"; listen(S, 1); socket(C, AF_UNIX, SOCK_STREAM, 0); connect(C, pack_sockaddr_un($p)) or die \"connect: $!\"; print unpack_sockaddr_un(getsockname(S)), \" \", unpack_sockaddr_un(getpeername(C)), \"\\n\"; unlink $p }'",
    "su nobody -s /bin/sh -c 'id; id -u; cat /etc/shadow; echo x > /root/f; ls /root' 2>&1",
    "touch /tmp/rootfile && su nobody -s /bin/sh -c 'rm -f /tmp/rootfile; echo mine > /tmp/nobodyfile; stat -c %U:%G /tmp/nobodyfile' 2>&1; rm -f /tmp/rootfile /tmp/nobodyfile",
    "mknod /tmp/nul c 1 3 && mkfifo /tmp/fifo && ls -l /tmp/nul /tmp/fifo | cut -d' ' -f1,5,6 && rm /tmp/nul /tmp/fifo",
    "mkdir -p /tmp/sg && chown :50 /tmp/sg && chmod 2775 /tmp/sg && touch /tmp/sg/f && mkdir /tmp/sg/d && stat -c '%n %g %a' /tmp/sg/f /tmp/sg/d; rm -r /tmp/sg",
    "cd /tmp && touch a.new && echo old > b && mv -f a.new b && stat -c %s b && mkdir -p dd && mv b dd && ls dd; rm -r dd",
    "touch /tmp/m && chmod 000 /tmp/m && stat -c %a /tmp/m && echo root-writes >> /tmp/m && cat /tmp/m; rm -f /tmp/m",
] as [String]).map { RootfsCommand(script: $0) }

@Suite("A Debian rootfs behaves as in a real chroot", .enabled(if: TestRootfs.path != nil && getuid() == 0))
struct RootfsTests {
    @Test(arguments: rootfsCommands)
    func sameAsChroot(_ c: RootfsCommand) {
        let (chrooted, picorun) = TestRootfs.againstChroot(c.script)
        #expect(picorun == chrooted, "chroot:\n\(chrooted)\npicorun:\n\(picorun)")
    }

    /// Dynamic programs load the rootfs's own ld.so and libc, not the host's;
    /// /proc/self/maps names them by guest path.
    @Test func librariesComeFromTheRootfs() {
        let root = TestRootfs.path!
        let r = run(Paths.picorun, ["--rootfs", root, "/bin/sh", "-c", "grep -E 'ld-linux|libc.so' /proc/self/maps | awk '{print $5, $6}' | sort -u"],
                    env: TestRootfs.guestEnvironment())
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        for l in lines {
            let f = l.split(separator: " ")
            guard f.count == 2 else { Issue.record("\(l)"); continue }
            #expect(!f[1].hasPrefix(root), "\(l): a host path")
            var st = stat()
            // The inode the kernel mapped is the rootfs's file of that guest path.
            #expect(stat(root + f[1], &st) == 0 && "\(st.st_ino)" == f[0], "\(l) is not the rootfs's \(f[1])")
        }
    }

    /// Owners set in one session are there in the next (the sidecar).
    @Test func ownersSurviveANewSession() {
        let root = TestRootfs.path!
        let env = TestRootfs.guestEnvironment()
        let first = run(Paths.picorun, ["--rootfs", root, "/bin/sh", "-c", "rm -f /tmp/persist; touch /tmp/persist && chown 123:456 /tmp/persist"], env: env)
        #expect(first.status == 0, "\(first)")
        let second = run(Paths.picorun, ["--rootfs", root, "/usr/bin/stat", "-c", "%u:%g", "/tmp/persist"], env: env)
        #expect(second.stdout == "123:456\n", "\(second)")
        _ = run(Paths.picorun, ["--rootfs", root, "/bin/rm", "-f", "/tmp/persist"], env: env)
    }

    /// picorun -u USER runs the guest as that user of the distro.
    @Test func userOptionRunsAsThatUser() {
        let root = TestRootfs.path!
        let r = run(Paths.picorun, ["--rootfs", root, "-u", "nobody", "/bin/sh", "-c", "id; cat /etc/shadow"], env: TestRootfs.guestEnvironment())
        #expect(r.stdout == "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n", "\(r)")
        #expect(r.stderr.contains("Permission denied"), "\(r)")
        #expect(r.status == 1)
    }

    /// /etc/hosts and /etc/resolv.conf are the host's, regenerated at start as WSL does.
    @Test func networkFilesComeFromTheHost() throws {
        let root = TestRootfs.path!
        for name in ["hosts", "resolv.conf"] {
            let host = try String(contentsOfFile: "/etc/" + name, encoding: .utf8)
            let r = run(Paths.picorun, ["--rootfs", root, "/bin/cat", "/etc/" + name], env: TestRootfs.guestEnvironment())
            #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
            #expect(r.stdout.hasPrefix("# Generated by picorun"), "\(r.stdout)")
            #expect(r.stdout.hasSuffix(host), "\(r.stdout)")
        }
    }
}

/// CI builds the rootfs; there the distro suite must not be silently skipped.
@Test("The test rootfs exists when CI runs", .enabled(if: ProcessInfo.processInfo.environment["CI"] == "true"))
func rootfsPresentInCI() {
    #expect(TestRootfs.path != nil, "scripts/make-test-rootfs.sh did not run")
}
