/* SPDX-License-Identifier: MIT */
/*
 * The background process registry (src/tools/process.h) on the fake backend, whose exec
 * echoes its stdin fd like cat and ends when it is cancelled: stdin and output, exit status,
 * session scoping, the running limits, kill, TTL reaping, and that every lease is given back
 * (also by a registry freed with processes still running, as at gateway shutdown).
 *
 * The fake backend is single-threaded: after each start the test waits until the process
 * thread has recorded its exec before it calls the fake again.
 */
#include "test-util.h"

#include <signal.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "config/config.h"
#include "sandbox/fake/fake-backend.h"
#include "sandbox/manager.h"
#include "store/store.h"
#include "tools/process.h"

static char state_dir[64];

static const char *fake_env(const char *name, void *userdata)
{
        return strcmp(name, "HOME") == 0 ? state_dir : NULL;
}

typedef struct Fixture {
        PcFakeBackend *fb;
        PcStore *store;
        PcSandboxManager *m;
        PcConfig *cfg;
        PcProcessRegistry *reg;
} Fixture;

static int setup(void **state)
{
        strcpy(state_dir, "/tmp/pincer-proc-XXXXXX");
        assert_non_null(mkdtemp(state_dir));
        Fixture *f = xcalloc(1, sizeof(*f));
        f->fb = pc_fake_backend_new();
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_store_open(state_dir, &f->store, &err), 0);
        PcSandboxBackendDef defs[] = {
                {.name = "docker", .ops = &pc_fake_sandbox_ops, .instance = f->fb},
        };
        f->m = pc_sandbox_manager_new(f->store, defs, 1);
        const char *text = "{agents:{defaults:{sandbox:{mode:'all',backend:'docker',"
                           "scope:'agent'}},list:[{id:'main'}]}}";
        PcConfigLoadOptions opts = {.env = fake_env, .state_dir = state_dir};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        assert_int_equal(pc_config_load_buffer(text, strlen(text), "/etc/t.json5", &opts, &diags,
                                               &f->cfg, &err),
                         0);
        f->reg = pc_process_registry_new();
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;
        pc_process_registry_free(f->reg);
        pc_config_unref(f->cfg);
        pc_sandbox_manager_free(f->m);
        pc_store_close(f->store);
        pc_fake_backend_free(f->fb);
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", state_dir);
        assert_int_equal(system(cmd), 0);
        free(f);
        return 0;
}

/* The leases the manager counts on the agent's sandbox. */
static int64_t leases(Fixture *f)
{
        json_t *list = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_sandbox_manager_list(f->m, f->cfg, NULL, &list, &err), 0);
        int64_t n = json_integer_value(json_object_get(json_array_get(list, 0), "leases"));
        json_decref(list);
        return n;
}

static PcProcess *start(Fixture *f, const char *session, PcError *err)
{
        PcSandboxLease *lease = NULL;
        assert_int_equal(pc_sandbox_manager_acquire(f->m, f->cfg, session, &lease, NULL, err), 0);
        size_t execs = pc_fake_backend_count(f->fb, PC_FAKE_EXEC);
        const char *argv[] = {"/bin/sh", "-lc", "cat", NULL};
        PcProcessSpec spec = {
                .session_key = session,
                .command = "cat",
                .argv = argv,
                .workdir = "/workspace",
                .timeout_ms = 60000,
                .backgrounded = true,
        };
        PcProcess *p = NULL;
        int r = pc_process_start(f->reg, &spec, &lease, &p, err);
        if (r < 0) {
                assert_non_null(lease); /* not taken */
                pc_sandbox_lease_release(lease);
                return NULL;
        }
        assert_null(lease);
        while (pc_fake_backend_count(f->fb, PC_FAKE_EXEC) == execs)
                usleep(1000);
        return p;
}

static void test_stdin_output_exit(void **state)
{
        Fixture *f = *state;
        PcError err = PC_ERROR_INIT;
        PcProcess *p = start(f, "agent:main:main", &err);
        assert_non_null(p);
        assert_int_equal(leases(f), 1);
        PcProcessInfo info;
        pc_process_info(f->reg, p, &info);
        assert_true(info.running);
        assert_true(info.stdin_open);
        assert_string_equal(info.cwd, "/workspace");

        /* another session does not find it; the starting one does */
        assert_null(pc_process_find(f->reg, "agent:main:other", info.id));
        PcProcess *q = pc_process_find(f->reg, "agent:main:main", info.id);
        assert_ptr_equal(q, p);
        pc_process_unref(f->reg, q);

        assert_int_equal(pc_process_write(f->reg, p, "hi\n", 3, false, &err), 0);
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        uint64_t missed = 1;
        pc_process_poll(f->reg, p, 5000, 1000, &out, &missed);
        assert_int_equal(missed, 0);
        assert_int_equal(out.len, 3);
        assert_memory_equal(out.buf, "hi\n", 3);
        assert_int_equal(pc_process_write(f->reg, p, "x", 1, true, &err), 0);
        assert_true(pc_process_wait(f->reg, p, 5000));
        pc_process_info_release(&info);
        pc_process_info(f->reg, p, &info);
        assert_false(info.running);
        assert_int_equal(info.exit_code, 0);
        assert_int_equal(info.total, 4);
        assert_false(info.stdin_open);
        assert_int_equal(pc_process_write(f->reg, p, "y", 1, false, &err), -EPIPE);
        assert_int_equal(pc_process_kill(f->reg, p), -ESRCH);

        /* the lease goes back at the next reap; the output stays */
        pc_process_registry_reap(f->reg, PC_PROCESS_DEFAULT_TTL_MS);
        assert_int_equal(leases(f), 0);
        pc_buf_setlen(&out, 0);
        PcOutLines lines;
        uint64_t dropped;
        pc_process_log(f->reg, p, -1, 200, &out, &lines, &dropped);
        assert_int_equal(lines.total_lines, 2);
        char **ids = NULL;
        assert_int_equal(pc_process_list(f->reg, "agent:main:main", &ids), 1);
        free(ids[0]);
        free(ids);

        /* past the TTL it is forgotten */
        usleep(5000);
        pc_process_registry_reap(f->reg, 1);
        assert_null(pc_process_find(f->reg, "agent:main:main", info.id));
        pc_process_unref(f->reg, p); /* start's reference: frees it now */
        pc_process_info_release(&info);
}

static void test_limits_kill_and_shutdown(void **state)
{
        Fixture *f = *state;
        PcError err = PC_ERROR_INIT;
        PcProcess *ps[PC_PROCESS_MAX_RUNNING_PER_SESSION];
        for (int i = 0; i < PC_PROCESS_MAX_RUNNING_PER_SESSION; i++) {
                ps[i] = start(f, "agent:main:main", &err);
                assert_non_null(ps[i]);
        }
        assert_null(start(f, "agent:main:main", &err));
        assert_int_equal(err.code, -EAGAIN);
        assert_non_null(strstr(err.msg, "already runs 8 background processes (the limit is 8)"));
        PcProcess *other = start(f, "agent:main:other", &err);
        assert_non_null(other);
        assert_int_equal(leases(f), PC_PROCESS_MAX_RUNNING_PER_SESSION + 1);

        assert_int_equal(pc_process_kill(f->reg, ps[0]), 0);
        assert_true(pc_process_wait(f->reg, ps[0], 5000));
        PcProcessInfo info;
        pc_process_info(f->reg, ps[0], &info);
        assert_true(info.canceled);
        assert_int_equal(info.signal, SIGKILL);
        pc_process_info_release(&info);
        /* remove of a running process kills it first */
        pc_process_remove(f->reg, ps[1]);
        pc_process_unref(f->reg, ps[1]);
        pc_process_remove(f->reg, ps[0]);
        pc_process_unref(f->reg, ps[0]);
        assert_int_equal(leases(f), PC_PROCESS_MAX_RUNNING_PER_SESSION - 1);
        /* room again */
        ps[0] = start(f, "agent:main:main", &err);
        assert_non_null(ps[0]);
        pc_process_unref(f->reg, ps[0]);
        for (int i = 2; i < PC_PROCESS_MAX_RUNNING_PER_SESSION; i++)
                pc_process_unref(f->reg, ps[i]);
        pc_process_unref(f->reg, other);

        /* shutdown: every running process is cancelled and its lease given back */
        f->reg = pc_process_registry_free(f->reg);
        assert_int_equal(leases(f), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_stdin_output_exit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_limits_kill_and_shutdown, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
