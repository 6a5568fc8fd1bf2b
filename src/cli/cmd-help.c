/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli.h"

static int run(int argc, char **argv)
{
        if (argc > 2)
                return pc_cli_usage_error("help", "expected at most one command name");
        if (argc == 2) {
                const PcVerb *v = pc_cli_find_verb(argv[1]);
                if (!v)
                        return pc_cli_usage_error("help", "unknown command '%s'", argv[1]);
                fputs(v->usage, stdout);
                return PC_EXIT_OK;
        }
        printf("Usage: pincer <command> [options]\n\n"
               "Pincer hosts AI agents and runs every tool call they make in a sandbox.\n\n"
               "Commands:\n");
        for (const PcVerb *const *v = pc_cli_verbs(); *v; v++)
                printf("  %-10s %s\n", (*v)->name, (*v)->summary);
        printf("\nRun 'pincer help <command>' for the options of one command.\n\n"
               "Exit status:\n"
               "  0  success (for 'config validate': the configuration is valid)\n"
               "  1  the configuration is invalid, or the operation failed\n"
               "  2  usage error (unknown command or option, missing argument)\n\n"
               "Environment:\n"
               "  PINCER_STATE_DIR  state directory (default ~/.pincer)\n"
               "  PINCER_CONFIG     config file (default $PINCER_STATE_DIR/pincer.json5)\n"
               "  PINCER_LOG_LEVEL  debug, info, notice, warning or error\n");
        return PC_EXIT_OK;
}

const PcVerb pc_verb_help = {
        .name = "help",
        .run = run,
        .summary = "show help for pincer or one command",
        .usage = "Usage: pincer help [command]\n",
};
