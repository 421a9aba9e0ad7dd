import CPicoLinux
import Glibc

/// ptrace(2) requests, options and events: Linux ABI numbers, spelled out so
/// that nothing depends on how glibc's enum is imported.
public enum Ptrace {
    public static let traceMe: Int32 = 0
    public static let peekText: Int32 = 1
    public static let peekData: Int32 = 2
    public static let peekUser: Int32 = 3
    public static let pokeText: Int32 = 4
    public static let pokeData: Int32 = 5
    public static let pokeUser: Int32 = 6
    public static let cont: Int32 = 7
    public static let kill: Int32 = 8
    public static let singleStep: Int32 = 9
    public static let getRegs: Int32 = 12
    public static let setRegs: Int32 = 13
    public static let getFpRegs: Int32 = 14
    public static let setFpRegs: Int32 = 15
    public static let attach: Int32 = 16
    public static let detach: Int32 = 17
    public static let syscall: Int32 = 24
    public static let sysemu: Int32 = 31
    public static let sysemuSingleStep: Int32 = 32
    public static let setSigInfo: Int32 = 0x4203
    public static let getRegSet: Int32 = 0x4204
    public static let setRegSet: Int32 = 0x4205
    public static let peekSigInfo: Int32 = 0x4209
    public static let getSigMask: Int32 = 0x420a
    public static let setSigMask: Int32 = 0x420b
    public static let setOptions: Int32 = 0x4200
    public static let getEventMsg: Int32 = 0x4201
    public static let getSigInfo: Int32 = 0x4202
    public static let seize: Int32 = 0x4206
    public static let interrupt: Int32 = 0x4207
    public static let listen: Int32 = 0x4208
    public static let getSyscallInfo: Int32 = 0x420e
    public static let seccompGetFilter: Int32 = 0x420c

    public static let optTraceSysGood: UInt = 0x1
    public static let optTraceFork: UInt = 0x2
    public static let optTraceVfork: UInt = 0x4
    public static let optTraceClone: UInt = 0x8
    public static let optTraceExec: UInt = 0x10
    public static let optTraceVforkDone: UInt = 0x20
    public static let optTraceExit: UInt = 0x40
    public static let optTraceSeccomp: UInt = 0x80
    public static let optExitKill: UInt = 0x100000
    public static let optSuspendSeccomp: UInt = 0x200000
    /// Every option Linux accepts (PTRACE_O_MASK).
    public static let optionMask: UInt = 0xff | optExitKill | optSuspendSeccomp

    public static let eventFork: Int32 = 1
    public static let eventVfork: Int32 = 2
    public static let eventClone: Int32 = 3
    public static let eventExec: Int32 = 4
    public static let eventVforkDone: Int32 = 5
    public static let eventExit: Int32 = 6
    public static let eventSeccomp: Int32 = 7
    public static let eventStop: Int32 = 128

    /// The options every tracee runs with. EXITKILL: if the supervisor dies,
    /// every tracee dies with it.
    public static let supervisorOptions: UInt =
        optTraceSysGood | optTraceFork | optTraceVfork | optTraceClone | optTraceExec
        | optTraceSeccomp | optExitKill

    /// Calls ptrace and returns its result, or -errno.
    @inline(__always)
    public static func call(_ request: Int32, _ pid: pid_t, _ addr: UInt = 0, _ data: UInt = 0) -> Int {
        let r = pico_ptrace(request, pid, addr, data)
        return r == -1 ? -Int(errno) : r
    }
}
