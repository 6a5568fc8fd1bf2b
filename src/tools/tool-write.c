/* SPDX-License-Identifier: MIT */
/*
 * write: {path, content} creates parent directories and replaces the file atomically (spec
 * 3.3, fsroot.h). Text "Successfully wrote <content.length> bytes to <path>", no details;
 * content.length counts UTF-16 code units as JavaScript does.
 */
#include <stdio.h>

#include "base/alloc.h"
#include "fsroot.h"
#include "tool.h"

int pc_tool_write(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *args = call->args;
        const char *path = json_string_value(json_object_get(args, "path"));
        if (!path)
                path = json_string_value(json_object_get(args, "file_path"));
        if (!path)
                return pc_error_set(reterr, -EINVAL, "write: 'path' is required (a string)");
        const json_t *c = json_object_get(args, "content");
        if (!json_is_string(c))
                return pc_error_set(reterr, -EINVAL, "write: 'content' is required (a string)");
        const char *content = json_string_value(c);
        size_t len = json_string_length(c);
        ret->bytes_in = len;
        if (len > PC_FS_WRITE_MAX)
                return pc_error_set(reterr, -E2BIG,
                                    "write: 'content' is %zu bytes; the limit is %u bytes", len,
                                    PC_FS_WRITE_MAX);

        PcError ferr = PC_ERROR_INIT;
        _cleanup_fs_path_ PcFsPath p = PC_FS_PATH_INIT;
        if (pc_fs_resolve(call, path, true, "write", &p, &ferr) < 0 ||
            pc_fs_write(&p, path, content, len, true, call->uid, call->gid, &ferr) < 0) {
                pc_fs_result_error(ret, &ferr);
                return 0;
        }
        _cleanup_free_ char *text = xasprintf("Successfully wrote %zu bytes to %s",
                                              pc_fs_utf16_length(content, len), path);
        pc_tool_result_text(ret, text, false);
        return 0;
}
