import Glibc

/// One line of /proc/PID/maps: an address range and what is mapped there.
public struct MapsEntry: Equatable, Sendable {
    public let start: UInt64
    public let end: UInt64
    public let name: String
}

/// Reads /proc/PID/maps; an empty list if the task is gone.
public func readProcMaps(_ pid: pid_t) -> [MapsEntry] {
    guard let text = readSmallFile("/proc/\(pid)/maps") else { return [] }
    return parseProcMaps(text)
}

public func parseProcMaps(_ text: String) -> [MapsEntry] {
    var out: [MapsEntry] = []
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard let range = fields.first, let dash = range.firstIndex(of: "-"),
              let start = UInt64(range[..<dash], radix: 16),
              let end = UInt64(range[range.index(after: dash)...], radix: 16) else { continue }
        let name = fields.count == 6 ? String(fields[5]).trimmingLeadingSpaces() : ""
        out.append(MapsEntry(start: start, end: end, name: name))
    }
    return out
}

extension String {
    func trimmingLeadingSpaces() -> String {
        String(self.drop(while: { $0 == " " }))
    }
}

/// A whole small file (procfs, config), or nil if it cannot be read.
/// Seconds on the monotonic clock: for ages of records, not for times.
public func monotonicSeconds() -> Int {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t.tv_sec
}

public func readSmallFile(_ path: String, limit: Int = 1 << 24) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var data: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while data.count < limit {
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 { if errno == EINTR { continue }; return nil }
        if n == 0 { break }
        data.append(contentsOf: buf[0..<n])
    }
    return String(decoding: data, as: UTF8.self)
}

extension Substring {
    /// Without leading and trailing characters of `set` (FoundationEssentials has no CharacterSet trimming).
    public func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}

public enum ProcMaps {
    /// Whether task `pid` has the file (st_dev, st_ino) mapped: maps names
    /// the device as MAJOR:MINOR in hex and the inode in decimal.
    public static func maps(_ pid: pid_t, file: (dev: UInt64, ino: UInt64)) -> Bool {
        guard let text = readSmallFile("/proc/\(pid)/maps") else { return false }
        let major = ((file.dev >> 8) & 0xfff) | ((file.dev >> 32) & ~UInt64(0xfff))
        let minor = (file.dev & 0xff) | ((file.dev >> 12) & ~UInt64(0xff))
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard f.count >= 5, let ino = UInt64(f[4]), ino == file.ino else { continue }
            let dev = f[3].split(separator: ":")
            if dev.count == 2, UInt64(dev[0], radix: 16) == major, UInt64(dev[1], radix: 16) == minor { return true }
        }
        return false
    }
}
