import Glibc
import NinePServer
import PicoCore
import VolFS

/// `picorun serve NAME --listen unix:PATH|tcp:HOST:PORT [--read-only] [--poll USEC]`:
/// the distro over 9P2000.L, in the foreground.
enum ServeCommand {
    static func run(_ args: [String]) -> Int32 {
        var name: String?
        var listen: String?
        var readOnly = false
        var poll = Server.defaultPollMicroseconds
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--listen":
                guard i + 1 < args.count else { fail("serve: --listen needs unix:PATH or tcp:HOST:PORT", status: 2) }
                listen = args[i + 1]
                i += 1
            case "--read-only": readOnly = true
            case "--poll", _ where args[i].hasPrefix("--poll="):
                let text: String
                if args[i] == "--poll" {
                    guard i + 1 < args.count else { fail("serve: --poll needs a number of microseconds", status: 2) }
                    text = args[i + 1]
                    i += 1
                } else {
                    text = String(args[i].dropFirst(7))
                }
                guard let n = Int(text), (0...100_000).contains(n) else { fail("serve: --poll \(text): expected microseconds, 0 to 100000", status: 2) }
                poll = n
            case let a where a.hasPrefix("--listen="): listen = String(a.dropFirst(9))
            case let a where a.hasPrefix("-"): fail("serve: unknown option \(a)", status: 2)
            default:
                guard name == nil else { fail("serve: one distro at a time", status: 2) }
                name = args[i]
            }
            i += 1
        }
        guard let name, let listen else { fail("usage: picorun serve NAME --listen unix:PATH|tcp:HOST:PORT [--read-only] [--poll USEC]", status: 2) }
        guard let address = Server.Address(listen) else { fail("serve: --listen \(listen): expected unix:PATH or tcp:HOST:PORT", status: 2) }
        let dir = DistroCommands.existing(name)
        signal(SIGPIPE, SIG_IGN)  // a client that hangs up must not stop the server
        do {
            let volume = try DistroCommands.openVolume(dir)
            let export = try Export(rootPath: dir + "/rootfs", volume: volume, readOnly: readOnly)
            if !readOnly, let warning = FileIdentity.birthTimeWarning(dir + "/rootfs") { writeStderr("picorun: warning: \(warning)\n") }
            let server = try Server(export: export, address: address, pollMicroseconds: poll)
            writeStderr("picorun: serving \(name) over 9P2000.L at \(listen)\(readOnly ? " (read-only)" : "")\n")
            server.run()
        } catch {
            fail("serve \(name): \(error.message)", status: 1)
        }
    }
}
