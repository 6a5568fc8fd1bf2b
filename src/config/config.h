/* SPDX-License-Identifier: MIT */
/*
 * The configuration: an immutable, refcounted snapshot of one validated config file.
 *
 * Load pipeline (docs/config.md): read the file (PINCER_CONFIG, --config, or
 * <state dir>/pincer.json5) → JSON5 parse with source positions → resolve $include →
 * substitute ${VAR} → validate against the schema (schema.h) → cross-field rules → build the
 * agent table. Every problem found is reported as a PcDiag with its JSON path, file:line:col
 * and a hint; the load fails if there is any error. Warnings (keys Pincer does not implement,
 * deprecated keys) do not fail it.
 *
 * A snapshot never changes after load. Reload builds a new snapshot and swaps it in; holders
 * of the old one keep it alive with pc_config_ref(). Single-threaded: the loop thread owns
 * the reference counts.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/diag.h"
#include "base/error.h"
#include "base/jsonpos.h"

#define PC_CONFIG_MAX_FILE_SIZE     (2u * 1024u * 1024u)
#define PC_CONFIG_MAX_INCLUDE_DEPTH 10
#define PC_CONFIG_MAX_INCLUDE_FILES 64
#define PC_CONFIG_DEFAULT_NAME      "pincer.json5"

typedef const char *(*PcEnvLookupFn)(const char *name, void *userdata);

typedef struct PcConfigLoadOptions {
        const char *path;      /* NULL: $PINCER_CONFIG, else <state dir>/pincer.json5 */
        const char *state_dir; /* NULL: $PINCER_STATE_DIR, else ~/.pincer */
        PcEnvLookupFn env;     /* NULL: getenv(); used for ${VAR} and the defaults above */
        void *env_userdata;
} PcConfigLoadOptions;

typedef struct PcConfig PcConfig;

/* One configured agent (or the implicit "main" agent when none is configured). Owned by
 * the snapshot; valid while the snapshot is referenced. */
typedef struct PcAgent {
        char *id;     /* normalised */
        char *source; /* JSON path of its entry: "agents.list[1]", "agents.entries.family",
                         or "" for the implicit default agent */
        bool is_default;
        const json_t *entry; /* borrowed from the snapshot's tree; an empty object if implicit */
        char *workspace;     /* resolved absolute path */
        char *agent_dir;     /* resolved absolute path */
} PcAgent;

/*
 * Loads and validates the configuration. Diagnostics (errors and warnings) are appended to
 * diags, which the caller owns. Returns 0 on success with *ret set, or:
 *   -EINVAL  the configuration is invalid (diags holds the errors),
 *   -ENOENT  an explicitly named config file does not exist,
 *   other    I/O errors.
 * A missing default config file is not an error: it loads as an empty configuration.
 */
int pc_config_load(const PcConfigLoadOptions *opts, PcDiags *diags, PcConfig **ret,
                   PcError *reterr);

/* The same from a buffer named name (for messages); $include is resolved against the
 * directory of name. Used by tests and the fuzzer. */
int pc_config_load_buffer(const char *text, size_t len, const char *name,
                          const PcConfigLoadOptions *opts, PcDiags *diags, PcConfig **ret,
                          PcError *reterr);

PcConfig *pc_config_ref(PcConfig *c);
PcConfig *pc_config_unref(PcConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcConfig *, pc_config_unref);

const char *pc_config_path(const PcConfig *c);
bool pc_config_file_exists(const PcConfig *c); /* false: defaults only */
/* The i-th file the snapshot was read from (the top file, then $include targets), or NULL past
 * the last: what a config watcher watches. */
const char *pc_config_source(const PcConfig *c, size_t i);
const char *pc_config_state_dir(const PcConfig *c);
const json_t *pc_config_root(const PcConfig *c); /* includes and ${VAR} resolved */

size_t pc_config_n_agents(const PcConfig *c);
const PcAgent *pc_config_agent(const PcConfig *c, size_t i);
const PcAgent *pc_config_default_agent(const PcConfig *c);
/* Looks up an agent by id; the id is normalised first ("Family" finds "family"). */
const PcAgent *pc_config_find_agent(const PcConfig *c, const char *id);

/* Normalises an agent id as OpenClaw does: lower case, [a-z0-9][a-z0-9_-]{0,63}, other
 * characters collapsed to '-', empty → "main". Returns a new string. */
char *pc_agent_id_normalize(const char *id);

/*
 * The effective configuration of one agent: agents.defaults merged with the agent's entry
 * by OpenClaw's merge rules (docs/config.md "Merge rules"), every default filled in and
 * every path resolved. Returns a new reference. Secret values are replaced by "<redacted>"
 * when redact is true.
 *
 * Unredacted views are computed once per snapshot and agent and shared (thread-safe): the
 * returned object must not be modified (json_deep_copy it first). Redacted ones are fresh.
 */
json_t *pc_config_agent_effective(const PcConfig *c, const PcAgent *agent, bool redact);

/* A copy of the loaded tree with every PC_SF_SECRET value replaced by "<redacted>". */
json_t *pc_config_redacted(const PcConfig *c);
