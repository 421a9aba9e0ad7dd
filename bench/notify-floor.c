/* The floor of any seccomp user-notification supervisor: N newfstatat
 * calls, each answered by a supervisor thread that does no work at all
 * (it replies "0" at once). Compare its time with N native stats: what is
 * left above it is picorun's own work.
 *
 *   notify-floor [N]            the answering thread in the same process
 *   notify-floor N process      the answer from another process, as
 *                               picorun's is (each round trip switches
 *                               address spaces)
 *   notify-floor N work         another process that does a stat's least
 *                               work: reads the path (process_vm_readv),
 *                               fstatat, writes the struct back
 *                               (process_vm_writev): picorun's floor */
#define _GNU_SOURCE
#include <errno.h>
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
#include <sys/uio.h>
#include <sys/wait.h>
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

/* A filter that notifies every newfstatat of this process; its listener. */
static int notify_stats(void) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

/* The answer from the parent process, to notifications of child `pid`. */
static int answer_child(pid_t pid, int fd, int work) {
    int pidfd = syscall(SYS_pidfd_open, pid, 0);
    int l = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (l < 0) { perror("pidfd_getfd"); return 1; }
    ioctl(l, SECCOMP_IOW(4, __u64), 1UL);
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    char path[4096];
    struct stat st;
    for (;;) {
        memset(&req, 0, sizeof req);
        if (ioctl(l, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
            if (waitpid(pid, NULL, WNOHANG) == pid) return 0;
            continue;
        }
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        if (work) {
            struct iovec local = { path, sizeof path }, remote = { (void *)req.data.args[1], 256 };
            process_vm_readv(req.pid, &local, 1, &remote, 1, 0);
            path[255] = 0;
            if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0) resp.error = -errno;
            struct iovec out = { &st, sizeof st }, there = { (void *)req.data.args[2], sizeof st };
            process_vm_writev(req.pid, &out, 1, &there, 1, 0);
        }
        ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (argc > 2) {
        int work = strcmp(argv[2], "work") == 0;
        int p[2];
        if (pipe(p) != 0) return 1;
        pid_t pid = fork();
        if (pid == 0) {
            int l = notify_stats();
            if (write(p[1], &l, sizeof l) != sizeof l) _exit(1);
            /* Wait until the parent holds the listener (its first answer). */
            struct stat st;
            for (long i = 0; i < n; i++) fstatat(AT_FDCWD, "/etc/passwd", &st, 0);
            _exit(0);
        }
        int fd;
        if (read(p[0], &fd, sizeof fd) != sizeof fd || fd < 0) return 1;
        return answer_child(pid, fd, work);
    }
    pthread_t t;
    /* The answering thread exists before the filter, so it is not filtered. */
    if (pthread_create(&t, NULL, answer, NULL) != 0) return 1;
    listener = notify_stats();
    if (listener < 0) { perror("seccomp"); return 1; }
    /* As picorun asks (Linux 6.6+): the notifying task hands its CPU to the
     * answering thread. SECCOMP_IOCTL_NOTIF_SET_FLAGS takes the flags by
     * value; older kernels say EINVAL and keep the ordinary wake-up. */
    ioctl(listener, SECCOMP_IOW(4, __u64), 1UL);
    struct stat st;
    for (long i = 0; i < n; i++) fstatat(AT_FDCWD, "/etc/passwd", &st, 0);
    return 0;
}
