import Glibc
import LinuxABI

/// Checks a distro's sidecar against its files: a row whose inode no longer
/// exists (the file was deleted outside picorun, or picorun was killed
/// between a removal and its row's deletion), or whose inode now belongs
/// to a newer file, matches nothing. The birth-time guard already keeps
/// such rows from applying; fsck reports and deletes them.
public enum Fsck {
    public struct Report: Sendable {
        public var files = 0
        public var rows = 0
        /// Rows for inodes no file of the distro has.
        public var orphaned: [FileIdentity] = []
        /// Rows for inodes reused by a file born later.
        public var stale: [FileIdentity] = []
        public var unreadable: [String] = []
    }

    public static func check(rootPath: String, volume: Volume) throws(VolFSError) -> Report {
        var report = Report()
        var births: [UInt64: Int64] = [:]
        let root = open(rootPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard root >= 0 else { throw VolFSError("\(rootPath): \(String(cString: strerror(errno)))") }
        if let (id, _) = FileIdentity.of(fd: root) { births[id.inode] = id.birth }
        scan(root, path: rootPath, into: &births, &report)
        close(root)
        report.files = births.count
        let rows = try volume.sidecar.allRows()
        report.rows = rows.count
        for (id, _) in rows {
            guard let birth = births[id.inode] else { report.orphaned.append(id); continue }
            if birth != id.birth { report.stale.append(id) }
        }
        return report
    }

    /// Deletes the rows `check` found matching nothing.
    public static func repair(_ report: Report, volume: Volume) throws(VolFSError) {
        try volume.sidecar.removeInodes((report.orphaned + report.stale).map(\.inode))
    }

    static func scan(_ dir: Int32, path: String, into births: inout [UInt64: Int64], _ report: inout Report) {
        let fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, let stream = fdopendir(fd) else {
            report.unreadable.append(path)
            return
        }
        defer { closedir(stream) }
        while let e = readdir(stream) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            guard let (id, host) = FileIdentity.of(dirfd: dirfd(stream), name: name) else { continue }
            births[id.inode] = id.birth
            if host.mode & S_IFMT == S_IFDIR {
                let sub = openat(dirfd(stream), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if sub < 0 { report.unreadable.append(path + "/" + name); continue }
                scan(sub, path: path + "/" + name, into: &births, &report)
                close(sub)
            }
        }
    }
}
