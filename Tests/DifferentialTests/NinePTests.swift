import Foundation
import Glibc
import Testing

/// The 9P2000.L server against third-party clients: diod's diodls/diodcat
/// and PyPI's p9fs (a virtualenv the test setup makes), plus a bounded fuzzer.
enum NineP {
    static let venvPython: String = {
        let env = ProcessInfo.processInfo.environment
        return env["PICORUN_TEST_VENV"].map { $0 + "/bin/python" }
            ?? (env["XDG_CACHE_HOME"] ?? (env["HOME"] ?? "/root") + "/.cache") + "/picorun-test/venv/bin/python"
    }()
    static var clientsInstalled: Bool {
        access("/usr/sbin/diodls", X_OK) == 0 && access(venvPython, X_OK) == 0
    }
    static let fixtures = Paths.fixtures + "/../../ninep"

    /// Runs `script` with a server for distro `name` on a free loopback port ($PORT).
    static func withServer(_ h: DistroHome, _ name: String, _ script: String, extra: [String] = []) -> Outcome {
        let port = Int.random(in: 20000..<60000)
        let wrapped = """
            "$PICORUN" serve \(name) --listen tcp:127.0.0.1:$PORT \(extra.joined(separator: " ")) 2>"$HOME_DIR/serve.log" & srv=$!
            for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.05; done
            sleep 0.2; fds_before=$(ls /proc/$srv/fd | wc -l)
            ( \(script) ); status=$?
            # Every connection is gone: the server holds the fds it started with.
            for i in $(seq 50); do [ "$(ls /proc/$srv/fd | wc -l)" = "$fds_before" ] && break; sleep 0.1; done
            echo "server fds: $fds_before before, $(ls /proc/$srv/fd | wc -l) after" >&2
            kill -0 $srv 2>/dev/null || { echo "the server died" >&2; status=99; }
            kill $srv; wait $srv 2>/dev/null
            exit $status
            """
        var env = h.env
        env["PICORUN"] = Paths.picorun
        env["PORT"] = "\(port)"
        env["HOME_DIR"] = h.home
        env["PY"] = venvPython
        env["FIX"] = fixtures
        return run("/bin/bash", ["-c", wrapped], env: env, timeout: 300)
    }
}

@Suite("9P2000.L server", .enabled(if: NineP.clientsInstalled))
struct NinePTests {
    @Test func diodToolsListAndRead() throws {
        let h = DistroHome()
        #expect(h.picorun(["import", "nine", try TinyTarball.make(in: h.home)]).status == 0)
        let r = NineP.withServer(h, "nine", """
            /usr/sbin/diodls -s 127.0.0.1:$PORT -a / / | sort
            /usr/sbin/diodls -s 127.0.0.1:$PORT -a / -l /owned.txt /suid /null | awk '{print $1, $3, $4}'
            /usr/sbin/diodcat -s 127.0.0.1:$PORT -a / /owned.txt; echo
            /usr/sbin/diodls -s 127.0.0.1:$PORT -a / /../../.. | sort | head -2
            """)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("owned.txt") && lines.contains("bin") && lines.contains("suid"), "\(r)")
        #expect(lines.contains("-rw-------. 1234 99"), "owners from the sidecar: \(r)")
        // (diodls prints only rwx and d/l/-; p9fs below checks setuid and device bits.)
        #expect(lines.contains("-rwxr-xr-x. root root") && lines.contains("-rw-rw-rw-. root root"), "\(r)")
        #expect(lines.contains("mine"), "\(r)")
    }

    @Test func p9fsListsReadsWritesCreatesRenamesRemoves() throws {
        let h = DistroHome()
        #expect(h.picorun(["import", "nine", try TinyTarball.make(in: h.home)]).status == 0)
        let r = NineP.withServer(h, "nine", "\"$PY\" \"$FIX/p9fs-client.py\" 127.0.0.1 $PORT")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == """
            ls: ['/bin/', '/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/', '/etc/', '/hard']
            read: b'mine'
            write+read: b'hello over 9p'
            renamed: False True
            mkdir: True
            removed: False False
            mode: owned.txt 0o100600 1234 99
            mode: suid 0o104755 0 0
            mode: null 0o20666 0 0
            """ + "\n", "\(r)")
        // Nothing escaped the export, and a file made over 9P has a guest owner.
        #expect(!FileManager.default.fileExists(atPath: h.home + "/distros/nine/written"))
        #expect(h.picorun(["fsck", "nine"]).status == 0)
    }

    /// picorun -d/--rootfs --9p: the session's chown is what a 9P client sees.
    @Test(.enabled(if: TestRootfs.path != nil)) func embeddedServerSeesTheSession() {
        let port = Int.random(in: 20000..<60000)
        let script = """
            rm -f "$ROOTFS/tmp/n9.ready"
            "$PICORUN" --rootfs "$ROOTFS" --9p tcp:127.0.0.1:$PORT /bin/sh -c \
              'rm -f /tmp/n9; echo hi > /tmp/n9; chown 321:654 /tmp/n9; touch /tmp/n9.ready; sleep 120' & session=$!
            for i in $(seq 1200); do [ -e "$ROOTFS/tmp/n9.ready" ] && break; sleep 0.05; done
            /usr/sbin/diodls -s 127.0.0.1:$PORT -a / -l /tmp/n9 | awk '{print $1, $3, $4}'
            /usr/sbin/diodcat -s 127.0.0.1:$PORT -a / /tmp/n9
            kill $session; wait $session 2>/dev/null; rm -f "$ROOTFS/tmp/n9" "$ROOTFS/tmp/n9.ready"; exit 0
            """
        let r = run("/bin/bash", ["-c", script], env: baseEnvironment(["PICORUN": Paths.picorun, "ROOTFS": TestRootfs.path!, "PORT": "\(port)",
                                                                    "PICORUN_HOME": scratchDir()]))
        #expect(r.stdout == "-rw-r--r--. 321 654\nhi\n", "\(r)")
    }

    /// Every message of the dialect, and malformed ones, with the expected
    /// answers; with the reader polling for requests (the default) and not.
    @Test(arguments: [[], ["--poll", "0"]]) func everyMessage(_ poll: [String]) throws {
        let h = DistroHome()
        #expect(h.picorun(["import", "nine", try TinyTarball.make(in: h.home)]).status == 0)
        let r = NineP.withServer(h, "nine", "/usr/bin/python3 \"$FIX/messages9p.py\" 127.0.0.1 $PORT", extra: poll)
        #expect(r.status == 0 && r.stdout.hasSuffix("\n0 failed\n"), "\(r)")
        #expect(!r.stdout.contains("FAIL"), "\(r.stdout)")
    }

    /// An unprivileged host user imports and serves its own distro.
    @Test(.enabled(if: getuid() == 0)) func servedByAnUnprivilegedUser() throws {
        let h = DistroHome()
        let staging = scratchDir()
        chmod(staging, 0o755)
        let tiny = try TinyTarball.make(in: staging)
        chmod(tiny, 0o644)
        _ = run("/bin/cp", [Paths.picorun, staging + "/picorun"], env: baseEnvironment())
        chmod(staging + "/picorun", 0o755)
        let port = Int.random(in: 20000..<60000)
        let script = """
            as_nobody() { /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
            as_nobody "$STAGE/picorun" import nine "$STAGE/tiny.tar" || exit 1
            # setpriv itself in the background (not a function's subshell), so $srv is the server.
            /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups "$STAGE/picorun" serve nine --listen tcp:127.0.0.1:$PORT 2>/dev/null & srv=$!
            for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.05; done
            /usr/sbin/diodls -s 127.0.0.1:$PORT -a / -l /owned.txt | awk '{print $1, $3, $4}'
            /usr/sbin/diodcat -s 127.0.0.1:$PORT -a / /owned.txt; echo
            kill $srv; wait $srv 2>/dev/null; exit 0
            """
        let r = run("/bin/bash", ["-c", script], env: h.env.merging(["STAGE": staging, "PORT": "\(port)"]) { $1 })
        #expect(r.stdout == "-rw-------. 1234 99\nmine\n", "\(r)")
    }

    @Test func badServeOptionsAreClearErrors() {
        let h = DistroHome()
        for (args, message) in [(["--poll", "x"], "serve: --poll x: expected microseconds, 0 to 100000"),
                                (["--poll=-1"], "serve: --poll -1: expected microseconds, 0 to 100000"),
                                (["--poll"], "serve: --poll needs a number of microseconds"),
                                (["--listen", "udp:1"], "serve: --listen udp:1: expected unix:PATH or tcp:HOST:PORT")] {
            let r = h.picorun(["serve", "nine"] + (args.first == "--listen" ? [] : ["--listen", "unix:/tmp/x"]) + args)
            #expect(r.status == 2 && r.stderr == "picorun: \(message)\n", "\(args): \(r)")
        }
    }

    @Test func readOnlyRefusesWrites() throws {
        let h = DistroHome()
        #expect(h.picorun(["import", "nine", try TinyTarball.make(in: h.home)]).status == 0)
        let r = NineP.withServer(h, "nine", "\"$PY\" \"$FIX/p9fs-client.py\" 127.0.0.1 $PORT", extra: ["--read-only"])
        #expect(r.status != 0 && r.stdout.contains("read: b'mine'") && !r.stdout.contains("write+read"), "\(r)")
    }

    @Test func fuzzerNeverCrashesOrEscapes() throws {
        let h = DistroHome()
        #expect(h.picorun(["import", "nine", try TinyTarball.make(in: h.home)]).status == 0)
        let seconds = ProcessInfo.processInfo.environment["PICORUN_FUZZ_SECONDS"] ?? "20"
        let r = NineP.withServer(h, "nine", "\"$PY\" \"$FIX/fuzz9p.py\" 127.0.0.1 $PORT \(seconds) \(Int.random(in: 1...1_000_000))")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasSuffix("server healthy\n"), "\(r)")
        // No fid (each holds an fd) outlives its connection.
        let fds = r.stderr.split(separator: "\n").last { $0.hasPrefix("server fds:") }.map(String.init) ?? ""
        let counts = fds.split(separator: " ").compactMap { Int($0) }
        #expect(counts.count == 2 && counts[0] == counts[1], "\(r.stderr)")
        for outside in ["/escape", "/escape-dir", "/distros/escape", "/distros/nine/escape"] {
            #expect(!FileManager.default.fileExists(atPath: h.home + outside), "\(outside)")
        }
    }
}

/// CI installs the clients; there the 9P suite must not be silently skipped.
@Test("The 9P clients exist when CI runs", .enabled(if: ProcessInfo.processInfo.environment["CI"] == "true"))
func ninePClientsPresentInCI() {
    #expect(NineP.clientsInstalled, "diod and the p9fs virtualenv should have been installed by scripts/test.sh")
}
