import CPicoLinux
import Glibc
import PicoCore

/// /proc/PID/auxv of a guest: the kernel keeps the auxiliary vector it
/// gave picorun's loader stub; debuggers read the program's (AT_ENTRY and
/// AT_PHDR place a PIE), which is the one picorun's loader built.
enum ProcAuxvView {
    /// A sealed memfd with the guest's auxv, or nil to open the real file.
    static func translated(_ c: GuestCall, _ w: GuestFileTree.Walk, flags: UInt64) -> Int32? {
        guard w.mount.isProc, flags & 3 == 0 else { return nil }
        let parts = w.guestPath.dropFirst(w.mount.guestPath.count).split(separator: "/")
        let isAuxv = (parts.count == 2 && parts[1] == "auxv") || (parts.count == 4 && parts[1] == "task" && parts[3] == "auxv")
        guard isAuxv, let pid = pid_t(parts.count == 4 ? parts[2] : parts[0]), c.processes.isGuestTask(pid),
              let bytes = c.processes.auxv(ofProcess: pid) else { return nil }
        // Who may read it was judged by the walk (procAccess).
        let fd = bytes.withUnsafeBytes { pico_memfd_sealed("auxv", $0.baseAddress, $0.count) }
        guard fd >= 0 else { return nil }
        lseek(fd, 0, SEEK_SET)
        return fd
    }
}
