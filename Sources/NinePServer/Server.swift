import Glibc
import VolFS

/// Listens on a unix socket (created mode 0600) or a TCP address (loopback
/// unless told otherwise) and serves each connection on a thread of its own.
public final class Server: @unchecked Sendable {
    public enum Address {
        case unix(String)
        case tcp(host: String, port: UInt16)

        /// "unix:PATH" or "tcp:HOST:PORT".
        public init?(_ text: String) {
            if text.hasPrefix("unix:"), text.count > 5 { self = .unix(String(text.dropFirst(5))); return }
            guard text.hasPrefix("tcp:") else { return nil }
            let rest = text.dropFirst(4)
            guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]) else { return nil }
            let host = String(rest[..<colon])
            self = .tcp(host: host.isEmpty ? "127.0.0.1" : host, port: port)
        }
    }

    let export: Export
    let listener: Int32
    let pollMicroseconds: Int
    let tcp: Bool

    /// How long a connection polls for the next request before it sleeps
    /// (see MessageReader): long enough for a client's turnaround here.
    public static let defaultPollMicroseconds = 100

    public init(export: Export, address: Address, pollMicroseconds: Int = Server.defaultPollMicroseconds) throws(VolFSError) {
        self.export = export
        self.pollMicroseconds = pollMicroseconds
        if case .tcp = address { tcp = true } else { tcp = false }
        switch address {
        case .unix(let path):
            listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var a = sockaddr_un()
            a.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: a.sun_path) else { throw VolFSError("\(path): socket path too long") }
            withUnsafeMutableBytes(of: &a.sun_path) { p in for (i, b) in bytes.enumerated() { p[i] = b } }
            unlink(path)
            let old = umask(0o177)  // the socket is created mode 0600
            let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            umask(old)
            guard r == 0 else { throw VolFSError("\(path): \(String(cString: strerror(errno)))") }
        case .tcp(let host, let port):
            listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(4))
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { throw VolFSError("\(host): not an IPv4 address") }
            let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard r == 0 else { throw VolFSError("\(host):\(port): \(String(cString: strerror(errno)))") }
        }
        guard listen(listener, 64) == 0 else { throw VolFSError("listen: \(String(cString: strerror(errno)))") }
    }

    /// Accepts connections forever.
    public func run() -> Never {
        while true {
            let c = accept(listener, nil, nil)
            if c < 0 { continue }
            if tcp {
                // Replies go out whole, one write each; never held back for an ACK.
                var one: Int32 = 1
                setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(4))
            }
            let export = self.export, poll = pollMicroseconds
            _ = Feeder.start {
                Connection(fd: c, session: Session(export: export), pollMicroseconds: poll).serve()
            }
        }
    }
}
