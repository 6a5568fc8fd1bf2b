/* SPDX-License-Identifier: MIT */
/*
 * The pincer command line: one file per verb (cmd-<verb>.c), dispatched from main.c.
 * Results go to stdout, diagnostics to stderr; --json gives machine-readable output.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "base/diag.h"

/* Exit codes, documented in `pincer help`. */
enum {
        PC_EXIT_OK = 0,
        PC_EXIT_FAILURE = 1, /* invalid configuration, or the operation failed */
        PC_EXIT_USAGE = 2,   /* bad command line */
};

typedef struct PcVerb {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary; /* one line for `pincer help` */
        const char *usage;   /* full help text for `pincer help <verb>` */
} PcVerb;

extern const PcVerb pc_verb_agent;
extern const PcVerb pc_verb_help;
extern const PcVerb pc_verb_version;
extern const PcVerb pc_verb_config;
extern const PcVerb pc_verb_sandbox;
extern const PcVerb pc_verb_sessions;
extern const PcVerb pc_verb_tools;
extern const PcVerb pc_verb_image;
extern const PcVerb pc_verb_gateway;
extern const PcVerb pc_verb_onboard;
extern const PcVerb pc_verb_doctor;

const PcVerb *const *pc_cli_verbs(void);
const PcVerb *pc_cli_find_verb(const char *name);

/* Prints a usage error ("pincer <verb>: <message>") with a pointer to help; returns 2. */
int pc_cli_usage_error(const char *verb, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* cli-util.c: the usage error for what getopt_long() (optstring starting with ':') returned
 * as c: ':' an option without its argument, else an unknown option. Returns 2. */
int pc_cli_option_error(const char *verb, int c, char *const *argv);
/* The options most verbs take; each verb's getopt table says which of them it accepts. */
typedef struct PcCliCommon {
        const char *config;  /* -c, --config FILE */
        const char *agent;   /* -a, --agent ID */
        const char *session; /* -s, --session KEY */
        bool json;           /* -j, --json */
} PcCliCommon;
/* Records c (what getopt_long() returned, with its optarg) when it is one of those options;
 * false for any other. */
bool pc_cli_common_option(int c, const char *arg, PcCliCommon *o);
/* Loads the config (--config path or the default), printing every diagnostic on
 * failure; returns 0 or PC_EXIT_FAILURE. */
struct PcConfig;
struct PcAgent;
int pc_cli_load_config(const char *path, struct PcConfig **ret);
/* "unknown agent 'x' (did you mean 'y'?)" with the configured ids; returns PC_EXIT_FAILURE. */
int pc_cli_unknown_agent(const char *verb, const struct PcConfig *cfg, const char *id);
/* The agent named by --agent, else the agent of --session, else the default agent. Returns 0,
 * or the exit code after printing why (unknown agent, or a session of another agent). */
int pc_cli_pick_agent(const char *verb, const struct PcConfig *cfg, const char *agent_id,
                      const char *session_key, const struct PcAgent **ret);
/* cmd-sandbox.c: the registry and a sandbox manager with every backend of this build, for
 * the config's state dir; returns 0 or PC_EXIT_FAILURE (after printing why). */
struct PcStore;
struct PcSandboxManager;
int pc_cli_open_manager(const struct PcConfig *cfg, struct PcStore **ret_store,
                        struct PcSandboxManager **ret_manager);
/* cmd-tools-invoke.c: `pincer tools invoke`; returns the exit code. */
int pc_cli_tools_invoke(int argc, char **argv);

/* cmd-tools.c: the `tools list` table (TOOL STATUS STEP RULE, each line prefixed with indent)
 * and its JSON array; explain shows the same. */
struct PcPolicyResult;
void pc_cli_print_tool_table(const struct PcPolicyResult *r, const char *indent);
struct json_t *pc_cli_tool_verdicts_json(const struct PcPolicyResult *r);

/* cmd-sandbox-explain.c: the explain subcommand; returns the exit code. */
int pc_cli_sandbox_explain(const struct PcConfig *cfg, const char *agent_id, const char *session,
                           bool json);

struct json_t;
/* Pretty JSON on stdout, keys in insertion order. */
void pc_cli_print_json(const struct json_t *v);

/* diag-print.c: compiler-style text (file:line:col: error: path: message, then the hint). */
void pc_cli_print_diags(FILE *f, const PcDiags *d);
/* The diagnostics as a JSON array (new reference) of {path,file,line,column,message,hint}. */
struct json_t;
struct json_t *pc_cli_diags_json(const PcDiags *d, PcDiagLevel level);
