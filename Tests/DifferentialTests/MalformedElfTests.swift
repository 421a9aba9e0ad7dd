import Foundation
import Testing

/// One entry of Fixtures/elf/out/malformed/manifest.tsv (written by
/// Fixtures/elf/make-malformed.py).
struct MalformedCase: CustomTestStringConvertible, Sendable {
    let name: String
    let status: Int32
    let text: String
    var testDescription: String { name }

    static func load() -> [MalformedCase] {
        let manifest = (try? String(contentsOfFile: Paths.fixtures + "/malformed/manifest.tsv", encoding: .utf8)) ?? ""
        return manifest.split(separator: "\n").map { line in
            let f = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            return MalformedCase(name: String(f[0]), status: Int32(f[1])!, text: f.count > 2 ? String(f[2]) : "")
        }
    }
}

/// The error contract for bad executables: exactly one line on stderr,
/// `picorun: PATH: REASON`, exit 126 (127 when something does not exist),
/// never a crash or a hang.
func expectRejected(_ r: Outcome, path: String, status: Int32, containing text: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!r.timedOut, sourceLocation: sourceLocation)
    #expect(r.status == status, "\(r)", sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 2 && lines[1].isEmpty, "want one line on stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("picorun: \(path): "), "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(text), "want \(text) in \(r.stderr)", sourceLocation: sourceLocation)
}

@Suite("Malformed executables are rejected with one clear line")
struct MalformedElfTests {
    @Test(arguments: MalformedCase.load())
    func corpusEntry(_ c: MalformedCase) {
        let path = Paths.fixtures + "/malformed/" + c.name
        let r = run(Paths.picorun, [path], env: baseEnvironment(), timeout: 20)
        if c.status == 0 {
            #expect(r.status == 0 && r.stderr.isEmpty, "the control file must run: \(r)")
        } else {
            expectRejected(r, path: path, status: c.status, containing: c.text)
        }
    }

    @Test func corpusIsNotEmpty() {
        #expect(MalformedCase.load().count >= 30)
    }

    @Test func missingFile() {
        let r = run(Paths.picorun, ["/nonexistent/program"], env: baseEnvironment())
        expectRejected(r, path: "/nonexistent/program", status: 127, containing: "No such file or directory")
    }

    @Test func commandNotFoundInPath() {
        let r = run(Paths.picorun, ["picorun-no-such-command"], env: baseEnvironment())
        expectRejected(r, path: "picorun-no-such-command", status: 127, containing: "command not found")
    }

    @Test func directory() {
        let r = run(Paths.picorun, ["/tmp"], env: baseEnvironment())
        expectRejected(r, path: "/tmp", status: 126, containing: "Is a directory")
    }

    @Test func notExecutable() throws {
        let dir = try scratchDirectory()
        let path = dir + "/no-x"
        try FileManager.default.copyItem(atPath: Paths.fixtures + "/hello", toPath: path)
        chmod(path, 0o644)
        let r = run(Paths.picorun, [path], env: baseEnvironment())
        expectRejected(r, path: path, status: 126, containing: "Permission denied")
    }

    /// An execute-only file runs natively (the kernel needs no read
    /// permission) but picorun must read it to load it: a clear refusal.
    /// As root, read permission is not enforced, so run as nobody.
    @Test func noReadPermission() throws {
        let dir = try scratchDirectory()
        let path = dir + "/x-only"
        try FileManager.default.copyItem(atPath: Paths.fixtures + "/hello", toPath: path)
        chmod(path, 0o111)
        var command = [Paths.picorun, path]
        if getuid() == 0 {
            command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        }
        let r = run(command[0], Array(command.dropFirst()), env: baseEnvironment())
        expectRejected(r, path: path, status: 126, containing: "Permission denied")
    }

    func scratchDirectory() throws -> String {
        let dir = "/tmp/picorun-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        chmod(dir, 0o755)
        return dir
    }
}
