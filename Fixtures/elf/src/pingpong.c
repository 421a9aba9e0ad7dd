/* Signal ping-pong: parent and child exchange SIGUSR1 1000 times each,
 * waiting with sigsuspend; then a bounded fork storm: 4 waves of 50
 * concurrent children, each exiting with its own code. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* Wait with an empty mask whatever the parent left blocked. */
    sigset_t block, old;
    sigemptyset(&block);
    sigemptyset(&old);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_SETMASK, &block, NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    const int rounds = 1000;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < rounds; i++) {
            while (got <= i) sigsuspend(&old);
            kill(parent, SIGUSR1);
        }
        _exit(got == rounds ? 0 : 1);
    }
    for (int i = 0; i < rounds; i++) {
        kill(child, SIGUSR1);
        while (got <= i) sigsuspend(&old);
    }
    int st;
    waitpid(child, &st, 0);
    printf("ping-pong: parent got %d, child exit %d\n", (int)got, WEXITSTATUS(st));

    long sum = 0, expected = 0;
    for (int wave = 0; wave < 4; wave++) {
        pid_t kids[50];
        for (int i = 0; i < 50; i++) {
            int code = (wave * 50 + i) % 256;
            expected += code;
            kids[i] = fork();
            if (kids[i] == 0) _exit(code);
            if (kids[i] < 0) { perror("fork"); return 1; }
        }
        for (int i = 0; i < 50; i++) {
            waitpid(kids[i], &st, 0);
            sum += WEXITSTATUS(st);
        }
    }
    printf("fork storm: 200 children, exit codes sum %ld (expected %ld)\n", sum, expected);
    return 0;
}
