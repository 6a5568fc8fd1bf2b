/* SPDX-License-Identifier: MIT */
/* pincer tools invoke: one tool call through the choke point, as POST /tools/invoke. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "config/config.h"
#include "sandbox/manager.h"
#include "store/store.h"
#include "tools/dispatch.h"

int pc_cli_tools_invoke(int argc, char **argv)
{
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"agent", required_argument, NULL, 'a'},
                {"session", required_argument, NULL, 's'},
                {"json", no_argument, NULL, 'j'},
                {},
        };
        PcCliCommon o = {0};
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "+:c:a:s:j", options, NULL)) >= 0) {
                switch (c) {
                default:
                        if (!pc_cli_common_option(c, optarg, &o))
                                return pc_cli_option_error("tools", c, argv);
                        break;
                }
        }
        if (optind >= argc || argc - optind > 2)
                return pc_cli_usage_error("tools", "invoke takes TOOL and an optional ARGS_JSON");
        const char *tool = argv[optind];
        json_t *args = NULL;
        if (optind + 1 < argc) {
                json_error_t jerr;
                args = json_loads(argv[optind + 1], 0, &jerr);
                if (!json_is_object(args)) {
                        json_decref(args);
                        return pc_cli_usage_error("tools",
                                                  "ARGS_JSON must be a JSON object (%s at column "
                                                  "%d)",
                                                  args ? "not an object" : jerr.text, jerr.column);
                }
        }

        PcConfig *cfg = NULL;
        PcStore *store = NULL;
        PcSandboxManager *m = NULL;
        int code = pc_cli_load_config(o.config, &cfg);
        if (code == 0)
                code = pc_cli_open_manager(cfg, &store, &m);
        if (code == 0) {
                PcInvokeRequest req = {
                        .tool = tool,
                        .args = args,
                        .agent_id = o.agent,
                        .session_key = o.session,
                        .caller = "cli",
                        .owner = true,
                };
                PcInvokeResponse resp;
                PcError err = PC_ERROR_INIT;
                if (pc_dispatch_invoke(cfg, m, &req, &resp, &err) < 0)
                        fprintf(stderr, "pincer tools invoke: warning: %s\n", err.msg);
                if (o.json) {
                        json_t *doc = pc_invoke_response_json(&resp);
                        pc_cli_print_json(doc);
                        json_decref(doc);
                } else if (resp.error_type)
                        fprintf(stderr, "pincer tools invoke: %s (%d %s)\n", resp.message,
                                resp.status, resp.error_type);
                else {
                        size_t i;
                        json_t *block;
                        json_array_foreach (resp.result.content, i, block) {
                                const char *t = json_string_value(json_object_get(block, "text"));
                                if (t)
                                        printf("%s\n", t);
                        }
                }
                code = resp.error_type || resp.result.is_error ? PC_EXIT_FAILURE : PC_EXIT_OK;
                pc_invoke_response_release(&resp);
        }
        json_decref(args);
        pc_sandbox_manager_free(m);
        pc_store_close(store);
        pc_config_unref(cfg);
        return code;
}
