import Glibc
import LinuxABI
import VolFS

extension Session {
    /// A fid holds its fds until the last reference goes: a worker still
    /// reading a FIFO keeps its fid's fd open after a Tclunk.
    final class Fid {
        /// Components below the export root (the server's own '..').
        var path: [String]
        /// O_PATH fd of the object.
        let fd: Int32
        var open: Int32 = -1
        var entries: [(name: String, qid: Qid, type: UInt8)]?
        var user: User
        /// The open file is a FIFO: reads and writes wait on a worker.
        var fifo = false
        var nonblocking = false
        /// A fid from Txattrwalk: the value or list read back.
        var xattr: [UInt8]?
        /// A fid from Txattrcreate: the value written, set on Tclunk.
        var xattrWrite: XattrWrite?

        init(path: [String], fd: Int32, user: User) {
            self.path = path
            self.fd = fd
            self.user = user
        }

        deinit {
            if open >= 0 { close(open) }
            close(fd)
        }
    }

    struct XattrWrite {
        let name: String
        let size: Int
        let flags: Int32
        var value: [UInt8] = []
    }

    /// A 9P user: root holds every capability, as a root process on the
    /// server's machine would; anyone else none.
    struct User {
        let uid: UInt32
        let gid: UInt32
        let groups: [UInt32]
        var isRoot: Bool { uid == 0 }
        func inGroup(_ g: UInt32) -> Bool { g == gid || groups.contains(g) }
        /// The user as the rulebook judges it, creating with group `gid`.
        func caller(gid: UInt32? = nil) -> Rulebook.Caller {
            Rulebook.Caller(fsuid: uid, fsgid: gid ?? self.gid, groups: groups, capabilities: isRoot ? .all : .none)
        }
    }
}
