/* SPDX-License-Identifier: MIT */
/*
 * Logging (docs/design/errors.md). A function either logs or returns an error, never
 * both: base/, config/, store/, sandbox/ and policy/ only log at debug level; the
 * boundaries (CLI main, daemon, request handlers, tools/dispatch.c) log what callees
 * return. log_*_errno() returns its r argument, and "%m" prints strerror(-r).
 *
 * Output goes to stderr: text on a terminal, JSON lines otherwise (or as chosen with
 * pc_log_set_format()). Warnings that do not stop the operation end in ", ignoring"
 * or ", continuing"; errors start with "Failed to".
 */
#pragma once

#include "macro.h"

typedef enum PcLogLevel {
        PC_LOG_DEBUG,
        PC_LOG_INFO,
        PC_LOG_NOTICE,
        PC_LOG_WARNING,
        PC_LOG_ERROR,
        _PC_LOG_LEVEL_MAX,
} PcLogLevel;

typedef enum PcLogFormat {
        PC_LOG_FORMAT_AUTO,
        PC_LOG_FORMAT_TEXT,
        PC_LOG_FORMAT_JSON,
} PcLogFormat;

void pc_log_set_level(PcLogLevel level);
PcLogLevel pc_log_get_level(void);
void pc_log_set_format(PcLogFormat format);
int pc_log_level_from_string(const char *s); /* PcLogLevel or -EINVAL */

/* Logs and returns r (which may be 0). "%m" in fmt is replaced by strerror(-r). */
int pc_log_internal(PcLogLevel level, int r, const char *file, int line, const char *fmt, ...)
        _printf_(5, 6);

#define pc_log_full(level, r, ...) pc_log_internal(level, r, __FILE__, __LINE__, __VA_ARGS__)

#define log_debug(...)             (void) pc_log_full(PC_LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)              (void) pc_log_full(PC_LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)            (void) pc_log_full(PC_LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...)           (void) pc_log_full(PC_LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)             (void) pc_log_full(PC_LOG_ERROR, 0, __VA_ARGS__)

#define log_debug_errno(r, ...)    pc_log_full(PC_LOG_DEBUG, r, __VA_ARGS__)
#define log_warning_errno(r, ...)  pc_log_full(PC_LOG_WARNING, r, __VA_ARGS__)
#define log_error_errno(r, ...)    pc_log_full(PC_LOG_ERROR, r, __VA_ARGS__)
