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

/// Runs `path args` with exactly `env`, stdin from /dev/null, output to
/// files. Spawned with posix_spawn and reaped with waitpid: no run loop,
/// no signal handler, nothing that can spin or miss a child.
func run(_ path: String, _ args: [String], env: [String: String], timeout: Double = 60) -> Outcome {
    let dir = "/tmp/picorun-run-\(UUID().uuidString)"
    mkdir(dir, 0o700)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let outPath = dir + "/out", errPath = dir + "/err"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    // A child starts with no blocked signals and default dispositions,
    // whatever the test runner's threads have set up.
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attr, &none)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = [path] + args
    let envp = env.map { "\($0.key)=\($0.value)" }
    var pid: pid_t = 0
    let rc = withCStringArray(argv) { a in withCStringArray(envp) { e in posix_spawn(&pid, path, &actions, &attr, a, e) } }
    guard rc == 0 else {
        return Outcome(stdout: "", stderr: "cannot start \(path): \(String(cString: strerror(rc)))", status: -1)
    }
    var status: Int32 = 0
    var timedOut = false
    let deadline = Date().addingTimeInterval(timeout)
    var pause: UInt32 = 500
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { break }
        if r < 0 && errno != EINTR { break }
        if !timedOut && Date() > deadline {
            timedOut = true
            kill(pid, SIGKILL)
        }
        usleep(pause)
        pause = min(pause * 2, 20_000)
    }
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "<not UTF-8>"
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "<not UTF-8>"
    return Outcome(stdout: out, stderr: err, status: code, timedOut: timedOut)
}

func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs { free(p) } }
    return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// The environment both sides of a differential run get: small and fixed.
func baseEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
    var env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C"]
    env.merge(extra) { _, new in new }
    return env
}
