import FileNames
import CPicoLinux
import Glibc
import PicoCore
import Synchronization

/// getsockname(2) and getpeername(2), and the names picorun binds unix
/// sockets by. The kernel keeps the name a socket was bound by and hands
/// it out to both ends. The guest's own path cannot be that name (the
/// kernel would resolve it on the host), so the supervisor binds through a
/// name of its own: a symlink in the host's /tmp to its fd of the guest
/// directory, made for one bind and removed after it. These two calls give
/// the guest back the path it bound, as Linux does. The names are one
/// GuestKernel's.
final class SocketNames: Sendable {
    struct Bound {
        let name: [UInt8]
        let guest: [UInt8]
    }

    /// Unique to this supervisor: a host user cannot guess it to get in the
    /// way, and /tmp's sticky bit keeps others from replacing a link.
    let prefix: String
    let prefixBytes: [UInt8]
    let counter = Atomic<UInt64>(0)
    let bound = Mutex<[UInt64: Bound]>([:])
    /// Names remembered: the newest this many binds (a socket long closed
    /// needs none, and there is no telling when one closes).
    static let remembered: UInt64 = 1 << 16

    init() {
        prefix = "/tmp/.picorun-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))-"
        prefixBytes = Array(prefix.utf8)
    }

    /// Binds `socket` as `name` in the directory `parent` through a private
    /// name, remembering `guest` (the sun_path the guest gave); nil where
    /// no private name can be made (too long for a sun_path, no /tmp).
    func bind(_ socket: Int32, parent: Int32, name: String, guest: [UInt8]) throws(TraceeError) -> Outcome? {
        let k = counter.add(1, ordering: .relaxed).newValue
        let link = prefix + String(k, radix: 16)
        guard let address = try? SocketCalls.unixAddress(link + "/" + name), symlink(procPath(parent), link) == 0 else { return nil }
        defer { unlink(link) }
        bound.withLock { table in
            if k > Self.remembered { table[k - Self.remembered] = nil }
            table[k] = Bound(name: FileNames.bytes(name), guest: guest)
        }
        return try SocketCalls.call(address) { Glibc.bind(socket, $0, $1) }
    }

    /// The address the guest bound, for one the kernel gives out under a
    /// private name of this supervisor's; nil for any other.
    func guestAddress(_ kernel: [UInt8]) -> [UInt8]? {
        guard kernel.count > 2, UInt16(kernel[0]) | UInt16(kernel[1]) << 8 == SocketCalls.afUnix else { return nil }
        let path = kernel[2...].prefix { $0 != 0 }
        guard path.starts(with: prefixBytes) else { return nil }
        let rest = path.dropFirst(prefixBytes.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")),
              let k = UInt64(String(decoding: rest[..<slash], as: UTF8.self), radix: 16),
              let b = bound.withLock({ $0[k] }), b.name.elementsEqual(rest[(slash + 1)...]) else { return nil }
        return Array(kernel[0..<2]) + b.guest + [0]
    }

    /// Getsockname implements Linux syscall getsockname(2).
    static func getsockname(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try name(c) { Glibc.getsockname($0, $1, $2) }
    }

    /// Getpeername implements Linux syscall getpeername(2).
    static func getpeername(_ c: GuestCall) throws(TraceeError) -> Outcome {
        try name(c) { Glibc.getpeername($0, $1, $2) }
    }

    /// The kernel's answer on the supervisor's duplicate of the socket, in
    /// the kernel's order: the fd, the name (ENOTCONN), then addrlen and
    /// the copy-out, truncated to the room given and the full length told.
    static func name(_ c: GuestCall, _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) throws(TraceeError) -> Outcome {
        let socket = try SocketCalls.guestSocket(c)
        defer { close(socket) }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(socket, $0, &length) }
        }
        guard r == 0 else { throw .errno() }
        var bytes = withUnsafeBytes(of: &storage) { Array($0.prefix(Int(length))) }
        if let guest = c.kernel.socketNames.guestAddress(bytes) { bytes = guest }
        let given = try c.tracee.readBytes(at: c.args[2], count: 4)
        let room = Int32(bitPattern: UInt32(given[0]) | UInt32(given[1]) << 8 | UInt32(given[2]) << 16 | UInt32(given[3]) << 24)
        guard room >= 0 else { throw TraceeError(.EINVAL) }
        if room > 0 && !bytes.isEmpty { try c.tracee.writeBytes(Array(bytes.prefix(Int(room))), at: c.args[1]) }
        try c.write(Int32(bytes.count), to: c.args[2])
        return .value(0)
    }
}
