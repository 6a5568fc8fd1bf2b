/* SPDX-License-Identifier: MIT */
/* Validation rules that span several keys, run after the schema check has passed. Rules that
 * look at one object only (allow vs alsoAllow, an agent entry's id) are schema checks in
 * schema-checks.c. */
#include <strings.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/jsonpath.h"
#include "config-internal.h"

/* spec 1.10: network "container:<id>" joins another container's namespace; refused unless
 * sandbox.docker.dangerouslyAllowContainerNamespaceJoin is true (here or in the defaults). */
static void check_networks(PcLoadCtx *ctx, const json_t *sandbox, const json_t *defaults_sandbox,
                           const char *path)
{
        if (!json_is_object(sandbox))
                return;
        const json_t *docker = json_object_get(sandbox, "docker");
        const json_t *flag = json_object_get(docker, "dangerouslyAllowContainerNamespaceJoin");
        if (!flag)
                flag = json_object_get(json_object_get(defaults_sandbox, "docker"),
                                       "dangerouslyAllowContainerNamespaceJoin");
        if (json_is_true(flag))
                return;
        static const char *const holders[] = {"docker", "browser"};
        for (size_t i = 0; i < ELEMENTSOF(holders); i++) {
                const json_t *h = json_object_get(sandbox, holders[i]);
                const char *net = json_string_value(json_object_get(h, "network"));
                if (!net)
                        continue;
                while (*net == ' ' || *net == '\t')
                        net++;
                if (strncasecmp(net, "container:", 10) != 0)
                        continue;
                _cleanup_free_ char *p = xasprintf("%s.%s.network", path, holders[i]);
                pc__diag_member(ctx, PC_DIAG_ERROR, h, "network", false, p,
                                "set sandbox.docker.dangerouslyAllowContainerNamespaceJoin=true "
                                "only when you fully trust this runtime",
                                "Sandbox security: %s network mode \"container:*\" is blocked by "
                                "default",
                                holders[i]);
        }
}

static bool agent_exists(const PcConfig *cfg, const char *raw)
{
        _cleanup_free_ char *id = pc_agent_id_normalize(raw);
        for (size_t i = 0; i < cfg->n_agents; i++)
                if (streq(cfg->agents[i].id, id))
                        return true;
        return false;
}

void pc__check_cross_fields(PcLoadCtx *ctx)
{
        PcConfig *cfg = ctx->cfg;
        const json_t *root = cfg->root;
        const json_t *defaults = json_object_get(json_object_get(root, "agents"), "defaults");
        const json_t *dsandbox = json_object_get(defaults, "sandbox");

        check_networks(ctx, dsandbox, NULL, "agents.defaults.sandbox");

        for (size_t i = 0; i < cfg->n_agents; i++) {
                const PcAgent *a = &cfg->agents[i];
                if (!*a->source)
                        continue;
                _cleanup_free_ char *sp = xasprintf("%s.sandbox", a->source);
                const json_t *sb = json_object_get(a->entry, "sandbox");
                check_networks(ctx, sb, dsandbox, sp);

                /* spec 5.4: per-agent docker/browser/prune overrides do nothing under "shared". */
                const char *scope = json_string_value(json_object_get(sb, "scope"));
                if (!scope)
                        scope = json_string_value(json_object_get(dsandbox, "scope"));
                if (scope && streq(scope, "shared")) {
                        static const char *const ignored[] = {"docker", "browser", "prune",
                                                              "native"};
                        for (size_t k = 0; k < ELEMENTSOF(ignored); k++) {
                                const json_t *o = json_object_get(sb, ignored[k]);
                                if (!json_is_object(o) || json_object_size(o) == 0)
                                        continue;
                                _cleanup_free_ char *p = xasprintf("%s.%s", sp, ignored[k]);
                                pc__diag_member(ctx, PC_DIAG_WARNING, sb, ignored[k], true, p,
                                                "move these settings to agents.defaults.sandbox, "
                                                "or use scope \"agent\"",
                                                "sandbox %s overrides of agent '%s' are ignored: "
                                                "its scope resolves to \"shared\"",
                                                ignored[k], a->id);
                        }
                }
        }

        const json_t *auth = json_object_get(json_object_get(root, "gateway"), "auth");
        if (json_object_get(auth, "token") && json_object_get(auth, "password") &&
            !json_object_get(auth, "mode"))
                pc__diag_member(ctx, PC_DIAG_ERROR, json_object_get(root, "gateway"), "auth", true,
                                "gateway.auth",
                                "set gateway.auth.mode to \"token\" or \"password\"",
                                "both a token and a password are set but gateway.auth.mode is not");

        const json_t *bindings = json_object_get(root, "bindings");
        for (size_t i = 0; i < json_array_size(bindings); i++) {
                const json_t *b = json_array_get(bindings, i);
                const char *id = json_string_value(json_object_get(b, "agentId"));
                if (!id || agent_exists(cfg, id))
                        continue;
                _cleanup_free_ char *p = xasprintf("bindings[%zu].agentId", i);
                pc__diag_member(ctx, PC_DIAG_WARNING, b, "agentId", false, p,
                                "add the agent to agents.list, or fix the id",
                                "binding names unknown agent '%s'; its messages go to the default "
                                "agent '%s'",
                                id, cfg->agents[cfg->default_agent].id);
        }
}
