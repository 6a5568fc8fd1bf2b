/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket API on the loop thread (gateway spec §1.3; docs/api.md "WebSocket"):
 * the connect.challenge / connect / hello-ok handshake, req/res/event frames, the method
 * table, limits and events. Tool calls and status go to the worker (worker.c) through
 * submit_job(), the one place this file uses it; nothing here blocks.
 */
#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/macro.h"
#include "gateway-internal.h"
#include "gateway.h"
#include "ws.h"

/* lws 4.1 keeps LWS_WRITE_CLOSE (4) private to lws_close_reason(), whose close frame it does
 * not send when the protocol callback closes from SERVER_WRITEABLE; the ABI value is stable. */
#define WRITE_CLOSE ((enum lws_write_protocol) 4)

typedef struct WsOut {
        struct WsOut *next;
        size_t len;
        bool awaited; /* a worker answer, counted in g->n_awaiting until written */
        unsigned char data[];
} WsOut;

/* A request handed to the worker; job->conn points here. c is NULL once the connection went. */
typedef struct WsPending {
        struct WsPending *next;
        PcWsConn *c;
        char *id;
} WsPending;

/* A run's hold on the connection that started it (ws-agent.c); c is NULL once it went. */
struct PcWsHold {
        struct PcWsHold *next;
        PcWsConn *c;
};

/* Per connection (lws user space, zeroed by lws). */
struct PcWsConn {
        PcWsConn *next, *prev;
        struct lws *wsi;
        PcGateway *g;
        bool established, connected, closing, close_sent;
        int close_code;
        char close_reason[64];
        char conn_id[33];
        char client[80]; /* client.id/mode for the log */
        uint64_t seq;
        PcBuf rx;
        WsOut *out, *out_tail;
        size_t out_bytes;
        WsPending *pending;
        size_t n_pending;
        PcWsHold *holds;
        size_t n_holds;
};

PcWsHold *pc__gateway_ws_hold(PcWsConn *c)
{
        if (c->n_holds >= PC_WS_MAX_HOLDS)
                return NULL;
        c->n_holds++;
        PcWsHold *h = xcalloc(1, sizeof(*h));
        h->c = c;
        h->next = c->holds;
        c->holds = h;
        return h;
}

PcWsConn *pc__gateway_ws_hold_conn(const PcWsHold *h)
{
        return h && h->c && h->c->connected && !h->c->closing ? h->c : NULL;
}

void pc__gateway_ws_hold_free(PcWsHold *h)
{
        if (!h)
                return;
        if (h->c) {
                for (PcWsHold **pp = &h->c->holds; *pp; pp = &(*pp)->next)
                        if (*pp == h) {
                                *pp = h->next;
                                break;
                        }
                h->c->n_holds--;
        }
        free(h);
}

PcGateway *pc__gateway_ws_gateway(PcWsConn *c)
{
        return c->g;
}

static PcGateway *gateway_of(struct lws *wsi)
{
        return lws_context_user(lws_get_context(wsi));
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void random_hex(char *buf, size_t bytes)
{
        uint8_t raw[32];
        if (bytes > sizeof(raw) || getrandom(raw, bytes, 0) != (ssize_t) bytes)
                abort();
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < bytes; i++) {
                buf[2 * i] = hex[raw[i] >> 4];
                buf[2 * i + 1] = hex[raw[i] & 15];
        }
        buf[2 * bytes] = 0;
}

static void close_with(PcWsConn *c, int code, const char *reason)
{
        if (c->closing)
                return;
        c->closing = true;
        c->close_code = code;
        (void) snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
        log_info("ws %s: closing (%d %s)", c->conn_id, code, reason);
        lws_callback_on_writable(c->wsi);
}

static void enqueue(PcWsConn *c, char *frame, bool awaited)
{
        size_t n = strlen(frame);
        if (c->closing || c->out_bytes + n > PC_WS_MAX_BUFFERED) {
                free(frame);
                if (awaited) {
                        c->g->n_awaiting--;
                        pc__gateway_maybe_stop(c->g);
                }
                close_with(c, PC_WS_CLOSE_POLICY, "too much unread data");
                return;
        }
        WsOut *o = xmalloc(sizeof(*o) + LWS_PRE + n);
        o->next = NULL;
        o->len = n;
        o->awaited = awaited;
        memcpy(o->data + LWS_PRE, frame, n);
        free(frame);
        if (c->out_tail)
                c->out_tail->next = o;
        else
                c->out = o;
        c->out_tail = o;
        c->out_bytes += n;
        lws_callback_on_writable(c->wsi);
}

void pc__gateway_ws_reply(PcWsConn *c, char *frame)
{
        enqueue(c, frame, false);
}

static void reply_error(PcWsConn *c, const char *id, const char *code, const char *message,
                        json_t *details)
{
        enqueue(c, pc__ws_res_error(id, code, message, details), false);
}

void pc__gateway_ws_send_event(PcWsConn *c, const char *event, json_t *payload)
{
        if (!c->connected || c->closing) {
                json_decref(payload);
                return;
        }
        /* The shutdown event holds the drain (n_awaiting) until it is written. */
        bool awaited = streq(event, "shutdown");
        if (awaited)
                c->g->n_awaiting++;
        enqueue(c, pc__ws_event(event, payload, ++c->seq), awaited);
}

size_t pc__gateway_ws_broadcast(PcGateway *g, const char *event, json_t *payload)
{
        size_t n = 0;
        for (PcWsConn *c = g->ws_conns; c; c = c->next)
                if (c->connected && !c->closing) {
                        pc__gateway_ws_send_event(c, event, json_incref(payload));
                        n++;
                }
        json_decref(payload);
        return n;
}

/* ---- methods ------------------------------------------------------------------------- */

typedef void (*MethodFn)(PcWsConn *c, const char *id, const json_t *params);

static void m_health(PcWsConn *c, const char *id, const json_t *params);
static void m_status(PcWsConn *c, const char *id, const json_t *params);
static void m_tools_invoke(PcWsConn *c, const char *id, const json_t *params);

static const struct {
        const char *name;
        MethodFn fn;
} methods[] = {
        {"health", m_health},
        {"status", m_status},
        {"tools.invoke", m_tools_invoke},
        {"sessions.list", pc__gateway_ws_sessions_list},
        {"sessions.history", pc__gateway_ws_sessions_history},
        {"agent", pc__gateway_ws_agent},
        {"agent.wait", pc__gateway_ws_agent_wait},
        {"chat.send", pc__gateway_ws_chat_send},
        {"chat.abort", pc__gateway_ws_chat_abort},
};

static const char *const events[] = {"connect.challenge", "tick", "shutdown", "agent", "chat"};

static uint64_t uptime_ms(const PcGateway *g)
{
        return (uv_hrtime() - g->started_ns) / 1000000u;
}

static size_t n_connected(const PcGateway *g)
{
        size_t n = 0;
        for (const PcWsConn *c = g->ws_conns; c; c = c->next)
                n += c->connected;
        return n;
}

static void m_health(PcWsConn *c, const char *id, const json_t *params)
{
        (void) params;
        json_t *p = json_pack("{s:b,s:s,s:I,s:i,s:I}", "ok", 1, "status", "live", "ts",
                              (json_int_t) now_ms(), "durationMs", 0, "uptimeMs",
                              (json_int_t) uptime_ms(c->g));
        pc__gateway_ws_reply(c, pc__ws_res_ok(id, p));
}

static bool may_submit(PcWsConn *c, const char *id);

/* The one place the WebSocket API hands work to the tool worker. */
static void submit_job(PcWsConn *c, const char *id, PcGatewayJob *j)
{
        WsPending *p = xcalloc(1, sizeof(*p));
        p->c = c;
        p->id = xstrdup(id);
        p->next = c->pending;
        c->pending = p;
        c->n_pending++;
        j->ws = true;
        j->caller = "ws";
        j->conn = p;
        c->g->n_awaiting++;
        if (pc__gateway_worker_submit(c->g->worker, j) == 0)
                return;
        c->pending = p->next;
        c->n_pending--;
        c->g->n_awaiting--;
        free(p->id);
        free(p);
        pc__gateway_job_free(j);
        reply_error(c, id, PC_WS_E_UNAVAILABLE, "too many tool calls waiting, retry later",
                    json_pack("{s:s}", "reason", "queue-full"));
}

void pc__gateway_ws_submit_run(PcWsConn *c, const char *id, PcGatewayRunFn run, json_t *params)
{
        if (!may_submit(c, id)) {
                json_decref(params);
                return;
        }
        PcGatewayJob *j = xcalloc(1, sizeof(*j));
        j->run = run;
        j->args = params;
        submit_job(c, id, j);
}

static bool may_submit(PcWsConn *c, const char *id)
{
        if (c->g->draining) {
                reply_error(c, id, PC_WS_E_UNAVAILABLE, "the gateway is shutting down",
                            json_pack("{s:s}", "reason", "draining"));
                return false;
        }
        if (c->n_pending >= PC_WS_MAX_IN_FLIGHT) {
                reply_error(c, id, PC_WS_E_UNAVAILABLE,
                            "too many requests in flight on this connection (at most 16): wait "
                            "for a response before sending more",
                            json_pack("{s:s,s:i}", "reason", "in-flight-limit", "limit",
                                      PC_WS_MAX_IN_FLIGHT));
                return false;
        }
        return true;
}

/* Worker thread: the status snapshot (the manager and the config belong to the worker). */
static void run_status(PcGatewayJob *j, const PcConfig *cfg, PcSandboxManager *manager,
                       PcStore *store)
{
        (void) store;
        json_t *agents = json_array();
        for (size_t i = 0; i < pc_config_n_agents(cfg); i++) {
                const PcAgent *a = pc_config_agent(cfg, i);
                json_array_append_new(agents, json_pack("{s:s,s:b,s:s}", "agentId", a->id,
                                                        "isDefault", a->is_default, "workspace",
                                                        a->workspace ? a->workspace : ""));
        }
        json_t *list = NULL;
        PcError err = PC_ERROR_INIT;
        json_t *sbx = json_pack("{s:i,s:o}", "total", 0, "byBackend", json_object());
        if (pc_sandbox_manager_list(manager, cfg, NULL, &list, &err) < 0)
                json_object_set_new(sbx, "error", json_string(err.msg));
        else {
                size_t i;
                json_t *o;
                json_t *by = json_object_get(sbx, "byBackend");
                json_array_foreach (list, i, o) {
                        const char *be = json_string_value(json_object_get(o, "backend"));
                        const char *st = json_string_value(json_object_get(o, "state"));
                        json_t *b = json_object_get(by, be ? be : "?");
                        if (!b) {
                                b = json_object();
                                json_object_set_new(by, be ? be : "?", b);
                        }
                        json_int_t n = json_integer_value(json_object_get(b, st ? st : "unknown"));
                        json_object_set_new(b, st ? st : "unknown", json_integer(n + 1));
                }
                json_object_set_new(sbx, "total", json_integer((json_int_t) json_array_size(list)));
                json_decref(list);
        }
        const PcAgent *def = pc_config_default_agent(cfg);
        j->result = json_pack("{s:s,s:o,s:s?,s:o}", "configPath",
                              pc_config_file_exists(cfg) ? pc_config_path(cfg) : "", "agents",
                              agents, "defaultAgentId", def ? def->id : NULL, "sandboxes", sbx);
        j->status = 200;
}

static void m_status(PcWsConn *c, const char *id, const json_t *params)
{
        (void) params;
        pc__gateway_ws_submit_run(c, id, run_status, NULL);
}

/* Same request shape and semantics as POST /tools/invoke (http.c invoke()). */
static void m_tools_invoke(PcWsConn *c, const char *id, const json_t *params)
{
        PcGatewayJob *j = NULL;
        if (pc__gateway_invoke_request(params, &j) < 0) {
                reply_error(c, id, PC_WS_E_INVALID_REQUEST,
                            "tools.invoke requires params.name (or params.tool)",
                            json_pack("{s:s}", "type", "invalid_request_error"));
                return;
        }
        if (!may_submit(c, id)) {
                pc__gateway_job_free(j);
                return;
        }
        submit_job(c, id, j);
}

/* The HTTP status of a tool call → the spec's error code (docs/api.md). */
static const char *code_of_status(int status)
{
        switch (status) {
        case 403:
                return PC_WS_E_FORBIDDEN;
        case 500:
        case 503:
                return PC_WS_E_UNAVAILABLE;
        default:
                return PC_WS_E_INVALID_REQUEST;
        }
}

static char *tool_frame(const char *id, PcGatewayJob *job)
{
        json_t *doc = job->body ? json_loads(job->body, 0, NULL) : NULL;
        if (job->status == 200 && doc) {
                json_object_set_new(doc, "toolName", json_string(job->tool));
                return pc__ws_res_ok(id, doc);
        }
        const json_t *err = json_object_get(doc, "error");
        const char *msg = json_string_value(json_object_get(err, "message"));
        const char *type = json_string_value(json_object_get(err, "type"));
        const char *tool = json_string_value(json_object_get(doc, "toolName"));
        json_t *details =
                json_pack("{s:s,s:i}", "type", type ? type : "tool_error", "status", job->status);
        if (tool)
                json_object_set_new(details, "toolName", json_string(tool));
        char *f = pc__ws_res_error(id, code_of_status(job->status),
                                   msg ? msg : "tool execution failed", details);
        json_decref(doc);
        return f;
}

void pc__gateway_ws_job_done(PcGatewayJob *job, PcGateway *g)
{
        WsPending *p = job->conn;
        PcWsConn *c = p->c;
        if (c) {
                for (WsPending **pp = &c->pending; *pp; pp = &(*pp)->next)
                        if (*pp == p) {
                                *pp = p->next;
                                break;
                        }
                c->n_pending--;
                char *frame;
                if (job->run && job->status != 200) {
                        json_t *r = job->result;
                        const char *code = json_string_value(json_object_get(r, "code"));
                        const char *msg = json_string_value(json_object_get(r, "message"));
                        json_t *details = json_object_get(r, "details");
                        frame = pc__ws_res_error(p->id, code ? code : PC_WS_E_UNAVAILABLE,
                                                 msg ? msg : "the request failed",
                                                 json_incref(details));
                } else if (job->run && job->run != run_status) {
                        frame = pc__ws_res_ok(p->id, json_incref(job->result));
                } else if (job->run) {
                        /* status: add what the loop thread knows. */
                        json_t *r = job->result;
                        json_object_set_new(r, "version", json_string(PINCER_VERSION));
                        json_object_set_new(r, "protocol", json_integer(PC_WS_PROTOCOL_VERSION));
                        json_object_set_new(r, "uptimeMs", json_integer((json_int_t) uptime_ms(g)));
                        json_object_set_new(r, "connections",
                                            json_pack("{s:I,s:I}", "websocket",
                                                      (json_int_t) n_connected(g), "total",
                                                      (json_int_t) g->n_conns));
                        json_object_set_new(r, "toolCallsInFlight",
                                            json_integer((json_int_t) g->n_awaiting - 1));
                        frame = pc__ws_res_ok(p->id, json_incref(r));
                } else
                        frame = tool_frame(p->id, job);
                enqueue(c, frame, true); /* n_awaiting goes down when it is written */
        } else {
                g->n_awaiting--;
        }
        free(p->id);
        free(p);
        pc__gateway_job_free(job);
        pc__gateway_maybe_stop(g);
}

/* ---- the handshake ------------------------------------------------------------------- */

static json_t *string_array(const char *const *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static void on_connect(PcWsConn *c, const char *id, const json_t *params)
{
        PcWsConnectParams cp;
        PcError err = PC_ERROR_INIT;
        int r = pc__ws_connect_parse(params, &cp, &err);
        if (r == -EPROTONOSUPPORT) {
                reply_error(c, id, PC_WS_E_INVALID_REQUEST, err.msg,
                            json_pack("{s:s,s:i}", "code", "PROTOCOL_MISMATCH", "expectedProtocol",
                                      PC_WS_PROTOCOL_VERSION));
                close_with(c, PC_WS_CLOSE_PROTOCOL, "protocol mismatch");
                return;
        }
        if (r < 0) {
                reply_error(c, id, PC_WS_E_INVALID_REQUEST, err.msg, NULL);
                close_with(c, PC_WS_CLOSE_POLICY, "invalid connect params");
                return;
        }
        const PcGatewayAuth *a = &c->g->auth;
        if (!pc__gateway_auth_check_secrets(a, cp.token, cp.token_len, cp.password,
                                            cp.password_len)) {
                bool pw = a->mode == PC_GATEWAY_AUTH_PASSWORD;
                bool missing = pw ? !cp.password : !cp.token;
                const char *dcode =
                        pw ? (missing ? "AUTH_PASSWORD_MISSING" : "AUTH_PASSWORD_MISMATCH")
                           : (missing ? "AUTH_TOKEN_MISSING" : "AUTH_TOKEN_MISMATCH");
                char msg[256];
                (void) snprintf(msg, sizeof(msg),
                                "unauthorized: %s (gateway.auth.mode is \"%s\"; send it in "
                                "connect params.auth.%s)",
                                missing ? (pw ? "no password given" : "no token given")
                                        : (pw ? "wrong password" : "wrong token"),
                                pc__gateway_auth_mode_name(a->mode), pw ? "password" : "token");
                reply_error(c, id, PC_WS_E_INVALID_REQUEST, msg,
                            json_pack("{s:s,s:b,s:s}", "code", dcode, "canRetryWithDeviceToken", 0,
                                      "recommendedNextStep", "update_auth_credentials"));
                close_with(c, PC_WS_CLOSE_POLICY, "unauthorized");
                return;
        }
        c->connected = true;
        (void) snprintf(c->client, sizeof(c->client), "%.40s/%.20s", cp.client_id, cp.client_mode);
        json_t *methods_list = json_array();
        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                json_array_append_new(methods_list, json_string(methods[i].name));
        /* No pairing: a shared-secret connection gets the scopes it asked for (spec §1.2's
         * compat note), or the full operator set. */
        json_t *scopes =
                cp.scopes ? json_deep_copy(cp.scopes)
                          : json_pack("[s,s,s,s,s,s]", "operator.admin", "operator.approvals",
                                      "operator.pairing", "operator.read", "operator.talk.secrets",
                                      "operator.write");
        json_t *hello = json_pack(
                "{s:s,s:i,s:{s:s,s:s},s:{s:o,s:o},"
                "s:{s:[],s:{},s:{s:i,s:i},s:I,s:s},s:{s:s,s:o},s:{s:I,s:I,s:I,s:I,s:I}}",
                "type", "hello-ok", "protocol", PC_WS_PROTOCOL_VERSION, "server", "version",
                PINCER_VERSION, "connId", c->conn_id, "features", "methods", methods_list, "events",
                string_array(events, ELEMENTSOF(events)), "snapshot", "presence", "health",
                "stateVersion", "presence", 0, "health", 0, "uptimeMs",
                (json_int_t) uptime_ms(c->g), "authMode", pc__gateway_auth_mode_name(a->mode),
                "auth", "role", cp.role, "scopes", scopes, "policy", "maxPayload",
                (json_int_t) PC_WS_MAX_PAYLOAD, "maxBufferedBytes", (json_int_t) PC_WS_MAX_BUFFERED,
                "tickIntervalMs", (json_int_t) PC_WS_TICK_INTERVAL_MS, "maxInFlight",
                (json_int_t) PC_WS_MAX_IN_FLIGHT, "handshakeTimeoutMs",
                (json_int_t) PC_WS_HANDSHAKE_TIMEOUT_MS);
        if (!hello)
                abort();
        pc__gateway_ws_reply(c, pc__ws_res_ok(id, hello));
        log_info("ws %s: connected (%s, protocol %d)", c->conn_id, c->client,
                 PC_WS_PROTOCOL_VERSION);
        lws_set_timer_usecs(c->wsi, (lws_usec_t) PC_WS_TICK_INTERVAL_MS * 1000);
}

static void on_message(PcWsConn *c, const char *data, size_t len)
{
        PcWsRequest req;
        PcError err = PC_ERROR_INIT;
        int r = pc__ws_request_parse(data, len, &req, &err);
        if (r < 0) {
                reply_error(c, req.id, PC_WS_E_INVALID_REQUEST, err.msg, NULL);
                if (!c->connected)
                        close_with(c, PC_WS_CLOSE_POLICY, "invalid handshake");
        } else if (req.kind == PC_WS_FRAME_CANCEL) {
                /* Additive in the spec: nothing here can be cancelled yet, so it is ignored. */
        } else if (!c->connected) {
                if (streq(req.method, "connect"))
                        on_connect(c, req.id, req.params);
                else {
                        reply_error(c, req.id, PC_WS_E_INVALID_REQUEST,
                                    "the first request must be connect (after the "
                                    "connect.challenge event)",
                                    NULL);
                        close_with(c, PC_WS_CLOSE_POLICY, "connect required");
                }
        } else if (streq(req.method, "connect")) {
                reply_error(c, req.id, PC_WS_E_INVALID_REQUEST,
                            "already connected: connect is only valid as the first request", NULL);
        } else {
                MethodFn fn = NULL;
                for (size_t i = 0; i < ELEMENTSOF(methods) && !fn; i++)
                        if (streq(methods[i].name, req.method))
                                fn = methods[i].fn;
                if (fn)
                        fn(c, req.id, req.params);
                else {
                        char msg[256];
                        (void) snprintf(msg, sizeof(msg),
                                        "unknown method: %.128s (hello-ok features.methods "
                                        "lists the methods of this gateway)",
                                        req.method);
                        reply_error(c, req.id, PC_WS_E_INVALID_REQUEST, msg,
                                    json_pack("{s:s}", "method", req.method));
                }
        }
        pc__ws_request_release(&req);
}

/* ---- lws callbacks ------------------------------------------------------------------- */

static void on_established(PcGateway *g, PcWsConn *c, struct lws *wsi)
{
        c->wsi = wsi;
        c->g = g;
        c->established = true;
        pc_buf_init(&c->rx);
        random_hex(c->conn_id, 16);
        c->next = g->ws_conns;
        if (g->ws_conns)
                g->ws_conns->prev = c;
        g->ws_conns = c;
        g->n_conns++;
        char nonce[33];
        random_hex(nonce, 16);
        enqueue(c,
                pc__ws_event("connect.challenge",
                             json_pack("{s:s,s:I}", "nonce", nonce, "ts", (json_int_t) now_ms()),
                             ++c->seq),
                false);
        lws_set_timer_usecs(wsi, (lws_usec_t) PC_WS_HANDSHAKE_TIMEOUT_MS * 1000);
}

static void on_closed(PcGateway *g, PcWsConn *c)
{
        if (!c->established)
                return;
        c->established = false;
        if (c->prev)
                c->prev->next = c->next;
        else
                g->ws_conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        g->n_conns--;
        for (WsOut *o = c->out, *n; o; o = n) {
                n = o->next;
                if (o->awaited)
                        g->n_awaiting--;
                free(o);
        }
        c->out = c->out_tail = NULL;
        for (WsPending *p = c->pending; p; p = p->next)
                p->c = NULL; /* its job comes back later and is dropped */
        c->pending = NULL;
        for (PcWsHold *h = c->holds; h; h = h->next)
                h->c = NULL; /* its run goes on; its events and answers are dropped */
        c->holds = NULL;
        c->n_holds = 0;
        pc_buf_release(&c->rx);
        log_info("ws %s: closed", c->conn_id);
        pc__gateway_maybe_stop(g);
}

static int on_receive(PcWsConn *c, struct lws *wsi, const void *in, size_t len)
{
        if (c->closing)
                return 0;
        bool last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
        if (lws_frame_is_binary(wsi)) {
                close_with(c, PC_WS_CLOSE_UNSUPPORTED, "binary frames are not accepted");
                return 0;
        }
        size_t max = c->connected ? PC_WS_MAX_PAYLOAD : PC_WS_MAX_PRECONNECT;
        if (c->rx.len + len > max) {
                pc_buf_release(&c->rx);
                close_with(c, PC_WS_CLOSE_TOO_BIG,
                           c->connected ? "message over 2 MiB"
                                        : "message over 64 KiB before "
                                          "connect");
                return 0;
        }
        pc_buf_add(&c->rx, in, len);
        if (!last)
                return 0;
        on_message(c, c->rx.buf, c->rx.len);
        pc_buf_release(&c->rx);
        pc_buf_init(&c->rx);
        return 0;
}

static int on_writeable(PcWsConn *c, struct lws *wsi)
{
        WsOut *o = c->out;
        if (o) {
                c->out = o->next;
                if (!c->out)
                        c->out_tail = NULL;
                c->out_bytes -= o->len;
                int n = lws_write(wsi, o->data + LWS_PRE, o->len, LWS_WRITE_TEXT);
                if (o->awaited) {
                        c->g->n_awaiting--;
                        pc__gateway_maybe_stop(c->g);
                }
                free(o);
                if (n < 0)
                        return -1;
                if (c->out || c->closing)
                        lws_callback_on_writable(wsi);
                return 0;
        }
        if (c->closing && !c->close_sent) {
                /* The close frame (code + reason) is written here, and the connection closed
                 * on the next writable callback, once it went out. */
                unsigned char buf[LWS_PRE + 2 + sizeof(c->close_reason)];
                size_t n = strlen(c->close_reason);
                buf[LWS_PRE] = (unsigned char) (c->close_code >> 8);
                buf[LWS_PRE + 1] = (unsigned char) (c->close_code & 0xff);
                memcpy(buf + LWS_PRE + 2, c->close_reason, n);
                c->close_sent = true;
                if (lws_write(wsi, buf + LWS_PRE, 2 + n, WRITE_CLOSE) < 0)
                        return -1;
                lws_callback_on_writable(wsi);
                return 0;
        }
        return c->closing ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
        PcGateway *g = gateway_of(wsi);
        PcWsConn *c = user;
        switch (reason) {
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
                if (g->draining || g->n_conns >= PC_GATEWAY_MAX_CONNECTIONS) {
                        log_warning("ws: refusing an upgrade (%s)",
                                    g->draining ? "shutting down" : "too many connections");
                        return 1;
                }
                return 0;
        case LWS_CALLBACK_ESTABLISHED:
                on_established(g, c, wsi);
                return 0;
        case LWS_CALLBACK_CLOSED:
                on_closed(g, c);
                return 0;
        case LWS_CALLBACK_RECEIVE:
                return on_receive(c, wsi, in, len);
        case LWS_CALLBACK_SERVER_WRITEABLE:
                return on_writeable(c, wsi);
        case LWS_CALLBACK_TIMER:
                if (!c->connected)
                        close_with(c, PC_WS_CLOSE_POLICY, "handshake timeout");
                else {
                        pc__gateway_ws_send_event(c, "tick",
                                                  json_pack("{s:I}", "ts", (json_int_t) now_ms()));
                        lws_set_timer_usecs(wsi, (lws_usec_t) PC_WS_TICK_INTERVAL_MS * 1000);
                }
                return 0;
        default:
                return 0;
        }
}

/* rx_buffer_size: lws hands over at most this much per RECEIVE; messages are reassembled. */
const struct lws_protocols pc__gateway_ws_protocol = {
        "pincer-ws", callback, sizeof(PcWsConn), 65536, 0, NULL, 0,
};

static const struct lws_protocol_vhost_options default_opt = {NULL, NULL, "default", ""};
const struct lws_protocol_vhost_options pc__gateway_ws_pvo = {NULL, &default_opt, "pincer-ws", ""};
