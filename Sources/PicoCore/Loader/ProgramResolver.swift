import FileNames
import Glibc

/// Why a program cannot be exec'd, before any process is touched: the errno
/// execve(2) would return and one line for a human.
public struct ExecFailure: Error, CustomStringConvertible {
    public let errno: LinuxErrno
    public let reason: String
    public init(_ errno: LinuxErrno, _ reason: String) {
        self.errno = errno
        self.reason = reason
    }
    public var description: String { reason }
    /// The status a shell reports when it cannot run a command.
    public var shellStatus: Int32 { errno == .ENOENT ? 127 : 126 }
}

/// Finds, opens and validates a program and its interpreter as execve(2)
/// would, on the host file tree.
public enum ProgramResolver {
    /// `name` as a shell finds it: a path if it has a slash, else the first
    /// executable regular file of that name in `searchPath`.
    public static func locate(_ name: String, searchPath: String?) -> String? {
        if name.contains("/") { return name }
        for dir in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            var st = stat()
            if stat(candidate, &st) == 0, st.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// What an exec will run: the ELF program (after following `#!` lines)
    /// and, for scripts, the words that replace argv[0].
    public struct ExecPlan: Sendable {
        public var request: LoadRequest
        /// Where the supervisor read the ELF program (its own path for the
        /// file, not the guest's): what its setuid bits are read from.
        public let programOpenPath: String
        /// Empty for an ELF program; for a script, `[interpreter, optional
        /// argument, script path]` (nested for scripts run by scripts).
        public let argvPrefix: [[UInt8]]
    }

    /// The kernel's BINPRM_BUF_SIZE: how much of a `#!` line counts.
    static let shebangLimit = 256
    /// The kernel gives up after this many nested interpreters (ELOOP).
    static let maxScriptDepth = 4

    /// Plans an exec of `guestPath` as execve(2) would. `hostPath` maps a
    /// path as the guest names it to where the supervisor opens it; the
    /// loader stub opens the guest path itself, in the guest's cwd.
    public static func plan(guestPath: String, execfn: [UInt8], hostPath: (String) throws(ExecFailure) -> String,
                            loaderPath: (String) -> String = { $0 }) throws(ExecFailure) -> ExecPlan {
        var current = guestPath
        var prefix: [[UInt8]] = []
        for _ in 0...maxScriptDepth {
            let open = try hostPath(current)
            // The file is opened and checked once: its head tells a script,
            // and the same fd is the ELF image the loader reads.
            let (head, fd) = try readHead(open)
            if head.starts(with: [0x23, 0x21]) {  // "#!"
                close(fd)
                let (interp, arg) = try parseShebang(head, path: current)
                prefix = [interp] + (arg.map { [$0] } ?? []) + [FileNames.bytes(current)] + prefix.dropFirst()
                current = FileNames.string(interp)
                continue
            }
            let request = try request(programFD: fd, guestPath: loaderPath(current), execfn: execfn,
                                      interpreterHostPath: hostPath)
            return ExecPlan(request: request, programOpenPath: open, argvPrefix: prefix)
        }
        throw ExecFailure(.ELOOP, "too many levels of #! interpreters")
    }

    /// The interpreter and its one optional argument, by the kernel's rules:
    /// blanks around them are dropped, the rest of the line is the argument.
    static func parseShebang(_ head: [UInt8], path: String) throws(ExecFailure) -> ([UInt8], [UInt8]?) {
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        if !head.prefix(shebangLimit).contains(0x0a) {
            // No newline in the buffer: unless a blank or NUL ends the
            // interpreter's name before the buffer's last byte, the name may
            // be cut short, and the kernel refuses (binfmt_script).
            let body = head.prefix(shebangLimit - 1).dropFirst(2)
            guard let first = body.firstIndex(where: { !isBlank($0) }),
                  body[first...].contains(where: { isBlank($0) || $0 == 0 }) else {
                throw ExecFailure(.ENOEXEC, "#! line too long")
            }
        }
        var line = head.dropFirst(2).prefix { $0 != 0x0a }
        while let f = line.first, isBlank(f) { line = line.dropFirst() }
        while let l = line.last, isBlank(l) || l == 0x0d || l == 0 { line = line.dropLast() }
        let interp = Array(line.prefix { !isBlank($0) })
        guard !interp.isEmpty else { throw ExecFailure(.ENOEXEC, "#! line names no interpreter") }
        var rest = line.dropFirst(interp.count)
        while let f = rest.first, isBlank(f) { rest = rest.dropFirst() }
        return (interp, rest.isEmpty ? nil : Array(rest))
    }

    /// The first bytes of an executable file, after the checks execve
    /// makes, and the file opened (the caller closes it).
    static func readHead(_ path: String) throws(ExecFailure) -> ([UInt8], Int32) {
        let fd = try openExecutable(path, checkExecutable: true)
        var buf = [UInt8](repeating: 0, count: shebangLimit)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else {
            let e = errno
            close(fd)
            throw ExecFailure(.EIO, hostErrorString(e))
        }
        return (Array(buf[0..<n]), fd)
    }

    /// `programFD` is the program as the supervisor opened and checked it
    /// (the request takes it); `guestPath` is where the tracee's loader stub
    /// opens it (they differ when the guest named it relative to its own
    /// cwd or a dirfd).
    public static func request(programFD: Int32, guestPath: String, execfn: [UInt8],
                               interpreterHostPath: (String) throws(ExecFailure) -> String = { $0 }) throws(ExecFailure) -> LoadRequest {
        let program: ElfImage
        do { program = try ElfImage.parse(try FileElfSource(fd: programFD)) } catch {
            close(programFD)
            throw ExecFailure(error.errno, error.reason)
        }
        var interp: ElfImage? = nil
        var interpFD: Int32? = nil
        if let interpPath = program.interpreter {
            do {
                (interp, interpFD) = try openImage(try interpreterHostPath(interpPath), checkExecutable: false)
            } catch {
                close(programFD)
                throw ExecFailure(error.errno, "interpreter \(interpPath): \(error.reason)")
            }
        }
        // From here the files close with the request.
        let files = ImageFiles(program: programFD, interpreter: interpFD)
        if interp?.interpreter != nil {
            throw ExecFailure(.ELIBBAD, "interpreter \(program.interpreter ?? "") itself asks for an interpreter")
        }
        var request = LoadRequest(programPath: guestPath, program: program, interpreterPath: program.interpreter,
                                  interpreter: interp, execfn: execfn)
        request.files = files
        return request
    }

    /// The parsed image and the open file it came from (owned by the caller).
    static func openImage(_ path: String, checkExecutable: Bool) throws(ExecFailure) -> (ElfImage, Int32) {
        let fd = try openExecutable(path, checkExecutable: checkExecutable)
        do {
            return (try ElfImage.parse(try FileElfSource(fd: fd)), fd)
        } catch {
            close(fd)
            throw ExecFailure(error.errno, error.reason)
        }
    }

    /// execve(2)'s EACCES for what is not a regular file; the message says
    /// what it is.
    static func notRegular(_ mode: mode_t) -> ExecFailure? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return ExecFailure(.EACCES, hostErrorString(EISDIR))
        default: return ExecFailure(.EACCES, "not a regular file")
        }
    }

    /// Opens a file for exec with the checks execve(2) makes, in its order.
    static func openExecutable(_ path: String, checkExecutable: Bool) throws(ExecFailure) -> Int32 {
        // may_open() refuses to exec what is not a regular file before
        // anything is opened (a socket or FIFO must not be opened at all).
        var before = stat()
        if stat(path, &before) == 0, let refused = notRegular(before.st_mode) { throw refused }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw ExecFailure(LinuxErrno(e), hostErrorString(e))
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw ExecFailure(LinuxErrno(e), hostErrorString(e))
        }
        // The type again, of the file opened (the path may have changed since).
        // AT_EACCESS: judged by the thread's fs ids, as execve's own check is.
        if let refused = notRegular(st.st_mode) {
            close(fd)
            throw refused
        }
        if checkExecutable && faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0 {
            close(fd)
            throw ExecFailure(.EACCES, hostErrorString(EACCES))
        }
        return fd
    }
}
