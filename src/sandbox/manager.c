/* SPDX-License-Identifier: MIT */
#include "manager.h"

#include <pthread.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "sandbox-internal.h"

typedef struct Backend {
        PcSandboxBackendDef def;
        void *instance;
        bool opened;
} Backend;

/* One sandbox this process has a handle on. Allocated individually: leases point at it. */
typedef struct Entry {
        char *name;
        Backend *backend;
        PcSandbox *sb;
        unsigned leases;
        /* When this process last wrote the sandbox's registry row (0: not since it was
         * (re)created or removed here), and the hash it wrote. */
        int64_t row_ms;
        char row_hash[PC_SHA256_HEX_SIZE];
} Entry;

struct PcSandboxManager {
        /* Guards everything below and the store: held by acquire, release, list, remove,
         * prune and the registry touch after an exec, never while a command runs. */
        pthread_mutex_t lock;
        PcStore *store;
        Backend *backends;
        size_t n_backends;
        Entry **entries;
        size_t n_entries, alloc_entries;
        PcSpecCache *specs;
        int64_t (*now_ms)(void);
};

struct PcSandboxLease {
        PcSandboxManager *m;
        Entry *entry;
        PcResolvedSpec *spec;
        const char *action;
        char *notice;
};

static int64_t real_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

PcStore *pc_sandbox_manager_store(const PcSandboxManager *m)
{
        return m ? m->store : NULL;
}

PcSandboxManager *pc_sandbox_manager_new(PcStore *store, const PcSandboxBackendDef *backends,
                                         size_t n_backends)
{
        PcSandboxManager *m = xcalloc(1, sizeof(*m));
        m->store = store;
        m->now_ms = real_now_ms;
        m->specs = pc__spec_cache_new();
        pthread_mutex_init(&m->lock, NULL);
        m->backends = xcalloc(n_backends, sizeof(Backend));
        m->n_backends = n_backends;
        for (size_t i = 0; i < n_backends; i++)
                m->backends[i].def = backends[i];
        return m;
}

PcSandboxManager *pc_sandbox_manager_free(PcSandboxManager *m)
{
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_entries; i++) {
                pc_sandbox_free(m->entries[i]->sb);
                free(m->entries[i]->name);
                free(m->entries[i]);
        }
        free(m->entries);
        pc__spec_cache_free(m->specs);
        for (size_t i = 0; i < m->n_backends; i++) {
                Backend *b = &m->backends[i];
                if (b->opened && b->def.open && b->def.close)
                        b->def.close(b->instance);
        }
        free(m->backends);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
}

void pc_sandbox_manager_set_clock(PcSandboxManager *m, int64_t (*now_ms)(void))
{
        m->now_ms = now_ms ? now_ms : real_now_ms;
}

static int get_backend(PcSandboxManager *m, const char *name, Backend **ret, PcError *reterr)
{
        for (size_t i = 0; i < m->n_backends; i++) {
                Backend *b = &m->backends[i];
                if (!streq(b->def.name, name))
                        continue;
                if (!b->opened) {
                        if (b->def.open) {
                                int r = b->def.open(&b->instance, reterr);
                                if (r < 0)
                                        return r;
                        } else
                                b->instance = b->def.instance;
                        b->opened = true;
                }
                *ret = b;
                return 0;
        }
        _cleanup_buf_ PcBuf known = PC_BUF_INIT;
        for (size_t i = 0; i < m->n_backends; i++)
                pc_buf_addf(&known, "%s%s", i ? ", " : "", m->backends[i].def.name);
        return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EOPNOTSUPP,
                                 "sandbox backend '%s' is not available in this build "
                                 "(available: %s); set sandbox.backend to one of them",
                                 name, known.len ? known.buf : "none");
}

static Entry *get_entry(PcSandboxManager *m, Backend *b, const char *name)
{
        for (size_t i = 0; i < m->n_entries; i++) {
                Entry *e = m->entries[i];
                if (e->backend == b && streq(e->name, name))
                        return e;
        }
        Entry *e = xcalloc(1, sizeof(*e));
        e->name = xstrdup(name);
        e->backend = b;
        e->sb = pc_sandbox_new(b->def.ops, b->instance, name);
        m->entries = xgrow(m->entries, &m->alloc_entries, m->n_entries + 1, sizeof(Entry *));
        m->entries[m->n_entries++] = e;
        return e;
}

static char *recreate_hint(const PcSandboxSpec *spec)
{
        switch (spec->scope) {
        case PC_SANDBOX_SCOPE_SESSION:
                return xasprintf("pincer sandbox recreate --session '%s'", spec->scope_key);
        case PC_SANDBOX_SCOPE_AGENT:
                return xasprintf("pincer sandbox recreate --agent '%s'", spec->agent_id);
        default:
                return xstrdup("pincer sandbox recreate --all");
        }
}

static int create_fresh(PcSandboxManager *m, Entry *e, const PcSandboxSpec *spec,
                        bool destroy_first, PcError *reterr)
{
        int r;
        if (destroy_first) {
                r = pc_sandbox_destroy(e->sb, reterr);
                if (r < 0)
                        return r;
        }
        /* A row describes a sandbox that exists; a new one gets a new row (and createdAt). */
        r = pc_store_sandbox_delete(m->store, e->name, reterr);
        if (r < 0)
                return r;
        return pc_sandbox_create(e->sb, spec, reterr);
}

int pc_sandbox_manager_acquire(PcSandboxManager *m, const PcConfig *cfg, const char *session_key,
                               PcSandboxLease **ret, PcSandboxSession *ret_session, PcError *reterr)
{
        PcSandboxSession session = {0};
        _cleanup_free_ char *notice = NULL;
        json_t *eff = NULL;
        int r = pc__sandbox_effective(cfg, session_key, &eff, reterr);
        if (r >= 0)
                r = pc_sandbox_session_from_effective(eff, session_key, &session, reterr);
        if (r < 0 || !session.sandboxed) {
                json_decref(eff);
                if (ret_session && r >= 0)
                        *ret_session = session;
                else
                        pc_sandbox_session_release(&session);
                *ret = NULL;
                return r;
        }

        /* The spec of the canonical key, so that the aliases of one session ("main",
         * "agent:x:main") get one session-scope sandbox; built once per config snapshot
         * while its workspace dirs stay as they were (spec-cache.c). */
        pthread_mutex_lock(&m->lock);
        PcResolvedSpec *res = pc__spec_cache_get(m->specs, eff, session.canonical_key);
        if (!res) {
                pthread_mutex_unlock(&m->lock);
                PcSandboxSpec *built = NULL;
                r = pc_sandbox_spec_build(eff, session.canonical_key, NULL, &built, reterr);
                if (r < 0) {
                        json_decref(eff);
                        pc_sandbox_session_release(&session);
                        *ret = NULL;
                        return r;
                }
                pthread_mutex_lock(&m->lock);
                res = pc__spec_cache_put(m->specs, eff, session.canonical_key, built);
        }
        json_decref(eff);
        const PcSandboxSpec *spec = pc__resolved_spec(res);
        Backend *b = NULL;
        r = get_backend(m, spec->backend, &b, reterr);
        if (r < 0)
                goto fail_locked;
        Entry *e = get_entry(m, b, spec->name);

        PcSandboxInfo info = {0};
        r = pc_sandbox_inspect(e->sb, &info, reterr);
        if (r < 0)
                goto fail_locked;

        PcSandboxAction action = pc_sandbox_decide(&info, spec->config_hash, e->leases > 0);
        const char *what = NULL;
        const char *registered_hash = spec->config_hash;
        switch (action) {
        case PC_SANDBOX_ACTION_CREATE:
                r = create_fresh(m, e, spec, false, reterr);
                what = "created";
                break;
        case PC_SANDBOX_ACTION_START: /* sandboxes are disposable: a stopped one is replaced */
        case PC_SANDBOX_ACTION_RECREATE:
                r = create_fresh(m, e, spec, true, reterr);
                what = "recreated";
                break;
        case PC_SANDBOX_ACTION_REUSE:
                what = "reused";
                break;
        case PC_SANDBOX_ACTION_RECREATE_WHEN_IDLE: {
                _cleanup_free_ char *hint = recreate_hint(spec);
                notice = xasprintf("the configuration of sandbox '%s' changed while a tool call "
                                   "was using it; it keeps running with the old settings until "
                                   "it is idle, or run: %s",
                                   spec->name, hint);
                registered_hash = info.config_hash;
                what = "reused-stale";
                break;
        }
        default:
                r = pc_error_set(reterr, -EINVAL, "cannot decide what to do with sandbox '%s'",
                                 spec->name);
        }
        if (r < 0)
                goto fail_locked;

        int64_t now = m->now_ms();
        /* A reused sandbox's row is rewritten at most once per PC_SANDBOX_TOUCH_INTERVAL_MS:
         * prune only needs coarse times, and a write per call is measurable. */
        bool row_due = !streq(what, "reused") || e->row_ms == 0 ||
                       now - e->row_ms >= PC_SANDBOX_TOUCH_INTERVAL_MS ||
                       !streq(e->row_hash, registered_hash ? registered_hash : "");
        PcSandboxRecord row = {
                .name = spec->name,
                .scope_key = spec->scope_key,
                .agent_id = spec->agent_id,
                .backend = spec->backend,
                .image = spec->image,
                .config_hash = (char *) registered_hash,
                .created_at_ms =
                        info.created_at_ms > 0 && streq(what, "reused") ? info.created_at_ms : now,
                .last_used_at_ms = now,
        };
        if (row_due) {
                r = pc_store_sandbox_upsert(m->store, &row, reterr);
                if (r < 0)
                        goto fail_locked;
                e->row_ms = now;
                snprintf(e->row_hash, sizeof(e->row_hash), "%s",
                         registered_hash ? registered_hash : "");
        }

        PcSandboxLease *l = xcalloc(1, sizeof(*l));
        l->m = m;
        l->entry = e;
        l->spec = TAKE_PTR(res);
        l->action = what;
        l->notice = TAKE_PTR(notice);
        e->leases++;
        pthread_mutex_unlock(&m->lock);
        *ret = l;
        if (ret_session)
                *ret_session = session;
        else
                pc_sandbox_session_release(&session);
        return 0;

fail_locked:
        pc__resolved_spec_unref(res);
        pthread_mutex_unlock(&m->lock);
        pc_sandbox_session_release(&session);
        *ret = NULL;
        return r;
}

const PcSandboxSpec *pc_sandbox_lease_spec(const PcSandboxLease *l)
{
        return pc__resolved_spec(l->spec);
}

const char *pc_sandbox_lease_action(const PcSandboxLease *l)
{
        return l->action;
}

const char *pc_sandbox_lease_notice(const PcSandboxLease *l)
{
        return l->notice;
}

int pc_sandbox_lease_exec(PcSandboxLease *l, const PcExecRequest *req, PcExecResult *ret_result,
                          PcError *reterr)
{
        /* The command runs outside the lock: calls on the same or other sandboxes overlap. */
        int r = pc_sandbox_exec(l->entry->sb, req, ret_result, reterr);
        /* The sandbox was used even when the command failed; a failed touch is not worth
         * failing the call for (the row may have been removed by a concurrent CLI recreate).
         * At most one write per PC_SANDBOX_TOUCH_INTERVAL_MS per sandbox. */
        PcSandboxManager *m = l->m;
        pthread_mutex_lock(&m->lock);
        int64_t now = m->now_ms();
        if (l->entry->row_ms != 0 && now - l->entry->row_ms >= PC_SANDBOX_TOUCH_INTERVAL_MS &&
            pc_store_sandbox_touch(m->store, l->entry->name, now, NULL) >= 0)
                l->entry->row_ms = now;
        pthread_mutex_unlock(&m->lock);
        return r;
}

PcSandbox *pc_sandbox_lease_sandbox(PcSandboxLease *l)
{
        return l->entry->sb;
}

PcSandboxLease *pc_sandbox_lease_release(PcSandboxLease *l)
{
        if (!l)
                return NULL;
        pthread_mutex_lock(&l->m->lock);
        if (l->entry->leases > 0)
                l->entry->leases--;
        pc__resolved_spec_unref(l->spec);
        pthread_mutex_unlock(&l->m->lock);
        free(l->notice);
        free(l);
        return NULL;
}

/* ---- registry views -------------------------------------------------------------------- */

static bool agent_matches(const PcSandboxRecord *row, const char *agent_id)
{
        size_t n = strlen(agent_id);
        const char *k = row->scope_key;
        if (strncmp(k, "agent:", 6) != 0 || strncmp(k + 6, agent_id, n) != 0)
                return false;
        return k[6 + n] == '\0' || k[6 + n] == ':';
}

static Entry *entry_for_row(PcSandboxManager *m, const PcSandboxRecord *row, PcError *reterr)
{
        Backend *b = NULL;
        if (get_backend(m, row->backend, &b, reterr) < 0)
                return NULL;
        return get_entry(m, b, row->name);
}

static unsigned leases_of(PcSandboxManager *m, const PcSandboxRecord *row)
{
        for (size_t i = 0; i < m->n_entries; i++)
                if (streq(m->entries[i]->name, row->name) &&
                    streq(m->entries[i]->backend->def.name, row->backend))
                        return m->entries[i]->leases;
        return 0;
}

/* The effective config of the row's agent (the default agent's when it is gone). */
static json_t *row_effective(const PcConfig *cfg, const PcSandboxRecord *row, bool *ret_found)
{
        const PcAgent *a =
                row->agent_id && *row->agent_id ? pc_config_find_agent(cfg, row->agent_id) : NULL;
        *ret_found = a != NULL;
        return pc_config_agent_effective(cfg, a ? a : pc_config_default_agent(cfg), false);
}

/* Sets *ret_hash to the hash the row's sandbox would have now, or "" when that cannot be
 * computed or the sandbox would now have another name (so this one will never be reused). */
static void current_hash(const PcConfig *cfg, const PcSandboxRecord *row,
                         char ret_hash[PC_SHA256_HEX_SIZE])
{
        ret_hash[0] = '\0';
        bool found;
        json_t *eff = row_effective(cfg, row, &found);
        if (!found) {
                json_decref(eff);
                return;
        }
        PcSandboxSpecOptions opts = {.no_mkdir = true};
        PcSandboxSpec *spec = NULL;
        if (pc_sandbox_spec_build(eff, row->scope_key, &opts, &spec, NULL) >= 0 &&
            streq(spec->name, row->name))
                memcpy(ret_hash, spec->config_hash, PC_SHA256_HEX_SIZE);
        pc_sandbox_spec_free(spec);
        json_decref(eff);
}

static int list_locked(PcSandboxManager *m, const PcConfig *cfg, const char *agent_id, json_t **ret,
                       PcError *reterr)
{
        PcSandboxRecord *rows = NULL;
        size_t n = 0;
        int r = pc_store_sandbox_list(m->store, &rows, &n, reterr);
        if (r < 0)
                return r;
        int64_t now = m->now_ms();
        json_t *out = json_array();
        for (size_t i = 0; i < n; i++) {
                const PcSandboxRecord *row = &rows[i];
                if (agent_id && !agent_matches(row, agent_id))
                        continue;
                PcError err = PC_ERROR_INIT;
                PcSandboxInfo info = {0};
                const char *state = "unknown";
                Entry *e = entry_for_row(m, row, &err);
                if (e && pc_sandbox_inspect(e->sb, &info, &err) >= 0)
                        state = pc_sandbox_state_to_string(info.state);
                char hash[PC_SHA256_HEX_SIZE];
                current_hash(cfg, row, hash);
                json_t *o =
                        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:s?,s:o,s:i}",
                                  "name", row->name, "scopeKey", row->scope_key, "agentId",
                                  row->agent_id ? row->agent_id : "", "backend", row->backend,
                                  "image", row->image ? row->image : "", "state", state,
                                  "createdAtMs", (json_int_t) row->created_at_ms, "lastUsedAtMs",
                                  (json_int_t) row->last_used_at_ms, "ageMs",
                                  (json_int_t) (now - row->created_at_ms), "idleMs",
                                  (json_int_t) (now - row->last_used_at_ms), "configHash",
                                  row->config_hash ? row->config_hash : "", "currentHash",
                                  hash[0] ? hash : NULL, "hashCurrent",
                                  hash[0] ? json_boolean(streq(
                                                    hash, row->config_hash ? row->config_hash : ""))
                                          : json_null(),
                                  "leases", (int) leases_of(m, row));
                if (err.code < 0)
                        json_object_set_new(o, "error", json_string(err.msg));
                json_array_append_new(out, o);
        }
        pc_sandbox_records_free(rows, n);
        *ret = out;
        return 0;
}

static json_t *remove_one(PcSandboxManager *m, const PcSandboxRecord *row, bool dry_run,
                          const char *reason)
{
        json_t *o = json_pack("{s:s,s:s,s:s}", "name", row->name, "scopeKey", row->scope_key,
                              "backend", row->backend);
        if (reason)
                json_object_set_new(o, "reason", json_string(reason));
        if (leases_of(m, row) > 0) {
                json_object_set_new(o, "result", json_string("in-use"));
                return o;
        }
        if (dry_run) {
                json_object_set_new(o, "result", json_string("would-remove"));
                return o;
        }
        PcError err = PC_ERROR_INIT;
        Entry *e = entry_for_row(m, row, &err);
        int r = e ? pc_sandbox_destroy(e->sb, &err) : -EIO;
        if (r >= 0)
                r = pc_store_sandbox_delete(m->store, row->name, &err);
        if (e)
                e->row_ms = 0; /* the next acquire writes a new row */
        json_object_set_new(o, "result", json_string(r >= 0 ? "removed" : "failed"));
        if (r < 0)
                json_object_set_new(o, "error", json_string(err.msg));
        return o;
}

static int remove_locked(PcSandboxManager *m, const PcSandboxFilter *filter, bool dry_run,
                         json_t **ret, PcError *reterr)
{
        PcSandboxRecord *rows = NULL;
        size_t n = 0;
        int r = pc_store_sandbox_list(m->store, &rows, &n, reterr);
        if (r < 0)
                return r;
        json_t *out = json_array();
        for (size_t i = 0; i < n; i++) {
                const PcSandboxRecord *row = &rows[i];
                bool match = filter->all ||
                             (filter->agent_id && agent_matches(row, filter->agent_id)) ||
                             (filter->scope_key && streq(row->scope_key, filter->scope_key));
                if (match)
                        json_array_append_new(out, remove_one(m, row, dry_run, NULL));
        }
        pc_sandbox_records_free(rows, n);
        *ret = out;
        return 0;
}

static int prune_locked(PcSandboxManager *m, const PcConfig *cfg, bool dry_run, json_t **ret,
                        PcError *reterr)
{
        PcSandboxRecord *rows = NULL;
        size_t n = 0;
        int r = pc_store_sandbox_list(m->store, &rows, &n, reterr);
        if (r < 0)
                return r;
        int64_t now = m->now_ms();
        json_t *out = json_array();
        for (size_t i = 0; i < n; i++) {
                const PcSandboxRecord *row = &rows[i];
                bool found;
                json_t *eff = row_effective(cfg, row, &found);
                const json_t *prune = json_object_get(json_object_get(eff, "sandbox"), "prune");
                json_int_t idle_h = json_integer_value(json_object_get(prune, "idleHours"));
                json_int_t age_d = json_integer_value(json_object_get(prune, "maxAgeDays"));
                json_decref(eff);

                double idle = (double) (now - row->last_used_at_ms) / 3600e3;
                double age = (double) (now - row->created_at_ms) / 86400e3;
                _cleanup_free_ char *reason = NULL;
                if (idle_h > 0 && idle > (double) idle_h)
                        reason = xasprintf("idle %.1fh > %lldh", idle, (long long) idle_h);
                else if (age_d > 0 && age > (double) age_d)
                        reason = xasprintf("age %.1fd > %lldd", age, (long long) age_d);
                if (reason)
                        json_array_append_new(out, remove_one(m, row, dry_run, reason));
        }
        pc_sandbox_records_free(rows, n);
        *ret = out;
        return 0;
}

int pc_sandbox_manager_list(PcSandboxManager *m, const PcConfig *cfg, const char *agent_id,
                            json_t **ret, PcError *reterr)
{
        pthread_mutex_lock(&m->lock);
        int r = list_locked(m, cfg, agent_id, ret, reterr);
        pthread_mutex_unlock(&m->lock);
        return r;
}

int pc_sandbox_manager_remove(PcSandboxManager *m, const PcSandboxFilter *filter, bool dry_run,
                              json_t **ret, PcError *reterr)
{
        pthread_mutex_lock(&m->lock);
        int r = remove_locked(m, filter, dry_run, ret, reterr);
        pthread_mutex_unlock(&m->lock);
        return r;
}

int pc_sandbox_manager_prune(PcSandboxManager *m, const PcConfig *cfg, bool dry_run, json_t **ret,
                             PcError *reterr)
{
        pthread_mutex_lock(&m->lock);
        int r = prune_locked(m, cfg, dry_run, ret, reterr);
        pthread_mutex_unlock(&m->lock);
        return r;
}
