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
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <elf.h>
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

/* A signal stops the tracee first: the tracer may suppress it. */
static void signals(void) {
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
    ptrace(PTRACE_CONT, child, 0, 0);
    status = waitfor(child);
    say("parent: then %s", describe(status));
    ptrace(PTRACE_CONT, child, 0, (void *)(long)WSTOPSIG(status));
    status = waitfor(child);
    say("parent: child %s", describe(status));
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

/* PTRACE_SEIZE and PTRACE_INTERRUPT of a running child; the rules. */
static void seize(void) {
    int fds[2];
    if (pipe(fds)) return;
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        write(fds[1], "r", 1);
        for (;;) pause();
    }
    char c;
    read(fds[0], &c, 1);
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

/* ptrace(PTRACE_ATTACH) of a pid, and what came of it. */
static void attach(pid_t pid) {
    long r = ptrace(PTRACE_ATTACH, pid, 0, 0);
    say("attach: %s", r == 0 ? "attached" : strerror(errno));
    if (r == 0) ptrace(PTRACE_DETACH, pid, 0, 0);
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "steer") == 0) { steer(argv[2]); return 0; }
    if (argc > 2 && strcmp(argv[1], "attach") == 0) { attach(atoi(argv[2])); return 0; }
    if (argc > 1 && strcmp(argv[1], "attach-parent") == 0) { attach(getppid()); return 0; }
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
    say("done");
    return 0;
}
