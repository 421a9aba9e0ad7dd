import Foundation
import Glibc
import Testing

/// /proc magic links open what they name (Fixtures/elf/src/magiclinks.c for
/// every kind of object, Fixtures/scripts/magiclink-idioms.sh for the shell
/// idioms people type), compared with native runs on the host tree, in a
/// real chroot of the Debian rootfs, and in a distro; as root and as an
/// unprivileged user.
@Suite("Magic links reopen their object as on Linux")
struct MagicLinkTests {
    static let fixture = Paths.fixtures + "/magiclinks"
    static let idioms = Paths.repo.appendingPathComponent("Fixtures/scripts/magiclink-idioms.sh").path
    static let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    @Test func everyObjectKindOnTheHostTree() {
        let native = run(Self.fixture, [], env: baseEnvironment(), timeout: 60)
        let guest = run(Paths.picorun, [Self.fixture], env: baseEnvironment(), timeout: 60)
        #expect(native.status == 0 && native.stdout.contains("fexecve(memfd)"), "\(native)")
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
    }

    @Test(.enabled(if: getuid() == 0)) func everyObjectKindAsAnUnprivilegedUser() {
        let native = run(Self.nobody[0], Array(Self.nobody.dropFirst()) + [Self.fixture], env: baseEnvironment(), timeout: 60)
        let guest = run(Self.nobody[0], Array(Self.nobody.dropFirst()) + [Paths.picorun, Self.fixture],
                        env: baseEnvironment(), timeout: 60)
        #expect(native.stdout.contains("0444 file reopened O_WRONLY                  open EACCES"), "\(native)")
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
    }

    @Test func shellIdiomsOnTheHostTree() {
        let native = run("/bin/bash", [Self.idioms], env: baseEnvironment(), timeout: 60)
        let guest = run(Paths.picorun, ["/bin/bash", Self.idioms], env: baseEnvironment(), timeout: 60)
        #expect(native.stdout.hasPrefix("procsub\n"), "\(native)")
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
    }

    @Test(.enabled(if: TestRootfs.path != nil && getuid() == 0)) func inTheRootfsAsInAChroot() throws {
        let root = TestRootfs.path!
        _ = run("/bin/cp", [Self.fixture, root + "/tmp/magiclinks"], env: baseEnvironment())
        _ = run("/bin/cp", [Self.idioms, root + "/tmp/magiclink-idioms.sh"], env: baseEnvironment())
        defer { unlink(root + "/tmp/magiclinks"); unlink(root + "/tmp/magiclink-idioms.sh") }
        for script in ["/tmp/magiclinks", "bash /tmp/magiclink-idioms.sh",
                       "su nobody -s /bin/sh -c /tmp/magiclinks"] {
            let chrooted = TestRootfs.chroot(script, in: root)
            let guest = run(Paths.picorun, ["--rootfs", root, "/bin/sh", "-c", script], env: TestRootfs.guestEnvironment())
            #expect(chrooted.status == 0 && !chrooted.stdout.isEmpty, "\(script): \(chrooted)")
            #expect(guest == chrooted, "\(script)\nchroot:\n\(chrooted)\npicorun:\n\(guest)")
        }
    }

    /// A distro made of the static fixture alone: the sidecar judges the
    /// files (a deleted file is still its guest owner's), the host the rest.
    @Test func inADistro() throws {
        let home = DistroHome()
        let dir = scratchDir()
        let tree = dir + "/tree"
        for d in ["tmp", "etc", "proc", "dev", "sys"] {
            try FileManager.default.createDirectory(atPath: tree + "/" + d, withIntermediateDirectories: true)
        }
        chmod(tree + "/tmp", 0o1777)
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n".write(toFile: tree + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\n".write(toFile: tree + "/etc/group", atomically: true, encoding: .utf8)
        _ = run("/bin/cp", [Self.fixture, tree + "/magiclinks"], env: baseEnvironment())
        let tar = run("/bin/tar", ["-C", tree, "-cf", dir + "/tiny.tar", "."], env: baseEnvironment())
        #expect(tar.status == 0, "\(tar)")
        let imported = home.picorun(["import", "tiny", dir + "/tiny.tar"])
        #expect(imported.status == 0, "\(imported)")

        let native = run(Self.fixture, [], env: baseEnvironment(), timeout: 60)
        let guest = home.picorun(["-d", "tiny", "/magiclinks"], timeout: 60)
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
        if getuid() == 0 {
            let nativeNobody = run(Self.nobody[0], Array(Self.nobody.dropFirst()) + [Self.fixture], env: baseEnvironment(), timeout: 60)
            let guestNobody = home.picorun(["-d", "tiny", "-u", "nobody", "/magiclinks"], timeout: 60)
            #expect(guestNobody == nativeNobody, "native:\n\(nativeNobody)\npicorun:\n\(guestNobody)")
        }
    }

    /// A host file outside the rootfs that the guest inherited: reopened
    /// through /proc/self/fd as the guest's own identity may, never with
    /// picorun's rights (picorun as root, the guest as nobody).
    @Test(.enabled(if: TestRootfs.path != nil && getuid() == 0)) func anInheritedHostFileReopensAsTheGuestMay() throws {
        let dir = scratchDir()
        chmod(dir, 0o755)
        let file = dir + "/hosts-own"
        try "HOST-FILE\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        let inner = "cat /proc/self/fd/7; (echo x > /proc/self/fd/7) 2>/dev/null && echo WROTE || echo refused"
        let r = run("/bin/sh", ["-c", "exec 7<'\(file)'; exec '\(Paths.picorun)' --rootfs '\(TestRootfs.path!)' -u nobody /bin/sh -c '\(inner)'"],
                    env: TestRootfs.guestEnvironment())
        #expect(r.stdout == "HOST-FILE\nrefused\n", "\(r)")
        #expect((try? String(contentsOfFile: file, encoding: .utf8)) == "HOST-FILE\n")
    }

    /// What the guest does not hold stays out of reach through /proc: the
    /// supervisor's own entries (its memory above all), and on the host
    /// tree the fds of another user's process.
    @Test func theSupervisorsProcIsOutOfReach() {
        let probe = """
            p=$PPID
            for f in mem environ maps fd/0 fd/1 fd/3 exe cwd root auxv task/$p/mem; do
              if cat /proc/$p/$f > /dev/null 2>&1 || ls /proc/$p/$f > /dev/null 2>&1; then echo "LEAK /proc/PICORUN/$f"; fi
            done
            (exec 5<>/proc/$p/mem) 2>/dev/null && echo "LEAK /proc/PICORUN/mem opened O_RDWR"
            echo probed
            """
        let r = run(Paths.picorun, ["/bin/bash", "-c", probe], env: baseEnvironment(), timeout: 60)
        #expect(r.status == 0 && r.stdout.contains("probed\n"), "\(r)")
        #expect(!r.stdout.contains("LEAK"), "\(r)")
    }

    @Test(.enabled(if: getuid() == 0)) func anotherUsersProcessIsOutOfReachOfADroppedGuest() {
        // A host process of uid 1234 holding a file of its own open as fd 0.
        let dir = scratchDir()
        chmod(dir, 0o755)
        let secret = dir + "/theirs"
        FileManager.default.createFile(atPath: secret, contents: Data("THEIRS\n".utf8))
        chown(secret, 1234, 1234)
        chmod(secret, 0o600)
        let probe = """
            setpriv --reuid=1234 --regid=1234 --clear-groups sleep 60 < '\(secret)' &
            s=$!; sleep 0.3
            for who in native picorun; do
              if [ $who = native ]; then run=; else run='\(Paths.picorun)'; fi
              W=$who S=$s $run /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups /bin/sh -c '
                cat /proc/$S/fd/0 2>/dev/null || echo "$W: fd/0 denied"
                readlink /proc/$S/fd/0 >/dev/null 2>&1 || echo "$W: readlink denied"
                ls /proc/$S/fd >/dev/null 2>&1 || echo "$W: listing denied"
                cat /proc/$S/exe >/dev/null 2>&1 || echo "$W: exe denied"'
            done
            kill $s
            """
        let out = run("/bin/sh", ["-c", probe], env: baseEnvironment(), timeout: 60)
        #expect(!out.stdout.contains("THEIRS"), "\(out)")
        for what in ["fd/0 denied", "readlink denied", "listing denied", "exe denied"] {
            #expect(out.stdout.contains("native: \(what)") && out.stdout.contains("picorun: \(what)"), "\(what)\n\(out)")
        }
    }
}
