import CPicoLinux
import FileNames
import Glibc
import LinuxABI
import PicoCore
import Synchronization
import VolFS

/// execve(2) and execveat(2): every new image goes through picorun's loader.
/// The supervisor validates the program as the kernel would (so errors come
/// back as the kernel's errnos, with the old image intact), then rewrites the
/// call into execve(stub, argv, envp); the exec stop starts the loader.
enum Exec {
    static let sysExecve: UInt64 = 59


    /// Execve implements Linux syscall execve(2).
    static func execve(_ c: GuestCall) -> Outcome {
        start(c, dirfd: AT_FDCWD, pathAddress: c.arg(0), argv: c.arg(1), envp: c.arg(2), flags: 0)
    }

    /// Execveat implements Linux syscall execveat(2).
    static func execveat(_ c: GuestCall) -> Outcome {
        start(c, dirfd: Int32(truncatingIfNeeded: c.arg(0)), pathAddress: c.arg(1), argv: c.arg(2), envp: c.arg(3),
              flags: c.arg(4))
    }

    /// A failed exec returns to the old image, which keeps running.
    static func execExit(_ c: GuestCall, result: Int64) -> Int64 {
        c.task.loading = nil
        _ = c.kernel.pendingCredentials.withLock { $0.removeValue(forKey: c.task.process.tgid) }
        return result
    }

    static func fail(_ e: LinuxErrno) -> Outcome { .value(-Int64(e.rawValue)) }

    static func start(_ c: GuestCall, dirfd: Int32, pathAddress: UInt64, argv: UInt64, envp: UInt64,
                      flags: UInt64) -> Outcome {
        guard flags & ~(UInt64(AT_EMPTY_PATH) | UInt64(AT_SYMLINK_NOFOLLOW)) == 0 else { return fail(.EINVAL) }
        let guestPath: [UInt8]
        do { guestPath = try c.tracee.readCString(at: pathAddress, limit: Int(PATH_MAX) - 1) } catch { return fail(error.errno) }
        let tid = c.tracee.tid
        let path = FileNames.string(guestPath)
        guard let tree = c.kernel.tree else { return hostExec(c, dirfd: dirfd, guestPath: guestPath, flags: flags, argv: argv, envp: envp) }
        var execfn = guestPath
        let caller = c.processes.caller(tid)
        var loaderTop: String? = nil
        var start = caller.cwd
        // fexecve: the fd's own file, whatever it is (a memfd, a deleted
        // file), never a path looked up again.
        var held: Int32? = nil
        defer { if let held { close(held) } }
        if guestPath.isEmpty {
            guard flags & UInt64(AT_EMPTY_PATH) != 0 else { return fail(.ENOENT) }
            let copy = pico_pidfd_getfd(tid, dirfd)
            guard copy >= 0 else { return fail(.EBADF) }
            held = Int32(copy)
            execfn = Array("/dev/fd/\(dirfd)".utf8)
            loaderTop = FileNames.string(execfn)
        } else if !path.hasPrefix("/") && dirfd != AT_FDCWD {
            guard let base = guestDirectoryOrFile(fd: dirfd, tid: tid, tree: tree) else { return fail(.EBADF) }
            start = base
            loaderTop = GuestFileTree.normalize(base + "/" + path)
            execfn = FileNames.bytes("/dev/fd/\(dirfd)/\(path)")
        }
        let credentials = c.processes.credentials(tid)
        let search = Permissions.searchCheck(volume: c.kernel.volume, credentials: credentials)
        let follow = Permissions.followCheck(volume: c.kernel.volume, processes: c.processes, tid: tid)
        var resolverCaller = GuestFileTree.Caller(tgid: caller.tgid, tid: tid, cwd: start, root: caller.root, maySearch: search, mayFollow: follow)
        resolverCaller.identity = Permissions.searchIdentity(volume: c.kernel.volume, credentials: credentials, processes: c.processes, tid: tid)
        let resolver = TreeResolver(tree: tree, caller: resolverCaller)
        defer { resolver.close() }
        // The walks below name paths as the caller does, under its root.
        let top = loaderTop.map(caller.visible) ?? path
        if flags & UInt64(AT_SYMLINK_NOFOLLOW) != 0 {
            if let w = try? tree.walk(FileNames.bytes(top), caller: resolver.caller, followFinal: false) {
                var st = stat()
                let isLink = w.exists && fstat(w.object, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK
                w.close()
                if isLink { return fail(.ELOOP) }
            }
        }
        var plan: ProgramResolver.ExecPlan
        func makePlan() throws(ExecFailure) -> ProgramResolver.ExecPlan? {
            try ProgramResolver.plan(guestPath: top, execfn: execfn,
                                            hostPath: { p throws(ExecFailure) in
                                                if let held, p == top { return "/proc/self/fd/\(held)" }
                                                return try resolver.hostPath(p)
                                            },
                                            loaderPath: { p in
                                                // Its name in the loader's messages: as the caller names it, under its root.
                                                GuestFileTree.normalize(p.hasPrefix("/") ? p : caller.visible(GuestFileTree.normalize(start + "/" + p)))
                                            })
        }
        // On the host tree the kernel judges the exec by the caller's own
        // identity (HostIdentity), as it judges the guest's own execve.
        let who = c.kernel.volume == nil ? c.processes.hostIdentity(tid) : nil
        do throws(ExecFailure) {
            let made: ProgramResolver.ExecPlan?
            if let who { made = try who.perform({ () throws(ExecFailure) in try makePlan() }, refused: { nil }) } else { made = try makePlan() }
            guard let made else { return fail(.EPERM) }
            plan = made
        } catch {
            return fail(error.errno)
        }
        if let volume = c.kernel.volume {
            switch identity(after: plan, credentials: credentials, volume: volume) {
            case .failure(let e): return fail(e.errno)
            case .success(let next):
                plan.request.identity = AuxIdentity(uid: next.ruid, euid: next.euid, gid: next.rgid, egid: next.egid,
                                               secure: next.isSecureExec)
                var st = stat()
                if (next.euid != credentials.euid || next.egid != credentials.egid) && stat(plan.programOpenPath, &st) == 0 {
                    plan.request.privilegedFile = (UInt64(st.st_dev), UInt64(st.st_ino))
                }
                c.kernel.pendingCredentials.withLock { $0[caller.tgid] = next }
            }
        }
        return rewrite(c, plan: plan, argv: argv, envp: envp)
    }

    /// The caller's credentials once the exec succeeds: the program's
    /// setuid/setgid bits (not a script's) from the sidecar, the saved ids
    /// following the effective ones; EACCES when the sidecar's mode denies
    /// execution to this guest.
    static func identity(after plan: ProgramResolver.ExecPlan, credentials k: Credentials, volume: Volume) -> Result<Credentials, TraceeError> {
        // The file the plan read, by the supervisor's own name for it: the
        // guest's path means nothing on the host.
        let fd = open(plan.programOpenPath, O_PATH | O_CLOEXEC)
        guard fd >= 0 else { return .success(k.afterExec(owner: (0, 0), mode: 0, fileCaps: nil)) }
        defer { close(fd) }
        guard let meta = volume.metadata(fd: fd) else { return .success(k.afterExec(owner: (0, 0), mode: 0, fileCaps: nil)) }
        if let e = Rulebook.mayAccess(meta, k.fileCaller, Permissions.execute) { return .failure(TraceeError(e)) }
        // A script's setuid bits and capabilities count for nothing.
        var next = plan.argvPrefix.isEmpty ? k.afterExec(owner: (meta.uid, meta.gid), mode: meta.mode, fileCaps: fileCapabilities(fd))
            : k.afterExec(owner: (meta.uid, meta.gid), mode: 0, fileCaps: nil)
        // fs/exec.c:would_dump(): a program its caller may not read gives
        // a process that is not dumpable, so no tracer reads it either.
        if Rulebook.mayAccess(meta, k.fileCaller, Permissions.read) != nil { next.dumpable = 0 }
        return .success(next)
    }

    /// The program's security.capability (setcap's), where the host keeps it.
    static func fileCapabilities(_ fd: Int32) -> FileCapabilities? {
        var buf = [UInt8](repeating: 0, count: 24)
        let n = buf.withUnsafeMutableBytes { CPicoLinux.getxattr("/proc/self/fd/\(fd)", XattrNames.host("security.capability"), $0.baseAddress, $0.count) }
        return n > 0 ? FileCapabilities(xattr: Array(buf[0..<n])) : nil
    }

    /// Turns the call into execve(stub, argv', envp) and arms the loader.
    static func rewrite(_ c: GuestCall, plan: ProgramResolver.ExecPlan, argv: UInt64, envp: UInt64) -> Outcome {
        let stub: String
        do {
            if let known = c.kernel.stubPath.withLock({ $0 }) {
                stub = known
            } else {
                stub = try StubImage.installedPath()
                c.kernel.stubPath.withLock { $0 = stub }
            }
        } catch {
            writeStderr("picorun: \(error.message)\n")
            return fail(.ENOEXEC)
        }
        // The stub's path (and a script's new argv) go below the red zone of
        // the guest's stack: dead memory at a syscall, gone once exec succeeds.
        var scratch = ScratchWriter(top: (c.registers.rsp - 256) & ~15, tracee: c.tracee)
        do {
            let stubAddress = try scratch.push(Array(stub.utf8) + [0])
            var newArgv = argv
            if !plan.argvPrefix.isEmpty {
                let rest = try argvTail(argv, tracee: c.tracee)
                var pointers: [UInt64] = []
                for word in plan.argvPrefix { pointers.append(try scratch.push(word + [0])) }
                newArgv = try scratch.pushWords(pointers + rest + [0])
            }
            c.registers.orig_rax = sysExecve
            c.setArg(0, stubAddress)
            c.setArg(1, newArgv)
            c.setArg(2, envp)
        } catch {
            return fail(error.errno)
        }
        c.task.loading = .awaitingExec(plan.request)
        return .rewritten
    }

    /// The guest path of what an fd is open on, if it is inside the tree.
    static func guestDirectoryOrFile(fd: Int32, tid: pid_t, tree: GuestFileTree) -> String? {
        guard fd >= 0, let host = GuestFileTree.linkTarget("/proc/\(tid)/fd/\(fd)") else { return nil }
        return tree.guestPath(ofHost: host)
    }

    /// Exec without a guest file tree (unit tests of the table): host paths.
    static func hostExec(_ c: GuestCall, dirfd: Int32, guestPath: [UInt8], flags: UInt64, argv: UInt64, envp: UInt64) -> Outcome {
        let path = FileNames.string(guestPath)
        guard !path.isEmpty, path.hasPrefix("/") || dirfd == AT_FDCWD else { return fail(.ENOENT) }
        let plan: ProgramResolver.ExecPlan
        do {
            plan = try ProgramResolver.plan(guestPath: path, execfn: guestPath,
                                            hostPath: { p in p.hasPrefix("/") ? p : "/proc/\(c.tracee.tid)/cwd/\(p)" })
        } catch {
            return fail(error.errno)
        }
        return rewrite(c, plan: plan, argv: argv, envp: envp)
    }

    /// argv[1...] of the guest's argv array (the pointers), for a script's
    /// new argv. The kernel's limit on argument count bounds the walk.
    static func argvTail(_ argv: UInt64, tracee: Tracee) throws(TraceeError) -> [UInt64] {
        guard argv != 0 else { return [] }
        var out: [UInt64] = []
        var a = argv + 8
        if try tracee.readWord(at: argv) == 0 { return [] }
        while out.count < 0x7fff_ffff / 8 {
            let p = try tracee.readWord(at: a)
            if p == 0 { return out }
            out.append(p)
            a += 8
        }
        throw TraceeError(.E2BIG)
    }
}
