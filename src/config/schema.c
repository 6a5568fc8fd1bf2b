/* SPDX-License-Identifier: MIT */
#include "schema.h"

#include "base/alloc.h"
#include "base/buf.h"

const PcSchemaNode *pc_schema_member(const PcSchemaNode *object, const char *key)
{
        if (!object || !(object->types & PC_ST_OBJECT) || !object->members)
                return NULL;
        for (const PcSchemaNode *m = object->members; m->key; m++)
                if (streq(m->key, key))
                        return m;
        return NULL;
}

const PcSchemaNode *pc_schema_lookup(const char *path)
{
        const PcSchemaNode *n = &pc_schema_root;
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *tok = strtok_r(copy, ".", &save); tok && n; tok = strtok_r(NULL, ".", &save)) {
                size_t len = strlen(tok);
                bool enter_items = len >= 2 && streq(tok + len - 2, "[]");
                if (enter_items)
                        tok[len - 2] = '\0';
                if (*tok)
                        n = pc_schema_member(n, tok);
                if (n && enter_items)
                        n = n->items;
        }
        return n;
}

/* ---- reference documentation ---------------------------------------------------------- */

static void add_type(PcBuf *out, const PcSchemaNode *n)
{
        static const struct {
                unsigned bit;
                const char *name;
        } names[] = {
                {PC_ST_BOOL, "bool"},     {PC_ST_INT, "integer"}, {PC_ST_NUMBER, "number"},
                {PC_ST_STRING, "string"}, {PC_ST_ARRAY, "array"}, {PC_ST_OBJECT, "object"},
                {PC_ST_MAP, "map"},       {PC_ST_NULL, "null"},
        };
        if (n->types == PC_ST_ANY) {
                pc_buf_addstr(out, "any");
                return;
        }
        bool first = true;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                if (!(n->types & names[i].bit))
                        continue;
                if (names[i].bit == PC_ST_NUMBER && (n->types & PC_ST_INT))
                        continue; /* "integer \| number" says nothing more than "number" */
                pc_buf_addstr(out, first ? "" : " \\| ");
                first = false;
                if (names[i].bit == PC_ST_INT && (n->types & PC_ST_NUMBER))
                        pc_buf_addstr(out, "number");
                else
                        pc_buf_addstr(out, names[i].name);
                if ((names[i].bit == PC_ST_ARRAY || names[i].bit == PC_ST_MAP) && n->items &&
                    n->items->types == PC_ST_STRING)
                        pc_buf_addstr(out, " of string");
        }
        if (n->enum_values) {
                pc_buf_addstr(out, ": ");
                for (const char *const *e = n->enum_values; *e; e++)
                        pc_buf_addf(out, "%s`%s`", e == n->enum_values ? "" : ", ", *e);
        }
        if (n->has_min || n->has_max) {
                bool numeric = n->types & (PC_ST_INT | PC_ST_NUMBER);
                const char *what = numeric ? "" : "length ";
                if (n->has_min && n->has_max)
                        pc_buf_addf(out, ", %s%g–%g", what, n->min, n->max);
                else if (n->has_min && !numeric && n->min == 1)
                        pc_buf_addstr(out, ", non-empty");
                else if (n->has_min)
                        pc_buf_addf(out, ", %s≥ %g", what, n->min);
                else
                        pc_buf_addf(out, ", %s≤ %g", what, n->max);
        }
}

static void add_cell(PcBuf *out, const char *s)
{
        for (; s && *s; s++) {
                if (*s == '|')
                        pc_buf_addstr(out, "\\|");
                else if (*s == '<')
                        pc_buf_addstr(out, "&lt;");
                else if (*s == '>')
                        pc_buf_addstr(out, "&gt;");
                else if (*s == '\n')
                        pc_buf_addch(out, ' ');
                else
                        pc_buf_addch(out, *s);
        }
}

/* Shared subtrees (the sandbox object, agent tools, agent entries) are written out once; later
 * occurrences point at the first. */
typedef struct RenderCtx {
        const PcSchemaNode *seen[8];
        char *seen_path[8];
        size_t n_seen;
} RenderCtx;

static bool render_shared_once(RenderCtx *ctx, PcBuf *out, const PcSchemaNode *members,
                               const char *path)
{
        if (members != pc_schema_sandbox && members != pc_schema_agent_tools &&
            members != pc_schema_agent_entry)
                return false;
        for (size_t i = 0; i < ctx->n_seen; i++)
                if (ctx->seen[i] == members) {
                        pc_buf_addf(out, "| `%s.*` | | | | the same keys as `%s` |\n", path,
                                    ctx->seen_path[i]);
                        return true;
                }
        if (ctx->n_seen < ELEMENTSOF(ctx->seen)) {
                ctx->seen[ctx->n_seen] = members;
                ctx->seen_path[ctx->n_seen++] = xstrdup(path);
        }
        return false;
}

static void render_node(RenderCtx *ctx, PcBuf *out, const PcSchemaNode *n, PcBuf *path)
{
        size_t saved = path->len;
        if (n->key) {
                if (path->len)
                        pc_buf_addch(path, '.');
                pc_buf_addstr(path, n->key);
        }

        if (n->key) {
                pc_buf_addf(out, "| `%s` | ", path->buf);
                add_type(out, n);
                pc_buf_addstr(out, " | ");
                if (n->default_json)
                        pc_buf_addf(out, "`%s`", n->default_json);
                else if (n->default_doc)
                        add_cell(out, n->default_doc);
                pc_buf_addstr(out, " | ");
                if (n->flags & PC_SF_UNIMPLEMENTED)
                        pc_buf_addstr(out, "OpenClaw, not implemented (warns)");
                else if (n->flags & PC_SF_IGNORED)
                        pc_buf_addstr(out, "OpenClaw, ignored (warns)");
                else if (n->flags & PC_SF_PINCER)
                        pc_buf_addstr(out, "Pincer extension");
                else
                        pc_buf_addstr(out, "OpenClaw");
                if (n->flags & PC_SF_DEPRECATED)
                        pc_buf_addstr(out, ", deprecated");
                if (n->flags & PC_SF_SECRET)
                        pc_buf_addstr(out, ", secret");
                if (n->flags & PC_SF_REQUIRED)
                        pc_buf_addstr(out, ", required");
                pc_buf_addstr(out, " | ");
                add_cell(out, n->doc);
                pc_buf_addstr(out, " |\n");
        }

        if (!(n->flags & PC_SF_UNIMPLEMENTED)) {
                if ((n->types & PC_ST_OBJECT) && n->members &&
                    !render_shared_once(ctx, out, n->members, path->buf))
                        for (const PcSchemaNode *m = n->members; m->key; m++)
                                render_node(ctx, out, m, path);
                if ((n->types & (PC_ST_ARRAY | PC_ST_MAP)) && n->items &&
                    (n->items->types & PC_ST_OBJECT) && n->items->members) {
                        pc_buf_addstr(path, (n->types & PC_ST_ARRAY) ? "[]" : ".<id>");
                        if (!render_shared_once(ctx, out, n->items->members, path->buf))
                                for (const PcSchemaNode *m = n->items->members; m->key; m++)
                                        render_node(ctx, out, m, path);
                }
        }
        pc_buf_setlen(path, saved);
}

void pc_schema_render_markdown(PcBuf *out)
{
        _cleanup_buf_ PcBuf path = PC_BUF_INIT;
        RenderCtx ctx = {0};
        for (const PcSchemaNode *top = pc_schema_root.members; top->key; top++) {
                pc_buf_addf(out, "\n### `%s`\n\n", top->key);
                if (top->doc)
                        pc_buf_addf(out, "%s\n\n", top->doc);
                pc_buf_addstr(out, "| key | type | default | origin | meaning |\n");
                pc_buf_addstr(out, "|---|---|---|---|---|\n");
                render_node(&ctx, out, top, &path);
        }
        for (size_t i = 0; i < ctx.n_seen; i++)
                free(ctx.seen_path[i]);
}
