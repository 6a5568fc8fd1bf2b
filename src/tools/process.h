/* SPDX-License-Identifier: MIT */
/*
 * Background processes: exec with background/yieldMs, and the process tool (spec 3.1, 3.2).
 *
 * A process is one sandbox exec running on its own thread. It holds the lease dispatch took
 * for the call that started it, for its whole life, so its sandbox is never destroyed or
 * recreated under it. Its output (stdout and stderr together, as they arrive) goes into a
 * bounded buffer that drops the oldest bytes past PC_PROCESS_OUTPUT_CAP; its exit status is
 * recorded; it stays listed until the process tool clears or removes it, or until its TTL
 * (tools.exec.cleanupMs) runs out, or until more than PC_PROCESS_MAX_FINISHED are kept.
 *
 * Threads. The registry's lock guards the list and every field a process thread writes, and
 * processes are reference-counted, so the operations below may run on several threads. The
 * sandbox manager is not thread-safe: leases are taken by dispatch and given back in one
 * function (process_settle() in process.c), reached only from the registry calls a tool call
 * makes (reap, remove, unref, free), i.e. on the thread that runs tool calls and owns the
 * manager (the gateway's tool worker). A process thread never touches the manager.
 *
 * Ownership: processes belong to the session key that started them; every lookup takes the
 * session, and a process of another session is "not found".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "config/config.h"
#include "sandbox/manager.h"

#define PC_PROCESS_OUTPUT_CAP              200000 /* bytes kept per process (OpenClaw's cap) */
#define PC_PROCESS_MAX_RUNNING_PER_SESSION 8
#define PC_PROCESS_MAX_RUNNING             32
#define PC_PROCESS_MAX_FINISHED            50 /* OpenClaw's */
#define PC_PROCESS_DEFAULT_TTL_MS          (30 * 60 * 1000)
#define PC_PROCESS_MIN_TTL_MS              (60 * 1000)
#define PC_PROCESS_MAX_TTL_MS              (3 * 60 * 60 * 1000)
#define PC_PROCESS_WRITE_MAX               (1024 * 1024) /* one write action */

/* ---- the bounded output buffer (pure; unit-tested) --------------------------------------- */

/* The newest cap bytes of a stream; offsets are absolute (bytes since the process started),
 * so a reader's cursor stays valid while the front is dropped. */
typedef struct PcOutBuf {
        PcBuf data;       /* the retained bytes */
        size_t cap;       /* > 0 */
        uint64_t dropped; /* bytes dropped from the front: data starts at this offset */
} PcOutBuf;

void pc_outbuf_init(PcOutBuf *b, size_t cap);
void pc_outbuf_release(PcOutBuf *b);
void pc_outbuf_append(PcOutBuf *b, const char *data, size_t n);
/* Offset one past the last byte ever appended. */
uint64_t pc_outbuf_end(const PcOutBuf *b);
/* The retained bytes from absolute offset `from` on (*ret_ptr, *ret_len); *ret_missed: how
 * many bytes after `from` were already dropped (0 when none). */
void pc_outbuf_since(const PcOutBuf *b, uint64_t from, const char **ret_ptr, size_t *ret_len,
                     uint64_t *ret_missed);

/* A line-based slice of the retained bytes (the log action): lines [offset, offset+limit),
 * or the last `limit` lines when offset < 0. A final line without '\n' counts. */
typedef struct PcOutLines {
        const char *ptr;
        size_t len;         /* the slice, including its line ends */
        size_t first;       /* index of its first line (0-based) */
        size_t count;       /* lines in the slice */
        size_t total_lines; /* lines retained */
} PcOutLines;

void pc_outbuf_lines(const PcOutBuf *b, int64_t offset, size_t limit, PcOutLines *ret);

/* ---- the registry ------------------------------------------------------------------------ */

typedef struct PcProcessRegistry PcProcessRegistry;
typedef struct PcProcess PcProcess;

PcProcessRegistry *pc_process_registry_new(void);
/* At most n calls block in pc_process_wait/poll at once (0: no limit, the default). The
 * gateway sets half its tool workers, so waiting polls never take every worker. */
void pc_process_registry_set_max_waiters(PcProcessRegistry *reg, size_t n);
/* Kills every running process (as the timeout does), waits for them, gives their leases back
 * and frees everything. On the manager's thread, before the manager is freed. NULL-safe. */
PcProcessRegistry *pc_process_registry_free(PcProcessRegistry *reg);

/* How long finished background processes stay: tools.exec.cleanupMs, clamped (spec 3.2). */
int64_t pc_process_ttl_ms(const PcConfig *cfg);

/* Gives back the leases of processes that have exited and forgets finished processes past
 * ttl_ms or beyond PC_PROCESS_MAX_FINISHED (oldest first). On the manager's thread. */
void pc_process_registry_reap(PcProcessRegistry *reg, int64_t ttl_ms);

/* What to run. Strings and env are copied; *lease is taken on success (set to NULL). */
typedef struct PcProcessSpec {
        const char *session_key;
        const char *command; /* as the model wrote it: listed, and the name */
        const char *const *argv;
        const char *workdir;
        const PcKeyValue *env;
        size_t n_env;
        uint64_t timeout_ms;
        bool backgrounded; /* false: exec waits (yieldMs) and may take the result inline */
} PcProcessSpec;

/* Starts the process on its own thread. Errors: the limits (PC_ERROR_UNAVAILABLE, -EAGAIN,
 * with the numbers and what to do), or no thread/pipe. *ret holds a reference: give it back
 * with pc_process_unref(). */
int pc_process_start(PcProcessRegistry *reg, const PcProcessSpec *spec, PcSandboxLease **lease,
                     PcProcess **ret, PcError *reterr);

/* Waits up to timeout_ms for p to exit; true when it has. */
bool pc_process_wait(PcProcessRegistry *reg, PcProcess *p, int64_t timeout_ms);

/* Marks p backgrounded (listed by the process tool). */
void pc_process_set_backgrounded(PcProcessRegistry *reg, PcProcess *p);

/* A snapshot of p, under the lock. Strings are owned by the snapshot. */
typedef struct PcProcessInfo {
        char id[64];
        char *command;
        char *cwd;
        bool running;
        int exit_code; /* -1 when killed */
        int signal;
        bool timed_out, canceled;
        char *error; /* the exec could not run (backend error), or NULL */
        int64_t pid; /* the gateway-side thread's id stand-in: 0 (unknown in the sandbox) */
        int64_t started_at_ms, ended_at_ms; /* wall clock; ended 0 while running */
        uint64_t runtime_ms;
        uint64_t dropped; /* output bytes dropped from the front */
        uint64_t total;   /* output bytes ever written */
        bool stdin_open;
} PcProcessInfo;

void pc_process_info_release(PcProcessInfo *i);

/* The process tool's operations; every one takes the caller's session. find returns NULL for
 * a process of another session or an unknown id, else a reference (pc_process_unref()). */
PcProcess *pc_process_find(PcProcessRegistry *reg, const char *session_key, const char *id);
/* Drops a reference; the last one (after remove, TTL or registry free) frees the process. */
void pc_process_unref(PcProcessRegistry *reg, PcProcess *p);
void pc_process_info(PcProcessRegistry *reg, PcProcess *p, PcProcessInfo *ret);
/* The ids of session_key's backgrounded processes, newest first (owned array of owned ids). */
size_t pc_process_list(PcProcessRegistry *reg, const char *session_key, char ***ret_ids);

/* New output since the last poll, appended to out (at most max bytes; the rest stays for the
 * next poll); waits up to wait_ms for output or exit first. *ret_missed: bytes dropped before
 * they were polled. */
void pc_process_poll(PcProcessRegistry *reg, PcProcess *p, int64_t wait_ms, size_t max, PcBuf *out,
                     uint64_t *ret_missed);
/* Copies everything retained into out (log); with lines set, the line slice. */
void pc_process_log(PcProcessRegistry *reg, PcProcess *p, int64_t offset, size_t limit, PcBuf *out,
                    PcOutLines *ret_lines, uint64_t *ret_dropped);
/* Writes data to p's stdin (and closes it with eof). -EPIPE when stdin is closed or the
 * process has exited. */
int pc_process_write(PcProcessRegistry *reg, PcProcess *p, const char *data, size_t n, bool eof,
                     PcError *reterr);
/* Asks the backend to kill p's process tree (as the timeout does). 0, or -ESRCH when it has
 * already exited. */
int pc_process_kill(PcProcessRegistry *reg, PcProcess *p);
/* Forgets p (takes it off the list): kills it first when it runs and waits for it to end. The
 * caller still holds its reference; the last reference frees it and gives the lease back. */
void pc_process_remove(PcProcessRegistry *reg, PcProcess *p);
