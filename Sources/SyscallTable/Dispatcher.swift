import CPicoLinux
import Glibc
import PicoCore
import SyscallTrace
import Synchronization
import VolFS

/// picorun's kernel personality, as the supervisor sees it: the seccomp
/// filter's verdict for each number (the table's trap column), and each
/// trapped call, whichever way it arrives, handed to its table line's
/// handler as a GuestCall on the one GuestKernel; the handler's Outcome
/// becomes the stop's action or the notification's reply. Feeds the tracer
/// and the coverage recorder (SyscallTrace) when asked, once per call, in
/// each task's order.
public final class Dispatcher: SyscallHandling {
    public struct Options {
        public var tracer: Tracer?
        /// Trap every syscall so that passthrough calls are traced too.
        public var traceAll = false
        public var coverage: CoverageRecorder?
        /// The guest's file tree: path syscalls are resolved in it. Without
        /// one (unit tests of the table only) they pass through to the host.
        public var fileTree: GuestFileTree?
        /// The guest's working directory at start (a guest path).
        public var initialCwd = "/"
        /// A distro's metadata: stat answers and chown/chmod/mknod records
        /// come from and go to its sidecar. Nil on the host tree.
        public var volume: Volume?
        /// The guest's identity at start, in distro runs; nil runs the
        /// guest as the host user.
        public var credentials: Credentials?
        /// [network] hostname of the distro's config: uname's nodename.
        public var hostname: String?
        public init() {}
    }

    /// What a task's in-flight syscall looked like at entry, for the exit.
    struct Pending {
        let number: Int
        let args: [UInt64]
        let texts: [String?]
        let how: String?
    }

    let options: Options
    let observing: Bool
    /// Arguments of notified calls, decoded before the answer, by notification id.
    let notifiedTexts = Mutex([UInt64: [String?]]())
    var pending: [pid_t: Pending] = [:]
    /// Calls to syscalls picorun refuses, by number (counted even when not observing).
    public private(set) var unsupportedCalls: [Int: Int] = [:]

    /// The guest's processes, file tree and the supervisor's bookkeeping:
    /// everything a handler reads or changes besides its call.
    let kernel: GuestKernel
    var processes: GuestProcesses { kernel.processes }

    public init(options: Options = Options()) {
        self.options = options
        self.observing = options.tracer != nil || options.coverage != nil
        let processes = GuestProcesses(initialCwd: options.initialCwd, credentials: options.credentials ?? .root)
        kernel = GuestKernel(processes: processes, tree: options.fileTree, volume: options.volume, hostname: options.hostname,
                             emulatedIdentities: options.credentials != nil)
        if let tree = options.fileTree {
            if tree.root.hostPath != "/" {
                tree.procShows = { pid in processes.isGuestTask(pid) }
            }
            // exe is an object (procObject), never a path to walk again.
            tree.procLinkOverride = { pid, link in
                guard processes.isGuest(pid) else { return nil }
                switch link {
                case "root": return processes.root(ofProcess: pid)
                case "cwd": return processes.cwd(ofProcess: pid)
                default: return nil
                }
            }
            let links = kernel.links
            tree.procObject = { caller, link throws(TraceeError) in try links.object(caller, link) }
            tree.procAccess = { caller, pid in links.mayAccess(caller, pid) }
        }
    }

    public var highestSyscall: Int { highestKernelSyscall }

    public func traps(_ nr: Int) -> Bool {
        filterAction(nr) != .allow
    }

    /// On the host tree with picorun as root, the guest's own host identity
    /// decides each call (HostIdentity); its identity calls are seen, so
    /// the identity read from /proc is read again after them.
    var hostIdentities: Bool { options.credentials == nil && options.fileTree != nil && HostIdentity.supervisorIsRoot }

    /// This run, as the table's trap column reads it.
    var run: Trap.Run {
        Trap.Run(hasFileTree: options.fileTree != nil, distro: options.credentials != nil, hostRoot: hostIdentities,
                 observing: options.traceAll || options.coverage != nil)
    }

    /// The table's trap column, read for this run; numbers the kernel does
    /// not define stop, to be answered ENOSYS and counted.
    public func filterAction(_ nr: Int) -> SeccompFilter.Action {
        SyscallTable.entry(nr)?.trap.action(in: run) ?? .trace
    }

    public var keepsIdentities: Bool { options.credentials != nil }

    public func signalUid(of tid: pid_t) -> UInt32? { processes.realUid(tid) }

    /// Answers a path syscall on the notification thread.
    public func notified(_ n: SyscallNotification) -> NotificationReply {
        guard kernel.tree != nil, let entry = SyscallTable.entry(n.number), let handler = entry.handler else {
            return .error(.ENOSYS)
        }
        let c = GuestCall(kernel: kernel, n: n)
        if observing {
            // Stored before the call: a deferred answer may come at once.
            let texts = options.tracer?.enterTexts(entry.shape, n.args, tracee: c.tracee) ?? []
            notifiedTexts.withLock { $0[n.id] = texts }
        }
        if case .distro = entry.trap, options.credentials == nil {
            // Notified on the host tree (Trap.HostTree): the host-tree answer.
            guard let hostTree = entry.hostTree else { return .continueCall }
            do { return try hostTree(c).notificationReply } catch { return .error(error.errno) }
        }
        do {
            if hostIdentities, let who = processes.hostIdentity(n.tid) {
                return try who.perform({ () throws(TraceeError) in try handler(c) }, refused: { .error(.EPERM) }).notificationReply
            }
            return try handler(c).notificationReply
        } catch {
            return .error(error.errno)
        }
    }

    public func enter(_ c: SyscallContext) -> SyscallAction {
        let nr = c.number
        let entry = SyscallTable.entry(nr)
        // Captured before a handler rewrites the registers.
        let args = observing ? (0..<6).map { c.arg($0) } : []
        let texts = options.tracer?.enterTexts(entry?.shape, args, tracee: c.tracee) ?? []
        var action: SyscallAction
        var how: String?
        switch entry?.level {
        case nil:
            action = .emulated(-Int64(LinuxErrno.ENOSYS.rawValue))
            unsupportedCalls[nr, default: 0] += 1
            how = "unknown syscall"
        case .unsupported?:
            action = .emulated(-Int64(entry!.errno!.rawValue))
            unsupportedCalls[nr, default: 0] += 1
            how = "unsupported"
        case .passthrough?:
            action = .passthrough
        default:
            // A notified entry without a file tree (table tests only)
            // reaches the host as it is.
            guard let handler = entry!.handler, entry!.trap.stopsAtPtrace else {
                action = .passthrough
                break
            }
            do { action = try handler(GuestCall(kernel: kernel, stop: c)).stopAction } catch {
                action = .emulated(-Int64(error.errno.rawValue))
            }
            switch action {
            case .emulated: how = "emulated"
            case .rewritten: how = "translated"
            default: how = nil
            }
        }
        guard observing else { return action }

        options.coverage?.called(nr)
        switch action {
        case .emulated(let result):
            options.coverage?.returned(nr, result)
            options.tracer?.line(tid: c.tracee.tid, number: nr, entry: entry?.shape, args: args, texts: texts, result: result,
                                 tracee: c.tracee, how: how)
        case .passthrough, .passthroughSeeingExit, .rewritten:
            pending[c.tracee.tid] = Pending(number: nr, args: args, texts: texts, how: how)
            if action == .passthrough { action = .passthroughSeeingExit }
        }
        return action
    }

    public func exit(_ c: SyscallContext, result: Int64) -> Int64 {
        let nr = c.task.pendingNumber
        let fixed = SyscallTable.entry(nr)?.exit?(GuestCall(kernel: kernel, stop: c), result) ?? result
        if observing, let p = pending.removeValue(forKey: c.tracee.tid) {
            options.coverage?.returned(p.number, fixed)
            options.tracer?.line(tid: c.tracee.tid, number: p.number, entry: SyscallTable.entry(p.number)?.shape, args: p.args,
                                 texts: p.texts, result: fixed, tracee: c.tracee, how: p.how)
        }
        return fixed
    }

    /// A notified call's line is written before its reply is sent: the
    /// outputs the supervisor wrote are still the call's (the task has not
    /// run on to reuse its stack), and the task's next call, or its exit,
    /// cannot be traced first. Only an fd's number is known after the
    /// send; until that line is out, the task's other lines wait for it.
    public func notificationAnswering(_ n: SyscallNotification, reply: NotificationReply) {
        guard observing else { return }
        switch reply {
        case .value(let v): traceNotified(n, result: v)
        case .error(let e): traceNotified(n, result: -Int64(e.rawValue))
        case .continueCall: traceNotified(n, result: nil)
        case .fd: options.tracer?.hold(n.tid)
        case .deferred: break
        }
    }

    public func notificationAnswered(_ n: SyscallNotification, result: Int64?) {
        guard observing, case .some = notifiedTexts.withLock({ $0[n.id] }) else { return }
        traceNotified(n, result: result, releasing: true)
    }

    func traceNotified(_ n: SyscallNotification, result: Int64?, releasing: Bool = false) {
        guard let texts = notifiedTexts.withLock({ $0.removeValue(forKey: n.id) }) else { return }
        options.coverage?.called(n.number)
        if let result { options.coverage?.returned(n.number, result) }
        let how = result == nil ? "run by the kernel" : "translated"
        options.tracer?.line(tid: n.tid, number: n.number, entry: SyscallTable.entry(n.number)?.shape, args: n.args, texts: texts,
                             result: result, tracee: PtraceTracee(tid: n.tid), how: how, releasing: releasing)
    }

    public func taskEvent(_ event: TaskEvent) {
        switch event {
        case .spawned(let task, let parent):
            processes.spawned(tid: task.tid, tgid: task.process.tgid, parent: parent.map { ($0.tid, $0.process.tgid) })
        case .execed(let task):
            processes.execedHostIdentity(task.tid)
            // On the host tree an exec makes the process dumpable again as
            // far as picorun's flag goes; the kernel judges its own.
            if options.credentials == nil { _ = processes.updateCredentials(task.tid) { $0.dumpable = 1; return true } }
            if case .awaitingExec(let request)? = task.loading {
                processes.execed(tid: task.tid, files: request.files)
            }
            if let next = kernel.pendingCredentials.withLock({ $0.removeValue(forKey: task.process.tgid) }) {
                _ = processes.updateCredentials(task.tid) { $0 = next; return true }
            }
            // A successful exec has no exit stop: its result is 0 here.
            if let p = pending.removeValue(forKey: task.tid) {
                options.coverage?.returned(p.number, 0)
                options.tracer?.line(tid: task.tid, number: p.number, entry: SyscallTable.entry(p.number)?.shape, args: p.args,
                                     texts: p.texts, result: 0, tracee: task.tracee, how: p.how)
            }
        case .started(let task, let auxv):
            processes.started(tid: task.tid, auxv: auxv)
        case .exited(let task, let status):
            processes.exited(tid: task.tid)
            kernel.fifoOpens.taskExited(task.tid)
            if let p = pending.removeValue(forKey: task.tid) {
                // exit/exit_group, or killed in the middle of a call.
                options.tracer?.line(tid: task.tid, number: p.number, entry: SyscallTable.entry(p.number)?.shape, args: p.args,
                                     texts: p.texts, result: nil, tracee: task.tracee, how: p.how)
            }
            if let tracer = options.tracer {
                tracer.exited(tid: task.tid, status: status)
            }
        }
    }

    public var wantsStopTiming: Bool { options.coverage != nil }

    public func stopHandled(_ nr: Int, nanoseconds: UInt64) {
        options.coverage?.spent(nr, nanoseconds)
    }
}
