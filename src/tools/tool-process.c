/* SPDX-License-Identifier: MIT */
/*
 * process: follow up on background exec runs of the caller's session (spec 3.2).
 *
 *   {action: list|poll|log|write|send-keys|kill|clear|remove, sessionId?, data?, eof?,
 *    keys?, hex?, literal?, offset?, limit?, timeout?}
 *
 * "sessionId" is the process id exec returned (OpenClaw's name). A process of another session
 * is "No session found". Background processes have no terminal: send-keys writes the bytes of
 * the keys to stdin (Enter is "\n"), and submit/paste are refused (docs/tools.md).
 */
#include <math.h>
#include <stdio.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "tool.h"

#define POLL_MAX_WAIT_MS  30000 /* OpenClaw's clamp */
#define POLL_MAX_BYTES    PC_PROCESS_OUTPUT_CAP
#define LOG_DEFAULT_LINES 200
#define KILL_WAIT_MS      20000 /* for the backend's kill to be confirmed */
#define NAME_MAX_CHARS    80

static void failed(PcToolResult *ret, const char *fmt, ...) _printf_(2, 3);
static void failed(PcToolResult *ret, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        pc_tool_result_text(ret, msg, true);
        ret->details = json_pack("{s:s}", "status", "failed");
}

/* The name of a process: its command's first line, shortened. */
static char *process_name(const char *command)
{
        size_t n = strcspn(command, "\n");
        _cleanup_buf_ PcBuf b = PC_BUF_INIT;
        pc_buf_add(&b, command, n > NAME_MAX_CHARS ? NAME_MAX_CHARS : n);
        if (n > NAME_MAX_CHARS || command[n])
                pc_buf_addstr(&b, "...");
        return pc_utf8_sanitize(b.buf, b.len);
}

static const char *status_of(const PcProcessInfo *i)
{
        if (i->running)
                return "running";
        return i->exit_code == 0 && !i->error ? "completed" : "failed";
}

static void add_duration(PcBuf *b, uint64_t ms)
{
        if (ms < 60000)
                pc_buf_addf(b, "%.1fs", (double) ms / 1000.0);
        else if (ms < 3600000)
                pc_buf_addf(b, "%um%02us", (unsigned) (ms / 60000), (unsigned) (ms / 1000 % 60));
        else
                pc_buf_addf(b, "%uh%02um", (unsigned) (ms / 3600000), (unsigned) (ms / 60000 % 60));
}

static const char *signal_name(int sig)
{
        const char *n = sigabbrev_np(sig);
        return n ? n : "UNKNOWN";
}

static void add_exit(json_t *o, const PcProcessInfo *i)
{
        if (i->running)
                return;
        if (i->signal) {
                _cleanup_free_ char *sig = xasprintf("SIG%s", signal_name(i->signal));
                json_object_set_new(o, "exitSignal", json_string(sig));
        } else
                json_object_set_new(o, "exitCode", json_integer(i->exit_code));
}

static int do_list(const PcToolCall *call, PcToolResult *ret)
{
        char **ids = NULL;
        size_t n = pc_process_list(call->processes, call->session_key, &ids);
        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        json_t *arr = json_array();
        for (size_t k = 0; k < n; k++) {
                PcProcess *p = pc_process_find(call->processes, call->session_key, ids[k]);
                free(ids[k]);
                if (!p)
                        continue;
                PcProcessInfo i;
                pc_process_info(call->processes, p, &i);
                pc_process_unref(call->processes, p);
                _cleanup_free_ char *name = process_name(i.command);
                if (text.len)
                        pc_buf_addch(&text, '\n');
                pc_buf_addf(&text, "%s %-9s ", i.id, status_of(&i));
                add_duration(&text, i.runtime_ms);
                pc_buf_addf(&text, " :: %s", name);
                json_t *o =
                        json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:b}", "sessionId", i.id, "status",
                                  status_of(&i), "startedAt", (json_int_t) i.started_at_ms,
                                  "runtimeMs", (json_int_t) i.runtime_ms, "cwd", i.cwd, "command",
                                  i.command, "name", name, "truncated", i.dropped > 0);
                if (i.ended_at_ms)
                        json_object_set_new(o, "endedAt", json_integer(i.ended_at_ms));
                add_exit(o, &i);
                json_array_append_new(arr, o);
                pc_process_info_release(&i);
        }
        free(ids);
        pc_tool_result_text(ret, text.len ? text.buf : "No running or recent sessions.", false);
        ret->details = json_pack("{s:s,s:o}", "status", "completed", "sessions", arr);
        return 0;
}

static void add_end_line(PcBuf *text, const PcProcessInfo *i)
{
        if (i->running)
                pc_buf_addstr(text, "\n\nProcess still running.");
        else if (i->error)
                pc_buf_addf(text, "\n\nProcess failed in the sandbox backend: %s", i->error);
        else if (i->timed_out)
                pc_buf_addstr(text, "\n\nProcess timed out and was killed.");
        else if (i->signal)
                pc_buf_addf(text, "\n\nProcess exited with signal SIG%s.", signal_name(i->signal));
        else
                pc_buf_addf(text, "\n\nProcess exited with code %d.", i->exit_code);
}

static int do_poll(const PcToolCall *call, PcProcess *p, PcToolResult *ret, PcError *reterr)
{
        double wait = 0;
        const json_t *t = json_object_get(call->args, "timeout");
        if (t) {
                if (!json_is_number(t) || !isfinite(json_number_value(t)) ||
                    json_number_value(t) < 0)
                        return pc_error_set(reterr, -EINVAL,
                                            "process: 'timeout' must be a number of milliseconds");
                wait = json_number_value(t);
        }
        if (wait > POLL_MAX_WAIT_MS)
                wait = POLL_MAX_WAIT_MS;
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        uint64_t missed = 0;
        pc_process_poll(call->processes, p, (int64_t) wait, POLL_MAX_BYTES, &out, &missed);
        PcProcessInfo i;
        pc_process_info(call->processes, p, &i);
        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        if (missed)
                pc_buf_addf(&text,
                            "[%llu bytes of earlier output were dropped: only the last %d are "
                            "kept]\n",
                            (unsigned long long) missed, PC_PROCESS_OUTPUT_CAP);
        pc_buf_add(&text, out.buf, out.len);
        if (!out.len)
                pc_buf_addstr(&text, "(no new output)");
        add_end_line(&text, &i);
        _cleanup_free_ char *shown = pc_utf8_sanitize(text.buf, text.len);
        _cleanup_free_ char *agg = pc_utf8_sanitize(out.buf, out.len);
        _cleanup_free_ char *name = process_name(i.command);
        pc_tool_result_text(ret, shown, false);
        ret->details = json_pack("{s:s,s:s,s:s,s:s}", "status", status_of(&i), "sessionId", i.id,
                                 "name", name, "aggregated", agg);
        add_exit(ret->details, &i);
        if (i.running)
                json_object_set_new(ret->details, "retryInMs", json_integer(1000));
        ret->bytes_out = out.len;
        pc_process_info_release(&i);
        return 0;
}

static int int_arg(const json_t *args, const char *key, int64_t *ret, PcError *reterr)
{
        const json_t *v = json_object_get(args, key);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
            json_number_value(v) > 1e12)
                return pc_error_set(reterr, -EINVAL,
                                    "process: '%s' must be a non-negative number of lines", key);
        *ret = (int64_t) json_number_value(v);
        return 1;
}

static int do_log(const PcToolCall *call, PcProcess *p, PcToolResult *ret, PcError *reterr)
{
        int64_t offset = -1, limit = LOG_DEFAULT_LINES;
        int r = int_arg(call->args, "offset", &offset, reterr);
        if (r >= 0)
                r = int_arg(call->args, "limit", &limit, reterr);
        if (r < 0)
                return r;
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        PcOutLines l;
        uint64_t dropped = 0;
        pc_process_log(call->processes, p, offset, (size_t) limit, &out, &l, &dropped);
        PcProcessInfo i;
        pc_process_info(call->processes, p, &i);
        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        if (dropped && l.first == 0)
                pc_buf_addf(&text,
                            "[%llu bytes of earlier output were dropped: only the last %d are "
                            "kept]\n",
                            (unsigned long long) dropped, PC_PROCESS_OUTPUT_CAP);
        pc_buf_add(&text, out.buf, out.len);
        if (l.total_lines == 0)
                pc_buf_addstr(&text, "(no output yet)");
        else if (l.count < l.total_lines) {
                if (text.len && text.buf[text.len - 1] != '\n')
                        pc_buf_addch(&text, '\n');
                if (l.count)
                        pc_buf_addf(&text, "\n[lines %zu-%zu of %zu; page with offset and limit]",
                                    l.first, l.first + l.count - 1, l.total_lines);
                else
                        pc_buf_addf(&text, "\n[no lines at offset %zu; there are %zu]", l.first,
                                    l.total_lines);
        }
        _cleanup_free_ char *shown = pc_utf8_sanitize(text.buf, text.len);
        pc_tool_result_text(ret, shown, false);
        ret->details = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:b}", "status", status_of(&i),
                                 "sessionId", i.id, "offset", (json_int_t) l.first, "total",
                                 (json_int_t) l.count, "totalLines", (json_int_t) l.total_lines,
                                 "totalChars", (json_int_t) i.total, "truncated", dropped > 0);
        add_exit(ret->details, &i);
        ret->bytes_out = out.len;
        pc_process_info_release(&i);
        return 0;
}

/* The bytes of send-keys: literal, then hex[], then keys[] (names or single characters). */
static int keys_bytes(const json_t *args, PcBuf *b, PcError *reterr)
{
        static const struct {
                const char *name;
                const char *bytes;
        } named[] = {
                {"Enter", "\n"},    {"Return", "\n"},   {"Tab", "\t"},       {"Space", " "},
                {"Escape", "\x1b"}, {"Esc", "\x1b"},    {"BSpace", "\x7f"},  {"Backspace", "\x7f"},
                {"Up", "\x1b[A"},   {"Down", "\x1b[B"}, {"Right", "\x1b[C"}, {"Left", "\x1b[D"},
        };
        const char *lit = json_string_value(json_object_get(args, "literal"));
        if (lit)
                pc_buf_addstr(b, lit);
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(args, "hex"), i, v) {
                const char *h = json_string_value(v);
                unsigned x;
                char extra;
                if (!h || sscanf(h, "%2x%c", &x, &extra) != 1 || strlen(h) > 4)
                        return pc_error_set(reterr, -EINVAL,
                                            "process: hex[%zu] must be one byte in hex, like "
                                            "\"0d\"",
                                            i);
                pc_buf_addch(b, (char) x);
        }
        json_array_foreach (json_object_get(args, "keys"), i, v) {
                const char *k = json_string_value(v);
                if (!k)
                        return pc_error_set(reterr, -EINVAL, "process: keys[%zu] must be a string",
                                            i);
                bool done = false;
                for (size_t n = 0; n < ELEMENTSOF(named) && !done; n++)
                        if (strcasecmp(named[n].name, k) == 0) {
                                pc_buf_addstr(b, named[n].bytes);
                                done = true;
                        }
                if (!done && (startswith(k, "C-") || startswith(k, "c-")) && strlen(k) == 3 &&
                    ((k[2] >= 'a' && k[2] <= 'z') || (k[2] >= 'A' && k[2] <= 'Z'))) {
                        pc_buf_addch(b, (char) ((k[2] | 0x20) - 'a' + 1));
                        done = true;
                }
                if (!done && strlen(k) == 1) {
                        pc_buf_addch(b, k[0]);
                        done = true;
                }
                if (!done)
                        return pc_error_set(
                                reterr, -EINVAL,
                                "process: unknown key \"%s\" in keys[%zu]; use Enter, "
                                "Tab, Escape, Backspace, Up/Down/Left/Right, C-<letter> "
                                "or one character",
                                k, i);
        }
        return 0;
}

static int do_write(const PcToolCall *call, PcProcess *p, bool keys, PcToolResult *ret,
                    PcError *reterr)
{
        _cleanup_buf_ PcBuf data = PC_BUF_INIT;
        bool eof = false;
        if (keys) {
                int r = keys_bytes(call->args, &data, reterr);
                if (r < 0)
                        return r;
        } else {
                const json_t *d = json_object_get(call->args, "data");
                if (d && !json_is_string(d))
                        return pc_error_set(reterr, -EINVAL, "process: 'data' must be a string");
                if (d)
                        pc_buf_add(&data, json_string_value(d), json_string_length(d));
                eof = json_is_true(json_object_get(call->args, "eof"));
        }
        if (data.len > PC_PROCESS_WRITE_MAX)
                return pc_error_set(reterr, -E2BIG, "process: at most %d bytes per write",
                                    PC_PROCESS_WRITE_MAX);
        PcError werr = PC_ERROR_INIT;
        PcProcessInfo i;
        pc_process_info(call->processes, p, &i);
        int r = pc_process_write(call->processes, p, data.buf ? data.buf : "", data.len, eof,
                                 &werr);
        if (r < 0) {
                failed(ret, "%s", werr.msg);
        } else {
                _cleanup_free_ char *name = process_name(i.command);
                _cleanup_free_ char *msg =
                        keys ? xasprintf("Sent %zu bytes to session %s.", data.len, i.id)
                             : xasprintf("Wrote %zu bytes to session %s%s.", data.len, i.id,
                                         eof ? " (stdin closed)" : "");
                pc_tool_result_text(ret, msg, false);
                ret->details = json_pack("{s:s,s:s,s:s}", "status", "running", "sessionId", i.id,
                                         "name", name);
                ret->bytes_in = data.len;
        }
        pc_process_info_release(&i);
        return 0;
}

/* One action on a process the caller holds a reference on. */
static int act(const PcToolCall *call, const char *action, PcProcess *p, PcToolResult *ret,
               PcError *reterr)
{
        if (streq(action, "poll"))
                return do_poll(call, p, ret, reterr);
        if (streq(action, "log"))
                return do_log(call, p, ret, reterr);
        if (streq(action, "write") || streq(action, "send-keys"))
                return do_write(call, p, streq(action, "send-keys"), ret, reterr);

        PcProcessInfo i;
        pc_process_info(call->processes, p, &i);
        _cleanup_free_ char *pid = xstrdup(i.id);
        bool running = i.running;
        pc_process_info_release(&i);
        if (streq(action, "kill")) {
                if (!running) {
                        failed(ret, "Session %s is not running.", pid);
                        return 0;
                }
                (void) pc_process_kill(call->processes, p);
                /* Wait for the backend to confirm, so the caller sees "failed" and the
                 * sandbox holds none of the process tree any more. */
                (void) pc_process_wait(call->processes, p, KILL_WAIT_MS);
                _cleanup_free_ char *msg = xasprintf("Termination requested for session %s.", pid);
                pc_tool_result_text(ret, msg, false);
                ret->details = json_pack("{s:s,s:s}", "status", "failed", "sessionId", pid);
                return 0;
        }
        if (streq(action, "clear") && running) {
                failed(ret, "Session %s is still running; kill it first, or use remove.", pid);
                return 0;
        }
        pc_process_remove(call->processes, p); /* clear, remove */
        _cleanup_free_ char *msg =
                xasprintf("%s session %s.", streq(action, "clear") ? "Cleared" : "Removed", pid);
        pc_tool_result_text(ret, msg, false);
        ret->details = json_pack("{s:s,s:s}", "status", "completed", "sessionId", pid);
        return 0;
}

int pc_tool_process(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const char *action = json_string_value(json_object_get(call->args, "action"));
        if (!action)
                return pc_error_set(reterr, -EINVAL,
                                    "process: 'action' is required: list, poll, log, write, "
                                    "send-keys, kill, clear or remove");
        if (!call->processes)
                return pc_error_set(reterr, -EINVAL,
                                    "process: there are no background processes here: "
                                    "`pincer tools invoke` is one short-lived process; background "
                                    "processes live in a running `pincer gateway` (POST "
                                    "/tools/invoke)");
        if (streq(action, "list"))
                return do_list(call, ret);
        static const char *const known[] = {"poll", "log",   "write",  "send-keys",
                                            "kill", "clear", "remove", NULL};
        bool ok = false;
        for (size_t k = 0; known[k] && !ok; k++)
                ok = streq(known[k], action);
        if (!ok) {
                if (streq(action, "submit") || streq(action, "paste"))
                        return pc_error_set(reterr, -EINVAL,
                                            "process: '%s' needs a terminal, and Pincer's "
                                            "background processes have none (no pty); use write "
                                            "or send-keys",
                                            action);
                return pc_error_set(reterr, -EINVAL,
                                    "process: unknown action '%s'; use list, poll, log, write, "
                                    "send-keys, kill, clear or remove",
                                    action);
        }
        const char *id = json_string_value(json_object_get(call->args, "sessionId"));
        if (!id || !*id) {
                failed(ret, "sessionId is required for this action.");
                return 0;
        }
        PcProcess *p = pc_process_find(call->processes, call->session_key, id);
        if (!p) {
                failed(ret, "No session found for %s", id);
                return 0;
        }
        int r = act(call, action, p, ret, reterr);
        pc_process_unref(call->processes, p);
        return r;
}
