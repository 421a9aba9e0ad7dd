import CPicoLinux
import Glibc

/// A mutex with a condition, for the little state a connection's reader
/// and its workers share.
final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits, with the lock held by the caller inside `locked`, until woken.
    func wait() { pthread_cond_wait(cond, mutex) }

    func broadcast() { pthread_cond_broadcast(cond) }
}

/// How a Tflush reaches work that may block: an eventfd the work polls
/// beside its own fd.
final class Cancellation: @unchecked Sendable {
    let event = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))

    deinit { close(event) }

    func fire() {
        var one: UInt64 = 1
        _ = write(event, &one, 8)
    }

    var fired: Bool {
        var p = pollfd(fd: event, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) == 1
    }

    /// Waits until `fd` is ready for `events`, or `milliseconds` pass (-1:
    /// forever); throws Flushed once the request has been flushed.
    func wait(_ fd: Int32, _ events: Int16, milliseconds: Int32 = -1) throws(Session.Flushed) {
        var p = [pollfd(fd: event, events: Int16(POLLIN), revents: 0), pollfd(fd: fd, events: events, revents: 0)]
        let r = poll(&p, fd < 0 ? 1 : 2, milliseconds)
        if r > 0 && p[0].revents != 0 { throw Session.Flushed() }
    }
}
