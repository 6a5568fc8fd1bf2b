/* SPDX-License-Identifier: MIT */
/*
 * Internals of the JSON5 parser shared by its files: the parser state and the character
 * level (UTF-8 decoding of the already validated input, JSON5 character classes, and the
 * cursor that tracks line and column). Not for use outside json5*.c.
 */
#pragma once

#include <jansson.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "json5.h"

#define EOI             (-1) /* "character" at the end of the input */
#define QUOTE_MAX_BYTES 40   /* how much of a key, word or number a message quotes */

typedef enum Context {
        CTX_ROOT,
        CTX_MEMBER,
        CTX_ITEM,
} Context;

typedef struct Cursor {
        size_t off;
        uint32_t line;
        uint32_t col;
} Cursor;

typedef struct Parser {
        const char *text;
        size_t len;
        Cursor cur;
        uint32_t file_id;
        bool want_pos;  /* the caller wants positions: record items too, not only members */
        PcJsonPos *map; /* positions recorded so far; copied to the caller's map on success */
        PcBuf path;     /* JSON path of the value being parsed */
        unsigned depth;
        locale_t c_locale; /* for strtod_l(), made on first use */
        PcJson5Error *err;
} Parser;

/* ---- Characters ---------------------------------------------------------------------- */

/* Decodes one UTF-8 sequence from s[0..n); returns its length, or 0 when it is not well formed
 * (bad lead or continuation byte, truncated, overlong, surrogate, above U+10FFFF). */
static inline size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret)
{
        uint32_t c = s[0], min;
        size_t len;

        if (c < 0x80) {
                *ret = c;
                return 1;
        }
        if (c >= 0xc2 && c <= 0xdf) {
                len = 2, c &= 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
                len = 3, c &= 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4, c &= 0x07, min = 0x10000;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *ret = c;
        return len;
}

static inline void add_utf8(PcBuf *b, uint32_t c)
{
        char s[4];
        size_t n;

        if (c < 0x80) {
                s[0] = (char) c, n = 1;
        } else if (c < 0x800) {
                s[0] = (char) (0xc0 | c >> 6), n = 2;
        } else if (c < 0x10000) {
                s[0] = (char) (0xe0 | c >> 12), n = 3;
        } else {
                s[0] = (char) (0xf0 | c >> 18), n = 4;
        }
        for (size_t i = 1; i < n; i++)
                s[i] = (char) (0x80 | ((c >> (6 * (n - 1 - i))) & 0x3f));
        pc_buf_add(b, s, n);
}

/* The character at off (EOI past the end) and, in *ret_len, its length in bytes. */
static inline int32_t decode_at(const Parser *p, size_t off, size_t *ret_len)
{
        uint32_t c;
        size_t n;

        if (off >= p->len) {
                *ret_len = 0;
                return EOI;
        }
        n = utf8_decode((const unsigned char *) p->text + off, p->len - off, &c);
        if (n == 0) /* unreachable: the input was validated; never loop on it anyway */
                n = 1, c = (unsigned char) p->text[off];
        *ret_len = n;
        return (int32_t) c;
}

static inline int32_t cp_at(const Parser *p, size_t off)
{
        size_t n;
        return decode_at(p, off, &n);
}

static inline int32_t cur(const Parser *p)
{
        return cp_at(p, p->cur.off);
}

static inline bool is_line_break(int32_t c)
{
        return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029;
}

/* JSON5 WhiteSpace and LineTerminator; the non-ASCII ones are U+00A0, U+FEFF and Unicode Zs. */
static inline bool is_ws(int32_t c)
{
        return (c >= '\t' && c <= '\r') || c == ' ' || c == 0xa0 || c == 0x1680 ||
               (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
               c == 0x205f || c == 0x3000 || c == 0xfeff;
}

static inline bool is_digit(int32_t c)
{
        return c >= '0' && c <= '9';
}

static inline int hex_value(int32_t c)
{
        if (is_digit(c))
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* U+0080 to U+009F: C1 control characters, never part of an identifier. */
static inline bool is_c1_control(int32_t c)
{
        return c >= 0x80 && c <= 0x9f;
}

/* The approximation described at the top of the file. */
static inline bool is_id_start(int32_t c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '$' || c == '_' ||
               (c >= 0x80 && !is_ws(c) && !is_c1_control(c));
}

static inline bool is_id_part(int32_t c)
{
        return is_id_start(c) || is_digit(c);
}

/* Moves c past one character. CRLF is one line break, and so one step. */
static inline void step(const Parser *p, Cursor *c)
{
        size_t n;
        int32_t ch = decode_at(p, c->off, &n);

        if (ch == EOI)
                return;
        c->off += n;
        if (ch == '\r' && c->off < p->len && p->text[c->off] == '\n')
                c->off++;
        if (is_line_break(ch)) {
                c->line++;
                c->col = 1;
        } else
                c->col++;
}

static inline void advance(Parser *p)
{
        step(p, &p->cur);
}

/* Advances to off, which must be a character boundary at or after the cursor. */
static inline void advance_to(Parser *p, size_t off)
{
        while (p->cur.off < off)
                advance(p);
}

static inline Cursor cursor_at(const Parser *p, Cursor from, size_t off)
{
        while (from.off < off)
                step(p, &from);
        return from;
}

/* End offset of the run of identifier characters (no escapes) starting at off. */
static inline size_t id_end(const Parser *p, size_t off)
{
        for (;;) {
                size_t n;
                if (!is_id_part(decode_at(p, off, &n)))
                        return off;
                off += n;
        }
}

static inline bool word_is(const Parser *p, size_t start, size_t end, const char *word)
{
        return end - start == strlen(word) && memcmp(p->text + start, word, end - start) == 0;
}
