/* SPDX-License-Identifier: MIT */
/*
 * pincer sandbox explain: what a session's sandbox is, computed from the configuration before
 * anything is created (pincer.md item 7). The only side effect is asking the Docker engine,
 * when the backend is docker, whether it answers and has the image.
 */
#include <jansson.h>
#include <stdio.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/redact.h"
#include "cli.h"
#include "policy/policy.h"
#include "sandbox/docker/backend.h"
#include "sandbox/native/native.h"
#include "sandbox/sandbox.h"

static void add_problem(json_t *problems, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void add_problem(json_t *problems, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = xvasprintf(fmt, ap);
        va_end(ap);
        json_array_append_new(problems, json_string(s));
}

/* Problems only the backend can tell: the engine, the image. For native, *ret_native is the
 * plan, the seccomp summary and the host checks (pc_native_explain). */
static void check_backend(const PcSandboxSpec *spec, const char *state_dir, json_t *problems,
                          json_t **ret_native)
{
        if (streq(spec->backend, "native")) {
                json_t *n = pc_native_explain(state_dir, spec);
                size_t i;
                json_t *p;
                json_array_foreach (json_object_get(n, "problems"), i, p)
                        add_problem(problems, "%s", json_string_value(p));
                json_object_del(n, "problems");
                *ret_native = n;
                return;
        }
        PcDockerBackend *b = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_docker_backend_open((void **) &b, &err) < 0) {
                add_problem(problems, "%s", err.msg);
                return;
        }
        json_t *img = NULL;
        if (pc_engine_image_inspect(b->engine, spec->image, &img, &err) == -ENOENT)
                add_problem(problems,
                            "image '%s' does not exist on the engine; build it with "
                            "scripts/sandbox-image.sh --name '%s'",
                            spec->image, spec->image);
        json_decref(img);
        pc_docker_backend_close(b);
}

static json_t *fix_it(const PcAgent *agent, const char *mode)
{
        json_t *a = json_array();
        if (!streq(mode, "off")) {
                json_array_append_new(a, json_string("agents.defaults.sandbox.mode=off"));
                if (*agent->source)
                        json_array_append_new(a,
                                              json_sprintf("%s.sandbox.mode=off", agent->source));
        }
        static const char *const lists[] = {"allow", "alsoAllow", "deny"};
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                json_array_append_new(a, json_sprintf("tools.sandbox.tools.%s", lists[i]));
        if (*agent->source)
                for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                        json_array_append_new(a, json_sprintf("%s.tools.sandbox.tools.%s",
                                                              agent->source, lists[i]));
        return a;
}

static void print_text(const json_t *o, const PcPolicyResult *pol)
{
        const json_t *sb = json_object_get(o, "sandbox");
#define S(obj, k) json_string_value(json_object_get(obj, k))
        printf("Agent:      %s\n", S(o, "agentId"));
        printf("Session:    %s (main: %s)\n", S(o, "sessionKey"), S(o, "mainSessionKey"));
        printf("Runtime:    %s (sandbox.mode %s)\n",
               json_is_true(json_object_get(o, "sandboxed")) ? "sandboxed" : "direct, on the host",
               S(sb, "mode"));
        printf("Scope:      %s (scope key %s)\n", S(sb, "scope"), S(sb, "scopeKey"));
        printf("Sandbox:    %s on backend %s, image %s\n", S(sb, "name"), S(sb, "backend"),
               S(sb, "image"));
        printf("Workspace:  access %s, %s\n", S(sb, "workspaceAccess"), S(sb, "workspaceDir"));
        const json_t *mounts = json_object_get(sb, "mounts");
        size_t i;
        json_t *m;
        printf("\nMounts:\n");
        json_array_foreach (mounts, i, m)
                printf("  %-24s <- %s (%s)\n", S(m, "target"), S(m, "source"),
                       json_is_true(json_object_get(m, "readOnly")) ? "read-only" : "read-write");
        printf("\nCreate spec (secrets redacted):\n");
        char *spec = json_dumps(json_object_get(o, "spec"), JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", spec ? spec : "(none)");
        free(spec);
        const json_t *native = json_object_get(o, "native");
        if (native) {
                char *plan = json_dumps(native, JSON_INDENT(2));
                printf("\nNative plan (namespaces, mounts, limits, capabilities, seccomp):\n%s\n",
                       plan ? plan : "(none)");
                free(plan);
        }
        json_t *t;
        if (pol) {
                printf("\nTools in this session (pincer tools list):\n");
                pc_cli_print_tool_table(pol, "  ");
        } else {
                printf("\nTools the policy allows in this session:\n  ");
                json_array_foreach (json_object_get(o, "toolsAllowed"), i, t)
                        printf("%s%s", i ? ", " : "", json_string_value(t));
                printf("\n");
        }
        printf("\nConfig keys that change this:\n");
        json_array_foreach (json_object_get(o, "fixIt"), i, t)
                printf("  %s\n", json_string_value(t));
        const json_t *problems = json_object_get(o, "problems");
        printf("\nProblems:%s\n", json_array_size(problems) ? "" : " none found");
        json_array_foreach (problems, i, t)
                printf("  - %s\n", json_string_value(t));
#undef S
}

int pc_cli_sandbox_explain(const PcConfig *cfg, const char *agent_id, const char *session_arg,
                           bool json)
{
        const PcAgent *agent = NULL;
        int code = pc_cli_pick_agent("sandbox", cfg, agent_id, session_arg, &agent);
        if (code != 0)
                return code;
        _cleanup_free_ char *session = pc_policy_session_key_resolve(cfg, agent, session_arg);
        PcError err = PC_ERROR_INIT;
        PcSandboxSession ses = {0};
        if (pc_sandbox_session_resolve(cfg, session, &ses, &err) < 0) {
                fprintf(stderr, "pincer sandbox explain: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }

        json_t *eff = pc_config_agent_effective(cfg, agent, false);
        json_t *problems = json_array();
        json_t *native = NULL;
        PcSandboxSpecOptions opts = {.no_mkdir = true};
        PcSandboxSpec *spec = NULL;
        if (pc_sandbox_spec_build(eff, session, &opts, &spec, &err) < 0)
                add_problem(problems, "the sandbox cannot be created: %s", err.msg);
        else if (ses.sandboxed)
                check_backend(spec, pc_config_state_dir(cfg), problems, &native);

        PcPolicyContext pctx = PC_POLICY_CONTEXT_INIT;
        pctx.agent = agent;
        pctx.session_key = session;
        pctx.sandboxed = ses.sandboxed;
        PcPolicyResult *pol = NULL;
        json_t *allowed = json_array();
        if (pc_policy_evaluate(cfg, &pctx, &pol, &err) >= 0) {
                for (size_t i = 0; i < pol->n_tools; i++)
                        if (pol->tools[i].allowed)
                                json_array_append_new(allowed, json_string(pol->tools[i].name));
                if (ses.sandboxed &&
                    json_is_true(json_object_get(
                            json_object_get(json_object_get(eff, "sandbox"), "browser"),
                            "enabled")) &&
                    !pc_policy_check(pol, "browser"))
                        add_problem(problems, "sandbox.browser.enabled is true but the tool policy "
                                              "denies 'browser', so no browser starts; add "
                                              "\"browser\" to tools.sandbox.tools.alsoAllow");
        }

        const char *mode = pc_sandbox_mode_to_string(ses.mode);
        json_t *sb = json_object();
        json_object_set_new(sb, "mode", json_string(mode ? mode : "off"));
        if (spec) {
                json_object_set_new(sb, "scope",
                                    json_string(pc_sandbox_scope_to_string(spec->scope)));
                json_object_set_new(sb, "scopeKey", json_string(spec->scope_key));
                json_object_set_new(sb, "name", json_string(spec->name));
                json_object_set_new(sb, "backend", json_string(spec->backend));
                json_object_set_new(sb, "image", json_string(spec->image));
                json_object_set_new(
                        sb, "workspaceAccess",
                        json_string(pc_workspace_access_to_string(spec->workspace_access)));
                json_object_set_new(sb, "workspaceDir", json_string(spec->workspace_dir));
                json_t *mounts = json_array();
                for (size_t i = 0; i < spec->n_mounts; i++)
                        json_array_append_new(
                                mounts,
                                json_pack("{s:s,s:s,s:s,s:b}", "kind",
                                          pc_mount_kind_to_string(spec->mounts[i].kind), "source",
                                          spec->mounts[i].source, "target", spec->mounts[i].target,
                                          "readOnly", spec->mounts[i].read_only));
                json_object_set_new(sb, "mounts", mounts);
        }

        json_t *o = json_object();
        json_object_set_new(o, "agentId", json_string(agent->id));
        json_object_set_new(o, "sessionKey", json_string(session));
        json_object_set_new(o, "mainSessionKey", json_string(ses.main_key));
        json_object_set_new(o, "sandboxed", json_boolean(ses.sandboxed));
        json_object_set_new(o, "sandbox", sb);
        json_t *spec_json = spec ? pc_sandbox_spec_to_json(spec, false) : json_null();
        pc_redact_json(spec_json);
        json_object_set_new(o, "spec", spec_json);
        if (spec && streq(spec->backend, "docker")) {
                json_t *body = pc_docker_create_body(spec, spec->image, 0, NULL);
                pc_redact_json(body);
                json_object_set_new(o, "dockerCreate", body ? body : json_null());
        }
        if (native)
                json_object_set_new(o, "native", native);
        json_object_set_new(o, "toolsAllowed", allowed);
        json_object_set_new(o, "tools", pol ? pc_cli_tool_verdicts_json(pol) : json_array());
        json_object_set_new(o, "fixIt", fix_it(agent, mode ? mode : "off"));
        json_object_set_new(o, "problems", problems);

        if (json)
                pc_cli_print_json(o);
        else
                print_text(o, pol);
        json_decref(o);
        pc_policy_result_free(pol);
        json_decref(eff);
        pc_sandbox_spec_free(spec);
        pc_sandbox_session_release(&ses);
        return PC_EXIT_OK;
}
