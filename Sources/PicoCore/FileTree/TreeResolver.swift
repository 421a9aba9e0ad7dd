import FileNames
import Glibc
import LinuxABI

/// Resolves guest paths for code that wants host paths to open (the exec
/// planner): each path becomes /proc/self/fd/N of an O_PATH fd the walk
/// found, kept open until `close()`.
public final class TreeResolver {
    public let tree: GuestFileTree
    public let caller: GuestFileTree.Caller
    var walks: [GuestFileTree.Walk] = []

    public init(tree: GuestFileTree, caller: GuestFileTree.Caller) {
        self.tree = tree
        self.caller = caller
    }

    public func hostPath(_ guest: String) throws(ExecFailure) -> String {
        do throws(TraceeError) {
            let w = try tree.walk(FileNames.bytes(guest), caller: caller, followFinal: true)
            walks.append(w)
            guard w.exists else { throw TraceeError(.ENOENT) }
            return "/proc/self/fd/\(w.object)"
        } catch {
            throw ExecFailure(error.errno, hostErrorString(error.errno.rawValue))
        }
    }

    public func close() {
        for w in walks { w.close() }
        walks.removeAll()
    }
}

extension GuestFileTree {
    /// `name` as a shell finds it inside the tree: a path if it has a
    /// slash, else the first executable regular file in `searchPath`.
    public func locate(_ name: String, searchPath: String?, caller: Caller) -> String? {
        if name.contains("/") { return name }
        for dir in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = GuestFileTree.normalize(String(dir) + "/" + name)
            guard let w = try? walk(FileNames.bytes(candidate), caller: caller, followFinal: true) else { continue }
            defer { w.close() }
            var st = stat()
            if w.exists, fstat(w.object, &st) == 0, st.st_mode & S_IFMT == S_IFREG,
               access("/proc/self/fd/\(w.object)", X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// The guest tree for running programs of the host itself: the host root
    /// with /proc translated.
    public static func hostTree() throws(SupervisorError) -> GuestFileTree {
        let tree = try GuestFileTree(root: "/")
        try tree.mount(guest: "/proc", host: "/proc", kind: .host)
        return tree
    }

    /// A distro folder as the guest root, with the host's /proc, /dev and /sys.
    public static func distroTree(root: String) throws(SupervisorError) -> GuestFileTree {
        let tree: GuestFileTree
        do { tree = try GuestFileTree(root: root) } catch { throw SupervisorError("--rootfs \(error.message)") }
        // /sys is the host kernel's: a guest may read it, never write it.
        for m in ["/proc", "/dev", "/sys"] { try tree.mount(guest: m, host: m, readOnly: m == "/sys", kind: .host) }
        return tree
    }
}
