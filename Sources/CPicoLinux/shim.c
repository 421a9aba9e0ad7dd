#ifndef _GNU_SOURCE
#error "CPicoLinux must be compiled with _GNU_SOURCE (set in Package.swift)"
#endif
#define PICO_SECCOMP_WAIT_KILLABLE_RECV (1UL << 5)
#include "CPicoLinux.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

long pico_ptrace(int request, pid_t pid, uintptr_t addr, uintptr_t data) {
    return ptrace((enum __ptrace_request)request, pid, (void *)addr, (void *)data);
}

long pico_ptrace_raw(int request, pid_t pid, uintptr_t addr, uintptr_t data) {
    long r = syscall(SYS_ptrace, (long)request, (long)pid, addr, data);
    return r == -1 ? -errno : r;
}

int pico_wifexited(int status) { return WIFEXITED(status); }
int pico_wexitstatus(int status) { return WEXITSTATUS(status); }
int pico_wifsignaled(int status) { return WIFSIGNALED(status); }
int pico_wtermsig(int status) { return WTERMSIG(status); }
int pico_wifstopped(int status) { return WIFSTOPPED(status); }
int pico_wstopsig(int status) { return WSTOPSIG(status); }
int pico_wcoredump(int status) { return WCOREDUMP(status); }

struct sock_filter pico_bpf_stmt(uint16_t code, uint32_t k) {
    struct sock_filter f = BPF_STMT(code, k);
    return f;
}

struct sock_filter pico_bpf_jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
    struct sock_filter f = BPF_JUMP(code, k, jt, jf);
    return f;
}

// Only async-signal-safe calls between fork and exec: the child is a copy of
// a multithreaded Swift process whose locks may be held by vanished threads.
static void report_and_exit(int fd, int step) {
    struct pico_spawn_report r = { step, errno };
    ssize_t unused = write(fd, &r, sizeof r);
    (void)unused;
    _exit(127);
}

pid_t pico_spawn_seizable(const struct pico_spawn_args *a, int *go_write_fd, int *report_read_fd) {
    int go[2], report[2];
    if (pipe2(go, O_CLOEXEC) != 0) return -1;
    if (pipe2(report, O_CLOEXEC) != 0) {
        int saved = errno;
        close(go[0]); close(go[1]);
        errno = saved;
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(go[0]); close(go[1]); close(report[0]); close(report[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        close(go[1]);
        close(report[0]);
        // The supervisor is non-dumpable; a non-dumpable child cannot be
        // seized without CAP_SYS_PTRACE, so the parent waits for this byte
        // (sent before anything that may fail and report on the same pipe).
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        char ready = 'r';
        ssize_t wrote;
        do { wrote = write(report[1], &ready, 1); } while (wrote < 0 && errno == EINTR);
        // If the supervisor dies before it has seized us, die too.
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) report_and_exit(report[1], PICO_STEP_PDEATHSIG);
        if (getppid() != parent) _exit(127);
        for (int sig = 1; sig < NSIG; sig++) {
            if (a->default_signals && sigismember(a->default_signals, sig) == 1) signal(sig, SIG_DFL);
        }
        if (a->signal_mask) sigprocmask(SIG_SETMASK, a->signal_mask, NULL);
        char go_byte = 0;
        ssize_t n;
        do { n = read(go[0], &go_byte, 1); } while (n < 0 && errno == EINTR);
        if (n != 1 || go_byte != 'g') { errno = EPIPE; report_and_exit(report[1], PICO_STEP_SYNC); }
        close(go[0]);
        if (a->chdir_to && chdir(a->chdir_to) != 0) report_and_exit(report[1], PICO_STEP_SYNC);
        if (a->filter) {
            // A filter needs no_new_privs or CAP_SYS_ADMIN. As root, none:
            // the guest must not inherit a flag it never asked for (it
            // would change what its execs and its own filters may do).
            int privileged = geteuid() == 0;
            if (!privileged && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) report_and_exit(report[1], PICO_STEP_NO_NEW_PRIVS);
            struct sock_fprog prog = { a->filter_len, (struct sock_filter *)a->filter };
            // Once the supervisor has a notification, the task waits for the
            // answer killably only: a handled signal cannot restart a call the
            // supervisor is already carrying out (a send would go twice).
            unsigned flags = a->want_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER | PICO_SECCOMP_WAIT_KILLABLE_RECV : 0;
            long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
            if (listener < 0 && errno == EINVAL && a->want_listener) {
                flags &= ~PICO_SECCOMP_WAIT_KILLABLE_RECV;  // before Linux 5.19
                listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
            }
            if (listener < 0 && errno == EACCES && privileged) {
                // Root without CAP_SYS_ADMIN (a container's): the flag after all.
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) report_and_exit(report[1], PICO_STEP_NO_NEW_PRIVS);
                listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
                if (listener < 0 && errno == EINVAL && a->want_listener) {
                    flags &= ~PICO_SECCOMP_WAIT_KILLABLE_RECV;
                    listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
                }
            }
            if (listener < 0) report_and_exit(report[1], PICO_STEP_SECCOMP);
            // The listener stays here, close-on-exec: the supervisor takes
            // its own copy (pidfd_getfd) at the seccomp stop of the execveat
            // below, and the exec closes the child's. Sending it would need
            // sendmsg, which the filter already hands to the supervisor.
            (void)listener;
        }
        syscall(SYS_execveat, a->exec_fd, "", a->argv, a->envp, AT_EMPTY_PATH);
        report_and_exit(report[1], PICO_STEP_EXEC);
    }
    close(go[0]);
    close(report[1]);
    char ready = 0;
    ssize_t got;
    do { got = read(report[0], &ready, 1); } while (got < 0 && errno == EINTR);
    *go_write_fd = go[1];
    *report_read_fd = report[0];
    return pid;
}

#include <sys/mman.h>
#include <sys/random.h>
#include <sys/uio.h>

ssize_t pico_vm_read(pid_t pid, void *local, size_t len, uintptr_t remote) {
    struct iovec l = { local, len }, r = { (void *)remote, len };
    return process_vm_readv(pid, &l, 1, &r, 1, 0);
}

ssize_t pico_vm_write(pid_t pid, const void *local, size_t len, uintptr_t remote) {
    struct iovec l = { (void *)local, len }, r = { (void *)remote, len };
    return process_vm_writev(pid, &l, 1, &r, 1, 0);
}

int pico_memfd_sealed(const char *name, const void *bytes, size_t len) {
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, (const char *)bytes + done, len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        done += (size_t)n;
    }
    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    return fd;
}

ssize_t pico_getrandom(void *buf, size_t len) {
    return getrandom(buf, len, 0);
}

static volatile sig_atomic_t forwarded[NSIG];

static void record_signal(int sig) {
    if (sig > 0 && sig < NSIG) forwarded[sig] = 1;
}

int pico_catch_for_forwarding(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = record_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: waitpid must return EINTR
    return sigaction(sig, &sa, NULL);
}

int pico_take_forwarded_signal(void) {
    for (int sig = 1; sig < NSIG; sig++) {
        if (forwarded[sig]) {
            forwarded[sig] = 0;
            return sig;
        }
    }
    return 0;
}

#include <sys/personality.h>

void pico_set_dumpable(int on) {
    prctl(PR_SET_DUMPABLE, on ? 1 : 0, 0, 0, 0);
}

int pico_personality(void) {
    return personality(0xffffffff);
}

int pico_notif_recv(int listener, struct pico_notif *n) {
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);  // the kernel insists on a zeroed buffer
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return -errno;
    n->id = req.id;
    n->pid = req.pid;
    n->flags = req.flags;
    n->nr = req.data.nr;
    n->arch = req.data.arch;
    n->instruction_pointer = req.data.instruction_pointer;
    for (int i = 0; i < 6; i++) n->args[i] = req.data.args[i];
    return 0;
}

int pico_notif_send(int listener, uint64_t id, int64_t val, int32_t error, int cont) {
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = id;
    if (cont) {
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    } else if (error) {
        resp.error = -error;
    } else {
        resp.val = val;
    }
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) return -errno;
    return 0;
}

int pico_notif_id_valid(int listener, uint64_t id) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 ? 0 : -errno;
}

int pico_notif_addfd_send(int listener, uint64_t id, int fd, int cloexec) {
    struct seccomp_notif_addfd add;
    memset(&add, 0, sizeof add);
    add.id = id;
    add.flags = SECCOMP_ADDFD_FLAG_SEND;
    add.srcfd = (uint32_t)fd;
    add.newfd_flags = cloexec ? O_CLOEXEC : 0;
    int r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    return r >= 0 ? r : -errno;
}

int pico_take_listener(pid_t pid) {
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    if (!d) return -errno;
    int found = -ENOENT;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char link[128], target[64];
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n < 0) continue;
        target[n] = 0;
        if (strcmp(target, "anon_inode:seccomp notify") != 0) continue;
        long fd = pico_pidfd_getfd(pid, atoi(e->d_name));
        found = (int)fd;
        break;
    }
    closedir(d);
    if (found >= 0) pico_notif_sync_wakeup(found);
    return found;
}

/* SECCOMP_IOCTL_NOTIF_SET_FLAGS with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 * (Linux 6.6; not in older headers): a notifying task hands its CPU
 * straight to the supervisor thread and gets it back with the answer,
 * instead of waking a thread that may sleep on another CPU. On this 2-core
 * VM it turns a stat's round trip from erratic (1x-10x) into steady.
 * Older kernels say EINVAL and keep the ordinary wake-up. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
int pico_notif_sync_wakeup(int listener) {
    /* The flags travel in the argument itself, not behind a pointer. */
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0 ? 0 : -errno;
}

static long result(long r) { return r < 0 ? -errno : r; }

long pico_statx(int dirfd, const char *path, int flags, unsigned mask, void *buf) {
    return result(syscall(SYS_statx, dirfd, path, flags, mask, buf));
}

long pico_faccessat2(int dirfd, const char *path, int mode, int flags) {
    return result(syscall(SYS_faccessat2, dirfd, path, mode, flags));
}

/* The calling thread's own fs ids and groups: the raw syscalls act on one
 * thread (glibc's setgroups changes every thread of the process). */
long pico_thread_setfsuid(uid_t uid) { return syscall(SYS_setfsuid, uid); }
long pico_thread_setfsgid(gid_t gid) { return syscall(SYS_setfsgid, gid); }
long pico_thread_setgroups(size_t n, const gid_t *groups) { return result(syscall(SYS_setgroups, n, groups)); }

// The calling thread's effective capability set (its permitted and
// inheritable sets stay): capset(2) with pid 0 is per-thread.
long pico_thread_set_effective_caps(uint64_t effective) {
    struct { uint32_t version; int pid; } header = { 0x20080522, 0 };  // _LINUX_CAPABILITY_VERSION_3
    struct { uint32_t effective, permitted, inheritable; } data[2];
    if (syscall(SYS_capget, &header, data) != 0) return -errno;
    data[0].effective = (uint32_t)effective;
    data[1].effective = (uint32_t)(effective >> 32);
    return result(syscall(SYS_capset, &header, data));
}

long pico_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags) {
    return result(syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags));
}

static int open_pidfd(pid_t pid) {
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    // A thread other than its group's leader needs PIDFD_THREAD (Linux 6.9);
    // without it the kernel says EINVAL or ENOENT.
    if (pidfd < 0 && (errno == EINVAL || errno == ENOENT)) pidfd = (int)syscall(SYS_pidfd_open, pid, O_EXCL);
    return pidfd;
}

/* The pidfds of the guest tasks a thread asked for most recently, kept by
 * the threads that answer notifications (pico_pidfd_keep): every fd-only
 * call would otherwise open and close one. A pidfd names one task, never
 * a later one given the same number: once that task is gone the kernel
 * says ESRCH, and the pidfd is opened again. */
#define PICO_KEPT_PIDFDS 16
static __thread int keeps_pidfds;
static __thread struct { pid_t pid; int fd; } kept[PICO_KEPT_PIDFDS];
static __thread unsigned kept_next;

void pico_pidfd_keep(void) { keeps_pidfds = 1; }

static int kept_pidfd(pid_t pid, int fresh) {
    for (int i = 0; i < PICO_KEPT_PIDFDS; i++) {
        if (kept[i].pid != pid || kept[i].fd <= 0) continue;
        if (!fresh) return kept[i].fd;
        close(kept[i].fd);
        kept[i].pid = 0;
        kept[i].fd = 0;
    }
    int fd = open_pidfd(pid);
    if (fd < 0) return -1;
    unsigned i = kept_next++ % PICO_KEPT_PIDFDS;
    if (kept[i].fd > 0) close(kept[i].fd);
    kept[i].pid = pid;
    kept[i].fd = fd;
    return fd;
}

long pico_pidfd_getfd(pid_t pid, int targetfd) {
    if (keeps_pidfds) {
        for (int fresh = 0; fresh < 2; fresh++) {
            int pidfd = kept_pidfd(pid, fresh);
            if (pidfd < 0) return -errno;
            long fd = syscall(SYS_pidfd_getfd, pidfd, targetfd, 0);
            if (fd >= 0) return fd;
            if (errno != ESRCH) return -errno;
        }
        return -ESRCH;
    }
    int pidfd = open_pidfd(pid);
    if (pidfd < 0) return -errno;
    long fd = syscall(SYS_pidfd_getfd, pidfd, targetfd, 0);
    long r = fd < 0 ? -errno : fd;
    close(pidfd);
    return r;
}

long pico_statfs(const char *path, void *buf) {
    return result(syscall(SYS_statfs, path, buf));
}

long pico_tgkill(pid_t tgid, pid_t tid, int sig) {
    return result(syscall(SYS_tgkill, tgid, tid, sig));
}

long pico_pidfd_send_signal(int pidfd, int sig, void *info, unsigned int flags) {
    long r = syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags);
    return r < 0 ? -errno : r;
}

int pico_unshare_fs(void) {
    return unshare(CLONE_FS) == 0 ? 0 : -errno;
}

#include <sys/timex.h>

_Static_assert(sizeof(struct timex) == PICO_TIMEX_SIZE, "struct timex is 208 bytes on x86-64");

long pico_adjtime(int use_clock, int clockid, void *buf) {
    struct timex t;
    memcpy(&t, buf, sizeof t);
    long r = use_clock ? syscall(SYS_clock_adjtime, clockid, &t) : syscall(SYS_adjtimex, &t);
    if (r < 0) return -errno;
    memcpy(buf, &t, sizeof t);
    return r;
}

long pico_syscall3(long nr, long a, long b, long c) {
    return result(syscall(nr, a, b, c));
}

/* The length of the valid UTF-8 sequence at in[0..n), or 0. */
static size_t utf8_sequence(const unsigned char *in, size_t n, unsigned *scalar) {
    unsigned char b = in[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xbf, v;
    if (b < 0x80) { *scalar = b; return 1; }
    if (b >= 0xc2 && b <= 0xdf) { len = 2; v = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { len = 3; v = b & 0x0f; if (b == 0xe0) lo = 0xa0; if (b == 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { len = 4; v = b & 0x07; if (b == 0xf0) lo = 0x90; if (b == 0xf4) hi = 0x8f; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        unsigned char c = in[i];
        if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xbf)) return 0;
        v = v << 6 | (c & 0x3f);
    }
    *scalar = v;
    return len;
}

static size_t put_escaped(unsigned char byte, unsigned char *out) {
    unsigned v = 0xf700 + byte;
    out[0] = 0xe0 | v >> 12;
    out[1] = 0x80 | (v >> 6 & 0x3f);
    out[2] = 0x80 | (v & 0x3f);
    return 3;
}

size_t pico_fsname_escape(const unsigned char *in, size_t n, unsigned char *out) {
    size_t at = 0, w = 0;
    while (at < n) {
        unsigned scalar;
        size_t len = utf8_sequence(in + at, n - at, &scalar);
        if (len == 0 || (scalar >= 0xf780 && scalar <= 0xf7ff)) {
            size_t bad = len == 0 ? 1 : len;
            for (size_t i = 0; i < bad; i++) w += put_escaped(in[at + i], out + w);
            at += bad;
        } else {
            memcpy(out + w, in + at, len);
            w += len;
            at += len;
        }
    }
    return w;
}

size_t pico_fsname_unescape(const unsigned char *in, size_t n, unsigned char *out) {
    size_t at = 0, w = 0;
    while (at < n) {
        /* U+F780..U+F7FF is EF 9E 80..EF 9F BF. */
        if (n - at >= 3 && in[at] == 0xef && (in[at + 1] == 0x9e || in[at + 1] == 0x9f) && in[at + 2] >= 0x80 && in[at + 2] <= 0xbf) {
            unsigned v = (in[at] & 0x0f) << 12 | (in[at + 1] & 0x3f) << 6 | (in[at + 2] & 0x3f);
            out[w++] = (unsigned char)(v - 0xf700);
            at += 3;
        } else {
            out[w++] = in[at++];
        }
    }
    return w;
}

/* Layouts Swift reads through the hand-copied structs of CPicoLinux.h. */
_Static_assert(sizeof(struct pico_notif) == sizeof(struct seccomp_notif), "pico_notif is seccomp_notif");
_Static_assert(offsetof(struct pico_notif, id) == offsetof(struct seccomp_notif, id), "seccomp_notif.id");
_Static_assert(offsetof(struct pico_notif, pid) == offsetof(struct seccomp_notif, pid), "seccomp_notif.pid");
_Static_assert(offsetof(struct pico_notif, flags) == offsetof(struct seccomp_notif, flags), "seccomp_notif.flags");
_Static_assert(offsetof(struct pico_notif, nr) == offsetof(struct seccomp_notif, data.nr), "seccomp_notif.data.nr");
_Static_assert(offsetof(struct pico_notif, arch) == offsetof(struct seccomp_notif, data.arch), "seccomp_notif.data.arch");
_Static_assert(offsetof(struct pico_notif, instruction_pointer) == offsetof(struct seccomp_notif, data.instruction_pointer),
               "seccomp_notif.data.instruction_pointer");
_Static_assert(offsetof(struct pico_notif, args) == offsetof(struct seccomp_notif, data.args), "seccomp_notif.data.args");
_Static_assert(sizeof(struct pico_syscall_info) == sizeof(struct __ptrace_syscall_info), "pico_syscall_info is ptrace_syscall_info");
_Static_assert(offsetof(struct pico_syscall_info, op) == offsetof(struct __ptrace_syscall_info, op), "ptrace_syscall_info.op");
_Static_assert(offsetof(struct pico_syscall_info, arch) == offsetof(struct __ptrace_syscall_info, arch), "ptrace_syscall_info.arch");
_Static_assert(offsetof(struct pico_syscall_info, instruction_pointer) == offsetof(struct __ptrace_syscall_info, instruction_pointer),
               "ptrace_syscall_info.instruction_pointer");
_Static_assert(offsetof(struct pico_syscall_info, stack_pointer) == offsetof(struct __ptrace_syscall_info, stack_pointer),
               "ptrace_syscall_info.stack_pointer");
_Static_assert(offsetof(struct pico_syscall_info, entry.nr) == offsetof(struct __ptrace_syscall_info, entry.nr), "ptrace_syscall_info.entry");
_Static_assert(offsetof(struct pico_syscall_info, exit.rval) == offsetof(struct __ptrace_syscall_info, exit.rval), "ptrace_syscall_info.exit");
_Static_assert(offsetof(struct pico_syscall_info, seccomp.ret_data) == offsetof(struct __ptrace_syscall_info, seccomp.ret_data),
               "ptrace_syscall_info.seccomp");

// The CPUs this process may run on (sched_getaffinity), at least 1.
int pico_cpus_allowed(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

unsigned long long pico_coarse_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

long pico_pidfd_getfd_on(int pidfd, int targetfd) {
    long fd = syscall(SYS_pidfd_getfd, pidfd, targetfd, 0);
    return fd < 0 ? -errno : fd;
}
