/* Minimal freestanding helpers for fixtures built with -nostdlib: raw
 * syscalls and printing, so the program observes the kernel's (or
 * picorun's) process setup without any libc in between. */
#ifndef NOLIBC_H
#define NOLIBC_H

typedef unsigned long u64;
typedef long i64;

static inline i64 sys3(i64 n, i64 a, i64 b, i64 c) {
    i64 r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static inline u64 nl_strlen(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static inline void out(const char *s) { sys3(1, 1, (i64)s, (i64)nl_strlen(s)); }
static inline void out_hex(u64 v) {
    char b[19]; b[0] = '0'; b[1] = 'x';
    int n = 0; char t[16];
    do { t[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
    for (int i = 0; i < n; i++) b[2 + i] = t[n - 1 - i];
    b[2 + n] = 0;
    out(b);
}
static inline void out_dec(u64 v) {
    char t[21]; int n = 0;
    do { t[n++] = '0' + v % 10; v /= 10; } while (v);
    char b[21];
    for (int i = 0; i < n; i++) b[i] = t[n - 1 - i];
    b[n] = 0;
    out(b);
}
static inline __attribute__((noreturn)) void nl_exit(int code) {
    for (;;) sys3(231, code, 0, 0);
}
#endif
