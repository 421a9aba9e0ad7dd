/* PR_SET_CHILD_SUBREAPER: an orphaned grandchild is reparented to us and
 * reaped here; PR_SET_PDEATHSIG: a child is signalled when its parent dies. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("subreaper set=%d\n", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
    pid_t top = getpid();
    int p[2];
    pipe(p);
    pid_t middle = fork();
    if (middle == 0) {
        pid_t g = fork();
        if (g == 0) {
            close(p[1]);
            char c;
            read(p[0], &c, 1);  /* wait until the middle process is gone */
            _exit(getppid() == top ? 5 : 6);
        }
        _exit(0);
    }
    waitpid(middle, NULL, 0);
    close(p[0]);
    close(p[1]);
    int st;
    pid_t reaped = waitpid(-1, &st, 0);
    printf("orphan reparented and reaped=%d code=%d\n", reaped > 0, WEXITSTATUS(st));

    pipe(p);
    middle = fork();
    if (middle == 0) {
        pid_t c = fork();
        if (c == 0) {
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGUSR1);
            sigprocmask(SIG_BLOCK, &s, NULL);
            prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
            write(p[1], "r", 1);
            int sig = 0;
            sigwait(&s, &sig);
            _exit(sig == SIGUSR1 ? 7 : 8);
        }
        char r;
        read(p[0], &r, 1);
        _exit(0);  /* the child's parent dies now */
    }
    waitpid(middle, NULL, 0);
    reaped = waitpid(-1, &st, 0);
    printf("pdeathsig delivered: reaped=%d code=%d\n", reaped > 0, WEXITSTATUS(st));
    return 0;
}
