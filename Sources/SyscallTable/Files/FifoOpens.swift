import Glibc
import LinuxABI
import PicoCore
import Synchronization

/// A guest's blocking open of a FIFO runs on a thread of its own, which
/// waits in open(2) for the other end. If the guest dies meanwhile (kill -9),
/// nothing would ever release that thread or the fds it holds; so the
/// waits are registered by the caller's tid, and when that task exits the
/// supervisor opens the other end itself, which lets the open return.
/// One registry per GuestKernel.
final class FifoOpens: Sendable {
    struct Waiting {
        let id: Int
        /// An O_PATH fd of the FIFO, owned by the registry.
        let object: Int32
        /// The guest's access mode (O_RDONLY or O_WRONLY).
        let access: Int32
    }

    let waiting = Mutex((next: 0, byTid: [pid_t: [Waiting]]()))

    /// Opens `object` with `flags` on a thread, answering with `respond`.
    func open(tid: pid_t, object: Int32, flags: Int32, cloexec: Bool,
                     respond: @escaping @Sendable (Outcome) -> Void) {
        let id = waiting.withLock { w in
            w.next += 1
            w.byTid[tid, default: []].append(Waiting(id: w.next, object: object, access: flags & O_ACCMODE))
            return w.next
        }
        BlockingCall.run { [self] in
            let fd = Glibc.open(procPath(object), flags)
            let e = errno
            let key = fd >= 0 ? Self.inode(fd) : nil
            if let key { handingOver.withLock { $0[key, default: 0] += 1 } }
            waiting.withLock { w in
                w.byTid[tid]?.removeAll { $0.id == id }
                if w.byTid[tid]?.isEmpty == true { w.byTid[tid] = nil }
                close(object)
            }
            respond(fd >= 0 ? .fd(fd, cloexec: cloexec) : .error(LinuxErrno(e)))
            if let key { handingOver.withLock { $0[key]! -= 1; if $0[key] == 0 { $0[key] = nil } } }
        }
    }

    /// FIFO ends the supervisor still holds while handing them over: the
    /// guest's open returns at the ioctl, a moment before the supervisor's
    /// own copy is closed, and in that moment the FIFO has one end too many.
    let handingOver = Mutex([Inode: Int]())

    struct Inode: Hashable {
        let dev: UInt64, ino: UInt64
        init(_ st: stat) { dev = UInt64(st.st_dev); ino = UInt64(st.st_ino) }
    }

    static func inode(_ fd: Int32) -> Inode? {
        var st = stat()
        return fstat(fd, &st) == 0 ? Inode(st) : nil
    }

    /// Waits (a few milliseconds at most) until no end of this FIFO is in
    /// the supervisor's hands, so a non-blocking open sees the ends the
    /// guests hold: O_WRONLY|O_NONBLOCK with no reader is ENXIO, as on Linux.
    func settle(_ st: stat) {
        let key = Inode(st)
        for _ in 0..<2000 {
            if handingOver.withLock({ $0[key] == nil }) { return }
            usleep(5)
        }
    }

    /// The task is gone: release every open it was waiting in.
    func taskExited(_ tid: pid_t) {
        waiting.withLock { w in
            for x in w.byTid[tid] ?? [] {
                let other = x.access == O_RDONLY ? O_WRONLY : O_RDONLY
                let fd = Glibc.open(procPath(x.object), other | O_NONBLOCK | O_CLOEXEC)
                if fd >= 0 { close(fd) }
            }
        }
    }
}
