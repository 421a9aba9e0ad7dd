import Glibc
import LinuxABI
import VolFS

/// Reads size-prefixed messages and writes the answers. Most requests are
/// answered before the next is read; one that may block (a FIFO read,
/// write or open) runs on a worker of its own, so later tags are answered
/// meanwhile and a Tflush can cancel it. On EOF, or a message that cannot
/// be framed, in-flight work is cancelled and waited for, and every fid of
/// the session is freed.
final class Connection: @unchecked Sendable {
    final class Pending {
        let cancel = Cancellation()
        var flushTags: [UInt16] = []
    }

    let fd: Int32
    let session: Session
    let reader: MessageReader
    /// Guards `inflight` and every write to the socket, so a reply and the
    /// Rflush that follows it go out in that order.
    let lock = Lock()
    var inflight: [UInt16: Pending] = [:]
    var workers = 0
    var broken = false

    init(fd: Int32, session: Session, pollMicroseconds: Int) {
        self.fd = fd
        self.session = session
        reader = MessageReader(fd: fd, pollMicroseconds: pollMicroseconds)
    }

    func serve() {
        defer { finish() }
        while true {
            guard let message = reader.next(limit: Int(max(session.msize, NineP.defaultMsize)) + 64) else { return }
            if message[4] == NinePMessageType.tflush.rawValue, message.count >= 9 {
                flush(tag: UInt16(message[5]) | UInt16(message[6]) << 8, old: UInt16(message[7]) | UInt16(message[8]) << 8)
                continue
            }
            switch session.handle(message) {
            case nil: return
            case .now(let reply)?: if !send(reply) { return }
            case .later(let tag, let work)?: start(tag, work)
            }
        }
    }

    /// Answers at once unless the request named is still running; then its
    /// worker answers it (or drops it, if cancelled) and then the flush.
    func flush(tag: UInt16, old: UInt16) {
        let answered: Bool = lock.locked {
            guard let p = inflight[old] else { return false }
            p.flushTags.append(tag)
            p.cancel.fire()
            return true
        }
        if !answered { _ = send(Self.rflush(tag)) }
    }

    func start(_ tag: UInt16, _ work: @escaping (Cancellation) -> [UInt8]?) {
        let p = Pending()
        let busy: Bool = lock.locked {
            if inflight[tag] != nil { return true }
            inflight[tag] = p
            workers += 1
            return false
        }
        // A tag still in use is the client's error; answer it without running.
        if busy { _ = send(Session.error(tag, .EINVAL)); return }
        let started = Feeder.start { [self] in
            let reply = work(p.cancel)
            lock.locked {
                if let reply { _ = write(reply) }
                for t in p.flushTags { _ = write(Self.rflush(t)) }
                inflight[tag] = nil
                workers -= 1
                lock.broadcast()
            }
        }
        _ = started
    }

    static func rflush(_ tag: UInt16) -> [UInt8] {
        var w = WireWriter(.rflush, tag: tag)
        return w.finish()
    }

    func finish() {
        lock.locked {
            for p in inflight.values { p.cancel.fire() }
            while workers > 0 { lock.wait() }
        }
        session.clunkAll()
        close(fd)
    }

    func send(_ bytes: [UInt8]) -> Bool {
        lock.locked { write(bytes) }
    }

    /// With the lock held.
    private func write(_ bytes: [UInt8]) -> Bool {
        if broken { return false }
        var done = 0
        while done < bytes.count {
            let r = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { broken = true; return false }
            done += r
        }
        return true
    }
}
