/* Prints whether each fd named in argv is open. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        int fd = atoi(argv[i]);
        printf("fd %s: %s\n", i == 1 ? "without O_CLOEXEC" : "with O_CLOEXEC", fcntl(fd, F_GETFD) >= 0 ? "open" : "closed");
    }
    return 0;
}
