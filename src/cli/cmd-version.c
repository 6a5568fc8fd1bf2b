/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli.h"

static int run(int argc, char **argv)
{
        if (argc > 1)
                return pc_cli_usage_error("version", "unexpected argument '%s'", argv[1]);
        printf("pincer %s\n", PINCER_VERSION);
        return PC_EXIT_OK;
}

const PcVerb pc_verb_version = {
        .name = "version",
        .run = run,
        .summary = "print the version",
        .usage = "Usage: pincer version\n       pincer --version\n",
};
