// libFuzzer harness: NinePServer's message decoding and handling. The
// input is a 9P2000.L byte stream (size-prefixed messages, as a client
// sends them); each run gets a fresh copy of a tiny exported tree below
// Scratch.root and a fresh Session that has already negotiated
// (Tversion) and attached fid 0 as root and fid 1 as uid 1000. Work a
// handler leaves for a worker (FIFO waits) runs inline with its request
// already flushed, so nothing blocks. Built and run by scripts/fuzz.sh ninep.
import Glibc
@testable import NinePServer
import VolFS

nonisolated(unsafe) var export: Export?
nonisolated(unsafe) var rootPath = ""
/// PICORUN_FUZZ_TRACE=1: one line per message and reply on stderr (to check seeds).
let trace = getenv("PICORUN_FUZZ_TRACE") != nil

func message(_ type: UInt8, _ tag: UInt16, _ body: [UInt8]) -> [UInt8] {
    let n = UInt32(7 + body.count)
    return [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24), type, UInt8(tag & 0xff), UInt8(tag >> 8)] + body
}
func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
func str(_ s: String) -> [UInt8] { let b = Array(s.utf8); return [UInt8(b.count & 0xff), UInt8(b.count >> 8)] + b }

/// The exported tree, made afresh for every input.
func populate(_ root: String) {
    chmod(root, 0o755)
    func file(_ path: String, _ text: String, _ mode: mode_t = 0o644) {
        let fd = open(root + "/" + path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)
        precondition(fd >= 0, "cannot create \(path)")
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }
    mkdir(root + "/etc", 0o755)
    file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n")
    file("etc/group", "root:x:0:\nusers:x:100:user\nuser:x:1000:\n")
    file("owned.txt", "secret\n", 0o600)
    mkdir(root + "/dir", 0o755)
    file("dir/file", "hello\n")
    mkdir(root + "/dir/sub", 0o700)
    symlink("file", root + "/dir/link")
    symlink("/etc", root + "/outside")       // absolute: must not lead out of the export
    symlink("../../..", root + "/dir/up")
    mkfifo(root + "/dir/fifo", 0o644)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNineP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    serve(data, size)
    // Every fid's fds die with the session: a connection leaks none.
    // (SQLite opens the sidecar's -wal and -shm files at its first write.)
    Fds.check(ignoring: [Scratch.root + "/ninep-sidecar.db"])
    return 0
}

func serve(_ data: UnsafePointer<UInt8>, _ size: Int) {
    if export == nil {
        rootPath = Scratch.emptyDirectory("ninep-root")
        let sidecar = try! Sidecar(path: Scratch.root + "/ninep-sidecar.db")
        export = try! Export(rootPath: rootPath, volume: Volume(sidecar: sidecar), readOnly: false)
    } else {
        _ = Scratch.emptyDirectory("ninep-root")
    }
    populate(rootPath)

    let session = Session(export: export!)
    func run(_ m: [UInt8]) {
        guard let answer = session.handle(m) else { return }
        var reply: [UInt8]?
        switch answer {
        case .now(let r): reply = r
        case .later(_, let work):
            let cancel = Cancellation()
            cancel.fire()
            reply = work(cancel)
        }
        if trace {
            let what = reply.map { r in r.count > 4 && r[4] == 7 && r.count >= 11 ? "Rlerror \(Int(r[7]) | Int(r[8]) << 8)" : "R\(r.count > 4 ? r[4] : 0) (\(r.count) bytes)" } ?? "no reply (flushed)"
            let line = "T\(m[4]) -> \(what)\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
    }
    run(message(100, 0xffff, u32(65536) + str("9P2000.L")))
    run(message(104, 1, u32(0) + u32(0xffff_ffff) + str("root") + str("") + u32(0)))
    run(message(104, 2, u32(1) + u32(0xffff_ffff) + str("user") + str("") + u32(1000)))

    // The framing Connection.serve applies: a bad size ends the connection.
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var at = 0
    while bytes.count - at >= 4 {
        let n = Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        guard n >= 7, n <= max(Int(session.msize), 8192) + 64, n <= bytes.count - at else { break }
        let m = Array(bytes[at..<(at + n)])
        at += n
        if m[4] == 108, m.count >= 9 { continue }  // Tflush: Connection answers it, nothing is in flight here
        run(m)
    }
}
