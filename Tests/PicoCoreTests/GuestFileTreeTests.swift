import Foundation
import Glibc
import LinuxABI
import Testing
@testable import PicoCore

/// A scratch rootfs with a few files, symlinks and a sibling "host secret"
/// directory that no guest path may reach.
final class ScratchTree {
    let base: String
    var root: String { base + "/root" }
    var secret: String { base + "/secret" }

    init() throws {
        base = "/tmp/picorun-tree-\(UUID().uuidString)"
        let fm = FileManager.default
        for d in ["root/etc", "root/usr/bin", "root/home/user", "root/proc", "root/mnt/data", "secret"] {
            try fm.createDirectory(atPath: base + "/" + d, withIntermediateDirectories: true)
        }
        try "guest passwd\n".write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try "host secret\n".write(toFile: secret + "/key", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/bin", withDestinationPath: "usr/bin")
        try fm.createSymbolicLink(atPath: root + "/home/user/abs-etc", withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: root + "/home/user/up", withDestinationPath: "../../../../../..")
        try fm.createSymbolicLink(atPath: root + "/home/user/to-secret", withDestinationPath: secret)
        try fm.createSymbolicLink(atPath: root + "/home/user/rel-secret", withDestinationPath: "../../../secret/key")
        try fm.createSymbolicLink(atPath: root + "/loop", withDestinationPath: "loop")
        try "tool".write(toFile: root + "/usr/bin/tool", atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }
}

func contents(_ w: GuestFileTree.Walk) -> String? {
    guard w.exists else { return nil }
    let fd = open("/proc/self/fd/\(w.object)", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buf = [UInt8](repeating: 0, count: 256)
    let n = read(fd, &buf, 256)
    return n >= 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
}

@Suite struct GuestFileTreeTests {
    let caller = GuestFileTree.Caller(tgid: getpid(), tid: getpid(), cwd: "/home/user")

    func walk(_ t: GuestFileTree, _ p: String, follow: Bool = true) throws(TraceeError) -> GuestFileTree.Walk {
        try t.walk(Array(p.utf8), caller: caller, followFinal: follow)
    }

    @Test func resolvesAbsoluteRelativeAndSymlinks() throws {
        let s = try ScratchTree()
        let t = try GuestFileTree(root: s.root)
        for p in ["/etc/passwd", "../../etc/passwd", "abs-etc/passwd", "/home/user/./abs-etc/../etc/passwd", "//etc//passwd"] {
            let w = try walk(t, p)
            defer { w.close() }
            #expect(contents(w) == "guest passwd\n", "\(p)")
            #expect(w.guestPath == "/etc/passwd", "\(p)")
        }
        let bin = try walk(t, "/bin/tool")
        #expect(bin.guestPath == "/usr/bin/tool")
        bin.close()
    }

    /// Every way up or out lands inside the root.
    @Test(arguments: ["/../../../../secret/key", "../../../../secret/key", "up/secret/key", "/home/user/up/etc/passwd",
                      "to-secret/key", "rel-secret", "/..", "up"])
    func nothingEscapes(path: String) throws {
        let s = try ScratchTree()
        let t = try GuestFileTree(root: s.root)
        do {
            let w = try walk(t, path)
            defer { w.close() }
            #expect(contents(w) != "host secret\n", "\(path) reached the host secret")
            if w.exists, let host = GuestFileTree.fdPath(w.object) {
                #expect(host == s.root || host.hasPrefix(s.root + "/"), "\(path) resolved to \(host)")
            }
        } catch {
            #expect(error.errno == .ENOENT, "\(path): \(error.errno)")
        }
    }

    @Test func dotDotAtTheRootStaysAtTheRoot() throws {
        let s = try ScratchTree()
        let t = try GuestFileTree(root: s.root)
        let w = try walk(t, "/../..")
        defer { w.close() }
        #expect(w.guestPath == "/")
        #expect(GuestFileTree.fdPath(w.object) == s.root)
        #expect(GuestFileTree.fdPath(w.parent) == s.root, "the root's parent is the root")
    }

    @Test func errorsAreLinuxs() throws {
        let s = try ScratchTree()
        let t = try GuestFileTree(root: s.root)
        #expect(throws: TraceeError(.ELOOP)) { try walk(t, "/loop") }
        #expect(throws: TraceeError(.ENOTDIR)) { try walk(t, "/etc/passwd/x") }
        #expect(throws: TraceeError(.ENOENT)) { try walk(t, "/nope/x") }
        #expect(throws: TraceeError(.ENOENT)) { try walk(t, "") }
        #expect(throws: TraceeError(.ENAMETOOLONG)) { try walk(t, "/" + String(repeating: "a", count: 300)) }
        let missing = try walk(t, "/etc/new-file")
        #expect(!missing.exists && missing.name == "new-file" && missing.parentGuestPath == "/etc")
        missing.close()
        let link = try walk(t, "/loop", follow: false)
        #expect(link.exists && link.name == "loop")
        link.close()
    }

    /// A mount shows a host directory; ".." from inside it goes back to the
    /// guest's parent, not the host's.
    @Test func mountsAndDotDotAcrossThem() throws {
        let s = try ScratchTree()
        let t = try GuestFileTree(root: s.root)
        try t.mount(guest: "/mnt/data", host: s.secret)
        let w = try walk(t, "/mnt/data/key")
        #expect(contents(w) == "host secret\n")
        w.close()
        let up = try walk(t, "/mnt/data/../../etc/passwd")
        #expect(contents(up) == "guest passwd\n")
        up.close()
        #expect(t.guestPath(ofHost: s.secret + "/key") == "/mnt/data/key")
        #expect(t.guestPath(ofHost: s.root + "/etc") == "/etc")
        #expect(t.guestPath(ofHost: "/etc/shadow") == nil)
    }

    /// /proc/self is the caller's, and magic links answer with guest paths
    /// or not at all.
    @Test func procSelfAndMagicLinks() throws {
        let s = try ScratchTree()
        let t = try GuestFileTree(root: s.root)
        try t.mount(guest: "/proc", host: "/proc")
        let status = try walk(t, "/proc/self/status")
        #expect(contents(status)?.contains("Pid:\t\(getpid())") == true)
        status.close()
        // Our cwd (the test's) is outside the root: following it must fail.
        #expect(throws: TraceeError(.EACCES)) { try walk(t, "/proc/self/cwd/etc/passwd") }
        // An fd to a file outside the root is not a way out either.
        let outside = open(s.secret + "/key", O_RDONLY | O_CLOEXEC)
        defer { close(outside) }
        #expect(throws: TraceeError(.EACCES)) { try walk(t, "/proc/self/fd/\(outside)") }
        // An fd to a file inside the root resolves to its guest path.
        let inside = open(s.root + "/etc/passwd", O_RDONLY | O_CLOEXEC)
        defer { close(inside) }
        let w = try walk(t, "/proc/self/fd/\(inside)")
        #expect(w.guestPath == "/etc/passwd" && contents(w) == "guest passwd\n")
        w.close()
    }
}

@Suite struct NormalizeTests {
    @Test(arguments: [("/", "/"), ("/a/b", "/a/b"), ("//a//b/", "/a/b"), ("/a/./b", "/a/b"), ("/a/../b", "/b"), ("/..", "/"),
                      ("/a/.", "/a"), ("/a/..", "/"), ("/a/...", "/a/..."), ("/.x/..y", "/.x/..y"), ("a/b", "/a/b"), ("", "/")])
    func normalizes(_ c: (String, String)) {
        #expect(GuestFileTree.normalize(c.0) == c.1)
        #expect(GuestFileTree.isNormal(c.1))
    }
}

/// The *at fast path: a relative walk that starts at the dirfd's own
/// directory. Whatever needs the directory's ancestors must fall back to
/// the full walk (needsFullWalk), never resolve against the host.
@Suite struct FromDirectoryTests {
    let caller = GuestFileTree.Caller(tgid: getpid(), tid: getpid(), cwd: "/")

    func fromHome(_ t: GuestFileTree, _ s: ScratchTree, _ p: String) throws(TraceeError) -> GuestFileTree.Walk {
        let fd = open(s.root + "/home/user", O_PATH | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        return try t.walk(Array(p.utf8), caller: caller, followFinal: true, resolve: .fromDirectory,
                          base: GuestFileTree.Base(fd: fd, guestPath: "/home/user", mount: t.root))
    }

    @Test func relativeNamesResolveFromTheDirectory() throws {
        let s = try ScratchTree()
        let t = try GuestFileTree(root: s.root)
        try "note".write(toFile: s.root + "/home/user/note", atomically: true, encoding: .utf8)
        let w = try fromHome(t, s, "note")
        defer { w.close() }
        #expect(contents(w) == "note")
        #expect(w.guestPath == "/home/user/note")
    }

    @Test(arguments: ["..", "../../etc/passwd", "abs-etc/passwd", "up/secret/key", "to-secret/key", "rel-secret"])
    func whatNeedsTheAncestorsFallsBack(_ p: String) throws {
        let s = try ScratchTree()
        let t = try GuestFileTree(root: s.root)
        do {
            let w = try fromHome(t, s, p)
            w.close()
            Issue.record("\(p) resolved from the directory alone")
        } catch {
            #expect(error.errno == GuestFileTree.needsFullWalk.errno, "\(p): \(error.errno)")
        }
    }

    @Test func aMountedHomeDoesNotClaimTheRootfsInsideIt() throws {
        let s = try ScratchTree()
        let t = try GuestFileTree(root: s.root)
        try t.mount(guest: "/mnt/data", host: s.base, kind: .drvfs)
        #expect(t.guestPath(ofHost: s.root + "/etc") == "/etc")
        #expect(t.mount(ofHost: s.root + "/etc")?.guestPath == "/")
        #expect(t.guestPath(ofHost: s.secret + "/key") == "/mnt/data/secret/key")
        #expect(t.guestPath(ofHost: "/usr") == nil)
    }
}
