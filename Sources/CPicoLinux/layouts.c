// The structs CPicoLinux.h restates from kernel headers that clash with
// glibc's, checked against those headers at build time: a kernel header
// that changed, or a field copied wrong, stops the build here instead of
// corrupting a syscall's arguments at run time. This file includes the
// kernel's <linux/ptrace.h>, which shim.c cannot (it needs <sys/ptrace.h>).
#include "CPicoLinux.h"

#include <stddef.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>

#define SAME_FIELD(ours, field, theirs, their_field) \
    _Static_assert(offsetof(struct ours, field) == offsetof(struct theirs, their_field) && \
                   sizeof(((struct ours *)0)->field) == sizeof(((struct theirs *)0)->their_field), \
                   #ours "." #field " is not laid out as " #theirs "." #their_field)

_Static_assert(sizeof(struct pico_notif) == sizeof(struct seccomp_notif), "pico_notif is not seccomp_notif's size");
SAME_FIELD(pico_notif, id, seccomp_notif, id);
SAME_FIELD(pico_notif, pid, seccomp_notif, pid);
SAME_FIELD(pico_notif, flags, seccomp_notif, flags);
SAME_FIELD(pico_notif, nr, seccomp_notif, data.nr);
SAME_FIELD(pico_notif, arch, seccomp_notif, data.arch);
SAME_FIELD(pico_notif, instruction_pointer, seccomp_notif, data.instruction_pointer);
SAME_FIELD(pico_notif, args, seccomp_notif, data.args);

// The kernel copies min(size, its own) bytes: ours must not be shorter.
_Static_assert(sizeof(struct pico_syscall_info) == sizeof(struct ptrace_syscall_info),
               "pico_syscall_info is not ptrace_syscall_info's size");
SAME_FIELD(pico_syscall_info, op, ptrace_syscall_info, op);
SAME_FIELD(pico_syscall_info, arch, ptrace_syscall_info, arch);
SAME_FIELD(pico_syscall_info, instruction_pointer, ptrace_syscall_info, instruction_pointer);
SAME_FIELD(pico_syscall_info, stack_pointer, ptrace_syscall_info, stack_pointer);
SAME_FIELD(pico_syscall_info, entry.nr, ptrace_syscall_info, entry.nr);
SAME_FIELD(pico_syscall_info, entry.args, ptrace_syscall_info, entry.args);
SAME_FIELD(pico_syscall_info, exit.rval, ptrace_syscall_info, exit.rval);
SAME_FIELD(pico_syscall_info, exit.is_error, ptrace_syscall_info, exit.is_error);
SAME_FIELD(pico_syscall_info, seccomp.nr, ptrace_syscall_info, seccomp.nr);
SAME_FIELD(pico_syscall_info, seccomp.args, ptrace_syscall_info, seccomp.args);
SAME_FIELD(pico_syscall_info, seccomp.ret_data, ptrace_syscall_info, seccomp.ret_data);
