/* A hostile tracee: bad pointers, unterminated and over-long paths, bogus
 * fds, absurd lengths and flags for every syscall picorun translates or
 * emulates. One line per attempt, only run-stable values (errno names, return
 * values that do not depend on addresses, pids or times), so the output under
 * picorun must equal the native output. Works from a scratch directory made
 * with mkdtemp under /tmp with relative paths, so --rootfs runs compare too.
 * Anything that could end the process runs in a forked child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/kcmp.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#define PAGE 4096L
#define KERNEL_PTR 0xffff800000000000UL
#define HUGE_COUNT (1UL << 62)

static const struct { int e; const char *name; } errnames[] = {
#define E(x) { x, #x }
    E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC), E(EBADF), E(ECHILD),
    E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
    E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE),
    E(EROFS), E(EMLINK), E(EPIPE), E(ERANGE), E(ENAMETOOLONG), E(ENOSYS), E(ENOTEMPTY), E(ELOOP),
    E(ENODATA), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT),
    E(EOPNOTSUPP), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETUNREACH), E(ECONNRESET),
    E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ECONNREFUSED), E(EOVERFLOW), E(ESTALE), E(EDQUOT),
    E(EBADMSG), E(ENOLINK), E(EPROTO), E(ENOTUNIQ), E(EBADFD), E(ENOKEY), E(EOWNERDEAD), E(ECANCELED),
#undef E
};

static const char *ename(int e) {
    static char other[32];
    for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
        if (errnames[i].e == e) return errnames[i].name;
    snprintf(other, sizeof other, "E%d", e);
    return other;
}

enum { VAL, FD, OK };

static void repair(void);

/* Prints one line for a result of syscall(); FD results are closed, not
 * shown. Then puts the scratch tree back if the call damaged it. */
static void show(const char *what, long r, int kind) {
    int e = errno;
    if (r == -1) printf("%s: ret=-1 errno=%s\n", what, ename(e));
    else if (kind == FD) { printf("%s: ok fd\n", what); close((int)r); }
    else if (kind == OK) printf("%s: ok\n", what);
    else printf("%s: ok ret=%ld\n", what, r);
    repair();
}

#define T(what, kind, ...) do { errno = 0; show(what, syscall(__VA_ARGS__), kind); } while (0)

/* ---- the scratch tree: f (\"hi\", 0644, user.a=v), d/, l -> f, loop -> loop,
 * d/f, d/d/, d/l -> f. No call is meant to change it; if one did, it is put
 * back and a "repaired" line says what was wrong, so each case stays
 * independent of the ones before it. ---- */
static int repair_on;
static char repaired[512];

static void note(const char *what) {
    if (strlen(repaired) + strlen(what) + 2 < sizeof repaired) { strcat(repaired, " "); strcat(repaired, what); }
}

static void zap(const char *p) {
    if (unlink(p) != 0 && errno == EISDIR) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "%s", p);
        DIR *dd = opendir(p);
        struct dirent *de;
        while (dd && (de = readdir(dd))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            snprintf(cmd, sizeof cmd, "%s/%s", p, de->d_name);
            zap(cmd);
        }
        if (dd) closedir(dd);
        rmdir(p);
    }
}

static void fix_file(const char *p) {
    struct stat s;
    char v[8];
    if (lstat(p, &s) == 0 && S_ISREG(s.st_mode) && s.st_size == 2 && (s.st_mode & 07777) == 0644) {
        if (getxattr(p, "user.a", v, sizeof v) == 1 && v[0] == 'v') return;
        setxattr(p, "user.a", "v", 1, 0);
        char w[64]; snprintf(w, sizeof w, "%s(xattr)", p); note(w);
        return;
    }
    zap(p);
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "hi", 2);
    close(fd);
    chmod(p, 0644);
    setxattr(p, "user.a", "v", 1, 0);
    note(p);
}

static void fix_dir(const char *p) {
    struct stat s;
    if (lstat(p, &s) == 0 && S_ISDIR(s.st_mode) && (s.st_mode & 07777) == 0755) return;
    if (lstat(p, &s) == 0 && S_ISDIR(s.st_mode)) chmod(p, 0755);
    else { zap(p); mkdir(p, 0755); chmod(p, 0755); }
    note(p);
}

static void fix_link(const char *p, const char *target) {
    char t[64];
    ssize_t n = readlink(p, t, sizeof t - 1);
    if (n == (ssize_t)strlen(target) && memcmp(t, target, n) == 0) return;
    zap(p);
    symlink(target, p);
    note(p);
}

/* Removes entries of dir not in keep (NULL-terminated). */
static void fix_extras(const char *dir, const char *const *keep) {
    DIR *dd = opendir(dir);
    struct dirent *de;
    char names[8][300];
    int n = 0;
    while (dd && (de = readdir(dd))) {
        int known = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
        for (int i = 0; keep[i] && !known; i++) known = !strcmp(de->d_name, keep[i]);
        if (!known && n < 8) snprintf(names[n++], sizeof names[0], "%s/%s", dir, de->d_name);
    }
    if (dd) closedir(dd);
    for (int i = 0; i < n; i++) {
        char w[64];
        size_t len = strlen(names[i]);
        if (len > 24) snprintf(w, sizeof w, "extra:%.20s...(len %zu)", names[i], len);
        else snprintf(w, sizeof w, "extra:%.50s", names[i]);
        note(w);
        zap(names[i]);
    }
}

static char sock_a108[109], sock_z108[109];   /* the 108-byte socket names bind() makes */
static const char *keep_top[] = { "f", "d", "l", "loop", "garbage", "badelf", "emptyx", "shebang-missing",
                                  "shebang-empty", "shebang-loop", "shebang-long", "ds", "np",
                                  sock_a108, sock_z108, NULL };
static const char *keep_d[] = { "f", "d", "l", NULL };
static const char *keep_none[] = { NULL };

static void repair(void) {
    if (!repair_on) return;
    int e = errno;
    repair_on = 0;
    repaired[0] = 0;
    fix_dir("d");
    fix_file("f");
    fix_link("l", "f");
    fix_link("loop", "loop");
    fix_file("d/f");
    fix_dir("d/d");
    fix_link("d/l", "f");
    fix_extras(".", keep_top);
    fix_extras("d", keep_d);
    fix_extras("d/d", keep_none);
    if (repaired[0]) printf("  repaired:%s\n", repaired);
    repair_on = 1;
    errno = e;
}

/* Runs fn in a child; reports anything but a clean exit 0. */
static void isolated(const char *what, void (*fn)(void *), void *arg) {
    pid_t pid = fork();
    if (pid == 0) { fn(arg); _exit(0); }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) { printf("%s: fork/wait failed\n", what); return; }
    if (WIFSIGNALED(status)) printf("%s: child killed by signal %d\n", what, WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0) printf("%s: child exited %d\n", what, WEXITSTATUS(status));
}

/* ---- bad memory ---- */
static char *hole;       /* a page that was mapped, then unmapped */
static char *guard;      /* first byte of a PROT_NONE page after a readable/writable one */
static char self[4096];

/* Copies s so that its terminating NUL is the last byte before the guard page. */
static char *at_edge(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = guard - n;
    memcpy(p, s, n);
    return p;
}

static void fill_edge(void) {
    memset(guard - PAGE, 'a', PAGE);
}

/* ---- path variants ---- */
#define NPV 17
static struct { const char *name; const char *path; } pv[NPV];
static char long4095[4096], long4096[4097], long4097[4098], comp255[260], comp256[257], comp256mid[262];
static char big[(1 << 20) + 1];

static void setup_paths(void) {
    for (int i = 0; i < 4095; i++) long4095[i] = (i % 2) ? '/' : 'a';
    long4095[4094] = 'a';
    memset(long4096, 'a', 4096);
    memset(long4097, 'a', 4097);
    memset(comp255, 'a', 255); strcpy(comp255 + 255, "/x");
    memset(comp256, 'a', 256);
    memset(comp256mid, 'a', 256); strcpy(comp256mid + 256, "/x");
    memset(big, 'a', sizeof big - 1);
}

/* Fills pv[] for a call whose harmless default path is def. The edge
 * variants are rebuilt each time, since at_edge() shares one page. */
static int path_variants(const char *def, int want_edge) {
    int n = 0;
#define P(nm, p) do { pv[n].name = nm; pv[n].path = (const char *)(p); n++; } while (0)
    P("NULL", NULL);
    P("unmapped", hole);
    P("kernel", KERNEL_PTR);
    P("unaligned-kernel", KERNEL_PTR + 3);
    P("minus-one", -1L);
    P("straddle100", NULL);   /* filled below */
    P("straddle4096", NULL);
    P("empty", "");
    P("len4095", long4095);
    P("len4096", long4096);
    P("len4097", long4097);
    P("len1M", big);
    P("comp255", comp255);
    P("comp256", comp256);
    P("comp256mid", comp256mid);
    P("trailing-slash", "f/");
    if (want_edge) P("edge", NULL);
#undef P
    return n;
}

static const char *variant_path(int i, const char *def) {
    if (strcmp(pv[i].name, "straddle100") == 0) { fill_edge(); return guard - 100; }
    if (strcmp(pv[i].name, "straddle4096") == 0) { fill_edge(); return guard - PAGE; }
    if (strcmp(pv[i].name, "edge") == 0) return at_edge(def);
    return pv[i].path;
}

/* ---- table of path calls ---- */
struct call {
    const char *name;
    long nr;
    int pslot;   /* argument that is the path under test */
    int fslot;   /* dirfd argument, or -1 */
    int kind;
    int forked;  /* run in a child (execve) */
    const char *def;
    long a[6];
};

static struct stat st;
static struct statx stx;
static char buf[512];
static struct open_how how = { .flags = O_RDONLY };
static struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
static char *child_argv[] = { "hostile", "--child", NULL };
static char *child_envp[] = { "HOSTILE_CHILD=1", NULL };

static struct call *cur;
static long cur_args[6];

static void do_call(void *what) {
    errno = 0;
    long *a = cur_args;
    show(what, syscall(cur->nr, a[0], a[1], a[2], a[3], a[4], a[5]), cur->kind);
}

static void run_call(struct call *c, const char *label) {
    cur = c;
    if (c->forked) isolated(label, do_call, (void *)label);
    else do_call((void *)label);
}

static void path_table(struct call *calls, int ncalls) {
    char label[160];
    for (int k = 0; k < ncalls; k++) {
        struct call *c = &calls[k];
        int n = path_variants(c->def, 1);
        for (int i = 0; i < n; i++) {
            memcpy(cur_args, c->a, sizeof cur_args);
            cur_args[c->pslot] = (long)variant_path(i, c->def);
            snprintf(label, sizeof label, "%s(path=%s)", c->name, pv[i].name);
            run_call(c, label);
        }
    }
}

/* ---- fd variants ---- */
static int fd_file, fd_opath_file, fd_dir, fd_opath_dir, fd_closed, fd_opath_link;

static void fd_table(struct call *calls, int ncalls) {
    struct { const char *name; long fd; } fv[] = {
        { "-1", -1 }, { "-2", -2 }, { "9999", 9999 }, { "INT_MAX", 0x7fffffff }, { "closed", fd_closed },
        { "opath-file", fd_opath_file }, { "file", fd_file }, { "opath-dir", fd_opath_dir }, { "dir", fd_dir },
        { "AT_FDCWD-32bit", 0xffffff9cL }, { "dir+2^32", (1L << 32) | fd_dir },
        { "AT_FDCWD+2^32", (1L << 32) | 0xffffff9cL },
    };
    char label[160];
    for (int k = 0; k < ncalls; k++) {
        struct call *c = &calls[k];
        if (c->fslot < 0) continue;
        for (size_t i = 0; i < sizeof fv / sizeof fv[0]; i++) {
            memcpy(cur_args, c->a, sizeof cur_args);
            cur_args[c->pslot] = (long)c->def;
            cur_args[c->fslot] = fv[i].fd;
            snprintf(label, sizeof label, "%s(fd=%s)", c->name, fv[i].name);
            run_call(c, label);
        }
    }
}

/* ---- exec ---- */
struct execargs { const char *what; const char *path; char *const *argv; char *const *envp; };

static void do_exec(void *p) {
    struct execargs *x = p;
    errno = 0;
    show(x->what, syscall(SYS_execve, x->path, x->argv, x->envp), VAL);
}

static void exec_case(const char *what, const char *path, char *const *argv, char *const *envp) {
    struct execargs x = { what, path, argv, envp };
    isolated(what, do_exec, &x);
}

static void put(const char *name, const char *content, size_t len, mode_t mode) {
    int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, mode);
    if (fd < 0) { printf("setup %s: %s\n", name, ename(errno)); exit(1); }
    write(fd, content, len);
    close(fd);
    chmod(name, mode);
}

static void exec_tests(void) {
    /* Files the loader must refuse. */
    char elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
    put("garbage", "garbage\n\0\0\0\0", 12, 0755);
    put("badelf", elf, sizeof elf, 0755);
    put("emptyx", "", 0, 0755);
    put("shebang-missing", "#!/nonexistent-interpreter\n", 27, 0755);
    put("shebang-empty", "#!\n", 3, 0755);
    put("shebang-loop", "#!./shebang-loop\n", 17, 0755);
    char longbang[400] = "#!/";
    memset(longbang + 3, 'a', 300);
    strcpy(longbang + 303, "\n");
    put("shebang-long", longbang, strlen(longbang), 0755);

    exec_case("execve(dir)", "d", child_argv, child_envp);
    exec_case("execve(non-executable)", "f", child_argv, child_envp);
    exec_case("execve(garbage)", "./garbage", child_argv, child_envp);
    exec_case("execve(truncated ELF)", "./badelf", child_argv, child_envp);
    exec_case("execve(empty file)", "./emptyx", child_argv, child_envp);
    exec_case("execve(#! missing interpreter)", "./shebang-missing", child_argv, child_envp);
    exec_case("execve(#! empty)", "./shebang-empty", child_argv, child_envp);
    exec_case("execve(#! itself)", "./shebang-loop", child_argv, child_envp);
    exec_case("execve(#! 300-byte interpreter)", "./shebang-long", child_argv, child_envp);

    /* Bad argv / envp on a program that would run (and exit 42). */
    exec_case("execve(argv=NULL)", self, NULL, child_envp);
    exec_case("execve(envp=NULL)", self, child_argv, NULL);
    exec_case("execve(argv=unmapped)", self, (char *const *)hole, child_envp);
    exec_case("execve(argv=kernel)", self, (char *const *)KERNEL_PTR, child_envp);
    exec_case("execve(envp=unmapped)", self, child_argv, (char *const *)hole);
    exec_case("execve(envp=kernel)", self, child_argv, (char *const *)KERNEL_PTR);
    static char *a_bad1[] = { "hostile", NULL, NULL };
    a_bad1[1] = hole;
    exec_case("execve(argv[1]=unmapped)", self, a_bad1, child_envp);
    static char *a_bad2[] = { "hostile", (char *)KERNEL_PTR, NULL };
    exec_case("execve(argv[1]=kernel)", self, a_bad2, child_envp);
    static char *e_bad[] = { "HOSTILE_CHILD=1", NULL, NULL };
    e_bad[1] = hole;
    exec_case("execve(envp[1]=unmapped)", self, child_argv, e_bad);
    static char *a_big[] = { "hostile", big, NULL };
    exec_case("execve(argv[1]=1MiB)", self, a_big, child_envp);
    static char *a_str[] = { "hostile", NULL, NULL };
    fill_edge();
    a_str[1] = guard - 100;
    exec_case("execve(argv[1]=straddle100)", self, a_str, child_envp);
    a_str[1] = guard - PAGE;
    exec_case("execve(argv[1]=straddle4096)", self, a_str, child_envp);
    /* An argv array whose last slot is right before the guard page, no NULL. */
    char **arr = (char **)(guard - 2 * sizeof(char *));
    arr[0] = "hostile"; arr[1] = "--child";
    exec_case("execve(argv unterminated at page end)", self, arr, child_envp);
    exec_case("execve(envp unterminated at page end)", self, child_argv, arr);
    /* Flags and fds of execveat. */
    struct call ex[] = {
        { "execveat(bad flags)", SYS_execveat, 1, -1, VAL, 1, "f", { AT_FDCWD, 0, (long)child_argv, (long)child_envp, 0x40000000 } },
        { "execveat(AT_EMPTY_PATH fd=-1)", SYS_execveat, 1, -1, VAL, 1, "", { -1, 0, (long)child_argv, (long)child_envp, AT_EMPTY_PATH } },
        { "execveat(AT_EMPTY_PATH fd=9999)", SYS_execveat, 1, -1, VAL, 1, "", { 9999, 0, (long)child_argv, (long)child_envp, AT_EMPTY_PATH } },
        { "execveat(AT_EMPTY_PATH fd=opath-file)", SYS_execveat, 1, -1, VAL, 1, "", { fd_opath_file, 0, (long)child_argv, (long)child_envp, AT_EMPTY_PATH } },
        { "execveat(AT_EMPTY_PATH fd=dir)", SYS_execveat, 1, -1, VAL, 1, "", { fd_dir, 0, (long)child_argv, (long)child_envp, AT_EMPTY_PATH } },
        { "execveat(path=NULL AT_EMPTY_PATH fd=-1)", SYS_execveat, 1, -1, VAL, 1, NULL, { -1, 0, (long)child_argv, (long)child_envp, AT_EMPTY_PATH } },
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        memcpy(cur_args, ex[i].a, sizeof cur_args);
        cur_args[1] = (long)ex[i].def;
        run_call(&ex[i], ex[i].name);
    }
}

/* ---- sockets ---- */
static int usock(int type) { return socket(AF_UNIX, type | SOCK_CLOEXEC, 0); }

/* A sockaddr_un with all 108 bytes of sun_path used (no NUL), placed so its
 * last byte is the last byte before the guard page. */
static struct sockaddr_un *edge_sun(char c) {
    struct sockaddr_un *a = (struct sockaddr_un *)(guard - sizeof(struct sockaddr_un));
    a->sun_family = AF_UNIX;
    memset(a->sun_path, c, sizeof a->sun_path);
    return a;
}

static void sock_addr_cases(const char *name, long nr) {
    char label[160];
    struct sockaddr_un good = { .sun_family = AF_UNIX };
    strcpy(good.sun_path, "nx/sock");
    struct { const char *what; long addr; long len; } v[] = {
        { "addr=NULL", 0, sizeof good },
        { "addr=unmapped", (long)hole, sizeof good },
        { "addr=kernel", KERNEL_PTR, sizeof good },
        { "addr straddling guard", (long)(guard - 10), sizeof good },
        { "addrlen=0", (long)&good, 0 },
        { "addrlen=1", (long)&good, 1 },
        { "addrlen=-1", (long)&good, -1 },
        { "addrlen=111", (long)&good, 111 },
        { "addrlen=129", (long)&good, 129 },
        { "addrlen=2^20", (long)&good, 1 << 20 },
        { "addrlen=2^32+110", (long)&good, (1L << 32) + sizeof good },
        { "missing dir", (long)&good, sizeof good },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        int s = usock(SOCK_STREAM);
        snprintf(label, sizeof label, "%s(%s)", name, v[i].what);
        T(label, VAL, nr, s, v[i].addr, v[i].len);
        close(s);
    }
    struct sockaddr_un fam = { .sun_family = AF_INET };
    strcpy(fam.sun_path, "nx");
    int s = usock(SOCK_STREAM);
    snprintf(label, sizeof label, "%s(family=AF_INET on unix socket)", name);
    T(label, VAL, nr, s, &fam, sizeof fam);
    close(s);
    snprintf(label, sizeof label, "%s(fd=-1)", name);
    T(label, VAL, nr, -1, &good, sizeof good);
    snprintf(label, sizeof label, "%s(fd=regular file)", name);
    T(label, VAL, nr, fd_file, &good, sizeof good);
    snprintf(label, sizeof label, "%s(fd=opath)", name);
    T(label, VAL, nr, fd_opath_file, &good, sizeof good);
    s = usock(SOCK_STREAM);
    snprintf(label, sizeof label, "%s(unterminated 108 'z' at page end)", name);
    T(label, VAL, nr, s, edge_sun('z'), sizeof(struct sockaddr_un));
    close(s);
    char z108[109];
    memset(z108, 'z', 108); z108[108] = 0;
    unlink(z108);
    s = usock(SOCK_STREAM);
    struct sockaddr_un f = { .sun_family = AF_UNIX, .sun_path = "f" };
    snprintf(label, sizeof label, "%s(regular file)", name);
    T(label, VAL, nr, s, &f, sizeof f);
    close(s);
    s = usock(SOCK_STREAM);
    struct sockaddr_un dd = { .sun_family = AF_UNIX, .sun_path = "d" };
    snprintf(label, sizeof label, "%s(directory)", name);
    T(label, VAL, nr, s, &dd, sizeof dd);
    close(s);
    s = usock(SOCK_STREAM);
    struct sockaddr_un tr = { .sun_family = AF_UNIX, .sun_path = "f/" };
    snprintf(label, sizeof label, "%s(trailing slash on file)", name);
    T(label, VAL, nr, s, &tr, sizeof tr);
    close(s);
    int in = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(label, sizeof label, "%s(inet addr=NULL)", name);
    T(label, VAL, nr, in, NULL, 16);
    snprintf(label, sizeof label, "%s(inet addr=unmapped)", name);
    T(label, VAL, nr, in, hole, 16);
    snprintf(label, sizeof label, "%s(inet addrlen=8)", name);
    T(label, VAL, nr, in, &good, 8);
    snprintf(label, sizeof label, "%s(inet addrlen=2^20)", name);
    T(label, VAL, nr, in, &good, 1 << 20);
    close(in);
}

static void socket_tests(void) {
    sock_addr_cases("bind", SYS_bind);
    sock_addr_cases("connect", SYS_connect);

    /* bind(2) with sizeof(sa_family_t): autobind in the abstract namespace. */
    int s = usock(SOCK_STREAM);
    T("bind(addrlen=2, autobind)", VAL, SYS_bind, s, edge_sun('x'), 2);
    close(s);
    /* A full, unterminated 108-byte sun_path ending at the guard page. */
    s = usock(SOCK_STREAM);
    T("bind(unterminated 108 at page end)", VAL, SYS_bind, s, edge_sun('a'), sizeof(struct sockaddr_un));
    int s2 = usock(SOCK_STREAM);
    T("bind(same 108 again)", VAL, SYS_bind, s2, edge_sun('a'), sizeof(struct sockaddr_un));
    T("connect(108, not listening)", VAL, SYS_connect, s2, edge_sun('a'), sizeof(struct sockaddr_un));
    listen(s, 1);
    T("connect(108, listening)", VAL, SYS_connect, s2, edge_sun('a'), sizeof(struct sockaddr_un));
    T("connect(108, again)", VAL, SYS_connect, s2, edge_sun('a'), sizeof(struct sockaddr_un));
    close(s2);
    close(s);
    char name108[109];
    memset(name108, 'a', 108); name108[108] = 0;
    T("unlink(108-byte socket)", VAL, SYS_unlink, name108);

    /* sendto on datagram sockets. */
    int rx = usock(SOCK_DGRAM);
    struct sockaddr_un ds = { .sun_family = AF_UNIX, .sun_path = "ds" };
    bind(rx, (struct sockaddr *)&ds, sizeof ds);
    int tx = usock(SOCK_DGRAM);
    T("sendto(buf=NULL)", VAL, SYS_sendto, tx, NULL, 5, 0, &ds, sizeof ds);
    T("sendto(buf=unmapped)", VAL, SYS_sendto, tx, hole, 5, 0, &ds, sizeof ds);
    T("sendto(buf=kernel)", VAL, SYS_sendto, tx, KERNEL_PTR, 5, 0, &ds, sizeof ds);
    T("sendto(buf straddling guard)", VAL, SYS_sendto, tx, guard - 2, 5, 0, &ds, sizeof ds);
    T("sendto(len=2^62, buf=NULL)", VAL, SYS_sendto, tx, NULL, HUGE_COUNT, 0, &ds, sizeof ds);
    T("sendto(addr=NULL, addrlen=110)", VAL, SYS_sendto, tx, "hi", 2, 0, NULL, sizeof ds);
    T("sendto(addr=unmapped)", VAL, SYS_sendto, tx, "hi", 2, 0, hole, sizeof ds);
    T("sendto(addr=kernel)", VAL, SYS_sendto, tx, "hi", 2, 0, KERNEL_PTR, sizeof ds);
    T("sendto(addr straddling guard)", VAL, SYS_sendto, tx, "hi", 2, 0, guard - 10, sizeof ds);
    T("sendto(addrlen=-1)", VAL, SYS_sendto, tx, "hi", 2, 0, &ds, -1);
    T("sendto(addrlen=2^20)", VAL, SYS_sendto, tx, "hi", 2, 0, &ds, 1 << 20);
    T("sendto(addrlen=1)", VAL, SYS_sendto, tx, "hi", 2, 0, &ds, 1);
    T("sendto(unterminated 108, missing)", VAL, SYS_sendto, tx, "hi", 2, 0, edge_sun('z'), sizeof(struct sockaddr_un));
    T("sendto(no addr, unconnected)", VAL, SYS_sendto, tx, "hi", 2, 0, NULL, 0);
    T("sendto(fd=-1)", VAL, SYS_sendto, -1, "hi", 2, 0, &ds, sizeof ds);
    T("sendto(fd=file)", VAL, SYS_sendto, fd_file, "hi", 2, 0, &ds, sizeof ds);
    T("sendto(valid)", VAL, SYS_sendto, tx, "hi", 2, 0, &ds, sizeof ds);
    T("recv(valid)", VAL, SYS_recvfrom, rx, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL);
    close(tx);

    /* sendmsg on a connected datagram pair. */
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv);
    struct iovec iov = { "hi", 2 };
    struct msghdr m;
#define M0() (memset(&m, 0, sizeof m), m.msg_iov = &iov, m.msg_iovlen = 1, iov.iov_base = "hi", iov.iov_len = 2)
    T("sendmsg(msg=NULL)", VAL, SYS_sendmsg, sv[0], NULL, 0);
    T("sendmsg(msg=unmapped)", VAL, SYS_sendmsg, sv[0], hole, 0);
    T("sendmsg(msg=kernel)", VAL, SYS_sendmsg, sv[0], KERNEL_PTR, 0);
    M0();
    memcpy(guard - 8, &m, 8);
    T("sendmsg(msg straddling guard)", VAL, SYS_sendmsg, sv[0], guard - 8, 0);
    M0(); m.msg_iov = NULL;
    T("sendmsg(iov=NULL, iovlen=1)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_iov = (struct iovec *)hole;
    T("sendmsg(iov=unmapped)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_iov = (struct iovec *)KERNEL_PTR;
    T("sendmsg(iov=kernel)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); iov.iov_base = hole;
    T("sendmsg(iov_base=unmapped)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); iov.iov_len = HUGE_COUNT;
    T("sendmsg(iov_len=2^62)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_iovlen = 1025;
    T("sendmsg(iovlen=1025)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_iovlen = HUGE_COUNT;
    T("sendmsg(iovlen=2^62)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_control = hole; m.msg_controllen = 24;
    T("sendmsg(control=unmapped)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_control = NULL; m.msg_controllen = 24;
    T("sendmsg(control=NULL, controllen=24)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_control = (void *)KERNEL_PTR; m.msg_controllen = 24;
    T("sendmsg(control=kernel)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_control = buf; m.msg_controllen = 0x80000000UL;
    T("sendmsg(controllen=2^31)", VAL, SYS_sendmsg, sv[0], &m, 0);
    union { struct cmsghdr h; char b[CMSG_SPACE(2 * sizeof(int))]; } cm;
    memset(&cm, 0, sizeof cm);
    cm.h.cmsg_len = 1; cm.h.cmsg_level = SOL_SOCKET; cm.h.cmsg_type = SCM_RIGHTS;
    M0(); m.msg_control = &cm; m.msg_controllen = CMSG_SPACE(sizeof(int));
    T("sendmsg(cmsg_len=1)", VAL, SYS_sendmsg, sv[0], &m, 0);
    cm.h.cmsg_len = 4096;
    T("sendmsg(cmsg_len>controllen)", VAL, SYS_sendmsg, sv[0], &m, 0);
    cm.h.cmsg_len = CMSG_LEN(sizeof(int));
    *(int *)CMSG_DATA(&cm.h) = -1;
    T("sendmsg(SCM_RIGHTS fd=-1)", VAL, SYS_sendmsg, sv[0], &m, 0);
    *(int *)CMSG_DATA(&cm.h) = 9999;
    T("sendmsg(SCM_RIGHTS fd=9999)", VAL, SYS_sendmsg, sv[0], &m, 0);
    cm.h.cmsg_type = 77;
    T("sendmsg(cmsg_type=77)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_name = hole; m.msg_namelen = sizeof ds;
    T("sendmsg(name=unmapped)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_name = (void *)KERNEL_PTR; m.msg_namelen = sizeof ds;
    T("sendmsg(name=kernel)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_name = guard - 10; m.msg_namelen = sizeof ds;
    T("sendmsg(name straddling guard)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_name = &ds; m.msg_namelen = 1 << 20;
    T("sendmsg(namelen=2^20)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_name = &ds; m.msg_namelen = -1;
    T("sendmsg(namelen=-1)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_name = edge_sun('z'); m.msg_namelen = sizeof(struct sockaddr_un);
    T("sendmsg(name unterminated 108, missing)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0(); m.msg_name = NULL; m.msg_namelen = sizeof ds;
    T("sendmsg(name=NULL, namelen=110)", VAL, SYS_sendmsg, sv[0], &m, 0);
    M0();
    T("sendmsg(fd=-1)", VAL, SYS_sendmsg, -1, &m, 0);
    T("sendmsg(fd=file)", VAL, SYS_sendmsg, fd_file, &m, 0);
    T("sendmsg(flags=-1)", VAL, SYS_sendmsg, sv[0], &m, -1);
    /* sendmmsg: bad vector, and a vector whose second entry is past the guard. */
    T("sendmmsg(vec=NULL)", VAL, SYS_sendmmsg, sv[0], NULL, 1, 0);
    T("sendmmsg(vec=unmapped)", VAL, SYS_sendmmsg, sv[0], hole, 1, 0);
    T("sendmmsg(vec=kernel, vlen=0)", VAL, SYS_sendmmsg, sv[0], KERNEL_PTR, 0, 0);
    M0();
    struct mmsghdr *mv = (struct mmsghdr *)(guard - sizeof(struct mmsghdr));
    memset(mv, 0, sizeof *mv);
    mv->msg_hdr = m;
    T("sendmmsg(2nd entry past guard)", VAL, SYS_sendmmsg, sv[0], mv, 2, 0);
    T("sendmmsg(vlen=2^32+1)", VAL, SYS_sendmmsg, sv[0], mv, (1L << 32) + 1, 0);
    mv->msg_hdr.msg_iov = (struct iovec *)hole;
    T("sendmmsg(entry with bad iov)", VAL, SYS_sendmmsg, sv[0], mv, 1, 0);
    int drained = 0;
    while (recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) >= 0) drained++;
    printf("datagrams delivered: %d\n", drained);
    close(sv[0]); close(sv[1]);
    close(rx);
    unlink("ds");
#undef M0
}

/* ---- identity and system ---- */
static void do_setgroups0(void *unused) {
    (void)unused;
    T("setgroups(0, NULL) [child]", VAL, SYS_setgroups, 0, NULL);
    T("getgroups(0, NULL) after [child]", VAL, SYS_getgroups, 0, NULL);
}

static void identity_tests(void) {
    gid_t g[64];
    T("getgroups(0, NULL)", VAL, SYS_getgroups, 0, NULL);
    T("getgroups(-1, buf)", VAL, SYS_getgroups, -1, g);
    T("getgroups(2^30, NULL)", VAL, SYS_getgroups, 1 << 30, NULL);
    T("getgroups(65536, unmapped)", VAL, SYS_getgroups, 65536, hole);
    T("getgroups(65536, kernel)", VAL, SYS_getgroups, 65536, KERNEL_PTR);
    T("getgroups(2^32+64, buf)", VAL, SYS_getgroups, (1L << 32) + 64, g);
    T("getgroups(1 slot before guard)", VAL, SYS_getgroups, 64, guard - 4);
    T("setgroups(1, NULL)", VAL, SYS_setgroups, 1, NULL);
    T("setgroups(1, unmapped)", VAL, SYS_setgroups, 1, hole);
    T("setgroups(1, kernel)", VAL, SYS_setgroups, 1, KERNEL_PTR);
    T("setgroups(2, straddling guard)", VAL, SYS_setgroups, 2, guard - 4);
    T("setgroups(-1, buf)", VAL, SYS_setgroups, -1, g);
    T("setgroups(65537, buf)", VAL, SYS_setgroups, 65537, g);
    T("setgroups(2^30, buf)", VAL, SYS_setgroups, 1 << 30, g);
    isolated("setgroups(0, NULL)", do_setgroups0, NULL);

    uid_t r, e, s;
    T("getresuid(NULL, NULL, NULL)", VAL, SYS_getresuid, NULL, NULL, NULL);
    T("getresuid(ok, unmapped, ok)", VAL, SYS_getresuid, &r, hole, &s);
    T("getresuid(ok, ok, kernel)", VAL, SYS_getresuid, &r, &e, KERNEL_PTR);
    T("getresuid(straddling guard, ok, ok)", VAL, SYS_getresuid, guard - 2, &e, &s);
    T("getresuid(ok)", VAL, SYS_getresuid, &r, &e, &s);
    T("getresgid(NULL, NULL, NULL)", VAL, SYS_getresgid, NULL, NULL, NULL);
    T("getresgid(unmapped, ok, ok)", VAL, SYS_getresgid, hole, &e, &s);
    T("getresgid(ok, ok, kernel)", VAL, SYS_getresgid, &r, &e, KERNEL_PTR);

    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    T("capget(NULL, NULL)", VAL, SYS_capget, NULL, NULL);
    T("capget(unmapped, NULL)", VAL, SYS_capget, hole, NULL);
    T("capget(kernel, data)", VAL, SYS_capget, KERNEL_PTR, d);
    memcpy(guard - 4, &h, 4);
    T("capget(header straddling guard)", VAL, SYS_capget, guard - 4, d);
    T("capget(v3, NULL)", VAL, SYS_capget, &h, NULL);
    T("capget(v3, unmapped)", VAL, SYS_capget, &h, hole);
    T("capget(v3, kernel)", VAL, SYS_capget, &h, KERNEL_PTR);
    T("capget(v3, straddling guard)", VAL, SYS_capget, &h, guard - 12);
    h.version = 0xdeadbeef;
    T("capget(bad version)", VAL, SYS_capget, &h, d);
    printf("capget(bad version) wrote version=0x%x\n", h.version);
    h.version = 0xdeadbeef;
    T("capget(bad version, data=unmapped)", VAL, SYS_capget, &h, hole);
    h.version = _LINUX_CAPABILITY_VERSION_3; h.pid = -1;
    T("capget(pid=-1)", VAL, SYS_capget, &h, d);
    h.pid = 0x7fffffff;
    T("capget(pid=INT_MAX)", VAL, SYS_capget, &h, d);
    h.pid = 0;
    T("capget(v3, ok)", VAL, SYS_capget, &h, d);
    T("capset(NULL, data)", VAL, SYS_capset, NULL, d);
    T("capset(unmapped, data)", VAL, SYS_capset, hole, d);
    T("capset(v3, NULL)", VAL, SYS_capset, &h, NULL);
    T("capset(v3, unmapped)", VAL, SYS_capset, &h, hole);
    T("capset(v3, kernel)", VAL, SYS_capset, &h, KERNEL_PTR);
    T("capset(v3, straddling guard)", VAL, SYS_capset, &h, guard - 12);
    h.version = 0xdeadbeef;
    T("capset(bad version)", VAL, SYS_capset, &h, d);
    h.version = _LINUX_CAPABILITY_VERSION_3; h.pid = 1;
    T("capset(pid=1)", VAL, SYS_capset, &h, d);
    h.pid = 0;
    T("capset(same caps)", VAL, SYS_capset, &h, d);

    T("uname(NULL)", VAL, SYS_uname, NULL);
    T("uname(unmapped)", VAL, SYS_uname, hole);
    T("uname(kernel)", VAL, SYS_uname, KERNEL_PTR);
    T("uname(straddling guard)", VAL, SYS_uname, guard - 64);

    T("adjtimex(NULL)", VAL, SYS_adjtimex, NULL);
    T("adjtimex(unmapped)", VAL, SYS_adjtimex, hole);
}

/* ---- everything else with paths ---- */
static void misc_path_tests(void) {
    /* openat2: bad struct, sizes, flags. */
    struct open_how bad = { .flags = O_RDONLY };
    T("openat2(how=NULL)", FD, SYS_openat2, AT_FDCWD, "f", NULL, sizeof how);
    T("openat2(how=unmapped)", FD, SYS_openat2, AT_FDCWD, "f", hole, sizeof how);
    T("openat2(how=kernel)", FD, SYS_openat2, AT_FDCWD, "f", KERNEL_PTR, sizeof how);
    memset(guard - 8, 0, 8);
    T("openat2(how straddling guard)", FD, SYS_openat2, AT_FDCWD, "f", guard - 8, sizeof how);
    T("openat2(size=0)", FD, SYS_openat2, AT_FDCWD, "f", &how, 0);
    T("openat2(size=23)", FD, SYS_openat2, AT_FDCWD, "f", &how, 23);
    memset(buf, 0, sizeof buf);
    T("openat2(size=512, zero tail)", FD, SYS_openat2, AT_FDCWD, "f", buf, sizeof buf);
    memset(guard - PAGE, 0, PAGE);
    T("openat2(size=4096, zero tail at page end)", FD, SYS_openat2, AT_FDCWD, "f", guard - PAGE, 4096);
    T("openat2(size=4097)", FD, SYS_openat2, AT_FDCWD, "f", guard - PAGE, 4097);
    T("openat2(size=2^62)", FD, SYS_openat2, AT_FDCWD, "f", &how, HUGE_COUNT);
    T("openat2(size=-1)", FD, SYS_openat2, AT_FDCWD, "f", &how, -1L);
    memset(buf, 0, sizeof buf);
    buf[100] = 1;
    T("openat2(size=512, nonzero tail)", FD, SYS_openat2, AT_FDCWD, "f", buf, sizeof buf);
    memset(buf, 0, sizeof buf);
    bad.flags = 1ULL << 40;
    T("openat2(flags bit 40)", FD, SYS_openat2, AT_FDCWD, "f", &bad, sizeof bad);
    bad.flags = O_RDONLY; bad.mode = 0644;
    T("openat2(mode without O_CREAT)", FD, SYS_openat2, AT_FDCWD, "f", &bad, sizeof bad);
    bad.mode = 0; bad.resolve = 1ULL << 50;
    T("openat2(resolve bit 50)", FD, SYS_openat2, AT_FDCWD, "f", &bad, sizeof bad);
    bad.resolve = RESOLVE_BENEATH | RESOLVE_IN_ROOT;
    T("openat2(BENEATH|IN_ROOT)", FD, SYS_openat2, AT_FDCWD, "f", &bad, sizeof bad);
    bad.resolve = RESOLVE_BENEATH;
    T("openat2(BENEATH ../f)", FD, SYS_openat2, fd_dir, "../f", &bad, sizeof bad);
    bad.resolve = RESOLVE_NO_SYMLINKS;
    T("openat2(NO_SYMLINKS l)", FD, SYS_openat2, AT_FDCWD, "l", &bad, sizeof bad);
    bad.resolve = 0; bad.flags = O_PATH | O_RDWR;
    T("openat2(O_PATH|O_RDWR)", FD, SYS_openat2, AT_FDCWD, "f", &bad, sizeof bad);
    bad.flags = O_CREAT | O_DIRECTORY;
    T("openat2(O_CREAT|O_DIRECTORY)", FD, SYS_openat2, AT_FDCWD, "nx", &bad, sizeof bad);

    /* open flags. */
    T("open(O_TMPFILE|O_RDONLY dir)", FD, SYS_open, "d", O_TMPFILE | O_RDONLY, 0600);
    T("open(O_TMPFILE|O_RDWR file)", FD, SYS_open, "f", O_TMPFILE | O_RDWR, 0600);
    T("open(O_TMPFILE|O_RDWR dir)", FD, SYS_open, "d", O_TMPFILE | O_RDWR, 0600);
    T("openat(O_CREAT|O_DIRECTORY)", FD, SYS_openat, AT_FDCWD, "nx", O_CREAT | O_DIRECTORY, 0600);
    T("open(l, O_NOFOLLOW)", FD, SYS_open, "l", O_NOFOLLOW, 0);
    T("open(l, O_PATH|O_NOFOLLOW)", FD, SYS_open, "l", O_PATH | O_NOFOLLOW, 0);
    T("open(loop)", FD, SYS_open, "loop", O_RDONLY, 0);
    put("np", "secret", 6, 0);
    T("open(mode-0000 file, O_PATH)", FD, SYS_open, "np", O_PATH, 0);
    int npfd = open("np", O_PATH | O_CLOEXEC);
    T("read(O_PATH fd of mode-0000 file)", VAL, SYS_read, npfd, buf, 8);
    T("fstat(O_PATH fd of mode-0000 file)", VAL, SYS_fstat, npfd, &st);
    close(npfd);
    T("open(mode-0000 file, O_RDONLY)", FD, SYS_open, "np", O_RDONLY, 0);
    unlink("np");
    T("open(f, O_DIRECTORY)", FD, SYS_open, "f", O_DIRECTORY, 0);
    T("open(d, O_WRONLY)", FD, SYS_open, "d", O_WRONLY, 0);
    T("open(f, O_CREAT|O_EXCL)", FD, SYS_open, "f", O_CREAT | O_EXCL | O_WRONLY, 0600);
    T("open(f, flags with bit 32)", FD, SYS_open, "f", (1L << 32) | O_RDONLY, 0);
    T("open(f/.)", FD, SYS_open, "f/.", O_RDONLY, 0);
    T("open(d/../f)", FD, SYS_open, "d/../f", O_RDONLY, 0);
    T("open(../../../../../../..)", FD, SYS_open, "../../../../../../../..", O_RDONLY | O_DIRECTORY, 0);
    T("creat(d)", FD, SYS_creat, "d", 0600);

    /* stat family: bad buffers and flags. */
    T("stat(f, buf=NULL)", VAL, SYS_stat, "f", NULL);
    T("stat(f, buf=unmapped)", VAL, SYS_stat, "f", hole);
    T("stat(f, buf=kernel)", VAL, SYS_stat, "f", KERNEL_PTR);
    T("stat(f, buf straddling guard)", VAL, SYS_stat, "f", guard - 16);
    T("lstat(l, buf=NULL)", VAL, SYS_lstat, "l", NULL);
    T("lstat(l, buf=unmapped)", VAL, SYS_lstat, "l", hole);
    T("newfstatat(f, buf=NULL)", VAL, SYS_newfstatat, AT_FDCWD, "f", NULL, 0);
    T("newfstatat(f, buf=kernel)", VAL, SYS_newfstatat, AT_FDCWD, "f", KERNEL_PTR, 0);
    T("newfstatat(bad flags)", VAL, SYS_newfstatat, AT_FDCWD, "f", &st, 0x40000000);
    T("newfstatat(loop)", VAL, SYS_newfstatat, AT_FDCWD, "loop", &st, 0);
    T("newfstatat(loop, NOFOLLOW)", VAL, SYS_newfstatat, AT_FDCWD, "loop", &st, AT_SYMLINK_NOFOLLOW);
    T("statx(f, buf=NULL)", VAL, SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, NULL);
    T("statx(f, buf=unmapped)", VAL, SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, hole);
    T("statx(f, buf=kernel)", VAL, SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, KERNEL_PTR);
    T("statx(f, buf straddling guard)", VAL, SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, guard - 64);
    T("statx(mask=STATX__RESERVED)", VAL, SYS_statx, AT_FDCWD, "f", 0, STATX__RESERVED, &stx);
    T("statx(bad flags)", VAL, SYS_statx, AT_FDCWD, "f", 0x40000000, STATX_BASIC_STATS, &stx);
    T("statx(SYNC_TYPE both)", VAL, SYS_statx, AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx);
    /* AT_EMPTY_PATH and NULL paths. */
    T("newfstatat(\"\", AT_EMPTY_PATH, fd=-1)", VAL, SYS_newfstatat, -1, "", &st, AT_EMPTY_PATH);
    T("newfstatat(\"\", AT_EMPTY_PATH, fd=9999)", VAL, SYS_newfstatat, 9999, "", &st, AT_EMPTY_PATH);
    T("newfstatat(\"\", AT_EMPTY_PATH, fd=closed)", VAL, SYS_newfstatat, fd_closed, "", &st, AT_EMPTY_PATH);
    T("newfstatat(\"\", AT_EMPTY_PATH, fd=opath)", VAL, SYS_newfstatat, fd_opath_file, "", &st, AT_EMPTY_PATH);
    T("newfstatat(\"\", AT_EMPTY_PATH, AT_FDCWD)", VAL, SYS_newfstatat, AT_FDCWD, "", &st, AT_EMPTY_PATH);
    T("newfstatat(NULL, AT_EMPTY_PATH, fd=file)", VAL, SYS_newfstatat, fd_file, NULL, &st, AT_EMPTY_PATH);
    T("newfstatat(NULL, AT_EMPTY_PATH, fd=-1)", VAL, SYS_newfstatat, -1, NULL, &st, AT_EMPTY_PATH);
    T("newfstatat(unmapped, AT_EMPTY_PATH, fd=file)", VAL, SYS_newfstatat, fd_file, hole, &st, AT_EMPTY_PATH);
    T("newfstatat(\"\", AT_EMPTY_PATH, fd=file, buf=NULL)", VAL, SYS_newfstatat, fd_file, "", NULL, AT_EMPTY_PATH);
    T("statx(\"\", AT_EMPTY_PATH, fd=-1)", VAL, SYS_statx, -1, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
    T("statx(\"\", AT_EMPTY_PATH, fd=closed)", VAL, SYS_statx, fd_closed, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
    T("statx(\"\", AT_EMPTY_PATH, fd=opath)", VAL, SYS_statx, fd_opath_file, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
    T("statx(NULL, AT_EMPTY_PATH, AT_FDCWD)", VAL, SYS_statx, AT_FDCWD, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
    T("statx(NULL, AT_EMPTY_PATH, fd=-1)", VAL, SYS_statx, -1, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
    T("statx(NULL, no flags, fd=file)", VAL, SYS_statx, fd_file, NULL, 0, STATX_BASIC_STATS, &stx);
    T("statx(\"\", AT_EMPTY_PATH, fd=file, buf=NULL)", VAL, SYS_statx, fd_file, "", AT_EMPTY_PATH, STATX_BASIC_STATS, NULL);
    T("fchownat(\"\", AT_EMPTY_PATH, fd=-1)", VAL, SYS_fchownat, -1, "", -1, -1, AT_EMPTY_PATH);
    T("fchownat(\"\", AT_EMPTY_PATH, fd=opath)", VAL, SYS_fchownat, fd_opath_file, "", -1, -1, AT_EMPTY_PATH);
    T("fchownat(bad flags)", VAL, SYS_fchownat, AT_FDCWD, "f", -1, -1, 0x40000000);
    T("faccessat2(\"\", AT_EMPTY_PATH, fd=-1)", VAL, SYS_faccessat2, -1, "", R_OK, AT_EMPTY_PATH);
    T("faccessat2(\"\", AT_EMPTY_PATH, fd=opath)", VAL, SYS_faccessat2, fd_opath_file, "", R_OK, AT_EMPTY_PATH);
    T("faccessat2(bad flags)", VAL, SYS_faccessat2, AT_FDCWD, "f", R_OK, 0x40000000);
    T("faccessat2(bad mode)", VAL, SYS_faccessat2, AT_FDCWD, "f", 8, 0);
    T("access(bad mode)", VAL, SYS_access, "f", 0x100);
    T("access(X_OK file 0644)", VAL, SYS_access, "f", X_OK);
    T("fchmodat2(\"\", AT_EMPTY_PATH, fd=-1)", VAL, SYS_fchmodat2, -1, "", 0644, AT_EMPTY_PATH);
    T("fchmodat2(\"\", AT_EMPTY_PATH, fd=file)", VAL, SYS_fchmodat2, fd_file, "", 0644, AT_EMPTY_PATH);
    T("fchmodat2(bad flags)", VAL, SYS_fchmodat2, AT_FDCWD, "f", 0644, 0x40000000);
    T("fchmodat2(l, NOFOLLOW)", VAL, SYS_fchmodat2, AT_FDCWD, "l", 0644, AT_SYMLINK_NOFOLLOW);
    T("chmod(f, mode with high bits)", VAL, SYS_chmod, "f", 0xffff0000 | 0644);
    T("linkat(\"\", AT_EMPTY_PATH, fd=-1)", VAL, SYS_linkat, -1, "", AT_FDCWD, "d", AT_EMPTY_PATH);
    T("linkat(\"\", AT_EMPTY_PATH, fd=file)", VAL, SYS_linkat, fd_file, "", AT_FDCWD, "d", AT_EMPTY_PATH);
    T("linkat(bad flags)", VAL, SYS_linkat, AT_FDCWD, "f", AT_FDCWD, "d", 0x40000000);
    T("linkat(d)", VAL, SYS_linkat, AT_FDCWD, "d", AT_FDCWD, "nx-link", 0);
    T("readlinkat(\"\", fd=opath-link)", VAL, SYS_readlinkat, fd_opath_link, "", buf, 64);
    T("readlinkat(\"\", fd=file)", VAL, SYS_readlinkat, fd_file, "", buf, 64);
    T("readlinkat(\"\", fd=-1)", VAL, SYS_readlinkat, -1, "", buf, 64);

    /* readlink buffers and sizes. */
    T("readlink(l, buf=NULL)", VAL, SYS_readlink, "l", NULL, 64);
    T("readlink(l, buf=unmapped)", VAL, SYS_readlink, "l", hole, 64);
    T("readlink(l, buf=kernel)", VAL, SYS_readlink, "l", KERNEL_PTR, 64);
    T("readlink(l, buf at page end, 1 byte room)", VAL, SYS_readlink, "l", guard - 1, 64);
    T("readlink(l, bufsize=0)", VAL, SYS_readlink, "l", buf, 0);
    T("readlink(l, bufsize=-1)", VAL, SYS_readlink, "l", buf, -1);
    T("readlink(l, bufsize=INT_MIN)", VAL, SYS_readlink, "l", buf, (long)INT32_MIN);
    T("readlink(l, bufsize=2^32+1)", VAL, SYS_readlink, "l", buf, (1L << 32) + 1);
    T("readlink(l, bufsize=1)", VAL, SYS_readlink, "l", buf, 1);
    T("readlink(f)", VAL, SYS_readlink, "f", buf, 64);
    T("readlink(loop)", VAL, SYS_readlink, "loop", buf, 64);
    T("readlink(l/)", VAL, SYS_readlink, "l/", buf, 64);
    T("readlinkat(l, bufsize=0)", VAL, SYS_readlinkat, AT_FDCWD, "l", buf, 0);

    /* getcwd. */
    T("getcwd(NULL, 4096)", VAL, SYS_getcwd, NULL, 4096);
    T("getcwd(unmapped, 4096)", VAL, SYS_getcwd, hole, 4096);
    T("getcwd(kernel, 4096)", VAL, SYS_getcwd, KERNEL_PTR, 4096);
    T("getcwd(5 bytes before guard, 4096)", VAL, SYS_getcwd, guard - 5, 4096);
    T("getcwd(buf, 0)", VAL, SYS_getcwd, buf, 0);
    T("getcwd(buf, 1)", VAL, SYS_getcwd, buf, 1);
    T("getcwd(NULL, 0)", VAL, SYS_getcwd, NULL, 0);
    T("getcwd(guard page buf, 4096, page-sized room)", VAL, SYS_getcwd, guard - PAGE, 4096);
    T("getcwd(buf, 2^62)", VAL, SYS_getcwd, guard - PAGE, HUGE_COUNT);
    T("getcwd(buf, -1)", VAL, SYS_getcwd, guard - PAGE, -1L);
    T("getcwd(buf, 2^32+1)", VAL, SYS_getcwd, buf, (1L << 32) + 1);

    /* chdir / fchdir. */
    T("chdir(f)", VAL, SYS_chdir, "f");
    T("chdir(loop)", VAL, SYS_chdir, "loop");
    T("fchdir(-1)", VAL, SYS_fchdir, -1);
    T("fchdir(9999)", VAL, SYS_fchdir, 9999);
    T("fchdir(closed)", VAL, SYS_fchdir, fd_closed);
    T("fchdir(file)", VAL, SYS_fchdir, fd_file);
    T("fchdir(opath-file)", VAL, SYS_fchdir, fd_opath_file);

    /* mkdir, rmdir, unlink, rename, link, symlink: semantic errors. */
    T("mkdir(d)", VAL, SYS_mkdir, "d", 0755);
    T("mkdir(f/x)", VAL, SYS_mkdir, "f/x", 0755);
    T("mkdir(l)", VAL, SYS_mkdir, "l", 0755);
    T("rmdir(.)", VAL, SYS_rmdir, ".");
    T("rmdir(..)", VAL, SYS_rmdir, "..");
    T("rmdir(d/.)", VAL, SYS_rmdir, "d/.");
    T("rmdir(d/..)", VAL, SYS_rmdir, "d/..");
    T("rmdir(l)", VAL, SYS_rmdir, "l");
    T("unlink(d)", VAL, SYS_unlink, "d");
    T("unlink(.)", VAL, SYS_unlink, ".");
    T("unlinkat(bad flags)", VAL, SYS_unlinkat, AT_FDCWD, "nx", 0x40000000);
    T("unlinkat(f, AT_REMOVEDIR)", VAL, SYS_unlinkat, AT_FDCWD, "f", AT_REMOVEDIR);
    T("unlinkat(., AT_REMOVEDIR)", VAL, SYS_unlinkat, AT_FDCWD, ".", AT_REMOVEDIR);
    T("rename(d, d/sub)", VAL, SYS_rename, "d", "d/sub");
    T("rename(., x)", VAL, SYS_rename, ".", "nx");
    T("rename(f, ..)", VAL, SYS_rename, "f", "..");
    T("rename(d, f)", VAL, SYS_rename, "d", "f");
    T("renameat2(EXCHANGE|NOREPLACE)", VAL, SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "d", RENAME_EXCHANGE | RENAME_NOREPLACE);
    T("renameat2(NOREPLACE onto existing)", VAL, SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "l", RENAME_NOREPLACE);
    T("renameat2(EXCHANGE with missing)", VAL, SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "nx", RENAME_EXCHANGE);
    T("renameat2(flags bit 30)", VAL, SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "nx", 1 << 30);
    T("link(d, x)", VAL, SYS_link, "d", "nx-link");
    T("link(f, f)", VAL, SYS_link, "f", "f");
    T("symlink(t, \"\")", VAL, SYS_symlink, "t", "");
    T("symlink(\"\", nx)", VAL, SYS_symlink, "", "nx-sym");
    T("mknod(bad type)", VAL, SYS_mknod, "nx", 0170000 | 0644, 0);
    T("mknod(S_IFDIR)", VAL, SYS_mknod, "nx", S_IFDIR | 0755, 0);
    T("mknodat(existing f)", VAL, SYS_mknodat, AT_FDCWD, "f", S_IFIFO | 0644, 0);

    /* chmod, chown, truncate, utimes. */
    T("chown(f, -1, -1)", VAL, SYS_chown, "f", -1, -1);
    T("lchown(l, -1, -1)", VAL, SYS_lchown, "l", -1, -1);
    T("truncate(f, -1)", VAL, SYS_truncate, "f", -1L);
    T("truncate(d, 0)", VAL, SYS_truncate, "d", 0);
    T("truncate(f, 2^63-1)", VAL, SYS_truncate, "f", INT64_MAX);
    T("utimensat(f, times=unmapped)", VAL, SYS_utimensat, AT_FDCWD, "f", hole, 0);
    T("utimensat(f, times=kernel)", VAL, SYS_utimensat, AT_FDCWD, "f", KERNEL_PTR, 0);
    T("utimensat(f, times straddling guard)", VAL, SYS_utimensat, AT_FDCWD, "f", guard - 16, 0);
    struct timespec tsbad[2] = { { 0, 1000000000 }, { 0, UTIME_OMIT } };
    T("utimensat(f, tv_nsec=1e9)", VAL, SYS_utimensat, AT_FDCWD, "f", tsbad, 0);
    tsbad[0].tv_nsec = -5;
    T("utimensat(f, tv_nsec=-5)", VAL, SYS_utimensat, AT_FDCWD, "f", tsbad, 0);
    T("utimensat(f, bad flags)", VAL, SYS_utimensat, AT_FDCWD, "f", omit, 0x40000000);
    T("utimensat(NULL path, AT_FDCWD)", VAL, SYS_utimensat, AT_FDCWD, NULL, omit, 0);
    T("utimensat(NULL path, fd=-1)", VAL, SYS_utimensat, -1, NULL, omit, 0);
    T("utimensat(NULL path, fd=file)", VAL, SYS_utimensat, fd_file, NULL, omit, 0);
    T("utimensat(NULL path, fd=opath)", VAL, SYS_utimensat, fd_opath_file, NULL, omit, 0);
    T("utimensat(NULL path, fd=file, NOFOLLOW)", VAL, SYS_utimensat, fd_file, NULL, omit, AT_SYMLINK_NOFOLLOW);
    T("utimensat(\"\", AT_EMPTY_PATH, fd=-1)", VAL, SYS_utimensat, -1, "", omit, AT_EMPTY_PATH);
    T("utimensat(\"\", AT_EMPTY_PATH, fd=file)", VAL, SYS_utimensat, fd_file, "", omit, AT_EMPTY_PATH);
    T("utimensat(NULL path, AT_FDCWD, times=NULL)", VAL, SYS_utimensat, AT_FDCWD, NULL, NULL, 0);
    T("utimensat(NULL path, fd=-1, times=NULL)", VAL, SYS_utimensat, -1, NULL, NULL, 0);
    T("utimensat(NULL path, fd=file, times=NULL)", VAL, SYS_utimensat, fd_file, NULL, NULL, 0);
    T("utimensat(NULL path, fd=opath, times=NULL)", VAL, SYS_utimensat, fd_opath_file, NULL, NULL, 0);
    T("utimensat(NULL path, fd=file, NOFOLLOW, times=NULL)", VAL, SYS_utimensat, fd_file, NULL, NULL, AT_SYMLINK_NOFOLLOW);
    T("utimensat(\"\", AT_EMPTY_PATH, fd=-1, times=NULL)", VAL, SYS_utimensat, -1, "", NULL, AT_EMPTY_PATH);
    T("utimensat(\"\", AT_EMPTY_PATH, fd=file, times=NULL)", VAL, SYS_utimensat, fd_file, "", NULL, AT_EMPTY_PATH);
    T("utimensat(\"\", no flags, fd=file, times=NULL)", VAL, SYS_utimensat, fd_file, "", NULL, 0);
    T("utimensat(f, bad flags, times=NULL)", VAL, SYS_utimensat, AT_FDCWD, "f", NULL, 0x40000000);
    T("utime(f, times=unmapped)", VAL, SYS_utime, "f", hole);
    T("utimes(f, times=unmapped)", VAL, SYS_utimes, "f", hole);
    struct timeval tvbad[2] = { { 0, 1000000 }, { 0, 0 } };
    T("utimes(f, tv_usec=1e6)", VAL, SYS_utimes, "f", tvbad);
    T("futimesat(f, times=kernel)", VAL, SYS_futimesat, AT_FDCWD, "f", KERNEL_PTR);

    /* statfs. */
    T("statfs(., buf=NULL)", VAL, SYS_statfs, ".", NULL);
    T("statfs(., buf=unmapped)", VAL, SYS_statfs, ".", hole);
    T("statfs(., buf=kernel)", VAL, SYS_statfs, ".", KERNEL_PTR);
    T("statfs(., buf straddling guard)", VAL, SYS_statfs, ".", guard - 16);

    /* xattrs. */
    T("getxattr(name=NULL)", VAL, SYS_getxattr, "f", NULL, buf, 64);
    T("getxattr(name=unmapped)", VAL, SYS_getxattr, "f", hole, buf, 64);
    T("getxattr(name=kernel)", VAL, SYS_getxattr, "f", KERNEL_PTR, buf, 64);
    fill_edge();
    T("getxattr(name straddle100)", VAL, SYS_getxattr, "f", guard - 100, buf, 64);
    T("getxattr(name=\"\")", VAL, SYS_getxattr, "f", "", buf, 64);
    char name256[300] = "user.";
    memset(name256 + 5, 'n', 251);
    T("getxattr(name 256 bytes)", VAL, SYS_getxattr, "f", name256, buf, 64);
    name256[255] = 0;
    T("getxattr(name 255 bytes)", VAL, SYS_getxattr, "f", name256, buf, 64);
    T("getxattr(name without namespace)", VAL, SYS_getxattr, "f", "plain", buf, 64);
    T("getxattr(value=NULL, size=64)", VAL, SYS_getxattr, "f", "user.a", NULL, 64);
    T("getxattr(value=unmapped)", VAL, SYS_getxattr, "f", "user.a", hole, 64);
    T("getxattr(value=kernel)", VAL, SYS_getxattr, "f", "user.a", KERNEL_PTR, 64);
    T("getxattr(value at page end, room 1)", VAL, SYS_getxattr, "f", "user.a", guard - 1, 64);
    T("getxattr(size=0)", VAL, SYS_getxattr, "f", "user.a", NULL, 0);
    T("getxattr(size=2^62)", VAL, SYS_getxattr, "f", "user.a", buf, HUGE_COUNT);
    T("getxattr(size=-1, value=unmapped)", VAL, SYS_getxattr, "f", "user.a", hole, -1L);
    T("getxattr(missing)", VAL, SYS_getxattr, "f", "user.nope", buf, 64);
    T("lgetxattr(l)", VAL, SYS_lgetxattr, "l", "user.a", buf, 64);
    T("setxattr(name=NULL)", VAL, SYS_setxattr, "f", NULL, "v", 1, 0);
    T("setxattr(name=unmapped)", VAL, SYS_setxattr, "f", hole, "v", 1, 0);
    T("setxattr(name=\"\")", VAL, SYS_setxattr, "f", "", "v", 1, 0);
    T("setxattr(value=NULL, size=1)", VAL, SYS_setxattr, "f", "user.a", NULL, 1, 0);
    T("setxattr(value=unmapped)", VAL, SYS_setxattr, "f", "user.a", hole, 1, 0);
    T("setxattr(value=kernel)", VAL, SYS_setxattr, "f", "user.a", KERNEL_PTR, 1, 0);
    T("setxattr(value straddling guard)", VAL, SYS_setxattr, "f", "user.a", guard - 1, 2, 0);
    T("setxattr(size=65537)", VAL, SYS_setxattr, "f", "user.a", buf, 65537, 0);
    T("setxattr(size=2^62)", VAL, SYS_setxattr, "f", "user.a", buf, HUGE_COUNT, 0);
    T("setxattr(bad flags)", VAL, SYS_setxattr, "f", "user.a", "v", 1, 4);
    T("setxattr(XATTR_CREATE existing)", VAL, SYS_setxattr, "f", "user.a", "v", 1, 1);
    T("setxattr(XATTR_REPLACE missing)", VAL, SYS_setxattr, "f", "user.nope", "v", 1, 2);
    T("lsetxattr(l, user.*)", VAL, SYS_lsetxattr, "l", "user.a", "v", 1, 0);
    T("listxattr(list=NULL, size=64)", VAL, SYS_listxattr, "f", NULL, 64);
    T("listxattr(list=unmapped)", VAL, SYS_listxattr, "f", hole, 64);
    T("listxattr(list=kernel)", VAL, SYS_listxattr, "f", KERNEL_PTR, 64);
    T("listxattr(size=0)", VAL, SYS_listxattr, "f", NULL, 0);
    T("listxattr(size=1)", VAL, SYS_listxattr, "f", buf, 1);
    T("listxattr(size=2^62)", VAL, SYS_listxattr, "f", buf, HUGE_COUNT);
    T("llistxattr(l, list=unmapped)", VAL, SYS_llistxattr, "l", hole, 64);
    T("removexattr(name=NULL)", VAL, SYS_removexattr, "f", NULL);
    T("removexattr(name=kernel)", VAL, SYS_removexattr, "f", KERNEL_PTR);
    T("removexattr(missing)", VAL, SYS_removexattr, "f", "user.nope");
    T("lremovexattr(l)", VAL, SYS_lremovexattr, "l", "user.a");

    /* inotify. */
    int in = inotify_init1(IN_CLOEXEC);
    T("inotify_add_watch(fd=-1)", OK, SYS_inotify_add_watch, -1, "f", IN_MODIFY);
    T("inotify_add_watch(fd=file)", OK, SYS_inotify_add_watch, fd_file, "f", IN_MODIFY);
    T("inotify_add_watch(mask=0)", OK, SYS_inotify_add_watch, in, "f", 0);
    T("inotify_add_watch(ONLYDIR on file)", OK, SYS_inotify_add_watch, in, "f", IN_MODIFY | IN_ONLYDIR);
    T("inotify_add_watch(mask bit 31 only)", OK, SYS_inotify_add_watch, in, "f", 1U << 31);
    T("inotify_add_watch(MASK_CREATE|MASK_ADD)", OK, SYS_inotify_add_watch, in, "f", IN_MODIFY | IN_MASK_CREATE | IN_MASK_ADD);
    close(in);

    /* fstat and fd-only calls. */
    T("fstat(file, buf=NULL)", VAL, SYS_fstat, fd_file, NULL);
    T("fstat(file, buf=unmapped)", VAL, SYS_fstat, fd_file, hole);
    T("fstat(file, buf=kernel)", VAL, SYS_fstat, fd_file, KERNEL_PTR);
    T("fstat(file, buf straddling guard)", VAL, SYS_fstat, fd_file, guard - 16);
    T("fstat(-1)", VAL, SYS_fstat, -1, &st);
    T("fstat(9999)", VAL, SYS_fstat, 9999, &st);
    T("fstat(closed)", VAL, SYS_fstat, fd_closed, &st);
    T("fstat(opath)", VAL, SYS_fstat, fd_opath_file, &st);
    T("fstat(file+2^32)", VAL, SYS_fstat, (1L << 32) | fd_file, &st);
    T("fchmod(-1)", VAL, SYS_fchmod, -1, 0644);
    T("fchmod(opath)", VAL, SYS_fchmod, fd_opath_file, 0644);
    T("fchown(-1)", VAL, SYS_fchown, -1, -1, -1);
    T("fchown(opath)", VAL, SYS_fchown, fd_opath_file, -1, -1);

    /* read/write: absurd counts into bad buffers, bad fds. */
    T("read(file, NULL, 2^62)", VAL, SYS_pread64, fd_file, NULL, HUGE_COUNT, 0);
    T("read(file, unmapped, 2^62)", VAL, SYS_pread64, fd_file, hole, HUGE_COUNT, 0);
    T("read(file, kernel, 2^62)", VAL, SYS_pread64, fd_file, KERNEL_PTR, HUGE_COUNT, 0);
    T("read(file, buf, 2^62)", VAL, SYS_pread64, fd_file, buf, HUGE_COUNT, 0);
    T("read(file, buf, -1)", VAL, SYS_read, fd_file, buf, -1L);
    T("write(file, NULL, 2^62)", VAL, SYS_write, fd_file, NULL, HUGE_COUNT);
    T("write(file, unmapped, 2^62)", VAL, SYS_write, fd_file, hole, HUGE_COUNT);
    T("write(file, kernel, 2^62)", VAL, SYS_write, fd_file, KERNEL_PTR, HUGE_COUNT);
    T("read(opath, buf, 1)", VAL, SYS_read, fd_opath_file, buf, 1);
    T("read(dir, buf, 1)", VAL, SYS_read, fd_dir, buf, 1);
    T("read(-1)", VAL, SYS_read, -1, buf, 1);
    T("read(9999)", VAL, SYS_read, 9999, buf, 1);
    T("read(closed)", VAL, SYS_read, fd_closed, buf, 1);
    T("write(opath)", VAL, SYS_write, fd_opath_file, "x", 1);
}

static void table_tests(void) {
    long S = (long)&st, X = (long)&stx, B = (long)buf, H = (long)&how, O = (long)omit;
    long A = (long)child_argv, E = (long)child_envp;
    struct call c[] = {
        { "open", SYS_open, 0, -1, FD, 0, "f", { 0, O_RDONLY, 0 } },
        { "creat", SYS_creat, 0, -1, FD, 0, "d", { 0, 0600 } },
        { "openat", SYS_openat, 1, 0, FD, 0, "f", { AT_FDCWD, 0, O_RDONLY, 0 } },
        { "openat2", SYS_openat2, 1, 0, FD, 0, "f", { AT_FDCWD, 0, H, sizeof how } },
        { "stat", SYS_stat, 0, -1, VAL, 0, "f", { 0, S } },
        { "lstat", SYS_lstat, 0, -1, VAL, 0, "l", { 0, S } },
        { "newfstatat", SYS_newfstatat, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, S, 0 } },
        { "statx", SYS_statx, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, 0, STATX_BASIC_STATS, X } },
        { "access", SYS_access, 0, -1, VAL, 0, "f", { 0, R_OK } },
        { "faccessat", SYS_faccessat, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, R_OK } },
        { "faccessat2", SYS_faccessat2, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, R_OK, AT_EACCESS } },
        { "readlink", SYS_readlink, 0, -1, VAL, 0, "l", { 0, B, 64 } },
        { "readlinkat", SYS_readlinkat, 1, 0, VAL, 0, "l", { AT_FDCWD, 0, B, 64 } },
        { "chdir", SYS_chdir, 0, -1, VAL, 0, ".", { 0 } },
        { "mkdir", SYS_mkdir, 0, -1, VAL, 0, "d", { 0, 0755 } },
        { "mkdirat", SYS_mkdirat, 1, 0, VAL, 0, "d", { AT_FDCWD, 0, 0755 } },
        { "mknod", SYS_mknod, 0, -1, VAL, 0, "d", { 0, S_IFIFO | 0644, 0 } },
        { "mknodat", SYS_mknodat, 1, 0, VAL, 0, "d", { AT_FDCWD, 0, S_IFIFO | 0644, 0 } },
        { "rmdir", SYS_rmdir, 0, -1, VAL, 0, "f", { 0 } },
        { "unlink", SYS_unlink, 0, -1, VAL, 0, "d", { 0 } },
        { "unlinkat", SYS_unlinkat, 1, 0, VAL, 0, "d", { AT_FDCWD, 0, 0 } },
        { "rename(old)", SYS_rename, 0, -1, VAL, 0, "f", { 0, (long)"d" } },
        { "rename(new)", SYS_rename, 1, -1, VAL, 0, "d", { (long)"f", 0 } },
        { "renameat(old)", SYS_renameat, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, AT_FDCWD, (long)"d" } },
        { "renameat2(old)", SYS_renameat2, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, AT_FDCWD, (long)"d", 0 } },
        { "renameat2(new)", SYS_renameat2, 3, 2, VAL, 0, "d", { AT_FDCWD, (long)"f", AT_FDCWD, 0, 0 } },
        { "link(old)", SYS_link, 0, -1, VAL, 0, "f", { 0, (long)"d" } },
        { "link(new)", SYS_link, 1, -1, VAL, 0, "d", { (long)"f", 0 } },
        { "linkat(old)", SYS_linkat, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, AT_FDCWD, (long)"d", 0 } },
        { "linkat(new)", SYS_linkat, 3, 2, VAL, 0, "d", { AT_FDCWD, (long)"f", AT_FDCWD, 0, 0 } },
        { "symlink(target)", SYS_symlink, 0, -1, VAL, 0, "t", { 0, (long)"d" } },
        { "symlink(new)", SYS_symlink, 1, -1, VAL, 0, "d", { (long)"t", 0 } },
        { "symlinkat(new)", SYS_symlinkat, 2, 1, VAL, 0, "d", { (long)"t", AT_FDCWD, 0 } },
        { "chmod", SYS_chmod, 0, -1, VAL, 0, "f", { 0, 0644 } },
        { "fchmodat", SYS_fchmodat, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, 0644 } },
        { "fchmodat2", SYS_fchmodat2, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, 0644, 0 } },
        { "chown", SYS_chown, 0, -1, VAL, 0, "f", { 0, -1, -1 } },
        { "lchown", SYS_lchown, 0, -1, VAL, 0, "l", { 0, -1, -1 } },
        { "fchownat", SYS_fchownat, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, -1, -1, AT_SYMLINK_NOFOLLOW } },
        { "utimensat(times=OMIT)", SYS_utimensat, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, O, 0 } },
        { "utimensat(times=NULL)", SYS_utimensat, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, 0, 0 } },
        { "utime", SYS_utime, 0, -1, VAL, 0, "f", { 0, 0 } },
        { "utimes", SYS_utimes, 0, -1, VAL, 0, "f", { 0, 0 } },
        { "futimesat", SYS_futimesat, 1, 0, VAL, 0, "f", { AT_FDCWD, 0, 0 } },
        { "truncate", SYS_truncate, 0, -1, VAL, 0, "f", { 0, 2 } },
        { "statfs", SYS_statfs, 0, -1, OK, 0, ".", { 0, B } },
        { "getxattr", SYS_getxattr, 0, -1, VAL, 0, "f", { 0, (long)"user.a", B, 64 } },
        { "lgetxattr", SYS_lgetxattr, 0, -1, VAL, 0, "f", { 0, (long)"user.a", B, 64 } },
        { "setxattr", SYS_setxattr, 0, -1, VAL, 0, "f", { 0, (long)"user.a", (long)"v", 1, 0 } },
        { "lsetxattr", SYS_lsetxattr, 0, -1, VAL, 0, "f", { 0, (long)"user.a", (long)"v", 1, 0 } },
        { "listxattr", SYS_listxattr, 0, -1, VAL, 0, "f", { 0, B, 256 } },
        { "llistxattr", SYS_llistxattr, 0, -1, VAL, 0, "f", { 0, B, 256 } },
        { "removexattr", SYS_removexattr, 0, -1, VAL, 0, "f", { 0, (long)"user.nope" } },
        { "lremovexattr", SYS_lremovexattr, 0, -1, VAL, 0, "f", { 0, (long)"user.nope" } },
        { "execve", SYS_execve, 0, -1, VAL, 1, "f", { 0, A, E } },
        { "execveat", SYS_execveat, 1, 0, VAL, 1, "f", { AT_FDCWD, 0, A, E, 0 } },
    };
    int n = sizeof c / sizeof c[0];
    /* inotify needs a live inotify fd in its table entry. */
    int in = inotify_init1(IN_CLOEXEC);
    struct call ino[] = {
        { "inotify_add_watch", SYS_inotify_add_watch, 1, -1, OK, 0, "f", { in, 0, IN_MODIFY } },
    };
    path_table(c, n);
    path_table(ino, 1);
    close(in);
    fd_table(c, n);
}

/* ---- calls that name another process by pid ---- */
#define NOPID 4194305L        /* above the largest pid_max: never a process */
#define IOVMAX1 1025L         /* IOV_MAX + 1 */
#define XPIDFD_SELF_THREAD (-10000L)
#define XPIDFD_SELF_THREAD_GROUP (-20000L)

static char ro_page[4096] __attribute__((aligned(4096)));   /* made read-only below */
static struct call one;

/* Runs one call in a forked child, so a call that succeeds changes nothing here. */
static void forked(const char *what, int kind, long nr, ...) {
    va_list ap;
    va_start(ap, nr);
    for (int i = 0; i < 6; i++) cur_args[i] = va_arg(ap, long);   /* read as syscall() reads them */
    va_end(ap);
    one.nr = nr;
    one.kind = kind;
    cur = &one;
    isolated(what, do_call, (void *)what);
}
#define F(what, kind, nr, ...) forked(what, kind, nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)

static void *sigi(int signo, int code) {   /* a siginfo in its own buffer */
    static siginfo_t si[4];
    static int k;
    siginfo_t *p = &si[k++ % 4];
    memset(p, 0, sizeof *p);
    p->si_signo = signo;
    p->si_code = code;
    return p;
}

static void *sigi_edge(void) {   /* a siginfo whose last 64 bytes are in the guard page */
    memset(guard - 64, 0, 64);
    ((siginfo_t *)(guard - 64))->si_code = SI_QUEUE;
    return guard - 64;
}

static void signal_target_tests(void) {
    long me = getpid(), tid = syscall(SYS_gettid);
    T("kill(self, 0)", VAL, SYS_kill, me, 0);
    T("kill(self, 65)", VAL, SYS_kill, me, 65);
    T("kill(self, -1)", VAL, SYS_kill, me, -1);
    T("kill(self+2^32, 0)", VAL, SYS_kill, me + (1L << 32), 0);
    T("kill(nopid, 0)", VAL, SYS_kill, NOPID, 0);
    T("kill(nopid, 65)", VAL, SYS_kill, NOPID, 65);
    T("kill(-nopid, 0)", VAL, SYS_kill, -NOPID, 0);
    T("kill(INT_MIN, 0)", VAL, SYS_kill, (long)INT32_MIN, 0);
    T("kill(0, 65)", VAL, SYS_kill, 0, 65);
    T("kill(-1, 65)", VAL, SYS_kill, -1, 65);
    pid_t kid = fork();   /* so that kill(-1) has a process to reach under picorun too */
    if (kid == 0) { for (;;) pause(); }
    T("kill(-1, 0) with a child alive", VAL, SYS_kill, -1, 0);
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);

    T("tkill(self, 0)", VAL, SYS_tkill, tid, 0);
    T("tkill(0, 0)", VAL, SYS_tkill, 0, 0);
    T("tkill(-1, 0)", VAL, SYS_tkill, -1, 0);
    T("tkill(self, 65)", VAL, SYS_tkill, tid, 65);
    T("tkill(nopid, 0)", VAL, SYS_tkill, NOPID, 0);
    T("tkill(nopid, 65)", VAL, SYS_tkill, NOPID, 65);
    T("tgkill(self, self, 0)", VAL, SYS_tgkill, me, tid, 0);
    T("tgkill(0, self, 0)", VAL, SYS_tgkill, 0, tid, 0);
    T("tgkill(self, 0, 0)", VAL, SYS_tgkill, me, 0, 0);
    T("tgkill(self, -1, 0)", VAL, SYS_tgkill, me, -1, 0);
    T("tgkill(self, nopid, 0)", VAL, SYS_tgkill, me, NOPID, 0);
    T("tgkill(nopid, self, 0)", VAL, SYS_tgkill, NOPID, tid, 0);
    T("tgkill(pid 1, self, 0)", VAL, SYS_tgkill, 1, tid, 0);
    T("tgkill(self, pid 1, 0)", VAL, SYS_tgkill, me, 1, 0);
    T("tgkill(self, self, 65)", VAL, SYS_tgkill, me, tid, 65);

    T("rt_sigqueueinfo(self, 0, NULL)", VAL, SYS_rt_sigqueueinfo, me, 0, NULL);
    T("rt_sigqueueinfo(self, 0, unmapped)", VAL, SYS_rt_sigqueueinfo, me, 0, hole);
    T("rt_sigqueueinfo(self, 0, kernel)", VAL, SYS_rt_sigqueueinfo, me, 0, KERNEL_PTR);
    T("rt_sigqueueinfo(self, 0, straddling guard)", VAL, SYS_rt_sigqueueinfo, me, 0, sigi_edge());
    T("rt_sigqueueinfo(self, 0, SI_QUEUE)", VAL, SYS_rt_sigqueueinfo, me, 0, sigi(0, SI_QUEUE));
    T("rt_sigqueueinfo(self, 0, si_code=SI_USER)", VAL, SYS_rt_sigqueueinfo, me, 0, sigi(0, SI_USER));
    T("rt_sigqueueinfo(self, 65, SI_QUEUE)", VAL, SYS_rt_sigqueueinfo, me, 65, sigi(65, SI_QUEUE));
    T("rt_sigqueueinfo(nopid, 0, NULL)", VAL, SYS_rt_sigqueueinfo, NOPID, 0, NULL);
    T("rt_sigqueueinfo(nopid, 0, unmapped)", VAL, SYS_rt_sigqueueinfo, NOPID, 0, hole);
    T("rt_sigqueueinfo(nopid, 0, kernel)", VAL, SYS_rt_sigqueueinfo, NOPID, 0, KERNEL_PTR);
    T("rt_sigqueueinfo(nopid, 0, si_code=SI_USER)", VAL, SYS_rt_sigqueueinfo, NOPID, 0, sigi(0, SI_USER));
    T("rt_sigqueueinfo(nopid, 0, SI_QUEUE)", VAL, SYS_rt_sigqueueinfo, NOPID, 0, sigi(0, SI_QUEUE));
    T("rt_sigqueueinfo(pid 1, 0, unmapped)", VAL, SYS_rt_sigqueueinfo, 1, 0, hole);
    T("rt_sigqueueinfo(pid 1, 0, si_code=SI_USER)", VAL, SYS_rt_sigqueueinfo, 1, 0, sigi(0, SI_USER));
    T("rt_sigqueueinfo(0, 0, SI_QUEUE)", VAL, SYS_rt_sigqueueinfo, 0, 0, sigi(0, SI_QUEUE));
    T("rt_sigqueueinfo(-1, 0, SI_QUEUE)", VAL, SYS_rt_sigqueueinfo, -1, 0, sigi(0, SI_QUEUE));

    T("rt_tgsigqueueinfo(self, self, 0, NULL)", VAL, SYS_rt_tgsigqueueinfo, me, tid, 0, NULL);
    T("rt_tgsigqueueinfo(self, self, 0, unmapped)", VAL, SYS_rt_tgsigqueueinfo, me, tid, 0, hole);
    T("rt_tgsigqueueinfo(self, self, 0, kernel)", VAL, SYS_rt_tgsigqueueinfo, me, tid, 0, KERNEL_PTR);
    T("rt_tgsigqueueinfo(self, self, 0, straddling guard)", VAL, SYS_rt_tgsigqueueinfo, me, tid, 0, sigi_edge());
    T("rt_tgsigqueueinfo(self, self, 0, SI_QUEUE)", VAL, SYS_rt_tgsigqueueinfo, me, tid, 0, sigi(0, SI_QUEUE));
    T("rt_tgsigqueueinfo(self, self, 0, si_code=SI_TKILL)", VAL, SYS_rt_tgsigqueueinfo, me, tid, 0, sigi(0, SI_TKILL));
    T("rt_tgsigqueueinfo(0, self, 0, SI_QUEUE)", VAL, SYS_rt_tgsigqueueinfo, 0, tid, 0, sigi(0, SI_QUEUE));
    T("rt_tgsigqueueinfo(self, 0, 0, SI_QUEUE)", VAL, SYS_rt_tgsigqueueinfo, me, 0, 0, sigi(0, SI_QUEUE));
    T("rt_tgsigqueueinfo(-1, self, 0, SI_QUEUE)", VAL, SYS_rt_tgsigqueueinfo, -1, tid, 0, sigi(0, SI_QUEUE));
    T("rt_tgsigqueueinfo(self, -1, 0, SI_QUEUE)", VAL, SYS_rt_tgsigqueueinfo, me, -1, 0, sigi(0, SI_QUEUE));
    T("rt_tgsigqueueinfo(nopid, nopid, 0, unmapped)", VAL, SYS_rt_tgsigqueueinfo, NOPID, NOPID, 0, hole);
    T("rt_tgsigqueueinfo(nopid, nopid, 0, si_code=SI_USER)", VAL, SYS_rt_tgsigqueueinfo, NOPID, NOPID, 0, sigi(0, SI_USER));
    T("rt_tgsigqueueinfo(self, nopid, 0, SI_QUEUE)", VAL, SYS_rt_tgsigqueueinfo, me, NOPID, 0, sigi(0, SI_QUEUE));
    T("rt_tgsigqueueinfo(pid 1, pid 1, 0, unmapped)", VAL, SYS_rt_tgsigqueueinfo, 1, 1, 0, hole);

    T("pidfd_open(0, 0)", VAL, SYS_pidfd_open, 0, 0);
    T("pidfd_open(-1, 0)", VAL, SYS_pidfd_open, -1, 0);
    T("pidfd_open(self, 0)", FD, SYS_pidfd_open, me, 0);
    T("pidfd_open(self, PIDFD_THREAD)", FD, SYS_pidfd_open, me, O_EXCL);
    T("pidfd_open(self, PIDFD_NONBLOCK)", FD, SYS_pidfd_open, me, O_NONBLOCK);
    T("pidfd_open(self, 1)", VAL, SYS_pidfd_open, me, 1);
    T("pidfd_open(self+2^32, 0)", FD, SYS_pidfd_open, me + (1L << 32), 0);
    T("pidfd_open(nopid, 0)", VAL, SYS_pidfd_open, NOPID, 0);
    T("pidfd_open(nopid, 1)", VAL, SYS_pidfd_open, NOPID, 1);
    T("pidfd_open(pid 1, 1)", VAL, SYS_pidfd_open, 1, 1);

    int pfd = syscall(SYS_pidfd_open, me, 0);
    T("pidfd_send_signal(pidfd self, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, pfd, 0, NULL, 0);
    T("pidfd_send_signal(pidfd self, 0, unmapped, 0)", VAL, SYS_pidfd_send_signal, pfd, 0, hole, 0);
    T("pidfd_send_signal(pidfd self, 0, kernel, 0)", VAL, SYS_pidfd_send_signal, pfd, 0, KERNEL_PTR, 0);
    T("pidfd_send_signal(pidfd self, 0, straddling guard, 0)", VAL, SYS_pidfd_send_signal, pfd, 0, sigi_edge(), 0);
    T("pidfd_send_signal(pidfd self, 0, SI_QUEUE, 0)", VAL, SYS_pidfd_send_signal, pfd, 0, sigi(0, SI_QUEUE), 0);
    T("pidfd_send_signal(pidfd self, 0, si_signo=1, 0)", VAL, SYS_pidfd_send_signal, pfd, 0, sigi(1, SI_QUEUE), 0);
    T("pidfd_send_signal(pidfd self, 65, NULL, 0)", VAL, SYS_pidfd_send_signal, pfd, 65, NULL, 0);
    T("pidfd_send_signal(pidfd self, 0, NULL, 0x80)", VAL, SYS_pidfd_send_signal, pfd, 0, NULL, 0x80);
    T("pidfd_send_signal(pidfd self, 0, NULL, THREAD|PROCESS_GROUP)", VAL, SYS_pidfd_send_signal, pfd, 0, NULL, 5);
    T("pidfd_send_signal(pidfd self, 0, NULL, THREAD_GROUP)", VAL, SYS_pidfd_send_signal, pfd, 0, NULL, 2);
    T("pidfd_send_signal(pidfd self+2^32, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, (1L << 32) | pfd, 0, NULL, 0);
    close(pfd);
    T("pidfd_send_signal(closed fd, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, fd_closed, 0, NULL, 0);
    T("pidfd_send_signal(closed fd, 0, NULL, 0x80)", VAL, SYS_pidfd_send_signal, fd_closed, 0, NULL, 0x80);
    T("pidfd_send_signal(-1, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, -1, 0, NULL, 0);
    T("pidfd_send_signal(file fd, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, fd_file, 0, NULL, 0);
    T("pidfd_send_signal(dir fd, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, fd_dir, 0, NULL, 0);
    T("pidfd_send_signal(PIDFD_SELF_THREAD, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, XPIDFD_SELF_THREAD, 0, NULL, 0);
    T("pidfd_send_signal(PIDFD_SELF_THREAD_GROUP, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, XPIDFD_SELF_THREAD_GROUP, 0, NULL, 0);
    T("pidfd_send_signal(PIDFD_SELF_THREAD_GROUP, 0, unmapped, 0)", VAL, SYS_pidfd_send_signal, XPIDFD_SELF_THREAD_GROUP, 0, hole, 0);

    /* A child that has exited: a zombie until it is reaped, then gone. */
    kid = fork();
    if (kid == 0) _exit(0);
    siginfo_t wi;
    waitid(P_PID, kid, &wi, WEXITED | WNOWAIT);
    T("kill(zombie child, 0)", VAL, SYS_kill, kid, 0);
    errno = 0;
    pfd = syscall(SYS_pidfd_open, kid, 0);
    printf("pidfd_open(zombie child, 0): %s\n", pfd >= 0 ? "ok fd" : ename(errno));
    T("pidfd_send_signal(pidfd of zombie child, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, pfd, 0, NULL, 0);
    waitpid(kid, NULL, 0);
    T("kill(reaped child, 0)", VAL, SYS_kill, kid, 0);
    T("pidfd_send_signal(pidfd of reaped child, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, pfd, 0, NULL, 0);
    if (pfd >= 0) close(pfd);

    /* /proc/PID directory fds stand for pidfds. */
    /* Not /proc/1: a host process, invisible to a guest by design, where
     * Linux as root would deliver the signal. */
    const char *procs[][2] = { { "/proc/self", "self" }, { "/proc/self/task", "self/task" } };
    char label[160];
    for (int i = 0; i < 2; i++) {
        int d = open(procs[i][0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        printf("open(%s): %s\n", procs[i][1], d >= 0 ? "ok fd" : ename(errno));   /* if it fails, the calls go on with -1 */
        snprintf(label, sizeof label, "pidfd_send_signal(dirfd %s, 0, NULL, 0)", procs[i][1]);
        T(label, VAL, SYS_pidfd_send_signal, d, 0, NULL, 0);
        snprintf(label, sizeof label, "pidfd_send_signal(dirfd %s, 0, SI_QUEUE, 0)", procs[i][1]);
        T(label, VAL, SYS_pidfd_send_signal, d, 0, sigi(0, SI_QUEUE), 0);
        snprintf(label, sizeof label, "pidfd_send_signal(dirfd %s, 0, unmapped, 0)", procs[i][1]);
        T(label, VAL, SYS_pidfd_send_signal, d, 0, hole, 0);
        snprintf(label, sizeof label, "pidfd_send_signal(dirfd %s, 0, kernel, 0)", procs[i][1]);
        T(label, VAL, SYS_pidfd_send_signal, d, 0, KERNEL_PTR, 0);
        snprintf(label, sizeof label, "pidfd_send_signal(dirfd %s, 0, straddling guard, 0)", procs[i][1]);
        T(label, VAL, SYS_pidfd_send_signal, d, 0, sigi_edge(), 0);
        snprintf(label, sizeof label, "pidfd_send_signal(dirfd %s, 0, NULL, 0x80)", procs[i][1]);
        T(label, VAL, SYS_pidfd_send_signal, d, 0, NULL, 0x80);
        snprintf(label, sizeof label, "pidfd_send_signal(dirfd %s, 0, si_signo=1, 0)", procs[i][1]);
        T(label, VAL, SYS_pidfd_send_signal, d, 0, sigi(1, SI_QUEUE), 0);
        if (d >= 0) close(d);
    }
    int d = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
    T("pidfd_send_signal(O_PATH dirfd self, 0, NULL, 0)", VAL, SYS_pidfd_send_signal, d, 0, NULL, 0);
    close(d);
}

static void process_vm_tests(void) {
    long me = getpid();
    static char src[16] = "0123456789abcdef", dst[16];
    struct iovec l = { dst, 8 }, r = { src, 8 }, rhole = { hole, 8 }, rkern = { (void *)KERNEL_PTR, 8 },
                 redge = { guard - 4, 8 }, lhole = { hole, 8 };
    struct iovec *ledge = (struct iovec *)(guard - 8);
    struct { const char *name; long pid; } pids[] = { { "self", me }, { "pid 1", 1 }, { "nopid", NOPID }, { "-1", -1 } };
    char label[160];
    for (int w = 0; w < 2; w++) {
        long nr = w ? SYS_process_vm_writev : SYS_process_vm_readv;
        const char *nm = w ? "process_vm_writev" : "process_vm_readv";
        for (size_t i = 0; i < sizeof pids / sizeof pids[0]; i++) {
            long pid = pids[i].pid;
            int self = pid == me;
#define V(what, ...) do { snprintf(label, sizeof label, "%s(%s, %s)", nm, pids[i].name, what); T(label, VAL, nr, pid, __VA_ARGS__); } while (0)
            V("local=NULL", NULL, 1, &r, 1, 0);
            V("local=unmapped", hole, 1, &r, 1, 0);
            V("local=kernel", KERNEL_PTR, 1, &r, 1, 0);
            memcpy(ledge, &l, 8);
            V("local straddling guard", ledge, 1, &r, 1, 0);
            V("remote=NULL", &l, 1, NULL, 1, 0);
            V("remote=unmapped", &l, 1, hole, 1, 0);
            V("liovcnt=2^30", &l, 1L << 30, &r, 1, 0);
            V("riovcnt=2^30", &l, 1, &r, 1L << 30, 0);
            V("liovcnt=IOV_MAX+1", &l, IOVMAX1, &r, 1, 0);
            V("riovcnt=IOV_MAX+1", &l, 1, &r, IOVMAX1, 0);
            V("liovcnt=IOV_MAX, local=unmapped", hole, 1024, &r, 1, 0);
            V("flags=1", &l, 1, &r, 1, 1);
            V("counts 0", &l, 0, &r, 0, 0);
            if (self || pid < 0 || pid == NOPID) {   /* not on pid 1: these get past its lookup */
                V("liovcnt=2^32+1", &l, (1L << 32) + 1, &r, 1, 0);   /* the kernel truncates it to 1 */
                V("local iov base unmapped", &lhole, 1, &r, 1, 0);
                V("remote iov base kernel", &l, 1, &rkern, 1, 0);
                V("remote iov base unmapped", &l, 1, &rhole, 1, 0);
                V("remote iov straddling guard", &l, 1, &redge, 1, 0);
                V("ok", &l, 1, &r, 1, 0);
            }
#undef V
        }
    }

    int ep = epoll_create1(EPOLL_CLOEXEC);
    T("kcmp(self, self, KCMP_FILE, file, file)", VAL, SYS_kcmp, me, me, KCMP_FILE, fd_file, fd_file);
    T("kcmp(self, self, KCMP_FILE, file, closed)", VAL, SYS_kcmp, me, me, KCMP_FILE, fd_file, fd_closed);
    T("kcmp(self, self, KCMP_FILE, -1, file)", VAL, SYS_kcmp, me, me, KCMP_FILE, -1, fd_file);
    T("kcmp(self, self, KCMP_VM)", VAL, SYS_kcmp, me, me, KCMP_VM, 0, 0);
    T("kcmp(self, self, type 99)", VAL, SYS_kcmp, me, me, 99, 0, 0);
    T("kcmp(self, self, type -1)", VAL, SYS_kcmp, me, me, -1, 0, 0);
    T("kcmp(self, self, KCMP_EPOLL_TFD, slot=NULL)", VAL, SYS_kcmp, me, me, KCMP_EPOLL_TFD, ep, NULL);
    T("kcmp(self, self, KCMP_EPOLL_TFD, slot=unmapped)", VAL, SYS_kcmp, me, me, KCMP_EPOLL_TFD, ep, hole);
    T("kcmp(self, self, KCMP_EPOLL_TFD, slot=kernel)", VAL, SYS_kcmp, me, me, KCMP_EPOLL_TFD, ep, KERNEL_PTR);
    T("kcmp(self, self, KCMP_EPOLL_TFD, slot straddling guard)", VAL, SYS_kcmp, me, me, KCMP_EPOLL_TFD, ep, guard - 4);
    T("kcmp(0, self, KCMP_VM)", VAL, SYS_kcmp, 0, me, KCMP_VM, 0, 0);
    T("kcmp(self, 0, KCMP_VM)", VAL, SYS_kcmp, me, 0, KCMP_VM, 0, 0);
    T("kcmp(-1, self, KCMP_VM)", VAL, SYS_kcmp, -1, me, KCMP_VM, 0, 0);
    T("kcmp(nopid, self, KCMP_VM)", VAL, SYS_kcmp, NOPID, me, KCMP_VM, 0, 0);
    T("kcmp(self, nopid, type 99)", VAL, SYS_kcmp, me, NOPID, 99, 0, 0);
    T("kcmp(self+2^32, self, KCMP_VM)", VAL, SYS_kcmp, me + (1L << 32), me, KCMP_VM, 0, 0);
    close(ep);
}

static void limit_sched_tests(void) {
    long me = getpid();
    struct rl64 { unsigned long cur, max; } old, cur, bad;
    syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &cur);
    bad.cur = cur.max + 1; bad.max = cur.max;
    if (cur.max == ~0UL) { bad.cur = ~0UL; bad.max = 1; }
    struct { const char *name; long pid; } pids[] = { { "0", 0 }, { "self", me }, { "pid 1", 1 }, { "nopid", NOPID }, { "-1", -1 } };
    char label[160];
    for (size_t i = 0; i < sizeof pids / sizeof pids[0]; i++) {
        long pid = pids[i].pid;
        int ours = pid == 0 || pid == me;
#define P(what, ...) do { snprintf(label, sizeof label, "prlimit64(%s, %s)", pids[i].name, what); T(label, VAL, SYS_prlimit64, pid, __VA_ARGS__); } while (0)
        P("new=unmapped", RLIMIT_NOFILE, hole, NULL);
        P("new=kernel", RLIMIT_NOFILE, KERNEL_PTR, NULL);
        memcpy(guard - 8, &cur, 8);
        P("new straddling guard", RLIMIT_NOFILE, guard - 8, NULL);
        P("new=unmapped, resource 999", 999, hole, NULL);
        if (ours || pid == NOPID || pid < 0) {   /* the rest reach pid 1 itself */
            P("read", RLIMIT_NOFILE, NULL, &old);
            P("nothing", RLIMIT_NOFILE, NULL, NULL);
            P("old=unmapped", RLIMIT_NOFILE, NULL, hole);
            P("old=kernel", RLIMIT_NOFILE, NULL, KERNEL_PTR);
            P("old straddling guard", RLIMIT_NOFILE, NULL, guard - 8);
            P("old read-only", RLIMIT_NOFILE, NULL, ro_page);
            P("resource 999", 999, NULL, &old);
            P("resource -1", -1, NULL, &old);
            P("new cur>max", RLIMIT_NOFILE, &bad, NULL);
            P("new=current", RLIMIT_NOFILE, &cur, NULL);
            P("new=current, old=unmapped", RLIMIT_NOFILE, &cur, hole);
            P("new=current, old=&new", RLIMIT_NOFILE, &cur, &cur);
        }
#undef P
    }
    printf("prlimit64 left NOFILE as it was: %s\n",
           syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old) == 0 && old.cur == cur.cur && old.max == cur.max ? "yes" : "no");

    struct sched_param sp0 = { 0 }, sp5 = { 5 };
    struct sattr { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t prio; uint64_t rt, dl, per; uint32_t umin, umax; } sa;
    unsigned char mask[1024], zmask[1024] = { 0 };
    memset(mask, 0, sizeof mask);
    long mlen = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
    char *page = guard - PAGE;
    for (size_t i = 0; i < sizeof pids / sizeof pids[0]; i++) {
        long pid = pids[i].pid;
        int ours = pid == 0 || pid == me;
        int safe = ours || pid == NOPID || pid < 0;   /* valid arguments only where they cannot reach pid 1 */
#define S(nm, what, nr, ...) do { snprintf(label, sizeof label, "%s(%s, %s)", nm, pids[i].name, what); \
        T(label, VAL, nr, pid, __VA_ARGS__); } while (0)
/* the same, in a child where the call might succeed on this process */
#define SF(nm, what, nr, ...) do { snprintf(label, sizeof label, "%s(%s, %s)", nm, pids[i].name, what); \
        if (ours) F(label, VAL, nr, pid, __VA_ARGS__); else T(label, VAL, nr, pid, __VA_ARGS__); } while (0)
        S("sched_setparam", "NULL", SYS_sched_setparam, NULL);
        S("sched_setparam", "unmapped", SYS_sched_setparam, hole);
        S("sched_setparam", "kernel", SYS_sched_setparam, KERNEL_PTR);
        S("sched_setparam", "straddling guard", SYS_sched_setparam, guard - 2);
        if (safe) SF("sched_setparam", "prio 0", SYS_sched_setparam, &sp0);
        if (safe) S("sched_setparam", "prio 5", SYS_sched_setparam, &sp5);
        S("sched_setscheduler", "OTHER, NULL", SYS_sched_setscheduler, SCHED_OTHER, NULL);
        S("sched_setscheduler", "OTHER, unmapped", SYS_sched_setscheduler, SCHED_OTHER, hole);
        S("sched_setscheduler", "OTHER, kernel", SYS_sched_setscheduler, SCHED_OTHER, KERNEL_PTR);
        S("sched_setscheduler", "policy -1", SYS_sched_setscheduler, -1, &sp0);
        if (safe) S("sched_setscheduler", "policy 99", SYS_sched_setscheduler, 99, &sp0);
        if (safe) SF("sched_setscheduler", "OTHER, prio 0", SYS_sched_setscheduler, SCHED_OTHER, &sp0);
        if (safe) S("sched_setscheduler", "FIFO, prio 0", SYS_sched_setscheduler, SCHED_FIFO, &sp0);
        S("sched_setaffinity", "len 128, NULL", SYS_sched_setaffinity, 128, NULL);
        S("sched_setaffinity", "len 128, unmapped", SYS_sched_setaffinity, 128, hole);
        S("sched_setaffinity", "len 128, kernel", SYS_sched_setaffinity, 128, KERNEL_PTR);
        S("sched_setaffinity", "len 8, straddling guard", SYS_sched_setaffinity, 8, guard - 4);
        if (safe) {
            S("sched_setaffinity", "len 0", SYS_sched_setaffinity, 0, mask);
            S("sched_setaffinity", "empty mask", SYS_sched_setaffinity, sizeof zmask, zmask);
            SF("sched_setaffinity", "current mask", SYS_sched_setaffinity, mlen > 0 ? mlen : 8, mask);
            SF("sched_setaffinity", "current mask, len 2^30", SYS_sched_setaffinity, 1L << 30, mask);
            SF("sched_setaffinity", "current mask, len 2^32+8", SYS_sched_setaffinity, (1L << 32) + 8, mask);
        }
        S("sched_setattr", "NULL", SYS_sched_setattr, NULL, 0);
        S("sched_setattr", "unmapped", SYS_sched_setattr, hole, 0);
        S("sched_setattr", "kernel", SYS_sched_setattr, KERNEL_PTR, 0);
        memset(&sa, 0, sizeof sa); sa.size = 48;
        memcpy(guard - 24, &sa, 24);
        S("sched_setattr", "size 48 straddling guard", SYS_sched_setattr, guard - 24, 0);
        S("sched_setattr", "flags=1", SYS_sched_setattr, &sa, 1);
        memset(page, 0, PAGE); ((struct sattr *)page)->size = 1;
        S("sched_setattr", "size 1", SYS_sched_setattr, page, 0);
        printf("  size written back: %u\n", ((struct sattr *)page)->size);
        memset(page, 0, PAGE); ((struct sattr *)page)->size = PAGE + 1;
        S("sched_setattr", "size PAGE+1", SYS_sched_setattr, page, 0);
        memset(page, 0, PAGE); ((struct sattr *)page)->size = 64; page[60] = 1;
        S("sched_setattr", "size 64, nonzero tail", SYS_sched_setattr, page, 0);
        memset(&sa, 0, sizeof sa); sa.size = sizeof sa; sa.policy = -1;
        S("sched_setattr", "policy -1", SYS_sched_setattr, &sa, 0);
        if (safe) {
            memset(&sa, 0, sizeof sa); sa.size = sizeof sa; sa.policy = 99;
            S("sched_setattr", "policy 99", SYS_sched_setattr, &sa, 0);
            memset(&sa, 0, sizeof sa); sa.size = sizeof sa; sa.flags = 0x18;   /* KEEP_POLICY|KEEP_PARAMS: no change */
            SF("sched_setattr", "keep all", SYS_sched_setattr, &sa, 0);
            memset(&sa, 0, sizeof sa); sa.size = sizeof sa; sa.flags = 1L << 40;
            S("sched_setattr", "unknown flag", SYS_sched_setattr, &sa, 0);
        }

        S("setpgid", "pgid -1", SYS_setpgid, -1);
        S("setpgid", "pgid INT_MIN", SYS_setpgid, (long)INT32_MIN);
        if (safe) S("setpgid", "pgid nopid", SYS_setpgid, NOPID);
        if (!ours) S("setpgid", "pgid 0", SYS_setpgid, 0);

        S("migrate_pages", "maxnode 64, unmapped, unmapped", SYS_migrate_pages, 64, hole, hole);
        S("migrate_pages", "maxnode 64, kernel, NULL", SYS_migrate_pages, 64, KERNEL_PTR, NULL);
        S("migrate_pages", "maxnode 2^40, mask, mask", SYS_migrate_pages, 1L << 40, zmask, zmask);
        S("migrate_pages", "maxnode 64, straddling guard", SYS_migrate_pages, 64, guard - 4, zmask);
        if (safe) SF("migrate_pages", "maxnode 0, NULL, NULL", SYS_migrate_pages, 0, NULL, NULL);
        if (safe) SF("migrate_pages", "maxnode 64, empty, empty", SYS_migrate_pages, 64, zmask, zmask);
        S("move_pages", "count 0, flags 8", SYS_move_pages, 0, NULL, NULL, NULL, 8);
        S("move_pages", "count 1, flags -1", SYS_move_pages, 1, hole, NULL, hole, -1);
        if (safe) {
            void *pg[1] = { page };
            int status[1];
            S("move_pages", "count 0", SYS_move_pages, 0, NULL, NULL, NULL, 0);
            S("move_pages", "count 1, pages=unmapped", SYS_move_pages, 1, hole, NULL, status, 0);
            S("move_pages", "count 1, pages=kernel", SYS_move_pages, 1, KERNEL_PTR, NULL, status, 0);
            S("move_pages", "count 1, status=unmapped", SYS_move_pages, 1, pg, NULL, hole, 0);
            S("move_pages", "count 1, status=read-only", SYS_move_pages, 1, pg, NULL, ro_page, 0);
            S("move_pages", "count 2^40, pages=unmapped", SYS_move_pages, 1L << 40, hole, NULL, hole, 0);
            SF("move_pages", "count 1, stat", SYS_move_pages, 1, pg, NULL, status, 0);
        }
#undef S
#undef SF
    }

    /* setpriority and ioprio_set: 0 process, 1 group, 2 user; ioprio: 1 process, 2 group, 3 user. */
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    T("setpriority(which 3, 0, same)", VAL, SYS_setpriority, 3, 0, nice);
    T("setpriority(which -1, 0, same)", VAL, SYS_setpriority, -1, 0, nice);
    T("setpriority(which 2^32, 0, same)", VAL, SYS_setpriority, 1L << 32, 0, nice);
    T("setpriority(PROCESS, nopid, same)", VAL, SYS_setpriority, PRIO_PROCESS, NOPID, nice);
    T("setpriority(PROCESS, -1, same)", VAL, SYS_setpriority, PRIO_PROCESS, -1, nice);
    T("setpriority(PGRP, nopid, same)", VAL, SYS_setpriority, PRIO_PGRP, NOPID, nice);
    T("setpriority(PGRP, -1, same)", VAL, SYS_setpriority, PRIO_PGRP, -1, nice);
    F("setpriority(PROCESS, self, same)", VAL, SYS_setpriority, PRIO_PROCESS, me, nice);
    F("setpriority(PROCESS, self+2^32, same)", VAL, SYS_setpriority, PRIO_PROCESS, me + (1L << 32), nice);
    F("setpriority(PROCESS, 0, 100)", VAL, SYS_setpriority, PRIO_PROCESS, 0, 100);
    F("setpriority(PROCESS, self, -100)", VAL, SYS_setpriority, PRIO_PROCESS, me, -100);
    long iop = syscall(SYS_ioprio_get, 1, 0);
    T("ioprio_set(which 0, 0, same)", VAL, SYS_ioprio_set, 0, 0, iop);
    T("ioprio_set(which 4, 0, same)", VAL, SYS_ioprio_set, 4, 0, iop);
    T("ioprio_set(which -1, 0, same)", VAL, SYS_ioprio_set, -1, 0, iop);
    T("ioprio_set(PROCESS, nopid, same)", VAL, SYS_ioprio_set, 1, NOPID, iop);
    T("ioprio_set(PROCESS, nopid, class 7)", VAL, SYS_ioprio_set, 1, NOPID, 7 << 13);
    T("ioprio_set(PROCESS, pid 1, class 7)", VAL, SYS_ioprio_set, 1, 1, 7 << 13);
    T("ioprio_set(PROCESS, -1, same)", VAL, SYS_ioprio_set, 1, -1, iop);
    T("ioprio_set(PGRP, nopid, same)", VAL, SYS_ioprio_set, 2, NOPID, iop);
    T("ioprio_set(PROCESS, self, class 7)", VAL, SYS_ioprio_set, 1, me, 7 << 13);
    T("ioprio_set(PROCESS, self, -1)", VAL, SYS_ioprio_set, 1, me, -1);
    F("ioprio_set(PROCESS, self, same)", VAL, SYS_ioprio_set, 1, me, iop);
    F("ioprio_set(PROCESS, 0, same)", VAL, SYS_ioprio_set, 1, 0, iop);
}

static void clock_adjust_tests(void) {
    static struct timex tx;
    char *straddle = guard - 100;
    memset(guard - 100, 0, 100);
    struct { const char *name; long id; } ids[] = {
        { "REALTIME", CLOCK_REALTIME }, { "MONOTONIC", CLOCK_MONOTONIC }, { "PROCESS_CPUTIME", CLOCK_PROCESS_CPUTIME_ID },
        { "TAI", CLOCK_TAI }, { "BOOTTIME", CLOCK_BOOTTIME }, { "id 16", 16 }, { "id 100", 100 }, { "id -1", -1 },
        { "id INT_MIN", (long)INT32_MIN }, { "REALTIME+2^32", 1L << 32 }, { "fd clock of a closed fd", (~200L << 3) | 3 },
        { "fd clock of a file", ((long)~fd_file << 3) | 3 }, { "cpu clock of nopid", (~NOPID << 3) | 2 },
    };
    char label[160];
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
#define C(what, p) do { snprintf(label, sizeof label, "clock_adjtime(%s, %s)", ids[i].name, what); T(label, VAL, SYS_clock_adjtime, ids[i].id, p); } while (0)
        C("NULL", NULL);
        C("unmapped", hole);
        C("kernel", KERNEL_PTR);
        C("straddling guard", straddle);
        memset(&tx, 0, sizeof tx);
        C("modes 0", &tx);
        C("modes 0, read-only", ro_page);
        memset(&tx, 0, sizeof tx); tx.modes = 0x8000;   /* ADJ_ADJTIME without SINGLESHOT: refused before anything */
        C("modes ADJ_ADJTIME alone", &tx);
        memset(&tx, 0, sizeof tx); tx.modes = ADJ_OFFSET_SS_READ;   /* a read-only adjtime() */
        C("modes ADJ_OFFSET_SS_READ", &tx);
#undef C
    }
    T("adjtimex(kernel)", VAL, SYS_adjtimex, KERNEL_PTR);
    T("adjtimex(straddling guard)", VAL, SYS_adjtimex, straddle);
    T("adjtimex(modes 0 at the last 4 bytes before guard)", VAL, SYS_adjtimex, guard - 4);
    memset(&tx, 0, sizeof tx);
    T("adjtimex(modes 0)", VAL, SYS_adjtimex, &tx);
    T("adjtimex(modes 0, read-only)", VAL, SYS_adjtimex, ro_page);
    memset(&tx, 0, sizeof tx); tx.modes = 0x8000;
    T("adjtimex(modes ADJ_ADJTIME alone)", VAL, SYS_adjtimex, &tx);
    memset(&tx, 0, sizeof tx); tx.modes = ADJ_OFFSET_SS_READ;
    T("adjtimex(modes ADJ_OFFSET_SS_READ)", VAL, SYS_adjtimex, &tx);
}

/* ---- identity setters with absurd ids, each in a child ---- */
struct idcall { const char *what; long nr; long a[3]; };

static void do_idcall(void *p) {
    struct idcall *c = p;
    repair_on = 0;   /* the child may lose access to the scratch tree */
    errno = 0;
    long r = syscall(c->nr, c->a[0], c->a[1], c->a[2]);
    if (c->nr == SYS_setfsuid || c->nr == SYS_setfsgid) printf("%s [child]: ret=%ld\n", c->what, r);
    else show(c->what, r, VAL);
    uid_t ru = 7, eu = 7, su = 7;
    gid_t rg = 7, eg = 7, sg = 7;
    long a = syscall(SYS_getresuid, &ru, &eu, &su), b = syscall(SYS_getresgid, &rg, &eg, &sg);
    long fu = syscall(SYS_setfsuid, -1), fg = syscall(SYS_setfsgid, -1);
    printf("  after: uid %ld %u %u %u fsuid %ld, gid %ld %u %u %u fsgid %ld\n", a, ru, eu, su, fu, b, rg, eg, sg, fg);
}

static void identity_setter_tests(void) {
    const long T32 = (1L << 32) + 5;
    struct idcall c[] = {
        { "setuid(-1)", SYS_setuid, { -1 } }, { "setuid(-2)", SYS_setuid, { -2 } },
        { "setuid(2^32+5)", SYS_setuid, { T32 } }, { "setuid(65534)", SYS_setuid, { 65534 } },
        { "setuid(0xffffffff)", SYS_setuid, { 0xffffffffL } },
        { "setgid(-1)", SYS_setgid, { -1 } }, { "setgid(-2)", SYS_setgid, { -2 } },
        { "setgid(2^32+5)", SYS_setgid, { T32 } }, { "setgid(65534)", SYS_setgid, { 65534 } },
        { "setreuid(-1, -1)", SYS_setreuid, { -1, -1 } }, { "setreuid(-2, -2)", SYS_setreuid, { -2, -2 } },
        { "setreuid(2^32+5, -1)", SYS_setreuid, { T32, -1 } }, { "setreuid(-1, 2^32+5)", SYS_setreuid, { -1, T32 } },
        { "setreuid(65534, 65534)", SYS_setreuid, { 65534, 65534 } }, { "setreuid(65534, -1)", SYS_setreuid, { 65534, -1 } },
        { "setregid(-1, -1)", SYS_setregid, { -1, -1 } }, { "setregid(-2, -2)", SYS_setregid, { -2, -2 } },
        { "setregid(2^32+5, -1)", SYS_setregid, { T32, -1 } }, { "setregid(65534, 65534)", SYS_setregid, { 65534, 65534 } },
        { "setresuid(-1, -1, -1)", SYS_setresuid, { -1, -1, -1 } }, { "setresuid(-2, -2, -2)", SYS_setresuid, { -2, -2, -2 } },
        { "setresuid(2^32+5, -1, -1)", SYS_setresuid, { T32, -1, -1 } }, { "setresuid(-1, -1, 2^32+5)", SYS_setresuid, { -1, -1, T32 } },
        { "setresuid(65534, 65534, 65534)", SYS_setresuid, { 65534, 65534, 65534 } },
        { "setresuid(65534, -1, -1)", SYS_setresuid, { 65534, -1, -1 } },
        { "setresgid(-1, -1, -1)", SYS_setresgid, { -1, -1, -1 } }, { "setresgid(-2, -2, -2)", SYS_setresgid, { -2, -2, -2 } },
        { "setresgid(2^32+5, -1, -1)", SYS_setresgid, { T32, -1, -1 } },
        { "setresgid(65534, 65534, 65534)", SYS_setresgid, { 65534, 65534, 65534 } },
        { "setfsuid(-1)", SYS_setfsuid, { -1 } }, { "setfsuid(-2)", SYS_setfsuid, { -2 } },
        { "setfsuid(2^32+5)", SYS_setfsuid, { T32 } }, { "setfsuid(65534)", SYS_setfsuid, { 65534 } },
        { "setfsgid(-1)", SYS_setfsgid, { -1 } }, { "setfsgid(-2)", SYS_setfsgid, { -2 } },
        { "setfsgid(2^32+5)", SYS_setfsgid, { T32 } }, { "setfsgid(65534)", SYS_setfsgid, { 65534 } },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) isolated(c[i].what, do_idcall, &c[i]);
}

static void process_target_tests(void) {
    mprotect(ro_page, PAGE, PROT_READ);
    signal_target_tests();
    process_vm_tests();
    limit_sched_tests();
    clock_adjust_tests();
    identity_setter_tests();
}

/* brk last: an emulated call, and brk(-1) is the one most likely to upset an emulator. */
static void brk_tests(void) {
    void *b0 = (void *)syscall(SYS_brk, 0);
    void *b = (void *)syscall(SYS_brk, KERNEL_PTR);
    printf("brk(kernel): %s\n", b == b0 ? "unchanged" : "changed");
    b = (void *)syscall(SYS_brk, 1);
    printf("brk(1): %s\n", b == b0 ? "unchanged" : "changed");
    b = (void *)syscall(SYS_brk, (char *)b0 + (1L << 46));
    printf("brk(+2^46): %s\n", b == b0 ? "unchanged" : "changed");
    b = (void *)syscall(SYS_brk, (char *)b0 + 3 * PAGE + 1);
    printf("brk(+3 pages): %s\n", b == (char *)b0 + 3 * PAGE + 1 ? "moved" : "not moved");
    b = (void *)syscall(SYS_brk, b0);
    printf("brk(back): %s\n", b == b0 ? "moved back" : "not moved back");

    b = (void *)syscall(SYS_brk, -4096L);
    printf("brk(-4096): %s\n", b == b0 ? "unchanged" : "changed");
#ifndef HOSTILE_NO_BRK_MINUS_ONE   /* -D to get past an emulator that dies here */
    b = (void *)syscall(SYS_brk, -1L);
    printf("brk(-1): %s\n", b == b0 ? "unchanged" : "changed");
#endif
}

int main(int argc, char **argv) {
    if (getenv("HOSTILE_CHILD") || (argc > 1 && strcmp(argv[1], "--child") == 0)) _exit(42);
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!realpath(argv[0], self)) { perror("realpath"); return 1; }

    /* Memory first, so nothing is mapped into the hole later. */
    char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { perror("mmap"); return 1; }
    munmap(m + 3 * PAGE, PAGE);
    mprotect(m + 2 * PAGE, PAGE, PROT_NONE);
    hole = m + 3 * PAGE;   /* unmapped, after a PROT_NONE page */
    guard = m + 2 * PAGE;  /* PROT_NONE; m + PAGE is the readable page before it */
    setup_paths();

    char top[] = "/tmp/hostile-XXXXXX";
    if (!mkdtemp(top) || chdir(top) != 0) { perror("scratch"); return 1; }
    memset(sock_a108, 'a', 108);
    memset(sock_z108, 'z', 108);
    repair_on = 1;
    repair();   /* builds the tree (prints a line, natively too) */
    fd_file = open("f", O_RDWR | O_CLOEXEC);
    fd_opath_file = open("f", O_PATH | O_CLOEXEC);
    fd_opath_link = open("l", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    fd_dir = open("d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fd_opath_dir = open("d", O_PATH | O_DIRECTORY | O_CLOEXEC);
    /* An fd that was open and is closed, numbered above anything opened later. */
    fd_closed = dup2(fd_file, 200);
    close(fd_closed);
    printf("scratch ready\n");
    repair();

    table_tests();
    misc_path_tests();
    exec_tests();
    socket_tests();
    identity_tests();
    process_target_tests();

    /* Signals aimed at the parent (the supervisor under picorun, a host
     * process the guest cannot reach; natively the harness). Whether signal 0
     * reaches it depends on who the parent is, so only that the call returned
     * is shown; an invalid signal is refused either way. */
    errno = 0;
    syscall(SYS_kill, getppid(), 0);
    printf("kill(getppid(), 0): returned\n");

    unsigned char vec;
    printf("hole still unmapped: %s\n", mincore(hole, PAGE, &vec) == -1 && errno == ENOMEM ? "yes" : "no");
    struct stat s1;
    printf("f intact: %s\n", stat("f", &s1) == 0 && S_ISREG(s1.st_mode) && s1.st_size == 2 ? "yes" : "no");
    printf("d intact: %s\n", stat("d", &s1) == 0 && S_ISDIR(s1.st_mode) ? "yes" : "no");

    /* Clean up the scratch directory. */
    repair_on = 0;
    const char *files[] = { "f", "l", "loop", "d/f", "d/l", "garbage", "badelf", "emptyx", "shebang-missing",
                            "shebang-empty", "shebang-loop", "shebang-long", "ds" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) unlink(files[i]);
    rmdir("d/d");
    rmdir("d");
    chdir("/");
    if (rmdir(top) != 0) printf("scratch not empty\n");
    brk_tests();
    printf("survived\n");
    return 0;
}
