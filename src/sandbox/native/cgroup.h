/* SPDX-License-Identifier: MIT */
/*
 * cgroups of native sandboxes: one group per sandbox, under a "pincer" parent, in every
 * hierarchy that holds a controller we limit with.
 *
 * The layout is detected once per process (pc_cgroup_mode()):
 *   unified  /sys/fs/cgroup is cgroup2: /sys/fs/cgroup/pincer/<name>; the pincer parent (and
 *            the root) get "+memory +pids +cpu" in cgroup.subtree_control.
 *   hybrid   v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified without them:
 *            limits in /sys/fs/cgroup/{memory,pids,cpu}/pincer/<name>, and a tracking group
 *            /sys/fs/cgroup/unified/pincer/<name> for cgroup.kill.
 *   legacy   v1 only: /sys/fs/cgroup/{memory,pids,cpu}/pincer/<name>.
 * The calling process (daemon or CLI) is never moved into any group.
 *
 * Primitives: every function returns 0 (or a count) or -errno; the operations a user sees
 * also fill reterr (may be NULL) naming the file or controller. Nothing logs.
 * A PcCgroup is a handle (paths only) owned by its creator; freeing it leaves the groups.
 * Not thread-safe beyond the once-only mode detection, which must first happen on one thread.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/macro.h"

typedef struct PcCgroupLimits {
        int64_t memory_bytes;      /* 0: unset */
        int64_t memory_swap_bytes; /* memory + swap, as Docker's memorySwap; -1 unlimited,
                                      0 unset */
        int64_t pids_max;          /* 0: unset */
        double cpus;               /* 0: unset; 1.5 = one and a half CPUs */
} PcCgroupLimits;

typedef struct PcCgroup PcCgroup;

/* "unified" | "hybrid" | "legacy" ("none" when no cgroup filesystem is mounted). */
const char *pc_cgroup_mode(void);

/* True for a valid sandbox name: 1..128 of [a-zA-Z0-9._-], not "." or "..". */
int pc_cgroup_name_valid(const char *name);

/*
 * Creates the groups of sandbox name (an existing group of that name is reused) and writes
 * the limits. A limit whose controller is missing is an error naming the controller
 * (-EOPNOTSUPP), never silently ignored. On error nothing created here is left behind.
 */
int pc_cgroup_create(const char *name, const PcCgroupLimits *lim, PcCgroup **ret, PcError *reterr);

/* Puts pid into every group of cg by writing it to each cgroup.procs. Each such write takes
 * the kernel's global cgroup_threadgroup_rwsem for writing, and the first one after a quiet
 * spell waits for an RCU grace period (5-15 ms on a busy 2-core host): sandbox creation uses
 * the PcCgroupJoin path below instead. */
int pc_cgroup_attach(PcCgroup *cg, pid_t pid, PcError *reterr);

/*
 * Joining from a forked child without that lock, for sandbox creation:
 *   - v1 groups: the single-threaded child writes "0" (itself) to each group's "tasks" file;
 *     the kernel migrates one thread that is the caller without the global lock;
 *   - the cgroup2 group: the child that must live in it is born there, by clone3() with
 *     CLONE_INTO_CGROUP (Linux 5.7), which takes the lock for reading only.
 * The parent opens every file before the fork, so the child allocates nothing.
 */
typedef struct PcCgroupJoin {
        int v1_tasks[3]; /* each v1 group's "tasks", O_WRONLY, or -1 */
        int v2_dir;      /* the cgroup2 group, O_RDONLY|O_DIRECTORY, or -1 */
        int v2_procs;    /* its cgroup.procs, O_WRONLY (the fallback), or -1 */
} PcCgroupJoin;

#define PC_CGROUP_JOIN_INIT                                                                        \
        {                                                                                          \
                .v1_tasks = {-1, -1, -1}, .v2_dir = -1, .v2_procs = -1                             \
        }

/* Opens the files of every group of cg (O_CLOEXEC). */
int pc_cgroup_join_open(PcCgroup *cg, PcCgroupJoin *ret, PcError *reterr);
void pc_cgroup_join_close(PcCgroupJoin *j);

/* In a single-threaded process (a fork()ed child): moves it into every v1 group. Does not
 * allocate. Returns 0 or -errno. */
int pc_cgroup_join_v1(const PcCgroupJoin *j);

/* In a single-threaded process: fork(), with the child born in the cgroup2 group (clone3
 * CLONE_INTO_CGROUP; the raw syscall skips glibc's fork handlers, hence single-threaded
 * callers only). Where the kernel refuses that (no clone3, a seccomp filter, an older
 * kernel), the caller moves itself into the group through cgroup.procs first and forks
 * plainly. Without a cgroup2 group: fork(). Returns what fork() returns, errno set on -1. */
pid_t pc_cgroup_join_fork(const PcCgroupJoin *j);

/* A handle on the existing groups of sandbox name (after a restart); -ENOENT when none. */
int pc_cgroup_open(const char *name, PcCgroup **ret, PcError *reterr);

/* Kills every process in the groups: cgroup.kill where the kernel has it, else SIGKILL to
 * every pid in cgroup.procs until they are empty (up to about 2 s; -EBUSY after). */
int pc_cgroup_kill(PcCgroup *cg, PcError *reterr);

/* Kills, then removes every group (retrying while tasks exit). 0 when they are already gone.
 * The handle stays valid (and must still be freed). */
int pc_cgroup_destroy(PcCgroup *cg, PcError *reterr);

/* Current usage. Any ret_* may be NULL. ret_mem_limit is UINT64_MAX without a limit; a value
 * whose controller is missing reads as 0. */
int pc_cgroup_stats(PcCgroup *cg, uint64_t *ret_mem, uint64_t *ret_mem_limit,
                    uint64_t *ret_cpu_usec, uint32_t *ret_pids);

/* Names of the pincer groups that exist in any hierarchy, sorted and unique, in a
 * NULL-terminated array the caller frees with pc_cgroup_names_free(). Returns the count. */
int pc_cgroup_list_stale(char ***ret_names);
char **pc_cgroup_names_free(char **names);

/* The name of sandbox group cg. */
const char *pc_cgroup_name(const PcCgroup *cg);

/* Tests only: use root instead of /sys/fs/cgroup (NULL: back to it) and detect the mode
 * again. Not thread-safe. */
void pc__cgroup_set_root(const char *root);

/* Frees the handle only; the groups stay. */
PcCgroup *pc_cgroup_free(PcCgroup *cg);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcCgroup *, pc_cgroup_free);
