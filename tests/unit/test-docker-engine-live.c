/* SPDX-License-Identifier: MIT */
/*
 * The Docker Engine client against the real engine (DOCKER_HOST, else /var/run/docker.sock)
 * and the image openclaw-sandbox:bookworm-slim. Without an engine or the image it prints why
 * and exits 77 (skip), unless CI or PINCER_REQUIRE_DOCKER is set, in which case that is a
 * failure. One container, labelled pincer.test=1, is created for the run and always removed;
 * containers left by earlier runs that crashed are removed too.
 */
#include <signal.h>
#include <time.h>

#include "test-util.h"

#include "base/alloc.h"
#include "sandbox/docker/engine.h"

#define IMAGE "openclaw-sandbox:bookworm-slim"

static PcEngine *engine;
static char *container;

static long elapsed_ms(const struct timespec *t0)
{
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Runs argv; fails the test when the exec itself fails. */
static void run(const PcEngineExecRequest *req, PcEngineExecResult *res)
{
        PcError err = PC_ERROR_INIT;
        if (pc_engine_exec(engine, container, req, res, &err) < 0)
                fail_msg("exec %s: %s", req->argv[0], err.msg);
}

/* Removes containers of earlier runs whose process is gone. */
static void sweep_stale(void)
{
        PcError err = PC_ERROR_INIT;
        json_t *list = NULL;
        if (pc_engine_container_list(engine, "pincer.test=1", &list, &err) < 0)
                return;
        size_t i;
        json_t *c;
        json_array_foreach (list, i, c) {
                const char *pid = json_string_value(
                        json_object_get(json_object_get(c, "Labels"), "pincer.test.pid"));
                const char *id = json_string_value(json_object_get(c, "Id"));
                if (!id || !pid)
                        continue;
                long p = strtol(pid, NULL, 10);
                if (p > 0 && kill((pid_t) p, 0) < 0 && errno == ESRCH)
                        (void) pc_engine_container_remove(engine, id, &err);
        }
        json_decref(list);
}

static int setup(void **state)
{
        PcError err = PC_ERROR_INIT;
        sweep_stale();
        _cleanup_free_ char *name = xasprintf("pincer-test-engine-%ld", (long) getpid());
        _cleanup_free_ char *pid = xasprintf("%ld", (long) getpid());
        json_t *config =
                json_pack("{s:s,s:[s,s],s:{s:s,s:s},s:{s:s,s:b}}", "Image", IMAGE, "Cmd", "sleep",
                          "infinity", "Labels", "pincer.test", "1", "pincer.test.pid", pid,
                          "HostConfig", "NetworkMode", "none", "Init", 0);
        int r = pc_engine_container_create(engine, name, config, &container, &err);
        json_decref(config);
        if (r < 0) {
                fprintf(stderr, "create: %s\n", err.msg);
                return -1;
        }
        if (pc_engine_container_start(engine, container, &err) < 0) {
                fprintf(stderr, "start: %s\n", err.msg);
                (void) pc_engine_container_remove(engine, container, &err);
                free(container);
                container = NULL;
                return -1;
        }
        return 0;
}

static int teardown(void **state)
{
        PcError err = PC_ERROR_INIT;
        if (container && pc_engine_container_remove(engine, container, &err) < 0) {
                fprintf(stderr, "remove: %s\n", err.msg);
                return -1;
        }
        free(container);
        container = NULL;
        return 0;
}

static void test_ping_version(void **state)
{
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_engine_ping(engine, &err), 0);
        assert_string_equal(pc_engine_api_version(engine), PC_ENGINE_API_VERSION);
        assert_true(strlen(pc_engine_server_version(engine)) > 0);
}

static void test_echo(void **state)
{
        const char *argv[] = {"echo", "hi", NULL};
        PcEngineExecRequest req = {.argv = argv, .timeout_ms = 20000};
        PcEngineExecResult res;
        run(&req, &res);
        assert_string_equal(res.out.buf, "hi\n");
        assert_string_equal(res.err.buf, "");
        assert_int_equal(res.exit_code, 0);
        assert_false(res.timed_out);
        pc_engine_exec_result_release(&res);
}

static void test_stdin(void **state)
{
        const char *argv[] = {"cat", NULL};
        PcEngineExecRequest req = {
                .argv = argv, .stdin_data = "hello\nworld\n", .stdin_len = 12, .timeout_ms = 20000};
        PcEngineExecResult res;
        run(&req, &res);
        assert_string_equal(res.out.buf, "hello\nworld\n");
        assert_int_equal(res.exit_code, 0);
        pc_engine_exec_result_release(&res);

        /* Empty stdin: EOF at once. */
        req.stdin_data = "";
        req.stdin_len = 0;
        run(&req, &res);
        assert_string_equal(res.out.buf, "");
        assert_int_equal(res.exit_code, 0);
        pc_engine_exec_result_release(&res);

        /* More than any socket or pipe buffer: reading and writing must interleave. */
        size_t n = 3u << 20;
        _cleanup_free_ char *data = xmalloc(n);
        for (size_t i = 0; i < n; i++)
                data[i] = (char) ('a' + (i * 7) % 26);
        req.stdin_data = data;
        req.stdin_len = n;
        req.output_cap = n;
        run(&req, &res);
        assert_int_equal(res.out.len, n);
        assert_memory_equal(res.out.buf, data, n);
        assert_false(res.out_truncated);
        pc_engine_exec_result_release(&res);

        /* A process that reads only part of its stdin and exits. */
        const char *head[] = {"head", "-c", "5", NULL};
        req.argv = head;
        run(&req, &res);
        assert_int_equal(res.out.len, 5);
        assert_memory_equal(res.out.buf, data, 5);
        assert_int_equal(res.exit_code, 0);
        assert_false(res.timed_out);
        pc_engine_exec_result_release(&res);
}

static void test_stderr_and_exit_code(void **state)
{
        const char *argv[] = {"sh", "-c", "echo err >&2; exit 3", NULL};
        PcEngineExecRequest req = {.argv = argv, .timeout_ms = 20000};
        PcEngineExecResult res;
        run(&req, &res);
        assert_string_equal(res.out.buf, "");
        assert_string_equal(res.err.buf, "err\n");
        assert_int_equal(res.exit_code, 3);
        pc_engine_exec_result_release(&res);
}

static void test_env_workdir_user(void **state)
{
        const char *argv[] = {"sh", "-c", "echo \"$FOO $(pwd) $(id -u)\"", NULL};
        const char *env[] = {"FOO=bar baz", NULL};
        PcEngineExecRequest req = {
                .argv = argv, .env = env, .workdir = "/tmp", .user = "65534", .timeout_ms = 20000};
        PcEngineExecResult res;
        run(&req, &res);
        assert_string_equal(res.out.buf, "bar baz /tmp 65534\n");
        pc_engine_exec_result_release(&res);
}

/* Whether any process in the container has marker in its command line. */
static bool process_exists(const char *marker)
{
        const char *argv[] = {"sh", "-c",
                              "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' <\"$f\"; echo; "
                              "done 2>/dev/null",
                              NULL};
        PcEngineExecRequest req = {.argv = argv, .timeout_ms = 20000};
        PcEngineExecResult res;
        run(&req, &res);
        bool found = strstr(res.out.buf, marker) != NULL;
        pc_engine_exec_result_release(&res);
        return found;
}

static void test_timeout_kills(void **state)
{
        /* The probe sees a process that is there: one left running in the background (the
         * exec ends when its output closes). */
        const char *bg[] = {"sh", "-c", "sleep 30 >/dev/null 2>&1 &", NULL};
        PcEngineExecRequest bgreq = {.argv = bg, .timeout_ms = 20000};
        PcEngineExecResult bgres;
        run(&bgreq, &bgres);
        assert_int_equal(bgres.exit_code, 0);
        pc_engine_exec_result_release(&bgres);
        assert_true(process_exists("sleep 30"));

        const char *argv[] = {"sleep", "31", NULL};
        PcEngineExecRequest req = {.argv = argv, .timeout_ms = 500};
        PcEngineExecResult res;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        run(&req, &res);
        long ms = elapsed_ms(&t0);
        assert_true(res.timed_out);
        assert_false(res.still_running);
        assert_int_equal(res.exit_code, 137);
        assert_true(ms >= 500 && ms < 10000);
        pc_engine_exec_result_release(&res);
        assert_false(process_exists("sleep 31"));

        /* Children and grandchildren inherit the tag and go too; as a non-root user. */
        const char *tree[] = {"sh", "-c", "sleep 32 & (sleep 33 &); sleep 34; wait", NULL};
        req = (PcEngineExecRequest){.argv = tree, .timeout_ms = 500, .user = "65534"};
        run(&req, &res);
        assert_true(res.timed_out);
        assert_false(res.still_running);
        pc_engine_exec_result_release(&res);
        assert_false(process_exists("sleep 32"));
        assert_false(process_exists("sleep 33"));
        assert_false(process_exists("sleep 34"));
}

static void test_output_cap(void **state)
{
        const char *argv[] = {"head", "-c", "10000000", "/dev/zero", NULL};
        PcEngineExecRequest req = {.argv = argv, .output_cap = 65536, .timeout_ms = 60000};
        PcEngineExecResult res;
        run(&req, &res);
        assert_int_equal(res.out.len, 65536);
        assert_true(res.out_truncated);
        assert_int_equal(res.out_total, 10000000);
        assert_int_equal(res.exit_code, 0);
        pc_engine_exec_result_release(&res);
}

static void test_missing_command(void **state)
{
        const char *argv[] = {"/no/such/binary", NULL};
        PcEngineExecRequest req = {.argv = argv, .timeout_ms = 20000};
        PcEngineExecResult res;
        run(&req, &res);
        /* The engine reports it on stdout ("OCI runtime exec failed: ...") with 126. */
        assert_int_equal(res.exit_code, 126);
        assert_non_null(strstr(res.out.buf, "/no/such/binary"));
        assert_false(res.timed_out);
        pc_engine_exec_result_release(&res);
}

static void test_wrappers(void **state)
{
        PcError err = PC_ERROR_INIT;
        json_t *j = NULL;
        assert_int_equal(pc_engine_container_inspect(engine, container, &j, &err), 0);
        assert_true(json_is_true(json_object_get(json_object_get(j, "State"), "Running")));
        json_decref(j);

        assert_int_equal(pc_engine_container_list(engine, "pincer.test=1", &j, &err), 0);
        bool seen = false;
        size_t i;
        json_t *c;
        json_array_foreach (j, i, c)
                seen = seen || streq(json_string_value(json_object_get(c, "Id")), container);
        assert_true(seen);
        json_decref(j);

        assert_int_equal(pc_engine_image_inspect(engine, IMAGE, NULL, &err), 0);
        assert_int_equal(pc_engine_image_inspect(engine, "pincer-no-such-image:0", NULL, &err),
                         -ENOENT);
        assert_int_equal(err.kind, PC_ERROR_NOT_FOUND);
        assert_int_equal(pc_engine_container_inspect(engine, "pincer-no-such-container", &j, &err),
                         -ENOENT);
        assert_non_null(strstr(err.msg, "No such container"));

        _cleanup_free_ char *ref = xasprintf("pincer-test-commit:%ld", (long) getpid());
        _cleanup_free_ char *image = NULL;
        json_t *cfg = json_pack("{s:{s:s}}", "Labels", "pincer.test", "1");
        assert_int_equal(pc_engine_commit(engine, container, ref, cfg, &image, &err), 0);
        json_decref(cfg);
        assert_true(startswith(image, "sha256:"));
        assert_int_equal(pc_engine_image_inspect(engine, ref, NULL, &err), 0);
        assert_int_equal(pc_engine_image_remove(engine, ref, false, &err), 0);
        assert_int_equal(pc_engine_image_inspect(engine, ref, NULL, &err), -ENOENT);
}

/* Prints why the test cannot run; exit code 77 (skip), or 1 when Docker is required. */
static int cannot_run(const char *why)
{
        const char *ci = getenv("CI"), *req = getenv("PINCER_REQUIRE_DOCKER");
        bool required = (ci && *ci) || (req && *req);
        printf("1..0 # SKIP %s\n", why);
        fprintf(stderr, "test-docker-engine-live: %s: %s\n", required ? "FAIL" : "skipped", why);
        if (required)
                fprintf(stderr, "test-docker-engine-live: CI or PINCER_REQUIRE_DOCKER is set, so "
                                "a missing engine or image is a failure\n");
        return required ? 1 : 77;
}

int main(void)
{
        PcError err = PC_ERROR_INIT;
        if (pc_engine_open(NULL, &engine, &err) < 0)
                return cannot_run(err.msg);
        int r = pc_engine_image_inspect(engine, IMAGE, NULL, &err);
        if (r == -ENOENT) {
                engine = pc_engine_free(engine);
                return cannot_run("image '" IMAGE "' is not on the engine (build it with "
                                  "scripts/sandbox-image.sh)");
        }
        if (r < 0) {
                engine = pc_engine_free(engine);
                return cannot_run(err.msg);
        }

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ping_version),
                cmocka_unit_test(test_echo),
                cmocka_unit_test(test_stdin),
                cmocka_unit_test(test_stderr_and_exit_code),
                cmocka_unit_test(test_env_workdir_user),
                cmocka_unit_test(test_timeout_kills),
                cmocka_unit_test(test_output_cap),
                cmocka_unit_test(test_missing_command),
                cmocka_unit_test(test_wrappers),
        };
        r = cmocka_run_group_tests(tests, setup, teardown);
        engine = pc_engine_free(engine);
        return r;
}
