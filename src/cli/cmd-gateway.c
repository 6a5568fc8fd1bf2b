/* SPDX-License-Identifier: MIT */
/* pincer gateway [run]: the HTTP gateway in the foreground (src/gateway/gateway.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "base/diag.h"
#include "base/log.h"
#include "cli.h"
#include "config/config.h"
#include "daemon/backends.h"
#include "gateway/gateway.h"
#include "sandbox/native/native.h"

/* Invalid configuration: systemd's RestartPreventExitStatus (gateway spec §1.1). */
#define EXIT_CONFIG 78

static const char usage[] =
        "Usage: pincer gateway [run] [--port N] [--bind MODE] [--config FILE]\n"
        "\n"
        "Runs the gateway in the foreground: GET /health, POST /tools/invoke (docs/api.md).\n"
        "\n"
        "  --port N       listen port (else PINCER_GATEWAY_PORT, gateway.port, 18789)\n"
        "  --bind MODE    loopback (127.0.0.1, the default), lan (0.0.0.0) or custom\n"
        "                 (gateway.customBindHost); a non-loopback bind needs auth\n"
        "  --config FILE  config file (else $PINCER_CONFIG, <state dir>/pincer.json5)\n"
        "\n"
        "Auth: gateway.auth.mode token (default), password or none; secrets from\n"
        "gateway.auth.token/password or PINCER_GATEWAY_TOKEN/PINCER_GATEWAY_PASSWORD. With no\n"
        "token, a random one is made for this process: printed once on a terminal, else\n"
        "written to <state dir>/gateway.token (mode 0600).\n"
        "\n"
        "Signals: SIGHUP reloads the config (an invalid one is logged and ignored); SIGTERM or\n"
        "SIGINT stops after the tool call in flight (30 s at most) and exits 0.\n"
        "Exit status: 0 stopped, 1 failed, 2 usage, 78 invalid configuration.\n";

static int run(int argc, char **argv)
{
        static const struct option options[] = {
                {"port", required_argument, NULL, 'p'},
                {"bind", required_argument, NULL, 'b'},
                {"config", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        PcGatewayOptions gopts = {0};
        /* Of the common options, only --config. */
        PcCliCommon common = {0};
        if (argc > 1 && streq(argv[1], "run")) { /* the only subcommand, and the default */
                argc--;
                argv++;
        }
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "+:p:b:c:h", options, NULL)) >= 0) {
                switch (c) {
                case 'p': {
                        char *end;
                        errno = 0;
                        long v = strtol(optarg, &end, 10);
                        if (errno || *end || v < 1 || v > 65535)
                                return pc_cli_usage_error("gateway",
                                                          "--port '%s' is not a port number "
                                                          "(1-65535)",
                                                          optarg);
                        gopts.port = (int) v;
                        break;
                }
                case 'b':
                        gopts.bind = optarg;
                        break;
                case 'h':
                        fputs(usage, stdout);
                        return PC_EXIT_OK;
                default:
                        if (!pc_cli_common_option(c, optarg, &common))
                                return pc_cli_option_error("gateway", c, argv);
                        break;
                }
        }
        if (optind < argc)
                return pc_cli_usage_error("gateway", "unexpected argument '%s'", argv[optind]);

        if (!getenv("PINCER_LOG_LEVEL"))
                pc_log_set_level(PC_LOG_INFO); /* the request log */

        PcConfigLoadOptions load = {.path = common.config};
        PcConfig *cfg = NULL;
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcError err = PC_ERROR_INIT;
        if (pc_config_load(&load, &diags, &cfg, &err) < 0) {
                pc_cli_print_diags(stderr, &diags);
                fprintf(stderr, "pincer gateway: %s\n", err.msg);
                return err.code == -EINVAL ? EXIT_CONFIG : PC_EXIT_FAILURE;
        }
        pc_cli_print_diags(stderr, &diags); /* warnings */
        pc_native_set_owner_process();      /* its native sandboxes end with it */
        if (pc_daemon_open_manager(cfg, NULL, &gopts.store, &gopts.manager, &err) < 0) {
                fprintf(stderr, "pincer gateway: %s\n", err.msg);
                pc_config_unref(cfg);
                return PC_EXIT_FAILURE;
        }
        gopts.load = &load;
        int r = pc_gateway_run(cfg, &gopts, &err);
        pc_config_unref(cfg);
        if (r < 0) {
                log_error("Failed to start the gateway: %s", err.msg);
                return r == -EINVAL ? EXIT_CONFIG : PC_EXIT_FAILURE;
        }
        return PC_EXIT_OK;
}

const PcVerb pc_verb_gateway = {
        .name = "gateway",
        .run = run,
        .summary = "run the HTTP gateway (GET /health, POST /tools/invoke)",
        .usage = usage,
};
