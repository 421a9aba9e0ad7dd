/* Prints argv and the FX_* environment variables, as main() sees them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=[%s] len=%zu\n", i, argv[i], strlen(argv[i]));
    int fx = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "FX_", 3) == 0) { printf("env %s\n", *e); fx++; }
    printf("FX vars=%d getenv(FX_ONE)=%s\n", fx, getenv("FX_ONE") ? getenv("FX_ONE") : "(null)");
    return argc - 1;
}
