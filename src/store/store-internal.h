/* SPDX-License-Identifier: MIT */
/* Shared between the files of store/. */
#pragma once

#include <pthread.h>
#include <sqlite3.h>

#include "store.h"

struct PcStore {
        sqlite3 *db;
        char *path;
        /* Recursive. Every public function holds it for its whole run, so one store (one
         * SQLite connection, opened without SQLite's own mutex) can be shared by threads: the
         * gateway's tool workers use it for the registry and the transcripts at once, and a
         * transaction is never interleaved with another thread's statements. */
        pthread_mutex_t lock;
        /* Group commit of durable writes (pc__store_sync_commit): commits counts the
         * transactions committed (under lock); synced the ones known to be on disk. */
        pthread_mutex_t sync_lock;
        pthread_cond_t sync_cond;
        uint64_t commits, synced;
        bool syncing;
        /* Statements of the per-call paths, prepared once per connection (under lock; see
         * pc__store_cached). */
        struct PcStoreCached {
                const char *sql;
                sqlite3_stmt *st;
        } * cached;
        size_t n_cached, alloc_cached;
};

static inline PcStore *pc__store_lock(PcStore *s)
{
        if (s)
                pthread_mutex_lock(&s->lock);
        return s;
}

static inline void pc__store_unlockp(PcStore **s)
{
        if (*s)
                pthread_mutex_unlock(&(*s)->lock);
}

/* Holds s's lock until the end of the enclosing block. */
#define PC_STORE_LOCKED(s)                                                                         \
        __attribute__((cleanup(pc__store_unlockp), unused)) PcStore *pc__store_held_ =             \
                pc__store_lock(s)

/* Call under lock right after a COMMIT that must be durable; returns its ticket. */
static inline uint64_t pc__store_committed(PcStore *s)
{
        return __atomic_add_fetch(&s->commits, 1, __ATOMIC_SEQ_CST);
}

/* Without lock: returns once the commit of ticket is on disk. The WAL is fdatasync'd by one
 * caller at a time, for every commit made before its sync started, so concurrent callers
 * share one sync (a group commit) instead of each syncing inside COMMIT while holding lock. */
int pc__store_sync_commit(PcStore *s, uint64_t ticket, PcError *reterr);

/* Fills reterr from an SQLite result code (with the database's message) and returns -errno. */
int pc__store_fail(PcStore *s, int rc, PcError *reterr, const char *what);
/* sqlite3_exec() of sql; what names the step in the error. */
int pc__store_exec(PcStore *s, const char *sql, PcError *reterr, const char *what);
int pc__store_prepare(PcStore *s, const char *sql, sqlite3_stmt **ret, PcError *reterr);

static inline void pc__store_finalizep(sqlite3_stmt **st)
{
        sqlite3_finalize(*st);
}
#define _cleanup_sqlstmt_ __attribute__((cleanup(pc__store_finalizep)))

/* Under lock: *ret is the store's statement for sql, prepared on first use and kept until the
 * store is closed (parsing SQL is a good part of a small transaction's cost). sql must be a
 * constant. The caller does not finalize it: it declares it _cleanup_sqlreset_ (after
 * PC_STORE_LOCKED), so it is reset, its read snapshot released and its bindings cleared
 * before the lock is let go. */
int pc__store_cached(PcStore *s, const char *sql, sqlite3_stmt **ret, PcError *reterr);
/* Under lock: steps the cached statement of sql (BEGIN, COMMIT) once, and resets it. */
int pc__store_exec_cached(PcStore *s, const char *sql, PcError *reterr, const char *what);

static inline void pc__store_resetp(sqlite3_stmt **st)
{
        if (*st) {
                sqlite3_reset(*st);
                sqlite3_clear_bindings(*st);
        }
}
#define _cleanup_sqlreset_ __attribute__((cleanup(pc__store_resetp)))
