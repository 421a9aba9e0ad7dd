import Foundation
import Testing

@Suite("The picorun command line")
struct CommandLineTests {
    @Test func helpTeachesUsage() {
        let r = run(Paths.picorun, ["--help"], env: baseEnvironment())
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("usage: picorun "))
        #expect(r.stdout.contains("picorun [OPTIONS] PROGRAM [ARGS...]"))
        #expect(r.stdout.contains("picorun import NAME TARBALL|-"))
        #expect(r.stdout.contains("Exit status"))
        #expect(r.stdout.contains("Examples"))
    }

    @Test func version() {
        let r = run(Paths.picorun, ["--version"], env: baseEnvironment())
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("picorun "))
    }

    @Test func noProgram() {
        // Without a program picorun starts the default distro's shell; with no distro, says how to get one.
        let r = run(Paths.picorun, [], env: baseEnvironment(["PICORUN_HOME": scratchDir()]))
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("picorun: no default distro: install one with `picorun install debian`"), "\(r)")
        let rootOnly = run(Paths.picorun, ["--rootfs", "/tmp"], env: baseEnvironment())
        #expect(rootOnly.status == 2)
        #expect(rootOnly.stderr == "picorun: no program given (try --help)\n")
    }

    @Test func unknownOption() {
        let r = run(Paths.picorun, ["--frobnicate", "/bin/true"], env: baseEnvironment())
        #expect(r.status == 2)
        #expect(r.stderr == "picorun: unknown option --frobnicate (try --help)\n")
    }

    @Test func missingRootfsIsAClearError() {
        let r = run(Paths.picorun, ["--rootfs", "/nonexistent/distro", "/bin/true"], env: baseEnvironment())
        #expect(r.status == 2)
        #expect(r.stderr == "picorun: --rootfs /nonexistent/distro: No such file or directory\n")
        let file = run(Paths.picorun, ["--rootfs", "/etc/passwd", "/bin/true"], env: baseEnvironment())
        #expect(file.status == 2)
        #expect(file.stderr == "picorun: --rootfs /etc/passwd: Not a directory\n")
    }

    /// A program that is not in the distro is not found, even if the host has it.
    @Test func rootfsProgramsComeFromTheRootfs() throws {
        let dir = scratchDir()
        let r = run(Paths.picorun, ["--rootfs", dir, "/bin/true"], env: baseEnvironment())
        #expect(r.status == 127)
        #expect(r.stderr.contains("/bin/true: No such file or directory"))
    }

    @Test func doubleDashEndsOptions() {
        let r = run(Paths.picorun, ["--", Paths.fixtures + "/exitcode", "5"], env: baseEnvironment())
        #expect(r.status == 5)
        #expect(r.stdout == "atexit ran\n")
    }

    @Test func programFoundInPath() {
        let r = run(Paths.picorun, ["exitcode", "9"], env: baseEnvironment(["PATH": Paths.fixtures]))
        #expect(r.status == 9)
    }

    /// The guest's argv[0] is what the user typed; picorun adds nothing.
    @Test func argvZeroIsAsGiven() {
        let r = run(Paths.picorun, ["args-env", "x"], env: baseEnvironment(["PATH": Paths.fixtures]))
        #expect(r.status == 1)
        #expect(r.stdout.hasPrefix("argc=2\nargv[1]=[x]"))
    }
}
