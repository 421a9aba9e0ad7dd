import Foundation
import FoundationXML
import Synchronization
import Testing

/// A fresh folder for one test, removed when the test process exits (a
/// full run makes gigabytes of them: distros, rootfs copies).
func scratchDir() -> String {
    let dir = "/tmp/picorun-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    ScratchDirs.made.withLock { made in
        if made.isEmpty { atexit { ScratchDirs.removeAll() } }
        made.append(dir)
    }
    return dir
}

enum ScratchDirs {
    static let made = Mutex<[String]>([])
    static func removeAll() {
        for dir in made.withLock({ $0 }) {
            // rm, not FileManager: a guest may have left folders without write permission for their owner.
            _ = run("/bin/rm", ["-rf", dir], env: ["PATH": "/usr/bin:/bin"])
        }
    }
}

@Suite("--trace, --coverage and picorun report")
struct TraceAndCoverageTests {
    @Test func traceShowsTrappedCallsWithResults() throws {
        let dir = scratchDir()
        let r = run(Paths.picorun, ["--trace=\(dir)/trace", Paths.fixtures + "/memory"], env: baseEnvironment())
        #expect(r.status == 0)
        let trace = try String(contentsOfFile: dir + "/trace", encoding: .utf8)
        #expect(trace.contains(" brk(NULL) = 0x"), "\(trace)")
        #expect(trace.contains("[emulated]"))
        #expect(!trace.contains(" write("), "passthrough calls are not traced without --trace-all")
        #expect(trace.hasSuffix("+++ exited with 0 +++\n"))
    }

    @Test func traceAllDecodesPathsAndFlags() throws {
        let dir = scratchDir()
        let r = run(Paths.picorun, ["--trace-all", "--trace=\(dir)/trace", Paths.fixtures + "/fileio"], env: baseEnvironment())
        #expect(r.status == 0)
        let trace = try String(contentsOfFile: dir + "/trace", encoding: .utf8)
        #expect(trace.contains("openat(AT_FDCWD, \"a.txt\", O_RDWR|O_CREAT|O_EXCL, 0640) = 3"), "\(trace)")
        #expect(trace.contains("openat(AT_FDCWD, \"missing\", O_RDONLY) = -1 ENOENT (No such file or directory)"))
        #expect(trace.contains("write(3, \"hello, file\\n\", 12) = 12"))
        #expect(trace.contains("mkdir(\"sub\", 0755) = 0"))
        #expect(trace.contains("exit_group(0) = ?"))
    }

    /// Flags by name and the structures a call wrote (stat, statx, pipe
    /// fds, a directory listing, a link target, a socket's name and its
    /// in/out length), each in the order the task made its calls, notified
    /// or not: picorun's --trace-all of trace-decode, line for line as
    /// strace prints the same program run natively.
    @Test func traceDecodesAsStraceDoes() throws {
        let strace = "/usr/bin/strace"
        try #require(FileManager.default.isExecutableFile(atPath: strace), "strace is not installed (scripts/test.sh installs it)")
        let dir = scratchDir()
        for d in ["native", "picorun"] { try FileManager.default.createDirectory(atPath: "\(dir)/\(d)", withIntermediateDirectories: false) }
        let calls = ["openat", "newfstatat", "statx", "readlinkat", "faccessat2", "pipe2", "getdents64", "getsockname",
                     "unlinkat", "exit_group"]
        let native = run(strace, ["-o", dir + "/strace", "-e", "trace=" + calls.joined(separator: ","),
                                  Paths.fixtures + "/trace-decode", dir + "/native"], env: baseEnvironment())
        let r = run(Paths.picorun, ["--trace-all", "--trace=\(dir)/trace", Paths.fixtures + "/trace-decode", dir + "/picorun"],
                    env: baseEnvironment())
        #expect(native.status == 0 && r.status == 0, "\(native) \(r)")
        #expect(r.stdout == native.stdout)
        // strace pads results to a column; picorun names how it answered
        // and prefixes the tid; addresses differ from run to run.
        func normalized(_ line: Substring) -> String {
            var s = String(line)
            s = s.replacing(#/^\d+ /#, with: "")
            s = s.replacing(#/ \[[a-z ,-]+\]$/#, with: "")
            s = s.replacing(#/\s+=/#, with: " =")
            s = s.replacing(#/0x[0-9a-f]+/#, with: "0x?")
            return s.replacing(dir + "/native", with: "DIR").replacing(dir + "/picorun", with: "DIR")
        }
        func lines(_ path: String) throws -> [String] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(normalized)
                .filter { line in calls.contains { line.hasPrefix($0 + "(") } && !line.contains("trace-decode\"") }
        }
        let want = try lines(dir + "/strace"), got = try lines(dir + "/trace")
        #expect(want.count > 15, "\(want)")
        #expect(got == want, "picorun:\n\(got.joined(separator: "\n"))\nstrace:\n\(want.joined(separator: "\n"))")
        // prctl is notified on the host tree too (dumpable is picorun's);
        // the kernel answers this one, so its result is not picorun's to show.
        let all = try String(contentsOfFile: dir + "/trace", encoding: .utf8)
        #expect(all.contains(" prctl(PR_GET_DUMPABLE"), "\(all)")
    }

    @Test func traceShowsExecAndChildren() throws {
        let dir = scratchDir()
        let r = run(Paths.picorun, ["--trace=\(dir)/trace", "/bin/sh", "-c", Paths.fixtures + "/hello; exit 4"], env: baseEnvironment())
        #expect(r.status == 4)
        let trace = try String(contentsOfFile: dir + "/trace", encoding: .utf8)
        #expect(trace.contains("execve(\"\(Paths.fixtures)/hello\", [\"\(Paths.fixtures)/hello\"], 0x"), "\(trace)")
        #expect(trace.contains(" = 0 [translated]"))
    }

    /// A guest tracer under --trace, where every call of every task stops:
    /// strace inside picorun traces its child, and picorun's trace shows
    /// the tracer's ptrace calls as emulated.
    @Test func guestTracerUnderTrace() throws {
        let strace = "/usr/bin/strace"
        try #require(FileManager.default.isExecutableFile(atPath: strace), "strace is not installed (scripts/test.sh installs it)")
        let dir = scratchDir()
        let r = run(Paths.picorun, ["--trace=\(dir)/trace", strace, "-o", dir + "/strace.out", Paths.fixtures + "/hello"],
                    env: baseEnvironment())
        #expect(r.status == 0, "\(r)")
        let native = run(Paths.fixtures + "/hello", [], env: baseEnvironment())
        #expect(r.stdout == native.stdout, "\(r)")
        let straced = try String(contentsOfFile: dir + "/strace.out", encoding: .utf8)
        #expect(straced.contains("write(1, ") && straced.contains("+++ exited with 0 +++"), "\(straced)")
        let trace = try String(contentsOfFile: dir + "/trace", encoding: .utf8)
        #expect(trace.contains("ptrace(") && trace.contains("[emulated]"), "\(trace)")
    }

    @Test func unsupportedCallsAreCountedInCoverage() throws {
        let dir = scratchDir()
        let r = run(Paths.picorun, ["--coverage", dir + "/cov.json", Paths.fixtures + "/obsolete-syscalls"], env: baseEnvironment())
        #expect(r.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/cov.json"))) as! [String: Any]
        #expect(json["exitStatus"] as? Int == 0)
        #expect(Set(json["unsupported"] as! [String]) == ["uselib", "_sysctl", "create_module", "vserver", "syscall_1000"])
        let syscalls = json["syscalls"] as! [[String: Any]]
        let uselib = syscalls.first { $0["name"] as? String == "uselib" }!
        #expect(uselib["count"] as? Int == 1)
        #expect((uselib["errors"] as? [String: Int])?["ENOSYS"] == 1)
        #expect(uselib["level"] as? String == "unsupported")
        let write = syscalls.first { $0["name"] as? String == "write" }!
        #expect(write["level"] as? String == "passthrough")
        #expect((write["count"] as? Int ?? 0) >= 1)
        #expect(syscalls.allSatisfy { $0["supervisorNanoseconds"] is Int })
    }

    /// A CI job's shards: one coverage file per test binary, merged; JUnit
    /// fails exactly the binaries that hit unsupported syscalls.
    @Test func reportMergesRunsIntoJUnit() throws {
        let dir = scratchDir()
        for (name, args) in [("hello", [String]()), ("obsolete-syscalls", []), ("exitcode", ["3"])] {
            _ = run(Paths.picorun, ["--coverage", "\(dir)/\(name).json", Paths.fixtures + "/" + name] + args, env: baseEnvironment())
        }
        let files = ["hello", "obsolete-syscalls", "exitcode"].map { "\(dir)/\($0).json" }
        let r = run(Paths.picorun, ["report", "--format", "junit"] + files, env: baseEnvironment())
        #expect(r.status == 0, "\(r)")
        let doc = try XMLDocument(xmlString: r.stdout)
        let suite = try doc.nodes(forXPath: "/testsuites/testsuite").first as! XMLElement
        #expect(suite.attribute(forName: "tests")?.stringValue == "3")
        #expect(suite.attribute(forName: "failures")?.stringValue == "1")
        let failing = try doc.nodes(forXPath: "//testcase[failure]").map { ($0 as! XMLElement).attribute(forName: "name")!.stringValue! }
        #expect(failing == [Paths.fixtures + "/obsolete-syscalls"])
        let message = try doc.nodes(forXPath: "//failure/@message").first?.stringValue ?? ""
        #expect(message.contains("uselib") && message.contains("_sysctl"))

        let text = run(Paths.picorun, ["report"] + files, env: baseEnvironment())
        #expect(text.stdout.contains("3 run(s)"))
        #expect(text.stdout.contains("!! uselib"))
        let md = run(Paths.picorun, ["report", "--format=markdown"] + files, env: baseEnvironment())
        #expect(md.stdout.hasPrefix("# picorun syscall coverage"))
        let json = run(Paths.picorun, ["report", "--format", "json", "-o", dir + "/merged.json"] + files, env: baseEnvironment())
        #expect(json.status == 0)
        let merged = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/merged.json"))) as! [String: Any]
        #expect((merged["runs"] as! [Any]).count == 3)
        let writeRow = (merged["syscalls"] as! [[String: Any]]).first { $0["name"] as? String == "write" }!
        #expect(writeRow["runs"] as? Int == 3)
    }

    @Test func reportRejectsBrokenFilesWithOneLine() throws {
        let dir = scratchDir()
        try "{\"tool\": \"picorun\"}".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        try "not json".write(toFile: dir + "/garbage.json", atomically: true, encoding: .utf8)
        for (file, reason) in [("bad.json", "missing"), ("garbage.json", "not valid JSON"), ("none.json", "cannot read")] {
            let r = run(Paths.picorun, ["report", dir + "/" + file], env: baseEnvironment())
            #expect(r.status == 1)
            #expect(r.stderr.hasPrefix("picorun: report: \(dir)/\(file): ") && r.stderr.contains(reason), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
        #expect(run(Paths.picorun, ["report", "--format", "pdf", dir + "/bad.json"], env: baseEnvironment()).status == 2)
    }

    @Test func staticTableListsEverySyscall() throws {
        let r = run(Paths.picorun, ["syscalls", "--format", "json"], env: baseEnvironment())
        #expect(r.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let rows = json["syscalls"] as! [[String: Any]]
        #expect(rows.count == 375)
        #expect(json["total"] as? Int == 375)
        let levels = Set(rows.map { $0["level"] as! String })
        #expect(levels.isSubset(of: ["passthrough", "translated", "emulated", "partial", "unsupported"]))
        #expect((json["summary"] as! String).hasPrefix("Of 375 syscalls, "))
        let table = run(Paths.picorun, ["syscalls"], env: baseEnvironment())
        #expect(table.stdout.split(separator: "\n").last?.hasPrefix("Of 375 syscalls, ") == true)
        let csv = run(Paths.picorun, ["syscalls", "--format", "csv"], env: baseEnvironment())
        #expect(csv.stdout.split(separator: "\n").count == 376)
        #expect(run(Paths.picorun, ["syscalls", "--format", "yaml"], env: baseEnvironment()).status == 2)
    }
}
