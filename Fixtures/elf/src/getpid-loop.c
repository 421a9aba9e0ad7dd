/* The benchmark of a pure passthrough syscall: N raw getpid calls
 * (default 1,000,000). Prints nothing but a checksum line. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    long sum = 0;
    long me = syscall(SYS_getpid);
    for (long i = 1; i < n; i++) sum += syscall(SYS_getpid) == me;
    sum++;
    printf("%ld getpid calls, %ld consistent\n", n, sum);
    return sum == n ? 0 : 1;
}
