/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the parser of the native backend's login-environment probe (pc_login_probe_parse()):
 * its input is what a sandbox's login files and `env -0` print, read by pid 1 as root.
 * Besides "no crash, leak or UB" it checks: an accepted output gives a umask of at most 0777
 * and only NAME=value items, each inside the input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/native/login-env.h"

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-login-probe: invariant violated: %s\n", what);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 1024 * 1024)
                return 0;
        char **env = NULL;
        char *blob = NULL;
        mode_t mask = 0;
        if (pc_login_probe_parse((const char *) data, size, "/workspace", &env, &blob, &mask) < 0) {
                check(!env && !blob, "nothing allocated on failure");
                return 0;
        }
        check(mask <= 0777, "umask within 0777");
        size_t total = 0;
        for (char **e = env; *e; e++) {
                const char *eq = strchr(*e, '=');
                check(eq && eq != *e, "NAME=value");
                total += strlen(*e) + 1;
        }
        check(total <= size, "the items come from the input");
        free(env);
        free(blob);
        return 0;
}
