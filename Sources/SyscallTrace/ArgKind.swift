/// How a syscall's arguments are decoded for tracing: the kinds, named
/// per syscall in scripts/data/syscall_args.tsv.
/// How to decode one syscall argument for tracing.
public enum ArgKind: String, Sendable, CaseIterable {
    case fd, dirfd, path, string, pointer, bufferIn, bufferOut, size, int, uint, hex
    case openFlags, mode, atFlags, prot, mmapFlags, signal, pid, uid, gid, offset, address
    case sigsetPointer, timespecPointer, statPointer, statxPointer, sockaddrPointer, iovecPointer
    case cloneFlags, futexOp, whence, fcntlCommand, ioctlCommand, prctlOption, argv, envp
    /// access(2)'s R_OK|W_OK|X_OK; O_* flags without an access mode (pipe2).
    case accessMode, fdFlags
    /// AT_* flags where Linux gives 0x200 or the sync bits their own
    /// meaning; statx's mask.
    case statxFlags, accessAtFlags, statxMask
    /// Written by the call: pipe(2)'s two fds, a getdents buffer, a socket
    /// address (beside its in/out length).
    case pipeFds, dirents, sockaddrOut, socklenInOut
}

/// What the tracer needs to know of a syscall: its name and argument kinds.
public struct CallShape: Sendable {
    public let name: String
    public let args: [ArgKind]

    public init(name: String, args: [ArgKind]) {
        self.name = name
        self.args = args
    }
}
