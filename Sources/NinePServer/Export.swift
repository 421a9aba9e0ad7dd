import CPicoLinux
import Glibc
import LinuxABI
import VolFS

/// What a server exports: a distro's root folder and its sidecar, and who
/// may do what. Every object is reached by openat(O_PATH|O_NOFOLLOW) from
/// the root's fd, one name at a time: 9P walks never follow symlinks (the
/// client reads and resolves them) and '..' is the server's own bookkeeping.
public final class Export: @unchecked Sendable {
    public let rootPath: String
    let root: Int32
    let volume: Volume
    public let readOnly: Bool
    /// The root's real host path, to tell where a fid's file is now.
    let realRoot: String?

    public init(rootPath: String, volume: Volume, readOnly: Bool) throws(VolFSError) {
        root = open(rootPath, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard root >= 0 else { throw VolFSError("\(rootPath): \(String(cString: strerror(errno)))") }
        self.rootPath = rootPath
        realRoot = realpath(rootPath, nil).map { p in defer { free(p) }; return String(cString: p) }
        self.volume = volume
        self.readOnly = readOnly
    }

    deinit { close(root) }

    /// A guest user by name or number, from the distro's own /etc/passwd
    /// and /etc/group (read without following symlinks out of the export).
    func user(name: String, number: UInt32?) -> (uid: UInt32, gid: UInt32, groups: [UInt32])? {
        let passwd = readFile(["etc", "passwd"]) ?? ""
        for line in passwd.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 4, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { continue }
            if (number != nil && uid == number!) || (number == nil && f[0] == name) {
                var groups: Set<UInt32> = [gid]
                for g in (readFile(["etc", "group"]) ?? "").split(separator: "\n") {
                    let gf = g.split(separator: ":", omittingEmptySubsequences: false)
                    if gf.count >= 4, let id = UInt32(gf[2]), gf[3].split(separator: ",").contains(where: { $0 == f[0] }) { groups.insert(id) }
                }
                return (uid, gid, groups.sorted())
            }
        }
        if number == 0 || (number == nil && name == "root") { return (0, 0, [0]) }
        return nil
    }

    func readFile(_ path: [String]) -> String? {
        var fd = dup(root)
        for (i, name) in path.enumerated() {
            let flags = i == path.count - 1 ? O_RDONLY | O_NOFOLLOW | O_CLOEXEC : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
            let next = openat(fd, name, flags)
            close(fd)
            guard next >= 0 else { return nil }
            fd = next
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while out.count < 1 << 22 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
