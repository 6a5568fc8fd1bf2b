/* SPDX-License-Identifier: MIT */
/*
 * exec: run a shell command in the session's sandbox (spec 3.1).
 *
 *   {command, workdir?, env?, timeoutSeconds? (alias timeout), background?, yieldMs?}
 *
 * The command runs as `/bin/sh -lc <command>` in the sandbox's working directory (or workdir,
 * which must be the workspace or below it; another path falls back to the workspace with
 * OpenClaw's warning line). The environment is the sandbox's sanitised env plus the call's
 * env, sanitised with the same rules (secrets are dropped, not passed). Output: stdout and
 * stderr aggregated, capped at PC_EXEC_OUTPUT_CAP characters; a non-zero exit appends
 * "(Command exited with code N)"; a timeout is an error result.
 *
 * background: true starts the command as a background process (process.h) and returns at once
 * with its id; yieldMs waits that long and returns the result inline when the command has
 * finished, else leaves it running in the background. Both need an entry point with a process
 * registry (the gateway); `pincer tools invoke` refuses them (docs/tools.md).
 */
#include <math.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "tool.h"

#define PC_EXEC_OUTPUT_CAP      200000 /* characters, as OpenClaw */
#define PC_EXEC_DEFAULT_TIMEOUT 1800   /* seconds; tools.exec.timeoutSeconds overrides */
#define PC_EXEC_MAX_TIMEOUT     86400
#define PC_EXEC_COMMAND_MAX     (256 * 1024)
#define PC_EXEC_YIELD_MIN_MS    10 /* OpenClaw's clamp of yieldMs */
#define PC_EXEC_YIELD_MAX_MS    120000
#define PC_EXEC_TAIL            2000 /* characters of output in a backgrounded result */

static bool path_is_under(const char *path, const char *root)
{
        size_t n = strlen(root);
        if (n > 1 && root[n - 1] == '/')
                n--;
        return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int number_arg(const json_t *args, const char *key, double *ret, PcError *reterr)
{
        const json_t *v = json_object_get(args, key);
        if (!v)
                return 0;
        if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0)
                return pc_error_set(reterr, -EINVAL, "exec: '%s' must be a non-negative number",
                                    key);
        *ret = json_number_value(v);
        return 1;
}

/* The result of a command that ended while exec waited (yieldMs): as in the foreground. */
static int inline_result(const PcToolCall *call, PcProcess *p, double timeout, PcBuf *text,
                         PcToolResult *ret, PcError *reterr)
{
        PcProcessInfo info;
        pc_process_info(call->processes, p, &info);
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        PcOutLines lines;
        uint64_t dropped = 0;
        pc_process_log(call->processes, p, 0, SIZE_MAX, &out, &lines, &dropped);
        pc_process_remove(call->processes, p);
        pc_process_unref(call->processes, p);
        if (info.error) {
                int r = pc_error_set(reterr, -EIO, "exec: %s", info.error);
                pc_process_info_release(&info);
                return r;
        }
        size_t start = text->len;
        pc_buf_add(text, out.buf, out.len);
        _cleanup_free_ char *aggregated = pc_utf8_sanitize(text->buf + start, text->len - start);
        if (text->len == start)
                pc_buf_addstr(text, "(no output)");
        if (dropped)
                pc_buf_addf(text, "\n\n[output truncated at %d characters]", PC_EXEC_OUTPUT_CAP);
        if (info.timed_out)
                pc_buf_addf(text, "\n\nCommand timed out after %g seconds", timeout);
        else if (info.exit_code != 0)
                pc_buf_addf(text, "\n\n(Command exited with code %d)", info.exit_code);
        _cleanup_free_ char *shown = pc_utf8_sanitize(text->buf, text->len);
        pc_tool_result_text(ret, shown, info.timed_out);
        ret->details = json_pack(
                "{s:s,s:i,s:I,s:s,s:s,s:b}", "status", info.timed_out ? "failed" : "completed",
                "exitCode", info.exit_code, "durationMs", (json_int_t) info.runtime_ms,
                "aggregated", aggregated, "cwd", info.cwd, "truncated", dropped > 0);
        ret->exit_code = info.exit_code;
        ret->bytes_in = strlen(info.command);
        ret->bytes_out = (size_t) info.total;
        pc_process_info_release(&info);
        return 0;
}

/* background (yield_ms 0) or yieldMs: start a background process holding the call's lease,
 * wait up to yield_ms, and return its result inline when it ended, else its id. */
static int run_background(const PcToolCall *call, const PcProcessSpec *ps, int64_t yield_ms,
                          double timeout, PcBuf *text, PcToolResult *ret, PcError *reterr)
{
        if (!call->take_lease || *call->take_lease != call->lease)
                return pc_error_set(reterr, -EOPNOTSUPP,
                                    "exec: this entry point cannot keep a sandbox lease for a "
                                    "background process");
        PcProcess *p = NULL;
        PcError lerr = PC_ERROR_INIT;
        int r = pc_process_start(call->processes, ps, call->take_lease, &p, &lerr);
        if (r == -EAGAIN) {
                /* A limit: the model should see it and wait, like a failed command. */
                pc_tool_result_text(ret, lerr.msg, true);
                ret->details = json_pack("{s:s,s:s}", "status", "failed", "error", lerr.msg);
                return 0;
        }
        if (r < 0)
                return pc_error_set(reterr, r, "%s", lerr.msg);
        if (yield_ms > 0 && pc_process_wait(call->processes, p, yield_ms))
                return inline_result(call, p, timeout, text, ret, reterr);
        pc_process_set_backgrounded(call->processes, p);

        PcProcessInfo info;
        pc_process_info(call->processes, p, &info);
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        PcOutLines lines;
        uint64_t dropped = 0;
        pc_process_log(call->processes, p, 0, SIZE_MAX, &out, &lines, &dropped);
        size_t skip = out.len > PC_EXEC_TAIL ? out.len - PC_EXEC_TAIL : 0;
        _cleanup_free_ char *tail = pc_utf8_sanitize(out.buf + skip, out.len - skip);
        pc_buf_addf(text,
                    "Command still running (session %s). Use process "
                    "(list/poll/log/write/send-keys/kill/clear/remove) for follow-up.",
                    info.id);
        _cleanup_free_ char *shown = pc_utf8_sanitize(text->buf, text->len);
        pc_tool_result_text(ret, shown, false);
        ret->details = json_pack("{s:s,s:s,s:n,s:I,s:s,s:s}", "status", "running", "sessionId",
                                 info.id, "pid", "startedAt", (json_int_t) info.started_at_ms,
                                 "cwd", info.cwd, "tail", tail);
        ret->bytes_in = strlen(info.command);
        pc_process_info_release(&info);
        pc_process_unref(call->processes, p);
        return 0;
}

static void env_remove(PcSandboxEnv *env, const char *key)
{
        for (size_t i = 0; i < env->n_vars; i++)
                if (streq(env->vars[i].key, key)) {
                        free(env->vars[i].key);
                        free(env->vars[i].value);
                        memmove(&env->vars[i], &env->vars[i + 1],
                                (env->n_vars - i - 1) * sizeof(env->vars[0]));
                        env->n_vars--;
                        return;
                }
}

static const char *env_get(const PcSandboxEnv *env, const char *key)
{
        for (size_t i = 0; i < env->n_vars; i++)
                if (streq(env->vars[i].key, key))
                        return env->vars[i].value;
        return NULL;
}

/*
 * The environment of an exec, as OpenClaw builds it (sandbox spec §2.10): HOME is the working
 * directory unless docker.env or the call's env set it; then docker.env, then the call's env
 * (both sanitised); OPENCLAW_SHELL=exec. The login shell resets PATH from /etc/profile, so a
 * PATH from the env and tools.exec.pathPrepend are put in front of the profile's PATH by the
 * script itself. Returns the script for `sh -lc`.
 */
static char *exec_env(const PcSandboxSpec *spec, const json_t *call_env, const json_t *cfg_exec,
                      const char *workdir, const char *command, PcSandboxEnv *senv)
{
        pc_sandbox_exec_env(spec, call_env, senv);
        json_t *extra = json_pack("{s:s}", "OPENCLAW_SHELL", "exec");
        if (!env_get(senv, "HOME"))
                json_object_set_new(extra, "HOME", json_string(workdir));
        pc_sandbox_env_add_json(senv, extra);
        json_decref(extra);

        _cleanup_buf_ PcBuf prefix = PC_BUF_INIT;
        size_t i;
        const json_t *dir;
        json_array_foreach (json_object_get(cfg_exec, "pathPrepend"), i, dir)
                if (json_string_length(dir) > 0)
                        pc_buf_addf(&prefix, "%s%s", prefix.len ? ":" : "", json_string_value(dir));
        const char *path = env_get(senv, "PATH");
        if (path && *path)
                pc_buf_addf(&prefix, "%s%s", prefix.len ? ":" : "", path);
        env_remove(senv, "PATH");
        if (!prefix.len)
                return xstrdup(command);
        json_t *pp = json_pack("{s:s}", "PINCER_PREPEND_PATH", prefix.buf);
        pc_sandbox_env_add_json(senv, pp);
        json_decref(pp);
        return xasprintf("export PATH=\"${PINCER_PREPEND_PATH}:$PATH\"; unset PINCER_PREPEND_PATH; "
                         "%s",
                         command);
}

int pc_tool_exec(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *args = call->args;
        const char *command = json_string_value(json_object_get(args, "command"));
        if (!command)
                return pc_error_set(reterr, -EINVAL, "exec: 'command' is required (a string)");
        if (strlen(command) > PC_EXEC_COMMAND_MAX)
                return pc_error_set(reterr, -E2BIG, "exec: 'command' is longer than %d bytes",
                                    PC_EXEC_COMMAND_MAX);
        const char *p = command;
        while (*p == ' ' || *p == '\t' || *p == '\n')
                p++;
        if (!*p)
                return pc_error_set(reterr, -EINVAL, "exec: 'command' is empty");
        const json_t *env = json_object_get(args, "env");
        if (env && !json_is_object(env))
                return pc_error_set(reterr, -EINVAL, "exec: 'env' must be an object of strings");
        if (!call->lease)
                return pc_error_set(reterr, -EOPNOTSUPP, "exec: host execution is not available");

        const PcSandboxSpec *spec = pc_sandbox_lease_spec(call->lease);

        /* timeout: the call's, else tools.exec.timeoutSeconds (or timeoutSec), else 1800 s */
        double timeout = PC_EXEC_DEFAULT_TIMEOUT;
        const json_t *cfg_exec = json_object_get(json_object_get(call->effective, "tools"), "exec");
        const json_t *ct = json_object_get(cfg_exec, "timeoutSeconds");
        if (!ct)
                ct = json_object_get(cfg_exec, "timeoutSec");
        if (json_is_number(ct))
                timeout = json_number_value(ct);
        int r = number_arg(args, "timeoutSeconds", &timeout, reterr);
        if (r == 0)
                r = number_arg(args, "timeout", &timeout, reterr);
        if (r < 0)
                return r;
        if (timeout == 0 || timeout > PC_EXEC_MAX_TIMEOUT)
                timeout = PC_EXEC_MAX_TIMEOUT; /* 0 disables the timeout: the hard cap remains */

        /* background / yieldMs. A call with neither runs in the foreground: Pincer does not
         * apply OpenClaw's default yield (tools.exec.backgroundMs; docs/tools.md). */
        bool background = false;
        const json_t *bg = json_object_get(args, "background");
        if (bg && !json_is_boolean(bg))
                return pc_error_set(reterr, -EINVAL, "exec: 'background' must be true or false");
        background = json_is_true(bg);
        double yield_ms = -1;
        r = number_arg(args, "yieldMs", &yield_ms, reterr);
        if (r < 0)
                return r;
        if (yield_ms >= 0 && yield_ms < PC_EXEC_YIELD_MIN_MS)
                yield_ms = PC_EXEC_YIELD_MIN_MS;
        if (yield_ms > PC_EXEC_YIELD_MAX_MS)
                yield_ms = PC_EXEC_YIELD_MAX_MS;
        if ((background || yield_ms >= 0) && !call->processes)
                return pc_error_set(reterr, -EINVAL,
                                    "exec: background runs (background, yieldMs) need the gateway: "
                                    "`pincer tools invoke` is one short-lived process, and a "
                                    "background process cannot outlive it. Call POST /tools/invoke "
                                    "on a running `pincer gateway`, or run the command in the "
                                    "foreground");

        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        const char *workdir = spec->workdir;
        const char *asked = json_string_value(json_object_get(args, "workdir"));
        if (asked && *asked) {
                if (asked[0] == '/' && path_is_under(asked, spec->workdir) && !strstr(asked, ".."))
                        workdir = asked;
                else
                        pc_buf_addf(&text,
                                    "Warning: workdir \"%s\" is unavailable; using \"%s\".\n",
                                    asked, spec->workdir);
        }

        PcSandboxEnv senv = {0};
        _cleanup_free_ char *script = exec_env(spec, env, cfg_exec, workdir, command, &senv);
        for (char **b = senv.blocked; b && *b; b++)
                pc_buf_addf(&text,
                            "Note: env %s was not passed (names that look like secrets never "
                            "reach a sandbox).\n",
                            *b);
        const char *argv[] = {"/bin/sh", "-lc", script, NULL};
        PcExecRequest req = {
                .argv = argv,
                .workdir = workdir,
                .env = senv.vars,
                .n_env = senv.n_vars,
                .timeout_ms = (uint64_t) (timeout * 1000.0),
                .max_output = PC_EXEC_OUTPUT_CAP,
                .cancel_fd = call->cancel_fd,
                .login_shell = true,
        };
        if (background || yield_ms >= 0) {
                PcProcessSpec ps = {
                        .session_key = call->session_key,
                        .command = command,
                        .argv = argv,
                        .workdir = workdir,
                        .env = senv.vars,
                        .n_env = senv.n_vars,
                        .timeout_ms = req.timeout_ms,
                        .backgrounded = background,
                };
                r = run_background(call, &ps, background ? 0 : (int64_t) yield_ms, timeout, &text,
                                   ret, reterr);
                pc_sandbox_env_release(&senv);
                return r;
        }
        PcExecResult res;
        pc_exec_result_init(&res);
        r = pc_sandbox_lease_exec(call->lease, &req, &res, reterr);
        pc_sandbox_env_release(&senv);
        if (r < 0) {
                pc_exec_result_release(&res);
                return r;
        }

        size_t start = text.len;
        pc_buf_add(&text, res.out.buf, res.out.len);
        pc_buf_add(&text, res.err.buf, res.err.len);
        if (text.len - start > PC_EXEC_OUTPUT_CAP)
                pc_buf_setlen(&text, start + PC_EXEC_OUTPUT_CAP);
        bool truncated = res.out_truncated || res.err_truncated ||
                         res.out.len + res.err.len > PC_EXEC_OUTPUT_CAP;
        _cleanup_free_ char *aggregated = pc_utf8_sanitize(text.buf + start, text.len - start);
        if (text.len == start)
                pc_buf_addstr(&text, "(no output)");
        if (truncated)
                pc_buf_addf(&text, "\n\n[output truncated at %d characters]", PC_EXEC_OUTPUT_CAP);
        if (res.canceled)
                pc_buf_addstr(&text, "\n\nCommand aborted: the run was aborted");
        else if (res.timed_out)
                pc_buf_addf(&text, "\n\nCommand timed out after %g seconds", timeout);
        else if (res.exit_code != 0)
                pc_buf_addf(&text, "\n\n(Command exited with code %d)", res.exit_code);

        _cleanup_free_ char *shown = pc_utf8_sanitize(text.buf, text.len);
        pc_tool_result_text(ret, shown, res.timed_out || res.canceled);
        ret->details = json_pack("{s:s,s:i,s:I,s:s,s:s,s:b}", "status",
                                 res.canceled    ? "aborted"
                                 : res.timed_out ? "failed"
                                                 : "completed",
                                 "exitCode", res.exit_code, "durationMs",
                                 (json_int_t) (res.duration_us / 1000), "aggregated", aggregated,
                                 "cwd", workdir, "truncated", truncated);
        ret->exit_code = res.exit_code;
        ret->bytes_in = strlen(command);
        ret->bytes_out = res.out.len + res.err.len;
        pc_exec_result_release(&res);
        return 0;
}
