/* SPDX-License-Identifier: MIT */
/*
 * read: a text file with line offset/limit, truncated at 2000 lines or 50 KB (spec 3.3), or an
 * image (png, jpeg, gif, webp by magic bytes) as an image block. Files go through fsroot.h.
 */
#include <inttypes.h>
#include <stdio.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "fsroot.h"
#include "tool.h"

#define PC_READ_MAX_LINES 2000
#define PC_READ_MAX_BYTES (50 * 1024)

static const char *image_mime(const unsigned char *d, size_t n)
{
        if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
                return "image/png";
        if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
                return "image/jpeg";
        if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
                return "image/gif";
        if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
                return "image/webp";
        return NULL;
}

static char *base64(const unsigned char *d, size_t n)
{
        static const char tbl[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) d[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t) d[i + 1] << 8;
                if (i + 2 < n)
                        v |= d[i + 2];
                *o++ = tbl[(v >> 18) & 63];
                *o++ = tbl[(v >> 12) & 63];
                *o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
                *o++ = i + 2 < n ? tbl[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

/* pi's formatSize() */
static void format_size(char *buf, size_t n, size_t bytes)
{
        if (bytes < 1024)
                snprintf(buf, n, "%zuB", bytes);
        else if (bytes < 1024 * 1024)
                snprintf(buf, n, "%.1fKB", (double) bytes / 1024.0);
        else
                snprintf(buf, n, "%.1fMB", (double) bytes / (1024.0 * 1024.0));
}

static int int_arg(const json_t *args, const char *key, int64_t *ret, PcError *reterr)
{
        const json_t *v = json_object_get(args, key);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1e12)
                return pc_error_set(reterr, -EINVAL, "read: '%s' must be a non-negative number",
                                    key);
        *ret = (int64_t) json_number_value(v);
        return 1;
}

int pc_tool_read(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *args = call->args;
        const char *path = json_string_value(json_object_get(args, "path"));
        if (!path)
                path = json_string_value(json_object_get(args, "file_path"));
        if (!path)
                return pc_error_set(reterr, -EINVAL, "read: 'path' is required (a string)");
        int64_t offset = 0, limit = -1;
        int has_offset = int_arg(args, "offset", &offset, reterr);
        if (has_offset < 0)
                return has_offset;
        int has_limit = int_arg(args, "limit", &limit, reterr);
        if (has_limit < 0)
                return has_limit;

        PcError ferr = PC_ERROR_INIT;
        _cleanup_fs_path_ PcFsPath p = PC_FS_PATH_INIT;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (pc_fs_resolve(call, path, false, "read", &p, &ferr) < 0 ||
            pc_fs_read(&p, "read", path, PC_FS_READ_MAX, &data, &len, &ferr) < 0) {
                pc_fs_result_error(ret, &ferr);
                return 0;
        }
        ret->bytes_out = len;

        const char *mime = image_mime((const unsigned char *) data, len);
        if (mime) {
                _cleanup_free_ char *b64 = base64((const unsigned char *) data, len);
                _cleanup_free_ char *text = xasprintf("Read image file [%s]", mime);
                json_decref(ret->content);
                ret->content = json_pack("[{s:s,s:s},{s:s,s:s,s:s}]", "type", "text", "text", text,
                                         "type", "image", "data", b64, "mimeType", mime);
                return 0;
        }

        _cleanup_free_ char *text = pc_utf8_sanitize(data, len);
        /* line starts */
        size_t total = 1;
        for (const char *c = text; (c = strchr(c, '\n')); c++)
                total++;
        size_t start = has_offset && offset > 0 ? (size_t) offset - 1 : 0;
        if (start >= total) {
                char msg[128];
                snprintf(msg, sizeof(msg),
                         "Offset %" PRId64 " is beyond end of file (%zu lines total)", offset,
                         total);
                pc_tool_result_text(ret, msg, true);
                return 0;
        }
        const char *sel = text;
        for (size_t i = 0; i < start; i++)
                sel = strchr(sel, '\n') + 1;
        size_t sel_lines = total - start;
        bool user_limited = has_limit > 0;
        if (user_limited && (uint64_t) limit < sel_lines)
                sel_lines = (size_t) limit;
        /* the selection's end */
        const char *sel_end = sel;
        for (size_t i = 0; i < sel_lines; i++) {
                const char *nl = strchr(sel_end, '\n');
                if (i + 1 == sel_lines || !nl) {
                        sel_end = nl ? nl : sel_end + strlen(sel_end);
                        break;
                }
                sel_end = nl + 1;
        }
        if (sel_lines == 0)
                sel_end = sel;
        size_t sel_bytes = (size_t) (sel_end - sel);

        /* pi's truncateHead() */
        size_t out_lines = 0, out_bytes = 0;
        const char *truncated_by = NULL;
        bool first_too_long = false;
        if (sel_lines > PC_READ_MAX_LINES || sel_bytes > PC_READ_MAX_BYTES) {
                const char *l = sel;
                for (size_t i = 0; i < sel_lines; i++) {
                        if (i >= PC_READ_MAX_LINES) {
                                truncated_by = "lines";
                                break;
                        }
                        const char *nl = memchr(l, '\n', (size_t) (sel_end - l));
                        size_t lb = (size_t) ((nl ? nl : sel_end) - l) + (i > 0 ? 1 : 0);
                        if (out_bytes + lb > PC_READ_MAX_BYTES) {
                                truncated_by = "bytes";
                                if (i == 0)
                                        first_too_long = true;
                                break;
                        }
                        out_bytes += lb;
                        out_lines++;
                        l = nl ? nl + 1 : sel_end;
                }
        }

        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        char maxs[32];
        format_size(maxs, sizeof(maxs), PC_READ_MAX_BYTES);
        size_t start_disp = start + 1;
        if (first_too_long) {
                const char *nl = strchr(sel, '\n');
                char firsts[32];
                format_size(firsts, sizeof(firsts), nl ? (size_t) (nl - sel) : strlen(sel));
                pc_buf_addf(&out,
                            "[Line %zu is %s, exceeds %s limit. Use bash: sed -n '%zup' %s | head "
                            "-c %d]",
                            start_disp, firsts, maxs, start_disp, path, PC_READ_MAX_BYTES);
        } else if (truncated_by) {
                size_t end_disp = start_disp + out_lines - 1;
                pc_buf_add(&out, sel, out_bytes);
                if (streq(truncated_by, "lines"))
                        pc_buf_addf(&out,
                                    "\n\n[Showing lines %zu-%zu of %zu. Use offset=%zu to "
                                    "continue.]",
                                    start_disp, end_disp, total, end_disp + 1);
                else
                        pc_buf_addf(&out,
                                    "\n\n[Showing lines %zu-%zu of %zu (%s limit). Use offset=%zu "
                                    "to continue.]",
                                    start_disp, end_disp, total, maxs, end_disp + 1);
        } else {
                pc_buf_add(&out, sel, sel_bytes);
                if (user_limited && start + sel_lines < total)
                        pc_buf_addf(&out,
                                    "\n\n[%zu more lines in file. Use offset=%zu to continue.]",
                                    total - (start + sel_lines), start + sel_lines + 1);
        }
        pc_tool_result_text(ret, out.buf, false);
        if (truncated_by) {
                json_decref(ret->details);
                ret->details = json_pack(
                        "{s:{s:b,s:s,s:I,s:I,s:I,s:I,s:b,s:b,s:i,s:i}}", "truncation", "truncated",
                        1, "truncatedBy", truncated_by, "totalLines", (json_int_t) sel_lines,
                        "totalBytes", (json_int_t) sel_bytes, "outputLines", (json_int_t) out_lines,
                        "outputBytes", (json_int_t) out_bytes, "lastLinePartial", 0,
                        "firstLineExceedsLimit", first_too_long, "maxLines", PC_READ_MAX_LINES,
                        "maxBytes", PC_READ_MAX_BYTES);
        }
        return 0;
}
