/* SPDX-License-Identifier: MIT */
/*
 * pincer agent: one message to an agent's session, run to the final answer in this process
 * (OpenClaw's `agent --local`). The answer streams to stdout as the model writes it; tool
 * activity goes to stderr, one line per call start and end.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "agents/loop.h"
#include "cli.h"
#include "config/config.h"
#include "sandbox/manager.h"
#include "store/store.h"

static const char usage[] =
        "Usage: pincer agent [--agent ID] [--session KEY] --message TEXT [--json]\n"
        "\n"
        "Sends TEXT to the agent's session (default: the main session of the default agent),\n"
        "runs the model and its tool calls (through the same policy, sandbox and audit as\n"
        "`pincer tools invoke`) and prints the answer as it streams. Tool activity goes to\n"
        "stderr. The models are configured in models.providers (docs/agents.md).\n"
        "\n"
        "Options:\n"
        "  -a, --agent ID      the agent (default: the agent of --session, else the default)\n"
        "  -s, --session KEY   the session (\"main\", \"agent:<id>:<rest>\", or a bare name)\n"
        "  -m, --message TEXT  the user's message\n"
        "  -c, --config PATH   the config file\n"
        "      --json          print {ok, sessionKey, model, text, toolCalls, usage} at the end\n";

typedef struct Out {
        bool json;
        bool text_open;
} Out;

static void on_text(const char *text, size_t len, void *userdata)
{
        Out *o = userdata;
        if (o->json)
                return;
        fwrite(text, 1, len, stdout);
        fflush(stdout);
        o->text_open = len > 0 && text[len - 1] != '\n';
}

static void on_tool_start(const char *tool, const char *id, const json_t *args, void *userdata)
{
        (void) id;
        (void) userdata;
        char *a = json_dumps(args, JSON_COMPACT);
        fprintf(stderr, "[tool] %s %.300s\n", tool ? tool : "?", a ? a : "{}");
        free(a);
}

static void on_tool_end(const char *tool, const char *id, bool is_error, const char *text,
                        void *userdata)
{
        (void) id;
        (void) userdata;
        size_t n = strcspn(text ? text : "", "\n");
        fprintf(stderr, "[tool] %s %s: %.*s\n", tool ? tool : "?", is_error ? "failed" : "done",
                (int) (n > 300 ? 300 : n), text ? text : "");
}

static int run(int argc, char **argv)
{
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"agent", required_argument, NULL, 'a'},
                {"session", required_argument, NULL, 's'},
                {"message", required_argument, NULL, 'm'},
                {"json", no_argument, NULL, 'j'},
                {},
        };
        PcCliCommon common = {0};
        const char *message = NULL;
        Out out = {0};
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "+:c:a:s:m:", options, NULL)) >= 0) {
                switch (c) {
                case 'm':
                        message = optarg;
                        break;
                default:
                        if (!pc_cli_common_option(c, optarg, &common))
                                return pc_cli_option_error("agent", c, argv);
                        break;
                }
        }
        out.json = common.json;
        if (optind < argc)
                return pc_cli_usage_error("agent", "unexpected argument '%s'", argv[optind]);
        if (!message || !*message)
                return pc_cli_usage_error("agent", "--message TEXT is required");

        PcConfig *cfg = NULL;
        PcStore *store = NULL;
        PcSandboxManager *m = NULL;
        int code = pc_cli_load_config(common.config, &cfg);
        if (code == 0 && common.agent && !pc_config_find_agent(cfg, common.agent))
                code = pc_cli_unknown_agent("agent", cfg, common.agent);
        if (code == 0)
                code = pc_cli_open_manager(cfg, &store, &m);
        if (code == 0) {
                PcAgentRunRequest req = {
                        .agent_id = common.agent,
                        .session_key = common.session,
                        .message = message,
                        .caller = "agent",
                        .owner = true,
                        .store = store,
                        .manager = m,
                };
                PcAgentEvents ev = {
                        .text_delta = on_text,
                        .tool_start = on_tool_start,
                        .tool_end = on_tool_end,
                        .userdata = &out,
                };
                PcAgentRunResult res;
                PcError err = PC_ERROR_INIT;
                int r = pc_agent_run(cfg, &req, &ev, &res, &err);
                if (out.text_open)
                        putchar('\n');
                if (out.json) {
                        json_t *doc =
                                r < 0 ? json_pack("{s:b,s:s?,s:{s:s,s:s}}", "ok", 0, "sessionKey",
                                                  res.session_key, "error", "type",
                                                  pc_error_kind_to_string(err.kind), "message",
                                                  err.msg)
                                      : json_pack("{s:b,s:s,s:s,s:s,s:i,s:{s:I,s:I}}", "ok", 1,
                                                  "sessionKey", res.session_key, "model", res.model,
                                                  "text", res.text, "toolCalls",
                                                  (int) res.tool_calls, "usage", "input",
                                                  res.input_tokens, "output", res.output_tokens);
                        pc_cli_print_json(doc);
                        json_decref(doc);
                } else if (r < 0)
                        fprintf(stderr, "pincer agent: %s\n", err.msg);
                code = r < 0 ? PC_EXIT_FAILURE : PC_EXIT_OK;
                pc_agent_run_result_release(&res);
        }
        pc_sandbox_manager_free(m);
        pc_store_close(store);
        pc_config_unref(cfg);
        return code;
}

const PcVerb pc_verb_agent = {
        .name = "agent",
        .run = run,
        .summary = "send a message to an agent and print its answer",
        .usage = usage,
};
