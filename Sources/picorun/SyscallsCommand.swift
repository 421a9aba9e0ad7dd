import FoundationEssentials
import SyscallTable

/// `picorun syscalls [--format table|markdown|json|csv]`: the static table.
enum SyscallsCommand {
    static func run(_ args: [String]) -> Int32 {
        var format = "table"
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--format", "-f":
                guard i + 1 < args.count else { fail("syscalls: --format needs a value", status: 2) }
                format = args[i + 1]
                i += 1
            case let a where a.hasPrefix("--format="):
                format = String(a.dropFirst(9))
            case "-h", "--help":
                print("""
                    usage: picorun syscalls [--format table|markdown|json|csv]

                    Prints every x86-64 syscall picorun knows: its support level, how it is
                    trapped, and a note on what picorun does with it.

                    Levels: passthrough (the host runs it untouched), translated (arguments or
                    results rewritten, the host runs it), emulated (picorun computes the result),
                    partial (the cases the note names), unsupported (refused with the errno shown).
                    Traps: never (no stop), ptrace (a syscall stop), notify (a seccomp user
                    notification answered by picorun's supervisor); "unless argN is 0" stops only
                    when that argument is set; "in distros" stops only in distro runs.
                    """)
                return 0
            default:
                fail("syscalls: unknown argument \(args[i]) (try --help)", status: 2)
            }
            i += 1
        }
        let rows = SyscallTable.all
        switch format {
        case "table":
            let width = rows.map(\.name.count).max() ?? 10
            let trapWidth = rows.map(\.trap.description.count).max() ?? 10
            print("NR   " + "NAME".padded(width + 2) + "LEVEL".padded(20) + "TRAP".padded(trapWidth + 2) + "NOTE")
            for e in rows {
                let level = e.level.rawValue + (e.errno.map { " \($0.name)" } ?? "")
                print(String(e.number).padded(5)
                      + e.name.padded(width + 2)
                      + level.padded(20) + e.trap.description.padded(trapWidth + 2) + e.note)
            }
            print(SyscallTable.summary)
        case "markdown":
            print("| nr | name | level | errno | trap | note |\n|---:|---|---|---|---|---|")
            for e in rows {
                print("| \(e.number) | `\(e.name)` | \(e.level.rawValue) | \(e.errno?.name ?? "") | \(e.trap.description) | \(e.note.replacing("|", with: "\\|")) |")
            }
            print("\n" + SyscallTable.summary + ".")
        case "json":
            struct Row: Encodable {
                let number: Int, name: String, level: String, errno: String?, trap: String, note: String, args: [String]
            }
            struct Table: Encodable {
                let summary: String, total: Int, supported: Int, syscalls: [Row]
            }
            let table = Table(summary: SyscallTable.summary, total: rows.count,
                              supported: rows.filter { $0.level.isSupported }.count,
                              syscalls: rows.map { Row(number: $0.number, name: $0.name, level: $0.level.rawValue,
                                                       errno: $0.errno?.name, trap: $0.trap.description, note: $0.note, args: $0.args.map(\.rawValue)) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try! encoder.encode(table), as: UTF8.self))
        case "csv":
            print("number,name,level,errno,trap,note")
            for e in rows {
                print("\(e.number),\(e.name),\(e.level.rawValue),\(e.errno?.name ?? ""),\(e.trap.description),\(csv(e.note))")
            }
        default:
            fail("syscalls: unknown format \(format); use table, markdown, json or csv", status: 2)
        }
        return 0
    }

    static func csv(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacing("\"", with: "\"\"") + "\"" : s
    }
}
