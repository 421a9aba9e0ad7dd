import Foundation
import Glibc
import Testing

/// A hostile tracee (Fixtures/elf/src/hostile.c) passes bad pointers,
/// unterminated and over-long paths, bogus fds and absurd lengths and flags
/// to every translated syscall, then signals the supervisor. Each line it
/// prints under picorun must be the native line, but for the known O_PATH
/// limitation below, and the supervisor must keep going to the end.
@Suite("Hostile tracees get Linux's errnos")
struct HostileTests {
    /// The guest's O_PATH fds are read-only fds on the same object: the
    /// kernel will not pass an O_PATH file through SECCOMP_IOCTL_NOTIF_ADDFD
    /// (fget refuses them), and letting the kernel open the path itself
    /// would re-read a string another guest thread can rewrite. So these
    /// calls on an "O_PATH" fd succeed where Linux says EBADF (an O_PATH
    /// open of a symlink itself gets a stand-in that the fd-taking calls
    /// resolve to the link, and matches). Listed, not hidden: a line that
    /// starts to match Linux fails this test until it is removed here.
    static let oPathLimitation: Set<String> = [
        "read(O_PATH fd of mode-0000 file)",
        "utimensat(NULL path, fd=opath, times=NULL)", "fchmod(opath)", "fchown(opath)", "read(opath, buf, 1)",
        "bind(fd=opath)", "connect(fd=opath)", "pidfd_send_signal(O_PATH dirfd self, 0, NULL, 0)",
    ]

    static func label(_ line: Substring) -> String {
        String(line.split(separator: ":", maxSplits: 1).first ?? line)
    }

    func compare(_ native: Outcome, _ picorun: Outcome, _ how: String) {
        #expect(!picorun.timedOut && picorun.status == native.status, "\(how): \(picorun.status) vs native \(native.status)\n\(picorun.stderr)")
        #expect(picorun.stdout.hasSuffix("survived\n"), "\(how): the tracee did not reach its end\n\(picorun.stderr)")
        let a = native.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let b = picorun.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(a.count == b.count, "\(how): \(a.count) lines natively, \(b.count) under picorun")
        var unexplained: [String] = []
        var limited: Set<String> = []
        for (x, y) in zip(a, b) where x != y {
            if Self.oPathLimitation.contains(Self.label(x)) { limited.insert(Self.label(x)) } else { unexplained.append("native: \(x)\npicorun: \(y)") }
        }
        #expect(unexplained.isEmpty, "\(how):\n\(unexplained.joined(separator: "\n"))")
        #expect(limited == Self.oPathLimitation, "\(how): these now match Linux; take them off the list: \(Self.oPathLimitation.subtracting(limited))")
    }

    @Test func onTheHostTree() {
        let program = Paths.fixtures + "/hostile"
        let native = run(program, [], env: baseEnvironment(), timeout: 120)
        #expect(native.status == 0 && native.stdout.hasSuffix("survived\n"), "\(native)")
        compare(native, run(Paths.picorun, [program], env: baseEnvironment(), timeout: 120), "host tree")
    }

    @Test func inARootfs() throws {
        let root = scratchDir()
        chmod(root, 0o755)
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        chmod(root + "/tmp", 0o1777)
        try FileManager.default.copyItem(atPath: Paths.fixtures + "/hostile", toPath: root + "/hostile")
        let native = run(Paths.fixtures + "/hostile", [], env: baseEnvironment(), timeout: 120)
        let home = scratchDir()
        compare(native, run(Paths.picorun, ["--rootfs", root, "/hostile"], env: baseEnvironment(["HOME": home]), timeout: 120), "--rootfs")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? []
        #expect(left.isEmpty, "left behind in the rootfs: \(left)")
    }
}

/// 200 threads and 200 processes alive at once under one supervisor, each
/// doing file I/O: the same summary as natively, in bounded time, with the
/// supervisor's memory bounded.
@Suite("Load: 200 threads, 200 processes")
struct LoadTests {
    @Test(arguments: ["load-threads", "load-procs"])
    func sameAsNative(_ fixture: String) throws {
        let program = Paths.fixtures + "/" + fixture
        let nativeDir = scratchDir(), guestDir = scratchDir()
        let native = run(program, [nativeDir, "5", "200"], env: baseEnvironment(), timeout: 120)
        #expect(native.status == 0, "\(native)")
        // /usr/bin/time reports the supervisor's own peak RSS (its children's too, which are the guests: an upper bound).
        let r = run(Paths.picorun, [program, guestDir, "5", "200"], env: baseEnvironment(), timeout: 300)
        #expect(!r.timedOut && r == native, "native:\n\(native)\npicorun:\n\(r)")
    }

    @Test func supervisorMemoryIsBounded() throws {
        let dir = scratchDir()
        let r = run("/bin/sh", ["-c", "\"$1\" \"$2\" \"$3\" 5 200 >/dev/null & p=$!; peak=0; while kill -0 $p 2>/dev/null; do v=$(awk '/VmHWM/{print $2}' /proc/$p/status 2>/dev/null); [ -n \"$v\" ] && [ \"$v\" -gt \"$peak\" ] && peak=$v; sleep 0.02; done; wait $p; echo $? $peak",
                                  "sh", Paths.picorun, Paths.fixtures + "/load-threads", dir], env: baseEnvironment(), timeout: 300)
        let fields = r.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(fields.count == 2 && fields[0] == 0, "\(r)")
        // 30 MiB is the supervisor's budget (M8); 200 threads must not blow it.
        #expect(fields.count == 2 && fields[1] > 0 && fields[1] < 30 * 1024, "peak RSS \(fields.last ?? -1) KiB")
    }
}

/// A tracee killed in the middle of a call the supervisor carries out on a
/// thread (a FIFO open waiting for a peer that never comes) leaves no thread
/// and no fd behind in the supervisor. Directory fds and pidfds are not
/// counted: the supervisor's caches of resolved directories and of recent
/// callers' pidfds hold some, more as the guest walks more of the tree and
/// starts more processes (a FIFO, a pipe or a file left open is neither).
@Suite("A tracee killed mid-syscall")
struct KilledMidCallTests {
    @Test func leavesNoStaleSupervisorState() {
        let dir = scratchDir()
        let script = """
            "$PICORUN" /bin/sh -c 'cd "$1"; sleep 1; for i in $(seq 10); do mkfifo f$i; cat f$i & p=$!; sleep 0.1; kill -9 $p; wait $p 2>/dev/null; done; sleep 2; echo end' sh "$DIR" & pp=$!
            held() { for f in /proc/$pp/fd/*; do [ -d "$f" ] || [ "$(readlink "$f")" = "anon_inode:[pidfd]" ] || echo "$f"; done | wc -l; }
            sleep 0.5; before="$(held) $(ls /proc/$pp/task | wc -l)"
            sleep 2.8; after="$(held) $(ls /proc/$pp/task | wc -l)"
            wait $pp; echo "status $?"; echo "fds and threads: $before before, $after after"
            """
        let r = run("/bin/bash", ["-c", script], env: baseEnvironment(["PICORUN": Paths.picorun, "DIR": dir]), timeout: 60)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "end" && lines.dropFirst().first == "status 0", "\(r)")
        let counts = lines.last?.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) } ?? []
        #expect(counts.count == 4 && counts[0] == counts[2] && counts[1] == counts[3], "\(r.stdout)")
    }
}
