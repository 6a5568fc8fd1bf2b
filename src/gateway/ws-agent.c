/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket agent methods (gateway spec §1.3, §4; docs/api.md "Agent runs"): agent,
 * chat.send and chat.abort, on the gateway run machinery (run.c), and the agent and chat
 * events of a run. Loop thread only.
 *
 * agent.wait answers when the run has ended or after timeoutMs (default 30 s, at most
 * MAX_WAIT_MS), for any run the gateway knows (also one started over HTTP or by a sub-agent
 * tool).
 *
 * Choices where the spec is silent:
 * - runId is the idempotencyKey (as OpenClaw does), so a repeated key finds its run: while it
 *   runs, agent and chat.send answer {runId, status:"in_flight"}; once it has finished, agent
 *   answers its final result again and chat.send {runId, status:"ok"}. Finished runs are
 *   remembered for 10 minutes;
 * - a run's events go only to the connection that started it;
 * - chat.abort's sessionKey is compared with the sessionKey the run was started with and with
 *   the key it resolved to (as stored: "agent:main:main" for "main").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/log.h"
#include "ws.h"

#define MAX_KEY         512 /* sessionKey (spec) */
#define MAX_IDEMPOTENCY 256
#define MAX_WAIT_MS     (10 * 60 * 1000)

typedef struct WsRun {
        PcWsHold *hold;
        char *req_id;      /* agent: the request answered twice; NULL for chat.send */
        char *session_key; /* as given, or NULL */
        uint64_t agent_seq, chat_seq;
        PcBuf text;       /* the current assistant message's text so far */
        bool new_message; /* a tool ran: the next text starts a new message */
} WsRun;

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reply_error(PcWsConn *c, const char *id, const char *code, const char *msg,
                        json_t *details)
{
        pc__gateway_ws_reply(c, pc__ws_res_error(id, code, msg, details));
}

static const char *session_of(const PcGatewayRun *run, const WsRun *w)
{
        if (run->res.session_key)
                return run->res.session_key;
        return w->session_key ? w->session_key : "main";
}

static void agent_event(PcGatewayRun *run, WsRun *w, const char *stream, json_t *data)
{
        PcWsConn *c = pc__gateway_ws_hold_conn(w->hold);
        if (!c) {
                json_decref(data);
                return;
        }
        pc__gateway_ws_send_event(c, "agent",
                                  json_pack("{s:s,s:I,s:s,s:I,s:s,s:o}", "runId", run->id, "seq",
                                            (json_int_t) ++w->agent_seq, "stream", stream, "ts",
                                            (json_int_t) now_ms(), "sessionKey", session_of(run, w),
                                            "data", data));
}

static json_t *assistant_message(const char *text)
{
        return json_pack("{s:s,s:[{s:s,s:s}],s:I}", "role", "assistant", "content", "type", "text",
                         "text", text, "timestamp", (json_int_t) now_ms());
}

/* state: delta, final, aborted, error; extra (stolen, may be NULL) is merged in. */
static void chat_event(PcGatewayRun *run, WsRun *w, const char *state, json_t *extra)
{
        PcWsConn *c = pc__gateway_ws_hold_conn(w->hold);
        if (!c) {
                json_decref(extra);
                return;
        }
        json_t *p =
                json_pack("{s:s,s:s,s:I,s:s}", "runId", run->id, "sessionKey", session_of(run, w),
                          "seq", (json_int_t) ++w->chat_seq, "state", state);
        if (extra) {
                json_object_update(p, extra);
                json_decref(extra);
        }
        pc__gateway_ws_send_event(c, "chat", p);
}

static void on_event(PcGatewayRun *run, const json_t *ev, void *owner)
{
        WsRun *w = owner;
        const char *type = json_string_value(json_object_get(ev, "type"));
        if (streq_ptr(type, "start")) {
                agent_event(run, w, "lifecycle",
                            json_pack("{s:s,s:I}", "phase", "start", "startedAt",
                                      (json_int_t) run->started_at));
        } else if (streq_ptr(type, "text")) {
                const char *delta = json_string_value(json_object_get(ev, "text"));
                if (w->new_message) {
                        pc_buf_setlen(&w->text, 0);
                        w->new_message = false;
                }
                pc_buf_addstr(&w->text, delta);
                agent_event(run, w, "assistant",
                            json_pack("{s:s%,s:s}", "text", w->text.buf ? w->text.buf : "",
                                      w->text.len, "delta", delta));
                chat_event(run, w, "delta",
                           json_pack("{s:o,s:s}", "message",
                                     assistant_message(w->text.buf ? w->text.buf : ""), "deltaText",
                                     delta));
        } else if (streq_ptr(type, "tool_start")) {
                w->new_message = true;
                json_t *d = json_pack("{s:s,s:O,s:O}", "phase", "start", "name",
                                      json_object_get(ev, "name"), "toolCallId",
                                      json_object_get(ev, "toolCallId"));
                if (json_object_get(ev, "args"))
                        json_object_set(d, "args", json_object_get(ev, "args"));
                agent_event(run, w, "tool", d);
        } else if (streq_ptr(type, "tool_end")) {
                agent_event(run, w, "tool",
                            json_pack("{s:s,s:O,s:O,s:O,s:O}", "phase", "result", "name",
                                      json_object_get(ev, "name"), "toolCallId",
                                      json_object_get(ev, "toolCallId"), "result",
                                      json_object_get(ev, "result"), "isError",
                                      json_object_get(ev, "isError")));
        }
}

/* The agent method's final payload (also for a repeated idempotencyKey). */
static json_t *final_payload(const PcGatewayRun *run)
{
        const PcAgentRunResult *res = &run->res;
        const char *model = res->model ? strchr(res->model, '/') : NULL;
        _cleanup_free_ char *provider =
                model ? xstrndup(res->model, (size_t) (model - res->model)) : NULL;
        return json_pack("{s:s,s:s,s:s,s:{s:[{s:s}],s:{s:I,s:{s:s?,s:s?,s:s?,s:s?,s:{s:I,s:I}}}}}",
                         "runId", run->id, "status", "ok", "summary", "completed", "result",
                         "payloads", "text", res->text ? res->text : "", "meta", "durationMs",
                         (json_int_t) (run->ended_at - run->started_at), "agentMeta", "sessionId",
                         res->session_id, "sessionKey", res->session_key, "provider", provider,
                         "model", model ? model + 1 : NULL, "usage", "input", res->input_tokens,
                         "output", res->output_tokens);
}

static char *final_frame(const PcGatewayRun *run, const char *req_id)
{
        if (run->r >= 0)
                return pc__ws_res_ok(req_id, final_payload(run));
        bool aborted = run->r == -ECANCELED;
        bool bad = run->err.kind == PC_ERROR_INVALID_ARGUMENT;
        return pc__ws_res_error(
                req_id, bad ? PC_WS_E_INVALID_REQUEST : PC_WS_E_UNAVAILABLE,
                run->err.msg[0] ? run->err.msg : "the run failed",
                json_pack("{s:s,s:s}", "runId", run->id, "status", aborted ? "aborted" : "error"));
}

static void on_finished(PcGatewayRun *run, void *owner)
{
        WsRun *w = owner;
        int64_t ended = run->ended_at;
        if (run->r >= 0) {
                agent_event(run, w, "lifecycle",
                            json_pack("{s:s,s:I,s:I}", "phase", "end", "startedAt",
                                      (json_int_t) run->started_at, "endedAt", (json_int_t) ended));
                chat_event(run, w, "final",
                           json_pack("{s:o,s:s,s:{s:I,s:I}}", "message",
                                     assistant_message(run->res.text ? run->res.text : ""),
                                     "stopReason", "stop", "usage", "input", run->res.input_tokens,
                                     "output", run->res.output_tokens));
        } else if (run->r == -ECANCELED) {
                agent_event(run, w, "lifecycle",
                            json_pack("{s:s,s:I,s:I,s:b}", "phase", "end", "startedAt",
                                      (json_int_t) run->started_at, "endedAt", (json_int_t) ended,
                                      "aborted", 1));
                chat_event(run, w, "aborted", NULL);
        } else {
                agent_event(run, w, "lifecycle",
                            json_pack("{s:s,s:I,s:I,s:s}", "phase", "error", "startedAt",
                                      (json_int_t) run->started_at, "endedAt", (json_int_t) ended,
                                      "error", run->err.msg));
                chat_event(run, w, "error",
                           json_pack("{s:s,s:s}", "errorMessage", run->err.msg, "errorKind",
                                     run->err.code == -ETIMEDOUT ? "timeout" : "unknown"));
        }
        PcWsConn *c = pc__gateway_ws_hold_conn(w->hold);
        if (c && w->req_id)
                pc__gateway_ws_reply(c, final_frame(run, w->req_id));
        pc__gateway_ws_hold_free(w->hold);
        free(w->req_id);
        free(w->session_key);
        pc_buf_release(&w->text);
        free(w);
}

static const PcGatewayRunOps ws_ops = {.event = on_event, .finished = on_finished};

static void too_many(PcWsConn *c, const char *id)
{
        reply_error(c, id, PC_WS_E_UNAVAILABLE,
                    "too many runs and agent.wait calls going on for this connection (at most "
                    "64): wait for one to end",
                    json_pack("{s:s,s:i}", "reason", "hold-limit", "limit", PC_WS_MAX_HOLDS));
}

/* A string param: absent is NULL; present must be a non-empty string of at most max bytes. */
static int string_param(PcWsConn *c, const char *id, const json_t *params, const char *name,
                        size_t max, bool required, const char **ret)
{
        const json_t *v = json_object_get(params, name);
        *ret = NULL;
        if (!v && !required)
                return 0;
        const char *s = json_string_value(v);
        if (!s || !*s || strlen(s) > max) {
                char msg[200];
                (void) snprintf(msg, sizeof(msg), "params.%s %s", name,
                                !v   ? "is required"
                                : !s ? "must be a string"
                                : *s ? "is too long"
                                     : "must not be empty");
                reply_error(c, id, PC_WS_E_INVALID_REQUEST, msg,
                            json_pack("{s:s,s:I}", "param", name, "max", (json_int_t) max));
                return -EINVAL;
        }
        *ret = s;
        return 0;
}

/* Starts a run for agent (req_id set) or chat.send. */
static void start(PcWsConn *c, const char *id, const json_t *params, bool agent)
{
        PcGateway *g = pc__gateway_ws_gateway(c);
        const char *message, *idem, *key, *agent_id;
        if (string_param(c, id, params, "message", PC_AGENT_MAX_MESSAGE_BYTES, true, &message) <
                    0 ||
            string_param(c, id, params, "idempotencyKey", MAX_IDEMPOTENCY, true, &idem) < 0 ||
            string_param(c, id, params, "sessionKey", MAX_KEY, !agent, &key) < 0 ||
            string_param(c, id, params, "agentId", 64, false, &agent_id) < 0)
                return;
        PcGatewayRun *old = pc__gateway_run_find(g, idem);
        if (old) {
                if (!pc__gateway_run_done(old) || !old->finished)
                        pc__gateway_ws_reply(c,
                                             pc__ws_res_ok(id, json_pack("{s:s,s:s}", "runId", idem,
                                                                         "status", "in_flight")));
                else if (agent)
                        pc__gateway_ws_reply(c, final_frame(old, id));
                else
                        pc__gateway_ws_reply(
                                c, pc__ws_res_ok(id, json_pack("{s:s,s:s}", "runId", idem, "status",
                                                               old->r >= 0 ? "ok" : "error")));
                return;
        }
        if (g->draining) {
                reply_error(c, id, PC_WS_E_UNAVAILABLE, "the gateway is shutting down",
                            json_pack("{s:s}", "reason", "draining"));
                return;
        }
        PcWsHold *hold = pc__gateway_ws_hold(c);
        if (!hold) {
                too_many(c, id);
                return;
        }
        WsRun *w = xcalloc(1, sizeof(*w));
        w->hold = hold;
        w->req_id = agent ? xstrdup(id) : NULL;
        w->session_key = key ? xstrdup(key) : NULL;
        pc_buf_init(&w->text);
        PcGatewayRunParams p = {
                .id = idem,
                .agent_id = agent_id,
                .session_key = key,
                .message = message,
                .ops = &ws_ops,
                .owner = w,
        };
        PcError err = PC_ERROR_INIT;
        PcGatewayRun *run = NULL;
        if (pc__gateway_run_start(g, &p, &run, &err) < 0) {
                reply_error(c, id, PC_WS_E_UNAVAILABLE, err.msg,
                            json_pack("{s:s}", "reason",
                                      err.code == -EAGAIN ? "too-many-runs" : "run-start"));
                pc__gateway_ws_hold_free(w->hold);
                free(w->req_id);
                free(w->session_key);
                free(w);
                return;
        }
        if (agent)
                pc__gateway_ws_reply(c,
                                     pc__ws_res_ok(id, json_pack("{s:s,s:s,s:I}", "runId", idem,
                                                                 "status", "accepted", "acceptedAt",
                                                                 (json_int_t) now_ms())));
        else
                pc__gateway_ws_reply(c, pc__ws_res_ok(id, json_pack("{s:s,s:s}", "runId", idem,
                                                                    "status", "started")));
}

void pc__gateway_ws_agent(PcWsConn *c, const char *id, const json_t *params)
{
        start(c, id, params, true);
}

void pc__gateway_ws_chat_send(PcWsConn *c, const char *id, const json_t *params)
{
        start(c, id, params, false);
}

void pc__gateway_ws_chat_abort(PcWsConn *c, const char *id, const json_t *params)
{
        const char *key, *run_id;
        if (string_param(c, id, params, "sessionKey", MAX_KEY, true, &key) < 0 ||
            string_param(c, id, params, "runId", MAX_IDEMPOTENCY, false, &run_id) < 0)
                return;
        json_t *ids = json_array();
        size_t n = pc__gateway_run_abort_session(pc__gateway_ws_gateway(c), key, run_id, ids);
        pc__gateway_ws_reply(c, pc__ws_res_ok(id, json_pack("{s:b,s:b,s:o}", "ok", 1, "aborted",
                                                            n > 0, "runIds", ids)));
}

typedef struct WsWait {
        PcWsHold *hold;
        char *req_id;
} WsWait;

static json_t *wait_payload(const PcGatewayRun *run, bool timed_out)
{
        json_t *p = json_pack("{s:s,s:s,s:I}", "runId", run->id, "status",
                              timed_out     ? "timeout"
                              : run->r >= 0 ? "ok"
                                            : "error",
                              "startedAt", (json_int_t) run->started_at);
        if (!timed_out) {
                json_object_set_new(p, "endedAt", json_integer(run->ended_at));
                if (run->r < 0)
                        json_object_set_new(p, "error", json_string(run->err.msg));
                if (run->r == -ECANCELED)
                        json_object_set_new(p, "aborted", json_true());
        }
        return p;
}

static void on_waited(PcGatewayRun *run, bool timed_out, void *userdata)
{
        WsWait *w = userdata;
        PcWsConn *c = pc__gateway_ws_hold_conn(w->hold);
        if (c)
                pc__gateway_ws_reply(c, pc__ws_res_ok(w->req_id, wait_payload(run, timed_out)));
        pc__gateway_ws_hold_free(w->hold);
        free(w->req_id);
        free(w);
}

void pc__gateway_ws_agent_wait(PcWsConn *c, const char *id, const json_t *params)
{
        const char *run_id;
        if (string_param(c, id, params, "runId", MAX_IDEMPOTENCY, true, &run_id) < 0)
                return;
        const json_t *t = json_object_get(params, "timeoutMs");
        if (t && (!json_is_integer(t) || json_integer_value(t) < 0 ||
                  json_integer_value(t) > MAX_WAIT_MS)) {
                reply_error(c, id, PC_WS_E_INVALID_REQUEST,
                            "params.timeoutMs must be an integer from 0 to 600000",
                            json_pack("{s:s,s:i}", "param", "timeoutMs", "max", MAX_WAIT_MS));
                return;
        }
        uint64_t timeout = t ? (uint64_t) json_integer_value(t) : 30000;
        PcGatewayRun *run = pc__gateway_run_find(pc__gateway_ws_gateway(c), run_id);
        if (!run) {
                reply_error(c, id, PC_WS_E_INVALID_REQUEST,
                            "unknown runId: no run with this id is going on or ended in the last "
                            "10 minutes",
                            json_pack("{s:s}", "runId", run_id));
                return;
        }
        if (run->finished) {
                pc__gateway_ws_reply(c, pc__ws_res_ok(id, wait_payload(run, false)));
                return;
        }
        PcWsHold *hold = pc__gateway_ws_hold(c);
        if (!hold) {
                too_many(c, id);
                return;
        }
        WsWait *w = xcalloc(1, sizeof(*w));
        w->hold = hold;
        w->req_id = xstrdup(id);
        pc__gateway_run_wait(run, timeout, on_waited, w);
}
