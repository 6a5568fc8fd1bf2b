/* SPDX-License-Identifier: MIT */
/*
 * A JSON5 parser producing jansson values (https://spec.json5.org/, version 1.0.0).
 *
 * Accepted: // and block comments, trailing commas, unquoted identifier keys (with \u
 * escapes), single- and double-quoted strings, line continuations, every escape
 * (\' \" \\ \b \f \n \r \t \v \0 \xHH \uHHHH with surrogate pairs, and any other
 * character escaping itself), hex integers, leading and trailing decimal points, an
 * explicit + sign, and the JSON5 set of whitespace.
 *
 * Deliberately rejected, each with its own message: Infinity and NaN (no configuration
 * value can hold them and JSON cannot represent them), numbers outside the double range,
 * duplicate keys in one object, nesting deeper than PC_JSON5_MAX_DEPTH, input larger than
 * PC_JSON5_MAX_SIZE, invalid UTF-8, and lone surrogates.
 *
 * Integers that fit in json_int_t become JSON integers; other numbers become reals.
 * Columns count characters (UTF-8 code points), 1-based; a tab counts as one.
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "jsonpos.h"

#define PC_JSON5_MAX_DEPTH 64
#define PC_JSON5_MAX_SIZE  (2u * 1024u * 1024u)

typedef struct PcJson5Error {
        PcSrcPos pos;   /* where the problem is */
        char path[256]; /* JSON path of the value being parsed ("" at the root), e.g. agents.list[1]
                         */
        char msg[256];  /* what is wrong, e.g. "expected ',' or '}' after an object member, found
                           'x'" */
        char hint[256]; /* what to do about it; may be empty */
} PcJson5Error;

/*
 * Parses text[0..len) (need not be NUL-terminated). On success stores a new reference in
 * *ret and returns 0. When pos is not NULL, records the position of every value (and of
 * every object key) in it, tagged with file_id. On failure returns -EINVAL (syntax,
 * encoding, duplicate key, Infinity/NaN, range) or -E2BIG (size or depth limit) and
 * fills *err when not NULL; *ret is untouched.
 */
int pc_json5_parse(const char *text, size_t len, uint32_t file_id, PcJsonPos *pos, json_t **ret,
                   PcJson5Error *err);
