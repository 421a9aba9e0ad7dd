import CPicoLinux
import Glibc

/// The loader protocol: how the supervisor and the loader stub
/// (`StubImage`, scripts/stub/loader-stub.S) put a program into a task.
///
/// Why a stub: the kernel, not picorun, should build the new address space
/// and the stack for the guest's argv and envp, so every exec is an exec of
/// the stub; what the kernel would do for the program's ELF file is then
/// done by a script the stub runs. A task's `LoadPhase` says how far it is:
///   - `.awaitingExec`: the seccomp stop of the execve/execveat of the stub.
///     The child still holds its seccomp listener there, for the last time,
///     so the supervisor takes it now.
///   - The exec stop (PTRACE_EVENT_EXEC): the exec'd image must be the
///     stub's bytes; `Loader.begin` plans the mappings and writes the guest's
///     stack and the script into the task, and the phase is `.runningScript`.
///   - The stub runs the script's mmap, mprotect, close, prctl and openat
///     calls (`loaderSyscalls`; an openat takes a file the exec validated,
///     named by a `LoaderFiles` token and answered by the handlers). None is
///     a ptrace stop unless every call is trapped (--trace-all); then they
///     are let through unchanged.
///   - It reports with kill(0, 0) and a marker in %r8, a call picorun always
///     traps and never lets run: `markerDone`, which the supervisor turns
///     into the stub's munmap of itself (phase `.finishing`, stopping at its
///     exit), or `markerFail` with the failed record in %r10 and its result
///     in %rdx, which ends the process with the record's own description.
///   - The final stop, that munmap's exit: a setuid/setgid program must
///     still be the mapped file; the task gets the registers the kernel
///     gives a new program and runs the guest's first instruction.
/// Anything else a loading task calls is not the stub's, and fails the load.
/// The state the protocol keeps on the supervisor (`listenerPending`,
/// `mainLoadFailed`) is stored in Supervisor.swift.
extension Supervisor {
    static let sysExecve = 59
    static let sysExecveat = 322
    static let sysOpenat = 257
    static let sysMunmap: UInt64 = 11
    /// What the loader script calls: close, mmap, mprotect, prctl, openat.
    static let loaderSyscalls: Set<UInt64> = [3, 9, 10, 157, 257]

    func execStop(_ stopped: GuestTask) {
        var task = stopped
        // A non-leader thread that execs takes over the leader's tid; its
        // state (the pending load) is what counts.
        var former: UInt = 0
        if Ptrace.call(Ptrace.getEventMsg, task.tid, 0, UInt(bitPattern: withUnsafeMutablePointer(to: &former) { $0 })) >= 0,
           case let formerTid = pid_t(truncatingIfNeeded: former), formerTid != task.tid,
           let execer = tasks.removeValue(forKey: formerTid) {
            let leader = GuestTask(tid: task.tid, process: execer.process)
            leader.loading = execer.loading
            leader.awaitingFirstStop = false
            leader.pendingNumber = execer.pendingNumber
            leader.traced = execer.traced
            leader.execFormerTid = formerTid
            tasks[task.tid] = leader
            task = leader
        }
        if task.pendingNumber == Self.sysExecve || task.pendingNumber == Self.sysExecveat {
            task.execNumber = UInt64(task.pendingNumber)
        }
        // Every other thread of the process is gone.
        for (tid, other) in tasks where tid != task.tid && other.process === task.process {
            tasks.removeValue(forKey: tid)
            if !tracing.idle { tracing.ended(other, status: 0) }
        }
        task.awaitingExit = false
        task.enterRegisters = nil
        guard case .awaitingExec(let request)? = task.loading else {
            failLoad(task, path: "?", reason: "an exec that did not go through picorun's loader")
            return
        }
        if listenerPending {
            failLoad(task, path: request.programPath, reason: "no seccomp listener from the child")
            return
        }
        guard StubImage.isRunning(in: task.tid) else {
            failLoad(task, path: request.programPath, reason: "the exec'd image is not picorun's loader")
            return
        }
        handler.taskEvent(.execed(task))
        do {
            // personality(ADDR_NO_RANDOMIZE), as gdb sets before it runs a
            // program, turns randomization off for this exec as on Linux.
            let randomize = options.randomize && !Self.noRandomize(task.tid)
            let load = try Loader.begin(request, tracee: task.tracee, randomize: randomize)
            task.loading = .runningScript(request, load)
            guestSeccomp.loading(task.tid, true)
            task.process.memory = AddressSpace(brkStart: load.brkStart)
            resume(task.tid, Ptrace.cont, 0)
        } catch {
            failLoad(task, path: request.programPath, reason: error.reason)
        }
    }

    static let addrNoRandomize: UInt = 0x0040000

    static func noRandomize(_ tid: pid_t) -> Bool {
        guard let text = readSmallFile("/proc/\(tid)/personality"),
              let value = UInt(text.split(whereSeparator: { $0 == "\n" }).first ?? "", radix: 16) else { return false }
        return value & addrNoRandomize != 0
    }

    /// Syscalls of a task that is exec'ing: only the stub's own are expected.
    func loaderSyscall(_ task: GuestTask, regs: Registers) {
        let nr = regs.orig_rax
        switch task.loading! {
        case .awaitingExec:
            // The exec of the stub itself: the last moment the child still
            // holds its seccomp listener, so the supervisor takes it now.
            if [UInt64(Self.sysExecveat), UInt64(Self.sysExecve)].contains(nr) {
                if listenerPending {
                    let listener = pico_take_listener(task.tid)
                    if listener >= 0 {
                        listenerPending = false
                        NotificationLoop(listener: listener, handler: handler, seccomp: guestSeccomp).start()
                    }
                }
                resume(task.tid, Ptrace.cont, 0)
            } else {
                failLoad(task, path: "?", reason: "unexpected syscall \(nr) before exec")
            }
        case .runningScript(let request, let load):
            if Self.loaderSyscalls.contains(nr) {
                // The stub's own calls (trapped when every syscall is, as for --trace-all).
                resume(task.tid, Ptrace.cont, 0)
            } else if StubImage.isMarker(regs, StubImage.markerDone) {
                var r = regs
                r.orig_rax = Self.sysMunmap
                r.rdi = StubImage.base
                r.rsi = StubImage.mappedLength
                try? task.tracee.setRegisters(r)
                task.loading = .finishing(request, load)
                resume(task.tid, Ptrace.syscall, 0)
            } else if StubImage.isMarker(regs, StubImage.markerFail) {
                let why = load.describeFailure(recordAddress: regs.r10, result: Int64(bitPattern: regs.rdx))
                failLoad(task, path: request.programPath, reason: guestSeccomp.filtered(task.tid)
                         ? why + " (the process's own seccomp filter judges the calls of picorun's loader too)" : why)
            } else {
                failLoad(task, path: request.programPath, reason: "unexpected syscall \(nr) from the loader")
            }
        case .finishing(let request, _):
            failLoad(task, path: request.programPath, reason: "unexpected syscall \(nr) while starting")
        }
    }

    /// At the exit of the stub's munmap of itself: the registers the kernel
    /// gives a new program (all zero but %rsp and %rip, IF set in RFLAGS).
    func startGuest(_ task: GuestTask, _ load: LoadInProgress) {
        guard var r = try? task.tracee.registers() else { return }
        let munmapResult = Int64(bitPattern: r.rax)
        let (cs, ss, fsBase, gsBase, ds, es, fs, gs) = (r.cs, r.ss, r.fs_base, r.gs_base, r.ds, r.es, r.fs, r.gs)
        r = Registers()
        (r.cs, r.ss, r.fs_base, r.gs_base, r.ds, r.es, r.fs, r.gs) = (cs, ss, fsBase, gsBase, ds, es, fs, gs)
        r.rip = load.entry
        r.rsp = load.stackPointer
        r.eflags = 0x202
        r.orig_rax = UInt64.max
        guard munmapResult == 0, (try? task.tracee.setRegisters(r)) != nil else {
            failLoad(task, path: "?", reason: "could not unmap the loader stub")
            return
        }
        task.loading = nil
        guestSeccomp.loading(task.tid, false)
        handler.taskEvent(.started(task, auxv: load.auxv))
        if !tracing.idle && tracing.execed(task, registers: &r) { return }
        resume(task.tid, Ptrace.cont, 0)
    }

    func failLoad(_ task: GuestTask, path: String, reason: String) {
        writeStderr("picorun: \(path): cannot load: \(reason)\n")
        if task.process.tgid == mainPid { mainLoadFailed = true }
        task.loading = nil
        guestSeccomp.loading(task.tid, false)
        kill(task.process.tgid, SIGKILL)
    }
}
