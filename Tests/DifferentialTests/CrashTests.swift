import Foundation
import Glibc
import Testing

/// The sidecar survives `kill -9` of picorun at any instant: a guest `tar`
/// extracts 10,000 files with assorted owners and setuid bits, picorun is
/// killed at a random moment, 20 times; then fsck, and every file that
/// exists shows either its owner from the archive or, if the kill came
/// before tar's chown, root's: never another file's.
@Suite("The sidecar survives kill -9", .enabled(if: TestRootfs.path != nil && getuid() == 0))
struct CrashTests {
    @Test func killDuringExtractionTwentyTimes() throws {
        let h = DistroHome()
        let base = h.home + "/base.tar"
        let made = run("/bin/tar", ["-C", TestRootfs.path!, "--exclude=./tmp/*", "-cf", base, "."], env: baseEnvironment(), timeout: 300)
        #expect(made.status == 0, "\(made)")
        let imported = h.picorun(["import", "crash", base])
        #expect(imported.status == 0, "\(imported)")
        let rootfs = h.home + "/distros/crash/rootfs"
        // 10,000 files in 100 folders; owner, group and mode follow the index.
        let python = """
            import tarfile, io
            t = tarfile.open('\(rootfs)/big.tar', 'w')
            for d in range(100):
                i = tarfile.TarInfo('d%03d' % d); i.type = tarfile.DIRTYPE; i.mode = 0o755
                t.addfile(i)
                for f in range(100):
                    n = d * 100 + f
                    i = tarfile.TarInfo('d%03d/f%05d' % (d, n)); i.size = 6
                    i.uid = 1000 + n % 50; i.gid = 2000 + n % 7; i.mode = 0o4755 if n % 13 == 0 else 0o640
                    t.addfile(i, io.BytesIO(b'%06d' % n))
            t.close()
            """
        #expect(run("/usr/bin/python3", ["-c", python], env: baseEnvironment()).status == 0)
        let extract = "rm -rf /x && mkdir /x && tar -xpf /big.tar -C /x"
        let rounds = """
            for i in $(seq 20); do
              "$PICORUN" -d crash /bin/sh -c '\(extract)' & pid=$!
              sleep $(awk -v r=$RANDOM 'BEGIN { print 0.05 + (r % 30) / 10 }')
              kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
            done
            exit 0
            """
        var env = h.env
        env["PICORUN"] = Paths.picorun
        let killed = run("/bin/bash", ["-c", rounds], env: env, timeout: 1200)
        #expect(killed.status == 0, "\(killed)")

        let fsck = h.picorun(["fsck", "crash"])
        #expect(fsck.status == 0, "\(fsck)")
        #expect(fsck.stdout.contains("no row gives metadata") || fsck.stdout.contains("removed"), "\(fsck)")
        #expect(h.picorun(["fsck", "--dry-run", "crash"]).stdout.contains("no row gives metadata"))

        let listing = h.picorun(["-d", "crash", "/usr/bin/find", "/x", "-type", "f", "-printf", "%f %U %G %m\\n"])
        #expect(listing.status == 0, "\(listing)")
        var wrong: [String] = []
        for line in listing.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 4, let n = Int(f[0].dropFirst()) else { wrong.append(String(line)); continue }
            let owner = "\(f[1]):\(f[2])"
            let setuid = f[3].count == 4 && f[3].hasPrefix("4")
            if owner != "\(1000 + n % 50):\(2000 + n % 7)" && (owner != "0:0" || setuid) { wrong.append(String(line)) }
        }
        #expect(wrong.isEmpty, "files with metadata that is not theirs: \(wrong.prefix(10))")

        // And once to the end: every owner and mode is the archive's.
        let full = h.picorun(["-d", "crash", "/bin/sh", "-c", extract + " && find /x -type f | wc -l"], timeout: 600)
        #expect(full.stdout == "10000\n", "\(full)")
        let after = h.picorun(["-d", "crash", "/usr/bin/find", "/x", "-type", "f", "-printf", "%f %U %G %m\\n"])
        let mismatched = after.stdout.split(separator: "\n").filter { line in
            let f = line.split(separator: " ")
            guard f.count == 4, let n = Int(f[0].dropFirst()) else { return true }
            return "\(f[1]):\(f[2]) \(f[3])" != "\(1000 + n % 50):\(2000 + n % 7) \(n % 13 == 0 ? "4755" : "640")"
        }
        #expect(mismatched.isEmpty, "\(mismatched.prefix(10))")
    }
}
