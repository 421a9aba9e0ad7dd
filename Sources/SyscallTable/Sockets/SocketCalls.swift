import FileNames
import CPicoLinux
import Glibc
import LinuxABI
import PicoCore
import VolFS

/// bind(2) and connect(2). A unix socket's path is a path like any other:
/// it is resolved in the guest file tree, and the supervisor makes the call
/// on its own duplicate of the guest's socket (pidfd_getfd), naming the
/// object it found through /proc/self/fd. Every family goes this way, not
/// just AF_UNIX: letting the kernel re-read the guest's sockaddr would let
/// another guest thread swap in a host path after the check.
enum SocketCalls {
    static let afUnix: UInt16 = 1
    static let sunPathMax = 108

    /// Bind implements Linux syscall bind(2).
    static func bind(_ c: GuestCall) throws(TraceeError) -> Outcome {
        let (socket, address) = try prepare(c)
        defer { close(socket) }
        if isUnix(socket), isPathAddress(address) {
            let w = try walk(c, address, follow: false)
            defer { w.close() }
            if w.exists { throw TraceeError(.EADDRINUSE) }
            let reply = try bindUnix(c, socket, w, address)
            bound(c, w)
            return reply
        }
        return try call(address) { Glibc.bind(socket, $0, $1) }
    }

    /// Binds a unix socket as the walked name, by a name the kernel can
    /// resolve without the guest's path: picorun's private one, else
    /// /proc/self/fd/N/NAME, else NAME relative to the directory.
    static func bindUnix(_ c: GuestCall, _ socket: Int32, _ w: GuestFileTree.Walk, _ address: [UInt8]) throws(TraceeError) -> Outcome {
        let guest = Array(address[2...].prefix(sunPathMax).prefix { $0 != 0 })
        if let reply = try c.kernel.socketNames.bind(socket, parent: w.parent, name: w.name, guest: guest) { return reply }
        if let bytes = try? unixAddress("/proc/self/fd/\(w.parent)/\(w.name)") {
            return try call(bytes) { Glibc.bind(socket, $0, $1) }
        }
        // A name too long to follow /proc/self/fd/N/: bound relative to
        // the directory, on a thread with a working directory of its own.
        return try inDirectory(w.parent) { () throws(TraceeError) in
            try call([UInt8(afUnix), 0] + FileNames.bytes(w.name)) { Glibc.bind(socket, $0, $1) }
        }
    }

    /// A socket file just bound: the mode the guest's umask leaves (the
    /// supervisor's own umask is 0), and in a distro the guest as owner.
    static func bound(_ c: GuestCall, _ w: GuestFileTree.Walk) {
        guard w.mount.kind != .drvfs else { return }
        let fd = openat(w.parent, w.cName, O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK else { return }
        let perms = 0o777 & ~UInt32(c.umask())
        let distro = c.volume != nil && w.mount.kind == .volume
        _ = chmod(procPath(fd), mode_t(distro ? Metadata.hostPermissions(guestMode: perms, isDirectory: false) : perms))
        Ownership.created(c, w, mode: S_IFSOCK | perms)
    }

    /// Connect implements Linux syscall connect(2). A blocking connect that
    /// may take long (TCP) runs on a thread of its own and answers later.
    static func connect(_ c: GuestCall, respond: @escaping @Sendable (Outcome) -> Void) throws(TraceeError) -> Outcome {
        let (socket, address) = try prepare(c)
        var bytes = address
        if isUnix(socket), isPathAddress(address) {
            defer { close(socket) }
            let w = try walk(c, address, follow: true)
            defer { w.close() }
            guard w.exists else { throw TraceeError(.ENOENT) }
            bytes = try unixAddress("/proc/self/fd/\(w.object)")
            return try call(bytes) { Glibc.connect(socket, $0, $1) }
        }
        let family = address.count >= 2 ? UInt16(address[0]) | UInt16(address[1]) << 8 : 0
        if family == afUnix || fcntl(socket, F_GETFL) & O_NONBLOCK != 0 {
            defer { close(socket) }
            return try call(bytes) { Glibc.connect(socket, $0, $1) }
        }
        BlockingCall.run {
            defer { close(socket) }
            let reply: Outcome
            do throws(TraceeError) { reply = try call(bytes) { Glibc.connect(socket, $0, $1) } } catch { reply = .error(error.errno) }
            respond(reply)
        }
        return .deferred
    }

    /// Sendto implements Linux syscall sendto(2) for calls that name a
    /// destination (the filter lets the others through untouched): the
    /// supervisor sends the guest's bytes on its duplicate of the socket, to
    /// the address it read once.
    static func sendto(_ c: GuestCall, respond: @escaping @Sendable (Outcome) -> Void) throws(TraceeError) -> Outcome {
        let length = Int64(bitPattern: c.args[5])
        guard length >= 0, length <= 128 else { throw TraceeError(.EINVAL) }
        let size = c.args[2]
        guard size <= 16 << 20 else { throw TraceeError(.EMSGSIZE) }
        let data = try c.tracee.readBytes(at: c.args[1], count: Int(size))
        var address = try c.tracee.readBytes(at: c.args[4], count: Int(length))
        let fd = pico_pidfd_getfd(c.caller.tid, c.int32(0))
        guard fd >= 0 else { throw TraceeError(LinuxErrno(Int32(-fd))) }
        let socket = Int32(fd)
        var keep: GuestFileTree.Walk? = nil
        if isPathAddress(address) {
            do throws(TraceeError) {
                let w = try walk(c, address, follow: true)
                keep = w
                guard w.exists else { throw TraceeError(.ENOENT) }
                address = try unixAddress("/proc/self/fd/\(w.object)")
            } catch {
                keep?.close()
                close(socket)
                throw error
            }
        }
        let flags = Int32(truncatingIfNeeded: c.args[3])
        let caller = c.caller
        let send: @Sendable () -> Outcome = { [address] in
            let n = data.withUnsafeBytes { d in
                address.withUnsafeBytes { a in
                    Glibc.sendto(socket, d.baseAddress, d.count, flags | Int32(MSG_NOSIGNAL),
                                 a.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(a.count))
                }
            }
            let error = n >= 0 ? 0 : errno
            pipeSignal(error, flags: flags, caller)
            return n >= 0 ? .value(Int64(n)) : .error(LinuxErrno(error))
        }
        let blocking = fcntl(socket, F_GETFL) & O_NONBLOCK == 0 && flags & Int32(MSG_DONTWAIT) == 0
        if !blocking {
            defer { keep?.close(); close(socket) }
            return send()
        }
        let walk = keep
        BlockingCall.run {
            let reply = send()
            walk?.close()
            close(socket)
            respond(reply)
        }
        return .deferred
    }

    /// A send the supervisor made for the guest hit a closed peer: the
    /// kernel would have sent SIGPIPE to the calling thread, so picorun does.
    static func pipeSignal(_ error: Int32, flags: Int32, _ caller: GuestFileTree.Caller) {
        guard error == EPIPE, flags & Int32(MSG_NOSIGNAL) == 0 else { return }
        _ = pico_tgkill(caller.tgid, caller.tid, SIGPIPE)
    }

    /// The supervisor's duplicate of the guest's socket and the address bytes.
    static func prepare(_ c: GuestCall) throws(TraceeError) -> (Int32, [UInt8]) {
        // addrlen is an int; the kernel copies at most a sockaddr_storage.
        let length = Int32(truncatingIfNeeded: c.args[2])
        guard length >= 0, length <= 128 else { throw TraceeError(.EINVAL) }
        let address = try c.tracee.readBytes(at: c.args[1], count: Int(length))
        let socket = try guestSocket(c)
        // An AF_UNIX address longer than a sockaddr_un is EINVAL.
        if isUnix(socket) && address.count > 2 + sunPathMax && address.count >= 2 && address[0] == UInt8(afUnix) && address[1] == 0 {
            close(socket)
            throw TraceeError(.EINVAL)
        }
        return (socket, address)
    }

    static func isUnix(_ socket: Int32) -> Bool {
        var domain: Int32 = 0
        var size = socklen_t(4)
        return getsockopt(socket, SOL_SOCKET, SO_DOMAIN, &domain, &size) == 0 && domain == AF_UNIX
    }

    /// Runs `body` on a thread whose working directory (unshared from the
    /// supervisor's) is `dir`, and waits for it.
    static func inDirectory(_ dir: Int32, _ body: @escaping () throws(TraceeError) -> Outcome) throws(TraceeError) -> Outcome {
        let box = ResultBox()
        guard let thread = Feeder.start(body: {
            guard pico_unshare_fs() == 0, fchdir(dir) == 0 else { box.result = .failure(.errno()); return }
            box.result = Result { () throws(TraceeError) in try body() }
        }, inline: false) else { throw TraceeError(.EAGAIN) }
        pthread_join(thread, nil)
        return try box.result.get()
    }

    final class ResultBox: @unchecked Sendable {
        var result: Result<Outcome, TraceeError> = .failure(TraceeError(.EIO))
    }

    /// The supervisor's duplicate of the guest's socket (fd argument 0).
    static func guestSocket(_ c: GuestCall) throws(TraceeError) -> Int32 {
        let fd = pico_pidfd_getfd(c.caller.tid, c.int32(0))
        guard fd >= 0 else { throw TraceeError(LinuxErrno(Int32(-fd))) }
        var st = stat()
        guard fstat(Int32(fd), &st) == 0, st.st_mode & S_IFMT == S_IFSOCK else {
            close(Int32(fd))
            throw TraceeError(.ENOTSOCK)
        }
        return Int32(fd)
    }

    /// A named (not abstract, not autobind) AF_UNIX address.
    static func isPathAddress(_ a: [UInt8]) -> Bool {
        a.count > 2 && UInt16(a[0]) | UInt16(a[1]) << 8 == afUnix && a[2] != 0
    }

    static func walk(_ c: GuestCall, _ a: [UInt8], follow: Bool) throws(TraceeError) -> GuestFileTree.Walk {
        // sun_path need not end in a NUL: all 108 bytes may be the name.
        let path = Array(a[2...].prefix(sunPathMax).prefix { $0 != 0 })
        return try c.walk(dirfd: AT_FDCWD, path: path, follow: follow)
    }

    static func unixAddress(_ path: String) throws(TraceeError) -> [UInt8] {
        let p = FileNames.bytes(path)
        guard p.count < sunPathMax else { throw TraceeError(.ENAMETOOLONG) }
        return [UInt8(afUnix & 0xff), 0] + p + [0]
    }

    static func call(_ bytes: [UInt8], _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) throws(TraceeError) -> Outcome {
        let r = bytes.withUnsafeBytes { raw -> Int32 in
            let p = raw.baseAddress.map { $0.assumingMemoryBound(to: sockaddr.self) } ?? UnsafePointer(bitPattern: 8)!
            return body(p, socklen_t(bytes.count))
        }
        guard r == 0 else { throw .errno() }
        return .value(0)
    }
}

/// Runs a call that may block on a detached thread of its own.
enum BlockingCall {
    final class Box: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func run(_ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        if pthread_create(&thread, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box) == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body()
        }
    }
}
