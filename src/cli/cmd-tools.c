/* SPDX-License-Identifier: MIT */
/* pincer tools list: every tool of an agent in one session, allowed or denied, and why. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "cli.h"
#include "config/config.h"
#include "policy/catalog.h"
#include "policy/policy.h"

static const char usage[] =
        "Usage: pincer tools invoke [--agent ID] [--session KEY] [--json] TOOL [ARGS_JSON]\n"
        "       pincer tools list [--agent ID] [--session KEY] [--sandboxed|--no-sandboxed]\n"
        "                         [--provider P [--model M]] [--json] [--config FILE]\n"
        "\n"
        "invoke  Run one tool through the choke point, exactly as POST /tools/invoke does:\n"
        "        policy, sandbox, the tool, one audit record. ARGS_JSON is the arguments\n"
        "        object, e.g. '{\"command\":\"ls\"}'. --json prints OpenClaw's response\n"
        "        document; otherwise the result text (stdout) or the error (stderr).\n"
        "        Exit: 0 ok, 1 the tool failed or was refused, 2 usage error.\n"
        "\n"
        "list  Print every built-in tool with allowed or denied and the rule that decided it:\n"
        "      the policy step (owner, profile, provider-profile, tools, tools.byProvider,\n"
        "      agent, agent.byProvider, sandbox, subagent), the config key and the matching\n"
        "      entry. Unknown allowlist entries are warned about on stderr. docs/tools.md\n"
        "      explains the model.\n"
        "\n"
        "Options:\n"
        "  -a, --agent ID       the agent (default: the agent of --session, else the default\n"
        "                       agent)\n"
        "  -s, --session KEY    the session (default: the agent's main session); a bare name\n"
        "                       x means agent:<agent>:x\n"
        "      --sandboxed      evaluate as a sandboxed session\n"
        "      --no-sandboxed   evaluate as a session on the host\n"
        "                       (default: decided by the agent's sandbox.mode and the session)\n"
        "      --provider P     the model provider, for tools.byProvider\n"
        "      --model M        the model id, for tools.byProvider \"provider/model\" keys\n"
        "  -c, --config FILE    the config file (default: $PINCER_CONFIG, else\n"
        "                       $PINCER_STATE_DIR/pincer.json5, else ~/.pincer/pincer.json5)\n"
        "  -j, --json           a JSON array of {tool, section, allowed, step, key, entry, rule}\n";

enum {
        ARG_SANDBOXED = 0x100,
        ARG_NO_SANDBOXED,
        ARG_PROVIDER,
        ARG_MODEL,
};

static PcCliCommon arg; /* --config, --agent, --session, --json */
static const char *arg_provider = NULL;
static const char *arg_model = NULL;
static int arg_sandboxed = -1; /* -1: decide from the config */

static int parse_options(int argc, char **argv)
{
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"agent", required_argument, NULL, 'a'},
                {"session", required_argument, NULL, 's'},
                {"sandboxed", no_argument, NULL, ARG_SANDBOXED},
                {"no-sandboxed", no_argument, NULL, ARG_NO_SANDBOXED},
                {"provider", required_argument, NULL, ARG_PROVIDER},
                {"model", required_argument, NULL, ARG_MODEL},
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, ":c:a:s:jh", options, NULL)) >= 0) {
                switch (c) {
                case ARG_SANDBOXED:
                case ARG_NO_SANDBOXED:
                        if (arg_sandboxed >= 0 && arg_sandboxed != (c == ARG_SANDBOXED))
                                return pc_cli_usage_error(
                                        "tools",
                                        "--sandboxed and --no-sandboxed exclude each other");
                        arg_sandboxed = c == ARG_SANDBOXED;
                        break;
                case ARG_PROVIDER:
                        arg_provider = optarg;
                        break;
                case ARG_MODEL:
                        arg_model = optarg;
                        break;
                case 'h':
                        fputs(usage, stdout);
                        return -1;
                default:
                        if (!pc_cli_common_option(c, optarg, &arg))
                                return pc_cli_option_error("tools", c, argv);
                        break;
                }
        }
        if (optind < argc)
                return pc_cli_usage_error("tools", "unexpected argument '%s'", argv[optind]);
        if (arg_model && !arg_provider)
                return pc_cli_usage_error("tools", "--model needs --provider");
        return 0;
}

static json_t *json_str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

json_t *pc_cli_tool_verdicts_json(const PcPolicyResult *r)
{
        json_t *arr = json_array();
        for (size_t i = 0; i < r->n_tools; i++) {
                const PcToolVerdict *v = &r->tools[i];
                const PcTool *t = pc_tool_find(v->name);
                json_array_append_new(
                        arr, json_pack("{s:s,s:s,s:b,s:o,s:o,s:o,s:s}", "tool", v->name, "section",
                                       t ? t->section : "", "allowed", v->allowed, "step",
                                       json_str_or_null(pc_policy_step_to_string(v->step)), "key",
                                       json_str_or_null(v->key), "entry",
                                       json_str_or_null(v->entry), "rule", v->rule));
        }
        return arr;
}

static void print_json(const PcPolicyResult *r)
{
        json_t *arr = pc_cli_tool_verdicts_json(r);
        pc_cli_print_json(arr);
        json_decref(arr);
}

void pc_cli_print_tool_table(const PcPolicyResult *r, const char *indent)
{
        int wname = (int) strlen("TOOL"), wstep = (int) strlen("STEP");
        for (size_t i = 0; i < r->n_tools; i++) {
                const char *step = pc_policy_step_to_string(r->tools[i].step);
                if ((int) strlen(r->tools[i].name) > wname)
                        wname = (int) strlen(r->tools[i].name);
                if (step && (int) strlen(step) > wstep)
                        wstep = (int) strlen(step);
        }
        printf("%s%-*s  %-7s  %-*s  %s\n", indent, wname, "TOOL", "STATUS", wstep, "STEP", "RULE");
        for (size_t i = 0; i < r->n_tools; i++) {
                const PcToolVerdict *v = &r->tools[i];
                const char *step = pc_policy_step_to_string(v->step);
                printf("%s%-*s  %-7s  %-*s  %s\n", indent, wname, v->name,
                       v->allowed ? "allowed" : "denied", wstep, step ? step : "-", v->rule);
        }
        printf("\n%s%zu of %zu tools allowed.\n", indent, r->n_allowed, r->n_tools);
}

static void print_text(const PcPolicyResult *r, const char *why_sandboxed)
{
        printf("Agent:     %s (%s)\n", r->agent_id,
               *r->agent_source ? r->agent_source : "implicit");
        printf("Session:   %s%s\n", r->session_key,
               streq(r->session_key, r->main_session_key) ? " (main)" : "");
        printf("Sandboxed: %s (%s)\n", r->sandboxed ? "yes" : "no", why_sandboxed);
        const PcElevated *e = &r->elevated;
        if (e->allowed)
                printf("Elevated:  %s\n", pc_elevated_level_to_string(e->level));
        else
                printf("Elevated:  off (%s)\n",
                       e->n_failures ? e->failures[0].message : "not allowed");
        putchar('\n');

        pc_cli_print_tool_table(r, "");
}

static int do_list(void)
{
        _cleanup_(pc_config_unrefp) PcConfig *cfg = NULL;
        if (pc_cli_load_config(arg.config, &cfg) != 0)
                return PC_EXIT_FAILURE;
        const PcAgent *agent = NULL;
        int code = pc_cli_pick_agent("tools", cfg, arg.agent, arg.session, &agent);
        if (code != 0)
                return code;
        PcError err = PC_ERROR_INIT;

        _cleanup_free_ char *session = pc_policy_session_key_resolve(cfg, agent, arg.session);
        bool sandboxed = arg_sandboxed >= 0 ? arg_sandboxed
                                            : pc_policy_session_sandboxed(cfg, agent, session);
        const char *why =
                arg_sandboxed >= 0 ? (arg_sandboxed ? "--sandboxed" : "--no-sandboxed") : NULL;
        _cleanup_free_ char *why_buf = NULL;
        if (!why) {
                json_t *eff = pc_config_agent_effective(cfg, agent, false);
                const char *mode =
                        json_string_value(json_object_get(json_object_get(eff, "sandbox"), "mode"));
                why_buf = xasprintf(
                        "sandbox.mode %s%s", mode ? mode : "off",
                        mode && streq(mode, "non-main")
                                ? (sandboxed ? ", not the main session" : ", the main session")
                                : "");
                json_decref(eff);
                why = why_buf;
        }

        PcPolicyContext ctx = PC_POLICY_CONTEXT_INIT;
        ctx.agent = agent;
        ctx.session_key = session;
        ctx.sandboxed = sandboxed;
        ctx.provider = arg_provider;
        ctx.model = arg_model;
        _cleanup_(pc_policy_result_freep) PcPolicyResult *r = NULL;
        if (pc_policy_evaluate(cfg, &ctx, &r, &err) < 0) {
                fprintf(stderr, "pincer tools: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }

        pc_cli_print_diags(stderr, &r->warnings);
        if (arg.json)
                print_json(r);
        else
                print_text(r, why);
        return PC_EXIT_OK;
}

static int run(int argc, char **argv)
{
        if (argc < 2)
                return pc_cli_usage_error("tools", "expected a subcommand: list or invoke");
        const char *sub = argv[1];
        if (streq(sub, "--help") || streq(sub, "-h")) {
                fputs(usage, stdout);
                return PC_EXIT_OK;
        }
        if (streq(sub, "invoke"))
                return pc_cli_tools_invoke(argc - 1, argv + 1);
        if (!streq(sub, "list"))
                return pc_cli_usage_error("tools", "unknown subcommand '%s'", sub);
        int r = parse_options(argc - 1, argv + 1);
        if (r != 0)
                return r < 0 ? PC_EXIT_OK : r;
        return do_list();
}

const PcVerb pc_verb_tools = {
        .name = "tools",
        .run = run,
        .summary = "list an agent's tools and the rule behind each, or invoke one",
        .usage = usage,
};
