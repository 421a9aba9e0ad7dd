/* pthreads: a mutex-protected counter, atomics, thread-local storage,
 * join results, a thread that creates threads, and a barrier. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

#define THREADS 8
#define ITER 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static atomic_long acounter;
static __thread long tls_value = 5;
static pthread_barrier_t barrier;

static void *work(void *arg) {
    long id = (long)arg;
    tls_value += id;
    for (int i = 0; i < ITER; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        atomic_fetch_add(&acounter, 1);
    }
    pthread_barrier_wait(&barrier);
    long tid_differs = syscall(SYS_gettid) != getpid();
    return (void *)(tls_value * 10 + tid_differs);
}

static void *spawner(void *arg) {
    (void)arg;
    pthread_t inner;
    pthread_create(&inner, NULL, work, (void *)100);
    void *r;
    pthread_join(inner, &r);
    return r;
}

int main(void) {
    pthread_barrier_init(&barrier, NULL, THREADS);
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS - 1; i++) pthread_create(&t[i], NULL, work, (void *)i);
    pthread_create(&t[THREADS - 1], NULL, spawner, NULL);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        printf("thread %d returned %ld\n", i, (long)r);
    }
    printf("counter=%ld atomic=%ld expected=%d\n", counter, (long)acounter, THREADS * ITER);
    printf("main tls untouched=%ld\n", tls_value);
    return 0;
}
