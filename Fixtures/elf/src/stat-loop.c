/* The path-translation benchmark: N stat calls of one path (default
 * 200,000; path default /etc/passwd). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    const char *path = argc > 2 ? argv[2] : "/etc/passwd";
    struct stat st;
    long ok = 0;
    for (long i = 0; i < n; i++) ok += stat(path, &st) == 0;
    printf("%ld stat calls, %ld succeeded\n", n, ok);
    return ok == n ? 0 : 1;
}
