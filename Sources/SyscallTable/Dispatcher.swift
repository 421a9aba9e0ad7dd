import PicoCore

/// picorun's kernel personality: routes each trapped syscall to its handler.
public final class Dispatcher: SyscallHandling {
    public init() {}

    public var highestSyscall: Int { 462 }

    static let sysBrk = 12

    public func traps(_ nr: Int) -> Bool {
        nr == Self.sysBrk || nr == 59 || nr == 322
    }

    public func enter(_ c: SyscallContext) -> SyscallAction {
        switch c.number {
        case Self.sysBrk: return Memory.brk(c)
        case 59, 322: return .emulated(-Int64(LinuxErrno.ENOSYS.rawValue))
        default: return .emulated(-Int64(LinuxErrno.ENOSYS.rawValue))
        }
    }

    public func exit(_ c: SyscallContext, result: Int64) -> Int64 {
        switch c.task.pendingNumber {
        case Self.sysBrk: return Memory.brkExit(c, result: result)
        default: return result
        }
    }

    public func taskEvent(_ event: TaskEvent) {}
}
