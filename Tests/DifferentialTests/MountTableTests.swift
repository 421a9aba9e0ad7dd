import Foundation
import Glibc
import Testing

/// What a guest sees of its mounts (/proc/self/mounts, mountinfo,
/// findmnt, mountpoint, df): the distro's own table with guest paths,
/// compared with the same commands in a real chroot whose root is a mount
/// of its own (a bind of the rootfs onto itself, /proc, /dev and /sys
/// bound in recursively) in a private mount namespace.
@Suite("The guest's mount table", .enabled(if: TestRootfs.path != nil && getuid() == 0))
struct MountTableTests {
    static func nativeNamespace(_ script: String, in root: String) -> Outcome {
        let setup = """
        mount --bind "$R" "$R" && mount --rbind /proc "$R/proc" && mount --rbind /dev "$R/dev" && \
        mount --rbind /sys "$R/sys" && exec chroot "$R" /bin/sh -c "$S"
        """
        return run("/usr/bin/unshare", ["-m", "/bin/sh", "-c", setup], env: TestRootfs.guestEnvironment(["R": root, "S": script]))
    }

    @Test func findmntMountpointAndDfAsInAMountNamespace() {
        let root = TestRootfs.path!
        // Sorted: picorun lists its mounts by path, the kernel by mount order.
        let script = """
        findmnt -n -l -o TARGET,FSTYPE | sort; echo ---
        for d in / /proc /dev /dev/pts /sys /etc /usr/bin; do mountpoint "$d"; done; echo ---
        df --output=target,fstype / /proc /etc/passwd | tail -n +2; echo ---
        awk '{print $2, $3}' /proc/mounts | sort; echo ---
        awk '{print $5, $9}' /proc/self/mountinfo | sort; echo ---
        cd /proc && chroot /proc/self/root sh -c 'findmnt -n -o TARGET /dev'
        """
        let native = Self.nativeNamespace(script, in: root)
        let guest = run(Paths.picorun, ["--rootfs", root, "/bin/sh", "-c", script], env: TestRootfs.guestEnvironment())
        #expect(native.status == 0, "\(native)")
        #expect(guest.stdout == native.stdout, "picorun:\n\(guest.stdout)\nnative:\n\(native.stdout)\n\(guest.stderr)")
        #expect(guest.status == native.status)
        #expect(!guest.stdout.contains(root), "no host path of the rootfs shows")
    }

    /// A chrooted process sees the mounts under its new root only, with
    /// paths relative to it, as Linux shows them.
    @Test func aChrootSeesTheMountsUnderItsRoot() {
        let root = TestRootfs.path!
        let script = "chroot /dev /bin/cat /proc/self/mounts 2>&1; cat /proc/1/mounts >/dev/null 2>&1; awk '{print $2}' /proc/self/mounts | sort | head -3"
        let guest = run(Paths.picorun, ["--rootfs", root, "/bin/sh", "-c", script], env: TestRootfs.guestEnvironment())
        let native = Self.nativeNamespace(script, in: root)
        #expect(guest.stdout == native.stdout, "picorun:\n\(guest.stdout)\nnative:\n\(native.stdout)")
    }
}
