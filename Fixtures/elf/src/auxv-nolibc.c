/* Prints what the initial stack says, straight from %rsp at _start: argc,
 * argv, the auxv keys in order and the values that are stable between two
 * native runs, and checks that the pointers the kernel gives are usable. */
#include "nolibc.h"

static int streq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }

__attribute__((used)) void start_c(u64 *sp) {
    u64 argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    out("rsp%16="); out_dec((u64)sp % 16); out("\n");
    out("argc="); out_dec(argc); out("\n");
    for (u64 i = 0; i < argc; i++) { out("argv["); out_dec(i); out("]="); out(argv[i]); out("\n"); }
    u64 envc = 0;
    while (envp[envc]) envc++;
    u64 *auxv = (u64 *)(envp + envc + 1);
    /* argv and envp strings are contiguous, in order, as the kernel lays them out. */
    int contiguous = 1;
    for (u64 i = 0; i + 1 < argc; i++) if (argv[i + 1] != argv[i] + nl_strlen(argv[i]) + 1) contiguous = 0;
    if (argc && envc && envp[0] != argv[argc - 1] + nl_strlen(argv[argc - 1]) + 1) contiguous = 0;
    out("strings contiguous="); out_dec(contiguous); out("\n");
    for (u64 i = 0; i < envc; i++) if (envp[i][0] == 'F' && envp[i][1] == 'X' && envp[i][2] == '_') { out("env "); out(envp[i]); out("\n"); }
    out("auxv keys:");
    for (u64 *a = auxv; a[0]; a += 2) { out(" "); out_dec(a[0]); }
    out("\n");
    extern char __ehdr_start[];
    extern void _start(void);
    for (u64 *a = auxv; a[0]; a += 2) {
        u64 k = a[0], v = a[1];
        switch (k) {
        case 3: out("AT_PHDR ok="); out_dec(v == (u64)__ehdr_start + ((u64 *)__ehdr_start)[4]); out("\n"); break;
        case 4: out("AT_PHENT="); out_dec(v); out("\n"); break;
        case 5: out("AT_PHNUM="); out_dec(v); out("\n"); break;
        case 6: out("AT_PAGESZ="); out_dec(v); out("\n"); break;
        case 7: out("AT_BASE="); out_hex(v); out("\n"); break;
        case 8: out("AT_FLAGS="); out_dec(v); out("\n"); break;
        case 9: out("AT_ENTRY ok="); out_dec(v == (u64)_start); out("\n"); break;
        case 11: out("AT_UID="); out_dec(v); out("\n"); break;
        case 12: out("AT_EUID="); out_dec(v); out("\n"); break;
        case 13: out("AT_GID="); out_dec(v); out("\n"); break;
        case 14: out("AT_EGID="); out_dec(v); out("\n"); break;
        case 15: out("AT_PLATFORM="); out((const char *)v); out("\n"); break;
        case 16: out("AT_HWCAP="); out_hex(v); out("\n"); break;
        case 17: out("AT_CLKTCK="); out_dec(v); out("\n"); break;
        case 23: out("AT_SECURE="); out_dec(v); out("\n"); break;
        case 25: { const unsigned char *r = (const unsigned char *)v; u64 x = 0; for (int i = 0; i < 16; i++) x |= r[i]; out("AT_RANDOM readable nonzero="); out_dec(x != 0); out("\n"); break; }
        case 26: out("AT_HWCAP2="); out_hex(v); out("\n"); break;
        case 31: out("AT_EXECFN="); out((const char *)v); out(" matches argv0="); out_dec(argc && streq((const char *)v, argv[0])); out("\n"); break;
        case 33: out("AT_SYSINFO_EHDR elf="); out_dec(((const char *)v)[1] == 'E' && ((const char *)v)[2] == 'L'); out("\n"); break;
        case 51: out("AT_MINSIGSTKSZ="); out_dec(v); out("\n"); break;
        default: break;
        }
    }
    nl_exit((int)argc);
}

__asm__(".text\n.globl _start\n_start:\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call start_c\n"
        "  hlt\n");
