/* /proc magic links open what they name, as on Linux: /proc/self/fd/N,
 * /proc/PID/fd/N, /proc/thread-self/fd/N, /dev/fd/N, /dev/stdin of every
 * kind of object a process holds (pipes, FIFOs, deleted files, memfds,
 * sockets, anonymous inodes, directories, O_PATH fds), with the open flags
 * and mode checks of Linux; readlink of them; /proc/PID/exe opened and
 * exec'd (also after the file is deleted); fexecve of a memfd and of a
 * deleted file; exec failures that leave the caller running.
 * Prints only what is the same in any two native runs (numbers inside
 * "pipe:[N]" and the like are replaced by N).
 * Usage: magiclinks [SCRATCH_DIR]   (default /tmp) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) { const char *n = strerrorname_np(e); return n ? n : "?"; }

static void say(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *what, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("%-44s %s\n", what, buf);
    fflush(stdout);
}

/* readlink with every run of digits replaced by N. */
static void link_text(const char *what, const char *path) {
    char t[4096], out[4096];
    ssize_t n = readlink(path, t, sizeof t - 1);
    if (n < 0) { say(what, "readlink %s", en(errno)); return; }
    t[n] = 0;
    size_t o = 0;
    for (ssize_t i = 0; i < n && o < sizeof out - 2; i++) {
        if (t[i] >= '0' && t[i] <= '9') {
            out[o++] = 'N';
            while (i + 1 < n && t[i + 1] >= '0' && t[i + 1] <= '9') i++;
        } else {
            out[o++] = t[i];
        }
    }
    out[o] = 0;
    say(what, "-> %s", out);
}

static char *fdpath(const char *fmt, long a, long b) {
    static char p[128];
    snprintf(p, sizeof p, fmt, a, b);
    return p;
}

/* Opens `path` with `flags`; prints what it read (up to 40 bytes) or the errno. */
static void open_read(const char *what, const char *path, int flags) {
    int fd = open(path, flags, 0600);
    if (fd < 0) { say(what, "open %s", en(errno)); return; }
    char buf[64] = {0};
    ssize_t n = (flags & O_ACCMODE) == O_WRONLY ? 0 : pread(fd, buf, 40, 0);
    if (n < 0 && errno == ESPIPE) n = read(fd, buf, 40);
    if (n < 0) say(what, "opened, read %s", en(errno));
    else {
        for (ssize_t i = 0; i < n; i++) if (buf[i] == '\n') buf[i] = '|';
        say(what, "opened, \"%.*s\"", (int)n, buf);
    }
    close(fd);
}

static void pipes(void) {
    int p[2];
    if (pipe(p) < 0) { perror("pipe"); exit(1); }
    /* The write end reopened for writing, the data read from the read end. */
    int w = open(fdpath("/proc/self/fd/%ld", p[1], 0), O_WRONLY);
    if (w < 0) say("pipe write end, reopened O_WRONLY", "open %s", en(errno));
    else {
        ssize_t n = write(w, "through-reopen\n", 15);
        say("pipe write end, reopened O_WRONLY", "wrote %zd", n);
        close(w);
    }
    open_read("pipe read end, reopened O_RDONLY", fdpath("/proc/self/fd/%ld", p[0], 0), O_RDONLY | O_NONBLOCK);
    /* A reopen is a new open file description: its own flags. */
    int r = open(fdpath("/dev/fd/%ld", p[0], 0), O_RDONLY | O_NONBLOCK);
    int fl = r < 0 ? -1 : fcntl(r, F_GETFL);
    say("pipe via /dev/fd, own O_NONBLOCK", "%s", r < 0 ? en(errno) : (fl & O_NONBLOCK) && !(fcntl(p[0], F_GETFL) & O_NONBLOCK) ? "yes" : "no");
    if (r >= 0) close(r);
    /* The other direction, as Linux allows for a pipe inode. */
    open_read("pipe read end, reopened O_WRONLY", fdpath("/proc/self/fd/%ld", p[0], 0), O_WRONLY);
    open_read("pipe end with O_CREAT|O_TRUNC", fdpath("/proc/self/fd/%ld", p[1], 0), O_WRONLY | O_CREAT | O_TRUNC);
    link_text("readlink of a pipe end", fdpath("/proc/self/fd/%ld", p[0], 0));
    link_text("readlink via /proc/thread-self", fdpath("/proc/thread-self/fd/%ld", p[1], 0));
    /* stdin as a pipe, the way `echo hi | cat /dev/stdin` has it. */
    int saved = dup(0);
    int q[2];
    if (pipe(q) == 0) {
        write(q[1], "stdin-data\n", 11);
        close(q[1]);
        dup2(q[0], 0);
        close(q[0]);
        open_read("/dev/stdin of a pipe", "/dev/stdin", O_RDONLY);
        dup2(saved, 0);
    }
    close(saved);
    close(p[0]);
    close(p[1]);
}

static void files(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/magiclinks-deleted.%d", dir, (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { say("scratch file", "%s", en(errno)); return; }
    write(fd, "deleted-but-open\n", 17);
    unlink(path);
    char *link = fdpath("/proc/self/fd/%ld", fd, 0);
    open_read("deleted file, O_RDONLY", link, O_RDONLY);
    open_read("deleted file, O_RDWR|O_APPEND", link, O_RDWR | O_APPEND);
    struct stat st;
    say("deleted file, stat through the link", "%s", stat(link, &st) == 0 ? (st.st_nlink == 0 && st.st_size == 17 ? "nlink 0, size 17" : "other") : en(errno));
    open_read("deleted file, O_WRONLY|O_TRUNC", link, O_WRONLY | O_TRUNC);
    say("deleted file after O_TRUNC", "size %ld", fstat(fd, &st) == 0 ? (long)st.st_size : -1L);
    open_read("deleted file, O_CREAT|O_EXCL", link, O_RDWR | O_CREAT | O_EXCL);
    open_read("deleted file, O_DIRECTORY", link, O_RDONLY | O_DIRECTORY);
    close(fd);

    /* A read-only file reopened for writing: the file's mode decides. */
    snprintf(path, sizeof path, "%s/magiclinks-ro.%d", dir, (int)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0444);
    if (fd >= 0) {
        write(fd, "ro\n", 3);
        int ro = open(path, O_RDONLY);
        open_read("0444 file reopened O_WRONLY", fdpath("/proc/self/fd/%ld", ro, 0), O_WRONLY);
        close(ro);
        close(fd);
        unlink(path);
    }

    int m = memfd_create("fixture", MFD_CLOEXEC);
    write(m, "memfd-content\n", 14);
    open_read("memfd, O_RDONLY", fdpath("/proc/self/fd/%ld", m, 0), O_RDONLY);
    open_read("memfd via /dev/fd, O_RDWR", fdpath("/dev/fd/%ld", m, 0), O_RDWR);
    link_text("readlink of a memfd", fdpath("/proc/self/fd/%ld", m, 0));
    close(m);

    int d = open("/etc", O_RDONLY | O_DIRECTORY);
    int d2 = open(fdpath("/proc/self/fd/%ld", d, 0), O_RDONLY | O_DIRECTORY);
    DIR *dd = d2 < 0 ? NULL : fdopendir(d2);
    int seen = 0;
    if (dd) {
        struct dirent *e;
        while ((e = readdir(dd))) if (!strcmp(e->d_name, "passwd")) seen = 1;
        closedir(dd);
    }
    say("directory fd reopened, listed", "%s", d2 < 0 ? en(errno) : seen ? "has passwd" : "no passwd");
    open_read("directory fd reopened O_WRONLY", fdpath("/proc/self/fd/%ld", d, 0), O_WRONLY);
    char cwd[4096];
    if (chdir(fdpath("/proc/self/fd/%ld", d, 0)) == 0 && getcwd(cwd, sizeof cwd)) say("chdir through the link", "%s", cwd);
    else say("chdir through the link", "%s", en(errno));
    chdir("/");
    close(d);

    snprintf(path, sizeof path, "%s/magiclinks-opath.%d", dir, (int)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "o-path-target\n", 14);
    close(fd);
    int op = open(path, O_PATH);
    unlink(path);
    open_read("O_PATH fd reopened O_RDONLY", fdpath("/proc/self/fd/%ld", op, 0), O_RDONLY);
    close(op);
    say("an fd that is not open", "%s", open("/proc/self/fd/999", O_RDONLY) < 0 ? en(errno) : "opened");
}

static void anonymous(void) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    open_read("socket", fdpath("/proc/self/fd/%ld", s, 0), O_RDWR);
    link_text("readlink of a socket", fdpath("/proc/self/fd/%ld", s, 0));
    close(s);
    int e = eventfd(0, 0);
    open_read("eventfd", fdpath("/proc/self/fd/%ld", e, 0), O_RDWR);
    link_text("readlink of an eventfd", fdpath("/proc/self/fd/%ld", e, 0));
    close(e);
    int ep = epoll_create1(0);
    open_read("epoll", fdpath("/proc/self/fd/%ld", ep, 0), O_RDONLY);
    link_text("readlink of an epoll fd", fdpath("/proc/self/fd/%ld", ep, 0));
    close(ep);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    int sf = signalfd(-1, &set, 0);
    open_read("signalfd", fdpath("/proc/self/fd/%ld", sf, 0), O_RDONLY);
    link_text("readlink of a signalfd", fdpath("/proc/self/fd/%ld", sf, 0));
    close(sf);
    int tf = timerfd_create(CLOCK_MONOTONIC, 0);
    open_read("timerfd", fdpath("/proc/self/fd/%ld", tf, 0), O_RDONLY);
    link_text("readlink of a timerfd", fdpath("/proc/self/fd/%ld", tf, 0));
    close(tf);
}

/* A child's fds by /proc/CHILD/fd/N, and a FIFO it holds. */
static void other_process(const char *dir) {
    char fifo[4096];
    snprintf(fifo, sizeof fifo, "%s/magiclinks-fifo.%d", dir, (int)getpid());
    mkfifo(fifo, 0600);
    int go[2];
    pipe(go);
    pid_t child = fork();
    if (child == 0) {
        close(go[0]);
        int f = open(fifo, O_RDWR);  /* both ends: opens never block */
        int d = open(fifo, O_RDONLY | O_NONBLOCK);
        dup2(d, 20);
        dup2(f, 21);
        write(go[1], "r", 1);
        pause();
        _exit(0);
    }
    close(go[1]);
    char c;
    read(go[0], &c, 1);
    close(go[0]);
    int w = open(fdpath("/proc/%ld/fd/%ld", child, 21), O_WRONLY);
    if (w >= 0) write(w, "fifo-through-child\n", 19);
    say("child's FIFO, /proc/CHILD/fd/21 O_WRONLY", "%s", w < 0 ? en(errno) : "opened");
    open_read("child's FIFO, /proc/CHILD/fd/20", fdpath("/proc/%ld/fd/%ld", child, 20), O_RDONLY | O_NONBLOCK);
    if (w >= 0) close(w);
    link_text("readlink of the child's FIFO", fdpath("/proc/%ld/fd/%ld", child, 20));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    unlink(fifo);
}

static int run_child(char *const argv[], int (*how)(char *const[])) {
    pid_t p = fork();
    if (p == 0) {
        how(argv);
        printf("    exec failed: %s\n", en(errno));
        fflush(stdout);
        _exit(99);
    }
    int st;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *self_path;
static int via_self_exe(char *const argv[]) { return execv("/proc/self/exe", argv); }
static int via_path(char *const argv[]) { return execv(self_path, argv); }

static void execs(const char *dir, const char *me) {
    char *again[] = {(char *)"magiclinks", (char *)"--child", (char *)"self-exe", NULL};
    say("execv(/proc/self/exe)", "status %d", run_child(again, via_self_exe));

    /* A copy of this program, started, deleted, then exec'd through its /proc/PID/exe. */
    char copy[4096];
    snprintf(copy, sizeof copy, "%s/magiclinks-copy.%d", dir, (int)getpid());
    int in = open(me, O_RDONLY), out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0) write(out, buf, (size_t)n);
    close(in);
    close(out);
    int go[2];
    pipe(go);
    pid_t waiter = fork();
    if (waiter == 0) {
        char *w[] = {(char *)"magiclinks", (char *)"--child", (char *)"wait", NULL};
        dup2(go[0], 0);
        close(go[1]);
        execv(copy, w);
        _exit(98);
    }
    close(go[0]);
    usleep(100000);
    unlink(copy);
    char exe[64];
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)waiter);
    link_text("readlink of a deleted image's exe", exe);
    struct stat st;
    say("stat of a deleted image's exe", "%s", stat(exe, &st) == 0 ? (st.st_nlink == 0 ? "nlink 0" : "linked") : en(errno));
    self_path = exe;
    char *deleted[] = {(char *)"magiclinks", (char *)"--child", (char *)"deleted-image", NULL};
    say("execv(/proc/PID/exe) of a deleted image", "status %d", run_child(deleted, via_path));
    close(go[1]);
    waitpid(waiter, NULL, 0);

    /* fexecve of a memfd holding this program, and of a deleted file. */
    int m = memfd_create("prog", 0);
    in = open(me, O_RDONLY);
    while (in >= 0 && (n = read(in, buf, sizeof buf)) > 0) write(m, buf, (size_t)n);
    close(in);
    pid_t p = fork();
    if (p == 0) {
        char *a[] = {(char *)"magiclinks", (char *)"--child", (char *)"fexecve-memfd", NULL};
        fexecve(m, a, environ);
        printf("    fexecve failed: %s\n", en(errno));
        _exit(99);
    }
    int status;
    waitpid(p, &status, 0);
    say("fexecve(memfd)", "status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    p = fork();
    if (p == 0) {
        char *a[] = {(char *)"magiclinks", (char *)"--child", (char *)"memfd-by-path", NULL};
        execv(fdpath("/proc/self/fd/%ld", m, 0), a);
        printf("    exec failed: %s\n", en(errno));
        _exit(99);
    }
    waitpid(p, &status, 0);
    say("execv(/proc/self/fd/MEMFD)", "status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    close(m);

    /* Exec failures return to the caller, which keeps running. */
    errno = 0;
    char *none[] = {(char *)"x", NULL};
    execv("/proc/self/fd/999", none);
    say("execv(/proc/self/fd/999)", "%s, still running", en(errno));
    int d = open("/etc", O_RDONLY | O_DIRECTORY);
    execv(fdpath("/proc/self/fd/%ld", d, 0), none);
    say("execv(directory through /proc/self/fd)", "%s, still running", en(errno));
    syscall(SYS_execveat, d, "", none, environ, AT_EMPTY_PATH);
    say("execveat(directory fd, \"\", AT_EMPTY_PATH)", "%s, still running", en(errno));
    close(d);
    int pp[2];
    pipe(pp);
    execv(fdpath("/proc/self/fd/%ld", pp[0], 0), none);
    say("execv(pipe through /proc/self/fd)", "%s, still running", en(errno));
    close(pp[0]);
    close(pp[1]);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    syscall(SYS_execveat, s, "", none, environ, AT_EMPTY_PATH);
    say("execveat(socket, \"\", AT_EMPTY_PATH)", "%s, still running", en(errno));
    close(s);
}

static int child(const char *what) {
    if (!strcmp(what, "wait")) {
        char c;
        read(0, &c, 1);  /* until the parent closes the pipe */
        return 0;
    }
    /* Proof that this image runs: our own exe opens and is an ELF file. */
    char head[4] = {0};
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd >= 0) read(fd, head, 4);
    printf("    child %s: %s\n", what, memcmp(head, "\177ELF", 4) == 0 ? "running, its exe is ELF" : "exe unreadable");
    fflush(stdout);
    return 7;
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "--child")) return child(argv[2]);
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    setvbuf(stdout, NULL, _IOLBF, 0);
    pipes();
    files(dir);
    anonymous();
    other_process(dir);
    /* The program's own file, for the copies: as the kernel names it. */
    char me[4096];
    ssize_t n = readlink("/proc/self/exe", me, sizeof me - 1);
    if (n < 0) { say("readlink(/proc/self/exe)", "%s", en(errno)); return 1; }
    me[n] = 0;
    execs(dir, me);
    return 0;
}
