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
