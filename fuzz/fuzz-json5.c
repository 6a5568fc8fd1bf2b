/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes pc_json5_parse(). Besides "no crash, leak or UB" it checks invariants and aborts
 * when one fails:
 *  - the result does not depend on whether a position map is passed;
 *  - a failure returns -EINVAL or -E2BIG with a message and a plausible position;
 *  - on success every member and item (and the root) has a position, keys before values;
 *  - the tree survives a round trip: json_dumps() output parses, through pc_json5_parse() and
 *    through jansson's own strict parser, to an equal tree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json5.h"

#define FILE_ID 7

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-json5: invariant violated: %s\n", what);
                abort();
        }
}

static bool before(PcSrcPos a, PcSrcPos b)
{
        return a.line < b.line || (a.line == b.line && a.col < b.col);
}

static void check_pos(PcSrcPos p, size_t size)
{
        check(p.file == FILE_ID, "position has the wrong file id");
        check(p.line >= 1 && p.col >= 1, "position is not 1-based");
        check(p.line <= size + 1 && p.col <= size + 1, "position beyond the input");
}

static void check_positions(const PcJsonPos *pos, const json_t *v, size_t size)
{
        if (json_is_object(v)) {
                const char *key;
                json_t *m;
                json_object_foreach ((json_t *) v, key, m) {
                        PcSrcPos kp, vp;
                        check(pc_jsonpos_get_member(pos, v, key, &kp, &vp),
                              "member has no position");
                        check_pos(kp, size);
                        check_pos(vp, size);
                        check(before(kp, vp), "key position is not before its value's");
                        check_positions(pos, m, size);
                }
        } else if (json_is_array(v)) {
                for (size_t i = 0; i < json_array_size(v); i++) {
                        PcSrcPos vp;
                        check(pc_jsonpos_get_item(pos, v, i, &vp), "item has no position");
                        check_pos(vp, size);
                        check_positions(pos, json_array_get(v, i), size);
                }
        }
}

static void check_error(int r, const PcJson5Error *err, size_t size)
{
        check(r == -EINVAL || r == -E2BIG, "unexpected error code");
        check(memchr(err->msg, 0, sizeof(err->msg)) && memchr(err->hint, 0, sizeof(err->hint)) &&
                      memchr(err->path, 0, sizeof(err->path)),
              "error field is not NUL-terminated");
        check(err->msg[0] != '\0', "error without a message");
        check(err->pos.file == FILE_ID, "error position has the wrong file id");
        if (size <= PC_JSON5_MAX_SIZE)
                check_pos(err->pos, size);
}

static void check_round_trip(const json_t *v)
{
        PcJson5Error err;
        json_t *again = NULL;
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

        check(s != NULL, "json_dumps failed");
        size_t len = strlen(s);
        int r = pc_json5_parse(s, len, FILE_ID, NULL, &again, &err);
        /* Escaping may grow strings past the size limit; nothing else may fail. */
        if (r == -E2BIG && len > PC_JSON5_MAX_SIZE) {
                free(s);
                return;
        }
        if (r < 0)
                fprintf(stderr, "fuzz-json5: re-parse of %s failed: %d:%d: %s\n", s, err.pos.line,
                        err.pos.col, err.msg);
        check(r == 0, "json_dumps output does not parse");
        check(json_equal(v, again), "round trip changed the value");
        json_decref(again);

        json_error_t jerr;
        again = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        check(again != NULL, "jansson cannot parse json_dumps output");
        check(json_equal(v, again), "jansson parses json_dumps output to another value");
        json_decref(again);
        free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        PcJsonPos *pos = pc_jsonpos_new();
        PcJson5Error err, err2;
        json_t *v = NULL, *v2 = NULL;
        const char *text = (const char *) data;

        memset(&err, 0xaa, sizeof(err)); /* stale garbage must not leak into the result */
        int r = pc_json5_parse(text, size, FILE_ID, pos, &v, &err);
        int r2 = pc_json5_parse(text, size, FILE_ID, NULL, &v2, &err2);
        check(r == r2, "result depends on the position map");
        if (r < 0) {
                check(v == NULL && v2 == NULL, "*ret was written on failure");
                check(pc_jsonpos_size(pos) == 0 && !pc_jsonpos_get_root(pos, NULL),
                      "position map was written on failure");
                check_error(r, &err, size);
                check(memcmp(&err, &err2, sizeof(err)) == 0, "error depends on the position map");
                pc_jsonpos_free(pos);
                return 0;
        }
        check(r == 0 && v && v2, "success without a value");
        check(json_equal(v, v2), "value depends on the position map");

        PcSrcPos root;
        check(pc_jsonpos_get_root(pos, &root), "root has no position");
        check_pos(root, size);
        check_positions(pos, v, size);
        check_round_trip(v);

        json_decref(v);
        json_decref(v2);
        pc_jsonpos_free(pos);
        return 0;
}
