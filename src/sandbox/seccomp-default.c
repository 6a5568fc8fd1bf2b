/* SPDX-License-Identifier: MIT */
#include "seccomp-default.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "base/macro.h"

/* Allowed unconditionally on every architecture: Docker's default allow-list without the
 * capability-gated entries, minus what Pincer denies on top (io_uring_*, ptrace,
 * process_vm_readv/writev). Names an architecture does not know are skipped by both
 * compilers. */
/* clang-format off */
static const char *const allow[] = {
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
        "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
        "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
        "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
        "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
        "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
        "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
        "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown",
        "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
        "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
        "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv",
        "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
        "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
        "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
        "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
        "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
        "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
        "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents",
        "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
        "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
        "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
        "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat",
        "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
        "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
        "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
        "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv",
        "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
        "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
        "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
        "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
        "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2",
        "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
        "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
        "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
        "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
        "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
        "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
        "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32",
        "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
        "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
        "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list",
        "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
        "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
        "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
        "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
        "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
        "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
        "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
        "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask",
        "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
        "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
};

/* Architecture-specific additions, with Docker's (Go) architecture names. */
static const char *const allow_x86[] = {"arch_prctl", "modify_ldt", NULL};
static const char *const arches_x86[] = {"amd64", "x32", "x86", "386", NULL};
static const char *const allow_arm[] = {"arm_fadvise64_64", "arm_sync_file_range",
                                        "sync_file_range2", "breakpoint", "cacheflush", "set_tls",
                                        NULL};
static const char *const arches_arm[] = {"arm", "arm64", NULL};
static const char *const allow_ppc[] = {"sync_file_range2", "swapcontext", NULL};
static const char *const arches_ppc[] = {"ppc64le", NULL};
static const char *const allow_s390[] = {"s390_pci_mmio_read", "s390_pci_mmio_write",
                                         "s390_runtime_instr", NULL};
static const char *const arches_s390[] = {"s390", "s390x", NULL};
static const char *const allow_riscv[] = {"riscv_flush_icache", NULL};
static const char *const arches_riscv[] = {"riscv64", NULL};
/* clang-format on */

static const struct {
        const char *const *names;
        const char *const *arches;
} allow_arch[] = {
        {allow_x86, arches_x86},   {allow_arm, arches_arm},     {allow_ppc, arches_ppc},
        {allow_s390, arches_s390}, {allow_riscv, arches_riscv},
};

/* personality(2) values Docker allows: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32,
 * and the query 0xffffffff. */
static const uint64_t personality[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* Docker's archMap: each native architecture with the compat ones its kernel also runs. */
static const struct {
        const char *arch;
        const char *sub[3];
} arch_map[] = {
        {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL}},
        {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM", NULL}},
        {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390", NULL}},
};

static json_t *strv(const char *const *v)
{
        json_t *a = json_array();
        for (; *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static json_t *arg(unsigned index, uint64_t value, uint64_t value_two, const char *op)
{
        return json_pack("{s:I,s:I,s:I,s:s}", "index", (json_int_t) index, "value",
                         (json_int_t) value, "valueTwo", (json_int_t) value_two, "op", op);
}

/* One syscalls[] entry allowing name when its single argument condition holds. */
static json_t *allow_if(const char *name, json_t *cond)
{
        return json_pack("{s:[s],s:s,s:[o]}", "names", name, "action", "SCMP_ACT_ALLOW", "args",
                         cond);
}

json_t *pc_seccomp_default_profile(void)
{
        json_t *syscalls = json_array(), *names = json_array(), *map = json_array(), *e;

        for (size_t i = 0; i < ELEMENTSOF(allow); i++)
                json_array_append_new(names, json_string(allow[i]));
        json_array_append_new(syscalls,
                              json_pack("{s:o,s:s}", "names", names, "action", "SCMP_ACT_ALLOW"));
        for (size_t i = 0; i < ELEMENTSOF(allow_arch); i++)
                json_array_append_new(syscalls, json_pack("{s:o,s:s,s:{s:o}}", "names",
                                                          strv(allow_arch[i].names), "action",
                                                          "SCMP_ACT_ALLOW", "includes", "arches",
                                                          strv(allow_arch[i].arches)));

        /* socket: every family but AF_VSOCK (a path to the hypervisor). */
        json_array_append_new(syscalls, allow_if("socket", arg(0, AF_VSOCK, 0, "SCMP_CMP_NE")));

        for (size_t i = 0; i < ELEMENTSOF(personality); i++)
                json_array_append_new(syscalls, allow_if("personality",
                                                         arg(0, personality[i], 0, "SCMP_CMP_EQ")));

        /* clone without any namespace flag; s390 swaps the first two arguments. */
        e = allow_if("clone", arg(0, PC_SECCOMP_CLONE_NS_MASK, 0, "SCMP_CMP_MASKED_EQ"));
        json_object_set_new(e, "excludes", json_pack("{s:[s,s]}", "arches", "s390", "s390x"));
        json_array_append_new(syscalls, e);
        e = allow_if("clone", arg(1, PC_SECCOMP_CLONE_NS_MASK, 0, "SCMP_CMP_MASKED_EQ"));
        json_object_set_new(e, "includes", json_pack("{s:[s,s]}", "arches", "s390", "s390x"));
        json_array_append_new(syscalls, e);

        /* clone3 passes its flags in memory, out of the filter's reach: ENOSYS makes libc fall
         * back to clone. */
        json_array_append_new(syscalls, json_pack("{s:[s],s:s,s:i}", "names", "clone3", "action",
                                                  "SCMP_ACT_ERRNO", "errnoRet", ENOSYS));

        /* ioctl unless the low 32 bits of the request are TIOCSTI (the kernel truncates the
         * request to unsigned int, so a 64-bit "!=" could be bypassed with high bits): one
         * rule per bit, each allowing the requests whose bit differs from TIOCSTI's. */
        for (unsigned bit = 0; bit < 32; bit++) {
                uint64_t m = UINT64_C(1) << bit;
                json_array_append_new(syscalls,
                                      allow_if("ioctl", arg(1, m, (~(uint64_t) TIOCSTI) & m,
                                                            "SCMP_CMP_MASKED_EQ")));
        }

        for (size_t i = 0; i < ELEMENTSOF(arch_map); i++)
                json_array_append_new(map, json_pack("{s:s,s:o}", "architecture", arch_map[i].arch,
                                                     "subArchitectures", strv(arch_map[i].sub)));

        return json_pack("{s:s,s:i,s:o,s:o}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet",
                         EPERM, "archMap", map, "syscalls", syscalls);
}

char *pc_seccomp_default_profile_json(void)
{
        json_t *p = pc_seccomp_default_profile();
        char *s = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        if (!s)
                abort(); /* only allocation fails here */
        return s;
}
