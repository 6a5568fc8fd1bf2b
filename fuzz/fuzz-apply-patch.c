/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the apply_patch parser and the in-memory update (src/tools/patch.h), no filesystem.
 * The input is "<patch>\0<file content>" (without a NUL, the patch text itself is the file
 * content). Besides "no crash, leak or UB" it aborts when an invariant fails:
 *  - a parse failure returns -EINVAL or -E2BIG with a message;
 *  - a parsed patch has at most PC_PATCH_MAX_FILES hunks, each with a non-empty path, and an
 *    update hunk has at least one chunk;
 *  - applying an update either fails with a message or returns text that is empty or ends
 *    with a newline.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "tools/patch.h"

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-apply-patch: invariant violated: %s\n", what);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 1 << 20)
                return 0;
        const char *in = (const char *) data;
        const char *nul = memchr(in, '\0', size);
        size_t plen = nul ? (size_t) (nul - in) : size;
        char *content = nul ? xstrndup(nul + 1, size - plen - 1) : xstrndup(in, plen);

        PcPatch p;
        PcError err = PC_ERROR_INIT;
        int r = pc_patch_parse(in, plen, &p, &err);
        if (r < 0) {
                check(r == -EINVAL || r == -E2BIG, "unexpected error code");
                check(err.msg[0] != '\0', "error without a message");
                free(content);
                return 0;
        }
        check(p.n_hunks <= PC_PATCH_MAX_FILES, "too many hunks");
        for (size_t i = 0; i < p.n_hunks; i++) {
                const PcPatchHunk *h = &p.hunks[i];
                check(h->path && h->path[0], "empty path");
                if (h->kind == PC_PATCH_ADD)
                        check(h->contents != NULL, "add without contents");
                if (h->kind != PC_PATCH_UPDATE)
                        continue;
                check(h->n_chunks > 0, "update without chunks");
                char *out = NULL;
                PcError aerr = PC_ERROR_INIT;
                int k = pc_patch_apply_update(content, h, h->path, &out, &aerr);
                if (k < 0) {
                        check(aerr.msg[0] != '\0', "apply error without a message");
                        continue;
                }
                size_t n = strlen(out);
                check(n == 0 || out[n - 1] == '\n', "result does not end with a newline");
                free(out);
        }
        pc_patch_release(&p);
        free(content);
        return 0;
}
