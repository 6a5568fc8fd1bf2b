/* SPDX-License-Identifier: MIT */
/* Transcripts: appending a call's messages in one durable transaction, and reading them back. */
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "base/alloc.h"
#include "base/time-util.h"
#include "sessions.h"
#include "store-internal.h"

static void random_hex(char *buf, size_t bytes)
{
        unsigned char raw[16];
        if (bytes > sizeof(raw))
                bytes = sizeof(raw);
        if (getrandom(raw, bytes, 0) != (ssize_t) bytes) {
                /* getrandom() on Linux ≥ 3.17 does not fail for ≤ 256 bytes once seeded; fall
                 * back to the clock so an id is still made. */
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                for (size_t i = 0; i < bytes; i++)
                        raw[i] = (unsigned char) ((uint64_t) ts.tv_nsec >> (i % 8 * 8));
        }
        for (size_t i = 0; i < bytes; i++)
                snprintf(buf + 2 * i, 3, "%02x", raw[i]);
}

/* A version 4 UUID. */
static char *new_uuid(void)
{
        char h[33];
        random_hex(h, 16);
        h[12] = '4';
        h[16] = "89ab"[h[16] % 4];
        return xasprintf("%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static size_t count_tool_calls(const json_t *msg, bool *only_tools)
{
        const char *role = json_string_value(json_object_get(msg, "role"));
        size_t n = 0, other = 0, i;
        json_t *b;
        json_array_foreach (json_object_get(msg, "content"), i, b) {
                const char *type = json_string_value(json_object_get(b, "type"));
                if (type && streq(type, "toolCall"))
                        n++;
                else
                        other++;
        }
        *only_tools = (role && streq(role, "toolResult")) || (n > 0 && other == 0);
        return n;
}

/* The message with its bulk replaced by a note, for an entry over the size limit. */
static json_t *shrunk_message(const json_t *msg, size_t size)
{
        json_t *m = json_deep_copy(msg);
        char note[160];
        snprintf(note, sizeof(note),
                 "[pincer: %zu bytes omitted from the transcript: over the %u-byte entry limit]",
                 size, PC_TRANSCRIPT_MAX_ENTRY_BYTES);
        json_object_del(m, "details");
        json_t *content = json_array();
        size_t i;
        json_t *b;
        json_array_foreach (json_object_get(msg, "content"), i, b) {
                const char *type = json_string_value(json_object_get(b, "type"));
                if (type && streq(type, "toolCall"))
                        json_array_append_new(content,
                                              json_pack("{s:s,s:O?,s:O?,s:{s:s}}", "type",
                                                        "toolCall", "id", json_object_get(b, "id"),
                                                        "name", json_object_get(b, "name"),
                                                        "arguments", "omitted", note));
        }
        json_array_append_new(content, json_pack("{s:s,s:s}", "type", "text", "text", note));
        json_object_set_new(m, "content", content);
        return m;
}

/* Binds ?1 to key and ?2, ?3, ... to nums[0], nums[1], ... */
static void bind_key_nums(sqlite3_stmt *st, const char *key, const int64_t *nums, size_t n)
{
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        for (size_t i = 0; i < n; i++)
                sqlite3_bind_int64(st, (int) i + 2, nums[i]);
}

/* Steps st to its end, handing each row to fn (when given). Returns 0, or fills reterr saying
 * what failed. */
static int step_all(PcStore *s, sqlite3_stmt *st, void (*fn)(sqlite3_stmt *row, void *userdata),
                    void *userdata, PcError *reterr, const char *what)
{
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                if (fn)
                        fn(st, userdata);
        return rc == SQLITE_DONE ? 0 : pc__store_fail(s, rc, reterr, what);
}

/* A transcript query: sql with ?1 the session key and ?2, ... nums, each row to fn. */
static int query_rows(PcStore *s, const char *sql, const char *key, const int64_t *nums, size_t n,
                      void (*fn)(sqlite3_stmt *row, void *userdata), void *userdata,
                      PcError *reterr)
{
        _cleanup_sqlstmt_ sqlite3_stmt *st = NULL;
        int r = pc__store_prepare(s, sql, &st, reterr);
        if (r < 0)
                return r;
        bind_key_nums(st, key, nums, n);
        return step_all(s, st, fn, userdata, reterr, "reading a transcript");
}

static int insert_entry(PcStore *s, sqlite3_stmt *ins, const char *key, int64_t seq,
                        const char *json, bool tool, PcError *reterr)
{
        sqlite3_reset(ins);
        bind_key_nums(ins, key, (const int64_t[]){seq, tool}, 2);
        sqlite3_bind_text(ins, 4, json, -1, SQLITE_STATIC);
        return step_all(s, ins, NULL, NULL, reterr, "appending to a transcript");
}

static int append_locked(PcStore *s, const PcSessionInit *in, json_t *const *messages, size_t n,
                         int64_t now_ms, PcError *reterr)
{
        _cleanup_free_ char *uuid = new_uuid();
        _cleanup_free_ char *channel = pc_session_channel_from_key(in->key);
        _cleanup_sqlreset_ sqlite3_stmt *create = NULL, *get = NULL, *ins = NULL, *upd = NULL;
        int r = pc__store_cached(
                s,
                "INSERT INTO sessions (key, session_id, agent_id, kind, channel, spawned_by, "
                "label, created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
                "ON CONFLICT(key) DO NOTHING",
                &create, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(create, 1, in->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(create, 2, uuid, -1, SQLITE_STATIC);
        sqlite3_bind_text(create, 3, in->agent_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(create, 4, pc_session_kind_from_key(in->key, in->main_key), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(create, 5, channel, -1, SQLITE_STATIC);
        if (in->spawned_by)
                sqlite3_bind_text(create, 6, in->spawned_by, -1, SQLITE_STATIC);
        if (in->label)
                sqlite3_bind_text(create, 7, in->label, -1, SQLITE_STATIC);
        sqlite3_bind_int64(create, 8, now_ms);
        if ((r = step_all(s, create, NULL, NULL, reterr, "creating a session")) < 0)
                return r;

        r = pc__store_cached(s, "SELECT last_seq, last_entry_id FROM sessions WHERE key = ?1", &get,
                             reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(get, 1, in->key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(get);
        if (rc != SQLITE_ROW)
                return pc__store_fail(s, rc, reterr, "reading a session");
        int64_t seq = sqlite3_column_int64(get, 0);
        const unsigned char *last = sqlite3_column_text(get, 1);
        char parent[17] = "";
        if (last)
                snprintf(parent, sizeof(parent), "%s", (const char *) last);
        sqlite3_reset(get);

        r = pc__store_cached(s,
                             "INSERT INTO transcript_entries (session_key, seq, type, tool, "
                             "entry) VALUES (?1, ?2, 'message', ?3, ?4)",
                             &ins, reterr);
        if (r < 0)
                return r;
        char ts[PC_TIME_ISO_MS_MAX];
        pc_time_format_iso_ms(now_ms, ts, sizeof(ts));
        int64_t tool_calls = 0;
        for (size_t i = 0; i < n; i++) {
                char id[17];
                random_hex(id, 4);
                bool only_tools = false;
                tool_calls += (int64_t) count_tool_calls(messages[i], &only_tools);
                json_t *entry =
                        json_pack("{s:s,s:s,s:s?,s:s,s:O}", "type", "message", "id", id, "parentId",
                                  *parent ? parent : NULL, "timestamp", ts, "message", messages[i]);
                _cleanup_free_ char *text = json_dumps(entry, JSON_COMPACT);
                size_t len = text ? strlen(text) : 0;
                if (len > PC_TRANSCRIPT_MAX_ENTRY_BYTES) {
                        json_object_set_new(entry, "message", shrunk_message(messages[i], len));
                        free(text);
                        text = json_dumps(entry, JSON_COMPACT);
                }
                json_decref(entry);
                if (!text)
                        return pc_error_set(reterr, -EINVAL,
                                            "transcript of '%s': message %zu cannot be "
                                            "serialised as JSON",
                                            in->key, i);
                r = insert_entry(s, ins, in->key, ++seq, text, only_tools, reterr);
                if (r < 0)
                        return r;
                snprintf(parent, sizeof(parent), "%s", id);
        }

        r = pc__store_cached(s,
                             "UPDATE sessions SET updated_at_ms = ?2, message_count = "
                             "message_count + ?3, tool_call_count = tool_call_count + ?4, "
                             "last_seq = ?5, last_entry_id = ?6 WHERE key = ?1",
                             &upd, reterr);
        if (r < 0)
                return r;
        bind_key_nums(upd, in->key, (const int64_t[]){now_ms, (int64_t) n, tool_calls, seq}, 4);
        if (*parent)
                sqlite3_bind_text(upd, 6, parent, -1, SQLITE_STATIC);
        return step_all(s, upd, NULL, NULL, reterr, "updating a session");
}

/* The transaction, under the store's lock; *ret_ticket is its group-commit ticket. */
static int append_txn(PcStore *s, const PcSessionInit *in, json_t *const *messages, size_t n,
                      int64_t now_ms, uint64_t *ret_ticket, PcError *reterr)
{
        PC_STORE_LOCKED(s);
        if (!in->key || !*in->key || !in->agent_id || !*in->agent_id)
                return pc_error_set(reterr, -EINVAL,
                                    "a transcript append needs a session key and an agent");
        if (strlen(in->key) > PC_SESSION_KEY_MAX)
                return pc_error_set(reterr, -EINVAL,
                                    "session key of %zu bytes is over the limit of %u bytes",
                                    strlen(in->key), PC_SESSION_KEY_MAX);
        int r = pc__store_exec_cached(s, "BEGIN IMMEDIATE", reterr, "starting a transcript append");
        if (r >= 0) {
                r = append_locked(s, in, messages, n, now_ms, reterr);
                if (r >= 0)
                        r = pc__store_exec_cached(s, "COMMIT", reterr,
                                                  "committing a transcript append");
                if (r < 0)
                        (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                else
                        *ret_ticket = pc__store_committed(s);
        }
        return r;
}

int pc_store_transcript_append(PcStore *s, const PcSessionInit *in, json_t *const *messages,
                               size_t n, int64_t now_ms, PcError *reterr)
{
        /* Durable before it returns, as with synchronous=FULL (the WAL is synced after the
         * commit), but the sync runs outside the store's lock and is shared by the appends
         * of concurrent tool calls (pc__store_sync_commit). */
        uint64_t ticket = 0;
        int r = append_txn(s, in, messages, n, now_ms, &ticket, reterr);
        if (r < 0)
                return r;
        return pc__store_sync_commit(s, ticket, reterr);
}

static size_t clamp_limit(size_t limit)
{
        return limit == 0 || limit > PC_TRANSCRIPT_PAGE_MAX ? PC_TRANSCRIPT_PAGE_MAX : limit;
}

typedef struct Page {
        json_t *entries;
        int64_t last_seq;
} Page;

static void page_row(sqlite3_stmt *row, void *userdata)
{
        Page *p = userdata;
        p->last_seq = sqlite3_column_int64(row, 0);
        /* As OpenClaw's reader: a malformed entry is skipped. */
        json_t *e = json_loads((const char *) sqlite3_column_text(row, 1), 0, NULL);
        if (json_is_object(e))
                json_array_append(p->entries, e);
        json_decref(e);
}

int pc_store_transcript_page(PcStore *s, const char *key, int64_t after_seq, size_t limit,
                             json_t **ret, int64_t *ret_last_seq, PcError *reterr)
{
        PC_STORE_LOCKED(s);
        Page p = {.entries = json_array(), .last_seq = after_seq};
        int r = query_rows(s,
                           "SELECT seq, entry FROM transcript_entries WHERE session_key = ?1 AND "
                           "seq > ?2 ORDER BY seq LIMIT ?3",
                           key, (const int64_t[]){after_seq, (int64_t) clamp_limit(limit)}, 2,
                           page_row, &p, reterr);
        if (r < 0) {
                json_decref(p.entries);
                return r;
        }
        *ret = p.entries;
        *ret_last_seq = p.last_seq;
        return 0;
}

typedef struct Messages {
        json_t *newest_first;
        size_t rows, limit;
} Messages;

static void message_row(sqlite3_stmt *row, void *userdata)
{
        Messages *m = userdata;
        if (++m->rows > m->limit)
                return; /* the one past the limit: only tells that there are more */
        json_t *e = json_loads((const char *) sqlite3_column_text(row, 0), 0, NULL);
        json_t *msg = json_object_get(e, "message");
        if (json_is_object(msg))
                json_array_append(m->newest_first, msg);
        json_decref(e);
}

int pc_store_transcript_messages(PcStore *s, const char *key, bool include_tools, size_t offset,
                                 size_t limit, json_t **ret, bool *ret_more, PcError *reterr)
{
        PC_STORE_LOCKED(s);
        Messages m = {.newest_first = json_array(), .limit = clamp_limit(limit)};
        int r = query_rows(
                s,
                "SELECT entry FROM transcript_entries WHERE session_key = ?1 AND type "
                "= 'message' AND (?2 OR tool = 0) ORDER BY seq DESC LIMIT ?3 OFFSET ?4",
                key, (const int64_t[]){include_tools, (int64_t) m.limit + 1, (int64_t) offset}, 3,
                message_row, &m, reterr);
        if (r < 0) {
                json_decref(m.newest_first);
                return r;
        }
        json_t *list = json_array();
        for (size_t i = json_array_size(m.newest_first); i > 0; i--)
                json_array_append(list, json_array_get(m.newest_first, i - 1));
        json_decref(m.newest_first);
        *ret = list;
        *ret_more = m.rows > m.limit;
        return 0;
}
