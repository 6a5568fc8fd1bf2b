/* SPDX-License-Identifier: MIT */
/*
 * Session keys and the "is this session sandboxed" decision (spec 1.3, 5.3).
 *
 * TEMPORARY: the sandbox manager (src/sandbox) will own the sandboxed decision; it lives here
 * only so that `pincer tools list` can evaluate a session before that exists.
 */
#include <ctype.h>
#include <strings.h>

#include "base/alloc.h"
#include "policy-internal.h"

static char *trimmed(const char *s)
{
        while (*s && isspace((unsigned char) *s))
                s++;
        size_t len = strlen(s);
        while (len && isspace((unsigned char) s[len - 1]))
                len--;
        return xstrndup(s, len);
}

static bool session_scope_global(const PcConfig *cfg)
{
        const char *scope =
                json_string_value(pc__policy_json_at(pc_config_root(cfg), "session.scope"));
        return scope && streq(scope, "global");
}

char *pc_policy_session_agent_id(const char *key)
{
        _cleanup_free_ char *k = trimmed(key ? key : "");
        if (strncasecmp(k, "agent:", 6) != 0)
                return NULL;
        const char *id = k + 6;
        size_t len = strcspn(id, ":");
        if (len == 0)
                return NULL;
        _cleanup_free_ char *raw = xstrndup(id, len);
        return pc_agent_id_normalize(raw);
}

char *pc_policy_session_main_key(const PcConfig *cfg, const PcAgent *agent)
{
        if (session_scope_global(cfg))
                return xstrdup("global");
        return xasprintf("agent:%s:main", agent->id);
}

char *pc_policy_session_key_resolve(const PcConfig *cfg, const PcAgent *agent, const char *raw)
{
        _cleanup_free_ char *k = trimmed(raw ? raw : "");
        if (!*k)
                return pc_policy_session_main_key(cfg, agent);
        if (strchr(k, ':') || streq(k, "global"))
                return TAKE_PTR(k);
        return xasprintf("agent:%s:%s", agent->id, k);
}

bool pc_policy_session_is_main(const PcConfig *cfg, const PcAgent *agent, const char *key)
{
        _cleanup_free_ char *k = trimmed(key ? key : "");
        for (char *p = k; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        _cleanup_free_ char *main_key = pc_policy_session_main_key(cfg, agent);
        _cleanup_free_ char *agent_main = xasprintf("agent:%s:main", agent->id);
        return streq(k, main_key) || streq(k, "main") || streq(k, agent_main) ||
               streq(k, "agent:main:main");
}

bool pc_policy_session_sandboxed(const PcConfig *cfg, const PcAgent *agent, const char *key)
{
        json_t *eff = pc_config_agent_effective(cfg, agent, false);
        const char *m = json_string_value(pc__policy_json_at(eff, "sandbox.mode"));
        _cleanup_free_ char *mode = xstrdup(m ? m : "off");
        json_decref(eff);

        if (key) {
                _cleanup_free_ char *k = trimmed(key);
                if (!*k)
                        return false; /* an empty key is never sandboxed */
        }
        if (streq(mode, "all"))
                return true;
        if (streq(mode, "non-main"))
                return key && !pc_policy_session_is_main(cfg, agent, key);
        return false;
}

unsigned pc_policy_session_subagent_depth(const char *key)
{
        unsigned depth = 0;
        if (!key)
                return 0;
        for (const char *p = key; (p = strcasestr(p, ":subagent:")); p += strlen(":subagent"))
                depth++;
        return depth;
}
