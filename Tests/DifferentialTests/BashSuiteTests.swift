import Foundation
import Glibc
import Testing

/// bash's own upstream test suite (scripts/bash-suite.sh: the tests of the
/// bash version the system ships, from Debian's source package), group by
/// group, natively and under picorun: a suite written against Linux, not
/// against picorun. Every group that is clean natively must be clean under
/// picorun, on the host tree and in the Debian test rootfs.
/// The suite writes fixed names in /tmp, so its runs go one at a time.
@Suite("bash's test suite passes under picorun as natively", .enabled(if: BashSuite.prepared), .serialized)
struct BashSuiteTests {
    @Test func onTheHostTree() {
        BashSuite.compare(wrap: Paths.picorun)
    }

    /// Upstream's own advice: not as root (as root four groups differ natively).
    @Test(.enabled(if: getuid() == 0)) func onTheHostTreeAsAnUnprivilegedUser() {
        BashSuite.compare(wrap: Paths.picorun, extra: ["--user", "nobody"])
    }

    @Test(.enabled(if: TestRootfs.path != nil && getuid() == 0)) func inTheDebianRootfs() {
        let root = TestRootfs.path!
        BashSuite.compare(wrap: "\(Paths.picorun) --rootfs \(root)", extra: ["--rootfs", root])
    }
}

/// CI prepares the suite (scripts/test.sh); there it must not be silently skipped.
@Test("bash's test suite is prepared when CI runs", .enabled(if: ProcessInfo.processInfo.environment["CI"] == "true"))
func bashSuitePreparedInCI() {
    #expect(BashSuite.prepared, "scripts/bash-suite.sh --prepare did not run: scripts/test.sh prepares it")
}

enum BashSuite {
    static let script = Paths.repo.appendingPathComponent("scripts/bash-suite.sh").path
    static let cache: String = {
        let env = ProcessInfo.processInfo.environment
        return (env["XDG_CACHE_HOME"] ?? (env["HOME"] ?? "/root") + "/.cache") + "/picorun-test/bash-tests"
    }()
    static let prepared = FileManager.default.fileExists(atPath: cache + "/.complete")

    struct Results {
        var clean: Set<String> = []
        var differ: Set<String> = []
        var log = ""
        var out = ""
    }

    /// One run of the groups (all, or `groups`); those named clean and
    /// those that differ.
    static func results(wrap: String?, extra: [String], groups: [String] = []) -> Results {
        let out = scratchDir()
        chmod(out, 0o777)
        var args = [script, "--out", out] + extra
        if let wrap { args += ["--wrap", wrap] }
        if !groups.isEmpty { args += ["--groups", groups.joined(separator: " ")] }
        // chroot, unshare and setpriv live in sbin.
        let r = run("/bin/bash", args, env: baseEnvironment(["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]),
                    timeout: 2400)
        var res = Results(log: r.stdout + r.stderr, out: out)
        for line in r.stdout.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 2 else { continue }
            if words[1] == "clean" && words.count == 2 { res.clean.insert(String(words[0])) }
            if words[1] == "differs" { res.differ.insert(String(words[0])) }
        }
        return res
    }

    /// Every group clean natively is clean under picorun. Some groups race
    /// the clock (read -t .0001, a coprocess gone before `declare -p`, a
    /// second boundary in printf's %(...)T); a group lost under picorun is
    /// run again on its own, four times at most, and must come out clean once:
    /// a real difference is the same every time.
    static func compare(wrap: String, extra: [String] = []) {
        let native = results(wrap: nil, extra: extra)
        let guest = results(wrap: wrap, extra: extra)
        #expect(native.clean.count > 50, "native run: \(native.log.suffix(3000))")
        #expect(guest.clean.count + guest.differ.count == native.clean.count + native.differ.count,
                "picorun run: \(guest.log.suffix(3000))")
        var lost = native.clean.subtracting(guest.clean)
        var details = ""
        for g in lost.sorted() {
            details += "== \(g)\n" + ((try? String(contentsOfFile: guest.out + "/\(g).out", encoding: .utf8)) ?? "").prefix(3000) + "\n"
            for _ in 0..<4 where lost.contains(g) {
                if results(wrap: wrap, extra: extra, groups: [g]).clean.contains(g) {
                    lost.remove(g)
                    print("bash suite: \(g) differed once under picorun, clean when run again")
                }
            }
        }
        #expect(lost.isEmpty, "clean natively, not under picorun (also when run again): \(lost.sorted())\n\(details)")
    }
}
