import Foundation
import Testing

/// One program run natively and under picorun with the same arguments and
/// environment. The outputs must be identical; the fixtures print only
/// values that are the same in any two native runs (booleans instead of
/// pids and addresses), so no output is normalised.
struct DifferentialCase: CustomTestStringConvertible, Sendable {
    let fixture: String
    let args: [String]
    var env: [String: String] = [:]
    var testDescription: String { ([fixture] + args).joined(separator: " ") }
}

let differentialCases: [DifferentialCase] = [
    .init(fixture: "hello", args: []),
    .init(fixture: "hello-pie", args: []),
    .init(fixture: "hello-dyn", args: []),
    .init(fixture: "hello-asm", args: []),
    .init(fixture: "stack-asm", args: []),
    .init(fixture: "stack-asm", args: ["one", "two", "three"]),
    .init(fixture: "auxv-nolibc", args: ["alpha", "", "gamma delta"], env: ["FX_ONE": "1", "FX_TWO": "x=y"]),
    .init(fixture: "auxv-nolibc-pie", args: ["alpha"], env: ["FX_ONE": "1"]),
    .init(fixture: "args-env", args: ["a", "b c", "", "ünïcødé", String(repeating: "x", count: 5000)],
          env: ["FX_ONE": "first", "FX_EMPTY": ""]),
    .init(fixture: "args-env-dyn", args: ["dynamic", "args"], env: ["FX_ONE": "dyn"]),
    .init(fixture: "memory", args: []),
    .init(fixture: "memory-pie", args: []),
    .init(fixture: "fileio", args: []),
    .init(fixture: "pipes", args: []),
    .init(fixture: "forkwait", args: []),
    .init(fixture: "threads", args: []),
    .init(fixture: "threads-pie", args: []),
    .init(fixture: "signals", args: []),
    .init(fixture: "clock", args: []),
    .init(fixture: "exitcode", args: ["0"]),
    .init(fixture: "exitcode", args: ["1"]),
    .init(fixture: "exitcode", args: ["42"]),
    .init(fixture: "exitcode", args: ["255"]),
    .init(fixture: "killself", args: ["segv"]),
    .init(fixture: "killself", args: ["abort"]),
    .init(fixture: "killself", args: ["kill"]),
    .init(fixture: "killself", args: ["term"]),
    .init(fixture: "killself", args: ["fpe"]),
    .init(fixture: "obsolete-syscalls", args: []),
    .init(fixture: "exec", args: [Paths.fixtures]),
    .init(fixture: "pingpong", args: []),
    .init(fixture: "reaper", args: []),
    .init(fixture: "sockets", args: []),
    .init(fixture: "fsextras", args: []),
    .init(fixture: "openat2", args: []),
    .init(fixture: "getpid-loop", args: ["1000"]),
    // A program's own seccomp filter: TRACE with no tracer is ENOSYS, for calls picorun answers too.
    .init(fixture: "own-seccomp", args: []),
    // A default-deny filter (unknown numbers, prctl) inherited across an exec: the loader still loads.
    .init(fixture: "own-seccomp", args: ["deny-unknown", Paths.fixtures + "/hello"]),
]

@Suite("Fixtures run natively and under picorun give identical results")
struct FixtureDifferentialTests {
    @Test(arguments: differentialCases)
    func sameAsNative(_ c: DifferentialCase) {
        let program = Paths.fixtures + "/" + c.fixture
        let env = baseEnvironment(c.env)
        let native = run(program, c.args, env: env)
        let picorun = run(Paths.picorun, [program] + c.args, env: env)
        #expect(!native.timedOut && !picorun.timedOut)
        #expect(picorun == native, "native:\n\(native)\npicorun:\n\(picorun)")
    }

    /// The same static program many times in a row: loader randomization
    /// (PIE base, stack shift, brk) must never make a run fail.
    /// A known gap, said in one line: picorun's loader makes syscalls in
    /// the new program's process, which the process's own filter judges.
    /// One that refuses mmap stops the exec, which natively runs.
    @Test func ownFilterThatRefusesTheLoaderIsNamed() {
        let program = Paths.fixtures + "/own-seccomp"
        let native = run(program, ["deny-mmap", Paths.fixtures + "/hello"], env: baseEnvironment())
        #expect(native.status == 0 && native.stdout.contains("hello"), "\(native)")
        let guest = run(Paths.picorun, [program, "deny-mmap", Paths.fixtures + "/hello"], env: baseEnvironment())
        let lines = guest.stderr.split(separator: "\n")
        #expect(guest.status != 0 && lines.count == 1 && lines[0].contains("cannot load:") && lines[0].contains("EPERM")
                && lines[0].contains("own seccomp filter"), "\(guest)")
    }

    @Test func repeatedRunsAreStable() {
        let program = Paths.fixtures + "/memory-pie"
        let native = run(program, [], env: baseEnvironment())
        for _ in 0..<20 {
            let r = run(Paths.picorun, [program], env: baseEnvironment())
            #expect(r == native)
        }
    }
}
