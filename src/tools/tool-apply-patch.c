/* SPDX-License-Identifier: MIT */
/*
 * apply_patch: {input} (spec 3.4). The patch is parsed completely (patch.h) and every path it
 * names (including "*** Move to:") is resolved and checked against the roots, and where the
 * kernel would take it (pc_fs_check: symlinks, nested mounts, missing files), before anything
 * is written, so a patch with one escaping, read-only or missing path changes nothing. The hunks
 * are then applied in order, each file written atomically (fsroot.h); a hunk that fails to apply
 * (context not found) stops the patch with the files before it already changed, as OpenClaw.
 */
#include "base/alloc.h"
#include "base/buf.h"
#include "fsroot.h"
#include "patch.h"
#include "tool.h"

static void patch_releasep(PcPatch *p)
{
        pc_patch_release(p);
}

/* Whether an earlier hunk creates hunk i's path (an add, or a move to it): the file need not
 * exist before the patch. */
static bool made_earlier(const PcPatch *patch, size_t i)
{
        const char *path = patch->hunks[i].path;
        for (size_t j = 0; j < i; j++) {
                const PcPatchHunk *h = &patch->hunks[j];
                if ((h->kind == PC_PATCH_ADD && streq(h->path, path)) ||
                    (h->move_to && streq(h->move_to, path)))
                        return true;
        }
        return false;
}

static int fail(PcToolResult *ret, const PcError *e)
{
        pc_fs_result_error(ret, e);
        return 0;
}

int pc_tool_apply_patch(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *in = json_object_get(call->args, "input");
        if (!json_is_string(in))
                return pc_error_set(reterr, -EINVAL,
                                    "apply_patch: 'input' is required (a string with the patch)");
        const char *input = json_string_value(in);
        size_t len = json_string_length(in);
        ret->bytes_in = len;
        if (len > PC_PATCH_MAX_SIZE)
                return pc_error_set(reterr, -E2BIG,
                                    "apply_patch: the patch is %zu bytes; the limit is %u bytes",
                                    len, PC_PATCH_MAX_SIZE);

        PcError ferr = PC_ERROR_INIT;
        _cleanup_(patch_releasep) PcPatch patch = {0};
        if (pc_patch_parse(input, len, &patch, &ferr) < 0)
                return fail(ret, &ferr);
        if (patch.n_hunks == 0)
                return pc_tool_result_text(ret, "No files were modified.", true), 0;

        /* check every path first: nothing is written if one is refused (the root fds are
         * not kept: a patch may name 1000 files) */
        size_t n = patch.n_hunks;
        int r = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                const PcPatchHunk *h = &patch.hunks[i];
                _cleanup_fs_path_ PcFsPath a = PC_FS_PATH_INIT, b = PC_FS_PATH_INIT;
                r = pc_fs_resolve(call, h->path, true, "apply patch", &a, &ferr);
                if (r >= 0 && h->move_to)
                        r = pc_fs_resolve(call, h->move_to, true, "apply patch", &b, &ferr);
                /* and where the kernel would take them: a symlink that leaves the root is
                 * found now, not after the earlier hunks were written */
                if (r >= 0 && h->kind == PC_PATCH_ADD)
                        r = pc_fs_check(&a, PC_FS_CHECK_TARGET, "write", h->path, &ferr);
                else if (r >= 0 && made_earlier(&patch, i))
                        r = pc_fs_check(&a, PC_FS_CHECK_TARGET, "write", h->path, &ferr);
                else if (r >= 0 && h->kind == PC_PATCH_DELETE)
                        r = pc_fs_check(&a, PC_FS_CHECK_NAME, "delete", h->path, &ferr);
                else if (r >= 0)
                        r = pc_fs_check(&a, PC_FS_CHECK_FILE, "apply patch", h->path, &ferr);
                if (r >= 0 && h->move_to)
                        r = pc_fs_check(&b, PC_FS_CHECK_TARGET, "write", h->move_to, &ferr);
        }

        json_t *added = json_array(), *modified = json_array(), *deleted = json_array();
        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        pc_buf_addstr(&text, "Success. Updated the following files:");
        for (size_t i = 0; i < n && r >= 0; i++) {
                const PcPatchHunk *h = &patch.hunks[i];
                _cleanup_fs_path_ PcFsPath src = PC_FS_PATH_INIT, dst = PC_FS_PATH_INIT;
                r = pc_fs_resolve(call, h->path, true, "apply patch", &src, &ferr);
                if (r >= 0 && h->move_to)
                        r = pc_fs_resolve(call, h->move_to, true, "apply patch", &dst, &ferr);
                if (r < 0)
                        break;
                if (h->kind == PC_PATCH_ADD) {
                        r = pc_fs_write(&src, h->path, h->contents, strlen(h->contents), true,
                                        call->uid, call->gid, &ferr);
                        if (r >= 0) {
                                json_array_append_new(added, json_string(h->path));
                                pc_buf_addf(&text, "\nA %s", h->path);
                                ret->bytes_out += strlen(h->contents);
                        }
                } else if (h->kind == PC_PATCH_DELETE) {
                        r = pc_fs_unlink(&src, h->path, &ferr);
                        if (r >= 0) {
                                json_array_append_new(deleted, json_string(h->path));
                                pc_buf_addf(&text, "\nD %s", h->path);
                        }
                } else {
                        _cleanup_free_ char *old = NULL, *next = NULL;
                        size_t olen = 0;
                        r = pc_fs_read(&src, "apply patch", h->path, PC_FS_READ_MAX, &old, &olen,
                                       &ferr);
                        if (r >= 0 && memchr(old, '\0', olen))
                                r = pc_error_set(&ferr, -EINVAL,
                                                 "Cannot patch %s: it is a binary file", h->path);
                        if (r >= 0)
                                r = pc_patch_apply_update(old, h, h->path, &next, &ferr);
                        const char *target = h->move_to ? h->move_to : h->path;
                        const PcFsPath *tp = h->move_to ? &dst : &src;
                        if (r >= 0)
                                r = pc_fs_write(tp, target, next, strlen(next), true, call->uid,
                                                call->gid, &ferr);
                        if (r >= 0 && h->move_to && !streq(src.view, dst.view))
                                r = pc_fs_unlink(&src, h->path, &ferr);
                        if (r >= 0) {
                                json_array_append_new(modified, json_string(target));
                                pc_buf_addf(&text, "\nM %s", target);
                                ret->bytes_out += strlen(next);
                        }
                }
        }
        if (r < 0) {
                json_decref(added);
                json_decref(modified);
                json_decref(deleted);
                return fail(ret, &ferr);
        }
        pc_tool_result_text(ret, text.buf, false);
        json_decref(ret->details);
        ret->details = json_pack("{s:{s:o,s:o,s:o}}", "summary", "added", added, "modified",
                                 modified, "deleted", deleted);
        return 0;
}
