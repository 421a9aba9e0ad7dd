/* openat2(2) with RESOLVE_* flags, against a small tree in a temp dir:
 * which file each call opens, or its errno. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int dir;

static void try(const char *what, int at, const char *path, unsigned long long resolve, size_t size) {
    struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = resolve };
    int fd = (int)syscall(SYS_openat2, at, path, &how, size);
    if (fd < 0) { printf("%-40s %s\n", what, strerrorname_np(errno)); return; }
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
    printf("%-40s opened \"%s\"\n", what, n >= 0 ? buf : strerrorname_np(errno));
    close(fd);
}

static void put(const char *name, const char *content) {
    int fd = openat(dir, name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, content, strlen(content));
    close(fd);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char top[] = "/var/tmp/picorun-openat2-XXXXXX";
    if (!mkdtemp(top)) { perror("mkdtemp"); return 1; }
    char path[256];
    snprintf(path, sizeof path, "%s/root", top);
    mkdir(path, 0755);
    dir = open(path, O_DIRECTORY | O_RDONLY);
    int outside = open(top, O_DIRECTORY | O_RDONLY);
    int fd = openat(outside, "file", O_CREAT | O_WRONLY, 0644);
    write(fd, "outside\n", 8);
    close(fd);
    mkdirat(dir, "sub", 0755);
    put("file", "inside\n");
    put("sub/file", "inside-sub\n");
    symlinkat("/file", dir, "abs");
    symlinkat("../file", dir, "sub/up");
    symlinkat("../../file", dir, "escape");

    try("plain", dir, "sub/file", 0, sizeof(struct open_how));
    try("BENEATH sub/file", dir, "sub/file", RESOLVE_BENEATH, sizeof(struct open_how));
    try("BENEATH sub/../file", dir, "sub/../file", RESOLVE_BENEATH, sizeof(struct open_how));
    try("BENEATH sub/up (relative symlink)", dir, "sub/up", RESOLVE_BENEATH, sizeof(struct open_how));
    try("BENEATH ../file", dir, "../file", RESOLVE_BENEATH, sizeof(struct open_how));
    try("BENEATH /file", dir, "/file", RESOLVE_BENEATH, sizeof(struct open_how));
    try("BENEATH abs (absolute symlink)", dir, "abs", RESOLVE_BENEATH, sizeof(struct open_how));
    try("BENEATH escape (symlink climbing)", dir, "escape", RESOLVE_BENEATH, sizeof(struct open_how));
    try("IN_ROOT /file", dir, "/file", RESOLVE_IN_ROOT, sizeof(struct open_how));
    try("IN_ROOT ../../file", dir, "../../file", RESOLVE_IN_ROOT, sizeof(struct open_how));
    try("IN_ROOT abs (absolute symlink)", dir, "abs", RESOLVE_IN_ROOT, sizeof(struct open_how));
    try("IN_ROOT escape (symlink climbing)", dir, "escape", RESOLVE_IN_ROOT, sizeof(struct open_how));
    try("IN_ROOT /proc/self/status", dir, "/proc/self/status", RESOLVE_IN_ROOT, sizeof(struct open_how));
    try("NO_SYMLINKS sub/file", dir, "sub/file", RESOLVE_NO_SYMLINKS, sizeof(struct open_how));
    try("NO_SYMLINKS sub/up", dir, "sub/up", RESOLVE_NO_SYMLINKS, sizeof(struct open_how));
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d/file", dir);
    try("no flags /proc/self/fd/N/file", AT_FDCWD, self, 0, sizeof(struct open_how));
    try("NO_MAGICLINKS /proc/self/fd/N/file", AT_FDCWD, self, RESOLVE_NO_MAGICLINKS, sizeof(struct open_how));
    try("NO_XDEV sub/file", dir, "sub/file", RESOLVE_NO_XDEV, sizeof(struct open_how));
    try("NO_XDEV /proc/self/status", AT_FDCWD, "/proc/self/status", RESOLVE_NO_XDEV, sizeof(struct open_how));
    try("BENEATH|IN_ROOT", dir, "file", RESOLVE_BENEATH | RESOLVE_IN_ROOT, sizeof(struct open_how));
    try("unknown resolve bit", dir, "file", 1ULL << 40, sizeof(struct open_how));
    try("size too small", dir, "file", 0, 16);

    unlinkat(dir, "escape", 0);
    unlinkat(dir, "sub/up", 0);
    unlinkat(dir, "abs", 0);
    unlinkat(dir, "sub/file", 0);
    unlinkat(dir, "file", 0);
    unlinkat(dir, "sub", AT_REMOVEDIR);
    unlinkat(outside, "file", 0);
    unlinkat(outside, "root", AT_REMOVEDIR);
    rmdir(top);
    return 0;
}
