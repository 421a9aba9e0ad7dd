import CPicoLinux
import Glibc
import LinuxABI
import PicoCore
import Synchronization

/// Writes one strace-like line per observed syscall:
/// `1234 openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3`.
/// Arguments are decoded at entry (inputs) and at exit (outputs).
///
/// Lines come from the ptrace thread and the notification threads; each
/// task's appear in the order it made its calls (see `hold`).
public final class Tracer: Sendable {
    let fd: Int32
    let ownsFD: Bool
    /// Lines of tasks whose notified call's line is not written yet, by tid.
    let held = Mutex([pid_t: [String]]())

    /// Traces to standard error.
    public init() {
        fd = 2
        ownsFD = false
    }

    /// Traces to `path`, created or truncated.
    public init(path: String) throws(SupervisorError) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SupervisorError("--trace=\(path): \(hostErrorString(errno))") }
        ownsFD = true
    }

    deinit { if ownsFD { close(fd) } }

    /// The text of each argument that can be shown at entry.
    public func enterTexts(_ entry: CallShape?, _ args: [UInt64], tracee: Tracee) -> [String?] {
        guard let entry else { return args.prefix(6).map { "0x" + String($0, radix: 16) } }
        let d = ArgumentDecoder(tracee: tracee, args: args, kinds: entry.args)
        return entry.args.indices.map { ArgumentDecoder.isOutput(entry.args[$0]) ? nil : d.decode($0) }
    }

    /// `releasing`: the line `hold` waited for, written before what was held.
    public func line(tid: pid_t, number: Int, entry: CallShape?, args: [UInt64], texts: [String?], result: Int64?,
              tracee: Tracee, how: String?, releasing: Bool = false) {
        var decoded = texts
        if let entry, let result {
            let d = ArgumentDecoder(tracee: tracee, args: args, kinds: entry.args)
            for i in decoded.indices where decoded[i] == nil { decoded[i] = d.decode(i, result: result) }
            for i in decoded.indices where ArgumentDecoder.isInOut(entry.args[i]) {
                decoded[i] = d.decodeInOut(i, entry: decoded[i], result: result)
            }
        }
        let name = entry?.name ?? "syscall_\(number)"
        var s = "\(tid) \(name)(" + decoded.map { $0 ?? "?" }.filter { !$0.isEmpty }.joined(separator: ", ") + ")"
        if let result {
            s += " = " + Self.format(result, entry: entry)
        } else {
            s += " = ?"
        }
        if let how { s += " [\(how)]" }
        if releasing { release(tid, first: s + "\n") } else { emit(tid: tid, s + "\n") }
    }

    func note(tid: pid_t, _ text: String) { emit(tid: tid, text + "\n") }

    /// The task's last line, as strace ends a task; nothing it held stays back.
    public func exited(tid: pid_t, status: Int32) {
        if pico_wifexited(status) != 0 { note(tid: tid, "\(tid) +++ exited with \(pico_wexitstatus(status)) +++") }
        else { note(tid: tid, "\(tid) +++ killed by \(FlagNames.signal(UInt64(pico_wtermsig(status)))) +++") }
        release(tid)
    }

    /// A line of `tid`, written now unless the task's lines are held.
    func emit(tid: pid_t, _ s: String) {
        held.withLock { h in
            if h[tid] != nil { h[tid]!.append(s) } else { write(s) }
        }
    }

    /// Holds `tid`'s lines back until `release`: its notified call's line
    /// is written only once the call's result (an fd's number) is known,
    /// and the task may make its next call before that.
    public func hold(_ tid: pid_t) {
        held.withLock { h in if h[tid] == nil { h[tid] = [] } }
    }

    /// Writes `first`, then what `tid` held back.
    public func release(_ tid: pid_t, first: String = "") {
        held.withLock { h in
            if !first.isEmpty { write(first) }
            for s in h.removeValue(forKey: tid) ?? [] { write(s) }
        }
    }

    static func format(_ result: Int64, entry: CallShape?) -> String {
        if result < 0 && result >= -4095 {
            let e = LinuxErrno(Int32(-result))
            return "-1 \(e.name) (\(hostErrorString(e.rawValue)))"
        }
        switch entry?.name {
        case "mmap", "brk", "mremap", "shmat": return "0x" + String(UInt64(bitPattern: result), radix: 16)
        default: return String(result)
        }
    }

    func write(_ s: String) {
        var s = s
        s.withUTF8 { p in
            var off = 0
            while off < p.count {
                let n = Glibc.write(fd, p.baseAddress! + off, p.count - off)
                if n <= 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }
}
