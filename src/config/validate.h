/* SPDX-License-Identifier: MIT */
/*
 * Schema validation of a parsed configuration tree. Collects every problem (up to
 * PC_DIAGS_MAX) rather than stopping at the first, so one run of `pincer config validate`
 * shows all of them, each with its JSON path, file:line:col and a hint.
 */
#pragma once

#include <jansson.h>

#include "base/diag.h"
#include "base/jsonpos.h"
#include "schema.h"

typedef struct PcValidator PcValidator;

/* What a schema check function sees: the value, where it sits and the whole document. */
typedef struct PcCheck {
        PcValidator *v;
        const PcSchemaNode *node;
        const json_t *value;
        const json_t *parent; /* container holding value (NULL at the root) */
        const char *key;      /* member key in parent, or NULL for array items */
        size_t index;         /* array index when key is NULL */
        const char *path;     /* JSON path of value */
        const json_t *root;   /* the whole configuration */
} PcCheck;

/* Reports a problem at the checked value (its position is looked up). hint may be NULL. */
void pc_check_error(const PcCheck *c, const char *hint, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void pc_check_warning(const PcCheck *c, const char *hint, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Source files known to the position map: file ids index into names. */
typedef struct PcSourceFiles {
        char **names;
        size_t n;
        size_t alloc;
} PcSourceFiles;

uint32_t pc_source_files_add(PcSourceFiles *f, const char *name);
void pc_source_files_clear(PcSourceFiles *f);

/* Validates root against pc_schema_root; diagnostics are appended to diags. Returns the
 * number of errors found (0: valid; warnings do not count). */
size_t pc_validate(const json_t *root, const PcJsonPos *pos, const PcSourceFiles *files,
                   PcDiags *diags);

/* Position helpers shared by the loader's own diagnostics. */
void pc_diag_at_member(PcDiags *diags, PcDiagLevel level, const PcJsonPos *pos,
                       const PcSourceFiles *files, const json_t *parent, const char *key,
                       bool at_key, const char *path, const char *hint, const char *fmt, ...)
        __attribute__((format(printf, 10, 11)));
void pc_diag_at_item(PcDiags *diags, PcDiagLevel level, const PcJsonPos *pos,
                     const PcSourceFiles *files, const json_t *parent, size_t index,
                     const char *path, const char *hint, const char *fmt, ...)
        __attribute__((format(printf, 9, 10)));
