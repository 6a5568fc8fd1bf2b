/* SPDX-License-Identifier: MIT */
/* Background processes (process.h). */
#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"

/* ---- the bounded output buffer ----------------------------------------------------------- */

void pc_outbuf_init(PcOutBuf *b, size_t cap)
{
        *b = (PcOutBuf){.cap = cap > 0 ? cap : 1};
        pc_buf_init(&b->data);
}

void pc_outbuf_release(PcOutBuf *b)
{
        pc_buf_release(&b->data);
}

void pc_outbuf_append(PcOutBuf *b, const char *data, size_t n)
{
        if (n >= b->cap) {
                /* Only the tail of this chunk survives. */
                b->dropped += b->data.len + (n - b->cap);
                pc_buf_setlen(&b->data, 0);
                pc_buf_add(&b->data, data + (n - b->cap), b->cap);
                return;
        }
        if (b->data.len + n > b->cap) {
                size_t drop = b->data.len + n - b->cap;
                memmove(b->data.buf, b->data.buf + drop, b->data.len - drop);
                pc_buf_setlen(&b->data, b->data.len - drop);
                b->dropped += drop;
        }
        pc_buf_add(&b->data, data, n);
}

uint64_t pc_outbuf_end(const PcOutBuf *b)
{
        return b->dropped + b->data.len;
}

void pc_outbuf_since(const PcOutBuf *b, uint64_t from, const char **ret_ptr, size_t *ret_len,
                     uint64_t *ret_missed)
{
        uint64_t end = pc_outbuf_end(b);
        if (from > end)
                from = end;
        *ret_missed = from < b->dropped ? b->dropped - from : 0;
        if (from < b->dropped)
                from = b->dropped;
        size_t off = (size_t) (from - b->dropped);
        *ret_ptr = b->data.buf ? b->data.buf + off : "";
        *ret_len = b->data.len - off;
}

void pc_outbuf_lines(const PcOutBuf *b, int64_t offset, size_t limit, PcOutLines *ret)
{
        const char *s = b->data.buf ? b->data.buf : "";
        size_t len = b->data.len;
        size_t total = 0;
        for (size_t i = 0; i < len; i++)
                if (s[i] == '\n')
                        total++;
        if (len > 0 && s[len - 1] != '\n')
                total++; /* a last line without its end */
        size_t first;
        if (offset < 0)
                first = total > limit ? total - limit : 0;
        else
                first = (size_t) offset < total ? (size_t) offset : total;
        size_t count = total - first < limit ? total - first : limit;

        /* Byte positions of line `first` and of line `first + count`. */
        size_t line = 0, start = len, stop = len;
        if (first == 0)
                start = 0;
        for (size_t i = 0; i < len && (start == len || stop == len); i++) {
                if (s[i] != '\n')
                        continue;
                line++;
                if (line == first)
                        start = i + 1;
                if (line == first + count) {
                        stop = i + 1;
                        break;
                }
        }
        if (count == 0)
                stop = start;
        *ret = (PcOutLines){
                .ptr = s + start,
                .len = stop - start,
                .first = first,
                .count = count,
                .total_lines = total,
        };
}

/* ---- the registry ------------------------------------------------------------------------ */

struct PcProcess {
        PcProcess *next;
        char id[64];
        char *session;
        char *command;
        char *cwd;
        char **argv;
        PcKeyValue *env;
        size_t n_env;
        uint64_t timeout_ms;
        PcSandboxLease *lease; /* given back by whoever set `settling` */
        PcSandbox *sb;
        pthread_t thread;
        /* under reg->lock */
        unsigned refs; /* the list's (while listed) + every pc_process_find() caller's */
        bool listed;
        bool settling; /* someone joins the thread and gives the lease back: only once */
        int cancel_fd; /* eventfd */
        int stdin_r;   /* the command's stdin; the thread closes it when the exec returns */
        /* under reg->lock */
        int stdin_w; /* -1 once closed */
        PcOutBuf out;
        uint64_t poll_pos;
        bool running;
        bool backgrounded;
        int exit_code, signal;
        bool timed_out, canceled;
        char *error;
        int64_t started_ms, ended_ms;    /* wall clock */
        uint64_t started_mono, end_mono; /* monotonic ms */
        PcProcessRegistry *reg;
};

struct PcProcessRegistry {
        pthread_mutex_t lock;
        pthread_cond_t cond; /* output arrived or a process exited */
        PcProcess *list;     /* newest first */
        size_t max_waiters;  /* calls that may block in a wait at once; 0: no limit */
        size_t waiters;
};

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

PcProcessRegistry *pc_process_registry_new(void)
{
        PcProcessRegistry *reg = xcalloc(1, sizeof(*reg));
        pthread_mutex_init(&reg->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&reg->cond, &ca);
        pthread_condattr_destroy(&ca);
        return reg;
}

static void process_free(PcProcess *p)
{
        free(p->session);
        free(p->command);
        free(p->cwd);
        for (size_t i = 0; p->argv && p->argv[i]; i++)
                free(p->argv[i]);
        free(p->argv);
        for (size_t i = 0; i < p->n_env; i++) {
                free(p->env[i].key);
                free(p->env[i].value);
        }
        free(p->env);
        if (p->cancel_fd >= 0)
                close(p->cancel_fd);
        if (p->stdin_w >= 0)
                close(p->stdin_w);
        pc_outbuf_release(&p->out);
        free(p->error);
        free(p);
}

/* The one place a background process gives its lease back: waits for its thread first, so
 * the sandbox is not touched after the lease is gone. The caller won the `settling` flag (or
 * holds the last reference), so this runs once per process. Releasing takes the manager's
 * lock (manager.c), so any thread may do it. */
static void process_settle(PcProcess *p)
{
        (void) pthread_join(p->thread, NULL);
        p->lease = pc_sandbox_lease_release(p->lease);
}

static void cancel(PcProcess *p)
{
        uint64_t one = 1;
        (void) !write(p->cancel_fd, &one, sizeof(one));
}

/* Under the lock: takes p off the list; true when that dropped the last reference. */
static bool unlist_locked(PcProcessRegistry *reg, PcProcess *p)
{
        if (!p->listed)
                return false;
        for (PcProcess **pp = &reg->list; *pp; pp = &(*pp)->next)
                if (*pp == p) {
                        *pp = p->next;
                        break;
                }
        p->listed = false;
        return --p->refs == 0;
}

/* After the last reference: the thread has exited (nobody holds it listed, and an unlisted
 * process was killed and waited for), so joining does not block for long. */
static void process_finish(PcProcess *p)
{
        if (!p->settling) {
                p->settling = true;
                process_settle(p);
        }
        process_free(p);
}

void pc_process_unref(PcProcessRegistry *reg, PcProcess *p)
{
        if (!p)
                return;
        pthread_mutex_lock(&reg->lock);
        bool last = --p->refs == 0;
        pthread_mutex_unlock(&reg->lock);
        if (last)
                process_finish(p);
}

PcProcessRegistry *pc_process_registry_free(PcProcessRegistry *reg)
{
        if (!reg)
                return NULL;
        pthread_mutex_lock(&reg->lock);
        for (PcProcess *p = reg->list; p; p = p->next)
                if (p->running)
                        cancel(p);
        pthread_mutex_unlock(&reg->lock);
        /* Nothing else runs now: every reference is the list's. */
        while (reg->list) {
                PcProcess *p = reg->list;
                pthread_mutex_lock(&reg->lock);
                bool last = unlist_locked(reg, p);
                pthread_mutex_unlock(&reg->lock);
                if (last)
                        process_finish(p);
        }
        pthread_cond_destroy(&reg->cond);
        pthread_mutex_destroy(&reg->lock);
        free(reg);
        return NULL;
}

int64_t pc_process_ttl_ms(const PcConfig *cfg)
{
        const json_t *v = json_object_get(
                json_object_get(json_object_get(pc_config_root(cfg), "tools"), "exec"),
                "cleanupMs");
        int64_t ttl = json_is_integer(v) ? json_integer_value(v) : PC_PROCESS_DEFAULT_TTL_MS;
        if (ttl < PC_PROCESS_MIN_TTL_MS)
                ttl = PC_PROCESS_MIN_TTL_MS;
        if (ttl > PC_PROCESS_MAX_TTL_MS)
                ttl = PC_PROCESS_MAX_TTL_MS;
        return ttl;
}

void pc_process_registry_reap(PcProcessRegistry *reg, int64_t ttl_ms)
{
        if (!reg)
                return;
        uint64_t now = mono_ms();
        PcProcess *gone[PC_PROCESS_MAX_RUNNING + PC_PROCESS_MAX_FINISHED + 8];
        PcProcess *exited[ELEMENTSOF(gone)];
        size_t n_gone = 0, n_exited = 0, finished = 0;
        pthread_mutex_lock(&reg->lock);
        for (PcProcess *p = reg->list, *next; p; p = next) {
                next = p->next;
                if (p->running || !p->backgrounded)
                        continue;
                finished++;
                if ((finished > PC_PROCESS_MAX_FINISHED ||
                     (ttl_ms > 0 && now - p->end_mono > (uint64_t) ttl_ms)) &&
                    n_gone < ELEMENTSOF(gone)) {
                        if (unlist_locked(reg, p))
                                gone[n_gone++] = p;
                        continue;
                }
                /* Exited: its lease goes back now; its output stays. */
                if (!p->settling && n_exited < ELEMENTSOF(exited)) {
                        p->settling = true;
                        p->refs++;
                        exited[n_exited++] = p;
                }
        }
        pthread_mutex_unlock(&reg->lock);
        for (size_t i = 0; i < n_exited; i++) {
                process_settle(exited[i]);
                pc_process_unref(reg, exited[i]);
        }
        for (size_t i = 0; i < n_gone; i++)
                process_finish(gone[i]);
}

/* ---- the process thread ------------------------------------------------------------------ */

static void on_output(void *userdata, int stream, const char *data, size_t len)
{
        PcProcess *p = userdata;
        pthread_mutex_lock(&p->reg->lock);
        pc_outbuf_append(&p->out, data, len);
        pthread_cond_broadcast(&p->reg->cond);
        pthread_mutex_unlock(&p->reg->lock);
}

static void *process_main(void *arg)
{
        PcProcess *p = arg;
        PcExecRequest req = {
                .argv = (const char *const *) p->argv,
                .workdir = p->cwd,
                .env = p->env,
                .n_env = p->n_env,
                .timeout_ms = p->timeout_ms,
                .on_output = on_output,
                .userdata = p,
                .cancel_fd = p->cancel_fd,
                .stdin_fd = p->stdin_r,
        };
        PcExecResult res;
        pc_exec_result_init(&res);
        PcError err = PC_ERROR_INIT;
        int r = pc_sandbox_exec(p->sb, &req, &res, &err);
        close(p->stdin_r);
        pthread_mutex_lock(&p->reg->lock);
        p->running = false;
        p->exit_code = r < 0 ? -1 : res.exit_code;
        p->signal = r < 0 ? 0 : res.signal;
        p->timed_out = r >= 0 && res.timed_out;
        p->canceled = r >= 0 && res.canceled;
        if (r < 0)
                p->error = xstrdup(err.msg);
        p->ended_ms = wall_ms();
        p->end_mono = mono_ms();
        if (p->stdin_w >= 0) {
                close(p->stdin_w);
                p->stdin_w = -1;
        }
        pthread_cond_broadcast(&p->reg->cond);
        pthread_mutex_unlock(&p->reg->lock);
        pc_exec_result_release(&res);
        return NULL;
}

/* ---- ids --------------------------------------------------------------------------------- */

static const char *const adjectives[] = {
        "amber", "brisk", "calm",  "dapper", "eager",  "fleet",  "gentle", "hardy",
        "ivory", "jolly", "keen",  "lucid",  "mellow", "nimble", "outer",  "proud",
        "quiet", "rapid", "sunny", "tidy",   "urban",  "vivid",  "witty",  "young",
};
static const char *const nouns[] = {
        "anchor", "badger", "cedar",   "coral",   "delta",  "ember", "falcon", "garnet",
        "harbor", "iris",   "juniper", "kelp",    "lagoon", "maple", "nectar", "otter",
        "pebble", "quartz", "reef",    "sparrow", "tide",   "umber", "willow", "zephyr",
};

static bool id_taken(PcProcessRegistry *reg, const char *id)
{
        for (PcProcess *p = reg->list; p; p = p->next)
                if (streq(p->id, id))
                        return true;
        return false;
}

static void make_id(PcProcessRegistry *reg, char *id, size_t size)
{
        uint32_t r[2] = {0, 0};
        if (getrandom(r, sizeof(r), 0) != sizeof(r))
                r[0] = (uint32_t) mono_ms(), r[1] = (uint32_t) getpid();
        const char *a = adjectives[r[0] % ELEMENTSOF(adjectives)];
        const char *n = nouns[r[1] % ELEMENTSOF(nouns)];
        snprintf(id, size, "%s-%s", a, n);
        for (unsigned k = 2; id_taken(reg, id); k++)
                snprintf(id, size, "%s-%s-%u", a, n, k);
}

/* ---- operations -------------------------------------------------------------------------- */

/* fd 0 means "none" in PcExecRequest: never hand it over (it is free only when the gateway
 * runs with stdin closed). */
static int not_stdin(int fd)
{
        if (fd != 0)
                return fd;
        int k = fcntl(0, F_DUPFD_CLOEXEC, 3);
        close(0);
        return k;
}

/* Under the lock: the limits error, or 0. */
static int check_limits_locked(PcProcessRegistry *reg, const char *session, PcError *reterr)
{
        size_t mine = 0, all = 0;
        for (PcProcess *q = reg->list; q; q = q->next)
                if (q->running) {
                        all++;
                        if (streq(q->session, session))
                                mine++;
                }
        if (mine >= PC_PROCESS_MAX_RUNNING_PER_SESSION)
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EAGAIN,
                                         "exec: session '%s' already runs %zu background processes "
                                         "(the limit is %d); wait for one to finish or stop one "
                                         "with process kill",
                                         session, mine, PC_PROCESS_MAX_RUNNING_PER_SESSION);
        if (all >= PC_PROCESS_MAX_RUNNING)
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EAGAIN,
                                         "exec: the gateway already runs %zu background processes "
                                         "(the limit is %d); wait for some to finish or stop them "
                                         "with process kill",
                                         all, PC_PROCESS_MAX_RUNNING);
        return 0;
}

int pc_process_start(PcProcessRegistry *reg, const PcProcessSpec *spec, PcSandboxLease **lease,
                     PcProcess **ret, PcError *reterr)
{
        PcProcess *p = xcalloc(1, sizeof(*p));
        p->reg = reg;
        p->cancel_fd = p->stdin_r = p->stdin_w = -1;
        pc_outbuf_init(&p->out, PC_PROCESS_OUTPUT_CAP);
        int pipefd[2] = {-1, -1};
        p->cancel_fd = not_stdin(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (p->cancel_fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
                int r = -errno;
                process_free(p);
                return pc_error_set(reterr, r, "exec: cannot start a background process: %s",
                                    strerror(-r));
        }
        p->stdin_r = not_stdin(pipefd[0]);
        p->stdin_w = not_stdin(pipefd[1]);
        p->session = xstrdup(spec->session_key);
        p->command = xstrdup(spec->command);
        p->cwd = xstrdup(spec->workdir);
        size_t argc = 0;
        while (spec->argv[argc])
                argc++;
        p->argv = xcalloc(argc + 1, sizeof(char *));
        for (size_t i = 0; i < argc; i++)
                p->argv[i] = xstrdup(spec->argv[i]);
        p->env = xcalloc(spec->n_env + 1, sizeof(PcKeyValue));
        for (size_t i = 0; i < spec->n_env; i++)
                p->env[i] = (PcKeyValue){xstrdup(spec->env[i].key), xstrdup(spec->env[i].value)};
        p->n_env = spec->n_env;
        p->timeout_ms = spec->timeout_ms;
        p->running = true;
        p->backgrounded = spec->backgrounded;
        p->exit_code = -1;
        p->started_ms = wall_ms();
        p->started_mono = mono_ms();
        p->sb = pc_sandbox_lease_sandbox(*lease);

        /* The limits are checked and the process listed under one lock. */
        pthread_mutex_lock(&reg->lock);
        int r = check_limits_locked(reg, spec->session_key, reterr);
        if (r == 0) {
                make_id(reg, p->id, sizeof(p->id));
                r = -pthread_create(&p->thread, NULL, process_main, p);
                if (r < 0)
                        pc_error_set(reterr, r, "exec: cannot start a background process: %s",
                                     strerror(-r));
        }
        if (r < 0) {
                pthread_mutex_unlock(&reg->lock);
                close(p->stdin_r); /* the thread's, which never ran */
                process_free(p);
                return r;
        }
        p->lease = *lease;
        *lease = NULL;
        p->refs = 2; /* the list's and the caller's */
        p->listed = true;
        p->next = reg->list;
        reg->list = p;
        pthread_mutex_unlock(&reg->lock);
        *ret = p;
        return 0;
}

void pc_process_registry_set_max_waiters(PcProcessRegistry *reg, size_t n)
{
        pthread_mutex_lock(&reg->lock);
        reg->max_waiters = n;
        pthread_mutex_unlock(&reg->lock);
}

/* Under the lock: waits up to timeout_ms while p runs and more() holds, unless max_waiters
 * calls already wait (each one holds a tool worker: the rest must stay free for other calls;
 * the caller then answers with what is there now). */
static void wait_locked(PcProcessRegistry *reg, PcProcess *p, int64_t timeout_ms,
                        bool (*more)(const PcProcess *p))
{
        if (timeout_ms <= 0 || (reg->max_waiters && reg->waiters >= reg->max_waiters))
                return;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (timeout_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
        }
        reg->waiters++;
        while (p->running && more(p))
                if (pthread_cond_timedwait(&reg->cond, &reg->lock, &until) == ETIMEDOUT)
                        break;
        reg->waiters--;
}

static bool always(const PcProcess *p)
{
        (void) p;
        return true;
}

static bool no_new_output(const PcProcess *p)
{
        return pc_outbuf_end(&p->out) == p->poll_pos;
}

bool pc_process_wait(PcProcessRegistry *reg, PcProcess *p, int64_t timeout_ms)
{
        pthread_mutex_lock(&reg->lock);
        wait_locked(reg, p, timeout_ms, always);
        bool done = !p->running;
        pthread_mutex_unlock(&reg->lock);
        return done;
}

void pc_process_set_backgrounded(PcProcessRegistry *reg, PcProcess *p)
{
        pthread_mutex_lock(&reg->lock);
        p->backgrounded = true;
        pthread_mutex_unlock(&reg->lock);
}

void pc_process_info_release(PcProcessInfo *i)
{
        free(i->command);
        free(i->cwd);
        free(i->error);
        *i = (PcProcessInfo){0};
}

PcProcess *pc_process_find(PcProcessRegistry *reg, const char *session_key, const char *id)
{
        PcProcess *found = NULL;
        pthread_mutex_lock(&reg->lock);
        for (PcProcess *p = reg->list; p && !found; p = p->next)
                if (p->backgrounded && streq(p->id, id) && streq(p->session, session_key)) {
                        found = p;
                        p->refs++;
                }
        pthread_mutex_unlock(&reg->lock);
        return found;
}

void pc_process_info(PcProcessRegistry *reg, PcProcess *p, PcProcessInfo *ret)
{
        pthread_mutex_lock(&reg->lock);
        *ret = (PcProcessInfo){
                .command = xstrdup(p->command),
                .cwd = xstrdup(p->cwd),
                .running = p->running,
                .exit_code = p->exit_code,
                .signal = p->signal,
                .timed_out = p->timed_out,
                .canceled = p->canceled,
                .error = p->error ? xstrdup(p->error) : NULL,
                .started_at_ms = p->started_ms,
                .ended_at_ms = p->running ? 0 : p->ended_ms,
                .runtime_ms = (p->running ? mono_ms() : p->end_mono) - p->started_mono,
                .dropped = p->out.dropped,
                .total = pc_outbuf_end(&p->out),
                .stdin_open = p->stdin_w >= 0,
        };
        snprintf(ret->id, sizeof(ret->id), "%s", p->id);
        pthread_mutex_unlock(&reg->lock);
}

size_t pc_process_list(PcProcessRegistry *reg, const char *session_key, char ***ret_ids)
{
        size_t n = 0, alloc = 0;
        char **ids = NULL;
        pthread_mutex_lock(&reg->lock);
        for (PcProcess *p = reg->list; p; p = p->next)
                if (p->backgrounded && streq(p->session, session_key)) {
                        ids = xgrow(ids, &alloc, n + 1, sizeof(char *));
                        ids[n++] = xstrdup(p->id);
                }
        pthread_mutex_unlock(&reg->lock);
        *ret_ids = ids;
        return n;
}

void pc_process_poll(PcProcessRegistry *reg, PcProcess *p, int64_t wait_ms, size_t max, PcBuf *out,
                     uint64_t *ret_missed)
{
        pthread_mutex_lock(&reg->lock);
        wait_locked(reg, p, wait_ms, no_new_output);
        const char *ptr;
        size_t len;
        pc_outbuf_since(&p->out, p->poll_pos, &ptr, &len, ret_missed);
        if (len > max)
                len = max;
        pc_buf_add(out, ptr, len);
        p->poll_pos = (p->poll_pos < p->out.dropped ? p->out.dropped : p->poll_pos) + len;
        pthread_mutex_unlock(&reg->lock);
}

void pc_process_log(PcProcessRegistry *reg, PcProcess *p, int64_t offset, size_t limit, PcBuf *out,
                    PcOutLines *ret_lines, uint64_t *ret_dropped)
{
        pthread_mutex_lock(&reg->lock);
        PcOutLines l;
        pc_outbuf_lines(&p->out, offset, limit, &l);
        pc_buf_add(out, l.ptr, l.len);
        l.ptr = NULL;
        *ret_lines = l;
        *ret_dropped = p->out.dropped;
        pthread_mutex_unlock(&reg->lock);
}

int pc_process_write(PcProcessRegistry *reg, PcProcess *p, const char *data, size_t n, bool eof,
                     PcError *reterr)
{
        pthread_mutex_lock(&reg->lock);
        int fd = p->stdin_w >= 0 && p->running ? dup(p->stdin_w) : -1;
        pthread_mutex_unlock(&reg->lock);
        if (fd < 0)
                return pc_error_set(reterr, -EPIPE,
                                    "process: the stdin of session %s is closed (the process "
                                    "has exited, or an earlier write closed it with eof)",
                                    p->id);
        /* Bounded: a process that stops reading fails the write after 10 s, not the worker. */
        size_t done = 0;
        uint64_t until = mono_ms() + 10000;
        int r = 0;
        (void) fcntl(fd, F_SETFL, O_NONBLOCK); /* the pipe's file: the command's end is not */
        while (done < n) {
                ssize_t k = write(fd, data + done, n - done);
                if (k > 0) {
                        done += (size_t) k;
                        continue;
                }
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno != EAGAIN) {
                        r = -errno;
                        break;
                }
                uint64_t now = mono_ms();
                if (now >= until) {
                        r = -ETIMEDOUT;
                        break;
                }
                struct pollfd pf = {.fd = fd, .events = POLLOUT};
                (void) poll(&pf, 1, (int) (until - now));
        }
        close(fd);
        if (r < 0)
                return pc_error_set(reterr, r,
                                    "process: writing to the stdin of session %s failed after "
                                    "%zu of %zu bytes: %s",
                                    p->id, done, n,
                                    r == -ETIMEDOUT ? "it does not read its input" : strerror(-r));
        if (eof) {
                pthread_mutex_lock(&reg->lock);
                if (p->stdin_w >= 0) {
                        close(p->stdin_w);
                        p->stdin_w = -1;
                }
                pthread_mutex_unlock(&reg->lock);
        }
        return 0;
}

int pc_process_kill(PcProcessRegistry *reg, PcProcess *p)
{
        pthread_mutex_lock(&reg->lock);
        bool running = p->running;
        if (running)
                cancel(p);
        pthread_mutex_unlock(&reg->lock);
        return running ? 0 : -ESRCH;
}

void pc_process_remove(PcProcessRegistry *reg, PcProcess *p)
{
        (void) pc_process_kill(reg, p);
        /* The kill ends it: the backends' kill is bounded (docker's kill exec, native's hang-up).
         */
        while (!pc_process_wait(reg, p, 60000))
                log_warning("Background process %s does not end after a kill, still waiting",
                            p->id);
        pthread_mutex_lock(&reg->lock);
        bool last = unlist_locked(reg, p);
        pthread_mutex_unlock(&reg->lock);
        if (last)
                process_finish(p);
}
