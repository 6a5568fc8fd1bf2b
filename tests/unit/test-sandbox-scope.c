/* SPDX-License-Identifier: MIT */
/* Is a session sandboxed, scope keys, slugs and names (spec 1.3, 1.4). */
#include "test-util.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "sandbox/sandbox.h"

static const char *fake_env(const char *name, void *userdata)
{
        return strcmp(name, "HOME") == 0 ? "/home/tester" : NULL;
}

static PcConfig *load(const char *text)
{
        PcConfigLoadOptions opts = {.env = fake_env, .state_dir = "/state"};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_config_load_buffer(text, strlen(text), "/etc/test.json5", &opts, &diags, &cfg,
                                  &err) < 0) {
                _cleanup_buf_ PcBuf t = PC_BUF_INIT;
                pc_diags_format_text(&diags, &t);
                fail_msg("config did not load: %s\n%s", err.msg, t.buf);
        }
        return cfg;
}

static void assert_str_take(char *got, const char *want)
{
        if (!want) {
                if (got)
                        fail_msg("expected NULL, got '%s'", got);
                return;
        }
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
}

/* ---- 1.4 ------------------------------------------------------------------------------- */

static void test_slug_vectors(void **state)
{
        /* Every vector of spec 1.4. */
        assert_str_take(pc_sandbox_slug("agent:main"), "agent-main-f331f052");
        assert_str_take(pc_sandbox_slug("agent:main:main"), "agent-main-main-6d9217fe");
        assert_str_take(pc_sandbox_slug("agent:family"), "agent-family-99f487df");
        assert_str_take(pc_sandbox_slug("agent:main:whatsapp:group:120363424282127706@g.us"),
                        "agent-main-whatsapp-group-120363-407409dc");
        /* The hash is of the trimmed text. */
        assert_str_take(pc_sandbox_slug("  agent:main\t"), "agent-main-f331f052");
}

static void test_slug_rules(void **state)
{
        char hex[PC_SHA256_HEX_SIZE];
        char want[64];

        /* empty → "session", hashed as "session" */
        pc_sha256_hex("session", hex);
        snprintf(want, sizeof(want), "session-%.8s", hex);
        assert_str_take(pc_sandbox_slug(""), want);
        assert_str_take(pc_sandbox_slug("   "), want);
        assert_str_take(pc_sandbox_slug(NULL), want);

        /* nothing safe left → base "session", hash of the original */
        pc_sha256_hex("!!!", hex);
        snprintf(want, sizeof(want), "session-%.8s", hex);
        assert_str_take(pc_sandbox_slug("!!!"), want);

        /* lower case; runs collapse to one '-'; '.', '_' and '-' are kept; ends stripped */
        pc_sha256_hex("--Foo..Bar__x  @@ y--", hex);
        snprintf(want, sizeof(want), "foo..bar__x-y-%.8s", hex);
        assert_str_take(pc_sandbox_slug("--Foo..Bar__x  @@ y--"), want);

        /* UTF-8 is outside [a-z0-9._-]: one '-' per run of bytes */
        pc_sha256_hex("caf\xc3\xa9:x", hex);
        snprintf(want, sizeof(want), "caf-x-%.8s", hex);
        assert_str_take(pc_sandbox_slug("caf\xc3\xa9:x"), want);

        /* the base is cut to 32 bytes (after stripping), the hash is always 8 hex digits */
        char *s = pc_sandbox_slug("agent:abcdefghijklmnopqrstuvwxyz0123456789");
        assert_int_equal(strlen(s), 32 + 1 + 8);
        assert_memory_equal(s, "agent-abcdefghijklmnopqrstuvwxyz-", 33);
        free(s);
}

static void test_names(void **state)
{
        assert_str_take(pc_sandbox_name(NULL, PC_SANDBOX_SCOPE_AGENT, "agent:main"),
                        "pincer-sbx-agent-main-f331f052");
        assert_str_take(pc_sandbox_name("pincer-sbx-", PC_SANDBOX_SCOPE_AGENT, "agent:family"),
                        "pincer-sbx-agent-family-99f487df");
        /* OpenClaw's prefixes give OpenClaw's names (spec 1.4) */
        assert_str_take(pc_sandbox_name("openclaw-sbx-", PC_SANDBOX_SCOPE_AGENT, "agent:main"),
                        "openclaw-sbx-agent-main-f331f052");
        assert_str_take(
                pc_sandbox_name("openclaw-sbx-browser-", PC_SANDBOX_SCOPE_AGENT, "agent:main"),
                "openclaw-sbx-browser-agent-main-f331f052");
        assert_str_take(pc_sandbox_name(NULL, PC_SANDBOX_SCOPE_SESSION,
                                        "agent:main:whatsapp:group:120363424282127706@g.us"),
                        "pincer-sbx-agent-main-whatsapp-group-120363-407409dc");
        /* shared: no slug, no hash */
        assert_str_take(pc_sandbox_name(NULL, PC_SANDBOX_SCOPE_SHARED, "shared"),
                        "pincer-sbx-shared");
        /* a session key that happens to be "shared" is slugged like any other */
        char *s = pc_sandbox_name(NULL, PC_SANDBOX_SCOPE_SESSION, "shared");
        assert_true(strncmp(s, "pincer-sbx-shared-", 18) == 0);
        free(s);
}

static void test_name_cap(void **state)
{
        /* 41-byte prefix + 41-byte slug = 82 bytes, cut to 63 */
        const char *prefix = "a-very-long-container-prefix-for-testing-";
        assert_int_equal(strlen(prefix), 41);
        char *n = pc_sandbox_name(prefix, PC_SANDBOX_SCOPE_SESSION,
                                  "agent:main:whatsapp:group:120363424282127706@g.us");
        assert_int_equal(strlen(n), PC_SANDBOX_NAME_MAX);
        assert_string_equal(n, "a-very-long-container-prefix-for-testing-agent-main-whatsapp-gr");
        free(n);

        /* exactly 63 is kept whole; the default prefix never needs cutting */
        char prefix22[23];
        memset(prefix22, 'p', 22);
        prefix22[22] = '\0';
        n = pc_sandbox_name(prefix22, PC_SANDBOX_SCOPE_SESSION,
                            "agent:main:whatsapp:group:120363424282127706@g.us");
        assert_int_equal(strlen(n), 63);
        assert_string_equal(n + 22, "agent-main-whatsapp-group-120363-407409dc");
        free(n);
        for (int len = 0; len < 200; len += 7) {
                char key[256];
                memset(key, 'k', (size_t) len);
                key[len] = '\0';
                n = pc_sandbox_name(NULL, PC_SANDBOX_SCOPE_SESSION, key);
                assert_true(strlen(n) <= PC_SANDBOX_NAME_MAX);
                free(n);
        }
}

static void test_scope_keys(void **state)
{
        assert_str_take(pc_sandbox_scope_key(PC_SANDBOX_SCOPE_SESSION, " agent:main:x ", "main"),
                        "agent:main:x");
        assert_str_take(pc_sandbox_scope_key(PC_SANDBOX_SCOPE_SESSION, "", "main"), "main");
        assert_str_take(pc_sandbox_scope_key(PC_SANDBOX_SCOPE_SESSION, NULL, "main"), "main");
        assert_str_take(pc_sandbox_scope_key(PC_SANDBOX_SCOPE_AGENT, "agent:ops:cron:1", "ops"),
                        "agent:ops");
        assert_str_take(pc_sandbox_scope_key(PC_SANDBOX_SCOPE_SHARED, "agent:ops:x", "ops"),
                        "shared");
}

static void test_workspace_dirs(void **state)
{
        assert_str_take(pc_sandbox_workspace_dir("/home/u/.pincer/sandboxes",
                                                 PC_SANDBOX_SCOPE_AGENT, "agent:main"),
                        "/home/u/.pincer/sandboxes/agent-main-f331f052");
        assert_str_take(
                pc_sandbox_workspace_dir("/srv/sbx//", PC_SANDBOX_SCOPE_AGENT, "agent:family"),
                "/srv/sbx/agent-family-99f487df");
        /* shared: the root itself, not a sub-directory */
        assert_str_take(
                pc_sandbox_workspace_dir("/tmp/work-sandboxes/", PC_SANDBOX_SCOPE_SHARED, "shared"),
                "/tmp/work-sandboxes");
}

/* ---- 1.3 ------------------------------------------------------------------------------- */

static void test_agent_id_from_key(void **state)
{
        assert_str_take(pc_session_key_agent_id("agent:main:main"), "main");
        assert_str_take(pc_session_key_agent_id("agent:Family:whatsapp:group:1"), "family");
        assert_str_take(pc_session_key_agent_id(" AGENT:ops:cron:nightly "), "ops");
        assert_str_take(pc_session_key_agent_id("agent::ops:x"), "ops"); /* empty parts dropped */
        assert_str_take(pc_session_key_agent_id("agent:main"), NULL);    /* needs three parts */
        assert_str_take(pc_session_key_agent_id("main"), NULL);
        assert_str_take(pc_session_key_agent_id("global"), NULL);
        assert_str_take(pc_session_key_agent_id(""), NULL);
        assert_str_take(pc_session_key_agent_id("session:agent:x:y"), NULL);
}

static void test_canonical_keys(void **state)
{
        assert_str_take(pc_sandbox_main_session_key("ops", false), "agent:ops:main");
        assert_str_take(pc_sandbox_main_session_key("ops", true), "global");

        /* the aliases */
        assert_str_take(pc_sandbox_canonical_session_key("main", "ops", false), "agent:ops:main");
        assert_str_take(pc_sandbox_canonical_session_key(" agent:ops:main ", "ops", false),
                        "agent:ops:main");
        assert_str_take(pc_sandbox_canonical_session_key("agent:main:main", "ops", false),
                        "agent:ops:main"); /* legacy */
        assert_str_take(pc_sandbox_canonical_session_key("main", "Ops", false), "agent:ops:main");
        /* global scope */
        assert_str_take(pc_sandbox_canonical_session_key("main", "ops", true), "global");
        assert_str_take(pc_sandbox_canonical_session_key("agent:ops:main", "ops", true), "global");
        assert_str_take(pc_sandbox_canonical_session_key("agent:main:main", "main", true),
                        "global");
        /* everything else is itself, trimmed; the comparison is exact */
        assert_str_take(pc_sandbox_canonical_session_key("agent:ops:subagent:1", "ops", false),
                        "agent:ops:subagent:1");
        assert_str_take(pc_sandbox_canonical_session_key("Agent:Ops:Main", "ops", false),
                        "Agent:Ops:Main");
        assert_str_take(pc_sandbox_canonical_session_key("agent:other:main", "ops", false),
                        "agent:other:main");
        assert_str_take(pc_sandbox_canonical_session_key("   ", "ops", false), "");
}

static void test_mode_decision(void **state)
{
        const char *m = "agent:main:main";
        assert_false(pc_sandbox_mode_sandboxes(PC_SANDBOX_MODE_OFF, "agent:main:x", m));
        assert_true(pc_sandbox_mode_sandboxes(PC_SANDBOX_MODE_ALL, m, m));
        assert_true(pc_sandbox_mode_sandboxes(PC_SANDBOX_MODE_NON_MAIN, "agent:main:x", m));
        assert_false(pc_sandbox_mode_sandboxes(PC_SANDBOX_MODE_NON_MAIN, m, m));
        /* an empty key is never sandboxed, even under "all" */
        assert_false(pc_sandbox_mode_sandboxes(PC_SANDBOX_MODE_ALL, "", m));
        assert_false(pc_sandbox_mode_sandboxes(PC_SANDBOX_MODE_ALL, NULL, m));

        assert_int_equal(pc_sandbox_mode_from_string("non-main"), PC_SANDBOX_MODE_NON_MAIN);
        assert_int_equal(pc_sandbox_mode_from_string("bogus"), -EINVAL);
        assert_string_equal(pc_sandbox_mode_to_string(PC_SANDBOX_MODE_ALL), "all");
        assert_null(pc_sandbox_mode_to_string(_PC_SANDBOX_MODE_MAX));
        assert_int_equal(pc_sandbox_scope_from_string("shared"), PC_SANDBOX_SCOPE_SHARED);
        assert_int_equal(pc_workspace_access_from_string("ro"), PC_WORKSPACE_ACCESS_RO);
}

typedef struct Case {
        const char *key;
        const char *agent;
        bool sandboxed;
} Case;

static void check_cases(PcConfig *cfg, const Case *cases, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                PcSandboxSession s = {0};
                PcError err = PC_ERROR_INIT;
                if (pc_sandbox_session_resolve(cfg, cases[i].key, &s, &err) < 0)
                        fail_msg("'%s': %s", cases[i].key, err.msg);
                if (s.sandboxed != cases[i].sandboxed || strcmp(s.agent_id, cases[i].agent) != 0)
                        fail_msg("'%s': agent '%s' sandboxed %d, expected agent '%s' %d (canonical "
                                 "'%s', main '%s')",
                                 cases[i].key, s.agent_id, s.sandboxed, cases[i].agent,
                                 cases[i].sandboxed, s.canonical_key, s.main_key);
                pc_sandbox_session_release(&s);
        }
}

static void test_sessions_non_main(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{mode:'non-main'}},list:[{id:'main',"
                             "default:true},{id:'ops'},{id:'pub',sandbox:{mode:'all'}},{id:'off',"
                             "sandbox:{mode:'off'}}]}}");
        static const Case cases[] = {
                {"main", "main", false},
                {"agent:main:main", "main", false},
                {"agent:ops:main", "ops", false},
                {"agent:ops:subagent:2f6c", "ops", true},
                {"agent:ops:cron:nightly", "ops", true},
                {"agent:ops:whatsapp:group:120363424282127706@g.us", "ops", true},
                {"agent:ops:whatsapp:dm:+15550001", "ops", true}, /* per-peer DM scope */
                {"agent:Ops:main", "ops", true},    /* aliases compare exactly: fails closed */
                {"telegram:group:1", "main", true}, /* no agent prefix: the default agent */
                {"", "main", false},                /* never */
                {"   ", "main", false},
                {"agent:pub:main", "pub", true}, /* mode all */
                {"agent:off:whatsapp:group:1", "off", false},
        };
        check_cases(cfg, cases, ELEMENTSOF(cases));

        PcSandboxSession s = {0};
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_sandbox_session_resolve(cfg, "agent:ghost:main", &s, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "ghost"));
        pc_config_unref(cfg);
}

static void test_sessions_global_scope(void **state)
{
        PcConfig *cfg = load("{session:{scope:'global'},agents:{defaults:{sandbox:{mode:'non-main'"
                             "}},list:[{id:'main'},{id:'ops'}]}}");
        static const Case cases[] = {
                {"main", "main", false},
                {"global", "main", false},
                {"agent:main:main", "main", false},
                {"agent:ops:main", "ops", false},
                {"agent:ops:discord:group:1", "ops", true},
        };
        check_cases(cfg, cases, ELEMENTSOF(cases));
        PcSandboxSession s = {0};
        assert_int_equal(pc_sandbox_session_resolve(cfg, "agent:ops:main", &s, NULL), 0);
        assert_string_equal(s.main_key, "global");
        assert_string_equal(s.canonical_key, "global");
        pc_sandbox_session_release(&s);
        pc_config_unref(cfg);
}

static void test_sessions_default_off(void **state)
{
        PcConfig *cfg = load("{}");
        static const Case cases[] = {
                {"agent:main:subagent:1", "main", false},
                {"main", "main", false},
        };
        check_cases(cfg, cases, ELEMENTSOF(cases));
        pc_config_unref(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_slug_vectors),
                cmocka_unit_test(test_slug_rules),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_name_cap),
                cmocka_unit_test(test_scope_keys),
                cmocka_unit_test(test_workspace_dirs),
                cmocka_unit_test(test_agent_id_from_key),
                cmocka_unit_test(test_canonical_keys),
                cmocka_unit_test(test_mode_decision),
                cmocka_unit_test(test_sessions_non_main),
                cmocka_unit_test(test_sessions_global_scope),
                cmocka_unit_test(test_sessions_default_off),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
