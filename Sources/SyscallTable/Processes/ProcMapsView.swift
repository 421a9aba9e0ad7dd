import CPicoLinux
import Glibc
import PicoCore

/// /proc/PID/maps of a guest in a distro: the kernel names mapped files by
/// host path; the guest reads a snapshot with guest paths instead (taken at
/// open, as a program reading maps sees one moment anyway).
enum ProcMapsView {
    /// A sealed memfd with the translated text, or nil to open the real file.
    static func translated(_ c: GuestCall, _ w: GuestFileTree.Walk, flags: UInt64) -> Int32? {
        guard w.mount.isProc, flags & 3 == 0, c.tree.root.hostPath != "/" else { return nil }
        let parts = w.guestPath.dropFirst(w.mount.guestPath.count).split(separator: "/")
        let isMaps = (parts.count == 2 && parts[1] == "maps") || (parts.count == 4 && parts[1] == "task" && parts[3] == "maps")
        guard isMaps, let pid = pid_t(parts[0]), c.processes.isGuest(pid),
              let text = readSmallFile(procPath(w.object)) else { return nil }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            out += translate(line, c.tree, c.caller)
            out += "\n"
        }
        out.removeLast()
        let bytes = Array(out.utf8)
        let fd = bytes.withUnsafeBytes { pico_memfd_sealed("maps", $0.baseAddress, $0.count) }
        guard fd >= 0 else { return nil }
        lseek(fd, 0, SEEK_SET)  // written from the start, read from the start
        return fd
    }

    /// "ADDR PERMS OFFSET DEV INODE   PATH": the path column, if it is a
    /// host path inside the tree, becomes the guest's.
    static func translate(_ line: Substring, _ tree: GuestFileTree, _ reader: GuestFileTree.Caller) -> String {
        guard let slash = line.firstIndex(of: "/") else { return String(line) }
        var host = String(line[slash...])
        let deleted = host.hasSuffix(" (deleted)")
        if deleted { host.removeLast(" (deleted)".count) }
        guard let guest = tree.guestPath(ofHost: host).map(reader.visible) else { return String(line) }
        return String(line[..<slash]) + guest + (deleted ? " (deleted)" : "")
    }
}
