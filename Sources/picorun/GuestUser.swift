import PicoCore
import SyscallTable

/// A guest user named on the command line or in the distro's config,
/// looked up in the distro's own /etc/passwd and /etc/group.
enum GuestUser {
    struct LookupError: Error {
        let message: String
    }

    static func credentials(_ user: String, in tree: GuestFileTree) throws(LookupError) -> Credentials {
        let passwd = tree.readGuestFile("/etc/passwd") ?? ""
        var entry: [Substring]?
        for line in passwd.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 4 else { continue }
            if f[0] == user || (UInt32(user) != nil && f[2] == user) {
                entry = f
                break
            }
        }
        let uid: UInt32, gid: UInt32, name: String
        if let entry, let u = UInt32(entry[2]), let g = UInt32(entry[3]) {
            (uid, gid, name) = (u, g, String(entry[0]))
        } else if user == "root" {
            return .root  // a bare root folder without /etc/passwd
        } else if let u = UInt32(user) {
            (uid, gid, name) = (u, u, user)  // a number with no passwd entry, as `su` would refuse but `setpriv` allows
        } else {
            throw LookupError(message: "no user \(user) in the distro's /etc/passwd")
        }
        var groups: Set<UInt32> = [gid]
        for line in (tree.readGuestFile("/etc/group") ?? "").split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 4, let g = UInt32(f[2]) else { continue }
            if f[3].split(separator: ",").contains(where: { $0 == name }) { groups.insert(g) }
        }
        return Credentials(uid: uid, gid: gid, groups: groups.sorted())
    }

    struct Account {
        let name: String
        let home: String
        let shell: String
    }

    /// The passwd entry of `uid`, or root's defaults.
    static func account(uid: UInt32, in tree: GuestFileTree) -> Account {
        for line in (tree.readGuestFile("/etc/passwd") ?? "").split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 7, UInt32(f[2]) == uid else { continue }
            let shell = f[6].isEmpty ? "/bin/sh" : String(f[6])
            return Account(name: String(f[0]), home: f[5].isEmpty ? "/" : String(f[5]), shell: shell)
        }
        return uid == 0 ? Account(name: "root", home: "/root", shell: "/bin/sh") : Account(name: "\(uid)", home: "/", shell: "/bin/sh")
    }

    /// A login's environment: the user's own variables and Debian's PATH;
    /// from the host only the terminal and locale.
    static func environment(_ a: Account, host: [String: String], appendPath: [String] = []) -> [String] {
        let path = (a.name == "root" ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            : "/usr/local/bin:/usr/bin:/bin:/usr/games") + appendPath.map { ":" + $0 }.joined()
        var env = ["HOME=\(a.home)", "USER=\(a.name)", "LOGNAME=\(a.name)", "SHELL=\(a.shell)", "PATH=\(path)"]
        for key in ["TERM", "COLORTERM", "LANG", "LANGUAGE", "TZ", "DISPLAY", "WAYLAND_DISPLAY"] {
            if let v = host[key] { env.append("\(key)=\(v)") }
        }
        for (key, v) in host where key.hasPrefix("LC_") { env.append("\(key)=\(v)") }
        return env
    }
}
