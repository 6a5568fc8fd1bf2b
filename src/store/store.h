/* SPDX-License-Identifier: MIT */
/*
 * Persistent state in SQLite: <state dir>/state.db.
 *
 * One database file, opened by the daemon (and by CLI verbs that work offline). WAL mode,
 * so a reader never blocks the writer; a busy timeout, so two pincer processes touching the
 * same state dir wait for each other instead of failing. The schema carries a version
 * (PRAGMA user_version) and pc_store_open() migrates older files forward; a file from a
 * newer Pincer is refused rather than damaged.
 *
 * Thread-safe: every function holds the store's (recursive) lock for its whole run, so the
 * gateway's tool workers share one store; a multi-statement write (a transcript append) is
 * one transaction that no other thread's statement interleaves.
 */
#pragma once

#include <stdint.h>

#include "base/error.h"
#include "base/macro.h"

#define PC_STORE_FILE "state.db"

typedef struct PcStore PcStore;

/* Opens (creating when needed) <state_dir>/state.db; state_dir is created with mode 0700 if it
 * does not exist. */
int pc_store_open(const char *state_dir, PcStore **ret, PcError *reterr);
PcStore *pc_store_close(PcStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcStore *, pc_store_close);

const char *pc_store_path(const PcStore *s);

/* ---- The sandbox registry ------------------------------------------------------------------ */

/* One sandbox Pincer created, on any backend. Strings are owned by the record. */
typedef struct PcSandboxRecord {
        char *name;        /* container name / native sandbox name: the key */
        char *scope_key;   /* agent:<id>, a session key, or "shared" */
        char *agent_id;    /* the agent whose session created it */
        char *backend;     /* "docker", "native", "fake" */
        char *runtime_id;  /* container id, or the native sandbox's handle; may be NULL */
        char *image;       /* the image it was created from */
        char *config_hash; /* hash of the create spec it was created with */
        int64_t created_at_ms;
        int64_t last_used_at_ms;
} PcSandboxRecord;

void pc_sandbox_record_clear(PcSandboxRecord *r);
void pc_sandbox_records_free(PcSandboxRecord *r, size_t n);

/* Inserts or updates by name. As OpenClaw's registry does, an update keeps the existing
 * created_at_ms and image (the sandbox was not recreated) and takes everything else from r;
 * recreating a sandbox is delete + upsert. */
int pc_store_sandbox_upsert(PcStore *s, const PcSandboxRecord *r, PcError *reterr);
/* -ENOENT when there is no such sandbox. */
int pc_store_sandbox_get(PcStore *s, const char *name, PcSandboxRecord *ret, PcError *reterr);
/* Every record, ordered by name. *ret is an owned array (pc_sandbox_records_free). */
int pc_store_sandbox_list(PcStore *s, PcSandboxRecord **ret, size_t *ret_n, PcError *reterr);
/* Sets last_used_at_ms; -ENOENT when there is no such sandbox. */
int pc_store_sandbox_touch(PcStore *s, const char *name, int64_t now_ms, PcError *reterr);
/* Removes the record; removing a missing one is not an error (returns 0). */
int pc_store_sandbox_delete(PcStore *s, const char *name, PcError *reterr);
