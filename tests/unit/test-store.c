/* SPDX-License-Identifier: MIT */
/* The SQLite state: schema migration and the sandbox registry. */
#include <sqlite3.h>
#include <sys/stat.h>

#include "test-util.h"

#include "base/alloc.h"
#include "store/store.h"

static char *make_state_dir(void)
{
        char tmpl[] = "/tmp/pincer-store-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        return xasprintf("%s/state", tmpl); /* not created yet: open must create it */
}

static PcSandboxRecord record(const char *name, const char *scope, int64_t t)
{
        return (PcSandboxRecord){
                .name = (char *) name,
                .scope_key = (char *) scope,
                .agent_id = (char *) "main",
                .backend = (char *) "docker",
                .runtime_id = (char *) "abc123",
                .image = (char *) "openclaw-sandbox:bookworm-slim",
                .config_hash = (char *) "h1",
                .created_at_ms = t,
                .last_used_at_ms = t,
        };
}

static void test_registry(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        PcError err = PC_ERROR_INIT;
        PcStore *s = NULL;
        assert_int_equal(pc_store_open(dir, &s, &err), 0);
        struct stat st;
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);

        PcSandboxRecord a = record("pincer-sbx-b", "agent:b", 1000);
        PcSandboxRecord b = record("pincer-sbx-a", "agent:a", 2000);
        assert_int_equal(pc_store_sandbox_upsert(s, &a, &err), 0);
        assert_int_equal(pc_store_sandbox_upsert(s, &b, &err), 0);

        /* An update keeps created_at_ms and image, takes the rest. */
        PcSandboxRecord a2 = record("pincer-sbx-b", "agent:b", 5000);
        a2.image = (char *) "other:image";
        a2.config_hash = (char *) "h2";
        a2.runtime_id = NULL;
        assert_int_equal(pc_store_sandbox_upsert(s, &a2, &err), 0);

        PcSandboxRecord got = {0};
        assert_int_equal(pc_store_sandbox_get(s, "pincer-sbx-b", &got, &err), 0);
        assert_int_equal(got.created_at_ms, 1000);
        assert_int_equal(got.last_used_at_ms, 5000);
        assert_string_equal(got.image, "openclaw-sandbox:bookworm-slim");
        assert_string_equal(got.config_hash, "h2");
        assert_null(got.runtime_id);
        pc_sandbox_record_clear(&got);

        PcSandboxRecord *list = NULL;
        size_t n = 0;
        assert_int_equal(pc_store_sandbox_list(s, &list, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(list[0].name, "pincer-sbx-a");
        assert_string_equal(list[1].scope_key, "agent:b");
        pc_sandbox_records_free(list, n);

        assert_int_equal(pc_store_sandbox_touch(s, "pincer-sbx-a", 9000, &err), 0);
        assert_int_equal(pc_store_sandbox_touch(s, "missing", 9000, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "missing"));
        assert_int_equal(pc_store_sandbox_get(s, "missing", &got, &err), -ENOENT);

        assert_int_equal(pc_store_sandbox_delete(s, "pincer-sbx-b", &err), 0);
        assert_int_equal(pc_store_sandbox_delete(s, "pincer-sbx-b", &err), 0);
        pc_store_close(s);

        /* It persists. */
        assert_int_equal(pc_store_open(dir, &s, &err), 0);
        assert_int_equal(pc_store_sandbox_get(s, "pincer-sbx-a", &got, &err), 0);
        assert_int_equal(got.last_used_at_ms, 9000);
        pc_sandbox_record_clear(&got);
        assert_int_equal(pc_store_sandbox_list(s, &list, &n, &err), 0);
        assert_int_equal(n, 1);
        pc_sandbox_records_free(list, n);

        PcSandboxRecord bad = {.name = (char *) "x"};
        assert_int_equal(pc_store_sandbox_upsert(s, &bad, &err), -EINVAL);
        pc_store_close(s);
}

static void test_newer_schema_refused(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        PcError err = PC_ERROR_INIT;
        PcStore *s = NULL;
        assert_int_equal(pc_store_open(dir, &s, &err), 0);
        _cleanup_free_ char *path = xstrdup(pc_store_path(s));
        pc_store_close(s);

        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);

        assert_int_equal(pc_store_open(dir, &s, &err), -EPROTO);
        assert_non_null(strstr(err.msg, "newer"));
}

static void test_not_a_database(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        assert_int_equal(mkdir(dir, 0700), 0);
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, PC_STORE_FILE);
        test_write_file(path,
                        "this is not an SQLite database, but long enough to look like one....");
        PcError err = PC_ERROR_INIT;
        PcStore *s = NULL;
        assert_true(pc_store_open(dir, &s, &err) < 0);
        assert_null(s);
        assert_non_null(strstr(err.msg, "state.db"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_registry),
                cmocka_unit_test(test_newer_schema_refused),
                cmocka_unit_test(test_not_a_database),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
