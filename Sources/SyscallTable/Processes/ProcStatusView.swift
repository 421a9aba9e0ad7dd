import CPicoLinux
import Glibc
import PicoCore

/// /proc/PID/status of a guest in a distro: the kernel reports the host
/// user's ids and picorun's capabilities; the guest reads the identity
/// picorun keeps for that process (libcap-ng, and so setpriv and su, read
/// the bounding and ambient sets here, not through prctl).
enum ProcStatusView {
    /// A sealed memfd with the guest's identity lines, or nil to open the real file.
    static func translated(_ c: GuestCall, _ w: GuestFileTree.Walk, flags: UInt64) -> Int32? {
        guard w.mount.isProc, flags & 3 == 0, c.volume != nil else { return nil }
        let parts = w.guestPath.dropFirst(w.mount.guestPath.count).split(separator: "/")
        let isStatus = (parts.count == 2 && parts[1] == "status") || (parts.count == 4 && parts[1] == "task" && parts[3] == "status")
        guard isStatus, let pid = pid_t(parts.count == 4 ? parts[2] : parts[0]), c.processes.isGuestTask(pid),
              let text = readSmallFile(procPath(w.object)) else { return nil }
        let k = c.processes.credentials(pid)
        func hex(_ s: CapabilitySet) -> String {
            let digits = String(s.rawValue, radix: 16)
            return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
        }
        let replaced: [String: String] = [
            "Uid": "\(k.ruid)\t\(k.euid)\t\(k.suid)\t\(k.fsuid)",
            "Gid": "\(k.rgid)\t\(k.egid)\t\(k.sgid)\t\(k.fsgid)",
            // As the kernel prints it: each group and a space, a space for none.
            "Groups": k.groups.isEmpty ? " " : k.groups.map { "\($0) " }.joined(),
            "CapInh": hex(k.inheritable), "CapPrm": hex(k.permitted), "CapEff": hex(k.effective),
            "CapBnd": hex(k.bounding), "CapAmb": hex(k.ambient), "NoNewPrivs": k.noNewPrivs ? "1" : "0",
        ]
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for line in text.split(separator: "\n") {
            if let colon = line.firstIndex(of: ":"), let value = replaced[String(line[..<colon])] {
                out += line[...colon] + "\t" + value + "\n"
            } else {
                out += line + "\n"
            }
        }
        let bytes = Array(out.utf8)
        let fd = bytes.withUnsafeBytes { pico_memfd_sealed("status", $0.baseAddress, $0.count) }
        guard fd >= 0 else { return nil }
        lseek(fd, 0, SEEK_SET)
        return fd
    }
}
