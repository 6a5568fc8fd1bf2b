/* SPDX-License-Identifier: MIT */
/*
 * Is a session sandboxed? (spec 1.3)
 *
 *   agent      "agent:<id>:<rest>" names the agent; any other key belongs to the default agent
 *   main key   "agent:<id>:main", or "global" when session.scope is "global" (session.mainKey
 *              is ignored: always "main")
 *   aliases    "main", "agent:<id>:main" and the legacy "agent:main:main" all mean the main
 *              session (OpenClaw's canonicalizeMainSessionAlias)
 *   decision   off → no; all → yes; non-main → canonical key != main key; empty key → never
 */
#include <strings.h>

#include "base/alloc.h"
#include "base/log.h"
#include "sandbox-internal.h"

char *pc_session_key_agent_id(const char *session_key)
{
        _cleanup_free_ char *k = pc__trim(session_key);
        /* OpenClaw lower-cases the key and splits it on ':' dropping empty parts; it needs
         * "agent", an id and at least one more part. */
        char *parts[3] = {NULL, NULL, NULL};
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(k, ":", &save); t && n < 3; t = strtok_r(NULL, ":", &save))
                parts[n++] = t;
        if (n < 3 || strcasecmp(parts[0], "agent") != 0)
                return NULL;
        return pc_agent_id_normalize(parts[1]);
}

char *pc_sandbox_main_session_key(const char *agent_id, bool global_scope)
{
        if (global_scope)
                return xstrdup("global");
        return xasprintf("agent:%s:main", agent_id);
}

char *pc_sandbox_canonical_session_key(const char *session_key, const char *agent_id,
                                       bool global_scope)
{
        _cleanup_free_ char *raw = pc__trim(session_key);
        if (!*raw)
                return TAKE_PTR(raw);
        _cleanup_free_ char *id = pc_agent_id_normalize(agent_id ? agent_id : "");
        _cleanup_free_ char *agent_main = pc_sandbox_main_session_key(id, false);
        bool alias = streq(raw, "main") || streq(raw, agent_main) || streq(raw, "agent:main:main");
        if (!alias)
                return TAKE_PTR(raw);
        return pc_sandbox_main_session_key(id, global_scope);
}

bool pc_sandbox_mode_sandboxes(PcSandboxMode mode, const char *canonical_key, const char *main_key)
{
        if (!canonical_key || !*canonical_key)
                return false;
        switch (mode) {
        case PC_SANDBOX_MODE_ALL:
                return true;
        case PC_SANDBOX_MODE_NON_MAIN:
                return !streq_ptr(canonical_key, main_key);
        default:
                return false;
        }
}

int pc_sandbox_session_from_effective(const json_t *effective, const char *session_key,
                                      PcSandboxSession *ret, PcError *reterr)
{
        const char *id = json_string_value(json_object_get(effective, "id"));
        const char *main_key = json_string_value(json_object_get(effective, "mainSessionKey"));
        const char *mode_s = json_string_value(pc__json_at(effective, "sandbox.mode"));
        if (!id || !main_key || !mode_s)
                return pc_error_set(reterr, -EINVAL,
                                    "the effective agent configuration lacks id, "
                                    "mainSessionKey or sandbox.mode");
        PcSandboxMode mode = pc_sandbox_mode_from_string(mode_s);
        if (mode < 0)
                return pc_error_set(reterr, -EINVAL, "agent '%s': unknown sandbox mode '%s'", id,
                                    mode_s);

        bool global = streq(main_key, "global");
        PcSandboxSession s = {
                .session_key = pc__trim(session_key),
                .agent_id = xstrdup(id),
                .main_key = xstrdup(main_key),
                .mode = mode,
        };
        s.canonical_key = pc_sandbox_canonical_session_key(s.session_key, id, global);
        s.sandboxed = pc_sandbox_mode_sandboxes(mode, s.canonical_key, s.main_key);
        log_debug("sandbox: session '%s' of agent '%s' (mode %s, main '%s'): %s", s.session_key, id,
                  mode_s, main_key, s.sandboxed ? "sandboxed" : "not sandboxed");
        *ret = s;
        return 0;
}

/* The agent owning a session key: the one it names, else the default agent. */
static int session_agent(const PcConfig *cfg, const char *session_key, const PcAgent **ret,
                         PcError *reterr)
{
        _cleanup_free_ char *id = pc_session_key_agent_id(session_key);
        const PcAgent *a = id ? pc_config_find_agent(cfg, id) : pc_config_default_agent(cfg);
        if (!a)
                return pc_error_set(reterr, -ENOENT,
                                    "session key names agent '%s', which is not configured",
                                    id ? id : "(default)");
        *ret = a;
        return 0;
}

int pc_sandbox_session_resolve(const PcConfig *cfg, const char *session_key, PcSandboxSession *ret,
                               PcError *reterr)
{
        const PcAgent *a = NULL;
        int r = session_agent(cfg, session_key, &a, reterr);
        if (r < 0)
                return r;
        json_t *eff = pc_config_agent_effective(cfg, a, false);
        r = pc_sandbox_session_from_effective(eff, session_key, ret, reterr);
        json_decref(eff);
        return r;
}

int pc__sandbox_effective(const PcConfig *cfg, const char *session_key, json_t **ret,
                          PcError *reterr)
{
        const PcAgent *a = NULL;
        int r = session_agent(cfg, session_key, &a, reterr);
        if (r < 0)
                return r;
        *ret = pc_config_agent_effective(cfg, a, false);
        return 0;
}

int pc_sandbox_resolve(const PcConfig *cfg, const char *session_key,
                       const PcSandboxSpecOptions *opts, PcSandboxSession *ret_session,
                       PcSandboxSpec **ret_spec, PcError *reterr)
{
        json_t *eff = NULL;
        int r = pc__sandbox_effective(cfg, session_key, &eff, reterr);
        if (r < 0)
                return r;
        PcSandboxSession s = {0};
        r = pc_sandbox_session_from_effective(eff, session_key, &s, reterr);
        PcSandboxSpec *spec = NULL;
        /* The canonical key, so that the aliases of one session ("main", "agent:x:main") get
         * one session-scope sandbox (OpenClaw slugs the raw key). */
        if (r >= 0 && s.sandboxed)
                r = pc_sandbox_spec_build(eff, s.canonical_key, opts, &spec, reterr);
        json_decref(eff);
        if (r < 0) {
                pc_sandbox_session_release(&s);
                return r;
        }
        *ret_session = s;
        *ret_spec = spec;
        return 0;
}
