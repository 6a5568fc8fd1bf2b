/* SPDX-License-Identifier: MIT */
/* The privilege drop of each exec (design notes section 6, steps 9-11). */
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "native-internal.h"

_no_sanitize_address_ int pc__native_drop_privileges(uint64_t keep, uid_t uid, gid_t gid)
{
        for (int c = 0; c < 64; c++) {
                if ((keep >> c) & 1)
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
                        if (errno == EINVAL) /* past the kernel's last capability */
                                break;
                        return -errno;
                }
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        /* Root keeping capabilities needs root's exec rules; everyone else gets them locked
         * off: no caps from uid 0, none kept across setuid, no ambient raise. */
        if (uid != 0 || keep == 0) {
                unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
                                     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                     SECBIT_NO_CAP_AMBIENT_RAISE |
                                     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
                if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
                        return -errno;
        }
        /* Raw system calls: they change this task only, which is what a CLONE_VM child of
         * pid 1 needs (glibc's wrappers would coordinate with threads of the parent's). */
        if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, gid, gid, gid) < 0 ||
            syscall(SYS_setresuid, uid, uid, uid) < 0)
                return -errno;
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2] = {};
        if (uid == 0) {
                struct __user_cap_data_struct cur[2] = {};
                if (syscall(SYS_capget, &h, cur) < 0)
                        return -errno;
                for (int i = 0; i < 2; i++) {
                        d[i].permitted = (uint32_t) (keep >> (32 * i)) & cur[i].permitted;
                        d[i].effective = d[i].permitted;
                        d[i].inheritable = d[i].permitted;
                }
        }
        if (syscall(SYS_capset, &h, d) < 0)
                return -errno;
        return 0;
}
