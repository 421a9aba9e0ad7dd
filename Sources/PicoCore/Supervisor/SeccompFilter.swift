import CPicoLinux

/// The seccomp-BPF program installed in every tracee. Syscalls the policy
/// passes through never stop; the rest return SECCOMP_RET_TRACE and stop
/// once in the supervisor. The decision is a balanced binary search over
/// runs of syscall numbers, so a passthrough call costs a handful of
/// compares however many syscalls are trapped.
public enum SeccompFilter {
    public static let auditArchX86_64: UInt32 = 0xC000_003E
    static let retKillProcess: UInt32 = 0x8000_0000
    static let retTrace: UInt32 = 0x7ff0_0000
    static let retUserNotif: UInt32 = 0x7fc0_0000
    static let retAllow: UInt32 = 0x7fff_0000
    /// x32 syscalls set this bit in the number; they are trapped and refused.
    static let x32Bit: UInt32 = 0x4000_0000

    static let ldAbsW: UInt16 = 0x20
    static let jeqK: UInt16 = 0x15
    static let jgeK: UInt16 = 0x35
    static let ja: UInt16 = 0x05
    static let retK: UInt16 = 0x06

    /// What the filter does with one syscall number.
    public enum Action: Sendable, Equatable {
        /// The host runs it; the tracee never stops.
        case allow
        /// A ptrace stop (PTRACE_EVENT_SECCOMP): registers can be rewritten.
        case trace
        /// A seccomp user notification: the supervisor answers without a
        /// ptrace stop and can hand the task an fd.
        case notify
        /// Allowed (or, when `zeroTraced`, a ptrace stop: a traced run sees
        /// every call) when argument N is zero (sendto without an address),
        /// notified otherwise.
        case notifyUnlessArgZero(Int, zeroTraced: Bool = false)
        /// Allowed when argument N is zero (a pid naming the caller), a
        /// ptrace stop otherwise.
        case traceUnlessArgZero(Int)
    }

    /// `trapped(n)` for n in 0...highest decides; numbers above `highest`
    /// (unknown syscalls, picorun's loader magic) are always trapped.
    public static func build(highest: Int, trapped: (Int) -> Bool) -> [sock_filter] {
        build(highest: highest, action: { trapped($0) ? .trace : .allow })
    }

    public static func build(highest: Int, action: (Int) -> Action) -> [sock_filter] {
        var runs: [(low: UInt32, action: Action)] = []
        for n in 0...highest {
            let a = action(n)
            // An argument check decides for one number only: never merged.
            switch a {
            case .notifyUnlessArgZero, .traceUnlessArgZero: runs.append((UInt32(n), a)); continue
            default: break
            }
            if runs.last?.action != a { runs.append((UInt32(n), a)) }
        }
        if runs.last?.action != .trace { runs.append((UInt32(highest + 1), .trace)) }

        var prog: [sock_filter] = [
            pico_bpf_stmt(ldAbsW, 4),
            pico_bpf_jump(jeqK, auditArchX86_64, 1, 0),
            pico_bpf_stmt(retK, retKillProcess),
            pico_bpf_stmt(ldAbsW, 0),
            pico_bpf_jump(jgeK, x32Bit, 0, 1),
            pico_bpf_stmt(retK, retTrace),
        ]
        prog += tree(runs[...])
        return prog
    }

    /// Code deciding among `runs`, given that the number is at least runs.first.low.
    static func leaf(_ a: Action) -> [sock_filter] {
        switch a {
        case .allow: return [pico_bpf_stmt(retK, retAllow)]
        case .trace: return [pico_bpf_stmt(retK, retTrace)]
        case .notify: return [pico_bpf_stmt(retK, retUserNotif)]
        case .notifyUnlessArgZero(let i, let zeroTraced): return unlessArgZero(i, retUserNotif, zero: zeroTraced ? retTrace : retAllow)
        case .traceUnlessArgZero(let i): return unlessArgZero(i, retTrace, zero: retAllow)
        }
    }

    /// `zero` when argument `i` is zero, else `otherwise`.
    static func unlessArgZero(_ i: Int, _ otherwise: UInt32, zero: UInt32) -> [sock_filter] {
        // seccomp_data.args[i] is at 16 + 8i, low word first.
        let low = UInt32(16 + 8 * i)
        return [
            pico_bpf_stmt(ldAbsW, low),
            pico_bpf_jump(jeqK, 0, 0, 2),
            pico_bpf_stmt(ldAbsW, low + 4),
            pico_bpf_jump(jeqK, 0, 1, 0),
            pico_bpf_stmt(retK, otherwise),
            pico_bpf_stmt(retK, zero),
        ]
    }

    static func tree(_ runs: ArraySlice<(low: UInt32, action: Action)>) -> [sock_filter] {
        if runs.count == 1 {
            return leaf(runs.first!.action)
        }
        let mid = runs.startIndex + runs.count / 2
        let left = tree(runs[runs.startIndex..<mid])
        let right = tree(runs[mid...])
        if left.count <= 255 {
            return [pico_bpf_jump(jgeK, runs[mid].low, UInt8(left.count), 0)] + left + right
        }
        // Conditional jumps reach 255 instructions; go through an unconditional one.
        return [pico_bpf_jump(jgeK, runs[mid].low, 0, 1), pico_bpf_stmt(ja, UInt32(left.count))] + left + right
    }
}
