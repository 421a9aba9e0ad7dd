import Glibc
import PicoCore

// picorun [OPTIONS] PROGRAM [ARGS...] | picorun syscalls [...] | picorun report [...]
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "syscalls":
    exit(SyscallsCommand.run(Array(arguments.dropFirst())))
case "report":
    exit(ReportCommand.run(Array(arguments.dropFirst())))
case "help":
    print(Usage.main)
    exit(0)
default:
    exit(RunCommand.run(arguments))
}
