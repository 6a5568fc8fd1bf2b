/* SPDX-License-Identifier: MIT */
/* Shared inside src/gateway/ only. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "sandbox/manager.h"
#include "store/store.h"

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

/* One POST /tools/invoke call. Made by the loop thread, handed to the worker with submit, and
 * handed back (with status and body set) through on_done on the loop thread. */
typedef struct PcGatewayJob {
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
        /* The WebSocket API (ws.c) sets these; HTTP leaves them zero. */
        bool ws;            /* the answer goes to pc__gateway_ws_job_done() */
        const char *caller; /* for the audit record; NULL: "http" */
        /* When set, the worker calls it instead of the tool dispatch (status: the manager
         * and the config snapshot belong to the worker thread). */
        void (*run)(struct PcGatewayJob *j, const PcConfig *cfg, PcSandboxManager *manager);
        json_t *result; /* set by run */
} PcGatewayJob;

PcGatewayJob *pc__gateway_job_free(PcGatewayJob *j);

typedef struct PcGatewayWorker PcGatewayWorker;
typedef void (*PcGatewayDoneFn)(PcGatewayJob *job, void *userdata);

/* Starts the worker thread; it takes ownership of store and manager and a reference on cfg. */
int pc__gateway_worker_start(uv_loop_t *loop, const PcConfig *cfg, PcStore *store,
                             PcSandboxManager *manager, PcGatewayDoneFn on_done, void *userdata,
                             PcGatewayWorker **ret);
/* Loop thread. */
void pc__gateway_worker_submit(PcGatewayWorker *w, PcGatewayJob *job);
/* Takes the caller's reference: the snapshot for the next call. PcConfig's refcount is not
 * atomic, so once the worker runs, snapshots are referenced and released only under its lock. */
void pc__gateway_worker_take_config(PcGatewayWorker *w, PcConfig *cfg);
size_t pc__gateway_worker_busy(PcGatewayWorker *w); /* queued + running */
/* Stops the thread after its current call and frees everything; with abandon the thread is
 * left running (shutdown after the drain timeout: the process exits next). */
void pc__gateway_worker_stop(PcGatewayWorker *w, bool abandon);

/* The HTTP deny list (gateway spec §1.6) for a normalised tool name, with gateway.tools. */
bool pc__gateway_http_denied(const PcConfig *cfg, const char *tool);

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
        size_t n_conns;
        size_t n_awaiting;         /* connections waiting for a tool call's response */
        struct PcWsConn *ws_conns; /* WebSocket connections (ws.c) */
        uint64_t started_ns;       /* uv_hrtime() at start, for uptime */
        bool draining;
        bool stopping;
        bool abandoned; /* stopped with a call still running (drain timeout) */
} PcGateway;

extern const struct lws_protocols *const pc__gateway_protocols; /* http.c */
/* Loop thread: a finished job goes back to its connection (PcGatewayDoneFn). */
void pc__gateway_job_done(PcGatewayJob *job, void *userdata);
/* Loop thread: called when a request finished and the gateway is draining. */
void pc__gateway_maybe_stop(PcGateway *g);
