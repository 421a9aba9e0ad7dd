/* A guest tracer: traces its own children with ptrace and prints what it
 * sees, so that a run under picorun can be compared line by line with a
 * native one. Pids and addresses are never printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <elf.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <unistd.h>

static volatile long secret = 1234;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const char *describe(int status) {
    static char buf[64];
    if (WIFEXITED(status)) snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(buf, sizeof buf, "killed by %d", WTERMSIG(status));
    else if (WIFSTOPPED(status)) snprintf(buf, sizeof buf, "stopped sig %d event %d", WSTOPSIG(status) & 0x7f, status >> 16);
    else snprintf(buf, sizeof buf, "status %#x", status);
    return buf;
}

static int waitfor(pid_t pid) {
    int status;
    pid_t got = waitpid(pid, &status, __WALL);
    if (got != pid) { say("waitpid: %s", got < 0 ? strerror(errno) : "another pid"); exit(1); }
    return status;
}

/* Syscall stops: change getpid's result at its exit, skip a write, and
 * read and write the tracee's memory. */
static void syscalls(void) {
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        long pid = syscall(SYS_getpid);
        say("child: getpid gave %ld", pid);
        long w = syscall(SYS_write, 1, "never printed\n", 14);
        say("child: skipped write gave %ld", w);
        say("child: secret is %ld", secret);
        _exit(3);
    }
    int status = waitfor(child);
    say("parent: first stop: %s", describe(status));
    if (ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESYSGOOD) != 0) say("SETOPTIONS: %s", strerror(errno));
    errno = 0;
    long word = ptrace(PTRACE_PEEKDATA, child, (void *)&secret, 0);
    say("parent: peeked secret %ld (%s)", word, errno ? strerror(errno) : "ok");
    ptrace(PTRACE_POKEDATA, child, (void *)&secret, (void *)4321L);
    int entries = 0, exits = 0, changed = 0, skipped = 0;
    int inside = 0;
    for (;;) {
        ptrace(PTRACE_SYSCALL, child, 0, 0);
        status = waitfor(child);
        if (!WIFSTOPPED(status)) break;
        if (WSTOPSIG(status) != (SIGTRAP | 0x80)) { say("parent: unexpected %s", describe(status)); continue; }
        struct user_regs_struct r;
        ptrace(PTRACE_GETREGS, child, 0, &r);
        inside = !inside;
        if (inside) {
            entries++;
            if (r.orig_rax == SYS_write && r.rdx == 14) {
                r.orig_rax = -1;  /* skip it */
                ptrace(PTRACE_SETREGS, child, 0, &r);
                skipped = 1;
            }
        } else {
            exits++;
            if (r.orig_rax == SYS_getpid && !changed) {
                r.rax = 4242;
                ptrace(PTRACE_SETREGS, child, 0, &r);
                changed = 1;
            } else if (skipped == 1) {
                ptrace(PTRACE_POKEUSER, child, (void *)offsetof(struct user_regs_struct, rax), (void *)77L);
                skipped = 2;
            }
        }
    }
    say("parent: child %s, entries==exits %d, changed %d, skipped %d", describe(status), entries == exits, changed, skipped);
}

/* The SIGCHLD a tracer gets for each stop and exit of its tracee. */
static volatile sig_atomic_t chld_code, chld_status, chld_pid;
static void on_chld(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    chld_code = si->si_code; chld_status = si->si_status; chld_pid = si->si_pid;
}
static void said_chld(pid_t child) {
    say("parent: SIGCHLD code %d status %d, from the child %d", (int)chld_code, (int)chld_status, chld_pid == child);
    chld_code = chld_status = chld_pid = 0;
}

/* A signal stops the tracee first: the tracer may suppress it. */
static void signals(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, &old);
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        kill(getpid(), SIGUSR1);
        say("child: survived SIGUSR1");
        kill(getpid(), SIGUSR2);
        _exit(0);
    }
    int status = waitfor(child);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    ptrace(PTRACE_GETSIGINFO, child, 0, &si);
    say("parent: %s, siginfo signo %d code %d", describe(status), si.si_signo, si.si_code);
    said_chld(child);
    ptrace(PTRACE_CONT, child, 0, 0);
    status = waitfor(child);
    say("parent: then %s", describe(status));
    said_chld(child);
    ptrace(PTRACE_CONT, child, 0, (void *)(long)WSTOPSIG(status));
    status = waitfor(child);
    say("parent: child %s", describe(status));
    said_chld(child);
    sigaction(SIGCHLD, &old, 0);
}

/* Exec and fork events, and a grandchild the tracer reaps. */
static void events(char *self) {
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execl(self, self, "exec-child", (char *)0);
        _exit(127);
    }
    int status = waitfor(child);
    say("parent: %s", describe(status));
    ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK);
    ptrace(PTRACE_CONT, child, 0, 0);
    status = waitfor(child);
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, child, 0, &msg);
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, child, 0, &r);
    say("parent: %s, event message is the child %d, rip set %d, orig_rax %lld",
        describe(status), msg == (unsigned long)child, r.rip != 0, (long long)r.orig_rax);
    struct iovec iov = { &r, sizeof r };
    long rs = ptrace(PTRACE_GETREGSET, child, (void *)NT_PRSTATUS, &iov);
    say("parent: GETREGSET %ld, %d bytes", rs, (int)iov.iov_len);
    ptrace(PTRACE_CONT, child, 0, 0);
    status = waitfor(child);
    ptrace(PTRACE_GETEVENTMSG, child, 0, &msg);
    pid_t grandchild = (pid_t)msg;
    say("parent: %s, grandchild %d", describe(status), grandchild > 0);
    int gstatus = waitfor(grandchild);
    say("parent: grandchild first stop: %s", describe(gstatus));
    ptrace(PTRACE_CONT, grandchild, 0, 0);
    gstatus = waitfor(grandchild);
    say("parent: grandchild %s", describe(gstatus));
    ptrace(PTRACE_CONT, child, 0, 0);
    for (;;) {
        status = waitfor(child);
        say("parent: child %s", describe(status));
        if (!WIFSTOPPED(status)) break;
        ptrace(PTRACE_CONT, child, 0, (void *)(long)(status >> 16 ? 0 : WSTOPSIG(status)));
    }
}

/* A child that runs `prepare` (if any), says it is ready and pauses for
 * good; returned once it is ready. */
static pid_t paused_child(void (*prepare)(const char *), const char *arg) {
    int fds[2];
    if (pipe(fds)) { say("pipe: %s", strerror(errno)); exit(1); }
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        if (prepare) prepare(arg);
        write(fds[1], "r", 1);
        for (;;) pause();
    }
    close(fds[1]);
    char c;
    read(fds[0], &c, 1);
    close(fds[0]);
    return child;
}

/* PTRACE_SEIZE and PTRACE_INTERRUPT of a running child; the rules. */
static void seize(void) {
    pid_t child = paused_child(0, 0);
    if (ptrace(PTRACE_SEIZE, child, 0, PTRACE_O_TRACESYSGOOD) != 0) say("SEIZE: %s", strerror(errno));
    errno = 0;
    ptrace(PTRACE_PEEKDATA, child, (void *)&secret, 0);
    say("parent: PEEKDATA of a running tracee: %s", strerror(errno));
    ptrace(PTRACE_INTERRUPT, child, 0, 0);
    /* The stop through a pidfd, as waitid(P_PIDFD) reports it. */
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    long w = syscall(SYS_waitid, 3 /* P_PIDFD */, pidfd, &si, WEXITED | WSTOPPED | __WALL, 0);
    say("parent: after INTERRUPT: waitid %ld, signo %d code %d status %#x, pid is the child %d",
        w, si.si_signo, si.si_code, si.si_status, si.si_pid == child);
    close(pidfd);
    int status;
    errno = 0;
    long r = ptrace(PTRACE_ATTACH, child, 0, 0);
    say("parent: second ATTACH: %ld %s", r, strerror(errno));
    r = ptrace(PTRACE_ATTACH, getpid(), 0, 0);
    say("parent: ATTACH to itself: %ld %s", r, strerror(errno));
    r = ptrace(PTRACE_CONT, child, 0, (void *)1000L);
    say("parent: CONT with signal 1000: %ld %s", r, strerror(errno));
    kill(child, SIGKILL);
    status = waitfor(child);
    say("parent: child %s", describe(status));
    errno = 0;
    r = ptrace(PTRACE_PEEKDATA, child, (void *)&secret, 0);
    say("parent: PEEKDATA of a reaped child: %s", strerror(errno));
}

/* A tracer rewrites its tracee's getpid into openat(PATH): the call the
 * tracee ends up making is still one picorun translates. */
static char steer_path[4096];

static void steer(const char *path) {
    snprintf(steer_path, sizeof steer_path, "%s", path);
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        long r = syscall(SYS_getpid);
        if (r < 0) { say("steered call: %s", strerror(errno)); _exit(0); }
        char buf[64] = {0};
        long n = read((int)r, buf, sizeof buf - 1);
        say("steered call opened it, read %ld bytes", n);
        _exit(0);
    }
    int status = waitfor(child);
    int entered = 0;
    for (;;) {
        ptrace(PTRACE_SYSCALL, child, 0, 0);
        status = waitfor(child);
        if (!WIFSTOPPED(status)) break;
        struct user_regs_struct r;
        ptrace(PTRACE_GETREGS, child, 0, &r);
        if (!entered && r.orig_rax == SYS_getpid) {
            entered = 1;
            r.orig_rax = SYS_openat;
            r.rdi = (unsigned long)AT_FDCWD;
            r.rsi = (unsigned long)steer_path;
            r.rdx = O_RDONLY;
            ptrace(PTRACE_SETREGS, child, 0, &r);
        }
    }
    say("parent: child %s", describe(status));
}

/* PTRACE_SYSEMU: the call is not made; the tracer gives its result. */
static void sysemu(void) {
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        long r = syscall(SYS_getppid);
        say("child: emulated getppid gave %ld", r);
        _exit(0);
    }
    int status = waitfor(child);
    ptrace(PTRACE_SYSEMU, child, 0, 0);
    status = waitfor(child);
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, child, 0, &r);
    say("parent: SYSEMU stop: %s, at getppid %d, rax %lld", describe(status), r.orig_rax == SYS_getppid, (long long)r.rax);
    r.rax = 99;
    ptrace(PTRACE_SETREGS, child, 0, &r);
    ptrace(PTRACE_CONT, child, 0, 0);
    status = waitfor(child);
    say("parent: child %s", describe(status));
}

/* Pending signals and the mask of a stopped tracee; register sets. */
static void pending(void) {
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        sigset_t rt;
        sigemptyset(&rt);
        sigaddset(&rt, SIGRTMIN);
        sigprocmask(SIG_BLOCK, &rt, 0);
        union sigval v1 = { .sival_int = 1 }, v2 = { .sival_int = 2 };
        sigqueue(getpid(), SIGRTMIN, v1);
        sigqueue(getpid(), SIGRTMIN, v2);
        raise(SIGSTOP);
        say("child: queued signals suppressed");
        _exit(0);
    }
    int status = waitfor(child);
    say("parent: %s", describe(status));
    siginfo_t si[4];
    memset(si, 0, sizeof si);
    struct { unsigned long long off; unsigned flags; int nr; } peek = { 0, 1 /* PTRACE_PEEKSIGINFO_SHARED */, 4 };
    long n = ptrace(PTRACE_PEEKSIGINFO, child, &peek, si);
    say("parent: PEEKSIGINFO %ld: signo %d code %d value %d, value %d", n, si[0].si_signo, si[0].si_code,
        si[0].si_value.sival_int, si[1].si_value.sival_int);
    peek.flags = 0;
    say("parent: PEEKSIGINFO of the thread's own queue %ld", ptrace(PTRACE_PEEKSIGINFO, child, &peek, si));
    unsigned long long mask = 0;
    long m = ptrace(PTRACE_GETSIGMASK, child, (void *)8L, &mask);
    say("parent: GETSIGMASK %ld, SIGRTMIN blocked %d", m, (int)(mask >> (SIGRTMIN - 1) & 1));
    errno = 0;
    m = ptrace(PTRACE_GETSIGMASK, child, (void *)4L, &mask);
    say("parent: GETSIGMASK of 4 bytes %ld %s", m, strerror(errno));
    static unsigned char xstate[16384];
    struct iovec iov = { xstate, sizeof xstate };
    long rs = ptrace(PTRACE_GETREGSET, child, (void *)NT_X86_XSTATE, &iov);
    say("parent: GETREGSET NT_X86_XSTATE %ld, %s", rs, iov.iov_len > 512 && iov.iov_len < sizeof xstate ? "its size" : "a wrong size");
    size_t xlen = iov.iov_len;
    rs = ptrace(PTRACE_SETREGSET, child, (void *)NT_X86_XSTATE, &iov);
    say("parent: SETREGSET NT_X86_XSTATE %ld, same size %d", rs, iov.iov_len == xlen);
    struct user_fpregs_struct fp;
    iov.iov_base = &fp;
    iov.iov_len = sizeof fp;
    rs = ptrace(PTRACE_GETREGSET, child, (void *)NT_PRFPREG, &iov);
    say("parent: GETREGSET NT_PRFPREG %ld, %d bytes", rs, (int)iov.iov_len);
    mask = 0;
    ptrace(PTRACE_SETSIGMASK, child, (void *)8L, &mask);
    ptrace(PTRACE_CONT, child, 0, 0);
    for (;;) {
        status = waitfor(child);
        if (!WIFSTOPPED(status)) break;
        siginfo_t info;
        memset(&info, 0, sizeof info);
        ptrace(PTRACE_GETSIGINFO, child, 0, &info);
        say("parent: %s, value %d", describe(status), info.si_value.sival_int);
        ptrace(PTRACE_CONT, child, 0, 0);
    }
    say("parent: child %s", describe(status));
}

/* PTRACE_LISTEN: a seized tracee in group stop stays stopped until SIGCONT. */
static void listen_stop(void) {
    pid_t child = paused_child(0, 0);
    ptrace(PTRACE_SEIZE, child, 0, 0);
    kill(child, SIGSTOP);
    int status = waitfor(child);
    say("parent: seized child: %s", describe(status));
    if (WSTOPSIG(status) == SIGSTOP && status >> 16 == 0) {
        /* The signal-delivery stop first; the group stop follows. */
        ptrace(PTRACE_CONT, child, 0, (void *)(long)SIGSTOP);
        status = waitfor(child);
        say("parent: then %s", describe(status));
    }
    long l = ptrace(PTRACE_LISTEN, child, 0, 0);
    say("parent: LISTEN %ld", l);
    int st2 = 0;
    pid_t got = waitpid(child, &st2, WNOHANG | __WALL);
    say("parent: a listening tracee reports %s", got == 0 ? "nothing" : describe(st2));
    kill(child, SIGCONT);
    status = waitfor(child);
    say("parent: after SIGCONT: %s", describe(status));
    kill(child, SIGKILL);
    ptrace(PTRACE_CONT, child, 0, 0);
    for (;;) {
        status = waitfor(child);
        if (!WIFSTOPPED(status)) break;
        ptrace(PTRACE_CONT, child, 0, 0);
    }
    say("parent: child %s", describe(status));
}

/* A child that made itself not dumpable: who may attach to it, read its
 * memory and take its fds (root may, nobody may not); an exec makes a
 * process dumpable again. */
static void undumpable(const char *self) {
    prctl(PR_SET_DUMPABLE, 0);
    int fd = open(self, O_RDONLY);
    char head[4] = {0};
    long n = fd >= 0 ? read(fd, head, 4) : -1;
    say("child: dumpable %d, prctl(2) %d, still reads its files %d", prctl(PR_GET_DUMPABLE), prctl(PR_SET_DUMPABLE, 2) == -1 ? errno : 0,
        n == 4 && head[1] == 'E');
}

static void dumpable(char *self) {
    pid_t child = paused_child(undumpable, self);
    long word = 0;
    struct iovec local = { &word, sizeof word }, remote = { (void *)&secret, sizeof word };
    long r = syscall(SYS_process_vm_readv, child, &local, 1, &remote, 1, 0);
    say("parent: process_vm_readv: %s", r == sizeof word ? "read" : strerror(errno));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", child);
    int mem = open(path, O_RDONLY);
    say("parent: open /proc/PID/mem: %s", mem >= 0 ? "opened" : strerror(errno));
    if (mem >= 0) close(mem);
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    long got = syscall(SYS_pidfd_getfd, pidfd, 1, 0);
    say("parent: pidfd_getfd: %s", got >= 0 ? "an fd" : strerror(errno));
    if (got >= 0) close((int)got);
    errno = 0;
    say("parent: pidfd_getfd with flags: %s", syscall(SYS_pidfd_getfd, pidfd, 1, 1) < 0 ? strerror(errno) : "an fd");
    close(pidfd);
    r = ptrace(PTRACE_ATTACH, child, 0, 0);
    say("parent: attach: %s", r == 0 ? "attached" : strerror(errno));
    if (r == 0) {
        int status = waitfor(child);
        say("parent: attached child %s", describe(status));
        ptrace(PTRACE_DETACH, child, 0, 0);
    }
    kill(child, SIGKILL);
    int status = waitfor(child);
    say("parent: child %s", describe(status));
    child = fork();
    if (child == 0) {
        prctl(PR_SET_DUMPABLE, 0);
        execl(self, self, "dumpable-exec", (char *)0);
        _exit(127);
    }
    status = waitfor(child);
    say("parent: child %s", describe(status));
}

/* A tracee's own seccomp filter returns SECCOMP_RET_TRACE: its tracer's
 * PTRACE_EVENT_SECCOMP stops (with the filter's data) between the entry
 * and exit stops, where it skips a call, changes one, or lets it run;
 * getppid and uname are calls picorun lets through, openat one it answers
 * itself. Without PTRACE_O_TRACESECCOMP the same calls fail with ENOSYS. */
static const char *sc_name(long nr) {
    switch (nr) {
    case SYS_getppid: return "getppid";
    case SYS_getpid: return "getpid";
    case SYS_openat: return "openat";
    case SYS_uname: return "uname";
    default: return 0;
    }
}

static void seccomp_child(void) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 7),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 8),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, O_RDONLY, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 9),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof f / sizeof f[0], f };
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) { say("child: seccomp: %s", strerror(errno)); _exit(1); }
    long a = syscall(SYS_getppid);
    long fd = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
    long b = syscall(SYS_getppid);
    long c = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
    char u[512];
    long d = syscall(SYS_uname, u);
    say("child: skipped getppid %ld, openat %s, getppid made getpid %d, skipped openat %ld, uname %ld",
        a, fd >= 0 ? "opened" : strerror(errno), b == getpid(), c, d);
}

static void seccomp_trace(int with_option) {
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        seccomp_child();
        _exit(0);
    }
    int status = waitfor(child);
    ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESYSGOOD | (with_option ? PTRACE_O_TRACESECCOMP : 0));
    int seen = 0;
    const char *current = 0;
    for (;;) {
        ptrace(PTRACE_SYSCALL, child, 0, 0);
        status = waitfor(child);
        if (!WIFSTOPPED(status)) break;
        struct ptrace_syscall_info info;
        memset(&info, 0, sizeof info);
        ptrace(PTRACE_GET_SYSCALL_INFO, child, (void *)sizeof info, &info);
        struct user_regs_struct r;
        ptrace(PTRACE_GETREGS, child, 0, &r);
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
            current = sc_name((long)info.entry.nr);
            if (current) say("parent: entry %s", current);
        } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
            if (current) say("parent: exit %s = %s", current, info.exit.rval >= 0 ? "ok" : strerror((int)-info.exit.rval));
            current = 0;
        } else if (info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
            unsigned long msg = 0;
            ptrace(PTRACE_GETEVENTMSG, child, 0, &msg);
            say("parent: seccomp stop %s, data %lu (ret_data %u), rax %lld", sc_name((long)info.seccomp.nr) ? sc_name((long)info.seccomp.nr) : "?",
                msg, info.seccomp.ret_data, (long long)r.rax);
            seen++;
            if (seen == 1) {
                /* The tracee's filter as it installed it (CAP_SYS_ADMIN only). */
                struct sock_filter got[16];
                errno = 0;
                long count = ptrace(PTRACE_SECCOMP_GET_FILTER, child, 0, 0);
                say("parent: SECCOMP_GET_FILTER count %ld %s", count, strerror(errno));
                if (count > 0 && count <= 16) {
                    long again = ptrace(PTRACE_SECCOMP_GET_FILTER, child, 0, got);
                    say("parent: SECCOMP_GET_FILTER %ld, first loads nr %d, second tests getppid %d", again,
                        got[0].code == (BPF_LD | BPF_W | BPF_ABS) && got[0].k == 0, got[1].k == SYS_getppid);
                }
                errno = 0;
                count = ptrace(PTRACE_SECCOMP_GET_FILTER, child, (void *)1, 0);
                say("parent: SECCOMP_GET_FILTER of filter 1: %ld %s", count, strerror(errno));
                r.orig_rax = -1;
                r.rax = 555;
            }
            if (seen == 3) { r.orig_rax = SYS_getpid; }
            if (seen == 4) { r.orig_rax = -1; r.rax = -EACCES; }
            ptrace(PTRACE_SETREGS, child, 0, &r);
        } else if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
            say("parent: %s", describe(status));
        }
    }
    say("parent: child %s, %d seccomp stops", describe(status), seen);
}

/* ptrace(PTRACE_ATTACH) of a pid, and what came of it. */
static void attach(pid_t pid) {
    long r = ptrace(PTRACE_ATTACH, pid, 0, 0);
    say("attach: %s", r == 0 ? "attached" : strerror(errno));
    /* Detached once stopped: a detach before the attach's SIGSTOP has
     * stopped it fails (ESRCH), and the tracer's exit then leaves the
     * SIGSTOP to stop it for good, natively as under picorun. */
    int status;
    if (r == 0 && waitpid(pid, &status, __WALL) == pid) ptrace(PTRACE_DETACH, pid, 0, 0);
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "steer") == 0) { steer(argv[2]); return 0; }
    if (argc > 2 && strcmp(argv[1], "attach") == 0) { attach(atoi(argv[2])); return 0; }
    if (argc > 1 && strcmp(argv[1], "attach-parent") == 0) { attach(getppid()); return 0; }
    if (argc > 1 && strcmp(argv[1], "dumpable-exec") == 0) {
        say("exec'd child: dumpable %d", prctl(PR_GET_DUMPABLE));
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
        pid_t g = fork();
        if (g == 0) _exit(5);
        int status;
        /* Its tracer reaps the traced grandchild first; then its parent. */
        waitpid(g, &status, 0);
        return WIFEXITED(status) && WEXITSTATUS(status) == 5 ? 4 : 6;
    }
    syscalls();
    signals();
    events(argv[0]);
    seize();
    sysemu();
    pending();
    listen_stop();
    dumpable(argv[0]);
    seccomp_trace(1);
    seccomp_trace(0);
    say("done");
    return 0;
}
