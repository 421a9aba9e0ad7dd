// Makes calls whose flags and output structures a tracer must decode, for
// comparing picorun's --trace-all with strace's decoding of the same run:
// every open flag, AT_* flags, stat and statx buffers, pipe fds, a directory
// listing, a link target and a unix socket's name. Usage: trace-decode DIR
// (an empty scratch directory; made deterministic so both runs agree).
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2 || chdir(argv[1]) != 0) { fprintf(stderr, "usage: trace-decode DIR\n"); return 2; }
    int f = open("data", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (f < 0 || write(f, "abc", 3) != 3) return 1;
    close(f);
    if (symlink("data", "link") != 0 || mkdir("sub", 0750) != 0) return 1;

    /* Every open flag by itself, as the tracer must name it. */
    const int flags[] = {O_APPEND, O_ASYNC, O_DIRECT, O_DSYNC, O_LARGEFILE, O_NOATIME, O_NOCTTY,
                         O_NONBLOCK, O_PATH, O_SYNC, O_TRUNC};
    for (unsigned i = 0; i < sizeof flags / sizeof *flags; i++) {
        int o = openat(AT_FDCWD, "data", (flags[i] == O_TRUNC ? O_WRONLY : O_RDONLY) | flags[i]);
        if (o >= 0) close(o);
    }
    int tmp = openat(AT_FDCWD, ".", O_TMPFILE | O_RDWR, 0600);
    if (tmp >= 0) close(tmp);
    int fd = openat(AT_FDCWD, "data", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fstatat(fd, "", &st, AT_EMPTY_PATH) != 0) return 1;
    if (fstatat(AT_FDCWD, "link", &st, AT_SYMLINK_NOFOLLOW) != 0) return 1;
    (void)!fstatat(AT_FDCWD, "missing", &st, 0);
    struct stat dev;
    if (fstatat(AT_FDCWD, "/dev/null", &dev, 0) != 0) return 1;
    struct statx sx;
    if (statx(AT_FDCWD, "data", AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_MODE | STATX_SIZE, &sx) != 0) return 1;
    char target[64];
    if (readlinkat(AT_FDCWD, "link", target, sizeof target) != 4) return 1;
    if (faccessat(AT_FDCWD, "data", R_OK, AT_EACCESS) != 0) return 1;

    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
    int dir = open("sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char buf[4096];
    if (syscall(SYS_getdents64, dir, buf, sizeof buf) <= 0) return 1;

    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, "sock");
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;
    struct sockaddr_un got;
    socklen_t len = sizeof got;
    if (getsockname(s, (struct sockaddr *)&got, &len) != 0) return 1;

    if (unlinkat(AT_FDCWD, "sub", AT_REMOVEDIR) != 0) return 1;
    if (prctl(PR_GET_DUMPABLE) != 1) return 1;
    printf("%o %lld %d\n", st.st_mode, (long long)sx.stx_size, (int)len);
    return 0;
}
