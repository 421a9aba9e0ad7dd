import Foundation
import Glibc
import Testing

/// picorun import/export/list/set-default/unregister/fsck, each run against
/// a private picorun home.
struct DistroHome {
    let home: String

    init() {
        home = scratchDir()
        chmod(home, 0o777)
    }

    var env: [String: String] { baseEnvironment(["PICORUN_HOME": home]) }

    func picorun(_ args: [String], timeout: Double = 300) -> Outcome {
        run(Paths.picorun, args, env: env, timeout: timeout)
    }
}

/// `tar tvf` lines reduced to mode, owner, size/device, name, link target;
/// a hard link is shown as the file it links to (which of two names tar
/// calls the link depends on directory order), then sorted.
func tarListing(_ archive: String) -> [String] {
    let r = run("/bin/tar", ["--numeric-owner", "-tvf", archive], env: baseEnvironment())
    var sizes: [String: String] = [:]
    var rows: [[String]] = []
    for line in r.stdout.split(separator: "\n") {
        let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard f.count >= 6 else { continue }
        // perms owner/group size date time name [-> target | link to target]
        var row = [f[0], f[1], f[2], f[5]]
        if f.count > 7 { row.append(f[6...].joined(separator: " ")) }
        rows.append(row)
        if !f[0].hasPrefix("h") { sizes[f[5]] = f[2] }
    }
    return rows.map { row in
        var row = row
        if row[0].hasPrefix("h"), row.count > 4 {
            let target = String(row[4].dropFirst("link to ".count))
            row[0] = "-" + row[0].dropFirst()
            row[2] = sizes[target] ?? "?"
            row.removeLast()
        }
        return row.joined(separator: " ")
    }.sorted()
}

@Suite("Distro management")
struct DistroTests {
    /// A Debian minbase tarball made as root, imported by an unprivileged
    /// host user, exported again: the listings agree on everything.
    @Test(.enabled(if: TestRootfs.path != nil && getuid() == 0))
    func importExportRoundTripKeepsEveryOwnerAndMode() {
        let h = DistroHome()
        let original = h.home + "/original.tar.gz"
        let made = run("/bin/tar", ["-C", TestRootfs.path!, "--numeric-owner", "--exclude=./tmp/*", "-czf", original, "."], env: baseEnvironment())
        #expect(made.status == 0, "\(made)")
        chmod(original, 0o644)
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", Paths.picorun]
        let imported = run("/usr/bin/setpriv", asNobody + ["import", "deb", original], env: h.env, timeout: 600)
        #expect(imported.status == 0, "\(imported)")
        let exported = run("/usr/bin/setpriv", asNobody + ["export", "deb", h.home + "/exported.tar.gz"], env: h.env, timeout: 600)
        #expect(exported.status == 0, "\(exported)")
        let a = tarListing(original), b = tarListing(h.home + "/exported.tar.gz")
        #expect(a.count > 5000)
        #expect(a == b, "first difference: \(zip(a, b).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "lengths \(a.count) vs \(b.count)")")
        // Inside, the guest sees the tarball's owners, not the host user.
        let ls = run("/usr/bin/setpriv", asNobody + ["-d", "deb", "/bin/ls", "-l", "/usr/bin/passwd", "/etc/shadow"], env: h.env)
        let columns = ls.stdout.split(separator: "\n").map { $0.split(separator: " ").prefix(4).joined(separator: " ") }
        #expect(columns == ["-rw-r----- 1 root shadow", "-rwsr-xr-x 1 root root"], "\(ls)")
    }

    @Test func lifecycleListSetDefaultUnregister() throws {
        let h = DistroHome()
        let tarball = try TinyTarball.make(in: h.home)
        #expect(h.picorun(["list"]).stderr.contains("no distros yet"))
        for name in ["one", "two"] { #expect(h.picorun(["import", name, tarball]).status == 0) }
        #expect(h.picorun(["list"]).stdout == "one (default)\ntwo\n")
        #expect(h.picorun(["set-default", "two"]).status == 0)
        #expect(h.picorun(["list"]).stdout == "one\ntwo (default)\n")
        let again = h.picorun(["import", "one", tarball])
        #expect(again.status == 1 && again.stderr.contains("exists"), "\(again)")
        #expect(h.picorun(["unregister", "two"]).status == 0)
        #expect(h.picorun(["list"]).stdout == "one\n")
        #expect(!FileManager.default.fileExists(atPath: h.home + "/distros/two"))
        let bad = h.picorun(["import", "../x", tarball])
        #expect(bad.status == 2 && bad.stderr.hasPrefix("picorun: ../x:"), "\(bad)")
    }

    /// A tarball compressed every way import reads (gzip, xz, zstd, bzip2),
    /// and one on standard input, give the same distro: exports in the
    /// same compressions list the same entries as the plain import's.
    @Test func everyCompressionAndStdinImportTheSameDistro() throws {
        let h = DistroHome()
        let tarball = try TinyTarball.make(in: h.home)
        #expect(h.picorun(["import", "plain", tarball]).status == 0)
        #expect(h.picorun(["export", "plain", h.home + "/plain.tar"]).status == 0)
        let want = tarListing(h.home + "/plain.tar")
        #expect(want.count > 5, "\(want)")
        for (ext, tool) in [("gz", "gzip"), ("xz", "xz"), ("zst", "zstd"), ("bz2", "bzip2")] {
            let packed = h.home + "/tiny.tar." + ext
            let pack = run("/bin/sh", ["-c", "\(tool) -c < \"$1\" > \"$2\"", "sh", tarball, packed], env: baseEnvironment())
            #expect(pack.status == 0, "\(tool) is installed by scripts/test.sh: \(pack)")
            let imported = h.picorun(["import", ext, packed])
            #expect(imported.status == 0, "\(ext): \(imported)")
            let out = h.home + "/out.tar." + ext
            #expect(h.picorun(["export", ext, out]).status == 0)
            #expect(tarListing(out) == want, "\(ext)")
        }
        var env = h.env
        env["PICORUN"] = Paths.picorun
        env["TARBALL"] = tarball
        let piped = run("/bin/sh", ["-c", "xz -c < \"$TARBALL\" | \"$PICORUN\" import piped -"], env: env)
        #expect(piped.status == 0, "\(piped)")
        let toStdout = run("/bin/sh", ["-c", "\"$PICORUN\" export piped - > \"$PICORUN_HOME/piped.tar\""], env: env)
        #expect(toStdout.status == 0, "\(toStdout)")
        #expect(tarListing(h.home + "/piped.tar") == want)
    }

    /// Broken tarballs: one line saying what and where, a non-zero status,
    /// and no distro left behind.
    @Test(arguments: ["garbage", "truncated-gzip", "bad-checksum", "dotdot", "symlink-escape", "empty"])
    func brokenTarballsAreClearErrors(_ kind: String) throws {
        let h = DistroHome()
        let path = try TinyTarball.broken(kind, in: h.home)
        let r = h.picorun(["import", "broken", path])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.hasPrefix("picorun: import broken: "), "\(r)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: h.home + "/distros/broken"), "\(r)")
        for outside in [h.home + "/escaped", h.home + "/distros/escaped"] {
            #expect(!FileManager.default.fileExists(atPath: outside), "a member was written outside the distro")
        }
    }

    /// fsck finds and removes the row of a file deleted behind picorun's back.
    @Test func fsckRemovesRowsOfVanishedFiles() throws {
        let h = DistroHome()
        #expect(h.picorun(["import", "f", try TinyTarball.make(in: h.home)]).status == 0)
        #expect(h.picorun(["fsck", "f"]).stdout.contains("no row gives metadata"))
        // suid has a row (mode 4755); delete it on the host.
        try FileManager.default.removeItem(atPath: h.home + "/distros/f/rootfs/suid")
        let dry = h.picorun(["fsck", "--dry-run", "f"])
        #expect(dry.status == 1 && dry.stdout.contains("no such file"), "\(dry)")
        #expect(h.picorun(["fsck", "f"]).stdout.contains("removed 1 rows"))
        #expect(h.picorun(["fsck", "f"]).stdout.contains("no row gives metadata"))
    }
}

/// Small archives made with Python's tarfile (owners, modes, a device, a
/// hard link) and broken ones.
enum TinyTarball {
    static func python(_ script: String) throws {
        let r = run("/usr/bin/python3", ["-c", script], env: baseEnvironment())
        guard r.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["why": r.stderr]) }
    }

    static func make(in dir: String) throws -> String {
        let path = dir + "/tiny.tar"
        try python("""
            import tarfile, io
            t = tarfile.open('\(path)', 'w', format=tarfile.GNU_FORMAT)
            def add(name, kind=tarfile.REGTYPE, data=b'', mode=0o644, uid=0, gid=0, link='', major=0, minor=0):
                i = tarfile.TarInfo(name); i.type = kind; i.mode = mode; i.uid = uid; i.gid = gid
                i.size = len(data) if kind == tarfile.REGTYPE else 0; i.linkname = link; i.devmajor = major; i.devminor = minor
                i.mtime = 1700000000
                t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
            add('./', tarfile.DIRTYPE, mode=0o755)
            add('./bin', tarfile.DIRTYPE, mode=0o755)
            add('./bin/sh', data=b'#!/bin/false\\n', mode=0o755)
            add('./owned.txt', data=b'mine', mode=0o600, uid=1234, gid=99)
            add('./suid', data=b'x', mode=0o4755)
            add('./hard', tarfile.LNKTYPE, link='./owned.txt')
            add('./null', tarfile.CHRTYPE, mode=0o666, major=1, minor=3)
            add('./link', tarfile.SYMTYPE, link='/owned.txt')
            add('./etc', tarfile.DIRTYPE, mode=0o755)
            add('./etc/passwd', data=b'root:x:0:0:root:/root:/bin/sh\\nuser:x:1234:99::/:/bin/sh\\nnobody:x:65534:65534::/:/bin/sh\\n')
            add('./etc/group', data=b'root:x:0:\\nstaff:x:99:user\\n')
            add('./' + 'd' * 120 + '/f', data=b'long')
            t.close()
            """)
        return path
    }

    static func broken(_ kind: String, in dir: String) throws -> String {
        let path = dir + "/broken-\(kind)"
        switch kind {
        case "garbage":
            try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }).write(to: URL(fileURLWithPath: path))
        case "empty":
            try Data().write(to: URL(fileURLWithPath: path))
        case "truncated-gzip":
            let tiny = try make(in: dir)
            _ = run("/bin/sh", ["-c", "gzip -c '\(tiny)' | head -c 300 > '\(path)'"], env: baseEnvironment())
        case "bad-checksum":
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try make(in: dir))))
            bytes[600] ^= 0x55  // inside the second header
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        case "dotdot":
            try python("""
                import tarfile, io
                t = tarfile.open('\(path)', 'w')
                i = tarfile.TarInfo('../../escaped'); i.size = 3
                t.addfile(i, io.BytesIO(b'bad')); t.close()
                """)
        default:  // a symlink out, then a file written through it
            try python("""
                import tarfile, io
                t = tarfile.open('\(path)', 'w')
                s = tarfile.TarInfo('out'); s.type = tarfile.SYMTYPE; s.linkname = '\(dir)'
                t.addfile(s)
                i = tarfile.TarInfo('out/escaped'); i.size = 3
                t.addfile(i, io.BytesIO(b'bad')); t.close()
                """)
        }
        return path
    }
}
