/* SPDX-License-Identifier: MIT */
/*
 * ${VAR} substitution in every string value (not in keys), after $include.
 *
 * NAME must match [A-Z_][A-Z0-9_]* (upper case, as in OpenClaw); any other ${...} is left as
 * written. $${NAME} writes a literal ${NAME}. Unlike OpenClaw, which leaves the placeholder in
 * place and only warns, an unset or empty variable is an error naming it: a gateway token or
 * API key that silently stays "${TOKEN}" is worse than a refusal to start. Values are never
 * echoed in messages, since they are often secrets.
 */
#include "base/alloc.h"
#include "base/buf.h"
#include "base/jsonpath.h"
#include "config-internal.h"

static bool is_name_start(char c)
{
        return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
        return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Returns the length of NAME if s starts with "${NAME}", else 0. */
static size_t placeholder_len(const char *s)
{
        if (s[0] != '$' || s[1] != '{' || !is_name_start(s[2]))
                return 0;
        size_t i = 3;
        while (is_name_char(s[i]))
                i++;
        return s[i] == '}' ? i - 2 : 0;
}

static void report(PcLoadCtx *ctx, json_t *parent, const char *key, size_t index, const char *path,
                   const char *name, bool empty)
{
        _cleanup_free_ char *hint = xasprintf(
                "set %s in the environment pincer runs in (or in the service's environment "
                "file), or write $${%s} for a literal ${%s}",
                name, name, name);
        const char *what = empty ? "is empty" : "is not set";
        if (key)
                pc__diag_member(ctx, PC_DIAG_ERROR, parent, key, false, path, hint,
                                "environment variable '%s' %s", name, what);
        else
                pc_diag_at_item(ctx->diags, PC_DIAG_ERROR, ctx->cfg->pos, &ctx->cfg->files, parent,
                                index, path, hint, "environment variable '%s' %s", name, what);
}

static void substitute_string(PcLoadCtx *ctx, json_t *str, json_t *parent, const char *key,
                              size_t index, const char *path)
{
        const char *s = json_string_value(str);
        if (!strchr(s, '$'))
                return;
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        bool changed = false, failed = false;
        for (size_t i = 0; s[i];) {
                size_t n;
                if (s[i] == '$' && (n = placeholder_len(s + i + 1)) > 0) {
                        /* $${NAME}: the escape; keep ${NAME} literally */
                        pc_buf_add(&out, s + i + 1, n + 3);
                        i += n + 4;
                        changed = true;
                } else if ((n = placeholder_len(s + i)) > 0) {
                        _cleanup_free_ char *name = xstrndup(s + i + 2, n);
                        const char *val = pc__env(ctx, name);
                        if (!val || !*val) {
                                report(ctx, parent, key, index, path, name, val != NULL);
                                failed = true;
                        } else
                                pc_buf_addstr(&out, val);
                        i += n + 3;
                        changed = true;
                } else
                        pc_buf_addch(&out, s[i++]);
        }
        if (changed && !failed)
                json_string_set(str, out.buf);
}

static void walk(PcLoadCtx *ctx, json_t *value, PcBuf *path)
{
        size_t saved = path->len;
        if (json_is_object(value)) {
                const char *key;
                json_t *member;
                json_object_foreach (value, key, member) {
                        pc_jsonpath_add_key(path, key);
                        if (json_is_string(member))
                                substitute_string(ctx, member, value, key, 0, path->buf);
                        else
                                walk(ctx, member, path);
                        pc_buf_setlen(path, saved);
                }
        } else if (json_is_array(value)) {
                for (size_t i = 0; i < json_array_size(value); i++) {
                        json_t *item = json_array_get(value, i);
                        pc_jsonpath_add_index(path, i);
                        if (json_is_string(item))
                                substitute_string(ctx, item, value, NULL, i, path->buf);
                        else
                                walk(ctx, item, path);
                        pc_buf_setlen(path, saved);
                }
        }
}

void pc__substitute_env(PcLoadCtx *ctx, json_t *root)
{
        _cleanup_buf_ PcBuf path = PC_BUF_INIT;
        walk(ctx, root, &path);
}
