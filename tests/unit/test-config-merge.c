/* SPDX-License-Identifier: MIT */
/* The merge rules of agents.defaults and per-agent overrides (spec 1.16, 3.7, 4.2). */
#include "test-util.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "config/config.h"

static const char *fake_env(const char *name, void *userdata)
{
        if (strcmp(name, "HOME") == 0)
                return "/home/tester";
        return NULL;
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

/* The effective configuration of agent id, navigated by a dotted path. */
static json_t *eff(PcConfig *cfg, const char *id)
{
        const PcAgent *a = pc_config_find_agent(cfg, id);
        if (!a)
                fail_msg("no agent '%s'", id);
        return pc_config_agent_effective(cfg, a, false);
}

static const json_t *at(const json_t *v, const char *path)
{
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *t = strtok_r(copy, ".", &save); t; t = strtok_r(NULL, ".", &save)) {
                v = json_object_get(v, t);
                if (!v)
                        fail_msg("no '%s' in path '%s'", t, path);
        }
        return v;
}

static void assert_json(const json_t *v, const char *expected_json)
{
        json_t *want = json_loads(expected_json, JSON_DECODE_ANY, NULL);
        assert_non_null(want);
        if (!json_equal(v, want)) {
                char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
                fail_msg("expected %s, got %s", expected_json, got);
        }
        json_decref(want);
}

static void test_defaults(void **state)
{
        PcConfig *cfg = load("{}");
        json_t *e = eff(cfg, "main");
        assert_json(at(e, "sandbox.mode"), "\"off\"");
        assert_json(at(e, "sandbox.scope"), "\"agent\"");
        assert_json(at(e, "sandbox.workspaceAccess"), "\"none\"");
        assert_json(at(e, "sandbox.backend"), "\"native\"");
        assert_json(at(e, "sandbox.workspaceRoot"), "\"/state/sandboxes\"");
        assert_json(at(e, "sandbox.docker.image"), "\"openclaw-sandbox:bookworm-slim\"");
        assert_json(at(e, "sandbox.docker.containerPrefix"), "\"pincer-sbx-\"");
        assert_json(at(e, "sandbox.docker.workdir"), "\"/workspace\"");
        assert_json(at(e, "sandbox.docker.readOnlyRoot"), "true");
        assert_json(at(e, "sandbox.docker.tmpfs"), "[\"/tmp\",\"/var/tmp\",\"/run\"]");
        assert_json(at(e, "sandbox.docker.network"), "\"none\"");
        assert_json(at(e, "sandbox.docker.capDrop"), "[\"ALL\"]");
        assert_json(at(e, "sandbox.docker.env"), "{\"LANG\":\"C.UTF-8\"}");
        assert_json(at(e, "sandbox.prune.idleHours"), "24");
        assert_json(at(e, "sandbox.prune.maxAgeDays"), "7");
        assert_json(at(e, "workspace"), "\"/state/workspace\"");
        assert_json(at(e, "agentDir"), "\"/state/agents/main/agent\"");
        assert_json(at(e, "mainSessionKey"), "\"agent:main:main\"");
        assert_json(at(e, "tools.elevated.enabled"), "false");
        json_decref(e);
        pc_config_unref(cfg);
}

static void test_scalars_and_arrays(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{mode:'non-main',docker:{tmpfs:['/tmp'],"
                             "memory:'1g'}}},list:[{id:'a'},{id:'b',sandbox:{mode:'all',docker:{"
                             "tmpfs:['/scratch']}}}]}}");
        json_t *a = eff(cfg, "a"), *b = eff(cfg, "b");
        assert_json(at(a, "sandbox.mode"), "\"non-main\"");
        assert_json(at(b, "sandbox.mode"), "\"all\"");
        assert_json(at(a, "sandbox.docker.tmpfs"), "[\"/tmp\"]");
        assert_json(at(b, "sandbox.docker.tmpfs"), "[\"/scratch\"]"); /* arrays replace */
        assert_json(at(b, "sandbox.docker.memory"), "\"1g\"");
        json_decref(a);
        json_decref(b);
        pc_config_unref(cfg);
}

static void test_env_merge(void **state)
{
        /* Setting any defaults env drops the LANG default; an agent env merges over it. */
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{docker:{env:{FOO:'1'}}}},list:[{id:'a'},"
                             "{id:'b',sandbox:{docker:{env:{BAR:'2',FOO:'3'}}}}]}}");
        json_t *a = eff(cfg, "a"), *b = eff(cfg, "b");
        assert_json(at(a, "sandbox.docker.env"), "{\"FOO\":\"1\"}");
        assert_json(at(b, "sandbox.docker.env"), "{\"FOO\":\"3\",\"BAR\":\"2\"}");
        json_decref(a);
        json_decref(b);
        pc_config_unref(cfg);

        cfg = load("{agents:{list:[{id:'a',sandbox:{docker:{env:{BAR:'2'}}}}]}}");
        a = eff(cfg, "a");
        assert_json(at(a, "sandbox.docker.env"), "{\"LANG\":\"C.UTF-8\",\"BAR\":\"2\"}");
        json_decref(a);
        pc_config_unref(cfg);
}

static void test_ulimits_and_binds(void **state)
{
        PcConfig *cfg =
                load("{agents:{defaults:{sandbox:{docker:{ulimits:{nofile:{soft:1024,hard:2048},"
                     "nproc:256},binds:['/srv/a:/"
                     "a:ro']}}},list:[{id:'x',sandbox:{docker:{ulimits:{nproc:"
                     "512},binds:['/srv/b:/b']}}},{id:'y'}]}}");
        json_t *x = eff(cfg, "x"), *y = eff(cfg, "y");
        assert_json(at(x, "sandbox.docker.ulimits"),
                    "{\"nofile\":{\"soft\":1024,\"hard\":2048},\"nproc\":512}");
        assert_json(at(x, "sandbox.docker.binds"), "[\"/srv/a:/a:ro\",\"/srv/b:/b\"]");
        assert_json(at(y, "sandbox.docker.binds"), "[\"/srv/a:/a:ro\"]");
        json_decref(x);
        json_decref(y);
        pc_config_unref(cfg);
}

static void test_shared_scope_ignores_agent_docker(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{docker:{memory:'1g'}}},list:[{id:'w',"
                             "sandbox:{mode:'all',scope:'shared',workspaceRoot:'/tmp/work',docker:{"
                             "memory:'4g'},prune:{idleHours:1}}}]}}");
        json_t *w = eff(cfg, "w");
        assert_json(at(w, "sandbox.scope"), "\"shared\"");
        assert_json(at(w, "sandbox.mode"), "\"all\"");                /* top level applies */
        assert_json(at(w, "sandbox.workspaceRoot"), "\"/tmp/work\""); /* top level applies */
        assert_json(at(w, "sandbox.docker.memory"), "\"1g\"");        /* agent's ignored */
        assert_json(at(w, "sandbox.prune.idleHours"), "24");          /* agent's ignored */
        json_decref(w);
        pc_config_unref(cfg);
}

static void test_legacy_per_session(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{perSession:true}},list:[{id:'a'},{id:"
                             "'b',sandbox:{perSession:false}},{id:'c',sandbox:{scope:'agent'}}]}}");
        json_t *a = eff(cfg, "a"), *b = eff(cfg, "b"), *c = eff(cfg, "c");
        assert_json(at(a, "sandbox.scope"), "\"session\"");
        assert_json(at(b, "sandbox.scope"), "\"shared\"");
        assert_json(at(c, "sandbox.scope"), "\"agent\"");
        json_decref(a);
        json_decref(b);
        json_decref(c);
        pc_config_unref(cfg);
}

static void test_backend(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{backend:' docker '}},list:[{id:'a'},{id:"
                             "'b',sandbox:{backend:'native'}}]}}");
        json_t *a = eff(cfg, "a"), *b = eff(cfg, "b");
        assert_json(at(a, "sandbox.backend"), "\"docker\"");
        assert_json(at(b, "sandbox.backend"), "\"native\"");
        json_decref(a);
        json_decref(b);
        pc_config_unref(cfg);
}

static void test_workspace_paths(void **state)
{
        PcConfig *cfg = load("{agents:{list:[{id:'main',default:true},{id:'family'},{id:'own',"
                             "workspace:'~/own',agentDir:'/srv/own-agent'}]}}");
        json_t *m = eff(cfg, "main"), *f = eff(cfg, "family"), *o = eff(cfg, "own");
        assert_json(at(m, "workspace"), "\"/state/workspace\"");
        assert_json(at(f, "workspace"), "\"/state/workspace-family\"");
        assert_json(at(o, "workspace"), "\"/home/tester/own\"");
        assert_json(at(o, "agentDir"), "\"/srv/own-agent\"");
        assert_json(at(f, "agentDir"), "\"/state/agents/family/agent\"");
        json_decref(m);
        json_decref(f);
        json_decref(o);
        pc_config_unref(cfg);

        cfg = load("{agents:{defaults:{workspace:'/srv/ws'},list:[{id:'main'},{id:'family'}]}}");
        m = eff(cfg, "main");
        f = eff(cfg, "family");
        assert_json(at(m, "workspace"), "\"/srv/ws\"");
        assert_json(at(f, "workspace"), "\"/srv/ws/family\"");
        json_decref(m);
        json_decref(f);
        pc_config_unref(cfg);
}

static void test_sandbox_tools_picked_independently(void **state)
{
        PcConfig *cfg = load("{tools:{sandbox:{tools:{allow:['read'],deny:['browser']}}},agents:{"
                             "list:[{id:'a',tools:{sandbox:{tools:{deny:['exec']}}}},{id:'b'}]}}");
        json_t *a = eff(cfg, "a"), *b = eff(cfg, "b");
        assert_json(at(a, "tools.sandboxTools.allow.value"), "[\"read\"]");
        assert_json(at(a, "tools.sandboxTools.allow.source"), "\"tools.sandbox.tools.allow\"");
        assert_json(at(a, "tools.sandboxTools.deny.value"), "[\"exec\"]");
        assert_json(at(a, "tools.sandboxTools.deny.source"),
                    "\"agents.list[0].tools.sandbox.tools.deny\"");
        assert_json(at(b, "tools.sandboxTools.deny.value"), "[\"browser\"]");
        assert_json(at(a, "tools.sandboxTools.alsoAllow.source"), "\"default\"");
        json_decref(a);
        json_decref(b);
        pc_config_unref(cfg);

        cfg = load("{}");
        json_t *m = eff(cfg, "main");
        assert_json(at(m, "tools.sandboxTools.allow.source"), "\"default\"");
        const json_t *deny = at(m, "tools.sandboxTools.deny.value");
        assert_true(json_array_size(deny) > 5);
        assert_json(json_array_get(deny, 0), "\"browser\"");
        json_decref(m);
        pc_config_unref(cfg);
}

static void test_profile_replaces(void **state)
{
        PcConfig *cfg = load("{tools:{profile:'coding'},agents:{list:[{id:'main'},{id:'support',"
                             "tools:{profile:'messaging',alsoAllow:['slack']}}]}}");
        json_t *m = eff(cfg, "main"), *s = eff(cfg, "support");
        assert_json(at(m, "tools.profile"), "\"coding\"");
        assert_json(at(m, "tools.profileSource"), "\"tools.profile\"");
        assert_json(at(s, "tools.profile"), "\"messaging\"");
        assert_json(at(s, "tools.profileSource"), "\"agents.list[1].tools.profile\"");
        json_decref(m);
        json_decref(s);
        pc_config_unref(cfg);
}

static void test_elevated_is_explicit(void **state)
{
        PcConfig *cfg = load("{tools:{elevated:{enabled:true}},agents:{list:[{id:'a'},{id:'b',"
                             "tools:{elevated:{enabled:false}}}]}}");
        json_t *a = eff(cfg, "a"), *b = eff(cfg, "b");
        assert_json(at(a, "tools.elevated.enabled"), "true");
        assert_json(at(b, "tools.elevated.enabled"), "false");
        json_decref(a);
        json_decref(b);
        pc_config_unref(cfg);

        cfg = load("{tools:{elevated:{enabled:false}},agents:{list:[{id:'a',tools:{elevated:{"
                   "enabled:true}}}]}}");
        a = eff(cfg, "a");
        assert_json(at(a, "tools.elevated.enabled"), "false"); /* a global false wins */
        json_decref(a);
        pc_config_unref(cfg);
}

static void test_default_agent(void **state)
{
        PcConfig *cfg = load("{agents:{list:[{id:'a'},{id:'b',default:true}]}}");
        assert_string_equal(pc_config_default_agent(cfg)->id, "b");
        pc_config_unref(cfg);
        cfg = load("{agents:{list:[{id:'a'},{id:'b'}]}}");
        assert_string_equal(pc_config_default_agent(cfg)->id, "a");
        pc_config_unref(cfg);
        cfg = load("{agents:{entries:{work:{},home:{default:true}}}}");
        assert_string_equal(pc_config_default_agent(cfg)->id, "home");
        assert_non_null(pc_config_find_agent(cfg, "Work"));
        pc_config_unref(cfg);
}

static void test_agent_id_normalize(void **state)
{
        static const char *const vectors[][2] = {
                {"main", "main"},   {"Family", "family"}, {"  My Agent! ", "my-agent"},
                {"", "main"},       {"   ", "main"},      {"--x--", "x"},
                {"a.b/c", "a-b-c"}, {"_x", "_x"},         {"work_2", "work_2"},
                {"ÄÖÜ", "main"},    {"über", "ber"},
        };
        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
                char *n = pc_agent_id_normalize(vectors[i][0]);
                if (strcmp(n, vectors[i][1]) != 0)
                        fail_msg("normalize('%s') = '%s', want '%s'", vectors[i][0], n,
                                 vectors[i][1]);
                free(n);
        }
        char longid[100];
        memset(longid, 'a', 99);
        longid[99] = '\0';
        char *n = pc_agent_id_normalize(longid);
        assert_int_equal(strlen(n), 64);
        free(n);
}

static void test_family_example(void **state)
{
        _cleanup_free_ char *path =
                xasprintf("%s/examples/multi-agent-family.json5", test_source_dir());
        PcConfigLoadOptions opts = {.path = path, .env = fake_env, .state_dir = "/state"};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_config_load(&opts, &diags, &cfg, &err), 0);
        json_t *m = eff(cfg, "main"), *f = eff(cfg, "family");
        assert_json(at(m, "sandbox.mode"), "\"off\"");
        assert_json(at(m, "workspace"), "\"/home/tester/.pincer/workspace\"");
        assert_json(at(f, "sandbox.mode"), "\"all\"");
        assert_json(at(f, "sandbox.scope"), "\"agent\"");
        assert_json(at(f, "sandbox.workspaceAccess"), "\"none\"");
        const json_t *layers = at(f, "tools.layers");
        assert_int_equal(json_array_size(layers), 1);
        assert_json(json_object_get(json_array_get(layers, 0), "source"),
                    "\"agents.list[1].tools\"");
        assert_json(json_object_get(json_array_get(layers, 0), "allow"), "[\"read\"]");
        json_decref(m);
        json_decref(f);
        pc_config_unref(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_scalars_and_arrays),
                cmocka_unit_test(test_env_merge),
                cmocka_unit_test(test_ulimits_and_binds),
                cmocka_unit_test(test_shared_scope_ignores_agent_docker),
                cmocka_unit_test(test_legacy_per_session),
                cmocka_unit_test(test_backend),
                cmocka_unit_test(test_workspace_paths),
                cmocka_unit_test(test_sandbox_tools_picked_independently),
                cmocka_unit_test(test_profile_replaces),
                cmocka_unit_test(test_elevated_is_explicit),
                cmocka_unit_test(test_default_agent),
                cmocka_unit_test(test_agent_id_normalize),
                cmocka_unit_test(test_family_example),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
