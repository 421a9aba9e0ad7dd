/* Clocks and sleeps: monotonic never goes back, a sleep lasts at least as
 * long as asked, the realtime clocks agree with each other. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static double now(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    double prev = now(CLOCK_MONOTONIC);
    int back = 0;
    for (int i = 0; i < 100000; i++) {
        double t = now(CLOCK_MONOTONIC);
        if (t < prev) back++;
        prev = t;
    }
    printf("monotonic went back %d times\n", back);
    double a = now(CLOCK_MONOTONIC);
    struct timespec req = {0, 20 * 1000 * 1000};
    nanosleep(&req, NULL);
    double slept = now(CLOCK_MONOTONIC) - a;
    printf("nanosleep(20ms) lasted at least 20ms=%d and under 2s=%d\n", slept >= 0.020, slept < 2.0);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    printf("time and gettimeofday agree=%d\n", t - tv.tv_sec <= 1 && tv.tv_sec - t <= 1);
    printf("realtime is after 2020=%d\n", now(CLOCK_REALTIME) > 1577836800.0);
    struct timespec res;
    printf("clock_getres monotonic=%d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0);
    printf("process cputime advances=%d\n", now(CLOCK_PROCESS_CPUTIME_ID) > 0);
    return 0;
}
