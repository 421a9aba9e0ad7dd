import CPicoLinux
import Glibc
import Synchronization

/// Seccomp filters a guest installs itself, beside picorun's own.
///
/// The kernel runs every filter of a task and keeps the most restrictive
/// verdict, so a guest's KILL, TRAP or ERRNO wins over picorun's TRACE and
/// USER_NOTIF, and the guest's ALLOW loses to them: those need nothing
/// here. The guest's TRACE does: it loses to picorun's USER_NOTIF, and
/// where it wins over picorun's ALLOW its stop comes to picorun, the real
/// tracer. So picorun keeps a copy of each guest filter (as the kernel
/// took it) and runs the chain on the calls it stops; a TRACE verdict is
/// then what Linux makes of it: ENOSYS without a tracer that asked for
/// PTRACE_O_TRACESECCOMP, else that tracer's PTRACE_EVENT_SECCOMP stop.
///
/// Used by the wait loop and the notification threads.
public final class GuestSeccomp: @unchecked Sendable {
    struct State {
        /// Each task's guest filters, oldest first (inherited by clone).
        var chains: [pid_t: [SeccompProgram]] = [:]
        /// prctl(PR_SET_SECCOMP) installs seen in a notification, before
        /// the kernel said whether it took them: the program, and how many
        /// filters the task had.
        var pending: [pid_t: (program: SeccompProgram, before: Int)] = [:]
        /// Tasks whose next verdict is the recheck after a tracer's seccomp
        /// stop, where Linux takes TRACE for ALLOW.
        var recheck: Set<pid_t> = []
        /// Notified calls a guest TRACE verdict turned back: the filter's
        /// data, until the task's kick (a SIGSTOP) stops it.
        var kicks: [pid_t: UInt16] = [:]
        /// Tasks running picorun's loader: its calls are picorun's, which
        /// a guest's TRACE verdict does not stop.
        var loading: Set<pid_t> = []
    }

    let state = Mutex(State())
    /// Set once any guest installs a filter: until then nothing is run.
    let inUse = Atomic<Bool>(false)

    public init() {}

    public var active: Bool { inUse.load(ordering: .relaxed) }

    /// seccomp(SECCOMP_SET_MODE_FILTER) succeeded in `tid`; with TSYNC
    /// every thread of the process takes the caller's chain.
    public func installed(_ tid: pid_t, _ program: SeccompProgram, threadsOf tgid: pid_t?) {
        inUse.store(true, ordering: .relaxed)
        state.withLock { s in
            settle(&s, tid)
            s.chains[tid, default: []].append(program)
            guard let tgid else { return }
            for thread in Self.threads(tgid) where thread != tid { s.chains[thread] = s.chains[tid] }
        }
    }

    /// prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) is about to run in `tid`.
    public func installing(_ tid: pid_t, _ program: SeccompProgram) {
        inUse.store(true, ordering: .relaxed)
        let before = Self.kernelFilters(tid)
        state.withLock { s in
            settle(&s, tid)
            s.pending[tid] = (program, before)
        }
    }

    /// A pending prctl install counts once the kernel shows one more filter.
    func settle(_ s: inout State, _ tid: pid_t) {
        guard let p = s.pending.removeValue(forKey: tid) else { return }
        if Self.kernelFilters(tid) > p.before { s.chains[tid, default: []].append(p.program) }
    }

    public func spawned(_ tid: pid_t, parent: pid_t) {
        guard active else { return }
        state.withLock { s in
            settle(&s, parent)
            if let chain = s.chains[parent] { s.chains[tid] = chain }
        }
    }

    func loading(_ tid: pid_t, _ on: Bool) {
        guard active else { return }
        _ = state.withLock { s in on ? s.loading.insert(tid).inserted : s.loading.remove(tid) != nil }
    }

    public func exited(_ tid: pid_t) {
        guard active else { return }
        state.withLock { s in
            s.chains[tid] = nil
            s.kicks[tid] = nil
            s.loading.remove(tid)
            s.pending[tid] = nil
            s.recheck.remove(tid)
        }
    }

    /// A notified call of `tid` had a guest TRACE verdict, which needs a
    /// ptrace stop: the notification fails with ERESTARTNOINTR after a
    /// SIGSTOP is made pending, so the task stops in that signal's
    /// delivery, where the wait loop takes it over (`takeKick`) before the
    /// kernel restarts the call. The wait for picorun's answer is killable
    /// only (WAIT_KILLABLE_RECV), so the signal cannot cut it short.
    public func kick(_ tid: pid_t, data: UInt16) {
        state.withLock { $0.kicks[tid] = data }
        _ = pico_tgkill(Self.tgid(tid), tid, SIGSTOP)
    }

    /// Whether `tid` has a kick on its way: its notified call's real exit
    /// stop (ERESTARTNOINTR) comes before the kick's and is not shown.
    func kickPending(_ tid: pid_t) -> Bool {
        active && state.withLock { $0.kicks[tid] != nil }
    }

    /// The data of the kick `tid` stopped for, if its SIGSTOP is picorun's.
    func takeKick(_ tid: pid_t) -> UInt16? {
        guard active else { return nil }
        return state.withLock { $0.kicks.removeValue(forKey: tid) }
    }

    static func tgid(_ tid: pid_t) -> pid_t {
        procStatusField("\(tid)", "Tgid").flatMap { pid_t($0) } ?? tid
    }

    /// The tracer resumed `tid` from a seccomp stop and the call it left
    /// will come to picorun again (a notification, or a kicked call's
    /// restart): that verdict is the recheck.
    func rechecking(_ tid: pid_t) {
        _ = state.withLock { $0.recheck.insert(tid) }
    }

    /// The guest chain's TRACE data for this call, or nil when the guest's
    /// filters leave the call to picorun (no filter, another verdict, or
    /// the recheck after a tracer's stop).
    public func traceData(_ tid: pid_t, _ data: SeccompProgram.Data, recheck: Bool = true) -> UInt16? {
        guard active else { return nil }
        let chain: [SeccompProgram]? = state.withLock { s in
            settle(&s, tid)
            if recheck && s.recheck.remove(tid) != nil { return nil }
            return s.loading.contains(tid) ? nil : s.chains[tid]
        }
        guard let chain, !chain.isEmpty else { return nil }
        var verdict = SeccompProgram.retAllow
        for program in chain.reversed() { verdict = SeccompProgram.stricter(verdict, program.run(data)) }
        guard verdict & SeccompProgram.actionMask == SeccompProgram.retTrace else { return nil }
        return UInt16(truncatingIfNeeded: verdict)
    }

    /// The program a struct sock_fprog at `address` in the guest names:
    /// unsigned short len, then a pointer to len instructions.
    public static func program(_ memory: Tracee, at address: UInt64) -> SeccompProgram? {
        guard let head = try? memory.readBytes(at: address, count: 16) else { return nil }
        let count = Int(head[0]) | Int(head[1]) << 8
        let code = head[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard count > 0, count <= 4096, let bytes = try? memory.readBytes(at: code, count: count * 8) else { return nil }
        let insns = (0..<count).map { i -> sock_filter in
            let b = bytes[(i * 8)..<(i * 8 + 8)].map { UInt32($0) }
            let base = b.startIndex
            return sock_filter(code: UInt16(b[base] | b[base + 1] << 8), jt: UInt8(b[base + 2]), jf: UInt8(b[base + 3]),
                               k: b[base + 4] | b[base + 5] << 8 | b[base + 6] << 16 | b[base + 7] << 24)
        }
        return SeccompProgram(code: insns)
    }

    /// The guest's own filters of `tid`, oldest first.
    public func chain(_ tid: pid_t) -> [SeccompProgram] {
        guard active else { return [] }
        return state.withLock { s in
            settle(&s, tid)
            return s.chains[tid] ?? []
        }
    }

    /// Whether `tid` runs under a filter of its own.
    public func filtered(_ tid: pid_t) -> Bool { !chain(tid).isEmpty }

    /// "Seccomp_filters:" of /proc/TID/status: every filter the kernel
    /// runs for the task, picorun's included.
    static func kernelFilters(_ tid: pid_t) -> Int {
        procStatusField("\(tid)", "Seccomp_filters").flatMap { Int($0) } ?? 0
    }

    static func threads(_ tgid: pid_t) -> [pid_t] {
        guard let dir = opendir("/proc/\(tgid)/task") else { return [] }
        defer { closedir(dir) }
        var tids: [pid_t] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if let tid = pid_t(name) { tids.append(tid) }
        }
        return tids
    }
}
