/* SPDX-License-Identifier: MIT */
/*
 * The effective configuration of an agent: agents.defaults merged with the agent's own entry
 * by OpenClaw's rules (spec 1.16), with defaults from the schema table filled in.
 *
 *   scalars, arrays, objects without a rule   agent ?? defaults ?? schema default
 *   PC_SF_MERGE_CONCAT arrays (binds)         defaults ++ agent
 *   PC_SF_MERGE_SHALLOW maps (env, ulimits)   agent set: {...(defaults ?? schema default),
 * ...agent} else defaults ?? schema default PC_SF_SHARED_IGNORES (docker, browser,    the agent's
 * value is ignored when the effective prune, native)                          scope is "shared"
 *   backend                                   first non-empty (trimmed) of agent, defaults
 *   scope                                     agent ?? defaults ?? legacy perSession (agent, then
 *                                             defaults) ?? "agent"
 *
 * Tool policy layers are not merged (they intersect, spec 3.6): the effective view lists each
 * layer with its source; the sandbox tool lists are picked independently (spec 3.7).
 */
#include <pthread.h>

#include "base/alloc.h"
#include "base/redact.h"
#include "config-internal.h"
#include "schema.h"
#include "tool-defaults.h"

static json_t *schema_default(const PcSchemaNode *n)
{
        if (!n->default_json)
                return NULL;
        return json_loads(n->default_json, JSON_DECODE_ANY, NULL);
}

static json_t *merge_node(const PcSchemaNode *n, const json_t *a, const json_t *g, bool shared);

static json_t *merge_object(const PcSchemaNode *n, const json_t *a, const json_t *g, bool shared)
{
        json_t *out = json_object();
        for (const PcSchemaNode *m = n->members; m->key; m++) {
                if (m->flags & (PC_SF_UNIMPLEMENTED | PC_SF_IGNORED | PC_SF_DEPRECATED))
                        continue;
                json_t *v = merge_node(m, json_object_get(a, m->key), json_object_get(g, m->key),
                                       shared);
                if (v)
                        json_object_set_new(out, m->key, v);
        }
        return out;
}

static json_t *merge_node(const PcSchemaNode *n, const json_t *a, const json_t *g, bool shared)
{
        if ((n->flags & PC_SF_SHARED_IGNORES) && shared)
                a = NULL;

        if ((n->types & PC_ST_OBJECT) && n->members && (!a || json_is_object(a)) &&
            (!g || json_is_object(g))) {
                json_t *out = merge_object(n, a, g, shared);
                if (!a && !g && json_object_size(out) == 0) {
                        /* Nothing set and no defaults inside: leave it out, like a scalar. */
                        json_decref(out);
                        return NULL;
                }
                return out;
        }

        if ((n->flags & PC_SF_MERGE_CONCAT) && (json_is_array(a) || json_is_array(g))) {
                json_t *out = json_array();
                if (json_is_array(g))
                        json_array_extend(out, (json_t *) g);
                if (json_is_array(a))
                        json_array_extend(out, (json_t *) a);
                return out;
        }
        if ((n->flags & PC_SF_MERGE_SHALLOW) && json_is_object(a)) {
                json_t *out = json_is_object(g) ? json_copy((json_t *) g) : schema_default(n);
                if (!json_is_object(out)) {
                        json_decref(out);
                        out = json_object();
                }
                json_object_update(out, (json_t *) a);
                return out;
        }
        if (a)
                return json_deep_copy(a);
        if (g)
                return json_deep_copy(g);
        return schema_default(n);
}

static const char *trimmed_nonempty(const json_t *v, char *buf, size_t size)
{
        const char *s = json_string_value(v);
        if (!s)
                return NULL;
        while (*s == ' ' || *s == '\t')
                s++;
        size_t len = strlen(s);
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        if (len == 0 || len >= size)
                return NULL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        return buf;
}

static const char *effective_scope(const json_t *a, const json_t *g)
{
        const char *s = json_string_value(json_object_get(a, "scope"));
        if (!s)
                s = json_string_value(json_object_get(g, "scope"));
        if (s)
                return s;
        const json_t *legacy = json_object_get(a, "perSession");
        if (!json_is_boolean(legacy))
                legacy = json_object_get(g, "perSession");
        if (json_is_boolean(legacy))
                return json_is_true(legacy) ? "session" : "shared";
        return "agent";
}

static json_t *effective_sandbox(const PcConfig *cfg, const json_t *a, const json_t *g)
{
        const char *scope = effective_scope(a, g);
        bool shared = streq(scope, "shared");
        const PcSchemaNode holder = {.types = PC_ST_OBJECT, .members = pc_schema_sandbox};
        json_t *out = merge_object(&holder, a, g, shared);

        json_object_set_new(out, "scope", json_string(scope));

        char buf[128];
        const char *backend = trimmed_nonempty(json_object_get(a, "backend"), buf, sizeof(buf));
        if (!backend)
                backend = trimmed_nonempty(json_object_get(g, "backend"), buf, sizeof(buf));
        if (backend)
                json_object_set_new(out, "backend", json_string(backend));

        const char *root = json_string_value(json_object_get(out, "workspaceRoot"));
        _cleanup_free_ char *resolved =
                root ? pc__expand_home(cfg, root) : xasprintf("%s/sandboxes", cfg->state_dir);
        json_object_set_new(out, "workspaceRoot", json_string(resolved));
        return out;
}

/* One sandbox tool list, picked independently: the agent's if it is an array, else the
 * global one, else the default (spec 3.7). */
static void pick_list(json_t *out, const char *name, const json_t *agent_tools,
                      const json_t *global_tools, const char *agent_source,
                      const char *const *defaults)
{
        const json_t *av = json_object_get(
                json_object_get(json_object_get(agent_tools, "sandbox"), "tools"), name);
        const json_t *gv = json_object_get(
                json_object_get(json_object_get(global_tools, "sandbox"), "tools"), name);
        json_t *entry = json_object();
        if (json_is_array(av)) {
                json_object_set_new(entry, "value", json_deep_copy(av));
                json_object_set_new(entry, "source",
                                    json_sprintf("%s.tools.sandbox.tools.%s", agent_source, name));
        } else if (json_is_array(gv)) {
                json_object_set_new(entry, "value", json_deep_copy(gv));
                json_object_set_new(entry, "source", json_sprintf("tools.sandbox.tools.%s", name));
        } else {
                json_t *list = json_array();
                for (const char *const *d = defaults; d && *d; d++)
                        json_array_append_new(list, json_string(*d));
                json_object_set_new(entry, "value", list);
                json_object_set_new(entry, "source", json_string("default"));
        }
        json_object_set_new(out, name, entry);
}

static json_t *policy_layer(const json_t *tools, const char *source)
{
        json_t *layer = json_object();
        json_object_set_new(layer, "source", json_string(source));
        static const char *const keys[] = {"allow", "alsoAllow", "deny", "byProvider"};
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const json_t *v = json_object_get(tools, keys[i]);
                if (v)
                        json_object_set_new(layer, keys[i], json_deep_copy(v));
        }
        return layer;
}

static json_t *effective_tools(const PcAgent *agent, const json_t *global_tools)
{
        const json_t *at = json_object_get(agent->entry, "tools");
        json_t *out = json_object();

        const json_t *profile = json_object_get(at, "profile");
        _cleanup_free_ char *profile_src = xasprintf("%s.tools.profile", agent->source);
        const char *src = profile_src;
        if (!profile) {
                profile = json_object_get(global_tools, "profile");
                src = "tools.profile";
        }
        if (profile) {
                json_object_set_new(out, "profile", json_deep_copy(profile));
                json_object_set_new(out, "profileSource", json_string(src));
        } else {
                json_object_set_new(out, "profile", json_string("full"));
                json_object_set_new(out, "profileSource", json_string("default"));
        }

        json_t *layers = json_array();
        if (global_tools)
                json_array_append_new(layers, policy_layer(global_tools, "tools"));
        if (at) {
                _cleanup_free_ char *s = xasprintf("%s.tools", agent->source);
                json_array_append_new(layers, policy_layer(at, s));
        }
        json_object_set_new(out, "layers", layers);

        json_t *sandbox_tools = json_object();
        pick_list(sandbox_tools, "allow", at, global_tools, agent->source,
                  pc_default_sandbox_tool_allow);
        pick_list(sandbox_tools, "alsoAllow", at, global_tools, agent->source, NULL);
        pick_list(sandbox_tools, "deny", at, global_tools, agent->source,
                  pc_default_sandbox_tool_deny);
        json_object_set_new(out, "sandboxTools", sandbox_tools);

        /* Elevated (host) exec is off unless the config turns it on (Pincer differs here:
         * OpenClaw defaults it to on). A global false always wins. */
        const json_t *ge = json_object_get(json_object_get(global_tools, "elevated"), "enabled");
        const json_t *ae = json_object_get(json_object_get(at, "elevated"), "enabled");
        bool enabled = json_is_false(ge) ? false : ae ? json_is_true(ae) : json_is_true(ge);
        json_t *elevated = json_object();
        json_object_set_new(elevated, "enabled", json_boolean(enabled));
        const json_t *gaf = json_object_get(json_object_get(global_tools, "elevated"), "allowFrom");
        const json_t *aaf = json_object_get(json_object_get(at, "elevated"), "allowFrom");
        json_object_set_new(elevated, "allowFrom",
                            json_pack("{s:O?,s:O?}", "global", gaf, "agent", aaf));
        json_object_set_new(out, "elevated", elevated);

        static const char *const merged[] = {"exec", "fs"};
        for (size_t i = 0; i < ELEMENTSOF(merged); i++) {
                const PcSchemaNode *n =
                        pc_schema_lookup(merged[i][0] == 'e' ? "tools.exec" : "tools.fs");
                if (!n)
                        continue;
                json_t *v = merge_node(n, json_object_get(at, merged[i]),
                                       json_object_get(global_tools, merged[i]), false);
                if (v)
                        json_object_set_new(out, merged[i], v);
        }
        return out;
}

static json_t *compute(const PcConfig *c, const PcAgent *agent, bool redact)
{
        const json_t *root = c->root;
        const json_t *defaults = json_object_get(json_object_get(root, "agents"), "defaults");
        const json_t *session = json_object_get(root, "session");
        const char *session_scope = json_string_value(json_object_get(session, "scope"));

        json_t *out = json_object();
        json_object_set_new(out, "id", json_string(agent->id));
        json_object_set_new(out, "source",
                            json_string(*agent->source ? agent->source : "(implicit)"));
        json_object_set_new(out, "default", json_boolean(agent->is_default));
        json_object_set_new(out, "workspace", json_string(agent->workspace));
        json_object_set_new(out, "agentDir", json_string(agent->agent_dir));
        if (session_scope && streq(session_scope, "global"))
                json_object_set_new(out, "mainSessionKey", json_string("global"));
        else
                json_object_set_new(out, "mainSessionKey",
                                    json_sprintf("agent:%s:main", agent->id));

        /* Everything else an entry and agents.defaults share: agent ?? defaults ?? default. */
        const PcSchemaNode *dnode = pc_schema_lookup("agents.defaults");
        static const char *const handled[] = {"id",      "default", "workspace", "agentDir",
                                              "sandbox", "tools",   NULL};
        for (const PcSchemaNode *m = pc_schema_agent_entry; m->key; m++) {
                bool skip = false;
                for (const char *const *h = handled; *h; h++)
                        skip = skip || streq(*h, m->key);
                if (skip || (m->flags & (PC_SF_UNIMPLEMENTED | PC_SF_IGNORED)))
                        continue;
                const PcSchemaNode *dm = pc_schema_member(dnode, m->key);
                json_t *v = merge_node(dm && !(dm->flags & PC_SF_UNIMPLEMENTED) ? dm : m,
                                       json_object_get(agent->entry, m->key),
                                       dm ? json_object_get(defaults, m->key) : NULL, false);
                if (v)
                        json_object_set_new(out, m->key, v);
        }

        json_object_set_new(out, "sandbox",
                            effective_sandbox(c, json_object_get(agent->entry, "sandbox"),
                                              json_object_get(defaults, "sandbox")));
        json_object_set_new(out, "tools", effective_tools(agent, json_object_get(root, "tools")));

        if (redact)
                pc_redact_json(out);
        return out;
}

/* One lock for every snapshot's cache: it is held only to fill a slot once per agent and
 * snapshot, or to take a reference (jansson's refcounts are atomic). */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

json_t *pc_config_agent_effective(const PcConfig *c, const PcAgent *agent, bool redact)
{
        /* The view is a pure function of the (immutable) snapshot and is asked for several
         * times per tool call (policy, session, sandbox spec, the tool): computed once. */
        if (redact || agent < c->agents || agent >= c->agents + c->n_agents)
                return compute(c, agent, redact);
        size_t i = (size_t) (agent - c->agents);
        PcConfig *m = (PcConfig *) c; /* the cache is not part of the value */
        pthread_mutex_lock(&cache_lock);
        if (!m->effective)
                m->effective = xcalloc(m->n_agents, sizeof(json_t *));
        if (!m->effective[i])
                m->effective[i] = compute(c, agent, false);
        json_t *out = json_incref(m->effective[i]);
        pthread_mutex_unlock(&cache_lock);
        return out;
}
