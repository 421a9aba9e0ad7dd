/* A root process drops to nobody the way daemons do (setgroups(0),
 * setresgid, setresuid) and then tries file operations that Linux refuses
 * or allows by the new identity. Run natively and under picorun as root:
 * the answers must be the same (picorun must not lend its rights).
 * Usage: dropped --setup DIR   (as root: makes the layout below)
 *        dropped DIR           (as root: drops, then tries)
 * DIR/private      root 0700, holding "secret" (root 0600)
 * DIR/public       root 0755, holding "rootfile" (root 0644), "ro" (root 0444)
 * DIR/sticky       root 1777, holding "rootowned" (root 0644)
 * DIR/setgid       root:4242 2777 (new files take group 4242) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <dirent.h>

static const char *en(int e) { const char *n = strerrorname_np(e); return n ? n : "?"; }
static char dir[2048];
static char *at(const char *rel) {
    static char p[4][4096];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, rel);
    return p[i];
}

static void result(const char *what, long r) {
    if (r < 0) printf("%-40s %s\n", what, en(errno));
    else printf("%-40s ok\n", what);
    fflush(stdout);
}

static void owner(const char *what, const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) printf("%-40s %s\n", what, en(errno));
    else printf("%-40s uid %u gid %u mode %o\n", what, st.st_uid, st.st_gid, st.st_mode & 07777);
}

static int must(int r, const char *what) {
    if (r < 0) { fprintf(stderr, "setup: %s: %s\n", what, strerror(errno)); exit(2); }
    return r;
}

static void mkfile(const char *path, mode_t mode, const char *data) {
    int fd = must(open(path, O_WRONLY | O_CREAT | O_TRUNC, mode), path);
    write(fd, data, strlen(data));
    close(fd);
    must(chmod(path, mode), path);
}

static int setup(void) {
    mkdir(dir, 0755);
    must(mkdir(at("private"), 0700), "private");
    must(chmod(at("private"), 0700), "private");
    mkfile(at("private/secret"), 0600, "SECRET\n");
    must(mkdir(at("public"), 0755), "public");
    mkfile(at("public/rootfile"), 0644, "rootfile\n");
    mkfile(at("public/ro"), 0444, "ro\n");
    must(mkdir(at("sticky"), 0777), "sticky");
    must(chmod(at("sticky"), 01777), "sticky");
    mkfile(at("sticky/rootowned"), 0644, "rootowned\n");
    must(mkdir(at("setgid"), 0777), "setgid");
    must(chown(at("setgid"), 0, 4242), "setgid");
    must(chmod(at("setgid"), 02777), "setgid");
    return 0;
}

static int run_true(void) {
    pid_t p = fork();
    if (p == 0) {
        char *argv[] = {(char *)"true", NULL};
        execv("/bin/true", argv);
        _exit(100 + errno);
    }
    int st;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--setup")) {
        snprintf(dir, sizeof dir, "%s", argv[2]);
        return setup();
    }
    if (argc != 2) { fprintf(stderr, "usage: dropped [--setup] DIR\n"); return 2; }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    umask(022);
    result("setgroups(0)", setgroups(0, NULL));
    result("setresgid(65534)", setresgid(65534, 65534, 65534));
    result("setresuid(65534)", setresuid(65534, 65534, 65534));
    printf("%-40s %d/%d\n", "ids now", (int)geteuid(), (int)getegid());

    result("open /etc/shadow", open("/etc/shadow", O_RDONLY));
    result("access /etc/shadow R_OK", access("/etc/shadow", R_OK));
    result("open private/secret", open(at("private/secret"), O_RDONLY));
    struct stat st;
    result("stat private/secret", stat(at("private/secret"), &st));
    result("opendir private", opendir(at("private")) ? 0 : -1);
    result("chdir private", chdir(at("private")));
    result("create in private", open(at("private/new"), O_WRONLY | O_CREAT, 0644));
    result("mkdir in private", mkdir(at("private/d"), 0755));
    result("mkfifo in private", mkfifo(at("private/f"), 0644));
    result("symlink in private", symlink("x", at("private/l")));
    result("create in public", open(at("public/new"), O_WRONLY | O_CREAT, 0644));
    result("open public/rootfile O_RDONLY", open(at("public/rootfile"), O_RDONLY));
    result("open public/rootfile O_WRONLY", open(at("public/rootfile"), O_WRONLY));
    result("open public/ro O_RDWR", open(at("public/ro"), O_RDWR));
    result("open rootfile O_NOATIME", open(at("public/rootfile"), O_RDONLY | O_NOATIME));
    result("truncate rootfile", truncate(at("public/rootfile"), 0));
    result("chmod rootfile", chmod(at("public/rootfile"), 0666));
    result("chown rootfile to self", chown(at("public/rootfile"), 65534, 65534));
    result("utimes rootfile (now)", utimes(at("public/rootfile"), NULL));
    struct timeval tv[2] = {{1, 0}, {1, 0}};
    result("utimes rootfile (given)", utimes(at("public/rootfile"), tv));
    result("unlink rootfile", unlink(at("public/rootfile")));
    result("rename rootfile", rename(at("public/rootfile"), at("sticky/moved")));
    result("link rootfile (protected_hardlinks)", link(at("public/rootfile"), at("sticky/hard")));
    result("setxattr user.x rootfile", setxattr(at("public/rootfile"), "user.x", "1", 1, 0));
    result("unlink sticky/rootowned", unlink(at("sticky/rootowned")));
    int fd = open(at("sticky/mine"), O_WRONLY | O_CREAT | O_EXCL, 0640);
    result("create sticky/mine", fd);
    if (fd >= 0) close(fd);
    owner("owner of sticky/mine", at("sticky/mine"));
    result("mkdir sticky/mydir", mkdir(at("sticky/mydir"), 0750));
    owner("owner of sticky/mydir", at("sticky/mydir"));
    fd = open(at("setgid/mine"), O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd >= 0) close(fd);
    owner("owner of setgid/mine", at("setgid/mine"));
    result("chmod sticky/mine 4755", chmod(at("sticky/mine"), 04755));
    owner("mode of sticky/mine", at("sticky/mine"));
    result("chown sticky/mine to root", chown(at("sticky/mine"), 0, 0));
    result("unlink sticky/mine", unlink(at("sticky/mine")));
    result("rmdir sticky/mydir", rmdir(at("sticky/mydir")));
    unlink(at("setgid/mine"));
    printf("%-40s status %d\n", "exec /bin/true", run_true());
    return 0;
}
