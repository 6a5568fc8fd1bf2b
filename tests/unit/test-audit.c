/* SPDX-License-Identifier: MIT */
/* The audit log: whole lines from concurrent writers, in both durability modes, and a file
 * moved away under the writer. */
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>

#include "test-util.h"

#include "base/alloc.h"
#include "tools/audit.h"

#define THREADS 8
#define LINES   200

static char *make_state_dir(void)
{
        char tmpl[] = "/tmp/pincer-audit-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        return xstrdup(tmpl);
}

typedef struct Writer {
        const char *dir;
        int id;
        int failures;
} Writer;

static void *write_lines(void *arg)
{
        Writer *w = arg;
        /* long enough that a torn or interleaved write would show */
        char pad[2048];
        memset(pad, 'x', sizeof(pad) - 1);
        pad[sizeof(pad) - 1] = '\0';
        for (int i = 0; i < LINES; i++) {
                json_t *rec = json_pack("{s:i,s:i,s:s}", "writer", w->id, "seq", i, "pad", pad);
                PcError err = PC_ERROR_INIT;
                if (pc_audit_append(w->dir, rec, &err) < 0)
                        w->failures++;
                json_decref(rec);
        }
        return NULL;
}

/* Every line parses, has a ts, and each writer's lines are all there, in its order. */
static void check_file(const char *path, int threads, int lines)
{
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        int next[THREADS] = {0};
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        int total = 0;
        while ((n = getline(&line, &cap, f)) > 0) {
                assert_true(line[n - 1] == '\n');
                json_error_t jerr;
                json_t *o = json_loads(line, 0, &jerr);
                assert_non_null(o);
                assert_true(json_is_string(json_object_get(o, "ts")));
                int w = (int) json_integer_value(json_object_get(o, "writer"));
                assert_true(w >= 0 && w < threads);
                assert_int_equal(json_integer_value(json_object_get(o, "seq")), next[w]);
                next[w]++;
                total++;
                json_decref(o);
        }
        free(line);
        fclose(f);
        assert_int_equal(total, threads * lines);
}

static void run_writers(const char *dir)
{
        pthread_t t[THREADS];
        Writer w[THREADS];
        for (int i = 0; i < THREADS; i++) {
                w[i] = (Writer){.dir = dir, .id = i};
                assert_int_equal(pthread_create(&t[i], NULL, write_lines, &w[i]), 0);
        }
        for (int i = 0; i < THREADS; i++) {
                assert_int_equal(pthread_join(t[i], NULL), 0);
                assert_int_equal(w[i].failures, 0);
        }
}

static void test_concurrent_fsync_mode(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        run_writers(dir);
        _cleanup_free_ char *path = xasprintf("%s/audit/audit.jsonl", dir);
        check_file(path, THREADS, LINES);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_concurrent_group_commit(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        pc_audit_group_commit_start();
        pc_audit_group_commit_start(); /* idempotent */
        run_writers(dir);
        pc_audit_group_commit_stop();
        _cleanup_free_ char *path = xasprintf("%s/audit/audit.jsonl", dir);
        check_file(path, THREADS, LINES);
}

static void test_file_moved_away(void **state)
{
        _cleanup_free_ char *dir = make_state_dir();
        pc_audit_group_commit_start();
        json_t *rec = json_pack("{s:s}", "tool", "exec");
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_audit_append(dir, rec, &err), 0);
        _cleanup_free_ char *path = xasprintf("%s/audit/audit.jsonl", dir);
        _cleanup_free_ char *moved = xasprintf("%s/audit/moved.jsonl", dir);
        assert_int_equal(rename(path, moved), 0);
        /* the next line goes to a new audit.jsonl, not to the moved file */
        assert_int_equal(pc_audit_append(dir, rec, &err), 0);
        pc_audit_group_commit_stop();
        json_decref(rec);
        struct stat a, b;
        assert_int_equal(stat(path, &a), 0);
        assert_int_equal(stat(moved, &b), 0);
        assert_int_equal(a.st_size, b.st_size);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_concurrent_fsync_mode),
                cmocka_unit_test(test_concurrent_group_commit),
                cmocka_unit_test(test_file_moved_away),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
