/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the /etc/subuid and /etc/subgid reader of the native backend's user namespace check
 * (pc_native_subid_overlap()). Besides "no crash, leak or UB" it checks: the line number it
 * returns is one of the input's lines, and an entry overlapping the sandboxes' range overlaps
 * the whole id space too, on the same line or an earlier one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/native/plan.h"

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-subid: invariant violated: %s\n", what);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 64 * 1024)
                return 0;
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        size_t lines = 1;
        for (const char *p = text; *p; p++)
                lines += *p == '\n';
        size_t a = pc_native_subid_overlap(text, PC_NATIVE_USERNS_BASE, PC_NATIVE_USERNS_COUNT);
        check(a <= lines, "line number within the input");
        size_t b = pc_native_subid_overlap(text, 0, UINT32_MAX);
        check(a == 0 || (b != 0 && b <= a), "the whole range overlaps no later than a part");
        free(text);
        return 0;
}
