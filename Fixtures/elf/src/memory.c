/* brk, sbrk, mmap, munmap, mprotect, mremap and malloc, and what the
 * process sees when it touches memory it may not. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf recover;
static volatile int faults;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    (void)sig; (void)ctx;
    faults++;
    printf("  SIGSEGV si_code=%s\n", si->si_code == SEGV_ACCERR ? "SEGV_ACCERR" : si->si_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other");
    siglongjmp(recover, 1);
}

static void try_write(const char *what, volatile char *p) {
    if (sigsetjmp(recover, 1) == 0) {
        *p = 1;
        printf("%s: write ok\n", what);
    } else {
        printf("%s: write faulted\n", what);
    }
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    long page = sysconf(_SC_PAGESIZE);

    char *b0 = sbrk(0);
    printf("brk page-aligned=%d\n", ((uintptr_t)b0 % page) == 0);
    char *b1 = sbrk(3 * page + 100);
    printf("sbrk returned old break=%d\n", b1 == b0);
    memset(b1, 0x5a, 3 * page + 100);
    printf("sbrk memory writable, new break=%d\n", (char *)sbrk(0) == b0 + 3 * page + 100);
    sbrk(-(3 * page + 100));
    printf("shrunk back=%d\n", sbrk(0) == b0);
    printf("brk(below start) fails: %d\n", brk(b0 - 1000 * page) == -1 || sbrk(0) == b0);

    char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap anon ok=%d zeroed=%d\n", m != MAP_FAILED, m[0] == 0 && m[4 * page - 1] == 0);
    strcpy(m, "mapped");
    printf("mprotect ro=%d\n", mprotect(m, page, PROT_READ) == 0);
    try_write("read-only page", m);
    printf("content kept=%s\n", m);
    mprotect(m, page, PROT_NONE);
    try_write("PROT_NONE page", m);
    char *r = mremap(m + page, 3 * page, 8 * page, MREMAP_MAYMOVE);
    printf("mremap ok=%d\n", r != MAP_FAILED);
    r[8 * page - 1] = 7;
    printf("munmap=%d\n", munmap(m, page) == 0 && munmap(r, 8 * page) == 0);
    try_write("unmapped page", m);
    printf("munmap(bad addr) errno=EINVAL? %d\n", munmap((void *)1, page) == -1);

    size_t sizes[] = {1, 100, 4096, 100000, 1 << 20, 64 << 20};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = malloc(sizes[i]);
        memset(p, (int)i, sizes[i]);
        unsigned long sum = 0;
        for (size_t j = 0; j < sizes[i]; j += 997) sum += p[j];
        printf("malloc(%zu) sum=%lu\n", sizes[i], sum);
        free(p);
    }
    int *z = calloc(1000, sizeof(int));
    int allzero = 1;
    for (int i = 0; i < 1000; i++) allzero &= z[i] == 0;
    printf("calloc zeroed=%d faults=%d\n", allzero, faults);
    return 0;
}
