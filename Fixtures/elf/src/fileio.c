/* File I/O in a private temporary directory: create, write, read, seek,
 * pread/pwrite, stat, truncate, rename, link, readdir, unlink. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void) {
    char dir[] = "/tmp/picorun-fileio-XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    if (chdir(dir) != 0) { perror("chdir"); return 1; }

    int fd = open("a.txt", O_CREAT | O_EXCL | O_RDWR, 0640);
    printf("open O_CREAT ok=%d\n", fd >= 0);
    printf("write=%zd\n", write(fd, "hello, file\n", 12));
    printf("lseek end=%ld\n", (long)lseek(fd, 0, SEEK_END));
    printf("pwrite=%zd\n", pwrite(fd, "HELLO", 5, 0));
    char buf[64] = {0};
    printf("pread=%zd [%.12s]\n", pread(fd, buf, sizeof buf, 0), buf);
    struct stat st;
    fstat(fd, &st);
    printf("fstat size=%ld mode=%o regular=%d nlink=%ld\n", (long)st.st_size, st.st_mode & 07777, S_ISREG(st.st_mode), (long)st.st_nlink);
    printf("ftruncate=%d\n", ftruncate(fd, 5));
    lseek(fd, 0, SEEK_SET);
    memset(buf, 0, sizeof buf);
    printf("read after truncate=%zd [%s]\n", read(fd, buf, sizeof buf), buf);
    int fd2 = dup(fd);
    printf("dup shares offset=%d\n", lseek(fd2, 0, SEEK_CUR) == lseek(fd, 0, SEEK_CUR));
    printf("fcntl cloexec=%d\n", fcntl(fd2, F_SETFD, FD_CLOEXEC) == 0 && (fcntl(fd2, F_GETFD) & FD_CLOEXEC));
    close(fd2);
    close(fd);

    printf("open missing errno=%s\n", open("missing", O_RDONLY) < 0 && errno == ENOENT ? "ENOENT" : "?");
    printf("O_EXCL again errno=%s\n", open("a.txt", O_CREAT | O_EXCL | O_RDWR, 0600) < 0 && errno == EEXIST ? "EEXIST" : "?");
    printf("mkdir=%d\n", mkdir("sub", 0755));
    printf("rename=%d\n", rename("a.txt", "sub/b.txt"));
    printf("link=%d\n", link("sub/b.txt", "c.txt"));
    printf("symlink=%d\n", symlink("sub/b.txt", "d.lnk"));
    char target[64] = {0};
    printf("readlink=%zd [%s]\n", readlink("d.lnk", target, sizeof target - 1), target);
    stat("c.txt", &st);
    printf("nlink after link=%ld\n", (long)st.st_nlink);

    DIR *d = opendir(".");
    char *names[16];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 16) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("entries:");
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");

    printf("rmdir non-empty errno=%s\n", rmdir("sub") < 0 && errno == ENOTEMPTY ? "ENOTEMPTY" : "?");
    printf("cleanup=%d\n", unlink("d.lnk") | unlink("c.txt") | unlink("sub/b.txt") | rmdir("sub"));
    chdir("/");
    printf("rmdir dir=%d\n", rmdir(dir));
    return 0;
}
