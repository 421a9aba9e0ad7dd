# picorun's loader stub.
#
# The supervisor execs this tiny program in place of the guest (so the kernel
# gives it a fresh address space and a stack sized for the guest's argv and
# envp), then, at the exec stop, writes a script of syscalls below the stack
# and points %rbx at it. The stub runs the script without any ptrace stop,
# except for the openat of each ELF file, which the supervisor checks, and the
# final trapped syscall, at which the supervisor unmaps the stub and starts
# the guest at its entry point with the registers the kernel would give it.
#
# A record is 8 quadwords:
#   [0] syscall number, or OP_END (-1), or OP_ZERO (-2)
#   [1..6] arguments (rdi rsi rdx r10 r8 r9); for OP_ZERO: address, length
#   [7] flags: bit 0 saves the result in %r15 (an fd just opened);
#              bit k+1 (k = 0..5) replaces argument k with %r15;
#              bit 7: a failure is no reason to stop (naming the process).
#
# The stub tells the supervisor it is done, or which record failed, with
# kill(0, 0) and a marker in %r8: a call picorun always traps, that the
# supervisor never lets run, and that the program's own seccomp filter
# (inherited across the exec, and judging the stub's calls too) allows in
# every sandbox profile we know of, where a number above Linux's is not.
#
# Assemble with scripts/stub/gen-stub.sh, which regenerates
# Sources/PicoCore/Loader/StubCode.swift. Keep this file position-independent.

    .intel_syntax noprefix
    .set OP_END, -1
    .set OP_ZERO, -2
    .set MARK_DONE, 0x1f1c0001
    .set MARK_FAIL, 0x1f1c0002
    .set SYS_kill, 62
    .set SYS_exit_group, 231

    .text
    .globl _start
_start:
    test rbx, rbx
    jz .Lorphan
.Lloop:
    mov rax, [rbx]
    cmp rax, OP_END
    je .Ldone
    cmp rax, OP_ZERO
    je .Lzero
    mov rdi, [rbx + 8]
    mov rsi, [rbx + 16]
    mov rdx, [rbx + 24]
    mov r10, [rbx + 32]
    mov r8,  [rbx + 40]
    mov r9,  [rbx + 48]
    mov r11, [rbx + 56]
    test r11, 2
    cmovnz rdi, r15
    test r11, 4
    cmovnz rsi, r15
    test r11, 8
    cmovnz rdx, r15
    test r11, 16
    cmovnz r10, r15
    test r11, 32
    cmovnz r8, r15
    test r11, 64
    cmovnz r9, r15
    syscall
    cmp rax, -4095
    jb .Lok
    test qword ptr [rbx + 56], 128
    jz .Lfail
    jmp .Lnext
.Lok:
    test qword ptr [rbx + 56], 1
    cmovnz r15, rax
.Lnext:
    add rbx, 64
    jmp .Lloop
.Lzero:
    mov rdi, [rbx + 8]
    mov rcx, [rbx + 16]
    xor eax, eax
    rep stosb
    add rbx, 64
    jmp .Lloop
.Lfail:
    # Tell the supervisor which record failed and why; it reports and kills us.
    mov rdx, rax
    mov r10, rbx
    xor edi, edi
    xor esi, esi
    mov r8d, MARK_FAIL
    mov eax, SYS_kill
    syscall
    jmp .Lorphan
.Ldone:
    # The supervisor turns this call into munmap(stub) and returns into the guest.
    xor edi, edi
    xor esi, esi
    mov r8d, MARK_DONE
    mov eax, SYS_kill
    syscall
.Lorphan:
    # Run without a supervisor: there is nothing to load.
    mov eax, SYS_exit_group
    mov edi, 127
    syscall
    hlt
