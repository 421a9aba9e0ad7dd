import CPicoLinux
import Glibc

/// Answers seccomp user notifications on a thread of its own, so a guest
/// blocked in a notified syscall waits only for its own answer, never for
/// the ptrace loop.
final class NotificationLoop: @unchecked Sendable {
    let listener: Int32
    let handler: SyscallHandling

    init(listener: Int32, handler: SyscallHandling) {
        self.listener = listener
        self.handler = handler
    }

    func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let loop = Unmanaged<NotificationLoop>.fromOpaque(raw!).takeRetainedValue()
            loop.run()
            return nil
        }, box)
        if rc == 0 { pthread_detach(thread) } else { writeStderr("picorun: cannot start the notification thread\n") }
    }

    /// Sends a plain answer (value or error) for notification `id`.
    static func send(_ listener: Int32, _ id: UInt64, _ reply: NotificationReply) {
        switch reply {
        case .value(let v): _ = pico_notif_send(listener, id, v, 0, 0)
        case .error(let e): _ = pico_notif_send(listener, id, 0, e.rawValue, 0)
        case .continueCall: _ = pico_notif_send(listener, id, 0, 0, 1)
        case .fd(let fd, let cloexec):
            _ = pico_notif_addfd_send(listener, id, fd, cloexec ? 1 : 0)
            close(fd)
        case .deferred: break
        }
    }

    func run() {
        // The receive blocks until a guest makes a notified call; once every
        // guest is gone it blocks for good, and picorun's exit ends the thread.
        while true {
            var n = pico_notif()
            let r = pico_notif_recv(listener, &n)
            if r == -EINTR || r == -ENOENT { continue }
            if r < 0 { return }
            let args = [n.args.0, n.args.1, n.args.2, n.args.3, n.args.4, n.args.5]
            let listener = self.listener
            let id = n.id
            let call = SyscallNotification(id: n.id, tid: pid_t(bitPattern: n.pid), number: Int(n.nr), args: args,
                                           respond: { reply in NotificationLoop.send(listener, id, reply) })
            let reply = handler.notified(call)
            var result: Int64?
            switch reply {
            case .deferred:
                continue
            case .value(let v):
                _ = pico_notif_send(listener, n.id, v, 0, 0)
                result = v
            case .error(let e):
                _ = pico_notif_send(listener, n.id, 0, e.rawValue, 0)
                result = -Int64(e.rawValue)
            case .continueCall:
                _ = pico_notif_send(listener, n.id, 0, 0, 1)
            case .fd(let fd, let cloexec):
                let installed = pico_notif_addfd_send(listener, n.id, fd, cloexec ? 1 : 0)
                close(fd)
                // The task died or was interrupted: the fd went nowhere; if the
                // kernel could not install it, the call fails as it would.
                if installed < 0 && installed != -ENOENT {
                    _ = pico_notif_send(listener, n.id, 0, -installed, 0)
                }
                result = Int64(installed)
            }
            handler.notificationAnswered(call, result: result)
        }
    }
}
