/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics: a list of errors and warnings, each with a JSON path, a source position and
 * a hint. Used where one operation can find several problems at once (config validation),
 * so the user sees all of them in one run. The list owns every string in it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef enum PcDiagLevel {
        PC_DIAG_ERROR,
        PC_DIAG_WARNING,
} PcDiagLevel;

typedef struct PcDiag {
        PcDiagLevel level;
        char *path;    /* JSON path, "" for the whole document */
        char *file;    /* NULL when unknown */
        uint32_t line; /* 0 when unknown */
        uint32_t col;
        char *message;
        char *hint; /* NULL when there is nothing useful to add */
} PcDiag;

/* Errors beyond this are counted but not stored: one bad file must not flood the terminal. */
#define PC_DIAGS_MAX 100

typedef struct PcDiags {
        PcDiag *items;
        size_t n;
        size_t alloc;
        size_t n_errors;   /* including dropped ones */
        size_t n_warnings; /* including dropped ones */
} PcDiags;

#define PC_DIAGS_INIT                                                                              \
        {                                                                                          \
                0                                                                                  \
        }

void pc_diags_add(PcDiags *d, PcDiagLevel level, const char *path, const char *file, uint32_t line,
                  uint32_t col, const char *hint, const char *fmt, ...) _printf_(8, 9);
void pc_diags_clear(PcDiags *d);

struct PcBuf;
/* Compiler-style text, one diagnostic per line, for terminals and editors:
 *   file:line:col: error: json.path: message
 *     hint: what to do
 * followed by "(N more not shown)" when the list was capped. */
void pc_diags_format_text(const PcDiags *d, struct PcBuf *out);

static inline void pc_diags_clearp(PcDiags *d)
{
        pc_diags_clear(d);
}
#define _cleanup_diags_ _cleanup_(pc_diags_clearp)
