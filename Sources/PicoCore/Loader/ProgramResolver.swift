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

    public static func request(path: String, execfn: String) throws(ExecFailure) -> LoadRequest {
        let program = try openImage(path, checkExecutable: true)
        var interp: ElfImage? = nil
        if let interpPath = program.interpreter {
            do {
                interp = try openImage(interpPath, checkExecutable: false)
            } catch {
                throw ExecFailure(error.errno, "interpreter \(interpPath): \(error.reason)")
            }
            if interp?.interpreter != nil {
                throw ExecFailure(.ELIBBAD, "interpreter \(interpPath) itself asks for an interpreter")
            }
        }
        return LoadRequest(programPath: path, program: program, interpreterPath: program.interpreter,
                           interpreter: interp, execfn: Array(execfn.utf8))
    }

    static func openImage(_ path: String, checkExecutable: Bool) throws(ExecFailure) -> ElfImage {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw ExecFailure(LinuxErrno(e), hostErrorString(e))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ExecFailure(LinuxErrno(errno), hostErrorString(errno)) }
        if st.st_mode & S_IFMT == S_IFDIR { throw ExecFailure(.EISDIR, hostErrorString(EISDIR)) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw ExecFailure(.EACCES, "not a regular file") }
        if checkExecutable && access(path, X_OK) != 0 { throw ExecFailure(.EACCES, hostErrorString(EACCES)) }
        do {
            return try ElfImage.parse(try FileElfSource(fd: fd))
        } catch {
            throw ExecFailure(error.errno, error.reason)
        }
    }
}
