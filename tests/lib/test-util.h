/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests (cmocka). */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The source tree, from PINCER_SOURCE_DIR (set by ctest); falls back to the cwd. */
static inline const char *test_source_dir(void)
{
        const char *d = getenv("PINCER_SOURCE_DIR");
        return d && *d ? d : ".";
}

/* Reads a whole file; returns NULL (and sets *len to 0) if it does not exist. */
static inline char *test_read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (len)
                *len = 0;
        if (!f)
                return NULL;
        size_t alloc = 4096, n = 0;
        char *buf = malloc(alloc);
        size_t k;
        while ((k = fread(buf + n, 1, alloc - n - 1, f)) > 0) {
                n += k;
                if (alloc - n < 2) {
                        alloc *= 2;
                        buf = realloc(buf, alloc);
                }
        }
        buf[n] = '\0';
        fclose(f);
        if (len)
                *len = n;
        return buf;
}

static inline void test_write_file(const char *path, const char *data)
{
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(data, f);
        fclose(f);
}
