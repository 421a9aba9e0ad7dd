/* Extended attributes, inotify watches and FIFO opens by path: the calls
 * picorun carries out for the guest. Prints only run-stable values. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static void report(const char *what, long r) {
    int e = errno;
    printf("%s: %ld %s\n", what, r, r < 0 ? strerrorname_np(e) : "ok");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char dir[] = "/var/tmp/picorun-fsextras-XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0) { perror("setup"); return 1; }
    close(open("file", O_CREAT | O_WRONLY, 0644));
    symlink("file", "link");

    report("setxattr", setxattr("file", "user.picorun", "value-1", 7, 0));
    report("setxattr through the symlink", setxattr("link", "user.other", "v2", 2, 0));
    report("setxattr XATTR_CREATE on an existing name", setxattr("file", "user.picorun", "x", 1, XATTR_CREATE));
    char buf[256] = {0};
    long n = getxattr("file", "user.picorun", buf, sizeof buf);
    report("getxattr", n);
    printf("value: %.*s\n", (int)(n > 0 ? n : 0), buf);
    report("getxattr size query", getxattr("link", "user.picorun", NULL, 0));
    report("getxattr too small", getxattr("file", "user.picorun", buf, 2));
    report("getxattr missing name", getxattr("file", "user.none", buf, sizeof buf));
    report("lgetxattr on the symlink", lgetxattr("link", "user.picorun", buf, sizeof buf));
    report("lsetxattr user.* on a symlink", lsetxattr("link", "user.x", "1", 1, 0));
    n = listxattr("file", buf, sizeof buf);
    report("listxattr", n);
    /* Names come in creation order on most filesystems; sort two for stability. */
    int picorun_first = n > 0 && strcmp(buf, "user.picorun") == 0;
    printf("names: %s\n", picorun_first ? "user.picorun,user.other" : "user.other,user.picorun");
    report("removexattr", removexattr("file", "user.other"));
    report("removexattr again", removexattr("file", "user.other"));
    report("getxattr on a missing file", getxattr("nothere", "user.picorun", buf, sizeof buf));

    /* O_PATH|O_DIRECTORY is how mv and find ask whether a name is a directory. */
    int p = open("file", O_PATH | O_DIRECTORY);
    report("O_PATH|O_DIRECTORY on a file", p);
    if (p >= 0) close(p);
    p = open(".", O_PATH | O_DIRECTORY);
    report("O_PATH|O_DIRECTORY on a directory", p >= 0 ? 0 : -1);
    if (p >= 0) close(p);

    int in = inotify_init1(IN_NONBLOCK);
    int wd = inotify_add_watch(in, ".", IN_CREATE | IN_DELETE);
    report("inotify_add_watch(.)", wd >= 0 ? 0 : -1);
    report("inotify_add_watch(missing)", inotify_add_watch(in, "nothere", IN_CREATE));
    report("inotify_add_watch(link, IN_DONT_FOLLOW)", inotify_add_watch(in, "link", IN_ATTRIB | IN_DONT_FOLLOW) >= 0 ? 0 : -1);
    close(open("new", O_CREAT | O_WRONLY, 0644));
    unlink("new");
    char events[4096] __attribute__((aligned(8)));
    ssize_t got = read(in, events, sizeof events);
    for (char *p = events; got > 0 && p < events + got;) {
        struct inotify_event *ev = (struct inotify_event *)p;
        printf("event %s on %s (wd matches: %d)\n", ev->mask & IN_CREATE ? "IN_CREATE" : ev->mask & IN_DELETE ? "IN_DELETE" : "other",
               ev->len ? ev->name : "-", ev->wd == wd);
        p += sizeof *ev + ev->len;
    }
    close(in);

    /* A FIFO open blocks until the other end opens. */
    report("mkfifo", mkfifo("fifo", 0600));
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100000);
        int w = open("fifo", O_WRONLY);
        write(w, "through the fifo", 16);
        close(w);
        _exit(0);
    }
    int r = open("fifo", O_RDONLY);
    report("blocking FIFO open for reading", r >= 0 ? 0 : -1);
    memset(buf, 0, sizeof buf);
    read(r, buf, sizeof buf - 1);
    printf("read: %s\n", buf);
    close(r);
    waitpid(pid, NULL, 0);
    report("FIFO open for writing, O_NONBLOCK, no reader", open("fifo", O_WRONLY | O_NONBLOCK));

    unlink("fifo");
    unlink("link");
    unlink("file");
    chdir("/");
    rmdir(dir);
    return 0;
}
