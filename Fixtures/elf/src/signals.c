/* Signal handlers, masks, pending signals, siginfo, alarm, sigsuspend,
 * SA_RESTART, sigaltstack and real-time signal queueing. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1, got_alrm, rt_count, rt_last, on_alt;
static volatile int info_pid_ok, info_code_user;
static char altstack[1 << 16];

static void usr1(int s) { (void)s; got_usr1++; }
static void alrm(int s) { (void)s; got_alrm++; }
static void info(int s, siginfo_t *si, void *c) {
    (void)s; (void)c;
    info_pid_ok = si->si_pid == getpid();
    info_code_user = si->si_code == SI_USER || si->si_code == SI_TKILL;
}
static void rt(int s, siginfo_t *si, void *c) { (void)s; (void)c; rt_count++; rt_last = si->si_value.sival_int; }
static void alt(int s) {
    (void)s;
    int local;
    on_alt = (char *)&local >= altstack && (char *)&local < altstack + sizeof altstack;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* Start from a clean slate whatever the parent left: test runners may
     * block or ignore signals, and both sides of a comparison must agree. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
    signal(SIGUSR1, usr1);
    raise(SIGUSR1);
    printf("raise handled=%d\n", got_usr1);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    printf("blocked pending=%d handled=%d\n", sigismember(&pend, SIGUSR1), got_usr1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("after unblock handled=%d\n", got_usr1);

    struct sigaction sa = {0};
    sa.sa_sigaction = info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    kill(getpid(), SIGUSR2);
    printf("siginfo pid ok=%d user code=%d\n", info_pid_ok, info_code_user);

    signal(SIGALRM, alrm);
    alarm(1);
    sigset_t empty;
    sigemptyset(&empty);
    while (!got_alrm) sigsuspend(&empty);
    printf("alarm + sigsuspend=%d\n", got_alrm);

    /* SA_RESTART: a read interrupted by a timer restarts; without it, EINTR. */
    int p[2];
    pipe(p);
    struct sigaction ra = {0};
    ra.sa_handler = alrm;
    ra.sa_flags = 0;
    sigaction(SIGALRM, &ra, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    char c;
    ssize_t r = read(p[0], &c, 1);
    printf("read without SA_RESTART: %s\n", r < 0 && errno == EINTR ? "EINTR" : "?");

    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction aa = {0};
    aa.sa_handler = alt;
    aa.sa_flags = SA_ONSTACK;
    sigaction(SIGURG, &aa, NULL);
    raise(SIGURG);
    printf("handler ran on the alternate stack=%d\n", on_alt);

    struct sigaction rs = {0};
    rs.sa_sigaction = rt;
    rs.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN + 1, &rs, NULL);
    sigset_t rtset;
    sigemptyset(&rtset);
    sigaddset(&rtset, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &rtset, NULL);
    for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = i });
    sigprocmask(SIG_UNBLOCK, &rtset, NULL);
    printf("rt signals queued and delivered=%d last value=%d\n", rt_count, rt_last);

    signal(SIGCHLD, SIG_DFL);
    pid_t k = fork();
    if (k == 0) { for (;;) pause(); }
    kill(k, SIGSTOP);
    int st;
    waitpid(k, &st, WUNTRACED);
    printf("child stopped=%d by=%d\n", WIFSTOPPED(st), WSTOPSIG(st));
    kill(k, SIGCONT);
    waitpid(k, &st, WCONTINUED);
    printf("child continued=%d\n", WIFCONTINUED(st));
    kill(k, SIGTERM);
    waitpid(k, &st, 0);
    printf("child terminated by=%d\n", WTERMSIG(st));
    return 0;
}
