/* SPDX-License-Identifier: MIT */
/*
 * The native backend: executes a PcSandboxSpec as a long-lived Linux namespace sandbox, with
 * no daemon. Pincer's embedded default (`backend: "native"`).
 *
 * One sandbox per spec->name. Its pid 1 is a small helper (init.c) inside new mount, pid,
 * net, uts and ipc namespaces, pivoted into the image's root filesystem (pc_image_path:
 * <state dir>/images/), in the sandbox's cgroups (cgroup.h), with only `lo`. Every exec is a
 * connection to <state dir>/run/native/<name>/control.sock: pid 1 forks the command, drops
 * privileges (capabilities, user, no_new_privs, seccomp, rlimits) and execs it with the
 * caller's pipes as stdio. The sandbox outlives the process that created it; its pid,
 * config hash, creation time and image are in <state dir>/run/native/<name>/state.json.
 *
 * Run dir of a sandbox (0700, root's): state.json, control.sock, root/ (the mount point of
 * its root, only ever mounted inside the sandbox), lower/, upper/ and work/ (overlay, when
 * readOnlyRoot is false), resolv.conf, hosts, hostname (bound read-only into /etc),
 * init.log (pid 1's stderr: empty unless a sanitizer or libc had something to say). Nothing
 * is mounted in the host's mount namespace, so teardown is: SIGKILL pid 1, remove the
 * cgroups, remove the run dir. Create and destroy of one name are serialised between
 * processes with flock on <state dir>/run/native/.<name>.lock.
 *
 * pid 1 is a fork of the creating process (no re-exec): it keeps a copy of that process's
 * memory, so create from a single-threaded process (the CLI, or the daemon's loop thread
 * before it starts other threads) — the children run malloc and libc after fork.
 *
 * create differs from PcSandboxOps in one point: when a running sandbox of that name has the
 * spec's config hash (another process created it meanwhile: two first uses at once), it
 * returns 0 and leaves it; a different hash is -EEXIST.
 *
 * Needs root on the host (namespaces, mounts, cgroups). The ops follow PcSandboxOps; errors
 * are PcErrors with hints. Nothing logs above debug. Single-threaded use (the CLI, the loop
 * thread of the daemon): the sandbox is forked from the calling process.
 */
#pragma once

#include <pthread.h>

#include "sandbox/sandbox.h"

extern const PcSandboxOps pc_native_sandbox_ops;

/* The backend instance: borrowed by every PcSandbox of this backend. */
typedef struct PcNativeBackend {
        char *state_dir; /* owned */
        /* The built-in seccomp filter, compiled at the first creation that uses it and kept
         * (it never changes; compiling costs about 2.5 ms). Under filter_lock. */
        pthread_mutex_t filter_lock;
        struct PcSeccompFilter *default_filter;
} PcNativeBackend;

/* Opens the backend over state_dir (images in <state_dir>/images, sandboxes in
 * <state_dir>/run/native). Fails with PC_ERROR_UNAVAILABLE and a hint when not root. */
int pc_native_backend_open(const char *state_dir, void **ret_instance, PcError *reterr);
void pc_native_backend_close(void *instance);

/* Makes this process (the gateway) the owner of the sandboxes it creates: they are recorded
 * with its pid and start time, torn down when the backend is closed (the gateway's
 * shutdown), and, should it die without that (SIGKILL, a crash), by the cleanup of the next
 * process that opens the backend. Without it (the CLI), sandboxes outlive their creator until
 * recreated or pruned. Call once, before any backend is opened. */
void pc_native_set_owner_process(void);

/* Crash cleanup: removes every sandbox under <state_dir>/run/native whose pid 1 is gone, or
 * whose owner process (pc_native_set_owner_process()) is gone (its pid 1 and every process in
 * it, its cgroups, its run dir), and pincer cgroups with no process left that belong to no
 * live sandbox. Returns the number of sandboxes removed, or -errno with reterr. */
int pc_native_cleanup_stale(const char *state_dir, PcError *reterr);

/* The plan of spec as JSON (for `sandbox explain`), with "problems" for what would stop it
 * on this host (missing image, not root, no cgroups, an unsupported setting) and the seccomp
 * profile summary. Never creates anything. New reference. */
json_t *pc_native_explain(const char *state_dir, const PcSandboxSpec *spec);
