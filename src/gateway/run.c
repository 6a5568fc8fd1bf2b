/* SPDX-License-Identifier: MIT */
/*
 * Gateway agent runs (gateway-internal.h "run.c"): the one machinery behind
 * POST /v1/chat/completions (chat.c), the WebSocket agent and chat.send methods (ws-agent.c)
 * and the sub-agent tools (sessions_spawn, sessions_send through PcRunHost).
 *
 * Each run has a thread of its own, which loads its own config snapshot (PcConfig's refcount
 * belongs to the loop thread), opens its own state connection for the transcript and runs the
 * agent loop (agents/loop.h). Its tool calls hop to the tool workers as jobs with caller
 * "agent", the run's cancel eventfd and the run host; the run thread waits for each. Events
 * (start, text deltas, tool start and end) queue on the run and reach the owner on the loop
 * thread through the registry's one uv_async, in order, and then the owner's finished().
 *
 * A run can be started from any thread (a tool worker's sessions_spawn included): start only
 * takes the registry's lock and creates the thread, so a tool never waits for a worker to start
 * a run. Finished runs stay in the registry for RUN_KEEP_MS (idempotency keys, agent.wait,
 * sessions_send's wait), at most RUN_KEEP_MAX of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agents/loop.h"
#include "base/alloc.h"
#include "base/log.h"
#include "gateway-internal.h"

#define RUN_KEEP_MS  (10 * 60 * 1000)
#define RUN_KEEP_MAX 256

struct PcGatewayRuns {
        PcGateway *g;
        uv_mutex_t lock;
        uv_cond_t cond; /* broadcast on every finish and every tool hop's return */
        uv_async_t async;
        PcGatewayRun *list; /* newest first */
        size_t n_active;    /* not yet handed to finished() */
        size_t n_kept;      /* finished, kept */
        PcRunHost host;
};

typedef struct RunWaiter {
        struct RunWaiter *next;
        PcGatewayRun *run;
        PcGatewayRunWaitFn fn;
        void *userdata;
        uv_timer_t timer;
} RunWaiter;

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_free(PcGatewayRun *run)
{
        free(run->id);
        free(run->agent_id);
        free(run->session_key);
        free(run->message);
        free(run->spawned_by);
        free(run->label);
        free(run->stored_key);
        json_decref(run->events);
        pc_agent_run_result_release(&run->res);
        if (run->cancel_fd > 0)
                close(run->cancel_fd);
        free(run);
}

/* Under the lock. */
static PcGatewayRun *find_locked(PcGatewayRuns *rs, const char *id)
{
        for (PcGatewayRun *r = rs->list; r; r = r->next)
                if (streq(r->id, id))
                        return r;
        return NULL;
}

PcGatewayRun *pc__gateway_run_find(PcGateway *g, const char *id)
{
        uv_mutex_lock(&g->runs->lock);
        PcGatewayRun *r = find_locked(g->runs, id);
        uv_mutex_unlock(&g->runs->lock);
        return r;
}

bool pc__gateway_run_done(PcGatewayRun *run)
{
        uv_mutex_lock(&run->g->runs->lock);
        bool d = run->done;
        uv_mutex_unlock(&run->g->runs->lock);
        return d;
}

/* Run thread: an event for the owner (stolen). */
static void push(PcGatewayRun *run, json_t *ev)
{
        PcGatewayRuns *rs = run->g->runs;
        if (!ev)
                return;
        if (!run->ops || !run->ops->event) {
                json_decref(ev);
                return;
        }
        uv_mutex_lock(&rs->lock);
        json_array_append_new(run->events, ev);
        uv_mutex_unlock(&rs->lock);
        uv_async_send(&rs->async);
}

static void ev_session(const char *key, void *userdata)
{
        PcGatewayRun *run = userdata;
        PcGatewayRuns *rs = run->g->runs;
        uv_mutex_lock(&rs->lock);
        free(run->stored_key);
        run->stored_key = xstrdup(key);
        uv_mutex_unlock(&rs->lock);
}

static void ev_text(const char *text, size_t len, void *userdata)
{
        json_t *t = json_stringn(text, len);
        if (t)
                push(userdata, json_pack("{s:s,s:o}", "type", "text", "text", t));
}

static void ev_tool_start(const char *tool, const char *call_id, const json_t *args, void *userdata)
{
        push(userdata,
             json_pack("{s:s,s:s,s:s,s:O?}", "type", "tool_start", "name", tool ? tool : "",
                       "toolCallId", call_id ? call_id : "", "args", args));
}

static void ev_tool_end(const char *tool, const char *call_id, bool is_error, const char *text,
                        void *userdata)
{
        push(userdata, json_pack("{s:s,s:s,s:s,s:b,s:s}", "type", "tool_end", "name",
                                 tool ? tool : "", "toolCallId", call_id ? call_id : "", "isError",
                                 is_error, "result", text ? text : ""));
}

/* Loop thread: the workers finished a tool call of a run. */
static void hop_done(PcGatewayJob *job, void *userdata)
{
        PcGatewayRun *run = userdata;
        PcGatewayRuns *rs = run->g->runs;
        uv_mutex_lock(&rs->lock);
        run->tool_done = job;
        uv_cond_broadcast(&rs->cond);
        uv_mutex_unlock(&rs->lock);
}

/* Run thread: one tool call through the workers (PcAgentInvokeFn). */
static int hop_invoke(void *userdata, const PcInvokeRequest *req, PcInvokeResponse *ret,
                      PcError *reterr)
{
        PcGatewayRun *run = userdata;
        PcGatewayRuns *rs = run->g->runs;
        PcGatewayJob *j = xcalloc(1, sizeof(*j));
        j->tool = xstrdup(req->tool);
        j->args = req->args ? json_deep_copy(req->args) : json_object();
        j->agent_id = req->agent_id ? xstrdup(req->agent_id) : NULL;
        j->session_key = req->session_key ? xstrdup(req->session_key) : NULL;
        j->caller = "agent";
        j->keep_response = true;
        j->cancel_fd = run->cancel_fd;
        j->runs = &rs->host;
        j->done = hop_done;
        j->done_data = run;
        (void) reterr;
        /* submit only takes the workers' mutex: safe from this thread */
        if (pc__gateway_worker_submit(run->g->worker, j) < 0) {
                /* the model sees the refusal as the tool's result */
                *ret = (PcInvokeResponse){.status = 503, .error_type = "unavailable"};
                snprintf(ret->message, sizeof(ret->message),
                         "too many tool calls waiting for a worker, retry later");
                snprintf(ret->tool, sizeof(ret->tool), "%s", req->tool);
                j->keep_response = false;
                pc__gateway_job_free(j);
                return 0;
        }
        uv_mutex_lock(&rs->lock);
        while (run->tool_done != j)
                uv_cond_wait(&rs->cond, &rs->lock);
        run->tool_done = NULL;
        uv_mutex_unlock(&rs->lock);
        *ret = j->response;
        j->keep_response = false; /* moved to *ret */
        pc__gateway_job_free(j);
        return 0;
}

static void run_main(void *arg)
{
        PcGatewayRun *run = arg;
        PcGatewayRuns *rs = run->g->runs;
        PcConfig *cfg = NULL;
        PcStore *store = NULL;
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcError err = PC_ERROR_INIT;
        PcAgentRunResult res = {0};
        int r = pc_config_load(run->g->load, &diags, &cfg, &err);
        if (r < 0) {
                log_error("run %s: cannot load the configuration: %s", run->id, err.msg);
                pc_error_set_kind(&err, PC_ERROR_INTERNAL, r,
                                  "the gateway's configuration does not load; see its log");
        }
        PcAgentRunRequest req = {
                .agent_id = run->agent_id,
                .session_key = run->session_key,
                .message = run->message,
                .caller = "agent",
                .owner = true, /* shared-secret callers are owners (spec §1.4) */
                .invoke = hop_invoke,
                .invoke_userdata = run,
                .cancel_fd = run->cancel_fd,
                .spawned_by = run->spawned_by,
                .label = run->label,
                .message_recorded = run->message_recorded,
        };
        if (r >= 0 && run->ops && run->ops->prepare)
                r = run->ops->prepare(run, cfg, &req, run->owner, &err);
        if (r >= 0) {
                r = pc_store_open(pc_config_state_dir(cfg), &store, &err);
                if (r < 0) {
                        log_error("run %s: %s", run->id, err.msg);
                        pc_error_set_kind(&err, PC_ERROR_INTERNAL, r,
                                          "cannot open the state database");
                }
        }
        if (r >= 0) {
                req.store = store;
                push(run, json_pack("{s:s}", "type", "start"));
                PcAgentEvents ev = {.session = ev_session,
                                    .text_delta = ev_text,
                                    .tool_start = ev_tool_start,
                                    .tool_end = ev_tool_end,
                                    .userdata = run};
                r = pc_agent_run(cfg, &req, &ev, &res, &err);
                if (r < 0)
                        log_warning("run %s in %s: %s", run->id,
                                    res.session_key ? res.session_key : "?", err.msg);
        }
        pc_store_close(store);
        pc_config_unref(cfg);
        uv_mutex_lock(&rs->lock);
        run->r = r;
        run->err = err;
        run->res = res;
        run->ended_at = wall_ms();
        run->done = true;
        uv_cond_broadcast(&rs->cond);
        uv_mutex_unlock(&rs->lock);
        uv_async_send(&rs->async);
}

static char *random_id(void)
{
        unsigned char b[12] = {0};
        (void) !getrandom(b, sizeof(b), 0);
        char hex[25];
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(hex + 2 * i, 3, "%02x", b[i]);
        return xasprintf("run-%s", hex);
}

int pc__gateway_run_start(PcGateway *g, const PcGatewayRunParams *p, PcGatewayRun **ret,
                          PcError *reterr)
{
        PcGatewayRuns *rs = g->runs;
        PcGatewayRun *run = xcalloc(1, sizeof(*run));
        run->g = g;
        run->id = p->id ? xstrdup(p->id) : random_id();
        run->agent_id = p->agent_id ? xstrdup(p->agent_id) : NULL;
        run->session_key = p->session_key ? xstrdup(p->session_key) : NULL;
        run->message = p->message ? xstrdup(p->message) : NULL;
        run->spawned_by = p->spawned_by ? xstrdup(p->spawned_by) : NULL;
        run->label = p->label ? xstrdup(p->label) : NULL;
        run->message_recorded = p->message_recorded;
        run->ops = p->ops;
        run->owner = p->owner;
        run->events = json_array();
        run->started_at = wall_ms();
        run->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (run->cancel_fd == 0) { /* fd 0 means "none" in the exec requests */
                int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
                close(0);
                run->cancel_fd = fd;
        }
        if (run->cancel_fd < 0) {
                int e = -errno;
                run_free(run);
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, e,
                                         "cannot create the run's cancel eventfd: %s",
                                         strerror(-e));
        }
        uv_mutex_lock(&rs->lock);
        if (find_locked(rs, run->id)) {
                uv_mutex_unlock(&rs->lock);
                int r = pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EEXIST,
                                          "a run with id \"%s\" already exists", run->id);
                run_free(run);
                return r;
        }
        if (rs->n_active >= PC_GATEWAY_MAX_RUNS) {
                uv_mutex_unlock(&rs->lock);
                run_free(run);
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EAGAIN,
                                         "%u agent runs are already going on; retry later",
                                         PC_GATEWAY_MAX_RUNS);
        }
        if (uv_thread_create(&run->thread, run_main, run) != 0) {
                uv_mutex_unlock(&rs->lock);
                run_free(run);
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EAGAIN,
                                         "cannot start a thread for the run");
        }
        run->next = rs->list;
        rs->list = run;
        rs->n_active++;
        if (ret)
                *ret = run;
        uv_mutex_unlock(&rs->lock);
        log_info("run %s started (agent %s, session %s)", run->id, p->agent_id ? p->agent_id : "-",
                 p->session_key ? p->session_key : "-");
        return 0;
}

static void waiter_closed(uv_handle_t *h)
{
        free(h->data);
}

static void waiter_timeout(uv_timer_t *t)
{
        RunWaiter *w = t->data;
        for (RunWaiter **pp = &w->run->waiters; *pp; pp = &(*pp)->next)
                if (*pp == w) {
                        *pp = w->next;
                        break;
                }
        w->fn(w->run, true, w->userdata);
        uv_close((uv_handle_t *) &w->timer, waiter_closed);
}

void pc__gateway_run_wait(PcGatewayRun *run, uint64_t timeout_ms, PcGatewayRunWaitFn fn,
                          void *userdata)
{
        RunWaiter *w = xcalloc(1, sizeof(*w));
        w->run = run;
        w->fn = fn;
        w->userdata = userdata;
        uv_timer_init(&run->g->loop, &w->timer);
        w->timer.data = w;
        uv_timer_start(&w->timer, waiter_timeout, timeout_ms, 0);
        w->next = run->waiters;
        run->waiters = w;
}

bool pc__gateway_run_abort(PcGatewayRun *run)
{
        PcGatewayRuns *rs = run->g->runs;
        uv_mutex_lock(&rs->lock);
        bool live = !run->done;
        if (live && !run->aborted) {
                run->aborted = true;
                uint64_t one = 1;
                (void) !write(run->cancel_fd, &one, sizeof(one));
                uv_cond_broadcast(&rs->cond); /* a sessions_send of this run waits on it */
        }
        uv_mutex_unlock(&rs->lock);
        if (live)
                log_info("run %s: aborted", run->id);
        return live;
}

size_t pc__gateway_run_abort_session(PcGateway *g, const char *session_key, const char *run_id,
                                     json_t *ret_ids)
{
        PcGatewayRuns *rs = g->runs;
        size_t n = 0;
        uv_mutex_lock(&rs->lock);
        PcGatewayRun *head = rs->list;
        uv_mutex_unlock(&rs->lock);
        for (PcGatewayRun *r = head; r; r = r->next) {
                if (run_id && !streq(r->id, run_id))
                        continue;
                uv_mutex_lock(&rs->lock);
                bool match = !session_key || streq_ptr(r->session_key, session_key) ||
                             streq_ptr(r->stored_key, session_key);
                uv_mutex_unlock(&rs->lock);
                if (!match)
                        continue;
                if (pc__gateway_run_abort(r)) {
                        n++;
                        if (ret_ids)
                                json_array_append_new(ret_ids, json_string(r->id));
                }
        }
        return n;
}

/* Loop thread: delivers queued events and finished runs; forgets old finished runs. */
static void on_async(uv_async_t *h)
{
        PcGatewayRuns *rs = h->data;
        uv_mutex_lock(&rs->lock);
        PcGatewayRun *head = rs->list;
        uv_mutex_unlock(&rs->lock);
        bool any_finished = false;
        for (PcGatewayRun *run = head; run; run = run->next) {
                if (run->finished)
                        continue;
                uv_mutex_lock(&rs->lock);
                json_t *events = run->events;
                run->events = json_array();
                bool done = run->done;
                uv_mutex_unlock(&rs->lock);
                size_t i;
                json_t *ev;
                json_array_foreach (events, i, ev)
                        if (run->ops && run->ops->event)
                                run->ops->event(run, ev, run->owner);
                json_decref(events);
                if (!done)
                        continue;
                uv_thread_join(&run->thread);
                run->finished = true;
                log_info("run %s finished (%s)", run->id,
                         run->r >= 0 ? "ok" : (run->r == -ECANCELED ? "aborted" : "error"));
                if (run->ops && run->ops->finished)
                        run->ops->finished(run, run->owner);
                run->ops = NULL;
                run->owner = NULL;
                for (RunWaiter *w = run->waiters, *n; w; w = n) {
                        n = w->next;
                        uv_timer_stop(&w->timer);
                        w->fn(run, false, w->userdata);
                        uv_close((uv_handle_t *) &w->timer, waiter_closed);
                }
                run->waiters = NULL;
                uv_mutex_lock(&rs->lock);
                rs->n_active--;
                rs->n_kept++;
                uv_mutex_unlock(&rs->lock);
                any_finished = true;
        }
        /* forget finished runs nobody waits for, oldest first once over RUN_KEEP_MAX */
        int64_t now = wall_ms();
        uv_mutex_lock(&rs->lock);
        size_t kept = 0;
        for (PcGatewayRun **pp = &rs->list; *pp;) {
                PcGatewayRun *r = *pp;
                if (r->finished && r->refs == 0 &&
                    (now - r->ended_at > RUN_KEEP_MS || kept >= RUN_KEEP_MAX)) {
                        *pp = r->next;
                        rs->n_kept--;
                        run_free(r);
                        continue;
                }
                kept += r->finished;
                pp = &r->next;
        }
        uv_mutex_unlock(&rs->lock);
        if (any_finished)
                pc__gateway_maybe_stop(rs->g);
}

/* PcRunHost on any thread (a tool worker). */
static int host_start(void *userdata, const PcRunStart *req, char *ret_run_id, size_t size,
                      PcError *reterr)
{
        PcGateway *g = userdata;
        PcGatewayRunParams p = {
                .agent_id = req->agent_id,
                .session_key = req->session_key,
                .message = req->message,
                .message_recorded = req->message_recorded,
                .spawned_by = req->spawned_by,
                .label = req->label,
        };
        PcGatewayRun *run = NULL;
        int r = pc__gateway_run_start(g, &p, &run, reterr);
        if (r < 0)
                return r;
        snprintf(ret_run_id, size, "%s", run->id); /* the id never changes: safe unlocked */
        uv_async_send(&g->runs->async);
        return 0;
}

static int host_wait(void *userdata, const char *run_id, int64_t timeout_ms, int cancel_fd,
                     char **ret_reply, PcError *reterr)
{
        PcGateway *g = userdata;
        PcGatewayRuns *rs = g->runs;
        *ret_reply = NULL;
        uint64_t deadline = uv_hrtime() + (uint64_t) timeout_ms * 1000000u;
        uv_mutex_lock(&rs->lock);
        PcGatewayRun *run = find_locked(rs, run_id);
        if (!run) {
                uv_mutex_unlock(&rs->lock);
                return pc_error_set_kind(reterr, PC_ERROR_NOT_FOUND, -ENOENT, "no run \"%s\"",
                                         run_id);
        }
        run->refs++;
        bool canceled = false;
        while (!run->done) {
                uint64_t now = uv_hrtime();
                if (now >= deadline || (canceled = pc_fd_readable(cancel_fd)))
                        break;
                (void) uv_cond_timedwait(&rs->cond, &rs->lock, deadline - now);
        }
        int r;
        if (!run->done)
                r = canceled ? -ECANCELED : -ETIMEDOUT;
        else if (run->r < 0) {
                *reterr = run->err;
                r = run->r;
        } else {
                *ret_reply = xstrdup(run->res.text ? run->res.text : "");
                r = 0;
        }
        run->refs--;
        uv_mutex_unlock(&rs->lock);
        return r;
}

void pc__gateway_runs_init(PcGateway *g)
{
        PcGatewayRuns *rs = xcalloc(1, sizeof(*rs));
        rs->g = g;
        uv_mutex_init(&rs->lock);
        uv_cond_init(&rs->cond);
        uv_async_init(&g->loop, &rs->async, on_async);
        rs->async.data = rs;
        rs->host = (PcRunHost){.start = host_start, .wait = host_wait, .userdata = g};
        g->runs = rs;
}

size_t pc__gateway_runs_active(PcGateway *g)
{
        if (!g->runs)
                return 0;
        uv_mutex_lock(&g->runs->lock);
        size_t n = g->runs->n_active;
        uv_mutex_unlock(&g->runs->lock);
        return n;
}

const PcRunHost *pc__gateway_runs_host(PcGateway *g)
{
        return &g->runs->host;
}

static void on_closed(uv_handle_t *h)
{
        PcGatewayRuns *rs = h->data;
        for (PcGatewayRun *r = rs->list, *n; r; r = n) {
                n = r->next;
                run_free(r);
        }
        uv_mutex_destroy(&rs->lock);
        uv_cond_destroy(&rs->cond);
        free(rs);
}

void pc__gateway_runs_free(PcGateway *g)
{
        if (!g->runs)
                return;
        uv_close((uv_handle_t *) &g->runs->async, on_closed);
        g->runs = NULL;
}
