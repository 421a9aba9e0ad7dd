import FoundationEssentials
import Glibc
import PicoCore
import VolFS

/// Distro management in the spirit of wsl.exe: import, export, list,
/// unregister, set-default, install, fsck. A distro is a folder under the
/// picorun home: rootfs/, metadata.db (the sidecar), distro.conf.
enum DistroCommands {
    static func importDistro(_ args: [String]) -> Int32 {
        guard args.count == 2 else { fail("usage: picorun import NAME TARBALL|-", status: 2) }
        let name = args[0]
        let dir = prepareNew(name)
        let rootfs = dir + "/rootfs"
        do throws(any Error) {
            let volume = try openVolume(dir)
            let input = try ArchiveInput(path: args[1])
            let importer = try Importer(rootPath: rootfs, volume: volume)
            let progress = Progress(verb: "Importing", total: input.totalBytes)
            importer.onProgress = { n in progress.update(items: n, bytes: input.bytesConsumed) }
            do {
                try importer.run(input.reader)
            } catch {
                _ = try? input.finish()  // a decompressor's complaint explains a truncated stream best
                throw error
            }
            try input.finish()
            progress.done("Imported \(importer.entries) entries into \(name)")
            try register(name, dir: dir)
        } catch let error as ArchiveError {
            abandon(dir)
            fail("import \(name): \(args[1] == "-" ? "stdin" : args[1]): \(error.message)", status: 1)
        } catch let error as VolFSError {
            abandon(dir)
            fail("import \(name): \(error.message)", status: 1)
        } catch {
            abandon(dir)
            fail("import \(name): \(error)", status: 1)
        }
        return 0
    }

    static func exportDistro(_ args: [String]) -> Int32 {
        guard args.count == 2 else { fail("usage: picorun export NAME FILE|-", status: 2) }
        let (name, target) = (args[0], args[1])
        let dir = existing(name)
        let compression = target == "-" ? .none : Compression.forName(target)
        let temporary = target == "-" ? nil : target + ".picorun-partial"
        do throws(any Error) {
            let volume = try openVolume(dir)
            let file = temporary.map { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } ?? dup(1)
            guard file >= 0 else { fail("export: \(target): \(String(cString: strerror(errno)))", status: 1) }
            var sink = file
            var filter: pid_t = 0
            if compression != .none {
                var fds: [Int32] = [-1, -1]
                guard pipe(&fds) == 0 else { fail("export: pipe: \(String(cString: strerror(errno)))", status: 1) }
                _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
                _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
                filter = try compression.spawn(decompress: false, input: fds[0], output: file)
                close(fds[0])
                sink = fds[1]
            }
            let exporter = Exporter(volume: volume, output: sink)
            let progress = Progress(verb: "Exporting", total: nil)
            exporter.onProgress = { n in progress.update(items: n, bytes: nil) }
            try exporter.run(rootPath: dir + "/rootfs")
            if filter > 0 {
                close(sink)
                try compression.finish(filter)
            }
            guard fsync(file) == 0 || target == "-" else { throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))") }
            close(file)
            // Only a complete archive takes the name asked for.
            if let temporary, rename(temporary, target) != 0 {
                throw ArchiveError("cannot rename \(temporary) to \(target): \(String(cString: strerror(errno)))")
            }
            progress.done("Exported \(exporter.entries) entries from \(name)")
        } catch let error as ArchiveError {
            if let temporary { unlink(temporary) }
            fail("export \(name): \(error.message)", status: 1)
        } catch let error as VolFSError {
            if let temporary { unlink(temporary) }
            fail("export \(name): \(error.message)", status: 1)
        } catch {
            fail("export \(name): \(error)", status: 1)
        }
        return 0
    }

    static func list(_ args: [String]) -> Int32 {
        let verbose = args.contains("-v") || args.contains("--verbose")
        if let bad = args.first(where: { $0 != "-v" && $0 != "--verbose" }) { fail("list: unknown option \(bad)", status: 2) }
        let names = registered()
        let current = defaultName()
        if names.isEmpty {
            writeStderr("picorun: no distros yet; add one with `picorun install debian` or `picorun import NAME TARBALL`\n")
            return 0
        }
        if verbose { print("  NAME                 ROOTFS") }
        for n in names {
            let mark = n == current ? "*" : " "
            print(verbose ? "\(mark) \(n.padding(20)) \(DistroPaths.distro(n))/rootfs" : "\(n)\(n == current ? " (default)" : "")")
        }
        return 0
    }

    static func unregister(_ args: [String]) -> Int32 {
        guard args.count == 1 else { fail("usage: picorun unregister NAME", status: 2) }
        let dir = existing(args[0])
        abandon(dir)
        if defaultName() == args[0] { unlink(DistroPaths.home + "/default") }
        print("Unregistered \(args[0]); its files are deleted.")
        return 0
    }

    static func setDefault(_ args: [String]) -> Int32 {
        guard args.count == 1 else { fail("usage: picorun set-default NAME", status: 2) }
        _ = existing(args[0])
        do { try writeAtomically(DistroPaths.home + "/default", args[0] + "\n") } catch { fail(error.message, status: 1) }
        return 0
    }

    static func fsck(_ args: [String]) -> Int32 {
        let dryRun = args.contains("--dry-run") || args.contains("-n")
        let names = args.filter { !$0.hasPrefix("-") }
        guard names.count == 1 else { fail("usage: picorun fsck [--dry-run] NAME", status: 2) }
        let dir = existing(names[0])
        do {
            let volume = try openVolume(dir)
            let report = try Fsck.check(rootPath: dir + "/rootfs", volume: volume)
            print("\(names[0]): \(report.files) files, \(report.rows) sidecar rows")
            for id in report.orphaned { print("  row for inode \(id.inode): no such file (deleted outside picorun)") }
            for id in report.stale { print("  row for inode \(id.inode): the inode now belongs to a newer file") }
            for p in report.unreadable { print("  cannot read \(p)") }
            let bad = report.orphaned.count + report.stale.count
            if bad == 0 {
                print("  no row gives metadata to a file it does not belong to")
            } else if dryRun {
                print("  \(bad) rows match no file (--dry-run: not removed)")
                return 1
            } else {
                try Fsck.repair(report, volume: volume)
                print("  removed \(bad) rows that matched no file")
            }
            return report.unreadable.isEmpty ? 0 : 1
        } catch {
            fail("fsck \(names[0]): \(error.message)", status: 1)
        }
    }

    /// `picorun config NAME`: the effective configuration, and the file's problems.
    static func config(_ args: [String]) -> Int32 {
        guard args.count == 1 else { fail("usage: picorun config NAME", status: 2) }
        let path = existing(args[0]) + "/picorun.conf"
        do {
            let (config, warnings) = try DistroConfig.load(path)
            for w in warnings { writeStderr("picorun: warning: \(w)\n") }
            print("# \(args[0]): the effective configuration (\(path))")
            print(config.render(), terminator: "")
        } catch {
            fail(error.message, status: 2)
        }
        return 0
    }

    /// `picorun install debian`: Debian bookworm minbase made by the host's
    /// debootstrap, which needs root.
    static func install(_ args: [String]) -> Int32 {
        guard let what = args.first, args.count <= 2 else { fail("usage: picorun install debian [NAME]", status: 2) }
        guard what == "debian" else { fail("install: picorun can install `debian` (bookworm); for others use `picorun import`", status: 2) }
        let name = args.count == 2 ? args[1] : "debian"
        guard geteuid() == 0 else {
            fail("install: debootstrap needs root; run `sudo picorun install debian`, or import a rootfs tarball: "
                 + "`picorun import \(name) debian.tar.gz`", status: 1)
        }
        let candidates: [String] = ["/usr/sbin/debootstrap", "/usr/bin/debootstrap"]
        guard let debootstrap = candidates.first(where: { access($0, X_OK) == 0 }) else {
            fail("install: debootstrap is not installed (Debian: apt-get install debootstrap)", status: 1)
        }
        let dir = prepareNew(name)
        let status = runTool(debootstrap, ["--variant=minbase", "bookworm", dir + "/rootfs", "http://deb.debian.org/debian"])
        guard status == 0 else {
            abandon(dir)
            fail("install: debootstrap failed (status \(status))", status: 1)
        }
        do {
            _ = try openVolume(dir)
            try register(name, dir: dir)
        } catch {
            abandon(dir)
            fail("install: \(error)", status: 1)
        }
        print("Installed \(name): run it with `picorun -d \(name)`.")
        return 0
    }

    // MARK: helpers

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".") && !name.hasPrefix("-")
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// A fresh folder for distro `name`; a leftover of an interrupted
    /// import (no distro.conf) is cleared first.
    static func prepareNew(_ name: String) -> String {
        guard validName(name) else { fail("\(name): a distro name is letters, digits, '.', '_' and '-'", status: 2) }
        let dir = DistroPaths.distro(name)
        if FileManager.default.fileExists(atPath: dir + "/distro.conf") {
            fail("\(name): a distro of that name exists (picorun unregister \(name) removes it)", status: 1)
        }
        if FileManager.default.fileExists(atPath: dir) {
            writeStderr("picorun: \(name): clearing the remains of an interrupted import\n")
            abandon(dir)
        }
        do {
            try DistroPaths.makeDirectory(dir + "/rootfs")
        } catch {
            fail(error.message, status: 1)
        }
        return dir
    }

    static func existing(_ name: String) -> String {
        let dir = DistroPaths.distro(name)
        guard validName(name), FileManager.default.fileExists(atPath: dir + "/distro.conf") else {
            fail("\(name): no such distro (picorun list shows them)", status: 1)
        }
        return dir
    }

    static func openVolume(_ dir: String) throws(VolFSError) -> Volume {
        Volume(sidecar: try Sidecar(path: dir + "/metadata.db"))
    }

    /// Marks the distro complete; the first one becomes the default.
    static func register(_ name: String, dir: String) throws(CommandError) {
        if !FileManager.default.fileExists(atPath: dir + "/picorun.conf") {
            try writeAtomically(dir + "/picorun.conf", DistroConfig.template)
        }
        try writeAtomically(dir + "/distro.conf", "# picorun distro\nname = \(name)\n")
        if defaultName() == nil { try writeAtomically(DistroPaths.home + "/default", name + "\n") }
    }

    static func abandon(_ dir: String) {
        _ = runTool("/bin/rm", ["-rf", "--one-file-system", dir])
    }

    static func registered() -> [String] {
        let dir = DistroPaths.home + "/distros"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: dir + "/" + $0 + "/distro.conf") }.sorted()
    }

    static func defaultName() -> String? {
        guard let text = readSmallFile(DistroPaths.home + "/default") else { return nil }
        let name = text.trimmingCharacters(in: " \n\t")
        return name.isEmpty || !registered().contains(name) ? nil : name
    }

    static func writeAtomically(_ path: String, _ text: String) throws(CommandError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CommandError("\(tmp): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, path) == 0 else { throw CommandError("\(path): \(String(cString: strerror(errno)))") }
    }

    /// Runs a host tool with picorun's stdio; its exit status.
    static func runTool(_ path: String, _ args: [String]) -> Int32 {
        var pid: pid_t = 0
        let cargs = ([path] + args).map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        guard posix_spawn(&pid, path, nil, nil, cargs, environ) == 0 else { return 127 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }

    func trimmingCharacters(in set: String) -> String {
        String(Substring(self).trimmingCharacters(in: set))
    }
}

