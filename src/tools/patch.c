/* SPDX-License-Identifier: MIT */
/* The apply_patch parser and the in-memory update; the contract is in patch.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "patch.h"

#define BEGIN_PATCH "*** Begin Patch"
#define END_PATCH   "*** End Patch"
#define ADD_FILE    "*** Add File: "
#define DELETE_FILE "*** Delete File: "
#define UPDATE_FILE "*** Update File: "
#define MOVE_TO     "*** Move to: "
#define END_OF_FILE "*** End of File"

/* A list of lines pointing into one mutable copy of the input. */
typedef struct Lines {
        char **v;
        size_t n;
} Lines;

static void lines_release(Lines *l)
{
        free(l->v);
}

static void push_line(char ***v, size_t *n, size_t *alloc, const char *s)
{
        *v = xgrow(*v, alloc, *n + 1, sizeof(char *));
        (*v)[(*n)++] = xstrdup(s);
}

static char *trim_dup(const char *s)
{
        while (isspace((unsigned char) *s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                n--;
        return xstrndup(s, n);
}

static bool trimmed_eq(const char *line, const char *want)
{
        _cleanup_free_ char *t = trim_dup(line);
        return streq(t, want);
}

void pc_patch_release(PcPatch *p)
{
        for (size_t i = 0; i < p->n_hunks; i++) {
                PcPatchHunk *h = &p->hunks[i];
                free(h->path);
                free(h->move_to);
                free(h->contents);
                for (size_t c = 0; c < h->n_chunks; c++) {
                        PcPatchChunk *k = &h->chunks[c];
                        free(k->context);
                        for (size_t j = 0; j < k->n_old; j++)
                                free(k->old_lines[j]);
                        for (size_t j = 0; j < k->n_new; j++)
                                free(k->new_lines[j]);
                        free(k->old_lines);
                        free(k->new_lines);
                }
                free(h->chunks);
        }
        free(p->hunks);
        *p = (PcPatch){0};
}

_printf_(3, 4) static int hunk_error(PcError *reterr, size_t line, const char *fmt, ...)
{
        char msg[PC_ERROR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                 "Invalid patch hunk at line %zu: %s", line, msg);
}

/* Parses one update chunk from lines[i..]; returns the number of lines consumed. */
static int parse_chunk(Lines *L, size_t i, size_t end, bool allow_missing_context, PcPatchChunk *k,
                       PcError *reterr)
{
        size_t start = i;
        if (i >= end)
                return hunk_error(reterr, i + 1, "Update hunk does not contain any lines");
        const char *first = L->v[i];
        if (streq(first, "@@")) {
                i++;
        } else if (startswith(first, "@@ ")) {
                k->context = xstrdup(first + 3);
                i++;
        } else if (!allow_missing_context) {
                return hunk_error(reterr, i + 1,
                                  "Expected update hunk to start with a @@ context marker, got: "
                                  "'%s'",
                                  first);
        }
        if (i >= end)
                return hunk_error(reterr, i + 1, "Update hunk does not contain any lines");
        size_t parsed = 0, ao = 0, an = 0;
        for (; i < end; i++) {
                const char *l = L->v[i];
                if (trimmed_eq(l, END_OF_FILE) && startswith(l, "***")) {
                        if (parsed == 0)
                                return hunk_error(reterr, i + 1,
                                                  "Update hunk does not contain any lines");
                        k->eof = true;
                        i++;
                        break;
                }
                if (l[0] == '\0') {
                        push_line(&k->old_lines, &k->n_old, &ao, "");
                        push_line(&k->new_lines, &k->n_new, &an, "");
                } else if (l[0] == ' ') {
                        push_line(&k->old_lines, &k->n_old, &ao, l + 1);
                        push_line(&k->new_lines, &k->n_new, &an, l + 1);
                } else if (l[0] == '+') {
                        push_line(&k->new_lines, &k->n_new, &an, l + 1);
                } else if (l[0] == '-') {
                        push_line(&k->old_lines, &k->n_old, &ao, l + 1);
                } else {
                        if (parsed == 0)
                                return hunk_error(reterr, i + 1,
                                                  "Unexpected line found in update hunk: '%s'. "
                                                  "Every line should start with ' ' (context "
                                                  "line), '+' (added line), or '-' (removed line)",
                                                  l);
                        break;
                }
                parsed++;
        }
        return (int) (i - start);
}

static int check_path(const char *path, size_t line, PcError *reterr)
{
        if (!*path)
                return hunk_error(reterr, line, "the file path is empty");
        return 0;
}

static int parse_hunks(Lines *L, size_t from, size_t end, PcPatch *ret, PcError *reterr)
{
        size_t alloc = 0;
        for (size_t i = from; i < end;) {
                if (trimmed_eq(L->v[i], "")) {
                        i++;
                        continue;
                }
                if (ret->n_hunks >= PC_PATCH_MAX_FILES)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -E2BIG,
                                                 "The patch changes more than %d files; split it",
                                                 PC_PATCH_MAX_FILES);
                _cleanup_free_ char *first = trim_dup(L->v[i]);
                ret->hunks = xgrow(ret->hunks, &alloc, ret->n_hunks + 1, sizeof(PcPatchHunk));
                PcPatchHunk *h = &ret->hunks[ret->n_hunks++];
                *h = (PcPatchHunk){0};
                size_t line = i + 1;
                if (startswith(first, ADD_FILE)) {
                        h->kind = PC_PATCH_ADD;
                        h->path = trim_dup(first + strlen(ADD_FILE));
                        if (check_path(h->path, line, reterr) < 0)
                                return -EINVAL;
                        _cleanup_buf_ PcBuf c = PC_BUF_INIT;
                        for (i++; i < end && L->v[i][0] == '+'; i++) {
                                pc_buf_addstr(&c, L->v[i] + 1);
                                pc_buf_addch(&c, '\n');
                        }
                        h->contents = pc_buf_detach(&c);
                } else if (startswith(first, DELETE_FILE)) {
                        h->kind = PC_PATCH_DELETE;
                        h->path = trim_dup(first + strlen(DELETE_FILE));
                        if (check_path(h->path, line, reterr) < 0)
                                return -EINVAL;
                        i++;
                } else if (startswith(first, UPDATE_FILE)) {
                        h->kind = PC_PATCH_UPDATE;
                        h->path = trim_dup(first + strlen(UPDATE_FILE));
                        if (check_path(h->path, line, reterr) < 0)
                                return -EINVAL;
                        i++;
                        if (i < end && startswith(L->v[i], MOVE_TO)) {
                                h->move_to = trim_dup(L->v[i] + strlen(MOVE_TO));
                                if (check_path(h->move_to, i + 1, reterr) < 0)
                                        return -EINVAL;
                                i++;
                        }
                        size_t calloc_n = 0;
                        while (i < end) {
                                if (trimmed_eq(L->v[i], "")) {
                                        i++;
                                        continue;
                                }
                                if (startswith(L->v[i], "***"))
                                        break;
                                h->chunks = xgrow(h->chunks, &calloc_n, h->n_chunks + 1,
                                                  sizeof(PcPatchChunk));
                                PcPatchChunk *k = &h->chunks[h->n_chunks++];
                                *k = (PcPatchChunk){0};
                                int r = parse_chunk(L, i, end, h->n_chunks == 1, k, reterr);
                                if (r < 0)
                                        return r;
                                i += (size_t) r;
                        }
                        if (h->n_chunks == 0)
                                return hunk_error(reterr, line,
                                                  "Update file hunk for path '%s' is empty",
                                                  h->path);
                } else {
                        return hunk_error(reterr, line,
                                          "'%s' is not a valid hunk header. Valid hunk headers: "
                                          "'*** Add File: {path}', '*** Delete File: {path}', "
                                          "'*** Update File: {path}'",
                                          first);
                }
        }
        return 0;
}

static bool is_heredoc_start(const char *l)
{
        _cleanup_free_ char *t = trim_dup(l);
        return streq(t, "<<EOF") || streq(t, "<<'EOF'") || streq(t, "<<\"EOF\"");
}

int pc_patch_parse(const char *input, size_t len, PcPatch *ret, PcError *reterr)
{
        *ret = (PcPatch){0};
        if (len > PC_PATCH_MAX_SIZE)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -E2BIG,
                                         "The patch is %zu bytes; the limit is %u bytes", len,
                                         PC_PATCH_MAX_SIZE);
        if (memchr(input, '\0', len))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "The patch contains a NUL byte");
        /* split into lines (dropping a CR before each LF, as str::lines does) */
        _cleanup_free_ char *copy = xstrndup(input, len);
        char *s = copy;
        while (isspace((unsigned char) *s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                s[--n] = '\0';
        _cleanup_(lines_release) Lines L = {0};
        size_t alloc = 0;
        for (char *p = s;;) {
                L.v = xgrow(L.v, &alloc, L.n + 1, sizeof(char *));
                L.v[L.n++] = p;
                char *nl = strchr(p, '\n');
                if (!nl)
                        break;
                *nl = '\0';
                if (nl > p && nl[-1] == '\r')
                        nl[-1] = '\0';
                p = nl + 1;
        }
        size_t from = 0, end = L.n;
        if (end >= 2 && is_heredoc_start(L.v[0]) && strlen(L.v[end - 1]) >= 3 &&
            streq(L.v[end - 1] + strlen(L.v[end - 1]) - 3, "EOF")) {
                from = 1;
                end--;
        }
        if (end <= from || !trimmed_eq(L.v[from], BEGIN_PATCH))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "The first line of the patch must be '*** Begin Patch'");
        if (end - from < 2 || !trimmed_eq(L.v[end - 1], END_PATCH))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "The last line of the patch must be '*** End Patch'");
        int r = parse_hunks(&L, from + 1, end - 1, ret, reterr);
        if (r < 0) {
                pc_patch_release(ret);
                return r;
        }
        return 0;
}

/* codex's seek_sequence: exact, then ignoring trailing, then surrounding whitespace. */
static bool line_eq(const char *a, const char *b, int pass)
{
        if (pass == 0)
                return streq(a, b);
        size_t na = strlen(a), nb = strlen(b);
        while (na > 0 && isspace((unsigned char) a[na - 1]))
                na--;
        while (nb > 0 && isspace((unsigned char) b[nb - 1]))
                nb--;
        if (pass == 2) {
                while (na > 0 && isspace((unsigned char) *a))
                        a++, na--;
                while (nb > 0 && isspace((unsigned char) *b))
                        b++, nb--;
        }
        return na == nb && memcmp(a, b, na) == 0;
}

static bool seek(char **lines, size_t n, char *const *pat, size_t np, size_t start, bool eof,
                 size_t *ret)
{
        if (np == 0) {
                *ret = start;
                return true;
        }
        if (np > n)
                return false;
        size_t from = eof ? n - np : start;
        for (int pass = 0; pass < 3; pass++)
                for (size_t i = from; i + np <= n; i++) {
                        size_t j = 0;
                        while (j < np && line_eq(lines[i + j], pat[j], pass))
                                j++;
                        if (j == np) {
                                *ret = i;
                                return true;
                        }
                }
        return false;
}

typedef struct Repl {
        size_t at, n_old;
        char *const *new_lines;
        size_t n_new;
} Repl;

int pc_patch_apply_update(const char *content, const PcPatchHunk *h, const char *display,
                          char **ret, PcError *reterr)
{
        _cleanup_free_ char *copy = xstrdup(content);
        size_t n = 1;
        for (const char *c = copy; (c = strchr(c, '\n')); c++)
                n++;
        _cleanup_free_ char **lines = xcalloc(n, sizeof(char *));
        n = 0;
        for (char *p = copy;;) {
                lines[n++] = p;
                char *nl = strchr(p, '\n');
                if (!nl)
                        break;
                *nl = '\0';
                p = nl + 1;
        }
        if (n > 0 && lines[n - 1][0] == '\0')
                n--;

        _cleanup_free_ Repl *repl = xcalloc(h->n_chunks ? h->n_chunks : 1, sizeof(Repl));
        size_t nr = 0, idx = 0;
        for (size_t c = 0; c < h->n_chunks; c++) {
                const PcPatchChunk *k = &h->chunks[c];
                if (k->context) {
                        size_t at;
                        char *const ctx[1] = {k->context};
                        if (!seek(lines, n, ctx, 1, idx, false, &at))
                                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                         "Failed to find context '%s' in %s",
                                                         k->context, display);
                        idx = at + 1;
                }
                if (k->n_old == 0) {
                        size_t at = n > 0 && lines[n - 1][0] == '\0' ? n - 1 : n;
                        repl[nr++] = (Repl){at, 0, k->new_lines, k->n_new};
                        continue;
                }
                size_t np = k->n_old, nn = k->n_new, at;
                bool found = seek(lines, n, k->old_lines, np, idx, k->eof, &at);
                if (!found && np > 0 && k->old_lines[np - 1][0] == '\0') {
                        np--;
                        if (nn > 0 && k->new_lines[nn - 1][0] == '\0')
                                nn--;
                        found = seek(lines, n, k->old_lines, np, idx, k->eof, &at);
                }
                if (!found) {
                        _cleanup_buf_ PcBuf want = PC_BUF_INIT;
                        for (size_t j = 0; j < k->n_old; j++) {
                                if (j)
                                        pc_buf_addch(&want, '\n');
                                pc_buf_addstr(&want, k->old_lines[j]);
                        }
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "Failed to find expected lines in %s:\n%s",
                                                 display, want.buf);
                }
                repl[nr++] = (Repl){at, np, k->new_lines, nn};
                idx = at + np;
        }
        /* apply in order of position (chunks are sequential, insertions may not be) */
        for (size_t a = 1; a < nr; a++)
                for (size_t b = a; b > 0 && repl[b - 1].at > repl[b].at; b--) {
                        Repl t = repl[b];
                        repl[b] = repl[b - 1];
                        repl[b - 1] = t;
                }
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        size_t pos = 0;
        for (size_t r = 0; r < nr; r++) {
                if (repl[r].at < pos)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "Invalid patch for %s: chunks overlap", display);
                for (; pos < repl[r].at; pos++) {
                        pc_buf_addstr(&out, lines[pos]);
                        pc_buf_addch(&out, '\n');
                }
                for (size_t j = 0; j < repl[r].n_new; j++) {
                        pc_buf_addstr(&out, repl[r].new_lines[j]);
                        pc_buf_addch(&out, '\n');
                }
                pos += repl[r].n_old;
        }
        for (; pos < n; pos++) {
                pc_buf_addstr(&out, lines[pos]);
                pc_buf_addch(&out, '\n');
        }
        *ret = pc_buf_detach(&out);
        return 0;
}
