/* SPDX-License-Identifier: MIT */
/*
 * Allocation that never returns NULL: running out of memory aborts. Every size a
 * user controls is capped before it reaches an allocator, so OOM is an operator
 * problem, never an input bug (docs/design/ownership.md).
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);

/* Grows *array (of *alloc elements of size elsize) so that it holds at least n elements. */
void *xgrow(void *array, size_t *alloc, size_t n, size_t elsize);
