import Glibc
import LinuxABI

/// FIFOs made through the export (or by a running session) are real host
/// FIFOs. Their reads, writes and write-only opens may wait for another
/// program indefinitely, so they run on a worker, polling the FIFO beside
/// the request's cancellation; the fid stays usable for other tags.
extension Session {
    func openFifo(_ f: Fid, _ flags: UInt32, _ now: inout WireWriter) throws(NinePError) {
        let path = Self.procPath(f.fd)
        let how = Self.openFlags(flags) & ~O_NOFOLLOW | O_NONBLOCK
        let nonblocking = flags & OpenFlag.nonblocking != 0
        let fd = Glibc.open(path, how)
        if fd >= 0 { return try fifoOpened(f, fd, nonblocking: nonblocking, &now) }
        // Write-only with no reader yet: Linux waits for one, unless O_NONBLOCK.
        guard errno == ENXIO, !nonblocking else { throw NinePError.last() }
        pendingWork = { [self] cancel in
            while true {
                try cancel.wait(-1, 0, milliseconds: 20)
                let fd = Glibc.open(path, how)
                if fd < 0 && errno == ENXIO { continue }
                guard fd >= 0 else { throw NinePError.last() }
                return try lock.locked {
                    guard f.open < 0 else { close(fd); throw NinePError(.EBADF) }
                    var w = WireWriter(.rlopen, tag: 0)
                    try fifoOpened(f, fd, nonblocking: nonblocking, &w)
                    return w.finish()
                }
            }
        }
    }

    /// The Rlopen of a FIFO open at last, now or on the worker.
    func fifoOpened(_ f: Fid, _ fd: Int32, nonblocking: Bool, _ w: inout WireWriter) throws(NinePError) {
        f.open = fd
        f.fifo = true
        f.nonblocking = nonblocking
        w.qid(try qid(f.fd))
        w.u32(iounit)
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
                    var w = WireWriter(.rread, tag: 0)
                    w.u32(UInt32(n))
                    w.bytes += buf[0..<n]
                    return w.finish()
                }
                guard errno == EAGAIN || errno == EINTR, !f.nonblocking || errno == EINTR else { throw NinePError.last() }
                try cancel.wait(f.open, Int16(POLLIN))
            }
        }
    }

    func writeFifo(_ f: Fid, _ data: ArraySlice<UInt8>) {
        pendingWork = { cancel in
            while true {
                let n = data.withUnsafeBytes { write(f.open, $0.baseAddress, $0.count) }
                if n >= 0 {
                    var w = WireWriter(.rwrite, tag: 0)
                    w.u32(UInt32(n))
                    return w.finish()
                }
                guard errno == EAGAIN || errno == EINTR, !f.nonblocking || errno == EINTR else { throw NinePError.last() }
                try cancel.wait(f.open, Int16(POLLOUT))
            }
        }
    }
}
