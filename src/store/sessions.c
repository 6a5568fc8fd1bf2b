/* SPDX-License-Identifier: MIT */
/* Session rows: the kind of a key, and reading rows back (transcripts.c writes them). */
#include "sessions.h"

#include <ctype.h>
#include <strings.h>

#include "base/alloc.h"
#include "store-internal.h"

#define COLUMNS                                                                                    \
        "key, session_id, agent_id, kind, channel, spawned_by, label, created_at_ms, "             \
        "updated_at_ms, message_count, tool_call_count"

void pc_session_record_clear(PcSessionRecord *r)
{
        if (!r)
                return;
        free(r->key);
        free(r->session_id);
        free(r->agent_id);
        free(r->kind);
        free(r->channel);
        free(r->spawned_by);
        free(r->label);
        *r = (PcSessionRecord){0};
}

void pc_session_records_free(PcSessionRecord *r, size_t n)
{
        for (size_t i = 0; r && i < n; i++)
                pc_session_record_clear(&r[i]);
        free(r);
}

/* The part after "agent:<id>:", or the whole key. */
static const char *key_rest(const char *key)
{
        if (strncasecmp(key, "agent:", 6) != 0)
                return key;
        const char *p = strchr(key + 6, ':');
        return p ? p + 1 : key + strlen(key);
}

/* Does the ':'-separated key contain the segment tok (followed by ':')? */
static bool has_segment(const char *rest, const char *tok)
{
        size_t n = strlen(tok);
        for (const char *p = rest; p; p = strchr(p, ':')) {
                if (*p == ':')
                        p++;
                if (strncasecmp(p, tok, n) == 0 && p[n] == ':')
                        return true;
        }
        return false;
}

const char *pc_session_kind_from_key(const char *key, const char *main_key)
{
        if (!key)
                return "other";
        if ((main_key && strcasecmp(key, main_key) == 0) || strcasecmp(key, "global") == 0)
                return "main";
        if (strncasecmp(key, "cron:", 5) == 0)
                return "cron";
        if (strncasecmp(key, "hook:", 5) == 0)
                return "hook";
        const char *rest = key_rest(key);
        if (rest != key && strcasecmp(rest, "main") == 0)
                return "main";
        if (has_segment(rest, "subagent"))
                return "subagent";
        if (has_segment(rest, "group"))
                return "group";
        if (has_segment(rest, "channel") || has_segment(rest, "room"))
                return "channel";
        if (has_segment(rest, "direct") || has_segment(rest, "dm"))
                return "direct";
        return "other";
}

char *pc_session_channel_from_key(const char *key)
{
        const char *rest = key ? key_rest(key) : "";
        if (rest == key)
                return xstrdup("");
        static const char *const kinds[] = {"group", "channel", "room", "direct", "dm"};
        size_t len = strcspn(rest, ":");
        if (rest[len] != ':')
                return xstrdup("");
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strlen(kinds[i]) == len && strncasecmp(rest, kinds[i], len) == 0)
                        return xstrdup(""); /* agent:x:direct:peer: no channel */
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (has_segment(rest, kinds[i])) {
                        char *c = xstrndup(rest, len);
                        for (char *p = c; *p; p++)
                                *p = (char) tolower((unsigned char) *p);
                        return c;
                }
        return xstrdup("");
}

const char *pc_session_list_kind(const char *kind)
{
        if (!kind)
                return "other";
        if (streq(kind, "main") || streq(kind, "cron") || streq(kind, "hook"))
                return kind;
        if (streq(kind, "group") || streq(kind, "channel"))
                return "group";
        return "other";
}

static char *column_text(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? xstrdup((const char *) t) : NULL;
}

static void read_row(sqlite3_stmt *st, PcSessionRecord *r)
{
        *r = (PcSessionRecord){
                .key = column_text(st, 0),
                .session_id = column_text(st, 1),
                .agent_id = column_text(st, 2),
                .kind = column_text(st, 3),
                .channel = column_text(st, 4),
                .spawned_by = column_text(st, 5),
                .label = column_text(st, 6),
                .created_at_ms = sqlite3_column_int64(st, 7),
                .updated_at_ms = sqlite3_column_int64(st, 8),
                .message_count = sqlite3_column_int64(st, 9),
                .tool_call_count = sqlite3_column_int64(st, 10),
        };
}

int pc_store_session_get(PcStore *s, const char *key, PcSessionRecord *ret, PcError *reterr)
{
        PC_STORE_LOCKED(s);
        _cleanup_sqlstmt_ sqlite3_stmt *st = NULL;
        int r = pc__store_prepare(s, "SELECT " COLUMNS " FROM sessions WHERE key = ?1", &st,
                                  reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return pc_error_set(reterr, -ENOENT,
                                    "no session '%s' (run 'pincer sessions list' to see them)",
                                    key);
        if (rc != SQLITE_ROW)
                return pc__store_fail(s, rc, reterr, "reading a session");
        read_row(st, ret);
        return 0;
}

int pc_store_session_list(PcStore *s, const char *agent_id, PcSessionRecord **ret, size_t *ret_n,
                          PcError *reterr)
{
        PC_STORE_LOCKED(s);
        _cleanup_sqlstmt_ sqlite3_stmt *st = NULL;
        int r = pc__store_prepare(s,
                                  "SELECT " COLUMNS " FROM sessions WHERE ?1 IS NULL OR "
                                  "agent_id = ?1 ORDER BY updated_at_ms DESC, key",
                                  &st, reterr);
        if (r < 0)
                return r;
        if (agent_id)
                sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
        PcSessionRecord *list = NULL;
        size_t n = 0, alloc = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                list = xgrow(list, &alloc, n + 1, sizeof(*list));
                read_row(st, &list[n++]);
        }
        if (rc != SQLITE_DONE) {
                pc_session_records_free(list, n);
                return pc__store_fail(s, rc, reterr, "listing sessions");
        }
        *ret = list;
        *ret_n = n;
        return 0;
}
