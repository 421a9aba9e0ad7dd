import Glibc
import PicoCore

// picorun [OPTIONS] PROGRAM [ARGS...] | picorun syscalls [...] | picorun report [...]
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "syscalls":
    exit(SyscallsCommand.run(Array(arguments.dropFirst())))
case "report":
    exit(ReportCommand.run(Array(arguments.dropFirst())))
case "import":
    exit(DistroCommands.importDistro(Array(arguments.dropFirst())))
case "export":
    exit(DistroCommands.exportDistro(Array(arguments.dropFirst())))
case "list":
    exit(DistroCommands.list(Array(arguments.dropFirst())))
case "unregister":
    exit(DistroCommands.unregister(Array(arguments.dropFirst())))
case "set-default":
    exit(DistroCommands.setDefault(Array(arguments.dropFirst())))
case "install":
    exit(DistroCommands.install(Array(arguments.dropFirst())))
case "fsck":
    exit(DistroCommands.fsck(Array(arguments.dropFirst())))
case "serve":
    exit(ServeCommand.run(Array(arguments.dropFirst())))
case "config":
    exit(DistroCommands.config(Array(arguments.dropFirst())))
case "run":
    exit(RunCommand.run(Array(arguments.dropFirst())))
case "help":
    print(Usage.main)
    exit(0)
default:
    exit(RunCommand.run(arguments))
}
