/* SPDX-License-Identifier: MIT */
/*
 * POST /v1/chat/completions (gateway spec §1.6; docs/api.md): an agent as an OpenAI model.
 *
 * The loop thread checks auth and collects the body (http.c), then starts a gateway run
 * (run.c: a thread of its own with its own config snapshot and state connection; tool calls
 * hop to the workers). The body is checked on the run thread (prepare), text deltas come back
 * to the loop thread as events and are written as chunks at once, and the answer is written
 * when the run has finished.
 *
 * Choices where the spec is silent or Pincer is simpler:
 * - the model is "pincer" or "openclaw" (the default agent), "pincer/<id>", "openclaw/<id>",
 *   "pincer:<id>", "openclaw:<id>" or "agent:<id>";
 * - the last user message is the message run; earlier messages of the request are not replayed
 *   (the session's transcript is the history);
 * - the session is agent:<id>:openai-user:<user> when the request has `user` (stable), else a
 *   new agent:<id>:openai:<random> per request (stateless);
 * - stream: true answers in OpenAI's chunk shape (text/event-stream, data: ... data: [DONE]),
 *   each text delta written as it arrives; the body ends with the connection (no
 *   Content-Length). A run that fails before its first delta answers with an HTTP error; one
 *   that fails later ends the stream with data: {"error":{...}} and data: [DONE];
 * - errors: 400 invalid_request_error (bad body, unknown agent, the agent's model config),
 *   404 when the endpoint is disabled, 502 api_error when the model failed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "agents/loop.h"
#include "base/alloc.h"
#include "base/log.h"
#include "base/utf8.h"
#include "gateway-internal.h"
#include "store/store.h"

typedef struct ChatRun {
        PcGateway *g;
        PcGatewayJob *job; /* loop thread: the connection's job */
        char *body;
        size_t len;
        /* set by prepare (run thread) */
        char *text, *key, *agent_id;
        int status; /* an answer prepare made (a bad request), with answer and ctype */
        char *answer;
        const char *ctype;
        bool stream;
        char *model;
        char id[48];
        time_t created;
        bool started; /* loop thread: the first chunk went out: a stream from then on */
} ChatRun;

static void answer_error(ChatRun *run, int status, const char *type, const char *message)
{
        /* a message that quotes the request ("%.200s") may end inside a UTF-8 character: then
         * json_pack failed, no answer was set, and the run went on without an agent */
        _cleanup_free_ char *text = pc_utf8_sanitize(message, strlen(message));
        json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "message", text, "type", type);
        run->status = status;
        free(run->answer);
        run->answer = json_dumps(doc, JSON_COMPACT);
        run->ctype = "application/json";
        json_decref(doc);
}

static const PcAgent *agent_of_model(const PcConfig *cfg, const char *model)
{
        static const char *const prefixes[] = {"pincer/", "openclaw/",
                                               "pincer:", "openclaw:", "agent:"};
        if (streq(model, "pincer") || streq(model, "openclaw") || streq(model, "pincer/default") ||
            streq(model, "openclaw/default"))
                return pc_config_default_agent(cfg);
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                size_t n = strlen(prefixes[i]);
                if (strncmp(model, prefixes[i], n) == 0 && model[n])
                        return pc_config_find_agent(cfg, model + n);
        }
        return NULL;
}

static char *random_hex(size_t bytes)
{
        unsigned char buf[16];
        if (bytes > sizeof(buf))
                bytes = sizeof(buf);
        if (getrandom(buf, bytes, 0) != (ssize_t) bytes)
                memset(buf, 0, sizeof(buf));
        char *out = xmalloc(bytes * 2 + 1);
        for (size_t i = 0; i < bytes; i++)
                snprintf(out + 2 * i, 3, "%02x", buf[i]);
        return out;
}

static void sse_chunk(PcBuf *b, const char *id, const char *model, time_t created, json_t *delta,
                      const char *finish)
{
        json_t *chunk =
                json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:s?}]}", "id", id, "object",
                          "chat.completion.chunk", "created", (json_int_t) created, "model", model,
                          "choices", "index", 0, "delta", delta, "finish_reason", finish);
        char *s = json_dumps(chunk, JSON_COMPACT);
        pc_buf_addf(b, "data: %s\n\n", s);
        free(s);
        json_decref(chunk);
}

/* Run thread: checks the request against the run's config and completes req. */
static int chat_prepare(PcGatewayRun *grun, const PcConfig *cfg, PcAgentRunRequest *req,
                        void *owner, PcError *reterr)
{
        ChatRun *run = owner;
        (void) grun;
        const json_t *ep = json_object_get(
                json_object_get(
                        json_object_get(json_object_get(pc_config_root(cfg), "gateway"), "http"),
                        "endpoints"),
                "chatCompletions");
        if (!json_is_true(json_object_get(ep, "enabled"))) {
                answer_error(run, 404, "not_found",
                             "Not Found (enable gateway.http.endpoints."
                             "chatCompletions.enabled to serve /v1/chat/completions)");
                return pc_error_set(reterr, -EINVAL, "the endpoint is disabled");
        }
        _cleanup_(pc__chat_request_release) PcChatRequest cr = {0};
        int pr = pc__chat_request_parse(run->body, run->len, &cr);
        const char *model = cr.model, *user = cr.user;
        run->stream = cr.stream;
        run->text = cr.text ? xstrdup(cr.text) : NULL;
        const PcAgent *agent = model ? agent_of_model(cfg, model) : NULL;
        if (pr < 0)
                answer_error(run, 400, "invalid_request_error", "Invalid JSON body");
        else if (!model)
                answer_error(run, 400, "invalid_request_error",
                             "body.model is required: \"pincer/<agentId>\"");
        else if (!agent) {
                _cleanup_free_ char *m =
                        xasprintf("unknown model \"%.200s\": use \"pincer/<agentId>\" (or "
                                  "\"openclaw/<agentId>\") with a configured agent",
                                  model);
                answer_error(run, 400, "invalid_request_error", m);
        } else if (!run->text || !*run->text)
                answer_error(run, 400, "invalid_request_error",
                             "body.messages must hold a user message with text");
        if (run->answer)
                return pc_error_set(reterr, -EINVAL, "bad request");
        _cleanup_free_ char *seg = user && *user ? pc__chat_user_segment(user) : random_hex(8);
        run->key = xasprintf("agent:%s:%s:%s", agent->id, user && *user ? "openai-user" : "openai",
                             seg);
        run->agent_id = xstrdup(agent->id);
        run->model = xstrdup(model);
        req->agent_id = run->agent_id;
        req->session_key = run->key;
        req->message = run->text;
        return 0;
}

/* Loop thread: a text delta is a chunk, written now (when the request asked for a stream). */
static void chat_event(PcGatewayRun *grun, const json_t *ev, void *owner)
{
        ChatRun *run = owner;
        (void) grun;
        const char *type = json_string_value(json_object_get(ev, "type"));
        if (!run->stream || !streq_ptr(type, "text"))
                return;
        PcBuf b;
        pc_buf_init(&b);
        if (!run->started) {
                sse_chunk(&b, run->id, run->model, run->created,
                          json_pack("{s:s,s:s}", "role", "assistant", "content", ""), NULL);
                run->started = true;
        }
        sse_chunk(&b, run->id, run->model, run->created,
                  json_pack("{s:O}", "content", json_object_get(ev, "text")), NULL);
        pc__gateway_job_stream(run->job, 200, "text/event-stream", b.buf, b.len, false);
        pc_buf_release(&b);
}

static void chat_free(ChatRun *run)
{
        free(run->body);
        free(run->text);
        free(run->key);
        free(run->agent_id);
        free(run->answer);
        free(run->model);
        free(run);
}

/* Loop thread: the answer (or the end of the stream). */
static void chat_finished(PcGatewayRun *grun, void *owner)
{
        ChatRun *run = owner;
        PcGatewayJob *j = run->job;
        const PcError *err = &grun->err;
        const PcAgentRunResult *res = &grun->res;
        int r = grun->r;
        if (run->answer) {
                /* prepare's answer */
        } else if (r < 0 && !run->started) {
                bool bad = err->kind == PC_ERROR_INVALID_ARGUMENT;
                answer_error(run, bad ? 400 : 502, bad ? "invalid_request_error" : "api_error",
                             err->msg);
        } else if (run->stream) {
                /* the rest of the stream: the end (or the error) and [DONE] */
                PcBuf b;
                pc_buf_init(&b);
                if (!run->started)
                        sse_chunk(&b, run->id, run->model, run->created,
                                  json_pack("{s:s,s:s}", "role", "assistant", "content", ""), NULL);
                if (r < 0) {
                        _cleanup_free_ char *msg = pc_utf8_sanitize(err->msg, strlen(err->msg));
                        json_t *e = json_pack("{s:{s:s,s:s}}", "error", "message", msg, "type",
                                              "api_error");
                        char *es = json_dumps(e, JSON_COMPACT);
                        pc_buf_addf(&b, "data: %s\n\n", es);
                        free(es);
                        json_decref(e);
                } else
                        sse_chunk(&b, run->id, run->model, run->created, json_object(), "stop");
                pc_buf_addstr(&b, "data: [DONE]\n\n");
                pc__gateway_job_stream(j, 200, "text/event-stream", b.buf, b.len, true);
                pc_buf_release(&b);
                pc__gateway_job_free(j);
                chat_free(run);
                return;
        } else {
                json_t *out = json_pack(
                        "{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:{s:I,s:I,s:I}}", "id",
                        run->id, "object", "chat.completion", "created", (json_int_t) run->created,
                        "model", run->model, "choices", "index", 0, "message", "role", "assistant",
                        "content", res->text ? res->text : "", "finish_reason", "stop", "usage",
                        "prompt_tokens", res->input_tokens, "completion_tokens", res->output_tokens,
                        "total_tokens", res->input_tokens + res->output_tokens);
                run->status = 200;
                run->ctype = "application/json";
                free(run->answer);
                run->answer = json_dumps(out, JSON_COMPACT);
                json_decref(out);
        }
        if (!run->answer)
                abort(); /* out of memory */
        j->status = run->status;
        j->body = run->answer;
        j->ctype = run->ctype;
        run->answer = NULL;
        pc__gateway_job_done(j, run->g);
        chat_free(run);
}

static const PcGatewayRunOps chat_ops = {
        .prepare = chat_prepare,
        .event = chat_event,
        .finished = chat_finished,
};

void pc__gateway_chat_start(PcGateway *g, PcGatewayJob *job, PcBuf *body)
{
        ChatRun *run = xcalloc(1, sizeof(*run));
        run->g = g;
        run->job = job;
        run->len = body->len;
        run->body = pc_buf_detach(body);
        _cleanup_free_ char *hex = random_hex(12);
        snprintf(run->id, sizeof(run->id), "chatcmpl-%s", hex);
        run->created = time(NULL);
        PcGatewayRunParams p = {.ops = &chat_ops, .owner = run};
        PcError err = PC_ERROR_INIT;
        if (pc__gateway_run_start(g, &p, NULL, &err) < 0) {
                json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "message", err.msg, "type",
                                        err.code == -EAGAIN ? "rate_limit_error" : "api_error");
                job->status = err.code == -EAGAIN ? 429 : 503;
                job->body = json_dumps(doc, JSON_COMPACT);
                json_decref(doc);
                pc__gateway_job_done(job, g);
                chat_free(run);
        }
}
