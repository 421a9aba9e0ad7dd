import CPicoLinux
import Glibc

/// Spawns the guest's first process under ptrace and seccomp and follows
/// every task it creates until the last one is gone: the spawn and the wait
/// loop are here, with the stops they dispatch. How an exec puts a program
/// into a task (the loader stub's protocol) is in LoaderProtocol.swift.
public final class Supervisor {
    public struct Options {
        /// Randomize load addresses, stack and brk like the kernel does.
        public var randomize = Randomness.addressSpaceRandomization
        /// Signals picorun forwards to the initial guest process when it receives them.
        public var forwardedSignals: [Int32] = [SIGTERM, SIGHUP]
        /// Host directory the guest starts in (its kernel cwd).
        public var startDirectory: String?
        public init() {}
    }

    let handler: SyscallHandling
    let options: Options
    var tasks: [pid_t: GuestTask] = [:]
    /// New tasks whose first stop arrived before their parent's clone event.
    var earlyStops: Set<pid_t> = []
    /// New tasks that ended before their parent's clone event, and when.
    var earlyEnds: [pid_t: Int] = [:]
    var mainPid: pid_t = 0
    var mainExit: GuestExit?
    /// The first process's load failed (LoaderProtocol.swift's `failLoad`).
    var mainLoadFailed = false
    /// A forwarded signal asked picorun to end.
    var terminating = false
    /// The child installs a filter with a listener the supervisor must take
    /// before the child's first exec closes it.
    var listenerPending = false
    let debug = getenv("PICORUN_DEBUG") != nil
    /// ptrace as guest tracers see it.
    public private(set) lazy var tracing = GuestTracing(supervisor: self)
    /// The guests' own seccomp filters, whose TRACE verdicts picorun makes.
    public let guestSeccomp = GuestSeccomp()

    static let cloneVM: UInt64 = 0x100
    static let cloneThread: UInt64 = 0x10000

    public init(handler: SyscallHandling, options: Options = Options()) {
        self.handler = handler
        self.options = options
    }

    /// Runs `request` with `argv` and `envp` and returns how the first process ended.
    public func run(_ request: LoadRequest, argv: [String], envp: [String]) throws(SupervisorError) -> GuestExit {
        let stubFD = try StubImage.makeMemfd()
        defer { close(stubFD) }
        // Guests must not ptrace, read or write the supervisor's memory.
        pico_set_dumpable(0)

        let filter = SeccompFilter.build(highest: handler.highestSyscall, action: handler.filterAction)
        let wantsListener = (0...handler.highestSyscall).contains { handler.filterAction($0) == .notify }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in options.forwardedSignals { sigaddset(&defaults, sig) }
        for sig in [SIGINT, SIGQUIT] where isDefault(sig) {
            sigaddset(&defaults, sig)
            signal(sig, SIG_IGN)  // the terminal signals the guest directly; picorun must outlive it
        }
        // The supervisor writes to guest sockets on the guest's behalf; a
        // closed peer must not kill it. The guest keeps its own disposition.
        if isDefault(SIGPIPE) {
            sigaddset(&defaults, SIGPIPE)
            signal(SIGPIPE, SIG_IGN)
        }
        var mask = sigset_t()
        sigprocmask(SIG_SETMASK, nil, &mask)
        for sig in options.forwardedSignals { _ = pico_catch_for_forwarding(sig) }

        var goFD: Int32 = -1, reportFD: Int32 = -1
        let pid = withCStrings(argv) { cargv in
            withCStrings(envp) { cenvp in
                filter.withUnsafeBufferPointer { f in
                    withUnsafePointer(to: &defaults) { d in
                        withUnsafePointer(to: &mask) { m in
                            withOptionalCString(options.startDirectory) { dir in
                                var args = pico_spawn_args(exec_fd: stubFD, argv: cargv, envp: cenvp,
                                                           filter: f.baseAddress, filter_len: UInt16(f.count),
                                                           default_signals: d, signal_mask: m,
                                                           want_listener: wantsListener ? 1 : 0, chdir_to: dir)
                                return pico_spawn_seizable(&args, &goFD, &reportFD)
                            }
                        }
                    }
                }
            }
        }
        guard pid > 0 else { throw SupervisorError("fork: \(hostErrorString(errno))") }
        defer { close(reportFD) }
        let seized = Ptrace.call(Ptrace.seize, pid, 0, Ptrace.supervisorOptions)
        if seized < 0 {
            kill(pid, SIGKILL)
            var st: Int32 = 0
            waitpid(pid, &st, 0)
            close(goFD)
            throw SupervisorError("ptrace(PTRACE_SEIZE): \(hostErrorString(Int32(-seized))); is ptrace allowed here?")
        }
        // The guest has the user's umask from the fork. Files the supervisor
        // makes for it get the modes its own umask leaves (the handlers apply
        // it); the supervisor's must take nothing more away.
        umask(0)
        var go: UInt8 = UInt8(ascii: "g")
        _ = write(goFD, &go, 1)
        close(goFD)
        listenerPending = wantsListener

        mainPid = pid
        let task = GuestTask(tid: pid, process: GuestProcess(tgid: pid, memory: AddressSpace(brkStart: 0)))
        task.loading = .awaitingExec(request)
        task.awaitingFirstStop = false  // seized while running: no initial stop
        tasks[pid] = task
        handler.taskEvent(.spawned(task, parent: nil))

        waitLoop()

        if mainLoadFailed { return .loadFailed }
        if case .exited(127)? = mainExit, let report = readSpawnReport(reportFD) { throw report }
        return mainExit ?? .exited(127)
    }

    func isDefault(_ sig: Int32) -> Bool {
        var old = sigaction()
        sigaction(sig, nil, &old)
        return old.__sigaction_handler.sa_handler == nil
    }

    func readSpawnReport(_ fd: Int32) -> SupervisorError? {
        var r = pico_spawn_report()
        let n = read(fd, &r, MemoryLayout<pico_spawn_report>.size)
        guard n == MemoryLayout<pico_spawn_report>.size else { return nil }
        let step: String
        switch Int(r.step) {
        case Int(PICO_STEP_PDEATHSIG.rawValue): step = "prctl(PR_SET_PDEATHSIG)"
        case Int(PICO_STEP_SYNC.rawValue): step = "waiting for the supervisor"
        case Int(PICO_STEP_NO_NEW_PRIVS.rawValue): step = "prctl(PR_SET_NO_NEW_PRIVS)"
        case Int(PICO_STEP_SECCOMP.rawValue): step = "installing the seccomp filter"
        default: step = "exec of the loader stub"
        }
        return SupervisorError("cannot start the guest: \(step): \(hostErrorString(r.error))")
    }

    // MARK: - The wait loop

    func waitLoop() {
        var status: Int32 = 0
        while true {
            forwardPendingSignals()
            let pid = waitpid(-1, &status, __WALL)
            if pid < 0 {
                if errno == EINTR { continue }
                break  // ECHILD: no tracee left
            }
            if pico_wifexited(status) != 0 || pico_wifsignaled(status) != 0 {
                taskEnded(pid, status: status)
            } else if pico_wifstopped(status) != 0 {
                stopped(pid, status: status)
            }
        }
    }

    func forwardPendingSignals() {
        while case let sig = pico_take_forwarded_signal(), sig != 0 {
            terminating = true
            if mainExit == nil { kill(mainPid, sig) }
        }
        // picorun was told to end (SIGTERM, SIGHUP) and the first guest is
        // gone: the session ends, whatever its other processes wait for (a
        // guest stuck in a call picorun answers could otherwise keep it
        // alive for good).
        if terminating && mainExit != nil {
            for tid in tasks.keys { kill(tid, SIGKILL) }
        }
    }

    func taskEnded(_ pid: pid_t, status: Int32) {
        if pid == mainPid {
            mainExit = pico_wifexited(status) != 0 ? .exited(pico_wexitstatus(status)) : .signaled(pico_wtermsig(status))
        }
        if let task = tasks.removeValue(forKey: pid) {
            if case .runningScript(let request, _)? = task.loading, guestSeccomp.filtered(pid) {
                // The stub's calls go through the guest's own filters too;
                // one that refuses them leaves the stub nothing but its exit.
                writeStderr("picorun: \(request.programPath): cannot load: the process's own seccomp filter refuses a call of picorun's loader (mmap, mprotect, munmap, openat, close or kill)\n")
            }
            if !tracing.idle { tracing.ended(task, status: status) }
            guestSeccomp.exited(pid)
            releaseHeldParent(task)
            handler.taskEvent(.exited(task, status: status))
        } else {
            // Gone before its parent's fork event said who it is (killed at
            // once): that event, which comes at once, must neither record
            // it nor wait for it. Kept a few seconds only (pids are reused).
            let now = monotonicSeconds()
            if earlyEnds.count > 256 { earlyEnds = earlyEnds.filter { now - $0.value < 5 } }
            earlyEnds[pid] = now
        }
        earlyStops.remove(pid)
    }

    func stopped(_ pid: pid_t, status: Int32) {
        let sig = pico_wstopsig(status)
        let event = Int32(status >> 16)
        guard let task = tasks[pid] else {
            // A new task that stopped before its parent's clone event told us who it is.
            if event == Ptrace.eventStop { earlyStops.insert(pid) } else { resume(pid, Ptrace.cont, 0) }
            return
        }
        if event != Ptrace.eventStop { task.groupStopSignal = 0 }
        if sig == SIGTRAP | 0x80 {
            // A traced task also has the entry stops its tracer asked for.
            if task.traced != nil && task.loading == nil && syscallStopIsEntry(pid) {
                if !tracing.syscallStop(task, entry: true) { resume(pid, Ptrace.cont, 0) }
                return
            }
            timed(task) { syscallExit(task) }
            return
        }
        switch event {
        case Ptrace.eventSeccomp:
            timed(task) { seccompStop(task) }
        case Ptrace.eventFork, Ptrace.eventVfork, Ptrace.eventClone:
            // A new process starts before its parent goes on, as on a
            // machine with a CPU free for it: the parent waits for the
            // child's first stop (a shell that races its child, as bash's
            // coproc tests do, sees what it sees natively).
            // A parent its guest tracer holds for the event is the tracer's
            // to resume: a later resume here would take it out of whatever
            // real stop it is in by then, unseen.
            if let child = newTask(parent: task, event: event), child.awaitingFirstStop, task.traced?.held == nil {
                child.heldParent = pid
            } else {
                resume(pid, Ptrace.cont, 0)  // not if its tracer holds it for the event
            }
        case Ptrace.eventExec:
            execStop(task)
        case Ptrace.eventStop:
            if debug { writeStderr("picorun[debug]: \(pid) event-stop sig \(sig)\n") }
            if sig == SIGTRAP {
                task.awaitingFirstStop = false
                if !tracing.eventStop(task, sig) { resume(pid, Ptrace.cont, 0) }
                releaseHeldParent(task)
            } else {
                task.groupStopSignal = sig
                // Group-stop (SIGSTOP, SIGTSTP, ...): stay stopped but let SIGCONT through.
                if !tracing.eventStop(task, sig) { resume(pid, Ptrace.listen, 0) }
            }
        case 0:
            if debug, let r = try? task.tracee.registers() {
                var info = [UInt64](repeating: 0, count: 16)
                _ = info.withUnsafeMutableBytes { Ptrace.call(Ptrace.getSigInfo, pid, 0, UInt(bitPattern: $0.baseAddress)) }
                writeStderr("picorun[debug]: \(pid) signal \(sig) at rip=\(hex(r.rip)) rsp=\(hex(r.rsp)) rdi=\(hex(r.rdi)) addr=\(hex(info[2])) ret=\(hex((try? task.tracee.readWord(at: r.rsp)) ?? 0)) rsi=\(hex(r.rsi)) rdx=\(hex(r.rdx)) fs=\(hex(r.fs_base))\n")
                writeStderr((readSmallFile("/proc/\(pid)/maps") ?? "") + "\n")
            }
            // Signal-delivery-stop: deliver the signal unchanged, unless a
            // guest tracer decides.
            if sig == SIGSTOP, let data = guestSeccomp.takeKick(pid) {
                kickedStop(task, data: data)
                return
            }
            fixSiginfo(task, sig)
            if !tracing.signalStop(task, sig) { resume(pid, Ptrace.cont, UInt(sig)) }
        case Ptrace.eventExit, Ptrace.eventVforkDone:
            if !tracing.optionalEvent(task, event) { resume(pid, Ptrace.cont, 0) }
        default:
            resume(pid, Ptrace.cont, 0)
        }
    }

    /// Runs one stop's handling, timing it for the coverage report if asked.
    @inline(__always)
    func timed(_ task: GuestTask, _ body: () -> Void) {
        guard handler.wantsStopTiming else { return body() }
        var a = timespec(), b = timespec()
        clock_gettime(CLOCK_MONOTONIC, &a)
        body()
        clock_gettime(CLOCK_MONOTONIC, &b)
        let ns = (b.tv_sec - a.tv_sec) * 1_000_000_000 + (b.tv_nsec - a.tv_nsec)
        handler.stopHandled(task.pendingNumber, nanoseconds: UInt64(max(0, ns)))
    }

    /// Resumes a task picorun stopped for itself. A task a guest tracer
    /// holds stays stopped; one it lets run goes on as the tracer asked
    /// (PTRACE_SYSCALL, PTRACE_SINGLESTEP ...) once picorun's loader is done.
    @inline(__always)
    func resume(_ pid: pid_t, _ how: Int32, _ sig: UInt) {
        var how = how
        if !tracing.idle, let task = tasks[pid], let t = task.traced, task.loading == nil {
            if t.held != nil { return }
            if t.realOptionsStale { tracing.applyRealOptions(task) }
            if how == Ptrace.cont { how = t.resumeRequest }
        }
        _ = Ptrace.call(how, pid, 0, sig)
    }

    /// PTRACE_GET_SYSCALL_INFO tells a syscall-entry stop from an exit stop.
    func syscallStopIsEntry(_ pid: pid_t) -> Bool {
        var info = pico_syscall_info()
        let n = withUnsafeMutablePointer(to: &info) {
            Ptrace.call(Ptrace.getSyscallInfo, pid, UInt(MemoryLayout<pico_syscall_info>.size), UInt(bitPattern: $0))
        }
        return n > 0 && info.op == 1
    }

    /// Resumes the parent that waited for `task`'s start.
    func releaseHeldParent(_ task: GuestTask) {
        guard let parent = task.heldParent else { return }
        task.heldParent = nil
        resume(parent, Ptrace.cont, 0)
    }

    /// The new task a fork, vfork or clone event announces; nil if the
    /// kernel does not say which.
    @discardableResult
    func newTask(parent: GuestTask, event: Int32) -> GuestTask? {
        var msg: UInt = 0
        guard Ptrace.call(Ptrace.getEventMsg, parent.tid, 0, UInt(bitPattern: withUnsafeMutablePointer(to: &msg) { $0 })) >= 0 else { return nil }
        let child = pid_t(truncatingIfNeeded: msg)
        if let ended = earlyEnds.removeValue(forKey: child), monotonicSeconds() - ended < 5 {
            earlyStops.remove(child)
            return nil
        }
        var flags: UInt64 = event == Ptrace.eventVfork ? Self.cloneVM : 0
        if event == Ptrace.eventClone, let regs = try? parent.tracee.registers() {
            if regs.orig_rax == 435 {  // clone3: flags are the first field of struct clone_args
                flags = (try? parent.tracee.readWord(at: regs.rdi)) ?? 0
            } else {
                flags = regs.rdi
            }
        }
        let process: GuestProcess
        if flags & Self.cloneThread != 0 {
            process = parent.process
        } else {
            let memory = flags & Self.cloneVM != 0 ? parent.process.memory : parent.process.memory.copy()
            process = GuestProcess(tgid: child, memory: memory)
            process.parentTid = parent.tid
            process.parentTgid = parent.process.tgid
        }
        let task = GuestTask(tid: child, process: process)
        tasks[child] = task
        handler.taskEvent(.spawned(task, parent: parent))
        guestSeccomp.spawned(child, parent: parent.tid)
        if !tracing.idle { _ = tracing.forked(parent, child: task, event: event) }
        if earlyStops.remove(child) != nil {
            task.awaitingFirstStop = false
            if !tracing.eventStop(task, SIGTRAP) { resume(child, Ptrace.cont, 0) }
        }
        // Threads go on side by side with their creator, whichever runs first.
        return flags & Self.cloneThread != 0 ? nil : task
    }

    // MARK: - Syscall stops

    /// `afterGuestStop`: the call a guest tracer left at its seccomp stop,
    /// whose filters the kernel runs again once picorun resumes it (a
    /// guest's TRACE then counting as ALLOW).
    func seccompStop(_ task: GuestTask, afterGuestStop: Bool = false) {
        guard let regs = try? task.tracee.registers() else { return }
        if afterGuestStop && notified(regs) { guestSeccomp.rechecking(task.tid) }
        if regs.orig_rax == UInt64.max && task.loading == nil {
            // A guest tracer skipped the call at its entry stop: the result
            // it set stands.
            task.pendingNumber = -1
            resume(task.tid, Ptrace.cont, 0)
            return
        }
        if debug { writeStderr("picorun[debug]: \(task.tid) syscall \(Int64(bitPattern: regs.orig_rax)) (\(hex(regs.rdi)), \(hex(regs.rsi)), \(hex(regs.rdx)))\n") }
        if task.loading != nil {
            task.pendingNumber = -1  // the loader's own calls are not the guest's
            loaderSyscall(task, regs: regs)
            return
        }
        if guestSeccomp.active && !afterGuestStop, let data = guestSeccomp.traceData(task.tid, SeccompProgram.Data(regs)) {
            guestTraceVerdict(task, regs, data: data)
            return
        }
        let context = SyscallContext(tracee: task.tracee, task: task, registers: regs, tracing: tracing)
        task.pendingNumber = context.number
        switch handler.enter(context) {
        case .passthrough:
            resume(task.tid, Ptrace.cont, 0)
        case .passthroughSeeingExit:
            task.awaitingExit = true
            resume(task.tid, Ptrace.syscall, 0)
        case .emulated(let result):
            context.registers.orig_rax = UInt64.max  // -1: the kernel skips the call
            context.registers.rax = UInt64(bitPattern: result)
            try? task.tracee.setRegisters(context.registers)
            if debug { writeStderr("picorun[debug]:   = \(hex(UInt64(bitPattern: result))) (emulated)\n") }
            resume(task.tid, Ptrace.cont, 0)
        case .rewritten:
            try? task.tracee.setRegisters(context.registers)
            task.enterRegisters = regs
            task.awaitingExit = true
            resume(task.tid, Ptrace.syscall, 0)
        }
    }

    /// Whether picorun's own filter answers this call with a notification.
    func notified(_ regs: Registers) -> Bool {
        let nr = Int64(bitPattern: regs.orig_rax)
        guard nr >= 0 && nr <= Int64(handler.highestSyscall) else { return false }
        let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9]
        switch handler.filterAction(Int(nr)) {
        case .notify: return true
        case .notifyUnlessArgZero(let i, _): return args[i] != 0
        default: return false
        }
    }

    /// A guest filter said SECCOMP_RET_TRACE: its tracer's stop if it asked
    /// for PTRACE_O_TRACESECCOMP, else ENOSYS, as Linux answers a TRACE
    /// with no tracer to take it.
    func guestTraceVerdict(_ task: GuestTask, _ regs: Registers, data: UInt16) {
        if tracing.seccompStop(task, data: data) { return }
        var r = regs
        r.orig_rax = UInt64.max
        r.rax = UInt64(bitPattern: -Int64(ENOSYS))
        try? task.tracee.setRegisters(r)
        task.pendingNumber = -1
        resume(task.tid, Ptrace.cont, 0)
    }

    /// A notified call with a guest TRACE verdict, stopped by its kick
    /// (GuestSeccomp.kick) in the SIGSTOP's delivery, its result
    /// ERESTARTNOINTR: the tracer's seccomp stop, else ENOSYS.
    func kickedStop(_ task: GuestTask, data: UInt16) {
        guard var regs = try? task.tracee.registers() else { return }
        regs.rax = UInt64(bitPattern: -Int64(ENOSYS))
        try? task.tracee.setRegisters(regs)
        if tracing.seccompStop(task, data: data, kicked: true) || tracing.kickedExitStop(task) { return }
        regs.orig_rax = UInt64.max  // no restart: the call fails
        try? task.tracee.setRegisters(regs)
        resume(task.tid, Ptrace.cont, 0)
    }

    func syscallExit(_ task: GuestTask) {
        if case .finishing(let request, let load)? = task.loading {
            if let file = request.privilegedFile, !ProcMaps.maps(task.tid, file: file) {
                failLoad(task, path: request.programPath, reason: "the program was replaced while it was being started")
                return
            }
            startGuest(task, load)
            return
        }
        guard task.awaitingExit else {
            exitDone(task)
            return
        }
        task.awaitingExit = false
        guard let regs = try? task.tracee.registers() else { return }
        let context = SyscallContext(tracee: task.tracee, task: task, registers: regs, tracing: tracing)
        let result = Int64(bitPattern: regs.rax)
        let fixed = handler.exit(context, result: result)
        var restore = fixed != result
        if let saved = task.enterRegisters {
            task.enterRegisters = nil
            let r = context.registers
            context.registers = saved
            (context.registers.rip, context.registers.rsp, context.registers.eflags) = (r.rip, r.rsp, r.eflags)
            (context.registers.rcx, context.registers.r11) = (r.rcx, r.r11)
            restore = true
        }
        if debug { writeStderr("picorun[debug]:   host \(hex(UInt64(bitPattern: result))) -> \(hex(UInt64(bitPattern: fixed)))\n") }
        if restore {
            context.registers.rax = UInt64(bitPattern: fixed)
            try? task.tracee.setRegisters(context.registers)
        }
        exitDone(task)
    }

    /// picorun is done with a syscall-exit stop: the guest tracer's, if it
    /// asked for exit stops, or on.
    func exitDone(_ task: GuestTask) {
        if !tracing.idle && tracing.syscallStop(task, entry: false) { return }
        resume(task.tid, Ptrace.cont, 0)
    }
}

/// Writes straight to fd 2: the supervisor prints little and must not buffer.
public func writeStderr(_ s: String) {
    var s = s
    s.withUTF8 { p in
        var off = 0
        while off < p.count {
            let n = write(2, p.baseAddress! + off, p.count - off)
            if n <= 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }
}

func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

/// Calls `body` with a NULL-terminated array of C strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs { free(p) } }
    return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
}
