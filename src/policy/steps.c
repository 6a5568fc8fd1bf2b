/* SPDX-License-Identifier: MIT */
/*
 * Building the policy steps of spec 3.6 (steps 4-13) for one agent and session, from the
 * agent's effective configuration (config/effective.c) and, for the few keys the effective
 * view does not carry (tools.subagents, the presence of tools.exec / tools.fs), the
 * configuration tree itself.
 */
#include "base/alloc.h"
#include "base/jsonpath.h"
#include "base/suggest.h"
#include "catalog.h"
#include "config/tool-defaults.h"
#include "policy-internal.h"

static const char *const subagent_deny_always[] = {
        "gateway", "agents_list", "whatsapp_login", "session_status", "cron", "sessions_send", NULL,
};
static const char *const subagent_deny_leaf[] = {
        "subagents", "sessions_list", "sessions_history", "sessions_spawn", NULL,
};

const json_t *pc__policy_json_at(const json_t *v, const char *path)
{
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *t = strtok_r(copy, ".", &save); t && v; t = strtok_r(NULL, ".", &save))
                v = json_object_get(v, t);
        return v;
}

static char *key_join(const char *prefix, const char *key)
{
        PcBuf b = PC_BUF_INIT;
        pc_buf_addstr(&b, prefix);
        pc_jsonpath_add_key(&b, key);
        return pc_buf_detach(&b);
}

static bool is_set(const json_t *v)
{
        return v && !json_is_null(v);
}

void pc__policy_step_release(PcPolicyStep *s)
{
        free(s->label);
        free(s->note);
        free(s->allow_desc);
        free(s->allow_key);
        free(s->deny_key);
        pc_pattern_list_clear(&s->allow);
        pc_pattern_list_clear(&s->deny);
        *s = (PcPolicyStep){0};
}

static void step_skip(PcPolicyStep *s, const char *fmt, ...) _printf_(2, 3);
static void step_skip(PcPolicyStep *s, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        s->applies = false;
        free(s->note);
        s->note = xvasprintf(fmt, ap);
        va_end(ap);
}

static void set_allow_key(PcPolicyStep *s, const char *key, bool is_default)
{
        s->allow_key = xstrdup(key);
        s->allow_desc = xasprintf("allowlist of %s%s", key, is_default ? " (default)" : "");
}

/* ---- step 4: owner-only ------------------------------------------------------------------ */

static void build_owner(PcPolicyStep *s, bool owner)
{
        s->label = xstrdup("owner-only tools");
        size_t n;
        const PcTool *cat = pc_tool_catalog(&n);
        static const char note[] = "owner-only tool and the caller is not an owner";
        for (size_t i = 0; i < n; i++)
                if (cat[i].owner_only)
                        pc_pattern_list_add_exact(&s->deny, cat[i].name, cat[i].name, "",
                                                  PC_PATTERN_IMPLICIT, note);
        pc_pattern_list_add_exact(&s->deny, "whatsapp_login", "whatsapp_login", "",
                                  PC_PATTERN_IMPLICIT, note);
        s->applies = !owner;
        if (owner)
                s->note = xstrdup("the caller is an owner");
}

/* ---- steps 5 and 6: profiles ------------------------------------------------------------- */

static void add_profile(PcPolicyStep *s, PcToolProfile p, const char *name, const char *key)
{
        size_t n;
        const PcTool *cat = pc_tool_catalog(&n);
        for (size_t i = 0; i < n; i++)
                if (pc_tool_in_profile(&cat[i], p))
                        pc_pattern_list_add_exact(&s->allow, cat[i].name, name, key, 0, NULL);
        s->has_allow = true;
        s->allow_key = xstrdup(key);
        s->allow_desc = xasprintf("profile \"%s\" (%s)", name, key);
}

static void add_implicit(PcPolicyStep *s, const json_t *agent_tools, const char *agent_prefix,
                         const json_t *global_tools, const char *section, const char *const *names)
{
        _cleanup_free_ char *key = NULL;
        if (agent_prefix && is_set(json_object_get(agent_tools, section)))
                key = key_join(agent_prefix, section);
        else if (is_set(json_object_get(global_tools, section)))
                key = key_join("tools", section);
        if (!key)
                return;
        _cleanup_buf_ PcBuf note = PC_BUF_INIT;
        pc_buf_addstr(&note, "set, which adds ");
        for (const char *const *n = names; *n; n++)
                pc_buf_addf(&note, "%s%s", n == names ? "" : n[1] ? ", " : " and ", *n);
        pc_buf_addstr(&note, " to the profile");
        for (const char *const *n = names; *n; n++)
                pc_pattern_list_add_exact(&s->allow, *n, *n, key, PC_PATTERN_IMPLICIT, note.buf);
}

static void build_profile(PcPolicyStep *s, const json_t *eff_tools, const json_t *agent_tools,
                          const char *agent_prefix, const json_t *global_tools)
{
        const char *name = json_string_value(json_object_get(eff_tools, "profile"));
        const char *src = json_string_value(json_object_get(eff_tools, "profileSource"));
        if (!name)
                name = "full";
        if (!src)
                src = "default";
        s->label = xasprintf("tools.profile (%s)", name);
        PcToolProfile p = pc_tool_profile_from_string(name);
        if (p <= PC_TOOL_PROFILE_FULL) {
                step_skip(s, "profile \"%s\" (%s): no restriction", name, src);
                return;
        }
        s->applies = true;
        add_profile(s, p, name, src);

        /* alsoAllow: the agent's list if it has one, else the global one (spec 3.5). */
        const json_t *also = json_object_get(agent_tools, "alsoAllow");
        _cleanup_free_ char *also_key = NULL;
        if (agent_prefix && json_is_array(also))
                also_key = key_join(agent_prefix, "alsoAllow");
        else {
                also = json_object_get(global_tools, "alsoAllow");
                also_key = xstrdup("tools.alsoAllow");
        }
        pc_pattern_list_add_json(&s->allow, also, also_key, 0);

        static const char *const exec_names[] = {"exec", "process", NULL};
        static const char *const fs_names[] = {"read", "write", "edit", NULL};
        add_implicit(s, agent_tools, agent_prefix, global_tools, "exec", exec_names);
        add_implicit(s, agent_tools, agent_prefix, global_tools, "fs", fs_names);
}

/* byProvider lookup: "provider/model" first, then "provider"; keys compared trimmed and in
 * lower case (spec 3.5). Returns the entry and sets *ret_key to its config key. */
static const json_t *provider_entry(const json_t *by_provider, const char *prefix,
                                    const PcPolicyContext *ctx, char **ret_key)
{
        *ret_key = NULL;
        if (!ctx->provider || !json_is_object(by_provider))
                return NULL;
        _cleanup_free_ char *provider = pc__policy_lower_trim(ctx->provider);
        if (!*provider)
                return NULL;
        _cleanup_free_ char *full = NULL;
        if (ctx->model) {
                _cleanup_free_ char *model = pc__policy_lower_trim(ctx->model);
                if (*model)
                        full = strchr(model, '/') ? xstrdup(model)
                                                  : xasprintf("%s/%s", provider, model);
        }
        const char *candidates[] = {full, provider};
        for (size_t c = 0; c < ELEMENTSOF(candidates); c++) {
                if (!candidates[c])
                        continue;
                const char *k, *found_key = NULL;
                const json_t *v, *found = NULL;
                json_object_foreach ((json_t *) by_provider, k, v) {
                        _cleanup_free_ char *nk = pc__policy_lower_trim(k);
                        if (streq(nk, candidates[c])) {
                                found = v; /* a later duplicate wins, as in a JS Map */
                                found_key = k;
                        }
                }
                if (found) {
                        _cleanup_free_ char *by = key_join(prefix, "byProvider");
                        *ret_key = key_join(by, found_key);
                        return found;
                }
        }
        return NULL;
}

static void build_provider_profile(PcPolicyStep *s, const PcPolicyContext *ctx, const json_t *gp,
                                   const char *gkey, const json_t *ap, const char *akey)
{
        const json_t *pv = json_object_get(ap, "profile");
        const char *pkey_prefix = akey;
        if (!json_is_string(pv)) {
                pv = json_object_get(gp, "profile");
                pkey_prefix = gkey;
        }
        const char *name = json_string_value(pv);
        s->label = name ? xasprintf("tools.byProvider.profile (%s)", name)
                        : xstrdup("tools.byProvider.profile");
        if (!ctx->provider) {
                step_skip(s, "no model provider given");
                return;
        }
        if (!name) {
                step_skip(s, "no byProvider profile for provider '%s'", ctx->provider);
                return;
        }
        _cleanup_free_ char *pkey = key_join(pkey_prefix, "profile");
        PcToolProfile p = pc_tool_profile_from_string(name);
        if (p <= PC_TOOL_PROFILE_FULL) {
                step_skip(s, "profile \"%s\" (%s): no restriction", name, pkey);
                return;
        }
        s->applies = true;
        add_profile(s, p, name, pkey);
        const json_t *also = json_object_get(ap, "alsoAllow");
        const char *also_prefix = akey;
        if (!json_is_array(also)) {
                also = json_object_get(gp, "alsoAllow");
                also_prefix = gkey;
        }
        if (json_is_array(also)) {
                _cleanup_free_ char *k = key_join(also_prefix, "alsoAllow");
                pc_pattern_list_add_json(&s->allow, also, k, 0);
        }
}

/* ---- steps 7-10: allow / alsoAllow / deny ------------------------------------------------ */

static void build_list_step(PcPolicyStep *s, const char *label, const json_t *obj,
                            const char *prefix, const char *absent)
{
        s->label = xstrdup(label);
        const json_t *allow = json_object_get(obj, "allow");
        const json_t *also = json_object_get(obj, "alsoAllow");
        const json_t *deny = json_object_get(obj, "deny");
        if (!json_is_array(allow) && !(json_is_array(also) && json_array_size(also) > 0) &&
            !json_is_array(deny)) {
                step_skip(s, "%s", absent);
                return;
        }
        s->applies = true;
        _cleanup_free_ char *allow_key = key_join(prefix, "allow");
        _cleanup_free_ char *also_key = key_join(prefix, "alsoAllow");
        s->deny_key = key_join(prefix, "deny");
        set_allow_key(s, allow_key, false);
        /* An empty allow (after dropping "" entries) restricts nothing; alsoAllow then only
         * extends the profile, so its entries here are inert (but still checked, spec 3.9). */
        pc_pattern_list_add_json(&s->allow, allow, allow_key, 0);
        s->has_allow = s->allow.n > 0;
        pc_pattern_list_add_json(&s->allow, also, also_key, 0);
        pc_pattern_list_add_json(&s->deny, deny, s->deny_key, 0);
}

/* ---- step 12: sandbox tool policy (spec 3.7) --------------------------------------------- */

static void build_sandbox(PcPolicyStep *s, const json_t *eff, bool sandboxed)
{
        s->label = xstrdup("sandbox");
        const json_t *sbt = pc__policy_json_at(eff, "tools.sandboxTools");
        const json_t *allow = pc__policy_json_at(sbt, "allow.value");
        const json_t *also = pc__policy_json_at(sbt, "alsoAllow.value");
        const json_t *deny = pc__policy_json_at(sbt, "deny.value");
        const char *allow_src = json_string_value(pc__policy_json_at(sbt, "allow.source"));
        const char *also_src = json_string_value(pc__policy_json_at(sbt, "alsoAllow.source"));
        const char *deny_src = json_string_value(pc__policy_json_at(sbt, "deny.source"));
        bool allow_cfg = allow_src && !streq(allow_src, "default");
        bool also_cfg = also_src && !streq(also_src, "default");
        bool deny_cfg = deny_src && !streq(deny_src, "default");

        set_allow_key(s, allow_cfg ? allow_src : "tools.sandbox.tools.allow", !allow_cfg);
        s->deny_key = xstrdup(deny_cfg ? deny_src : "tools.sandbox.tools.deny");

        /* The explicit allow entries, which also carve exceptions out of the default deny. */
        _cleanup_(pc_pattern_list_clear) PcPatternList explicit_allow = PC_PATTERN_LIST_INIT;
        if (allow_cfg)
                pc_pattern_list_add_json(&explicit_allow, allow, allow_src, 0);
        if (also_cfg)
                pc_pattern_list_add_json(&explicit_allow, also, also_src, 0);

        if (allow_cfg && json_array_size(allow) == 0) {
                /* allow: [] allows everything (alsoAllow is moot). */
        } else {
                if (allow_cfg)
                        pc_pattern_list_add_json(&s->allow, allow, allow_src, 0);
                else
                        for (const char *const *d = pc_default_sandbox_tool_allow; *d; d++)
                                pc_pattern_list_add(&s->allow, *d, "tools.sandbox.tools.allow",
                                                    PC_PATTERN_DEFAULT, NULL);
                if (also_cfg)
                        pc_pattern_list_add_json(&s->allow, also, also_src, 0);
        }
        s->has_allow = s->allow.n > 0;

        if (deny_cfg)
                pc_pattern_list_add_json(&s->deny, deny, deny_src, 0);
        else
                for (const char *const *d = pc_default_sandbox_tool_deny; *d; d++) {
                        _cleanup_free_ char *norm = pc_tool_name_normalize(*d);
                        if (pc__policy_match_tool(&explicit_allow, norm, NULL))
                                continue;
                        pc_pattern_list_add(&s->deny, *d, "tools.sandbox.tools.deny",
                                            PC_PATTERN_DEFAULT, NULL);
                }

        if (s->has_allow && !pc_pattern_list_has_exact(&s->allow, "image") &&
            !pc_pattern_list_has_exact(&s->deny, "image"))
                pc_pattern_list_add_exact(&s->allow, "image", "image", s->allow_key,
                                          PC_PATTERN_IMPLICIT,
                                          "image is added to every sandbox allowlist that does "
                                          "not deny it");

        s->applies = sandboxed;
        if (!sandboxed)
                s->note = xstrdup("the session is not sandboxed");
}

/* ---- step 13: sub-agents (spec 3.8) ------------------------------------------------------ */

static bool in_names(const json_t *a, const json_t *b, const char *name)
{
        const json_t *lists[] = {a, b};
        for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
                size_t i;
                const json_t *v;
                json_array_foreach (lists[l], i, v) {
                        if (!json_is_string(v))
                                continue;
                        _cleanup_free_ char *n = pc_tool_name_normalize(json_string_value(v));
                        if (streq(n, name))
                                return true;
                }
        }
        return false;
}

static void build_subagent(PcPolicyStep *s, const PcConfig *cfg, const json_t *eff, unsigned depth)
{
        s->label = xstrdup("sub-agent");
        const json_t *conf = pc__policy_json_at(pc_config_root(cfg), "tools.subagents.tools");
        const json_t *allow = json_object_get(conf, "allow");
        const json_t *also = json_object_get(conf, "alsoAllow");
        const json_t *deny = json_object_get(conf, "deny");
        json_int_t max = json_integer_value(pc__policy_json_at(eff, "subagents.maxSpawnDepth"));
        if (max < 1)
                max = 1;
        bool leaf = depth >= (json_int_t) max;

        s->deny_key = xstrdup("tools.subagents.tools.deny");
        set_allow_key(s, "tools.subagents.tools.allow", false);

        static const char always_note[] = "sub-agents never get it";
        _cleanup_free_ char *leaf_note =
                xasprintf("leaf sub-agents (depth %u >= maxSpawnDepth %lld) do not get it", depth,
                          (long long) max);
        for (const char *const *n = subagent_deny_always; *n; n++)
                if (!in_names(allow, also, *n))
                        pc_pattern_list_add(&s->deny, *n, s->deny_key, PC_PATTERN_DEFAULT,
                                            always_note);
        for (const char *const *n = subagent_deny_leaf; leaf && *n; n++)
                if (!in_names(allow, also, *n))
                        pc_pattern_list_add(&s->deny, *n, s->deny_key, PC_PATTERN_DEFAULT,
                                            leaf_note);
        pc_pattern_list_add_json(&s->deny, deny, s->deny_key, 0);

        if (json_is_array(allow)) {
                pc_pattern_list_add_json(&s->allow, allow, s->allow_key, 0);
                s->has_allow = s->allow.n > 0;
                if (json_is_array(also))
                        pc_pattern_list_add_json(&s->allow, also, "tools.subagents.tools.alsoAllow",
                                                 0);
        }

        s->applies = depth > 0;
        if (depth == 0)
                s->note = xstrdup("not a sub-agent session");
        else
                s->note = xasprintf("depth %u, %s", depth, leaf ? "leaf" : "orchestrator");
}

/* ---- unknown allowlist entries (spec 3.9) ------------------------------------------------ */

static void warn_unknown(PcPolicyResult *r, const PcPolicyStep *s, char ***seen, size_t *n_seen,
                         size_t *alloc_seen)
{
        _cleanup_buf_ PcBuf entries = PC_BUF_INIT;
        const char *path = NULL, *guess = NULL;
        size_t known = 0, unknown = 0;
        for (size_t i = 0; i < s->allow.n; i++) {
                const PcPattern *p = &s->allow.items[i];
                if (p->flags & (PC_PATTERN_IMPLICIT | PC_PATTERN_DEFAULT))
                        continue;
                if (pc_tool_entry_is_known(p->norm)) {
                        known++;
                        continue;
                }
                /* Skip repeats of the same entry within the step. */
                bool repeat = false;
                for (size_t j = 0; j < i && !repeat; j++)
                        repeat = streq(s->allow.items[j].norm, p->norm);
                if (repeat)
                        continue;
                unknown++;
                pc_buf_addf(&entries, "%s%s", entries.len ? ", " : "", p->norm);
                if (!path)
                        path = p->key;
                if (!guess) {
                        size_t n;
                        const PcTool *cat = pc_tool_catalog(&n);
                        const char *cands[64];
                        size_t k = 0;
                        for (size_t c = 0; c < n && k < ELEMENTSOF(cands); c++)
                                cands[k++] = cat[c].name;
                        for (const char *const *g = pc_tool_group_names();
                             *g && k < ELEMENTSOF(cands); g++)
                                cands[k++] = *g;
                        guess = pc_suggest(p->norm, cands, k);
                }
        }
        if (unknown == 0)
                return;

        _cleanup_free_ char *id = xasprintf("%s\n%s", path, entries.buf);
        for (size_t i = 0; i < *n_seen; i++)
                if (streq((*seen)[i], id))
                        return;
        *seen = xgrow(*seen, alloc_seen, *n_seen + 1, sizeof(char *));
        (*seen)[(*n_seen)++] = TAKE_PTR(id);

        _cleanup_free_ char *hint = guess ? xasprintf("did you mean '%s'?", guess) : NULL;
        pc_diags_add(&r->warnings, PC_DIAG_WARNING, path, NULL, 0, 0, hint,
                     "tools: %s allowlist contains unknown entries (%s). %sThese entries won't "
                     "match any tool unless the plugin is enabled.",
                     s->label, entries.buf,
                     s->has_allow && known == 0
                             ? "Allowlist contains only plugin entries; core tools will not be "
                               "available. "
                             : "");
}

/* ---- all steps --------------------------------------------------------------------------- */

void pc__policy_steps_build(const PcConfig *cfg, const PcAgent *agent, const json_t *eff,
                            const PcPolicyContext *ctx, PcPolicyResult *r)
{
        const json_t *global_tools = json_object_get(pc_config_root(cfg), "tools");
        const json_t *agent_tools = json_object_get(agent->entry, "tools");
        _cleanup_free_ char *agent_prefix =
                *agent->source ? xasprintf("%s.tools", agent->source) : NULL;
        const json_t *eff_tools = json_object_get(eff, "tools");

        for (int k = 0; k < _PC_POLICY_STEP_MAX; k++)
                r->steps[k].kind = (PcPolicyStepKind) k;

        build_owner(&r->steps[PC_POLICY_STEP_OWNER], ctx->owner);
        build_profile(&r->steps[PC_POLICY_STEP_PROFILE], eff_tools, agent_tools, agent_prefix,
                      global_tools);

        _cleanup_free_ char *gp_key = NULL, *ap_key = NULL;
        const json_t *gp =
                provider_entry(json_object_get(global_tools, "byProvider"), "tools", ctx, &gp_key);
        const json_t *ap = agent_prefix ? provider_entry(json_object_get(agent_tools, "byProvider"),
                                                         agent_prefix, ctx, &ap_key)
                                        : NULL;
        build_provider_profile(&r->steps[PC_POLICY_STEP_PROVIDER_PROFILE], ctx, gp, gp_key, ap,
                               ap_key);

        build_list_step(&r->steps[PC_POLICY_STEP_GLOBAL], "tools.allow", global_tools, "tools",
                        "tools.allow, tools.alsoAllow and tools.deny are not set");
        _cleanup_free_ char *absent_gp =
                ctx->provider
                        ? xasprintf("no tools.byProvider entry for provider '%s'", ctx->provider)
                        : xstrdup("no model provider given");
        build_list_step(&r->steps[PC_POLICY_STEP_GLOBAL_PROVIDER], "tools.byProvider.allow", gp,
                        gp_key ? gp_key : "tools.byProvider", absent_gp);

        _cleanup_free_ char *agent_label = xasprintf("agents.%s.tools.allow", agent->id);
        _cleanup_free_ char *absent_agent =
                agent_prefix ? xasprintf("%s.allow, alsoAllow and deny are not set", agent_prefix)
                             : xstrdup("the agent has no entry in the config");
        build_list_step(&r->steps[PC_POLICY_STEP_AGENT], agent_label, agent_tools,
                        agent_prefix ? agent_prefix : "agents.list[].tools", absent_agent);
        _cleanup_free_ char *agent_gp_label =
                xasprintf("agents.%s.tools.byProvider.allow", agent->id);
        _cleanup_free_ char *absent_ap =
                ctx->provider ? xasprintf("no byProvider entry of the agent for provider '%s'",
                                          ctx->provider)
                              : xstrdup("no model provider given");
        build_list_step(&r->steps[PC_POLICY_STEP_AGENT_PROVIDER], agent_gp_label, ap,
                        ap_key ? ap_key : "agents.list[].tools.byProvider", absent_ap);

        PcPolicyStep *g = &r->steps[PC_POLICY_STEP_GROUP];
        g->label = xstrdup("group tools.allow");
        step_skip(g, "channel group policy: channels.* is not implemented by Pincer");

        build_sandbox(&r->steps[PC_POLICY_STEP_SANDBOX], eff, r->sandboxed);
        build_subagent(&r->steps[PC_POLICY_STEP_SUBAGENT], cfg, eff, r->subagent_depth);

        char **seen = NULL;
        size_t n_seen = 0, alloc_seen = 0;
        for (int k = PC_POLICY_STEP_PROFILE; k <= PC_POLICY_STEP_GROUP; k++)
                if (r->steps[k].applies)
                        warn_unknown(r, &r->steps[k], &seen, &n_seen, &alloc_seen);
        for (size_t i = 0; i < n_seen; i++)
                free(seen[i]);
        free(seen);
}
