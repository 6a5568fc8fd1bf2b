/* SPDX-License-Identifier: MIT */
#include "store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "store-internal.h"

/* Each entry upgrades the schema from version i to i + 1. Never edit a released step: add one. */
static const char *const migrations[] = {
        /* 0 → 1: the sandbox registry */
        "CREATE TABLE sandboxes ("
        "  name TEXT PRIMARY KEY NOT NULL,"
        "  scope_key TEXT NOT NULL,"
        "  agent_id TEXT NOT NULL DEFAULT '',"
        "  backend TEXT NOT NULL,"
        "  runtime_id TEXT,"
        "  image TEXT NOT NULL DEFAULT '',"
        "  config_hash TEXT NOT NULL DEFAULT '',"
        "  created_at_ms INTEGER NOT NULL,"
        "  last_used_at_ms INTEGER NOT NULL"
        ");"
        "CREATE INDEX sandboxes_scope ON sandboxes(scope_key);",
        /* 1 → 2: sessions and their transcripts (sessions.h) */
        "CREATE TABLE sessions ("
        "  key TEXT PRIMARY KEY NOT NULL,"
        "  session_id TEXT NOT NULL,"
        "  agent_id TEXT NOT NULL,"
        "  kind TEXT NOT NULL,"
        "  channel TEXT NOT NULL DEFAULT '',"
        "  spawned_by TEXT,"
        "  label TEXT,"
        "  created_at_ms INTEGER NOT NULL,"
        "  updated_at_ms INTEGER NOT NULL,"
        "  message_count INTEGER NOT NULL DEFAULT 0,"
        "  tool_call_count INTEGER NOT NULL DEFAULT 0,"
        "  last_seq INTEGER NOT NULL DEFAULT 0,"
        "  last_entry_id TEXT"
        ");"
        "CREATE INDEX sessions_agent ON sessions(agent_id, updated_at_ms);"
        "CREATE TABLE transcript_entries ("
        "  session_key TEXT NOT NULL REFERENCES sessions(key) ON DELETE CASCADE,"
        "  seq INTEGER NOT NULL,"
        "  type TEXT NOT NULL,"
        "  tool INTEGER NOT NULL DEFAULT 0,"
        "  entry TEXT NOT NULL,"
        "  PRIMARY KEY (session_key, seq)"
        ") WITHOUT ROWID;",
};

int pc__store_fail(PcStore *s, int rc, PcError *reterr, const char *what)
{
        int code = rc == SQLITE_BUSY || rc == SQLITE_LOCKED      ? -EBUSY
                   : rc == SQLITE_FULL                           ? -ENOSPC
                   : rc == SQLITE_READONLY || rc == SQLITE_PERM  ? -EROFS
                   : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? -EBADMSG
                                                                 : -EIO;
        return pc_error_set(reterr, code, "state database '%s': %s: %s", s->path, what,
                            s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

int pc__store_exec(PcStore *s, const char *sql, PcError *reterr, const char *what)
{
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : pc__store_fail(s, rc, reterr, what);
}
#define exec_sql pc__store_exec

int pc__store_prepare(PcStore *s, const char *sql, sqlite3_stmt **ret, PcError *reterr)
{
        int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);
        return rc == SQLITE_OK ? 0 : pc__store_fail(s, rc, reterr, "preparing a query");
}

int pc__store_cached(PcStore *s, const char *sql, sqlite3_stmt **ret, PcError *reterr)
{
        for (size_t i = 0; i < s->n_cached; i++)
                if (s->cached[i].sql == sql || streq(s->cached[i].sql, sql)) {
                        *ret = s->cached[i].st;
                        return 0;
                }
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK)
                return pc__store_fail(s, rc, reterr, "preparing a query");
        s->cached = xgrow(s->cached, &s->alloc_cached, s->n_cached + 1, sizeof(*s->cached));
        s->cached[s->n_cached++] = (struct PcStoreCached){.sql = sql, .st = st};
        *ret = st;
        return 0;
}

int pc__store_exec_cached(PcStore *s, const char *sql, PcError *reterr, const char *what)
{
        _cleanup_sqlreset_ sqlite3_stmt *st = NULL;
        int r = pc__store_cached(s, sql, &st, reterr);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc__store_fail(s, rc, reterr, what);
}

static int user_version(PcStore *s, int *ret, PcError *reterr)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                *ret = sqlite3_column_int(st, 0);
                rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
        return rc == SQLITE_OK ? 0 : pc__store_fail(s, rc, reterr, "reading the schema version");
}

/* Reads the version and applies the missing steps in one IMMEDIATE transaction, so two
 * processes opening a new state dir at once do not both try to create the schema: the second
 * waits (busy timeout), then sees the new version. */
static int migrate(PcStore *s, PcError *reterr)
{
        int r = exec_sql(s, "BEGIN IMMEDIATE", reterr, "starting the schema check");
        if (r < 0)
                return r;
        int version = 0;
        r = user_version(s, &version, reterr);
        int latest = (int) ELEMENTSOF(migrations);
        if (r >= 0 && version > latest)
                r = pc_error_set(reterr, -EPROTO,
                                 "state database '%s' has schema version %d, newer than this "
                                 "pincer understands (%d); use a newer pincer",
                                 s->path, version, latest);
        for (; r >= 0 && version < latest; version++) {
                _cleanup_free_ char *sql =
                        xasprintf("%s PRAGMA user_version = %d;", migrations[version], version + 1);
                r = exec_sql(s, sql, reterr, "upgrading the schema");
        }
        if (r < 0) {
                (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        return exec_sql(s, "COMMIT", reterr, "upgrading the schema");
}

int pc_store_open(const char *state_dir, PcStore **ret, PcError *reterr)
{
        if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
                return pc_error_set(reterr, -errno, "cannot create state directory '%s': %s",
                                    state_dir, strerror(errno));

        _cleanup_(pc_store_closep) PcStore *s = xcalloc(1, sizeof(*s));
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&s->lock, &attr);
        pthread_mutexattr_destroy(&attr);
        pthread_mutex_init(&s->sync_lock, NULL);
        pthread_cond_init(&s->sync_cond, NULL);
        s->path = xasprintf("%s/%s", state_dir, PC_STORE_FILE);
        int rc = sqlite3_open_v2(s->path, &s->db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                         SQLITE_OPEN_EXRESCODE,
                                 NULL);
        if (rc != SQLITE_OK)
                return pc__store_fail(s, rc, reterr, "opening");
        (void) chmod(s->path, 0600);
        sqlite3_busy_timeout(s->db, 5000);

        int r = exec_sql(s,
                         "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                         /* SQLite's default page cache is 2 MiB per connection: appends
                          * only touch the B-trees' last pages, and the daemon's RSS budget
                          * is 12 MiB, so 512 KiB. */
                         "PRAGMA cache_size = -512; "
                         "PRAGMA foreign_keys = ON;",
                         reterr, "configuring");
        if (r < 0)
                return r;
        r = migrate(s, reterr);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

PcStore *pc_store_close(PcStore *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_cached; i++)
                sqlite3_finalize(s->cached[i].st);
        free(s->cached);
        if (s->db)
                (void) sqlite3_close_v2(s->db);
        free(s->path);
        pthread_mutex_destroy(&s->lock);
        pthread_mutex_destroy(&s->sync_lock);
        pthread_cond_destroy(&s->sync_cond);
        free(s);
        return NULL;
}

/* What synchronous=FULL does at each commit in WAL mode (sync the WAL), done for a group. */
static int sync_wal(const PcStore *s)
{
        _cleanup_free_ char *wal = xasprintf("%s-wal", s->path);
        _cleanup_close_ int fd = open(wal, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                /* No WAL: a checkpoint moved everything into the database file and synced
                 * it (synchronous=NORMAL syncs at every checkpoint). */
                return errno == ENOENT ? 0 : -errno;
        return fdatasync(fd) < 0 ? -errno : 0;
}

int pc__store_sync_commit(PcStore *s, uint64_t ticket, PcError *reterr)
{
        int r = 0;
        pthread_mutex_lock(&s->sync_lock);
        while (s->synced < ticket && r == 0) {
                if (s->syncing) {
                        pthread_cond_wait(&s->sync_cond, &s->sync_lock);
                        continue;
                }
                /* Every commit up to target has returned from COMMIT: its frames are in the
                 * WAL file, which this sync makes durable. */
                uint64_t target = __atomic_load_n(&s->commits, __ATOMIC_SEQ_CST);
                s->syncing = true;
                pthread_mutex_unlock(&s->sync_lock);
                r = sync_wal(s);
                pthread_mutex_lock(&s->sync_lock);
                s->syncing = false;
                if (r == 0 && target > s->synced)
                        s->synced = target;
                pthread_cond_broadcast(&s->sync_cond);
        }
        pthread_mutex_unlock(&s->sync_lock);
        if (r < 0)
                return pc_error_set(reterr, r, "cannot sync '%s-wal': %s", s->path, strerror(-r));
        return 0;
}

const char *pc_store_path(const PcStore *s)
{
        return s->path;
}
