/* SPDX-License-Identifier: MIT */
/*
 * Exec in a running container: create, start (plain or upgraded to a raw duplex stream when
 * there is stdin), demultiplex the output with caps, read the exit code, and kill on timeout.
 *
 * Killing. The Engine API (1.41, and still today) has no exec kill (moby#9098, #43208), and
 * ExecInspect's Pid is the host pid, which does not exist inside the container's pid
 * namespace; signalling it from here would need root on the engine's host and breaks over
 * tcp://. So each exec carries PINCER_EXEC_TAG=<random> in its environment, which its children
 * inherit, and the kill is a second exec, as the same user (so it may read the target's
 * /proc/<pid>/environ and signal it without CAP_SYS_PTRACE), that SIGKILLs every process whose
 * environment holds the tag. It needs /bin/sh and grep in the image; a process that clears
 * its environment or changes user escapes it, and the result then says still_running.
 * (runc makes the exec'd process a session leader, so "kill -KILL -<pid>" with its
 * in-container pid would reach its process group too; but nothing in the API gives that pid,
 * and the tag also reaches children that moved to another group or session.)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "base/alloc.h"
#include "base/log.h"
#include "engine-internal.h"

#define KILL_TIMEOUT_MS 10000 /* the whole kill exec */
#define KILL_GRACE_MS   3000  /* for the killed process to be reaped */
#define MAX_ERROR_BODY  65536
#define STREAM_BUF      65536
#define STDIN_CHUNK     65536

/* $1 is the tag. Three passes catch children forked while the first pass ran. */
static const char kill_script[] = "t=\"" PC_ENGINE_EXEC_TAG_ENV "=$1\"; n=0\n"
                                  "for pass in 1 2 3; do\n"
                                  "  for f in /proc/[0-9]*/environ; do\n"
                                  "    p=${f#/proc/}; p=${p%/environ}\n"
                                  "    if grep -qF -- \"$t\" \"$f\" 2>/dev/null; then\n"
                                  "      kill -9 \"$p\" 2>/dev/null && n=$((n+1))\n"
                                  "    fi\n"
                                  "  done\n"
                                  "done\n"
                                  "echo \"$n\"\n";

void pc_engine_exec_result_init(PcEngineExecResult *r)
{
        *r = (PcEngineExecResult){.exit_code = -1};
        pc_buf_init(&r->out);
        pc_buf_init(&r->err);
}

void pc_engine_exec_result_release(PcEngineExecResult *r)
{
        if (!r)
                return;
        pc_buf_release(&r->out);
        pc_buf_release(&r->err);
}

/* ---- Validation and the create body ----------------------------------------------------- */

static int check_list(const char *what, const char *const *list, bool is_env, size_t *bytes,
                      PcError *reterr)
{
        size_t n = 0;
        for (; list && list[n]; n++) {
                if (n >= PC_ENGINE_EXEC_MAX_ARGS)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -E2BIG,
                                                 "exec: more than %d %s entries",
                                                 PC_ENGINE_EXEC_MAX_ARGS, what);
                *bytes += strlen(list[n]) + 1;
                if (*bytes > PC_ENGINE_EXEC_MAX_ARGS_BYTES)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -E2BIG,
                                                 "exec: argv and env exceed %d bytes",
                                                 PC_ENGINE_EXEC_MAX_ARGS_BYTES);
                if (is_env) {
                        const char *eq = strchr(list[n], '=');
                        if (!eq || eq == list[n])
                                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                         "exec: env[%zu] is not KEY=value", n);
                        if (startswith(list[n], PC_ENGINE_EXEC_TAG_ENV "="))
                                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                         "exec: env[%zu]: " PC_ENGINE_EXEC_TAG_ENV
                                                         " is reserved",
                                                         n);
                }
        }
        return (int) n;
}

static int check_request(const char *container, const PcEngineExecRequest *req, PcError *reterr)
{
        if (!pc__engine_name_is_valid(container)) {
                _cleanup_buf_ PcBuf q = PC_BUF_INIT;
                pc_buf_add_escaped(&q, container, 80);
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "exec: invalid container '%s'", q.buf);
        }
        size_t bytes = 0;
        int n = check_list("argv", req->argv, false, &bytes, reterr);
        if (n < 0)
                return n;
        if (n == 0 || !req->argv[0][0])
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "exec: argv is empty");
        n = check_list("env", req->env, true, &bytes, reterr);
        if (n < 0)
                return n;
        if (req->stdin_fd > 0 && req->stdin_data)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "exec: stdin_fd and stdin_data are exclusive");
        if (!req->stdin_data && req->stdin_len > 0)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "exec: stdin_len without stdin_data");
        if (req->stdin_len > PC_ENGINE_EXEC_MAX_STDIN)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -E2BIG,
                                         "exec: stdin is larger than %u bytes",
                                         PC_ENGINE_EXEC_MAX_STDIN);
        if (req->timeout_ms < 0 || req->timeout_ms > PC_ENGINE_EXEC_MAX_TIMEOUT)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "exec: timeout %d ms is outside 0..%d", req->timeout_ms,
                                         PC_ENGINE_EXEC_MAX_TIMEOUT);
        if (req->output_cap > PC_ENGINE_EXEC_MAX_OUTPUT)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -E2BIG,
                                         "exec: output cap %zu is larger than %u bytes",
                                         req->output_cap, PC_ENGINE_EXEC_MAX_OUTPUT);
        if ((req->user && strlen(req->user) > 256) || (req->workdir && strlen(req->workdir) > 4096))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -E2BIG,
                                         "exec: user or workdir too long");
        return 0;
}

/* Appends list to the JSON array a; -EILSEQ when an entry is not UTF-8. */
static int add_strings(json_t *a, const char *what, const char *const *list, PcError *reterr)
{
        for (size_t i = 0; list && list[i]; i++) {
                json_t *s = json_string(list[i]);
                if (!s)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EILSEQ,
                                                 "exec: %s[%zu] is not valid UTF-8", what, i);
                json_array_append_new(a, s);
        }
        return 0;
}

static int create_body(const char *const *argv, const char *const *env, const char *tag,
                       const char *workdir, const char *user, bool attach_stdin, json_t **ret,
                       PcError *reterr)
{
        json_t *body = json_pack("{s:b,s:b,s:b,s:b,s:[],s:[]}", "AttachStdin", attach_stdin,
                                 "AttachStdout", 1, "AttachStderr", 1, "Tty", 0, "Cmd", "Env");
        int r = add_strings(json_object_get(body, "Cmd"), "argv", argv, reterr);
        if (r >= 0)
                r = add_strings(json_object_get(body, "Env"), "env", env, reterr);
        if (r < 0) {
                json_decref(body);
                return r;
        }
        if (tag) {
                _cleanup_free_ char *t = xasprintf(PC_ENGINE_EXEC_TAG_ENV "=%s", tag);
                json_array_append_new(json_object_get(body, "Env"), json_string(t));
        }
        if ((workdir && json_object_set_new(body, "WorkingDir", json_string(workdir)) < 0) ||
            (user && json_object_set_new(body, "User", json_string(user)) < 0)) {
                json_decref(body);
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EILSEQ,
                                         "exec: user or workdir is not valid UTF-8");
        }
        *ret = body;
        return 0;
}

static void make_tag(char tag[33])
{
        unsigned char b[16];
        size_t got = 0;
        while (got < sizeof(b)) {
                ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
                if (n > 0)
                        got += (size_t) n;
                else if (n < 0 && errno != EINTR)
                        abort(); /* the kernel has no randomness: nothing sane to do */
        }
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(tag + 2 * i, 3, "%02x", b[i]);
}

/* ---- Create, start, inspect ------------------------------------------------------------- */

static int exec_create(PcEngine *e, const char *container, json_t *body, char *ret_id,
                       size_t id_size, PcError *reterr)
{
        _cleanup_free_ char *path = xasprintf("/containers/%s/exec", container);
        _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        int k = pc_engine_request(e, "POST", path, body, &r, reterr);
        if (k < 0)
                return k;
        k = pc__engine_expect(e, "POST", path, &r, JSON_OBJECT, reterr);
        if (k < 0)
                return k;
        const char *id = json_string_value(json_object_get(r.json, "Id"));
        if (!id || !pc__engine_name_is_valid(id) || strlen(id) >= id_size)
                return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, -EBADMSG,
                                         "Docker engine at %s: the reply to POST %s has no "
                                         "valid Id",
                                         pc_engine_address(e), path);
        strcpy(ret_id, id);
        return 0;
}

/* Polls GET /exec/{id}/json until the process is no longer running or until is reached. */
static int exec_wait(PcEngine *e, const char *exec_id, int64_t until, int *ret_exit,
                     bool *ret_running, PcError *reterr)
{
        _cleanup_free_ char *path = xasprintf("/exec/%s/json", exec_id);
        int pause_ms = 5;
        for (;;) {
                _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
                int k = pc_engine_request(e, "GET", path, NULL, &r, reterr);
                if (k < 0)
                        return k;
                k = pc__engine_expect(e, "GET", path, &r, JSON_OBJECT, reterr);
                if (k < 0)
                        return k;
                if (!json_is_true(json_object_get(r.json, "Running"))) {
                        json_t *code = json_object_get(r.json, "ExitCode");
                        *ret_exit = json_is_integer(code) ? (int) json_integer_value(code) : -1;
                        *ret_running = false;
                        return 0;
                }
                int left = pc__remaining_ms(until);
                if (left == 0) {
                        *ret_exit = -1;
                        *ret_running = true;
                        return 0;
                }
                (void) poll(NULL, 0, pause_ms < left ? pause_ms : left);
                if (pause_ms < 200)
                        pause_ms *= 2;
        }
}

/* Routes the start reply's body: the output stream on success, the error text otherwise. */
typedef struct StreamSink {
        PcHttpParser *parser;
        PcMux *mux;
        PcBuf errbody;
} StreamSink;

static int on_stream_body(void *userdata, const char *data, size_t n)
{
        StreamSink *s = userdata;
        if (s->parser->status >= 200 && s->parser->status < 300) {
                int r = pc__mux_feed(s->mux, data, n);
                if (r < 0)
                        snprintf(s->parser->err, sizeof(s->parser->err), "%s", s->mux->err);
                return r;
        }
        size_t room = MAX_ERROR_BODY - s->errbody.len;
        pc_buf_add(&s->errbody, data, n < room ? n : room);
        return 0;
}

/* Where stdin comes from and what may cut the stream short. */
typedef struct StreamIo {
        const char *stdin_data; /* written, then the write side is shut down */
        size_t stdin_len;
        int stdin_fd;  /* > 0: relayed until its EOF, then the write side is shut down */
        int cancel_fd; /* > 0: readable → stop reading, *ret_canceled */
} StreamIo;

/* Relays what stdin_fd has into pending (when pending is empty). Returns 1 at EOF or error
 * (the relay is over), 0 otherwise. */
static int relay_read(int fd, PcBuf *pending)
{
        char b[STDIN_CHUNK];
        ssize_t k = read(fd, b, sizeof(b));
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (k <= 0)
                return 1;
        pc_buf_add(pending, b, (size_t) k);
        return 0;
}

/* POST /exec/{id}/start and read the output until EOF or deadline (*ret_timed_out) or cancel
 * (*ret_canceled). With stdin, the connection is upgraded and stdin is written, interleaved
 * with reading, then the write side is shut down. */
static int exec_stream(PcEngine *e, const char *exec_id, const StreamIo *io, PcMux *mux,
                       int64_t deadline, bool *ret_timed_out, bool *ret_canceled, PcError *reterr)
{
        _cleanup_free_ char *path = xasprintf("/exec/%s/start", exec_id);
        const char *stdin_data = io->stdin_data;
        size_t stdin_len = io->stdin_len;
        bool want_stdin = stdin_data != NULL || io->stdin_fd > 0;
        bool relay = io->stdin_fd > 0; /* stdin_fd still open for reading */
        _cleanup_buf_ PcBuf pending = PC_BUF_INIT;
        *ret_timed_out = false;
        *ret_canceled = false;

        _cleanup_close_ int fd = pc__engine_connect(e, pc__engine_deadline(e), reterr);
        if (fd < 0)
                return fd;
        json_t *body = json_pack("{s:b,s:b}", "Detach", 0, "Tty", 0);
        int r = pc__engine_send(e, fd, "POST", path, body,
                                want_stdin ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : NULL,
                                pc__engine_deadline(e), reterr);
        json_decref(body);
        if (r < 0)
                return r;

        PcHttpParser p;
        StreamSink sink = {.parser = &p, .mux = mux, .errbody = PC_BUF_INIT};
        pc__http_parser_init(&p, 0, on_stream_body, &sink);
        _cleanup_free_ char *buf = xmalloc(STREAM_BUF);
        bool raw = false;              /* 101: bytes go straight to the demultiplexer */
        bool write_done = !want_stdin; /* stdin written and the write side shut down */
        size_t off = 0;

        for (;;) {
                bool open = p.state != PC_HTTP_HEAD &&
                            (p.status == 101 || (p.status >= 200 && p.status < 300));
                bool want_out = open && !write_done && (!relay || pending.len > 0);
                struct pollfd pf[3] = {
                        {.fd = fd, .events = POLLIN | (want_out ? POLLOUT : 0)},
                        {.fd = open && relay && pending.len == 0 ? io->stdin_fd : -1,
                         .events = POLLIN},
                        {.fd = io->cancel_fd > 0 ? io->cancel_fd : -1, .events = POLLIN},
                };
                int nready = poll(pf, 3, pc__remaining_ms(deadline));
                if (nready < 0 && errno == EINTR)
                        continue;
                if (nready < 0) {
                        r = pc__engine_io_error(e, "POST", path, -errno, NULL, reterr);
                        goto out;
                }
                if (pf[2].revents) {
                        *ret_canceled = true;
                        r = 0;
                        goto out;
                }
                if (nready == 0) {
                        *ret_timed_out = true;
                        r = 0;
                        goto out;
                }
                if (pf[1].revents && relay_read(io->stdin_fd, &pending)) {
                        relay = false;
                        if (pending.len == 0) {
                                (void) shutdown(fd, SHUT_WR);
                                write_done = true;
                        }
                }
                short rv = pf[0].revents;
                if ((rv & POLLOUT) && !write_done && io->stdin_fd > 0) {
                        ssize_t n = send(fd, pending.buf, pending.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                                write_done = true; /* the process no longer reads stdin */
                                relay = false;
                        } else if (n > 0) {
                                memmove(pending.buf, pending.buf + n, pending.len - (size_t) n);
                                pc_buf_setlen(&pending, pending.len - (size_t) n);
                                if (pending.len == 0 && !relay) {
                                        (void) shutdown(fd, SHUT_WR);
                                        write_done = true;
                                }
                        }
                } else if ((rv & POLLOUT) && !write_done) {
                        size_t left = stdin_len - off;
                        ssize_t k = 0;
                        if (left > 0)
                                k = send(fd, stdin_data + off,
                                         left < STDIN_CHUNK ? left : STDIN_CHUNK,
                                         MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (k > 0)
                                off += (size_t) k;
                        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                                /* The process no longer reads stdin: keep collecting output. */
                                (void) log_debug_errno(-errno, "docker: exec %s: stdin: %m",
                                                       exec_id);
                                write_done = true;
                        } else if (off == stdin_len) {
                                (void) shutdown(fd, SHUT_WR);
                                write_done = true;
                        }
                }
                if (!(rv & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                ssize_t n = recv(fd, buf, STREAM_BUF, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                                continue;
                        r = pc__engine_io_error(e, "POST", path, -errno, NULL, reterr);
                        goto out;
                }
                if (n == 0) {
                        r = raw ? 1 : pc__http_parser_eof(&p);
                        if (r < 0) {
                                r = pc__engine_io_error(e, "POST", path, r, &p, reterr);
                                goto out;
                        }
                        break;
                }
                if (raw) {
                        r = pc__mux_feed(mux, buf, (size_t) n);
                        if (r < 0) {
                                snprintf(p.err, sizeof(p.err), "%s", mux->err);
                                r = pc__engine_io_error(e, "POST", path, r, &p, reterr);
                                goto out;
                        }
                        continue;
                }
                size_t used = 0;
                r = pc__http_parser_feed(&p, buf, (size_t) n, &used);
                if (r < 0) {
                        r = pc__engine_io_error(e, "POST", path, r, &p, reterr);
                        goto out;
                }
                if (r == 1 && p.state == PC_HTTP_UPGRADED) {
                        raw = true;
                        r = pc__mux_feed(mux, buf + used, (size_t) n - used);
                        if (r < 0) {
                                snprintf(p.err, sizeof(p.err), "%s", mux->err);
                                r = pc__engine_io_error(e, "POST", path, r, &p, reterr);
                                goto out;
                        }
                } else if (r == 1) {
                        break; /* a framed body ended: the stream is complete */
                }
        }

        if (p.status != 101 && (p.status < 200 || p.status >= 300)) {
                r = pc__engine_status_error("POST", path, p.status, sink.errbody.buf,
                                            sink.errbody.len, reterr);
                goto out;
        }
        r = pc__mux_finish(mux);
        if (r < 0)
                r = pc_error_set_kind(reterr, PC_ERROR_INTERNAL, r,
                                      "Docker engine at %s: exec %s: %s", pc_engine_address(e),
                                      exec_id, mux->err);
        else
                r = 0;
out:
        pc_buf_release(&sink.errbody);
        pc__http_parser_release(&p);
        return r;
}

/* Runs the kill script (see the top of this file) as user; returns how many processes it
 * signalled, or < 0. */
static int exec_kill(PcEngine *e, const char *container, const char *user, const char *tag,
                     PcError *reterr)
{
        const char *argv[] = {"/bin/sh", "-c", kill_script, "pincer-kill", tag, NULL};
        json_t *body = NULL;
        int r = create_body(argv, NULL, NULL, NULL, user, false, &body, reterr);
        if (r < 0)
                return r;
        char id[72];
        r = exec_create(e, container, body, id, sizeof(id), reterr);
        json_decref(body);
        if (r < 0)
                return r;

        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        _cleanup_buf_ PcBuf err = PC_BUF_INIT;
        PcMux mux;
        pc__mux_init(&mux, &out, &err, 4096);
        bool timed_out = false;
        int64_t deadline = pc__now_ms() + KILL_TIMEOUT_MS;
        bool canceled = false;
        StreamIo io = {0};
        r = exec_stream(e, id, &io, &mux, deadline, &timed_out, &canceled, reterr);
        pc__mux_release(&mux);
        if (r < 0)
                return r;
        if (timed_out)
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ETIMEDOUT,
                                         "exec kill: the kill script did not finish in %d ms",
                                         KILL_TIMEOUT_MS);
        int exit_code = -1;
        bool running = false;
        r = exec_wait(e, id, deadline, &exit_code, &running, reterr);
        if (r < 0)
                return r;
        if (exit_code != 0) {
                _cleanup_buf_ PcBuf q = PC_BUF_INIT;
                pc_buf_add_escaped(&q, err.len ? err.buf : out.buf, 200);
                return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, -ESRCH,
                                         "exec kill: the kill script exited with %d: %s", exit_code,
                                         q.buf);
        }
        return atoi(out.buf);
}

/* ---- The public call -------------------------------------------------------------------- */

/* Kills the tagged processes and records what became of the exec. */
static void kill_and_reap(PcEngine *e, const char *container, const PcEngineExecRequest *req,
                          const char *tag, PcEngineExecResult *ret)
{
        PcError kerr = PC_ERROR_INIT;
        int k = exec_kill(e, container, req->user, tag, &kerr);
        if (k < 0)
                log_debug("docker: exec %s: kill failed: %s", ret->exec_id, kerr.msg);
        else
                log_debug("docker: exec %s: killed %d processes", ret->exec_id, k);
        bool running = true;
        k = exec_wait(e, ret->exec_id, pc__now_ms() + KILL_GRACE_MS, &ret->exit_code, &running,
                      &kerr);
        if (k < 0) {
                log_debug("docker: exec %s: inspect after kill failed: %s", ret->exec_id, kerr.msg);
                ret->exit_code = -1;
        }
        ret->still_running = running;
}

int pc_engine_exec(PcEngine *e, const char *container, const PcEngineExecRequest *req,
                   PcEngineExecResult *ret, PcError *reterr)
{
        pc_engine_exec_result_init(ret);
        int r = check_request(container, req, reterr);
        if (r < 0)
                return r;
        int timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : PC_ENGINE_EXEC_DEFAULT_TIMEOUT;
        size_t cap = req->output_cap > 0 ? req->output_cap : PC_ENGINE_EXEC_DEFAULT_OUTPUT;

        char tag[33];
        make_tag(tag);
        json_t *body = NULL;
        r = create_body(req->argv, req->env, tag, req->workdir, req->user,
                        req->stdin_data != NULL || req->stdin_fd > 0, &body, reterr);
        if (r < 0)
                return r;
        r = exec_create(e, container, body, ret->exec_id, sizeof(ret->exec_id), reterr);
        json_decref(body);
        if (r < 0)
                return r;

        PcMux mux;
        pc__mux_init(&mux, &ret->out, &ret->err, cap);
        mux.on_output = req->on_output;
        mux.userdata = req->userdata;
        int64_t deadline = pc__now_ms() + timeout_ms;
        bool timed_out = false;
        StreamIo io = {.stdin_data = req->stdin_data,
                       .stdin_len = req->stdin_len,
                       .stdin_fd = req->stdin_fd,
                       .cancel_fd = req->cancel_fd};
        r = exec_stream(e, ret->exec_id, &io, &mux, deadline, &timed_out, &ret->canceled, reterr);
        ret->out_truncated = mux.truncated[0];
        ret->err_truncated = mux.truncated[1];
        ret->out_total = mux.total[0];
        ret->err_total = mux.total[1];
        if (r < 0) {
                /* The stream broke: do not leave the process behind. */
                kill_and_reap(e, container, req, tag, ret);
                pc__mux_release(&mux);
                return r;
        }
        if (mux.syserr.len > 0) {
                _cleanup_buf_ PcBuf q = PC_BUF_INIT;
                pc_buf_add_escaped(&q, mux.syserr.buf, 300);
                pc__mux_release(&mux);
                kill_and_reap(e, container, req, tag, ret);
                return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, -EIO, "Docker engine: exec: %s",
                                         q.buf);
        }
        pc__mux_release(&mux);

        if (ret->canceled) {
                kill_and_reap(e, container, req, tag, ret);
                return 0;
        }
        if (!timed_out) {
                /* The output ended; the process may still run (it closed its stdout and
                 * stderr): wait for it, up to the same deadline. */
                bool running = false;
                r = exec_wait(e, ret->exec_id, deadline, &ret->exit_code, &running, reterr);
                if (r < 0)
                        return r;
                timed_out = running;
        }
        if (timed_out) {
                ret->timed_out = true;
                kill_and_reap(e, container, req, tag, ret);
        }
        return 0;
}
