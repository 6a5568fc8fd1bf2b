/* SPDX-License-Identifier: MIT */
#include "dispatch.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/utf8.h"
#include "policy/pattern.h"
#include "policy/policy.h"
#include "tool-sessions.h"

typedef struct ToolDef {
        const char *name;
        PcToolFn fn;
        bool writes;     /* removed when the workspace is mounted read-only (access "ro") */
        bool no_sandbox; /* needs no lease (process: its processes hold their own) */
} ToolDef;

/* The tools this build runs. Every other catalog tool is "not available" (404). */
static const ToolDef tools[] = {
        {"exec", pc_tool_exec, false, false},
        {"process", pc_tool_process, false, true},
        {"read", pc_tool_read, false, false},
        {"write", pc_tool_write, true, false},
        {"edit", pc_tool_edit, true, false},
        {"apply_patch", pc_tool_apply_patch, true, false},
        {"session_status", pc_tool_session_status, false, false},
        {"sessions_list", pc_tool_sessions_list, false, false},
        {"sessions_history", pc_tool_sessions_history, false, false},
        {"sessions_send", pc_tool_sessions_send, false, false},
        {"sessions_spawn", pc_tool_sessions_spawn, false, false},
        {"browser", pc_tool_browser, false, false},
};

static const ToolDef *find_tool(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(tools); i++)
                if (streq(tools[i].name, name))
                        return &tools[i];
        return NULL;
}

__attribute__((format(printf, 4, 5))) static void refuse(PcInvokeResponse *r, int status,
                                                         const char *type, const char *fmt, ...)
{
        r->status = status;
        r->error_type = type;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        /* a JSON string: a long message is cut between characters, not inside one */
        pc_utf8_fit(r->message, sizeof(r->message), msg);
}

void pc_invoke_response_release(PcInvokeResponse *r)
{
        pc_tool_result_release(&r->result);
}

json_t *pc_invoke_response_json(const PcInvokeResponse *r)
{
        if (!r->error_type) {
                json_t *res = json_object();
                json_object_set(res, "content",
                                r->result.content ? r->result.content : json_array());
                if (r->result.details)
                        json_object_set(res, "details", r->result.details);
                if (!r->result.content)
                        json_decref(json_object_get(res, "content"));
                return json_pack("{s:b,s:o}", "ok", 1, "result", res);
        }
        if (streq(r->error_type, "invalid_request") && !*r->tool)
                return json_pack("{s:{s:s,s:s}}", "error", "message", r->message, "type",
                                 "invalid_request_error");
        return json_pack("{s:b,s:s,s:{s:s,s:s}}", "ok", 0, "toolName", r->tool, "error", "type",
                         r->error_type, "message", r->message);
}

static int64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The file roots of a sandbox: every mount, in the container's view. */
static size_t sandbox_roots(const PcSandboxSpec *spec, PcToolRoot *roots, size_t max)
{
        size_t n = 0;
        for (size_t i = 0; i < spec->n_mounts && n < max; i++) {
                const PcSandboxMount *m = &spec->mounts[i];
                roots[n++] = (PcToolRoot){
                        .view = m->target,
                        .host = m->source,
                        .writable = !m->read_only,
                };
        }
        return n;
}

static void run_tool(const PcConfig *cfg, PcSandboxManager *manager, const PcInvokeRequest *req,
                     const PcAgent *agent, const char *session, const ToolDef *def,
                     const PcSandboxSession *ses, PcInvokeResponse *ret, json_t *audit)
{
        json_t *eff = pc_config_agent_effective(cfg, agent, false);
        json_t *args = req->args && json_is_object(req->args) ? json_incref((json_t *) req->args)
                                                              : json_object();
        PcToolRoot roots[32];
        PcToolCall call = {
                .tool = def->name,
                .args = args,
                .cfg = cfg,
                .agent = agent,
                .session_key = session,
                .effective = eff,
                .roots = roots,
                .uid = -1,
                .gid = -1,
                .store = pc_sandbox_manager_store(manager),
                .processes = req->processes,
                .cancel_fd = req->cancel_fd,
                .runs = req->runs,
        };
        PcSandboxLease *lease = NULL;
        call.take_lease = &lease;
        PcError err = PC_ERROR_INIT;

        const char *access = json_string_value(
                json_object_get(json_object_get(eff, "sandbox"), "workspaceAccess"));
        if (ses->sandboxed && def->writes && access && streq(access, "ro")) {
                /* spec 3.6 step 1: with the workspace read-only the writing tools do not exist */
                refuse(ret, 404, "not_found", "Tool not available: %s", def->name);
                json_object_set_new(audit, "decision", json_string("unavailable"));
                json_object_set_new(audit, "rule", json_string("sandbox.workspaceAccess ro"));
                goto done;
        }

        if (pc_tool_session_in_gateway(def->name)) {
                json_object_set_new(audit, "backend", json_string("gateway"));
        } else if (def->no_sandbox) {
                json_object_set_new(audit, "backend", json_string("none"));
        } else if (ses->sandboxed) {
                if (pc_sandbox_manager_acquire(manager, cfg, session, &lease, NULL, &err) < 0) {
                        refuse(ret, err.kind == PC_ERROR_UNAVAILABLE ? 503 : 500,
                               err.kind == PC_ERROR_UNAVAILABLE ? "unavailable" : "tool_error",
                               "%s", err.msg);
                        json_object_set_new(audit, "decision", json_string("error"));
                        goto done;
                }
                const PcSandboxSpec *spec = pc_sandbox_lease_spec(lease);
                json_object_set_new(audit, "backend", json_string(spec->backend));
                json_object_set_new(audit, "sandbox", json_string(spec->name));
                call.lease = lease;
                call.n_roots = sandbox_roots(spec, roots, ELEMENTSOF(roots));
                call.cwd = spec->workdir;
                pc_tool_sandbox_ids(lease, !streq(def->name, "exec"), &call.uid, &call.gid);
        } else {
                const char *host = json_string_value(json_object_get(
                        json_object_get(json_object_get(eff, "tools"), "exec"), "host"));
                if (streq(def->name, "exec") && !(host && streq(host, "gateway"))) {
                        refuse(ret, 403, "tool_call_blocked",
                               "exec would run on the host: session '%s' of agent '%s' is not "
                               "sandboxed (sandbox.mode %s). Pincer runs no host commands unless "
                               "tools.exec.host is \"gateway\"; to sandbox the agent set "
                               "sandbox.mode to \"all\"",
                               session, agent->id,
                               ses->mode == PC_SANDBOX_MODE_OFF ? "off" : "non-main");
                        json_object_set_new(audit, "decision", json_string("denied"));
                        json_object_set_new(audit, "rule", json_string("no host exec"));
                        goto done;
                }
                if (streq(def->name, "exec")) {
                        refuse(ret, 500, "tool_error",
                               "host execution (tools.exec.host \"gateway\") is not implemented "
                               "in this version; sandbox the agent instead");
                        json_object_set_new(audit, "decision", json_string("error"));
                        goto done;
                }
                json_object_set_new(audit, "backend", json_string("host"));
                roots[0] = (PcToolRoot){
                        .view = agent->workspace, .host = agent->workspace, .writable = true};
                call.n_roots = 1;
                call.cwd = agent->workspace;
                /* the workspace's owner is the identity the file tools act with (a root
                 * gateway does not lend its rights, fsroot.h) */
                struct stat st;
                if (stat(agent->workspace, &st) == 0) {
                        call.uid = st.st_uid;
                        call.gid = st.st_gid;
                }
        }

        int64_t t0 = now_us();
        int r = def->fn(&call, &ret->result, &err);
        json_object_set_new(audit, "durationUs", json_integer((json_int_t) (now_us() - t0)));
        if (r < 0 && err.kind == PC_ERROR_UNAVAILABLE) {
                /* the engine went away during the call: the same answer as before it */
                refuse(ret, 503, "unavailable", "%s", err.msg);
                json_object_set_new(audit, "decision", json_string("unavailable"));
        } else if (r < 0) {
                bool bad_args = err.kind == PC_ERROR_INVALID_ARGUMENT;
                refuse(ret, bad_args ? 400 : 500, "tool_error", "%s", err.msg);
                json_object_set_new(audit, "decision", json_string("error"));
        } else {
                ret->status = 200;
                json_object_set_new(audit, "decision", json_string("allowed"));
                json_object_set_new(audit, "isError", json_boolean(ret->result.is_error));
                if (ret->result.exit_code >= 0)
                        json_object_set_new(audit, "exitCode", json_integer(ret->result.exit_code));
                json_object_set_new(audit, "bytesIn",
                                    json_integer((json_int_t) ret->result.bytes_in));
                json_object_set_new(audit, "bytesOut",
                                    json_integer((json_int_t) ret->result.bytes_out));
        }
        if (lease && pc_sandbox_lease_notice(lease))
                json_object_set_new(audit, "notice", json_string(pc_sandbox_lease_notice(lease)));
done:
        pc_sandbox_lease_release(lease);
        json_decref(args);
        json_decref(eff);
}

int pc_dispatch_invoke(const PcConfig *cfg, PcSandboxManager *manager, const PcInvokeRequest *req,
                       PcInvokeResponse *ret, PcError *reterr)
{
        *ret = (PcInvokeResponse){0};
        pc_tool_result_init(&ret->result);
        if (req->processes)
                pc_process_registry_reap(req->processes, pc_process_ttl_ms(cfg));
        json_t *audit = json_object();
        json_object_set_new(audit, "caller", json_string(req->caller ? req->caller : "unknown"));
        _cleanup_free_ char *session = NULL;
        _cleanup_free_ char *name = NULL;
        _cleanup_free_ char *key_agent = NULL;
        const PcAgent *agent = NULL;
        PcSandboxSession ses = {0};
        PcPolicyResult *pol = NULL;

        if (!req->tool || !*req->tool) {
                refuse(ret, 400, "invalid_request", "tools.invoke requires body.tool");
                json_object_set_new(audit, "decision", json_string("invalid"));
                goto audit;
        }
        name = pc_tool_name_normalize(req->tool);
        pc_utf8_fit(ret->tool, sizeof(ret->tool), name);
        json_object_set_new(audit, "tool", json_string(name));

        key_agent = req->session_key ? pc_policy_session_agent_id(req->session_key) : NULL;
        const char *want = req->agent_id ? req->agent_id : key_agent;
        agent = want ? pc_config_find_agent(cfg, want) : pc_config_default_agent(cfg);
        if (!agent || (req->agent_id && key_agent && !streq(agent->id, key_agent))) {
                refuse(ret, 400, "invalid_request",
                       agent ? "session '%s' does not belong to agent '%s'"
                             : "unknown agent id \"%s\"",
                       agent ? req->session_key : want, agent ? agent->id : "");
                json_object_set_new(audit, "decision", json_string("invalid"));
                goto audit;
        }
        json_object_set_new(audit, "agent", json_string(agent->id));
        session = pc_policy_session_key_resolve(cfg, agent, req->session_key);
        json_object_set_new(audit, "session", json_string(session));

        PcError err = PC_ERROR_INIT;
        if (pc_sandbox_session_resolve(cfg, session, &ses, &err) < 0) {
                refuse(ret, 400, "invalid_request", "%s", err.msg);
                json_object_set_new(audit, "decision", json_string("invalid"));
                goto audit;
        }
        json_object_set_new(audit, "sandboxed", json_boolean(ses.sandboxed));

        PcPolicyContext pctx = PC_POLICY_CONTEXT_INIT;
        pctx.agent = agent;
        pctx.session_key = session;
        pctx.sandboxed = ses.sandboxed;
        pctx.owner = req->owner;
        pctx.only_tool = name;
        if (pc_policy_evaluate(cfg, &pctx, &pol, &err) < 0) {
                refuse(ret, 500, "tool_error", "%s", err.msg);
                json_object_set_new(audit, "decision", json_string("error"));
                goto audit;
        }
        const PcToolVerdict *v = pc_policy_verdict(pol, name);
        const ToolDef *def = find_tool(name);
        if (v && !v->allowed) {
                _cleanup_buf_ PcBuf msg = PC_BUF_INIT;
                if (!pc_policy_format_blocked(pol, name, &msg))
                        pc_buf_addf(&msg, "Tool \"%s\" is not allowed for agent '%s': %s", name,
                                    agent->id, v->rule);
                refuse(ret, 403, "tool_call_blocked", "%s", msg.buf);
                json_object_set_new(audit, "decision", json_string("denied"));
                json_object_set_new(audit, "rule", json_string(v->rule));
                goto audit;
        }
        if (req->hidden && req->hidden(cfg, name)) {
                refuse(ret, 404, "not_found", "Tool not available: %s", name);
                json_object_set_new(audit, "decision", json_string("unavailable"));
                json_object_set_new(audit, "rule",
                                    json_string("hidden from this entry point "
                                                "(gateway.tools)"));
                goto audit;
        }
        if (!v || !def) {
                refuse(ret, 404, "not_found", "Tool not available: %s", name);
                json_object_set_new(audit, "decision", json_string("unavailable"));
                goto audit;
        }
        json_object_set_new(audit, "rule", json_string(v->rule));

        run_tool(cfg, manager, req, agent, session, def, &ses, ret, audit);

audit:
        json_object_set_new(audit, "status", json_integer(ret->status));
        PcError rec_err = PC_ERROR_INIT; /* the transcript (tool-sessions.h) */
        if (session && pc_tool_session_record(pc_sandbox_manager_store(manager), cfg, agent,
                                              session, req, ret, &rec_err) < 0)
                log_warning("Failed to record a tool call in the transcript of '%s', "
                            "continuing: %s",
                            session, rec_err.msg);
        int r = pc_audit_append(pc_config_state_dir(cfg), audit, reterr);
        json_decref(audit);
        pc_policy_result_free(pol);
        pc_sandbox_session_release(&ses);
        return r;
}
