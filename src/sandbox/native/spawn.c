/* SPDX-License-Identifier: MIT */
/*
 * Starting a native sandbox's pid 1:
 *
 *   caller: [creates and maps the user namespace (userns.c)], opens the mount sources
 *           (mount.c: detached mounts, idmapped with that namespace)
 *   caller: opens the cgroup files (cgroup.h, PcCgroupJoin)
 *   caller ── fork ──► middle: stdio → /dev/null, setsid, join the v1 cgroups ("0" into
 *                      their tasks files), [with a user namespace: a child born in the
 *                      cgroup2 group takes over (from inside the namespace the host's
 *                      cgroupfs is not writable, P11), setns into it and becomes its uid/gid
 *                      0], unshare(mnt|pid|net|uts|ipc) (owned by the user namespace when
 *                      there is one),
 *                      fork (clone3 into the cgroup2 group) ──► pid 1: close every inherited
 *                      fd but its own, build the root (mount.c), lo up, report "ready" on a
 *                      pipe, serve (init.c)
 *                      middle: reports pid 1's host pid on a pipe, _exit(0)
 *   caller: reaps middle, reads the pid, waits for "ready" (or the step that failed)
 *
 * No cgroup.procs write on the way (each one takes the kernel's global threadgroup lock
 * and, after a quiet spell, waits for an RCU grace period: 5-15 ms here), unless the kernel
 * refuses clone3 (cgroup.h). Fork-style processes everywhere (no clone with a custom stack,
 * P12; clone3 only in the single-threaded middle), so glibc and the sanitizers see ordinary
 * processes. pid 1's parent becomes the host's init (or subreaper): the sandbox
 * outlives the process that created it. The control socket is bound on the host path before
 * anything moves, and pid 1 keeps the listening fd.
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "native-internal.h"

typedef struct Ready {
        int32_t err; /* 0 = ready */
        char msg[240];
} Ready;

/* Closes every fd >= 3 except keep[0..n). */
static void close_all_but(const int *keep, size_t n)
{
        int lo = 3;
        for (;;) {
                int next = -1;
                for (size_t i = 0; i < n; i++)
                        if (keep[i] >= lo && (next < 0 || keep[i] < next))
                                next = keep[i];
                if (next < 0) {
                        (void) syscall(SYS_close_range, (unsigned) lo, ~0u, 0u);
                        return;
                }
                if (next > lo)
                        (void) syscall(SYS_close_range, (unsigned) lo, (unsigned) next - 1, 0u);
                lo = next + 1;
        }
}

/* The middle process and pid 1 are forked from the gateway without an exec, so the memory
 * that /proc/<pid>/environ (and `ps e`) shows is still the gateway's environment block,
 * PINCER_GATEWAY_TOKEN and every secret the config's ${VAR} references included, for as long
 * as the sandbox lives (after the gateway restarted with a new token too). Neither needs an
 * environment (commands get exactly the one requested), so the block is zeroed: its bounds
 * are fields 50 and 51 of /proc/self/stat (env_start, env_end). Best effort. */
static void wipe_inherited_environ(void)
{
        char buf[2048];
        int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return;
        buf[n] = '\0';
        char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
        if (!p)
                return;
        unsigned long long v[2] = {0, 0};
        for (int field = 2; p && field < 51; field++) { /* p is at the end of field `field` */
                p = strchr(p + 1, ' ');
                if (p && field + 1 >= 50)
                        v[field + 1 - 50] = strtoull(p + 1, NULL, 10);
        }
        if (p && v[0] && v[1] > v[0] && v[1] - v[0] < (1u << 24))
                memset((void *) (uintptr_t) v[0], 0, (size_t) (v[1] - v[0]));
}

/* AppArmor's "change profile on exec" for every command pid 1 starts: the attribute is
 * copied by fork and applied by each command's execve. */
static int apparmor_onexec(const char *profile)
{
        int fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        char buf[512];
        int n = snprintf(buf, sizeof(buf), "exec %s", profile);
        int r = 0;
        if (n <= 0 || (size_t) n >= sizeof(buf))
                r = -ENAMETOOLONG;
        else if (write(fd, buf, (size_t) n) != n)
                r = -errno;
        close(fd);
        return r;
}

static _noreturn_ void pid1(const PcNativeInit *init, PcNativeSources *src, int *keep,
                            size_t n_keep, int ready_fd)
{
        /* Named before "ready": the backend recognises its pid 1 by this name. */
        (void) prctl(PR_SET_NAME, PC_NATIVE_INIT_COMM, 0, 0, 0);
        close_all_but(keep, n_keep);
        Ready rd = {};
        int r = pc__native_setup_root(init, src, rd.msg, sizeof(rd.msg));
        /* Nothing of the host stays open in pid 1. */
        close(src->run_dir_fd);
        close(src->lower_fd);
        for (size_t i = 0; i < src->n; i++)
                if (src->fds[i] >= 0)
                        close(src->fds[i]);
        if (r == 0) {
                r = pc__native_loopback_up();
                if (r < 0)
                        snprintf(rd.msg, sizeof(rd.msg), "bring lo up");
        }
        if (r == 0 && init->plan->apparmor_profile) {
                r = apparmor_onexec(init->plan->apparmor_profile);
                if (r < 0)
                        snprintf(rd.msg, sizeof(rd.msg), "apply apparmorProfile '%s'",
                                 init->plan->apparmor_profile);
        }
        rd.err = r;
        (void) !write(ready_fd, &rd, sizeof(rd));
        if (r < 0)
                _exit(1);
        close(ready_fd);
        pc__native_init_main(init, keep[0]);
}

static int bind_control(const char *run_dir, PcError *reterr)
{
        _cleanup_close_ int dfd = open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return pc_error_set(reterr, -errno, "open '%s': %s", run_dir, strerror(errno));
        (void) unlinkat(dfd, PC_NATIVE_CONTROL_SOCK, 0);
        struct sockaddr_un sa;
        unsigned len;
        int r = pc__native_control_addr(dfd, &sa, &len);
        if (r < 0)
                return pc_error_set(reterr, r, "control socket path: %s", strerror(-r));
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return pc_error_set(reterr, -errno, "socket: %s", strerror(errno));
        if (bind(fd, (struct sockaddr *) &sa, len) < 0 || listen(fd, 64) < 0) {
                r = -errno;
                close(fd);
                return pc_error_set(reterr, r, "bind '%s/%s': %s", run_dir, PC_NATIVE_CONTROL_SOCK,
                                    strerror(-r));
        }
        (void) fchmodat(dfd, PC_NATIVE_CONTROL_SOCK, 0600, 0);
        return fd;
}

enum { STEP_CGROUP = 1, STEP_USERNS, STEP_CHDIR, STEP_UNSHARE, STEP_FORK };

/* In the middle process, with a user namespace: enter it and become its root (its uid 0 is
 * the host's PC_NATIVE_USERNS_BASE), with no supplementary groups (they are not mapped). */
static int enter_userns(int userns_fd)
{
        if (setns(userns_fd, CLONE_NEWUSER) < 0 || setgroups(0, NULL) < 0 ||
            setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return -errno;
        return 0;
}

/* The middle process (single-threaded, a fork of the caller): joins the cgroups, enters the
 * namespaces and forks pid 1. Returns what fork() does (0 in pid 1), or -errno and the step
 * that failed. */
static pid_t middle(const PcCgroupJoin *join, int userns_fd, int run_dir_fd, int *ret_step)
{
        bool in_v2 = join->v2_dir < 0; /* true: no cgroup2 group to be born in */
        int r = pc_cgroup_join_v1(join);
        if (r < 0) {
                *ret_step = STEP_CGROUP;
                return r;
        }
        if (userns_fd >= 0) {
                if (!in_v2) {
                        /* Inside the user namespace the host's cgroupfs is neither writable
                         * nor a place to clone into (P11): a child born in the cgroup2 group
                         * goes on from here, and this process only waits for it. */
                        pid_t inner = pc_cgroup_join_fork(join);
                        if (inner < 0) {
                                *ret_step = STEP_CGROUP;
                                return -errno;
                        }
                        if (inner > 0) {
                                while (waitpid(inner, NULL, 0) < 0 && errno == EINTR)
                                        ;
                                _exit(0);
                        }
                        in_v2 = true;
                }
                r = enter_userns(userns_fd);
                if (r < 0) {
                        *ret_step = STEP_USERNS;
                        return r;
                }
        }
        /* The cwd (the run dir, entered by fd: with a user namespace the path may not be
         * searchable) moves into the new mount namespace's copy with the unshare. */
        if (fchdir(run_dir_fd) < 0) {
                *ret_step = STEP_CHDIR;
                return -errno;
        }
        if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC) < 0) {
                *ret_step = STEP_UNSHARE;
                return -errno;
        }
        /* pid 1 is born in every group: nothing of the sandbox ever runs outside them. */
        *ret_step = STEP_FORK;
        pid_t child = in_v2 ? fork() : pc_cgroup_join_fork(join);
        return child < 0 ? -errno : child;
}

int pc__native_spawn(const PcNativeInit *init, const PcCgroupJoin *join, pid_t *ret_pid,
                     PcError *reterr)
{
        _cleanup_close_ int listen_fd = bind_control(init->run_dir, reterr);
        if (listen_fd < 0)
                return listen_fd;
        _cleanup_close_ int userns_fd = -1;
        if (init->plan->namespaces & PC_NATIVE_NS_USER) {
                int r = pc__native_userns_new(&userns_fd, reterr);
                if (r < 0)
                        return r;
        }
        _cleanup_(pc__native_sources_close)
                PcNativeSources src = {.run_dir_fd = -1, .lower_fd = -1};
        int r = pc__native_sources_open(init, userns_fd, &src, reterr);
        if (r < 0)
                return r;
        int ready[2], pidp[2];
        if (pipe2(ready, O_CLOEXEC) < 0)
                return pc_error_set(reterr, -errno, "pipe: %s", strerror(errno));
        if (pipe2(pidp, O_CLOEXEC) < 0) {
                r = -errno;
                close(ready[0]);
                close(ready[1]);
                return pc_error_set(reterr, r, "pipe: %s", strerror(-r));
        }
        _cleanup_close_ int ready_r = ready[0], pid_r = pidp[0];
        /* What pid 1 keeps (listen_fd first), gathered before the fork: no allocation after. */
        _cleanup_free_ int *keep = xcalloc(src.n + 4, sizeof(int));
        size_t n_keep = 0;
        keep[n_keep++] = listen_fd;
        keep[n_keep++] = ready[1];
        keep[n_keep++] = src.run_dir_fd;
        keep[n_keep++] = src.lower_fd;
        for (size_t i = 0; i < src.n; i++)
                if (src.fds[i] >= 0)
                        keep[n_keep++] = src.fds[i];
        pid_t mid = fork();
        if (mid < 0) {
                r = -errno;
                close(ready[1]);
                close(pidp[1]);
                return pc_error_set(reterr, r, "fork: %s", strerror(-r));
        }
        if (mid == 0) {
                /* stdin and stdout: /dev/null; stderr: <run dir>/init.log, where only a
                 * sanitizer or libc abort would ever write (pid 1 does not log). */
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                for (int i = 0; i < 2 && null >= 0; i++)
                        (void) dup2(null, i);
                char logp[4096];
                snprintf(logp, sizeof(logp), "%s/init.log", init->run_dir);
                int log = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
                (void) dup2(log >= 0 ? log : null, 2);
                (void) setsid();
                wipe_inherited_environ();
                int step = 0;
                pid_t child = middle(join, userns_fd, src.run_dir_fd, &step);
                if (child == 0) {
                        close(pidp[1]);
                        pid1(init, &src, keep, n_keep, ready[1]);
                }
                int32_t res[2] = {child, step}; /* pid or -errno, step */
                (void) !write(pidp[1], res, sizeof(res));
                _exit(0);
        }
        close(ready[1]);
        close(pidp[1]);
        while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
                ;
        int32_t res[2] = {};
        if (read(pid_r, res, sizeof(res)) != (ssize_t) sizeof(res))
                return pc_error_set(reterr, -EIO, "starting the sandbox failed");
        pid_t pid = res[0];
        if (pid < 0) {
                static const char *const steps[] = {"",
                                                    "joining the cgroups",
                                                    "entering the user namespace",
                                                    "entering the run dir",
                                                    "unshare",
                                                    "fork"};
                return pc_error_set(reterr, pid, "%s: %s",
                                    steps[res[1] >= 0 && res[1] <= STEP_FORK ? res[1] : 0],
                                    strerror(-pid));
        }
        Ready rd = {};
        struct pollfd p = {.fd = ready_r, .events = POLLIN};
        int n = poll(&p, 1, 30000);
        ssize_t got = n > 0 ? read(ready_r, &rd, sizeof(rd)) : -1;
        if (got != (ssize_t) sizeof(rd) || rd.err < 0) {
                (void) kill(pid, SIGKILL);
                if (got != (ssize_t) sizeof(rd))
                        return pc_error_set(reterr, -EIO, "the sandbox's init died during setup");
                rd.msg[sizeof(rd.msg) - 1] = '\0';
                return pc_error_set(reterr, rd.err, "sandbox setup: %s: %s", rd.msg,
                                    strerror(-rd.err));
        }
        *ret_pid = pid;
        return 0;
}
