/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the Docker seccomp profile parser and compiler (pc_seccomp_filter_from_string()).
 * Besides "no crash, leak or UB" it checks: a failure returns a negative code with a message
 * naming the origin; a success yields a non-empty BPF program and a summary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/native/seccomp.h"

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-seccomp-profile: invariant violated: %s\n", what);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        PcError err = PC_ERROR_INIT;
        PcSeccompFilter *f = NULL;

        if (size > 64 * 1024)
                return 0;
        int r = pc_seccomp_filter_from_string((const char *) data, size, "fuzz", &f, &err);
        if (r < 0) {
                check(f == NULL, "no filter on failure");
                check(err.code == r, "error code stored");
                check(strncmp(err.msg, "fuzz", 4) == 0, "message names the origin");
                return 0;
        }
        check(f != NULL, "filter on success");
        check(pc_seccomp_filter_size(f) > 0, "non-empty program");
        PcBuf b = PC_BUF_INIT;
        check(pc_seccomp_summary(f, &b) > 0, "summary");
        pc_buf_release(&b);
        pc_seccomp_filter_free(f);
        return 0;
}
