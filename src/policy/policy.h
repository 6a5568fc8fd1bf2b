/* SPDX-License-Identifier: MIT */
/*
 * The tool policy engine: which tools an agent may use in one session, and why.
 *
 * pc_policy_evaluate() builds OpenClaw's ordered list of policy steps for an agent and a
 * session context (spec 3.6, steps 4-13) and runs every catalog tool (catalog.h) through
 * them. Each step can only remove tools:
 *
 *    4 owner      owner-only tools (cron, gateway, nodes, whatsapp_login) unless the caller
 *                 is an owner
 *    5 profile    agents.list[].tools.profile ?? tools.profile, plus alsoAllow (the agent's
 *                 list, else the global one) and the implicit additions of tools.exec
 *                 (exec, process) and tools.fs (read, write, edit); full = no restriction
 *    6 provider-profile   byProvider["provider/model" | "provider"].profile (agent over
 *                 global) plus that byProvider alsoAllow
 *    7 tools      tools.allow / tools.deny
 *    8 tools.byProvider   tools.byProvider[...].allow / deny
 *    9 agent      agents.list[].tools.allow / deny
 *   10 agent.byProvider   agents.list[].tools.byProvider[...].allow / deny
 *   11 group      channel group policy: never applies, channels.* is not implemented
 *   12 sandbox    the resolved sandbox tool policy (spec 3.7), only when ctx->sandboxed
 *   13 subagent   the sub-agent policy (spec 3.8), only for sub-agent sessions
 *
 * A step with an allowlist removes every tool that matches none of its entries; a deny entry
 * removes a tool whatever the allowlist says (deny wins). So allowlists of different steps
 * intersect, and a removal is final. In allow/deny lists (steps 7-10): allow [] or no allow is
 * no restriction; alsoAllow without allow is no restriction either (its entries extend the
 * profile at step 5/6 instead). apply_patch follows write: it is removed where write is
 * denied and allowed where write is allowed (baseline semantics, spec 3.4).
 *
 * The result holds one verdict per catalog tool with the rule that decided it: the step, the
 * config key path ("agents.list[1].tools.deny") and the matching entry as written, or "not
 * in allowlist of <key>". Unknown entries of the allowlists of steps 5-11 are reported as
 * deduplicated warnings (spec 3.9). Elevated exec is evaluated per spec 3.10, with Pincer's
 * default: off unless tools.elevated.enabled is set (design item 8).
 *
 * Pure: reads the config snapshot, never logs (except debug), no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/error.h"
#include "config/config.h"
#include "pattern.h"

typedef enum PcPolicyStepKind {
        PC_POLICY_STEP_OWNER,
        PC_POLICY_STEP_PROFILE,
        PC_POLICY_STEP_PROVIDER_PROFILE,
        PC_POLICY_STEP_GLOBAL,
        PC_POLICY_STEP_GLOBAL_PROVIDER,
        PC_POLICY_STEP_AGENT,
        PC_POLICY_STEP_AGENT_PROVIDER,
        PC_POLICY_STEP_GROUP,
        PC_POLICY_STEP_SANDBOX,
        PC_POLICY_STEP_SUBAGENT,
        _PC_POLICY_STEP_MAX,
        _PC_POLICY_STEP_INVALID = -22, /* -EINVAL; also "no step decided" in a verdict */
} PcPolicyStepKind;

/* The short name of a step ("owner", "profile", ..., "subagent"), as listed above. */
const char *pc_policy_step_to_string(PcPolicyStepKind k);

typedef enum PcElevatedLevel {
        PC_ELEVATED_UNSET, /* no /elevated directive in the session */
        PC_ELEVATED_OFF,
        PC_ELEVATED_ON,
        PC_ELEVATED_ASK,
        PC_ELEVATED_FULL,
        _PC_ELEVATED_MAX,
        _PC_ELEVATED_INVALID = -22,
} PcElevatedLevel;

const char *pc_elevated_level_to_string(PcElevatedLevel l);
PcElevatedLevel pc_elevated_level_from_string(const char *s);

/* Who asks, where. Start from PC_POLICY_CONTEXT_INIT: owner defaults to true (the CLI and
 * HTTP shared-secret callers are owners). Every pointer is borrowed for the call only. */
typedef struct PcPolicyContext {
        const PcAgent *agent;    /* NULL: the config's default agent */
        const char *session_key; /* NULL: the agent's main session key */
        bool sandboxed;          /* decided by the caller (pc_policy_session_sandboxed()) */
        const char *provider;    /* model provider for byProvider lookups; NULL: none */
        const char *model;       /* model id; NULL: look up by provider only */
        bool owner;
        unsigned subagent_depth; /* 0: taken from the session key (":subagent:" segments) */
        const char *channel;     /* elevated: the message channel ("whatsapp"); NULL: unknown */
        const char *sender;      /* elevated: the sender ("+15551234567", "id:42"); NULL */
        PcElevatedLevel elevated_level; /* elevated: the session's /elevated directive */
        /* Non-NULL: the verdict of this catalog tool only (a normalised name; the result
         * holds no verdict when it is not in the catalog). The choke point asks for one tool
         * per call; the other verdicts are only work. */
        const char *only_tool;
} PcPolicyContext;

#define PC_POLICY_CONTEXT_INIT                                                                     \
        {                                                                                          \
                .owner = true                                                                      \
        }

/* One step as built for the context. The patterns keep their config keys. */
typedef struct PcPolicyStep {
        PcPolicyStepKind kind;
        char *label;    /* OpenClaw's label, used in warnings: "tools.profile (coding)",
                         * "agents.family.tools.allow", "sandbox", ... */
        bool applies;   /* false: skipped for this context; note says why */
        char *note;     /* NULL or one line: why skipped, or what it resolved to */
        bool has_allow; /* an allowlist restricts: a tool must match it */
        PcPatternList allow;
        PcPatternList deny;
        char *allow_desc; /* "allowlist of <key>" or "profile "coding" (<key>)" */
        char *allow_key;  /* the key a user edits to allow more */
        char *deny_key;   /* the key a user edits to deny less */
} PcPolicyStep;

/* Why one tool is allowed or denied. */
typedef struct PcToolVerdict {
        const char *name; /* the catalog id (static), or the normalised name asked for */
        bool allowed;
        PcPolicyStepKind step; /* denied: the step that removed it; allowed: the last step
                                * whose allowlist matched it; _PC_POLICY_STEP_INVALID when no
                                * step restricted it */
        char *key;             /* config key of the deciding rule; NULL when there is none
                                * (owner-only, or nothing restricted the tool) */
        char *entry;           /* the matching entry as written; NULL for "not in allowlist" */
        char *rule;            /* one line: "denied by agents.list[1].tools.deny "exec"", "not
                                * in allowlist of tools.allow", "allowed by ...; ..." */
        char *owned_name;      /* internal */
} PcToolVerdict;

void pc_tool_verdict_release(PcToolVerdict *v);

typedef struct PcElevatedGate {
        char *gate; /* "enabled", "channel", "allowFrom", "agentAllowFrom", "exec" */
        char *key;  /* the config key that fixes it, or NULL */
        char *message;
} PcElevatedGate;

typedef struct PcElevated {
        bool enabled;          /* tools.elevated.enabled, both levels (Pincer: default false) */
        bool allowed;          /* every gate passed */
        PcElevatedLevel level; /* what exec runs at: OFF unless allowed */
        PcElevatedGate *failures;
        size_t n_failures;
} PcElevated;

typedef struct PcPolicyResult {
        char *agent_id;
        char *agent_source; /* "agents.list[1]", or "" for the implicit agent */
        char *session_key;  /* as evaluated (the main key when the context had none) */
        char *main_session_key;
        char *sandbox_mode; /* effective sandbox.mode: off | non-main | all */
        bool sandboxed;
        bool owner;
        unsigned subagent_depth;
        PcPolicyStep steps[_PC_POLICY_STEP_MAX];
        PcToolVerdict *tools; /* one per catalog tool, in catalog order */
        size_t n_tools;
        size_t n_allowed;
        PcElevated elevated;
        PcDiags warnings; /* unknown allowlist entries (spec 3.9), deduplicated */
} PcPolicyResult;

/*
 * Evaluates the policy of ctx->agent (or the default agent) in one session. Returns 0 with
 * *ret set (free with pc_policy_result_free()), or -EINVAL when the agent is not one of
 * cfg's (reterr says so).
 */
int pc_policy_evaluate(const PcConfig *cfg, const PcPolicyContext *ctx, PcPolicyResult **ret,
                       PcError *reterr);

PcPolicyResult *pc_policy_result_free(PcPolicyResult *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcPolicyResult *, pc_policy_result_free);

/* The verdict of a catalog tool (name is normalised first: "Bash" finds exec), or NULL. */
const PcToolVerdict *pc_policy_verdict(const PcPolicyResult *r, const char *name);

/* Whether a tool may be used. Any name works: a name outside the catalog (a plugin or
 * channel tool) is run through the same steps. */
bool pc_policy_check(const PcPolicyResult *r, const char *name);

/* The full verdict for any name, like pc_policy_check(); release *ret with
 * pc_tool_verdict_release(). */
void pc_policy_explain(const PcPolicyResult *r, const char *name, PcToolVerdict *ret);

/*
 * Appends spec 3.11's message for a tool the sandbox step blocks:
 *   Tool "<tool>" blocked by sandbox tool policy (mode=<mode>).
 *   Session: <first 6>…<last 6> | (redacted) | (unknown)
 *   Reason: deny list | allow list | deny list + allow list
 *   Fix:
 *   - agents.defaults.sandbox.mode=off (disable sandbox)
 *   - Remove "<tool>" from <deny key>.
 *   - Add "<tool>" to <allow key> (or set it to [] to allow all).
 *   - Use the agent main session instead of a non-main session.     (mode non-main only)
 *   - See: pincer tools list --agent <id> --session '<key>'
 * Returns false (and appends nothing) when the session is not sandboxed or the sandbox step
 * lets the tool through.
 */
bool pc_policy_format_blocked(const PcPolicyResult *r, const char *tool, PcBuf *out);

/*
 * Session helpers (session.c). Temporary home: the sandbox manager (src/sandbox) will own the
 * "is this session sandboxed" decision; until then the CLI uses these.
 */

/* The agent id of "agent:<id>:...", normalised, or NULL. */
char *pc_policy_session_agent_id(const char *key);

/* A session key as `pincer tools list --session` takes it (spec 5.3): NULL or "" → the
 * agent's main key; a key containing ':' → itself (trimmed); "global" → "global"; another
 * bare name x → "agent:<agent>:x". Returns a new string. */
char *pc_policy_session_key_resolve(const PcConfig *cfg, const PcAgent *agent, const char *raw);

/* The agent's main session key: "agent:<id>:main", or "global" when session.scope is
 * global. Returns a new string. */
char *pc_policy_session_main_key(const PcConfig *cfg, const PcAgent *agent);

/* Whether key is the agent's main session after alias canonicalisation (spec 1.3): "main",
 * "agent:<id>:main", the legacy "agent:main:main", and "global" under session.scope global. */
bool pc_policy_session_is_main(const PcConfig *cfg, const PcAgent *agent, const char *key);

/* Spec 1.3: sandbox.mode off → no; all → yes; non-main → key is not the main session. An
 * empty key is never sandboxed; NULL means the main session. */
bool pc_policy_session_sandboxed(const PcConfig *cfg, const PcAgent *agent, const char *key);

/* The number of ":subagent:" segments of a key (0: not a sub-agent session). */
unsigned pc_policy_session_subagent_depth(const char *key);
