/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "base/log.h"
#include "cli.h"

static const PcVerb *const verbs[] = {
        &pc_verb_agent,    &pc_verb_config, &pc_verb_doctor,  &pc_verb_gateway,
        &pc_verb_help,     &pc_verb_image,  &pc_verb_onboard, &pc_verb_sandbox,
        &pc_verb_sessions, &pc_verb_tools,  &pc_verb_version, NULL,
};

const PcVerb *const *pc_cli_verbs(void)
{
        return verbs;
}

const PcVerb *pc_cli_find_verb(const char *name)
{
        for (const PcVerb *const *v = verbs; *v; v++)
                if (streq((*v)->name, name))
                        return *v;
        return NULL;
}

int pc_cli_usage_error(const char *verb, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "pincer%s%s: ", verb ? " " : "", verb ? verb : "");
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nRun 'pincer help%s%s' for usage.\n", verb ? " " : "", verb ? verb : "");
        return PC_EXIT_USAGE;
}

int main(int argc, char **argv)
{
        const char *level = getenv("PINCER_LOG_LEVEL");
        if (level) {
                int l = pc_log_level_from_string(level);
                if (l >= 0)
                        pc_log_set_level((PcLogLevel) l);
        }

        if (argc < 2)
                return pc_cli_usage_error(NULL,
                                          "expected a command, e.g. 'pincer config validate'");

        const char *name = argv[1];
        if (streq(name, "--version") || streq(name, "-V"))
                name = "version";
        else if (streq(name, "--help") || streq(name, "-h"))
                name = "help";

        const PcVerb *v = pc_cli_find_verb(name);
        if (!v)
                return pc_cli_usage_error(NULL, "unknown command '%s'", name);
        return v->run(argc - 1, argv + 1);
}
