/* SPDX-License-Identifier: MIT */
/*
 * Tool policy: the global `tools` object (OpenClaw's ToolsSchema) and the per-agent
 * agents.*.tools object (AgentToolsSchema), spec §3.5. Tool names are not validated here:
 * unknown names load and never match, as in OpenClaw (spec §3.9).
 */
#include "schema-checks.h"
#include "schema-tables.h"

static const char *const tool_profiles[] = {"minimal", "coding", "messaging", "full", NULL};
static const char *const exec_hosts[] = {"auto", "sandbox", "gateway", "node", NULL};
static const char *const exec_security[] = {"deny", "allowlist", "full", NULL};
static const char *const exec_ask[] = {"off", "on-miss", "always", NULL};
static const char *const session_visibility[] = {"self", "tree", "agent", "all", NULL};

/* ---- allow / alsoAllow / deny ------------------------------------------------------------ */

static const PcSchemaNode sandbox_policy_members[] = {
        {.key = "allow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .default_doc = "exec, process, read, write, edit, apply_patch, image, sessions_list, "
                        "sessions_history, sessions_send, sessions_spawn, sessions_yield, "
                        "subagents, session_status",
         .doc = "Tools a sandboxed session may use (names, group:<name>, globs); [] allows all. "
                "The agent's list replaces the global one."},
        {.key = "alsoAllow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Tools added to the allow list (the default one when allow is unset); also "
                "removes them from the default deny list."},
        {.key = "deny",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .default_doc = "browser, canvas, nodes, cron, gateway and the chat-channel tools, minus "
                        "anything listed in allow or alsoAllow",
         .doc = "Tools a sandboxed session may not use; deny wins over allow. A configured list "
                "(even []) replaces the default."},
        {0},
};

static const PcSchemaNode subagent_policy_members[] = {
        {.key = "allow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Tools given back to sub-agents from the ones they are denied by default."},
        {.key = "alsoAllow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Same as allow, for use with a profile."},
        {.key = "deny",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Tools sub-agents may not use, on top of the built-in sub-agent deny list."},
        {0},
};

static const PcSchemaNode provider_policy_members[] = {
        {.key = "profile",
         .types = PC_ST_STRING,
         .enum_values = tool_profiles,
         .doc = "Tool profile for this provider or model."},
        {.key = "allow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Allow list applied when this provider or model is in use."},
        {.key = "alsoAllow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Tools added to this provider's profile."},
        {.key = "deny",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Deny list applied when this provider or model is in use."},
        {0},
};

static const PcSchemaNode provider_policy = {
        .types = PC_ST_OBJECT,
        .members = provider_policy_members,
        .check = pc_check_provider_policy,
};

static const PcSchemaNode sandbox_tools_members[] = {
        {.key = "tools",
         .types = PC_ST_OBJECT,
         .members = sandbox_policy_members,
         .check = pc_check_tool_policy,
         .doc = "Tool policy applied only in sandboxed sessions, after every other policy step."},
        {0},
};

static const PcSchemaNode subagent_tools_members[] = {
        {.key = "tools",
         .types = PC_ST_OBJECT,
         .members = subagent_policy_members,
         .check = pc_check_tool_policy,
         .doc = "Tool policy applied to sub-agent sessions."},
        {0},
};

/* ---- elevated ---------------------------------------------------------------------------- */

static const PcSchemaNode sender_item = {.types = PC_ST_STRING | PC_ST_NUMBER};
static const PcSchemaNode sender_list = {.types = PC_ST_ARRAY, .items = &sender_item};

static const PcSchemaNode elevated_members[] = {
        {.key = "enabled",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Allow elevated exec (on the gateway host, outside the sandbox) for the senders in "
                "allowFrom. Pincer defaults to false; OpenClaw defaults to true."},
        {.key = "allowFrom",
         .types = PC_ST_MAP,
         .items = &sender_list,
         .doc = "Per channel, the senders who may use elevated exec (ids, \"e164:...\", "
                "\"username:...\", or \"*\"). A channel without a list allows nobody."},
        {0},
};

static const PcSchemaNode agent_elevated_members[] = {
        {.key = "enabled",
         .types = PC_ST_BOOL,
         .default_doc = "tools.elevated.enabled",
         .doc = "false turns elevated exec off for this agent; it cannot enable it when the "
                "global setting is off."},
        {.key = "allowFrom",
         .types = PC_ST_MAP,
         .items = &sender_list,
         .doc = "Per channel, senders of this agent who may use elevated exec; a sender must "
                "also be in the global list."},
        {0},
};

/* ---- exec -------------------------------------------------------------------------------- */

static const PcSchemaNode apply_patch_members[] = {
        {.key = "enabled",
         .types = PC_ST_BOOL,
         .doc = "Offer the apply_patch tool (to the models in allowModels, else to OpenAI-family "
                "models)."},
        {.key = "workspaceOnly",
         .types = PC_ST_BOOL,
         .default_json = "true",
         .doc = "Refuse patches that touch files outside the workspace."},
        {.key = "allowModels",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Models (\"provider/model\") that get apply_patch."},
        {0},
};

/* The members tools.exec and agents.*.tools.exec share; the agent form adds one key. A macro
 * because C cannot splice one initializer list into another. */
// clang-format off
#define EXEC_COMMON_MEMBERS                                                                        \
        {.key = "host",                                                                            \
         .types = PC_ST_STRING,                                                                    \
         .enum_values = exec_hosts,                                                                \
         .default_json = "\"auto\"",                                                               \
         .doc = "Where exec runs: auto (the sandbox when the session is sandboxed, else the "      \
                "gateway host), sandbox (fails when there is none), gateway, or node."},           \
        {.key = "security",                                                                        \
         .types = PC_ST_STRING,                                                                    \
         .enum_values = exec_security,                                                             \
         .doc = "Host exec policy: deny everything, allow only allowlisted commands, or allow "    \
                "all."},                                                                           \
        {.key = "ask",                                                                             \
         .types = PC_ST_STRING,                                                                    \
         .enum_values = exec_ask,                                                                  \
         .doc = "When host exec asks for approval: never, for commands not on the allowlist, "     \
                "or always."},                                                                     \
        {.key = "pathPrepend",                                                                     \
         .types = PC_ST_ARRAY,                                                                     \
         .items = &pc_schema_string_item,                                                          \
         .doc = "Directories put in front of PATH for exec."},                                     \
        {.key = "safeBins",                                                                        \
         .types = PC_ST_ARRAY,                                                                     \
         .items = &pc_schema_string_item,                                                          \
         .doc = "Binaries that run on the host without approval under the allowlist policy."},     \
        {.key = "timeoutSec",                                                                      \
         .types = PC_ST_INT,                                                                       \
         .has_min = true,                                                                          \
         .min = 1,                                                                                 \
         .default_json = "1800",                                                                   \
         .doc = "Default time limit of one exec call, in seconds."},                               \
        {.key = "timeoutSeconds",                                                                  \
         .types = PC_ST_INT,                                                                       \
         .has_min = true,                                                                          \
         .min = 1,                                                                                 \
         .default_doc = "timeoutSec",                                                              \
         .doc = "Newer OpenClaw name of timeoutSec; wins when both are set."},                     \
        {.key = "backgroundMs",                                                                    \
         .types = PC_ST_INT,                                                                       \
         .has_min = true,                                                                          \
         .min = 1,                                                                                 \
         .default_json = "10000",                                                                  \
         .doc = "After this long a running exec call moves to the background and returns a "       \
                "process session id."},                                                            \
        {.key = "cleanupMs",                                                                       \
         .types = PC_ST_INT,                                                                       \
         .has_min = true,                                                                          \
         .min = 1,                                                                                 \
         .default_json = "1800000",                                                                \
         .doc = "How long finished background processes stay visible to the process tool "         \
                "(clamped to 1 min - 3 h)."},                                                      \
        {.key = "applyPatch",                                                                      \
         .types = PC_ST_OBJECT,                                                                    \
         .members = apply_patch_members,                                                           \
         .doc = "The apply_patch tool."},                                                          \
        PC_UNIMPL("node", "Node host that runs exec when host is \"node\"."),                      \
        PC_UNIMPL("mode", "Combined security/ask preset (OpenClaw 2026.5+)."),                     \
        PC_UNIMPL("strictInlineEval", "Stricter approval of interpreter -e/-c snippets."),         \
        PC_UNIMPL("safeBinTrustedDirs", "Directories safe bins must resolve into."),               \
        PC_UNIMPL("safeBinProfiles", "Per safe bin argument rules."),                              \
        PC_UNIMPL("commandHighlighting", "Highlighting of commands in approval prompts."),         \
        PC_UNIMPL("reviewer", "Model that reviews commands before approval."),                     \
        PC_UNIMPL("notifyOnExit", "System event when a background exec exits."),                   \
        PC_UNIMPL("notifyOnExitEmptySuccess", "Also notify for silent successful exits.")
// clang-format on

static const PcSchemaNode exec_members[] = {
        EXEC_COMMON_MEMBERS,
        {0},
};

static const PcSchemaNode agent_exec_members[] = {
        EXEC_COMMON_MEMBERS,
        PC_UNIMPL("approvalRunningNoticeMs", "Notice while an approved command keeps running."),
        {0},
};

static const PcSchemaNode fs_members[] = {
        {.key = "workspaceOnly",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Confine read/write/edit outside a sandbox to the agent workspace."},
        {0},
};

/* ---- tools ------------------------------------------------------------------------------- */

static const PcSchemaNode sessions_members[] = {
        {.key = "visibility",
         .types = PC_ST_STRING,
         .enum_values = session_visibility,
         .default_json = "\"tree\"",
         .doc = "Which sessions the sessions tools see: the caller's own, those it spawned "
                "(tree), the agent's, or all."},
        {0},
};

static const PcSchemaNode agent_to_agent_members[] = {
        {.key = "enabled",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Let agents message other agents' sessions with the sessions tools."},
        {.key = "allow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Agent ids (or \"*\") that may be reached."},
        {0},
};

const PcSchemaNode pc_schema_tools_members[] = {
        {.key = "profile",
         .types = PC_ST_STRING,
         .enum_values = tool_profiles,
         .default_doc = "full (no restriction)",
         .doc = "Base tool set: minimal, coding, messaging or full. An agent's profile replaces "
                "this one."},
        {.key = "allow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Allow list (names, group:<name>, globs) intersected with the profile; empty or "
                "unset allows all."},
        {.key = "alsoAllow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Tools added to the profile (use instead of allow to extend a profile)."},
        {.key = "deny",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Tools no agent may use; deny wins."},
        {.key = "byProvider",
         .types = PC_ST_MAP,
         .items = &provider_policy,
         .doc = "Policy by \"provider\" or \"provider/model\" (the more specific key wins)."},
        {.key = "elevated",
         .types = PC_ST_OBJECT,
         .members = elevated_members,
         .doc = "Elevated exec: running exec on the gateway host from a sandboxed session."},
        {.key = "exec",
         .types = PC_ST_OBJECT,
         .members = exec_members,
         .doc = "The exec and process tools. Setting it adds exec and process to the profile."},
        {.key = "fs",
         .types = PC_ST_OBJECT,
         .members = fs_members,
         .doc = "The file tools. Setting it adds read, write and edit to the profile."},
        {.key = "sandbox",
         .types = PC_ST_OBJECT,
         .members = sandbox_tools_members,
         .doc = "Tool policy of sandboxed sessions."},
        {.key = "subagents",
         .types = PC_ST_OBJECT,
         .members = subagent_tools_members,
         .doc = "Tool policy of sub-agent sessions."},
        {.key = "sessions",
         .types = PC_ST_OBJECT,
         .members = sessions_members,
         .doc = "The sessions_* tools."},
        {.key = "agentToAgent",
         .types = PC_ST_OBJECT,
         .members = agent_to_agent_members,
         .doc = "Messages between agents."},
        PC_UNIMPL("toolsBySender", "Tool policy by message sender."),
        PC_UNIMPL("web", "web_search and web_fetch settings."),
        PC_UNIMPL("media", "Media understanding (image, audio, video) settings."),
        PC_UNIMPL("links", "Link understanding settings."),
        PC_UNIMPL("message", "The message tool (cross-context sends, broadcast)."),
        PC_UNIMPL("loopDetection", "Detection of repeated tool calls."),
        PC_UNIMPL("sessions_spawn", "Attachments of sessions_spawn."),
        PC_UNIMPL("experimental", "Experimental tools (plan tool)."),
        PC_UNIMPL("toolSearch", "Tool search (OpenClaw 2026.5+)."),
        PC_UNIMPL("codeMode", "Code mode (OpenClaw 2026.5+)."),
        PC_UNIMPL("swarm", "Swarm sub-agent groups (OpenClaw 2026.5+)."),
        {0},
};

const PcSchemaNode pc_schema_agent_tools[] = {
        {.key = "profile",
         .types = PC_ST_STRING,
         .enum_values = tool_profiles,
         .default_doc = "tools.profile",
         .doc = "Base tool set of this agent; replaces tools.profile."},
        {.key = "allow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "This agent's allow list, intersected with the global steps."},
        {.key = "alsoAllow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .default_doc = "tools.alsoAllow",
         .doc = "Tools added to this agent's profile; replaces tools.alsoAllow."},
        {.key = "deny",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Tools this agent may not use; deny wins."},
        {.key = "byProvider",
         .types = PC_ST_MAP,
         .items = &provider_policy,
         .doc = "This agent's policy by \"provider\" or \"provider/model\"."},
        {.key = "elevated",
         .types = PC_ST_OBJECT,
         .members = agent_elevated_members,
         .doc = "Restricts elevated exec for this agent."},
        {.key = "exec",
         .types = PC_ST_OBJECT,
         .members = agent_exec_members,
         .doc = "This agent's exec settings, over tools.exec."},
        {.key = "fs",
         .types = PC_ST_OBJECT,
         .members = fs_members,
         .doc = "This agent's file tool settings, over tools.fs."},
        {.key = "sandbox",
         .types = PC_ST_OBJECT,
         .members = sandbox_tools_members,
         .doc = "This agent's sandbox tool policy; each list replaces the global one."},
        PC_UNIMPL("loopDetection", "Detection of repeated tool calls."),
        PC_UNIMPL("toolsBySender", "Tool policy by message sender."),
        PC_UNIMPL("message", "The message tool."),
        PC_UNIMPL("codeMode", "Code mode (OpenClaw 2026.5+)."),
        PC_UNIMPL("swarm", "Swarm sub-agent groups (OpenClaw 2026.5+)."),
        {0},
};
