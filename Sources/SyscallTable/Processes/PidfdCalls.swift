import CPicoLinux
import Glibc
import PicoCore

/// The calls that act through a pidfd the guest holds. Each is made on the
/// supervisor's copy of the fd, so another guest thread cannot swap it
/// after the check; notifications, because they need that copy.
enum PidfdCalls {
    /// PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP: one at most.
    static let flagsMask: UInt64 = 0x7
    /// PIDFD_SELF_THREAD and PIDFD_SELF_THREAD_GROUP (Linux 6.15): the caller.
    static let selfFds: Set<Int32> = [-10000, -20000]
    /// The kernel copies the siginfo preamble it knows (struct
    /// kernel_siginfo) and reads the rest of the 128 bytes only to check
    /// that an unknown layout left it zero.
    static let knownPart = 48, whole = 128

    /// Pidfd_send_signal implements Linux syscall pidfd_send_signal(2); its
    /// fd may also be a /proc/PID directory the guest opened.
    static func pidfdSendSignal(_ c: GuestCall) throws(TraceeError) -> Outcome {
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

    /// Pidfd_getfd implements Linux syscall pidfd_getfd(2). The kernel
    /// would judge the attach by picorun's host identity, which every guest
    /// shares: ptrace's rule is made here with the caller's own, and the fd
    /// is taken through the copy of the caller's pidfd.
    static func pidfdGetfd(_ c: GuestCall) throws(TraceeError) -> Outcome {
        guard c.args[2] == 0 else { throw TraceeError(.EINVAL) }
        let copy = pico_pidfd_getfd(c.caller.tid, c.int32(0))
        guard copy >= 0 else { throw TraceeError(.EBADF) }
        let pidfd = Int32(copy)
        defer { close(pidfd) }
        guard let target = pidfdPid(readSmallFile("/proc/self/fdinfo/\(pidfd)")) else { throw TraceeError(.EBADF) }
        guard target > 0, c.processes.isGuestTask(target) else { throw TraceeError(.ESRCH) }
        guard PtraceCalls.mayAttach(c.kernel, c.caller.tid, target) else { throw TraceeError(.EPERM) }
        let fd = pico_pidfd_getfd_on(pidfd, c.int32(1))
        guard fd >= 0 else { throw TraceeError(LinuxErrno(Int32(-fd))) }
        return .fd(Int32(fd), cloexec: true)
    }

    /// The pid in a pidfd's fdinfo ("Pid:", -1 once the process is gone);
    /// nil for an fd that is no pidfd.
    static func pidfdPid(_ fdinfo: String?) -> pid_t? {
        guard let fdinfo, let line = fdinfo.split(separator: "\n").first(where: { $0.hasPrefix("Pid:") }) else { return nil }
        return pid_t(line.dropFirst(4).trimmingCharacters(in: " \t"))
    }

    /// The process a pidfd or a /proc/PID directory names.
    static func targetOf(fd: Int32) -> pid_t? {
        if let pid = pidfdPid(readSmallFile("/proc/self/fdinfo/\(fd)")) { return pid }
        guard let host = GuestFileTree.fdPath(fd), host.hasPrefix("/proc/") else { return nil }
        return pid_t(host.dropFirst(6))
    }
}
