import FoundationEssentials
import Glibc
import PicoCore
import SyscallTable
import NinePServer
import SyscallTrace
import VolFS

/// `picorun [OPTIONS] PROGRAM [ARGS...]`: run a program under supervision.
enum RunCommand {
    static func run(_ args: [String]) -> Int32 {
        var index = 0
        var dispatcherOptions = Dispatcher.Options()
        var coveragePath: String?
        var rootfs: String?
        var user: String?
        var distro: String?
        var hostMounts: [DistroConfig.HostMount] = []
        var serve9P: String?
        func value(_ option: String) -> String {
            guard index + 1 < args.count else { fail("\(option) needs a value (try --help)", status: 2) }
            index += 1
            return args[index]
        }
        while index < args.count {
            let a = args[index]
            if a == "--" { index += 1; break }
            if !a.hasPrefix("-") || a == "-" { break }
            switch a {
            case "-h", "--help":
                print(Usage.main)
                exit(0)
            case "--version":
                print("picorun \(picorunVersion)")
                exit(0)
            case "--trace":
                dispatcherOptions.tracer = Tracer()
            case "--trace-all":
                dispatcherOptions.traceAll = true
                if dispatcherOptions.tracer == nil { dispatcherOptions.tracer = Tracer() }
            case "--coverage":
                coveragePath = value(a)
            case "--rootfs":
                rootfs = value(a)
            case "-u", "--user":
                user = value(a)
            case "-d", "--distribution":
                distro = value(a)
            case "--mount":
                hostMounts.append(parseMount(value(a)))
            case "--9p":
                serve9P = value(a)
            default:
                if a.hasPrefix("--trace=") {
                    do { dispatcherOptions.tracer = try Tracer(path: String(a.dropFirst(8))) } catch { fail(error.message, status: 2) }
                } else if a.hasPrefix("--coverage=") {
                    coveragePath = String(a.dropFirst(11))
                } else if a.hasPrefix("--rootfs=") {
                    rootfs = String(a.dropFirst(9))
                } else if a.hasPrefix("--mount=") {
                    hostMounts.append(parseMount(String(a.dropFirst(8))))
                } else if a.hasPrefix("--user=") {
                    user = String(a.dropFirst(7))
                } else {
                    fail("unknown option \(a) (try --help)", status: 2)
                }
            }
            index += 1
        }
        if let distro {
            if rootfs != nil { fail("-d and --rootfs name two roots; give one", status: 2) }
            rootfs = DistroCommands.existing(distro) + "/rootfs"
        } else if rootfs == nil && index >= args.count {
            // Plain `picorun`: a shell in the default distro, as `wsl` does.
            guard let name = DistroCommands.defaultName() else {
                fail("no default distro: install one with `picorun install debian` or `picorun import NAME TARBALL`, "
                     + "or run a program: picorun PROGRAM (try --help)", status: 2)
            }
            distro = name
            rootfs = DistroCommands.existing(name) + "/rootfs"
        }
        let login = distro != nil && index >= args.count
        if !login && index >= args.count { fail("no program given (try --help)", status: 2) }
        if let coveragePath, coveragePath.isEmpty { fail("--coverage needs a file name", status: 2) }
        if coveragePath != nil { dispatcherOptions.coverage = CoverageRecorder() }

        var loginEnvironment: [String]?
        var hostPathMounts: [(mount: DistroConfig.HostMount, guest: String)] = []
        var name = index < args.count ? args[index] : ""
        var guestArgv = index < args.count ? Array(args[index...]) : []
        let tree: GuestFileTree
        var initialCwd = "/"
        do {
            if let rootfs {
                tree = try GuestFileTree.distroTree(root: rootfs)
                var config = DistroConfig()
                if let distro {
                    do {
                        let (loaded, warnings) = try DistroConfig.load(DistroPaths.distro(distro) + "/picorun.conf")
                        config = loaded
                        for w in warnings { writeStderr("picorun: warning: \(w)\n") }
                    } catch {
                        fail(error.message, status: 2)
                    }
                }
                var choice = NetworkFiles.Choice()
                choice.hosts = config.generateHosts
                choice.resolvConf = config.generateResolvConf
                for warning in NetworkFiles.generate(in: tree, choice) { writeStderr("picorun: warning: \(warning)\n") }
                let automounts = config.automount ? config.mounts.map {
                    DistroConfig.HostMount(name: config.automountRoot + $0.name, host: $0.host,
                                           readOnly: $0.readOnly || config.automountReadOnly)
                } : []
                hostPathMounts = config.appendHostPath ? HostMounts.hostPath(ProcessInfo.processInfo.environment["PATH"]) : []
                for m in automounts + hostMounts + hostPathMounts.map(\.mount) { HostMounts.add(m, to: tree) }
                let volume = openVolume(rootfs: rootfs)
                tree.shareDirectoryChanges(volume.sidecar.counters.directories, keptBy: volume.sidecar.counters)
                if let warning = FileIdentity.birthTimeWarning(rootfs) { writeStderr("picorun: warning: \(warning)\n") }
                dispatcherOptions.volume = volume
                if let serve9P { startNineP(serve9P, rootfs: rootfs, volume: volume) }
                dispatcherOptions.hostname = config.hostname
                do { dispatcherOptions.credentials = try GuestUser.credentials(user ?? config.defaultUser, in: tree) } catch {
                    fail(error.message, status: 2)
                }
            } else {
                if user != nil { fail("--user needs a distro (--rootfs DIR): on the host tree the guest is you", status: 2) }
                if !hostMounts.isEmpty { fail("--mount needs a distro (-d NAME or --rootfs DIR)", status: 2) }
                if serve9P != nil { fail("--9p needs a distro (-d NAME or --rootfs DIR)", status: 2) }
                tree = try GuestFileTree.hostTree()
                initialCwd = FileManager.default.currentDirectoryPath
            }
        } catch {
            fail(error.message, status: 2)
        }
        if distro != nil, let k = dispatcherOptions.credentials {
            // A distro run gets the guest user's environment, as a login would.
            let account = GuestUser.account(uid: k.ruid, in: tree)
            loginEnvironment = GuestUser.environment(account, host: ProcessInfo.processInfo.environment,
                                                     appendPath: hostPathMounts.map(\.guest))
            if login {
                name = account.shell
                guestArgv = ["-" + (account.shell.split(separator: "/").last.map(String.init) ?? "sh")]
            }
            if tree.isDirectory(account.home) { initialCwd = account.home }
        }
        dispatcherOptions.fileTree = tree
        dispatcherOptions.initialCwd = initialCwd
        let caller = GuestFileTree.Caller(tgid: getpid(), tid: getpid(), cwd: initialCwd)
        let searchPath = loginEnvironment.flatMap { env in env.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } }
            ?? ProcessInfo.processInfo.environment["PATH"]
        guard let path = tree.locate(name, searchPath: searchPath, caller: caller) else {
            fail("\(name): command not found", status: 127)
        }
        let resolver = TreeResolver(tree: tree, caller: caller)
        let plan: ProgramResolver.ExecPlan
        do {
            let absolute = path.hasPrefix("/") ? path : GuestFileTree.normalize(initialCwd + "/" + path)
            plan = try ProgramResolver.plan(guestPath: path, execfn: Array(path.utf8), hostPath: resolver.hostPath,
                                            loaderPath: { p in p == path ? absolute : p })
        } catch {
            fail("\(path): \(error.reason)", status: error.shellStatus)
        }
        resolver.close()
        var request = plan.request
        if let k = dispatcherOptions.credentials {
            request.identity = AuxIdentity(uid: k.ruid, euid: k.euid, gid: k.rgid, egid: k.egid, secure: false)
        }
        // A script runs as its interpreter with the script's path in argv.
        let argv = plan.argvPrefix.isEmpty ? guestArgv
            : plan.argvPrefix.map { String(decoding: $0, as: UTF8.self) } + guestArgv.dropFirst()
        // Fail on an unwritable report before running anything.
        if let coveragePath, !FileManager.default.createFile(atPath: coveragePath, contents: nil) {
            fail("--coverage \(coveragePath): cannot create the file", status: 2)
        }

        let environment = loginEnvironment ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let dispatcher = Dispatcher(options: dispatcherOptions)
        var supervisorOptions = Supervisor.Options()
        supervisorOptions.startDirectory = rootfs
        let supervisor = Supervisor(handler: dispatcher, options: supervisorOptions)
        let status: Int32
        do {
            status = try supervisor.run(request, argv: argv, envp: loginEnvironment ?? environmentInOrder() ?? environment).shellStatus
        } catch {
            fail(error.message, status: 126)
        }
        if let coveragePath, let recorder = dispatcherOptions.coverage {
            let report = recorder.report(version: picorunVersion, program: path, argv: guestArgv, exitStatus: status)
            do {
                try ReportCommand.encode(report).write(to: URL(fileURLWithPath: coveragePath))
            } catch {
                fail("--coverage \(coveragePath): \("\(error)")", status: status == 0 ? 1 : status)
            }
        }
        return status
    }

    /// --9p ADDR: the distro served over 9P2000.L while the session runs,
    /// as WSL's init serves it; both see each other's changes at once.
    static func startNineP(_ listen: String, rootfs: String, volume: Volume) {
        guard let address = Server.Address(listen) else { fail("--9p \(listen): expected unix:PATH or tcp:HOST:PORT", status: 2) }
        do {
            let server = try Server(export: try Export(rootPath: rootfs, volume: volume, readOnly: false), address: address)
            _ = Feeder.start { server.run() }
        } catch {
            fail("--9p \(listen): \(error.message)", status: 2)
        }
    }

    /// HOST:GUEST[:ro] of --mount.
    static func parseMount(_ text: String) -> DistroConfig.HostMount {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var readOnly = false
        if parts.count == 3, parts[2] == "ro" || parts[2] == "rw" { readOnly = parts.removeLast() == "ro" }
        guard parts.count == 2, parts[0].hasPrefix("/"), parts[1].hasPrefix("/") else {
            fail("--mount \(text): expected HOST_DIR:GUEST_PATH[:ro] with absolute paths", status: 2)
        }
        return DistroConfig.HostMount(name: parts[1], host: parts[0], readOnly: readOnly)
    }

    /// The sidecar of a distro root, created on first use.
    static func openVolume(rootfs: String) -> Volume {
        let path = DistroPaths.sidecar(forRootfs: rootfs)
        do {
            try DistroPaths.makeDirectory(String(path[..<path.lastIndex(of: "/")!]))
            return Volume(sidecar: try Sidecar(path: path))
        } catch let error as CommandError {
            fail(error.message, status: 2)
        } catch let error as VolFSError {
            fail("metadata sidecar \(error.message)", status: 2)
        } catch {
            fail("\(path): \(error)", status: 2)
        }
    }

    /// The environment exactly as picorun got it (order and duplicates kept).
    static func environmentInOrder() -> [String]? {
        var out: [String] = []
        var p = environ
        while let s = p.pointee {
            out.append(String(cString: s))
            p += 1
        }
        return out
    }
}
