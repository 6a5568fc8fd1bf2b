/* SPDX-License-Identifier: MIT */
/*
 * $include: an object member whose value is a path (or a list of paths) to more JSON5.
 *
 * As in OpenClaw: paths are relative to the including file and must stay inside the
 * top-level config's directory (lexically and after resolving symlinks); includes nest at
 * most PC_CONFIG_MAX_INCLUDE_DEPTH deep; a file including itself (directly or not) is an
 * error naming the chain. The included objects are deep-merged in order (objects merge,
 * arrays concatenate, later scalars win), then the sibling keys of $include are merged on
 * top. Unlike OpenClaw, included content must be an object, and at most
 * PC_CONFIG_MAX_INCLUDE_FILES files are read per load, so fan-out cannot explode.
 */
#include <limits.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/jsonpath.h"
#include "config-internal.h"

#define INCLUDE_KEY "$include"

typedef struct IncludeFrame {
        const char *file; /* realpath */
        const struct IncludeFrame *up;
} IncludeFrame;

static void merge_into(PcJsonPos *pos, json_t *dst, json_t *src);

/* Moves src[key] into dst[key], carrying its source position along. */
static void move_member(PcJsonPos *pos, json_t *dst, json_t *src, const char *key, json_t *value)
{
        PcSrcPos kp = {0}, vp = {0};
        (void) pc_jsonpos_get_member(pos, src, key, &kp, &vp);
        json_t *old = json_object_get(dst, key);
        if (json_is_object(old) && json_is_object(value)) {
                merge_into(pos, old, value);
                return;
        }
        if (json_is_array(old) && json_is_array(value)) {
                size_t base = json_array_size(old);
                for (size_t i = 0; i < json_array_size(value); i++) {
                        PcSrcPos ip = {0};
                        (void) pc_jsonpos_get_item(pos, value, i, &ip);
                        json_array_append(old, json_array_get(value, i));
                        pc_jsonpos_set_item(pos, old, base + i, ip);
                }
                return;
        }
        json_object_set(dst, key, value);
        pc_jsonpos_set_member(pos, dst, key, kp, vp);
}

static void merge_into(PcJsonPos *pos, json_t *dst, json_t *src)
{
        const char *key;
        json_t *value;
        json_object_foreach (src, key, value)
                move_member(pos, dst, src, key, value);
}

static char *dir_of(const char *file)
{
        const char *slash = strrchr(file, '/');
        if (!slash)
                return xstrdup(".");
        if (slash == file)
                return xstrdup("/");
        return xstrndup(file, (size_t) (slash - file));
}

static bool path_is_inside(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        if (streq(dir, "/"))
                return path[0] == '/';
        return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Lexical normalisation of an absolute path: removes ".", ".." and duplicate slashes. */
static char *normalize_lexically(const char *abs)
{
        _cleanup_free_ char *copy = xstrdup(abs);
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        char *save = NULL;
        for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
                if (streq(seg, "."))
                        continue;
                if (streq(seg, "..")) {
                        char *last = strrchr(out.buf, '/');
                        pc_buf_setlen(&out, last ? (size_t) (last - out.buf) : 0);
                        continue;
                }
                pc_buf_addch(&out, '/');
                pc_buf_addstr(&out, seg);
        }
        if (out.len == 0)
                pc_buf_addch(&out, '/');
        return pc_buf_detach(&out);
}

static void resolve_value(PcLoadCtx *ctx, json_t *value, const char *file, const char *realfile,
                          const IncludeFrame *stack, unsigned depth, PcBuf *path);

/* Loads one include target. Returns a borrowed document (kept alive by the snapshot) or
 * NULL after reporting the problem at (parent, key/index). */
static json_t *load_one(PcLoadCtx *ctx, const char *target, const json_t *holder, size_t index,
                        json_t *obj, const char *file, const IncludeFrame *stack, unsigned depth,
                        PcBuf *path)
{
        PcConfig *cfg = ctx->cfg;
#define REPORT(hint, ...)                                                                          \
        do {                                                                                       \
                if (json_is_array(holder))                                                         \
                        pc_diag_at_item(ctx->diags, PC_DIAG_ERROR, cfg->pos, &cfg->files, holder,  \
                                        index, path->buf, hint, __VA_ARGS__);                      \
                else                                                                               \
                        pc__diag_member(ctx, PC_DIAG_ERROR, obj, INCLUDE_KEY, false, path->buf,    \
                                        hint, __VA_ARGS__);                                        \
        } while (0)

        if (!*target) {
                REPORT("give the path of a JSON5 file", "invalid $include value: empty path");
                return NULL;
        }
        _cleanup_free_ char *dir = dir_of(file);
        char cwd[PATH_MAX];
        _cleanup_free_ char *joined =
                target[0] == '/' ? xstrdup(target)
                : dir[0] == '/'
                        ? xasprintf("%s/%s", dir, target)
                        : xasprintf("%s/%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", dir, target);
        _cleanup_free_ char *lexical = normalize_lexically(joined);
        if (!path_is_inside(lexical, ctx->top_dir)) {
                REPORT("keep included files in the config's directory or below it",
                       "include path escapes config directory: '%s'", target);
                return NULL;
        }
        char real[PATH_MAX];
        if (!realpath(lexical, real)) {
                REPORT("check the path; it is relative to the including file",
                       "cannot include '%s': %s", target, strerror(errno));
                return NULL;
        }
        if (!path_is_inside(real, ctx->top_dir)) {
                REPORT("keep included files in the config's directory or below it",
                       "include path escapes config directory: '%s' resolves to '%s'", target,
                       real);
                return NULL;
        }
        for (const IncludeFrame *f = stack; f; f = f->up)
                if (streq(f->file, real)) {
                        _cleanup_buf_ PcBuf chain = PC_BUF_INIT;
                        const IncludeFrame *frames[PC_CONFIG_MAX_INCLUDE_DEPTH + 2];
                        size_t n = 0;
                        for (const IncludeFrame *g = stack; g && n < ELEMENTSOF(frames); g = g->up)
                                frames[n++] = g;
                        while (n > 0) {
                                _cleanup_free_ char *d = pc__display_path(ctx, frames[--n]->file);
                                pc_buf_addf(&chain, "%s -> ", d);
                        }
                        _cleanup_free_ char *d = pc__display_path(ctx, real);
                        pc_buf_addstr(&chain, d);
                        REPORT("remove one of the $include entries that form the loop",
                               "circular include detected: %s", chain.buf);
                        return NULL;
                }
        if (depth >= PC_CONFIG_MAX_INCLUDE_DEPTH) {
                REPORT("flatten the includes", "maximum include depth (%d) exceeded at '%s'",
                       PC_CONFIG_MAX_INCLUDE_DEPTH, target);
                return NULL;
        }
        if (ctx->n_included >= PC_CONFIG_MAX_INCLUDE_FILES) {
                REPORT("merge some included files", "too many included files (limit %d)",
                       PC_CONFIG_MAX_INCLUDE_FILES);
                return NULL;
        }
        struct stat st;
        if (stat(real, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1) {
                /* A hard link could make a file outside the directory appear inside it. */
                REPORT("copy the file instead of hard-linking it",
                       "refusing to include '%s': it has %lu hard links", target,
                       (unsigned long) st.st_nlink);
                return NULL;
        }
        ctx->n_included++;

        json_t *doc = NULL;
        _cleanup_free_ char *shown = pc__display_path(ctx, real);
        if (pc__parse_file(ctx, real, shown, &doc) < 0)
                return NULL; /* the parse error itself is reported with its own position */
        if (!json_is_object(doc)) {
                REPORT("an included file must contain an object: { ... }",
                       "included file '%s' does not contain an object", shown);
                return NULL;
        }
        IncludeFrame frame = {.file = real, .up = stack};
        _cleanup_buf_ PcBuf inner = PC_BUF_INIT;
        resolve_value(ctx, doc, real, real, &frame, depth + 1, &inner);
        return doc;
#undef REPORT
}

static void apply_include(PcLoadCtx *ctx, json_t *obj, const char *file, const IncludeFrame *stack,
                          unsigned depth, PcBuf *path)
{
        PcJsonPos *pos = ctx->cfg->pos;
        json_t *spec = json_object_get(obj, INCLUDE_KEY);
        size_t saved = path->len;
        pc_jsonpath_add_key(path, INCLUDE_KEY);

        json_t *docs = json_array();
        if (json_is_string(spec)) {
                json_t *d = load_one(ctx, json_string_value(spec), obj, 0, obj, file, stack, depth,
                                     path);
                if (d)
                        json_array_append(docs, d);
        } else if (json_is_array(spec)) {
                for (size_t i = 0; i < json_array_size(spec); i++) {
                        json_t *item = json_array_get(spec, i);
                        size_t s2 = path->len;
                        pc_jsonpath_add_index(path, i);
                        if (!json_is_string(item))
                                pc_diag_at_item(ctx->diags, PC_DIAG_ERROR, pos, &ctx->cfg->files,
                                                spec, i, path->buf, "write the path as a string",
                                                "invalid $include value: expected a string");
                        else {
                                json_t *d = load_one(ctx, json_string_value(item), spec, i, obj,
                                                     file, stack, depth, path);
                                if (d)
                                        json_array_append(docs, d);
                        }
                        pc_buf_setlen(path, s2);
                }
        } else
                pc__diag_member(ctx, PC_DIAG_ERROR, obj, INCLUDE_KEY, false, path->buf,
                                "write a path, or a list of paths",
                                "invalid $include value: expected a string or an array of strings");
        pc_buf_setlen(path, saved);

        /* The siblings move to a holder (kept alive with their positions), obj is emptied,
         * then includes and siblings are merged back into obj in order. */
        json_t *siblings = json_object();
        json_array_append_new(ctx->cfg->keepalive, siblings);
        json_object_del(obj, INCLUDE_KEY);
        const char *key;
        json_t *value;
        json_object_foreach (obj, key, value) {
                PcSrcPos kp = {0}, vp = {0};
                (void) pc_jsonpos_get_member(pos, obj, key, &kp, &vp);
                json_object_set(siblings, key, value);
                pc_jsonpos_set_member(pos, siblings, key, kp, vp);
        }
        json_object_clear(obj);
        json_t *d;
        size_t i;
        json_array_foreach (docs, i, d)
                merge_into(pos, obj, d);
        merge_into(pos, obj, siblings);
        json_decref(docs);
}

static void resolve_value(PcLoadCtx *ctx, json_t *value, const char *file, const char *realfile,
                          const IncludeFrame *stack, unsigned depth, PcBuf *path)
{
        size_t saved = path->len;
        if (json_is_array(value)) {
                for (size_t i = 0; i < json_array_size(value); i++) {
                        pc_jsonpath_add_index(path, i);
                        resolve_value(ctx, json_array_get(value, i), file, realfile, stack, depth,
                                      path);
                        pc_buf_setlen(path, saved);
                }
                return;
        }
        if (!json_is_object(value))
                return;
        const char *key;
        json_t *member;
        json_object_foreach (value, key, member) {
                if (streq(key, INCLUDE_KEY))
                        continue;
                pc_jsonpath_add_key(path, key);
                resolve_value(ctx, member, file, realfile, stack, depth, path);
                pc_buf_setlen(path, saved);
        }
        if (json_object_get(value, INCLUDE_KEY))
                apply_include(ctx, value, file, stack, depth, path);
}

void pc__resolve_includes(PcLoadCtx *ctx, json_t *root, const char *file)
{
        char real[PATH_MAX];
        const char *rf = realpath(file, real) ? real : file;
        IncludeFrame top = {.file = rf, .up = NULL};
        _cleanup_buf_ PcBuf path = PC_BUF_INIT;
        resolve_value(ctx, root, file, rf, &top, 0, &path);
}
