/* SPDX-License-Identifier: MIT */
/*
 * The user-visible error tier (docs/design/errors.md).
 *
 * Primitives return int: >= 0 on success, -errno on failure, and never log.
 * Operations whose failure a user sees also fill a caller-owned PcError: a fixed
 * size struct, usually on the stack of the boundary (CLI main, HTTP handler),
 * so no heap allocation and no release on error paths. Context is prefixed on
 * the way up with pc_error_prefix(). reterr may be NULL when only the code matters.
 * Messages never contain secrets: callers pass names, not values.
 */
#pragma once

#include "macro.h"

typedef enum PcErrorKind {
        PC_ERROR_NONE = 0,
        PC_ERROR_INVALID_ARGUMENT, /* bad input: config, request field, CLI argument */
        PC_ERROR_NOT_FOUND,
        PC_ERROR_CONFLICT,
        PC_ERROR_PERMISSION_DENIED, /* tool policy or filesystem confinement */
        PC_ERROR_UNAVAILABLE,       /* a dependency (Docker engine, model provider) is down */
        PC_ERROR_INTERNAL,
        _PC_ERROR_KIND_MAX,
} PcErrorKind;

#define PC_ERROR_MSG_MAX 512

typedef struct PcError {
        int code; /* negative errno */
        PcErrorKind kind;
        char msg[PC_ERROR_MSG_MAX];
} PcError;

#define PC_ERROR_INIT                                                                              \
        {                                                                                          \
                .code = 0, .kind = PC_ERROR_NONE, .msg = ""                                        \
        }

/* Sets the error (if reterr is not NULL) and returns code, which must be negative. The kind
 * is derived from the code; use pc_error_set_kind() to choose it. */
int pc_error_set(PcError *reterr, int code, const char *fmt, ...) _printf_(3, 4);
int pc_error_set_kind(PcError *reterr, PcErrorKind kind, int code, const char *fmt, ...)
        _printf_(4, 5);

/* Prepends "<context>: " to the message and returns the stored code (or -EIO if unset). */
int pc_error_prefix(PcError *reterr, const char *fmt, ...) _printf_(2, 3);

const char *pc_error_kind_to_string(PcErrorKind kind);
