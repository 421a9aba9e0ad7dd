import FoundationEssentials
import Glibc

/// Where picorun keeps distros and sidecars: $PICORUN_HOME, else
/// $XDG_DATA_HOME/picorun, else ~/.local/share/picorun.
enum DistroPaths {
    static var home: String {
        let env = ProcessInfo.processInfo.environment
        if let h = env["PICORUN_HOME"], h.hasPrefix("/") { return h }
        if let x = env["XDG_DATA_HOME"], x.hasPrefix("/") { return x + "/picorun" }
        return (env["HOME"] ?? "/tmp") + "/.local/share/picorun"
    }

    /// A registered distro's folder: its rootfs, sidecar and config.
    static func distro(_ name: String) -> String { home + "/distros/" + name }

    /// The sidecar of a root folder: a registered distro's own, beside its
    /// rootfs; for any other folder given with --rootfs, one under the
    /// picorun home named after the folder's real path.
    static func sidecar(forRootfs dir: String) -> String {
        let real = realPath(dir) ?? dir
        let parent = String(real[..<(real.lastIndex(of: "/") ?? real.startIndex)])
        if real.hasSuffix("/rootfs"),
           FileManager.default.fileExists(atPath: parent + "/distro.conf") {
            return parent + "/metadata.db"
        }
        let escaped = real.map { $0 == "/" ? "_" : $0 }
        return home + "/sidecars/" + String(escaped) + ".db"
    }

    static func realPath(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// Creates `dir` and its parents, private to the user.
    static func makeDirectory(_ dir: String) throws(CommandError) {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CommandError("\(dir): cannot create the folder")
        }
    }
}

struct CommandError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
