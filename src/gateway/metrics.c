/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics (docs/api.md): counters and histograms in the Prometheus text format 0.0.4.
 *
 * Every label set is bounded: routes are the known paths plus "other", statuses a fixed list
 * plus "other", tools the policy catalog plus "other", sandbox (backend, state) pairs at most
 * MAX_SANDBOX_KEYS. So the counters are plain arrays of relaxed atomics: recording a request
 * or a tool call is a few atomic adds, from any thread (the loop thread records requests, the
 * worker thread(s) record tool calls), with no lock. Only the sandbox gauge, replaced as a
 * whole by the worker, takes a mutex.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/macro.h"
#include "gateway-internal.h"
#include "gateway.h"
#include "policy/catalog.h"
#include "policy/pattern.h"

static const char *const routes[] = {"/health", "/healthz", "/tools/invoke", "/metrics", "other"};
#define N_ROUTES ELEMENTSOF(routes)

static const int statuses[] = {200, 400, 401, 403, 404, 405, 408, 411, 413, 431, 500, 503};
#define N_STATUSES (ELEMENTSOF(statuses) + 1) /* + "other" */

/* The outcome of a tool call, from its HTTP status (OpenClaw's error types). */
static const char *const outcomes[] = {
        "ok", "invalid_request", "blocked", "not_available", "tool_error", "other"};
#define N_OUTCOMES ELEMENTSOF(outcomes)

/* Upper bounds in seconds; the last bucket is +Inf. */
static const double bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                0.5,   1,     2.5,  5,     10,   30,  60};
#define N_BUCKETS        (ELEMENTSOF(bounds) + 1)

#define MAX_TOOLS        64 /* catalog entries tracked by name; the rest count as "other" */
#define N_TOOL_SLOTS     (MAX_TOOLS + 1)
#define MAX_SANDBOX_KEYS 16

typedef struct Histogram {
        atomic_uint_fast64_t bucket[N_BUCKETS]; /* not cumulative; summed when rendered */
        atomic_uint_fast64_t sum_ns;
} Histogram;

static atomic_uint_fast64_t requests[N_ROUTES][N_STATUSES];
static Histogram request_hist[N_ROUTES];
static atomic_uint_fast64_t tool_calls[N_TOOL_SLOTS][N_OUTCOMES];
static Histogram tool_hist[N_TOOL_SLOTS];
static atomic_uint_fast64_t tool_in_flight;
static atomic_uint_fast64_t reloads[2]; /* ok, failed */

static pthread_mutex_t sandbox_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
        char key[96]; /* backend="...",state="..." */
        size_t n;
} sandboxes[MAX_SANDBOX_KEYS];
static size_t n_sandbox_keys;
static atomic_uint_fast64_t sandboxes_at_ns; /* uv_hrtime() of the last refresh, 0: never */

static double start_time;

void pc__gateway_metrics_start(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        start_time = (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static size_t route_index(const char *path)
{
        for (size_t i = 0; i + 1 < N_ROUTES; i++)
                if (streq(routes[i], path))
                        return i;
        return N_ROUTES - 1;
}

static size_t status_index(int status)
{
        for (size_t i = 0; i < ELEMENTSOF(statuses); i++)
                if (statuses[i] == status)
                        return i;
        return N_STATUSES - 1;
}

static void observe(Histogram *h, uint64_t ns)
{
        double s = (double) ns / 1e9;
        size_t i = 0;
        while (i < ELEMENTSOF(bounds) && s > bounds[i])
                i++;
        atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

void pc__gateway_metrics_request(const char *path, int status, uint64_t duration_ns)
{
        size_t r = route_index(path);
        atomic_fetch_add_explicit(&requests[r][status_index(status)], 1, memory_order_relaxed);
        observe(&request_hist[r], duration_ns);
}

/* The slot of a tool: its catalog index, or MAX_TOOLS ("other") for anything else. */
static size_t tool_slot(const char *tool)
{
        size_t n = 0;
        const PcTool *cat = pc_tool_catalog(&n);
        _cleanup_free_ char *norm = tool ? pc_tool_name_normalize(tool) : NULL;
        const PcTool *t = norm ? pc_tool_find(norm) : NULL;
        if (!t)
                return MAX_TOOLS;
        size_t i = (size_t) (t - cat);
        return i < n && i < MAX_TOOLS ? i : MAX_TOOLS;
}

static size_t outcome_index(int status)
{
        switch (status) {
        case 200:
                return 0;
        case 400:
                return 1;
        case 403:
                return 2;
        case 404:
                return 3;
        case 500:
                return 4;
        default:
                return 5;
        }
}

void pc__gateway_metrics_tool_started(void)
{
        atomic_fetch_add_explicit(&tool_in_flight, 1, memory_order_relaxed);
}

void pc__gateway_metrics_tool_call(const char *tool, int status, uint64_t duration_ns)
{
        size_t t = tool_slot(tool);
        atomic_fetch_add_explicit(&tool_calls[t][outcome_index(status)], 1, memory_order_relaxed);
        observe(&tool_hist[t], duration_ns);
        atomic_fetch_sub_explicit(&tool_in_flight, 1, memory_order_relaxed);
}

void pc__gateway_metrics_reload(bool ok)
{
        atomic_fetch_add_explicit(&reloads[ok ? 0 : 1], 1, memory_order_relaxed);
}

/* A label value in the exposition format: \, " and newline escaped; capped. */
static void add_label(PcBuf *b, const char *s)
{
        for (size_t i = 0; s && s[i] && i < 64; i++) {
                if (s[i] == '\\' || s[i] == '"')
                        pc_buf_addch(b, '\\');
                if (s[i] == '\n')
                        pc_buf_addstr(b, "\\n");
                else
                        pc_buf_addch(b, s[i]);
        }
}

void pc__gateway_metrics_sandboxes_set(const json_t *list)
{
        pthread_mutex_lock(&sandbox_lock);
        n_sandbox_keys = 0;
        size_t i;
        const json_t *o;
        json_array_foreach (list, i, o) {
                _cleanup_buf_ PcBuf key = PC_BUF_INIT;
                pc_buf_addstr(&key, "backend=\"");
                add_label(&key, json_string_value(json_object_get(o, "backend")));
                pc_buf_addstr(&key, "\",state=\"");
                add_label(&key, json_string_value(json_object_get(o, "state")));
                pc_buf_addch(&key, '"');
                size_t k = 0;
                while (k < n_sandbox_keys && !streq(sandboxes[k].key, key.buf))
                        k++;
                if (k == n_sandbox_keys) {
                        if (k == MAX_SANDBOX_KEYS || key.len >= sizeof(sandboxes[k].key))
                                continue;
                        memcpy(sandboxes[k].key, key.buf, key.len + 1);
                        sandboxes[k].n = 0;
                        n_sandbox_keys++;
                }
                sandboxes[k].n++;
        }
        pthread_mutex_unlock(&sandbox_lock);
        atomic_store_explicit(&sandboxes_at_ns, uv_hrtime() | 1, memory_order_relaxed);
}

bool pc__gateway_metrics_sandboxes_due(void)
{
        uint64_t at = atomic_load_explicit(&sandboxes_at_ns, memory_order_relaxed);
        return !at ||
               uv_hrtime() - at >= (uint64_t) PC_GATEWAY_METRICS_SANDBOX_REFRESH_MS * 1000000u;
}

static void render_histogram(PcBuf *out, const char *name, const char *label, const char *value,
                             const Histogram *h)
{
        uint64_t cum = 0;
        for (size_t i = 0; i < N_BUCKETS; i++) {
                cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
                pc_buf_addf(out, "%s_bucket{%s=\"%s\",le=\"", name, label, value);
                if (i < ELEMENTSOF(bounds))
                        pc_buf_addf(out, "%g", bounds[i]);
                else
                        pc_buf_addstr(out, "+Inf");
                pc_buf_addf(out, "\"} %llu\n", (unsigned long long) cum);
        }
        pc_buf_addf(out, "%s_sum{%s=\"%s\"} %.6f\n", name, label, value,
                    (double) atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9);
        pc_buf_addf(out, "%s_count{%s=\"%s\"} %llu\n", name, label, value,
                    (unsigned long long) cum);
}

static uint64_t hist_count(const Histogram *h)
{
        uint64_t n = 0;
        for (size_t i = 0; i < N_BUCKETS; i++)
                n += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        return n;
}

static long long rss_bytes(void)
{
        FILE *f = fopen("/proc/self/statm", "re");
        long long size = 0, resident = -1;
        if (f) {
                if (fscanf(f, "%lld %lld", &size, &resident) != 2)
                        resident = -1;
                fclose(f);
        }
        return resident < 0 ? -1 : resident * (long long) sysconf(_SC_PAGESIZE);
}

void pc__gateway_metrics_render(PcBuf *out, size_t open_connections, size_t queued)
{
        size_t n_cat = 0;
        const PcTool *cat = pc_tool_catalog(&n_cat);

        pc_buf_addstr(out, "# HELP pincer_http_requests_total HTTP requests answered, by route "
                           "and status.\n# TYPE pincer_http_requests_total counter\n");
        for (size_t r = 0; r < N_ROUTES; r++)
                for (size_t s = 0; s < N_STATUSES; s++) {
                        uint64_t v = atomic_load_explicit(&requests[r][s], memory_order_relaxed);
                        if (!v)
                                continue;
                        pc_buf_addf(out, "pincer_http_requests_total{route=\"%s\",status=\"",
                                    routes[r]);
                        if (s < ELEMENTSOF(statuses))
                                pc_buf_addf(out, "%d", statuses[s]);
                        else
                                pc_buf_addstr(out, "other");
                        pc_buf_addf(out, "\"} %llu\n", (unsigned long long) v);
                }
        pc_buf_addstr(out, "# HELP pincer_http_request_duration_seconds Time from the request "
                           "headers to the response, by route.\n"
                           "# TYPE pincer_http_request_duration_seconds histogram\n");
        for (size_t r = 0; r < N_ROUTES; r++)
                if (hist_count(&request_hist[r]))
                        render_histogram(out, "pincer_http_request_duration_seconds", "route",
                                         routes[r], &request_hist[r]);

        pc_buf_addstr(out, "# HELP pincer_tool_calls_total Tool calls finished, by tool and "
                           "outcome.\n# TYPE pincer_tool_calls_total counter\n");
        for (size_t t = 0; t < N_TOOL_SLOTS; t++)
                for (size_t o = 0; o < N_OUTCOMES; o++) {
                        uint64_t v = atomic_load_explicit(&tool_calls[t][o], memory_order_relaxed);
                        if (v)
                                pc_buf_addf(out,
                                            "pincer_tool_calls_total{tool=\"%s\",outcome=\"%s\"} "
                                            "%llu\n",
                                            t < n_cat && t < MAX_TOOLS ? cat[t].name : "other",
                                            outcomes[o], (unsigned long long) v);
                }
        pc_buf_addstr(out, "# HELP pincer_tool_call_duration_seconds Tool call duration "
                           "(policy, sandbox, tool), by tool.\n"
                           "# TYPE pincer_tool_call_duration_seconds histogram\n");
        for (size_t t = 0; t < N_TOOL_SLOTS; t++)
                if (hist_count(&tool_hist[t]))
                        render_histogram(out, "pincer_tool_call_duration_seconds", "tool",
                                         t < n_cat && t < MAX_TOOLS ? cat[t].name : "other",
                                         &tool_hist[t]);
        pc_buf_addf(
                out,
                "# HELP pincer_tool_calls_in_flight Tool calls running now.\n"
                "# TYPE pincer_tool_calls_in_flight gauge\npincer_tool_calls_in_flight %llu\n"
                "# HELP pincer_tool_calls_queued Tool calls accepted and not finished "
                "(queued or running).\n"
                "# TYPE pincer_tool_calls_queued gauge\npincer_tool_calls_queued %zu\n",
                (unsigned long long) atomic_load_explicit(&tool_in_flight, memory_order_relaxed),
                queued);

        pc_buf_addstr(out, "# HELP pincer_sandboxes Registered sandboxes by backend and state "
                           "(refreshed after tool calls, at most every 30 s).\n"
                           "# TYPE pincer_sandboxes gauge\n");
        pthread_mutex_lock(&sandbox_lock);
        for (size_t k = 0; k < n_sandbox_keys; k++)
                pc_buf_addf(out, "pincer_sandboxes{%s} %zu\n", sandboxes[k].key, sandboxes[k].n);
        pthread_mutex_unlock(&sandbox_lock);

        pc_buf_addf(out,
                    "# HELP pincer_http_connections_open HTTP connections open now.\n"
                    "# TYPE pincer_http_connections_open gauge\n"
                    "pincer_http_connections_open %zu\n"
                    "# HELP pincer_config_reloads_total Configuration reloads, by result.\n"
                    "# TYPE pincer_config_reloads_total counter\n"
                    "pincer_config_reloads_total{result=\"ok\"} %llu\n"
                    "pincer_config_reloads_total{result=\"failed\"} %llu\n",
                    open_connections,
                    (unsigned long long) atomic_load_explicit(&reloads[0], memory_order_relaxed),
                    (unsigned long long) atomic_load_explicit(&reloads[1], memory_order_relaxed));
        long long rss = rss_bytes();
        if (rss >= 0)
                pc_buf_addf(out,
                            "# HELP process_resident_memory_bytes Resident memory size in "
                            "bytes.\n# TYPE process_resident_memory_bytes gauge\n"
                            "process_resident_memory_bytes %lld\n",
                            rss);
        pc_buf_addf(out,
                    "# HELP process_start_time_seconds Start time of the process since the "
                    "epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
                    "process_start_time_seconds %.3f\n",
                    start_time);
}
