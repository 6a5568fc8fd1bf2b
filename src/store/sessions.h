/* SPDX-License-Identifier: MIT */
/*
 * Sessions and their transcripts, in the state database (store.h; schema version 2).
 *
 * A session row is keyed by its session key (spec 2.1: agent:<id>:main, agent:<id>:direct:<peer>,
 * agent:<id>:<channel>:group:<id>, agent:<id>:subagent:<uuid>, ...) and carries a sessionId
 * (a UUID), the owning agent, the kind of key, who spawned it, a label, times and counts.
 *
 * A transcript is the session's entries in OpenClaw's JSONL shape (spec 2.2, pi SessionManager
 * version 3): {"type":"message","id":"<8 hex>","parentId":<previous id or null>,
 * "timestamp":"<ISO>","message":<AgentMessage>}. Entries are appended in one transaction per
 * call, durable before the append returns (the WAL is synced after the commit, as
 * synchronous=FULL does, by a group commit shared with concurrent appends), so a crash loses
 * at most the calls in flight, never half of one.
 *
 * Limits: an entry is at most PC_TRANSCRIPT_MAX_ENTRY_BYTES once serialised (a bigger message
 * is stored with its content replaced by a note saying how big it was); a page of entries or
 * sessions holds at most PC_TRANSCRIPT_PAGE_MAX / PC_SESSIONS_PAGE_MAX rows; a key is at most
 * PC_SESSION_KEY_MAX bytes (chat.send's limit).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define PC_TRANSCRIPT_MAX_ENTRY_BYTES (1024u * 1024u)
#define PC_TRANSCRIPT_PAGE_MAX        1000u
#define PC_SESSIONS_PAGE_MAX          1000u
#define PC_SESSION_KEY_MAX            512u
/* sessions_history (spec 3.6): at most this much text in one answer, and per text block. */
#define PC_HISTORY_MAX_BYTES       (80u * 1024u)
#define PC_HISTORY_MAX_BLOCK_CHARS 4000u

typedef struct PcSessionRecord {
        char *key;
        char *session_id; /* UUID, made when the row is created */
        char *agent_id;
        char *kind;       /* pc_session_kind_from_key() */
        char *channel;    /* "" when the key names none */
        char *spawned_by; /* the requester's session key, or NULL */
        char *label;      /* or NULL */
        int64_t created_at_ms;
        int64_t updated_at_ms;
        int64_t message_count;   /* transcript entries of type "message" */
        int64_t tool_call_count; /* toolCall blocks recorded */
} PcSessionRecord;

void pc_session_record_clear(PcSessionRecord *r);
void pc_session_records_free(PcSessionRecord *r, size_t n);

/* The kind of a session key: "main" (agent:<id>:main, or global), "direct" (a DM peer),
 * "group", "channel" (also room), "subagent", "cron", "hook", "other". Static string. */
const char *pc_session_kind_from_key(const char *key, const char *main_key);
/* The channel a key names ("telegram" in agent:x:telegram:group:1), or "" (static when ""). */
char *pc_session_channel_from_key(const char *key);
/* sessions_list's coarser kinds (spec 3.5): main, group, cron, hook, node, other. */
const char *pc_session_list_kind(const char *kind);

/* What a transcript append needs to create the session row on first use. */
typedef struct PcSessionInit {
        const char *key;
        const char *agent_id;
        const char *main_key;   /* the agent's main key, for the kind */
        const char *spawned_by; /* NULL unless a spawn creates it */
        const char *label;      /* NULL */
} PcSessionInit;

/* -ENOENT when there is no such session. */
int pc_store_session_get(PcStore *s, const char *key, PcSessionRecord *ret, PcError *reterr);

/* Every session (of agent_id, when not NULL), most recently updated first. */
int pc_store_session_list(PcStore *s, const char *agent_id, PcSessionRecord **ret, size_t *ret_n,
                          PcError *reterr);

/*
 * Appends messages (AgentMessage objects, spec 2.2; borrowed) to the transcript of
 * session->key, creating the row first when needed, in one IMMEDIATE transaction that is on
 * disk when this returns (the WAL synced after the commit, outside the store's lock and shared
 * with concurrent appends). Each becomes a "message" entry whose parentId is the previous
 * entry.
 */
int pc_store_transcript_append(PcStore *s, const PcSessionInit *session, json_t *const *messages,
                               size_t n, int64_t now_ms, PcError *reterr);

/*
 * Entries (whole entry objects, oldest first) with sequence number > after_seq, at most limit
 * (≤ PC_TRANSCRIPT_PAGE_MAX). *ret_last_seq is the last one returned (after_seq when none);
 * page on until the array is empty. A session without entries gives an empty array.
 */
int pc_store_transcript_page(PcStore *s, const char *key, int64_t after_seq, size_t limit,
                             json_t **ret, int64_t *ret_last_seq, PcError *reterr);

/*
 * The newest messages, skipping `offset` from the newest end: at most limit
 * (≤ PC_TRANSCRIPT_PAGE_MAX) AgentMessage objects, oldest first. Without include_tools,
 * toolResult messages and assistant messages made only of tool calls are left out (the
 * offset counts only what is kept). *ret_more tells whether older ones remain.
 */
int pc_store_transcript_messages(PcStore *s, const char *key, bool include_tools, size_t offset,
                                 size_t limit, json_t **ret, bool *ret_more, PcError *reterr);

/* ---- Payloads for the gateway (WebSocket sessions.list / sessions.history) and the tools ---- */

/* Which sessions a caller may see; NULL everywhere means all (an operator). */
typedef struct PcSessionFilter {
        bool (*visible)(const PcSessionRecord *r, void *userdata);
        void *userdata;
} PcSessionFilter;

/*
 * sessions.list / sessions_list. params (borrowed, may be NULL) takes the spec's fields:
 *   limit (1..PC_SESSIONS_PAGE_MAX, default 50), offset (default 0), agentId, kinds[]
 *   (main|group|cron|hook|node|other), activeMinutes, label, spawnedBy, search (substring of
 *   key, label or displayName), messageLimit (0..20: the last N messages, tools left out).
 * A malformed field is -EINVAL with a message naming it. *ret (new reference) is
 *   {"count":N,"sessions":[{key, agentId, kind, channel, sessionId, updatedAt, createdAt,
 *    displayName, label?, spawnedBy?, parentSessionKey?, messageCount, toolCallCount,
 *    messages?}], "path":"<state.db>"}
 * where count is the number of rows returned. filter may be NULL (see PcSessionFilter).
 */
int pc_sessions_list_json(PcStore *store, const json_t *params, const PcSessionFilter *filter,
                          json_t **ret, PcError *reterr);

/*
 * sessions.history / sessions_history. params: sessionKey (required, the exact stored key),
 * limit (1..PC_TRANSCRIPT_PAGE_MAX, default 200), offset (messages skipped from the newest end,
 * default 0), includeTools (default false). The caller checks visibility first.
 * *ret (new reference) is the spec's
 *   {sessionKey, sessionId, messages:[AgentMessage...], truncated, droppedMessages,
 *    contentTruncated, contentRedacted, bytes, nextOffset?}
 * Text blocks are cut at PC_HISTORY_MAX_BLOCK_CHARS, values under secret-looking keys are
 * redacted, and the oldest messages of the page are dropped to stay under
 * PC_HISTORY_MAX_BYTES (droppedMessages counts them). nextOffset is there when older messages
 * remain. -ENOENT for a session that does not exist.
 */
int pc_sessions_history_json(PcStore *store, const json_t *params, json_t **ret, PcError *reterr);

/* A session row as the payloads above show it (new reference). */
json_t *pc_session_record_json(const PcSessionRecord *r);
