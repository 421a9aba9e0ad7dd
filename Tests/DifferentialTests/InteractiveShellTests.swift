import Foundation
import Testing

/// A terminal driven through tmux: keys in, screen text out.
final class TmuxSession {
    let name = "picorun-\(UUID().uuidString.prefix(8))"
    let statusFile: String

    init(command: String) throws {
        statusFile = "/tmp/\(name).status"
        // The pane runs the command, then records its exit status.
        let shell = "\(command); echo $? > \(statusFile)"
        let r = tmux(["new-session", "-d", "-s", name, "-x", "150", "-y", "40", shell])
        guard r.status == 0 else { throw TmuxError(message: r.stderr) }
    }

    deinit {
        _ = tmux(["kill-session", "-t", name])
        try? FileManager.default.removeItem(atPath: statusFile)
    }

    func keys(_ k: String...) { _ = tmux(["send-keys", "-t", name] + k) }
    func type(_ text: String) { _ = tmux(["send-keys", "-t", name, "-l", text]) }
    func screen() -> String { tmux(["capture-pane", "-p", "-t", name]).stdout }

    /// Waits until the screen shows `text` (up to `seconds`).
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 15) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if screen().contains(text) { return true }
            usleep(50_000)
        }
        return false
    }

    /// Waits until a process whose command line matches `pattern` runs, so
    /// that a key like Ctrl-C reaches it and not the prompt before it.
    @discardableResult
    func waitForProcess(_ pattern: String, seconds: Double = 15) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if run("/usr/bin/pgrep", ["-f", pattern], env: baseEnvironment()).status == 0 {
                usleep(100_000)
                return true
            }
            usleep(50_000)
        }
        return false
    }

    func exitStatus(seconds: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: statusFile, encoding: .utf8), let v = Int32(s.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return v
            }
            usleep(50_000)
        }
        return nil
    }

    func tmux(_ args: [String]) -> Outcome {
        run("/usr/bin/tmux", args, env: baseEnvironment(["TERM": "xterm"]), timeout: 10)
    }
}

struct TmuxError: Error { let message: String }

@Suite("picorun /bin/bash is a usable interactive shell", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
struct InteractiveShellTests {
    @Test func promptEditingSignalsJobControlAndExit() throws {
        let t = try TmuxSession(command: "\(Paths.picorun) /bin/bash --norc --noprofile -i")
        // Readline discards what is typed before it sets the terminal up.
        #expect(t.waitFor("bash-"), "\(t.screen())")
        t.type("PS1='pico> '")
        t.keys("Enter")
        #expect(t.waitFor("pico> "), "\(t.screen())")

        // Line editing: type, move left, delete, insert.
        t.type("echo helo-$((6*7))")
        for _ in 0..<11 { t.keys("Left") }
        t.type("l")
        t.keys("Enter")
        #expect(t.waitFor("hello-42"), "\(t.screen())")

        // History: Up brings the last command back.
        t.keys("Up")
        t.keys("Enter")
        #expect(t.waitFor("hello-42\npico> echo hello-$((6*7))\nhello-42") || t.screen().components(separatedBy: "hello-42").count >= 4,
                "\(t.screen())")

        // Ctrl-C interrupts the foreground job; the shell survives.
        t.type("sleep 101")
        t.keys("Enter")
        #expect(t.waitForProcess("^sleep 101$"))
        t.keys("C-c")
        t.type("echo status=$?")
        t.keys("Enter")
        #expect(t.waitFor("status=130"), "\(t.screen())")

        // Ctrl-Z stops it, jobs lists it, fg resumes it, Ctrl-C ends it.
        t.type("sleep 102")
        t.keys("Enter")
        #expect(t.waitForProcess("^sleep 102$"))
        t.keys("C-z")
        #expect(t.waitFor("Stopped"), "\(t.screen())")
        t.type("jobs")
        t.keys("Enter")
        #expect(t.waitFor("]+  Stopped"), "\(t.screen())")
        t.type("fg")
        t.keys("Enter")
        #expect(t.waitFor("sleep 102\n", seconds: 5))
        usleep(300_000)
        t.keys("C-c")
        t.type("echo after-fg=$?")
        t.keys("Enter")
        #expect(t.waitFor("after-fg=130"), "\(t.screen())")

        // A pipeline and a subshell at the prompt.
        t.type("(echo sub; echo shell) | tr a-z A-Z")
        t.keys("Enter")
        #expect(t.waitFor("SUB\nSHELL"), "\(t.screen())")

        t.type("exit 7")
        t.keys("Enter")
        #expect(t.exitStatus() == 7)
    }

    /// Ctrl-Z on a program without job control stops picorun with it, as
    /// the outer shell expects; fg brings both back.
    @Test func suspendingPicorunItself() throws {
        let t = try TmuxSession(command: "/bin/bash --norc --noprofile -i")
        #expect(t.waitFor("bash-"), "\(t.screen())")
        t.type("PS1='outer> '")
        t.keys("Enter")
        #expect(t.waitFor("outer> "))
        t.type("\(Paths.picorun) /bin/sleep 103")
        t.keys("Enter")
        #expect(t.waitForProcess("^/bin/sleep 103$"))
        t.keys("C-z")
        #expect(t.waitFor("Stopped"), "\(t.screen())")
        t.type("fg")
        t.keys("Enter")
        usleep(300_000)
        t.keys("C-c")
        t.type("echo outer-status=$?")
        t.keys("Enter")
        #expect(t.waitFor("outer-status=130"), "\(t.screen())")
        t.type("exit")
        t.keys("Enter")
    }
}

@Suite("picorun --rootfs DIR /bin/bash is interactive",
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") && TestRootfs.path != nil))
struct InteractiveRootfsTests {
    @Test func distroShellAtATerminal() throws {
        let root = TestRootfs.path!
        let t = try TmuxSession(command: "env -i TERM=xterm HOME=/root PATH=/usr/bin:/bin \(Paths.picorun) --rootfs \(root) /bin/bash --norc --noprofile -i")
        #expect(t.waitFor("bash-"), "\(t.screen())")
        t.type("PS1='distro> '")
        t.keys("Enter")
        #expect(t.waitFor("distro> "))
        t.type("cd /etc && pwd && cat debian_version | cut -d. -f1")
        t.keys("Enter")
        #expect(t.waitFor("/etc\n12\n"), "\(t.screen())")
        t.type("sleep 104")
        t.keys("Enter")
        #expect(t.waitForProcess("^sleep 104$"))
        t.keys("C-c")
        t.type("echo rc=$?")
        t.keys("Enter")
        #expect(t.waitFor("rc=130"), "\(t.screen())")
        t.type("exit 3")
        t.keys("Enter")
        #expect(t.exitStatus() == 3)
    }
}
