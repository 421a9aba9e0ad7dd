// Shared by the harnesses that touch the file system (tar, ninep, config):
// everything they write is below one scratch directory, which
// scripts/fuzz.sh names in PICORUN_FUZZ_SCRATCH (default: a per-process
// folder in ${TMPDIR:-/tmp}).
import Glibc

enum Scratch {
    /// The scratch directory for this process, made if missing.
    static let root: String = {
        let base = getenv("PICORUN_FUZZ_SCRATCH").map { String(cString: $0) }
            ?? (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") + "/picorun-fuzz-scratch"
        precondition(base.hasPrefix("/") && base.count > 1, "PICORUN_FUZZ_SCRATCH must be an absolute path")
        let dir = base + "/\(getpid())"
        mkdirs(dir)
        return dir
    }()

    static func mkdirs(_ path: String) {
        var at = ""
        for c in path.split(separator: "/") {
            at += "/" + c
            if mkdir(at, 0o700) != 0 && errno != EEXIST { fatalError("cannot make \(at): \(String(cString: strerror(errno)))") }
        }
    }

    /// An empty directory `name` below the scratch root (emptied if it exists).
    static func emptyDirectory(_ name: String) -> String {
        let path = root + "/" + name
        mkdirs(path)
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        precondition(fd >= 0, "cannot open \(path)")
        removeContents(fd)
        close(fd)
        return path
    }

    /// Removes everything in directory `fd` without following symlinks.
    /// Takes ownership of nothing: `fd` stays open.
    static func removeContents(_ fd: Int32) {
        let copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let dir = fdopendir(copy) else { return }
        defer { closedir(dir) }
        var names: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        for name in names {
            if unlinkat(fd, name, 0) == 0 { continue }
            // A directory (EISDIR on Linux): empty it first. The guest may
            // have left it mode 000; root does not care, others do.
            fchmodat(fd, name, 0o700, 0)
            let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if sub >= 0 {
                removeContents(sub)
                close(sub)
            }
            unlinkat(fd, name, AT_REMOVEDIR)
        }
    }

    /// `bytes` as the whole contents of `fd` (a scratch file), positioned at 0.
    static func replaceContents(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(ftruncate(fd, 0) == 0)
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(done))
            precondition(n > 0, "cannot write the scratch file")
            done += n
        }
        lseek(fd, 0, SEEK_SET)
    }

    /// A scratch file, opened read-write.
    static func file(_ name: String) -> Int32 {
        let fd = open(root + "/" + name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        precondition(fd >= 0, "cannot create \(root)/\(name)")
        return fd
    }
}
