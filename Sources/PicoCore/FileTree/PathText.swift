import FileNames
import Glibc

/// Paths as text: a guest path's spelling (normal form, join, parent) and
/// the host's readlink answers. Nothing here looks a name up in the tree;
/// the walk (TreeWalk.swift) is the only resolver.
extension GuestFileTree {
    /// "/a/b" for any spelling ("//a/./b/"), without resolving anything.
    public static func normalize(_ path: String) -> String {
        if isNormal(path) { return path }
        var parts: [Substring] = []
        for c in path.split(separator: "/") where c != "." {
            if c == ".." { if !parts.isEmpty { parts.removeLast() } } else { parts.append(c) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Already "/a/b": absolute, no empty, "." or ".." component, no
    /// trailing slash (what the kernel's readlink of /proc/self/fd gives).
    static func isNormal(_ path: String) -> Bool {
        var u = path.utf8.makeIterator()
        guard u.next() == UInt8(ascii: "/") else { return false }
        if path.utf8.count == 1 { return true }
        var run = 0  // bytes of the current component, or dots only: -dots
        var dotsOnly = true
        for b in path.utf8.dropFirst() {
            if b == UInt8(ascii: "/") {
                if run == 0 || (dotsOnly && run <= 2) { return false }
                run = 0
                dotsOnly = true
            } else {
                run += 1
                if b != UInt8(ascii: ".") { dotsOnly = false }
            }
        }
        return run > 0 && !(dotsOnly && run <= 2)
    }

    static func join(_ dir: String, _ name: String) -> String {
        dir == "/" ? "/" + name : dir + "/" + name
    }

    static func parentOf(_ g: String) -> String {
        guard let i = g.lastIndex(of: "/"), g != "/" else { return "/" }
        return i == g.startIndex ? "/" : String(g[..<i])
    }

    public static func readLink(_ fd: Int32) -> String? {
        var buf = [UInt8](repeating: 0, count: pathMax + 1)
        let n = buf.withUnsafeMutableBytes { readlinkat(fd, "", $0.baseAddress!.assumingMemoryBound(to: CChar.self), pathMax) }
        guard n >= 0 else { return nil }
        return FileNames.string(buf[0..<n])
    }

    /// The host path an fd refers to, from /proc/self/fd.
    public static func fdPath(_ fd: Int32) -> String? { linkTarget("/proc/self/fd/\(fd)") }

    /// readlink(2) of a host path (a /proc magic link, usually), as a String.
    public static func linkTarget(_ path: String) -> String? {
        var buf = [UInt8](repeating: 0, count: pathMax + 1)
        let n = buf.withUnsafeMutableBytes { readlink(FileNames.cString(path), $0.baseAddress!.assumingMemoryBound(to: CChar.self), pathMax) }
        guard n >= 0 else { return nil }
        return FileNames.string(buf[0..<n])
    }
}
