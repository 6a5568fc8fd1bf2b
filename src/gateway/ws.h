/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket API on the gateway's port (gateway spec §1.3; docs/api.md "WebSocket").
 * Shared inside src/gateway/ only.
 *
 *   ws-frame.c     parsing of client frames and connect params, building of server frames
 *                  (pure: no lws, no loop; the fuzz target fuzz/fuzz-ws-frame.c drives it);
 *   ws.c           the lws protocol: connections, the handshake, limits, the method table,
 *                  events;
 *   ws-sessions.c  sessions.list and sessions.history.
 *
 * Every limit below is documented in docs/api.md.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "gateway-internal.h"

#define PC_WS_PROTOCOL_VERSION     4
#define PC_WS_MAX_PAYLOAD          (2u * 1024u * 1024u) /* one message after connect; 1009 beyond */
#define PC_WS_MAX_PRECONNECT       (64u * 1024u)        /* one message before connect (spec) */
#define PC_WS_MAX_BUFFERED         (8u * 1024u * 1024u) /* unsent frames per connection */
#define PC_WS_MAX_IN_FLIGHT        16                   /* worker requests per connection */
#define PC_WS_MAX_HOLDS            64    /* runs and agent.wait calls per connection */
#define PC_WS_MAX_SECRET           4096  /* auth.token / auth.password (spec) */
#define PC_WS_MAX_ID               256   /* a request id */
#define PC_WS_HANDSHAKE_TIMEOUT_MS 15000 /* upgrade to a successful connect */
#define PC_WS_TICK_INTERVAL_MS     15000 /* the tick event */

/* Close codes (RFC 6455 §7.4.1). */
#define PC_WS_CLOSE_PROTOCOL    1002 /* protocol version mismatch */
#define PC_WS_CLOSE_UNSUPPORTED 1003 /* a binary message */
#define PC_WS_CLOSE_POLICY      1008 /* auth, handshake order or timeout, too slow a reader */
#define PC_WS_CLOSE_TOO_BIG     1009 /* a message over the limit */

/* Error codes: the spec's closed set (§1.3). */
#define PC_WS_E_INVALID_REQUEST "INVALID_REQUEST"
#define PC_WS_E_FORBIDDEN       "FORBIDDEN"
#define PC_WS_E_UNAVAILABLE     "UNAVAILABLE"

typedef enum PcWsFrameKind {
        PC_WS_FRAME_REQ,
        PC_WS_FRAME_CANCEL,
} PcWsFrameKind;

/* One client frame. id, method and params are borrowed from doc. */
typedef struct PcWsRequest {
        PcWsFrameKind kind;
        json_t *doc;    /* owned */
        const char *id; /* NULL when it could not be read (also on errors) */
        const char *method;
        const json_t *params; /* NULL when absent */
} PcWsRequest;

/* Parses one text message. 0, or -EINVAL with reterr saying what is wrong; ret->id is then
 * set when the frame had a usable id (so the error can answer it). Release ret either way. */
int pc__ws_request_parse(const char *data, size_t len, PcWsRequest *ret, PcError *reterr);
void pc__ws_request_release(PcWsRequest *r);

/* The params of connect, borrowed from the request. */
typedef struct PcWsConnectParams {
        int64_t min_protocol, max_protocol;
        const char *client_id, *client_version, *client_platform, *client_mode;
        const char *role;     /* "operator" when absent */
        const json_t *scopes; /* array of strings or NULL */
        const char *token, *password;
        size_t token_len, password_len;
} PcWsConnectParams;

/* Validates ConnectParams (spec §1.3 step 2-3): -EINVAL with the field in reterr, or
 * -EPROTONOSUPPORT when [min, max] does not include PC_WS_PROTOCOL_VERSION. */
int pc__ws_connect_parse(const json_t *params, PcWsConnectParams *ret, PcError *reterr);

/* Server frames as compact JSON text, heap strings. payload and details are stolen (NULL:
 * left out). id NULL is written as JSON null (a frame whose id could not be read). */
char *pc__ws_res_ok(const char *id, json_t *payload);
char *pc__ws_res_error(const char *id, const char *code, const char *message, json_t *details);
char *pc__ws_event(const char *event, json_t *payload, uint64_t seq);

/* ---- ws.c ---------------------------------------------------------------------------- */

struct lws_protocols;
struct lws_protocol_vhost_options;
typedef struct PcGateway PcGateway;
typedef struct PcGatewayJob PcGatewayJob;
typedef struct PcWsConn PcWsConn;

extern const struct lws_protocols pc__gateway_ws_protocol;
/* Makes the WebSocket protocol the one an upgrade without Sec-WebSocket-Protocol gets. */
extern const struct lws_protocol_vhost_options pc__gateway_ws_pvo;

/* Loop thread: a worker job of the WebSocket API came back (PcGatewayJob.ws set). */
void pc__gateway_ws_job_done(PcGatewayJob *job, PcGateway *g);
/* Loop thread: sends an event frame to every connected client (payload stolen). Returns the
 * number of connections it was queued for. The agent runtime streams through this. */
size_t pc__gateway_ws_broadcast(PcGateway *g, const char *event, json_t *payload);
/* Loop thread: sends an event frame to one connection (payload stolen). */
void pc__gateway_ws_send_event(PcWsConn *c, const char *event, json_t *payload);

/* Method handlers answer with pc__gateway_ws_reply() now, or later for worker jobs. */
void pc__gateway_ws_reply(PcWsConn *c, char *frame /* stolen */);

/* Hands run (worker thread) to the pool with params (stolen, may be NULL) as job->args; the
 * answer is job->result: the payload when status is 200, else {code, message, details?}. */
void pc__gateway_ws_submit_run(PcWsConn *c, const char *id, PcGatewayRunFn run, json_t *params);

/* A run's hold on the connection that started it: hold_conn is NULL once the connection went
 * (or is closing). NULL beyond PC_WS_MAX_HOLDS per connection. Loop thread. */
typedef struct PcWsHold PcWsHold;
PcWsHold *pc__gateway_ws_hold(PcWsConn *c);
PcWsConn *pc__gateway_ws_hold_conn(const PcWsHold *h);
void pc__gateway_ws_hold_free(PcWsHold *h);
PcGateway *pc__gateway_ws_gateway(PcWsConn *c);

/* ---- ws-agent.c ---------------------------------------------------------------------- */

/* agent, agent.wait, chat.send, chat.abort (docs/api.md "Agent runs"). */
void pc__gateway_ws_agent(PcWsConn *c, const char *id, const json_t *params);
void pc__gateway_ws_agent_wait(PcWsConn *c, const char *id, const json_t *params);
void pc__gateway_ws_chat_send(PcWsConn *c, const char *id, const json_t *params);
void pc__gateway_ws_chat_abort(PcWsConn *c, const char *id, const json_t *params);

/* ---- ws-sessions.c ------------------------------------------------------------------- */

/* Both answer the request (id) on c. */
void pc__gateway_ws_sessions_list(PcWsConn *c, const char *id, const json_t *params);
void pc__gateway_ws_sessions_history(PcWsConn *c, const char *id, const json_t *params);
