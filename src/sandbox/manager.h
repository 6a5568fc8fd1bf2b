/* SPDX-License-Identifier: MIT */
/*
 * The sandbox manager: the lifecycle around the pure core in sandbox.h.
 *
 *   acquire   session key → is it sandboxed? → create spec → what exists (backend inspect)
 *             → create, reuse or recreate → registry row → a lease
 *   exec      through the lease (refreshes last-used)
 *   release   gives the lease back
 *   list / remove / prune   over the registry, asking each backend what really exists
 *
 * Leases: a sandbox with a lease held is never destroyed. A changed config hash on a leased
 * sandbox is reported as a notice with the command that recreates it, and the sandbox is
 * recreated on the first acquire after the last lease is gone (pincer.md item 5; OpenClaw's
 * "used in the last 5 minutes" rule does not apply). Leases live in this process: the daemon
 * holds them for its tool calls; a CLI process only sees its own.
 *
 * Backends are opened lazily, on the first sandbox that needs them, so a machine without a
 * Docker engine can still run native sandboxes and list the registry. A backend that cannot
 * be opened fails the operation with PC_ERROR_UNAVAILABLE and is retried next time.
 *
 * Thread-safe: acquire, release, list, remove, prune and the registry touch after an exec
 * take the manager's mutex (the store, thread-safe too, is locked inside it); the command
 * itself (pc_sandbox_lease_exec) runs outside it, so tool calls overlap. A backend's exec must
 * therefore be callable concurrently (native: one control connection per call; docker: one
 * engine connection per request). A create still serialises other acquires.
 *
 * Registry writes: a reused sandbox's row (lastUsedAtMs) is written at most once per
 * PC_SANDBOX_TOUCH_INTERVAL_MS, so registry times are accurate to about a second.
 */
#pragma once

#include "sandbox/sandbox.h"
#include "store/store.h"

typedef struct PcSandboxBackendDef {
        const char *name; /* "docker", "native", "fake" */
        const PcSandboxOps *ops;
        /* Opens the backend instance (an engine connection, the native runtime); NULL when
         * the instance is given directly. */
        int (*open)(void **ret_instance, PcError *reterr);
        void (*close)(void *instance);
        void *instance; /* used when open is NULL; borrowed */
} PcSandboxBackendDef;

/* The least time between two registry writes for the same reused sandbox. */
#define PC_SANDBOX_TOUCH_INTERVAL_MS 1000

typedef struct PcSandboxManager PcSandboxManager;
typedef struct PcSandboxLease PcSandboxLease;

/* store is borrowed and must outlive the manager. backends is copied (NULL-name terminated
 * is not required: n_backends counts them). */
PcSandboxManager *pc_sandbox_manager_new(PcStore *store, const PcSandboxBackendDef *backends,
                                         size_t n_backends);
PcSandboxManager *pc_sandbox_manager_free(PcSandboxManager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcSandboxManager *, pc_sandbox_manager_free);

/* The store the manager was made with (borrowed), for the choke point's transcripts. */
PcStore *pc_sandbox_manager_store(const PcSandboxManager *m);

/* Overrides the clock (milliseconds since the epoch) for tests; NULL restores the real one. */
void pc_sandbox_manager_set_clock(PcSandboxManager *m, int64_t (*now_ms)(void));

/*
 * Makes sure the sandbox of session_key exists, matches the configuration and runs, and
 * returns a lease on it. *ret is NULL (and 0 is returned) when the session is not sandboxed:
 * the caller then decides about host execution. ret_session (may be NULL) receives the
 * resolved session either way; release it.
 *
 * Errors: the spec's (-EINVAL, -EPERM for refused binds/networks, before anything is created),
 * an unknown or unavailable backend (PC_ERROR_UNAVAILABLE), or the backend's create error. A
 * failed create leaves no registry row and no half-created sandbox (the backend removes it).
 */
int pc_sandbox_manager_acquire(PcSandboxManager *m, const PcConfig *cfg, const char *session_key,
                               PcSandboxLease **ret, PcSandboxSession *ret_session,
                               PcError *reterr);

const PcSandboxSpec *pc_sandbox_lease_spec(const PcSandboxLease *l);
/* What acquire did: "created", "reused", "recreated", or "reused-stale" (the config changed
 * while the sandbox was leased). */
const char *pc_sandbox_lease_action(const PcSandboxLease *l);
/* For "reused-stale": the message telling how to recreate; else NULL. */
const char *pc_sandbox_lease_notice(const PcSandboxLease *l);

/* Runs req in the leased sandbox (see PcSandboxOps.exec) and refreshes its last-used time. */
int pc_sandbox_lease_exec(PcSandboxLease *l, const PcExecRequest *req, PcExecResult *ret_result,
                          PcError *reterr);

/* The leased sandbox's handle, for a background process that runs pc_sandbox_exec() on its own
 * thread for as long as it holds the lease (the backends' exec is safe on any thread; the
 * manager is not, so take and release the lease on the manager's thread). */
PcSandbox *pc_sandbox_lease_sandbox(PcSandboxLease *l);

/* Gives the lease back. NULL-safe; returns NULL. */
PcSandboxLease *pc_sandbox_lease_release(PcSandboxLease *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcSandboxLease *, pc_sandbox_lease_release);

/*
 * Every registered sandbox (optionally only agent_id's), as a JSON array of
 * {name, scopeKey, agentId, backend, image, state, createdAtMs, lastUsedAtMs, ageMs, idleMs,
 *  configHash, currentHash, hashCurrent, leases, error}
 * state is what the backend reports ("running", "stopped", "missing") or "unknown" when the
 * backend is unavailable (error says why); hashCurrent is null when the current hash cannot
 * be computed (the agent is gone, or its config no longer sandboxes). New reference.
 */
int pc_sandbox_manager_list(PcSandboxManager *m, const PcConfig *cfg, const char *agent_id,
                            json_t **ret, PcError *reterr);

typedef struct PcSandboxFilter {
        bool all;
        const char *agent_id;  /* matches scope keys agent:<id> and agent:<id>:* */
        const char *scope_key; /* exact scope key */
} PcSandboxFilter;

/*
 * Removes the matching sandboxes (backend destroy, then the registry row) so that the next
 * use recreates them. Leased ones are skipped. With dry_run nothing is removed. Returns a
 * JSON array of {name, scopeKey, backend, result: "removed"|"would-remove"|"in-use"|"failed",
 * error}. The registry row of a sandbox whose destroy failed is kept, so it is not lost.
 */
int pc_sandbox_manager_remove(PcSandboxManager *m, const PcSandboxFilter *filter, bool dry_run,
                              json_t **ret, PcError *reterr);

/*
 * Removes every registered sandbox that is idle longer than its agent's prune.idleHours or
 * older than prune.maxAgeDays (0 disables either test; agents are looked up from the row's
 * agent, the default agent's settings apply when it is gone). Leased sandboxes are skipped.
 * The report is as for remove, with a "reason" ("idle 30h > 24h", "age 8d > 7d").
 */
int pc_sandbox_manager_prune(PcSandboxManager *m, const PcConfig *cfg, bool dry_run, json_t **ret,
                             PcError *reterr);
