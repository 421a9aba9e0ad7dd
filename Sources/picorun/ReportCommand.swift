import FoundationEssentials
import Glibc
import SyscallTable
import SyscallTrace

/// `picorun report [--format text|markdown|json|junit] [-o FILE] COVERAGE...`:
/// merges the coverage files of many runs.
enum ReportCommand {
    static func run(_ args: [String]) -> Int32 {
        var format = "text"
        var output: String?
        var files: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            switch a {
            case "--format", "-f":
                guard i + 1 < args.count else { fail("report: --format needs a value", status: 2) }
                format = args[i + 1]; i += 1
            case "-o", "--output":
                guard i + 1 < args.count else { fail("report: \(a) needs a file", status: 2) }
                output = args[i + 1]; i += 1
            case "-h", "--help":
                print("""
                usage: picorun report [--format text|markdown|json|junit] [-o FILE] COVERAGE.json...

                Merges coverage files written by `picorun --coverage FILE PROGRAM` (one per
                run, e.g. one per test binary of a CI job). Unsupported syscalls are marked;
                in JUnit each run is a test case that fails if it hit one.
                """)
                return 0
            default:
                if a.hasPrefix("--format=") { format = String(a.dropFirst(9)) }
                else if a.hasPrefix("-") && a != "-" { fail("report: unknown option \(a) (try --help)", status: 2) }
                else { files.append(a) }
            }
            i += 1
        }
        guard ["text", "markdown", "json", "junit"].contains(format) else {
            fail("report: unknown format \(format); use text, markdown, json or junit", status: 2)
        }
        guard !files.isEmpty else { fail("report: no coverage files given (try --help)", status: 2) }
        var runs: [(file: String, report: CoverageReport)] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { fail("report: \(f): cannot read the file", status: 1) }
            do {
                runs.append((f, try JSONDecoder().decode(CoverageReport.self, from: data)))
            } catch {
                fail("report: \(f): not a picorun coverage file (\(describe(error)))", status: 1)
            }
        }
        let merged = MergedCoverage(runs: runs)
        let text: String
        switch format {
        case "markdown": text = merged.markdown()
        case "json": text = String(decoding: try! encode(merged.json()), as: UTF8.self) + "\n"
        case "junit": text = merged.junit()
        default: text = merged.text()
        }
        if let output {
            do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                fail("report: -o \(output): \("\(error)")", status: 1)
            }
        } else {
            print(text, terminator: "")
        }
        return 0
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(value)
    }

    /// Where in the file a decoding error is, in one line.
    static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let ctx)?: return "missing \(path(ctx.codingPath + [key]))"
        case .typeMismatch(_, let ctx)?, .valueNotFound(_, let ctx)?: return "bad value at \(path(ctx.codingPath))"
        case .dataCorrupted(let ctx)?: return ctx.codingPath.isEmpty ? "not valid JSON" : "bad value at \(path(ctx.codingPath))"
        default: return "\(error)"
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
    }
}
