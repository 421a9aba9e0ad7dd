import Glibc

/// What a guest tracer's wait4/waitid finds among its tracees.
public struct TraceeReport: Sendable {
    public let tid: pid_t
    /// The wait status, as wait4 stores it.
    public let status: Int32
    public let exited: Bool
    /// The tracee's (emulated) real uid is the caller's business: the
    /// table fills si_uid, so only the pid and status travel here.
}

extension GuestTracing {
    static let wNoWait: Int32 = 0x0100_0000
    static let wExited: Int32 = 4

    /// Whether `tid` is one a wait for `pid` by `caller` names.
    func matches(_ tid: pid_t, pid: Int64, caller: GuestTask) -> Bool {
        switch pid {
        case -1: return true
        case 0: return getpgid(tid) == getpgid(caller.process.tgid)
        case ..<0: return Int64(getpgid(tid)) == -pid
        default: return Int64(tid) == pid
        }
    }

    /// True if the caller's process traces a task the wait could report:
    /// then a wait must not end with ECHILD, and a blocking one waits.
    public func hasTracees(_ caller: GuestTask, pid: Int64) -> Bool {
        let tgid = caller.process.tgid
        if exits[tgid]?.contains(where: { matches($0.tid, pid: pid, caller: caller) }) == true { return true }
        return supervisor.tasks.values.contains { $0.traced?.tracerTgid == tgid && matches($0.tid, pid: pid, caller: caller) }
    }

    /// A stop not yet reported, or an exit the tracer reaps here. `waitid`
    /// reports exits only with WEXITED; wait4 always does.
    public func takeReport(_ caller: GuestTask, pid: Int64, options: Int32, waitid: Bool) -> TraceeReport? {
        let tgid = caller.process.tgid
        let consume = options & Self.wNoWait == 0
        for task in supervisor.tasks.values.sorted(by: { $0.tid < $1.tid }) {
            guard let t = task.traced, t.tracerTgid == tgid, let stop = t.held, !stop.reported,
                  matches(task.tid, pid: pid, caller: caller) else { continue }
            if consume { t.held!.reported = true }
            return TraceeReport(tid: task.tid, status: stop.status, exited: false)
        }
        guard !waitid || options & Self.wExited != 0, var list = exits[tgid],
              let i = list.firstIndex(where: { matches($0.tid, pid: pid, caller: caller) }) else { return nil }
        let e = list[i]
        if consume {
            list.remove(at: i)
            exits[tgid] = list.isEmpty ? nil : list
        }
        return TraceeReport(tid: e.tid, status: e.status, exited: true)
    }

    /// The caller blocks in a wait its tracees' stops must interrupt.
    public func waiting(_ caller: GuestTask, _ on: Bool) {
        caller.waitingForTracees = on
    }

    /// Whether the caller's process has a child process, alive or a zombie,
    /// the kernel's own wait could report: then the kernel runs the wait,
    /// and picorun interrupts it when a tracee stops.
    public func hasChildProcesses(_ caller: GuestTask, pid: Int64) -> Bool {
        let tgid = caller.process.tgid
        for task in supervisor.tasks.values where task.process.tgid == tgid {
            guard let text = readSmallFile("/proc/\(tgid)/task/\(task.tid)/children") else { continue }
            for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                if let child = pid_t(word),
                   matches(child, pid: pid, caller: caller) { return true }
            }
        }
        return false
    }
}
