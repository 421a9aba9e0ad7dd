import Glibc
import LinuxABI
import Synchronization

/// Compressed tarballs go through the host's own tools (gzip, xz, zstd,
/// bzip2): Debian has the first two on every machine, and a missing one is
/// named in the error.
public enum Compression: String, Sendable {
    case none, gzip, xz, zstd, bzip2

    public static func detect(_ head: [UInt8]) -> Compression {
        if head.starts(with: [0x1f, 0x8b]) { return .gzip }
        if head.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if head.starts(with: Array("BZh".utf8)) { return .bzip2 }
        return .none
    }

    /// By file name, for export: .tar.gz/.tgz, .tar.xz/.txz, .tar.zst, .tar.bz2.
    public static func forName(_ name: String) -> Compression {
        if name.hasSuffix(".gz") || name.hasSuffix(".tgz") { return .gzip }
        if name.hasSuffix(".xz") || name.hasSuffix(".txz") { return .xz }
        if name.hasSuffix(".zst") || name.hasSuffix(".tzst") { return .zstd }
        if name.hasSuffix(".bz2") || name.hasSuffix(".tbz2") { return .bzip2 }
        return .none
    }

    var tool: String { rawValue }

    /// Runs the tool as a filter from `input` to `output`; its pid.
    public func spawn(decompress: Bool, input: Int32, output: Int32) throws(ArchiveError) -> pid_t {
        let args = [tool, decompress ? "-dc" : "-c"] + ((self == .zstd || self == .xz) && !decompress ? ["-q", "-T0"] : [])
        guard let path = Self.which(tool) else {
            throw ArchiveError("\(tool) is not installed on this machine (Debian: apt-get install \(self == .xz ? "xz-utils" : tool))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        // Its complaints become picorun's one line (see finish).
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let cargs = args.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        let r = posix_spawn(&pid, path, &actions, nil, cargs, environ)
        guard r == 0 else { throw ArchiveError("cannot run \(path): \(String(cString: strerror(r)))") }
        return pid
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/bin", "/usr/local/bin"] where access(dir + "/" + tool, X_OK) == 0 {
            return dir + "/" + tool
        }
        return nil
    }

    /// Waits for a filter; an error if it failed (a corrupt stream).
    public func finish(_ pid: pid_t) throws(ArchiveError) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        if !exited || (status >> 8) & 0xff != 0 {
            throw ArchiveError("\(tool) failed (exit status \((status >> 8) & 0xff)): the compressed data is corrupt or truncated")
        }
    }
}

/// An archive to read: a file or stdin, decompressed if it needs to be,
/// with a count of the input bytes consumed (for progress).
public final class ArchiveInput: @unchecked Sendable {
    public let reader: TarReader
    public let compression: Compression
    /// The input's size when it is a regular file.
    public let totalBytes: UInt64?
    let consumed = Atomic<UInt64>(0)
    var filter: pid_t = 0
    var feeder: pthread_t?
    let source: Int32

    public var bytesConsumed: UInt64 { compression == .none ? reader.offset : consumed.load(ordering: .relaxed) }

    /// `path` "-" is stdin.
    public init(path: String) throws(ArchiveError) {
        let input = path == "-" ? dup(0) : open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ArchiveError("\(path): \(String(cString: strerror(errno)))") }
        source = input
        var st = stat()
        fstat(input, &st)
        totalBytes = st.st_mode & S_IFMT == S_IFREG ? UInt64(st.st_size) : nil
        var head = [UInt8](repeating: 0, count: 6)
        var got = 0
        while got < head.count {
            let n = head.withUnsafeMutableBytes { read(input, $0.baseAddress! + got, $0.count - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        head = Array(head[0..<got])
        compression = Compression.detect(head)
        if compression == .none {
            reader = TarReader(fd: input, prefix: head)
            return
        }
        // source → feeder thread (head first) → pipe → tool → pipe → reader.
        var toTool: [Int32] = [-1, -1], fromTool: [Int32] = [-1, -1]
        guard cloexecPipe(&toTool), cloexecPipe(&fromTool) else {
            throw ArchiveError("pipe: \(String(cString: strerror(errno)))")
        }
        filter = try compression.spawn(decompress: true, input: toTool[0], output: fromTool[1])
        close(toTool[0])
        close(fromTool[1])
        reader = TarReader(fd: fromTool[0])
        consumed.store(UInt64(got), ordering: .relaxed)
        let source = self.source, sink = toTool[1]
        let counter = Unmanaged.passRetained(self)
        feeder = Feeder.start {
            defer { close(sink); counter.release() }
            var data = head
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                if !data.isEmpty {
                    var done = 0
                    while done < data.count {
                        let n = data.withUnsafeBytes { write(sink, $0.baseAddress! + done, $0.count - done) }
                        if n < 0 && errno == EINTR { continue }
                        if n <= 0 { return }  // the tool is gone: its status tells why
                        done += n
                    }
                }
                let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { data = []; continue }
                if n <= 0 { return }
                data = Array(buffer[0..<n])
                counter.takeUnretainedValue().consumed.add(UInt64(n), ordering: .relaxed)
            }
        }
    }

    /// Closes everything and reports a failed decompressor. The tool's
    /// output is read to its end first: the tar reader stops at the
    /// end-of-archive blocks, and closing the pipe while the tool still
    /// writes the record's padding killed it with SIGPIPE, which read as a
    /// corrupt stream (under load, now and then).
    public func finish() throws(ArchiveError) {
        if reader.fd != source {
            var sink = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = sink.withUnsafeMutableBytes { read(reader.fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
            }
            close(reader.fd)
        }
        if let feeder { pthread_join(feeder, nil) }
        feeder = nil
        close(source)
        if filter > 0 {
            let pid = filter
            filter = 0
            try compression.finish(pid)
        }
    }
}

/// A joinable thread running a closure.
public enum Feeder {
    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new thread; if none can be made, here and now
    /// unless `inline` is false (then not at all, and nil).
    public static func start(body: @escaping () -> Void, inline: Bool) -> pthread_t? {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        guard pthread_create(&thread, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box) == 0 else {
            let b = Unmanaged<Box>.fromOpaque(box).takeRetainedValue()
            if inline { b.body() }
            return nil
        }
        return thread
    }

    public static func start(_ body: @escaping () -> Void) -> pthread_t? { start(body: body, inline: true) }
}
