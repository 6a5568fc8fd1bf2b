/* SPDX-License-Identifier: MIT */
/* pincer sandbox list | recreate | prune | explain | exec */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/redact.h"
#include "cli.h"
#include "config/config.h"
#include "daemon/backends.h"
#include "policy/policy.h"
#include "sandbox/docker/backend.h"
#include "sandbox/manager.h"
#include "sandbox/native/native.h"
#include "store/store.h"

static const char usage[] =
        "Usage: pincer sandbox list [--agent ID] [--json]\n"
        "       pincer sandbox recreate (--all | --agent ID | --session KEY) [--force] [--json]\n"
        "       pincer sandbox prune [--dry-run] [--json]\n"
        "       pincer sandbox explain [--agent ID] [--session KEY] [--json]\n"
        "       pincer sandbox exec [--agent ID] [--session KEY] [--timeout SEC] [--json] -- "
        "CMD...\n"
        "\n"
        "list      Every sandbox in the registry: name, scope key, backend, image, state, age,\n"
        "          idle time, and whether its config hash is current or stale.\n"
        "recreate  Remove the matching sandboxes; the next use creates them from the current\n"
        "          config. --session takes the exact scope key (agent:<id> under scope agent).\n"
        "          Asks first on a terminal unless --force; elsewhere --force is required.\n"
        "prune     Remove sandboxes idle longer than prune.idleHours or older than\n"
        "          prune.maxAgeDays of their agent. --dry-run only shows what would go.\n"
        "explain   What a session's sandbox is, before anything is created: mode, scope, name,\n"
        "          workspace access and mounts, the full create spec, the tools the policy\n"
        "          allows, the config keys that change it, and problems.\n"
        "exec      Run a command in the session's sandbox (created if needed), for checking\n"
        "          what it looks like from inside. Exits with the command's status.\n"
        "\n"
        "Options:\n"
        "  -a, --agent ID     the agent (default: the agent of --session, else the default)\n"
        "  -s, --session KEY  the session (default: the agent's main session; a bare name x\n"
        "                     means agent:<agent>:x)\n"
        "      --all          recreate every sandbox\n"
        "  -f, --force        recreate without asking\n"
        "  -n, --dry-run      prune: show, do not remove\n"
        "  -t, --timeout SEC  exec: kill the command after SEC seconds (default 600)\n"
        "  -c, --config FILE  the config file\n"
        "  -j, --json         JSON output\n";

enum { ARG_ALL = 0x100 };

static PcCliCommon arg; /* --config, --agent, --session, --json */
static bool arg_all, arg_force, arg_dry_run;
static long arg_timeout = 600;

static int parse_options(int argc, char **argv, const char *sub)
{
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},  {"agent", required_argument, NULL, 'a'},
                {"session", required_argument, NULL, 's'}, {"all", no_argument, NULL, ARG_ALL},
                {"force", no_argument, NULL, 'f'},         {"dry-run", no_argument, NULL, 'n'},
                {"timeout", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},          {},
        };
        optind = 1;
        opterr = 0;
        int c;
        char *end;
        /* "+": stop at the first non-option, so exec's command keeps its own options. */
        while ((c = getopt_long(argc, argv, "+:c:a:s:fnt:jh", options, NULL)) >= 0) {
                switch (c) {
                case ARG_ALL:
                        arg_all = true;
                        break;
                case 'f':
                        arg_force = true;
                        break;
                case 'n':
                        arg_dry_run = true;
                        break;
                case 't':
                        arg_timeout = strtol(optarg, &end, 10);
                        if (*end || arg_timeout <= 0 || arg_timeout > 86400)
                                return pc_cli_usage_error("sandbox",
                                                          "--timeout takes 1 to 86400 seconds");
                        break;
                case 'h':
                        fputs(usage, stdout);
                        return -1;
                default:
                        if (!pc_cli_common_option(c, optarg, &arg))
                                return pc_cli_option_error("sandbox", c, argv);
                        break;
                }
        }
        if (!streq(sub, "exec") && optind < argc)
                return pc_cli_usage_error("sandbox", "unexpected argument '%s'", argv[optind]);
        if (streq(sub, "exec") && optind >= argc)
                return pc_cli_usage_error("sandbox", "exec needs a command: pincer sandbox exec "
                                                     "-- CMD [ARGS...]");
        return 0;
}

/* The manager with every backend this build has, over the state dir's registry. */
typedef struct Ctx {
        PcConfig *cfg;
        PcStore *store;
        PcSandboxManager *m;
} Ctx;

static void ctx_release(Ctx *c)
{
        pc_sandbox_manager_free(c->m);
        pc_store_close(c->store);
        pc_config_unref(c->cfg);
}

static void on_provision_output(const char *text, size_t len, void *userdata)
{
        /* Progress for a person at a terminal; the output is also quoted in any error. */
        if (isatty(STDERR_FILENO))
                (void) fwrite(text, 1, len, stderr);
}

int pc_cli_open_manager(const PcConfig *cfg, PcStore **ret_store, PcSandboxManager **ret_manager)
{
        PcError err = PC_ERROR_INIT;
        if (pc_daemon_open_manager(cfg, on_provision_output, ret_store, ret_manager, &err) < 0) {
                fprintf(stderr, "pincer: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        return 0;
}

static int ctx_open(Ctx *c)
{
        if (pc_cli_load_config(arg.config, &c->cfg) != 0)
                return PC_EXIT_FAILURE;
        return pc_cli_open_manager(c->cfg, &c->store, &c->m);
}

static void fmt_duration(char *buf, size_t n, json_int_t ms)
{
        long long s = ms / 1000;
        if (s < 60)
                snprintf(buf, n, "%llds", s);
        else if (s < 3600)
                snprintf(buf, n, "%lldm", s / 60);
        else if (s < 86400)
                snprintf(buf, n, "%lldh%02lldm", s / 3600, s % 3600 / 60);
        else
                snprintf(buf, n, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

static int do_list(Ctx *c)
{
        json_t *list = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_sandbox_manager_list(c->m, c->cfg, arg.agent, &list, &err) < 0) {
                fprintf(stderr, "pincer sandbox list: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        if (arg.json) {
                pc_cli_print_json(list);
                json_decref(list);
                return PC_EXIT_OK;
        }
        if (json_array_size(list) == 0) {
                printf("No sandboxes.\n");
                json_decref(list);
                return PC_EXIT_OK;
        }
        printf("%-40s %-20s %-8s %-32s %-8s %-8s %-8s %s\n", "NAME", "SCOPE", "BACKEND", "IMAGE",
               "STATE", "AGE", "IDLE", "CONFIG");
        size_t running = 0, stale = 0;
        size_t i;
        json_t *o;
        json_array_foreach (list, i, o) {
                char age[32], idle[32];
                fmt_duration(age, sizeof(age), json_integer_value(json_object_get(o, "ageMs")));
                fmt_duration(idle, sizeof(idle), json_integer_value(json_object_get(o, "idleMs")));
                const json_t *cur = json_object_get(o, "hashCurrent");
                const char *state = json_string_value(json_object_get(o, "state"));
                running += streq(state, "running");
                stale += json_is_false(cur);
                printf("%-40s %-20s %-8s %-32s %-8s %-8s %-8s %s\n",
                       json_string_value(json_object_get(o, "name")),
                       json_string_value(json_object_get(o, "scopeKey")),
                       json_string_value(json_object_get(o, "backend")),
                       json_string_value(json_object_get(o, "image")), state, age, idle,
                       json_is_true(cur)    ? "current"
                       : json_is_false(cur) ? "stale"
                                            : "unknown");
                const char *e = json_string_value(json_object_get(o, "error"));
                if (e)
                        printf("  %s\n", e);
        }
        printf("\nTotal: %zu (%zu running)\n", json_array_size(list), running);
        if (stale)
                printf("%zu sandbox%s with a changed config: they are recreated on next use when "
                       "idle, or now with 'pincer sandbox recreate --all'.\n",
                       stale, stale == 1 ? "" : "es");
        json_decref(list);
        return PC_EXIT_OK;
}

static int print_report(const json_t *report, const char *none)
{
        if (arg.json) {
                pc_cli_print_json(report);
        } else if (json_array_size(report) == 0)
                printf("%s\n", none);
        int failed = 0;
        size_t i;
        json_t *o;
        json_array_foreach (report, i, o) {
                const char *res = json_string_value(json_object_get(o, "result"));
                failed += streq(res, "failed");
                if (arg.json)
                        continue;
                const char *reason = json_string_value(json_object_get(o, "reason"));
                const char *e = json_string_value(json_object_get(o, "error"));
                printf("%-13s %s%s%s%s\n", res, json_string_value(json_object_get(o, "name")),
                       reason ? " (" : "", reason ? reason : "", reason ? ")" : "");
                if (e)
                        printf("  %s\n", e);
        }
        return failed ? PC_EXIT_FAILURE : PC_EXIT_OK;
}

static int do_recreate(Ctx *c)
{
        int n = arg_all + !!arg.agent + !!arg.session;
        if (n != 1)
                return pc_cli_usage_error("sandbox",
                                          n ? "give only one of --all, --agent, --session"
                                            : "recreate needs --all, --agent ID or "
                                              "--session KEY");
        PcSandboxFilter filter = {.all = arg_all, .agent_id = arg.agent, .scope_key = arg.session};
        _cleanup_free_ char *agent_norm = arg.agent ? pc_agent_id_normalize(arg.agent) : NULL;
        filter.agent_id = agent_norm;
        PcError err = PC_ERROR_INIT;
        json_t *preview = NULL;
        if (pc_sandbox_manager_remove(c->m, &filter, true, &preview, &err) < 0) {
                fprintf(stderr, "pincer sandbox recreate: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        size_t count = json_array_size(preview);
        json_decref(preview);
        if (count == 0) {
                puts(arg.json ? "[]" : "No sandboxes match.");
                return PC_EXIT_OK;
        }
        if (!arg_force) {
                if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
                        fprintf(stderr,
                                "pincer sandbox recreate: %zu sandbox%s would be removed; "
                                "pass --force to do it without a terminal to confirm on\n",
                                count, count == 1 ? "" : "es");
                        return PC_EXIT_USAGE;
                }
                printf("Remove %zu sandbox%s (they are recreated on next use)? [y/N] ", count,
                       count == 1 ? "" : "es");
                fflush(stdout);
                char answer[16] = "";
                if (!fgets(answer, sizeof(answer), stdin) ||
                    (answer[0] != 'y' && answer[0] != 'Y')) {
                        printf("Nothing removed.\n");
                        return PC_EXIT_OK;
                }
        }
        json_t *report = NULL;
        if (pc_sandbox_manager_remove(c->m, &filter, false, &report, &err) < 0) {
                fprintf(stderr, "pincer sandbox recreate: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        int r = print_report(report, "No sandboxes match.");
        json_decref(report);
        return r;
}

static int do_prune(Ctx *c)
{
        json_t *report = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_sandbox_manager_prune(c->m, c->cfg, arg_dry_run, &report, &err) < 0) {
                fprintf(stderr, "pincer sandbox prune: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        int r = print_report(report, "Nothing to prune.");
        json_decref(report);
        return r;
}

static int do_exec(Ctx *c, int argc, char **argv)
{
        const PcAgent *agent = NULL;
        int code = pc_cli_pick_agent("sandbox", c->cfg, arg.agent, arg.session, &agent);
        if (code != 0)
                return code;
        _cleanup_free_ char *session = pc_policy_session_key_resolve(c->cfg, agent, arg.session);
        PcError err = PC_ERROR_INIT;
        PcSandboxSession ses = {0};
        PcSandboxLease *lease = NULL;
        if (pc_sandbox_manager_acquire(c->m, c->cfg, session, &lease, &ses, &err) < 0) {
                fprintf(stderr, "pincer sandbox exec: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        if (!lease) {
                fprintf(stderr,
                        "pincer sandbox exec: session '%s' of agent '%s' is not sandboxed "
                        "(sandbox.mode %s)\n  hint: pass --session with a sandboxed session, or "
                        "set "
                        "sandbox.mode to \"all\"\n",
                        session, agent->id, ses.mode == PC_SANDBOX_MODE_OFF ? "off" : "non-main");
                pc_sandbox_session_release(&ses);
                return PC_EXIT_FAILURE;
        }
        pc_sandbox_session_release(&ses);
        if (pc_sandbox_lease_notice(lease))
                fprintf(stderr, "pincer sandbox exec: note: %s\n", pc_sandbox_lease_notice(lease));

        PcSandboxEnv env = {0};
        pc_sandbox_exec_env(pc_sandbox_lease_spec(lease), NULL, &env);
        PcExecRequest req = {
                .argv = (const char *const *) (argv + optind),
                .env = env.vars,
                .n_env = env.n_vars,
                .timeout_ms = (uint64_t) arg_timeout * 1000u,
        };
        PcExecResult res;
        pc_exec_result_init(&res);
        int r = pc_sandbox_lease_exec(lease, &req, &res, &err);
        pc_sandbox_env_release(&env);
        if (r < 0) {
                fprintf(stderr, "pincer sandbox exec: %s\n", err.msg);
                pc_exec_result_release(&res);
                pc_sandbox_lease_release(lease);
                return PC_EXIT_FAILURE;
        }
        if (arg.json) {
                json_t *o =
                        json_pack("{s:s,s:s,s:s,s:i,s:b,s:s%,s:s%,s:b,s:b,s:I}", "sandbox",
                                  pc_sandbox_lease_spec(lease)->name, "action",
                                  pc_sandbox_lease_action(lease), "session", session, "exitCode",
                                  res.exit_code, "timedOut", res.timed_out, "stdout", res.out.buf,
                                  res.out.len, "stderr", res.err.buf, res.err.len,
                                  "stdoutTruncated", res.out_truncated, "stderrTruncated",
                                  res.err_truncated, "durationUs", (json_int_t) res.duration_us);
                pc_cli_print_json(o);
                json_decref(o);
        } else {
                (void) fwrite(res.out.buf, 1, res.out.len, stdout);
                (void) fwrite(res.err.buf, 1, res.err.len, stderr);
                if (res.timed_out)
                        fprintf(stderr, "pincer sandbox exec: killed after %ld s (--timeout)\n",
                                arg_timeout);
        }
        int exit_code = res.timed_out ? 124 : res.exit_code < 0 ? 1 : res.exit_code;
        pc_exec_result_release(&res);
        pc_sandbox_lease_release(lease);
        return exit_code;
}

static int run(int argc, char **argv)
{
        if (argc < 2)
                return pc_cli_usage_error("sandbox", "expected a subcommand: list, recreate, "
                                                     "prune, explain or exec");
        const char *sub = argv[1];
        if (streq(sub, "--help") || streq(sub, "-h")) {
                fputs(usage, stdout);
                return PC_EXIT_OK;
        }
        static const char *const subs[] = {"list", "recreate", "prune", "explain", "exec"};
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(subs); i++)
                known = known || streq(sub, subs[i]);
        if (!known)
                return pc_cli_usage_error("sandbox", "unknown subcommand '%s'", sub);
        int r = parse_options(argc - 1, argv + 1, sub);
        if (r != 0)
                return r < 0 ? PC_EXIT_OK : r;

        Ctx c = {0};
        r = ctx_open(&c);
        if (r == 0) {
                if (streq(sub, "list"))
                        r = do_list(&c);
                else if (streq(sub, "recreate"))
                        r = do_recreate(&c);
                else if (streq(sub, "prune"))
                        r = do_prune(&c);
                else if (streq(sub, "explain"))
                        r = pc_cli_sandbox_explain(c.cfg, arg.agent, arg.session, arg.json);
                else
                        r = do_exec(&c, argc - 1, argv + 1);
        }
        ctx_release(&c);
        return r;
}

const PcVerb pc_verb_sandbox = {
        .name = "sandbox",
        .run = run,
        .summary = "list, recreate, prune, explain sandboxes, or run a command in one",
        .usage = usage,
};
