import FoundationEssentials
import SyscallTable
import SyscallTrace

/// Coverage of many runs, merged per syscall.
struct MergedCoverage {
    struct Row: Codable {
        var number: Int
        var name: String
        var level: SupportLevel
        var calls: Int
        var errors: [String: Int]
        var supervisorNanoseconds: UInt64
        /// Which runs made the call.
        var runs: Int
    }

    struct Run: Codable {
        var file: String
        var program: String
        var argv: [String]
        var exitStatus: Int32
        var calls: Int
        var unsupported: [String]
    }

    struct Document: Codable {
        var runs: [Run]
        var syscalls: [Row]
        var unsupported: [String]
        var summary: String
    }

    let runs: [Run]
    let rows: [Row]

    init(runs input: [(file: String, report: CoverageReport)]) {
        var byNumber: [Int: Row] = [:]
        for (_, r) in input {
            for s in r.syscalls {
                var row = byNumber[s.number] ?? Row(number: s.number, name: s.name, level: s.level, calls: 0, errors: [:],
                                                    supervisorNanoseconds: 0, runs: 0)
                row.calls += s.count
                row.runs += 1
                row.supervisorNanoseconds += s.supervisorNanoseconds
                for (e, n) in s.errors { row.errors[e, default: 0] += n }
                byNumber[s.number] = row
            }
        }
        rows = byNumber.keys.sorted().map { byNumber[$0]! }
        runs = input.map { Run(file: $0.file, program: $0.report.program, argv: $0.report.argv,
                               exitStatus: $0.report.exitStatus, calls: $0.report.totalCalls,
                               unsupported: $0.report.unsupported) }
    }

    var unsupported: [Row] { rows.filter { $0.level == .unsupported } }

    var summary: String {
        "\(runs.count) run(s), \(rows.count) distinct syscalls, \(rows.reduce(0) { $0 + $1.calls }) calls, "
            + "\(unsupported.count) unsupported syscall(s) hit"
    }

    func errorText(_ r: Row) -> String {
        r.errors.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
    }

    func text() -> String {
        var s = "picorun syscall coverage: \(summary)\n\n"
        let width = max(8, rows.map(\.name.count).max() ?? 8)
        s += "NAME".padded(width + 2) + "LEVEL        CALLS     RUNS  SUPERVISOR   ERRORS\n"
        for r in rows {
            let mark = r.level == .unsupported ? "!! " : ""
            s += (mark + r.name).padded(width + 2)
                + r.level.rawValue.padded(13)
                + String(r.calls).padded(10)
                + String(r.runs).padded(6)
                + milliseconds(r.supervisorNanoseconds).padded(13) + errorText(r) + "\n"
        }
        if !unsupported.isEmpty {
            s += "\nUnsupported syscalls were called (!!):\n"
            for run in runs where !run.unsupported.isEmpty {
                s += "  \(run.argv.joined(separator: " ")): \(run.unsupported.joined(separator: ", "))\n"
            }
        }
        return s
    }

    /// "12.345ms", without Foundation's formatting.
    func milliseconds(_ ns: UInt64) -> String {
        let us = (ns + 500) / 1000
        let frac = String(us % 1000)
        return "\(us / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac + "ms"
    }

    func markdown() -> String {
        var s = "# picorun syscall coverage\n\n\(summary).\n\n| syscall | level | calls | runs | errors |\n|---|---|---:|---:|---|\n"
        for r in rows {
            let name = r.level == .unsupported ? "**`\(r.name)`** ⚠" : "`\(r.name)`"
            s += "| \(name) | \(r.level.rawValue) | \(r.calls) | \(r.runs) | \(errorText(r)) |\n"
        }
        s += "\n## Runs\n\n| program | exit | calls | unsupported |\n|---|---:|---:|---|\n"
        for run in runs {
            s += "| `\(run.argv.joined(separator: " "))` | \(run.exitStatus) | \(run.calls) | \(run.unsupported.joined(separator: ", ")) |\n"
        }
        return s
    }

    func json() -> Document {
        Document(runs: runs, syscalls: rows, unsupported: unsupported.map(\.name), summary: summary)
    }

    /// One test case per run; a run that called an unsupported syscall fails.
    func junit() -> String {
        let failures = runs.filter { !$0.unsupported.isEmpty }.count
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s += "<testsuites name=\"picorun\" tests=\"\(runs.count)\" failures=\"\(failures)\">\n"
        s += "  <testsuite name=\"picorun syscall coverage\" tests=\"\(runs.count)\" failures=\"\(failures)\" errors=\"0\">\n"
        for run in runs {
            let name = xml(run.argv.joined(separator: " "))
            s += "    <testcase classname=\"picorun.coverage\" name=\"\(name)\" file=\"\(xml(run.file))\""
            if run.unsupported.isEmpty {
                s += "/>\n"
            } else {
                let list = run.unsupported.joined(separator: ", ")
                s += ">\n      <failure message=\"unsupported syscalls: \(xml(list))\" type=\"UnsupportedSyscall\">"
                s += xml("\(run.program) called syscalls picorun does not support: \(list)") + "</failure>\n    </testcase>\n"
            }
        }
        s += "  </testsuite>\n</testsuites>\n"
        return s
    }

    func xml(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if ch.value < 0x20 && ch != "\n" && ch != "\t" { out += "&#\(ch.value);" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
