/* Pipes between processes: a child writes, the parent reads; dup2 onto
 * stdout; poll; EOF when the writer closes; EPIPE/SIGPIPE when the reader does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int p[2];
    printf("pipe2=%d\n", pipe2(p, O_CLOEXEC));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 1);
        printf("line from the child via stdout\n");
        fflush(stdout);
        _exit(0);
    }
    close(p[1]);
    struct pollfd pfd = { p[0], POLLIN, 0 };
    printf("poll readable=%d\n", poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN));
    char buf[128] = {0};
    ssize_t total = 0, n;
    while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0) total += n;
    printf("parent read %zd bytes: %s", total, buf);
    printf("EOF after writer exit=%d\n", n == 0);
    int status;
    waitpid(pid, &status, 0);
    printf("child exit=%d\n", WEXITSTATUS(status));
    close(p[0]);

    signal(SIGPIPE, SIG_IGN);
    pipe(p);
    close(p[0]);
    printf("write to closed pipe: %s\n", write(p[1], "x", 1) < 0 && errno == EPIPE ? "EPIPE" : "?");
    close(p[1]);

    /* A large transfer through a pipe, bigger than the pipe buffer. */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        char chunk[4096];
        for (int i = 0; i < 4096; i++) chunk[i] = (char)(i * 7);
        for (int i = 0; i < 256; i++) write(p[1], chunk, sizeof chunk);
        _exit(0);
    }
    close(p[1]);
    unsigned long sum = 0;
    total = 0;
    unsigned char big[8192];
    while ((n = read(p[0], big, sizeof big)) > 0) {
        for (ssize_t i = 0; i < n; i++) sum += big[i];
        total += n;
    }
    waitpid(pid, &status, 0);
    printf("big transfer bytes=%zd sum=%lu\n", total, sum);
    return 0;
}
