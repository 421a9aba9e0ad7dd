/* Load: 200 child processes alive at once (fork), each doing file I/O on
 * a file of its own under a scratch folder, then waiting until all 200
 * are ready, then exiting with a code of its own; the parent waits for
 * every one and checks the codes. Prints only counts.
 *   load-procs [DIR [ROUNDS [PROCS]]]   (DIR default /tmp, 20 rounds, 200 processes) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[4096];
static int rounds = 20, nprocs = 200;

static int code_of(int i) { return i % 100 + 1; }

/* The child's work; returns the number of errors. */
static int work(int i, pid_t parent) {
    int errors = 0;
    char path[4200], moved[4200], data[256], back[256];
    snprintf(path, sizeof path, "%s/p%03d", dir, i);
    snprintf(moved, sizeof moved, "%s/p%03d.done", dir, i);
    for (int k = 0; k < rounds; k++) {
        int n = snprintf(data, sizeof data, "process %d round %d payload %0*d\n", i, k, i % 64 + 1, k);
        int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
        if (fd < 0) { errors++; continue; }
        if (write(fd, data, (size_t)n) != n) errors++;
        if (pread(fd, back, sizeof back, 0) != n || memcmp(back, data, (size_t)n) != 0) errors++;
        close(fd);
        struct stat st;
        if (stat(path, &st) != 0 || st.st_size != n) errors++;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { errors++; continue; }
        if (read(fd, back, sizeof back) != n || memcmp(back, data, (size_t)n) != 0) errors++;
        close(fd);
        if (getppid() != parent) errors++;
    }
    if (rename(path, moved) != 0) errors++;
    if (unlink(moved) != 0) errors++;
    return errors;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *base = argc > 1 ? argv[1] : "/tmp";
    if (argc > 2) rounds = atoi(argv[2]);
    if (argc > 3) nprocs = atoi(argv[3]);
    pid_t self = getpid();
    snprintf(dir, sizeof dir, "%s/load-procs.%d", base, (int)self);
    if (mkdir(dir, 0755) != 0) { fprintf(stderr, "mkdir %s: %s\n", dir, strerror(errno)); return 2; }
    int ready[2], go[2];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) { perror("pipe"); return 2; }
    pid_t *pids = calloc((size_t)nprocs, sizeof *pids);
    for (int i = 0; i < nprocs; i++) {
        pid_t pid = fork();
        if (pid < 0) { fprintf(stderr, "fork %d: %s\n", i, strerror(errno)); return 2; }
        if (pid == 0) {
            close(ready[0]);
            close(go[1]);
            int errors = work(i, self);
            char b = errors ? 'x' : 'r';
            if (write(ready[1], &b, 1) != 1) _exit(255);
            /* Alive until every sibling is: the parent closes go when all are ready. */
            char c;
            while (read(go[0], &c, 1) < 0 && errno == EINTR) {}
            _exit(errors ? 255 : code_of(i));
        }
        pids[i] = pid;
    }
    close(ready[1]);
    close(go[0]);
    int readies = 0, failed_work = 0;
    char buf[256];
    while (readies < nprocs) {
        ssize_t n = read(ready[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t k = 0; k < n; k++) failed_work += buf[k] != 'r';
        readies += (int)n;
    }
    /* All children are alive now (each waits on go). */
    int alive = 0;
    for (int i = 0; i < nprocs; i++) alive += waitpid(pids[i], NULL, WNOHANG) == 0;
    close(go[1]);
    int ok = 0, wrong = 0;
    for (int i = 0; i < nprocs; i++) {
        int st;
        pid_t w;
        while ((w = waitpid(pids[i], &st, 0)) < 0 && errno == EINTR) {}
        if (w == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == code_of(i)) ok++;
        else wrong++;
    }
    int leftover = waitpid(-1, NULL, WNOHANG) >= 0 || errno != ECHILD;
    if (rmdir(dir) != 0) wrong++;
    printf("children ready: %d, alive at once: %d, work errors: %d\n", readies, alive, failed_work);
    printf("exit codes right: %d, wrong: %d, leftover children: %d\n", ok, wrong, leftover);
    if (ok == nprocs && !wrong && !leftover) printf("procs: %d ok\n", ok);
    else printf("procs: %d of %d ok\n", ok, nprocs);
    return ok == nprocs && !wrong ? 0 : 1;
}
