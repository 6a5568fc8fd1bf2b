/* SPDX-License-Identifier: MIT */
/*
 * Config loading against the fixtures: every file in tests/fixtures/configs/invalid must fail
 * with exactly the diagnostics in its .err file; every file in valid/ and examples/ must load,
 * with exactly the warnings in its .warn file (none if there is no such file).
 *
 * Regenerate the golden files after a deliberate change of wording with
 *   PINCER_UPDATE_GOLDEN=1 ctest -R test-config-load
 * and review the diff.
 */
#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include "test-util.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/redact.h"
#include "config/config.h"

/* Where the tests started: a failed assertion leaves a test mid-chdir, so each test starts by
 * returning here (see reset_cwd). */
static char initial_cwd[4096];

static int reset_cwd(void **state)
{
        return chdir(initial_cwd);
}

static const char *fake_env(const char *name, void *userdata)
{
        static const char *const vars[][2] = {
                {"HOME", "/home/tester"},
                {"PINCER_TEST_TOKEN", "s3cret-token-value"},
                {"PINCER_TEST_DIR", "data"},
                {"PINCER_TEST_EMPTY", ""},
        };
        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
                if (strcmp(vars[i][0], name) == 0)
                        return vars[i][1];
        return NULL;
}

static int load_fixture(const char *name, PcDiags *diags, PcConfig **ret)
{
        PcConfigLoadOptions opts = {.path = name, .env = fake_env};
        PcError err = PC_ERROR_INIT;
        return pc_config_load(&opts, diags, ret, &err);
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void check_golden(const char *golden_path, const char *actual)
{
        if (getenv("PINCER_UPDATE_GOLDEN")) {
                if (*actual)
                        test_write_file(golden_path, actual);
                else
                        (void) unlink(golden_path);
                return;
        }
        char *expected = test_read_file(golden_path, NULL);
        if (!expected)
                expected = strdup("");
        if (strcmp(expected, actual) != 0)
                fail_msg("%s differs.\n--- expected\n%s--- actual\n%s", golden_path, expected,
                         actual);
        free(expected);
}

/* Runs fn(name) for every *.json5 in dir that is not an .inc.json5 include target. */
static size_t for_each_fixture(const char *dir, void (*fn)(const char *name))
{
        char cwd[4096];
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(dir), 0);
        struct dirent **names;
        int n = scandir(".", &names, NULL, alphasort);
        assert_true(n >= 0);
        size_t count = 0;
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                if (ends_with(name, ".json5") && !ends_with(name, ".inc.json5")) {
                        fn(name);
                        count++;
                }
                free(names[i]);
        }
        free(names);
        assert_int_equal(chdir(cwd), 0);
        return count;
}

static void check_invalid(const char *name)
{
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        int r = load_fixture(name, &diags, &cfg);
        if (r >= 0)
                fail_msg("%s: loaded, but it is an invalid fixture", name);
        assert_null(cfg);
        if (diags.n_errors == 0)
                fail_msg("%s: failed (%d) without an error diagnostic", name, r);
        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        pc_diags_format_text(&diags, &text);
        /* Every error names a position, except I/O failures that have no line to point at. */
        for (size_t i = 0; i < diags.n; i++)
                if (diags.items[i].level == PC_DIAG_ERROR && !diags.items[i].file)
                        fail_msg("%s: error without a file: %s", name, diags.items[i].message);
        _cleanup_free_ char *golden = xasprintf("%.*s.err", (int) (strlen(name) - 6), name);
        check_golden(golden, text.buf);
}

static void check_valid(const char *name)
{
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        int r = load_fixture(name, &diags, &cfg);
        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        pc_diags_format_text(&diags, &text);
        if (r < 0)
                fail_msg("%s: failed to load:\n%s", name, text.buf);
        _cleanup_free_ char *golden = xasprintf("%.*s.warn", (int) (strlen(name) - 6), name);
        check_golden(golden, text.buf);

        /* The effective view of every agent builds, and never shows the test secret. */
        for (size_t i = 0; i < pc_config_n_agents(cfg); i++) {
                json_t *e = pc_config_agent_effective(cfg, pc_config_agent(cfg, i), true);
                assert_non_null(e);
                char *s = json_dumps(e, 0);
                if (strstr(s, "s3cret"))
                        fail_msg("%s: the effective view of '%s' shows a secret", name,
                                 pc_config_agent(cfg, i)->id);
                free(s);
                json_decref(e);
        }
        json_t *red = pc_config_redacted(cfg);
        char *s = json_dumps(red, 0);
        assert_null(strstr(s, "s3cret"));
        free(s);
        json_decref(red);
        pc_config_unref(cfg);
}

static void test_invalid_fixtures(void **state)
{
        _cleanup_free_ char *dir =
                xasprintf("%s/tests/fixtures/configs/invalid", test_source_dir());
        assert_true(for_each_fixture(dir, check_invalid) >= 15);
}

static void test_valid_fixtures(void **state)
{
        _cleanup_free_ char *dir = xasprintf("%s/tests/fixtures/configs/valid", test_source_dir());
        assert_true(for_each_fixture(dir, check_valid) >= 4);
}

static void test_examples(void **state)
{
        _cleanup_free_ char *dir = xasprintf("%s/examples", test_source_dir());
        assert_true(for_each_fixture(dir, check_valid) >= 6);
}

static void test_env_substitution(void **state)
{
        _cleanup_free_ char *dir = xasprintf("%s/tests/fixtures/configs/valid", test_source_dir());
        char cwd[4096];
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(dir), 0);
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        assert_int_equal(load_fixture("env.json5", &diags, &cfg), 0);
        assert_int_equal(chdir(cwd), 0);

        const json_t *root = pc_config_root(cfg);
        json_t *v =
                json_object_get(json_object_get(json_object_get(root, "gateway"), "auth"), "token");
        assert_string_equal(json_string_value(v), "s3cret-token-value");
        const json_t *defaults = json_object_get(json_object_get(root, "agents"), "defaults");
        assert_string_equal(json_string_value(json_object_get(defaults, "workspace")),
                            "/srv/${NOT_SUBSTITUTED}/data");
        json_t *env = json_object_get(
                json_object_get(json_object_get(json_object_get(defaults, "sandbox"), "docker"),
                                "env"),
                "NOTE");
        assert_string_equal(json_string_value(env), "${lower_case_left_alone}");
        pc_config_unref(cfg);
}

static void test_includes_merge(void **state)
{
        _cleanup_free_ char *dir = xasprintf("%s/tests/fixtures/configs/valid", test_source_dir());
        char cwd[4096];
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(dir), 0);
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        assert_int_equal(load_fixture("includes.json5", &diags, &cfg), 0);
        assert_int_equal(chdir(cwd), 0);

        /* Arrays concatenate (included first, siblings last); later scalars win. */
        assert_int_equal(pc_config_n_agents(cfg), 2);
        assert_string_equal(pc_config_agent(cfg, 0)->id, "main");
        assert_string_equal(pc_config_agent(cfg, 1)->id, "extra");
        const json_t *tools = json_object_get(pc_config_root(cfg), "tools");
        assert_string_equal(json_string_value(json_object_get(tools, "profile")), "coding");
        assert_int_equal(json_array_size(json_object_get(tools, "deny")), 1);
        pc_config_unref(cfg);
}

static void test_missing_default_config(void **state)
{
        char tmpl[] = "/tmp/pincer-test-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        PcConfigLoadOptions opts = {.state_dir = tmpl, .env = fake_env};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_config_load(&opts, &diags, &cfg, &err), 0);
        assert_false(pc_config_file_exists(cfg));
        assert_int_equal(pc_config_n_agents(cfg), 1);
        assert_string_equal(pc_config_default_agent(cfg)->id, "main");
        pc_config_unref(cfg);

        _cleanup_free_ char *missing = xasprintf("%s/nope.json5", tmpl);
        opts.path = missing;
        assert_int_equal(pc_config_load(&opts, &diags, &cfg, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "does not exist"));
        rmdir(tmpl);
}

static void test_size_limit(void **state)
{
        size_t n = PC_CONFIG_MAX_FILE_SIZE + 10;
        char *big = malloc(n);
        memset(big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        PcConfigLoadOptions opts = {.env = fake_env};
        assert_true(pc_config_load_buffer(big, n, "big.json5", &opts, &diags, &cfg, &err) < 0);
        assert_null(cfg);
        free(big);
}

int main(void)
{
        if (!getcwd(initial_cwd, sizeof(initial_cwd)))
                return 1;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_invalid_fixtures, reset_cwd),
                cmocka_unit_test_setup(test_valid_fixtures, reset_cwd),
                cmocka_unit_test_setup(test_examples, reset_cwd),
                cmocka_unit_test_setup(test_env_substitution, reset_cwd),
                cmocka_unit_test_setup(test_includes_merge, reset_cwd),
                cmocka_unit_test_setup(test_missing_default_config, reset_cwd),
                cmocka_unit_test_setup(test_size_limit, reset_cwd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
