/* SPDX-License-Identifier: MIT */
/* The agent loop (loop.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fs-util.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/utf8.h"
#include "loop.h"
#include "store/sessions.h"
#include "tools/tool-sessions.h"

void pc_agent_run_result_release(PcAgentRunResult *r)
{
        free(r->agent_id);
        free(r->session_key);
        free(r->session_id);
        free(r->model);
        free(r->text);
        memset(r, 0, sizeof(*r));
}

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct Run {
        const PcConfig *cfg;
        const PcAgentRunRequest *req;
        const PcAgentEvents *events;
        const PcAgent *agent;
        PcSessionInit init;
        json_t *history; /* the conversation sent to the model */
} Run;

static int append(Run *run, json_t *msg, PcError *reterr)
{
        json_t *const msgs[] = {msg};
        int r = pc_store_transcript_append(run->req->store, &run->init, msgs, 1, wall_ms(), reterr);
        if (r < 0)
                return pc_error_prefix(reterr, "cannot record the run in session %s",
                                       run->init.key);
        /* Failed turns stay in the transcript but are not sent back to the model. */
        const char *stop = json_string_value(json_object_get(msg, "stopReason"));
        if (!streq_ptr(stop, "error") && !streq_ptr(stop, "aborted"))
                json_array_append(run->history, msg);
        return 0;
}

/* Waits for the session's run lock; returns the fd holding it. */
static int lock_session(const PcConfig *cfg, const PcAgent *agent, const char *key, int cancel_fd,
                        PcError *reterr)
{
        _cleanup_free_ char *dir =
                xasprintf("%s/agents/%s/runs", pc_config_state_dir(cfg), agent->id);
        if (pc_mkdir_p(dir, 0700) < 0)
                return pc_error_set(reterr, -errno, "cannot create %s: %m", dir);
        uint8_t digest[32];
        pc_sha256(key, strlen(key), digest);
        char hex[17];
        for (int i = 0; i < 8; i++)
                snprintf(hex + 2 * i, 3, "%02x", digest[i]);
        _cleanup_free_ char *path = xasprintf("%s/%s.lock", dir, hex);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return pc_error_set(reterr, -errno, "cannot open the run lock %s: %m", path);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                log_info("session %s is busy; this run waits for the one in progress", key);
                /* an abortable run polls the lock and its cancel fd; others block */
                while (flock(fd, cancel_fd > 0 ? LOCK_EX | LOCK_NB : LOCK_EX) < 0) {
                        int e = -errno;
                        if (e != -EWOULDBLOCK) {
                                close(fd);
                                return pc_error_set(reterr, e, "cannot lock %s: %m", path);
                        }
                        if (pc_fd_readable(cancel_fd)) {
                                close(fd);
                                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ECANCELED,
                                                         "the run was aborted while it waited "
                                                         "for session %s",
                                                         key);
                        }
                        struct timespec ts = {.tv_nsec = 50 * 1000 * 1000};
                        nanosleep(&ts, NULL);
                }
        }
        return fd;
}

/* The model refs of the agent: primary then fallbacks. */
static json_t *model_refs(const json_t *effective)
{
        json_t *out = json_array();
        const json_t *m = json_object_get(effective, "model");
        if (json_is_string(m))
                json_array_append(out, (json_t *) m);
        else if (json_is_object(m)) {
                if (json_is_string(json_object_get(m, "primary")))
                        json_array_append(out, json_object_get(m, "primary"));
                size_t i;
                json_t *f;
                json_array_foreach (json_object_get(m, "fallbacks"), i, f)
                        if (json_is_string(f))
                                json_array_append(out, f);
        }
        return out;
}

static json_t *request_body(const PcProvider *p, const char *system, const json_t *history,
                            const json_t *tools)
{
        if (p->api == PC_MODEL_API_ANTHROPIC_MESSAGES)
                return pc_anthropic_request_body(p->model, system, history, tools, p->max_tokens);
        return pc_openai_request_body(p->model, system, history, tools, p->max_tokens);
}

static int default_invoke(void *userdata, const PcInvokeRequest *req, PcInvokeResponse *ret,
                          PcError *reterr)
{
        const Run *run = userdata;
        return pc_dispatch_invoke(run->cfg, run->req->manager, req, ret, reterr);
}

static char *result_text(const json_t *content)
{
        PcBuf b;
        pc_buf_init(&b);
        size_t i;
        json_t *block;
        json_array_foreach (content, i, block) {
                const char *t = json_string_value(json_object_get(block, "text"));
                if (t) {
                        if (b.len)
                                pc_buf_addch(&b, '\n');
                        pc_buf_addstr(&b, t);
                }
        }
        return pc_buf_detach(&b);
}

/* Runs one tool call through the choke point and returns its toolResult message. */
static json_t *run_tool(Run *run, const char *key, const json_t *block, bool bad_args,
                        const PcModelToolCall *raw)
{
        const char *id = json_string_value(json_object_get(block, "id"));
        const char *name = json_string_value(json_object_get(block, "name"));
        const json_t *args = json_object_get(block, "arguments");
        const PcAgentEvents *ev = run->events;
        if (ev && ev->tool_start)
                ev->tool_start(name, id, args, ev->userdata);
        json_t *content;
        bool is_error;
        json_t *details = NULL;
        if (!name || !*name) {
                content = json_pack("[{s:s,s:s}]", "type", "text", "text",
                                    "The tool call has no tool name; call one of the offered "
                                    "tools by its name.");
                is_error = true;
        } else if (bad_args) {
                _cleanup_free_ char *shown =
                        pc_utf8_sanitize(raw->arguments.len ? raw->arguments.buf : "",
                                         raw->arguments.len < 200 ? raw->arguments.len : 200);
                _cleanup_free_ char *msg = xasprintf(
                        "The arguments of this %s call are not a JSON object (received: %s). "
                        "Call the tool again with a JSON object that matches its schema.",
                        name, shown);
                content = json_pack("[{s:s,s:s}]", "type", "text", "text", msg);
                is_error = true;
        } else {
                PcInvokeRequest ireq = {
                        .tool = name,
                        .args = args,
                        .agent_id = run->agent->id,
                        .session_key = key,
                        .caller = run->req->caller ? run->req->caller : "agent",
                        .owner = run->req->owner,
                        .cancel_fd = run->req->cancel_fd,
                };
                PcInvokeResponse resp;
                PcError err = PC_ERROR_INIT;
                PcAgentInvokeFn fn = run->req->invoke ? run->req->invoke : default_invoke;
                void *ud = run->req->invoke ? run->req->invoke_userdata : (void *) run;
                if (fn(ud, &ireq, &resp, &err) < 0)
                        log_warning("tool %s in session %s: %s", name, key, err.msg);
                if (resp.error_type) {
                        content = json_pack("[{s:s,s:s}]", "type", "text", "text", resp.message);
                        details = json_pack("{s:i,s:s}", "status", resp.status, "errorType",
                                            resp.error_type);
                        is_error = true;
                } else {
                        content = resp.result.content ? json_incref(resp.result.content)
                                                      : json_array();
                        details = json_incref(resp.result.details);
                        is_error = resp.result.is_error;
                }
                pc_invoke_response_release(&resp);
        }
        json_t *msg = json_pack("{s:s,s:s,s:s,s:o,s:b,s:I}", "role", "toolResult", "toolCallId",
                                id ? id : "", "toolName", name ? name : "", "content", content,
                                "isError", is_error, "timestamp", (json_int_t) wall_ms());
        if (details)
                json_object_set_new(msg, "details", details);
        if (ev && ev->tool_end) {
                _cleanup_free_ char *text = result_text(content);
                ev->tool_end(name, id, is_error, text, ev->userdata);
        }
        return msg;
}

static int fail_turn(Run *run, const char *provider, const char *model, const char *api,
                     const PcError *err)
{
        bool aborted = err->code == -ECANCELED;
        json_t *msg = json_pack("{s:s,s:[],s:s,s:s,s:s,s:s,s:s,s:I}", "role", "assistant",
                                "content", "api", api, "provider", provider, "model", model,
                                "stopReason", aborted ? "aborted" : "error", "errorMessage",
                                err->msg, "timestamp", (json_int_t) wall_ms());
        PcError e2 = PC_ERROR_INIT;
        int r = append(run, msg, &e2);
        json_decref(msg);
        if (r < 0)
                log_error_errno(r, "%s", e2.msg);
        return err->code < 0 ? err->code : -EIO;
}

int pc_agent_run(const PcConfig *cfg, const PcAgentRunRequest *req, const PcAgentEvents *events,
                 PcAgentRunResult *ret, PcError *reterr)
{
        memset(ret, 0, sizeof(*ret));
        if (!req->message || !*req->message)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "the message is empty; give the agent something to do");
        if (strlen(req->message) > PC_AGENT_MAX_MESSAGE_BYTES)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -E2BIG,
                                         "the message is larger than %u bytes",
                                         PC_AGENT_MAX_MESSAGE_BYTES);
        const PcAgent *agent = NULL;
        if (req->agent_id) {
                agent = pc_config_find_agent(cfg, req->agent_id);
                if (!agent)
                        return pc_error_set_kind(reterr, PC_ERROR_NOT_FOUND, -ENOENT,
                                                 "unknown agent \"%s\"; see agents.list (or "
                                                 "agents.entries) in the config",
                                                 req->agent_id);
        } else if (req->session_key) {
                _cleanup_free_ char *id = pc_policy_session_agent_id(req->session_key);
                agent = id ? pc_config_find_agent(cfg, id) : NULL;
        }
        if (!agent)
                agent = pc_config_default_agent(cfg);
        _cleanup_free_ char *resolved = pc_policy_session_key_resolve(
                cfg, agent, req->session_key ? req->session_key : "main");
        if (!resolved)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "session \"%s\" is not a session of agent \"%s\"",
                                         req->session_key, agent->id);
        _cleanup_free_ char *key = pc_tool_session_canonical_key(cfg, agent, resolved);
        _cleanup_free_ char *main_key = pc_policy_session_main_key(cfg, agent);
        ret->agent_id = xstrdup(agent->id);
        ret->session_key = xstrdup(key);
        if (events && events->session)
                events->session(key, events->userdata);

        json_t *effective = pc_config_agent_effective(cfg, agent, false);
        json_t *refs = model_refs(effective);
        json_t *tools = NULL, *history = NULL;
        PcProvider *providers = NULL;
        size_t n_providers = 0;
        char *system = NULL;
        PcPolicyResult *policy = NULL;
        int lock_fd = -1;
        int r;
        if (json_array_size(refs) == 0) {
                r = pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                      "agent \"%s\" has no model; set agents.defaults.model (or "
                                      "the agent's model) to \"<provider>/<model>\"",
                                      agent->id);
                goto out;
        }
        providers = xcalloc(json_array_size(refs), sizeof(PcProvider));
        for (size_t i = 0; i < json_array_size(refs); i++) {
                r = pc_provider_resolve(cfg, json_string_value(json_array_get(refs, i)),
                                        &providers[i], reterr);
                if (r < 0)
                        goto out;
                n_providers++;
        }
        bool sandboxed = pc_policy_session_sandboxed(cfg, agent, key);
        PcPolicyContext pctx = PC_POLICY_CONTEXT_INIT;
        pctx.agent = agent;
        pctx.session_key = key;
        pctx.sandboxed = sandboxed;
        pctx.provider = providers[0].id;
        pctx.model = providers[0].model;
        pctx.owner = req->owner;
        r = pc_policy_evaluate(cfg, &pctx, &policy, reterr);
        if (r < 0)
                goto out;
        tools = pc_agent_tool_schemas(policy);
        system = pc_agent_system_prompt(cfg, agent, effective, key,
                                        json_string_value(json_array_get(refs, 0)), sandboxed,
                                        tools);

        lock_fd = lock_session(cfg, agent, key, req->cancel_fd, reterr);
        if (lock_fd < 0) {
                r = lock_fd;
                goto out;
        }
        const json_t *jt = json_object_get(effective, "timeoutSeconds");
        if (!jt)
                jt = json_object_get(
                        json_object_get(json_object_get(pc_config_root(cfg), "agents"), "defaults"),
                        "timeoutSeconds");
        json_int_t timeout_s = jt ? json_integer_value(jt) : 172800;
        int64_t deadline = timeout_s > 0 ? pc_monotonic_ms() + timeout_s * 1000 : 0;

        bool more = false;
        r = pc_store_transcript_messages(req->store, key, true, 0, PC_AGENT_HISTORY_MAX, &history,
                                         &more, reterr);
        if (r == -ENOENT) {
                history = json_array();
                r = 0;
        }
        if (r < 0)
                goto out;
        /* Drop earlier failed turns: providers reject them. */
        for (size_t i = json_array_size(history); i-- > 0;) {
                const char *stop = json_string_value(
                        json_object_get(json_array_get(history, i), "stopReason"));
                if (streq_ptr(stop, "error") || streq_ptr(stop, "aborted"))
                        json_array_remove(history, i);
        }
        Run run = {
                .cfg = cfg,
                .req = req,
                .events = events,
                .agent = agent,
                .init = {.key = key,
                         .agent_id = agent->id,
                         .main_key = main_key,
                         .spawned_by = req->spawned_by,
                         .label = req->label},
                .history = history,
        };
        json_t *user = req->message_recorded
                               ? NULL
                               : json_pack("{s:s,s:[{s:s,s:s}],s:I}", "role", "user", "content",
                                           "type", "text", "text", req->message, "timestamp",
                                           (json_int_t) wall_ms());
        if (!user && !req->message_recorded) {
                r = pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                      "the message is not valid UTF-8 text");
                goto out;
        }
        if (user) {
                r = append(&run, user, reterr);
                json_decref(user);
                if (r < 0)
                        goto out;
        }

        PcModelEvents mev = {.text_delta = events ? events->text_delta : NULL,
                             .userdata = events ? events->userdata : NULL,
                             .cancel_fd = req->cancel_fd};
        for (unsigned round = 0;; round++) {
                if (pc_fd_readable(req->cancel_fd)) {
                        pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ECANCELED,
                                          "the run was aborted (chat.abort)");
                        r = fail_turn(&run, providers[0].id, providers[0].model,
                                      providers[0].api_name, reterr);
                        goto out;
                }
                if (round >= PC_AGENT_MAX_TOOL_ROUNDS) {
                        pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ELOOP,
                                          "the run stopped after %u rounds of tool calls without "
                                          "a final answer",
                                          PC_AGENT_MAX_TOOL_ROUNDS);
                        r = fail_turn(&run, providers[0].id, providers[0].model,
                                      providers[0].api_name, reterr);
                        goto out;
                }
                PcModelTurn turn;
                const PcProvider *p = NULL;
                r = -EIO;
                for (size_t i = 0; i < n_providers; i++) {
                        p = &providers[i];
                        json_t *body = request_body(p, system, history, tools);
                        pc_model_turn_init(&turn, &mev);
                        r = pc_provider_stream(p, body, deadline, &turn, reterr);
                        json_decref(body);
                        if (r >= 0 || r == -ECANCELED || turn.received || i + 1 == n_providers)
                                break;
                        log_warning("model %s/%s failed (%s); trying the fallback %s/%s", p->id,
                                    p->model, reterr->msg, providers[i + 1].id,
                                    providers[i + 1].model);
                        pc_model_turn_release(&turn);
                }
                if (r < 0) {
                        pc_model_turn_release(&turn);
                        r = fail_turn(&run, p->id, p->model, p->api_name, reterr);
                        goto out;
                }
                bool bad[PC_MODEL_MAX_TOOL_CALLS] = {0};
                json_t *msg =
                        pc_model_turn_message(&turn, p->api_name, p->id, p->model, wall_ms(), bad);
                ret->input_tokens += turn.input_tokens;
                ret->output_tokens += turn.output_tokens;
                r = append(&run, msg, reterr);
                if (r < 0) {
                        json_decref(msg);
                        pc_model_turn_release(&turn);
                        goto out;
                }
                if (turn.n_calls == 0) {
                        free(ret->text);
                        ret->text = xstrdup(turn.text.len ? turn.text.buf : "");
                        free(ret->model);
                        ret->model = xasprintf("%s/%s", p->id, p->model);
                        json_decref(msg);
                        pc_model_turn_release(&turn);
                        break;
                }
                size_t j = 0, k;
                json_t *block;
                /* spec 4.1: on a length stop every tool call fails, asking to re-issue it */
                bool cut =
                        streq_ptr(json_string_value(json_object_get(msg, "stopReason")), "length");
                json_array_foreach (json_object_get(msg, "content"), k, block) {
                        if (!streq_ptr(json_string_value(json_object_get(block, "type")),
                                       "toolCall"))
                                continue;
                        json_t *result;
                        const char *why = NULL;
                        if (deadline && pc_monotonic_ms() >= deadline)
                                why = "Not run: the run hit its time limit.";
                        else if (pc_fd_readable(req->cancel_fd))
                                why = "Not run: the run was aborted.";
                        else if (cut)
                                why = "Not run: the response hit the output token limit before "
                                      "this tool call was complete; re-issue the tool call.";
                        if (why)
                                result = json_pack("{s:s,s:O,s:O,s:[{s:s,s:s}],s:b,s:I}", "role",
                                                   "toolResult", "toolCallId",
                                                   json_object_get(block, "id"), "toolName",
                                                   json_object_get(block, "name"), "content",
                                                   "type", "text", "text", why, "isError", 1,
                                                   "timestamp", (json_int_t) wall_ms());
                        else
                                result = run_tool(&run, key, block, bad[j], &turn.calls[j]);
                        j++;
                        ret->tool_calls++;
                        r = append(&run, result, reterr);
                        json_decref(result);
                        if (r < 0)
                                break;
                }
                json_decref(msg);
                pc_model_turn_release(&turn);
                if (r < 0)
                        goto out;
                if (deadline && pc_monotonic_ms() >= deadline) {
                        r = pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ETIMEDOUT,
                                              "the run hit its time limit of %lld s "
                                              "(agents.defaults.timeoutSeconds)",
                                              (long long) timeout_s);
                        goto out;
                }
        }
        r = 0;
out:
        if (lock_fd >= 0) {
                PcSessionRecord rec = {0};
                PcError e2 = PC_ERROR_INIT;
                if (pc_store_session_get(req->store, key, &rec, &e2) >= 0 && rec.session_id)
                        ret->session_id = xstrdup(rec.session_id);
                pc_session_record_clear(&rec);
                close(lock_fd);
        }
        for (size_t i = 0; i < n_providers; i++)
                pc_provider_release(&providers[i]);
        free(providers);
        free(system);
        json_decref(tools);
        json_decref(history);
        json_decref(refs);
        json_decref(effective);
        pc_policy_result_free(policy);
        return r;
}
