import FoundationEssentials
import Glibc
import PicoCore

/// A distro's picorun.conf, INI like WSL's /etc/wsl.conf:
///
///     [user]        default = NAME
///     [automount]   enabled = true, root = /mnt/, options = ro
///     [mounts]      NAME = HOST_DIR[:ro]         (shown at ROOT/NAME, DrvFS)
///     [network]     generateHosts, generateResolvConf = true|false; hostname = NAME
///     [interop]     appendHostPath = true|false  (host PATH folders, read-only, appended to PATH)
struct DistroConfig {
    struct HostMount: Equatable {
        let name: String
        let host: String
        let readOnly: Bool
    }

    var defaultUser = "root"
    var automount = true
    var automountRoot = "/mnt/"
    var automountReadOnly = false
    var mounts: [HostMount] = []
    var generateHosts = true
    var generateResolvConf = true
    var hostname: String?
    var appendHostPath = false

    struct Problem: Error {
        let message: String
    }

    static let template = """
        # picorun.conf: this distro's settings, read at every start (`picorun config NAME` shows them).
        [user]
        # default = root

        [automount]
        # enabled = true
        # root = /mnt/
        # options = ro

        [mounts]
        # Host folders shown inside at <automount root>/<name>, as WSL shows drives (DrvFS):
        # home = \(ProcessInfo.processInfo.environment["HOME"] ?? "/home/you")
        # data = /srv/data:ro

        [network]
        # generateHosts = true
        # generateResolvConf = true
        # hostname = picorun

        [interop]
        # appendHostPath = false

        """

    /// Reads `path`; a missing file is the defaults. Warnings (unknown keys)
    /// name file and line; a line picorun cannot read is an error.
    static func load(_ path: String) throws(Problem) -> (DistroConfig, [String]) {
        var config = DistroConfig()
        var warnings: [String] = []
        guard FileManager.default.fileExists(atPath: path) else { return (config, []) }
        guard let text = readSmallFile(path, limit: 1 << 20) else { throw Problem(message: "\(path): cannot read the file") }
        var section = ""
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let at = "\(path):\(i + 1)"
            let line = raw.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw Problem(message: "\(at): a section header is `[name]`, not `\(line)`") }
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: " \t").lowercased()
                if !["user", "automount", "mounts", "network", "interop"].contains(section) {
                    warnings.append("\(at): unknown section [\(section)] (ignored)")
                }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { throw Problem(message: "\(at): expected `key = value` or `[section]`, not `\(line)`") }
            let key = String(line[..<eq].trimmingCharacters(in: " \t"))
            var value = String(line[line.index(after: eq)...].trimmingCharacters(in: " \t"))
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard !key.isEmpty else { throw Problem(message: "\(at): a setting needs a name before `=`") }
            func flag() throws(Problem) -> Bool {
                switch value.lowercased() {
                case "true", "yes", "1", "on": return true
                case "false", "no", "0", "off": return false
                default: throw Problem(message: "\(at): \(key) is true or false, not `\(value)`")
                }
            }
            switch (section, key.lowercased()) {
            case ("user", "default"):
                guard !value.isEmpty else { throw Problem(message: "\(at): default needs a user name") }
                config.defaultUser = value
            case ("automount", "enabled"): config.automount = try flag()
            case ("automount", "root"):
                guard value.hasPrefix("/") else { throw Problem(message: "\(at): root is an absolute guest path, not `\(value)`") }
                config.automountRoot = value.hasSuffix("/") ? value : value + "/"
            case ("automount", "options"):
                for option in value.split(separator: ",").map({ $0.trimmingCharacters(in: " ") }) {
                    switch option {
                    case "ro": config.automountReadOnly = true
                    case "rw": config.automountReadOnly = false
                    default: warnings.append("\(at): mount option `\(option)` is not supported (ignored)")
                    }
                }
            case ("mounts", _):
                var host = value
                var readOnly = false
                if host.hasSuffix(":ro") { host.removeLast(3); readOnly = true }
                else if host.hasSuffix(":rw") { host.removeLast(3) }
                guard host.hasPrefix("/") else { throw Problem(message: "\(at): \(key) must be an absolute host folder, not `\(value)`") }
                guard !key.contains("/"), key != ".", key != ".." else { throw Problem(message: "\(at): mount name `\(key)` must be one folder name") }
                config.mounts.append(HostMount(name: key, host: host, readOnly: readOnly))
            case ("network", "generatehosts"): config.generateHosts = try flag()
            case ("network", "generateresolvconf"): config.generateResolvConf = try flag()
            case ("network", "hostname"):
                guard !value.isEmpty, value.count <= 64, !value.contains("/") else { throw Problem(message: "\(at): `\(value)` is not a host name") }
                config.hostname = value
            case ("interop", "appendhostpath"): config.appendHostPath = try flag()
            default:
                if section.isEmpty { throw Problem(message: "\(at): `\(key)` is outside any [section]") }
                warnings.append("\(at): unknown key `\(key)` in [\(section)] (ignored)")
            }
        }
        return (config, warnings)
    }

    /// A value as the parser reads it back: in quotes when it has blanks at
    /// either end (which the parser trims) or is itself in quotes (the
    /// parser takes one pair off).
    static func quoted(_ v: String) -> String {
        let trimmed = v.trimmingCharacters(in: " \t")
        let inQuotes = v.count >= 2 && v.hasPrefix("\"") && v.hasSuffix("\"")
        return trimmed != v || inQuotes ? "\"" + v + "\"" : v
    }

    /// The effective configuration, as a file that would give it.
    func render() -> String {
        var out = "[user]\ndefault = \(Self.quoted(defaultUser))\n\n[automount]\nenabled = \(automount)\nroot = \(Self.quoted(automountRoot))\n"
        out += "options = \(automountReadOnly ? "ro" : "rw")\n\n[mounts]\n"
        for m in mounts {
            // A host path that itself ends in ":ro" or ":rw" keeps it: the suffix
            // written after it is the one the parser takes off.
            let suffix = m.readOnly ? ":ro" : m.host.hasSuffix(":ro") || m.host.hasSuffix(":rw") ? ":rw" : ""
            out += "\(m.name) = \(Self.quoted(m.host + suffix))\n"
        }
        out += "\n[network]\ngenerateHosts = \(generateHosts)\ngenerateResolvConf = \(generateResolvConf)\n"
        if let hostname { out += "hostname = \(Self.quoted(hostname))\n" }
        out += "\n[interop]\nappendHostPath = \(appendHostPath)\n"
        return out
    }
}
