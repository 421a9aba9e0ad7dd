import CPicoLinux
import Glibc

/// ptrace(2) for guest tracers, emulated on top of picorun's own tracing.
///
/// picorun is every guest task's one real tracer. When a guest traces a
/// task, the task's real stops that Linux would report to that tracer
/// (signal-delivery, group, syscall and event stops) are held: picorun
/// does not resume the task, records the stop, and wakes the tracer, whose
/// wait4/waitid picorun answers. The tracer's requests act on the held
/// task through picorun's real ptrace. picorun's own stops (seccomp stops,
/// the loader's, notifications) are never shown. Syscall-entry stops come
/// before the seccomp filter runs, so whatever call a tracer's register
/// changes leave is still the filter's, and still translated.
///
/// Runs on the supervisor's wait-loop thread only, as every real ptrace
/// request must.
public final class GuestTracing {
    unowned let supervisor: Supervisor
    /// Exits of tracees the tracer must reap through its emulated wait
    /// (threads, and processes that are not its children), by tracer tgid.
    var exits: [pid_t: [(tid: pid_t, status: Int32)]] = [:]
    var tracedCount = 0
    /// What each tracer's pending SIGCHLD from picorun stands for: the
    /// first stop or exit since its last delivery, as the kernel keeps the
    /// first siginfo of a pending standard signal.
    var chldInfo: [pid_t: ChldInfo] = [:]

    init(supervisor: Supervisor) {
        self.supervisor = supervisor
    }

    /// No guest traces anything: every hook is a no-op.
    public var idle: Bool { tracedCount == 0 && exits.isEmpty }

    public func task(_ tid: pid_t) -> GuestTask? { supervisor.tasks[tid] }

    /// The guests' own seccomp filters.
    public var seccomp: GuestSeccomp { supervisor.guestSeccomp }

    func tracees(of tgid: pid_t) -> [GuestTask] {
        supervisor.tasks.values.filter { $0.traced?.tracerTgid == tgid }
    }

    // MARK: - Links

    func link(_ task: GuestTask, tracer: pid_t, tracerTgid: pid_t, seized: Bool, options: UInt) {
        if task.traced == nil { tracedCount += 1 }
        task.traced = TraceeState(tracer: tracer, tracerTgid: tracerTgid, seized: seized, options: options)
        applyRealOptions(task)
    }

    func unlink(_ task: GuestTask) {
        guard let t = task.traced else { return }
        task.traced = nil
        tracedCount -= 1
        if t.options & Self.realOnlyOptions != 0 {
            _ = Ptrace.call(Ptrace.setOptions, task.tid, 0, Ptrace.supervisorOptions)
        }
    }

    /// The tracer's exit and vfork-done events need picorun's real options
    /// to ask for them; everything else picorun always asks for.
    static let realOnlyOptions = Ptrace.optTraceExit | Ptrace.optTraceVforkDone

    /// Sets picorun's real options for what the tracer asked; it fails
    /// (ESRCH) unless the task is in a real stop, and is tried again at the
    /// next one.
    func applyRealOptions(_ task: GuestTask) {
        guard let t = task.traced else { return }
        let r = Ptrace.call(Ptrace.setOptions, task.tid, 0, Ptrace.supervisorOptions | (t.options & Self.realOnlyOptions))
        t.realOptionsStale = r < 0
    }

    // MARK: - Stops shown to the tracer

    /// Holds `task` in `stop` for its tracer and wakes the tracer.
    func hold(_ task: GuestTask, _ stop: TracerStop) {
        guard let t = task.traced else { return }
        if t.realOptionsStale { applyRealOptions(task) }
        if t.held == nil { t.held = stop } else { t.queued.append(stop) }
        wakeTracer(t.tracerTgid, for: task, code: ChldInfo.trapped, status: stop.status >> 8 & 0x7f)
    }

    /// SIGCHLD, as the kernel sends a tracer for each stop (`code` nil: the
    /// kernel sends its own), and an interrupt for any of its threads
    /// blocked in a wait for tracees.
    func wakeTracer(_ tgid: pid_t, for task: GuestTask, code: Int32?, status: Int32) {
        if let code {
            if chldInfo[tgid] == nil { chldInfo[tgid] = ChldInfo(pid: task.tid, uid: Self.realUid(task.tid), code: code, status: status) }
            _ = Glibc.kill(tgid, SIGCHLD)
        }
        for task in supervisor.tasks.values where task.process.tgid == tgid && task.waitingForTracees {
            _ = Ptrace.call(Ptrace.interrupt, task.tid)
        }
    }

    /// A task's real uid on the host (the "Uid:" line's first field).
    static func realUid(_ tid: pid_t) -> UInt32 {
        procStatusField("\(tid)", "Uid")?.split(whereSeparator: { $0 == "\t" || $0 == " " }).first.flatMap { UInt32($0) } ?? 0
    }

    /// The task's state if a guest tracer must see its stops now (not while
    /// picorun's loader runs: those stops are picorun's).
    @inline(__always)
    func shown(_ task: GuestTask) -> TraceeState? {
        guard let t = task.traced, task.loading == nil else { return nil }
        return t
    }

    /// A guest filter's SECCOMP_RET_TRACE at a real seccomp stop: the
    /// tracer's PTRACE_EVENT_SECCOMP, with the filter's data as the event
    /// message, if it asked for them; true when it holds the task.
    func seccompStop(_ task: GuestTask, data: UInt16, kicked: Bool = false) -> Bool {
        guard let t = shown(task), t.options & Ptrace.optTraceSeccomp != 0 else { return false }
        t.eventMessage = UInt(data)
        var stop = TracerStop.event(Ptrace.eventSeccomp)
        stop.kicked = kicked
        hold(task, stop)
        return true
    }

    /// A kicked call that fails (ENOSYS, or skipped by the tracer) has the
    /// exit stop a tracer resuming with PTRACE_SYSCALL waits for, shown
    /// from the kick's stop. True when the tracer holds it.
    func kickedExitStop(_ task: GuestTask) -> Bool {
        guard let t = shown(task), t.resumeRequest == Ptrace.syscall else { return false }
        var stop = TracerStop.syscall(entry: false, sysGood: t.sysGood)
        stop.kicked = true
        hold(task, stop)
        return true
    }

    /// Resumes a task from a stop shown in place of a kicked call's: the
    /// call restarts (ERESTARTNOINTR) unless it fails or the tracer skipped
    /// it (orig_rax -1), which no restart may undo.
    func resumeKicked(_ task: GuestTask, from stop: TracerStop, request: Int32) {
        guard var regs = try? task.tracee.registers() else { return }
        if stop.kind == .event && regs.orig_rax != UInt64.max {
            regs.rax = UInt64(bitPattern: -513)
            try? task.tracee.setRegisters(regs)
            // The restart comes to picorun again if the call is notified,
            // or if the guest's filter traces it still: its recheck.
            if supervisor.notified(regs) || supervisor.guestSeccomp.traceData(task.tid, SeccompProgram.Data(regs), recheck: false) != nil {
                supervisor.guestSeccomp.rechecking(task.tid)
            }
            task.skipEntryStop = request == Ptrace.syscall
        } else {
            if stop.kind == .event && kickedExitStop(task) { return }
            regs.orig_rax = UInt64.max
            try? task.tracee.setRegisters(regs)
        }
        _ = Ptrace.call(request, task.tid, 0, 0)
    }

    /// A real signal-delivery-stop; true when the tracer holds it.
    func signalStop(_ task: GuestTask, _ sig: Int32) -> Bool {
        guard shown(task) != nil else { return false }
        hold(task, .signal(sig))
        return true
    }

    /// A real PTRACE_EVENT_STOP; true when the tracer holds it.
    func eventStop(_ task: GuestTask, _ sig: Int32) -> Bool {
        guard let t = shown(task) else { return false }
        if t.awaitingStart {
            // A new auto-attached task's first stop: SIGSTOP, or
            // PTRACE_EVENT_STOP when its tracer seized.
            t.awaitingStart = false
            hold(task, t.seized ? .event(Ptrace.eventStop) : .signal(SIGSTOP, shown: true))
        } else if sig == SIGTRAP {
            hold(task, .event(Ptrace.eventStop))
        } else {
            hold(task, .groupStop(sig, seized: t.seized))
        }
        return true
    }

    /// A real syscall stop of a traced task. Entry stops exist only because
    /// the tracer asked for them; exit stops only after picorun's own exit
    /// work. True when the tracer holds it.
    func syscallStop(_ task: GuestTask, entry: Bool) -> Bool {
        guard let t = shown(task) else { return false }
        if entry && task.skipEntryStop {
            task.skipEntryStop = false
            return false
        }
        if !entry && supervisor.guestSeccomp.kickPending(task.tid) { return false }
        let wanted = entry ? t.resumeRequest != Ptrace.cont && t.resumeRequest != Ptrace.singleStep
            : t.resumeRequest == Ptrace.syscall
        guard wanted else { return false }
        if !entry, var r = try? task.tracee.registers(), Int64(bitPattern: r.orig_rax) < 0, task.pendingNumber >= 0 {
            // picorun emulated the call (skipped it): the tracer sees the
            // call the guest made, with picorun's result.
            r.orig_rax = UInt64(task.pendingNumber)
            try? task.tracee.setRegisters(r)
        }
        hold(task, .syscall(entry: entry, sysGood: t.sysGood))
        return true
    }

    /// A fork, vfork or clone event of `parent` that made `child`: the child
    /// is traced too if the tracer's options say so, and the parent stops
    /// for the event. True when the tracer holds the parent.
    func forked(_ parent: GuestTask, child: GuestTask, event: Int32) -> Bool {
        guard let t = shown(parent) else { return false }
        let option = event == Ptrace.eventFork ? Ptrace.optTraceFork
            : event == Ptrace.eventVfork ? Ptrace.optTraceVfork : Ptrace.optTraceClone
        guard t.options & option != 0 else { return false }
        link(child, tracer: t.tracer, tracerTgid: t.tracerTgid, seized: t.seized, options: t.options)
        child.traced?.awaitingStart = true
        t.eventMessage = UInt(child.tid)
        hold(parent, .event(event))
        return true
    }

    /// The loader handed over to the new program: what Linux shows a tracer
    /// of an exec, from this one real stop. True when the tracer holds it.
    func execed(_ task: GuestTask, registers: inout Registers) -> Bool {
        guard let t = shown(task) else { return false }
        registers.orig_rax = task.execNumber
        registers.rax = 0
        try? task.tracee.setRegisters(registers)
        let viaSyscall = t.resumeRequest == Ptrace.syscall
        var exit = TracerStop.syscall(entry: false, sysGood: t.sysGood)
        if t.options & Ptrace.optTraceExec != 0 {
            t.eventMessage = UInt(task.execFormerTid != 0 ? task.execFormerTid : task.tid)
            hold(task, .event(Ptrace.eventExec))
            exit.onlyAfterSyscall = true
            t.queued.append(exit)
        } else if viaSyscall {
            hold(task, exit)
            t.queued.append(.signal(SIGTRAP, shown: true))
        } else {
            hold(task, .signal(SIGTRAP, shown: true))
        }
        return true
    }

    /// A real PTRACE_EVENT_EXIT or VFORK_DONE stop, asked for by the tracer.
    func optionalEvent(_ task: GuestTask, _ event: Int32) -> Bool {
        guard let t = shown(task) else { return false }
        let option = event == Ptrace.eventExit ? Ptrace.optTraceExit : Ptrace.optTraceVforkDone
        guard t.options & option != 0 else { return false }
        if event == Ptrace.eventExit {
            var msg: UInt = 0
            _ = Ptrace.call(Ptrace.getEventMsg, task.tid, 0, UInt(bitPattern: withUnsafeMutablePointer(to: &msg) { $0 }))
            t.eventMessage = msg
        }
        hold(task, .event(event))
        return true
    }

    /// A task is gone: its tracer reaps it through the emulated wait unless
    /// it is the tracer's own child process, which the kernel hands it; its
    /// own tracees are let go (or killed, with PTRACE_O_EXITKILL).
    func ended(_ task: GuestTask, status: Int32) {
        if let t = task.traced {
            unlink(task)
            let realChild = task.tid == task.process.tgid && task.process.parentTgid == t.tracerTgid
            if !realChild { exits[t.tracerTgid, default: []].append((task.tid, status)) }
            let (code, value) = ChldInfo.exit(status)
            wakeTracer(t.tracerTgid, for: task, code: realChild ? nil : code, status: value)
        }
        for tracee in supervisor.tasks.values where tracee.traced?.tracer == task.tid {
            if tracee.traced!.options & Ptrace.optExitKill != 0 {
                _ = Glibc.kill(tracee.tid, SIGKILL)
            }
            detach(tracee, signal: 0)
        }
        if task.tid == task.process.tgid { exits.removeValue(forKey: task.tid) }
    }

    // MARK: - Resuming

    /// Lets a held task go on: the next stop shown from the same real stop,
    /// or the real resume with `request`, delivering `signal`.
    func resume(_ task: GuestTask, request: Int32, signal: Int32) {
        guard let t = task.traced, let stop = t.held else { return }
        t.held = nil
        t.resumeRequest = request
        while !t.queued.isEmpty {
            let next = t.queued.removeFirst()
            if next.onlyAfterSyscall && request != Ptrace.syscall { continue }
            t.held = next
            wakeTracer(t.tracerTgid, for: task, code: ChldInfo.trapped, status: next.status >> 8 & 0x7f)
            return
        }
        realResume(task, from: stop, request: request, signal: signal)
    }

    func realResume(_ task: GuestTask, from stop: TracerStop, request: Int32, signal: Int32) {
        if stop.kicked {
            if signal != 0 { _ = pico_tgkill(task.process.tgid, task.tid, signal) }
            return resumeKicked(task, from: stop, request: request)
        }
        switch stop.kind {
        case .signal, .groupStop:
            _ = Ptrace.call(request, task.tid, 0, UInt(signal))
        default:
            // No real signal-delivery-stop to deliver it from: sent, as
            // Linux does for a signal given at a syscall or event stop.
            if signal != 0 { _ = pico_tgkill(task.process.tgid, task.tid, signal) }
            if stop.kind == .event && stop.what >> 8 == Ptrace.eventSeccomp {
                // The kernel runs the filters again on whatever call the
                // tracer left, a guest's TRACE counting as ALLOW: picorun
                // goes on with it as with any call it stops.
                supervisor.seccompStop(task, afterGuestStop: true)
                return
            }
            _ = Ptrace.call(request, task.tid, 0, 0)
        }
    }

    func detach(_ task: GuestTask, signal: Int32) {
        guard let t = task.traced else { return }
        let held = t.held
        unlink(task)
        if let held { realResume(task, from: held, request: Ptrace.cont, signal: signal) }
    }
}
