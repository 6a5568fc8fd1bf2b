/* SPDX-License-Identifier: MIT */
/*
 * The agent table and the rules that span several keys.
 *
 * Agents come from agents.list[] (OpenClaw up to 2026.6) and agents.entries{} (2026.7+); both
 * may be used at once. Ids are normalised as OpenClaw does. The default agent is the first
 * with default: true, else the first configured, else an implicit "main". Paths follow
 * spec 4.2 with Pincer's state dir.
 */
#include <ctype.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/jsonpath.h"
#include "config-internal.h"

char *pc_agent_id_normalize(const char *id)
{
        while (isspace((unsigned char) *id))
                id++;
        size_t len = strlen(id);
        while (len && isspace((unsigned char) id[len - 1]))
                len--;
        if (len == 0)
                return xstrdup("main");

        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        bool in_bad_run = false;
        for (size_t i = 0; i < len; i++) {
                char c = (char) tolower((unsigned char) id[i]);
                bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
                if (ok) {
                        pc_buf_addch(&out, c);
                        in_bad_run = false;
                } else if (!in_bad_run) {
                        pc_buf_addch(&out, '-');
                        in_bad_run = true;
                }
        }
        /* Strip leading and trailing dashes, then cap at 64 characters. */
        size_t start = 0, end = out.len;
        while (start < end && out.buf[start] == '-')
                start++;
        while (end > start && out.buf[end - 1] == '-')
                end--;
        if (end - start > 64)
                end = start + 64;
        if (end == start)
                return xstrdup("main");
        return xstrndup(out.buf + start, end - start);
}

static void add_agent(PcLoadCtx *ctx, const json_t *entry, const char *raw_id, const char *source,
                      const json_t *parent, const char *key, size_t index, size_t *alloc)
{
        PcConfig *cfg = ctx->cfg;
        _cleanup_free_ char *id = pc_agent_id_normalize(raw_id);

        for (size_t i = 0; i < cfg->n_agents; i++)
                if (streq(cfg->agents[i].id, id)) {
                        _cleanup_free_ char *hint = xasprintf(
                                "agent ids must be unique; rename one of them (the other is %s)",
                                cfg->agents[i].source);
                        if (key)
                                pc__diag_member(ctx, PC_DIAG_ERROR, parent, key, true, source, hint,
                                                "agent id '%s' is defined twice", id);
                        else
                                pc_diag_at_item(ctx->diags, PC_DIAG_ERROR, cfg->pos, &cfg->files,
                                                parent, index, source, hint,
                                                "agent id '%s' is defined twice", id);
                        return;
                }
        if (!streq(id, raw_id)) {
                _cleanup_free_ char *hint = xasprintf("write it as '%s'", id);
                const json_t *idv = json_object_get(entry, "id");
                if (idv)
                        pc__diag_member(ctx, PC_DIAG_WARNING, entry, "id", false, source, hint,
                                        "agent id '%s' is used as '%s'", raw_id, id);
                else
                        pc__diag_member(ctx, PC_DIAG_WARNING, parent, key, true, source, hint,
                                        "agent id '%s' is used as '%s'", raw_id, id);
        }

        cfg->agents = xgrow(cfg->agents, alloc, cfg->n_agents + 1, sizeof(PcAgent));
        cfg->agents[cfg->n_agents++] = (PcAgent){
                .id = TAKE_PTR(id),
                .source = xstrdup(source),
                .is_default = json_is_true(json_object_get(entry, "default")),
                .entry = entry,
        };
}

static const char *str_member(const json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

static void resolve_paths(PcConfig *cfg)
{
        const json_t *defaults = json_object_get(json_object_get(cfg->root, "agents"), "defaults");
        const char *default_ws = str_member(defaults, "workspace");
        for (size_t i = 0; i < cfg->n_agents; i++) {
                PcAgent *a = &cfg->agents[i];
                const char *ws = str_member(a->entry, "workspace");
                if (ws)
                        a->workspace = pc__expand_home(cfg, ws);
                else if (a->is_default)
                        a->workspace = default_ws ? pc__expand_home(cfg, default_ws)
                                                  : xasprintf("%s/workspace", cfg->state_dir);
                else if (default_ws) {
                        _cleanup_free_ char *base = pc__expand_home(cfg, default_ws);
                        a->workspace = xasprintf("%s/%s", base, a->id);
                } else
                        a->workspace = xasprintf("%s/workspace-%s", cfg->state_dir, a->id);

                const char *ad = str_member(a->entry, "agentDir");
                a->agent_dir = ad ? pc__expand_home(cfg, ad)
                                  : xasprintf("%s/agents/%s/agent", cfg->state_dir, a->id);
        }
}

void pc__build_agents(PcLoadCtx *ctx)
{
        PcConfig *cfg = ctx->cfg;
        size_t alloc = 0;
        const json_t *agents = json_object_get(cfg->root, "agents");
        const json_t *list = json_object_get(agents, "list");
        const json_t *entries = json_object_get(agents, "entries");

        _cleanup_buf_ PcBuf path = PC_BUF_INIT;
        for (size_t i = 0; i < json_array_size(list); i++) {
                const json_t *e = json_array_get(list, i);
                pc_buf_reset(&path);
                pc_buf_addf(&path, "agents.list[%zu]", i);
                add_agent(ctx, e, str_member(e, "id"), path.buf, list, NULL, i, &alloc);
        }
        const char *key;
        json_t *e;
        json_object_foreach ((json_t *) entries, key, e) {
                pc_buf_reset(&path);
                pc_buf_addstr(&path, "agents.entries");
                pc_jsonpath_add_key(&path, key);
                const char *id = str_member(e, "id");
                if (id && !streq(id, key)) {
                        pc__diag_member(ctx, PC_DIAG_ERROR, e, "id", false, path.buf,
                                        "remove 'id': in agents.entries the key is the id",
                                        "agent id '%s' differs from its key '%s'", id, key);
                        continue;
                }
                add_agent(ctx, e, key, path.buf, entries, key, 0, &alloc);
        }

        if (cfg->n_agents == 0) {
                json_t *implicit = json_object();
                json_array_append_new(cfg->keepalive, implicit);
                cfg->agents = xgrow(cfg->agents, &alloc, 1, sizeof(PcAgent));
                cfg->agents[cfg->n_agents++] = (PcAgent){
                        .id = xstrdup("main"),
                        .source = xstrdup(""),
                        .is_default = true,
                        .entry = implicit,
                };
        }

        /* Default agent: the first marked default, else the first. */
        cfg->default_agent = 0;
        bool found = false;
        for (size_t i = 0; i < cfg->n_agents; i++) {
                PcAgent *a = &cfg->agents[i];
                if (!a->is_default)
                        continue;
                if (found) {
                        a->is_default = false;
                        pc__diag_member(ctx, PC_DIAG_WARNING, a->entry, "default", false, a->source,
                                        "mark only one agent as default",
                                        "several agents are marked default: true; using '%s'",
                                        cfg->agents[cfg->default_agent].id);
                        continue;
                }
                found = true;
                cfg->default_agent = i;
        }
        cfg->agents[cfg->default_agent].is_default = true;

        resolve_paths(cfg);

        for (size_t i = 0; i < cfg->n_agents; i++)
                for (size_t j = 0; j < i; j++)
                        if (streq(cfg->agents[i].agent_dir, cfg->agents[j].agent_dir)) {
                                PcAgent *a = &cfg->agents[i];
                                _cleanup_free_ char *hint = xasprintf(
                                        "remove the agentDir override of %s or %s, or give each "
                                        "agent its own directory",
                                        cfg->agents[j].source, a->source);
                                const json_t *ad = json_object_get(a->entry, "agentDir");
                                pc__diag_member(ctx, PC_DIAG_ERROR, ad ? a->entry : NULL,
                                                ad ? "agentDir" : NULL, false, a->source, hint,
                                                "agents '%s' and '%s' share the agent directory "
                                                "'%s'",
                                                cfg->agents[j].id, a->id, a->agent_dir);
                        }
}
