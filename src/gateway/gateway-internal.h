/* SPDX-License-Identifier: MIT */
/* Shared inside src/gateway/ only. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "agents/loop.h"
#include "base/buf.h"
#include "config/config.h"
#include "sandbox/manager.h"
#include "store/store.h"
#include "tools/dispatch.h"

/* ---- auth.c ------------------------------------------------------------------------------ */

typedef enum PcGatewayAuthMode {
        PC_GATEWAY_AUTH_NONE,
        PC_GATEWAY_AUTH_TOKEN,
        PC_GATEWAY_AUTH_PASSWORD,
} PcGatewayAuthMode;

/* The shared secrets of this process. Owned by the loop thread; released with explicit_bzero. */
typedef struct PcGatewayAuth {
        PcGatewayAuthMode mode;
        char *token;    /* NULL when none */
        char *password; /* NULL when none */
        bool ephemeral; /* token was generated for this process */
} PcGatewayAuth;

const char *pc__gateway_auth_mode_name(PcGatewayAuthMode mode);
/* Reads gateway.auth and the env (PINCER_GATEWAY_TOKEN / PINCER_GATEWAY_PASSWORD); makes an
 * ephemeral token in token mode without one. -EINVAL with a message naming the setting. */
int pc__gateway_auth_init(PcGatewayAuth *a, const PcConfig *cfg, PcError *reterr);
/* An ephemeral token goes to stderr once when it is a terminal, else to
 * <state dir>/gateway.token (mode 0600). Never to the log. */
int pc__gateway_auth_publish(const PcGatewayAuth *a, const char *state_dir, PcError *reterr);
/* The Authorization header value (NULL when absent) against the secrets, in constant time. */
bool pc__gateway_auth_check(const PcGatewayAuth *a, const char *authorization);
/* The WebSocket connect's auth.token / auth.password (either may be NULL), in constant time. */
bool pc__gateway_auth_check_secrets(const PcGatewayAuth *a, const char *token, size_t token_len,
                                    const char *password, size_t password_len);
void pc__gateway_auth_release(PcGatewayAuth *a);

/* ---- worker.c ---------------------------------------------------------------------------- */

/* The tool workers: PC_GATEWAY_TOOL_WORKERS_PER_CPU threads per online CPU, at least 2 and at
 * most PC_GATEWAY_TOOL_WORKERS_MAX; beyond PC_GATEWAY_MAX_QUEUED_CALLS calls waiting for one,
 * a call gets 503. The limit is twice PC_GATEWAY_MAX_CONNECTIONS: HTTP has one call per
 * connection, so only an entry point that multiplexes calls can reach it. */
#define PC_GATEWAY_TOOL_WORKERS_PER_CPU 2
#define PC_GATEWAY_TOOL_WORKERS_MAX     16
#define PC_GATEWAY_MAX_QUEUED_CALLS     512

typedef struct PcGatewayJob PcGatewayJob;
typedef void (*PcGatewayDoneFn)(PcGatewayJob *job, void *userdata);
/* Worker thread: a job that is not a tool call (WebSocket status, sessions.*). It sets status
 * and result; the store and the manager are thread-safe, cfg is the worker's snapshot. */
typedef void (*PcGatewayRunFn)(PcGatewayJob *j, const PcConfig *cfg, PcSandboxManager *manager,
                               PcStore *store);

/* One tool call (POST /tools/invoke, or any other entry point). Made by the loop thread,
 * handed to the workers with submit, and handed back (with status and body set) on the loop
 * thread through done(job, done_data) when set, else the pool's on_done. worker.c's header
 * comment describes the whole path. */
struct PcGatewayJob {
        struct PcGatewayJob *next;
        /* request (owned) */
        char *tool;
        json_t *args; /* object */
        char *agent_id;
        char *session_key;
        /* response (owned), set by the worker */
        int status;
        char *body;
        /* loop thread only: the connection waiting for it, NULL once it went away */
        void *conn;
        /* loop thread: the completion callback of this job (NULL: the pool's on_done) */
        PcGatewayDoneFn done;
        void *done_data;
        /* Who calls, for the audit record: NULL is "http"; "ws" (ws.c) and "http" get the
         * HTTP deny list, "agent" (chat.c, an agent run's tool call) does not. */
        const char *caller;
        /* The WebSocket API (ws.c) sets this; the answer goes to pc__gateway_ws_job_done(). */
        bool ws;
        /* When set, the worker calls it instead of the tool dispatch (status: the manager
         * and the config snapshot belong to the worker thread). */
        PcGatewayRunFn run; /* reads its params from args */
        json_t *result;     /* set by run: the payload (status 200) or {code, message, details?} */
        /* chat.c: keep the dispatch's response in `response` for the run thread */
        bool keep_response;
        PcInvokeResponse response;
        const char *ctype; /* the content type of a chat answer (NULL: application/json) */
        /* an agent run's tool call (run.c): its cancel eventfd (0: none) and the run host
         * (sessions_spawn, sessions_send), both borrowed */
        int cancel_fd;
        const PcRunHost *runs;
};

PcGatewayJob *pc__gateway_job_free(PcGatewayJob *j);
/* invoke-request.c: a new job from the request of a tool call ({name | tool, args?, agentId?,
 * sessionKey?}: the HTTP body or the WebSocket params); -EINVAL when it names no tool. */
int pc__gateway_invoke_request(const json_t *doc, PcGatewayJob **ret);

typedef struct PcGatewayWorker PcGatewayWorker;

/* Starts the tool workers (PC_GATEWAY_TOOL_WORKERS_PER_CPU per CPU, 2 to
 * PC_GATEWAY_TOOL_WORKERS_MAX threads); they take ownership of store and manager and a
 * reference on cfg. */
int pc__gateway_worker_start(uv_loop_t *loop, const PcConfig *cfg, PcStore *store,
                             PcSandboxManager *manager, PcGatewayDoneFn on_done, void *userdata,
                             PcGatewayWorker **ret);
/* Loop thread, or a chat run thread (chat.c hands its tool calls over this way): it only
 * takes the worker's lock. 0, or -EAGAIN when PC_GATEWAY_MAX_QUEUED_CALLS calls already wait
 * for a worker (the job stays the caller's: answer 503). */
int pc__gateway_worker_submit(PcGatewayWorker *w, PcGatewayJob *job);
/* Takes the caller's reference: the snapshot for the next call. PcConfig's refcount is not
 * atomic, so once the worker runs, snapshots are referenced and released only under its lock. */
void pc__gateway_worker_take_config(PcGatewayWorker *w, PcConfig *cfg);
size_t pc__gateway_worker_busy(PcGatewayWorker *w); /* queued + running */
/* Stops the threads after their current calls and frees everything; with abandon they are
 * left running (shutdown after the drain timeout: the process exits next). */
void pc__gateway_worker_stop(PcGatewayWorker *w, bool abandon);

/* The HTTP deny list (gateway spec §1.6) for a normalised tool name, with gateway.tools. */
bool pc__gateway_http_denied(const PcConfig *cfg, const char *tool);

/* ---- metrics.c (any thread: relaxed atomics, no lock) -------------------------------------- */

void pc__gateway_metrics_start(void);
/* path is the request path (unknown ones count as route "other"). */
void pc__gateway_metrics_request(const char *path, int status, uint64_t duration_ns);
/* Around each tool call (worker thread): started, then the finished call with its status. */
void pc__gateway_metrics_tool_started(void);
void pc__gateway_metrics_tool_call(const char *tool, int status, uint64_t duration_ns);
void pc__gateway_metrics_reload(bool ok);
/* The sandbox gauge from pc_sandbox_manager_list()'s array; _due says a refresh is wanted. */
void pc__gateway_metrics_sandboxes_set(const json_t *list);
bool pc__gateway_metrics_sandboxes_due(void);
struct PcBuf;
void pc__gateway_metrics_render(struct PcBuf *out, size_t open_connections, size_t queued);

/* ---- notify.c ---------------------------------------------------------------------------- */

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET ('@' = abstract name).
 * Nothing when it is unset. Returns 0 / -errno (the caller logs at debug level). */
int pc__gateway_notify(const char *state);

/* ---- watch.c ----------------------------------------------------------------------------- */

typedef struct PcGatewayWatch PcGatewayWatch;
typedef void (*PcGatewayWatchFn)(void *userdata);
/* Watches the files the config was read from (its directory entries, so a file replaced by
 * rename is seen), and calls fn debounce_ms after the last change. Loop thread. */
PcGatewayWatch *pc__gateway_watch_new(uv_loop_t *loop, unsigned debounce_ms, PcGatewayWatchFn fn,
                                      void *userdata);
/* Sets the watched files (absolute or relative paths); replaces the previous set. */
void pc__gateway_watch_set(PcGatewayWatch *w, const char *const *files, size_t n);
void pc__gateway_watch_free(PcGatewayWatch *w);

/* ---- server.c / http.c ------------------------------------------------------------------- */

struct lws_context;
struct lws_protocols;

/* The running gateway. Loop thread only (the worker has its own state). */
typedef struct PcGateway {
        uv_loop_t loop;
        struct lws_context *lws;
        PcGatewayWorker *worker;
        PcGatewayAuth auth;
        const PcConfigLoadOptions *load;
        uv_signal_t sig_hup, sig_term, sig_int;
        uv_timer_t drain_timer;
        PcGatewayWatch *watch; /* NULL when gateway.reload.mode is "off" */
        size_t n_conns;
        size_t n_awaiting;          /* connections waiting for a tool call's response */
        struct PcWsConn *ws_conns;  /* WebSocket connections (ws.c) */
        struct PcGatewayRuns *runs; /* agent runs (run.c) */
        uint64_t started_ns;        /* uv_hrtime() at start, for uptime */
        bool draining;
        bool stopping;
        bool abandoned; /* stopped with a call still running (drain timeout) */
} PcGateway;

extern const struct lws_protocols *const pc__gateway_protocols; /* http.c */
/* Loop thread: a finished job goes back to its connection (PcGatewayDoneFn). */
void pc__gateway_job_done(PcGatewayJob *job, void *userdata);
/* Loop thread: called when a request finished and the gateway is draining. */
void pc__gateway_maybe_stop(PcGateway *g);

/* ---- chat-request.c ---------------------------------------------------------------------- */

/* What POST /v1/chat/completions reads from its body. */
typedef struct PcChatRequest {
        char *model; /* NULL when absent */
        char *text;  /* the last user message's text; NULL when there is none */
        char *user;  /* NULL when absent or empty */
        bool stream;
} PcChatRequest;

/* -EINVAL when the body is not a JSON object ("Invalid JSON body"); otherwise fills *ret,
 * and the caller checks what is missing. */
int pc__chat_request_parse(const char *body, size_t len, PcChatRequest *ret);
void pc__chat_request_release(PcChatRequest *r);
/* The `user` field as a session key segment: [a-z0-9_-], at most 64 characters. */
char *pc__chat_user_segment(const char *user);
/* ---- run.c ------------------------------------------------------------------------------- */

/* Agent runs at once (each holds a thread, a state connection and a model connection). */
#define PC_GATEWAY_MAX_RUNS 16

typedef struct PcGatewayRun PcGatewayRun;
typedef struct PcGatewayRuns PcGatewayRuns;

/* What the starter of a run gets; every callback is optional. */
typedef struct PcGatewayRunOps {
        /* Run thread, before the run: may complete req (agent_id, session_key, message: strings
         * the owner keeps alive) from the owner's input, or fail with reterr (the run then ends
         * with that error, without a model call). */
        int (*prepare)(PcGatewayRun *run, const PcConfig *cfg, PcAgentRunRequest *req, void *owner,
                       PcError *reterr);
        /* Loop thread, in order: {type:"start"}, {type:"text", text},
         * {type:"tool_start", name, toolCallId, args}, {type:"tool_end", name, toolCallId,
         * isError, result} (borrowed). */
        void (*event)(PcGatewayRun *run, const json_t *ev, void *owner);
        /* Loop thread, once, after the last event: r, err and res are final. */
        void (*finished)(PcGatewayRun *run, void *owner);
} PcGatewayRunOps;

struct PcGatewayRun {
        struct PcGatewayRun *next;
        PcGateway *g;
        char *id; /* runId */
        char *agent_id, *session_key, *message, *spawned_by, *label;
        bool message_recorded;
        const PcGatewayRunOps *ops; /* NULL once finished() was called */
        void *owner;
        int cancel_fd;
        uv_thread_t thread;
        int64_t started_at, ended_at; /* wall clock, ms */
        bool finished;                /* loop thread: finished() was called */
        struct RunWaiter *waiters;    /* loop thread: pc__gateway_run_wait() */
        /* under the registry's lock */
        json_t *events;
        char *stored_key; /* the session key as stored, once the run resolved it */
        bool done, aborted;
        unsigned refs; /* threads waiting for it */
        PcGatewayJob *tool_done;
        /* the outcome, set once done */
        int r;
        PcError err;
        PcAgentRunResult res;
};

typedef struct PcGatewayRunParams {
        const char *id; /* NULL: a random run-<hex> */
        const char *agent_id, *session_key, *message;
        const char *spawned_by, *label;
        bool message_recorded;
        const PcGatewayRunOps *ops;
        void *owner;
} PcGatewayRunParams;

void pc__gateway_runs_init(PcGateway *g);
void pc__gateway_runs_free(PcGateway *g);
size_t pc__gateway_runs_active(PcGateway *g); /* any thread: runs not yet finished */
const PcRunHost *pc__gateway_runs_host(PcGateway *g);
/* Any thread. -EAGAIN beyond PC_GATEWAY_MAX_RUNS, -EEXIST for a duplicate id. *ret (may be
 * NULL) is valid on the loop thread until the run is forgotten (RUN_KEEP_MS after its end). */
int pc__gateway_run_start(PcGateway *g, const PcGatewayRunParams *p, PcGatewayRun **ret,
                          PcError *reterr);
PcGatewayRun *pc__gateway_run_find(PcGateway *g, const char *id); /* loop thread */
bool pc__gateway_run_done(PcGatewayRun *run);
/* Loop thread: fn(run, timed_out, userdata) is called once, on the loop thread, right after
 * the run's finished() or after timeout_ms, whichever comes first. The run must not be
 * finished yet. */
typedef void (*PcGatewayRunWaitFn)(PcGatewayRun *run, bool timed_out, void *userdata);
void pc__gateway_run_wait(PcGatewayRun *run, uint64_t timeout_ms, PcGatewayRunWaitFn fn,
                          void *userdata);
/* Loop thread: aborts a live run (true), or does nothing (false). */
bool pc__gateway_run_abort(PcGatewayRun *run);
/* Loop thread: aborts the live runs of session_key (as given to the run) and/or with id run_id
 * (either may be NULL); appends their ids to ret_ids (may be NULL). */
size_t pc__gateway_run_abort_session(PcGateway *g, const char *session_key, const char *run_id,
                                     json_t *ret_ids);

/* ---- chat.c ------------------------------------------------------------------------------ */

/* Loop thread: runs POST /v1/chat/completions for job (linked to its connection) on a thread
 * of its own; takes body's contents. The answer comes back through pc__gateway_job_done. */
void pc__gateway_chat_start(PcGateway *g, PcGatewayJob *job, PcBuf *body);
/* http.c, loop thread: appends to a streamed answer (no Content-Length; the connection closes
 * after it). With end the job is detached from its connection; the caller still frees it.
 * Nothing happens when the client went away. */
void pc__gateway_job_stream(PcGatewayJob *job, int status, const char *ctype, const char *data,
                            size_t len, bool end);
