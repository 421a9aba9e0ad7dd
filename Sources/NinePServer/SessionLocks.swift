import Glibc
import LinuxABI

/// Tlock and Tgetlock are open-file-description locks on the fid's open
/// file: two fids conflict as two opens in the kernel do, a lock goes with
/// its fid's Tclunk, and a running session's fcntl locks on the same file
/// conflict with them both ways (OFD and POSIX locks share the kernel's
/// lock list). A request that would wait is answered "blocked": the Linux
/// client waits and asks again, so the server never sleeps on a lock.
extension Session {
    /// F_OFD_GETLK and F_OFD_SETLK, which Glibc as Swift imports it lacks.
    static let ofdGetLock: Int32 = 36, ofdSetLock: Int32 = 37

    /// The byte range as fcntl takes it: length 0 runs to the end of file.
    func lockRange(_ type: UInt8, _ start: UInt64, _ length: UInt64) throws(NinePError) -> flock {
        guard start <= UInt64(Int64.max), length <= UInt64(Int64.max) - start else { throw NinePError(.EINVAL) }
        let kind: Int32
        switch type {
        case LockType.read: kind = F_RDLCK
        case LockType.write: kind = F_WRLCK
        case LockType.unlock: kind = F_UNLCK
        default: throw NinePError(.EINVAL)
        }
        var l = flock()
        l.l_type = Int16(kind)
        l.l_whence = Int16(SEEK_SET)
        l.l_start = off_t(Int64(start))
        l.l_len = off_t(Int64(length))
        return l
    }

    /// Tlock: granted or blocked, never waited for.
    func setLock(_ f: Fid, type: UInt8, start: UInt64, length: UInt64, _ w: inout WireWriter) throws(NinePError) {
        var l = try lockRange(type, start, length)
        guard f.open >= 0 else { throw NinePError(.EBADF) }
        if fcntl(f.open, Self.ofdSetLock, &l) == 0 {
            w.u8(LockStatus.success)
        } else if errno == EAGAIN || errno == EACCES {
            w.u8(LockStatus.blocked)
        } else {
            throw NinePError.last()
        }
    }

    /// Tgetlock: the lock in the way of the one described, or that one unlocked.
    func getLock(_ f: Fid, type: UInt8, start: UInt64, length: UInt64, procID: UInt32, clientID: String,
                 _ w: inout WireWriter) throws(NinePError) {
        var l = try lockRange(type, start, length)
        guard f.open >= 0 else { throw NinePError(.EBADF) }
        guard type != LockType.unlock else { throw NinePError(.EINVAL) }
        guard fcntl(f.open, Self.ofdGetLock, &l) == 0 else { throw NinePError.last() }
        if Int32(l.l_type) == F_UNLCK {
            // Nothing in the way: the range asked about comes back unlocked.
            w.u8(LockType.unlock)
            w.u64(start)
            w.u64(length)
            w.u32(procID)
            w.string(clientID)
        } else {
            // The lock in the way; an OFD lock has no process (pid -1).
            w.u8(Int32(l.l_type) == F_RDLCK ? LockType.read : LockType.write)
            w.u64(UInt64(Int64(l.l_start)))
            w.u64(UInt64(Int64(l.l_len)))
            w.u32(l.l_pid > 0 ? UInt32(l.l_pid) : 0)
            w.string("")
        }
    }
}
