/* SPDX-License-Identifier: MIT */
/*
 * The tool workers: a pool of threads (PC_GATEWAY_TOOL_WORKERS_PER_CPU per CPU) that run tool
 * calls. They share the store and the sandbox manager, which are thread-safe (manager.h: the
 * manager's mutex is held around acquire/release/list/prune, never while a command runs), and
 * each call runs on the config snapshot current when it was picked up.
 *
 * Submitting a call (the one entry point for HTTP and, later, WebSocket): on the loop thread,
 * fill a PcGatewayJob (tool, args, agent_id, session_key; optionally done + done_data) and
 * pc__gateway_worker_submit() it. It returns -EAGAIN when PC_GATEWAY_MAX_QUEUED_CALLS calls
 * are already waiting for a worker (answer 503; the job is still the caller's). Otherwise a
 * worker runs it, sets status and body, and the job comes back on the loop thread through
 * job->done(job, job->done_data) when set, else the pool's on_done; the callback owns the job.
 *
 * Finished jobs go on the done list and the loop is woken with uv_async_send(). Worker 0 also
 * prunes idle sandboxes every PC_GATEWAY_PRUNE_INTERVAL_MS.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/macro.h"
#include "browser/browser.h"
#include "gateway-internal.h"
#include "gateway.h"
#include "policy/pattern.h"
#include "tools/audit.h"
#include "tools/dispatch.h"

typedef struct Thread {
        uv_thread_t thread;
        struct PcGatewayWorker *w;
        unsigned index;
        bool started;
} Thread;

struct PcGatewayWorker {
        uv_mutex_t lock;
        uv_cond_t cond;
        uv_async_t async; /* loop thread: drains done */
        PcGatewayDoneFn on_done;
        void *userdata;
        Thread *threads;
        size_t n_threads;
        /* under lock */
        PcGatewayJob *queue, *queue_tail;
        PcGatewayJob *done, *done_tail;
        PcConfig *cfg;   /* the snapshot for the next call */
        size_t n_queued; /* waiting for a worker */
        size_t busy;     /* queued + running + done but not yet handed back */
        bool quit;
        /* shared, thread-safe */
        PcStore *store;
        PcSandboxManager *manager;
        PcProcessRegistry *processes; /* background exec runs; their leases are ours */
};

PcGatewayJob *pc__gateway_job_free(PcGatewayJob *j)
{
        if (!j)
                return NULL;
        free(j->tool);
        json_decref(j->args);
        free(j->agent_id);
        free(j->session_key);
        free(j->body);
        json_decref(j->result);
        if (j->keep_response)
                pc_invoke_response_release(&j->response);
        free(j);
        return NULL;
}

/* OpenClaw's default HTTP deny list (docs, Apr-Aug 2026). */
static const char *const http_deny_default[] = {
        "exec",        "spawn",          "shell",         "fs_write", "fs_delete", "fs_move",
        "apply_patch", "sessions_spawn", "sessions_send", "cron",     "gateway",   "nodes",
};

static bool list_has(const json_t *list, const char *tool)
{
        size_t i;
        json_t *v;
        json_array_foreach (list, i, v) {
                const char *s = json_string_value(v);
                if (!s)
                        continue;
                _cleanup_free_ char *n = pc_tool_name_normalize(s);
                if (n && streq(n, tool))
                        return true;
        }
        return false;
}

bool pc__gateway_http_denied(const PcConfig *cfg, const char *tool)
{
        const json_t *gt =
                json_object_get(json_object_get(pc_config_root(cfg), "gateway"), "tools");
        if (list_has(json_object_get(gt, "deny"), tool))
                return true;
        bool dflt = false;
        for (size_t i = 0; i < ELEMENTSOF(http_deny_default); i++)
                dflt = dflt || streq(http_deny_default[i], tool);
        /* Every shared-secret caller is an owner, so gateway.tools.allow always applies. */
        return dflt && !list_has(json_object_get(gt, "allow"), tool);
}

/* The pincer_sandboxes gauge of GET /metrics (asks each backend, so at most every 30 s). */
static void refresh_sandbox_metrics(PcGatewayWorker *w, const PcConfig *cfg)
{
        json_t *list = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_sandbox_manager_list(w->manager, cfg, NULL, &list, &err) < 0) {
                log_debug("Failed to list sandboxes for the metrics: %s, ignoring", err.msg);
                return;
        }
        pc__gateway_metrics_sandboxes_set(list);
        json_decref(list);
}

static void run_job(PcGatewayWorker *w, const PcConfig *cfg, PcGatewayJob *j)
{
        PcInvokeResponse resp;
        PcInvokeRequest req = {
                .tool = j->tool,
                .args = j->args,
                .agent_id = j->agent_id,
                .session_key = j->session_key,
                .caller = j->caller ? j->caller : "http",
                .owner = true,
                /* an agent run's tool calls do not go through the HTTP deny list */
                .hidden = j->caller && streq(j->caller, "agent") ? NULL : pc__gateway_http_denied,
                .processes = w->processes,
                .cancel_fd = j->cancel_fd,
                .runs = j->runs,
        };
        PcError err = PC_ERROR_INIT;
        uint64_t t0 = uv_hrtime();
        pc__gateway_metrics_tool_started();
        if (pc_dispatch_invoke(cfg, w->manager, &req, &resp, &err) < 0)
                log_warning("Failed to write the audit record of a tool call, continuing: %s",
                            err.msg);
        json_t *doc = pc_invoke_response_json(&resp);
        j->status = resp.status;
        pc__gateway_metrics_tool_call(j->tool, resp.status, uv_hrtime() - t0);
        j->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        if (!j->body) {
                /* a response that is not valid JSON text is a bug: answer, do not die */
                log_error("The response of tool '%s' cannot be encoded as JSON", j->tool);
                j->status = 500;
                j->body = xstrdup("{\"ok\":false,\"error\":{\"type\":\"tool_error\",\"message\":"
                                  "\"The tool's response could not be encoded as JSON\"}}");
        }
        json_decref(doc);
        if (j->keep_response)
                j->response = resp; /* the job owns it now */
        else
                pc_invoke_response_release(&resp);
}

static void prune(PcGatewayWorker *w, const PcConfig *cfg)
{
        pc_process_registry_reap(w->processes, pc_process_ttl_ms(cfg));
        pc_browser_stop_idle();
        json_t *report = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_sandbox_manager_prune(w->manager, cfg, false, &report, &err) < 0) {
                log_warning("Failed to prune idle sandboxes, continuing: %s", err.msg);
                return;
        }
        size_t i;
        json_t *o;
        json_array_foreach (report, i, o)
                log_info("prune: %s %s (%s)", json_string_value(json_object_get(o, "name")),
                         json_string_value(json_object_get(o, "result")),
                         json_string_value(json_object_get(o, "reason")));
        json_decref(report);
        refresh_sandbox_metrics(w, cfg);
}

static void worker_main(void *arg)
{
        Thread *t = arg;
        PcGatewayWorker *w = t->w;
        bool pruner = t->index == 0;
        uint64_t next_prune = uv_hrtime() + (uint64_t) PC_GATEWAY_PRUNE_INTERVAL_MS * 1000000u;
        uv_mutex_lock(&w->lock);
        for (;;) {
                while (!w->quit && !w->queue) {
                        if (!pruner) {
                                uv_cond_wait(&w->cond, &w->lock);
                                continue;
                        }
                        uint64_t now = uv_hrtime();
                        if (now >= next_prune)
                                break;
                        (void) uv_cond_timedwait(&w->cond, &w->lock, next_prune - now);
                }
                if (w->quit)
                        break;
                PcConfig *cfg = pc_config_ref(w->cfg);
                PcGatewayJob *j = w->queue;
                if (j) {
                        w->queue = j->next;
                        if (!w->queue)
                                w->queue_tail = NULL;
                        j->next = NULL;
                        w->n_queued--;
                }
                uv_mutex_unlock(&w->lock);

                if (j && j->run)
                        j->run(j, cfg, w->manager, w->store);
                else if (j)
                        run_job(w, cfg, j);
                else {
                        prune(w, cfg);
                        next_prune =
                                uv_hrtime() + (uint64_t) PC_GATEWAY_PRUNE_INTERVAL_MS * 1000000u;
                }
                bool tool_call = j && !j->run; /* j belongs to the loop once posted */
                uv_mutex_lock(&w->lock);
                if (j) {
                        if (w->done_tail)
                                w->done_tail->next = j;
                        else
                                w->done = j;
                        w->done_tail = j;
                        uv_mutex_unlock(&w->lock);
                        uv_async_send(&w->async);
                        /* after the answer went out: the sandbox gauges of /metrics (every
                         * 30 s) cost a listing, which no caller should wait for */
                        if (tool_call && pc__gateway_metrics_sandboxes_due())
                                refresh_sandbox_metrics(w, cfg);
                        uv_mutex_lock(&w->lock);
                }
                /* PcConfig's refcount is not atomic: every ref and unref of a snapshot the
                 * loop thread also touches happens under the lock. */
                pc_config_unref(cfg);
        }
        uv_mutex_unlock(&w->lock);
}

static void on_async(uv_async_t *h)
{
        PcGatewayWorker *w = h->data;
        uv_mutex_lock(&w->lock);
        PcGatewayJob *list = w->done;
        w->done = w->done_tail = NULL;
        uv_mutex_unlock(&w->lock);
        while (list) {
                PcGatewayJob *j = list;
                list = j->next;
                j->next = NULL;
                uv_mutex_lock(&w->lock);
                w->busy--;
                uv_mutex_unlock(&w->lock);
                if (j->done)
                        j->done(j, j->done_data);
                else
                        w->on_done(j, w->userdata);
        }
}

static size_t pool_size(void)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
                n = 1;
        n *= PC_GATEWAY_TOOL_WORKERS_PER_CPU;
        if (n < 2)
                n = 2;
        return n > PC_GATEWAY_TOOL_WORKERS_MAX ? PC_GATEWAY_TOOL_WORKERS_MAX : (size_t) n;
}

int pc__gateway_worker_start(uv_loop_t *loop, const PcConfig *cfg, PcStore *store,
                             PcSandboxManager *manager, PcGatewayDoneFn on_done, void *userdata,
                             PcGatewayWorker **ret)
{
        PcGatewayWorker *w = xcalloc(1, sizeof(*w));
        w->store = store;
        w->manager = manager;
        w->processes = pc_process_registry_new();
        w->on_done = on_done;
        w->userdata = userdata;
        w->cfg = pc_config_ref((PcConfig *) cfg);
        int r = uv_mutex_init(&w->lock);
        if (r < 0)
                abort();
        r = uv_cond_init(&w->cond);
        if (r < 0)
                abort();
        r = uv_async_init(loop, &w->async, on_async);
        if (r < 0)
                abort();
        w->async.data = w;
        /* Audit lines are written before the response and made durable by a flusher
         * (audit.h, group commit) instead of one fsync per call on the response path. */
        pc_audit_group_commit_start();
        w->n_threads = pool_size();
        pc_process_registry_set_max_waiters(w->processes, w->n_threads / 2);
        w->threads = xcalloc(w->n_threads, sizeof(Thread));
        /* Signals belong to the loop thread (uv_signal): block them in the workers. */
        sigset_t all, old;
        sigfillset(&all);
        (void) pthread_sigmask(SIG_SETMASK, &all, &old);
        for (size_t i = 0; i < w->n_threads; i++) {
                w->threads[i] = (Thread){.w = w, .index = (unsigned) i};
                r = uv_thread_create(&w->threads[i].thread, worker_main, &w->threads[i]);
                if (r < 0)
                        break;
                w->threads[i].started = true;
        }
        (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0 && !w->threads[0].started) {
                uv_close((uv_handle_t *) &w->async, NULL);
                return r; /* w leaks with the loop: start failed, the process exits */
        }
        *ret = w;
        return 0;
}

int pc__gateway_worker_submit(PcGatewayWorker *w, PcGatewayJob *job)
{
        job->next = NULL;
        uv_mutex_lock(&w->lock);
        if (w->n_queued >= PC_GATEWAY_MAX_QUEUED_CALLS) {
                uv_mutex_unlock(&w->lock);
                return -EAGAIN;
        }
        if (w->queue_tail)
                w->queue_tail->next = job;
        else
                w->queue = job;
        w->queue_tail = job;
        w->n_queued++;
        w->busy++;
        uv_cond_signal(&w->cond);
        uv_mutex_unlock(&w->lock);
        return 0;
}

void pc__gateway_worker_take_config(PcGatewayWorker *w, PcConfig *cfg)
{
        uv_mutex_lock(&w->lock);
        pc_config_unref(w->cfg);
        w->cfg = cfg;
        uv_mutex_unlock(&w->lock);
}

size_t pc__gateway_worker_busy(PcGatewayWorker *w)
{
        uv_mutex_lock(&w->lock);
        size_t n = w->busy;
        uv_mutex_unlock(&w->lock);
        return n;
}

static void free_after_close(uv_handle_t *h)
{
        PcGatewayWorker *w = h->data;
        uv_mutex_destroy(&w->lock);
        uv_cond_destroy(&w->cond);
        free(w);
}

void pc__gateway_worker_stop(PcGatewayWorker *w, bool abandon)
{
        if (!w)
                return;
        uv_mutex_lock(&w->lock);
        w->quit = true;
        uv_cond_broadcast(&w->cond);
        uv_mutex_unlock(&w->lock);
        if (abandon)
                return; /* the threads still use w; the process exits next */
        for (size_t i = 0; i < w->n_threads; i++)
                if (w->threads[i].started)
                        (void) uv_thread_join(&w->threads[i].thread);
        free(w->threads);
        pc_audit_group_commit_stop();
        for (PcGatewayJob *j = w->queue, *n; j; j = n) {
                n = j->next;
                pc__gateway_job_free(j);
        }
        for (PcGatewayJob *j = w->done, *n; j; j = n) {
                n = j->next;
                pc__gateway_job_free(j);
        }
        pc_browser_stop_all();                  /* the browsers' sandbox leases go back */
        pc_process_registry_free(w->processes); /* kills them, gives their leases back */
        pc_sandbox_manager_free(w->manager);
        pc_store_close(w->store);
        pc_config_unref(w->cfg);
        uv_close((uv_handle_t *) &w->async, free_after_close);
}
