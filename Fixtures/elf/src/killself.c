/* Dies the way argv[1] says: segv, abort, kill, term, fpe. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *how = argc > 1 ? argv[1] : "segv";
    printf("dying by %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "segv")) *(volatile int *)16 = 0;
    if (!strcmp(how, "abort")) abort();
    if (!strcmp(how, "kill")) kill(getpid(), SIGKILL);
    if (!strcmp(how, "term")) raise(SIGTERM);
    if (!strcmp(how, "fpe")) { volatile int z = 0; printf("%d\n", 1 / z); }
    return 1;
}
