/* SPDX-License-Identifier: MIT */
/*
 * The `session` object (session keys, resets, store) and `bindings` (routing of inbound
 * messages to agents), spec §4.3-4.4 and gateway spec §2.
 */
#include "schema-checks.h"
#include "schema-tables.h"

static const char *const session_scopes[] = {"per-sender", "global", NULL};
static const char *const dm_scopes[] = {"main", "per-peer", "per-channel-peer",
                                        "per-account-channel-peer", NULL};
static const char *const group_scopes[] = {"per-group", "main", NULL};
static const char *const reset_modes[] = {"none", "daily", "idle", NULL};
static const char *const maintenance_modes[] = {"enforce", "warn", NULL};
static const char *const binding_types[] = {"route", "acp", NULL};
static const char *const peer_kinds[] = {"direct", "group", "channel", "dm", NULL};

/* ---- session ------------------------------------------------------------------------------ */

static const PcSchemaNode reset_members[] = {
        {.key = "mode",
         .types = PC_ST_STRING,
         .enum_values = reset_modes,
         .default_json = "\"daily\"",
         .doc = "When a session starts over with a new transcript: never, daily at atHour, or "
                "after idleMinutes without messages. OpenClaw 2026.7+ defaults to none."},
        {.key = "atHour",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 0,
         .has_max = true,
         .max = 23,
         .default_json = "4",
         .doc = "Hour (gateway local time) of the daily reset."},
        {.key = "idleMinutes",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .doc = "Idle time after which the next message starts a new session (mode idle, or "
                "together with daily: whichever comes first)."},
        {0},
};

/* The same keys in resetByType and resetByChannel, where an unset key falls back to
 * session.reset rather than to the built-in default. */
static const PcSchemaNode reset_override_members[] = {
        {.key = "mode",
         .types = PC_ST_STRING,
         .enum_values = reset_modes,
         .default_doc = "session.reset.mode",
         .doc = "Reset mode for these sessions."},
        {.key = "atHour",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 0,
         .has_max = true,
         .max = 23,
         .default_doc = "session.reset.atHour",
         .doc = "Hour of the daily reset for these sessions."},
        {.key = "idleMinutes",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .default_doc = "session.reset.idleMinutes",
         .doc = "Idle reset for these sessions."},
        {0},
};

static const PcSchemaNode reset_object = {.types = PC_ST_OBJECT, .members = reset_override_members};

static const PcSchemaNode reset_by_type_members[] = {
        {.key = "direct",
         .types = PC_ST_OBJECT,
         .members = reset_override_members,
         .doc = "Reset policy of direct-message sessions."},
        {.key = "dm",
         .types = PC_ST_OBJECT,
         .members = reset_override_members,
         .flags = PC_SF_DEPRECATED,
         .doc = "use direct instead."},
        {.key = "group",
         .types = PC_ST_OBJECT,
         .members = reset_override_members,
         .doc = "Reset policy of group and channel sessions."},
        {.key = "thread",
         .types = PC_ST_OBJECT,
         .members = reset_override_members,
         .doc = "Reset policy of thread sessions."},
        {0},
};

static const PcSchemaNode identity_links = {.types = PC_ST_ARRAY, .items = &pc_schema_string_item};

static const PcSchemaNode maintenance_members[] = {
        {.key = "mode",
         .types = PC_ST_STRING,
         .enum_values = maintenance_modes,
         .default_json = "\"warn\"",
         .doc = "enforce prunes old sessions; warn only reports what would be pruned."},
        {.key = "pruneAfter",
         .types = PC_ST_STRING | PC_ST_INT,
         .has_min = true,
         .min = 1,
         .default_json = "\"30d\"",
         .check = pc_check_duration,
         .doc = "Age after which an unused session is pruned: \"30d\", \"12h\", or a number of "
                "days."},
        {.key = "maxEntries",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .default_json = "500",
         .doc = "Most sessions kept per agent; the oldest go first."},
        {.key = "pruneDays",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .flags = PC_SF_DEPRECATED,
         .doc = "use pruneAfter instead (a number of days still works there)."},
        PC_UNIMPL("rotateBytes", "Size at which the session index is rotated."),
        PC_UNIMPL("resetArchiveRetention", "How long reset transcripts are kept."),
        PC_UNIMPL("maxDiskBytes", "Disk budget of the session store."),
        PC_UNIMPL("highWaterBytes", "Cleanup target below maxDiskBytes."),
        PC_UNIMPL("archiveDashboardAfter", "When sessions leave the dashboard."),
        PC_UNIMPL("preserveRecent", "Recent sessions never pruned."),
        PC_UNIMPL("coldStorage", "Moving old sessions to cold storage."),
        {0},
};

const PcSchemaNode pc_schema_session_members[] = {
        {.key = "scope",
         .types = PC_ST_STRING,
         .enum_values = session_scopes,
         .default_json = "\"per-sender\"",
         .doc = "per-sender keeps a session per conversation; global makes the main session the "
                "single key \"global\"."},
        {.key = "dmScope",
         .types = PC_ST_STRING,
         .enum_values = dm_scopes,
         .default_json = "\"main\"",
         .doc = "How direct messages map to sessions: all into the agent's main session, or one "
                "per peer, per channel and peer, or per account, channel and peer. With main, DMs "
                "run in the main session, which sandbox mode non-main does not sandbox."},
        {.key = "groupScope",
         .types = PC_ST_STRING,
         .enum_values = group_scopes,
         .default_json = "\"per-group\"",
         .doc = "One session per group or channel, or all of them in the main session."},
        {.key = "mainKey",
         .types = PC_ST_STRING,
         .flags = PC_SF_IGNORED,
         .doc = "the main session is always \"main\"."},
        {.key = "identityLinks",
         .types = PC_ST_MAP,
         .items = &identity_links,
         .doc = "Canonical peer ids mapped to \"<channel>:<peer>\" ids, so one person's DMs on "
                "several channels share a session (not with dmScope main)."},
        {.key = "reset",
         .types = PC_ST_OBJECT,
         .members = reset_members,
         .doc = "When sessions start over."},
        {.key = "resetByType",
         .types = PC_ST_OBJECT,
         .members = reset_by_type_members,
         .doc = "Reset policy by kind of conversation, over reset."},
        {.key = "resetByChannel",
         .types = PC_ST_MAP,
         .items = &reset_object,
         .doc = "Reset policy by channel id; wins over resetByType."},
        {.key = "resetTriggers",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .default_json = "[\"/new\",\"/reset\"]",
         .doc = "Messages that start a new session."},
        {.key = "store",
         .types = PC_ST_STRING,
         .default_doc = "<stateDir>/agents/{agentId}/sessions",
         .doc = "Where sessions are stored; {agentId} is replaced by the agent id."},
        {.key = "maintenance",
         .types = PC_ST_OBJECT,
         .members = maintenance_members,
         .doc = "Pruning of old sessions."},
        PC_UNIMPL("sendPolicy", "Rules that stop replies by channel, chat type or key."),
        PC_UNIMPL("idleMinutes", "Legacy idle reset; use reset.idleMinutes."),
        PC_UNIMPL("typingIntervalSeconds", "Typing indicator interval."),
        PC_UNIMPL("typingMode", "When typing indicators are shown."),
        PC_UNIMPL("writeLock", "Session store lock timeout."),
        PC_UNIMPL("agentToAgent", "Ping-pong turns between agents."),
        PC_UNIMPL("threadBindings", "Sessions bound to chat threads."),
        PC_UNIMPL("sharing", "Session sharing (OpenClaw 2026.7+)."),
        {0},
};

/* ---- bindings ----------------------------------------------------------------------------- */

static const PcSchemaNode peer_members[] = {
        {.key = "kind",
         .types = PC_ST_STRING,
         .enum_values = peer_kinds,
         .flags = PC_SF_REQUIRED,
         .doc = "direct, group or channel (group and channel match each other); dm is the old "
                "name of direct."},
        {.key = "id",
         .types = PC_ST_STRING,
         .flags = PC_SF_REQUIRED,
         .doc = "Peer id as the channel reports it, or \"*\" for any peer of that kind."},
        {0},
};

static const PcSchemaNode match_members[] = {
        {.key = "channel",
         .types = PC_ST_STRING,
         .flags = PC_SF_REQUIRED,
         .doc = "Channel id, e.g. \"whatsapp\" (compared lower-case)."},
        {.key = "accountId",
         .types = PC_ST_STRING,
         .default_doc = "the default account",
         .doc = "Channel account, or \"*\" for any."},
        {.key = "peer", .types = PC_ST_OBJECT, .members = peer_members, .doc = "The conversation."},
        {.key = "guildId", .types = PC_ST_STRING, .doc = "Discord guild."},
        {.key = "teamId", .types = PC_ST_STRING, .doc = "Slack or Teams team."},
        {.key = "roles",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Member roles, any of which matches (with guildId)."},
        {0},
};

static const PcSchemaNode binding_session_members[] = {
        {.key = "dmScope",
         .types = PC_ST_STRING,
         .enum_values = dm_scopes,
         .default_doc = "session.dmScope",
         .doc = "session.dmScope for messages routed by this binding."},
        {.key = "groupScope",
         .types = PC_ST_STRING,
         .enum_values = group_scopes,
         .default_doc = "session.groupScope",
         .doc = "session.groupScope for messages routed by this binding."},
        {0},
};

static const PcSchemaNode binding_members[] = {
        {.key = "type",
         .types = PC_ST_STRING,
         .enum_values = binding_types,
         .default_json = "\"route\"",
         .doc = "route sends matching messages to the agent; acp binds a conversation to an "
                "ACP harness session."},
        {.key = "agentId",
         .types = PC_ST_STRING,
         .flags = PC_SF_REQUIRED,
         .doc = "Target agent; an id naming no agent routes to the default agent."},
        {.key = "comment", .types = PC_ST_STRING, .doc = "Free text for humans."},
        {.key = "match",
         .types = PC_ST_OBJECT,
         .members = match_members,
         .flags = PC_SF_REQUIRED,
         .doc = "Which inbound messages this binding takes; the most specific match wins "
                "(peer, guild and roles, guild, team, account, channel)."},
        {.key = "session",
         .types = PC_ST_OBJECT,
         .members = binding_session_members,
         .doc = "Session key shape for the matched messages (route bindings)."},
        PC_UNIMPL("acp", "ACP session options (type acp)."),
        {0},
};

const PcSchemaNode pc_schema_binding_item = {
        .types = PC_ST_OBJECT,
        .members = binding_members,
        .check = pc_check_binding,
};
