import PicoCore

/// How to decode one syscall argument for tracing.
public enum ArgKind: String, Sendable, CaseIterable {
    case fd, dirfd, path, string, pointer, bufferIn, bufferOut, size, int, uint, hex
    case openFlags, mode, atFlags, prot, mmapFlags, signal, pid, uid, gid, offset, address
    case sigsetPointer, timespecPointer, statPointer, statxPointer, sockaddrPointer, iovecPointer
    case cloneFlags, futexOp, whence, fcntlCommand, ioctlCommand, prctlOption, argv, envp
    /// access(2)'s R_OK|W_OK|X_OK; O_* flags without an access mode (pipe2).
    case accessMode, fdFlags
    /// AT_* flags where Linux gives 0x200 or the sync bits their own meaning.
    case statxFlags, accessAtFlags
    /// Written by the call: pipe(2)'s two fds, a getdents buffer, a socket
    /// address (beside its in/out length), statx's mask.
    case pipeFds, dirents, sockaddrOut, socklenInOut, statxMask
}

/// A syscall as the kernel's table defines it.
public struct KernelSyscall: Sendable {
    public let number: Int
    public let name: String
    public let args: [ArgKind]
    /// False for numbers the kernel reserves but answers with ENOSYS.
    public let kernelImplements: Bool

    init(_ number: Int, _ name: String, _ args: [ArgKind], kernelImplements: Bool = true) {
        self.number = number
        self.name = name
        self.args = args
        self.kernelImplements = kernelImplements
    }
}

/// How much of a syscall picorun provides.
public enum SupportLevel: String, Sendable, CaseIterable, Codable {
    /// The host runs it untouched; the tracee never stops for it.
    case passthrough
    /// Arguments or results are rewritten, the host runs it.
    case translated
    /// picorun computes the result; the host never sees the call.
    case emulated
    /// Supported for the common cases named in the note.
    case partial
    /// Refused with the entry's errno, and counted.
    case unsupported

    public var isSupported: Bool { self != .unsupported }
}

/// Runs at a ptrace-trapped call's entry stop.
typealias EnterHandler = @Sendable (StopContext) -> SyscallAction
/// Runs at its exit stop, if the entry asked to see it; gives the guest's result.
typealias ExitHandler = @Sendable (StopContext, Int64) -> Int64
/// Answers a path syscall from the notification thread.
typealias PathHandler = @Sendable (PathContext) throws(TraceeError) -> NotificationReply

/// One row of picorun's syscall table.
public struct SyscallEntry: Sendable {
    public let number: Int
    public let name: String
    public let args: [ArgKind]
    public let level: SupportLevel
    /// How the call reaches picorun (the seccomp filter's column).
    public let trap: Trap
    public let note: String
    /// For unsupported entries: what the guest gets.
    public let errno: LinuxErrno?
    /// For calls trapped by ptrace: run at the entry stop and at the exit.
    let enter: EnterHandler?
    let exit: ExitHandler?
    /// For notified calls: answered by the supervisor.
    let notified: PathHandler?
    /// For calls notified on the host tree too: the answer there.
    let hostTree: PathHandler?

    /// Whether the seccomp filter can stop the tracee for it.
    public var traps: Bool { trap != .never }
}
