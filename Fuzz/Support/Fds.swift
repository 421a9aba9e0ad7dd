// The fd-leak check the tar and ninep harnesses make after every input:
// once an input is done, the process holds no more fds than after the first.
import Glibc

enum Fds {
    nonisolated(unsafe) static var baseline: [String]?

    /// This process's open fds as "N -> target", but those whose target
    /// starts with one of `ignoring` and anonymous pipes (libFuzzer starts
    /// llvm-symbolizer on pipes to print NEW_FUNC lines; the code under
    /// test makes none: FIFOs show by path).
    static func open(ignoring: [String]) -> [String] {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        defer { closedir(dir) }
        var out: [String] = []
        var buf = [CChar](repeating: 0, count: 4096)
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." || Int32(name) == dirfd(dir) { continue }
            let len = readlink("/proc/self/fd/" + name, &buf, buf.count - 1)
            let target = len > 0 ? String(decoding: buf[0..<len].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
            if target.hasPrefix("pipe:") || ignoring.contains(where: { target.hasPrefix($0) }) { continue }
            out.append("\(name) -> \(target)")
        }
        return out
    }

    /// Crashes (so libFuzzer saves the input) when more fds are open than
    /// after the first input.
    static func check(ignoring: [String]) {
        let now = open(ignoring: ignoring)
        guard let baseline else { baseline = now; return }
        if now.count > baseline.count {
            fatalError("fd leak: \(now.count) fds open after this input, \(baseline.count) after the first:\n  "
                + now.joined(separator: "\n  "))
        }
    }
}
