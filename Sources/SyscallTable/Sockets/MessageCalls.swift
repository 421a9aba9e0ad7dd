import CPicoLinux
import Glibc
import PicoCore

/// sendmsg(2) and sendmmsg(2). A msghdr may name a destination, and for an
/// AF_UNIX datagram socket that is a path. The filter cannot look inside
/// the msghdr, and letting the kernel run the call after a check would let
/// another guest thread swap a host path (or another socket) in, so the
/// supervisor reads every message once and sends that copy itself, on its
/// duplicate of the guest's socket, with SCM_RIGHTS fds fetched from the guest.
enum MessageCalls {
    /// What the supervisor sends: its own copies of everything the guest
    /// named. Read on the notification thread, then owned by the sender.
    final class Message: @unchecked Sendable {
        var name: [UInt8] = []
        var data: [UInt8] = []
        var control: [UInt8] = []
        /// Supervisor fds carried by SCM_RIGHTS, and the walk a unix path
        /// address was resolved with: both must outlive the send.
        var fds: [Int32] = []
        var walk: GuestFileTree.Walk?

        func release() {
            for fd in fds { close(fd) }
            fds = []
            walk?.close()
            walk = nil
        }
    }

    static let msghdrSize = 56
    static let mmsghdrSize = 64
    static let maxIov = 1024
    /// A stream socket takes a short write; a datagram must fit whole.
    static let streamChunk = 1 << 20
    static let datagramMax = 8 << 20
    static let controlMax = 64 << 10
    static let solSocket: Int32 = 1
    static let scmRights: Int32 = 1

    /// Sendmsg implements Linux syscall sendmsg(2).
    static func sendmsg(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let socket = try SocketCalls.guestSocket(c)
        let flags = c.int32(2)
        let caller = c.caller
        let message: Message
        do throws(TraceeError) { message = try read(c, msghdr: c.args[1], socket: socket) } catch {
            close(socket)
            throw error
        }
        let job: @Sendable () -> Outcome = {
            defer { message.release(); close(socket) }
            let n = send(socket, message, flags)
            SocketCalls.pipeSignal(n < 0 ? Int32(-n) : 0, flags: flags, caller)
            return n >= 0 ? .value(Int64(n)) : .error(LinuxErrno(Int32(-n)))
        }
        return run(job, socket: socket, flags: flags, c)
    }

    /// Sendmmsg implements Linux syscall sendmmsg(2): every message is read
    /// first, then they go one by one; the count sent is the result, or the
    /// first message's error when none went.
    static func sendmmsg(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let socket = try SocketCalls.guestSocket(c)
        let vector = c.args[1]
        let count = min(Int(truncatingIfNeeded: c.args[2] & 0xffff_ffff), maxIov)
        let flags = c.int32(3)
        let tracee = c.tracee
        let caller = c.caller
        var messages: [Message] = []
        var readError: LinuxErrno?
        for i in 0..<count {
            do throws(TraceeError) {
                messages.append(try read(c, msghdr: vector &+ UInt64(i * mmsghdrSize), socket: socket))
            } catch {
                readError = error.errno
                break
            }
        }
        let batch = messages
        let unread = readError
        let job: @Sendable () -> Outcome = {
            defer { for m in batch { m.release() }; close(socket) }
            var sent = 0
            var firstError = unread
            for (i, message) in batch.enumerated() {
                let n = send(socket, message, flags)
                if n < 0 {
                    SocketCalls.pipeSignal(Int32(-n), flags: flags, caller)
                    firstError = LinuxErrno(Int32(-n))
                    break
                }
                var length = UInt32(truncatingIfNeeded: n)
                let entry = vector &+ UInt64(i * mmsghdrSize + msghdrSize)
                let wrote = withUnsafeBytes(of: &length) { b in
                    Result { () throws(TraceeError) in try tracee.write(at: entry, from: b) }
                }
                if case .failure(let e) = wrote {
                    firstError = e.errno
                    break
                }
                sent += 1
            }
            if sent == 0, let firstError { return .error(firstError) }
            return .value(Int64(sent))
        }
        return run(job, socket: socket, flags: flags, c)
    }

    /// Runs a send now if it cannot block, else on a thread of its own.
    static func run(_ job: @escaping @Sendable () -> Outcome, socket: Int32, flags: Int32,
                    _ c: GuestCall) -> Outcome {
        let blocking = fcntl(socket, F_GETFL) & O_NONBLOCK == 0 && flags & Int32(MSG_DONTWAIT) == 0
        guard blocking else { return job() }
        let respond = c.respond
        BlockingCall.run { respond(job()) }
        return .deferred
    }

    /// Copies the msghdr at `address` and everything it points to.
    static func read(_ c: GuestCall, msghdr address: UInt64, socket: Int32) throws(TraceeError) -> Message {
        let header = try c.tracee.readBytes(at: address, count: msghdrSize)
        func word(_ offset: Int) -> UInt64 {
            header[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        let namePointer = word(0), nameLength = word(8) & 0xffff_ffff
        let iovPointer = word(16), iovCount = word(24)
        let controlPointer = word(32), controlLength = word(40)
        let message = Message()
        do throws(TraceeError) {
            if namePointer != 0 && nameLength != 0 {
                guard nameLength <= 128 else { throw TraceeError(.EINVAL) }
                message.name = try c.tracee.readBytes(at: namePointer, count: Int(nameLength))
                if SocketCalls.isPathAddress(message.name) {
                    let w = try SocketCalls.walk(c, message.name, follow: true)
                    message.walk = w
                    guard w.exists else { throw TraceeError(.ENOENT) }
                    message.name = try SocketCalls.unixAddress("/proc/self/fd/\(w.object)")
                }
            }
            message.data = try gather(c, iov: iovPointer, count: iovCount, stream: isStream(socket))
            // A length with a NULL pointer is EFAULT, as the kernel copies it.
            if controlLength != 0 {
                guard controlLength <= controlMax else { throw TraceeError(.ENOBUFS) }
                message.control = try c.tracee.readBytes(at: controlPointer, count: Int(controlLength))
                try fetchRights(c, message)
            }
        } catch {
            message.release()
            throw error
        }
        return message
    }

    /// The bytes of an iovec array, as one buffer.
    static func gather(_ c: GuestCall, iov: UInt64, count: UInt64, stream: Bool) throws(TraceeError) -> [UInt8] {
        guard count <= UInt64(maxIov) else { throw TraceeError(.EMSGSIZE) }
        guard count > 0 else { return [] }
        let table = try c.tracee.readBytes(at: iov, count: Int(count) * 16)
        var data: [UInt8] = []
        let limit = stream ? streamChunk : datagramMax
        for i in 0..<Int(count) {
            let base = table[i * 16..<i * 16 + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let length = table[i * 16 + 8..<i * 16 + 16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard length <= UInt64(Int.max) else { throw TraceeError(.EINVAL) }
            let room = limit - data.count
            if Int(length) > room && !stream { throw TraceeError(.EMSGSIZE) }
            let take = min(Int(length), room)
            if take > 0 { data += try c.tracee.readBytes(at: base, count: take) }
            if data.count >= limit { break }
        }
        return data
    }

    /// Replaces the guest fd numbers of every SCM_RIGHTS message with the
    /// supervisor's duplicates of the same files.
    static func fetchRights(_ c: GuestCall, _ message: Message) throws(TraceeError) {
        var offset = 0
        let headerSize = 16
        while offset + headerSize <= message.control.count {
            let length = Int(message.control[offset..<offset + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            guard length >= headerSize, offset + length <= message.control.count else { throw TraceeError(.EINVAL) }
            let level = int32(message.control, offset + 8), type = int32(message.control, offset + 12)
            if level == solSocket && type == scmRights {
                var at = offset + headerSize
                while at + 4 <= offset + length {
                    let guestFD = int32(message.control, at)
                    let fd = pico_pidfd_getfd(c.caller.tid, guestFD)
                    guard fd >= 0 else { throw TraceeError(.EBADF) }
                    message.fds.append(Int32(fd))
                    withUnsafeBytes(of: Int32(fd).littleEndian) { message.control.replaceSubrange(at..<at + 4, with: $0) }
                    at += 4
                }
            }
            offset += (length + 7) & ~7
        }
    }

    static func int32(_ bytes: [UInt8], _ at: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
    }

    static func isStream(_ socket: Int32) -> Bool {
        var type: Int32 = 0
        var size = socklen_t(4)
        return getsockopt(socket, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == Int32(SOCK_STREAM.rawValue)
    }

    /// One sendmsg of the supervisor's copy; the byte count or -errno.
    static func send(_ socket: Int32, _ message: Message, _ flags: Int32) -> Int {
        message.name.withUnsafeMutableBytes { name in
            message.data.withUnsafeMutableBytes { data in
                message.control.withUnsafeMutableBytes { control in
                    var iov = iovec(iov_base: data.baseAddress, iov_len: data.count)
                    return withUnsafeMutablePointer(to: &iov) { iovPointer in
                        var m = msghdr()
                        m.msg_name = name.count > 0 ? name.baseAddress : nil
                        m.msg_namelen = socklen_t(name.count)
                        m.msg_iov = iovPointer
                        m.msg_iovlen = 1
                        m.msg_control = control.count > 0 ? control.baseAddress : nil
                        m.msg_controllen = control.count
                        let n = Glibc.sendmsg(socket, &m, flags | Int32(MSG_NOSIGNAL))
                        return n >= 0 ? n : -Int(errno)
                    }
                }
            }
        }
    }
}
