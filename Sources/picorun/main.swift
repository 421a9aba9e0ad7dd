import Glibc
import PicoCore
import SyscallTable

/// picorun [OPTIONS] PROGRAM [ARGS...]
let version = "0.1.0"

let usage = """
usage: picorun [OPTIONS] PROGRAM [ARGS...]

Runs PROGRAM, a Linux x86-64 ELF executable, under picorun's own loader and
syscall supervisor. The program's instructions run natively; every system
call picorun must see is trapped with seccomp and ptrace and translated or
emulated. Static, static-PIE and dynamically linked programs are supported.

PROGRAM is found like a shell finds a command: taken as a path if it
contains a slash, otherwise looked up in $PATH.

Options:
  -h, --help        show this help and exit
  --version         print picorun's version and exit
  --rootfs DIR      run inside the distro at DIR (not available yet: the
                    distro file tree arrives in a later release)
  --                end of options; the next word is PROGRAM

Exit status: PROGRAM's own; 128+N if it was killed by signal N; 126 if it
cannot be executed (not an ELF64 x86-64 file, permission denied, ...);
127 if it does not exist.

Examples:
  picorun /bin/true
  picorun ./hello-static --greeting world
"""

func fail(_ message: String, status: Int32) -> Never {
    writeStderr("picorun: \(message)\n")
    exit(status)
}

var args = Array(CommandLine.arguments.dropFirst())
var index = 0
while index < args.count {
    let a = args[index]
    if a == "--" { index += 1; break }
    if !a.hasPrefix("-") || a == "-" { break }
    switch a {
    case "-h", "--help":
        print(usage)
        exit(0)
    case "--version":
        print("picorun \(version)")
        exit(0)
    case "--rootfs":
        guard index + 1 < args.count else { fail("--rootfs needs a directory (try --help)", status: 2) }
        fail("--rootfs \(args[index + 1]): running inside a distro folder is not supported yet", status: 2)
    default:
        if a.hasPrefix("--rootfs=") {
            fail("\(a): running inside a distro folder is not supported yet", status: 2)
        }
        fail("unknown option \(a) (try --help)", status: 2)
    }
}
guard index < args.count else { fail("no program given (try --help)", status: 2) }

let name = args[index]
let guestArgv = Array(args[index...])
guard let path = ProgramResolver.locate(name, searchPath: getenv("PATH").map { String(cString: $0) }) else {
    fail("\(name): command not found", status: 127)
}

let request: LoadRequest
do {
    request = try ProgramResolver.request(path: path, execfn: path)
} catch {
    fail("\(path): \(error.reason)", status: error.shellStatus)
}

var environment: [String] = []
var envp = environ
while let p = envp.pointee {
    environment.append(String(cString: p))
    envp += 1
}

let supervisor = Supervisor(handler: Dispatcher())
do {
    let result = try supervisor.run(request, argv: guestArgv, envp: environment)
    exit(result.shellStatus)
} catch {
    fail(error.message, status: 126)
}
