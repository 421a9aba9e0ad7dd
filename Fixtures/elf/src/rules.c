/* The permission and attribute rules, asked of the syscalls: one line per
 * answer, in the same order and words as Fixtures/ninep/rules9p.py asks
 * them over 9P, so the two can be compared with each other and with a real
 * chroot. Run as the user being judged.
 * Usage: rules --setup DIR   (as root: the layout below)
 *        rules DIR UID GID   (as uid UID: the checks, on DIR/u-UID and DIR/s-UID)
 * For each user U of 0, 1 and 65534:
 * DIR/u-U      0777, files f-OWNER-MODE (OWNER 0, 1, 65534 with their own
 *              group; MODE 600 640 604 644 4755 2755 2745) and folders dd-OWNER (0755)
 * DIR/s-U      root 1777, files v-OWNER (0644) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static const unsigned users[] = {0, 1, 65534};
static const unsigned groups[] = {0, 1, 65534};
static const unsigned modes[] = {0600, 0640, 0604, 0644, 04755, 02755, 02745};

static void say(const char *op, const char *name, int r) {
    printf("%s %s %d\n", op, name, r < 0 ? errno : 0);
}

static int setup(const char *dir) {
    char p[4096];
    mkdir(dir, 0755);
    for (int u = 0; u < 3; u++) {
        snprintf(p, sizeof p, "%s/u-%u", dir, users[u]);
        if (mkdir(p, 0777) != 0 || chmod(p, 0777) != 0) { perror(p); return 1; }
        for (int o = 0; o < 3; o++) {
            for (int m = 0; m < 7; m++) {
                snprintf(p, sizeof p, "%s/u-%u/f-%u-%o", dir, users[u], users[o], modes[m]);
                int fd = open(p, O_CREAT | O_WRONLY, 0600);
                if (fd < 0 || fchown(fd, users[o], groups[o]) != 0 || fchmod(fd, modes[m]) != 0) { perror(p); return 1; }
                close(fd);
            }
            snprintf(p, sizeof p, "%s/u-%u/dd-%u", dir, users[u], users[o]);
            if (mkdir(p, 0755) != 0 || chown(p, users[o], groups[o]) != 0) { perror(p); return 1; }
        }
        snprintf(p, sizeof p, "%s/s-%u", dir, users[u]);
        if (mkdir(p, 0777) != 0 || chmod(p, 01777) != 0) { perror(p); return 1; }
        for (int o = 0; o < 3; o++) {
            snprintf(p, sizeof p, "%s/s-%u/v-%u", dir, users[u], users[o]);
            int fd = open(p, O_CREAT | O_WRONLY, 0644);
            if (fd < 0 || fchown(fd, users[o], groups[o]) != 0) { perror(p); return 1; }
            close(fd);
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--setup") == 0) return setup(argv[2]);
    if (argc != 4) { fprintf(stderr, "usage: rules --setup DIR | rules DIR UID GID\n"); return 2; }
    const char *dir = argv[1];
    unsigned uid = (unsigned)atoi(argv[2]), gid = (unsigned)atoi(argv[3]);
    char p[4096], name[64];
    for (int o = 0; o < 3; o++) {
        for (int m = 0; m < 7; m++) {
            snprintf(name, sizeof name, "f-%u-%o", users[o], modes[m]);
            snprintf(p, sizeof p, "%s/u-%u/%s", dir, uid, name);
            int how[] = {O_RDONLY, O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC};
            const char *what[] = {"open-r", "open-w", "open-rw", "open-trunc"};
            for (int i = 0; i < 4; i++) {
                int fd = open(p, how[i] | O_NOFOLLOW);
                say(what[i], name, fd);
                if (fd >= 0) close(fd);
            }
            say("xattr-user", name, setxattr(p, "user.rule", "1", 1, 0));
            say("xattr-trusted", name, setxattr(p, "trusted.rule", "1", 1, 0));
            struct stat st;
            stat(p, &st);
            say("chmod-sgid", name, chmod(p, (st.st_mode & 07777) | 02000));
            stat(p, &st);
            printf("mode %s %o\n", name, st.st_mode & 07777);
            say("chown-self", name, chown(p, uid, -1));
            say("chgrp-own", name, chown(p, -1, gid));
            say("chgrp-other", name, chown(p, -1, 4321));
            say("chown-other", name, chown(p, 4321, -1));
            stat(p, &st);
            printf("owner %s %u %u %o\n", name, st.st_uid, st.st_gid, st.st_mode & 07777);
        }
        snprintf(name, sizeof name, "dd-%u", users[o]);
        snprintf(p, sizeof p, "%s/u-%u/%s", dir, uid, name);
        int fd = open(p, O_WRONLY);
        say("open-dir-w", name, fd);
        if (fd >= 0) close(fd);
        snprintf(name, sizeof name, "v-%u", users[o]);
        snprintf(p, sizeof p, "%s/s-%u/%s", dir, uid, name);
        say("unlink-sticky", name, unlink(p));
    }
    return 0;
}
