// CPicoLinux: the few things Swift cannot import or must not do itself.
// Every function has the `pico_` prefix; macros become functions.
#ifndef CPICOLINUX_H
#define CPICOLINUX_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/eventfd.h>
#include <sys/user.h>
#include <signal.h>
#include <linux/filter.h>

// ptrace(2) is variadic in glibc; Swift cannot call variadic C functions.
long pico_ptrace(int request, pid_t pid, uintptr_t addr, uintptr_t data);
// The raw syscall: PEEK requests store the word at `data` and return 0, as
// the kernel answers a guest tracer (glibc's wrapper returns the word).
// Returns the result, or -errno.
long pico_ptrace_raw(int request, pid_t pid, uintptr_t addr, uintptr_t data);

// The wait status macros.
int pico_wifexited(int status);
int pico_wexitstatus(int status);
int pico_wifsignaled(int status);
int pico_wtermsig(int status);
int pico_wifstopped(int status);
int pico_wstopsig(int status);
int pico_wcoredump(int status);

// One BPF instruction; the kernel's macros are not importable.
struct sock_filter pico_bpf_stmt(uint16_t code, uint32_t k);
struct sock_filter pico_bpf_jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf);

// How a spawn failed in the child, sent back through a close-on-exec pipe.
enum pico_spawn_step {
    PICO_STEP_NONE = 0,
    PICO_STEP_PDEATHSIG = 1,
    PICO_STEP_SYNC = 2,
    PICO_STEP_NO_NEW_PRIVS = 3,
    PICO_STEP_SECCOMP = 4,
    PICO_STEP_EXEC = 5,
};

struct pico_spawn_report {
    int32_t step;   // enum pico_spawn_step
    int32_t error;  // errno in the child
};

struct pico_spawn_args {
    int exec_fd;                       // executed with execveat(fd, "", AT_EMPTY_PATH)
    char *const *argv;
    char *const *envp;
    const struct sock_filter *filter;  // installed just before exec; may be NULL
    unsigned short filter_len;
    const sigset_t *default_signals;   // dispositions reset to SIG_DFL in the child
    const sigset_t *signal_mask;       // the child's mask at exec
    int want_listener;                 // install with SECCOMP_FILTER_FLAG_NEW_LISTENER
    const char *chdir_to;              // directory to start in, or NULL
};

// fork(); the child waits on `go_fd` until the parent has seized it, then
// installs the filter and execs. Returns the pid, or -1 with errno set.
// `*go_write_fd` receives the parent's end of the go pipe: write one byte to
// release the child. `*report_read_fd` receives the read end of the report
// pipe (close-on-exec in the child: EOF means exec succeeded).
pid_t pico_spawn_seizable(const struct pico_spawn_args *args, int *go_write_fd, int *report_read_fd);

// PTRACE_GET_SYSCALL_INFO, with the layout of <linux/ptrace.h>, which clashes
// with glibc's <sys/ptrace.h> and so is restated here.
struct pico_syscall_info {
    uint8_t op;
    uint8_t pad[3];
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t stack_pointer;
    union {
        struct { uint64_t nr; uint64_t args[6]; } entry;
        struct { int64_t rval; uint8_t is_error; } exit;
        struct { uint64_t nr; uint64_t args[6]; uint32_t ret_data; } seccomp;
    };
};

// GNU-only calls, wrapped because Swift's Glibc module may hide them.
// Each returns the result, or -1 with errno set.
ssize_t pico_vm_read(pid_t pid, void *local, size_t len, uintptr_t remote);
ssize_t pico_vm_write(pid_t pid, const void *local, size_t len, uintptr_t remote);
// A close-on-exec memfd holding `bytes`, sealed against every change.
int pico_memfd_sealed(const char *name, const void *bytes, size_t len);
ssize_t pico_getrandom(void *buf, size_t len);

// Signals sent to picorun itself that it forwards to the guest: the handler
// only records them; the wait loop, woken by EINTR, does the forwarding.
int pico_catch_for_forwarding(int sig);
// The lowest recorded signal, cleared; 0 if none.
int pico_take_forwarded_signal(void);
// tgkill(2): a signal for one thread of one process.
long pico_tgkill(pid_t tgid, pid_t tid, int sig);

// prctl(PR_SET_DUMPABLE) and personality(0xffffffff) (a query).
void pico_set_dumpable(int on);
int pico_personality(void);

// seccomp user notifications (SECCOMP_RET_USER_NOTIF), laid out as in
// <linux/seccomp.h>.
struct pico_notif {
    uint64_t id;
    uint32_t pid;
    uint32_t flags;
    int32_t nr;
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t args[6];
};

// Each returns 0, or -errno.
int pico_notif_recv(int listener, struct pico_notif *n);
/// Synchronous wake-ups for the listener (Linux 6.6+); -EINVAL before.
int pico_notif_sync_wakeup(int listener);
// Answers with `val` (error == 0) or with -error; `cont` lets the kernel run the call.
int pico_notif_send(int listener, uint64_t id, int64_t val, int32_t error, int cont);
int pico_notif_id_valid(int listener, uint64_t id);
// Puts `fd` into the notifying task and makes it the syscall's result
// (SECCOMP_ADDFD_FLAG_SEND). Returns the new fd number or -errno.
int pico_notif_addfd_send(int listener, uint64_t id, int fd, int cloexec);
// The supervisor's copy of the seccomp listener held by task `pid` (-errno).
int pico_take_listener(pid_t pid);

// Raw syscalls glibc may not wrap or Swift may not see; each returns the
// result or -errno.
long pico_statx(int dirfd, const char *path, int flags, unsigned mask, void *buf);
/// adjtimex, or clock_adjtime(clockid) when use_clock, on the struct timex
/// in buf (PICO_TIMEX_SIZE bytes), which it updates: the supervisor's own
/// copy, never guest memory. Callers pass only modes that change nothing.
long pico_adjtime(int use_clock, int clockid, void *buf);
/// syscall(nr, a, b, c): -errno on failure (Swift cannot call the variadic one).
long pico_syscall3(long nr, long a, long b, long c);
#define PICO_TIMEX_SIZE 208
long pico_faccessat2(int dirfd, const char *path, int mode, int flags);
long pico_thread_setfsuid(uid_t uid);
long pico_thread_setfsgid(gid_t gid);
long pico_thread_setgroups(size_t n, const gid_t *groups);
long pico_thread_set_effective_caps(uint64_t effective);
int pico_cpus_allowed(void);

// A 64-bit counter other threads or processes (through a shared mapping)
// change: sequentially consistent loads and increments.
static inline unsigned long long pico_counter_load(const unsigned long long *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void pico_counter_bump(unsigned long long *p) { __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }

// How long the supervisor believes what it answers from memory (resolved
// directories, sidecar rows) without a change counter having moved: changes
// made behind picorun's back are seen within it. One rule for every cache.
#define PICO_CACHE_LIFETIME_NS 1000000000ULL

// Nanoseconds of CLOCK_MONOTONIC_COARSE: a vDSO read, no syscall.
unsigned long long pico_coarse_nanoseconds(void);
long pico_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags);
// Answering threads keep the pidfds of recent callers (see shim.c).
void pico_pidfd_keep(void);
long pico_pidfd_getfd(pid_t pid, int targetfd);
// pidfd_getfd(2) through a pidfd the caller holds; -errno on failure.
long pico_pidfd_getfd_on(int pidfd, int targetfd);
// pidfd_send_signal(2) on a pidfd or /proc/PID fd the supervisor holds; -errno on failure.
long pico_pidfd_send_signal(int pidfd, int sig, void *info, unsigned int flags);
// unshare(CLONE_FS): this thread gets a working directory of its own. 0 or -errno.
int pico_unshare_fs(void);
long pico_statfs(const char *path, void *buf);

// File names are bytes; picorun's Swift code holds them as Strings. A byte
// that is not part of valid UTF-8, and each byte of a character in
// U+F780..U+F7FF, is held as the character U+F700+byte, so every byte string
// survives the trip. escape: bytes to that UTF-8 (out holds 3*n); unescape:
// back (out holds n). Both return the length written.
size_t pico_fsname_escape(const unsigned char *in, size_t n, unsigned char *out);
size_t pico_fsname_unescape(const unsigned char *in, size_t n, unsigned char *out);

#endif
