/* SPDX-License-Identifier: MIT */
/*
 * edit: {path, oldText, newText} (aliases file_path, old_string, new_string, edits[0]) replaces
 * one exact, unique occurrence (spec 3.3). The match is done after stripping a UTF-8 BOM and
 * normalising CRLF (and lone CR) to LF; the BOM and the file's line ending (CRLF when the first
 * line break is CRLF) are restored on write. details {diff, firstChangedLine}: the diff is
 * pi's format (line numbers, 4 context lines, "..." for skipped lines) for the one change.
 */
#include <stdio.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "fsroot.h"
#include "tool.h"

#define CONTEXT_LINES 4

static char *to_lf(const char *s)
{
        char *out = xmalloc(strlen(s) + 1), *o = out;
        for (; *s; s++) {
                if (*s == '\r') {
                        *o++ = '\n';
                        if (s[1] == '\n')
                                s++;
                } else
                        *o++ = *s;
        }
        *o = '\0';
        return out;
}

static size_t count_lines(const char *s, size_t n)
{
        size_t k = 1;
        for (size_t i = 0; i < n; i++)
                k += s[i] == '\n';
        return k;
}

/* Splits s into lines (pointers into a copy); returns the count. */
static char **split_lines(char *s, size_t *ret_n)
{
        size_t n = count_lines(s, strlen(s)), i = 0;
        char **v = xcalloc(n, sizeof(char *));
        for (char *p = s;; i++) {
                v[i] = p;
                char *nl = strchr(p, '\n');
                if (!nl)
                        break;
                *nl = '\0';
                p = nl + 1;
        }
        *ret_n = n;
        return v;
}

static void diff_line(PcBuf *b, char sign, size_t num, int width, const char *line)
{
        if (b->len)
                pc_buf_addch(b, '\n');
        if (num)
                pc_buf_addf(b, "%c%*zu %s", sign, width, num, line);
        else
                pc_buf_addf(b, "%c%*s %s", sign, width, "", line);
}

/* The diff of old → new where exactly one region differs. */
static char *make_diff(const char *old, const char *new, size_t *ret_first)
{
        _cleanup_free_ char *a = xstrdup(old), *b = xstrdup(new);
        size_t na, nb;
        _cleanup_free_ char **la = split_lines(a, &na);
        _cleanup_free_ char **lb = split_lines(b, &nb);
        size_t pre = 0;
        while (pre < na && pre < nb && streq(la[pre], lb[pre]))
                pre++;
        size_t suf = 0;
        while (suf < na - pre && suf < nb - pre && streq(la[na - 1 - suf], lb[nb - 1 - suf]))
                suf++;
        int width = snprintf(NULL, 0, "%zu", na > nb ? na : nb);
        _cleanup_buf_ PcBuf d = PC_BUF_INIT;
        size_t from = pre > CONTEXT_LINES ? pre - CONTEXT_LINES : 0;
        if (from > 0)
                diff_line(&d, ' ', 0, width, "...");
        for (size_t i = from; i < pre; i++)
                diff_line(&d, ' ', i + 1, width, la[i]);
        for (size_t i = pre; i < na - suf; i++)
                diff_line(&d, '-', i + 1, width, la[i]);
        for (size_t i = pre; i < nb - suf; i++)
                diff_line(&d, '+', i + 1, width, lb[i]);
        size_t to = nb - suf + CONTEXT_LINES < nb ? nb - suf + CONTEXT_LINES : nb;
        for (size_t i = nb - suf; i < to; i++)
                diff_line(&d, ' ', i + 1, width, lb[i]);
        if (to < nb)
                diff_line(&d, ' ', 0, width, "...");
        *ret_first = pre + 1;
        return pc_buf_detach(&d);
}

static const char *str_arg(const json_t *o, const char *a, const char *b)
{
        const char *s = json_string_value(json_object_get(o, a));
        return s ? s : json_string_value(json_object_get(o, b));
}

int pc_tool_edit(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *args = call->args;
        const char *path = str_arg(args, "path", "file_path");
        const char *old_text = str_arg(args, "oldText", "old_string");
        const char *new_text = str_arg(args, "newText", "new_string");
        const json_t *edits = json_object_get(args, "edits");
        if (!old_text && !new_text && json_is_array(edits) && json_array_size(edits) > 0) {
                const json_t *e0 = json_array_get(edits, 0);
                old_text = str_arg(e0, "oldText", "old_string");
                new_text = str_arg(e0, "newText", "new_string");
        }
        if (!path)
                return pc_error_set(reterr, -EINVAL, "edit: 'path' is required (a string)");
        if (!old_text)
                return pc_error_set(reterr, -EINVAL, "edit: 'oldText' is required (a string)");
        if (!new_text)
                return pc_error_set(reterr, -EINVAL, "edit: 'newText' is required (a string)");
        if (strlen(new_text) > PC_FS_WRITE_MAX || strlen(old_text) > PC_FS_WRITE_MAX)
                return pc_error_set(reterr, -E2BIG, "edit: the text is longer than %u bytes",
                                    PC_FS_WRITE_MAX);
        ret->bytes_in = strlen(old_text) + strlen(new_text);

        PcError ferr = PC_ERROR_INIT;
        _cleanup_fs_path_ PcFsPath p = PC_FS_PATH_INIT;
        _cleanup_free_ char *data = NULL, *msg = NULL;
        size_t len = 0;
        if (pc_fs_resolve(call, path, true, "edit", &p, &ferr) < 0 ||
            pc_fs_read(&p, "edit", path, PC_FS_READ_MAX, &data, &len, &ferr) < 0) {
                pc_fs_result_error(ret, &ferr);
                return 0;
        }
        if (memchr(data, '\0', len)) {
                msg = xasprintf("Cannot edit %s: it is a binary file (it contains NUL bytes)",
                                path);
                pc_tool_result_text(ret, msg, true);
                return 0;
        }
        /* the bytes as they are: text that is not valid UTF-8 stays as it was */
        const char *content = data;
        bool bom = startswith(content, "\xEF\xBB\xBF");
        if (bom)
                content += 3;
        const char *crlf = strstr(content, "\r\n"), *lf = strchr(content, '\n');
        bool use_crlf = lf && crlf && crlf < lf;
        _cleanup_free_ char *base = to_lf(content);
        _cleanup_free_ char *old_lf = to_lf(old_text);
        _cleanup_free_ char *new_lf = to_lf(new_text);

        const char *hit = *old_lf ? strstr(base, old_lf) : NULL;
        if (!hit) {
                msg = xasprintf("Could not find the exact text in %s. The old text must match "
                                "exactly including all whitespace and newlines.",
                                path);
                pc_tool_result_text(ret, msg, true);
                return 0;
        }
        size_t occ = 0, olen = strlen(old_lf);
        for (const char *s = base; (s = strstr(s, old_lf)); s += olen)
                occ++;
        if (occ > 1) {
                msg = xasprintf("Found %zu occurrences of the text in %s. The text must be unique. "
                                "Please provide more context to make it unique.",
                                occ, path);
                pc_tool_result_text(ret, msg, true);
                return 0;
        }
        _cleanup_buf_ PcBuf next = PC_BUF_INIT;
        pc_buf_add(&next, base, (size_t) (hit - base));
        pc_buf_addstr(&next, new_lf);
        pc_buf_addstr(&next, hit + olen);
        if (streq(next.buf, base)) {
                msg = xasprintf("No changes made to %s. The replacement produced identical "
                                "content. This might indicate an issue with special characters "
                                "or the text not existing as expected.",
                                path);
                pc_tool_result_text(ret, msg, true);
                return 0;
        }
        _cleanup_buf_ PcBuf final = PC_BUF_INIT;
        if (bom)
                pc_buf_addstr(&final, "\xEF\xBB\xBF");
        for (const char *s = next.buf; *s; s++) {
                if (*s == '\n' && use_crlf)
                        pc_buf_addch(&final, '\r');
                pc_buf_addch(&final, *s);
        }
        if (pc_fs_write(&p, path, final.buf, final.len, false, call->uid, call->gid, &ferr) < 0) {
                pc_fs_result_error(ret, &ferr);
                return 0;
        }
        ret->bytes_out = final.len;
        size_t first = 0;
        _cleanup_free_ char *raw_diff = make_diff(base, next.buf, &first);
        _cleanup_free_ char *diff = pc_utf8_sanitize(raw_diff, strlen(raw_diff));
        msg = xasprintf("Successfully replaced text in %s.", path);
        pc_tool_result_text(ret, msg, false);
        json_decref(ret->details);
        ret->details = json_pack("{s:s,s:I}", "diff", diff, "firstChangedLine", (json_int_t) first);
        return 0;
}
