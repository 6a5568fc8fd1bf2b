/* SPDX-License-Identifier: MIT */
/*
 * pincer onboard: the configuration part of the quick start on its own (docs/api.md
 * "Onboarding"). Writes the starter configuration (examples/starter.json5, embedded below:
 * two agents, both in native sandboxes with the secure defaults), a gateway token in
 * <state dir>/gateway.env (mode 0600, as PINCER_GATEWAY_TOKEN=..., usable as a systemd
 * EnvironmentFile) and the agents' workspaces. Refuses to replace an existing configuration
 * without --force. The token is printed once, on standard output, when it is made; it never
 * goes to the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/diag.h"
#include "base/fs-util.h"
#include "base/macro.h"
#include "base/random.h"
#include "cli.h"
#include "config/config.h"

/* Kept identical to examples/starter.json5 (tests/e2e/test_gateway_ops.py checks it). */
static const char starter[] =
        "// Pincer starter configuration: two agents, every tool call in a native sandbox.\n"
        "// Written by `pincer onboard` (this file is its template). Reference: docs/config.md.\n"
        "// Check a change with: pincer config validate. The gateway reloads it when it changes.\n"
        "{\n"
        "  gateway: {\n"
        "    port: 18789,\n"
        "    bind: \"loopback\", // only this machine can connect\n"
        "    // the token comes from PINCER_GATEWAY_TOKEN, kept by `pincer onboard` in\n"
        "    // <state dir>/gateway.env (mode 0600), never in this file\n"
        "    auth: { mode: \"token\" },\n"
        "    // exec over HTTP is off by default in OpenClaw and Pincer; the quick start turns it "
        "on\n"
        "    // for this machine only, so the printed curl works.\n"
        "    tools: { allow: [\"exec\"] },\n"
        "  },\n"
        "  agents: {\n"
        "    defaults: {\n"
        "      sandbox: {\n"
        "        mode: \"all\",           // every session of every agent is sandboxed\n"
        "        backend: \"native\",     // Pincer's namespace sandbox: no Docker daemon needed\n"
        "        scope: \"agent\",        // one sandbox per agent\n"
        "        workspaceAccess: \"rw\", // the agent's workspace, read-write, at /workspace\n"
        "        // run as the image's unprivileged user \"sandbox\", not as the workspace owner\n"
        "        docker: { user: \"1000:1000\", network: \"none\", readOnlyRoot: true, capDrop: "
        "[\"ALL\"],\n"
        "                  pidsLimit: 256, memory: \"1g\" },\n"
        "      },\n"
        "    },\n"
        "    list: [\n"
        "      // coding tools (exec, files, sessions) in its sandbox\n"
        "      { id: \"main\", default: true, tools: { profile: \"coding\" } },\n"
        "      // read-only: can read its workspace, nothing else\n"
        "      {\n"
        "        id: \"family\",\n"
        "        tools: {\n"
        "          allow: [\"read\", \"session_status\"],\n"
        "          deny: [\"exec\", \"process\", \"write\", \"edit\", \"apply_patch\", "
        "\"browser\"],\n"
        "        },\n"
        "      },\n"
        "    ],\n"
        "  },\n"
        "}\n";

#define SANDBOX_UID 1000 /* the image's user "sandbox" (docker.user in the starter config) */

static const char usage[] =
        "Usage: pincer onboard [--force] [--json] [--config FILE]\n"
        "\n"
        "Writes the starter configuration: agents \"main\" (coding tools) and \"family\"\n"
        "(read-only tools), every tool call in a native sandbox; a gateway token in\n"
        "<state dir>/gateway.env (mode 0600); and the agents' workspaces. The token is printed\n"
        "once. Then: set -a; . <state dir>/gateway.env; pincer gateway\n"
        "\n"
        "  --force        replace an existing configuration (the old one is kept as FILE.bak)\n"
        "  --json         print what was written as JSON (with the token when it was made)\n"
        "  --config FILE  where to write (else $PINCER_CONFIG, <state dir>/pincer.json5)\n";

/* Writes data to path through a temporary file and a rename, mode 0600. */
static int write_file(const char *path, const char *data, size_t n, char **ret_err)
{
        _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int) getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                *ret_err = xasprintf("cannot create %s: %s", tmp, strerror(errno));
                return -errno;
        }
        bool ok = fchmod(fd, 0600) == 0 && write(fd, data, n) == (ssize_t) n && fsync(fd) == 0;
        int e = errno;
        close(fd);
        if (!ok || rename(tmp, path) < 0) {
                e = ok ? errno : e;
                (void) unlink(tmp);
                *ret_err = xasprintf("cannot write %s: %s", path, strerror(e));
                return -e;
        }
        return 0;
}

/* Reads PINCER_GATEWAY_TOKEN from an existing gateway.env; NULL when none. */
static char *read_token(const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char line[512];
        char *tok = NULL;
        while (!tok && fgets(line, sizeof(line), f)) {
                static const char key[] = "PINCER_GATEWAY_TOKEN=";
                if (strncmp(line, key, strlen(key)) != 0)
                        continue;
                char *v = line + strlen(key);
                v[strcspn(v, "\r\n")] = 0;
                if (*v)
                        tok = xstrdup(v);
        }
        explicit_bzero(line, sizeof(line));
        fclose(f);
        return tok;
}

static _printf_(1, 2) int fail(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "pincer onboard: ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return PC_EXIT_FAILURE;
}

static int run(int argc, char **argv)
{
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'},
                {"json", no_argument, NULL, 'j'},
                {"config", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool force = false;
        PcCliCommon common = {0}; /* --config, --json */
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "+:fjc:h", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        fputs(usage, stdout);
                        return PC_EXIT_OK;
                default:
                        if (!pc_cli_common_option(c, optarg, &common))
                                return pc_cli_option_error("onboard", c, argv);
                        break;
                }
        }
        if (optind < argc)
                return pc_cli_usage_error("onboard", "unexpected argument '%s'", argv[optind]);

        const char *sd = getenv("PINCER_STATE_DIR"), *home = getenv("HOME");
        _cleanup_free_ char *state =
                sd && *sd ? xstrdup(sd) : xasprintf("%s/.pincer", home && *home ? home : "/");
        const char *envcfg = getenv("PINCER_CONFIG");
        _cleanup_free_ char *path = common.config       ? xstrdup(common.config)
                                    : envcfg && *envcfg ? xstrdup(envcfg)
                                                        : xasprintf("%s/pincer.json5", state);
        struct stat st;
        bool exists = lstat(path, &st) == 0;
        if (exists && !force)
                return fail("%s already exists; not replacing it\n  hint: edit it (pincer config "
                            "validate checks it), or pass --force to replace it with the starter "
                            "configuration (the old one is kept as %s.bak)",
                            path, path);

        int r = pc_mkdir_p(state, 0700);
        if (r < 0)
                return fail("cannot create the state dir %s: %s", state, strerror(-r));
        (void) chmod(state, 0700);
        _cleanup_free_ char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = 0;
                if ((r = pc_mkdir_p(dir, 0700)) < 0)
                        return fail("cannot create %s: %s", dir, strerror(-r));
        }
        _cleanup_free_ char *err = NULL;
        if (exists) {
                _cleanup_free_ char *bak = xasprintf("%s.bak", path);
                if (rename(path, bak) < 0)
                        return fail("cannot keep the old configuration as %s: %s", bak,
                                    strerror(errno));
        }
        if (write_file(path, starter, strlen(starter), &err) < 0)
                return fail("%s", err);

        /* Validated like the gateway will: also gives the agents' workspaces. */
        PcConfigLoadOptions load = {.path = path, .state_dir = state};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError e = PC_ERROR_INIT;
        if (pc_config_load(&load, &diags, &cfg, &e) < 0) {
                pc_cli_print_diags(stderr, &diags);
                return fail("the starter configuration %s does not validate: %s", path, e.msg);
        }
        json_t *workspaces = json_array();
        for (size_t i = 0; i < pc_config_n_agents(cfg); i++) {
                const char *ws = pc_config_agent(cfg, i)->workspace;
                json_array_append_new(workspaces, json_string(ws));
                if (lstat(ws, &st) == 0)
                        continue;
                if ((r = pc_mkdir_p(ws, 0750)) < 0) {
                        pc_config_unref(cfg);
                        json_decref(workspaces);
                        return fail("cannot create the workspace %s: %s", ws, strerror(-r));
                }
                /* The sandbox runs as the image's unprivileged user, which must write there. */
                if (geteuid() == 0 && chown(ws, SANDBOX_UID, SANDBOX_UID) < 0)
                        fprintf(stderr,
                                "pincer onboard: warning: cannot give %s to the sandbox user "
                                "(%d): %s; commands in the sandbox cannot write there, "
                                "continuing\n",
                                ws, SANDBOX_UID, strerror(errno));
        }
        pc_config_unref(cfg);

        _cleanup_free_ char *envfile = xasprintf("%s/gateway.env", state);
        char *token = read_token(envfile);
        bool made = !token;
        if (made) {
                token = pc_random_hex(PC_RANDOM_TOKEN_BYTES);
                if (!token) {
                        json_decref(workspaces);
                        return fail("cannot make a random token: %s", strerror(errno));
                }
                _cleanup_free_ char *line = xasprintf("PINCER_GATEWAY_TOKEN=%s\n", token);
                r = write_file(envfile, line, strlen(line), &err);
                explicit_bzero(line, strlen(line));
                if (r < 0) {
                        explicit_bzero(token, strlen(token));
                        free(token);
                        json_decref(workspaces);
                        return fail("%s", err);
                }
        }

        if (common.json) {
                json_t *doc = json_pack("{s:s,s:s,s:s,s:o,s:[ss],s:o,s:s}", "config", path,
                                        "stateDir", state, "tokenFile", envfile, "token",
                                        made ? json_string(token) : json_null(), "agents", "main",
                                        "family", "workspaces", workspaces, "backend", "native");
                if (exists)
                        json_object_set_new(doc, "replaced", json_true());
                pc_cli_print_json(doc);
                json_decref(doc);
        } else {
                json_decref(workspaces);
                printf("Wrote %s%s: agents \"main\" (coding tools) and \"family\" (read-only),\n"
                       "every tool call in a native sandbox.\n",
                       path, exists ? " (the old one is in .bak)" : "");
                if (made)
                        printf("Gateway token (shown once; kept in %s, mode 0600):\n  %s\n",
                               envfile, token);
                else
                        printf("Gateway token: unchanged, in %s\n", envfile);
                printf("Start the gateway: set -a; . %s; set +a; pincer gateway\n", envfile);
        }
        explicit_bzero(token, strlen(token));
        free(token);
        return PC_EXIT_OK;
}

const PcVerb pc_verb_onboard = {
        .name = "onboard",
        .run = run,
        .summary = "write the starter configuration and a gateway token",
        .usage = usage,
};
