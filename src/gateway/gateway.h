/* SPDX-License-Identifier: MIT */
/*
 * `pincer gateway`: one process, one libuv loop, libwebsockets serving HTTP on one port
 * (gateway spec §1.1, §1.2, §1.4, §1.6; docs/api.md).
 *
 * Threads. Dispatch (tools/dispatch.h) and the sandbox backends are synchronous and the
 * sandbox manager is single-threaded, so:
 *   - the loop thread does HTTP only: parsing, auth, limits, /health, the request log and
 *     the config reload on SIGHUP; it never runs a tool and never waits for one;
 *   - one worker thread owns the store, the sandbox manager and the config snapshot of the
 *     call it is running. It takes tool calls from a mutex-protected queue, one at a time,
 *     and posts each finished response back to the loop with uv_async_send(); it also runs
 *     the prune of idle sandboxes every 5 minutes.
 * Later work makes the backends asynchronous; the worker then goes away.
 *
 * Config: a SIGHUP loads and validates a new snapshot. An invalid one is logged and the old
 * one kept. The next tool call runs on the new snapshot; a call in flight finishes on its
 * own (PcConfig is refcounted). The listener settings (gateway.port, bind, auth) are read at
 * start only: changing them needs a restart.
 *
 * SIGTERM / SIGINT: new requests get 503, the call in flight may finish (30 s at most),
 * then the process exits 0.
 */
#pragma once

#include "base/error.h"
#include "config/config.h"

#define PC_GATEWAY_DEFAULT_PORT               18789
#define PC_GATEWAY_MAX_BODY                   (2u * 1024u * 1024u) /* POST /tools/invoke body: 413 beyond */
#define PC_GATEWAY_MAX_CONNECTIONS            256                  /* 503 beyond */
#define PC_GATEWAY_MAX_HEADER_BYTES           8192 /* all request headers of one request */
#define PC_GATEWAY_DRAIN_TIMEOUT_MS           30000
#define PC_GATEWAY_PRUNE_INTERVAL_MS          (5 * 60 * 1000)
#define PC_GATEWAY_MAX_HEADER_BUFFER          (16u * 1024u) /* libwebsockets' buffer: closed beyond */
#define PC_GATEWAY_HEADER_TIMEOUT_S           10 /* the request headers must arrive within this */
#define PC_GATEWAY_IO_TIMEOUT_S               30 /* a request body, or a response, may stall this long */
#define PC_GATEWAY_METRICS_SANDBOX_REFRESH_MS 30000

typedef struct PcGatewayOptions {
        /* Owned by the gateway from the call on (freed on return, also on failure): the tool
         * worker thread uses them. The CLI makes them with pc_daemon_open_manager(). */
        struct PcStore *store;
        struct PcSandboxManager *manager;
        const PcConfigLoadOptions *load; /* how the config was loaded; reused on SIGHUP */
        int port;                        /* --port; 0: not given */
        const char *bind;                /* --bind; NULL: not given */
} PcGatewayOptions;

/*
 * Serves until SIGTERM or SIGINT. cfg is borrowed (the gateway takes its own reference).
 * Returns 0 after a clean shutdown, or a negative errno when it cannot start: -EINVAL for a
 * setting that forbids it (a non-loopback bind without auth, an unsupported bind or auth
 * mode, gateway.mode remote), -EADDRINUSE and friends when it cannot listen. PcError says
 * what and what to do; it never contains a secret.
 */
int pc_gateway_run(const PcConfig *cfg, const PcGatewayOptions *opts, PcError *reterr);
