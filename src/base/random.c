/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "alloc.h"
#include "random.h"

char *pc_random_hex(size_t n_bytes)
{
        uint8_t raw[256];
        if (n_bytes > sizeof(raw)) {
                errno = EINVAL;
                return NULL;
        }
        if (getrandom(raw, n_bytes, 0) != (ssize_t) n_bytes) {
                int e = errno;
                explicit_bzero(raw, sizeof(raw));
                errno = e;
                return NULL;
        }
        char *t = xmalloc(2 * n_bytes + 1);
        for (size_t i = 0; i < n_bytes; i++)
                (void) snprintf(t + 2 * i, 3, "%02x", raw[i]);
        t[2 * n_bytes] = 0;
        explicit_bzero(raw, sizeof(raw));
        return t;
}
