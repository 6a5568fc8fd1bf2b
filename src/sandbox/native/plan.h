/* SPDX-License-Identifier: MIT */
/*
 * The native backend's plan: a PcSandboxSpec turned into the exact list of things the
 * sandbox's setup does (namespaces, mounts in order, user, capabilities kept, rlimits, cgroup
 * limits, hostname, the content of /etc/resolv.conf and /etc/hosts, the base environment).
 *
 * PURE: no I/O, no host state. What depends on the host (the image's rootfs path, the numeric
 * uid of a user name, the current hard rlimits) is resolved later by the backend. The same
 * plan is printed by `pincer sandbox explain` (pc_native_plan_to_json) and executed by the
 * backend (spawn.c, mount.c, init.c), so what is shown is what runs.
 *
 * Owned by the caller of pc_native_plan_build(); free with pc_native_plan_free(). Not shared
 * between threads.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "sandbox/sandbox.h"

typedef enum PcNativeMountType {
        PC_NATIVE_MOUNT_BIND,  /* a host path (workspace, /agent, docker.binds) */
        PC_NATIVE_MOUNT_TMPFS, /* docker.tmpfs */
        PC_NATIVE_MOUNT_FILE,  /* a file the backend writes into the run dir (resolv.conf,
                                  hosts, hostname) and binds read-only */
        _PC_NATIVE_MOUNT_TYPE_MAX,
} PcNativeMountType;

/* Mount flags, independent of <sys/mount.h> so the plan stays plain data. */
#define PC_NATIVE_MNT_RDONLY (1u << 0)
#define PC_NATIVE_MNT_NOSUID (1u << 1)
#define PC_NATIVE_MNT_NODEV  (1u << 2)
#define PC_NATIVE_MNT_NOEXEC (1u << 3)

typedef struct PcNativeMount {
        PcNativeMountType type;
        char *source;     /* BIND: host path; FILE: the file name in the run dir; TMPFS: NULL */
        char *target;     /* absolute path inside the sandbox */
        unsigned flags;   /* PC_NATIVE_MNT_* */
        char *data;       /* TMPFS: the filesystem options left after the flags ("size=64m"),
                             or NULL */
        bool no_symlinks; /* BIND of a docker.binds entry: its source was resolved when the
                             spec was checked, so a symlink on the path now means it changed
                             since; the mount is refused (openat2 RESOLVE_NO_SYMLINKS) */
} PcNativeMount;

typedef struct PcNativeRlimit {
        int resource; /* RLIMIT_* */
        char *name;   /* "nofile" */
        int64_t soft; /* -1 = unlimited */
        int64_t hard; /* -1 = unlimited */
} PcNativeRlimit;

#define PC_NATIVE_NS_MNT  (1u << 0)
#define PC_NATIVE_NS_PID  (1u << 1)
#define PC_NATIVE_NS_NET  (1u << 2)
#define PC_NATIVE_NS_UTS  (1u << 3)
#define PC_NATIVE_NS_IPC  (1u << 4)
#define PC_NATIVE_NS_USER (1u << 5)

/* The user namespace of a sandbox with sandbox.native.userns (docs/sandbox.md): ids
 * 0..PC_NATIVE_USERNS_COUNT-1 inside are host ids PC_NATIVE_USERNS_BASE + id, for uids and
 * gids alike; the same range for every sandbox (like Docker's userns-remap). 2^30 lies above
 * every range useradd delegates in /etc/subuid (SUB_UID_MAX 600100000) and below 2^31, which
 * some tools take as negative; the backend refuses to start when /etc/subuid or /etc/subgid
 * delegates any of it. The image, the workspace and the binds are mounted idmapped with the
 * same map, so an id N on disk is N inside, and a file sandbox uid N writes there is host
 * uid N. */
#define PC_NATIVE_USERNS_BASE  UINT32_C(1073741824)
#define PC_NATIVE_USERNS_COUNT UINT32_C(65536)

typedef struct PcNativePlan {
        char *name;              /* spec->name */
        char *image;             /* spec->image */
        char *hostname;          /* spec->hostname, else name */
        char *workdir;           /* default working directory of every exec */
        char *user;              /* spec->user, or NULL (root, the image default) */
        unsigned namespaces;     /* PC_NATIVE_NS_* */
        bool read_only_root;     /* false: an overlay with a per-sandbox upper dir */
        uint64_t caps_keep;      /* bit n = capability n stays in the bounding set (and, for uid
                                    0, in the permitted and effective sets); every other one is
                                    dropped from all sets */
        PcNativeRlimit *rlimits; /* sorted by name as in the spec */
        size_t n_rlimits;
        /* cgroup limits; 0 = none (memory_swap_bytes -1 = unlimited swap) */
        int64_t memory_bytes;
        int64_t memory_swap_bytes;
        int64_t pids_max;
        double cpus;
        PcNativeMount *mounts; /* in mount order, after the fixed root, /proc and /dev */
        size_t n_mounts;
        char *resolv_conf;      /* content of /etc/resolv.conf, NULL: keep the image's */
        char *hosts;            /* content of /etc/hosts */
        char **env;             /* "K=V" of the spec's env, NULL-terminated */
        char *seccomp_profile;  /* path, or NULL for the built-in default */
        char *apparmor_profile; /* kept so the backend can refuse it clearly */
} PcNativePlan;

/* Docker's default capability set, kept when capDrop does not say ALL. */
extern const char *const pc_native_default_caps[];

/* "NET_RAW" (upper case, no CAP_ prefix) → 13; -EINVAL for an unknown name. */
int pc_native_cap_from_name(const char *name);
/* 13 → "NET_RAW"; NULL when out of range. */
const char *pc_native_cap_to_name(int cap);
/* "nofile" → RLIMIT_NOFILE; -EINVAL for an unknown name. */
int pc_native_rlimit_from_name(const char *name);

/*
 * Builds the plan. Errors (-EOPNOTSUPP or -EINVAL, with reterr naming the setting and what
 * to do): a network other than "none" (the native backend has no egress yet), an unknown
 * capability or ulimit name, a tmpfs or target path that is not absolute.
 */
int pc_native_plan_build(const PcSandboxSpec *spec, PcNativePlan **ret, PcError *reterr);

PcNativePlan *pc_native_plan_free(PcNativePlan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcNativePlan *, pc_native_plan_free);

/* Does a /etc/subuid or /etc/subgid text ("name:start:count" lines) delegate any id of
 * [base, base + count)? Returns the 1-based line number of the first such entry, 0 when none;
 * comment lines ('#') and lines that do not parse are skipped (they delegate nothing). */
size_t pc_native_subid_overlap(const char *text, uint32_t base, uint32_t count);

/* The plan as JSON for `sandbox explain`: namespaces, root, mounts (with /proc and /dev),
 * user, capabilities kept, rlimits, cgroup limits, hostname, files. New reference. */
json_t *pc_native_plan_to_json(const PcNativePlan *p);
