import Foundation
import Glibc
import Testing
@testable import VolFS

let O_PATH: Int32 = 0o10000000

func scratch() -> String {
    let dir = NSTemporaryDirectory() + "volfs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func touch(_ path: String) {
    close(open(path, O_CREAT | O_WRONLY, 0o644))
}

@Suite struct SidecarTests {
    @Test func rowsFollowTheInodeThroughRenameAndHardLinks() throws {
        let dir = scratch()
        let volume = Volume(sidecar: try Sidecar(path: dir + "/meta.db"))
        touch(dir + "/a")
        let d = open(dir, O_PATH | O_DIRECTORY)
        defer { close(d) }
        try volume.created(dirfd: d, name: "a", Metadata(uid: 123, gid: 456, mode: 0o104755))
        #expect(rename(dir + "/a", dir + "/b") == 0)
        #expect(link(dir + "/b", dir + "/c") == 0)
        #expect(volume.metadata(dirfd: d, name: "b") == Metadata(uid: 123, gid: 456, mode: 0o104755))
        #expect(volume.metadata(dirfd: d, name: "c")?.uid == 123)
        // Another connection (another session) sees the row at once.
        let other = Volume(sidecar: try Sidecar(path: dir + "/meta.db"))
        #expect(other.metadata(dirfd: d, name: "c")?.mode == 0o104755)
    }

    /// A change from another thread while a batch (an import) runs joins the
    /// batch's transaction: before, its failed BEGIN rolled the batch back.
    @Test func aChangeDuringABatchLosesNeither() throws {
        let sidecar = try Sidecar(path: scratch() + "/meta.db")
        let ids = (1...3).map { FileIdentity(inode: UInt64($0), birth: 7) }
        let setuid = Metadata(uid: 5, gid: 5, mode: 0o104755)
        try sidecar.batch { () throws(VolFSError) in
            try sidecar.store(ids[0], setuid)
            let other = Thread {
                try? sidecar.modify(ids[1], defaults: Metadata(uid: 0, gid: 0, mode: 0o100644)) { $0.uid = 42 }
            }
            other.start()
            while !other.isFinished { usleep(1000) }
            try sidecar.store(ids[2], setuid)
        }
        #expect(sidecar.lookup(ids[0]) == setuid)
        #expect(sidecar.lookup(ids[1])?.uid == 42)
        #expect(sidecar.lookup(ids[2]) == setuid)
    }

    @Test func aSnapshotDescribesAsLookupsDo() throws {
        let dir = scratch()
        let volume = Volume(sidecar: try Sidecar(path: dir + "/meta.db"))
        touch(dir + "/a")
        touch(dir + "/b")
        let d = open(dir, O_PATH | O_DIRECTORY)
        defer { close(d) }
        try volume.created(dirfd: d, name: "a", Metadata(uid: 1, gid: 2, mode: 0o104755))
        let seen = volume.snapshot { s in ["a", "b", "missing"].map { s.describe(dirfd: d, name: $0)?.0 } }
        #expect(seen == [Metadata(uid: 1, gid: 2, mode: 0o104755), volume.metadata(dirfd: d, name: "b"), nil])
        // The lock and the read transaction are let go after it.
        try volume.created(dirfd: d, name: "b", Metadata(uid: 3, gid: 3, mode: 0o100600))
        #expect(volume.metadata(dirfd: d, name: "b")?.uid == 3)
    }

    @Test func aReusedInodeNumberDoesNotInheritARow() throws {
        let dir = scratch()
        let sidecar = try Sidecar(path: dir + "/meta.db")
        touch(dir + "/f")
        let d = open(dir, O_PATH | O_DIRECTORY)
        defer { close(d) }
        let (id, _) = try #require(FileIdentity.of(dirfd: d, name: "f"))
        #expect(id.birth != 0, "this filesystem keeps no birth times")
        // The same inode number with another birth time is another file.
        try sidecar.store(FileIdentity(inode: id.inode, birth: id.birth - 1), Metadata(uid: 0, gid: 0, mode: 0o104755))
        #expect(sidecar.lookup(id) == nil)
        #expect(Volume(sidecar: sidecar).metadata(dirfd: d, name: "f")?.mode == 0o100644)
    }

    @Test func defaultsAreRootWithTheHostMode() throws {
        let dir = scratch()
        let volume = Volume(sidecar: try Sidecar(path: dir + "/meta.db"))
        touch(dir + "/plain")
        chmod(dir + "/plain", 0o640)
        let d = open(dir, O_PATH | O_DIRECTORY)
        defer { close(d) }
        #expect(volume.metadata(dirfd: d, name: "plain") == Metadata(uid: 0, gid: 0, mode: 0o100640))
        // Storing the defaults keeps the sidecar empty.
        let f = openat(d, "plain", O_PATH)
        defer { close(f) }
        try volume.update(fd: f) { $0.uid = 0 }
        #expect(try volume.sidecar.allRows().isEmpty)
        try volume.update(fd: f) { $0.gid = 42 }
        #expect(try volume.sidecar.allRows().count == 1)
    }

    @Test func removalDropsTheRowOfTheLastLink() throws {
        let dir = scratch()
        let volume = Volume(sidecar: try Sidecar(path: dir + "/meta.db"))
        touch(dir + "/x")
        link(dir + "/x", dir + "/y")
        let d = open(dir, O_PATH | O_DIRECTORY)
        defer { close(d) }
        try volume.created(dirfd: d, name: "x", Metadata(uid: 7, gid: 7, mode: 0o100600))
        var done = volume.removal(dirfd: d, name: "x")
        unlinkat(d, "x", 0)
        done()
        #expect(volume.metadata(dirfd: d, name: "y")?.uid == 7, "a hard link remains")
        done = volume.removal(dirfd: d, name: "y")
        unlinkat(d, "y", 0)
        done()
        #expect(try volume.sidecar.allRows().isEmpty)
    }

    @Test func aBrokenSidecarFileIsAClearError() throws {
        let dir = scratch()
        try "this is not a database, it is text".write(toFile: dir + "/meta.db", atomically: true, encoding: .utf8)
        #expect(throws: VolFSError.self) { _ = try Sidecar(path: dir + "/meta.db") }
    }
}

/// pax records the tar fuzzer (scripts/fuzz.sh tar) found trapping the
/// reader: each is now "malformed", never a crash.
@Suite struct PaxRecordTests {
    @Test(arguments: [Array("01 a=b\n".utf8), Array("4 a=".utf8), Array("5 a=b".utf8), Array("3 =\n".utf8), Array("99 a=b\n".utf8)])
    func malformedRecordsAreErrors(_ data: [UInt8]) {
        #expect(throws: ArchiveError.self) { _ = try TarReader.paxRecords(data, at: 0) }
    }

    @Test func wellFormedRecordsParse() throws {
        let records = try TarReader.paxRecords(Array("11 path=ab\n16 linkpath=x/y\n".utf8), at: 0)
        #expect(records == ["path": "ab", "linkpath": "x/y"])
    }
}
