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

    public init(tid: pid_t, process: GuestProcess) {
        self.tid = tid
        self.process = process
        self.tracee = PtraceTracee(tid: tid)
    }
}
