/* SPDX-License-Identifier: MIT */
#include "validate.h"

#include <math.h>
#include <stdarg.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/jsonpath.h"
#include "base/redact.h"
#include "base/suggest.h"

struct PcValidator {
        const PcJsonPos *pos;
        const PcSourceFiles *files;
        PcDiags *diags;
        const json_t *root;
};

uint32_t pc_source_files_add(PcSourceFiles *f, const char *name)
{
        f->names = xgrow(f->names, &f->alloc, f->n + 1, sizeof(char *));
        f->names[f->n] = xstrdup(name);
        return (uint32_t) f->n++;
}

void pc_source_files_clear(PcSourceFiles *f)
{
        for (size_t i = 0; i < f->n; i++)
                free(f->names[i]);
        free(f->names);
        *f = (PcSourceFiles){0};
}

static const char *file_name(const PcSourceFiles *files, const PcSrcPos *p)
{
        if (!files || !p || p->line == 0 || p->file >= files->n)
                return NULL;
        return files->names[p->file];
}

__attribute__((format(printf, 7, 0))) static void vdiag(PcDiags *diags, PcDiagLevel level,
                                                        const PcSourceFiles *files,
                                                        const PcSrcPos *p, const char *path,
                                                        const char *hint, const char *fmt,
                                                        va_list ap)
{
        _cleanup_buf_ PcBuf msg = PC_BUF_INIT;
        pc_buf_vaddf(&msg, fmt, ap);
        bool known = p && p->line > 0;
        pc_diags_add(diags, level, path, file_name(files, p), known ? p->line : 0,
                     known ? p->col : 0, hint, "%s", msg.buf);
}

void pc_diag_at_member(PcDiags *diags, PcDiagLevel level, const PcJsonPos *pos,
                       const PcSourceFiles *files, const json_t *parent, const char *key,
                       bool at_key, const char *path, const char *hint, const char *fmt, ...)
{
        PcSrcPos kp = {0}, vp = {0};
        if (parent)
                (void) pc_jsonpos_get_member(pos, parent, key, &kp, &vp);
        else
                (void) pc_jsonpos_get_root(pos, &vp);
        va_list ap;
        va_start(ap, fmt);
        vdiag(diags, level, files, at_key ? &kp : &vp, path, hint, fmt, ap);
        va_end(ap);
}

void pc_diag_at_item(PcDiags *diags, PcDiagLevel level, const PcJsonPos *pos,
                     const PcSourceFiles *files, const json_t *parent, size_t index,
                     const char *path, const char *hint, const char *fmt, ...)
{
        PcSrcPos vp = {0};
        (void) pc_jsonpos_get_item(pos, parent, index, &vp);
        va_list ap;
        va_start(ap, fmt);
        vdiag(diags, level, files, &vp, path, hint, fmt, ap);
        va_end(ap);
}

__attribute__((format(printf, 4, 0))) static void check_report(const PcCheck *c, PcDiagLevel level,
                                                               const char *hint, const char *fmt,
                                                               va_list ap)
{
        PcSrcPos p = {0};
        if (!c->parent)
                (void) pc_jsonpos_get_root(c->v->pos, &p);
        else if (c->key)
                (void) pc_jsonpos_get_member(c->v->pos, c->parent, c->key, NULL, &p);
        else
                (void) pc_jsonpos_get_item(c->v->pos, c->parent, c->index, &p);
        vdiag(c->v->diags, level, c->v->files, &p, c->path, hint, fmt, ap);
}

void pc_check_error(const PcCheck *c, const char *hint, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        check_report(c, PC_DIAG_ERROR, hint, fmt, ap);
        va_end(ap);
}

void pc_check_warning(const PcCheck *c, const char *hint, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        check_report(c, PC_DIAG_WARNING, hint, fmt, ap);
        va_end(ap);
}

/* ---- type checking -------------------------------------------------------------------- */

static bool real_is_integral(double d)
{
        return isfinite(d) && d == floor(d) && fabs(d) < 9.007199254740992e15;
}

static unsigned value_type_bits(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_NULL:
                return PC_ST_NULL;
        case JSON_TRUE:
        case JSON_FALSE:
                return PC_ST_BOOL;
        case JSON_INTEGER:
                return PC_ST_INT | PC_ST_NUMBER;
        case JSON_REAL:
                return real_is_integral(json_real_value(v)) ? PC_ST_INT | PC_ST_NUMBER
                                                            : PC_ST_NUMBER;
        case JSON_STRING:
                return PC_ST_STRING;
        case JSON_ARRAY:
                return PC_ST_ARRAY;
        case JSON_OBJECT:
                return PC_ST_OBJECT | PC_ST_MAP;
        }
        return 0;
}

static const char *json_type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_NULL:
                return "null";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a number";
        case JSON_STRING:
                return "a string";
        case JSON_ARRAY:
                return "an array";
        case JSON_OBJECT:
                return "an object";
        }
        return "a value";
}

static void add_expected(PcBuf *b, unsigned types)
{
        static const struct {
                unsigned bit;
                const char *name;
        } names[] = {
                {PC_ST_BOOL, "a boolean"},  {PC_ST_INT, "an integer"}, {PC_ST_NUMBER, "a number"},
                {PC_ST_STRING, "a string"}, {PC_ST_ARRAY, "an array"}, {PC_ST_OBJECT, "an object"},
                {PC_ST_MAP, "an object"},   {PC_ST_NULL, "null"},
        };
        size_t n = 0;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                if (!(types & names[i].bit))
                        continue;
                if (names[i].bit == PC_ST_NUMBER && (types & PC_ST_INT))
                        continue;
                if (names[i].bit == PC_ST_MAP && (types & PC_ST_OBJECT))
                        continue;
                pc_buf_addstr(b, n ? " or " : "");
                pc_buf_addstr(b, names[i].name);
                n++;
        }
}

static void add_value_excerpt(PcBuf *b, const json_t *v)
{
        if (json_is_string(v)) {
                pc_buf_addstr(b, " '");
                pc_buf_add_escaped(b, json_string_value(v), 40);
                pc_buf_addch(b, '\'');
        } else if (json_is_integer(v))
                pc_buf_addf(b, " %" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
                pc_buf_addf(b, " %g", json_real_value(v));
        else if (json_is_boolean(v))
                pc_buf_addstr(b, json_is_true(v) ? " true" : " false");
}

static const char *type_hint(unsigned expected, const json_t *v)
{
        if ((expected & PC_ST_STRING) && (json_is_number(v) || json_is_boolean(v)))
                return "put the value in quotes";
        if ((expected & (PC_ST_INT | PC_ST_NUMBER)) && json_is_string(v))
                return "write the number without quotes";
        if ((expected & PC_ST_BOOL) && json_is_string(v))
                return "write true or false without quotes";
        if ((expected & PC_ST_ARRAY) && !json_is_array(v))
                return "wrap the value in brackets: [ ... ]";
        return "see docs/config.md for the type this setting takes";
}

static size_t n_members(const PcSchemaNode *object)
{
        size_t n = 0;
        for (const PcSchemaNode *m = object->members; m && m->key; m++)
                n++;
        return n;
}

static void validate_value(PcValidator *v, const PcSchemaNode *node, const json_t *value,
                           const json_t *parent, const char *key, size_t index, PcBuf *path);

static void validate_string(const PcCheck *c)
{
        const PcSchemaNode *node = c->node;
        const char *s = json_string_value(c->value);
        size_t len = json_string_length(c->value);

        if (strlen(s) != len) {
                pc_check_error(c, "remove the \\u0000 escape",
                               "the value contains a NUL character");
                return;
        }
        if (node->flags & PC_SF_NONEMPTY) {
                const char *p = s;
                while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                        p++;
                if (!*p) {
                        pc_check_error(c, "give it a value, or remove the key to use the default",
                                       "the value must not be empty");
                        return;
                }
        }
        if (node->enum_values) {
                _cleanup_free_ char *trimmed = NULL;
                const char *cmp = s;
                if (node->flags & PC_SF_ENUM_CI) {
                        const char *b = s;
                        while (*b == ' ' || *b == '\t')
                                b++;
                        size_t l = strlen(b);
                        while (l && (b[l - 1] == ' ' || b[l - 1] == '\t'))
                                l--;
                        trimmed = xstrndup(b, l);
                        cmp = trimmed;
                }
                size_t n = 0;
                for (const char *const *e = node->enum_values; *e; e++, n++)
                        if ((node->flags & PC_SF_ENUM_CI) ? strcasecmp(*e, cmp) == 0
                                                          : streq(*e, cmp))
                                return;
                _cleanup_buf_ PcBuf allowed = PC_BUF_INIT;
                pc_buf_addstr(&allowed, "use one of: ");
                for (const char *const *e = node->enum_values; *e; e++)
                        pc_buf_addf(&allowed, "%s%s", e == node->enum_values ? "" : ", ", *e);
                _cleanup_buf_ PcBuf shown = PC_BUF_INIT;
                pc_buf_add_escaped(&shown, s, 60);
                const char *guess = pc_suggest(cmp, (const char *const *) node->enum_values, n);
                if (guess)
                        pc_check_error(c, allowed.buf, "invalid value '%s' (did you mean '%s'?)",
                                       shown.buf, guess);
                else
                        pc_check_error(c, allowed.buf, "invalid value '%s'", shown.buf);
                return;
        }
        if (node->has_min && (double) len < node->min)
                pc_check_error(c, NULL, "the value is too short (at least %g characters)",
                               node->min);
        if (node->has_max && (double) len > node->max)
                pc_check_error(c, "shorten the value",
                               "the value is too long (at most %g characters)", node->max);
}

static void validate_number(const PcCheck *c)
{
        const PcSchemaNode *node = c->node;
        double d = json_number_value(c->value);
        bool want_int = (node->types & PC_ST_INT) && !(node->types & PC_ST_NUMBER);
        if (want_int && !(value_type_bits(c->value) & PC_ST_INT)) {
                pc_check_error(c, "remove the fractional part", "expected an integer, found %g", d);
                return;
        }
        if ((node->has_min && d < node->min) || (node->has_max && d > node->max)) {
                _cleanup_buf_ PcBuf range = PC_BUF_INIT;
                if (node->has_min && node->has_max)
                        pc_buf_addf(&range, "use a value from %g to %g", node->min, node->max);
                else if (node->has_min)
                        pc_buf_addf(&range, "use a value of at least %g", node->min);
                else
                        pc_buf_addf(&range, "use a value of at most %g", node->max);
                pc_check_error(c, range.buf, "value %g is out of range", d);
        }
}

static void validate_object(PcValidator *v, PcCheck *c, PcBuf *path)
{
        const PcSchemaNode *node = c->node;
        const json_t *obj = c->value;
        const char *k;
        json_t *member;
        size_t saved = path->len;

        json_object_foreach ((json_t *) obj, k, member) {
                pc_jsonpath_add_key(path, k);
                const PcSchemaNode *m = NULL;
                if ((node->types & PC_ST_OBJECT) && node->members)
                        m = pc_schema_member(node, k);
                if (m)
                        validate_value(v, m, member, obj, k, 0, path);
                else if ((node->types & PC_ST_MAP) && !(node->types & PC_ST_OBJECT))
                        validate_value(v, node->items, member, obj, k, 0, path);
                else {
                        size_t n = n_members(node);
                        _cleanup_free_ const char **cands = xcalloc(n + 1, sizeof(char *));
                        for (size_t i = 0; i < n; i++)
                                cands[i] = node->members[i].key;
                        const char *guess = pc_suggest(k, cands, n);
                        _cleanup_buf_ PcBuf shown = PC_BUF_INIT;
                        pc_buf_add_escaped(&shown, k, 60);
                        _cleanup_buf_ PcBuf hint = PC_BUF_INIT;
                        if (guess)
                                pc_buf_addf(&hint, "rename it to '%s'", guess);
                        else if (n && n <= 16) {
                                pc_buf_addstr(&hint, "remove it; the keys allowed here are: ");
                                for (size_t i = 0; i < n; i++)
                                        pc_buf_addf(&hint, "%s%s", i ? ", " : "", cands[i]);
                        } else if (saved == 0)
                                pc_buf_addstr(&hint, "remove it; docs/config.md lists the "
                                                     "top-level keys");
                        else
                                pc_buf_addf(&hint,
                                            "remove it; docs/config.md lists the keys allowed "
                                            "under '%.*s'",
                                            (int) saved, path->buf);
                        pc_diag_at_member(v->diags, PC_DIAG_ERROR, v->pos, v->files, obj, k, true,
                                          path->buf, hint.buf, "unknown key '%s'%s%s%s", shown.buf,
                                          guess ? " (did you mean '" : "", guess ? guess : "",
                                          guess ? "'?)" : "");
                }
                pc_buf_setlen(path, saved);
        }
        c->path = path->buf; /* appending keys may have moved the buffer */

        if ((node->types & PC_ST_OBJECT) && node->members)
                for (const PcSchemaNode *m = node->members; m->key; m++)
                        if ((m->flags & PC_SF_REQUIRED) && !json_object_get(obj, m->key))
                                pc_check_error(c, "add it, or remove the whole object",
                                               "missing required key '%s'", m->key);
}

static void validate_array(PcValidator *v, PcCheck *c, PcBuf *path)
{
        const PcSchemaNode *node = c->node;
        size_t n = json_array_size(c->value);
        if ((node->flags & PC_SF_NONEMPTY) && n == 0)
                pc_check_error(c, "add at least one entry, or remove the key", "the list is empty");
        if (node->has_max && (double) n > node->max)
                pc_check_error(c, "remove entries",
                               "the list has %zu entries; at most %g are allowed", n, node->max);
        if (!node->items)
                return;
        size_t saved = path->len;
        for (size_t i = 0; i < n; i++) {
                pc_jsonpath_add_index(path, i);
                validate_value(v, node->items, json_array_get(c->value, i), c->value, NULL, i,
                               path);
                pc_buf_setlen(path, saved);
        }
        c->path = path->buf;
}

static void validate_value(PcValidator *v, const PcSchemaNode *node, const json_t *value,
                           const json_t *parent, const char *key, size_t index, PcBuf *path)
{
        if (!node)
                return; /* free-form */
        PcCheck c = {
                .v = v,
                .node = node,
                .value = value,
                .parent = parent,
                .key = key,
                .index = index,
                .path = path->buf,
                .root = v->root,
        };

        if (node->flags & PC_SF_UNIMPLEMENTED) {
                pc_check_warning(&c, "remove it to silence this warning",
                                 "an OpenClaw setting that Pincer does not implement; it is loaded "
                                 "and ignored");
                return;
        }
        if (node->flags & PC_SF_IGNORED) {
                pc_check_warning(&c, "remove it to silence this warning",
                                 "accepted for compatibility and ignored: %s",
                                 node->doc ? node->doc : "Pincer does not use it");
                return;
        }
        if (node->flags & PC_SF_DEPRECATED)
                pc_check_warning(&c, NULL, "deprecated: %s",
                                 node->doc ? node->doc : "see docs/config.md");

        unsigned have = value_type_bits(value);
        if (!(have & node->types)) {
                _cleanup_buf_ PcBuf msg = PC_BUF_INIT;
                pc_buf_addstr(&msg, "expected ");
                add_expected(&msg, node->types);
                pc_buf_addf(&msg, ", found %s", json_type_name(value));
                if (!(node->flags & PC_SF_SECRET) && !(key && pc_secret_key_name(key)))
                        add_value_excerpt(&msg, value);
                pc_check_error(&c, type_hint(node->types, value), "%s", msg.buf);
                return;
        }

        switch (json_typeof(value)) {
        case JSON_STRING:
                validate_string(&c);
                break;
        case JSON_INTEGER:
        case JSON_REAL:
                validate_number(&c);
                break;
        case JSON_ARRAY:
                validate_array(v, &c, path);
                break;
        case JSON_OBJECT:
                validate_object(v, &c, path);
                break;
        default:
                break;
        }
        if (node->check)
                node->check(&c);
}

size_t pc_validate(const json_t *root, const PcJsonPos *pos, const PcSourceFiles *files,
                   PcDiags *diags)
{
        PcValidator v = {.pos = pos, .files = files, .diags = diags, .root = root};
        size_t before = diags->n_errors;
        _cleanup_buf_ PcBuf path = PC_BUF_INIT;
        validate_value(&v, &pc_schema_root, root, NULL, NULL, 0, &path);
        return diags->n_errors - before;
}
