/* Tries to read a host file outside the guest root by every path trick it
 * knows, and races a symlink swap against opens. argv[1] is the host path
 * of the secret; fd 3, if open, is an inherited host directory containing
 * it (named by argv[2]). Prints one line per attempt; "LEAK" means a way out. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *secret;
static const char *secret_name;
static int leaks;

static void attempt(const char *what, int fd) {
    if (fd < 0) { printf("%-44s denied (%s)\n", what, strerrorname_np(errno)); return; }
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0 && strstr(buf, "HOST-SECRET")) { printf("%-44s LEAK\n", what); leaks++; }
    else printf("%-44s opened something else\n", what);
}

static void try_path(const char *what, const char *fmt, const char *arg) {
    char p[8192];
    snprintf(p, sizeof p, fmt, arg);
    attempt(what, open(p, O_RDONLY));
}

static volatile int stop;
static void *swapper(void *arg) {
    (void)arg;
    unsigned rounds = 0;
    while (!stop) {
        rename("race/d", "race/real");
        symlink("/../../../../../../../../..", "race/d");
        unlink("race/d");
        rename("race/real", "race/d");
        /* Stay real for a moment now and then, so that some opens land and
         * the race is known to have run. */
        if (++rounds % 4 == 0) usleep(50);
    }
    return NULL;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 3) { fprintf(stderr, "usage: escape SECRET_PATH SECRET_NAME [HOST_SOCKET]\n"); return 2; }
    secret = argv[1];
    secret_name = argv[2];
    char up[8192] = "";
    for (int i = 0; i < 40; i++) strcat(up, "../");

    try_path("absolute host path", "%s", secret);
    try_path("dot-dot past the root", "%s", strcat(strcpy(malloc(9000), up), secret + 1));
    chdir("/tmp");
    symlink("/", "/tmp/rootlink");
    try_path("absolute symlink then dot-dot", "/tmp/rootlink/../../../..%s", secret);
    symlink(up, "/tmp/uplink");
    try_path("relative symlink climbing", "/tmp/uplink%s", secret);
    try_path("/proc/self/root", "/proc/self/root%s", secret);
    try_path("/proc/self/cwd climbing", "/proc/self/cwd/../../../../..%s", secret);
    char pp[64];
    snprintf(pp, sizeof pp, "/proc/%d/root", getppid());
    try_path("/proc/PARENT/root (the supervisor)", strcat(strcpy(malloc(9000), pp), "%s"), secret);
    try_path("/proc/1/root", "/proc/1/root%s", secret);
    try_path("/proc/1/cwd", "/proc/1/cwd/../../../..%s", secret);
    for (int i = 0; i < 30; i++) chdir("..");
    try_path("chdir up 30 times then relative", "./%s", secret + 1);
    errno = 0;
    attempt("openat(inherited host dirfd, name)", openat(3, secret_name, O_RDONLY));
    try_path("/proc/self/fd/3/NAME", "/proc/self/fd/3/%s", secret_name);
    attempt("openat(inherited dirfd, ..)", openat(3, "..", O_RDONLY | O_DIRECTORY) >= 0 ? open("/dev/null", O_RDONLY) : -1);
    printf("%-44s %s\n", "link(host path, here)", link(secret, "/tmp/hardlink") == 0 ? "LEAK" : strerrorname_np(errno));
    /* The classic chroot escape: a root below the cwd, then climb out of
     * it; and through a directory fd kept from before the chroot. */
    mkdir("/tmp/jail", 0755);
    int top = open("/", O_RDONLY | O_DIRECTORY);
    if (chroot("/tmp/jail") != 0) printf("%-44s %s\n", "chroot(/tmp/jail)", strerrorname_np(errno));
    for (int i = 0; i < 40; i++) chdir("..");
    if (chroot(".") != 0) printf("%-44s %s\n", "chroot(.)", strerrorname_np(errno));
    try_path("chroot, climb out of it, chroot(.)", "%s", secret);
    try_path("  and dot-dot from there", "%s", strcat(strcpy(malloc(9000), up), secret + 1));
    chroot("/tmp/jail");
    fchdir(top);
    for (int i = 0; i < 40; i++) chdir("..");
    chroot(".");
    try_path("fchdir(fd from before chroot), climb, chroot", "%s", secret);
    try_path("/proc/self/root after the chroots", "/proc/self/root%s", secret);
    close(top);
    if (argc > 3) {
        /* A listening host unix socket outside the root, by path. */
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[3]);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        int r = connect(s, (struct sockaddr *)&a, sizeof a);
        int e = errno;
        if (r == 0 || e == ECONNREFUSED) { printf("%-44s LEAK\n", "connect(host unix socket path)"); leaks++; }
        else printf("%-44s denied (%s)\n", "connect(host unix socket path)", strerrorname_np(e));
        close(s);
        int d = socket(AF_UNIX, SOCK_DGRAM, 0);
        ssize_t n = sendto(d, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
        e = errno;
        if (n >= 0 || e == EPROTOTYPE || e == ECONNREFUSED) { printf("%-44s LEAK\n", "sendto(host unix socket path)"); leaks++; }
        else printf("%-44s denied (%s)\n", "sendto(host unix socket path)", strerrorname_np(e));
        struct iovec iov = { "x", 1 };
        struct msghdr m = { .msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &iov, .msg_iovlen = 1 };
        n = sendmsg(d, &m, 0);
        e = errno;
        if (n >= 0 || e == EPROTOTYPE || e == ECONNREFUSED) { printf("%-44s LEAK\n", "sendmsg(host unix socket path)"); leaks++; }
        else printf("%-44s denied (%s)\n", "sendmsg(host unix socket path)", strerrorname_np(e));
        struct mmsghdr mm = { .msg_hdr = m };
        n = sendmmsg(d, &mm, 1, 0);
        e = errno;
        if (n > 0 || e == EPROTOTYPE || e == ECONNREFUSED) { printf("%-44s LEAK\n", "sendmmsg(host unix socket path)"); leaks++; }
        else printf("%-44s denied (%s)\n", "sendmmsg(host unix socket path)", strerrorname_np(e));
        close(d);
    }
    char *args[] = {"x", NULL};
    execve("/proc/self/root/../../../../bin/true", args, NULL);
    printf("%-44s %s\n", "execve through /proc/self/root", strerrorname_np(errno));

    /* The race: a directory swapped for a symlink pointing "above the root"
     * while another thread opens a file through it. */
    mkdir("/tmp/race", 0755);
    chdir("/tmp");
    mkdir("race/d", 0755);
    int f = open("race/d/key", O_CREAT | O_WRONLY, 0644);
    write(f, "guest-safe\n", 11);
    close(f);
    pthread_t t;
    pthread_create(&t, NULL, swapper, NULL);
    int opened = 0, leaked = 0;
    char target[8192];
    snprintf(target, sizeof target, "race/d%s", secret);
    for (int i = 0; i < 5000; i++) {
        int fd = open(i % 2 ? "race/d/key" : target, O_RDONLY);
        if (fd >= 0) {
            char buf[64] = {0};
            read(fd, buf, sizeof buf - 1);
            if (strstr(buf, "HOST-SECRET")) leaked++;
            opened++;
            close(fd);
        }
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("%-44s %s (%s)\n", "symlink swap race, 5000 opens", leaked ? "LEAK" : "contained", opened > 0 ? "some opens succeeded" : "none opened");
    leaks += leaked;
    printf("leaks: %d\n", leaks);
    return leaks ? 1 : 0;
}
