/* The smallest libc program: one line on stdout, exit 0. */
#include <stdio.h>

int main(void) {
    printf("hello from a static binary\n");
    return 0;
}
