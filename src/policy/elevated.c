/* SPDX-License-Identifier: MIT */
/*
 * Elevated exec (spec 3.10): whether exec may leave the sandbox for the gateway host, and at
 * which level. Pincer differs from OpenClaw in one default: tools.elevated.enabled is false
 * unless the config sets it (design item 8; computed by config/effective.c).
 *
 * Gates, all of which must pass: enabled at both levels; a known channel; the sender in the
 * global tools.elevated.allowFrom.<channel> (absent or empty: nobody); the sender also in the
 * agent's allowFrom.<channel> when the agent has one; and exec itself not denied by the tool
 * policy (elevated never overrides it). The level is then the session's /elevated directive,
 * else agents.defaults.elevatedDefault (schema default "on"); without permission it is off.
 */
#include <ctype.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/jsonpath.h"
#include "policy-internal.h"

static void fail(PcElevated *e, const char *gate, const char *key, const char *fmt, ...)
        _printf_(4, 5);
static void fail(PcElevated *e, const char *gate, const char *key, const char *fmt, ...)
{
        size_t alloc = e->n_failures;
        e->failures = xgrow(e->failures, &alloc, e->n_failures + 1, sizeof(PcElevatedGate));
        va_list ap;
        va_start(ap, fmt);
        e->failures[e->n_failures++] = (PcElevatedGate){
                .gate = xstrdup(gate),
                .key = key ? xstrdup(key) : NULL,
                .message = xvasprintf(fmt, ap),
        };
        va_end(ap);
}

void pc__policy_elevated_release(PcElevated *e)
{
        for (size_t i = 0; i < e->n_failures; i++) {
                free(e->failures[i].gate);
                free(e->failures[i].key);
                free(e->failures[i].message);
        }
        free(e->failures);
        *e = (PcElevated){0};
}

/* A sender token without its kind prefix ("e164:+1555" → "+1555"). */
static const char *strip_prefix(const char *s)
{
        static const char *const prefixes[] = {
                "id:", "from:", "e164:", "name:", "username:", "tag:"};
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (strncasecmp(s, prefixes[i], strlen(prefixes[i])) == 0)
                        return s + strlen(prefixes[i]);
        return s;
}

static bool sender_matches(const json_t *list, const char *sender)
{
        size_t i;
        const json_t *v;
        json_array_foreach (list, i, v) {
                char num[64];
                const char *token = json_string_value(v);
                if (!token && json_is_number(v)) {
                        if (json_is_integer(v))
                                snprintf(num, sizeof(num), "%lld",
                                         (long long) json_integer_value(v));
                        else
                                snprintf(num, sizeof(num), "%.17g", json_real_value(v));
                        token = num;
                }
                if (!token)
                        continue;
                while (isspace((unsigned char) *token))
                        token++;
                if (streq(token, "*"))
                        return true;
                if (sender && strcasecmp(strip_prefix(token), strip_prefix(sender)) == 0)
                        return true;
        }
        return false;
}

static char *allow_from_key(const char *prefix, const char *channel)
{
        PcBuf b = PC_BUF_INIT;
        pc_buf_addf(&b, "%s.elevated.allowFrom", prefix);
        pc_jsonpath_add_key(&b, channel);
        return pc_buf_detach(&b);
}

void pc__policy_elevated(const PcConfig *cfg, const PcAgent *agent, const json_t *eff,
                         const PcPolicyContext *ctx, PcPolicyResult *r)
{
        PcElevated *e = &r->elevated;
        const json_t *el = pc__policy_json_at(eff, "tools.elevated");
        e->enabled = json_is_true(json_object_get(el, "enabled"));
        _cleanup_free_ char *agent_prefix =
                *agent->source ? xasprintf("%s.tools", agent->source) : NULL;

        if (!e->enabled) {
                const json_t *ae = pc__policy_json_at(agent->entry, "tools.elevated.enabled");
                const json_t *ge =
                        pc__policy_json_at(pc_config_root(cfg), "tools.elevated.enabled");
                if (json_is_false(ae) && !json_is_false(ge) && agent_prefix) {
                        _cleanup_free_ char *k = xasprintf("%s.elevated.enabled", agent_prefix);
                        fail(e, "enabled", k, "turned off for this agent by %s", k);
                } else if (json_is_false(ge))
                        fail(e, "enabled", "tools.elevated.enabled",
                             "turned off by tools.elevated.enabled");
                else
                        fail(e, "enabled", "tools.elevated.enabled",
                             "off by default in Pincer: set tools.elevated.enabled to true");
        }

        _cleanup_free_ char *channel = ctx->channel ? pc__policy_lower_trim(ctx->channel) : NULL;
        if (!channel || !*channel)
                fail(e, "channel", NULL, "the message channel is unknown");
        else {
                const json_t *glist =
                        json_object_get(pc__policy_json_at(el, "allowFrom.global"), channel);
                const json_t *alist =
                        json_object_get(pc__policy_json_at(el, "allowFrom.agent"), channel);
                _cleanup_free_ char *gkey = allow_from_key("tools", channel);
                if (json_array_size(glist) == 0)
                        fail(e, "allowFrom", gkey, "%s lists no senders", gkey);
                else if (!sender_matches(glist, ctx->sender))
                        fail(e, "allowFrom", gkey, "the sender%s%s%s is not in %s",
                             ctx->sender ? " '" : "", ctx->sender ? ctx->sender : "",
                             ctx->sender ? "'" : "", gkey);
                if (json_is_array(alist) && agent_prefix && !sender_matches(alist, ctx->sender)) {
                        _cleanup_free_ char *akey = allow_from_key(agent_prefix, channel);
                        fail(e, "agentAllowFrom", akey, "the sender is not in %s", akey);
                }
        }

        const PcToolVerdict *exec = pc_policy_verdict(r, "exec");
        if (exec && !exec->allowed)
                fail(e, "exec", exec->key,
                     "exec is denied by the tool policy, and elevated never overrides it");

        e->allowed = e->n_failures == 0;
        if (!e->allowed) {
                e->level = PC_ELEVATED_OFF;
                return;
        }
        if (ctx->elevated_level > PC_ELEVATED_UNSET && ctx->elevated_level < _PC_ELEVATED_MAX) {
                e->level = ctx->elevated_level;
                return;
        }
        PcElevatedLevel def = pc_elevated_level_from_string(json_string_value(
                pc__policy_json_at(pc_config_root(cfg), "agents.defaults.elevatedDefault")));
        e->level = def > PC_ELEVATED_UNSET ? def : PC_ELEVATED_ON;
}
