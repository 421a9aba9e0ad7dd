# No libc. Checks the process entry state the kernel promises: %rsp 16-byte
# aligned and pointing at argc, %rdx zero (no rtld_fini), a zeroed 1 MiB bss;
# prints one line per check and exits with argc.
    .intel_syntax noprefix
    .section .note.GNU-stack, "", @progbits
    .text
    .globl _start
_start:
    mov r12, rsp
    mov r13, rdx
    # rsp % 16 == 0
    test r12, 15
    lea rsi, [rip + ok_align]
    lea rax, [rip + bad_align]
    cmovnz rsi, rax
    call puts_line
    # rdx == 0
    test r13, r13
    lea rsi, [rip + ok_rdx]
    lea rax, [rip + bad_rdx]
    cmovnz rsi, rax
    call puts_line
    # argv[argc] == NULL
    mov rcx, [r12]
    mov rax, [r12 + 8 + rcx*8]
    test rax, rax
    lea rsi, [rip + ok_argv]
    lea rax, [rip + bad_argv]
    cmovnz rsi, rax
    call puts_line
    # the whole bss reads as zero
    lea rdi, [rip + big_bss]
    mov rcx, 1048576
    xor eax, eax
    repe scasb
    lea rsi, [rip + ok_bss]
    lea rax, [rip + bad_bss]
    cmovnz rsi, rax
    call puts_line
    mov eax, 231
    mov rdi, [r12]
    syscall
    hlt

# rsi = NUL-terminated string; writes it to stdout.
puts_line:
    mov rdx, rsi
1:  cmp byte ptr [rdx], 0
    je 2f
    inc rdx
    jmp 1b
2:  sub rdx, rsi
    mov eax, 1
    mov edi, 1
    syscall
    ret

    .section .rodata
ok_align:  .asciz "rsp 16-byte aligned at entry\n"
bad_align: .asciz "rsp NOT aligned at entry\n"
ok_rdx:    .asciz "rdx zero at entry\n"
bad_rdx:   .asciz "rdx NOT zero at entry\n"
ok_argv:   .asciz "argv NULL-terminated\n"
bad_argv:  .asciz "argv NOT NULL-terminated\n"
ok_bss:    .asciz "bss zeroed\n"
bad_bss:   .asciz "bss NOT zeroed\n"

    .bss
    .balign 4096
big_bss:
    .zero 1048576
