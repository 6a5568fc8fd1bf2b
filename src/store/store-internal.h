/* SPDX-License-Identifier: MIT */
/* Shared between the files of store/. */
#pragma once

#include <sqlite3.h>

#include "store.h"

struct PcStore {
        sqlite3 *db;
        char *path;
};

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
