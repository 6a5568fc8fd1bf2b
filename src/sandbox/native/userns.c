/* SPDX-License-Identifier: MIT */
/*
 * The user namespace of a sandbox with sandbox.native.userns (design notes P4, P5, P11).
 *
 * A user namespace is an object with maps, not a process: a short-lived child unshares one
 * and waits; this process, privileged in the host's namespace, writes the child's uid_map and
 * gid_map directly (no newuidmap, no "setgroups deny": setgroups stays allowed, so each exec
 * can drop its supplementary groups), opens /proc/<child>/ns/user and lets the child go. The
 * fd keeps the namespace alive: the sandbox's middle process setns()es into it, and the same
 * fd idmaps the host-side mounts (mount.c), so the map of the mounts is the sandbox's.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "native-internal.h"

static int write_map(pid_t pid, const char *file, PcError *reterr)
{
        char path[64], map[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        int n = snprintf(map, sizeof(map), "0 %" PRIu32 " %" PRIu32 "\n", PC_NATIVE_USERNS_BASE,
                         PC_NATIVE_USERNS_COUNT);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, map, (size_t) n) != n)
                return pc_error_set(reterr, -errno ?: -EIO, "writing the user namespace's %s: %s",
                                    file, strerror(errno ?: EIO));
        return 0;
}

int pc__native_userns_new(int *ret_fd, PcError *reterr)
{
        int ready[2], hold[2];
        if (pipe2(ready, O_CLOEXEC) < 0)
                return pc_error_set(reterr, -errno, "pipe: %s", strerror(errno));
        if (pipe2(hold, O_CLOEXEC) < 0) {
                int r = -errno;
                close(ready[0]);
                close(ready[1]);
                return pc_error_set(reterr, r, "pipe: %s", strerror(-r));
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(ready[0]);
                close(hold[1]);
                int32_t res = unshare(CLONE_NEWUSER) < 0 ? -errno : 0;
                (void) !write(ready[1], &res, sizeof(res));
                char c;
                (void) !read(hold[0], &c, 1); /* until the parent is done with us */
                _exit(0);
        }
        int r = pid < 0 ? -errno : 0;
        close(ready[1]);
        close(hold[0]);
        int32_t res = -EIO;
        if (r == 0 && read(ready[0], &res, sizeof(res)) != (ssize_t) sizeof(res))
                res = -EIO;
        close(ready[0]);
        if (r < 0)
                pc_error_set(reterr, r, "fork: %s", strerror(-r));
        else if (res < 0)
                r = pc_error_set(reterr, res,
                                 "cannot create a user namespace: %s. Hint: the kernel must "
                                 "allow user namespaces (user.max_user_namespaces > 0), or set "
                                 "sandbox.native.userns to false",
                                 strerror(-res));
        else if ((r = write_map(pid, "uid_map", reterr)) >= 0 &&
                 (r = write_map(pid, "gid_map", reterr)) >= 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = pc_error_set(reterr, -errno, "open '%s': %s", path, strerror(errno));
                else
                        *ret_fd = fd;
        }
        close(hold[1]);
        if (pid > 0)
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        return r;
}

static int check_file(const char *path, PcError *reterr)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return 0; /* no delegations */
        size_t len = 0;
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && len < 16u * 1024 * 1024) {
                text = xrealloc(text, len + n + 1);
                memcpy(text + len, buf, n);
                len += n;
                text[len] = '\0';
        }
        size_t line =
                text ? pc_native_subid_overlap(text, PC_NATIVE_USERNS_BASE, PC_NATIVE_USERNS_COUNT)
                     : 0;
        if (line)
                return pc_error_set(reterr, -EADDRINUSE,
                                    "%s line %zu delegates host ids in %" PRIu32 "-%" PRIu32
                                    ", the range sandbox.native.userns maps sandbox ids to: "
                                    "its owner's containers could reach the sandboxes' "
                                    "processes and files. Hint: move that delegation, or set "
                                    "sandbox.native.userns to false",
                                    path, line, PC_NATIVE_USERNS_BASE,
                                    PC_NATIVE_USERNS_BASE + PC_NATIVE_USERNS_COUNT - 1);
        return 0;
}

int pc__native_userns_check_host(PcError *reterr)
{
        int r = check_file("/etc/subuid", reterr);
        if (r >= 0)
                r = check_file("/etc/subgid", reterr);
        return r;
}
