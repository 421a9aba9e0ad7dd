import Glibc
import PicoCore

let picorunVersion = "0.2.0"

enum Usage {
    static let main = """
    usage: picorun                                   a login shell in the default distro
           picorun [OPTIONS] PROGRAM [ARGS...]       run PROGRAM (in a distro with -d/--rootfs)
           picorun run [OPTIONS] PROGRAM [ARGS...]   the same
           picorun import NAME TARBALL|-             make a distro from a tar(.gz|.xz|.zst|.bz2)
           picorun export NAME FILE|-                write a distro as a tarball
           picorun install debian [NAME]             Debian bookworm minbase (debootstrap; root)
           picorun list [-v] | set-default NAME | unregister NAME | fsck [--dry-run] NAME
           picorun config NAME                       the effective picorun.conf of a distro
           picorun serve NAME --listen unix:PATH|tcp:HOST:PORT [--read-only] [--poll USEC]
           picorun syscalls [--format table|markdown|json|csv]
           picorun report [--format text|markdown|json|junit] [-o FILE] COVERAGE.json...

    Runs PROGRAM, a Linux x86-64 ELF executable, under picorun's own loader and
    syscall supervisor. The program's instructions run natively; every system
    call picorun must see is trapped with seccomp and ptrace and translated or
    emulated; the rest go straight to the host kernel without stopping.
    Static, static-PIE and dynamically linked programs are supported.

    PROGRAM is found like a shell finds a command: taken as a path if it
    contains a slash, otherwise looked up in $PATH. To run a program named
    like a subcommand (run, import, export, list, install, fsck, syscalls,
    report, help ...), write `picorun -- NAME`.

    Options:
      -h, --help          show this help and exit
      --version           print picorun's version and exit
      --trace[=FILE]      print one strace-like line per trapped syscall, with
                          decoded arguments and the result, to stderr or FILE
      --trace-all         trap every syscall, so --trace shows passthrough ones
                          too (slow: every call stops twice)
      --coverage FILE     write a JSON report of every syscall PROGRAM made:
                          counts, errors by errno, support level, supervisor
                          time; unsupported calls are listed apart (traps every
                          syscall, like --trace-all)
      -d, --distribution NAME
                          run in the registered distro NAME (see `list`), in
                          the user's home, with the user's environment
      --rootfs DIR        run inside the folder DIR as if chrooted there:
                          paths resolve inside DIR ('..' stops at its top,
                          absolute symlinks point inside it), with the host's
                          /proc, /dev and /sys mounted; no root needed
      --mount HOST:GUEST[:ro]
                          show host folder HOST at GUEST with DrvFS's fixed
                          modes (0777, or 0555 where it cannot be written)
      --9p unix:PATH|tcp:HOST:PORT
                          serve the distro over 9P2000.L while it runs
      -u, --user USER     the guest user (a name or uid from the distro's
                          /etc/passwd; default root)
      --                  end of options; the next word is PROGRAM

    Distros. A distro is a folder under $PICORUN_HOME (default
    $XDG_DATA_HOME/picorun, i.e. ~/.local/share/picorun): distros/NAME/rootfs
    holds the files, owned on the host by you; distros/NAME/metadata.db (the
    VolFS sidecar, SQLite) holds what the guest sees: owners, groups, modes
    with setuid bits, device nodes. Inside, the guest is root (or --user),
    with uids, permissions and setuid programs emulated by picorun; apt-get
    and dpkg work. /etc/hosts and /etc/resolv.conf are regenerated from the
    host's at each start. A --rootfs folder gets a sidecar under
    $PICORUN_HOME/sidecars.

    Subcommands:
      serve               serve distro NAME over 9P2000.L in the foreground, to
                          diod's tools, p9fs or a kernel's `mount -t 9p`, with
                          the guest's owners and modes; attach names map to
                          users of the distro's /etc/passwd. A unix socket is
                          made mode 0600; TCP listens where told (say
                          127.0.0.1). --read-only refuses every change.
                          --poll USEC: after a reply, wait for the client's
                          next request this long by polling before sleeping
                          (default 100; 0 never polls): a round trip costs
                          less than a wake-up, for one CPU's time meanwhile
      syscalls            print picorun's table of every x86-64 syscall: number,
                          name, support level (passthrough, translated,
                          emulated, partial, unsupported) and note
      report              merge coverage files from many runs (one per test
                          binary of a CI job) into a text, markdown, JSON or
                          JUnit report; in JUnit, a run that hit an unsupported
                          syscall is a failed test

    Exit status: PROGRAM's own; 128+N if it was killed by signal N; 126 if it
    cannot be executed (not an ELF64 x86-64 file, permission denied, ...);
    127 if it does not exist; 2 for a usage error; 1 when a distro command
    fails (one line on stderr says what and where).

    Examples:
      picorun /bin/true
      picorun import debian rootfs.tar.gz && picorun -d debian
      picorun -d debian -u nobody /usr/bin/id
      picorun export debian backup.tar.xz
      picorun --trace ./server --port 8080
      picorun --coverage cov/test1.json ./test1 && picorun report --format junit cov/*.json
      picorun syscalls --format markdown > SYSCALLS.md
    """
}

func fail(_ message: String, status: Int32) -> Never {
    writeStderr("picorun: \(message)\n")
    exit(status)
}
