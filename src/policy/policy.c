/* SPDX-License-Identifier: MIT */
/* The pipeline: evaluating every tool through the steps, verdicts, checks and the sandbox
 * "blocked" message (spec 3.6, 3.11). The steps themselves are built in steps.c. */
#include "base/alloc.h"
#include "base/log.h"
#include "catalog.h"
#include "policy-internal.h"

static const char *const step_names[_PC_POLICY_STEP_MAX] = {
        [PC_POLICY_STEP_OWNER] = "owner",
        [PC_POLICY_STEP_PROFILE] = "profile",
        [PC_POLICY_STEP_PROVIDER_PROFILE] = "provider-profile",
        [PC_POLICY_STEP_GLOBAL] = "tools",
        [PC_POLICY_STEP_GLOBAL_PROVIDER] = "tools.byProvider",
        [PC_POLICY_STEP_AGENT] = "agent",
        [PC_POLICY_STEP_AGENT_PROVIDER] = "agent.byProvider",
        [PC_POLICY_STEP_GROUP] = "group",
        [PC_POLICY_STEP_SANDBOX] = "sandbox",
        [PC_POLICY_STEP_SUBAGENT] = "subagent",
};

const char *pc_policy_step_to_string(PcPolicyStepKind k)
{
        return k >= 0 && k < _PC_POLICY_STEP_MAX ? step_names[k] : NULL;
}

static const char *const elevated_names[_PC_ELEVATED_MAX] = {
        [PC_ELEVATED_UNSET] = "unset", [PC_ELEVATED_OFF] = "off",   [PC_ELEVATED_ON] = "on",
        [PC_ELEVATED_ASK] = "ask",     [PC_ELEVATED_FULL] = "full",
};

const char *pc_elevated_level_to_string(PcElevatedLevel l)
{
        return l >= 0 && l < _PC_ELEVATED_MAX ? elevated_names[l] : NULL;
}

PcElevatedLevel pc_elevated_level_from_string(const char *s)
{
        for (int l = PC_ELEVATED_OFF; s && l < _PC_ELEVATED_MAX; l++)
                if (streq(elevated_names[l], s))
                        return (PcElevatedLevel) l;
        return _PC_ELEVATED_INVALID;
}

const PcPattern *pc__policy_match_tool(const PcPatternList *l, const char *name,
                                       bool *ret_via_write)
{
        const PcPattern *p = pc_pattern_list_match(l, name);
        if (ret_via_write)
                *ret_via_write = false;
        /* apply_patch follows write: denied where write is denied, allowed where write is
         * allowed (baseline, spec 3.4). */
        if (!p && streq(name, "apply_patch")) {
                p = pc_pattern_list_match(l, "write");
                if (p && ret_via_write)
                        *ret_via_write = true;
        }
        return p;
}

static void render_match(PcBuf *b, const char *verb, const PcPattern *p, bool via_write)
{
        if (p->flags & PC_PATTERN_IMPLICIT) {
                if (*p->key)
                        pc_buf_addf(b, "%s by %s (%s)", verb, p->key, p->note);
                else
                        pc_buf_addf(b, "%s: %s", verb, p->note);
        } else {
                pc_buf_addf(b, "%s by %s%s \"%s\"", verb, p->key,
                            p->flags & PC_PATTERN_DEFAULT ? " (default)" : "", p->entry);
                if (p->note)
                        pc_buf_addf(b, " (%s)", p->note);
        }
        if (via_write)
                pc_buf_addstr(b, " (apply_patch follows write)");
}

static void verdict_from(PcToolVerdict *v, bool allowed, PcPolicyStepKind step, const char *key,
                         const char *entry, char *rule)
{
        v->allowed = allowed;
        v->step = step;
        v->key = key && *key ? xstrdup(key) : NULL;
        v->entry = entry ? xstrdup(entry) : NULL;
        v->rule = rule;
}

/* Runs one normalised name through the steps. */
static void evaluate(const PcPolicyResult *r, const char *name, PcToolVerdict *v)
{
        _cleanup_buf_ PcBuf allowed_by = PC_BUF_INIT;
        const PcPattern *last = NULL;
        PcPolicyStepKind last_step = _PC_POLICY_STEP_INVALID;

        for (int k = 0; k < _PC_POLICY_STEP_MAX; k++) {
                const PcPolicyStep *s = &r->steps[k];
                if (!s->applies)
                        continue;
                bool via_write;
                const PcPattern *d = pc__policy_match_tool(&s->deny, name, &via_write);
                if (d) {
                        PcBuf b = PC_BUF_INIT;
                        render_match(&b, "denied", d, via_write);
                        verdict_from(v, false, (PcPolicyStepKind) k, d->key, d->entry,
                                     pc_buf_detach(&b));
                        return;
                }
                if (!s->has_allow)
                        continue;
                const PcPattern *a = pc__policy_match_tool(&s->allow, name, &via_write);
                if (!a) {
                        verdict_from(v, false, (PcPolicyStepKind) k, s->allow_key, NULL,
                                     xasprintf("not in %s", s->allow_desc));
                        return;
                }
                if (allowed_by.len)
                        pc_buf_addstr(&allowed_by, "; ");
                render_match(&allowed_by, last ? "also" : "allowed", a, via_write);
                last = a;
                last_step = (PcPolicyStepKind) k;
        }
        if (!last) {
                verdict_from(v, true, _PC_POLICY_STEP_INVALID, NULL, NULL,
                             xstrdup("allowed: no step restricts it"));
                return;
        }
        verdict_from(v, true, last_step, last->key, last->entry, pc_buf_detach(&allowed_by));
}

void pc_tool_verdict_release(PcToolVerdict *v)
{
        free(v->key);
        free(v->entry);
        free(v->rule);
        free(v->owned_name);
        *v = (PcToolVerdict){0};
}

static bool agent_in_config(const PcConfig *cfg, const PcAgent *agent)
{
        for (size_t i = 0; i < pc_config_n_agents(cfg); i++)
                if (pc_config_agent(cfg, i) == agent)
                        return true;
        return agent == pc_config_default_agent(cfg);
}

int pc_policy_evaluate(const PcConfig *cfg, const PcPolicyContext *ctx, PcPolicyResult **ret,
                       PcError *reterr)
{
        const PcAgent *agent = ctx->agent ? ctx->agent : pc_config_default_agent(cfg);
        if (!agent || !agent_in_config(cfg, agent))
                return pc_error_set(reterr, -EINVAL, "the agent is not part of this configuration");

        json_t *eff = pc_config_agent_effective(cfg, agent, false);
        _cleanup_(pc_policy_result_freep) PcPolicyResult *r = xcalloc(1, sizeof(*r));
        r->agent_id = xstrdup(agent->id);
        r->agent_source = xstrdup(agent->source);
        r->main_session_key = xstrdup(json_string_value(json_object_get(eff, "mainSessionKey")));
        r->session_key =
                ctx->session_key ? xstrdup(ctx->session_key) : xstrdup(r->main_session_key);
        const char *mode = json_string_value(pc__policy_json_at(eff, "sandbox.mode"));
        r->sandbox_mode = xstrdup(mode ? mode : "off");
        r->sandboxed = ctx->sandboxed;
        r->owner = ctx->owner;
        r->subagent_depth = ctx->subagent_depth ? ctx->subagent_depth
                                                : pc_policy_session_subagent_depth(r->session_key);

        pc__policy_steps_build(cfg, agent, eff, ctx, r);

        size_t n;
        const PcTool *cat = pc_tool_catalog(&n);
        r->tools = xcalloc(ctx->only_tool ? 1 : n, sizeof(PcToolVerdict));
        for (size_t i = 0; i < n; i++) {
                if (ctx->only_tool && !streq(cat[i].name, ctx->only_tool))
                        continue;
                PcToolVerdict *v = &r->tools[r->n_tools++];
                v->name = cat[i].name;
                evaluate(r, cat[i].name, v);
                r->n_allowed += v->allowed;
        }

        pc__policy_elevated(cfg, agent, eff, ctx, r);
        json_decref(eff);

        pc_log_full(PC_LOG_DEBUG, 0, "policy: agent '%s' session '%s': %zu of %zu tools allowed",
                    r->agent_id, r->session_key, r->n_allowed, r->n_tools);
        *ret = TAKE_PTR(r);
        return 0;
}

PcPolicyResult *pc_policy_result_free(PcPolicyResult *r)
{
        if (!r)
                return NULL;
        free(r->agent_id);
        free(r->agent_source);
        free(r->session_key);
        free(r->main_session_key);
        free(r->sandbox_mode);
        for (int k = 0; k < _PC_POLICY_STEP_MAX; k++)
                pc__policy_step_release(&r->steps[k]);
        for (size_t i = 0; i < r->n_tools; i++)
                pc_tool_verdict_release(&r->tools[i]);
        free(r->tools);
        pc__policy_elevated_release(&r->elevated);
        pc_diags_clear(&r->warnings);
        free(r);
        return NULL;
}

const PcToolVerdict *pc_policy_verdict(const PcPolicyResult *r, const char *name)
{
        _cleanup_free_ char *norm = pc_tool_name_normalize(name);
        for (size_t i = 0; i < r->n_tools; i++)
                if (streq(r->tools[i].name, norm))
                        return &r->tools[i];
        return NULL;
}

void pc_policy_explain(const PcPolicyResult *r, const char *name, PcToolVerdict *ret)
{
        *ret = (PcToolVerdict){0};
        ret->owned_name = pc_tool_name_normalize(name);
        ret->name = ret->owned_name;
        evaluate(r, ret->owned_name, ret);
}

bool pc_policy_check(const PcPolicyResult *r, const char *name)
{
        const PcToolVerdict *v = pc_policy_verdict(r, name);
        if (v)
                return v->allowed;
        PcToolVerdict tmp;
        pc_policy_explain(r, name, &tmp);
        bool allowed = tmp.allowed;
        pc_tool_verdict_release(&tmp);
        return allowed;
}

/* ---- spec 3.11 --------------------------------------------------------------------------- */

static void add_visible(PcBuf *b, const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c == 0x7f)
                        pc_buf_addf(b, "\\x%02x", c);
                else
                        pc_buf_addch(b, (char) c);
        }
}

static bool has_control_chars(const char *s)
{
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* first 6…last 6 characters; short keys are not shown at all. */
static void add_redacted_session(PcBuf *b, const char *key)
{
        while (*key == ' ' || *key == '\t')
                key++;
        size_t len = strlen(key);
        while (len && (key[len - 1] == ' ' || key[len - 1] == '\t'))
                len--;
        if (len == 0) {
                pc_buf_addstr(b, "(unknown)");
                return;
        }
        size_t head = 0, tail = len, chars = 0;
        while (head < len && chars < 6) { /* count UTF-8 characters, not bytes */
                head++;
                while (head < len && ((unsigned char) key[head] & 0xc0) == 0x80)
                        head++;
                chars++;
        }
        size_t total = chars;
        for (size_t i = head; i < len; i++)
                total += ((unsigned char) key[i] & 0xc0) != 0x80;
        if (total <= 12) {
                pc_buf_addstr(b, "(redacted)");
                return;
        }
        for (chars = 0; tail > head && chars < 6; chars++) {
                tail--;
                while (tail > head && ((unsigned char) key[tail] & 0xc0) == 0x80)
                        tail--;
        }
        add_visible(b, key, head);
        pc_buf_addstr(b, "\xe2\x80\xa6"); /* … */
        add_visible(b, key + tail, len - tail);
}

static void add_shell_quoted(PcBuf *b, const char *s)
{
        pc_buf_addch(b, '\'');
        for (; *s; s++)
                if (*s == '\'')
                        pc_buf_addstr(b, "'\\''");
                else
                        pc_buf_addch(b, *s);
        pc_buf_addch(b, '\'');
}

bool pc_policy_format_blocked(const PcPolicyResult *r, const char *tool, PcBuf *out)
{
        _cleanup_free_ char *name = pc_tool_name_normalize(tool);
        if (!*name || !r->sandboxed)
                return false;
        const PcPolicyStep *s = &r->steps[PC_POLICY_STEP_SANDBOX];
        bool by_deny = pc__policy_match_tool(&s->deny, name, NULL) != NULL;
        bool by_allow = s->has_allow && !pc__policy_match_tool(&s->allow, name, NULL);
        if (!by_deny && !by_allow)
                return false;

        pc_buf_addf(out, "Tool \"%s\" blocked by sandbox tool policy (mode=%s).\n", name,
                    r->sandbox_mode);
        pc_buf_addstr(out, "Session: ");
        add_redacted_session(out, r->session_key);
        pc_buf_addf(out, "\nReason: %s%s%s\n", by_deny ? "deny list" : "",
                    by_deny && by_allow ? " + " : "", by_allow ? "allow list" : "");
        pc_buf_addstr(out, "Fix:\n- agents.defaults.sandbox.mode=off (disable sandbox)\n");
        if (by_deny)
                pc_buf_addf(out, "- Remove \"%s\" from %s.\n", name, s->deny_key);
        if (by_allow)
                pc_buf_addf(out, "- Add \"%s\" to %s (or set it to [] to allow all).\n", name,
                            s->allow_key);
        if (streq(r->sandbox_mode, "non-main"))
                pc_buf_addstr(out, "- Use the agent main session instead of a non-main session.\n");
        pc_buf_addf(out, "- See: pincer tools list --agent %s", r->agent_id);
        if (*r->session_key && !has_control_chars(r->session_key)) {
                pc_buf_addstr(out, " --session ");
                add_shell_quoted(out, r->session_key);
        }
        pc_buf_addch(out, '\n');
        return true;
}
