/* The second escape suite: the supervisor as a target, inherited fds,
 * exec of anonymous files, setuid bits planted by a non-root guest user,
 * DrvFS mounts, and the host's pseudo-filesystems.
 *
 *   escape2 SECRET_PATH [SECRET_NAME [HOST_SUID_PATH]]
 *
 * SECRET_PATH is the host path of a file holding "HOST-SECRET", outside the
 * guest root; fd 3, if open, is an inherited host directory holding it
 * under SECRET_NAME (default "key"). Optional parts run when set up:
 * /mnt/host (a --mount of a host folder that is a sibling of the secret's
 * folder, holding host-made symlinks "hostabs" -> SECRET_PATH and "hostrel"
 * -> ../SECRETDIR/SECRET_NAME), /mnt/ro (a read-only --mount), and the
 * setuid part when the guest is root with emulated identities.
 * ESCAPE2_ABSTRACT=NAME in the environment names a host abstract unix
 * socket (listening, outside the guest): reachable by design, since the
 * guest shares the host's network namespace; reported, not judged.
 * HOST_SUID_PATH is a host file with the setuid bit at a path the guest
 * user can also write inside the root (under /tmp): the guest's own file
 * there must not run setuid.
 *
 * One line per attempt; "LEAK" means a way out (or into the supervisor),
 * and the last line is "leaks: N". Nothing here is destructive when the
 * supervisor holds: signals that would stop or kill it are only sent once
 * kill(pid, 0) has shown that they would be refused.
 *
 * Processes outside the guest are probed too: the supervisor (the nearest
 * ancestor named picorun), every other ancestor (a harness may keep a host
 * file open in one: Fixtures/elf/run-escape2.sh holds the secret on fd 4 in
 * the shell above picorun) and, by /proc paths only, other picorun
 * processes. Last, if the supervisor's seccomp listener can be taken with
 * pidfd_getfd, the guest answers its own open() of the secret with
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE, to show what that means.
 *
 * Internal modes: escape2 --child SECRET TRACERPID (after an exec of a
 * copy: still under picorun?), escape2 --whoami (exits with a code that
 * says whether the euid is 0 and whether the marker was patched). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

extern char **environ;
static const char *secret;       /* host path of the secret */
static const char *secret_name;  /* its name inside fd 3's directory */
static const char *host_suid;    /* a host setuid file at a path the guest user can write */
static char secret_dir_base[4096];
static int leaks;
static char self_image_path[64] = "/proc/self/exe";

/* The marker a patched copy of this program changes (see the race below).
 * Read through a volatile pointer so the compiler keeps it in .rodata. */
static const char marker[] = "ESCAPE2-MARKER-ORIGINAL";
static const char *volatile markerp = marker;

#define W 60

static void line(const char *what, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("%-*s %s\n", W, what, buf);
}

static void leak(const char *what, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("%-*s LEAK (%s)\n", W, what, buf);
    leaks++;
}

static const char *en(int e) { const char *n = strerrorname_np(e); return n ? n : "?"; }

/* 1 if the fd reads "HOST-SECRET" from its start. */
static int fd_has_secret(int fd) {
    char buf[256] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n < 0) n = read(fd, buf, sizeof buf - 1);
    return n > 0 && memmem(buf, (size_t)n, "HOST-SECRET", 11) != NULL;
}

/* An open that must fail or at least not reach the secret. */
static void attempt(const char *what, int fd) {
    if (fd < 0) { line(what, "denied (%s)", en(errno)); return; }
    if (fd_has_secret(fd)) leak(what, "read the host secret");
    else line(what, "opened something else");
    close(fd);
}

static void try_open(const char *what, const char *path) { attempt(what, open(path, O_RDONLY)); }

/* A call that must fail: success is a leak. */
static void must_fail(const char *what, long r) {
    if (r < 0) line(what, "denied (%s)", en(errno));
    else leak(what, "succeeded: %ld", r);
}

static int read_file(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return (int)n;
}

static long status_field(pid_t pid, const char *field) {
    char path[64], buf[4096];
    if (pid) snprintf(path, sizeof path, "/proc/%d/status", pid);
    else snprintf(path, sizeof path, "/proc/self/status");
    if (read_file(path, buf, sizeof buf) < 0) return -1;
    char *p = strstr(buf, field);
    if (!p) return -1;
    return strtol(p + strlen(field), NULL, 10);
}

static int comm_of(pid_t pid, char *out, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    if (read_file(path, out, size) < 0) return -1;
    out[strcspn(out, "\n")] = 0;
    return 0;
}

static int wait_code(pid_t pid) {
    int st;
    while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ------------------------------------------------------------------ */
/* Internal modes.                                                     */

/* After an exec of an anonymous copy: the new image must still be traced
 * (by the same tracer), filtered, and in the guest's file tree. */
static int child_mode(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    secret = argc > 2 ? argv[2] : "/nonexistent";
    long expect = argc > 3 ? atol(argv[3]) : -1;
    long tracer = status_field(0, "TracerPid:");
    long sec = status_field(0, "Seccomp:");
    int bad = 0;
    if (tracer != expect || sec != 2) {
        printf("%-*s LEAK (TracerPid %s, Seccomp %ld)\n", W, "  exec'd copy: still traced and filtered",
               tracer == expect ? "same" : "changed", sec);
        bad++;
    } else {
        printf("%-*s yes\n", W, "  exec'd copy: still traced and filtered");
    }
    int fd = open(secret, O_RDONLY);
    if (fd >= 0 && fd_has_secret(fd)) {
        printf("%-*s LEAK (read the host secret)\n", W, "  exec'd copy: open(host secret path)");
        bad++;
    } else {
        printf("%-*s denied (%s)\n", W, "  exec'd copy: open(host secret path)", fd < 0 ? en(errno) : "other file");
    }
    struct stat st;
    printf("%-*s %s\n", W, "  exec'd copy: sees the guest root", stat("/escape2", &st) == 0 ? "yes" : "no");
    return bad ? 1 : 0;
}

/* The setuid checks' program: exit code bit 0 = effective uid 0, bit 1 =
 * the marker was patched (so the code running is an attacker's copy). */
static int whoami_mode(void) {
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    int patched = strcmp(markerp + 15, "ORIGINAL") != 0;
    return (e == 0 ? 1 : 0) | (patched ? 2 : 0) | (r != 65534 && r != 0 ? 4 : 0);
}

/* ------------------------------------------------------------------ */
/* The supervisor and the guest's other ancestors.                     */

static pid_t ancestors[64];
static int nancestors;
static pid_t supervisor;      /* the nearest ancestor named picorun */
static pid_t scanned[64];     /* every process named picorun */
static int nscanned;

static void find_supervisor(void) {
    pid_t p = getppid();
    while (p > 1 && nancestors < 64) {
        ancestors[nancestors++] = p;
        char comm[64];
        if (!supervisor && comm_of(p, comm, sizeof comm) == 0 && strcmp(comm, "picorun") == 0) supervisor = p;
        long pp = status_field(p, "PPid:");
        if (pp <= 0 || pp == p) break;
        p = (pid_t)pp;
    }
    DIR *d = opendir("/proc");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && nscanned < 64) {
            pid_t pid = (pid_t)atoi(e->d_name);
            if (pid <= 0) continue;
            char comm[64];
            if (comm_of(pid, comm, sizeof comm) == 0 && strcmp(comm, "picorun") == 0) scanned[nscanned++] = pid;
        }
        closedir(d);
    }
    if (!supervisor && nancestors) supervisor = ancestors[0];
    line("supervisor found (parent chain and /proc scan)", "%s, %d ancestors, %s",
         supervisor ? "yes" : "no", nancestors, nscanned ? "picorun in /proc" : "no picorun in /proc");
}

/* An fd we did not expect to get: describe it, and leak-check it. */
static void judge_stolen_fd(const char *what, int fd) {
    char buf[64] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0 && memmem(buf, (size_t)n, "HOST-SECRET", 11)) { leak(what, "read the host secret"); return; }
    if (n >= 15 && memcmp(buf, "SQLite format 3", 15) == 0) { leak(what, "reads an SQLite database (the sidecar?)"); return; }
    uint64_t id = 0;
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT) {
        leak(what, "got a seccomp listener: the guest can answer its own notifications");
        return;
    }
    leak(what, "took an fd of a process outside the guest");
}

/* Paths into /proc/PID/... of a process that is not a guest. */
static void proc_paths(const char *who, pid_t pid, int full) {
    char what[128], p[8192];
    snprintf(what, sizeof what, "/proc/%s/root + secret path", who);
    snprintf(p, sizeof p, "/proc/%d/root%s", pid, secret);
    try_open(what, p);
    snprintf(what, sizeof what, "/proc/%s/root/../../.. + secret path", who);
    snprintf(p, sizeof p, "/proc/%d/root/../../..%s", pid, secret);
    try_open(what, p);
    snprintf(what, sizeof what, "/proc/%s/cwd/../../../../.. + secret path", who);
    snprintf(p, sizeof p, "/proc/%d/cwd/../../../../../../../..%s", pid, secret);
    try_open(what, p);
    snprintf(what, sizeof what, "/proc/%s/cwd (as a directory)", who);
    snprintf(p, sizeof p, "/proc/%d/cwd", pid);
    int dfd = open(p, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        /* It may legitimately be inside the tree; then it must stay there. */
        int f = openat(dfd, secret + 1, O_RDONLY);
        snprintf(what, sizeof what, "openat(/proc/%s/cwd fd, secret path)", who);
        attempt(what, f);
        close(dfd);
    } else {
        line(what, "denied (%s)", en(errno));
    }
    snprintf(what, sizeof what, "/proc/%s/exe", who);
    snprintf(p, sizeof p, "/proc/%d/exe", pid);
    attempt(what, open(p, O_RDONLY));

    /* Every fd, by /proc/PID/fd/N, and through it as a directory. */
    int opened = 0, outside = 0, secrets = 0;
    for (int n = 0; n <= 64; n++) {
        snprintf(p, sizeof p, "/proc/%d/fd/%d", pid, n);
        int fd = open(p, O_RDONLY | O_NONBLOCK);
        if (fd >= 0) {
            opened++;
            char mine[64], target[PATH_MAX];
            snprintf(mine, sizeof mine, "/proc/self/fd/%d", fd);
            ssize_t l = readlink(mine, target, sizeof target - 1);
            /* picorun answers readlink only for what is inside the tree. */
            if (l < 0) outside++;
            if (fd_has_secret(fd)) secrets++;
            close(fd);
        }
        snprintf(p, sizeof p, "/proc/%d/fd/%d/%s", pid, n, secret_name);
        fd = open(p, O_RDONLY);
        if (fd >= 0) { if (fd_has_secret(fd)) secrets++; close(fd); }
        snprintf(p, sizeof p, "/proc/%d/fd/%d/../../../../../../..%s", pid, n, secret);
        fd = open(p, O_RDONLY);
        if (fd >= 0) { if (fd_has_secret(fd)) secrets++; close(fd); }
    }
    snprintf(what, sizeof what, "/proc/%s/fd/0..64 (and as directories)", who);
    if (secrets) leak(what, "read the host secret through %d", secrets);
    else if (outside) leak(what, "opened %d fds on objects outside the tree", outside);
    else line(what, "contained (%s)", opened ? "some opened inside the tree" : "none opened");

    /* Threads. */
    snprintf(p, sizeof p, "/proc/%d/task", pid);
    DIR *d = opendir(p);
    int tleaks = 0, tasks = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            tasks++;
            const char *forms[] = {"/proc/%d/task/%s/root%s", "/proc/%d/task/%s/cwd/../../../../../../..%s"};
            for (int i = 0; i < 2; i++) {
                snprintf(p, sizeof p, forms[i], pid, e->d_name, secret);
                int fd = open(p, O_RDONLY);
                if (fd >= 0) { if (fd_has_secret(fd)) tleaks++; close(fd); }
            }
        }
        closedir(d);
    }
    snprintf(what, sizeof what, "/proc/%s/task/*/{root,cwd} + secret path", who);
    if (tleaks) leak(what, "read the host secret");
    else line(what, "contained (%s)", tasks ? "threads listed" : "no threads listed");

    if (!full) return;
    /* Its memory: the supervisor must not open its own /proc/PID/mem for us. */
    snprintf(what, sizeof what, "open(/proc/%s/mem, O_RDWR)", who);
    snprintf(p, sizeof p, "/proc/%d/mem", pid);
    int fd = open(p, O_RDWR);
    if (fd >= 0) { leak(what, "the supervisor's memory, writable"); close(fd); }
    else line(what, "denied (%s)", en(errno));
    snprintf(what, sizeof what, "open(/proc/%s/mem, O_RDONLY)", who);
    fd = open(p, O_RDONLY);
    if (fd >= 0) { leak(what, "the supervisor's memory, readable"); close(fd); }
    else line(what, "denied (%s)", en(errno));
    /* map_files: magic links to every file it has mapped (its own binary). */
    snprintf(p, sizeof p, "/proc/%d/map_files", pid);
    d = opendir(p);
    int mopened = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char q[512];
            snprintf(q, sizeof q, "/proc/%d/map_files/%s", pid, e->d_name);
            int f = open(q, O_RDONLY);
            if (f >= 0) { mopened++; close(f); }
        }
        closedir(d);
    }
    snprintf(what, sizeof what, "/proc/%s/map_files/* (its mapped host files)", who);
    if (mopened) leak(what, "opened %d host files mapped by it", mopened);
    else line(what, "denied");
}

static long pidfd_open(pid_t pid) { return syscall(SYS_pidfd_open, pid, 0); }

/* Calls aimed at a process: none may succeed. */
static void process_calls(const char *who, pid_t pid, int is_supervisor) {
    char what[128];
    snprintf(what, sizeof what, "ptrace(PTRACE_ATTACH, %s)", who);
    must_fail(what, ptrace(PTRACE_ATTACH, pid, 0, 0));
    snprintf(what, sizeof what, "ptrace(PTRACE_SEIZE, %s)", who);
    must_fail(what, ptrace(PTRACE_SEIZE, pid, 0, 0));

    /* Permission comes before the address: EFAULT on an unmapped address
     * means the kernel would have let us read or write a mapped one. */
    char local[16] = {0};
    struct iovec l = {local, sizeof local}, r = {(void *)0x10, sizeof local};
    snprintf(what, sizeof what, "process_vm_readv(%s)", who);
    long n = process_vm_readv(pid, &l, 1, &r, 1, 0);
    if (n >= 0 || errno == EFAULT) leak(what, "permitted (%s)", n >= 0 ? "read" : "EFAULT at an unmapped address");
    else line(what, "denied (%s)", en(errno));
    snprintf(what, sizeof what, "process_vm_writev(%s)", who);
    n = process_vm_writev(pid, &l, 1, &r, 1, 0);
    if (n >= 0 || errno == EFAULT) leak(what, "permitted (%s)", n >= 0 ? "wrote" : "EFAULT at an unmapped address");
    else line(what, "denied (%s)", en(errno));

    /* Signals: probe with 0 first; a real SIGSTOP/SIGKILL only if refused. */
    snprintf(what, sizeof what, "kill(%s, 0)", who);
    int permitted = kill(pid, 0) == 0;
    /* picorun is the first guest's parent: signal 0 finds it alive, as
     * kill(getppid(), 0) should; every real signal must still be refused. */
    if (permitted && !is_supervisor) leak(what, "permitted: SIGKILL/SIGSTOP would reach it (not sent)");
    else if (permitted) line(what, "answered (picorun is the first guest's parent)");
    else line(what, "denied (%s)", en(errno));
    long pidfd = pidfd_open(pid);
    if (is_supervisor) {
        snprintf(what, sizeof what, "kill(%s, SIGSTOP)", who);
        must_fail(what, kill(pid, SIGSTOP));
        kill(pid, SIGCONT);
        snprintf(what, sizeof what, "kill(%s, SIGKILL)", who);
        must_fail(what, kill(pid, SIGKILL));
        snprintf(what, sizeof what, "tgkill(%s, %s, SIGKILL)", who, who);
        must_fail(what, syscall(SYS_tgkill, pid, pid, SIGKILL));
        siginfo_t si;
        memset(&si, 0, sizeof si);
        si.si_signo = SIGKILL;
        si.si_code = SI_QUEUE;
        snprintf(what, sizeof what, "rt_sigqueueinfo(%s, SIGKILL)", who);
        must_fail(what, syscall(SYS_rt_sigqueueinfo, pid, SIGKILL, &si));
        if (pidfd >= 0) {
            snprintf(what, sizeof what, "pidfd_send_signal(%s, SIGKILL)", who);
            must_fail(what, syscall(SYS_pidfd_send_signal, (int)pidfd, SIGKILL, NULL, 0));
        }
    }
    if (pidfd < 0) {
        snprintf(what, sizeof what, "pidfd_open(%s)", who);
        line(what, "denied (%s)", en(errno));
        return;
    }
    snprintf(what, sizeof what, "pidfd_send_signal(%s, 0)", who);
    if (syscall(SYS_pidfd_send_signal, (int)pidfd, 0, NULL, 0) == 0) leak(what, "permitted");
    else line(what, "denied (%s)", en(errno));
    int got = 0, firstfd = -1, firsterr = 0;
    for (int fd = 0; fd <= 64; fd++) {
        long g = syscall(SYS_pidfd_getfd, (int)pidfd, fd, 0);
        if (g >= 0) {
            char w2[128];
            snprintf(w2, sizeof w2, "pidfd_getfd(%s, %d)", who, fd);
            judge_stolen_fd(w2, (int)g);
            close((int)g);
            if (firstfd < 0) firstfd = fd;
            got++;
        } else if (errno != EBADF && !firsterr) {
            firsterr = errno;
        }
    }
    snprintf(what, sizeof what, "pidfd_getfd(%s, 0..64)", who);
    if (!got) line(what, "denied (%s)", en(firsterr ? firsterr : EBADF));
    else line(what, "took %d fds (first: %d)", got, firstfd);
    close((int)pidfd);
    if (is_supervisor) {
        snprintf(what, sizeof what, "prlimit(%s) (read)", who);
        struct rlimit rl;
        if (prlimit(pid, RLIMIT_NOFILE, NULL, &rl) == 0) line(what, "permitted (could lower its limits)");
        else line(what, "denied (%s)", en(errno));
    }
}

/* If the guest holds the seccomp listener, the guest answers its own
 * notifications with SECCOMP_USER_NOTIF_FLAG_CONTINUE and the kernel
 * opens the host path. Shows the leak for certain. */
static volatile int stop_open_loop;
static void *open_loop(void *arg) {
    int *hits = arg;
    while (!stop_open_loop) {
        int fd = open(secret, O_RDONLY);
        if (fd >= 0) { if (fd_has_secret(fd)) (*hits)++; close(fd); }
    }
    return NULL;
}

static void listener_exploit(void) {
    if (!supervisor) return;
    long pidfd = pidfd_open(supervisor);
    if (pidfd < 0) return;
    int listener = -1;
    for (int fd = 0; fd <= 64 && listener < 0; fd++) {
        long g = syscall(SYS_pidfd_getfd, (int)pidfd, fd, 0);
        if (g < 0) continue;
        uint64_t id = 0;
        if (ioctl((int)g, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT) listener = (int)g;
        else close((int)g);
    }
    close((int)pidfd);
    const char *what = "answer own notifications with the stolen listener";
    if (listener < 0) { line(what, "no listener to steal"); return; }
    int hits = 0;
    pthread_t t;
    pthread_create(&t, NULL, open_loop, &hits);
    int answered = 0;
    time_t end = time(NULL) + 3;
    while (time(NULL) < end && !hits) {
        struct seccomp_notif req;
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) continue;
        struct seccomp_notif_resp resp = {.id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) answered++;
    }
    stop_open_loop = 1;
    pthread_join(t, NULL);
    close(listener);
    if (hits) leak(what, "the kernel opened the host path: read the host secret");
    else line(what, "contained (answered %d, no secret)", answered);
}

static void supervisor_section(void) {
    printf("-- the supervisor and the guest's ancestors\n");
    find_supervisor();
    if (supervisor) {
        proc_paths("SUPERVISOR", supervisor, 1);
        process_calls("SUPERVISOR", supervisor, 1);
    }
    /* The other ancestors and picorun processes: no signals sent, the same
     * probes summed up in one line each. */
    int others = 0, before = leaks;
    for (int i = 0; i < nancestors; i++) {
        if (ancestors[i] == supervisor) continue;
        others++;
        char who[32];
        snprintf(who, sizeof who, "ANCESTOR%d", i);
        proc_paths(who, ancestors[i], 0);
        process_calls(who, ancestors[i], 0);
    }
    for (int i = 0; i < nscanned; i++) {
        int known = scanned[i] == supervisor;
        for (int j = 0; j < nancestors; j++) known |= scanned[i] == ancestors[j];
        if (known) continue;
        others++;
        proc_paths("OTHER-PICORUN", scanned[i], 0);
    }
    line("other ancestors and picorun processes", "%d probed, %d leaks", others, leaks - before);
}

/* ------------------------------------------------------------------ */
/* fd 3: a host directory inherited from whoever started picorun.      */

/* fd 5: /proc/PID of a host process (the script that started picorun),
 * inherited. The guest sees only guest processes: nothing under it opens. */
static void inherited_proc_section(void) {
    printf("-- inherited fd 5 (/proc/PID of a host process)\n");
    if (fcntl(5, F_GETFD) < 0) { leak("fd 5", "not open: the runner did not pass it"); return; }
    const char *names[] = {"environ", "status", "cmdline", "mem", "fd", "cwd/.", "root/."};
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
        char what[96];
        snprintf(what, sizeof what, "openat(5, %s)", names[i]);
        int fd = openat(5, names[i], O_RDONLY);
        must_fail(what, fd);
        if (fd >= 0) close(fd);
    }
    struct stat st;
    must_fail("fstatat(5, status)", fstatat(5, "status", &st, 0));
    char buf[256];
    must_fail("readlinkat(5, cwd)", readlinkat(5, "cwd", buf, sizeof buf));
    must_fail("readlinkat(5, exe)", readlinkat(5, "exe", buf, sizeof buf));
}

static void inherited_fd_section(void) {
    printf("-- inherited fd 3 (a host directory outside the root)\n");
    if (fcntl(3, F_GETFD) < 0) { line("fd 3", "not open: skipped"); return; }
    char p[8192], what[128];
    attempt("openat(3, NAME)", openat(3, secret_name, O_RDONLY));
    snprintf(p, sizeof p, "../%s/%s", secret_dir_base, secret_name);
    attempt("openat(3, ../DIR/NAME)", openat(3, p, O_RDONLY));
    struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
    attempt("openat2(3, NAME, RESOLVE_BENEATH)", (int)syscall(SYS_openat2, 3, secret_name, &how, sizeof how));
    how.resolve = RESOLVE_IN_ROOT;
    attempt("openat2(3, NAME, RESOLVE_IN_ROOT)", (int)syscall(SYS_openat2, 3, secret_name, &how, sizeof how));
    how.resolve = 0;
    attempt("openat2(3, NAME)", (int)syscall(SYS_openat2, 3, secret_name, &how, sizeof how));
    struct stat st;
    must_fail("fstatat(3, NAME)", fstatat(3, secret_name, &st, 0));
    must_fail("faccessat(3, NAME)", faccessat(3, secret_name, R_OK, 0));
    char buf[256];
    must_fail("readlinkat(3, NAME)", readlinkat(3, secret_name, buf, sizeof buf));
    int saved_cwd = open(".", O_RDONLY | O_DIRECTORY);
    int r = fchdir(3);
    if (r == 0) {
        char cwd[4096] = "";
        if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "(getcwd: %s)", en(errno));
        line("fchdir(3)", "succeeded, cwd %s", cwd);
        attempt("  then open(NAME)", open(secret_name, O_RDONLY));
        snprintf(p, sizeof p, "../%s/%s", secret_dir_base, secret_name);
        attempt("  then open(../DIR/NAME)", open(p, O_RDONLY));
        if (saved_cwd >= 0) fchdir(saved_cwd);
    } else {
        line("fchdir(3)", "denied (%s)", en(errno));
    }
    if (saved_cwd >= 0) close(saved_cwd);
    const char *forms[] = {"/proc/self/fd/3/%s", "/proc/thread-self/fd/3/%s", "/dev/fd/3/%s", "/proc/self/fd/3/../%s",
                           "/proc/self/cwd/../../../../../../../proc/self/fd/3/%s"};
    for (unsigned i = 0; i < sizeof forms / sizeof *forms; i++) {
        char name[8192];
        if (i == 3) snprintf(name, sizeof name, "%s/%s", secret_dir_base, secret_name);
        else snprintf(name, sizeof name, "%s", secret_name);
        snprintf(p, sizeof p, forms[i], name);
        snprintf(what, sizeof what, "open(%s)", forms[i]);
        char *pct = strstr(what, "%s");
        if (pct) { memmove(pct + 4, pct + 2, strlen(pct + 2) + 1); memcpy(pct, "NAME", 4); }
        try_open(what, p);
    }
    snprintf(p, sizeof p, "/proc/%d/fd/3/%s", getpid(), secret_name);
    try_open("open(/proc/PID/fd/3/NAME)", p);
    mkdir("/tmp", 0777);
    unlink("/tmp/escape2-stolen");
    must_fail("linkat(3, NAME, /tmp/escape2-stolen)", linkat(3, secret_name, AT_FDCWD, "/tmp/escape2-stolen", 0));
    must_fail("linkat(3, NAME, ..., AT_SYMLINK_FOLLOW)",
              linkat(3, secret_name, AT_FDCWD, "/tmp/escape2-stolen", AT_SYMLINK_FOLLOW));
    must_fail("renameat(3, NAME, /tmp/escape2-stolen)", renameat(3, secret_name, AT_FDCWD, "/tmp/escape2-stolen"));
    must_fail("symlinkat(/, 3, planted)", symlinkat("/", 3, "escape2-planted"));
    must_fail("mkdirat(3, planted)", mkdirat(3, "escape2-planted-dir", 0755));
    must_fail("mknodat(3, planted fifo)", mknodat(3, "escape2-planted-fifo", S_IFIFO | 0644, 0));
    must_fail("openat(3, planted, O_CREAT)", openat(3, "escape2-planted-file", O_CREAT | O_WRONLY, 0644));
    must_fail("fchmodat(3, NAME, 0777)", fchmodat(3, secret_name, 0777, 0));
    must_fail("fchownat(3, NAME, 0, 0)", fchownat(3, secret_name, 0, 0, 0));
    must_fail("utimensat(3, NAME)", utimensat(3, secret_name, NULL, 0));
    must_fail("unlinkat(3, NAME)", unlinkat(3, secret_name, 0));
    char *args[] = {"x", NULL};
    errno = 0;
    syscall(SYS_execveat, 3, secret_name, args, environ, 0);
    /* ENOEXEC would mean the supervisor found and read the host file. */
    if (errno == ENOEXEC) leak("execveat(3, NAME)", "reached the host file (ENOEXEC)");
    else line("execveat(3, NAME)", "denied (%s)", en(errno));
    struct { unsigned int bytes; int type; unsigned char h[128]; } fh = {.bytes = 128};
    int mount_id;
    must_fail("name_to_handle_at(3, NAME)", syscall(SYS_name_to_handle_at, 3, secret_name, &fh, &mount_id, 0));
}

/* ------------------------------------------------------------------ */
/* Anonymous files executed: the new image stays under picorun.        */

static int copy_self(int out) {
    int in = open(self_image_path, O_RDONLY);
    if (in < 0) return -1;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) { close(in); return -1; }
    close(in);
    return n < 0 ? -1 : 0;
}

static void exec_child(const char *what, int how, int fd, const char *path) {
    char tracer[32];
    snprintf(tracer, sizeof tracer, "%ld", status_field(0, "TracerPid:"));
    char *args[] = {"escape2", "--child", (char *)secret, tracer, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        if (how == 0) syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
        else if (how == 1) fexecve(fd, args, environ);
        else execve(path, args, environ);
        printf("%-*s exec refused (%s)\n", W, what, en(errno));
        _exit(0);
    }
    int code = wait_code(pid);
    if (code == 1) leaks++;
    else if (code != 0) line(what, "child ended with %d", code);
}

static void memfd_section(void) {
    printf("-- exec of anonymous and copied images\n");
    int m = memfd_create("escape2-copy", 0);
    if (m < 0) { line("memfd_create", "failed (%s)", en(errno)); return; }
    if (copy_self(m) < 0) { line("copy of this program into a memfd", "failed (%s)", en(errno)); close(m); return; }
    line("memfd_create + copy of this program", "ok");
    exec_child("execveat(memfd, \"\", AT_EMPTY_PATH)", 0, m, NULL);
    exec_child("fexecve(memfd)", 1, m, NULL);
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", m);
    exec_child("execve(/proc/self/fd/MEMFD)", 2, m, p);
    close(m);
    /* The same through a file in the root, and an O_TMPFILE. */
    mkdir("/tmp", 0777);
    int f = open("/tmp/escape2-copy", O_CREAT | O_TRUNC | O_WRONLY, 0755);
    if (f >= 0 && copy_self(f) == 0) {
        close(f);
        exec_child("execve(copy in the root)", 2, -1, "/tmp/escape2-copy");
        f = open("/tmp/escape2-copy", O_RDONLY);
        exec_child("execveat(fd of the copy, \"\", AT_EMPTY_PATH)", 0, f, NULL);
        close(f);
    } else {
        line("copy into /tmp", "failed (%s)", en(errno));
    }
    f = open("/tmp", O_TMPFILE | O_RDWR, 0755);
    if (f >= 0 && copy_self(f) == 0) exec_child("execveat(O_TMPFILE copy, \"\", AT_EMPTY_PATH)", 0, f, NULL);
    else line("O_TMPFILE copy", "failed (%s)", en(errno));
    if (f >= 0) close(f);
}

/* ------------------------------------------------------------------ */
/* setuid bits planted by a guest user who is not root.               */

static int copy_to(const char *path, mode_t mode, int patch) {
    int in = open(self_image_path, O_RDONLY);
    if (in < 0) return -1;
    static char img[64 << 20];
    ssize_t n, total = 0;
    while ((n = read(in, img + total, sizeof img - (size_t)total)) > 0) total += n;
    close(in);
    if (n < 0) return -1;
    if (patch) {
        char *at = memmem(img, (size_t)total, marker, sizeof marker - 1);
        if (!at) return -1;
        memcpy(at + 15, "PATCHED!", 8);
    }
    unlink(path);
    int out = open(path, O_CREAT | O_EXCL | O_WRONLY, mode);
    if (out < 0) return -1;
    int ok = write(out, img, (size_t)total) == total;
    close(out);
    return ok ? 0 : -1;
}

static int run_whoami(const char *path) {
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {"escape2", "--whoami", NULL};
        execve(path, args, environ);
        _exit(100 + (errno & 0x1f));
    }
    return wait_code(pid);
}

static void setuid_section(void) {
    printf("-- setuid bits planted by a guest user\n");
    if (geteuid() != 0 || status_field(0, "TracerPid:") <= 0) { line("guest root under picorun", "no: skipped"); return; }
    mkdir("/tmp", 0777);
    mkdir("/tmp/suid", 0777);
    chmod("/tmp/suid", 01777);
    /* A root-owned setuid program, as a distro has them. */
    if (copy_to("/tmp/suid/root-suid", 0755, 0) < 0 || chown("/tmp/suid/root-suid", 0, 0) < 0 ||
        chmod("/tmp/suid/root-suid", 04755) < 0) {
        line("a root-owned setuid copy", "failed (%s)", en(errno));
        return;
    }
    /* A program only root may run. */
    if (copy_to("/tmp/suid/root-only", 0700, 0) < 0 || chown("/tmp/suid/root-only", 0, 0) < 0 ||
        chmod("/tmp/suid/root-only", 0700) < 0)
        line("a root-only (0700) copy", "failed (%s)", en(errno));
    int code = run_whoami("/tmp/suid/root-suid");
    line("root-owned setuid program, run by root", "exit %d (%s)", code, code == 1 ? "euid 0, as it should" : "?");

    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        setgroups(0, NULL);
        if (setgid(65534) < 0 || setuid(65534) < 0) { printf("setuid(65534) failed: %s\n", en(errno)); _exit(0); }
        uid_t r, e, s;
        getresuid(&r, &e, &s);
        line("as uid 65534: getresuid", "%u %u %u", r, e, s);
        if (setuid(0) == 0 || geteuid() == 0) { leak("as uid 65534: setuid(0)", "succeeded"); bad++; }
        else line("as uid 65534: setuid(0)", "denied (%s)", en(errno));
        if (copy_to("/tmp/suid/mine", 0755, 0) < 0) { line("as uid 65534: copy", "failed (%s)", en(errno)); _exit(bad); }
        int rc = chmod("/tmp/suid/mine", 04755);
        struct stat st;
        stat("/tmp/suid/mine", &st);
        line("as uid 65534: chmod(own file, 04755)", "%s, mode %o, owner %u", rc == 0 ? "ok" : en(errno),
             st.st_mode & 07777, st.st_uid);
        if (chown("/tmp/suid/mine", 0, 0) == 0) { leak("as uid 65534: chown(own file, 0, 0)", "succeeded"); bad++; }
        else line("as uid 65534: chown(own file, 0, 0)", "denied (%s)", en(errno));
        if (chown("/tmp/suid/mine", 65534, 0) == 0) { leak("as uid 65534: chown(own file, -, 0)", "succeeded"); bad++; }
        else line("as uid 65534: chown(own file, 65534, 0)", "denied (%s)", en(errno));
        stat("/tmp/suid/mine", &st);
        if (st.st_uid == 0) { leak("as uid 65534: own setuid file", "now owned by root"); bad++; }
        int c = run_whoami("/tmp/suid/mine");
        if (c & 1) { leak("as uid 65534: exec own setuid file", "euid 0"); bad++; }
        else line("as uid 65534: exec own setuid file", c == 0 ? "euid stays 65534" : "exit %d", c);
        if (chmod("/tmp/suid/root-suid", 0777) == 0) { leak("as uid 65534: chmod(root's setuid file)", "succeeded"); bad++; }
        else line("as uid 65534: chmod(root's setuid file)", "denied (%s)", en(errno));
        int w = open("/tmp/suid/root-suid", O_WRONLY);
        if (w >= 0) { leak("as uid 65534: open(root's setuid file, O_WRONLY)", "succeeded"); bad++; close(w); }
        else line("as uid 65534: open(root's setuid file, O_WRONLY)", "denied (%s)", en(errno));
        if (truncate("/tmp/suid/root-suid", 0) == 0) { leak("as uid 65534: truncate(root's setuid file)", "succeeded"); bad++; }
        else line("as uid 65534: truncate(root's setuid file)", "denied (%s)", en(errno));
        if (rename("/tmp/suid/mine", "/tmp/suid/root-suid") == 0) {
            leak("as uid 65534: rename over root's file (sticky dir)", "succeeded"); bad++;
        } else {
            line("as uid 65534: rename over root's file (sticky dir)", "denied (%s)", en(errno));
        }
        c = run_whoami("/tmp/suid/root-suid");
        if (c & 2) { leak("as uid 65534: root's setuid file", "runs the guest user's code"); bad++; }
        else line("as uid 65534: exec root's setuid file", c & 1 ? "euid 0 (its own code)" : "exit %d", c);

        c = run_whoami("/tmp/suid/root-only");
        if (c >= 0 && c < 8) { leak("as uid 65534: exec root's 0700 program", "it ran (exit %d)", c); bad++; }
        else if (c == 100 + EACCES) line("as uid 65534: exec root's 0700 program", "denied (EACCES)");
        else line("as uid 65534: exec root's 0700 program", "failed (exit %d, not EACCES)", c);
        if (host_suid) {
            /* The host has a setuid file at this path; the guest's file at the
             * same guest path is the user's own, mode 0755, no setuid bit. */
            if (copy_to(host_suid, 0755, 0) < 0) line("as uid 65534: own file at the host setuid path", "failed (%s)", en(errno));
            c = run_whoami(host_suid);
            if (c >= 0 && (c & 1)) { leak("as uid 65534: exec own 0755 file at a host setuid path", "euid 0"); bad++; }
            else line("as uid 65534: exec own 0755 file at a host setuid path", "exit %d (euid stays 65534)", c);
            unlink(host_suid);
        }

        /* The exec race: a symlink the user owns flips between root's
         * setuid program and the user's patched copy of it (same layout,
         * other bytes), while execs of the symlink run. Identity from one
         * file and pages from the other would run the user's code as root. */
        if (copy_to("/tmp/suid/patched", 0755, 1) < 0) { line("as uid 65534: patched copy", "failed (%s)", en(errno)); _exit(bad); }
        symlink("/tmp/suid/root-suid", "/tmp/suid/flip");
        pid_t swapper = fork();
        if (swapper == 0) {
            for (unsigned i = 0;; i++) {
                symlink(i & 1 ? "/tmp/suid/root-suid" : "/tmp/suid/patched", "/tmp/suid/flip.new");
                rename("/tmp/suid/flip.new", "/tmp/suid/flip");
            }
        }
        int counts[8] = {0}, other = 0, tries = 300;
        for (int i = 0; i < tries; i++) {
            int k = run_whoami("/tmp/suid/flip");
            if (k >= 0 && k < 8) counts[k]++;
            else other++;
        }
        kill(swapper, SIGKILL);
        wait_code(swapper);
        char summary[256];
        snprintf(summary, sizeof summary, "%d execs: root's code as root %d, as user %d; user's code as user %d; failed %d",
                 tries, counts[1], counts[0], counts[2], other + counts[4] + counts[5] + counts[6] + counts[7]);
        if (counts[3]) { leak("as uid 65534: setuid exec race (symlink flip)", "%d of %s", counts[3], summary); bad++; }
        else line("as uid 65534: setuid exec race (symlink flip)", "contained (%s)", summary);
        _exit(bad ? 1 : 0);
    }
    if (wait_code(pid) == 1) leaks++;
}

/* ------------------------------------------------------------------ */
/* DrvFS mounts.                                                       */

static void drvfs_section(void) {
    printf("-- DrvFS mount at /mnt/host\n");
    struct stat st;
    if (stat("/mnt/host", &st) < 0 || !S_ISDIR(st.st_mode)) { line("/mnt/host", "not mounted: skipped"); return; }
    char p[8192], up[512] = "";
    for (int i = 0; i < 20; i++) strcat(up, "../");
    try_open("/mnt/host/hostabs (host symlink -> secret)", "/mnt/host/hostabs");
    try_open("/mnt/host/hostrel (host symlink ../DIR/NAME)", "/mnt/host/hostrel");
    snprintf(p, sizeof p, "/mnt/host/../../../..%s", secret);
    try_open("/mnt/host/../../../.. + secret path", p);
    snprintf(p, sizeof p, "/mnt/host/../%s/%s", secret_dir_base, secret_name);
    try_open("/mnt/host/../DIR/NAME (host sibling)", p);
    unlink("/mnt/host/gabs");
    unlink("/mnt/host/grel");
    unlink("/mnt/host/groot");
    unlink("/mnt/host/gsib");
    symlink(secret, "/mnt/host/gabs");
    try_open("guest symlink in mount -> secret path", "/mnt/host/gabs");
    snprintf(p, sizeof p, "%s%s", up, secret + 1);
    symlink(p, "/mnt/host/grel");
    try_open("guest symlink in mount -> ../../.. + secret", "/mnt/host/grel");
    snprintf(p, sizeof p, "../%s/%s", secret_dir_base, secret_name);
    symlink(p, "/mnt/host/gsib");
    try_open("guest symlink in mount -> ../DIR/NAME", "/mnt/host/gsib");
    symlink("/", "/mnt/host/groot");
    snprintf(p, sizeof p, "/mnt/host/groot%s", secret);
    try_open("guest symlink in mount -> /, + secret path", p);
    snprintf(p, sizeof p, "/mnt/host/groot/../../../..%s", secret);
    try_open("guest symlink -> /, then ../../.. + secret", p);
    int saved = open(".", O_RDONLY | O_DIRECTORY);
    if (chdir("/mnt/host") == 0) {
        snprintf(p, sizeof p, "%s%s", up, secret + 1);
        try_open("chdir(/mnt/host); open(../../.. + secret)", p);
        snprintf(p, sizeof p, "../%s/%s", secret_dir_base, secret_name);
        try_open("chdir(/mnt/host); open(../DIR/NAME)", p);
        for (int i = 0; i < 10; i++) chdir("..");
        snprintf(p, sizeof p, ".%s", secret);
        try_open("chdir(/mnt/host), chdir(..) x10, open(.SECRET)", p);
    }
    int d = open("/mnt/host", O_RDONLY | O_DIRECTORY);
    if (d >= 0) {
        snprintf(p, sizeof p, "../%s/%s", secret_dir_base, secret_name);
        attempt("openat(/mnt/host fd, ../DIR/NAME)", openat(d, p, O_RDONLY));
        snprintf(p, sizeof p, "/proc/self/fd/%d/../%s/%s", d, secret_dir_base, secret_name);
        try_open("/proc/self/fd/MOUNTFD/../DIR/NAME", p);
        close(d);
    }
    if (saved >= 0) { fchdir(saved); close(saved); }

    /* Renames of and around the mount point. */
    mkdir("/mnt/moved", 0755);
    rmdir("/mnt/moved");
    int r = rename("/mnt/host", "/mnt/moved");
    line("rename(/mnt/host, /mnt/moved)", r == 0 ? "succeeded" : "refused (%s)", en(errno));
    if (r == 0) {
        snprintf(p, sizeof p, "/mnt/moved/../%s/%s", secret_dir_base, secret_name);
        try_open("  then /mnt/moved/../DIR/NAME", p);
        rename("/mnt/moved", "/mnt/host");
    }
    r = rename("/mnt", "/mnt-moved");
    line("rename(/mnt, /mnt-moved)", r == 0 ? "succeeded" : "refused (%s)", en(errno));
    if (r == 0) {
        snprintf(p, sizeof p, "/mnt-moved/host/../%s/%s", secret_dir_base, secret_name);
        try_open("  then /mnt-moved/host/../DIR/NAME", p);
        rename("/mnt-moved", "/mnt");
    }
    snprintf(p, sizeof p, "/mnt/host/../%s/%s", secret_dir_base, secret_name);
    try_open("after the renames: /mnt/host/../DIR/NAME", p);
    /* The mount must still show the host folder. */
    line("after the renames: /mnt/host/hostabs still there",
         lstat("/mnt/host/hostabs", &st) == 0 ? "yes" : "no (%s)", en(errno));

    /* Hard links to the secret, by every name the guest could use. */
    unlink("/mnt/host/hl1");
    unlink("/mnt/host/hl2");
    unlink("/mnt/host/hl3");
    unlink("/mnt/host/hl4");
    errno = 0;
    r = link(secret, "/mnt/host/hl1");
    if (r == 0) attempt("link(secret path, /mnt/host/hl1)", open("/mnt/host/hl1", O_RDONLY));
    else line("link(secret path, /mnt/host/hl1)", "denied (%s)", en(errno));
    r = linkat(AT_FDCWD, "/mnt/host/hostabs", AT_FDCWD, "/mnt/host/hl2", AT_SYMLINK_FOLLOW);
    if (r == 0) attempt("linkat(hostabs, hl2, AT_SYMLINK_FOLLOW)", open("/mnt/host/hl2", O_RDONLY));
    else line("linkat(hostabs, hl2, AT_SYMLINK_FOLLOW)", "denied (%s)", en(errno));
    r = linkat(AT_FDCWD, "/mnt/host/hostrel", AT_FDCWD, "/mnt/host/hl3", AT_SYMLINK_FOLLOW);
    if (r == 0) attempt("linkat(hostrel, hl3, AT_SYMLINK_FOLLOW)", open("/mnt/host/hl3", O_RDONLY));
    else line("linkat(hostrel, hl3, AT_SYMLINK_FOLLOW)", "denied (%s)", en(errno));
    r = linkat(AT_FDCWD, "/mnt/host/hostabs", AT_FDCWD, "/mnt/host/hl4", 0);
    if (r == 0) attempt("linkat(hostabs, hl4) (the link), then open", open("/mnt/host/hl4", O_RDONLY));
    else line("linkat(hostabs, hl4) (the link itself)", "denied (%s)", en(errno));
    snprintf(p, sizeof p, "/mnt/host/../%s/%s", secret_dir_base, secret_name);
    r = link(p, "/mnt/host/hl1");
    if (r == 0) attempt("link(/mnt/host/../DIR/NAME, hl1)", open("/mnt/host/hl1", O_RDONLY));
    else line("link(/mnt/host/../DIR/NAME, hl1)", "denied (%s)", en(errno));
    /* Moving a file across the mount boundary (a separate mount: EXDEV). */
    int f = open("/mnt/host/crossing", O_CREAT | O_WRONLY, 0644);
    if (f >= 0) close(f);
    r = rename("/mnt/host/crossing", "/tmp/escape2-crossing");
    line("rename(/mnt/host/file, /tmp/file) across mounts", r == 0 ? "moved (not EXDEV)" : "refused (%s)", en(errno));
    unlink("/tmp/escape2-crossing");
    unlink("/mnt/host/crossing");
    for (const char *const *n = (const char *const[]){"gabs", "grel", "groot", "gsib", "hl1", "hl2", "hl3", "hl4", NULL}; *n; n++) {
        snprintf(p, sizeof p, "/mnt/host/%s", *n);
        unlink(p);
    }

    if (stat("/mnt/ro", &st) == 0) {
        printf("-- read-only DrvFS mount at /mnt/ro\n");
        must_fail("creat(/mnt/ro/new)", open("/mnt/ro/new", O_CREAT | O_WRONLY, 0644));
        must_fail("mkdir(/mnt/ro/new)", mkdir("/mnt/ro/newdir", 0755));
        must_fail("symlink(/, /mnt/ro/new)", symlink("/", "/mnt/ro/newlink"));
        must_fail("rename(/mnt/ro/file, /mnt/ro/moved)", rename("/mnt/ro/file", "/mnt/ro/moved"));
        must_fail("unlink(/mnt/ro/file)", unlink("/mnt/ro/file"));
        must_fail("open(/mnt/ro/file, O_WRONLY)", open("/mnt/ro/file", O_WRONLY));
        must_fail("truncate(/mnt/ro/file)", truncate("/mnt/ro/file", 0));
        must_fail("chmod(/mnt/ro/file)", chmod("/mnt/ro/file", 0600));
        must_fail("link(/mnt/ro/file, /mnt/ro/hl)", link("/mnt/ro/file", "/mnt/ro/hl"));
        must_fail("rename(/mnt/ro/file, /tmp/x)", rename("/mnt/ro/file", "/tmp/escape2-ro"));
    }
}

/* ------------------------------------------------------------------ */
/* The host's /proc, /sys and /dev, as picorun mounts them.            */

static void pseudo_fs_section(void) {
    printf("-- the host's /proc, /dev and /sys\n");
    /* Opened for writing, never written. */
    const char *writable[] = {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname", "/proc/sysrq-trigger",
                              "/sys/kernel/uevent_helper", NULL};
    for (int i = 0; writable[i]; i++) {
        char what[128];
        snprintf(what, sizeof what, "open(%s, O_WRONLY) (not written)", writable[i]);
        int fd = open(writable[i], O_WRONLY);
        if (fd >= 0) { leak(what, "the host's setting could be changed"); close(fd); }
        else line(what, "denied (%s)", en(errno));
    }
    int fd = open("/proc/kcore", O_RDONLY);
    if (fd >= 0) { leak("open(/proc/kcore)", "host kernel memory readable"); close(fd); }
    else line("open(/proc/kcore)", "denied (%s)", en(errno));
    /* Raw disks: the secret's blocks are on one of them. */
    DIR *d = opendir("/sys/class/block");
    int disks = 0, readable = 0, err = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || !strncmp(e->d_name, "loop", 4) || !strncmp(e->d_name, "ram", 3)) continue;
            char p[300];
            snprintf(p, sizeof p, "/dev/%s", e->d_name);
            struct stat st;
            if (stat(p, &st) < 0 || !S_ISBLK(st.st_mode)) continue;
            disks++;
            int b = open(p, O_RDONLY);
            if (b >= 0) {
                char sector[512];
                if (read(b, sector, sizeof sector) == (ssize_t)sizeof sector) readable++;
                else err = errno;
                close(b);
            } else {
                err = errno;
            }
        }
        closedir(d);
    }
    if (readable) leak("open(/dev/DISK) for every host block device", "%d of %d raw host disks readable", readable, disks);
    else line("open(/dev/DISK) for every host block device", "denied (%d devices, %s)", disks, en(err));
}

/* Abstract unix sockets have no path for picorun to resolve. The harness
 * may listen on one outside the guest (ESCAPE2_ABSTRACT=NAME); others the
 * host has are counted, not judged. */
static int connect_abstract(const char *name, size_t len) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (len > sizeof a.sun_path - 1) len = sizeof a.sun_path - 1;
    memcpy(a.sun_path + 1, name, len);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = connect(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len));
    int e = errno;
    close(s);
    errno = e;
    return r;
}

static void abstract_socket_section(void) {
    printf("-- abstract unix sockets\n");
    const char *mine = getenv("ESCAPE2_ABSTRACT");
    if (mine && *mine) {
        /* Abstract sockets live in the network namespace, which the guest
         * shares with the host as WSL1 does (like TCP on loopback): reaching
         * one is by design, not an escape from the file tree. */
        if (connect_abstract(mine, strlen(mine)) == 0) line("connect(host abstract socket @NAME)", "connected (shared network namespace, by design)");
        else line("connect(host abstract socket @NAME)", "denied (%s)", en(errno));
    }
    FILE *f = fopen("/proc/net/unix", "r");
    int seen = 0, connected = 0;
    char l[1024];
    while (f && fgets(l, sizeof l, f)) {
        char *at = strchr(l, '@');
        unsigned long state;
        /* Num RefCount Protocol Flags Type St Inode Path; listening: flags 00010000. */
        if (!at || sscanf(l, "%*s %*s %*s %lx", &state) != 1 || !(state & 0x10000)) continue;
        at[strcspn(at, "\n")] = 0;
        seen++;
        if (connect_abstract(at + 1, strlen(at + 1)) == 0) connected++;
    }
    if (f) fclose(f);
    line("connect(every listening host abstract socket)", "%d of %d connected (not judged)", connected, seen);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--child") == 0) return child_mode(argc, argv);
    if (argc > 1 && strcmp(argv[1], "--whoami") == 0) return whoami_mode();
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) { fprintf(stderr, "usage: escape2 SECRET_PATH [SECRET_NAME [HOST_SUID_PATH]]\n"); return 2; }
    secret = argv[1];
    secret_name = argc > 2 ? argv[2] : "key";
    host_suid = argc > 3 && argv[3][0] ? argv[3] : NULL;
    /* The secret's folder's name, for paths from its host siblings. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", secret);
    char *slash = strrchr(tmp, '/');
    if (slash) *slash = 0;
    slash = strrchr(tmp, '/');
    snprintf(secret_dir_base, sizeof secret_dir_base, "%s", slash ? slash + 1 : tmp);
    /* Find this program's own image by a guest path if /proc/self/exe fails. */
    int self = open(self_image_path, O_RDONLY);
    if (self < 0) snprintf(self_image_path, sizeof self_image_path, "%s", argv[0]);
    else close(self);

    try_open("absolute host path (control)", secret);
    supervisor_section();
    inherited_fd_section();
    inherited_proc_section();
    memfd_section();
    setuid_section();
    drvfs_section();
    pseudo_fs_section();
    abstract_socket_section();
    printf("-- last: the seccomp listener, if it can be taken\n");
    listener_exploit();
    printf("leaks: %d\n", leaks);
    return leaks ? 1 : 0;
}
