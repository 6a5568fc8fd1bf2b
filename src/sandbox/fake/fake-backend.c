/* SPDX-License-Identifier: MIT */
/* The fake backend: records calls, runs nothing (fake-backend.h). */
#include "fake-backend.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"

/* Background processes run exec on their own threads: every op holds this while it touches
 * the fake's tables (exec not while its command "runs"). */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const op_names[_PC_FAKE_OP_MAX] = {
        [PC_FAKE_CREATE] = "create",   [PC_FAKE_EXEC] = "exec",   [PC_FAKE_DESTROY] = "destroy",
        [PC_FAKE_INSPECT] = "inspect", [PC_FAKE_STATS] = "stats",
};

const char *pc_fake_op_to_string(PcFakeOp op)
{
        return op >= 0 && op < _PC_FAKE_OP_MAX ? op_names[op] : NULL;
}

PcFakeBackend *pc_fake_backend_new(void)
{
        return xcalloc(1, sizeof(PcFakeBackend));
}

PcFakeBackend *pc_fake_backend_free(PcFakeBackend *fb)
{
        if (!fb)
                return NULL;
        for (size_t i = 0; i < fb->n_calls; i++) {
                free(fb->calls[i].name);
                free(fb->calls[i].config_hash);
                free(fb->calls[i].argv);
                free(fb->calls[i].workdir);
        }
        free(fb->calls);
        for (size_t i = 0; i < fb->n_sandboxes; i++) {
                free(fb->sandboxes[i].name);
                free(fb->sandboxes[i].spec_json);
        }
        free(fb->sandboxes);
        free(fb->exec_stdout);
        free(fb->exec_stderr);
        free(fb);
        return NULL;
}

void pc_fake_backend_set_exec_result(PcFakeBackend *fb, int exit_code, const char *out,
                                     const char *err)
{
        fb->exec_exit_code = exit_code;
        free(fb->exec_stdout);
        free(fb->exec_stderr);
        fb->exec_stdout = out ? xstrdup(out) : NULL;
        fb->exec_stderr = err ? xstrdup(err) : NULL;
}

void pc_fake_backend_fail(PcFakeBackend *fb, PcFakeOp op, int code, bool sticky, const char *msg)
{
        fb->fail[op] = code;
        fb->fail_sticky[op] = sticky;
        snprintf(fb->fail_msg[op], sizeof(fb->fail_msg[op]), "%s", msg ? msg : "");
}

static PcFakeSandbox *find(PcFakeBackend *fb, const char *name)
{
        for (size_t i = 0; i < fb->n_sandboxes; i++)
                if (streq(fb->sandboxes[i].name, name))
                        return &fb->sandboxes[i];
        return NULL;
}

const PcFakeSandbox *pc_fake_backend_find(const PcFakeBackend *fb, const char *name)
{
        return find((PcFakeBackend *) fb, name);
}

static PcFakeSandbox *add(PcFakeBackend *fb, const char *name, const char *hash,
                          PcSandboxState state)
{
        fb->sandboxes = xrealloc(fb->sandboxes, (fb->n_sandboxes + 1) * sizeof(PcFakeSandbox));
        PcFakeSandbox *s = &fb->sandboxes[fb->n_sandboxes++];
        *s = (PcFakeSandbox){.name = xstrdup(name), .state = state};
        snprintf(s->config_hash, sizeof(s->config_hash), "%s", hash ? hash : "");
        return s;
}

void pc_fake_backend_add_existing(PcFakeBackend *fb, const char *name, const char *config_hash,
                                  PcSandboxState state)
{
        add(fb, name, config_hash, state);
}

size_t pc_fake_backend_count(const PcFakeBackend *fb, PcFakeOp op)
{
        size_t n = 0;
        pthread_mutex_lock(&fake_lock);
        for (size_t i = 0; i < fb->n_calls; i++)
                n += fb->calls[i].op == op;
        pthread_mutex_unlock(&fake_lock);
        return n;
}

static PcFakeCall *record(PcFakeBackend *fb, PcFakeOp op, const PcSandbox *sb)
{
        fb->calls = xrealloc(fb->calls, (fb->n_calls + 1) * sizeof(PcFakeCall));
        PcFakeCall *c = &fb->calls[fb->n_calls++];
        *c = (PcFakeCall){.op = op, .name = xstrdup(sb->name)};
        return c;
}

/* The injected failure for op, if any: sets reterr and returns the code. */
static int injected(PcFakeBackend *fb, PcFakeOp op, PcError *reterr)
{
        int code = fb->fail[op];
        if (code >= 0)
                return 0;
        if (!fb->fail_sticky[op])
                fb->fail[op] = 0;
        return pc_error_set(reterr, code, "%s",
                            fb->fail_msg[op][0] ? fb->fail_msg[op] : "injected failure");
}

static int create_locked(PcSandbox *sb, const PcSandboxSpec *spec, PcError *reterr)
{
        PcFakeBackend *fb = sb->backend;
        PcFakeCall *c = record(fb, PC_FAKE_CREATE, sb);
        c->config_hash = xstrdup(spec->config_hash);
        int r = injected(fb, PC_FAKE_CREATE, reterr);
        if (r == 0 && find(fb, sb->name))
                r = pc_error_set(reterr, -EEXIST, "a sandbox named '%s' already exists", sb->name);
        if (r == 0) {
                PcFakeSandbox *s = add(fb, sb->name, spec->config_hash, PC_SANDBOX_STATE_RUNNING);
                json_t *j = pc_sandbox_spec_to_json(spec, false);
                s->spec_json = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
                json_decref(j);
        }
        c = &fb->calls[fb->n_calls - 1];
        c->result = r;
        return r;
}

static int fake_create(PcSandbox *sb, const PcSandboxSpec *spec, PcError *reterr)
{
        pthread_mutex_lock(&fake_lock);
        int r = create_locked(sb, spec, reterr);
        pthread_mutex_unlock(&fake_lock);
        return r;
}

static void emit_n(const PcExecRequest *req, PcExecResult *ret, int stream, const char *s, size_t n)
{
        if (!s || n == 0)
                return;
        if (req->on_output)
                req->on_output(req->userdata, stream, s, n);
        else
                pc_buf_add(stream == 1 ? &ret->out : &ret->err, s, n);
}

static void emit(const PcExecRequest *req, PcExecResult *ret, int stream, const char *s)
{
        emit_n(req, ret, stream, s, s ? strlen(s) : 0);
}

/* A "long-running" fake command: echoes stdin_fd to stdout until its EOF (like cat), and is
 * killed (exit -1, SIGKILL, canceled) when cancel_fd becomes readable first. Without a
 * stdin_fd it ends at once (cancelled only if cancel_fd is already readable). */
static void long_running(const PcExecRequest *req, PcExecResult *ret)
{
        int in = req->stdin_fd > 0 ? req->stdin_fd : -1;
        for (;;) {
                struct pollfd p[2] = {
                        {.fd = in, .events = POLLIN},
                        {.fd = req->cancel_fd > 0 ? req->cancel_fd : -1, .events = POLLIN}};
                if (p[0].fd < 0 && p[1].fd < 0)
                        return;
                int nready = poll(p, 2, in < 0 ? 0 : -1);
                if (nready == 0)
                        return;
                if (nready < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                if (p[1].revents) {
                        ret->canceled = true;
                        ret->exit_code = -1;
                        ret->signal = SIGKILL;
                        return;
                }
                if (p[0].revents) {
                        char b[4096];
                        ssize_t k = read(in, b, sizeof(b));
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0)
                                return; /* EOF: the command ends */
                        emit_n(req, ret, 1, b, (size_t) k);
                }
        }
}

static int fake_exec(PcSandbox *sb, const PcExecRequest *req, PcExecResult *ret_result,
                     PcError *reterr)
{
        PcFakeBackend *fb = sb->backend;
        pthread_mutex_lock(&fake_lock);
        PcFakeCall *c = record(fb, PC_FAKE_EXEC, sb);
        size_t idx = fb->n_calls - 1;
        _cleanup_buf_ PcBuf argv = PC_BUF_INIT;
        for (size_t i = 0; req->argv[i]; i++) {
                if (i > 0)
                        pc_buf_addch(&argv, ' ');
                pc_buf_addstr(&argv, req->argv[i]);
        }
        c->argv = pc_buf_detach(&argv);
        c->workdir = req->workdir ? xstrdup(req->workdir) : NULL;
        c->n_env = req->n_env;

        int r = injected(fb, PC_FAKE_EXEC, reterr);
        const PcFakeSandbox *s = find(fb, sb->name);
        if (r == 0 && (!s || s->state != PC_SANDBOX_STATE_RUNNING))
                r = pc_error_set(reterr, -ENOENT, "no running sandbox named '%s'", sb->name);
        if (r == 0) {
                ret_result->exit_code = fb->exec_exit_code;
                ret_result->signal = 0;
                ret_result->timed_out = false;
                emit(req, ret_result, 1, fb->exec_stdout);
                emit(req, ret_result, 2, fb->exec_stderr);
        }
        pthread_mutex_unlock(&fake_lock);
        if (r == 0 && (req->stdin_fd > 0 || req->cancel_fd > 0))
                long_running(req, ret_result); /* touches nothing of fb */
        pthread_mutex_lock(&fake_lock);
        fb->calls[idx].result = r;
        pthread_mutex_unlock(&fake_lock);
        return r;
}

static int destroy_locked(PcSandbox *sb, PcError *reterr)
{
        PcFakeBackend *fb = sb->backend;
        record(fb, PC_FAKE_DESTROY, sb);
        int r = injected(fb, PC_FAKE_DESTROY, reterr);
        PcFakeSandbox *s = r == 0 ? find(fb, sb->name) : NULL;
        if (s) {
                free(s->name);
                free(s->spec_json);
                size_t i = (size_t) (s - fb->sandboxes);
                memmove(s, s + 1, (fb->n_sandboxes - i - 1) * sizeof(PcFakeSandbox));
                fb->n_sandboxes--;
        }
        fb->calls[fb->n_calls - 1].result = r;
        return r;
}

static int fake_destroy(PcSandbox *sb, PcError *reterr)
{
        pthread_mutex_lock(&fake_lock);
        int r = destroy_locked(sb, reterr);
        pthread_mutex_unlock(&fake_lock);
        return r;
}

static int inspect_locked(PcSandbox *sb, PcSandboxInfo *ret_info, PcError *reterr)
{
        PcFakeBackend *fb = sb->backend;
        record(fb, PC_FAKE_INSPECT, sb);
        int r = injected(fb, PC_FAKE_INSPECT, reterr);
        if (r == 0) {
                const PcFakeSandbox *s = find(fb, sb->name);
                *ret_info = (PcSandboxInfo){.state = s ? s->state : PC_SANDBOX_STATE_MISSING};
                if (s)
                        snprintf(ret_info->config_hash, sizeof(ret_info->config_hash), "%s",
                                 s->config_hash);
        }
        fb->calls[fb->n_calls - 1].result = r;
        return r;
}

static int fake_inspect(PcSandbox *sb, PcSandboxInfo *ret_info, PcError *reterr)
{
        pthread_mutex_lock(&fake_lock);
        int r = inspect_locked(sb, ret_info, reterr);
        pthread_mutex_unlock(&fake_lock);
        return r;
}

static int stats_locked(PcSandbox *sb, PcSandboxStats *ret_stats, PcError *reterr)
{
        PcFakeBackend *fb = sb->backend;
        record(fb, PC_FAKE_STATS, sb);
        int r = injected(fb, PC_FAKE_STATS, reterr);
        const PcFakeSandbox *s = find(fb, sb->name);
        if (r == 0 && (!s || s->state != PC_SANDBOX_STATE_RUNNING))
                r = pc_error_set(reterr, -ENOENT, "no running sandbox named '%s'", sb->name);
        if (r == 0)
                *ret_stats = (PcSandboxStats){.pids = 1};
        fb->calls[fb->n_calls - 1].result = r;
        return r;
}

static int fake_stats(PcSandbox *sb, PcSandboxStats *ret_stats, PcError *reterr)
{
        pthread_mutex_lock(&fake_lock);
        int r = stats_locked(sb, ret_stats, reterr);
        pthread_mutex_unlock(&fake_lock);
        return r;
}

const PcSandboxOps pc_fake_sandbox_ops = {
        .name = "fake",
        .create = fake_create,
        .exec = fake_exec,
        .destroy = fake_destroy,
        .inspect = fake_inspect,
        .stats = fake_stats,
        .release = NULL,
};
