/* SPDX-License-Identifier: MIT */
/* The sandbox lifecycle on the fake backend: create, reuse, recreate on a changed config,
 * leases, refused specs, the registry views, remove and prune. */
#include <sys/stat.h>

#include "test-util.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "config/config.h"
#include "sandbox/fake/fake-backend.h"
#include "sandbox/manager.h"
#include "store/store.h"

static char state_dir[64];
static int64_t fake_now = 1700000000000;

static int64_t clock_now(void)
{
        return fake_now;
}

static const char *fake_env(const char *name, void *userdata)
{
        return strcmp(name, "HOME") == 0 ? state_dir : NULL;
}

static PcConfig *load(const char *text)
{
        PcConfigLoadOptions opts = {.env = fake_env, .state_dir = state_dir};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_config_load_buffer(text, strlen(text), "/etc/t.json5", &opts, &diags, &cfg, &err) <
            0) {
                _cleanup_buf_ PcBuf t = PC_BUF_INIT;
                pc_diags_format_text(&diags, &t);
                fail_msg("config: %s\n%s", err.msg, t.buf);
        }
        return cfg;
}

typedef struct Fixture {
        PcFakeBackend *fb;
        PcStore *store;
        PcSandboxManager *m;
} Fixture;

static int setup(void **state)
{
        strcpy(state_dir, "/tmp/pincer-mgr-XXXXXX");
        assert_non_null(mkdtemp(state_dir));
        Fixture *f = xcalloc(1, sizeof(*f));
        f->fb = pc_fake_backend_new();
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_store_open(state_dir, &f->store, &err), 0);
        /* The fake stands in for "docker", the backend the configs below name. */
        PcSandboxBackendDef defs[] = {
                {.name = "docker", .ops = &pc_fake_sandbox_ops, .instance = f->fb},
        };
        f->m = pc_sandbox_manager_new(f->store, defs, 1);
        pc_sandbox_manager_set_clock(f->m, clock_now);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;
        pc_sandbox_manager_free(f->m);
        pc_store_close(f->store);
        pc_fake_backend_free(f->fb);
        free(f);
        return 0;
}

#define BASE                                                                                       \
        "{agents:{defaults:{sandbox:{mode:'all',backend:'docker',workspaceAccess:'rw'%s}},"        \
        "list:[{id:'main'},{id:'family'}]}}"

static PcConfig *load_with(const char *extra)
{
        _cleanup_free_ char *text = xasprintf(BASE, extra);
        return load(text);
}

static void test_not_sandboxed(void **state)
{
        Fixture *f = *state;
        PcConfig *cfg = load("{agents:{list:[{id:'main'}]}}");
        PcSandboxLease *l = (PcSandboxLease *) 1;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &l, NULL, &err),
                         0);
        assert_null(l);
        assert_int_equal(f->fb->n_calls, 0);
        pc_config_unref(cfg);
}

static void test_create_reuse_recreate(void **state)
{
        Fixture *f = *state;
        PcError err = PC_ERROR_INIT;
        PcConfig *cfg = load_with("");
        PcSandboxLease *l = NULL;
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &l, NULL, &err),
                         0);
        assert_non_null(l);
        assert_string_equal(pc_sandbox_lease_action(l), "created");
        const PcSandboxSpec *spec = pc_sandbox_lease_spec(l);
        assert_string_equal(spec->name, "pincer-sbx-agent-main-f331f052");
        _cleanup_free_ char *hash1 = xstrdup(spec->config_hash);

        PcSandboxRecord row = {0};
        assert_int_equal(pc_store_sandbox_get(f->store, spec->name, &row, &err), 0);
        assert_string_equal(row.scope_key, "agent:main");
        assert_string_equal(row.config_hash, hash1);
        assert_int_equal(row.created_at_ms, fake_now);
        pc_sandbox_record_clear(&row);

        /* exec goes to the backend and refreshes last-used */
        fake_now += 1000;
        const char *argv[] = {"echo", "hi", NULL};
        PcExecRequest req = {.argv = argv};
        PcExecResult res;
        pc_exec_result_init(&res);
        pc_fake_backend_set_exec_result(f->fb, 0, "hi\n", NULL);
        assert_int_equal(pc_sandbox_lease_exec(l, &req, &res, &err), 0);
        assert_string_equal(res.out.buf, "hi\n");
        pc_exec_result_release(&res);
        assert_int_equal(pc_store_sandbox_get(f->store, spec->name, &row, &err), 0);
        assert_int_equal(row.last_used_at_ms, fake_now);
        pc_sandbox_record_clear(&row);
        l = pc_sandbox_lease_release(l);

        /* the same config: reused, nothing created */
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &l, NULL, &err),
                         0);
        assert_string_equal(pc_sandbox_lease_action(l), "reused");
        assert_int_equal(pc_fake_backend_count(f->fb, PC_FAKE_CREATE), 1);
        l = pc_sandbox_lease_release(l);
        pc_config_unref(cfg);

        /* a changed docker setting: recreated with the new hash */
        cfg = load_with(",docker:{memory:'512m'}");
        fake_now += 1000;
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &l, NULL, &err),
                         0);
        assert_string_equal(pc_sandbox_lease_action(l), "recreated");
        assert_string_not_equal(pc_sandbox_lease_spec(l)->config_hash, hash1);
        assert_int_equal(pc_fake_backend_count(f->fb, PC_FAKE_DESTROY), 1);
        assert_int_equal(pc_fake_backend_count(f->fb, PC_FAKE_CREATE), 2);
        assert_int_equal(
                pc_store_sandbox_get(f->store, "pincer-sbx-agent-main-f331f052", &row, &err), 0);
        assert_int_equal(row.created_at_ms, fake_now);
        assert_string_equal(row.config_hash, pc_sandbox_lease_spec(l)->config_hash);
        pc_sandbox_record_clear(&row);
        pc_sandbox_lease_release(l);
        pc_config_unref(cfg);
}

static void test_leased_sandbox_is_not_recreated(void **state)
{
        Fixture *f = *state;
        PcError err = PC_ERROR_INIT;
        PcConfig *cfg = load_with("");
        PcSandboxLease *held = NULL, *l = NULL;
        assert_int_equal(
                pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &held, NULL, &err), 0);
        pc_config_unref(cfg);

        cfg = load_with(",docker:{pidsLimit:64}");
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:x", &l, NULL, &err), 0);
        assert_string_equal(pc_sandbox_lease_action(l), "reused-stale");
        assert_non_null(
                strstr(pc_sandbox_lease_notice(l), "pincer sandbox recreate --agent 'main'"));
        assert_int_equal(pc_fake_backend_count(f->fb, PC_FAKE_DESTROY), 0);
        l = pc_sandbox_lease_release(l);

        /* remove skips it while leased */
        json_t *report = NULL;
        PcSandboxFilter all = {.all = true};
        assert_int_equal(pc_sandbox_manager_remove(f->m, &all, false, &report, &err), 0);
        assert_string_equal(json_string_value(json_object_get(json_array_get(report, 0), "result")),
                            "in-use");
        json_decref(report);

        held = pc_sandbox_lease_release(held);
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:x", &l, NULL, &err), 0);
        assert_string_equal(pc_sandbox_lease_action(l), "recreated");
        pc_sandbox_lease_release(l);
        pc_config_unref(cfg);
}

static void test_refused_spec_creates_nothing(void **state)
{
        Fixture *f = *state;
        PcError err = PC_ERROR_INIT;
        PcConfig *cfg = load_with(",docker:{binds:['/var/run/docker.sock:/var/run/docker.sock']}");
        PcSandboxLease *l = NULL;
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &l, NULL, &err),
                         -EPERM);
        assert_null(l);
        assert_non_null(strstr(err.msg, "docker.sock"));
        assert_int_equal(f->fb->n_calls, 0);
        PcSandboxRecord *rows = NULL;
        size_t n = 9;
        assert_int_equal(pc_store_sandbox_list(f->store, &rows, &n, &err), 0);
        assert_int_equal(n, 0);
        pc_sandbox_records_free(rows, n);
        pc_config_unref(cfg);
}

static void test_failed_create_leaves_no_row(void **state)
{
        Fixture *f = *state;
        PcError err = PC_ERROR_INIT;
        PcConfig *cfg = load_with("");
        pc_fake_backend_fail(f->fb, PC_FAKE_CREATE, -EIO, false, "image not found");
        PcSandboxLease *l = NULL;
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &l, NULL, &err),
                         -EIO);
        assert_non_null(strstr(err.msg, "image not found"));
        PcSandboxRecord row = {0};
        assert_int_equal(
                pc_store_sandbox_get(f->store, "pincer-sbx-agent-main-f331f052", &row, NULL),
                -ENOENT);
        pc_config_unref(cfg);
}

static void test_list_remove_prune(void **state)
{
        Fixture *f = *state;
        PcError err = PC_ERROR_INIT;
        PcConfig *cfg = load_with(",prune:{idleHours:24,maxAgeDays:7}");
        PcSandboxLease *a = NULL, *b = NULL;
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &a, NULL, &err),
                         0);
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:family:main", &b, NULL, &err),
                         0);
        a = pc_sandbox_lease_release(a);
        /* a container the registry does not know: prune and remove must not touch it */
        pc_fake_backend_add_existing(f->fb, "someone-elses", "x", PC_SANDBOX_STATE_RUNNING);

        json_t *list = NULL;
        assert_int_equal(pc_sandbox_manager_list(f->m, cfg, NULL, &list, &err), 0);
        assert_int_equal(json_array_size(list), 2);
        json_t *first = json_array_get(list, 0);
        assert_string_equal(json_string_value(json_object_get(first, "state")), "running");
        assert_true(json_is_true(json_object_get(first, "hashCurrent")));
        json_decref(list);
        assert_int_equal(pc_sandbox_manager_list(f->m, cfg, "family", &list, &err), 0);
        assert_int_equal(json_array_size(list), 1);
        json_decref(list);

        /* a changed config makes the listed hash stale */
        PcConfig *cfg2 = load_with(",prune:{idleHours:24,maxAgeDays:7},docker:{cpus:1}");
        assert_int_equal(pc_sandbox_manager_list(f->m, cfg2, "main", &list, &err), 0);
        assert_true(json_is_false(json_object_get(json_array_get(list, 0), "hashCurrent")));
        json_decref(list);
        pc_config_unref(cfg2);

        /* 25 hours later both are idle; the leased one (family) stays */
        fake_now += 25 * 3600 * 1000LL;
        json_t *report = NULL;
        assert_int_equal(pc_sandbox_manager_prune(f->m, cfg, true, &report, &err), 0);
        assert_int_equal(json_array_size(report), 2);
        json_decref(report);
        assert_int_equal(pc_fake_backend_count(f->fb, PC_FAKE_DESTROY), 0); /* dry run */
        assert_int_equal(pc_sandbox_manager_prune(f->m, cfg, false, &report, &err), 0);
        size_t removed = 0, in_use = 0;
        for (size_t i = 0; i < json_array_size(report); i++) {
                const char *res =
                        json_string_value(json_object_get(json_array_get(report, i), "result"));
                removed += strcmp(res, "removed") == 0;
                in_use += strcmp(res, "in-use") == 0;
        }
        assert_int_equal(removed, 1);
        assert_int_equal(in_use, 1);
        json_decref(report);
        assert_non_null(pc_fake_backend_find(f->fb, "someone-elses"));
        assert_null(pc_fake_backend_find(f->fb, "pincer-sbx-agent-main-f331f052"));

        /* remove by agent */
        b = pc_sandbox_lease_release(b);
        PcSandboxFilter byagent = {.agent_id = "family"};
        assert_int_equal(pc_sandbox_manager_remove(f->m, &byagent, false, &report, &err), 0);
        assert_int_equal(json_array_size(report), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(report, 0), "result")),
                            "removed");
        json_decref(report);
        assert_non_null(pc_fake_backend_find(f->fb, "someone-elses"));
        pc_config_unref(cfg);
}

static void test_prune_by_age(void **state)
{
        Fixture *f = *state;
        PcError err = PC_ERROR_INIT;
        PcConfig *cfg = load_with(",prune:{idleHours:24,maxAgeDays:7}");
        PcSandboxLease *l = NULL;
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &l, NULL, &err),
                         0);
        l = pc_sandbox_lease_release(l);

        /* Used every day for 8 days: never idle, but older than maxAgeDays. */
        for (int day = 0; day < 8; day++) {
                fake_now += 24 * 3600 * 1000LL - 1000;
                assert_int_equal(
                        pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &l, NULL, &err),
                        0);
                assert_string_equal(pc_sandbox_lease_action(l), "reused");
                l = pc_sandbox_lease_release(l);
        }
        json_t *report = NULL;
        assert_int_equal(pc_sandbox_manager_prune(f->m, cfg, false, &report, &err), 0);
        assert_int_equal(json_array_size(report), 1);
        json_t *o = json_array_get(report, 0);
        assert_string_equal(json_string_value(json_object_get(o, "result")), "removed");
        assert_non_null(strstr(json_string_value(json_object_get(o, "reason")), "age"));
        json_decref(report);

        /* maxAgeDays 0 and idleHours 0 disable both tests. */
        PcConfig *off = load_with(",prune:{idleHours:0,maxAgeDays:0}");
        assert_int_equal(pc_sandbox_manager_acquire(f->m, off, "agent:main:main", &l, NULL, &err),
                         0);
        l = pc_sandbox_lease_release(l);
        fake_now += 365 * 24 * 3600 * 1000LL;
        assert_int_equal(pc_sandbox_manager_prune(f->m, off, false, &report, &err), 0);
        assert_int_equal(json_array_size(report), 0);
        json_decref(report);
        pc_config_unref(off);
        pc_config_unref(cfg);
}

static int open_fails(void **ret, PcError *reterr)
{
        return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ECONNREFUSED,
                                 "Docker engine unavailable at unix:///nowhere");
}

static void test_backend_unavailable(void **state)
{
        Fixture *f = *state;
        PcSandboxBackendDef defs[] = {
                {.name = "docker", .ops = &pc_fake_sandbox_ops, .open = open_fails}};
        PcSandboxManager *m = pc_sandbox_manager_new(f->store, defs, 1);
        PcConfig *cfg = load_with("");
        PcError err = PC_ERROR_INIT;
        PcSandboxLease *l = NULL;
        assert_int_equal(pc_sandbox_manager_acquire(m, cfg, "agent:main:main", &l, NULL, &err),
                         -ECONNREFUSED);
        assert_int_equal(err.kind, PC_ERROR_UNAVAILABLE);
        assert_non_null(strstr(err.msg, "Docker engine unavailable"));
        pc_config_unref(cfg);
        pc_sandbox_manager_free(m);

        cfg = load("{agents:{defaults:{sandbox:{mode:'all'}},list:[{id:'main'}]}}"); /* native */
        assert_int_equal(pc_sandbox_manager_acquire(f->m, cfg, "agent:main:main", &l, NULL, &err),
                         -EOPNOTSUPP);
        assert_non_null(strstr(err.msg, "'native'"));
        pc_config_unref(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_not_sandboxed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_create_reuse_recreate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_leased_sandbox_is_not_recreated, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_refused_spec_creates_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failed_create_leaves_no_row, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_remove_prune, setup, teardown),
                cmocka_unit_test_setup_teardown(test_prune_by_age, setup, teardown),
                cmocka_unit_test_setup_teardown(test_backend_unavailable, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
