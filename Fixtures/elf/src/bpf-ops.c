/* The kernel's own verdicts for small seccomp programs that use every
 * classic-BPF instruction seccomp allows: each program computes a value
 * from getppid's arguments and returns it as SECCOMP_RET_ERRNO, so the
 * errno a child sees is the program's result. It prints each program and
 * what the kernel made of it; picorun's SeccompProgram tests read the
 * output and must agree (Tests/PicoCoreTests/SeccompProgramTests.swift). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARG_LO(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]))
#define ARG_HI(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]) + 4)
#define ALU(op, k) BPF_STMT(BPF_ALU | op | BPF_K, k)
#define ALUX(op) BPF_STMT(BPF_ALU | op | BPF_X, 0)
#define RET_A BPF_STMT(BPF_RET | BPF_A, 0)
#define LDX(k) BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, k)

static const struct sock_filter p_add[] = { ARG_LO(0), ALU(BPF_ADD, 5), ALU(BPF_MUL, 3), ALU(BPF_SUB, 1), RET_A };
static const struct sock_filter p_div[] = { ARG_LO(0), ALU(BPF_DIV, 3), LDX(7), ALUX(BPF_MUL), ALU(BPF_ADD, 1), LDX(2), ALUX(BPF_DIV), RET_A };
static const struct sock_filter p_div0[] = { ARG_LO(1), BPF_STMT(BPF_MISC | BPF_TAX, 0), ARG_LO(0), ALUX(BPF_DIV), RET_A };
static const struct sock_filter p_bits[] = { ARG_LO(0), ALU(BPF_OR, 0x30), ALU(BPF_AND, 0xff3), ALU(BPF_XOR, 0x5a), ALU(BPF_LSH, 4), ALU(BPF_RSH, 2), RET_A };
static const struct sock_filter p_neg[] = { ARG_LO(0), BPF_STMT(BPF_ALU | BPF_NEG, 0), RET_A };
static const struct sock_filter p_shiftx[] = { ARG_LO(1), BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_LD | BPF_IMM, 0x80), ALUX(BPF_LSH), RET_A };
static const struct sock_filter p_hi[] = { ARG_HI(1), ALU(BPF_ADD, 1), RET_A };
static const struct sock_filter p_jumps[] = {
    ARG_LO(0),
    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 2),
    BPF_STMT(BPF_LD | BPF_IMM, 11), RET_A,
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x10, 1, 0),
    BPF_STMT(BPF_JMP | BPF_JA, 2),
    BPF_STMT(BPF_LD | BPF_IMM, 22), RET_A,
    LDX(0xfffffff0),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 2),
    BPF_STMT(BPF_LD | BPF_IMM, 33), RET_A,
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 2, 0),
    BPF_STMT(BPF_LD | BPF_IMM, 44), RET_A,
    BPF_STMT(BPF_LD | BPF_IMM, 55), RET_A,
};
static const struct sock_filter p_mem[] = {
    ARG_LO(0), BPF_STMT(BPF_ST, 3), LDX(9), BPF_STMT(BPF_STX, 15), BPF_STMT(BPF_LD | BPF_MEM, 15),
    BPF_STMT(BPF_LDX | BPF_MEM, 3), ALUX(BPF_ADD), BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
    ALUX(BPF_ADD), RET_A,
};
static const struct sock_filter p_arch[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), ALU(BPF_RSH, 20), BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), ALUX(BPF_ADD), BPF_STMT(BPF_MISC | BPF_TXA, 0), ALU(BPF_SUB, 1), RET_A,
};

struct prog { const char *name; const struct sock_filter *code; int len; };
#define PROG(p) { #p, p, sizeof p / sizeof p[0] }
static const struct prog progs[] = {
    PROG(p_add), PROG(p_div), PROG(p_div0), PROG(p_bits), PROG(p_neg), PROG(p_shiftx), PROG(p_hi), PROG(p_jumps), PROG(p_mem), PROG(p_arch),
};
static const unsigned long long argsets[][2] = {
    { 7, 0x123456789ULL }, { 0xfffffff0, 1ULL << 40 | 33 }, { 0, 0 }, { 150, 40 }, { 0x10010, 3 }, { 0xfffffff5, 0xfffffff0 },
};

/* The program installed: getppid computes; every other call is allowed.
 * Each RET A becomes a jump to one tail: A &= 0xfff; A |= RET_ERRNO; RET A. */
static int wrap(const struct prog *p, struct sock_filter *f) {
    int n = 0;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    int body = n;
    for (int i = 0; i < p->len; i++) f[n++] = p->code[i];
    int tail = n;
    f[n++] = (struct sock_filter)ALU(BPF_AND, 0xfff);
    f[n++] = (struct sock_filter)ALU(BPF_OR, SECCOMP_RET_ERRNO);
    f[n++] = (struct sock_filter)RET_A;
    for (int i = body; i < tail; i++)
        if (f[i].code == (BPF_RET | BPF_A)) f[i] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, tail - i - 1);
    return n;
}

/* The errno getppid fails with under the program (-1: it succeeds),
 * -10000 - N if the child is killed by signal N, -1000 if it could not run. */
static long verdict(struct sock_filter *f, int n, const unsigned long long *a) {
    int fds[2];
    if (pipe(fds)) return -1000;
    pid_t child = fork();
    if (child == 0) {
        struct sock_fprog prog = { (unsigned short)n, f };
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) _exit(100);
        long r = syscall(SYS_getppid, a[0], a[1], 0, 0, 0, 0);
        int e = r < 0 ? errno : -1;
        write(fds[1], &e, sizeof e);
        _exit(0);
    }
    close(fds[1]);
    int e = -2;
    long got = read(fds[0], &e, sizeof e);
    close(fds[0]);
    int status;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) return -(long)WTERMSIG(status) - 10000;
    if (got != sizeof e || WEXITSTATUS(status) != 0) return -1000;
    return e;
}

int main(void) {
    for (unsigned i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        struct sock_filter f[64];
        int n = wrap(&progs[i], f);
        printf("program %s", progs[i].name);
        for (int j = 0; j < n; j++) printf(" %x:%x:%x:%x", f[j].code, f[j].jt, f[j].jf, f[j].k);
        printf("\n");
        for (unsigned j = 0; j < sizeof argsets / sizeof argsets[0]; j++) {
            long v = verdict(f, n, argsets[j]);
            if (v <= -10000) printf("args %llx %llx killed %ld\n", argsets[j][0], argsets[j][1], -v - 10000);
            else printf("args %llx %llx errno %ld\n", argsets[j][0], argsets[j][1], v);
        }
    }
    return 0;
}
