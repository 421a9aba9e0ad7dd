/* Calls syscalls the kernel reserves but does not implement; Linux and
 * picorun both answer ENOSYS (picorun counts them as unsupported). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(void) {
    long nrs[] = {134 /* uselib */, 156 /* _sysctl */, 174 /* create_module */, 236 /* vserver */};
    for (unsigned i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
        errno = 0;
        long r = syscall(nrs[i], 0, 0, 0);
        printf("syscall %ld = %ld errno=%s\n", nrs[i], r, errno == ENOSYS ? "ENOSYS" : strerror(errno));
    }
    errno = 0;
    long r = syscall(1000, 0);
    printf("syscall 1000 = %ld errno=%s\n", r, errno == ENOSYS ? "ENOSYS" : strerror(errno));
    return 0;
}
