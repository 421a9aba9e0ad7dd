import CPicoLinux
import FileNames
import Glibc
import LinuxABI
import VolFS

/// What the handlers ask of the objects fids name: O_PATH fds opened one
/// name at a time below the export's root, what the host and the sidecar
/// say of them, and the rulebook's verdict on a user's access.
extension Session {
    /// An O_PATH fd for components below the root.
    func open(_ path: [String]) throws(NinePError) -> Int32 {
        var fd = dup(export.root)
        for name in path {
            let next = openat(fd, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_CLOEXEC)
            let failure = NinePError.last()
            close(fd)
            guard next >= 0 else { throw failure }
            fd = next
        }
        return fd
    }

    /// The object `name` in the directory `dir`, not followed: an O_PATH fd.
    func object(in dir: Int32, _ name: String) throws(NinePError) -> Int32 {
        let fd = openat(dir, FileNames.cString(name), O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw NinePError.last() }
        return fd
    }

    func hostStat(_ fd: Int32) throws(NinePError) -> stat {
        var st = stat()
        guard fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 else { throw NinePError.last() }
        return st
    }

    func isDirectory(_ fd: Int32) -> Bool {
        (try? hostStat(fd)).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
    }

    func metadata(_ fd: Int32) throws(NinePError) -> Metadata {
        guard let m = export.volume.metadata(fd: fd) else { throw NinePError.last() }
        return m
    }

    func qid(_ fd: Int32) throws(NinePError) -> Qid {
        guard let (_, host) = FileIdentity.of(fd: fd) else { throw NinePError.last() }
        return Self.qid(host)
    }

    /// A qid needs no sidecar row: the guest's directories and symlinks are
    /// real ones on the host, and every other kind (device nodes kept as
    /// host files included) is a plain file to 9P.
    static func qid(_ host: FileIdentity.HostStat) -> Qid {
        let kind = host.mode & S_IFMT
        let type = kind == S_IFDIR ? Qid.directory : kind == S_IFLNK ? Qid.symlink : Qid.file
        let version = UInt32(truncatingIfNeeded: host.ctime.tv_sec ^ (host.ctime.tv_nsec << 8))
        return Qid(type: type, version: version, path: host.inode)
    }

    /// generic_permission() for `want` (Rulebook.read, write, execute).
    func check(_ user: User, _ fd: Int32, _ want: UInt32) throws(NinePError) {
        if let e = Rulebook.mayAccess(try metadata(fd), user.caller(), want) { throw NinePError(e) }
    }

    /// May the fid's user add a name to its directory (may_create)?
    func writable(_ dir: Fid) throws(NinePError) {
        if export.readOnly { throw NinePError(.EROFS) }
        if let e = Rulebook.mayCreate(in: try metadata(dir.fd), dir.user.caller()) { throw NinePError(e) }
    }

    /// The file's guest owners and modes as VolFS changes them, for the
    /// syscall handlers and this server alike.
    var semantics: VolumeSemantics { VolumeSemantics(export.volume) }

    /// A write or truncation through `f`: setuid and setgid go as Linux drops them.
    func written(_ f: Fid) {
        semantics.written(fd: f.fd, caller: f.user.caller())
    }

    /// The host's name for an fd: its /proc/self/fd path, to reopen it or
    /// make a path-only call on exactly that object.
    static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }
}
