import Glibc
import LinuxABI

/// Tlock and Tgetlock are open-file-description locks on the fid's open
/// file: two fids conflict as two opens in the kernel do, a lock goes with
/// its fid's Tclunk, and a running session's fcntl locks on the same file
/// conflict with them both ways (OFD and POSIX locks share the kernel's
/// lock list). A request that would wait is answered "blocked": the Linux
/// client waits and asks again, so the server never sleeps on a lock.
extension Session {
    static let lockRead: UInt8 = 0, lockWrite: UInt8 = 1, lockUnlock: UInt8 = 2
    static let lockSuccess: UInt8 = 0, lockBlocked: UInt8 = 1
    static let ofdGetLock: Int32 = 36, ofdSetLock: Int32 = 37

    /// The byte range as fcntl takes it: length 0 runs to the end of file.
    func lockRange(_ type: UInt8, _ start: UInt64, _ length: UInt64) throws -> flock {
        guard start <= UInt64(Int64.max), length <= UInt64(Int64.max) - start else { throw Failure(.EINVAL) }
        let kind: Int32 = switch type {
        case Self.lockRead: F_RDLCK
        case Self.lockWrite: F_WRLCK
        case Self.lockUnlock: F_UNLCK
        default: throw Failure(.EINVAL)
        }
        var l = flock()
        l.l_type = Int16(kind)
        l.l_whence = Int16(SEEK_SET)
        l.l_start = off_t(Int64(start))
        l.l_len = off_t(Int64(length))
        return l
    }

    func lock(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let type = try r.u8()
        _ = try r.u32()  // flags: blocking or not, the answer is the same
        var l = try lockRange(type, try r.u64(), try r.u64())
        _ = try r.u32()
        _ = try r.string()
        guard f.open >= 0 else { throw Failure(.EBADF) }
        if fcntl(f.open, Self.ofdSetLock, &l) == 0 {
            w.u8(Self.lockSuccess)
        } else if errno == EAGAIN || errno == EACCES {
            w.u8(Self.lockBlocked)
        } else {
            throw Failure.last()
        }
    }

    func getlock(_ r: inout WireReader, _ w: inout WireWriter) throws {
        let f = try fid(&r)
        let type = try r.u8()
        let start = try r.u64(), length = try r.u64()
        var l = try lockRange(type, start, length)
        let pid = try r.u32()
        let client = try r.string()
        guard f.open >= 0 else { throw Failure(.EBADF) }
        guard type != Self.lockUnlock else { throw Failure(.EINVAL) }
        guard fcntl(f.open, Self.ofdGetLock, &l) == 0 else { throw Failure.last() }
        if Int32(l.l_type) == F_UNLCK {
            // Nothing in the way: the range asked about comes back unlocked.
            w.u8(Self.lockUnlock)
            w.u64(start)
            w.u64(length)
            w.u32(pid)
            w.string(client)
        } else {
            // The lock in the way; an OFD lock has no process (pid -1).
            w.u8(Int32(l.l_type) == F_RDLCK ? Self.lockRead : Self.lockWrite)
            w.u64(UInt64(Int64(l.l_start)))
            w.u64(UInt64(Int64(l.l_len)))
            w.u32(l.l_pid > 0 ? UInt32(l.l_pid) : 0)
            w.string("")
        }
    }
}
