/* Unix-socket messaging: datagrams addressed by path through sendto,
 * sendmsg and sendmmsg, an fd passed with SCM_RIGHTS, credentials with
 * SO_PASSCRED, and SIGPIPE from a send to a closed peer. Prints only values
 * that are the same in every run. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t pipes;
static void on_pipe(int sig) { (void)sig; pipes++; }

static void report(const char *what, ssize_t r) {
    int e = errno;
    printf("%s: %zd %s\n", what, r, r < 0 ? strerrorname_np(e) : "ok");
}

static struct sockaddr_un address(const char *path) {
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    return a;
}

static void receive(int s, const char *what) {
    char buf[64] = {0};
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { buf, sizeof buf - 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    ssize_t n = recvmsg(s, &m, MSG_DONTWAIT);
    if (n < 0) { printf("%s: recv %s\n", what, strerrorname_np(errno)); return; }
    printf("%s: got %zd bytes \"%s\"", what, n, buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        char inner[32] = {0};
        ssize_t k = read(fd, inner, sizeof inner - 1);
        printf(" with an fd reading \"%.*s\"", (int)(k > 0 ? k : 0), inner);
        close(fd);
    }
    printf("\n");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char dir[] = "/tmp/picorun-sockets-XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    if (chdir(dir) != 0) { perror("chdir"); return 1; }

    int server = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = address("server.sock");
    printf("bind relative path: %d\n", bind(server, (struct sockaddr *)&a, sizeof a));
    int client = socket(AF_UNIX, SOCK_DGRAM, 0);

    printf("sendto: %zd\n", sendto(client, "one", 3, 0, (struct sockaddr *)&a, sizeof a));
    receive(server, "sendto");

    int p[2];
    pipe(p);
    write(p[1], "through the pipe", 16);
    close(p[1]);
    char control[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov[2] = { { "two-", 4 }, { "parts", 5 } };
    struct msghdr m = { .msg_name = &a, .msg_namelen = sizeof a, .msg_iov = iov, .msg_iovlen = 2,
                        .msg_control = control, .msg_controllen = sizeof control };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    printf("sendmsg with SCM_RIGHTS: %zd\n", sendmsg(client, &m, 0));
    close(p[0]);
    receive(server, "sendmsg");

    struct sockaddr_un absolute = address("");
    snprintf(absolute.sun_path, sizeof absolute.sun_path, "%s/server.sock", dir);
    struct mmsghdr v[3];
    memset(v, 0, sizeof v);
    struct iovec parts[3] = { { "m0", 2 }, { "m1-", 3 }, { "m2--", 4 } };
    for (int i = 0; i < 3; i++) {
        v[i].msg_hdr.msg_name = &absolute;
        v[i].msg_hdr.msg_namelen = sizeof absolute;
        v[i].msg_hdr.msg_iov = &parts[i];
        v[i].msg_hdr.msg_iovlen = 1;
    }
    printf("sendmmsg: %d\n", sendmmsg(client, v, 3, 0));
    printf("sendmmsg lengths: %u %u %u\n", v[0].msg_len, v[1].msg_len, v[2].msg_len);
    for (int i = 0; i < 3; i++) receive(server, "sendmmsg");

    struct sockaddr_un missing = address("no-such.sock");
    struct msghdr none = { .msg_name = &missing, .msg_namelen = sizeof missing, .msg_iov = iov, .msg_iovlen = 1 };
    report("sendmsg to a missing path", sendmsg(client, &none, 0));
    report("sendmsg on a non-socket", sendmsg(1, &none, 0));
    report("sendmsg with a bad msghdr", sendmsg(client, (struct msghdr *)8, 0));

    /* A connected stream pair: plain sendmsg, then SIGPIPE after the peer closes. */
    int pair[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
    struct msghdr plain = { .msg_iov = iov, .msg_iovlen = 2 };
    printf("stream sendmsg: %zd\n", sendmsg(pair[0], &plain, 0));
    char buf[16] = {0};
    printf("stream read: %zd \"%s\"\n", read(pair[1], buf, sizeof buf - 1), buf);
    close(pair[1]);
    signal(SIGPIPE, on_pipe);
    report("sendmsg to a closed peer", sendmsg(pair[0], &plain, 0));
    printf("SIGPIPE count %d\n", (int)pipes);
    report("with MSG_NOSIGNAL", sendmsg(pair[0], &plain, MSG_NOSIGNAL));
    printf("SIGPIPE count %d\n", (int)pipes);

    /* Blocking: a child waits, then reads; the parent's send blocks until then. */
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair);
    int size = 4096;
    setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    pid_t pid = fork();
    if (pid == 0) {
        close(pair[0]);
        usleep(100000);
        char big[8192];
        ssize_t total = 0, n;
        while ((n = read(pair[1], big, sizeof big)) > 0) total += n;
        printf("child read %zd bytes\n", total);
        _exit(0);
    }
    close(pair[1]);
    static char chunk[2048];
    ssize_t sent = 0;
    for (int i = 0; i < 64; i++) {
        struct iovec one = { chunk, sizeof chunk };
        struct msghdr mm = { .msg_iov = &one, .msg_iovlen = 1 };
        ssize_t n = sendmsg(pair[0], &mm, 0);
        if (n < 0) { perror("blocking sendmsg"); break; }
        sent += n;
    }
    close(pair[0]);
    waitpid(pid, NULL, 0);
    printf("parent sent %zd bytes\n", sent);

    unlink("server.sock");
    chdir("/");
    rmdir(dir);
    return 0;
}
