import PicoCore
import SyscallTrace

/// picorun's knowledge of Linux: one entry per kernel syscall number, built
/// from the generated kernel table and the policy.
public enum SyscallTable {
    /// Indexed by syscall number; nil for numbers the kernel does not define.
    public static let entries: [SyscallEntry?] = {
        var table = [SyscallEntry?](repeating: nil, count: highestKernelSyscall + 1)
        for k in kernelSyscalls {
            let policy = syscallPolicy[k.name] ?? .unsupported(.ENOSYS, "no policy")
            table[k.number] = entry(k, policy)
        }
        return table
    }()

    public static var all: [SyscallEntry] { entries.compactMap { $0 } }

    public static func entry(_ number: Int) -> SyscallEntry? {
        number >= 0 && number < entries.count ? entries[number] : nil
    }

    public static func entry(named name: String) -> SyscallEntry? {
        all.first { $0.name == name }
    }

    /// "write(2)"-style name for any number, including ones the kernel lacks.
    public static func name(_ number: Int) -> String {
        entry(number)?.name ?? "syscall_\(number)"
    }

    /// "Of N syscalls, M are supported fully or partially".
    public static var summary: String {
        let supported = all.filter { $0.level.isSupported }.count
        return "Of \(all.count) syscalls, \(supported) are supported fully or partially"
    }

    static func entry(_ k: KernelSyscall, _ policy: Policy) -> SyscallEntry {
        func row(_ level: SupportLevel, _ trap: Trap, _ note: String, errno: LinuxErrno? = nil, _ handler: Handler? = nil,
                 exit: ExitHandler? = nil, hostTree: Handler? = nil) -> SyscallEntry {
            let ptrace: Bool
            switch trap {
            case .ptrace, .ptraceUnlessArgZero: ptrace = true
            default: ptrace = false
            }
            precondition(exit == nil || ptrace, "\(k.name): only a ptrace stop sees a call's exit")
            if case .distro(let host) = trap {
                precondition((hostTree != nil) == (host != .never), "\(k.name): a host-tree trap needs a host-tree answer")
            } else {
                precondition(hostTree == nil, "\(k.name): a host-tree answer needs a distro trap")
            }
            return SyscallEntry(number: k.number, name: k.name, args: k.args, level: level, trap: trap, note: note,
                                errno: errno, handler: handler, exit: exit, hostTree: hostTree)
        }
        switch policy {
        case .passthrough(let note): return row(.passthrough, .never, note)
        case .translated(let h, let exit, let host, let trap, let note): return row(.translated, trap, note, h, exit: exit, hostTree: host)
        case .emulated(let h, let exit, let host, let trap, let note): return row(.emulated, trap, note, h, exit: exit, hostTree: host)
        case .partial(let h, let exit, let host, let trap, let note): return row(.partial, trap, note, h, exit: exit, hostTree: host)
        // Refused at a ptrace stop, where the refusal is counted.
        case .unsupported(let errno, let note): return row(.unsupported, .ptrace, note, errno: errno)
        }
    }
}

extension CoverageRecorder {
    /// The run's report, with names and levels from the table.
    public func report(version: String, program: String, argv: [String], exitStatus: Int32) -> CoverageReport {
        report(version: version, program: program, argv: argv, exitStatus: exitStatus) { nr in
            (SyscallTable.name(nr), SyscallTable.entry(nr)?.level ?? .unsupported)
        }
    }
}
