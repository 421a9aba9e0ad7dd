import Glibc
import Synchronization

/// Frames size-prefixed 9P messages out of a connection's socket, taking
/// as many bytes as have arrived with one recv (it took two a request).
///
/// How it waits for the next request: on a virtual machine, waking a
/// thread asleep on another CPU costs about 100 µs (measured here: a TCP
/// ping-pong takes 110-130 µs a round trip, 35 µs when the server polls),
/// several times the work of a walk or of a 64 KiB read. A client that
/// sends one request at a time (diod's tools, the kernel's v9fs for one
/// process) pays it on every request. So while a client keeps coming back
/// within `window`, the reader polls the socket for that long, yielding
/// the CPU each time round, before it sleeps. A client that pauses costs
/// one window of CPU; one that came back late is waited for asleep until it
/// comes back quickly again; one with several requests in flight is not
/// polled for (diodload's 8-16 threads ran 20-30% slower so). At most one
/// connection fewer than the CPUs polls at a time, so polling never takes
/// the last CPU from the clients.
final class MessageReader {
    let fd: Int32
    /// Nanoseconds to poll before sleeping; 0 never polls.
    let window: Int64
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0, end = 0
    /// The client came back within the window last time.
    private var prompt = true
    /// Messages taken since the last recv: more than one means the client
    /// keeps several requests in flight, and the next is never far off
    /// without a poll (whose CPU its threads want more).
    private var taken = 0

    private static let pollers = Atomic<Int>(0)
    private static let maxPollers = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) - 1

    init(fd: Int32, pollMicroseconds: Int) {
        self.fd = fd
        window = Int64(max(pollMicroseconds, 0)) * 1000
        capacity = 64 * 1024 + 64
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The next whole message, size field included; nil at end of stream,
    /// on an error, or for a size outside 7...limit (the stream cannot be
    /// framed past it).
    func next(limit: Int) -> [UInt8]? {
        guard have(4) else { return nil }
        let p = buffer + start
        let size = Int(p.load(fromByteOffset: 0, as: UInt8.self)) | Int(p.load(fromByteOffset: 1, as: UInt8.self)) << 8
            | Int(p.load(fromByteOffset: 2, as: UInt8.self)) << 16 | Int(p.load(fromByteOffset: 3, as: UInt8.self)) << 24
        guard size >= 7, size <= limit, have(size) else { return nil }
        let message = [UInt8](UnsafeRawBufferPointer(start: buffer + start, count: size))
        start += size
        if start == end { start = 0; end = 0 }
        taken += 1
        return message
    }

    /// Reads until `count` bytes past `start` are in the buffer.
    private func have(_ count: Int) -> Bool {
        while end - start < count {
            if start + count > capacity { makeRoom(count) }
            guard receive() else { return false }
        }
        return true
    }

    private func makeRoom(_ count: Int) {
        if count > capacity {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
            bigger.copyMemory(from: buffer + start, byteCount: end - start)
            buffer.deallocate()
            buffer = bigger
            capacity = count
        } else {
            memmove(buffer, buffer + start, end - start)
        }
        end -= start
        start = 0
    }

    /// One recv of whatever has arrived; polls first if the client is prompt.
    private func receive() -> Bool {
        let began = window > 0 ? Self.now() : 0
        let pipelined = taken > 1
        taken = 0
        if prompt && !pipelined && window > 0 && Self.claimPoller() {
            defer { Self.pollers.subtract(1, ordering: .relaxed) }
            repeat {
                let r = recv(fd, buffer + end, capacity - end, Int32(MSG_DONTWAIT))
                if r > 0 { end += r; return true }
                if r == 0 || (errno != EAGAIN && errno != EINTR) { return false }
                sched_yield()
            } while Self.now() - began < window
        }
        while true {
            let r = recv(fd, buffer + end, capacity - end, 0)
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else { return false }
            end += r
            if window > 0 { prompt = Self.now() - began <= window }
            return true
        }
    }

    private static func claimPoller() -> Bool {
        var n = pollers.load(ordering: .relaxed)
        while n < maxPollers {
            let (done, now) = pollers.compareExchange(expected: n, desired: n + 1, ordering: .relaxed)
            if done { return true }
            n = now
        }
        return false
    }

    private static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}
