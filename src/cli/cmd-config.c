/* SPDX-License-Identifier: MIT */
/* pincer config validate | show | schema */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/redact.h"
#include "cli.h"
#include "config/config.h"
#include "config/schema.h"

static const char usage[] =
        "Usage: pincer config validate [--config FILE] [--json]\n"
        "       pincer config show [--config FILE] [--agent ID] [--effective] [--json]\n"
        "       pincer config schema [--markdown]\n"
        "\n"
        "validate  Load the configuration, print every error and warning with its JSON path,\n"
        "          file:line:col and a hint. Exit 0 when valid, 1 when not.\n"
        "show      Print the loaded configuration ($include and ${VAR} resolved, secrets\n"
        "          redacted). --agent ID prints that agent's entry; --effective prints the\n"
        "          merged result: agents.defaults and the agent's overrides combined by the\n"
        "          merge rules, with every default filled in (all agents without --agent).\n"
        "schema    Print the reference of every supported key (docs/config.md).\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE  the config file (default: $PINCER_CONFIG, else\n"
        "                     $PINCER_STATE_DIR/pincer.json5, else ~/.pincer/pincer.json5)\n"
        "  -a, --agent ID     one agent (show)\n"
        "  -e, --effective    merged, defaults filled in (show)\n"
        "  -j, --json         JSON output for scripts\n";

static const char *arg_config = NULL;
static const char *arg_agent = NULL;
static bool arg_effective = false;
static bool arg_json = false;
static bool arg_markdown = false;

static int parse_options(int argc, char **argv, const char *sub)
{
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"agent", required_argument, NULL, 'a'},
                {"effective", no_argument, NULL, 'e'},
                {"json", no_argument, NULL, 'j'},
                {"markdown", no_argument, NULL, 'm'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool is_show = streq(sub, "show"), is_schema = streq(sub, "schema");
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, ":c:a:ejmh", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case 'a':
                        if (!is_show)
                                return pc_cli_usage_error("config",
                                                          "--agent only applies to 'show'");
                        arg_agent = optarg;
                        break;
                case 'e':
                        if (!is_show)
                                return pc_cli_usage_error("config",
                                                          "--effective only applies to 'show'");
                        arg_effective = true;
                        break;
                case 'j':
                        arg_json = true;
                        break;
                case 'm':
                        if (!is_schema)
                                return pc_cli_usage_error("config",
                                                          "--markdown only applies to 'schema'");
                        arg_markdown = true;
                        break;
                case 'h':
                        fputs(usage, stdout);
                        return -1;
                default: /* ':' a missing argument, '?' an unknown option */
                        return pc_cli_option_error("config", c, argv);
                }
        }
        if (optind < argc)
                return pc_cli_usage_error("config", "unexpected argument '%s'", argv[optind]);
        return 0;
}

static int do_validate(void)
{
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        _cleanup_(pc_config_unrefp) PcConfig *cfg = NULL;
        PcConfigLoadOptions opts = {.path = arg_config};
        PcError err = PC_ERROR_INIT;
        int r = pc_config_load(&opts, &diags, &cfg, &err);

        if (arg_json) {
                json_t *out = json_object();
                json_object_set_new(out, "ok", json_boolean(r >= 0));
                json_object_set_new(out, "config",
                                    cfg          ? json_string(pc_config_path(cfg))
                                    : arg_config ? json_string(arg_config)
                                                 : json_null());
                if (cfg)
                        json_object_set_new(out, "exists",
                                            json_boolean(pc_config_file_exists(cfg)));
                if (r < 0 && diags.n_errors == 0)
                        pc_diags_add(&diags, PC_DIAG_ERROR, "", NULL, 0, 0, NULL, "%s", err.msg);
                json_object_set_new(out, "errors", pc_cli_diags_json(&diags, PC_DIAG_ERROR));
                json_object_set_new(out, "warnings", pc_cli_diags_json(&diags, PC_DIAG_WARNING));
                if (cfg) {
                        json_t *agents = json_array();
                        for (size_t i = 0; i < pc_config_n_agents(cfg); i++)
                                json_array_append_new(agents,
                                                      json_string(pc_config_agent(cfg, i)->id));
                        json_object_set_new(out, "agents", agents);
                        json_object_set_new(out, "defaultAgent",
                                            json_string(pc_config_default_agent(cfg)->id));
                }
                pc_cli_print_json(out);
                json_decref(out);
                return r < 0 ? PC_EXIT_FAILURE : PC_EXIT_OK;
        }

        pc_cli_print_diags(stderr, &diags);
        if (r < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        if (!pc_config_file_exists(cfg))
                printf("%s: no such file; the defaults apply (valid)\n", pc_config_path(cfg));
        else if (diags.n_warnings)
                printf("%s: valid (%zu warning%s)\n", pc_config_path(cfg), diags.n_warnings,
                       diags.n_warnings == 1 ? "" : "s");
        else
                printf("%s: valid\n", pc_config_path(cfg));
        return PC_EXIT_OK;
}

static int do_show(void)
{
        _cleanup_(pc_config_unrefp) PcConfig *cfg = NULL;
        if (pc_cli_load_config(arg_config, &cfg) != 0)
                return PC_EXIT_FAILURE;
        /* Warnings are validate's business; show stays quiet. */

        const PcAgent *agent = NULL;
        if (arg_agent) {
                agent = pc_config_find_agent(cfg, arg_agent);
                if (!agent)
                        return pc_cli_unknown_agent("config", cfg, arg_agent);
        }

        json_t *out;
        if (arg_effective && agent)
                out = pc_config_agent_effective(cfg, agent, true);
        else if (arg_effective) {
                out = json_object();
                json_object_set_new(out, "config", json_string(pc_config_path(cfg)));
                json_object_set_new(out, "stateDir", json_string(pc_config_state_dir(cfg)));
                json_object_set_new(out, "defaultAgent",
                                    json_string(pc_config_default_agent(cfg)->id));
                json_t *agents = json_object();
                for (size_t i = 0; i < pc_config_n_agents(cfg); i++) {
                        const PcAgent *a = pc_config_agent(cfg, i);
                        json_object_set_new(agents, a->id, pc_config_agent_effective(cfg, a, true));
                }
                json_object_set_new(out, "agents", agents);
        } else {
                json_t *all = pc_config_redacted(cfg);
                if (agent) {
                        /* The agent's own entry, as written (redacted). */
                        out = json_deep_copy(agent->entry);
                        pc_redact_json(out);
                        json_decref(all);
                } else
                        out = all;
        }

        if (!arg_json) {
                if (arg_effective && agent)
                        printf("// effective configuration of agent '%s' (%s)\n", agent->id,
                               pc_config_path(cfg));
                else if (arg_effective)
                        printf("// effective configuration (%s)\n", pc_config_path(cfg));
                else if (agent)
                        printf("// agent '%s' as written at %s (%s)\n", agent->id,
                               *agent->source ? agent->source : "(implicit)", pc_config_path(cfg));
                else
                        printf("// %s%s\n", pc_config_path(cfg),
                               pc_config_file_exists(cfg) ? "" : " (no such file: defaults)");
        }
        pc_cli_print_json(out);
        json_decref(out);
        return PC_EXIT_OK;
}

static int do_schema(void)
{
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        pc_schema_render_markdown(&out);
        fputs(out.buf, stdout);
        return PC_EXIT_OK;
}

static int run(int argc, char **argv)
{
        if (argc < 2)
                return pc_cli_usage_error("config",
                                          "expected a subcommand: validate, show or schema");
        const char *sub = argv[1];
        if (streq(sub, "--help") || streq(sub, "-h")) {
                fputs(usage, stdout);
                return PC_EXIT_OK;
        }
        if (!streq(sub, "validate") && !streq(sub, "show") && !streq(sub, "schema"))
                return pc_cli_usage_error("config", "unknown subcommand '%s'", sub);
        int r = parse_options(argc - 1, argv + 1, sub);
        if (r != 0)
                return r < 0 ? PC_EXIT_OK : r;
        if (streq(sub, "validate"))
                return do_validate();
        if (streq(sub, "show"))
                return do_show();
        return do_schema();
}

const PcVerb pc_verb_config = {
        .name = "config",
        .run = run,
        .summary = "validate or show the configuration",
        .usage = usage,
};
