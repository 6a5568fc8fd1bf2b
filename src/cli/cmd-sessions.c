/* SPDX-License-Identifier: MIT */
/* pincer sessions list | show | export: the sessions and transcripts in the state database. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/time-util.h"
#include "cli.h"
#include "config/config.h"
#include "policy/policy.h"
#include "store/sessions.h"
#include "tools/tool-sessions.h"

static const char usage[] =
        "Usage: pincer sessions list [--agent ID] [--json]\n"
        "       pincer sessions show KEY [--agent ID] [--json]\n"
        "       pincer sessions export KEY [--agent ID] [--output FILE]\n"
        "\n"
        "list    Every session in the state database, most recently used first: key, agent,\n"
        "        kind, messages, tool calls, last update. --json prints the sessions.list\n"
        "        payload ({count, sessions, path}).\n"
        "show    A session's transcript: each tool call and its result. --json prints\n"
        "        {session, entries} with the entries in OpenClaw's transcript shape.\n"
        "export  The transcript as OpenClaw-style JSONL (a session header line, then one entry\n"
        "        per line) on stdout, or into FILE (created with mode 0600).\n"
        "\n"
        "KEY is a full session key (agent:main:main, agent:main:direct:alice, ...); a bare name\n"
        "x means agent:<agent>:x, and \"main\" the agent's main session (\"global\" under\n"
        "session.scope \"global\").\n"
        "\n"
        "Options:\n"
        "  -a, --agent ID     the agent (list: only its sessions; default for a bare KEY: the\n"
        "                     default agent)\n"
        "  -o, --output FILE  export: write to FILE instead of stdout\n"
        "  -c, --config FILE  the config file\n"
        "  -j, --json         JSON output\n"
        "\n"
        "Exit: 0 ok, 1 no such session or the state database failed, 2 usage error.\n";

static PcCliCommon arg; /* --config, --agent, --json */
static const char *arg_output;

static int parse_options(int argc, char **argv)
{
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"agent", required_argument, NULL, 'a'},
                {"output", required_argument, NULL, 'o'},
                {"json", no_argument, NULL, 'j'},
                {},
        };
        arg = (PcCliCommon){0};
        arg_output = NULL;
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, ":c:a:o:j", options, NULL)) >= 0) {
                switch (c) {
                case 'o':
                        arg_output = optarg;
                        break;
                default:
                        if (!pc_cli_common_option(c, optarg, &arg))
                                return pc_cli_option_error("sessions", c, argv);
                        break;
                }
        }
        return 0;
}

typedef struct Ctx {
        PcConfig *cfg;
        PcStore *store;
} Ctx;

static int ctx_open(Ctx *c)
{
        if (pc_cli_load_config(arg.config, &c->cfg) != 0)
                return PC_EXIT_FAILURE;
        if (arg.agent && !pc_config_find_agent(c->cfg, arg.agent))
                return pc_cli_unknown_agent("sessions", c->cfg, arg.agent);
        PcError err = PC_ERROR_INIT;
        if (pc_store_open(pc_config_state_dir(c->cfg), &c->store, &err) < 0) {
                fprintf(stderr, "pincer sessions: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        return 0;
}

static void ctx_release(Ctx *c)
{
        pc_store_close(c->store);
        pc_config_unref(c->cfg);
}

static int do_list(Ctx *c)
{
        PcSessionRecord *rows = NULL;
        size_t n = 0;
        PcError err = PC_ERROR_INIT;
        if (pc_store_session_list(c->store, arg.agent, &rows, &n, &err) < 0) {
                fprintf(stderr, "pincer sessions: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        if (arg.json) {
                json_t *list = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(list, pc_session_record_json(&rows[i]));
                json_t *doc = json_pack("{s:I,s:o,s:s}", "count", (json_int_t) n, "sessions", list,
                                        "path", pc_store_path(c->store));
                pc_cli_print_json(doc);
                json_decref(doc);
        } else if (n == 0) {
                printf("No sessions yet%s%s: they start with the first tool call.\n",
                       arg.agent ? " for agent " : "", arg.agent ? arg.agent : "");
        } else {
                printf("%-40s %-10s %-9s %8s %6s  %s\n", "KEY", "AGENT", "KIND", "MESSAGES",
                       "TOOLS", "UPDATED");
                for (size_t i = 0; i < n; i++) {
                        char when[PC_TIME_ISO_MS_MAX];
                        pc_time_format_iso_ms(rows[i].updated_at_ms, when, sizeof(when));
                        printf("%-40s %-10s %-9s %8lld %6lld  %s\n", rows[i].key, rows[i].agent_id,
                               rows[i].kind, (long long) rows[i].message_count,
                               (long long) rows[i].tool_call_count, when);
                }
        }
        pc_session_records_free(rows, n);
        return PC_EXIT_OK;
}

/* KEY as given, or agent:<agent>:KEY for a bare name; NULL after printing why. */
static char *resolve_key(Ctx *c, const char *raw)
{
        const PcAgent *agent = NULL;
        if (pc_cli_pick_agent("sessions", c->cfg, arg.agent, strchr(raw, ':') ? raw : NULL,
                              &agent) != 0)
                return NULL;
        _cleanup_free_ char *key = pc_policy_session_key_resolve(c->cfg, agent, raw);
        return pc_tool_session_canonical_key(c->cfg, agent, key);
}

/* Every entry of the transcript, page by page; each callback gets one entry object. */
static int each_entry(Ctx *c, const char *key, void (*fn)(json_t *e, void *ud), void *ud)
{
        int64_t seq = 0;
        for (;;) {
                json_t *page = NULL;
                PcError err = PC_ERROR_INIT;
                if (pc_store_transcript_page(c->store, key, seq, PC_TRANSCRIPT_PAGE_MAX, &page,
                                             &seq, &err) < 0) {
                        fprintf(stderr, "pincer sessions: %s\n", err.msg);
                        return PC_EXIT_FAILURE;
                }
                size_t n = json_array_size(page), i;
                json_t *e;
                json_array_foreach (page, i, e)
                        fn(e, ud);
                json_decref(page);
                if (n == 0)
                        return 0;
        }
}

static void collect(json_t *e, void *ud)
{
        json_array_append(ud, e);
}

static void print_text_blocks(const json_t *content, const char *prefix)
{
        size_t i;
        json_t *b;
        json_array_foreach (content, i, b) {
                const char *t = json_string_value(json_object_get(b, "text"));
                if (t)
                        printf("%s%s\n", prefix, t);
        }
}

static void print_entry(json_t *e, void *ud)
{
        const char *ts = json_string_value(json_object_get(e, "timestamp"));
        const json_t *m = json_object_get(e, "message");
        const char *role = json_string_value(json_object_get(m, "role"));
        if (!role)
                return;
        if (streq(role, "toolResult")) {
                printf("%s  result of %s%s\n", ts ? ts : "",
                       json_string_value(json_object_get(m, "toolName")),
                       json_is_true(json_object_get(m, "isError")) ? " (error)" : "");
                print_text_blocks(json_object_get(m, "content"), "    ");
                return;
        }
        size_t i;
        json_t *b;
        json_array_foreach (json_object_get(m, "content"), i, b) {
                const char *type = json_string_value(json_object_get(b, "type"));
                if (type && streq(type, "toolCall")) {
                        _cleanup_free_ char *args = json_dumps(json_object_get(b, "arguments"),
                                                               JSON_COMPACT | JSON_ENCODE_ANY);
                        printf("%s  call %s %s  [%s]\n", ts ? ts : "",
                               json_string_value(json_object_get(b, "name")), args ? args : "{}",
                               json_string_value(json_object_get(b, "id")));
                } else if (type && streq(type, "text"))
                        printf("%s  %s: %s\n", ts ? ts : "", role,
                               json_string_value(json_object_get(b, "text")));
        }
        if (json_is_string(json_object_get(m, "content")))
                printf("%s  %s: %s\n", ts ? ts : "", role,
                       json_string_value(json_object_get(m, "content")));
}

static int get_session(Ctx *c, const char *raw, PcSessionRecord *rec)
{
        _cleanup_free_ char *key = resolve_key(c, raw);
        if (!key)
                return PC_EXIT_FAILURE;
        PcError err = PC_ERROR_INIT;
        if (pc_store_session_get(c->store, key, rec, &err) < 0) {
                fprintf(stderr, "pincer sessions: %s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        return 0;
}

static int do_show(Ctx *c, const char *raw)
{
        PcSessionRecord rec = {0};
        int code = get_session(c, raw, &rec);
        if (code != 0)
                return code;
        if (arg.json) {
                json_t *entries = json_array();
                code = each_entry(c, rec.key, collect, entries);
                json_t *doc = json_pack("{s:o,s:o}", "session", pc_session_record_json(&rec),
                                        "entries", entries);
                if (code == 0)
                        pc_cli_print_json(doc);
                json_decref(doc);
        } else {
                printf("%s (agent %s, %s; session id %s; %lld messages, %lld tool calls)\n",
                       rec.key, rec.agent_id, rec.kind, rec.session_id,
                       (long long) rec.message_count, (long long) rec.tool_call_count);
                code = each_entry(c, rec.key, print_entry, NULL);
        }
        pc_session_record_clear(&rec);
        return code;
}

static void write_line(json_t *e, void *ud)
{
        FILE *f = ud;
        _cleanup_free_ char *line = json_dumps(e, JSON_COMPACT);
        if (line)
                fprintf(f, "%s\n", line);
}

static int do_export(Ctx *c, const char *raw)
{
        PcSessionRecord rec = {0};
        int code = get_session(c, raw, &rec);
        if (code != 0)
                return code;
        FILE *f = stdout;
        if (arg_output) {
                int fd = open(arg_output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                f = fd >= 0 ? fdopen(fd, "w") : NULL;
                if (!f) {
                        fprintf(stderr, "pincer sessions: cannot write '%s': %s\n", arg_output,
                                strerror(errno));
                        if (fd >= 0)
                                close(fd);
                        pc_session_record_clear(&rec);
                        return PC_EXIT_FAILURE;
                }
        }
        const PcAgent *agent = pc_config_find_agent(c->cfg, rec.agent_id);
        char when[PC_TIME_ISO_MS_MAX];
        pc_time_format_iso_ms(rec.created_at_ms, when, sizeof(when));
        /* The pi SessionManager header (spec 2.2): version 3, the session id, the workspace. */
        json_t *header = json_pack("{s:s,s:i,s:s,s:s,s:s}", "type", "session", "version", 3, "id",
                                   rec.session_id, "timestamp", when, "cwd",
                                   agent && agent->workspace ? agent->workspace : "");
        if (rec.spawned_by)
                json_object_set_new(header, "parentSession", json_string(rec.spawned_by));
        write_line(header, f);
        json_decref(header);
        code = each_entry(c, rec.key, write_line, f);
        if (fflush(f) != 0 || ferror(f)) {
                fprintf(stderr, "pincer sessions: writing the export failed: %s\n",
                        strerror(errno));
                code = PC_EXIT_FAILURE;
        }
        if (f != stdout && fclose(f) != 0 && code == 0) {
                fprintf(stderr, "pincer sessions: closing '%s' failed: %s\n", arg_output,
                        strerror(errno));
                code = PC_EXIT_FAILURE;
        }
        pc_session_record_clear(&rec);
        return code;
}

static int run(int argc, char **argv)
{
        if (argc < 2)
                return pc_cli_usage_error("sessions", "missing subcommand (list, show, export)");
        const char *sub = argv[1];
        if (!streq(sub, "list") && !streq(sub, "show") && !streq(sub, "export"))
                return pc_cli_usage_error("sessions",
                                          "unknown subcommand '%s' (list, show, export)", sub);
        int r = parse_options(argc - 1, argv + 1);
        if (r != 0)
                return r;
        int rest = argc - 1 - optind;
        char **args = argv + 1 + optind;
        if (streq(sub, "list") && rest != 0)
                return pc_cli_usage_error("sessions", "list takes no argument ('%s')", args[0]);
        if (!streq(sub, "list") && rest != 1)
                return pc_cli_usage_error("sessions", "%s takes one session KEY", sub);
        if (arg_output && !streq(sub, "export"))
                return pc_cli_usage_error("sessions", "--output is only for export");
        if (arg.json && streq(sub, "export"))
                return pc_cli_usage_error("sessions", "export always writes JSONL; drop --json");

        Ctx c = {0};
        int code = ctx_open(&c);
        if (code == 0)
                code = streq(sub, "list")   ? do_list(&c)
                       : streq(sub, "show") ? do_show(&c, args[0])
                                            : do_export(&c, args[0]);
        ctx_release(&c);
        return code;
}

const PcVerb pc_verb_sessions = {
        .name = "sessions",
        .run = run,
        .summary = "list sessions, show or export their transcripts",
        .usage = usage,
};
