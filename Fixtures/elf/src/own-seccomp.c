/* A program's own seccomp filter, with no tracer: SECCOMP_RET_TRACE makes
 * a call fail with ENOSYS (getppid: a call picorun lets through; openat:
 * one it answers itself), RET_ERRNO with its errno. With "deny-unknown
 * PROGRAM" it refuses prctl and every number above Linux's, as
 * default-deny sandbox profiles do, then execs PROGRAM, which runs; with
 * "deny-mmap PROGRAM" it refuses mmap: natively a static PROGRAM still
 * runs (the kernel's loader makes no syscalls), under picorun the loader's
 * own mmap meets the filter, and picorun says so in one line. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

static void install(const struct sock_filter *f, unsigned short n) {
    struct sock_fprog p = { n, (struct sock_filter *)f };
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p)) { perror("seccomp"); _exit(1); }
}

static int exec_or_say(char **argv) {
    execv(argv[0], argv);
    perror("exec");
    return 1;
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "deny-unknown") == 0) {
        static const struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 460, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        install(f, sizeof f / sizeof f[0]);
        return exec_or_say(argv + 2);
    }
    if (argc > 2 && strcmp(argv[1], "deny-mmap") == 0) {
        static const struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        install(f, sizeof f / sizeof f[0]);
        return exec_or_say(argv + 2);
    }
    static const struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 7),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getuid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 13),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 9),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    install(f, sizeof f / sizeof f[0]);
    long r = syscall(SYS_getppid);
    printf("getppid %ld %s\n", r, r < 0 ? strerror(errno) : "ok");
    r = syscall(SYS_getuid);
    printf("getuid %ld %s\n", r, r < 0 ? strerror(errno) : "ok");
    r = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
    printf("openat %ld %s\n", r, r < 0 ? strerror(errno) : "ok");
    return 0;
}
