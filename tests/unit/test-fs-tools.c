/* SPDX-License-Identifier: MIT */
/*
 * The file tools (read, write, edit, apply_patch) against spec 3.3, 3.4 and 3.15 with exact
 * texts, the kernel confinement (escapes through `..`, absolute paths, symlinks, symlinked
 * parents, hard links, read-only roots, a file swapped for a symlink while in use) and
 * atomic writes (a writer killed mid-write leaves the old or the new content).
 */
#include "test-util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "tools/fsroot.h"
#include "tools/patch.h"
#include "tools/tool.h"

static char tmpdir[256];
static char rootdir[300];
static char rodir[300];
static char outdir[300];
static PcToolRoot roots[2];
static PcToolCall call;

static void rm_rf(const char *p)
{
        char *cmd = xasprintf("rm -rf '%s'", p);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

static int setup(void **state)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/pc-fs-tools-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
        snprintf(rootdir, sizeof(rootdir), "%s/ws", tmpdir);
        snprintf(rodir, sizeof(rodir), "%s/ro", tmpdir);
        snprintf(outdir, sizeof(outdir), "%s/outside", tmpdir);
        assert_int_equal(mkdir(rootdir, 0755), 0);
        assert_int_equal(mkdir(rodir, 0755), 0);
        assert_int_equal(mkdir(outdir, 0755), 0);
        roots[0] = (PcToolRoot){.view = "/workspace", .host = rootdir, .writable = true};
        roots[1] = (PcToolRoot){.view = "/workspace/ro", .host = rodir, .writable = false};
        call = (PcToolCall){
                .tool = "read",
                .roots = roots,
                .n_roots = 2,
                .cwd = "/workspace",
                .uid = -1,
                .gid = -1,
        };
        return 0;
}

static int teardown(void **state)
{
        rm_rf(tmpdir);
        return 0;
}

static char *host_path(const char *rel)
{
        return xasprintf("%s/%s", rootdir, rel);
}

static void put(const char *rel, const char *content)
{
        _cleanup_free_ char *p = host_path(rel);
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        fwrite(content, 1, strlen(content), f);
        fclose(f);
}

static char *get(const char *rel)
{
        _cleanup_free_ char *p = host_path(rel);
        return test_read_file(p, NULL);
}

/* Runs a tool with args (a JSON text); returns the first text block (owned). */
static char *run(PcToolFn fn, const char *json, bool *is_error, json_t **details)
{
        json_error_t jerr;
        json_t *args = json_loads(json, 0, &jerr);
        assert_non_null(args);
        call.args = args;
        PcToolResult r;
        pc_tool_result_init(&r);
        PcError err = PC_ERROR_INIT;
        int k = fn(&call, &r, &err);
        if (k < 0)
                fail_msg("tool failed: %s", err.msg);
        assert_non_null(r.content);
        char *text =
                xstrdup(json_string_value(json_object_get(json_array_get(r.content, 0), "text")));
        if (is_error)
                *is_error = r.is_error;
        if (details)
                *details = r.details ? json_incref(r.details) : NULL;
        pc_tool_result_release(&r);
        json_decref(args);
        return text;
}

static void expect(PcToolFn fn, const char *json, bool want_error, const char *want)
{
        bool is_error = false;
        _cleanup_free_ char *text = run(fn, json, &is_error, NULL);
        assert_string_equal(text, want);
        assert_int_equal(is_error, want_error);
}

static void expect_prefix(PcToolFn fn, const char *json, bool want_error, const char *want)
{
        bool is_error = false;
        _cleanup_free_ char *text = run(fn, json, &is_error, NULL);
        if (!startswith(text, want))
                fail_msg("got '%s', want a text starting with '%s'", text, want);
        assert_int_equal(is_error, want_error);
}

/* --- read ------------------------------------------------------------------------------ */

static void test_read_basic(void **state)
{
        put("a.txt", "one\ntwo\nthree\nfour\n");
        expect(pc_tool_read, "{\"path\":\"a.txt\"}", false, "one\ntwo\nthree\nfour\n");
        expect(pc_tool_read, "{\"path\":\"@/workspace/a.txt\"}", false, "one\ntwo\nthree\nfour\n");
        expect(pc_tool_read, "{\"file_path\":\"./sub/../a.txt\"}", false,
               "one\ntwo\nthree\nfour\n");
        expect(pc_tool_read, "{\"path\":\"a.txt\",\"offset\":2,\"limit\":2}", false,
               "two\nthree\n\n[2 more lines in file. Use offset=4 to continue.]");
        expect(pc_tool_read, "{\"path\":\"a.txt\",\"offset\":4}", false, "four\n");
        expect(pc_tool_read, "{\"path\":\"a.txt\",\"offset\":9}", true,
               "Offset 9 is beyond end of file (5 lines total)");
        expect(pc_tool_read, "{\"path\":\"missing.txt\"}", true, "File not found: missing.txt");
}

static void test_read_truncation(void **state)
{
        PcBuf b = PC_BUF_INIT;
        for (int i = 1; i <= 2500; i++)
                pc_buf_addf(&b, "l%d\n", i);
        put("long.txt", b.buf);
        bool is_error;
        json_t *details = NULL;
        _cleanup_free_ char *t = run(pc_tool_read, "{\"path\":\"long.txt\"}", &is_error, &details);
        assert_false(is_error);
        const char *notice = "\n\n[Showing lines 1-2000 of 2501. Use offset=2001 to continue.]";
        assert_true(strlen(t) > strlen(notice));
        assert_string_equal(t + strlen(t) - strlen(notice), notice);
        assert_true(startswith(t, "l1\nl2\n"));
        assert_non_null(details);
        assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(details, "truncation"), "truncatedBy")),
                            "lines");
        json_decref(details);

        /* 50 KB: 100 lines of 1000 bytes */
        pc_buf_reset(&b);
        for (int i = 0; i < 100; i++) {
                for (int j = 0; j < 999; j++)
                        pc_buf_addch(&b, 'x');
                pc_buf_addch(&b, '\n');
        }
        put("wide.txt", b.buf);
        _cleanup_free_ char *w = run(pc_tool_read, "{\"path\":\"wide.txt\"}", &is_error, NULL);
        const char *wn =
                "\n\n[Showing lines 1-51 of 101 (50.0KB limit). Use offset=52 to continue.]";
        assert_string_equal(w + strlen(w) - strlen(wn), wn);
        assert_int_equal(strlen(w) - strlen(wn), 51 * 1000 - 1);

        /* one line longer than 50 KB */
        pc_buf_reset(&b);
        for (int j = 0; j < 60000; j++)
                pc_buf_addch(&b, 'y');
        put("one.txt", b.buf);
        expect(pc_tool_read, "{\"path\":\"one.txt\"}", false,
               "[Line 1 is 58.6KB, exceeds 50.0KB limit. Use bash: sed -n '1p' one.txt | head -c "
               "51200]");
        pc_buf_release(&b);
}

static void test_read_image(void **state)
{
        put("x.png", "\x89PNG\r\n\x1a\nabc");
        bool is_error;
        json_error_t jerr;
        json_t *args = json_loads("{\"path\":\"x.png\"}", 0, &jerr);
        call.args = args;
        PcToolResult r;
        pc_tool_result_init(&r);
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_tool_read(&call, &r, &err), 0);
        is_error = r.is_error;
        assert_false(is_error);
        assert_string_equal(
                json_string_value(json_object_get(json_array_get(r.content, 0), "text")),
                "Read image file [image/png]");
        assert_string_equal(
                json_string_value(json_object_get(json_array_get(r.content, 1), "mimeType")),
                "image/png");
        assert_string_equal(
                json_string_value(json_object_get(json_array_get(r.content, 1), "data")),
                "iVBORw0KGgphYmM=");
        pc_tool_result_release(&r);
        json_decref(args);
}

static void test_read_too_large(void **state)
{
        _cleanup_free_ char *p = host_path("huge.bin");
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, PC_FS_READ_MAX + 1), 0);
        close(fd);
        expect_prefix(pc_tool_read, "{\"path\":\"huge.bin\"}", true,
                      "File too large: huge.bin is 16777217 bytes; the limit is 16777216 bytes");
}

/* --- write ----------------------------------------------------------------------------- */

static void test_write(void **state)
{
        expect(pc_tool_write, "{\"path\":\"d1/d2/new.txt\",\"content\":\"hello\"}", false,
               "Successfully wrote 5 bytes to d1/d2/new.txt");
        _cleanup_free_ char *c = get("d1/d2/new.txt");
        assert_string_equal(c, "hello");
        /* JavaScript's length: "é" is 1, an emoji is 2 */
        expect(pc_tool_write,
               "{\"path\":\"/workspace/u.txt\",\"content\":\"\\u00e9\\ud83d\\ude00\"}", false,
               "Successfully wrote 3 bytes to /workspace/u.txt");
        /* a new file gets 0666 & ~umask */
        _cleanup_free_ char *p = host_path("d1/d2/new.txt");
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        mode_t um = umask(022);
        umask(um);
        assert_int_equal(st.st_mode & 07777, 0666 & ~um);
        /* the mode of an existing file is kept */
        assert_int_equal(chmod(p, 0750), 0);
        expect(pc_tool_write, "{\"path\":\"d1/d2/new.txt\",\"content\":\"again\"}", false,
               "Successfully wrote 5 bytes to d1/d2/new.txt");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        /* no temp files are left behind */
        _cleanup_free_ char *cmd = xasprintf("ls -A '%s/d1/d2' | grep -c pincer-tmp", rootdir);
        FILE *f = popen(cmd, "r");
        char line[16] = "";
        assert_non_null(fgets(line, sizeof(line), f));
        pclose(f);
        assert_string_equal(line, "0\n");
}

static void test_write_owner(void **state)
{
        if (geteuid() != 0) {
                print_message("skipped the owner check: needs root to chown\n");
                return;
        }
        /* the workspace belongs to the sandbox user, as it does in a sandbox */
        assert_int_equal(chown(rootdir, 12345, 23456), 0);
        call.uid = 12345;
        call.gid = 23456;
        expect(pc_tool_write, "{\"path\":\"o/owned.txt\",\"content\":\"x\"}", false,
               "Successfully wrote 1 bytes to o/owned.txt");
        call.uid = call.gid = -1;
        _cleanup_free_ char *p = host_path("o/owned.txt"), *o = host_path("o");
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_uid, 12345);
        assert_int_equal(st.st_gid, 23456);
        assert_int_equal(stat(o, &st), 0);
        assert_int_equal(st.st_uid, 12345);
        /* an existing file keeps its owner */
        expect(pc_tool_write, "{\"path\":\"o/owned.txt\",\"content\":\"yy\"}", false,
               "Successfully wrote 2 bytes to o/owned.txt");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_uid, 12345);

        /* the accesses are the sandbox user's: what it cannot read or write, the tools
         * cannot either (the gateway's root rights are not lent to the model) */
        put("rootonly.txt", "secret\n");
        _cleanup_free_ char *ro = host_path("rootonly.txt"), *rd = host_path("rootdir");
        assert_int_equal(chmod(ro, 0600), 0);
        assert_int_equal(mkdir(rd, 0755), 0);
        put("mine.txt", "mine\n"); /* root's, 0644, in the user's directory */
        call.uid = 12345;
        call.gid = 23456;
        expect(pc_tool_read, "{\"path\":\"rootonly.txt\"}", true,
               "Permission denied; cannot read: rootonly.txt");
        expect(pc_tool_write, "{\"path\":\"rootdir/x\",\"content\":\"x\"}", true,
               "Permission denied; cannot write: rootdir/x");
        expect(pc_tool_write, "{\"path\":\"rootdir/sub/x\",\"content\":\"x\"}", true,
               "Permission denied; cannot write: rootdir/sub/x");
        expect(pc_tool_read, "{\"path\":\"mine.txt\"}", false, "mine\n");
        /* replacing a file in a directory the user may write is the user's right; the file
         * keeps its owner (root's step) */
        expect(pc_tool_write, "{\"path\":\"mine.txt\",\"content\":\"new\"}", false,
               "Successfully wrote 3 bytes to mine.txt");
        call.uid = call.gid = -1;
        _cleanup_free_ char *m = host_path("mine.txt");
        assert_int_equal(stat(m, &st), 0);
        assert_int_equal(st.st_uid, 0);
        /* the thread's identity is root's again */
        assert_int_equal(setfsuid((uid_t) -1), 0);
        assert_int_equal(setfsgid((gid_t) -1), 0);
        _cleanup_free_ char *back = get("rootonly.txt");
        assert_string_equal(back, "secret\n");
}

/* --- edit ------------------------------------------------------------------------------ */

static void test_edit(void **state)
{
        put("e.txt", "alpha\nbeta\ngamma\nbeta\n");
        expect(pc_tool_edit, "{\"path\":\"nope.txt\",\"oldText\":\"a\",\"newText\":\"b\"}", true,
               "File not found: nope.txt");
        expect(pc_tool_edit, "{\"path\":\"e.txt\",\"oldText\":\"delta\",\"newText\":\"x\"}", true,
               "Could not find the exact text in e.txt. The old text must match exactly "
               "including all whitespace and newlines.");
        expect(pc_tool_edit, "{\"path\":\"e.txt\",\"oldText\":\"beta\",\"newText\":\"x\"}", true,
               "Found 2 occurrences of the text in e.txt. The text must be unique. Please provide "
               "more context to make it unique.");
        expect(pc_tool_edit, "{\"path\":\"e.txt\",\"oldText\":\"alpha\",\"newText\":\"alpha\"}",
               true,
               "No changes made to e.txt. The replacement produced identical content. This might "
               "indicate an issue with special characters or the text not existing as expected.");
        bool is_error;
        json_t *details = NULL;
        _cleanup_free_ char *t = run(pc_tool_edit,
                                     "{\"file_path\":\"e.txt\",\"old_string\":\"gamma\\n\",\"new_"
                                     "string\":\"G1\\nG2\\n\"}",
                                     &is_error, &details);
        assert_false(is_error);
        assert_string_equal(t, "Successfully replaced text in e.txt.");
        assert_int_equal(json_integer_value(json_object_get(details, "firstChangedLine")), 3);
        assert_string_equal(json_string_value(json_object_get(details, "diff")),
                            " 1 alpha\n 2 beta\n-3 gamma\n+3 G1\n+4 G2\n 5 beta\n 6 ");
        json_decref(details);
        _cleanup_free_ char *c = get("e.txt");
        assert_string_equal(c, "alpha\nbeta\nG1\nG2\nbeta\n");
}

static void test_edit_bom_crlf(void **state)
{
        put("w.txt", "\xEF\xBB\xBFone\r\ntwo\r\nthree\r\n");
        expect(pc_tool_edit, "{\"path\":\"w.txt\",\"oldText\":\"one\\ntwo\",\"newText\":\"1\\n2\"}",
               false, "Successfully replaced text in w.txt.");
        _cleanup_free_ char *c = get("w.txt");
        assert_string_equal(c, "\xEF\xBB\xBF"
                               "1\r\n2\r\nthree\r\n");
        /* edits[0] is hoisted; newText may be empty */
        expect(pc_tool_edit,
               "{\"path\":\"w.txt\",\"edits\":[{\"oldText\":\"2\\r\\n\",\"newText\":\"\"}]}", false,
               "Successfully replaced text in w.txt.");
        _cleanup_free_ char *d = get("w.txt");
        assert_string_equal(d, "\xEF\xBB\xBF"
                               "1\r\nthree\r\n");
}

static void test_edit_raw_bytes(void **state)
{
        /* bytes that are not UTF-8 elsewhere in the file are kept as they are */
        put("raw.txt", "\xff\xfe keep\nchange me\n");
        expect(pc_tool_edit,
               "{\"path\":\"raw.txt\",\"oldText\":\"change\",\"newText\":\"changed\"}", false,
               "Successfully replaced text in raw.txt.");
        _cleanup_free_ char *c = get("raw.txt");
        assert_string_equal(c, "\xff\xfe keep\nchanged me\n");
        _cleanup_free_ char *p = host_path("bin.dat");
        FILE *f = fopen(p, "wb");
        fwrite("a\0b", 1, 3, f);
        fclose(f);
        expect(pc_tool_edit, "{\"path\":\"bin.dat\",\"oldText\":\"a\",\"newText\":\"b\"}", true,
               "Cannot edit bin.dat: it is a binary file (it contains NUL bytes)");
}

/* --- apply_patch ----------------------------------------------------------------------- */

static void test_patch(void **state)
{
        put("m.txt", "a\nb\nc\nd\n");
        put("del.txt", "bye\n");
        put("mv.txt", "x\ny\n");
        bool is_error;
        json_t *details = NULL;
        _cleanup_free_ char *t =
                run(pc_tool_apply_patch,
                    "{\"input\":\"*** Begin Patch\\n*** Add File: new/n.txt\\n+hello\\n+world\\n"
                    "*** Update File: m.txt\\n@@ a\\n b\\n-c\\n+C\\n d\\n"
                    "*** Delete File: del.txt\\n"
                    "*** Update File: mv.txt\\n*** Move to: moved/mv2.txt\\n@@\\n x\\n-y\\n+Y\\n"
                    "*** End of File\\n*** End Patch\"}",
                    &is_error, &details);
        assert_false(is_error);
        assert_string_equal(t, "Success. Updated the following files:\nA new/n.txt\nM m.txt\nD "
                               "del.txt\nM moved/mv2.txt");
        char *dj = json_dumps(details, JSON_COMPACT);
        assert_string_equal(dj, "{\"summary\":{\"added\":[\"new/n.txt\"],\"modified\":[\"m.txt\","
                                "\"moved/mv2.txt\"],\"deleted\":[\"del.txt\"]}}");
        free(dj);
        json_decref(details);
        _cleanup_free_ char *n = get("new/n.txt"), *m = get("m.txt"), *del = get("del.txt"),
                            *mv = get("mv.txt"), *mv2 = get("moved/mv2.txt");
        assert_string_equal(n, "hello\nworld\n");
        assert_string_equal(m, "a\nb\nC\nd\n");
        assert_null(del);
        assert_null(mv);
        assert_string_equal(mv2, "x\nY\n");

        /* the heredoc wrapper */
        expect(pc_tool_apply_patch,
               "{\"input\":\"<<'EOF'\\n*** Begin Patch\\n*** Add File: h.txt\\n+h\\n*** End "
               "Patch\\nEOF\\n\"}",
               false, "Success. Updated the following files:\nA h.txt");
}

static void test_patch_errors(void **state)
{
        expect(pc_tool_apply_patch, "{\"input\":\"hello\"}", true,
               "The first line of the patch must be '*** Begin Patch'");
        expect(pc_tool_apply_patch, "{\"input\":\"*** Begin Patch\\n*** End Patch\"}", true,
               "No files were modified.");
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Frob File: x\\n*** End Patch\"}", true,
               "Invalid patch hunk at line 2: '*** Frob File: x' is not a valid hunk header. Valid "
               "hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: "
               "{path}'");
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Update File: m.txt\\n*** End Patch\"}", true,
               "Invalid patch hunk at line 2: Update file hunk for path 'm.txt' is empty");
        expect(pc_tool_apply_patch, "{\"input\":\"*** Begin Patch\\n*** Delete File: x\"}", true,
               "The last line of the patch must be '*** End Patch'");
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Update File: x\\nfoo\\n*** End Patch\"}", true,
               "Invalid patch hunk at line 3: Unexpected line found in update hunk: 'foo'. Every "
               "line should start with ' ' (context line), '+' (added line), or '-' (removed "
               "line)");
        put("p.txt", "one\n");
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Update File: p.txt\\n@@ nope\\n-one\\n+1\\n*** "
               "End Patch\"}",
               true, "Failed to find context 'nope' in p.txt");
        /* a move into the read-only root is refused before anything changes */
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Add File: z.txt\\n+z\\n*** Update File: "
               "p.txt\\n*** Move to: "
               "/workspace/ro/p.txt\\n@@\\n-one\\n+1\\n*** End Patch\"}",
               true, "Sandbox path is read-only; cannot apply patch: /workspace/ro/p.txt");
        _cleanup_free_ char *z = get("z.txt"), *pt = get("p.txt");
        assert_null(z);
        assert_string_equal(pt, "one\n");
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Update File: p.txt\\n@@\\n-two\\n+2\\n*** End "
               "Patch\"}",
               true, "Failed to find expected lines in p.txt:\ntwo");
        /* an escaping path anywhere in the patch: nothing is written */
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Add File: first.txt\\n+x\\n*** Add File: "
               "../outside/evil.txt\\n+x\\n*** End Patch\"}",
               true,
               "Path escapes sandbox root (/workspace): ../outside/evil.txt. Use a path under "
               "/workspace/ instead.");
        _cleanup_free_ char *first = get("first.txt");
        assert_null(first);
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Add File: /etc/pincer-evil\\n+x\\n*** End "
               "Patch\"}",
               true,
               "Path escapes sandbox root (/workspace): /etc/pincer-evil. Use a path under "
               "/workspace/ instead.");
        assert_int_equal(access("/etc/pincer-evil", F_OK), -1);
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Add File: ro/x.txt\\n+x\\n*** End Patch\"}",
               true, "Sandbox path is read-only; cannot apply patch: ro/x.txt");
}

static void test_patch_parser(void **state)
{
        PcPatch p;
        PcError err = PC_ERROR_INIT;
        const char *src = "*** Begin Patch\n*** Update File: f\n@@ ctx\n a\n-b\n+c\n\n@@\n+z\n*** "
                          "End of File\n*** End Patch\n";
        assert_int_equal(pc_patch_parse(src, strlen(src), &p, &err), 0);
        assert_int_equal(p.n_hunks, 1);
        assert_int_equal(p.hunks[0].n_chunks, 2);
        assert_string_equal(p.hunks[0].chunks[0].context, "ctx");
        assert_true(p.hunks[0].chunks[1].eof);
        char *out = NULL;
        assert_int_equal(pc_patch_apply_update("q\nctx\na\nb\n\nr\n", &p.hunks[0], "f", &out, &err),
                         0);
        assert_string_equal(out, "q\nctx\na\nc\n\nr\nz\n");
        free(out);
        pc_patch_release(&p);

        /* too many files */
        PcBuf b = PC_BUF_INIT;
        pc_buf_addstr(&b, "*** Begin Patch\n");
        for (int i = 0; i <= PC_PATCH_MAX_FILES; i++)
                pc_buf_addf(&b, "*** Delete File: f%d\n", i);
        pc_buf_addstr(&b, "*** End Patch\n");
        assert_int_equal(pc_patch_parse(b.buf, b.len, &p, &err), -E2BIG);
        assert_string_equal(err.msg, "The patch changes more than 1000 files; split it");
        pc_buf_release(&b);
}

static void test_patch_many_files(void **state)
{
        PcBuf b = PC_BUF_INIT;
        pc_buf_addstr(&b, "*** Begin Patch\n");
        for (int i = 0; i < PC_PATCH_MAX_FILES; i++)
                pc_buf_addf(&b, "*** Add File: many/f%d\n+%d\n", i, i);
        pc_buf_addstr(&b, "*** End Patch\n");
        json_t *args = json_pack("{s:s}", "input", b.buf);
        call.args = args;
        PcToolResult r;
        pc_tool_result_init(&r);
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_tool_apply_patch(&call, &r, &err), 0);
        assert_false(r.is_error);
        assert_int_equal(
                json_array_size(json_object_get(json_object_get(r.details, "summary"), "added")),
                PC_PATCH_MAX_FILES);
        pc_tool_result_release(&r);
        json_decref(args);
        pc_buf_release(&b);
        _cleanup_free_ char *last = get("many/f999");
        assert_string_equal(last, "999\n");
}

/* --- confinement ----------------------------------------------------------------------- */

static void test_escapes(void **state)
{
#define ESC "Path escapes sandbox root (/workspace): %s. Use a path under /workspace/ instead."
        char want[512];
        snprintf(want, sizeof(want), ESC, "../outside/x");
        expect(pc_tool_read, "{\"path\":\"../outside/x\"}", true, want);
        snprintf(want, sizeof(want), ESC, "/etc/passwd");
        expect(pc_tool_read, "{\"path\":\"/etc/passwd\"}", true, want);
        snprintf(want, sizeof(want), ESC, "/workspace/../etc/passwd");
        expect(pc_tool_write, "{\"path\":\"/workspace/../etc/passwd\",\"content\":\"x\"}", true,
               want);
        snprintf(want, sizeof(want), ESC, "/workspacex/a");
        expect(pc_tool_read, "{\"path\":\"/workspacex/a\"}", true, want);

        /* the sandbox wording */
        call.lease = (PcSandboxLease *) &call; /* only compared with NULL */
        expect(pc_tool_read, "{\"path\":\"/etc/passwd\"}", true,
               "Sandbox path escapes allowed mounts; cannot read: /etc/passwd. The file tools "
               "reach only the sandbox's mounts (/workspace, /workspace/ro); use exec for other "
               "paths inside the sandbox");
        expect(pc_tool_write, "{\"path\":\"/tmp/x\",\"content\":\"\"}", true,
               "Sandbox path escapes allowed mounts; cannot write: /tmp/x. The file tools reach "
               "only the sandbox's mounts (/workspace, /workspace/ro); use exec for other paths "
               "inside the sandbox");
        call.lease = NULL;

        /* a symlink inside the root to /etc, to a file in /etc, and a relative one out */
        _cleanup_free_ char *l1 = host_path("etc"), *l2 = host_path("pw"), *l3 = host_path("up");
        assert_int_equal(symlink("/etc", l1), 0);
        assert_int_equal(symlink("/etc/passwd", l2), 0);
        assert_int_equal(symlink("../outside", l3), 0);
        const char *sym = "Path escapes the allowed mounts through a symlink or '..'; cannot ";
        snprintf(want, sizeof(want), "%sread: etc/passwd", sym);
        expect(pc_tool_read, "{\"path\":\"etc/passwd\"}", true, want);
        snprintf(want, sizeof(want), "%sread: pw", sym);
        expect(pc_tool_read, "{\"path\":\"pw\"}", true, want);
        snprintf(want, sizeof(want), "%swrite: etc/evil", sym);
        expect(pc_tool_write, "{\"path\":\"etc/evil\",\"content\":\"x\"}", true, want);
        snprintf(want, sizeof(want), "%swrite: up/new/evil", sym);
        expect(pc_tool_write, "{\"path\":\"up/new/evil\",\"content\":\"x\"}", true, want);
        /* apply_patch finds these before its first write: the earlier hunk is not applied */
        snprintf(want, sizeof(want), "%swrite: up/new/evil", sym);
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Add File: first.txt\\n+x\\n"
               "*** Add File: up/new/evil\\n+x\\n*** End Patch\"}",
               true, want);
        snprintf(want, sizeof(want), "%sapply patch: pw", sym);
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Add File: first.txt\\n+x\\n"
               "*** Update File: pw\\n@@\\n-root\\n+x\\n*** End Patch\"}",
               true, want);
        _cleanup_free_ char *first = host_path("first.txt");
        assert_int_equal(access(first, F_OK), -1);
        snprintf(want, sizeof(want), "%sedit: etc/passwd", sym);
        expect(pc_tool_edit, "{\"path\":\"etc/passwd\",\"oldText\":\"root\",\"newText\":\"x\"}",
               true, want);
        snprintf(want, sizeof(want), "%swrite: pw", sym);
        expect(pc_tool_write, "{\"path\":\"pw\",\"content\":\"x\"}", true, want);
        _cleanup_free_ char *dang = host_path("dang");
        assert_int_equal(symlink("nowhere/x", dang), 0);
        expect(pc_tool_write, "{\"path\":\"dang\",\"content\":\"x\"}", true,
               "Refusing to write dang: it is a symlink that does not lead to a file inside the "
               "allowed mounts");
        snprintf(want, sizeof(want), "%sapply patch: etc/passwd", sym);
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Update File: etc/passwd\\n@@\\n-root\\n+x\\n*** "
               "End Patch\"}",
               true, want);
        _cleanup_free_ char *outside_new = xasprintf("%s/new", outdir);
        assert_int_equal(access(outside_new, F_OK), -1);

        /* a symlink that stays inside the root is followed */
        put("real.txt", "inside\n");
        _cleanup_free_ char *l4 = host_path("alias.txt");
        assert_int_equal(symlink("real.txt", l4), 0);
        expect(pc_tool_read, "{\"path\":\"alias.txt\"}", false, "inside\n");
        /* ... and written through: the link stays, the file it points to changes */
        expect(pc_tool_edit, "{\"path\":\"alias.txt\",\"oldText\":\"inside\",\"newText\":\"in\"}",
               false, "Successfully replaced text in alias.txt.");
        _cleanup_free_ char *rt = get("real.txt");
        assert_string_equal(rt, "in\n");
        struct stat lst;
        assert_int_equal(lstat(l4, &lst), 0);
        assert_true(S_ISLNK(lst.st_mode));
        _cleanup_free_ char *rd = host_path("realdir"), *ld = host_path("linkdir");
        assert_int_equal(mkdir(rd, 0755), 0);
        assert_int_equal(symlink("realdir", ld), 0);
        expect(pc_tool_write, "{\"path\":\"linkdir/x\",\"content\":\"via link\"}", false,
               "Successfully wrote 8 bytes to linkdir/x");
        _cleanup_free_ char *vx = get("realdir/x");
        assert_string_equal(vx, "via link");

        /* a hard link to a file outside */
        _cleanup_free_ char *secret = xasprintf("%s/secret", outdir);
        FILE *f = fopen(secret, "w");
        fputs("secret\n", f);
        fclose(f);
        _cleanup_free_ char *hl = host_path("hl");
        assert_int_equal(link(secret, hl), 0);
        expect(pc_tool_read, "{\"path\":\"hl\"}", true,
               "Refusing to read hl: the file has 2 hard links and may alias a file outside the "
               "allowed mounts");
        expect(pc_tool_write, "{\"path\":\"hl\",\"content\":\"x\"}", true,
               "Refusing to write hl: the file has 2 hard links and may alias a file outside the "
               "allowed mounts");
        expect(pc_tool_edit, "{\"path\":\"hl\",\"oldText\":\"secret\",\"newText\":\"x\"}", true,
               "Refusing to edit hl: the file has 2 hard links and may alias a file outside the "
               "allowed mounts");
        _cleanup_free_ char *s = test_read_file(secret, NULL);
        assert_string_equal(s, "secret\n");

        /* the read-only root */
        expect(pc_tool_write, "{\"path\":\"/workspace/ro/a\",\"content\":\"x\"}", true,
               "Sandbox path is read-only; cannot write: /workspace/ro/a");
        expect(pc_tool_edit, "{\"path\":\"ro/a\",\"oldText\":\"x\",\"newText\":\"y\"}", true,
               "Sandbox path is read-only; cannot edit: ro/a");
        _cleanup_free_ char *roa = xasprintf("%s/a", rodir);
        f = fopen(roa, "w");
        fputs("ro\n", f);
        fclose(f);
        expect(pc_tool_read, "{\"path\":\"ro/a\"}", false, "ro\n");
}

/* On the host the view is the workspace directory itself; '~' is $HOME. */
/* A mount nested in another (/workspace/ro) hides that part of the outer root: a symlink in
 * the outer root never leads beneath it, for reads, writes, new directories or deletions. */
static void test_nested_mount_shadow(void **state)
{
        _cleanup_free_ char *under = host_path("ro"), *l1 = host_path("rl"), *l2 = host_path("fl");
        assert_int_equal(mkdir(under, 0755), 0); /* the mount point in the outer root */
        put("ro/f", "under\n");
        assert_int_equal(symlink("ro", l1), 0);
        assert_int_equal(symlink("ro/f", l2), 0);
        const char *msg = "Path leads into the mount at /workspace/ro through a symlink; cannot ";
        char want[512];
        snprintf(want, sizeof(want), "%sread: rl/f. Use a path under /workspace/ro/", msg);
        expect(pc_tool_read, "{\"path\":\"rl/f\"}", true, want);
        snprintf(want, sizeof(want), "%swrite: fl. Use a path under /workspace/ro/", msg);
        expect(pc_tool_write, "{\"path\":\"fl\",\"content\":\"x\"}", true, want);
        snprintf(want, sizeof(want), "%swrite: rl/new/x. Use a path under /workspace/ro/", msg);
        expect(pc_tool_write, "{\"path\":\"rl/new/x\",\"content\":\"x\"}", true, want);
        snprintf(want, sizeof(want), "%sdelete: rl/f. Use a path under /workspace/ro/", msg);
        expect(pc_tool_apply_patch,
               "{\"input\":\"*** Begin Patch\\n*** Delete File: rl/f\\n*** End Patch\"}", true,
               want);
        _cleanup_free_ char *f = get("ro/f"), *nd = host_path("ro/new");
        assert_string_equal(f, "under\n");
        assert_int_equal(access(nd, F_OK), -1);
        /* the outer root itself still works */
        expect(pc_tool_write, "{\"path\":\"rolike/x\",\"content\":\"x\"}", false,
               "Successfully wrote 1 bytes to rolike/x");
}

static void test_host_paths(void **state)
{
        PcToolRoot host = {.view = rootdir, .host = rootdir, .writable = true};
        call.roots = &host;
        call.n_roots = 1;
        call.cwd = rootdir;
        char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
        setenv("HOME", tmpdir, 1);
        put("h.txt", "home\n");
        expect(pc_tool_read, "{\"path\":\"~/ws/h.txt\"}", false, "home\n");
        char *json = xasprintf("{\"path\":\"%s/h.txt\"}", rootdir);
        expect(pc_tool_read, json, false, "home\n");
        free(json);
        expect(pc_tool_read, "{\"path\":\"~/outside/x\"}", true,
               "Path escapes sandbox root (~/ws): ~/outside/x. Use a path under ~/ws/ instead.");
        /* a cwd below the root */
        _cleanup_free_ char *sub = host_path("sub");
        assert_int_equal(mkdir(sub, 0755), 0);
        put("sub/s.txt", "sub\n");
        call.cwd = sub;
        expect(pc_tool_read, "{\"path\":\"s.txt\"}", false, "sub\n");
        expect(pc_tool_read, "{\"path\":\"../h.txt\"}", false, "home\n");
        if (old_home)
                setenv("HOME", old_home, 1);
        else
                unsetenv("HOME");
        free(old_home);
        call.roots = roots;
        call.n_roots = 2;
        call.cwd = "/workspace";
}

static bool same_file_content(const char *a, const char *path)
{
        size_t n;
        _cleanup_free_ char *b = test_read_file(path, &n);
        return b && strlen(a) == n && memcmp(a, b, n) == 0;
}

/* A child flips names between a file (or directory) and a symlink to /etc while the tools
 * read and write them 2000 times: /etc/passwd must never be read or changed. */
static void test_swap_race(void **state)
{
        struct stat before, after;
        assert_int_equal(stat("/etc/passwd", &before), 0);
        _cleanup_free_ char *real = test_read_file("/etc/passwd", NULL);
        assert_non_null(real);
        _cleanup_free_ char *flip = host_path("flip"), *dflip = host_path("dflip");
        _cleanup_free_ char *tmpf = host_path("flip.tmp"), *tmpd = host_path("dflip.tmp");
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                for (;;) {
                        int fd = open(tmpf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                        if (fd >= 0) {
                                (void) !write(fd, "safe\n", 5);
                                close(fd);
                        }
                        (void) rename(tmpf, flip);
                        (void) unlink(tmpf);
                        (void) symlink("/etc/passwd", tmpf);
                        (void) rename(tmpf, flip);
                        (void) mkdir(tmpd, 0755);
                        (void) rename(tmpd, dflip);
                        (void) rmdir(tmpd);
                        (void) unlink(tmpd);
                        (void) symlink("/etc", tmpd);
                        if (rename(tmpd, dflip) < 0) {
                                (void) unlink(tmpd);
                                char *p = xasprintf("%s/passwd", dflip);
                                (void) unlink(p);
                                free(p);
                                (void) rmdir(dflip);
                        }
                }
        }
        int ok_reads = 0;
        for (int i = 0; i < 2000; i++) {
                const char *json = i % 4 == 0   ? "{\"path\":\"flip\"}"
                                   : i % 4 == 1 ? "{\"path\":\"dflip/passwd\"}"
                                   : i % 4 == 2 ? "{\"path\":\"flip\",\"content\":\"w\"}"
                                                : "{\"path\":\"dflip/passwd\",\"content\":\"w\"}";
                bool is_error = false;
                _cleanup_free_ char *t =
                        run(i % 4 < 2 ? pc_tool_read : pc_tool_write, json, &is_error, NULL);
                if (streq(t, real) || strstr(t, "root:x:0:0"))
                        fail_msg("read /etc/passwd through a swapped path: '%.40s'", t);
                if (!is_error)
                        ok_reads++;
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        assert_int_equal(stat("/etc/passwd", &after), 0);
        assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
        assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
        assert_int_equal(before.st_ino, after.st_ino);
        assert_true(same_file_content(real, "/etc/passwd"));
        print_message("swap race: %d of 2000 calls succeeded on the in-root file\n", ok_reads);
}

/* A writer killed with SIGKILL mid-write leaves the old or the new content, never a mix. */
static void test_atomic_write(void **state)
{
        const size_t size = 4 * 1024 * 1024;
        char *a = xmalloc(size + 1), *b = xmalloc(size + 1);
        memset(a, 'a', size);
        memset(b, 'b', size);
        a[size] = b[size] = '\0';
        _cleanup_free_ char *p = host_path("atomic.bin");
        FILE *f = fopen(p, "wb");
        fwrite(a, 1, size, f);
        fclose(f);
        int seen_new = 0;
        struct timespec seed;
        clock_gettime(CLOCK_MONOTONIC, &seed);
        srand((unsigned) seed.tv_nsec);
        bool cur_is_a = true;
        for (int i = 0; i < 30; i++) {
                const char *next = cur_is_a ? b : a;
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        PcError err = PC_ERROR_INIT;
                        PcFsPath fp = PC_FS_PATH_INIT;
                        for (;;) {
                                if (pc_fs_resolve(&call, "atomic.bin", true, "write", &fp, &err) <
                                            0 ||
                                    pc_fs_write(&fp, "atomic.bin", next, size, false, -1, -1,
                                                &err) < 0)
                                        _exit(1);
                                pc_fs_path_release(&fp);
                        }
                }
                usleep((useconds_t) (1000 + rand() % 20000));
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                size_t n;
                _cleanup_free_ char *got = test_read_file(p, &n);
                assert_int_equal(n, size);
                bool is_a = memcmp(got, a, size) == 0, is_b = memcmp(got, b, size) == 0;
                if (!is_a && !is_b)
                        fail_msg("torn write after SIGKILL in round %d", i);
                seen_new += memcmp(got, next, size) == 0;
                cur_is_a = is_a; /* the next round writes the other content */
        }
        print_message("atomic write: the new content was in place %d times\n", seen_new);
        free(a);
        free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_read_basic, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_truncation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_image, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_too_large, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_owner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_edit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_edit_bom_crlf, setup, teardown),
                cmocka_unit_test_setup_teardown(test_edit_raw_bytes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_patch, setup, teardown),
                cmocka_unit_test_setup_teardown(test_patch_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_patch_parser, setup, teardown),
                cmocka_unit_test_setup_teardown(test_patch_many_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nested_mount_shadow, setup, teardown),
                cmocka_unit_test_setup_teardown(test_host_paths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swap_race, setup, teardown),
                cmocka_unit_test_setup_teardown(test_atomic_write, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
