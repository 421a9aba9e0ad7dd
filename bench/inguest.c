/* Answering a path call inside the guest's own process, without a round
 * trip to a supervisor: what it costs, and what a hostile guest could reach
 * through it. A prototype for bench/NOTES.md, not part of picorun.
 *
 *   inguest [N]     N stats of /etc/passwd (default 200,000) per way:
 *     native        the call itself
 *     trap-at       seccomp SECCOMP_RET_TRAP: the kernel sends SIGSYS, a
 *                   handler in the process answers with fstatat() from a
 *                   root fd (one syscall, but ".." and absolute symlinks
 *                   are not confined: the cost floor, not a safe answer)
 *     trap-inroot   the same handler answering with openat2(RESOLVE_IN_ROOT
 *                   | RESOLVE_NO_MAGICLINKS) + fstat + close: confined
 *     sud-inroot    Syscall User Dispatch (PR_SET_SYSCALL_USER_DISPATCH)
 *                   instead of seccomp: every syscall outside one code
 *                   region traps, the same confined answer
 *   Then, under Landlock confining the process to a folder, every call a
 *   hostile guest could make itself (the handler's syscall instruction is
 *   in its own memory: it can jump there with any registers) on a file
 *   outside the folder, and what the kernel said.
 *
 * The handler's own syscalls go through one instruction (`gadget`), which
 * the seccomp filter lets through by instruction pointer and the dispatch
 * region covers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* Landlock as the kernel's newest ABI has it (the build machine's headers may be older). */
struct ll_ruleset_attr { uint64_t handled_access_fs, handled_access_net, scoped; };
struct ll_path_beneath { uint64_t allowed_access; int32_t parent_fd; } __attribute__((packed));
#define LL_CREATE_RULESET_VERSION 1
#define LL_RULE_PATH_BENEATH 1
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif

/* The one syscall instruction the handler uses, and a restorer for
 * sigreturn inside the same region (Syscall User Dispatch traps any other). */
long gadget(long nr, long a, long b, long c, long d, long e, long f);
void restorer(void);
extern char region_start[], region_end[], gadget_ret[];
__asm__(".text\n.globl gadget, restorer, region_start, region_end, gadget_ret\n"
        "region_start:\n"
        "gadget:\n mov %rdi, %rax\n mov %rsi, %rdi\n mov %rdx, %rsi\n mov %rcx, %rdx\n"
        " mov %r8, %r10\n mov %r9, %r8\n mov 8(%rsp), %r9\n syscall\n"
        "gadget_ret:\n ret\n"
        "restorer:\n mov $15, %eax\n syscall\n nop\n" /* the kernel checks the address after syscall */
        "region_end:\n");

static int rootfd = -1;
static int mode;  /* 1: fstatat, 2: openat2 in root */
static volatile char selector = SYSCALL_DISPATCH_FILTER_ALLOW;

static long answer_stat(long dirfd, const char *path, struct stat *st, long flags) {
    if (mode == 1) {
        const char *rel = path[0] == '/' ? path + 1 : path;
        return gadget(SYS_newfstatat, path[0] == '/' ? rootfd : dirfd, (long)(*rel ? rel : "."), (long)st, flags, 0, 0);
    }
    struct open_how how = { .flags = O_PATH | O_CLOEXEC | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0),
                            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
    long fd = gadget(SYS_openat2, path[0] == '/' ? rootfd : dirfd, (long)path, (long)&how, sizeof how, 0, 0);
    if (fd < 0) return fd;
    long r = gadget(SYS_newfstatat, fd, (long)"", (long)st, AT_EMPTY_PATH, 0, 0);
    gadget(SYS_close, fd, 0, 0, 0, 0, 0);
    return r;
}

static void on_sigsys(int sig, siginfo_t *info, void *ctx) {
    (void)sig;
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    selector = SYSCALL_DISPATCH_FILTER_ALLOW;
    long nr = info->si_syscall;
    if (nr == SYS_newfstatat) {
        g[REG_RAX] = answer_stat(g[REG_RDI], (const char *)g[REG_RSI], (struct stat *)g[REG_RDX], g[REG_R10]);
    } else {
        g[REG_RAX] = gadget(nr, g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]);
    }
    selector = SYSCALL_DISPATCH_FILTER_BLOCK;
}

/* rt_sigaction with our own restorer (in the dispatch region). */
struct kernel_sigaction { void *handler; unsigned long flags; void *restorer; uint64_t mask; };

static void install_handler(void) {
    struct kernel_sigaction ka = { .handler = (void *)on_sigsys, .flags = SA_SIGINFO | 0x04000000 /* SA_RESTORER */ | SA_NODEFER,
                                   .restorer = (void *)restorer, .mask = 0 };
    if (syscall(SYS_rt_sigaction, SIGSYS, &ka, NULL, 8) != 0) { perror("rt_sigaction"); exit(1); }
}

static void trap_stats_by_seccomp(void) {
    uint64_t ip = (uint64_t)gadget_ret;  /* the kernel reports the address after `syscall` */
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ip, 0, 2),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip >> 32), 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) { perror("seccomp"); exit(1); }
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double loop(long n) {
    struct stat st;
    double t0 = seconds();
    for (long i = 0; i < n; i++)
        if (fstatat(AT_FDCWD, "/etc/passwd", &st, 0) != 0 || st.st_size == 0) { fprintf(stderr, "stat failed\n"); exit(1); }
    return (seconds() - t0) / n * 1e9;
}

/* Each way in a child of its own: seccomp filters and dispatch stay. */
static double measure(const char *name, long n, int how) {
    int p[2];
    if (pipe(p) != 0) exit(1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        install_handler();
        if (how == 1 || how == 2) { mode = how; trap_stats_by_seccomp(); }
        if (how == 3) {
            mode = 2;
            if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (unsigned long)region_start,
                      (unsigned long)(region_end - region_start), &selector) != 0) { perror("syscall user dispatch"); _exit(1); }
            selector = SYSCALL_DISPATCH_FILTER_BLOCK;
        }
        double ns = loop(n);
        selector = SYSCALL_DISPATCH_FILTER_ALLOW;
        if (write(p[1], &ns, sizeof ns) != sizeof ns) _exit(1);
        _exit(0);
    }
    close(p[1]);
    double ns = -1;
    if (read(p[0], &ns, sizeof ns) != sizeof ns) ns = -1;
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    if (ns < 0) printf("%-12s failed (%s %d)\n", name, WIFSIGNALED(status) ? "signal" : "exit", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    else printf("%-12s %8.0f ns a stat\n", name, ns);
    return ns;
}

static void report(const char *what, long r) {
    printf("  %-58s %s\n", what, r >= 0 ? "ALLOWED" : strerror((int)-r));
}

/* Landlock over a folder, then what reaches outside it. */
static void probe_landlock(void) {
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi < 1) { printf("landlock: not available (%s)\n", strerror(errno)); return; }
    char tree[] = "/tmp/inguest-tree-XXXXXX", outside[] = "/tmp/inguest-outside-XXXXXX";
    if (!mkdtemp(tree) || !mkdtemp(outside)) { perror("mkdtemp"); return; }
    char secret[256], link[256], sock[256], inside[256];
    snprintf(secret, sizeof secret, "%s/secret", outside);
    snprintf(link, sizeof link, "%s/link", outside);
    snprintf(sock, sizeof sock, "%s/sock", outside);
    snprintf(inside, sizeof inside, "%s/file", tree);
    int fd = open(secret, O_CREAT | O_WRONLY, 0600);
    if (fd >= 0) { if (write(fd, "secret\n", 7) != 7) {} close(fd); }
    close(open(inside, O_CREAT | O_WRONLY, 0600));
    if (symlink("target-text", link) != 0) {}
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strncpy(sa.sun_path, sock, sizeof sa.sun_path - 1);
    if (bind(srv, (struct sockaddr *)&sa, sizeof sa) == 0) listen(srv, 1);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* Every filesystem right this kernel's Landlock knows, all of them granted beneath the tree. */
        /* ABI 1: execute .. make_sym (bits 0-12); 2: refer; 3: truncate; 5: ioctl_dev. */
        uint64_t fs = (1ULL << 13) - 1;
        if (abi >= 2) fs |= 1ULL << 13;
        if (abi >= 3) fs |= 1ULL << 14;
        if (abi >= 5) fs |= 1ULL << 15;
        struct ll_ruleset_attr attr = { .handled_access_fs = fs };
        size_t size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
        if (abi >= 6) attr.scoped = LL_SCOPE_SIGNAL | LL_SCOPE_ABSTRACT_UNIX_SOCKET;
        int rs = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
        int dir = open(tree, O_PATH | O_CLOEXEC);
        struct ll_path_beneath beneath = { .allowed_access = fs, .parent_fd = dir };
        if (rs < 0 || syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &beneath, 0) != 0) { perror("landlock"); _exit(1); }
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (syscall(SYS_landlock_restrict_self, rs, 0) != 0) { perror("landlock_restrict_self"); _exit(1); }
        printf("landlock ABI %ld, the process confined to %s; calls on %s:\n", abi, tree, outside);
        struct stat st;
        char buf[64];
        struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
        report("open(secret, O_RDONLY)", gadget(SYS_openat, AT_FDCWD, (long)secret, O_RDONLY, 0, 0, 0));
        report("open(secret, O_PATH), the walk's own kind of fd", gadget(SYS_openat, AT_FDCWD, (long)secret, O_PATH, 0, 0, 0));
        report("truncate(secret, 0)", gadget(SYS_truncate, (long)secret, 0, 0, 0, 0, 0));
        report("stat(secret): owner, size, times", gadget(SYS_newfstatat, AT_FDCWD, (long)secret, (long)&st, 0, 0, 0));
        report("access(secret, R_OK)", gadget(SYS_faccessat, AT_FDCWD, (long)secret, R_OK, 0, 0, 0));
        report("readlink(link)", gadget(SYS_readlinkat, AT_FDCWD, (long)link, (long)buf, sizeof buf, 0, 0));
        report("getxattr(secret, user.x)", gadget(SYS_getxattr, (long)secret, (long)"user.x", (long)buf, sizeof buf, 0, 0));
        report("setxattr(secret, user.x)", gadget(SYS_setxattr, (long)secret, (long)"user.x", (long)"v", 1, 0, 0));
        report("chmod(secret, 0666)", gadget(SYS_fchmodat, AT_FDCWD, (long)secret, 0666, 0, 0, 0));
        report("chown(secret, own uid)", gadget(SYS_fchownat, AT_FDCWD, (long)secret, getuid(), -1, 0, 0));
        report("utimensat(secret, now)", gadget(SYS_utimensat, AT_FDCWD, (long)secret, (long)times, 0, 0, 0));
        report("rename(tree/file, outside/moved)", gadget(SYS_renameat, AT_FDCWD, (long)inside, AT_FDCWD, (long)(strcat(strcpy(buf, outside), "/m")), 0, 0));
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        report("connect(unix socket named outside)", gadget(SYS_connect, c, (long)&sa, sizeof sa, 0, 0, 0));
        report("kill(parent, 0)", gadget(SYS_kill, getppid(), 0, 0, 0, 0, 0));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    close(srv);
    unlink(sock); unlink(link); unlink(secret); unlink(inside);
    char m[300];
    snprintf(m, sizeof m, "%s/m", outside);
    unlink(m);
    rmdir(outside); rmdir(tree);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    measure("native", n, 0);
    measure("trap-at", n, 1);
    measure("trap-inroot", n, 2);
    measure("sud-inroot", n, 3);
    probe_landlock();
    return 0;
}
