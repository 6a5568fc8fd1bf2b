/* SPDX-License-Identifier: MIT */
/*
 * POST /v1/chat/completions (gateway spec §1.6; docs/api.md): an agent as an OpenAI model.
 *
 * The loop thread checks auth and collects the body (http.c), then hands the request to a run
 * thread of its own, which loads its own config snapshot (PcConfig's refcount belongs to the
 * loop thread, so the run never shares one), opens its own state connection for the
 * transcript and runs the agent loop (agents/loop.h). The run's tool calls hop to the tool
 * worker (the one thread that owns the sandbox manager) as jobs with caller "agent", and the
 * run thread waits for each. The finished answer goes back to the loop thread through a
 * uv_async and is written there.
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
#include "gateway-internal.h"
#include "store/store.h"

/* Runs at once (each holds a thread, a state connection and a model connection); beyond, 429.
 * Loop thread only. */
#define CHAT_MAX_RUNS 16
static unsigned n_runs;

typedef struct ChatRun {
        PcGateway *g;
        PcGatewayJob *job; /* loop thread: the connection's job */
        uv_async_t async;
        uv_thread_t thread;
        bool has_thread;
        char *body;
        size_t len;
        /* the answer, set by the run thread before async */
        int status;
        char *answer;
        const char *ctype;
        /* stream: true, under lock: chunks not yet handed to the loop, and whether the run is
         * over (answer set) */
        bool stream;
        char *model;
        char id[48];
        time_t created;
        PcBuf pending;
        bool started; /* the first chunk went out: the answer is a stream from then on */
        bool finished;
        /* tool hops */
        uv_mutex_t lock;
        uv_cond_t cond;
        PcGatewayJob *tool_done;
} ChatRun;

static void answer_error(ChatRun *run, int status, const char *type, const char *message)
{
        json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "message", message, "type", type);
        run->status = status;
        run->answer = json_dumps(doc, JSON_COMPACT);
        run->ctype = "application/json";
        json_decref(doc);
}

/* Loop thread: the worker finished a tool call of this run. */
static void hop_done(PcGatewayJob *job, void *userdata)
{
        ChatRun *run = userdata;
        uv_mutex_lock(&run->lock);
        run->tool_done = job;
        uv_cond_signal(&run->cond);
        uv_mutex_unlock(&run->lock);
}

/* Run thread: one tool call through the worker (PcAgentInvokeFn). */
static int hop_invoke(void *userdata, const PcInvokeRequest *req, PcInvokeResponse *ret,
                      PcError *reterr)
{
        ChatRun *run = userdata;
        PcGatewayJob *j = xcalloc(1, sizeof(*j));
        j->tool = xstrdup(req->tool);
        j->args = req->args ? json_deep_copy(req->args) : json_object();
        j->agent_id = req->agent_id ? xstrdup(req->agent_id) : NULL;
        j->session_key = req->session_key ? xstrdup(req->session_key) : NULL;
        j->caller = "agent";
        j->keep_response = true;
        j->done = hop_done;
        j->done_data = run;
        /* submit only takes the worker's mutex: safe from this thread */
        if (pc__gateway_worker_submit(run->g->worker, j) < 0) {
                /* the model sees the refusal as the tool's result */
                *ret = (PcInvokeResponse){.status = 503, .error_type = "unavailable"};
                snprintf(ret->message, sizeof(ret->message),
                         "too many tool calls waiting for a worker, retry later");
                snprintf(ret->tool, sizeof(ret->tool), "%s", req->tool);
                j->keep_response = false;
                pc__gateway_job_free(j);
                (void) reterr;
                return 0;
        }
        uv_mutex_lock(&run->lock);
        while (run->tool_done != j)
                uv_cond_wait(&run->cond, &run->lock);
        run->tool_done = NULL;
        uv_mutex_unlock(&run->lock);
        *ret = j->response;
        j->keep_response = false; /* moved to *ret */
        pc__gateway_job_free(j);
        (void) reterr;
        return 0;
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

static char *last_user_text(const json_t *messages)
{
        for (size_t i = json_array_size(messages); i-- > 0;) {
                const json_t *m = json_array_get(messages, i);
                if (!streq_ptr(json_string_value(json_object_get(m, "role")), "user"))
                        continue;
                const json_t *content = json_object_get(m, "content");
                if (json_is_string(content))
                        return xstrdup(json_string_value(content));
                PcBuf b;
                pc_buf_init(&b);
                size_t k;
                json_t *part;
                json_array_foreach (content, k, part) {
                        const char *t = json_string_value(json_object_get(part, "text"));
                        if (t &&
                            streq_ptr(json_string_value(json_object_get(part, "type")), "text")) {
                                if (b.len)
                                        pc_buf_addch(&b, '\n');
                                pc_buf_addstr(&b, t);
                        }
                }
                return pc_buf_detach(&b);
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

/* The `user` field as a session key segment: [a-z0-9_-], at most 64 characters. */
static char *user_segment(const char *user)
{
        char *out = xstrndup(user, 64);
        for (char *c = out; *c; c++) {
                char l = (char) (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
                *c = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-' ? l
                                                                                              : '-';
        }
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

/* Run thread: one text delta becomes a chunk, handed to the loop thread to write now. */
static void text_delta(const char *text, size_t len, void *userdata)
{
        ChatRun *run = userdata;
        json_t *content = json_stringn(text, len);
        if (!content)
                return;
        uv_mutex_lock(&run->lock);
        if (!run->started) {
                sse_chunk(&run->pending, run->id, run->model, run->created,
                          json_pack("{s:s,s:s}", "role", "assistant", "content", ""), NULL);
                run->started = true;
        }
        sse_chunk(&run->pending, run->id, run->model, run->created,
                  json_pack("{s:o}", "content", content), NULL);
        uv_mutex_unlock(&run->lock);
        uv_async_send(&run->async);
}

static void run_chat(ChatRun *run, const PcConfig *cfg)
{
        const json_t *ep = json_object_get(
                json_object_get(
                        json_object_get(json_object_get(pc_config_root(cfg), "gateway"), "http"),
                        "endpoints"),
                "chatCompletions");
        if (!json_is_true(json_object_get(ep, "enabled"))) {
                answer_error(run, 404, "not_found",
                             "Not Found (enable gateway.http.endpoints."
                             "chatCompletions.enabled to serve /v1/chat/completions)");
                return;
        }
        json_error_t jerr;
        json_t *doc = run->len ? json_loadb(run->body, run->len, 0, &jerr) : NULL;
        const char *model = json_string_value(json_object_get(doc, "model"));
        const json_t *messages = json_object_get(doc, "messages");
        const char *user = json_string_value(json_object_get(doc, "user"));
        bool stream = json_is_true(json_object_get(doc, "stream"));
        _cleanup_free_ char *text = json_is_array(messages) ? last_user_text(messages) : NULL;
        const PcAgent *agent = model ? agent_of_model(cfg, model) : NULL;
        if (!json_is_object(doc))
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
        } else if (!text || !*text)
                answer_error(run, 400, "invalid_request_error",
                             "body.messages must hold a user message with text");
        if (run->answer) {
                json_decref(doc);
                return;
        }
        _cleanup_free_ char *seg = user && *user ? user_segment(user) : random_hex(8);
        _cleanup_free_ char *key = xasprintf("agent:%s:%s:%s", agent->id,
                                             user && *user ? "openai-user" : "openai", seg);
        PcStore *store = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_store_open(pc_config_state_dir(cfg), &store, &err) < 0) {
                log_error("/v1/chat/completions: %s", err.msg);
                answer_error(run, 500, "api_error", "cannot open the state database");
                json_decref(doc);
                return;
        }
        _cleanup_free_ char *hex = random_hex(12);
        snprintf(run->id, sizeof(run->id), "chatcmpl-%s", hex);
        run->created = time(NULL);
        run->model = xstrdup(model);
        run->stream = stream;
        PcAgentRunRequest req = {
                .agent_id = agent->id,
                .session_key = key,
                .message = text,
                .caller = "agent",
                .owner = true, /* shared-secret HTTP callers are owners (spec §1.4) */
                .store = store,
                .invoke = hop_invoke,
                .invoke_userdata = run,
        };
        PcAgentEvents ev = {.text_delta = text_delta, .userdata = run};
        PcAgentRunResult res;
        int r = pc_agent_run(cfg, &req, stream ? &ev : NULL, &res, &err);
        uv_mutex_lock(&run->lock);
        bool started = run->started;
        uv_mutex_unlock(&run->lock);
        if (r < 0)
                log_warning("/v1/chat/completions %s: %s", key, err.msg);
        if (r < 0 && !started) {
                answer_error(run, err.kind == PC_ERROR_INVALID_ARGUMENT ? 400 : 502,
                             err.kind == PC_ERROR_INVALID_ARGUMENT ? "invalid_request_error"
                                                                   : "api_error",
                             err.msg);
        } else if (stream) {
                /* the rest of the stream: the end (or the error) and [DONE] */
                PcBuf b;
                pc_buf_init(&b);
                if (!started)
                        sse_chunk(&b, run->id, model, run->created,
                                  json_pack("{s:s,s:s}", "role", "assistant", "content", ""), NULL);
                if (r < 0) {
                        json_t *e = json_pack("{s:{s:s,s:s}}", "error", "message", err.msg, "type",
                                              "api_error");
                        char *es = json_dumps(e, JSON_COMPACT);
                        pc_buf_addf(&b, "data: %s\n\n", es);
                        free(es);
                        json_decref(e);
                } else
                        sse_chunk(&b, run->id, model, run->created, json_object(), "stop");
                pc_buf_addstr(&b, "data: [DONE]\n\n");
                run->status = 200;
                run->ctype = "text/event-stream";
                run->answer = pc_buf_detach(&b);
        } else {
                json_t *out = json_pack(
                        "{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:{s:I,s:I,s:I}}", "id",
                        run->id, "object", "chat.completion", "created", (json_int_t) run->created,
                        "model", model, "choices", "index", 0, "message", "role", "assistant",
                        "content", res.text ? res.text : "", "finish_reason", "stop", "usage",
                        "prompt_tokens", res.input_tokens, "completion_tokens", res.output_tokens,
                        "total_tokens", res.input_tokens + res.output_tokens);
                run->status = 200;
                run->ctype = "application/json";
                run->answer = json_dumps(out, JSON_COMPACT);
                json_decref(out);
        }
        pc_agent_run_result_release(&res);
        pc_store_close(store);
        json_decref(doc);
}

static void run_main(void *arg)
{
        ChatRun *run = arg;
        PcConfig *cfg = NULL;
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcError err = PC_ERROR_INIT;
        if (pc_config_load(run->g->load, &diags, &cfg, &err) < 0) {
                log_error("/v1/chat/completions: cannot load the configuration: %s", err.msg);
                answer_error(run, 500, "api_error",
                             "the gateway's configuration does not load; see its log");
        } else
                run_chat(run, cfg);
        pc_config_unref(cfg);
        if (!run->answer)
                abort(); /* out of memory */
        uv_mutex_lock(&run->lock);
        run->finished = true;
        uv_mutex_unlock(&run->lock);
        uv_async_send(&run->async);
}

static void on_closed(uv_handle_t *h)
{
        ChatRun *run = h->data;
        uv_mutex_destroy(&run->lock);
        uv_cond_destroy(&run->cond);
        free(run->body);
        free(run->answer);
        free(run->model);
        pc_buf_release(&run->pending);
        free(run);
}

/* Loop thread: streamed chunks go out as they come; the end answers (or ends the stream). */
static void on_async(uv_async_t *h)
{
        ChatRun *run = h->data;
        uv_mutex_lock(&run->lock);
        bool finished = run->finished, started = run->started;
        PcBuf chunks = run->pending;
        pc_buf_init(&run->pending);
        uv_mutex_unlock(&run->lock);
        PcGatewayJob *j = run->job;
        if (chunks.len)
                pc__gateway_job_stream(j, 200, "text/event-stream", chunks.buf, chunks.len, false);
        pc_buf_release(&chunks);
        if (!finished)
                return;
        if (run->has_thread)
                uv_thread_join(&run->thread);
        PcGateway *g = run->g;
        if (started) {
                pc__gateway_job_stream(j, 200, "text/event-stream", run->answer,
                                       strlen(run->answer), true);
                pc__gateway_job_free(j);
        } else {
                j->status = run->status;
                j->body = run->answer;
                j->ctype = run->ctype;
                run->answer = NULL;
                pc__gateway_job_done(j, g);
        }
        uv_close((uv_handle_t *) &run->async, on_closed);
        g->n_awaiting--; /* the run itself (see pc__gateway_chat_start) */
        n_runs--;
        pc__gateway_maybe_stop(g);
}

void pc__gateway_chat_start(PcGateway *g, PcGatewayJob *job, PcBuf *body)
{
        if (n_runs >= CHAT_MAX_RUNS) {
                pc_buf_release(body);
                job->status = 429;
                job->body = xasprintf("{\"error\":{\"message\":\"%u agent runs are already "
                                      "going on; retry later\",\"type\":\"rate_limit_error\"}}",
                                      CHAT_MAX_RUNS);
                pc__gateway_job_done(job, g);
                return;
        }
        n_runs++;
        ChatRun *run = xcalloc(1, sizeof(*run));
        run->g = g;
        run->job = job;
        run->len = body->len;
        run->body = pc_buf_detach(body);
        pc_buf_init(&run->pending);
        uv_mutex_init(&run->lock);
        uv_cond_init(&run->cond);
        uv_async_init(&g->loop, &run->async, on_async);
        run->async.data = run;
        /* The run counts as awaited on its own, also after its client went away: a draining
         * gateway waits for it (or abandons it at the drain timeout) instead of freeing the
         * worker and the loop under it. */
        g->n_awaiting++;
        run->has_thread = uv_thread_create(&run->thread, run_main, run) == 0;
        if (!run->has_thread) {
                answer_error(run, 503, "unavailable", "cannot start a thread for the run");
                run->finished = true;
                uv_async_send(&run->async);
        }
}
