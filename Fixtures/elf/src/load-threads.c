/* Load: 200 threads alive at once (a barrier holds them all), each doing
 * open/write/read/stat/close on a file of its own under a scratch folder,
 * plus getpid/gettid, in rounds. Prints only counts, so native and
 * picorun runs print the same.
 *   load-threads [DIR [ROUNDS [THREADS]]]   (DIR default /tmp, 20 rounds, 200 threads) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dir[4096];
static int rounds = 20, nthreads = 200;
static pthread_barrier_t all_alive, all_done;
static pid_t main_pid;

struct result { int ok, opens, bytes, errors, distinct_tid; };

static void *worker(void *arg) {
    long i = (long)arg;
    struct result *r = calloc(1, sizeof *r);
    pid_t tid = (pid_t)syscall(SYS_gettid);
    r->distinct_tid = tid != main_pid;
    /* Nobody starts until all the threads exist. */
    pthread_barrier_wait(&all_alive);
    char path[4200], data[256], back[256];
    snprintf(path, sizeof path, "%s/t%03ld", dir, i);
    for (int k = 0; k < rounds; k++) {
        int n = snprintf(data, sizeof data, "thread %ld round %d payload %0*d\n", i, k, (int)(i % 64) + 1, k);
        int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
        if (fd < 0) { r->errors++; continue; }
        r->opens++;
        if (write(fd, data, (size_t)n) != n) r->errors++;
        else r->bytes += n;
        close(fd);
        struct stat st;
        if (stat(path, &st) != 0 || st.st_size != n || !S_ISREG(st.st_mode)) r->errors++;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { r->errors++; continue; }
        r->opens++;
        ssize_t got = read(fd, back, sizeof back);
        if (got != n || memcmp(back, data, (size_t)n) != 0) r->errors++;
        if (fstat(fd, &st) != 0 || st.st_size != n) r->errors++;
        close(fd);
        if (getpid() != main_pid || (pid_t)syscall(SYS_gettid) != tid) r->errors++;
        if (access(path, R_OK | W_OK) != 0) r->errors++;
    }
    if (unlink(path) != 0) r->errors++;
    pthread_barrier_wait(&all_done);
    r->ok = r->errors == 0;
    return r;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *base = argc > 1 ? argv[1] : "/tmp";
    if (argc > 2) rounds = atoi(argv[2]);
    if (argc > 3) nthreads = atoi(argv[3]);
    main_pid = getpid();
    snprintf(dir, sizeof dir, "%s/load-threads.%d", base, (int)main_pid);
    if (mkdir(dir, 0755) != 0) { fprintf(stderr, "mkdir %s: %s\n", dir, strerror(errno)); return 2; }
    pthread_barrier_init(&all_alive, NULL, (unsigned)nthreads + 1);
    pthread_barrier_init(&all_done, NULL, (unsigned)nthreads);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_t *t = calloc((size_t)nthreads, sizeof *t);
    int created = 0;
    for (long i = 0; i < nthreads; i++) {
        int e = pthread_create(&t[i], &attr, worker, (void *)i);
        if (e != 0) { fprintf(stderr, "pthread_create %ld: %s\n", i, strerror(e)); return 2; }
        created++;
    }
    /* All threads are alive and waiting: count them from /proc. */
    char status[4096] = "";
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd >= 0) { ssize_t n = read(fd, status, sizeof status - 1); if (n > 0) status[n] = 0; close(fd); }
    char *th = strstr(status, "Threads:");
    int alive = th ? atoi(th + 8) : -1;
    pthread_barrier_wait(&all_alive);
    int ok = 0, opens = 0, bytes = 0, errors = 0, tids = 0;
    for (int i = 0; i < created; i++) {
        struct result *r;
        pthread_join(t[i], (void **)&r);
        ok += r->ok;
        opens += r->opens;
        bytes += r->bytes;
        errors += r->errors;
        tids += r->distinct_tid;
        free(r);
    }
    if (rmdir(dir) != 0) errors++;
    printf("threads alive at once: %d\n", alive - 1);
    printf("threads with their own tid: %d\n", tids);
    printf("opens: %d, bytes: %d, errors: %d\n", opens, bytes, errors);
    if (ok == nthreads) printf("threads: %d ok\n", ok);
    else printf("threads: %d of %d ok\n", ok, nthreads);
    return ok == nthreads ? 0 : 1;
}
