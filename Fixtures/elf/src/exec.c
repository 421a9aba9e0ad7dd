/* exec in all its forms: vfork+execve, posix_spawn, execveat(AT_EMPTY_PATH),
 * a #! script with an argument, exec from a non-main thread, failed execs
 * that return to the caller, and O_CLOEXEC. argv[1] is the fixtures dir. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char dir[4096];

static int wait_code(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *path(const char *name) {
    static char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static void try_exec(const char *what, const char *file, char **args) {
    errno = 0;
    int r = execve(file, args, environ);
    int e = errno;
    printf("%s: %d %s\n", what, r, strerrorname_np(e));
}

static void *thread_exec(void *arg) {
    (void)arg;
    char *args[] = {"exitcode", "23", NULL};
    execve(path("exitcode"), args, environ);
    _exit(99);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) { fprintf(stderr, "usage: exec FIXTURES_DIR\n"); return 2; }
    snprintf(dir, sizeof dir, "%s", argv[1]);

    pid_t pid = vfork();
    if (pid == 0) {
        char *args[] = {"exitcode", "11", NULL};
        execve(path("exitcode"), args, environ);
        _exit(98);
    }
    printf("vfork+execve: %d\n", wait_code(pid));

    char *sargs[] = {"exitcode", "12", NULL};
    /* Print only after the child is gone: its own output must come first. */
    int spawned = posix_spawn(&pid, path("exitcode"), NULL, NULL, sargs, environ);
    int code = wait_code(pid);
    printf("posix_spawn: %d %d\n", spawned, code);

    pid = fork();
    if (pid == 0) {
        int fd = open(path("exitcode"), O_RDONLY | O_CLOEXEC);
        char *args[] = {"exitcode", "13", NULL};
        syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
        _exit(97);
    }
    printf("execveat AT_EMPTY_PATH: %d\n", wait_code(pid));

    pid = fork();
    if (pid == 0) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        char *args[] = {"exitcode", "14", NULL};
        syscall(SYS_execveat, dfd, "exitcode", args, environ, 0);
        _exit(96);
    }
    printf("execveat dirfd-relative: %d\n", wait_code(pid));

    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, thread_exec, NULL);
        pthread_join(t, NULL);
        _exit(95);
    }
    printf("exec from a thread: %d\n", wait_code(pid));

    char script[] = "/tmp/picorun-exec-script-XXXXXX";
    int sfd = mkstemp(script);
    dprintf(sfd, "#!/bin/sh -e\necho \"script got: $# args: $*\"\nexit 15\n");
    fchmod(sfd, 0755);
    close(sfd);
    pid = fork();
    if (pid == 0) {
        char *args[] = {"ignored-argv0", "one", "two three", NULL};
        execve(script, args, environ);
        _exit(94);
    }
    printf("script: %d\n", wait_code(pid));
    unlink(script);

    char *none[] = {"x", NULL};
    try_exec("missing", "/nonexistent/prog", none);
    try_exec("directory", "/tmp", none);
    char text[] = "/tmp/picorun-exec-text-XXXXXX";
    int tfd = mkstemp(text);
    dprintf(tfd, "\x01\x02 not a program\n");
    fchmod(tfd, 0755);
    close(tfd);
    try_exec("not executable format", text, none);
    chmod(text, 0644);
    try_exec("no x permission", text, none);
    unlink(text);
    try_exec("bad pointer", (const char *)(uintptr_t)8, none);
    printf("still running after failed execs\n");

    int keep = open("/dev/null", O_RDONLY);
    int drop = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char k[16], d[16];
    snprintf(k, sizeof k, "%d", keep);
    snprintf(d, sizeof d, "%d", drop);
    pid = fork();
    if (pid == 0) {
        char *args[] = {"fdcheck", k, d, NULL};
        execve(path("fdcheck"), args, environ);
        _exit(93);
    }
    printf("fdcheck: %d\n", wait_code(pid));
    return 0;
}
