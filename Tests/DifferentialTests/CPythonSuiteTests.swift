import Foundation
import Testing

/// CPython's own regression tests (Debian's libpython3.X-testsuite) for the
/// modules that lean on the syscall interface, run natively and under
/// picorun on the host tree: a suite written against Linux, not against
/// picorun. Every module that passes natively must pass under picorun.
@Suite("CPython's regression tests pass under picorun as natively", .enabled(if: CPythonSuite.installed))
struct CPythonSuiteTests {
    @Test func syscallHeavyModules() {
        let native = CPythonSuite.results(under: nil)
        let guest = CPythonSuite.results(under: Paths.picorun)
        #expect(native.ran == CPythonSuite.modules.count, "native run: \(native.log.suffix(3000))")
        #expect(guest.ran == CPythonSuite.modules.count, "picorun run: \(guest.log.suffix(3000))")
        #expect(guest.failed.subtracting(native.failed).isEmpty,
                "fail only under picorun: \(guest.failed.subtracting(native.failed).sorted())\n\(guest.log.suffix(6000))")
    }
}

/// CI installs the suite (scripts/test.sh); there it must not be silently skipped.
@Test("CPython's test suite exists when CI runs", .enabled(if: ProcessInfo.processInfo.environment["CI"] == "true"))
func cpythonSuitePresentInCI() {
    #expect(CPythonSuite.installed, "libpython3.X-testsuite is missing: scripts/test.sh installs it")
}

enum CPythonSuite {
    static let modules = [
        "test_os", "test_posix", "test_stat", "test_fcntl", "test_shutil", "test_tempfile", "test_glob", "test_fnmatch",
        "test_pathlib", "test_tarfile", "test_mmap", "test_fileio", "test_pwd", "test_grp", "test_resource", "test_epoll",
        "test_selectors", "test_posixpath", "test_genericpath",
    ]
    /// None: every test that passes natively must pass under picorun.
    static let ignored: [String] = []

    static let installed = run("/usr/bin/python3", ["-c", "import test.test_os"], env: baseEnvironment()).status == 0

    /// Runs the modules one after another (regrtest's own order); the
    /// modules that ran and those that failed, from its per-module lines.
    static func results(under picorun: String?) -> (ran: Int, failed: Set<String>, log: String) {
        let args = ["-m", "test", "--timeout", "600"] + ignored.flatMap { ["-i", $0] } + modules
        let r = picorun.map { run($0, ["/usr/bin/python3"] + args, env: baseEnvironment(), timeout: 1800) }
            ?? run("/usr/bin/python3", args, env: baseEnvironment(), timeout: 1800)
        let log = r.stdout + r.stderr
        // Each module starts with a line "0:00:01 load avg: 0.52 [ 3/19] test_stat"
        // (with "/1" after 19 once one failed); a failed one is named in a
        // line of its own ("test_os failed (2 failures)").
        let ran = Set(log.split(separator: "\n").compactMap { line -> String? in
            guard let close = line.range(of: "] test_") else { return nil }
            return String(line[line.index(close.lowerBound, offsetBy: 2)...].prefix { $0 != " " })
        }).intersection(modules).count
        let failed = Set(modules.filter { log.contains("\($0) failed") })
        return (ran, failed, log)
    }
}
