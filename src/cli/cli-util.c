/* SPDX-License-Identifier: MIT */
/* What several verbs do the same way: the shared options, a bad option, load the config, pick the
 * agent, print JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/suggest.h"
#include "cli.h"
#include "policy/policy.h"

int pc_cli_load_config(const char *path, PcConfig **ret)
{
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfigLoadOptions opts = {.path = path};
        PcError err = PC_ERROR_INIT;
        if (pc_config_load(&opts, &diags, ret, &err) < 0) {
                pc_cli_print_diags(stderr, &diags);
                fprintf(stderr, "%s\n", err.msg);
                return PC_EXIT_FAILURE;
        }
        return 0;
}

int pc_cli_unknown_agent(const char *verb, const PcConfig *cfg, const char *id)
{
        size_t n = pc_config_n_agents(cfg);
        _cleanup_free_ const char **ids = xcalloc(n + 1, sizeof(char *));
        _cleanup_buf_ PcBuf known = PC_BUF_INIT;
        for (size_t i = 0; i < n; i++) {
                ids[i] = pc_config_agent(cfg, i)->id;
                pc_buf_addf(&known, "%s%s", i ? ", " : "", ids[i]);
        }
        const char *guess = pc_suggest(id, ids, n);
        fprintf(stderr, "pincer %s: unknown agent '%s'%s%s%s\n  hint: configured agents: %s\n",
                verb, id, guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "",
                known.buf);
        return PC_EXIT_FAILURE;
}

int pc_cli_pick_agent(const char *verb, const PcConfig *cfg, const char *agent_id,
                      const char *session_key, const PcAgent **ret)
{
        _cleanup_free_ char *session_agent =
                session_key ? pc_policy_session_agent_id(session_key) : NULL;
        const PcAgent *agent;
        if (agent_id) {
                agent = pc_config_find_agent(cfg, agent_id);
                if (!agent)
                        return pc_cli_unknown_agent(verb, cfg, agent_id);
                if (session_agent && !streq(session_agent, agent->id))
                        return pc_cli_usage_error(verb,
                                                  "session '%s' belongs to agent '%s', not '%s'",
                                                  session_key, session_agent, agent->id);
        } else if (session_agent) {
                agent = pc_config_find_agent(cfg, session_agent);
                if (!agent)
                        return pc_cli_unknown_agent(verb, cfg, session_agent);
        } else
                agent = pc_config_default_agent(cfg);
        *ret = agent;
        return 0;
}

bool pc_cli_common_option(int c, const char *arg, PcCliCommon *o)
{
        switch (c) {
        case 'c':
                o->config = arg;
                return true;
        case 'a':
                o->agent = arg;
                return true;
        case 's':
                o->session = arg;
                return true;
        case 'j':
                o->json = true;
                return true;
        default:
                return false;
        }
}

int pc_cli_option_error(const char *verb, int c, char *const *argv)
{
        if (c == ':')
                return pc_cli_usage_error(verb, "option '%s' needs an argument", argv[optind - 1]);
        return pc_cli_usage_error(verb, "unknown option '%s'", argv[optind - 1]);
}

void pc_cli_print_json(const json_t *v)
{
        char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
                puts(s);
        free(s);
}
