/* SPDX-License-Identifier: MIT */
/* Sessions and transcripts in the state database: migration, WAL, appends, pages, limits and
 * the sessions.list / sessions.history payloads. */
#include <sqlite3.h>
#include <sys/stat.h>

#include "test-util.h"

#include "base/alloc.h"
#include "store/sessions.h"

static char *make_state_dir(void)
{
        char tmpl[] = "/tmp/pincer-sessions-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        return xstrdup(tmpl);
}

static PcStore *open_store(const char *dir)
{
        PcError err = PC_ERROR_INIT;
        PcStore *s = NULL;
        int r = pc_store_open(dir, &s, &err);
        if (r < 0)
                fail_msg("open: %s", err.msg);
        return s;
}

static int query_int(const char *path, const char *sql)
{
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        int v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

static json_t *tool_call(const char *id, const char *name, const char *arg)
{
        return json_pack("{s:s,s:[{s:s,s:s,s:s,s:{s:s}}],s:s,s:i}", "role", "assistant", "content",
                         "type", "toolCall", "id", id, "name", name, "arguments", "path", arg,
                         "stopReason", "toolUse", "timestamp", 1);
}

static json_t *tool_result(const char *id, const char *name, const char *text)
{
        return json_pack("{s:s,s:s,s:s,s:[{s:s,s:s}],s:b,s:i}", "role", "toolResult", "toolCallId",
                         id, "toolName", name, "content", "type", "text", "text", text, "isError",
                         0, "timestamp", 1);
}

static json_t *user_text(const char *text)
{
        return json_pack("{s:s,s:[{s:s,s:s}],s:i}", "role", "user", "content", "type", "text",
                         "text", text, "timestamp", 1);
}

static void append(PcStore *s, const char *key, const char *agent, json_t *a, json_t *b,
                   int64_t now)
{
        PcSessionInit in = {.key = key, .agent_id = agent, .main_key = "agent:main:main"};
        json_t *const msgs[] = {a, b};
        PcError err = PC_ERROR_INIT;
        int r = pc_store_transcript_append(s, &in, msgs, b ? 2 : 1, now, &err);
        if (r < 0)
                fail_msg("append: %s", err.msg);
        json_decref(a);
        json_decref(b);
}

/* A state.db of schema version 1 (the sandbox registry only) is upgraded in place. */
static void test_migration_from_v1(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, PC_STORE_FILE);
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(
                sqlite3_exec(db,
                             "CREATE TABLE sandboxes (name TEXT PRIMARY KEY NOT NULL, scope_key "
                             "TEXT NOT NULL, agent_id TEXT NOT NULL DEFAULT '', backend TEXT NOT "
                             "NULL, runtime_id TEXT, image TEXT NOT NULL DEFAULT '', config_hash "
                             "TEXT NOT NULL DEFAULT '', created_at_ms INTEGER NOT NULL, "
                             "last_used_at_ms INTEGER NOT NULL);"
                             "CREATE INDEX sandboxes_scope ON sandboxes(scope_key);"
                             "INSERT INTO sandboxes VALUES ('sbx', 'agent:main', 'main', "
                             "'native', NULL, 'img', 'h', 1, 2);"
                             "PRAGMA user_version = 1;",
                             NULL, NULL, NULL),
                SQLITE_OK);
        sqlite3_close(db);

        PcStore *s = open_store(dir);
        PcSandboxRecord rec = {0};
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_store_sandbox_get(s, "sbx", &rec, &err), 0);
        assert_string_equal(rec.scope_key, "agent:main");
        pc_sandbox_record_clear(&rec);
        append(s, "agent:main:main", "main", user_text("hello"), NULL, 1000);
        pc_store_close(s);

        assert_int_equal(query_int(path, "PRAGMA user_version"), 2);
        assert_int_equal(query_int(path, "SELECT count(*) FROM transcript_entries"), 1);
        /* WAL: readers never block the writer. */
        sqlite3 *db2 = NULL;
        assert_int_equal(sqlite3_open(path, &db2), SQLITE_OK);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db2, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *) sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        sqlite3_close(db2);

        /* Opening again is a no-op. */
        s = open_store(dir);
        pc_store_close(s);
        assert_int_equal(query_int(path, "PRAGMA user_version"), 2);
}

static void test_kinds(void **state)
{
        static const struct {
                const char *key, *kind, *list_kind, *channel;
        } v[] = {
                {"agent:main:main", "main", "main", ""},
                {"global", "main", "main", ""},
                {"agent:main:direct:alice", "direct", "other", ""},
                {"agent:main:telegram:direct:alice", "direct", "other", "telegram"},
                {"agent:main:slack:acct:direct:bob", "direct", "other", "slack"},
                {"agent:main:Discord:group:42", "group", "group", "discord"},
                {"agent:main:slack:channel:c1:thread:9", "channel", "group", "slack"},
                {"agent:main:subagent:1234", "subagent", "other", ""},
                {"cron:job1", "cron", "cron", ""},
                {"hook:abc", "hook", "hook", ""},
                {"agent:main:foo", "other", "other", ""},
        };
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                const char *k = pc_session_kind_from_key(v[i].key, "agent:main:main");
                if (!streq(k, v[i].kind))
                        fail_msg("%s: kind %s, want %s", v[i].key, k, v[i].kind);
                assert_string_equal(pc_session_list_kind(k), v[i].list_kind);
                _cleanup_free_ char *ch = pc_session_channel_from_key(v[i].key);
                if (!streq(ch, v[i].channel))
                        fail_msg("%s: channel '%s', want '%s'", v[i].key, ch, v[i].channel);
        }
}

static void test_append_and_read(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        PcStore *s = open_store(dir);
        PcError err = PC_ERROR_INIT;
        PcSessionRecord rec = {0};
        assert_int_equal(pc_store_session_get(s, "agent:main:main", &rec, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "pincer sessions list"));

        append(s, "agent:main:main", "main", tool_call("c1", "read", "a"),
               tool_result("c1", "read", "A"), 1000);
        append(s, "agent:main:main", "main", tool_call("c2", "read", "b"),
               tool_result("c2", "read", "B"), 2000);
        append(s, "agent:family:main", "family", user_text("hi"), NULL, 1500);

        assert_int_equal(pc_store_session_get(s, "agent:main:main", &rec, &err), 0);
        assert_string_equal(rec.agent_id, "main");
        assert_string_equal(rec.kind, "main");
        assert_int_equal(rec.created_at_ms, 1000);
        assert_int_equal(rec.updated_at_ms, 2000);
        assert_int_equal(rec.message_count, 4);
        assert_int_equal(rec.tool_call_count, 2);
        assert_int_equal(strlen(rec.session_id), 36);
        assert_int_equal(rec.session_id[14], '4');
        pc_session_record_clear(&rec);

        /* Entries chain by parentId, oldest first, in the spec's shape. */
        json_t *page = NULL;
        int64_t seq = 0;
        assert_int_equal(pc_store_transcript_page(s, "agent:main:main", 0, 10, &page, &seq, &err),
                         0);
        assert_int_equal(json_array_size(page), 4);
        assert_int_equal(seq, 4);
        const char *prev = NULL;
        for (size_t i = 0; i < 4; i++) {
                json_t *e = json_array_get(page, i);
                assert_string_equal(json_string_value(json_object_get(e, "type")), "message");
                const char *id = json_string_value(json_object_get(e, "id"));
                assert_int_equal(strlen(id), 8);
                if (prev)
                        assert_string_equal(json_string_value(json_object_get(e, "parentId")),
                                            prev);
                else
                        assert_true(json_is_null(json_object_get(e, "parentId")));
                assert_non_null(strstr(json_string_value(json_object_get(e, "timestamp")), "Z"));
                prev = id;
        }
        assert_string_equal(
                json_string_value(json_object_get(
                        json_object_get(json_array_get(page, 3), "message"), "toolCallId")),
                "c2");
        json_decref(page);

        PcSessionRecord *rows = NULL;
        size_t n = 0;
        assert_int_equal(pc_store_session_list(s, NULL, &rows, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(rows[0].key, "agent:main:main"); /* most recent first */
        pc_session_records_free(rows, n);
        assert_int_equal(pc_store_session_list(s, "family", &rows, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(rows[0].key, "agent:family:main");
        pc_session_records_free(rows, n);

        /* The data survive a reopen. */
        pc_store_close(s);
        s = open_store(dir);
        assert_int_equal(pc_store_session_get(s, "agent:main:main", &rec, &err), 0);
        assert_int_equal(rec.message_count, 4);
        pc_session_record_clear(&rec);
        pc_store_close(s);
}

static void test_pagination(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        PcStore *s = open_store(dir);
        PcError err = PC_ERROR_INIT;
        const size_t calls = 1100;
        for (size_t i = 0; i < calls; i++) {
                char id[16], text[16];
                snprintf(id, sizeof(id), "c%zu", i);
                snprintf(text, sizeof(text), "r%zu", i);
                append(s, "agent:main:p", "main", tool_call(id, "read", "x"),
                       tool_result(id, "read", text), (int64_t) i);
        }
        append(s, "agent:main:p", "main", user_text("last"), NULL, 5000);

        /* Pages of entries are capped at PC_TRANSCRIPT_PAGE_MAX whatever is asked. */
        int64_t seq = 0;
        size_t total = 0, pages = 0;
        for (;;) {
                json_t *page = NULL;
                assert_int_equal(
                        pc_store_transcript_page(s, "agent:main:p", seq, 5000, &page, &seq, &err),
                        0);
                size_t n = json_array_size(page);
                json_decref(page);
                if (n == 0)
                        break;
                assert_true(n <= PC_TRANSCRIPT_PAGE_MAX);
                total += n;
                pages++;
        }
        assert_int_equal(total, 2 * calls + 1);
        assert_int_equal(pages, 3);

        /* Newest messages, skipping from the newest end. */
        json_t *msgs = NULL;
        bool more = false;
        assert_int_equal(
                pc_store_transcript_messages(s, "agent:main:p", true, 1, 2, &msgs, &more, &err), 0);
        assert_int_equal(json_array_size(msgs), 2);
        assert_true(more);
        assert_string_equal(
                json_string_value(json_object_get(json_array_get(msgs, 1), "toolCallId")), "c1099");
        assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "role")),
                            "assistant");
        json_decref(msgs);
        /* Without tools only the user message is left. */
        assert_int_equal(
                pc_store_transcript_messages(s, "agent:main:p", false, 0, 10, &msgs, &more, &err),
                0);
        assert_int_equal(json_array_size(msgs), 1);
        assert_false(more);
        json_decref(msgs);

        /* The history payload: default limit, nextOffset while older remain. */
        json_t *params = json_pack("{s:s,s:b}", "sessionKey", "agent:main:p", "includeTools", 1);
        json_t *doc = NULL;
        assert_int_equal(pc_sessions_history_json(s, params, &doc, &err), 0);
        assert_int_equal(json_array_size(json_object_get(doc, "messages")), 200);
        assert_int_equal(json_integer_value(json_object_get(doc, "nextOffset")), 200);
        json_decref(doc);
        json_object_set_new(params, "limit", json_integer(1001));
        assert_int_equal(pc_sessions_history_json(s, params, &doc, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "limit"));
        json_object_set_new(params, "limit", json_integer(5));
        json_object_set_new(params, "offset", json_integer((json_int_t) (2 * calls - 2)));
        assert_int_equal(pc_sessions_history_json(s, params, &doc, &err), 0);
        assert_int_equal(json_array_size(json_object_get(doc, "messages")), 3);
        assert_null(json_object_get(doc, "nextOffset"));
        json_decref(doc);
        json_object_set_new(params, "sessionKey", json_string("agent:main:none"));
        assert_int_equal(pc_sessions_history_json(s, params, &doc, &err), -ENOENT);
        json_decref(params);
        pc_store_close(s);
}

static void test_limits(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        PcStore *s = open_store(dir);
        PcError err = PC_ERROR_INIT;

        /* An entry over the size limit keeps its shape, not its bulk. */
        size_t big = PC_TRANSCRIPT_MAX_ENTRY_BYTES + 10;
        char *huge = xmalloc(big + 1);
        memset(huge, 'x', big);
        huge[big] = 0;
        append(s, "agent:main:big", "main", tool_call("c1", "write", huge),
               tool_result("c1", "write", huge), 1);
        free(huge);
        json_t *page = NULL;
        int64_t seq = 0;
        assert_int_equal(pc_store_transcript_page(s, "agent:main:big", 0, 10, &page, &seq, &err),
                         0);
        assert_int_equal(json_array_size(page), 2);
        json_t *call = json_object_get(json_array_get(page, 0), "message");
        json_t *block = json_array_get(json_object_get(call, "content"), 0);
        assert_string_equal(json_string_value(json_object_get(block, "type")), "toolCall");
        assert_string_equal(json_string_value(json_object_get(block, "id")), "c1");
        json_t *res = json_object_get(json_array_get(page, 1), "message");
        assert_string_equal(json_string_value(json_object_get(res, "toolCallId")), "c1");
        const char *note = json_string_value(
                json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
        assert_non_null(strstr(note, "omitted"));
        json_decref(page);

        /* Keys are bounded. */
        char key[PC_SESSION_KEY_MAX + 2];
        memset(key, 'k', sizeof(key) - 1);
        key[sizeof(key) - 1] = 0;
        PcSessionInit in = {.key = key, .agent_id = "main"};
        json_t *m = user_text("x");
        assert_int_equal(pc_store_transcript_append(s, &in, &m, 1, 1, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "limit"));
        json_decref(m);

        /* History: long blocks are cut, secrets under arguments redacted, 80 KB per answer. */
        char *long_text = xmalloc(10001);
        memset(long_text, 'y', 10000);
        long_text[10000] = 0;
        for (int i = 0; i < 40; i++)
                append(s, "agent:main:h", "main", user_text(long_text), NULL, i);
        free(long_text);
        json_t *secret = json_pack("{s:s,s:[{s:s,s:s,s:s,s:{s:s}}],s:i}", "role", "assistant",
                                   "content", "type", "toolCall", "id", "c9", "name", "exec",
                                   "arguments", "apiKey", "sk-secret-value", "timestamp", 1);
        append(s, "agent:main:h", "main", secret, NULL, 100);
        json_t *params = json_pack("{s:s,s:b}", "sessionKey", "agent:main:h", "includeTools", 1);
        json_t *doc = NULL;
        assert_int_equal(pc_sessions_history_json(s, params, &doc, &err), 0);
        assert_true(json_is_true(json_object_get(doc, "contentTruncated")));
        assert_true(json_is_true(json_object_get(doc, "contentRedacted")));
        assert_true(json_is_true(json_object_get(doc, "truncated")));
        assert_true(json_integer_value(json_object_get(doc, "droppedMessages")) > 0);
        assert_true(json_integer_value(json_object_get(doc, "bytes")) <= PC_HISTORY_MAX_BYTES);
        _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
        assert_null(strstr(text, "sk-secret-value"));
        json_t *msgs = json_object_get(doc, "messages");
        json_t *first_text = json_object_get(
                json_array_get(json_object_get(json_array_get(msgs, 0), "content"), 0), "text");
        assert_int_equal(json_string_length(first_text), PC_HISTORY_MAX_BLOCK_CHARS);
        json_decref(doc);
        json_decref(params);
        pc_store_close(s);
}

static bool only_main_agent(const PcSessionRecord *r, void *userdata)
{
        return streq(r->agent_id, userdata);
}

static void test_list_json(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        PcStore *s = open_store(dir);
        PcError err = PC_ERROR_INIT;
        append(s, "agent:main:main", "main", user_text("a"), NULL, 1);
        append(s, "agent:main:slack:group:g1", "main", user_text("b"), NULL, 2);
        append(s, "agent:family:main", "family", user_text("c"), NULL, 3);

        json_t *doc = NULL;
        assert_int_equal(pc_sessions_list_json(s, NULL, NULL, &doc, &err), 0);
        assert_int_equal(json_integer_value(json_object_get(doc, "count")), 3);
        json_t *row = json_array_get(json_object_get(doc, "sessions"), 0);
        assert_string_equal(json_string_value(json_object_get(row, "key")), "agent:family:main");
        assert_string_equal(json_string_value(json_object_get(row, "kind")), "main");
        assert_non_null(json_object_get(row, "sessionId"));
        assert_non_null(json_object_get(row, "updatedAt"));
        assert_non_null(json_object_get(doc, "path"));
        json_decref(doc);

        PcSessionFilter f = {.visible = only_main_agent, .userdata = (void *) "main"};
        json_t *params = json_pack("{s:[s],s:i}", "kinds", "group", "messageLimit", 5);
        assert_int_equal(pc_sessions_list_json(s, params, &f, &doc, &err), 0);
        assert_int_equal(json_integer_value(json_object_get(doc, "count")), 1);
        row = json_array_get(json_object_get(doc, "sessions"), 0);
        assert_string_equal(json_string_value(json_object_get(row, "channel")), "slack");
        assert_int_equal(json_array_size(json_object_get(row, "messages")), 1);
        json_decref(doc);
        json_decref(params);

        params = json_pack("{s:i,s:i}", "limit", 1, "offset", 1);
        assert_int_equal(pc_sessions_list_json(s, params, NULL, &doc, &err), 0);
        assert_int_equal(json_integer_value(json_object_get(doc, "count")), 1);
        row = json_array_get(json_object_get(doc, "sessions"), 0);
        assert_string_equal(json_string_value(json_object_get(row, "key")),
                            "agent:main:slack:group:g1");
        json_decref(doc);
        json_decref(params);

        params = json_pack("{s:i}", "limit", 0);
        assert_int_equal(pc_sessions_list_json(s, params, NULL, &doc, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "limit"));
        json_decref(params);
        params = json_pack("{s:s}", "agentId", "family");
        assert_int_equal(pc_sessions_list_json(s, params, NULL, &doc, &err), 0);
        assert_int_equal(json_integer_value(json_object_get(doc, "count")), 1);
        json_decref(doc);
        json_decref(params);
        pc_store_close(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_migration_from_v1),
                cmocka_unit_test(test_kinds),
                cmocka_unit_test(test_append_and_read),
                cmocka_unit_test(test_pagination),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_list_json),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
