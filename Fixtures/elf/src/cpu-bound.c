/* The floor of picorun's overhead: pure computation, almost no syscalls.
 * Runs a xorshift-and-multiply hash over a buffer N times (default 4000). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 4000;
    static uint64_t buf[1 << 16];
    for (int i = 0; i < (1 << 16); i++) buf[i] = (uint64_t)i * 0x9e3779b97f4a7c15ull;
    uint64_t h = 0;
    for (long r = 0; r < rounds; r++)
        for (int i = 0; i < (1 << 16); i++) {
            h ^= buf[i] + r;
            h ^= h << 13; h ^= h >> 7; h ^= h << 17;
            buf[i] = h * 0xff51afd7ed558ccdull;
        }
    printf("hash %016llx\n", (unsigned long long)h);
    return 0;
}
