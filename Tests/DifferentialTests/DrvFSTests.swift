import Foundation
import Glibc
import Testing

/// Host folders inside a distro with DrvFS's fixed modes, and the distro
/// config file that mounts them.
@Suite("DrvFS mounts and picorun.conf", .enabled(if: TestRootfs.path != nil))
struct DrvFSTests {
    func hostFolder() throws -> String {
        let dir = scratchDir()
        try FileManager.default.createDirectory(atPath: dir + "/w", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/ro", withIntermediateDirectories: true)
        try "hi\n".write(toFile: dir + "/w/file", atomically: false, encoding: .utf8)
        try "HOST-SECRET\n".write(toFile: dir + "/secret", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/w/rootlink", withDestinationPath: "/")
        try FileManager.default.createSymbolicLink(atPath: dir + "/w/up", withDestinationPath: "../secret")
        return dir
    }

    @Test func fixedModesChmodRoundTripReadOnlyAndEscapes() throws {
        let dir = try hostFolder()
        let script = """
            cd /mnt/work
            stat -c '%a %U:%G %n' file . rootlink
            chown 5 file; chown root file; chown 0:1 file
            chmod a-w file; stat -c '%a' file
            chmod u+w file; stat -c '%a' file
            chmod 600 file; stat -c '%a' file
            touch /mnt/ro/x
            mknod /mnt/work/dev c 1 3
            mkdir made && echo new > made/f && ln -s f made/l
            cat ../../../secret up rootlink/mnt/work/file 2>&1 | head -3
            ls -d ..
            """
        let r = run(Paths.picorun, ["--rootfs", TestRootfs.path!, "--mount", dir + "/w:/mnt/work", "--mount", dir + "/ro:/mnt/ro:ro",
                                    "/bin/sh", "-c", script], env: TestRootfs.guestEnvironment())
        #expect(r.stdout == """
            777 root:root file
            777 root:root .
            777 root:root rootlink
            555
            777
            777
            cat: ../../../secret: No such file or directory
            cat: up: No such file or directory
            hi
            ..

            """, "\(r)")
        #expect(r.stderr == """
            chown: changing ownership of 'file': Operation not permitted
            chown: changing ownership of 'file': Operation not permitted
            touch: cannot touch '/mnt/ro/x': Read-only file system
            mknod: /mnt/work/dev: Operation not permitted

            """, "\(r)")
        // The round trip moved the host's write bits; nothing else changed.
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/w/file")
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        // What the guest made belongs to the host user, with host-sane modes.
        for (path, mode) in [("/w/made", 0o755), ("/w/made/f", 0o644)] {
            var st = stat()
            #expect(lstat(dir + path, &st) == 0)
            #expect(st.st_uid == getuid() && Int(st.st_mode & 0o7777) == mode, "\(path): \(String(st.st_mode, radix: 8))")
        }
        // Another guest user sees itself as the owner.
        let nobody = run(Paths.picorun, ["--rootfs", TestRootfs.path!, "-u", "nobody", "--mount", dir + "/w:/mnt/work",
                                         "/usr/bin/stat", "-c", "%a %U", "/mnt/work/file"], env: TestRootfs.guestEnvironment())
        #expect(nobody.stdout == "777 nobody\n", "\(nobody)")
    }

    @Test(.enabled(if: getuid() == 0)) func configMountsUserHostnameAndPath() throws {
        let h = DistroHome()
        let base = h.home + "/base.tar"
        #expect(run("/bin/tar", ["-C", TestRootfs.path!, "--exclude=./tmp/*", "-cf", base, "."], env: baseEnvironment(), timeout: 300).status == 0)
        #expect(h.picorun(["import", "cfg", base]).status == 0)
        let dir = try hostFolder()
        let conf = h.home + "/distros/cfg/picorun.conf"
        #expect(FileManager.default.fileExists(atPath: conf), "import writes a commented template")
        try """
            [user]
            default = nobody
            [automount]
            root = /media/
            [mounts]
            work = \(dir)/w
            safe = \(dir)/ro:ro
            [network]
            hostname = picohost
            [interop]
            appendHostPath = true
            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let r = h.picorun(["-d", "cfg", "/bin/sh", "-c", "id -un; uname -n; cat /media/work/file; touch /media/safe/x; case :$PATH: in *:/mnt/host/usr/bin:*) echo host-path;; esac"])
        #expect(r.stdout == "nobody\npicohost\nhi\nhost-path\n", "\(r)")
        #expect(r.stderr == "touch: cannot touch '/media/safe/x': Read-only file system\n", "\(r)")
        let shown = h.picorun(["config", "cfg"])
        #expect(shown.status == 0 && shown.stdout.contains("[mounts]\nwork = \(dir)/w\nsafe = \(dir)/ro:ro\n"), "\(shown)")

        // Unknown keys are warnings with file and line; a broken line is an error.
        try "[network]\ngenerateHosts = false\nbogus = 1\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let warned = h.picorun(["config", "cfg"])
        #expect(warned.status == 0 && warned.stderr == "picorun: warning: \(conf):3: unknown key `bogus` in [network] (ignored)\n", "\(warned)")
        #expect(warned.stdout.contains("generateHosts = false"))
        try "[mounts]\nbad = relative/path\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let broken = h.picorun(["config", "cfg"])
        #expect(broken.status == 2 && broken.stderr == "picorun: \(conf):2: bad must be an absolute host folder, not `relative/path`\n", "\(broken)")
        try "[network]\ngenerateHosts = maybe\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let bad = h.picorun(["-d", "cfg", "/bin/true"])
        #expect(bad.status == 2 && bad.stderr == "picorun: \(conf):2: generateHosts is true or false, not `maybe`\n", "\(bad)")
        try "[network]\nthis line is broken\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let line = h.picorun(["config", "cfg"])
        #expect(line.status == 2 && line.stderr == "picorun: \(conf):2: expected `key = value` or `[section]`, not `this line is broken`\n", "\(line)")
    }
}
