/* SPDX-License-Identifier: MIT */
/*
 * The native backend's ops against the real kernel: create, inspect, exec with stdin, a
 * timeout and the output cap, stats, destroy. Needs root and a native image store with
 * openclaw-sandbox:bookworm-slim in $PINCER_NATIVE_IMAGE_STORE (a state dir whose images/
 * holds it, as `pincer image build` makes). Without them it prints why and exits 77 (skip),
 * unless PINCER_REQUIRE_NATIVE=1, in which case that is a failure.
 */
#include <signal.h>
#include <sys/stat.h>

#include "test-util.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "sandbox/native/native.h"
#include "sandbox/sandbox.h"

static char *state_dir, *ws;
static void *backend;
static PcSandboxSpec *spec;

static const char *fake_env(const char *name, void *userdata)
{
        return NULL;
}

static PcSandboxSpec *make_spec(void)
{
        _cleanup_free_ char *text = xasprintf(
                "{ agents: { defaults: { sandbox: { mode: \"all\", backend: \"native\", "
                "scope: \"agent\", workspaceAccess: \"rw\", docker: { containerPrefix: "
                "\"pincer-live-%d-\", user: \"1000:1000\", capDrop: [\"ALL\"], pidsLimit: 32, "
                "memory: \"64m\", tmpfs: [\"/tmp\"] } } }, list: [{ id: \"main\", workspace: "
                "\"%s\" }] } }",
                (int) getpid(), ws);
        PcConfigLoadOptions opts = {.env = fake_env, .state_dir = state_dir};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_config_load_buffer(text, strlen(text), "/etc/live.json5", &opts, &diags, &cfg,
                                  &err) < 0)
                fail_msg("config: %s", err.msg);
        PcSandboxSession s = {0};
        PcSandboxSpec *sp = NULL;
        if (pc_sandbox_resolve(cfg, "main", NULL, &s, &sp, &err) < 0)
                fail_msg("resolve: %s", err.msg);
        pc_sandbox_session_release(&s);
        pc_config_unref(cfg);
        return sp;
}

static void exec_ok(PcSandbox *sb, const char *const *argv, const char *in, uint64_t timeout,
                    size_t cap, PcExecResult *res)
{
        PcError err = PC_ERROR_INIT;
        PcKeyValue env[] = {{.key = (char *) "MARK", .value = (char *) "m1"}};
        PcExecRequest req = {.argv = argv,
                             .env = env,
                             .n_env = 1,
                             .stdin_data = in,
                             .stdin_len = in ? strlen(in) : 0,
                             .timeout_ms = timeout,
                             .max_output = cap};
        pc_exec_result_init(res);
        if (pc_sandbox_exec(sb, &req, res, &err) < 0)
                fail_msg("exec %s: %s", argv[0], err.msg);
}

static void test_lifecycle(void **state)
{
        PcError err = PC_ERROR_INIT;
        PcSandbox *sb = pc_sandbox_new(&pc_native_sandbox_ops, backend, spec->name);
        PcSandboxInfo info;
        assert_int_equal(pc_sandbox_inspect(sb, &info, &err), 0);
        assert_int_equal(info.state, PC_SANDBOX_STATE_MISSING);
        if (pc_sandbox_create(sb, spec, &err) < 0)
                fail_msg("create: %s", err.msg);
        assert_int_equal(pc_sandbox_inspect(sb, &info, &err), 0);
        assert_int_equal(info.state, PC_SANDBOX_STATE_RUNNING);
        assert_string_equal(info.config_hash, spec->config_hash);
        assert_true(info.created_at_ms > 0);
        /* the same spec again: that sandbox exists, nothing new (see native.h) */
        assert_int_equal(pc_sandbox_create(sb, spec, &err), 0);

        PcExecResult r;
        /* stdin, env (exactly the request's plus PATH and HOME), status */
        const char *const cat[] = {"sh", "-c", "cat; echo \"$MARK\"; env | wc -l; exit 4", NULL};
        exec_ok(sb, cat, "from stdin\n", 0, 0, &r);
        assert_int_equal(r.exit_code, 4);
        assert_string_equal(r.out.buf, "from stdin\nm1\n4\n"); /* MARK PATH HOME PWD */
        pc_exec_result_release(&r);

        const char *const sleep_[] = {"sleep", "30", NULL};
        exec_ok(sb, sleep_, NULL, 300, 0, &r);
        assert_true(r.timed_out);
        assert_int_equal(r.signal, SIGKILL);
        pc_exec_result_release(&r);

        const char *const big[] = {"head", "-c", "100000", "/dev/zero", NULL};
        exec_ok(sb, big, NULL, 0, 1000, &r);
        assert_int_equal(r.out.len, 1000);
        assert_true(r.out_truncated);
        assert_int_equal(r.exit_code, 0);
        pc_exec_result_release(&r);

        PcSandboxStats st;
        assert_int_equal(pc_sandbox_stats(sb, &st, &err), 0);
        assert_int_equal(st.memory_limit_bytes, 64 * 1024 * 1024);
        assert_true(st.pids >= 1);

        assert_int_equal(pc_sandbox_destroy(sb, &err), 0);
        assert_int_equal(pc_sandbox_inspect(sb, &info, &err), 0);
        assert_int_equal(info.state, PC_SANDBOX_STATE_MISSING);
        assert_int_equal(pc_sandbox_destroy(sb, &err), 0); /* idempotent */
        const char *const t[] = {"true", NULL};
        PcExecRequest req = {.argv = t};
        pc_exec_result_init(&r);
        assert_int_equal(pc_sandbox_exec(sb, &req, &r, &err), -ENOENT);
        pc_exec_result_release(&r);
        pc_sandbox_free(sb);
}

static int skip_because(const char *why)
{
        bool required =
                getenv("PINCER_REQUIRE_NATIVE") && streq(getenv("PINCER_REQUIRE_NATIVE"), "1");
        fprintf(stderr, "test-native-backend-live: %s: %s\n", required ? "FAIL" : "skipped", why);
        return required ? 1 : 77;
}

int main(void)
{
        if (geteuid() != 0)
                return skip_because("needs root (namespaces, mounts, cgroups)");
        const char *store = getenv("PINCER_NATIVE_IMAGE_STORE");
        if (!store)
                return skip_because("PINCER_NATIVE_IMAGE_STORE (a state dir with the image "
                                    "openclaw-sandbox:bookworm-slim) is not set");
        char tmpl[] = "/tmp/pc-native-live-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        state_dir = xstrdup(tmpl);
        ws = xasprintf("%s/ws", state_dir);
        _cleanup_free_ char *images = xasprintf("%s/images", state_dir);
        _cleanup_free_ char *target = xasprintf("%s/images", store);
        if (mkdir(ws, 0755) < 0 || chown(ws, 1000, 1000) < 0 || symlink(target, images) < 0)
                return skip_because("cannot prepare the state dir");
        PcError err = PC_ERROR_INIT;
        if (pc_native_backend_open(state_dir, &backend, &err) < 0)
                return skip_because(err.msg);
        spec = make_spec();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lifecycle),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        PcSandbox *sb = pc_sandbox_new(&pc_native_sandbox_ops, backend, spec->name);
        (void) pc_sandbox_destroy(sb, &err); /* after a failure too */
        pc_sandbox_free(sb);
        pc_sandbox_spec_free(spec);
        pc_native_backend_close(backend);
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", state_dir);
        (void) !system(cmd);
        free(ws);
        free(state_dir);
        return r;
}
