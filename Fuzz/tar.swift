// libFuzzer harness: VolFS's tar reader, then the whole import (files,
// links, sidecar rows) into an emptied scratch folder. Built and run by
// scripts/fuzz.sh tar. Writes only below Scratch.root.
import Glibc
import VolFS

nonisolated(unsafe) var input: Int32 = -1
nonisolated(unsafe) var sidecar: Sidecar?
nonisolated(unsafe) var runs = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if input < 0 { input = Scratch.file("input.tar") }
    Scratch.replaceContents(input, UnsafeBufferPointer(start: data, count: size))

    // 1. The reader alone: every member, every data byte.
    let reader = TarReader(fd: input)
    var members = 0
    do {
        while let entry = try reader.next() {
            members += 1
            _ = entry.rdev
            _ = entry.typeBits
            var bytes: UInt64 = 0
            try reader.readData { bytes += UInt64($0.count) }
        }
    } catch {}

    // 2. The import, as `picorun import` runs it, into an empty root. The
    // sidecar is kept between runs (as a distro's is) but started afresh
    // now and then so it stays small.
    lseek(input, 0, SEEK_SET)
    runs += 1
    if sidecar == nil || runs % 2000 == 0 {
        sidecar = nil
        for suffix in ["", "-wal", "-shm"] { unlink(Scratch.root + "/tar-sidecar.db" + suffix) }
        sidecar = try! Sidecar(path: Scratch.root + "/tar-sidecar.db")
    }
    let root = Scratch.emptyDirectory("tar-root")
    do {
        let importer = try Importer(rootPath: root, volume: Volume(sidecar: sidecar!))
        try importer.run(TarReader(fd: input))
    } catch {}
    // The importer closes every fd it opened (SQLite's -wal and -shm stay).
    Fds.check(ignoring: [Scratch.root + "/tar-sidecar.db"])
    return 0
}
