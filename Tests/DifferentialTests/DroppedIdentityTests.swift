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
