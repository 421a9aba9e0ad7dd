import LinuxABI
import Synchronization

/// Counts every syscall of a run (coverage mode traps them all), from the
/// ptrace thread and the notification threads alike.
public final class CoverageRecorder: Sendable {
    struct Counter {
        var count = 0
        var errors: [Int32: Int] = [:]
        var nanoseconds: UInt64 = 0
    }

    let counters = Mutex([Int: Counter]())

    public init() {}

    public func called(_ nr: Int) { counters.withLock { $0[nr, default: Counter()].count += 1 } }

    public func returned(_ nr: Int, _ result: Int64) {
        guard result < 0 && result >= -4095 else { return }
        counters.withLock { $0[nr, default: Counter()].errors[Int32(-result), default: 0] += 1 }
    }

    public func spent(_ nr: Int, _ ns: UInt64) {
        guard nr >= 0 else { return }
        counters.withLock { $0[nr, default: Counter()].nanoseconds += ns }
    }

    /// The run's report; `describe` names a number and gives its level.
    public func report(version: String, program: String, argv: [String], exitStatus: Int32,
                       describe: (Int) -> (name: String, level: SupportLevel)) -> CoverageReport {
        let counted = counters.withLock { $0 }
        let syscalls = counted.filter { $0.value.count > 0 }.keys.sorted().map { nr -> CoverageReport.Syscall in
            let c = counted[nr]!
            var errors: [String: Int] = [:]
            for (e, n) in c.errors { errors[LinuxErrno(e).name] = n }
            let (name, level) = describe(nr)
            return CoverageReport.Syscall(number: nr, name: name, level: level,
                                          count: c.count, errors: errors, supervisorNanoseconds: c.nanoseconds)
        }
        return CoverageReport(version: version, program: program, argv: argv, exitStatus: exitStatus, syscalls: syscalls,
                              unsupported: syscalls.filter { $0.level == .unsupported }.map(\.name))
    }
}
