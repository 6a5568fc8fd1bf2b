/* SPDX-License-Identifier: MIT */
/* The small helpers of src/base: buffers, errors, suggestions, paths, positions, redaction. */
#include "test-util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/error.h"
#include "base/fs-util.h"
#include "base/jsonpath.h"
#include "base/jsonpos.h"
#include "base/random.h"
#include "base/redact.h"
#include "base/suggest.h"
#include "base/time-util.h"
#include "base/utf8.h"

static void test_buf(void **state)
{
        _cleanup_buf_ PcBuf b = PC_BUF_INIT;
        assert_string_equal(b.buf, "");
        pc_buf_addstr(&b, "abc");
        pc_buf_addf(&b, "-%d-", 42);
        pc_buf_addch(&b, 'z');
        assert_string_equal(b.buf, "abc-42-z");
        assert_int_equal(b.len, 8);
        pc_buf_setlen(&b, 3);
        assert_string_equal(b.buf, "abc");
        pc_buf_reset(&b);
        pc_buf_add_escaped(&b, "a'b\n\x01", 100);
        assert_string_equal(b.buf, "a\\'b\\n\\x01");
        pc_buf_reset(&b);
        pc_buf_add_escaped(&b, "abcdef", 3);
        assert_string_equal(b.buf, "abc...");
        char *s = pc_buf_detach(&b);
        assert_string_equal(s, "abc...");
        assert_string_equal(b.buf, "");
        free(s);
}

static void test_error(void **state)
{
        PcError e = PC_ERROR_INIT;
        assert_int_equal(pc_error_set(&e, -ENOENT, "no '%s'", "x"), -ENOENT);
        assert_int_equal(e.kind, PC_ERROR_NOT_FOUND);
        assert_int_equal(pc_error_prefix(&e, "loading %s", "y"), -ENOENT);
        assert_string_equal(e.msg, "loading y: no 'x'");
        assert_int_equal(pc_error_set(NULL, -EINVAL, "ignored"), -EINVAL);
        assert_int_equal(pc_error_set_kind(&e, PC_ERROR_UNAVAILABLE, -EIO, "down"), -EIO);
        assert_string_equal(pc_error_kind_to_string(e.kind), "unavailable");
}

static void test_suggest(void **state)
{
        static const char *const keys[] = {"mode", "scope", "workspaceAccess", "docker", NULL};
        assert_string_equal(pc_suggest("mdoe", keys, 4), "mode");
        assert_string_equal(pc_suggest("Mode", keys, 4), "mode");
        assert_string_equal(pc_suggest("workspaceAcess", keys, 4), "workspaceAccess");
        assert_null(pc_suggest("zzzzzz", keys, 4));
        assert_int_equal(pc_edit_distance("abc", "acb"), 1);
        assert_int_equal(pc_edit_distance("", "abc"), 3);
}

static void test_jsonpath(void **state)
{
        _cleanup_buf_ PcBuf p = PC_BUF_INIT;
        pc_jsonpath_add_key(&p, "agents");
        pc_jsonpath_add_key(&p, "list");
        pc_jsonpath_add_index(&p, 2);
        pc_jsonpath_add_key(&p, "odd key\"");
        pc_jsonpath_add_key(&p, "my-agent");
        assert_string_equal(p.buf, "agents.list[2][\"odd key\\\"\"].my-agent");
}

static void test_jsonpos(void **state)
{
        PcJsonPos *m = pc_jsonpos_new();
        json_t *obj = json_object(), *arr = json_array();
        char key[32];
        for (int i = 0; i < 500; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                pc_jsonpos_set_member(m, obj, key, (PcSrcPos){0, (uint32_t) i + 1, 1},
                                      (PcSrcPos){0, (uint32_t) i + 1, 5});
                pc_jsonpos_set_item(m, arr, (size_t) i, (PcSrcPos){1, (uint32_t) i + 1, 2});
        }
        PcSrcPos kp, vp;
        assert_true(pc_jsonpos_get_member(m, obj, "k321", &kp, &vp));
        assert_int_equal(kp.line, 322);
        assert_int_equal(vp.col, 5);
        assert_true(pc_jsonpos_get_item(m, arr, 77, &vp));
        assert_int_equal(vp.line, 78);
        assert_int_equal(vp.file, 1);
        assert_false(pc_jsonpos_get_member(m, obj, "missing", NULL, NULL));
        assert_false(pc_jsonpos_get_item(m, obj, 0, NULL));
        assert_int_equal(pc_jsonpos_size(m), 1000);
        json_decref(obj);
        json_decref(arr);
        pc_jsonpos_free(m);
}

static void test_redact(void **state)
{
        assert_true(pc_secret_key_name("apiKey"));
        assert_true(pc_secret_key_name("OPENAI_API_KEY"));
        assert_true(pc_secret_key_name("token"));
        assert_true(pc_secret_key_name("x-api-key"));
        assert_true(pc_secret_key_name("Authorization"));
        assert_false(pc_secret_key_name("mainKey"));
        assert_false(pc_secret_key_name("sessionKey"));
        assert_false(pc_secret_key_name("mode"));
        json_t *v = json_loads("{\"auth\":{\"token\":\"abc\",\"mode\":\"token\"},\"providers\":{"
                               "\"x\":{\"apiKey\":\"k\",\"headers\":{\"Authorization\":\"B\"}}}}",
                               0, NULL);
        pc_redact_json(v);
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(s, "{\"auth\":{\"mode\":\"token\",\"token\":\"<redacted>\"},"
                               "\"providers\":{\"x\":{\"apiKey\":\"<redacted>\",\"headers\":{"
                               "\"Authorization\":\"<redacted>\"}}}}");
        free(s);
        json_decref(v);
}

static void test_utf8_fit(void **state)
{
        (void) state;
        char buf[8];
        pc_utf8_fit(buf, sizeof(buf), "abc");
        assert_string_equal(buf, "abc");
        /* "ééé" is 6 bytes, "éééé" 8: the fourth does not fit whole and is left out */
        pc_utf8_fit(buf, sizeof(buf), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
        assert_string_equal(buf, "\xc3\xa9\xc3\xa9\xc3\xa9");
        pc_utf8_fit(buf, sizeof(buf), "ab\xffz");
        assert_string_equal(buf, "ab\xef\xbf\xbdz"); /* U+FFFD */
        pc_utf8_fit(buf, 4, "a\xf0\x9f\x98\x80");    /* a 4-byte emoji after "a" */
        assert_string_equal(buf, "a");
        pc_utf8_fit(buf, 1, "abc");
        assert_string_equal(buf, "");
}

static void test_diags(void **state)
{
        _cleanup_diags_ PcDiags d = PC_DIAGS_INIT;
        pc_diags_add(&d, PC_DIAG_ERROR, "a.b", "f.json5", 3, 7, "do this", "bad %s", "thing");
        pc_diags_add(&d, PC_DIAG_WARNING, "", NULL, 0, 0, NULL, "careful");
        _cleanup_buf_ PcBuf t = PC_BUF_INIT;
        pc_diags_format_text(&d, &t);
        assert_string_equal(
                t.buf, "f.json5:3:7: error: a.b: bad thing\n  hint: do this\nwarning: careful\n");
        for (int i = 0; i < PC_DIAGS_MAX + 5; i++)
                pc_diags_add(&d, PC_DIAG_ERROR, "", NULL, 0, 0, NULL, "e%d", i);
        assert_int_equal(d.n, PC_DIAGS_MAX);
        assert_int_equal(d.n_errors, PC_DIAGS_MAX + 6);
}

static void test_time_iso(void **state)
{
        char b[PC_TIME_ISO_MS_MAX];
        pc_time_format_iso_ms(0, b, sizeof(b));
        assert_string_equal(b, "1970-01-01T00:00:00.000Z");
        pc_time_format_iso_ms(1769862896789, b, sizeof(b));
        assert_string_equal(b, "2026-01-31T12:34:56.789Z");
}

static void test_random_hex(void **state)
{
        _cleanup_free_ char *a = pc_random_hex(PC_RANDOM_TOKEN_BYTES);
        _cleanup_free_ char *b = pc_random_hex(PC_RANDOM_TOKEN_BYTES);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(strlen(a), 2 * PC_RANDOM_TOKEN_BYTES);
        assert_int_equal(strspn(a, "0123456789abcdef"), 2 * PC_RANDOM_TOKEN_BYTES);
        assert_string_not_equal(a, b);
        assert_null(pc_random_hex(257));
}

static void test_mkdir_p(void **state)
{
        (void) state;
        char tmpl[] = "/tmp/pincer-test-mkdir-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        _cleanup_free_ char *deep = xasprintf("%s/a/b/c", tmpl);
        assert_int_equal(pc_mkdir_p(deep, 0700), 0); /* made, parents too */
        struct stat st;
        assert_int_equal(stat(deep, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(pc_mkdir_p(deep, 0700), 0); /* already there */
        _cleanup_free_ char *file = xasprintf("%s/a/file", tmpl);
        int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(pc_mkdir_p(file, 0700), -ENOTDIR); /* something else is there */
        _cleanup_free_ char *under = xasprintf("%s/x", file);
        assert_int_equal(pc_mkdir_p(under, 0700), -ENOTDIR); /* a parent is a file */
        assert_int_equal(pc_rm_rf(tmpl), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_buf),        cmocka_unit_test(test_error),
                cmocka_unit_test(test_suggest),    cmocka_unit_test(test_jsonpath),
                cmocka_unit_test(test_jsonpos),    cmocka_unit_test(test_redact),
                cmocka_unit_test(test_diags),      cmocka_unit_test(test_time_iso),
                cmocka_unit_test(test_random_hex), cmocka_unit_test(test_utf8_fit),
                cmocka_unit_test(test_mkdir_p),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
