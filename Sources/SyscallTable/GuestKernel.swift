import Glibc
import PicoCore
import Synchronization
import VolFS

/// The state Linux would keep for the guest, one per Dispatcher: its
/// processes and their identities, its file tree and the distro's
/// metadata, and the supervisor's own bookkeeping for calls in flight
/// (FIFO opens waiting on a thread, O_PATH stand-ins, the private names
/// unix sockets are bound by, credentials an exec hands on). Every handler
/// receives it with the call; no handler keeps state of its own, so two
/// dispatchers in one process, or a test of one handler, share nothing.
/// Unchecked: GuestFileTree and GuestProcesses guard their own state
/// (the walker, the process table); the rest is immutable or a Mutex.
final class GuestKernel: @unchecked Sendable {
    let processes: GuestProcesses
    /// The guest's file tree; nil only in tests of the table, where path
    /// calls are never trapped.
    let tree: GuestFileTree?
    /// A distro's metadata (owners, modes, device numbers); nil on the host tree.
    let volume: Volume?
    /// [network] hostname of the distro's config: uname's nodename.
    let hostname: String?
    /// ptrace_may_access and the /proc/PID links, judged with guest identities.
    let links: ProcLinks
    let fifoOpens = FifoOpens()
    let standIns: PathStandIns
    let socketNames = SocketNames()
    /// The credentials a process gets when its exec succeeds, by tgid.
    let pendingCredentials = Mutex([pid_t: Credentials]())
    /// The loader stub's path, installed on first use.
    let stubPath = Mutex<String?>(nil)

    init(processes: GuestProcesses, tree: GuestFileTree?, volume: Volume?, hostname: String?, emulatedIdentities: Bool) {
        self.processes = processes
        self.tree = tree
        self.volume = volume
        self.hostname = hostname
        let standIns = PathStandIns()
        self.standIns = standIns
        self.links = ProcLinks(processes: processes, emulated: emulatedIdentities, standIns: standIns)
    }
}
