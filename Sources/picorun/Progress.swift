import Glibc
import PicoCore

/// A progress line on stderr, redrawn at most ten times a second, only when
/// stderr is a terminal (logs and CI get the final line alone).
final class Progress: @unchecked Sendable {
    let verb: String
    let total: UInt64?
    let live = isatty(2) != 0
    var last = timespec()

    init(verb: String, total: UInt64?) {
        self.verb = verb
        self.total = total
    }

    func update(items: Int, bytes: UInt64?) {
        guard live else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let elapsed = (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1_000_000
        guard elapsed >= 100 else { return }
        last = now
        var line = "\r\(verb): \(items) entries"
        if let bytes, let total, total > 0 {
            let fraction = min(1, Double(bytes) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line = "\r\(verb) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(Int(fraction * 100))%  \(items) entries"
        } else if let bytes {
            line += ", \(bytes >> 20) MiB"
        }
        writeStderr(line + "\u{1b}[K")
    }

    func done(_ message: String) {
        writeStderr((live ? "\r\u{1b}[K" : "") + message + "\n")
    }
}
