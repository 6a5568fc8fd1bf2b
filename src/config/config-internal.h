/* SPDX-License-Identifier: MIT */
/* Shared between the files of config/; not for use outside it. */
#pragma once

#include "config.h"
#include "validate.h"

struct PcConfig {
        unsigned n_ref;
        char *path;
        char *state_dir;
        char *home;
        bool file_exists;
        json_t *root;
        json_t *keepalive; /* every parsed document: keeps container addresses unique for pos */
        json_t *sources;   /* the paths of the files read (top file, then $include targets) */
        PcJsonPos *pos;
        PcSourceFiles files;
        PcAgent *agents;
        size_t n_agents;
        size_t default_agent;
        /* Per agent: the unredacted effective view, computed once per snapshot on first use
         * (effective.c, under its lock: snapshots are shared by the tool workers). */
        json_t **effective;
};

/* The loader's working state, passed between the pipeline stages. */
typedef struct PcLoadCtx {
        PcConfig *cfg;
        PcDiags *diags;
        PcEnvLookupFn env;
        void *env_userdata;
        size_t n_included; /* files read through $include, for PC_CONFIG_MAX_INCLUDE_FILES */
        char *top_dir;     /* realpath of the top-level config's directory */
        char *top_display; /* that directory as the user named it ("" for the cwd) */
} PcLoadCtx;

const char *pc__env(const PcLoadCtx *ctx, const char *name);

/* Reads and parses one file, called name in messages; *ret is borrowed (the snapshot's keepalive
 * owns it). Errors go to diags. */
int pc__parse_file(PcLoadCtx *ctx, const char *path, const char *name, json_t **ret);
int pc__parse_buffer(PcLoadCtx *ctx, const char *text, size_t len, const char *name, json_t **ret);

/* A path inside the config's directory as the user would write it (relative when they named
 * the config relatively), so messages do not depend on where the tree lives. New string. */
char *pc__display_path(const PcLoadCtx *ctx, const char *real);

/* include.c: resolves every $include in root (which came from file dir). */
void pc__resolve_includes(PcLoadCtx *ctx, json_t *root, const char *file);

/* envsubst.c: replaces ${VAR} in every string value. */
void pc__substitute_env(PcLoadCtx *ctx, json_t *root);

/* agents.c: builds cfg->agents and checks the cross-field rules. */
void pc__build_agents(PcLoadCtx *ctx);
void pc__check_cross_fields(PcLoadCtx *ctx);

/* Reports at a member or item of the loaded tree. */
void pc__diag_member(PcLoadCtx *ctx, PcDiagLevel level, const json_t *parent, const char *key,
                     bool at_key, const char *path, const char *hint, const char *fmt, ...)
        __attribute__((format(printf, 8, 9)));

char *pc__expand_home(const PcConfig *cfg, const char *p);
