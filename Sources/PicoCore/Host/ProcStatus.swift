/// The value of one "Name:<tab>value" line of /proc/`who`/status (who: a
/// pid, or "self"), trimmed; nil when the file or the line is not there.
public func procStatusField(_ who: String, _ name: String) -> Substring? {
    guard let text = readSmallFile("/proc/\(who)/status") else { return nil }
    let prefix = name + ":"
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
    return line.dropFirst(prefix.count).trimmingCharacters(in: " \t")
}
