import PicoCore

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
        switch policy {
        case .passthrough(let note):
            return SyscallEntry(number: k.number, name: k.name, args: k.args, level: .passthrough, note: note,
                                errno: nil, enter: nil, exit: nil, path: nil)
        case .translated(let enter, let exit, let note):
            return SyscallEntry(number: k.number, name: k.name, args: k.args, level: .translated, note: note,
                                errno: nil, enter: enter, exit: exit, path: nil)
        case .emulated(let enter, let exit, let note):
            return SyscallEntry(number: k.number, name: k.name, args: k.args, level: .emulated, note: note,
                                errno: nil, enter: enter, exit: exit, path: nil)
        case .partial(let enter, let exit, let note):
            return SyscallEntry(number: k.number, name: k.name, args: k.args, level: .partial, note: note,
                                errno: nil, enter: enter, exit: exit, path: nil)
        case .unsupported(let errno, let note):
            return SyscallEntry(number: k.number, name: k.name, args: k.args, level: .unsupported, note: note,
                                errno: errno, enter: nil, exit: nil, path: nil)
        case .path(let handler):
            return SyscallEntry(number: k.number, name: k.name, args: k.args, level: .translated, note: Policy.pathNote,
                                errno: nil, enter: nil, exit: nil, path: handler)
        case .checked(let handler, let note):
            return SyscallEntry(number: k.number, name: k.name, args: k.args, level: .translated, note: note,
                                errno: nil, enter: nil, exit: nil, path: handler)
        case .distro(let handler, let note):
            return SyscallEntry(number: k.number, name: k.name, args: k.args, level: .emulated, note: note,
                                errno: nil, enter: nil, exit: nil, path: handler, distroOnly: true)
        }
    }
}
