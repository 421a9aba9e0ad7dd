import CPicoLinux
import Glibc
import Synchronization

/// Answers seccomp user notifications on threads of their own, so a guest
/// blocked in a notified syscall waits only for its own answer, never for
/// the ptrace loop, and two guests' path calls are answered at once.
///
/// Why one receiver and sleeping helpers: every thread blocked in
/// SECCOMP_IOCTL_NOTIF_RECV is woken by every notification (the kernel's
/// wait is not exclusive), and all but one go back to sleep, which cost
/// 3 µs a call on 2 cores with two receivers. So one thread receives; when
/// it takes a notification and sees another already waiting (a poll that
/// does not block), it wakes a helper, which answers until none is left
/// waiting and sleeps again. A lone guest never wakes a helper; two guests
/// calling at once are answered side by side. Helpers: one per CPU besides
/// the receiver, at most 7.
final class NotificationLoop: @unchecked Sendable {

    let listener: Int32
    let handler: SyscallHandling
    let seccomp: GuestSeccomp
    /// Posted by a thread that saw a notification waiting; helpers wait on it.
    let wake: UnsafeMutablePointer<sem_t>
    /// Helpers asleep on `wake`, so a receiver posts only when one is.
    let idleHelpers = Atomic<Int>(0)
    /// Threads started: the first is the receiver, the rest are helpers.
    let started = Atomic<Int>(0)

    init(listener: Int32, handler: SyscallHandling, seccomp: GuestSeccomp) {
        self.listener = listener
        self.handler = handler
        self.seccomp = seccomp
        wake = .allocate(capacity: 1)
        sem_init(wake, 0, 0)
    }

    static let sysPrctl = 157
    static let prSetSeccomp: UInt64 = 22, seccompModeFilter: UInt64 = 2
    static let eRestartNoIntr: Int32 = 513

    /// How many threads answer (the receiver and its helpers):
    /// PICORUN_NOTIFY_THREADS, else the CPUs picorun may use.
    static var threadCount: Int {
        if let text = getenv("PICORUN_NOTIFY_THREADS").map({ String(cString: $0) }), let n = Int(text), n >= 1 { return min(n, 64) }
        return max(1, min(Int(pico_cpus_allowed()), 8))
    }

    func start() {
        for _ in 0..<Self.threadCount {
            let box = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let loop = Unmanaged<NotificationLoop>.fromOpaque(raw!).takeRetainedValue()
                loop.run(helper: loop.started.add(1, ordering: .relaxed).oldValue > 0)
                return nil
            }, box)
            if rc == 0 { pthread_detach(thread) } else { writeStderr("picorun: cannot start a notification thread\n") }
        }
    }

    /// Another notification is waiting to be received.
    func anotherWaits() -> Bool {
        var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0 && p.revents & Int16(POLLIN) != 0
    }

    /// Sends an answer for notification `id`; the result the task sees, or
    /// nil when the kernel runs the call itself.
    @discardableResult
    static func send(_ listener: Int32, _ id: UInt64, _ reply: NotificationReply) -> Int64? {
        switch reply {
        case .value(let v):
            _ = pico_notif_send(listener, id, v, 0, 0)
            return v
        case .error(let e):
            _ = pico_notif_send(listener, id, 0, e.rawValue, 0)
            return -Int64(e.rawValue)
        case .continueCall:
            _ = pico_notif_send(listener, id, 0, 0, 1)
            return nil
        case .fd(let fd, let cloexec):
            let installed = pico_notif_addfd_send(listener, id, fd, cloexec ? 1 : 0)
            close(fd)
            // The task died or was interrupted: the fd went nowhere; if the
            // kernel could not install it, the call fails as it would.
            if installed < 0 && installed != -ENOENT {
                _ = pico_notif_send(listener, id, 0, -installed, 0)
            }
            return Int64(installed)
        case .deferred:
            return nil
        }
    }

    func run(helper: Bool) {
        // Signals forwarded to the guest must interrupt the wait loop's
        // waitpid, on the main thread: this thread (and the threads it
        // starts, which inherit its mask) never takes them.
        var forwarded = sigset_t()
        sigemptyset(&forwarded)
        for sig in [SIGTERM, SIGHUP] { sigaddset(&forwarded, sig) }
        pthread_sigmask(SIG_BLOCK, &forwarded, nil)
        pico_pidfd_keep()
        // Whether to look for a second waiting notification: only while
        // more than one guest task has been calling lately (a lone guest
        // cannot have two), so a single stream pays no poll.
        var lastCaller: UInt32 = 0
        var lookAhead = 0
        // The receive blocks until a guest makes a notified call; once every
        // guest is gone it blocks for good, and picorun's exit ends the thread.
        while true {
            if helper && !anotherWaits() {
                idleHelpers.add(1, ordering: .sequentiallyConsistent)
                while sem_wait(wake) != 0 {}
                idleHelpers.subtract(1, ordering: .sequentiallyConsistent)
            }
            var n = pico_notif()
            let r = pico_notif_recv(listener, &n)
            if r == -EINTR || r == -ENOENT { continue }
            if r < 0 { return }
            if n.pid != lastCaller { lookAhead = 256 }
            lastCaller = n.pid
            if lookAhead > 0 {
                lookAhead -= 1
                if idleHelpers.load(ordering: .sequentiallyConsistent) > 0 && anotherWaits() { sem_post(wake) }
            }
            let args = [n.args.0, n.args.1, n.args.2, n.args.3, n.args.4, n.args.5]
            let (id, tid, number) = (n.id, pid_t(bitPattern: n.pid), Int(n.nr))
            let answer: @Sendable (NotificationReply) -> Void = { [self] reply in
                let answered = SyscallNotification(id: id, tid: tid, number: number, args: args, respond: { _ in })
                handler.notificationAnswering(answered, reply: reply)
                let result = NotificationLoop.send(listener, id, reply)
                handler.notificationAnswered(answered, result: result)
            }
            if seccomp.active, let data = seccomp.traceData(tid, SeccompProgram.Data(nr: n.nr, ip: n.instruction_pointer, args: args)) {
                seccomp.kick(tid, data: data)
                answer(.error(LinuxErrno(rawValue: Self.eRestartNoIntr)))
                continue
            }
            // Recorded after the filters so far have judged the call itself.
            if number == Self.sysPrctl && args[0] == Self.prSetSeccomp && args[1] == Self.seccompModeFilter {
                if let program = GuestSeccomp.program(PtraceTracee(tid: tid), at: args[2]) { seccomp.installing(tid, program) }
            }
            let reply = handler.notified(SyscallNotification(id: id, tid: tid, number: number, args: args, respond: answer))
            if case .deferred = reply { continue }
            answer(reply)
        }
    }
}
