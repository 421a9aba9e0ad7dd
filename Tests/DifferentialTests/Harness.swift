import Foundation
import Glibc

/// Where things are: the repository, the built picorun, the fixture programs.
enum Paths {
    static let repo: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// picorun built alongside this test binary (or $PICORUN_BIN).
    static let picorun: String = {
        if let p = ProcessInfo.processInfo.environment["PICORUN_BIN"] { return p }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // Swift Testing may run from inside the .xctest bundle directory.
        while !dir.path.hasSuffix("/debug") && !dir.path.hasSuffix("/release") && dir.path != "/" {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("picorun").path) { break }
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("picorun").path
    }()

    /// The built fixtures; built on first use if missing.
    static let fixtures: String = {
        let dir = ProcessInfo.processInfo.environment["PICORUN_FIXTURES"]
            ?? repo.appendingPathComponent("Fixtures/elf/out").path
        if !FileManager.default.fileExists(atPath: dir + "/malformed/manifest.tsv") {
            let r = run(repo.appendingPathComponent("Fixtures/elf/build.sh").path, [dir], env: ProcessInfo.processInfo.environment)
            precondition(r.status == 0, "building the fixtures failed:\n\(r.stderr)")
        }
        return dir
    }()
}

/// What a finished process left behind. `status` is what a shell reports:
/// the exit code, or 128+N for death by signal N.
struct Outcome: Equatable, CustomStringConvertible {
    var stdout: String
    var stderr: String
    var status: Int32
    var timedOut = false

    var description: String {
        "status \(status)\(timedOut ? " (timed out)" : "")\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// Runs `path args` with exactly `env`, stdin from /dev/null, output to files.
func run(_ path: String, _ args: [String], env: [String: String], timeout: Double = 60,
         cwd: String? = nil) -> Outcome {
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("picorun-test-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    let outURL = tmp.appendingPathComponent("out"), errURL = tmp.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    p.environment = env
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    p.standardOutput = try! FileHandle(forWritingTo: outURL)
    p.standardError = try! FileHandle(forWritingTo: errURL)
    do { try p.run() } catch {
        return Outcome(stdout: "", stderr: "cannot start \(path): \(error)", status: -1)
    }
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async { p.waitUntilExit(); done.signal() }
    var timedOut = false
    if done.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        kill(p.processIdentifier, SIGKILL)
        done.wait()
    }
    let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
    let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? "<not UTF-8>"
    let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? "<not UTF-8>"
    return Outcome(stdout: out, stderr: err, status: status, timedOut: timedOut)
}

/// The environment both sides of a differential run get: small and fixed.
func baseEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
    var env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C"]
    env.merge(extra) { _, new in new }
    return env
}
