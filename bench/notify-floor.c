/* The floor of any seccomp user-notification supervisor: N newfstatat
 * calls, each answered by a supervisor thread that does no work at all
 * (it replies "0" at once). Compare its time with N native stats: what is
 * left above it is picorun's own work.   notify-floor [N] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int listener = -1;

static void *answer(void *arg) {
    (void)arg;
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    while (listener < 0) usleep(1000);
    for (;;) {
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
    return NULL;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    pthread_t t;
    /* The answering thread exists before the filter, so it is not filtered. */
    if (pthread_create(&t, NULL, answer, NULL) != 0) return 1;
    listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0) { perror("seccomp"); return 1; }
    /* As picorun asks (Linux 6.6+): the notifying task hands its CPU to the
     * answering thread. SECCOMP_IOCTL_NOTIF_SET_FLAGS takes the flags by
     * value; older kernels say EINVAL and keep the ordinary wake-up. */
    ioctl(listener, SECCOMP_IOW(4, __u64), 1UL);
    struct stat st;
    for (long i = 0; i < n; i++) fstatat(AT_FDCWD, "/etc/passwd", &st, 0);
    return 0;
}
