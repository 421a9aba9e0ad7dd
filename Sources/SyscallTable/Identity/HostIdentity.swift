import CPicoLinux
import Glibc
import PicoCore

/// A guest task's identity on the host tree, where the guest changes its
/// host ids itself (setuid(2) and the like reach the kernel): what
/// /proc/TID/status says of it.
///
/// Why: on the host tree the supervisor performs every path call for the
/// guest, and the kernel judges a call by the credentials of the thread
/// that makes it. When picorun runs as root, a guest that dropped to nobody
/// would otherwise read /etc/shadow through the supervisor. So the thread
/// that performs a call first takes the caller's fs uid, fs gid and groups
/// (`perform`), all per-thread at the syscall level; the kernel then
/// judges the call exactly as it would the guest's own, including the
/// owner of what it creates. Capabilities follow: the thread's effective
/// set becomes the guest's (a root guest that dropped CAP_DAC_OVERRIDE is
/// refused as natively), except CAP_SYS_PTRACE, which the supervisor needs
/// to reach the guest's memory and which no path call judges by.
struct HostIdentity: Sendable, Equatable {
    /// real, effective, saved, fs
    var uids: [UInt32] = []
    var gids: [UInt32] = []
    var groups: [UInt32] = []
    /// The effective set; the permitted set beside it.
    var capabilities: UInt64 = 0
    var permitted: UInt64 = 0

    var fsuid: UInt32 { uids[3] }
    var fsgid: UInt32 { gids[3] }

    init?(tid: pid_t) {
        guard let text = readSmallFile("/proc/\(tid)/status") else { return nil }
        func numbers(_ line: Substring, after prefix: Int) -> [UInt32] {
            line.dropFirst(prefix).split(whereSeparator: { $0 == "\t" || $0 == " " }).compactMap { UInt32($0) }
        }
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Uid:") { uids = numbers(line, after: 4) }
            else if line.hasPrefix("Gid:") { gids = numbers(line, after: 4) }
            else if line.hasPrefix("Groups:") { groups = numbers(line, after: 7) }
            else if line.hasPrefix("CapEff:") { capabilities = UInt64(line.dropFirst(7).trimmingCharacters(in: " \t"), radix: 16) ?? 0 }
            else if line.hasPrefix("CapPrm:") { permitted = UInt64(line.dropFirst(7).trimmingCharacters(in: " \t"), radix: 16) ?? 0 }
        }
        guard uids.count == 4, gids.count == 4 else { return nil }
    }

    /// The supervisor's own, read once: what a thread returns to after a call.
    static let supervisor = HostIdentity(tid: getpid())
    /// Only root has rights to lend: an ordinary supervisor's guests share
    /// its uid and cannot gain groups (CAP_SETGID) or caps.
    static let supervisorIsRoot = geteuid() == 0

    /// Whether an exec of a file with no setuid bit and no file
    /// capabilities (picorun's stub) leaves the identity as it is: all ids
    /// nonzero and no capability, so no ambient set either. A root task's
    /// capabilities after exec are its bounding set, which prctl changes
    /// unseen, so those are read again.
    var keptByExec: Bool { !uids.contains(0) && capabilities == 0 && permitted == 0 }

    static let sysPtrace: UInt64 = 1 << 19

    /// The effective set a thread takes for `self`: the guest's, within
    /// what the supervisor holds, and CAP_SYS_PTRACE as the supervisor has it.
    var lentCapabilities: UInt64 {
        guard let s = Self.supervisor else { return 0 }
        return (capabilities & s.permitted & ~Self.sysPtrace) | (s.capabilities & Self.sysPtrace)
    }

    /// Whether a thread must change identity to make a call for `self`.
    var differsFromSupervisor: Bool {
        guard let s = Self.supervisor else { return true }
        return fsuid != s.fsuid || fsgid != s.fsgid || groups != s.groups || lentCapabilities != s.capabilities
    }

    /// Runs `body` on this thread with the fs ids and groups of `self`,
    /// then returns to the supervisor's own. A thread started meanwhile
    /// (a blocking FIFO open, a connect) inherits them, as Linux copies a
    /// thread's credentials to the threads it creates. `refused` answers
    /// instead if the thread cannot take them (then nothing runs).
    func perform<T, E: Error>(_ body: () throws(E) -> T, refused: () -> T) throws(E) -> T {
        guard Self.supervisorIsRoot, let s = Self.supervisor, differsFromSupervisor else { return try body() }
        // Groups first: setgroups needs CAP_SETGID, which is no file capability.
        let set = groups.withUnsafeBufferPointer { pico_thread_setgroups($0.count, $0.baseAddress) }
        _ = pico_thread_setfsgid(fsgid)
        _ = pico_thread_setfsuid(fsuid)
        // Last: the calls above need CAP_SETGID and CAP_SETUID.
        let lent = lentCapabilities
        let capsSet = lent == s.capabilities ? 0 : pico_thread_set_effective_caps(lent)
        defer {
            // First: the calls below need CAP_SETUID and CAP_SETGID back.
            if lent != s.capabilities { _ = pico_thread_set_effective_caps(s.capabilities) }
            _ = pico_thread_setfsuid(s.fsuid)
            _ = pico_thread_setfsgid(s.fsgid)
            _ = s.groups.withUnsafeBufferPointer { pico_thread_setgroups($0.count, $0.baseAddress) }
        }
        guard set == 0, capsSet == 0 else { return refused() }
        return try body()
    }

    /// Runs `body` with the caller's real uid and gid as the thread's fs
    /// ids (what access(2) judges by), inside `perform`.
    func withRealIDs<T>(_ body: () -> T) -> T {
        guard Self.supervisorIsRoot else { return body() }
        _ = pico_thread_setfsgid(gids[0])
        _ = pico_thread_setfsuid(uids[0])
        defer {
            _ = pico_thread_setfsuid(fsuid)
            _ = pico_thread_setfsgid(fsgid)
        }
        return body()
    }
}
