/* File capabilities at exec, asked without libcap:
 *   filecaps --set FILE   gives FILE cap_net_raw+ep (security.capability, revision 2)
 *   filecaps              prints its own effective/permitted/inheritable sets (capget) */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--set") == 0) {
        /* struct vfs_cap_data: magic_etc (VFS_CAP_REVISION_2 | effective), then {permitted, inheritable} x 2 */
        uint32_t data[5] = {0x02000000u | 1u, 1u << 13, 0, 0, 0};
        if (setxattr(argv[2], "security.capability", data, sizeof data, 0) != 0) {
            printf("setxattr: %s\n", strerrorname_np(errno));
            return 1;
        }
        return 0;
    }
    struct { uint32_t version; int pid; } header = {0x20080522, 0};
    struct { uint32_t effective, permitted, inheritable; } sets[2];
    if (syscall(SYS_capget, &header, sets) != 0) { printf("capget: %s\n", strerrorname_np(errno)); return 1; }
    printf("uid %d euid %d effective %08x%08x permitted %08x%08x inheritable %08x%08x\n", (int)getuid(), (int)geteuid(),
           sets[1].effective, sets[0].effective, sets[1].permitted, sets[0].permitted, sets[1].inheritable, sets[0].inheritable);
    return 0;
}
