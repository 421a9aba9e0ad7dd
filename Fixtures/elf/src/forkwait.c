/* fork, vfork, exit codes, death by signal, waitpid/wait4 statuses,
 * grandchildren and process-tree bookkeeping. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t kids[5];
    for (int i = 0; i < 5; i++) {
        kids[i] = fork();
        if (kids[i] == 0) _exit(10 + i);
    }
    for (int i = 4; i >= 0; i--) {
        int st;
        pid_t w = waitpid(kids[i], &st, 0);
        printf("child %d: waited right pid=%d exited=%d code=%d\n", i, w == kids[i], WIFEXITED(st), WEXITSTATUS(st));
    }

    pid_t k = fork();
    if (k == 0) { raise(SIGTERM); _exit(99); }
    int st;
    waitpid(k, &st, 0);
    printf("signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));

    k = fork();
    if (k == 0) { *(volatile int *)0 = 1; _exit(98); }
    waitpid(k, &st, 0);
    printf("segv child signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));

    k = fork();
    if (k == 0) {
        pid_t g = fork();
        if (g == 0) _exit(7);
        int gs;
        waitpid(g, &gs, 0);
        _exit(WEXITSTATUS(gs) + 1);
    }
    waitpid(k, &st, 0);
    printf("grandchild chain code=%d\n", WEXITSTATUS(st));

    volatile int shared = 0;
    k = vfork();
    if (k == 0) { shared = 42; _exit(3); }
    waitpid(k, &st, 0);
    printf("vfork shared write seen=%d code=%d\n", shared == 42, WEXITSTATUS(st));

    k = fork();
    if (k == 0) { pause(); _exit(0); }
    kill(k, SIGKILL);
    struct rusage ru;
    printf("wait4 pid=%d ", wait4(k, &st, 0, &ru) == k);
    printf("killed sig=%d\n", WTERMSIG(st));

    printf("no more children: %d\n", wait(NULL) == -1);
    printf("getppid of child is parent: ");
    int p[2];
    pipe(p);
    k = fork();
    if (k == 0) { pid_t pp = getppid(); write(p[1], &pp, sizeof pp); _exit(0); }
    pid_t seen;
    read(p[0], &seen, sizeof seen);
    waitpid(k, NULL, 0);
    printf("%d\n", seen == getpid());
    return 0;
}
