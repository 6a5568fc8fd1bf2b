/* SPDX-License-Identifier: MIT */
/* The sandbox registry: which sandboxes Pincer created, for list, recreate, prune and crash
 * cleanup. The backends are asked what is actually running; this is what we intended. */
#include "base/alloc.h"
#include "store-internal.h"

#define COLUMNS                                                                                    \
        "name, scope_key, agent_id, backend, runtime_id, image, config_hash, created_at_ms, "      \
        "last_used_at_ms"

void pc_sandbox_record_clear(PcSandboxRecord *r)
{
        if (!r)
                return;
        free(r->name);
        free(r->scope_key);
        free(r->agent_id);
        free(r->backend);
        free(r->runtime_id);
        free(r->image);
        free(r->config_hash);
        *r = (PcSandboxRecord){0};
}

void pc_sandbox_records_free(PcSandboxRecord *r, size_t n)
{
        for (size_t i = 0; r && i < n; i++)
                pc_sandbox_record_clear(&r[i]);
        free(r);
}

static char *column_text(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? xstrdup((const char *) t) : NULL;
}

static void read_row(sqlite3_stmt *st, PcSandboxRecord *r)
{
        *r = (PcSandboxRecord){
                .name = column_text(st, 0),
                .scope_key = column_text(st, 1),
                .agent_id = column_text(st, 2),
                .backend = column_text(st, 3),
                .runtime_id = column_text(st, 4),
                .image = column_text(st, 5),
                .config_hash = column_text(st, 6),
                .created_at_ms = sqlite3_column_int64(st, 7),
                .last_used_at_ms = sqlite3_column_int64(st, 8),
        };
}

static void finalizep(sqlite3_stmt **st)
{
        sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(finalizep)

static int prepare(PcStore *s, const char *sql, sqlite3_stmt **ret, PcError *reterr)
{
        int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);
        return rc == SQLITE_OK ? 0 : pc__store_fail(s, rc, reterr, "preparing a query");
}

int pc_store_sandbox_upsert(PcStore *s, const PcSandboxRecord *r, PcError *reterr)
{
        PC_STORE_LOCKED(s);
        if (!r->name || !r->scope_key || !r->backend)
                return pc_error_set(reterr, -EINVAL,
                                    "a sandbox record needs a name, a scope key and a backend");
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int ret = prepare(s,
                          "INSERT INTO sandboxes (" COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                          "?8, ?9) ON CONFLICT(name) DO UPDATE SET scope_key = excluded.scope_key, "
                          "agent_id = excluded.agent_id, backend = excluded.backend, "
                          "runtime_id = excluded.runtime_id, config_hash = excluded.config_hash, "
                          "last_used_at_ms = excluded.last_used_at_ms",
                          &st, reterr);
        if (ret < 0)
                return ret;
        sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->scope_key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, r->agent_id ? r->agent_id : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, r->backend, -1, SQLITE_STATIC);
        if (r->runtime_id)
                sqlite3_bind_text(st, 5, r->runtime_id, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 5);
        sqlite3_bind_text(st, 6, r->image ? r->image : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, r->config_hash ? r->config_hash : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, r->created_at_ms);
        sqlite3_bind_int64(st, 9, r->last_used_at_ms);
        int rc = sqlite3_step(st);
        return rc == SQLITE_DONE ? 0 : pc__store_fail(s, rc, reterr, "saving a sandbox record");
}

int pc_store_sandbox_get(PcStore *s, const char *name, PcSandboxRecord *ret, PcError *reterr)
{
        PC_STORE_LOCKED(s);
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, "SELECT " COLUMNS " FROM sandboxes WHERE name = ?1", &st, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return pc_error_set(reterr, -ENOENT, "no sandbox named '%s' in the registry", name);
        if (rc != SQLITE_ROW)
                return pc__store_fail(s, rc, reterr, "reading a sandbox record");
        read_row(st, ret);
        return 0;
}

int pc_store_sandbox_list(PcStore *s, PcSandboxRecord **ret, size_t *ret_n, PcError *reterr)
{
        PC_STORE_LOCKED(s);
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, "SELECT " COLUMNS " FROM sandboxes ORDER BY name", &st, reterr);
        if (r < 0)
                return r;
        PcSandboxRecord *list = NULL;
        size_t n = 0, alloc = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                list = xgrow(list, &alloc, n + 1, sizeof(*list));
                read_row(st, &list[n++]);
        }
        if (rc != SQLITE_DONE) {
                pc_sandbox_records_free(list, n);
                return pc__store_fail(s, rc, reterr, "listing sandboxes");
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

int pc_store_sandbox_touch(PcStore *s, const char *name, int64_t now_ms, PcError *reterr)
{
        PC_STORE_LOCKED(s);
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, "UPDATE sandboxes SET last_used_at_ms = ?2 WHERE name = ?1", &st,
                        reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now_ms);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
                return pc__store_fail(s, rc, reterr, "updating a sandbox record");
        if (sqlite3_changes(s->db) == 0)
                return pc_error_set(reterr, -ENOENT, "no sandbox named '%s' in the registry", name);
        return 0;
}

int pc_store_sandbox_delete(PcStore *s, const char *name, PcError *reterr)
{
        PC_STORE_LOCKED(s);
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, "DELETE FROM sandboxes WHERE name = ?1", &st, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        return rc == SQLITE_DONE ? 0 : pc__store_fail(s, rc, reterr, "removing a sandbox record");
}
