import Glibc

/// Emulated state of one address space: what fork copies and CLONE_VM shares.
public final class AddressSpace {
    /// The program break the guest sees: brk(2) is emulated with anonymous
    /// mappings, because the kernel's own break belongs to the loader stub.
    public var brkStart: UInt64
    public var brkCurrent: UInt64

    public init(brkStart: UInt64) {
        self.brkStart = brkStart
        self.brkCurrent = brkStart
    }

    public func copy() -> AddressSpace {
        let c = AddressSpace(brkStart: brkStart)
        c.brkCurrent = brkCurrent
        return c
    }
}

/// A guest thread group.
public final class GuestProcess {
    public let tgid: pid_t
    public var memory: AddressSpace
    /// The thread that forked this process (0 for the first guest, whose
    /// parent is picorun): PTRACE_TRACEME makes it the tracer, and a tracee
    /// whose real parent is its tracer reports its exit the kernel's way.
    public var parentTid: pid_t = 0
    public var parentTgid: pid_t = 0

    public init(tgid: pid_t, memory: AddressSpace) {
        self.tgid = tgid
        self.memory = memory
    }
}

/// Where a task is in picorun's exec: the stub is exec'd, runs its script,
/// then hands over to the guest.
public enum LoadPhase {
    case awaitingExec(LoadRequest)
    case runningScript(LoadRequest, LoadInProgress)
    case finishing(LoadRequest, LoadInProgress)
}

/// A guest thread as the supervisor tracks it.
public final class GuestTask {
    public var tid: pid_t
    public var process: GuestProcess
    public let tracee: PtraceTracee
    public var loading: LoadPhase?
    /// Set while a handler waits for this task's syscall-exit stop.
    public var awaitingExit = false
    /// The number the guest called, kept while awaiting the exit stop (a
    /// handler may have rewritten the call into another one).
    public var pendingNumber = -1
    /// The guest's registers at the enter stop of a rewritten call: the
    /// kernel preserves argument registers across a syscall, so the
    /// rewritten ones are put back at the exit stop.
    var enterRegisters: Registers?
    /// Small scratch state a handler keeps between enter and exit.
    public var exitScratch: (UInt64, UInt64) = (0, 0)
    /// True until the task's first ptrace stop has been seen and resumed.
    var awaitingFirstStop = true
    /// The parent stopped at its fork event until this task starts.
    var heldParent: pid_t?
    /// Set while a guest tracer traces this task (GuestTracing).
    public internal(set) var traced: TraceeState?
    /// Set while this task waits in wait4/waitid for its tracees' stops:
    /// a new stop interrupts the wait.
    var waitingForTracees = false
    /// The syscall number the guest exec'd with (execve or execveat), for
    /// the syscall-exit stop a guest tracer sees once the loader is done.
    var execNumber: UInt64 = 59
    /// The tid that called exec, if another thread of the process did.
    var execFormerTid: pid_t = 0
    /// The stop signal of the group-stop this task is listening in.
    var groupStopSignal: Int32 = 0
    /// A kicked call restarts after its tracer's seccomp stop: the real
    /// entry stop of the restart is not the tracer's to see.
    var skipEntryStop = false

    public init(tid: pid_t, process: GuestProcess) {
        self.tid = tid
        self.process = process
        self.tracee = PtraceTracee(tid: tid)
    }
}
