import Foundation
import Glibc
import Testing

/// A root guest drops to nobody as daemons do and tries what Linux refuses
/// or allows by its new identity (Fixtures/elf/src/dropped.c): under
/// picorun as host root the answers and the owners of what it creates are
/// the native ones, on the host tree and in the Debian rootfs.
@Suite("A guest that drops privileges gets what Linux gives it", .enabled(if: getuid() == 0))
struct DroppedIdentityTests {
    static let fixture = Paths.fixtures + "/dropped"

    /// A fresh layout (made natively, as root) in a folder nobody may search.
    static func layout() -> String {
        let base = scratchDir()
        chmod(base, 0o755)
        let dir = base + "/t"
        let r = run(fixture, ["--setup", dir], env: baseEnvironment())
        #expect(r.status == 0, "\(r)")
        return dir
    }

    @Test func onTheHostTree() {
        let native = run(Self.fixture, [Self.layout()], env: baseEnvironment(), timeout: 60)
        let guest = run(Paths.picorun, [Self.fixture, Self.layout()], env: baseEnvironment(), timeout: 60)
        #expect(native.stdout.contains("open /etc/shadow                         EACCES"), "\(native)")
        #expect(native.stdout.contains("exec /bin/true                           status 0"), "\(native)")
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
    }

    /// The same through setpriv, on the host tree.
    @Test func setprivOnTheHostTree() {
        let dir = Self.layout()
        let script = "read l < /etc/shadow && echo read-shadow; cat '\(dir)/private/secret'; true > '\(dir)/public/x'; id -u; /bin/true && echo exec-ok"
        let args = ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", script]
        let native = run("/usr/bin/setpriv", args, env: baseEnvironment())
        let guest = run(Paths.picorun, ["/usr/bin/setpriv"] + args, env: baseEnvironment())
        #expect(native.stdout == "65534\nexec-ok\n", "\(native)")
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
    }

    /// Root that gave up its capabilities (an empty bounding set, then
    /// exec) is refused what a mode denies, as natively: picorun lends it
    /// none of its own.
    @Test func rootWithoutCapabilitiesOnTheHostTree() {
        let dir = Self.layout()
        let theirs = dir + "/public/nobodys"
        #expect(FileManager.default.createFile(atPath: theirs, contents: Data("theirs\n".utf8)))
        chown(theirs, 65534, 65534)
        chmod(theirs, 0o600)
        let script = "cat '\(theirs)'; echo x >> '\(dir)/public/ro' && echo wrote; chown 65534 '\(dir)/public/rootfile' && echo chowned; "
            + "chmod 644 '\(theirs)' && echo chmodded; cat '\(dir)/private/secret'; grep CapEff /proc/self/status; id -u"
        let args = ["--bounding-set=-all", "--inh-caps=-all", "/bin/sh", "-c", script]
        let native = run("/usr/bin/setpriv", args, env: baseEnvironment())
        let guest = run(Paths.picorun, ["/usr/bin/setpriv"] + args, env: baseEnvironment())
        #expect(native.stdout == "SECRET\nCapEff:\t0000000000000000\n0\n", "\(native)")
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
    }

    /// fs.protected_symlinks, which picorun's walker must apply itself: a
    /// link in a sticky world-writable folder is followed only by its owner
    /// or when the folder's owner owns it. Turned on for the run (it is
    /// read when picorun starts) and put back.
    @Test(.enabled(if: access("/proc/sys/fs/protected_symlinks", W_OK) == 0)) func protectedSymlinks() {
        let sysctl = "/proc/sys/fs/protected_symlinks"
        func write(_ value: String) -> Bool {
            let fd = open(sysctl, O_WRONLY)
            defer { if fd >= 0 { close(fd) } }
            return fd >= 0 && Glibc.write(fd, value, value.utf8.count) == value.utf8.count
        }
        let before = (try? String(contentsOfFile: sysctl, encoding: .utf8)) ?? "0\n"
        #expect(write("1\n"))
        defer { _ = write(before) }
        let dir = scratchDir()
        chmod(dir, 0o1777)
        let script = "ln -s /etc/hostname \(dir)/theirs && chown -h 65534 \(dir)/theirs && ln -s /etc/hostname \(dir)/mine; "
            + "cat \(dir)/theirs >/dev/null && echo root-followed-theirs; cat \(dir)/mine >/dev/null && echo root-followed-mine; "
            + "setpriv --reuid=65534 --regid=65534 --clear-groups cat \(dir)/theirs >/dev/null && echo nobody-followed-its-own; "
            + "readlink \(dir)/theirs; rm -f \(dir)/theirs \(dir)/mine"
        let native = run("/bin/sh", ["-c", script], env: baseEnvironment())
        let guest = run(Paths.picorun, ["/bin/sh", "-c", script], env: baseEnvironment())
        #expect(native.stdout == "root-followed-mine\nnobody-followed-its-own\n/etc/hostname\n", "\(native)")
        #expect(guest == native, "native:\n\(native)\npicorun:\n\(guest)")
    }

    @Test(.enabled(if: TestRootfs.path != nil)) func inTheRootfsAsInAChroot() {
        let root = TestRootfs.path!
        _ = run("/bin/cp", [Self.fixture, root + "/tmp/dropped"], env: baseEnvironment())
        defer { unlink(root + "/tmp/dropped") }
        let script = "rm -rf /tmp/dz && mkdir -m 755 /tmp/dz && /tmp/dropped --setup /tmp/dz/t && /tmp/dropped /tmp/dz/t; rm -rf /tmp/dz"
        let chrooted = TestRootfs.chroot(script, in: root)
        let guest = run(Paths.picorun, ["--rootfs", root, "/bin/sh", "-c", script], env: TestRootfs.guestEnvironment())
        #expect(chrooted.stdout.contains("open /etc/shadow                         EACCES"), "\(chrooted)")
        #expect(guest == chrooted, "chroot:\n\(chrooted)\npicorun:\n\(guest)")
    }
}

/// The Debian test rootfs with the fixture in it, imported as a distro by
/// an unprivileged host user (every owner and mode in the sidecar), once.
enum DroppedDistro {
    static let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]

    static let home: String? = {
        guard let root = TestRootfs.path, getuid() == 0 else { return nil }
        let h = DistroHome()
        let tarball = h.home + "/rootfs.tar"
        // The rootfs's /tmp is left out: other tests write there while the
        // tar reads (tar fails on a file that changes under it). The
        // fixtures come from a staging folder of this test's own.
        let stage = scratchDir()
        mkdir(stage + "/tmp", 0o1777)
        for (from, name) in [(DroppedIdentityTests.fixture, "dropped-distro"), (Paths.fixtures + "/rules", "rules-distro"),
                             (Paths.fixtures + "/filecaps", "filecaps-distro")] {
            _ = run("/bin/cp", [from, stage + "/tmp/" + name], env: baseEnvironment())
        }
        var made = run("/bin/tar", ["-C", root, "--numeric-owner", "--exclude=./tmp/*", "-cf", tarball, "."], env: baseEnvironment(), timeout: 600)
        if made.status == 0 {
            made = run("/bin/tar", ["-C", stage, "--numeric-owner", "--owner=0", "--group=0", "-rf", tarball, "./tmp/dropped-distro",
                                    "./tmp/rules-distro", "./tmp/filecaps-distro"], env: baseEnvironment())
        }
        chmod(tarball, 0o644)
        let imported = run("/usr/bin/setpriv", nobody + [Paths.picorun, "import", "deb", tarball], env: h.env, timeout: 900)
        unlink(tarball)
        guard made.status == 0, imported.status == 0 else {
            Issue.record("the distro could not be made: \(made) \(imported)")
            return nil
        }
        return h.home
    }()

    /// `script` run by /bin/sh as the distro's root, picorun run by nobody.
    static func guest(_ script: String) -> Outcome {
        var env = TestRootfs.guestEnvironment(["PICORUN_HOME": home!])
        env["HOME"] = "/root"
        return run("/usr/bin/setpriv", nobody + [Paths.picorun, "-d", "deb", "/bin/sh", "-c", script], env: env, timeout: 120)
    }
}

/// The same drops in a distro that belongs to an unprivileged host user:
/// picorun keeps the guest's ids and capabilities itself, and what Linux
/// says in a real chroot of the same tree is what the guest is told.
@Suite("A distro guest that drops privileges gets what Linux gives it",
       .enabled(if: TestRootfs.path != nil && getuid() == 0))
struct DroppedInADistroTests {
    /// Each test its own layout, /tmp/dz-NAME (the tests run at once).
    func compare(_ name: String, _ script: String, expecting needle: String) {
        let root = TestRootfs.path!
        _ = run("/bin/cp", [DroppedIdentityTests.fixture, root + "/tmp/dropped-distro"], env: baseEnvironment())
        let dir = "/tmp/dz-" + name
        let whole = "rm -rf \(dir) && mkdir -m 755 \(dir) && /tmp/dropped-distro --setup \(dir)/t && { \(script.replacingOccurrences(of: "DIR", with: dir + "/t")); }; rm -rf \(dir)"
        let chrooted = TestRootfs.chroot(whole, in: root)
        let guest = DroppedDistro.guest(whole)
        #expect(chrooted.stdout.contains(needle), "\(chrooted)")
        #expect(guest == chrooted, "chroot:\n\(chrooted)\npicorun:\n\(guest)")
    }

    @Test func theFixture() {
        compare("fixture", "/tmp/dropped-distro DIR", expecting: "open /etc/shadow                         EACCES")
    }

    /// setpriv's own report (capget, prctl, /proc/self/status) and what the
    /// dropped shell may do. (picorun starts a distro's root with root's
    /// groups, as a login does; the chroot inherits the test's: cleared.)
    @Test func setpriv() {
        let inner = "read l < /etc/shadow && echo read-shadow; cat DIR/private/secret; true > DIR/public/x; id; /bin/true && echo exec-ok"
        compare("setpriv", "setpriv --clear-groups setpriv -d; setpriv --reuid=65534 --regid=65534 --clear-groups sh -c '\(inner); setpriv -d'; "
                + "setpriv --clear-groups --inh-caps=-all --bounding-set=-dac_override,-fowner sh -c 'setpriv -d; cat DIR/private/secret; chmod 777 DIR/public/rootfile; echo x >> DIR/public/ro'",
                expecting: "uid=65534(nobody)")
    }

    /// File capabilities at exec (cap_bprm_creds_from_file): a program
    /// given cap_net_raw+ep by the distro's root runs with it for nobody,
    /// and a copy without them does not.
    @Test func fileCapabilities() {
        let root = TestRootfs.path!
        _ = run("/bin/cp", [Paths.fixtures + "/filecaps", root + "/tmp/filecaps-distro"], env: baseEnvironment())
        compare("filecaps", "cp /tmp/filecaps-distro DIR/fc && cp /tmp/filecaps-distro DIR/plain && /tmp/filecaps-distro --set DIR/fc && "
                + "DIR/fc && setpriv --reuid=65534 --regid=65534 --clear-groups DIR/fc; setpriv --reuid=65534 --regid=65534 --clear-groups DIR/plain",
                expecting: "uid 65534 euid 65534 effective 0000000000002000 permitted 0000000000002000")
    }

    /// su and runuser: PAM, setgroups from /etc/group, then the user's shell.
    @Test func suAndRunuser() {
        compare("su", "su -s /bin/sh nobody -c 'id; cat /etc/shadow; echo x > DIR/public/y; ls DIR/private'; "
                + "runuser -u nobody -- sh -c 'id; true > DIR/sticky/rootowned; rm -f DIR/sticky/rootowned'",
                expecting: "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)")
    }
}
