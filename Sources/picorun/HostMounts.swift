import FoundationEssentials
import Glibc
import PicoCore

/// DrvFS mounts of host folders: from --mount, the distro's [mounts], and
/// the host's PATH folders for [interop] appendHostPath.
enum HostMounts {
    /// Shows `m.host` at guest path `m.name`, making the mount point in the
    /// distro if it is missing (as WSL makes /mnt/c).
    static func add(_ m: DistroConfig.HostMount, to tree: GuestFileTree) {
        var st = stat()
        guard stat(m.host, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
            fail("mount \(m.host): no such folder on the host", status: 2)
        }
        makeMountPoint(GuestFileTree.normalize(m.name), in: tree)
        do {
            try tree.mount(guest: m.name, host: m.host, readOnly: m.readOnly, kind: .drvfs)
        } catch {
            fail("mount \(m.host) at \(m.name): \(error.message)", status: 2)
        }
    }

    /// mkdir -p inside the distro, through the tree (never through a symlink out).
    static func makeMountPoint(_ guest: String, in tree: GuestFileTree) {
        guard !tree.isDirectory(guest) else { return }
        let caller = GuestFileTree.Caller(tgid: getpid(), tid: getpid(), cwd: "/")
        var path = ""
        for component in guest.split(separator: "/") {
            path += "/" + component
            if tree.isDirectory(path) { continue }
            guard let w = try? tree.walk(Array(path.utf8), caller: caller, followFinal: false) else {
                fail("mount point \(guest): cannot reach \(path) in the distro", status: 2)
            }
            defer { w.close() }
            guard !w.exists, mkdirat(w.parent, w.name, 0o755) == 0 else {
                fail("mount point \(guest): cannot make \(path) in the distro (\(String(cString: strerror(errno))))", status: 2)
            }
        }
    }

    /// The host's PATH folders, each shown read-only under /mnt/host.
    static func hostPath(_ path: String?) -> [(mount: DistroConfig.HostMount, guest: String)] {
        var out: [(DistroConfig.HostMount, String)] = []
        for dir in (path ?? "").split(separator: ":") where dir.hasPrefix("/") {
            let guest = "/mnt/host" + GuestFileTree.normalize(String(dir))
            var st = stat()
            guard stat(String(dir), &st) == 0, st.st_mode & S_IFMT == S_IFDIR, !out.contains(where: { $0.1 == guest }) else { continue }
            out.append((DistroConfig.HostMount(name: guest, host: String(dir), readOnly: true), guest))
        }
        return out
    }
}
