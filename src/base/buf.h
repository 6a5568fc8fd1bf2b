/* SPDX-License-Identifier: MIT */
/*
 * PcBuf: a growable string (git strbuf's invariants).
 *
 * Invariants: after pc_buf_init() (or PC_BUF_INIT) buf is never NULL and always
 * NUL-terminated at buf[len]; len never counts the terminator. The struct owns buf.
 * pc_buf_release() frees it and leaves an initialised empty buffer.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

typedef struct PcBuf {
        char *buf;
        size_t len;
        size_t alloc;
} PcBuf;

extern char pc_buf_empty[];
#define PC_BUF_INIT                                                                                \
        {                                                                                          \
                .buf = pc_buf_empty, .len = 0, .alloc = 0                                          \
        }

void pc_buf_init(PcBuf *b);
void pc_buf_release(PcBuf *b);
void pc_buf_reset(PcBuf *b);              /* len = 0, keeps the allocation */
void pc_buf_grow(PcBuf *b, size_t extra); /* room for extra more bytes + NUL */
void pc_buf_add(PcBuf *b, const void *data, size_t n);
void pc_buf_addstr(PcBuf *b, const char *s);
void pc_buf_addch(PcBuf *b, char c);
void pc_buf_addf(PcBuf *b, const char *fmt, ...) _printf_(2, 3);
void pc_buf_vaddf(PcBuf *b, const char *fmt, va_list ap) _printf_(2, 0);
void pc_buf_setlen(PcBuf *b, size_t len); /* truncates; len <= b->len */
char *pc_buf_detach(PcBuf *b);            /* returns the heap string, re-inits b */

/* Appends s with control characters and quotes escaped, for quoting user-controlled strings
 * in messages ('...'). At most max bytes of s are shown, then "...". */
void pc_buf_add_escaped(PcBuf *b, const char *s, size_t max);

static inline void pc_buf_releasep(PcBuf *b)
{
        pc_buf_release(b);
}
#define _cleanup_buf_ _cleanup_(pc_buf_releasep)
