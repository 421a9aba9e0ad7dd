import FileNames
import CPicoLinux
import Glibc
import PicoCore

/// inotify_add_watch(2): the watch is added by the supervisor, on its
/// duplicate of the guest's inotify fd (the same instance, so the guest
/// reads the events), for exactly the object the walk found.
enum WatchCalls {
    static let inDontFollow: UInt64 = 0x0200_0000

    /// Inotify_add_watch implements Linux syscall inotify_add_watch(2).
    static func inotifyAddWatch(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let mask = c.args[2]
        let follow = mask & inDontFollow == 0
        let w = try c.existingObject(dirfd: AT_FDCWD, path: c.args[1],
                                     flags: follow ? 0 : UInt64(AT_SYMLINK_NOFOLLOW))
        defer { w.close() }
        let fd = pico_pidfd_getfd(c.caller.tid, c.int32(0))
        guard fd >= 0 else { throw TraceeError(.EBADF) }
        defer { close(Int32(fd)) }
        // With IN_DONT_FOLLOW the kernel would not follow /proc/self/fd/N
        // either: name the entry inside the walked directory instead.
        let path = follow || w.name.isEmpty ? procPath(w.object) : procPath(w.parent) + "/" + w.name
        let wd = inotify_add_watch(Int32(fd), FileNames.cString(path), UInt32(truncatingIfNeeded: mask))
        guard wd >= 0 else { throw .errno() }
        return .value(Int64(wd))
    }
}
