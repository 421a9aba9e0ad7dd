import PicoCore

/// One call at a ptrace stop, with the guest's kernel state: what a
/// handler of a ptrace-trapped call receives. The registers are the
/// stop's; a handler that rewrites them answers `.rewritten`.
struct StopContext {
    let stop: SyscallContext
    let kernel: GuestKernel

    var tracee: Tracee { stop.tracee }
    var task: GuestTask { stop.task }
    /// The guest tracers' ptrace, for the handlers of ptrace and wait.
    var tracing: GuestTracing? { stop.tracing }
    var number: Int { stop.number }
    var registers: Registers {
        get { stop.registers }
        nonmutating set { stop.registers = newValue }
    }
    var processes: GuestProcesses { kernel.processes }

    /// Argument `i` (0...5) in the x86-64 syscall convention.
    func arg(_ i: Int) -> UInt64 { stop.arg(i) }
    func setArg(_ i: Int, _ v: UInt64) { stop.setArg(i, v) }
}
