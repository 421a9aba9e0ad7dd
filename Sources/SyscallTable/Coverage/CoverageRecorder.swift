import PicoCore

/// Counts every syscall of a run (coverage mode traps them all).
public final class CoverageRecorder {
    struct Counter {
        var count = 0
        var errors: [Int32: Int] = [:]
        var nanoseconds: UInt64 = 0
    }

    var counters: [Int: Counter] = [:]

    public init() {}

    func called(_ nr: Int) { counters[nr, default: Counter()].count += 1 }

    func returned(_ nr: Int, _ result: Int64) {
        if result < 0 && result >= -4095 { counters[nr, default: Counter()].errors[Int32(-result), default: 0] += 1 }
    }

    func spent(_ nr: Int, _ ns: UInt64) {
        guard nr >= 0 else { return }
        counters[nr, default: Counter()].nanoseconds += ns
    }

    public func report(version: String, program: String, argv: [String], exitStatus: Int32) -> CoverageReport {
        let syscalls = counters.filter { $0.value.count > 0 }.keys.sorted().map { nr -> CoverageReport.Syscall in
            let c = counters[nr]!
            let entry = SyscallTable.entry(nr)
            var errors: [String: Int] = [:]
            for (e, n) in c.errors { errors[LinuxErrno(e).name] = n }
            return CoverageReport.Syscall(number: nr, name: SyscallTable.name(nr), level: entry?.level ?? .unsupported,
                                          count: c.count, errors: errors, supervisorNanoseconds: c.nanoseconds)
        }
        return CoverageReport(version: version, program: program, argv: argv, exitStatus: exitStatus, syscalls: syscalls,
                              unsupported: syscalls.filter { $0.level == .unsupported }.map(\.name))
    }
}
