import Glibc
import LinuxABI

/// FIFOs made through the export (or by a running session) are real host
/// FIFOs. Their reads, writes and write-only opens may wait for another
/// program indefinitely, so they run on a worker, polling the FIFO beside
/// the request's cancellation; the fid stays usable for other tags.
extension Session {
    func openFifo(_ f: Fid, _ flags: UInt32, _ now: inout WireWriter) throws {
        let path = "/proc/self/fd/\(f.fd)"
        let how = Self.openFlags(flags) & ~O_NOFOLLOW | O_NONBLOCK
        let nonblocking = flags & 0o4000 != 0
        let opened = { [self] (fd: Int32, w: inout WireWriter) throws in
            f.open = fd
            f.fifo = true
            f.nonblocking = nonblocking
            w.qid(try qid(f.fd))
            w.u32(msize - 24)
        }
        let fd = Glibc.open(path, how)
        if fd >= 0 { return try opened(fd, &now) }
        // Write-only with no reader yet: Linux waits for one, unless O_NONBLOCK.
        guard errno == ENXIO, !nonblocking else { throw Failure.last() }
        pendingWork = { [self] cancel in
            while true {
                try cancel.wait(-1, 0, milliseconds: 20)
                let fd = Glibc.open(path, how)
                if fd < 0 && errno == ENXIO { continue }
                guard fd >= 0 else { throw Failure.last() }
                return try lock.locked {
                    guard f.open < 0 else { close(fd); throw Failure(.EBADF) }
                    var w = WireWriter(type: 13, tag: 0)
                    try opened(fd, &w)
                    return w.finish()
                }
            }
        }
    }

    func readFifo(_ f: Fid, _ count: Int) {
        pendingWork = { cancel in
            var buf = [UInt8](repeating: 0, count: count)
            while true {
                // Empty with no writer yet reads as EOF here, where a blocking
                // reader would have waited in open(2) for one: poll says
                // nothing is ready until a writer has come (and maybe gone).
                var p = pollfd(fd: f.open, events: Int16(POLLIN), revents: 0)
                if !f.nonblocking && poll(&p, 1, 0) == 0 {
                    try cancel.wait(f.open, Int16(POLLIN))
                    continue
                }
                let n = buf.withUnsafeMutableBytes { read(f.open, $0.baseAddress, $0.count) }
                if n >= 0 {
                    var w = WireWriter(type: 117, tag: 0)
                    w.u32(UInt32(n))
                    w.bytes += buf[0..<n]
                    return w.finish()
                }
                guard errno == EAGAIN || errno == EINTR, !f.nonblocking || errno == EINTR else { throw Failure.last() }
                try cancel.wait(f.open, Int16(POLLIN))
            }
        }
    }

    func writeFifo(_ f: Fid, _ data: ArraySlice<UInt8>) {
        pendingWork = { cancel in
            while true {
                let n = data.withUnsafeBytes { write(f.open, $0.baseAddress, $0.count) }
                if n >= 0 {
                    var w = WireWriter(type: 119, tag: 0)
                    w.u32(UInt32(n))
                    return w.finish()
                }
                guard errno == EAGAIN || errno == EINTR, !f.nonblocking || errno == EINTR else { throw Failure.last() }
                try cancel.wait(f.open, Int16(POLLOUT))
            }
        }
    }
}
