import PicoCore

/// picorun's decision for every x86-64 syscall, by family: its level, its
/// handler, how it is trapped (`Trap`) and why. A test checks that this
/// names exactly the kernel's syscalls, and that the seccomp filter traps
/// each as its line says.
let syscallPolicy: [String: Policy] = {
    var p: [String: Policy] = [:]
    func set(_ names: [String], _ policy: Policy) {
        for n in names {
            precondition(p[n] == nil, "\(n) has two policies")
            p[n] = policy
        }
    }

    // File descriptors and I/O on them: the fd table is the host's.
    set(["read", "write", "close", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2",
         "pwritev2", "lseek", "dup", "dup2", "dup3", "pipe", "pipe2", "fcntl", "flock", "fsync", "fdatasync",
         "sync", "syncfs", "sync_file_range", "ftruncate", "fallocate", "fadvise64", "readahead", "sendfile",
         "splice", "tee", "vmsplice", "copy_file_range", "close_range", "ioctl", "select", "pselect6", "poll",
         "ppoll", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
         "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime",
         "inotify_init", "inotify_init1", "inotify_rm_watch", "memfd_create", "userfaultfd"],
        .passthrough())
    set(["fstatfs", "getdents", "getdents64"], .passthrough("fd-based; the fd was opened through picorun"))
    let guestNames = "the guest's names: trusted.* and security.* kept as user.picorun.* when picorun is not root (VolFS.XattrNames)"
    set(["fgetxattr"], .emulated(XattrCalls.fgetxattr, trap: .distro(hostTree: .never), note: guestNames))
    set(["flistxattr"], .emulated(XattrCalls.flistxattr, trap: .distro(hostTree: .never), note: guestNames))
    set(["fremovexattr"], .emulated(XattrCalls.fremovexattr, trap: .distro(hostTree: .never), note: guestNames))
    set(["fsetxattr"], .emulated(XattrCalls.fsetxattr, trap: .distro(hostTree: .never), note: "an access ACL sets the mode in the distro's sidecar, as the kernel's does"))
    set(["fstat"], .emulated(StatCalls.fstat, trap: .distro(hostTree: .never), note: "owner, group, mode and device number from the distro's sidecar"))
    set(["fchmod"], .emulated(AttributeCalls.fchmod, trap: .distro(hostTree: .never), note: "the mode goes to the distro's sidecar; the host file stays owner-accessible"))
    set(["fchown"], .emulated(AttributeCalls.fchown, trap: .distro(hostTree: .never), note: "owner and group go to the distro's sidecar"))

    // Paths: resolved in the guest file tree and carried out by the supervisor.
    let paths: [(String, Handler)] = [
        ("open", OpenCalls.open), ("openat", OpenCalls.openat), ("openat2", OpenCalls.openat2), ("creat", OpenCalls.creat),
        ("stat", StatCalls.stat), ("lstat", StatCalls.lstat), ("newfstatat", StatCalls.newfstatat), ("statx", StatCalls.statx),
        ("access", StatCalls.access), ("faccessat", StatCalls.faccessat), ("faccessat2", StatCalls.faccessat2),
        ("readlink", StatCalls.readlink), ("readlinkat", StatCalls.readlinkat),
        ("getcwd", DirectoryCalls.getcwd), ("chdir", DirectoryCalls.chdir), ("fchdir", DirectoryCalls.fchdir),
        ("mkdir", DirectoryCalls.mkdir), ("mkdirat", DirectoryCalls.mkdirat), ("mknod", DirectoryCalls.mknod),
        ("mknodat", DirectoryCalls.mknodat), ("rmdir", DirectoryCalls.rmdir), ("unlink", DirectoryCalls.unlink),
        ("unlinkat", DirectoryCalls.unlinkat), ("rename", DirectoryCalls.rename), ("renameat", DirectoryCalls.renameat),
        ("renameat2", DirectoryCalls.renameat2), ("link", DirectoryCalls.link), ("linkat", DirectoryCalls.linkat),
        ("symlink", DirectoryCalls.symlink), ("symlinkat", DirectoryCalls.symlinkat),
        ("chmod", AttributeCalls.chmod), ("fchmodat", AttributeCalls.fchmodat), ("fchmodat2", AttributeCalls.fchmodat2),
        ("chown", AttributeCalls.chown), ("lchown", AttributeCalls.lchown), ("fchownat", AttributeCalls.fchownat),
        ("utime", AttributeCalls.utime), ("utimes", AttributeCalls.utimes), ("futimesat", AttributeCalls.futimesat),
        ("utimensat", AttributeCalls.utimensat), ("truncate", AttributeCalls.truncate), ("statfs", AttributeCalls.statfs),
    ]
    for (name, handler) in paths { set([name], .translated(handler, trap: .notify, note: Policy.pathNote)) }
    set(["bind"], .translated(SocketCalls.bind, trap: .notify, note: Policy.pathNote))
    set(["connect"], .translated({ c throws(TraceeError) in try SocketCalls.connect(c, respond: c.respond) }, trap: .notify,
                                 note: Policy.pathNote))
    let xattrs: [(String, Handler)] = [
        ("getxattr", XattrCalls.getxattr), ("lgetxattr", XattrCalls.lgetxattr), ("setxattr", XattrCalls.setxattr),
        ("lsetxattr", XattrCalls.lsetxattr), ("listxattr", XattrCalls.listxattr), ("llistxattr", XattrCalls.llistxattr),
        ("removexattr", XattrCalls.removexattr), ("lremovexattr", XattrCalls.lremovexattr),
        ("inotify_add_watch", WatchCalls.inotifyAddWatch),
    ]
    for (name, handler) in xattrs { set([name], .translated(handler, trap: .notify, note: Policy.pathNote)) }
    set(["fanotify_mark"], .unsupported(.EBADF, "fanotify_init is refused, so no fanotify fd exists to mark"))
    set(["umask"], .passthrough())
    set(["name_to_handle_at"], .unsupported(.EOPNOTSUPP, "file handles bypass path resolution"))
    set(["open_by_handle_at"], .unsupported(.EPERM, "file handles bypass path resolution; needs CAP_DAC_READ_SEARCH"))
    set(["io_uring_setup", "io_uring_enter", "io_uring_register"],
        .unsupported(.ENOSYS, "io_uring runs file operations the supervisor never sees; programs fall back to plain syscalls"))
    set(["io_setup", "io_destroy", "io_getevents", "io_pgetevents", "io_submit", "io_cancel"],
        .passthrough("Linux AIO on fds already open"))
    set(["fanotify_init"], .hostPrivileged("fanotify"))

    // Memory.
    set(["mmap", "mprotect", "munmap", "mremap", "msync", "mincore", "madvise", "mlock", "mlock2", "munlock",
         "mlockall", "munlockall", "remap_file_pages", "mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node", "pkey_mprotect", "pkey_alloc", "pkey_free", "membarrier",
         "memfd_secret", "process_madvise", "process_mrelease", "cachestat", "mseal", "map_shadow_stack"],
        .passthrough())
    set(["brk"], .emulated(Memory.brk, exit: Memory.brkExit, trap: .ptrace, note: "the kernel's break belongs to the loader stub; the guest's is kept per address space with anonymous mappings"))
    set(["shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop", "msgget", "msgsnd",
         "msgrcv", "msgctl"], .passthrough("System V IPC, shared with the host's namespace"))
    set(["mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr"],
        .passthrough("POSIX message queues, shared with the host"))

    // Processes and threads: ptrace follows every new task.
    set(["clone", "clone3", "fork", "vfork"], .passthrough("new tasks are traced from their first instruction"))
    set(["execve"], .translated(Exec.execve, exit: Exec.execExit, trap: .ptrace, note: "every image goes through picorun's loader"))
    set(["execveat"], .translated(Exec.execveat, exit: Exec.execExit, trap: .ptrace, note: "every image goes through picorun's loader"))
    set(["wait4"], .translated(PtraceCalls.wait4, exit: PtraceCalls.wait4Exit, trap: .ptrace,
                               note: "the kernel's, but for a guest tracer: its tracees' stops and exits as Linux reports them"))
    set(["waitid"], .translated(PtraceCalls.waitid, exit: PtraceCalls.waitidExit, trap: .ptrace, note: "the kernel's, but for a guest tracer: its tracees' stops and exits as Linux reports them"))
    set(["exit", "exit_group", "getpid", "getppid", "gettid", "set_tid_address",
         "set_robust_list", "getpgrp", "setsid",
         "rseq", "getrlimit", "setrlimit", "getrusage", "times", "sched_yield",
         "sched_get_priority_max", "sched_get_priority_min", "getcpu",
         "personality", "arch_prctl", "modify_ldt",
         "futex", "futex_waitv", "futex_wake", "futex_wait",
         "futex_requeue", "restart_syscall", "landlock_create_ruleset", "landlock_add_rule",
         "landlock_restrict_self", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "uretprobe"],
        .passthrough())
    set(["seccomp"], .translated(SeccompCalls.seccomp, exit: SeccompCalls.seccompExit, trap: .ptrace, note: "the kernel's; a guest filter's SECCOMP_RET_TRACE is made by picorun as Linux makes it: ENOSYS, or the PTRACE_EVENT_SECCOMP stop of a guest tracer that asked for it"))
    set(["ptrace"], .emulated(PtraceCalls.ptrace, trap: .ptrace, note: "guest tracers of guest tasks, over picorun's own tracing: picorun's stops stay invisible and every call a tracee ends up making is still translated"))
    // Another process by pid: guest processes only; the host's are invisible (ESRCH).
    let guestOnly = "reaches guest processes only; a host process's pid is rewritten to one no process has (ESRCH after the kernel's other checks)"
    set(["kill"], .translated(ProcessTargets.kill, trap: .ptrace, note: "guest processes only; the group and -1 forms signal the guest members; picorun, the first guest's parent, answers signal 0 and refuses others (EPERM)"))
    set(["tkill"], .translated(ProcessTargets.tkill, trap: .ptrace, note: guestOnly))
    set(["tgkill"], .translated(ProcessTargets.tgkill, trap: .ptrace, note: guestOnly))
    set(["rt_sigqueueinfo"], .translated(ProcessTargets.rtSigqueueinfo, trap: .ptrace, note: guestOnly))
    set(["rt_tgsigqueueinfo"], .translated(ProcessTargets.rtTgsigqueueinfo, trap: .ptrace, note: guestOnly))
    set(["pidfd_open"], .translated(ProcessTargets.pidfdOpen, trap: .ptrace, note: guestOnly))
    set(["pidfd_getfd"], .translated(PidfdCalls.pidfdGetfd, trap: .notify, note: "a guest process's fd, by ptrace's attach rule on the caller's own identity"))
    set(["pidfd_send_signal"], .translated(PidfdCalls.pidfdSendSignal, trap: .notify, note: "guest processes only, sent on the supervisor's copy of the fd"))
    set(["process_vm_readv", "process_vm_writev"], .translated(ProcessTargets.processVm, trap: .ptrace, note: guestOnly))
    set(["kcmp"], .translated(ProcessTargets.kcmp, trap: .ptrace, note: guestOnly))
    let parentReads = "guest processes; of picorun, the first guest's parent, what any process may read of another"
    set(["prlimit64"], .translated(ProcessTargets.prlimit, trap: .ptraceUnlessArgZero(0), note: parentReads + " (no new limit)"))
    set(["sched_setparam", "sched_setscheduler", "sched_setaffinity", "sched_setattr",
         "migrate_pages", "move_pages"], .translated(ProcessTargets.firstPid, trap: .ptraceUnlessArgZero(0), note: guestOnly))
    set(["setpgid"], .translated(ProcessTargets.setpgid, trap: .ptrace, note: "guest processes, into their own or a guest's process group"))
    set(["setpriority"], .translated(ProcessTargets.setpriority, trap: .ptrace, note: "guest processes and groups (a group's guest members only); PRIO_USER would reach the host's (EPERM)"))
    set(["getpriority"], .translated(ProcessTargets.getpriority, trap: .ptraceUnlessArgZero(1), note: "guest processes and groups; PRIO_USER as the host reports it"))
    set(["ioprio_get"], .translated(ProcessTargets.ioprioGet, trap: .ptraceUnlessArgZero(1), note: "guest processes and groups; IOPRIO_WHO_USER as the host reports it"))
    set(["get_robust_list"], .translated(ProcessTargets.firstPid, trap: .ptraceUnlessArgZero(0), note: guestOnly))
    set(["getpgid", "getsid", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
         "sched_getaffinity", "sched_getattr"], .translated(ProcessTargets.firstPidReading, trap: .ptraceUnlessArgZero(0), note: parentReads))
    set(["perf_event_open"], .translated(ProcessTargets.perfEventOpen, trap: .ptrace, note: "the caller or its guest processes; system-wide and cgroup events are refused (EACCES)"))
    set(["ioprio_set"], .translated(ProcessTargets.ioprioSet, trap: .ptrace, note: "guest processes and groups; IOPRIO_WHO_USER would reach the host's (EPERM)"))
    set(["unshare", "setns"], .hostPrivileged("new namespaces"))

    // Signals.
    set(["rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigsuspend", "sigaltstack", "pause", "alarm", "getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
         "timer_getoverrun", "timer_delete"],
        .passthrough())

    // Time.
    set(["nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time"], .passthrough())
    set(["settimeofday", "clock_settime"], .hostPrivileged("setting the clock"))
    set(["adjtimex", "clock_adjtime"], .partial(Time.adjtime, trap: .ptrace, note: "reading the clock state works; adjusting it is refused with EPERM"))

    // Identity: emulated per process in distro runs; the host user's on the host tree.
    let identityNote = "the guest's identity and capability sets, kept per process by picorun as the kernel moves them"
    let identityReads: [(String, Handler)] = [
        ("getuid", IdentityCalls.getuid), ("geteuid", IdentityCalls.geteuid), ("getgid", IdentityCalls.getgid),
        ("getegid", IdentityCalls.getegid), ("getresuid", IdentityCalls.getresuid), ("getresgid", IdentityCalls.getresgid),
        ("getgroups", IdentityCalls.getgroups), ("capget", IdentityCalls.capget),
    ]
    for (name, handler) in identityReads {
        set([name], .emulated(handler, trap: .distro(hostTree: .never), note: identityNote))
    }
    let identityChanges: [(String, Handler)] = [
        ("setgroups", IdentityCalls.setgroups), ("setuid", IdentityCalls.setuid), ("setgid", IdentityCalls.setgid),
        ("setreuid", IdentityCalls.setreuid), ("setregid", IdentityCalls.setregid), ("setresuid", IdentityCalls.setresuid),
        ("setresgid", IdentityCalls.setresgid), ("setfsuid", IdentityCalls.setfsuid), ("setfsgid", IdentityCalls.setfsgid),
        ("capset", IdentityCalls.capset),
    ]
    for (name, handler) in identityChanges {
        // On the host tree with picorun as root the kernel makes the
        // change; what picorun knew of the caller's identity is stale then.
        set([name], .emulated(handler, hostTree: IdentityCalls.hostIdentityChanged,
                              trap: .distro(hostTree: .notifyAsRoot), note: identityNote))
    }
    // Dumpable is picorun's to keep on the host tree too.
    set(["prctl"], .emulated(IdentityCalls.prctl, hostTree: IdentityCalls.hostPrctl, trap: .distro(hostTree: .notify),
                             note: "capabilities, securebits, dumpable and no_new_privs as picorun keeps them; the other options are the kernel's"))

    // System information.
    set(["uname"], .emulated(SystemCalls.uname, trap: .distro(hostTree: .never), note: "the host's, with the distro's configured host name"))
    set(["sysinfo", "getrandom", "sysfs", "ustat", "add_key", "request_key",
         "keyctl", "statmount", "listmount", "socket", "socketpair", "accept", "accept4",
         "listen", "recvfrom", "recvmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt"],
        .passthrough())
    let named = "a unix socket's name is the path the guest bound, not the private name picorun binds it by"
    set(["getsockname"], .translated(SocketNames.getsockname, trap: .notify, note: named))
    set(["getpeername"], .translated(SocketNames.getpeername, trap: .notify, note: named))
    set(["sendto"], .translated({ c throws(TraceeError) in try SocketCalls.sendto(c, respond: c.respond) },
                                trap: .notifyUnlessArgZero(4), note: Policy.pathNote + "; with no destination (a connected socket) it names no path"))
    // The msghdr may name a unix path; the supervisor sends its own copy.
    set(["sendmsg"], .translated(MessageCalls.sendmsg, trap: .notify, note: Policy.pathNote))
    set(["sendmmsg"], .translated(MessageCalls.sendmmsg, trap: .notify, note: Policy.pathNote))
    set(["syslog"], .hostPrivileged("the kernel log"))
    set(["sethostname", "setdomainname"], .hostPrivileged("the host name"))

    // The host itself.
    set(["mount", "umount2", "pivot_root", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "open_tree",
         "mount_setattr"], .hostPrivileged("mounting"))
    set(["chroot"], .translated(DirectoryCalls.chroot, trap: .notify, note: Policy.pathNote))
    set(["swapon", "swapoff"], .hostPrivileged("swap"))
    set(["reboot", "kexec_load", "kexec_file_load"], .hostPrivileged("rebooting"))
    set(["init_module", "finit_module", "delete_module"], .hostPrivileged("kernel modules"))
    set(["iopl", "ioperm"], .hostPrivileged("I/O port access"))
    set(["acct"], .hostPrivileged("process accounting"))
    set(["quotactl", "quotactl_fd"], .hostPrivileged("disk quotas"))
    set(["vhangup"], .hostPrivileged("hanging up the terminal"))
    set(["bpf"], .hostPrivileged("eBPF"))

    // Reserved numbers the kernel answers with ENOSYS.
    set(["uselib", "create_module", "get_kernel_syms", "query_module", "nfsservctl", "getpmsg", "putpmsg",
         "afs_syscall", "tuxcall", "security", "set_thread_area", "get_thread_area", "lookup_dcookie",
         "epoll_ctl_old", "epoll_wait_old", "vserver", "_sysctl"], .obsolete)
    return p
}()
