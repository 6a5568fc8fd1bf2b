/* SPDX-License-Identifier: MIT */
/*
 * The session tools (spec 3.5-3.9) against the store, with OpenClaw's visibility rules:
 *
 *   tools.sessions.visibility   self   the calling session only
 *                               tree   (default) that and the sessions it spawned
 *                               agent  every session of the calling agent
 *                               all    every session; another agent's only when
 *                                      tools.agentToAgent.enabled and its allow list names the
 *                                      agent (or "*")
 *   a sandboxed calling session, with agents.defaults.sandbox.sessionToolsVisibility
 *   "spawned" (the default), is clamped to tree.
 *
 * sessions_send and sessions_spawn start agent runs through PcRunHost (the gateway's; tool.h):
 * sessions_spawn records the task in a new session agent:<id>:subagent:<uuid> (spawnedBy the
 * caller) and returns at once; sessions_send starts a run of the target session and waits up to
 * timeoutSeconds for its answer. Without a host (the CLI, /tools/invoke) both say so.
 */
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "policy/policy.h"
#include "tool-sessions.h"

#define SEND_MAX_MESSAGE_BYTES (64u * 1024u)

typedef struct View {
        const PcConfig *cfg;
        const PcAgent *agent;
        char *self;       /* the calling session's stored key */
        const char *mode; /* self, tree, agent, all (after the sandbox clamp) */
        const char *configured;
        bool sandboxed;
        bool a2a;
        const json_t *a2a_allow;
} View;

static const json_t *at(const json_t *v, const char *a, const char *b, const char *c)
{
        v = json_object_get(v, a);
        if (b)
                v = json_object_get(v, b);
        if (c)
                v = json_object_get(v, c);
        return v;
}

static void view_init(const PcToolCall *call, View *v)
{
        const json_t *root = pc_config_root(call->cfg);
        const char *mode = json_string_value(at(root, "tools", "sessions", "visibility"));
        const char *stv = json_string_value(
                at(root, "agents", "defaults", "sandbox")
                        ? json_object_get(at(root, "agents", "defaults", "sandbox"),
                                          "sessionToolsVisibility")
                        : NULL);
        PcSandboxSession ses = {0};
        PcError err = PC_ERROR_INIT;
        bool sandboxed =
                pc_sandbox_session_resolve(call->cfg, call->session_key, &ses, &err) >= 0 &&
                ses.sandboxed;
        pc_sandbox_session_release(&ses);
        *v = (View){
                .cfg = call->cfg,
                .agent = call->agent,
                .self = pc_tool_session_canonical_key(call->cfg, call->agent, call->session_key),
                .mode = mode ? mode : "tree",
                .configured = mode ? mode : "tree",
                .sandboxed = sandboxed,
                .a2a = json_is_true(at(root, "tools", "agentToAgent", "enabled")),
                .a2a_allow = at(root, "tools", "agentToAgent", "allow"),
        };
        if (sandboxed && !streq_ptr(stv, "all") &&
            (streq(v->mode, "agent") || streq(v->mode, "all")))
                v->mode = "tree";
}

static void view_release(View *v)
{
        free(v->self);
}
#define _cleanup_view_ _cleanup_(view_release)

/* May this caller reach another agent's sessions at all? */
static bool agent_reachable(const View *v, const char *agent_id)
{
        if (streq(agent_id, v->agent->id))
                return true;
        if (!streq(v->mode, "all") || !v->a2a)
                return false;
        size_t i;
        json_t *e;
        json_array_foreach (v->a2a_allow, i, e) {
                const char *s = json_string_value(e);
                if (s && (streq(s, "*") || strcasecmp(s, agent_id) == 0))
                        return true;
        }
        return false;
}

/* Visibility of a key (spawned_by: the row's, or NULL when there is no row). */
static bool visible_key(const View *v, const char *key, const char *agent_id,
                        const char *spawned_by)
{
        if (streq(key, v->self))
                return true;
        if (streq(v->mode, "self"))
                return false;
        if (streq(v->mode, "tree"))
                return spawned_by && streq(spawned_by, v->self);
        if (streq(v->mode, "agent"))
                return streq(agent_id, v->agent->id);
        return agent_reachable(v, agent_id);
}

static bool visible_row(const PcSessionRecord *r, void *userdata)
{
        return visible_key(userdata, r->key, r->agent_id, r->spawned_by);
}

static void forbidden_text(const View *v, const char *key, PcBuf *b)
{
        pc_buf_addf(b,
                    "Session '%s' is not visible from session '%s': tools.sessions.visibility is "
                    "\"%s\"",
                    key, v->self, v->mode);
        if (!streq(v->mode, v->configured))
                pc_buf_addf(b,
                            " (\"%s\" clamped to \"tree\" because the session is sandboxed and "
                            "agents.defaults.sandbox.sessionToolsVisibility is \"spawned\")",
                            v->configured);
        pc_buf_addf(b, ". Use sessions_list to see the sessions this session may read.");
}

/* jsonResult(x): text = JSON.stringify(x, null, 2), details = x (spec 1.6). Steals x. */
static int json_result(PcToolResult *ret, json_t *x, bool is_error)
{
        _cleanup_free_ char *text = json_dumps(x, JSON_INDENT(2));
        pc_tool_result_text(ret, text ? text : "{}", is_error);
        json_decref(ret->details);
        ret->details = x;
        ret->bytes_out = text ? strlen(text) : 0;
        return 0;
}

static int status_result(PcToolResult *ret, const char *status, const char *error,
                         const char *session_key)
{
        json_t *x = json_pack("{s:s,s:s}", "status", status, "error", error);
        if (session_key)
                json_object_set_new(x, "sessionKey", json_string(session_key));
        return json_result(ret, x, true);
}

/* Where every session tool starts: the store, and the calling session's view in *v (released
 * by the caller). NULL, with *v untouched, when this process has no store open. */
static PcStore *store_and_view(const PcToolCall *call, View *v, PcError *reterr)
{
        PcStore *s = call->store;
        if (!s) {
                (void) pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ENODEV,
                                         "%s: the session store is not open in this process",
                                         call->tool);
                return NULL;
        }
        view_init(call, v);
        return s;
}

/* A sessionKey argument: absent or "current" → the calling session; a bare name x →
 * agent:<agent>:x; "main" → the agent's main key. */
static char *target_key(const PcToolCall *call, const View *v, const char *raw)
{
        if (!raw || !*raw || streq(raw, "current"))
                return xstrdup(v->self);
        _cleanup_free_ char *key = pc_policy_session_key_resolve(call->cfg, call->agent, raw);
        _cleanup_free_ char *owner = pc_policy_session_agent_id(key);
        /* The main-session aliases only for the caller's own agent: "agent:main:main" asked
         * by another agent is main's session, not an alias of the caller's. */
        if (owner && !streq(owner, call->agent->id))
                return TAKE_PTR(key);
        return pc_tool_session_canonical_key(call->cfg, call->agent, key);
}

static char *key_agent(const PcToolCall *call, const char *key)
{
        char *id = pc_policy_session_agent_id(key);
        return id ? id : xstrdup(pc_config_default_agent(call->cfg)->id);
}

/* The row of key (of agent), when the calling session may see it. Returns 0 with *rec filled
 * and *ret_exists set (false: the session has no row yet, *rec stays empty); 1 when the session
 * is not visible, with ret holding the "forbidden" answer; or a negative errno. */
static int session_get_visible(PcStore *store, const View *v, const char *key, const char *agent,
                               PcSessionRecord *rec, bool *ret_exists, PcToolResult *ret,
                               PcError *reterr)
{
        PcError err = PC_ERROR_INIT;
        int r = pc_store_session_get(store, key, rec, &err);
        if (r < 0 && r != -ENOENT)
                return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, r, "%s", err.msg);
        if (!visible_key(v, key, agent, r >= 0 ? rec->spawned_by : NULL)) {
                pc_session_record_clear(rec);
                _cleanup_buf_ PcBuf b = PC_BUF_INIT;
                forbidden_text(v, key, &b);
                (void) status_result(ret, "forbidden", b.buf, key);
                return 1;
        }
        *ret_exists = r >= 0;
        return 0;
}

/* The session a sessionKey argument names (see target_key), with its agent and its row. */
typedef struct Target {
        char *key;
        char *agent;
        PcSessionRecord rec; /* empty when !exists */
        bool exists;
} Target;

static void target_release(Target *t)
{
        free(t->key);
        free(t->agent);
        pc_session_record_clear(&t->rec);
}
#define _cleanup_target_ _cleanup_(target_release)

/* Resolves raw into t and looks the session up: returns as session_get_visible(). */
static int target_get_visible(const PcToolCall *call, PcStore *store, const View *v,
                              const char *raw, Target *t, PcToolResult *ret, PcError *reterr)
{
        t->key = target_key(call, v, raw);
        t->agent = key_agent(call, t->key);
        return session_get_visible(store, v, t->key, t->agent, &t->rec, &t->exists, ret, reterr);
}

bool pc_tool_session_in_gateway(const char *tool)
{
        static const char *const names[] = {"session_status", "sessions_list", "sessions_history",
                                            "sessions_send", "sessions_spawn"};
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(tool, names[i]))
                        return true;
        return false;
}

/* ---- session_status ------------------------------------------------------------------------ */

int pc_tool_session_status(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *raw = json_object_get(call->args, "sessionKey");
        if (raw && !json_is_string(raw))
                return pc_error_set(reterr, -EINVAL, "session_status: sessionKey must be a string");
        if (json_object_get(call->args, "model") &&
            !json_is_null(json_object_get(call->args, "model")))
                return pc_error_set(reterr, -EINVAL,
                                    "session_status: setting the model is not available: this "
                                    "version of Pincer has no agent runtime or model providers "
                                    "yet; call it without \"model\"");
        _cleanup_view_ View v = {0};
        PcStore *store = store_and_view(call, &v, reterr);
        if (!store)
                return -ENODEV;
        _cleanup_target_ Target target = {0};
        int r = target_get_visible(call, store, &v, json_string_value(raw), &target, ret, reterr);
        if (r != 0)
                return r < 0 ? r : 0;
        const char *key = target.key, *agent = target.agent;
        const PcSessionRecord *rec = &target.rec;
        bool exists = target.exists;
        const PcAgent *a = pc_config_find_agent(call->cfg, agent);
        _cleanup_free_ char *main_key = a ? pc_policy_session_main_key(call->cfg, a) : NULL;
        PcSandboxSession ses = {0};
        PcError err = PC_ERROR_INIT;
        bool sandboxed =
                pc_sandbox_session_resolve(call->cfg, key, &ses, &err) >= 0 && ses.sandboxed;
        const char *mode = ses.mode == PC_SANDBOX_MODE_ALL        ? "all"
                           : ses.mode == PC_SANDBOX_MODE_NON_MAIN ? "non-main"
                                                                  : "off";
        json_t *d = json_pack(
                "{s:s,s:s,s:s,s:b,s:s,s:b,s:s,s:n}", "sessionKey", key, "agentId", agent, "kind",
                exists ? rec->kind : pc_session_kind_from_key(key, main_key), "exists", exists,
                "sandboxMode", mode, "sandboxed", sandboxed, "visibility", v.mode, "model");
        pc_sandbox_session_release(&ses);
        if (exists) {
                json_object_set_new(d, "sessionId", json_string(rec->session_id));
                json_object_set_new(d, "createdAt", json_integer(rec->created_at_ms));
                json_object_set_new(d, "updatedAt", json_integer(rec->updated_at_ms));
                json_object_set_new(d, "messageCount", json_integer(rec->message_count));
                json_object_set_new(d, "toolCallCount", json_integer(rec->tool_call_count));
                if (rec->spawned_by)
                        json_object_set_new(d, "spawnedBy", json_string(rec->spawned_by));
        }
        json_object_set_new(d, "runtime", json_string("none"));

        _cleanup_buf_ PcBuf t = PC_BUF_INIT;
        pc_buf_addf(&t, "Session: %s (agent %s, %s)\n", key, agent,
                    json_string_value(json_object_get(d, "kind")));
        pc_buf_addf(&t, "Sandbox: %s (sandbox.mode %s)\n", sandboxed ? "yes" : "no", mode);
        if (exists)
                pc_buf_addf(&t, "Transcript: %lld messages, %lld tool calls; session id %s\n",
                            (long long) rec->message_count, (long long) rec->tool_call_count,
                            rec->session_id);
        else
                pc_buf_addf(&t, "Transcript: empty (the session starts with its first call)\n");
        pc_buf_addf(&t, "Model: none (this version of Pincer has no agent runtime)\n");
        pc_buf_addf(&t, "Session tools see: %s", v.mode);
        pc_tool_result_text(ret, t.buf, false);
        ret->details = d;
        ret->bytes_out = t.len;
        return 0;
}

/* ---- sessions_list / sessions_history ------------------------------------------------------ */

int pc_tool_sessions_list(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        _cleanup_view_ View v = {0};
        PcStore *store = store_and_view(call, &v, reterr);
        if (!store)
                return -ENODEV;
        PcSessionFilter filter = {.visible = visible_row, .userdata = &v};
        json_t *doc = NULL;
        PcError err = PC_ERROR_INIT;
        int r = pc_sessions_list_json(store, call->args, &filter, &doc, &err);
        if (r < 0)
                return pc_error_set_kind(
                        reterr, r == -EINVAL ? PC_ERROR_INVALID_ARGUMENT : PC_ERROR_INTERNAL, r,
                        "sessions_list: %s", err.msg);
        json_object_del(doc, "path"); /* the model has no use for the state file's path */
        json_object_set_new(doc, "visibility", json_string(v.mode));
        return json_result(ret, doc, false);
}

int pc_tool_sessions_history(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *raw = json_object_get(call->args, "sessionKey");
        if (!json_is_string(raw) || !*json_string_value(raw))
                return pc_error_set(reterr, -EINVAL,
                                    "sessions_history: sessionKey is required (a key from "
                                    "sessions_list, or \"current\")");
        _cleanup_view_ View v = {0};
        PcStore *store = store_and_view(call, &v, reterr);
        if (!store)
                return -ENODEV;
        _cleanup_target_ Target target = {0};
        int r = target_get_visible(call, store, &v, json_string_value(raw), &target, ret, reterr);
        if (r != 0)
                return r < 0 ? r : 0;
        const char *key = target.key;
        if (!target.exists) {
                if (streq(key, v.self)) /* not recorded yet: an empty history */
                        return json_result(ret,
                                           json_pack("{s:s,s:[],s:b,s:i,s:b,s:b,s:i}", "sessionKey",
                                                     key, "messages", "truncated", 0,
                                                     "droppedMessages", 0, "contentTruncated", 0,
                                                     "contentRedacted", 0, "bytes", 0),
                                           false);
                _cleanup_free_ char *msg =
                        xasprintf("No session '%s' exists yet; use sessions_list to see the "
                                  "sessions there are",
                                  key);
                return status_result(ret, "error", msg, key);
        }
        json_t *params = json_deep_copy(call->args);
        json_object_set_new(params, "sessionKey", json_string(key));
        json_t *doc = NULL;
        PcError err = PC_ERROR_INIT;
        r = pc_sessions_history_json(store, params, &doc, &err);
        json_decref(params);
        if (r < 0)
                return pc_error_set_kind(
                        reterr, r == -EINVAL ? PC_ERROR_INVALID_ARGUMENT : PC_ERROR_INTERNAL, r,
                        "sessions_history: %s", err.msg);
        return json_result(ret, doc, false);
}

/* ---- sessions_send / sessions_spawn -------------------------------------------------------- */

/* The visible session with this label (of agent_id when given); NULL when none. */
static char *find_label(PcStore *store, View *v, const char *label, const char *agent_id,
                        PcError *reterr, int *ret_r)
{
        PcSessionRecord *rows = NULL;
        size_t n = 0;
        *ret_r = pc_store_session_list(store, agent_id, &rows, &n, reterr);
        char *found = NULL;
        for (size_t i = 0; *ret_r >= 0 && i < n && !found; i++)
                if (streq_ptr(rows[i].label, label) && visible_row(&rows[i], v))
                        found = xstrdup(rows[i].key);
        pc_session_records_free(rows, n);
        return found;
}

int pc_tool_sessions_send(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *a = call->args;
        const char *message = json_string_value(json_object_get(a, "message"));
        const char *raw = json_string_value(json_object_get(a, "sessionKey"));
        const char *label = json_string_value(json_object_get(a, "label"));
        const char *agent_arg = json_string_value(json_object_get(a, "agentId"));
        const json_t *tmo = json_object_get(a, "timeoutSeconds");
        if (!message || !*message)
                return pc_error_set(reterr, -EINVAL, "sessions_send: message is required");
        if (strlen(message) > SEND_MAX_MESSAGE_BYTES)
                return pc_error_set(reterr, -EINVAL,
                                    "sessions_send: message of %zu bytes is over the limit of %u "
                                    "bytes",
                                    strlen(message), SEND_MAX_MESSAGE_BYTES);
        if (!raw && !label)
                return pc_error_set(reterr, -EINVAL,
                                    "sessions_send: give sessionKey (from sessions_list) or label");
        if (tmo && !json_is_null(tmo) && (!json_is_number(tmo) || json_number_value(tmo) < 0))
                return pc_error_set(reterr, -EINVAL,
                                    "sessions_send: timeoutSeconds must be a number >= 0 (0 "
                                    "sends without waiting for a reply)");
        double timeout = tmo && json_is_number(tmo) ? json_number_value(tmo) : 30;
        _cleanup_view_ View v = {0};
        PcStore *store = store_and_view(call, &v, reterr);
        if (!store)
                return -ENODEV;
        PcError err = PC_ERROR_INIT;
        _cleanup_free_ char *key = NULL;
        if (raw)
                key = target_key(call, &v, raw);
        else {
                int r = 0;
                key = find_label(store, &v, label, agent_arg, &err, &r);
                if (r < 0)
                        return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, r, "%s", err.msg);
                if (!key) {
                        _cleanup_free_ char *msg = xasprintf(
                                "No visible session has the label '%s'; use sessions_list", label);
                        return status_result(ret, "error", msg, NULL);
                }
        }
        if (strcasestr(key, ":thread:"))
                return status_result(ret, "error",
                                     "Thread sessions cannot be targets of sessions_send; send "
                                     "to the parent session",
                                     key);
        _cleanup_free_ char *agent = key_agent(call, key);
        if (!streq(agent, call->agent->id) && !(v.a2a && agent_reachable(&v, agent))) {
                _cleanup_free_ char *msg = xasprintf(
                        "Agent-to-agent messages from agent '%s' to agent '%s' are not allowed: "
                        "set tools.agentToAgent.enabled and list '%s' in tools.agentToAgent.allow "
                        "(with tools.sessions.visibility \"all\")",
                        call->agent->id, agent, agent);
                return status_result(ret, "forbidden", msg, key);
        }
        PcSessionRecord rec = {0};
        bool exists = false;
        int r = session_get_visible(store, &v, key, agent, &rec, &exists, ret, reterr);
        if (r != 0)
                return r < 0 ? r : 0;
        if (!exists) {
                _cleanup_free_ char *msg =
                        xasprintf("No session '%s' exists yet; sessions_send "
                                  "needs an existing session (see sessions_list)",
                                  key);
                return status_result(ret, "error", msg, key);
        }
        pc_session_record_clear(&rec);
        if (streq(key, v.self))
                return status_result(ret, "error",
                                     "A session cannot send to itself; answer in this session "
                                     "instead",
                                     key);
        if (!call->runs)
                return status_result(ret, "error",
                                     "sessions_send needs the gateway's agent runtime: call it "
                                     "from an agent run of `pincer gateway`",
                                     key);
        _cleanup_free_ char *text =
                xasprintf("[Inter-session message from session %s (agent %s) isUser=false]\n%s",
                          v.self, call->agent->id, message);
        ret->bytes_in = strlen(message);
        char id[80];
        PcRunStart rs = {.agent_id = agent, .session_key = key, .message = text};
        r = call->runs->start(call->runs->userdata, &rs, id, sizeof(id), &err);
        if (r < 0)
                return json_result(ret,
                                   json_pack("{s:s,s:s,s:s}", "status", "error", "error", err.msg,
                                             "sessionKey", key),
                                   true);
        if (timeout == 0)
                return json_result(ret,
                                   json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "runId", id, "status",
                                             "accepted", "sessionKey", key, "delivery", "status",
                                             "skipped", "mode", "announce"),
                                   false);
        _cleanup_free_ char *reply = NULL;
        r = call->runs->wait(call->runs->userdata, id, (int64_t) (timeout * 1000), call->cancel_fd,
                             &reply, &err);
        if (r == -ECANCELED)
                return json_result(ret,
                                   json_pack("{s:s,s:s,s:s,s:s}", "runId", id, "status", "error",
                                             "error",
                                             "The calling run was aborted before the reply came; "
                                             "the target's run goes on",
                                             "sessionKey", key),
                                   true);
        if (r == -ETIMEDOUT) {
                _cleanup_free_ char *why = xasprintf(
                        "No reply within %g s; the run goes on (see sessions_history of %s)",
                        timeout, key);
                return json_result(ret,
                                   json_pack("{s:s,s:s,s:s,s:s}", "runId", id, "status", "timeout",
                                             "error", why, "sessionKey", key),
                                   true);
        }
        if (r < 0)
                return json_result(ret,
                                   json_pack("{s:s,s:s,s:s,s:b,s:s}", "runId", id, "status",
                                             "error", "error", err.msg, "sentBeforeError", 1,
                                             "sessionKey", key),
                                   true);
        return json_result(ret,
                           json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s}}", "runId", id, "status", "ok",
                                     "reply", reply ? reply : "", "sessionKey", key, "delivery",
                                     "status", "skipped", "mode", "announce"),
                           false);
}

int pc_tool_sessions_spawn(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *a = call->args;
        const char *task = json_string_value(json_object_get(a, "task"));
        if (!task || !*task)
                return pc_error_set(reterr, -EINVAL, "sessions_spawn: task is required");
        if (strlen(task) > SEND_MAX_MESSAGE_BYTES)
                return pc_error_set(reterr, -EINVAL,
                                    "sessions_spawn: task of %zu bytes is over the limit of %u "
                                    "bytes",
                                    strlen(task), SEND_MAX_MESSAGE_BYTES);
        static const char *const rejected[] = {"target",   "channel", "to",
                                               "threadId", "replyTo", "transport"};
        for (size_t i = 0; i < ELEMENTSOF(rejected); i++)
                if (json_object_get(a, rejected[i]))
                        return pc_error_set(reterr, -EINVAL,
                                            "sessions_spawn: parameter '%s' is not accepted "
                                            "(a sub-agent announces to its requester)",
                                            rejected[i]);
        const char *agent_arg = json_string_value(json_object_get(a, "agentId"));
        const char *label = json_string_value(json_object_get(a, "label"));
        if (label && strlen(label) > 100)
                return pc_error_set(reterr, -EINVAL,
                                    "sessions_spawn: label is over 100 characters");
        const PcAgent *target = call->agent;
        if (agent_arg && *agent_arg && strcasecmp(agent_arg, call->agent->id) != 0) {
                /* subagents.allowAgents: the agent's own, else the defaults' */
                const json_t *allow = at(call->effective, "subagents", "allowAgents", NULL);
                if (!allow)
                        allow = at(pc_config_root(call->cfg), "agents", "defaults", "subagents");
                if (allow && !json_is_array(allow))
                        allow = json_object_get(allow, "allowAgents");
                bool ok = false;
                size_t i;
                json_t *e;
                json_array_foreach (allow, i, e) {
                        const char *id = json_string_value(e);
                        ok = ok || (id && (streq(id, "*") || strcasecmp(id, agent_arg) == 0));
                }
                target = ok ? pc_config_find_agent(call->cfg, agent_arg) : NULL;
                if (!target) {
                        _cleanup_free_ char *msg =
                                ok ? xasprintf("sessions_spawn: there is no agent '%s'; see "
                                               "agents.list",
                                               agent_arg)
                                   : xasprintf("sessions_spawn: agent '%s' may not spawn "
                                               "sub-agents of agent '%s': list it in "
                                               "subagents.allowAgents",
                                               call->agent->id, agent_arg);
                        return status_result(ret, ok ? "error" : "forbidden", msg, NULL);
                }
        }
        _cleanup_view_ View v = {0};
        PcStore *store = store_and_view(call, &v, reterr);
        if (!store)
                return -ENODEV;
        /* maxSpawnDepth 1: a sub-agent does not spawn its own */
        if (strstr(v.self, ":subagent:"))
                return status_result(ret, "forbidden",
                                     "A sub-agent cannot spawn sub-agents (maxSpawnDepth is 1)",
                                     NULL);
        if (!call->runs)
                return status_result(ret, "error",
                                     "sessions_spawn needs the gateway's agent runtime: call it "
                                     "from an agent run of `pincer gateway`; no session was "
                                     "created",
                                     NULL);
        unsigned char b[16] = {0};
        (void) getrandom(b, sizeof(b), 0);
        b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
        b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
        _cleanup_free_ char *key =
                xasprintf("agent:%s:subagent:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%"
                          "02x%02x%02x%02x",
                          target->id, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
                          b[10], b[11], b[12], b[13], b[14], b[15]);
        _cleanup_free_ char *text = xasprintf("[Subagent Task] %s", task);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        json_t *msg = json_pack("{s:s,s:[{s:s,s:s}],s:I}", "role", "user", "content", "type",
                                "text", "text", text, "timestamp", (json_int_t) now);
        _cleanup_free_ char *main_key = pc_policy_session_main_key(call->cfg, target);
        PcSessionInit init = {.key = key,
                              .agent_id = target->id,
                              .main_key = main_key,
                              .spawned_by = v.self,
                              .label = label && *label ? label : NULL};
        PcError err = PC_ERROR_INIT;
        int r = pc_store_transcript_append(store, &init, &msg, 1, now, &err);
        json_decref(msg);
        if (r < 0)
                return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, r, "sessions_spawn: %s",
                                         err.msg);
        ret->bytes_in = strlen(task);
        char id[80];
        PcRunStart rs = {.agent_id = target->id,
                         .session_key = key,
                         .message = text,
                         .message_recorded = true,
                         .spawned_by = v.self,
                         .label = init.label};
        r = call->runs->start(call->runs->userdata, &rs, id, sizeof(id), &err);
        if (r < 0)
                return status_result(ret, "error", err.msg, NULL);
        return json_result(ret,
                           json_pack("{s:s,s:s,s:s}", "status", "accepted", "runId", id,
                                     "childSessionKey", key),
                           false);
}
