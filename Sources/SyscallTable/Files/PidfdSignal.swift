import CPicoLinux
import Glibc
import PicoCore

/// pidfd_send_signal(2) takes an fd, which may be a pidfd or a /proc/PID
/// directory the guest opened for any process; the signal is sent on the
/// supervisor's copy of the fd, so another guest thread cannot swap it
/// after the check. A notification, because it needs that copy.
enum PidfdSignal {
    /// PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP: one at most.
    static let flagsMask: UInt64 = 0x7
    /// PIDFD_SELF_THREAD and PIDFD_SELF_THREAD_GROUP (Linux 6.15): the caller.
    static let selfFds: Set<Int32> = [-10000, -20000]
    /// The kernel copies the siginfo preamble it knows (struct
    /// kernel_siginfo) and reads the rest of the 128 bytes only to check
    /// that an unknown layout left it zero.
    static let knownPart = 48, whole = 128

    /// Pidfd_send_signal implements Linux syscall pidfd_send_signal(2).
    static func pidfdSendSignal(_ c: PathContext) throws(TraceeError) -> NotificationReply {
        let flags = c.args[3]
        guard flags & ~flagsMask == 0, (flags & flagsMask).nonzeroBitCount <= 1 else { throw TraceeError(.EINVAL) }
        let processGroup = flags & 0x4 != 0
        if selfFds.contains(c.int32(0)) && !processGroup { return .continueCall }
        let fd: Int32
        if selfFds.contains(c.int32(0)) {
            fd = -1
        } else {
            let copy = pico_pidfd_getfd(c.caller.tid, c.int32(0))
            guard copy >= 0 else { throw TraceeError(.EBADF) }
            fd = Int32(copy)
        }
        defer { if fd >= 0 { close(fd) } }
        guard let target = fd < 0 ? c.caller.tgid : targetOf(fd: fd) else { throw TraceeError(.EBADF) }
        var info = [UInt8](repeating: 0, count: whole)
        if c.args[2] != 0 {
            let head = try c.tracee.readBytes(at: c.args[2], count: knownPart)
            info.replaceSubrange(0..<knownPart, with: head)
            if let tail = try? c.tracee.readBytes(at: c.args[2] + UInt64(knownPart), count: whole - knownPart) {
                info.replaceSubrange(knownPart..<whole, with: tail)
            }
        }
        guard target > 0, c.processes.isGuestTask(target) else { throw TraceeError(.ESRCH) }
        if processGroup {
            // The target's whole group may hold picorun and host jobs: its
            // guest members only, as kill(-pgrp) does.
            let e = c.processes.signal(c.processes.members(ofGroup: getpgid(target)), c.int32(1))
            if e != 0 { throw TraceeError(LinuxErrno(e)) }
            return .value(0)
        }
        let r = info.withUnsafeMutableBytes { b in
            pico_pidfd_send_signal(fd, c.int32(1), c.args[2] == 0 ? nil : b.baseAddress, UInt32(truncatingIfNeeded: flags))
        }
        guard r == 0 else { throw TraceeError(LinuxErrno(Int32(-r))) }
        return .value(0)
    }

    /// The process a pidfd (its fdinfo's "Pid:") or a /proc/PID directory names.
    static func targetOf(fd: Int32) -> pid_t? {
        if let info = readSmallFile("/proc/self/fdinfo/\(fd)"),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("Pid:") }) {
            return pid_t(line.dropFirst(4).trimmingCharacters(in: " \t"))
        }
        guard let host = GuestFileTree.fdPath(fd), host.hasPrefix("/proc/") else { return nil }
        return pid_t(host.dropFirst(6))
    }
}
