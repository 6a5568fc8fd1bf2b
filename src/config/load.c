/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json5.h"
#include "config-internal.h"

const char *pc__env(const PcLoadCtx *ctx, const char *name)
{
        if (ctx->env)
                return ctx->env(name, ctx->env_userdata);
        return getenv(name);
}

void pc__diag_member(PcLoadCtx *ctx, PcDiagLevel level, const json_t *parent, const char *key,
                     bool at_key, const char *path, const char *hint, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        pc_diag_at_member(ctx->diags, level, ctx->cfg->pos, &ctx->cfg->files, parent, key, at_key,
                          path, hint, "%s", msg);
}

char *pc__expand_home(const PcConfig *cfg, const char *p)
{
        if (p[0] == '~' && (p[1] == '/' || p[1] == '\0'))
                return xasprintf("%s%s", cfg->home, p + 1);
        return xstrdup(p);
}

int pc__parse_buffer(PcLoadCtx *ctx, const char *text, size_t len, const char *name, json_t **ret)
{
        PcConfig *cfg = ctx->cfg;
        uint32_t file_id = pc_source_files_add(&cfg->files, name);
        PcJson5Error err = {0};
        json_t *doc = NULL;
        int r = pc_json5_parse(text, len, file_id, cfg->pos, &doc, &err);
        if (r < 0) {
                pc_diags_add(ctx->diags, PC_DIAG_ERROR, err.path, name, err.pos.line, err.pos.col,
                             err.hint, "%s", err.msg);
                return r;
        }
        /* Keep every document alive until the snapshot dies: positions are keyed by container
         * address, which must not be reused while the map is consulted. */
        json_array_append_new(cfg->keepalive, doc);
        *ret = doc; /* borrowed: keepalive owns it */
        return 0;
}

static int read_file(const char *path, PcBuf *out, PcError *reterr)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return pc_error_set(reterr, -errno, "cannot open '%s': %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) < 0)
                return pc_error_set(reterr, -errno, "cannot stat '%s': %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return pc_error_set(reterr, -EINVAL, "'%s' is not a regular file", path);
        if (st.st_size > PC_CONFIG_MAX_FILE_SIZE)
                return pc_error_set(reterr, -E2BIG,
                                    "'%s' is %lld bytes; config files are limited to %u bytes",
                                    path, (long long) st.st_size, PC_CONFIG_MAX_FILE_SIZE);
        for (;;) {
                pc_buf_grow(out, 65536);
                ssize_t n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return pc_error_set(reterr, -errno, "cannot read '%s': %s", path,
                                            strerror(errno));
                }
                if (n == 0)
                        break;
                out->len += (size_t) n;
                out->buf[out->len] = '\0';
                if (out->len > PC_CONFIG_MAX_FILE_SIZE) /* it grew while we read */
                        return pc_error_set(reterr, -E2BIG,
                                            "'%s' is larger than the limit of %u bytes", path,
                                            PC_CONFIG_MAX_FILE_SIZE);
        }
        return 0;
}

int pc__parse_file(PcLoadCtx *ctx, const char *path, const char *name, json_t **ret)
{
        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        PcError err = PC_ERROR_INIT;
        json_array_append_new(ctx->cfg->sources, json_string(path));
        int r = read_file(path, &text, &err);
        if (r < 0) {
                pc_diags_add(ctx->diags, PC_DIAG_ERROR, "", name, 0, 0,
                             r == -ENOENT ? "check the path" : NULL, "%s", err.msg);
                return r;
        }
        return pc__parse_buffer(ctx, text.buf, text.len, name, ret);
}

static char *default_home(const PcConfigLoadOptions *o)
{
        PcLoadCtx tmp = {.env = o ? o->env : NULL, .env_userdata = o ? o->env_userdata : NULL};
        const char *h = pc__env(&tmp, "HOME");
        if (h && *h)
                return xstrdup(h);
        struct passwd *pw = getpwuid(getuid());
        return xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/");
}

static PcConfig *config_new(const PcConfigLoadOptions *o)
{
        PcConfig *cfg = xcalloc(1, sizeof(*cfg));
        cfg->n_ref = 1;
        cfg->home = default_home(o);
        cfg->keepalive = json_array();
        cfg->sources = json_array();
        cfg->pos = pc_jsonpos_new();

        PcLoadCtx tmp = {.env = o ? o->env : NULL, .env_userdata = o ? o->env_userdata : NULL};
        const char *sd = o && o->state_dir ? o->state_dir : pc__env(&tmp, "PINCER_STATE_DIR");
        if (sd && *sd)
                cfg->state_dir = pc__expand_home(cfg, sd);
        else
                cfg->state_dir = xasprintf("%s/.pincer", cfg->home);
        return cfg;
}

/* Runs every stage after parsing. Returns 0 or -EINVAL. */
static int finish_load(PcLoadCtx *ctx, json_t *doc, const char *name, PcConfig **ret,
                       PcError *reterr)
{
        PcConfig *cfg = ctx->cfg;
        size_t errors_before = ctx->diags->n_errors;

        if (!json_is_object(doc)) {
                pc_diag_at_member(ctx->diags, PC_DIAG_ERROR, cfg->pos, &cfg->files, NULL, NULL,
                                  false, "", "the file must contain one object: { ... }",
                                  "the configuration must be an object");
                return pc_error_set(reterr, -EINVAL, "configuration '%s' is invalid", name);
        }
        cfg->root = json_incref(doc);

        pc__resolve_includes(ctx, cfg->root, name);
        if (ctx->diags->n_errors == errors_before)
                pc__substitute_env(ctx, cfg->root);
        if (ctx->diags->n_errors == errors_before)
                pc_validate(cfg->root, cfg->pos, &cfg->files, ctx->diags);
        if (ctx->diags->n_errors == errors_before) {
                pc__build_agents(ctx);
                pc__check_cross_fields(ctx);
        }

        size_t n = ctx->diags->n_errors - errors_before;
        if (n > 0)
                return pc_error_set(reterr, -EINVAL, "configuration '%s' is invalid (%zu error%s)",
                                    name, n, n == 1 ? "" : "s");
        *ret = pc_config_ref(cfg);
        return 0;
}

static int resolve_top_dir(PcLoadCtx *ctx, const char *name)
{
        _cleanup_free_ char *copy = xstrdup(name);
        char *slash = strrchr(copy, '/');
        const char *dir = ".";
        if (slash == copy)
                dir = "/";
        else if (slash) {
                *slash = '\0';
                dir = copy;
        }
        char buf[PATH_MAX];
        ctx->top_dir = xstrdup(realpath(dir, buf) ? buf : dir);
        ctx->top_display = xstrdup(slash ? dir : "");
        return 0;
}

char *pc__display_path(const PcLoadCtx *ctx, const char *real)
{
        size_t n = strlen(ctx->top_dir);
        if (strncmp(real, ctx->top_dir, n) != 0 || real[n] != '/')
                return xstrdup(real);
        if (!*ctx->top_display)
                return xstrdup(real + n + 1);
        return xasprintf("%s/%s", streq(ctx->top_display, "/") ? "" : ctx->top_display,
                         real + n + 1);
}

static void ctx_release(PcLoadCtx *ctx)
{
        free(ctx->top_dir);
        free(ctx->top_display);
}

int pc_config_load_buffer(const char *text, size_t len, const char *name,
                          const PcConfigLoadOptions *opts, PcDiags *diags, PcConfig **ret,
                          PcError *reterr)
{
        _cleanup_(pc_config_unrefp) PcConfig *cfg = config_new(opts);
        PcLoadCtx ctx = {
                .cfg = cfg,
                .diags = diags,
                .env = opts ? opts->env : NULL,
                .env_userdata = opts ? opts->env_userdata : NULL,
        };
        cfg->path = xstrdup(name);
        cfg->file_exists = true;
        resolve_top_dir(&ctx, name);

        json_t *doc = NULL;
        int r = pc__parse_buffer(&ctx, text, len, name, &doc);
        if (r >= 0)
                r = finish_load(&ctx, doc, name, ret, reterr);
        else
                r = pc_error_set(reterr, r, "configuration '%s' is invalid", name);
        ctx_release(&ctx);
        return r;
}

int pc_config_load(const PcConfigLoadOptions *opts, PcDiags *diags, PcConfig **ret, PcError *reterr)
{
        _cleanup_(pc_config_unrefp) PcConfig *cfg = config_new(opts);
        PcLoadCtx ctx = {
                .cfg = cfg,
                .diags = diags,
                .env = opts ? opts->env : NULL,
                .env_userdata = opts ? opts->env_userdata : NULL,
        };

        const char *p = opts && opts->path ? opts->path : pc__env(&ctx, "PINCER_CONFIG");
        bool explicit_path = p && *p;
        cfg->path = explicit_path ? pc__expand_home(cfg, p)
                                  : xasprintf("%s/%s", cfg->state_dir, PC_CONFIG_DEFAULT_NAME);

        if (!explicit_path && access(cfg->path, F_OK) < 0 && errno == ENOENT) {
                /* No config yet: the defaults apply (OpenClaw does the same). */
                json_t *empty = json_object();
                json_array_append_new(cfg->keepalive, empty);
                resolve_top_dir(&ctx, cfg->path);
                int r = finish_load(&ctx, empty, cfg->path, ret, reterr);
                ctx_release(&ctx);
                return r;
        }

        cfg->file_exists = true;
        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        int r = read_file(cfg->path, &text, reterr);
        if (r < 0) {
                if (r == -ENOENT)
                        return pc_error_set(reterr, r,
                                            "config file '%s' does not exist; create it, or "
                                            "check --config / PINCER_CONFIG",
                                            cfg->path);
                return r;
        }
        resolve_top_dir(&ctx, cfg->path);
        json_t *doc = NULL;
        r = pc__parse_buffer(&ctx, text.buf, text.len, cfg->path, &doc);
        if (r >= 0)
                r = finish_load(&ctx, doc, cfg->path, ret, reterr);
        else
                r = pc_error_set(reterr, r, "configuration '%s' is invalid", cfg->path);
        ctx_release(&ctx);
        return r;
}
