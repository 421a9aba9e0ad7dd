import CPicoLinux
import Glibc
import PicoCore

/// /proc/PID/mounts and /proc/PID/mountinfo (and /proc/mounts, a link to
/// self/mounts) of a guest in a distro: the guest's own mount table with
/// guest paths, as Linux shows a process the mounts under its root, instead
/// of the host's. Each of the tree's mounts is a line: the distro's root as
/// the host filesystem it lives on, /proc, /dev and /sys with the host's
/// own mounts below them (/dev/pts, /dev/shm …), DrvFS folders as `drvfs`.
/// Paths are shown relative to the process's root (chroot), and a mount
/// outside it is left out, as the kernel leaves it out.
enum ProcMountsView {
    /// A sealed memfd with the guest's table, or nil to open the real file.
    static func translated(_ c: GuestCall, _ w: GuestFileTree.Walk, flags: UInt64) -> Int32? {
        guard w.mount.isProc, flags & 3 == 0, c.tree.root.hostPath != "/" else { return nil }
        let parts = w.guestPath.dropFirst(w.mount.guestPath.count).split(separator: "/")
        let file = parts.last.map(String.init) ?? ""
        let pidPart = parts.count == 2 ? parts[0] : parts.count == 4 && parts[1] == "task" ? parts[2] : nil
        guard file == "mounts" || file == "mountinfo", let pidPart, let pid = pid_t(pidPart), c.processes.isGuestTask(pid),
              let info = readSmallFile("/proc/self/mountinfo"), let mounts = readSmallFile("/proc/self/mounts") else { return nil }
        let host = HostMount.parse(mountinfo: info, mounts: mounts)
        let root = c.processes.root(ofProcess: pid) ?? "/"
        let lines = guestLines(c.tree, host: host)
        var text = ""
        for line in lines {
            guard let target = visible(line.target, under: root) else { continue }
            text += file == "mounts" ? line.mountsLine(target) : line.mountinfoLine(target)
        }
        let bytes = Array(text.utf8)
        let fd = bytes.withUnsafeBytes { pico_memfd_sealed(file, $0.baseAddress, $0.count) }
        guard fd >= 0 else { return nil }
        lseek(fd, 0, SEEK_SET)
        return fd
    }

    /// One line of the host's mountinfo, with its /proc/mounts options.
    struct HostMount {
        let id: Int, parent: Int
        let device: String, root: String, mountPoint: String
        let options: String, optional: String, type: String, source: String, superOptions: String
        /// The options column of /proc/mounts.
        let mountsOptions: String

        /// The two files list the same mounts in the same order.
        static func parse(mountinfo: String, mounts: String) -> [HostMount] {
            let short = mounts.split(separator: "\n").map { $0.split(separator: " ") }
            return mountinfo.split(separator: "\n").enumerated().compactMap { i, line in
                let f = line.split(separator: " ").map(String.init)
                guard f.count >= 10, let dash = f.firstIndex(of: "-"), dash >= 6, dash + 3 < f.count,
                      let id = Int(f[0]), let parent = Int(f[1]) else { return nil }
                let opts = i < short.count && short[i].count >= 4 ? String(short[i][3]) : f[5]
                return HostMount(id: id, parent: parent, device: f[2], root: unescape(f[3]), mountPoint: unescape(f[4]),
                                 options: f[5], optional: f[6..<dash].joined(separator: " "), type: f[dash + 1],
                                 source: f[dash + 2], superOptions: f[dash + 3], mountsOptions: opts)
            }
        }
    }

    /// A line of the guest's table.
    struct Line {
        var id: Int, parent: Int
        let target: String
        let device: String, root: String, options: String, type: String, source: String, superOptions: String
        let mountsOptions: String

        func mountsLine(_ target: String) -> String {
            "\(escape(source)) \(escape(target)) \(type) \(mountsOptions) 0 0\n"
        }

        func mountinfoLine(_ target: String) -> String {
            "\(id) \(parent) \(device) \(escape(root)) \(escape(target)) \(options) - \(type) \(escape(source)) \(superOptions)\n"
        }
    }

    /// The tree's mounts, parents first, each with the host mounts below
    /// its host folder that the guest reaches through it.
    static func guestLines(_ tree: GuestFileTree, host: [HostMount]) -> [Line] {
        var lines: [Line] = []
        for m in tree.mounts.sorted(by: { $0.guestPath.utf8.count < $1.guestPath.utf8.count }) {
            let prefix = m.hostPath == "/" ? "/" : m.hostPath + "/"
            let below = host.filter { h in h.mountPoint == m.hostPath || h.mountPoint.hasPrefix(prefix) }
            // The host filesystem the mount's folder lies on, if the folder
            // is not a mount point itself.
            if !below.contains(where: { $0.mountPoint == m.hostPath }),
               let on = host.last(where: { m.hostPath == $0.mountPoint || m.hostPath.hasPrefix($0.mountPoint == "/" ? "/" : $0.mountPoint + "/") }) {
                lines.append(line(for: m, from: on, target: m.guestPath, root: "/"))
            }
            for h in below {
                // Reached through a more specific guest mount, or not at all.
                guard let guest = tree.guestPath(ofHost: h.mountPoint), tree.mount(ofHost: h.mountPoint) === m else { continue }
                lines.append(line(for: m, from: h, target: guest, root: h.root))
            }
        }
        // Ids of the guest's own, each line's parent the line it is mounted on.
        for i in lines.indices {
            lines[i].id = 21 + i
            let target = lines[i].target
            let parent = lines[..<i].lastIndex { l in
                l.target == "/" ? target != "/" : target.hasPrefix(l.target + "/")
            }
            lines[i].parent = parent.map { 21 + $0 } ?? 1
        }
        return lines
    }

    static func line(for m: GuestFileTree.Mount, from h: HostMount, target: String, root: String) -> Line {
        let drvfs = m.kind == .drvfs
        return Line(id: 0, parent: 0, target: target, device: h.device, root: drvfs ? "/" : root,
                    options: readOnly(h.options, m.readOnly), type: drvfs ? "drvfs" : h.type,
                    source: drvfs ? m.hostPath : h.source, superOptions: h.superOptions,
                    mountsOptions: readOnly(h.mountsOptions, m.readOnly))
    }

    /// Options with "ro" first where the guest's mount is read-only.
    static func readOnly(_ options: String, _ ro: Bool) -> String {
        guard ro else { return options }
        var parts = options.split(separator: ",").map(String.init)
        if parts.first == "rw" { parts[0] = "ro" } else if parts.first != "ro" { parts.insert("ro", at: 0) }
        return parts.joined(separator: ",")
    }

    /// A guest path as a process with root `root` names it; nil outside it.
    static func visible(_ path: String, under root: String) -> String? {
        if root == "/" { return path }
        if path == root { return "/" }
        return path.hasPrefix(root + "/") ? String(path.dropFirst(root.utf8.count)) : nil
    }

    /// The kernel's octal escapes for space, tab, newline and backslash.
    static func escape(_ s: String) -> String {
        guard s.contains(where: { " \t\n\\".contains($0) }) else { return s }
        var out = ""
        for ch in s {
            switch ch {
            case " ": out += "\\040"
            case "\t": out += "\\011"
            case "\n": out += "\\012"
            case "\\": out += "\\134"
            default: out.append(ch)
            }
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var bytes: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "\\"), i + 3 < u.count, let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(v)
                i += 4
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
