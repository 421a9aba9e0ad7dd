import FileNames
import Glibc

extension GuestFileTree {
    /// The contents of a small guest file (/etc/passwd, a config file),
    /// read through the tree so a distro's symlinks cannot point outside it.
    public func readGuestFile(_ guestPath: String, limit: Int = 1 << 22) -> String? {
        let caller = Caller(tgid: getpid(), tid: getpid(), cwd: "/")
        guard let w = try? walk(FileNames.bytes(guestPath), caller: caller, followFinal: true) else { return nil }
        defer { w.close() }
        guard w.exists else { return nil }
        return readSmallFile("/proc/self/fd/\(w.object)", limit: limit)
    }

    /// Whether `guestPath` names a directory of the tree.
    public func isDirectory(_ guestPath: String) -> Bool {
        let caller = Caller(tgid: getpid(), tid: getpid(), cwd: "/")
        guard let w = try? walk(FileNames.bytes(guestPath), caller: caller, followFinal: true) else { return false }
        defer { w.close() }
        var st = stat()
        return w.exists && fstat(w.object, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }
}
