import Foundation
import Glibc
import Testing

/// The supervisor's caches (resolved directories, sidecar rows) must never
/// show what is no longer there: every change below comes from another
/// guest process than the lookups around it (each command is a process of
/// its own, answered by the same supervisor threads and caches), and the
/// output must be a real chroot's.
let cacheCommands: [RootfsCommand] = ([
    // A directory renamed under a cached path, a new one in its place, rmdir, and the old name again.
    "cd /tmp && rm -rf dc && mkdir -p dc/a/b && printf 1 > dc/a/b/f && stat -c %s dc/a/b/f /tmp/dc/a/b/f && mv dc/a dc/z && stat -c %s dc/a/b/f; stat -c %s dc/z/b/f && mkdir -p dc/a/b && printf 12 > dc/a/b/f && stat -c %s dc/a/b/f /tmp/dc/a/b/f; rm dc/z/b/f && rmdir dc/z/b && stat -c %s dc/z/b/f; cat dc/z/b/f; mkdir dc/z/b && printf 123 > dc/z/b/f && cat dc/z/b/f && echo && rm -rf dc && echo end",
    // Symlinks swapped under a path that crosses them; a symlink put where a directory was.
    "cd /tmp && rm -rf ds && mkdir -p ds/x/d ds/y/d && printf x > ds/x/d/f && printf yy > ds/y/d/f && ln -s x ds/l && stat -c %s ds/l/d/f && rm ds/l && ln -s y ds/l && stat -c %s ds/l/d/f && ln -sfn x ds/l && stat -c %s ds/l/d/f && mv ds/x ds/x2 && ln -s y ds/x && stat -c %s ds/x/d/f ds/l/d/f && rm -rf ds && echo end",
    // Directories exchanged in one call (renameat2 RENAME_EXCHANGE).
    "cd /tmp && rm -rf dx && mkdir -p dx/p/q dx/r/q && printf p > dx/p/q/f && printf rr > dx/r/q/f && stat -c %s dx/p/q/f && perl -e 'my ($a, $b) = (\"dx/p\", \"dx/r\"); syscall(316, -100, $a, -100, $b, 2) == 0 or die \"renameat2: $!\"' && stat -c %s dx/p/q/f dx/r/q/f && rm -rf dx && echo end",
    // Search permission taken away from a cached directory, by mode and by owner, and given back.
    "rm -rf /tmp/pc && mkdir -p /tmp/pc/d && echo x > /tmp/pc/d/f && chmod 755 /tmp/pc /tmp/pc/d && su nobody -s /bin/sh -c 'cat /tmp/pc/d/f; cd /tmp/pc && cat d/f' 2>&1; chmod 700 /tmp/pc && su nobody -s /bin/sh -c 'cat /tmp/pc/d/f; stat -c %s /tmp/pc/d/f' 2>&1; chmod 755 /tmp/pc && chown 5 /tmp/pc/d && chmod 700 /tmp/pc/d && su nobody -s /bin/sh -c 'cat /tmp/pc/d/f' 2>&1; chown nobody /tmp/pc/d && su nobody -s /bin/sh -c 'cat /tmp/pc/d/f' 2>&1 && rm -rf /tmp/pc && echo end",
    // A chroot under a cached directory: its absolute names start at its root.
    "rm -rf /tmp/cc && mkdir -p /tmp/cc/bin /tmp/cc/lib/x86_64-linux-gnu /tmp/cc/lib64 /tmp/cc/tmp/cc && cp /bin/dash /tmp/cc/bin/sh && cp /lib/x86_64-linux-gnu/libc.so.6 /tmp/cc/lib/x86_64-linux-gnu/ && cp /lib64/ld-linux-x86-64.so.2 /tmp/cc/lib64/ && echo outer > /tmp/cc/x && echo inner > /tmp/cc/tmp/cc/x && cat /tmp/cc/x /tmp/cc/tmp/cc/x && chroot /tmp/cc /bin/sh -c 'read a < /x; echo $a; read b < /tmp/cc/x; echo $b; cd /tmp/cc && read c < x; echo $c' && rm -rf /tmp/cc && echo end",
] as [String]).map { RootfsCommand(script: $0) }

@Suite(.enabled(if: TestRootfs.path != nil && getuid() == 0), .serialized)
struct DirectoryCacheTests {
    @Test(arguments: cacheCommands)
    func changesByOtherGuestsAsInAChroot(_ c: RootfsCommand) {
        let (chrooted, picorun) = TestRootfs.againstChroot(c.script)
        // Each command ends with "end" only if its changes were all made.
        #expect(chrooted.stdout.hasSuffix("end\n"), "the chroot run itself failed: \(chrooted)")
        #expect(picorun == chrooted, "chroot:\n\(chrooted)\npicorun:\n\(picorun)")
    }

    /// A rename made over the session's own 9P server while a guest has the
    /// directory cached, and one made by a second session of the same
    /// rootfs (another picorun process): the guest's next lookup sees both.
    @Test func changesOverNinePAndFromAnotherSession() {
        let port = Int.random(in: 20000..<60000)
        let script = """
            R="$ROOTFS"; rm -rf "$R/tmp/c9" && mkdir -p "$R/tmp/c9/a/b" && printf 1 > "$R/tmp/c9/a/b/f"
            "$PICORUN" --rootfs "$R" --9p tcp:127.0.0.1:$PORT /bin/sh -c '
              stat -c %s /tmp/c9/a/b/f; touch /tmp/c9/ready1
              while [ ! -e /tmp/c9/go1 ]; do sleep 0.05; done
              stat -c %s /tmp/c9/a/b/f /tmp/c9/z/b/f; touch /tmp/c9/ready2
              while [ ! -e /tmp/c9/go2 ]; do sleep 0.05; done
              stat -c %s /tmp/c9/z/b/f /tmp/c9/y/b/f' 2>&1 & session=$!
            wait_for() { for i in $(seq 1200); do [ -e "$R/tmp/c9/$1" ] && return 0; sleep 0.05; done; return 1; }
            wait_for ready1 || echo "no ready1"
            /usr/bin/python3 "$FIX/rename9p.py" 127.0.0.1 $PORT /tmp/c9/a /tmp/c9/z
            touch "$R/tmp/c9/go1"
            wait_for ready2 || echo "no ready2"
            "$PICORUN" --rootfs "$R" /bin/mv /tmp/c9/z /tmp/c9/y
            touch "$R/tmp/c9/go2"
            wait $session; echo "session $?"; rm -rf "$R/tmp/c9"
            """
        let r = run("/bin/bash", ["-c", script], env: baseEnvironment(["PICORUN": Paths.picorun, "ROOTFS": TestRootfs.path!, "PORT": "\(port)",
                                                                    "FIX": NineP.fixtures]), timeout: 120)
        let expected = """
            1
            renamed
            stat: cannot statx '/tmp/c9/a/b/f': No such file or directory
            1
            stat: cannot statx '/tmp/c9/z/b/f': No such file or directory
            1
            session 1

            """
        #expect(r.stdout == expected, "\(r)")
    }
}
