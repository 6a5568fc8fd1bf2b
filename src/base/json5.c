/* SPDX-License-Identifier: MIT */
/*
 * JSON5 parser: a recursive descent over the grammar of https://spec.json5.org/ (1.0.0).
 *
 * One pass before parsing checks the size limit, UTF-8 validity and the absence of NUL bytes,
 * so the lexer decodes characters without checking them again and every message can quote
 * the text it complains about. Recursion is bounded by PC_JSON5_MAX_DEPTH.
 *
 * Choices the spec leaves open, or where we differ from the reference implementation (npm
 * json5; tests/oracle/ cross-checks the two and lists every difference):
 *
 *  - Identifier characters. ECMAScript 5.1 defines identifiers by Unicode category (letters,
 *    combining marks, digits, connector punctuation, ZWNJ, ZWJ). Rather than carry Unicode
 *    tables, we accept ASCII letters, '$', '_', ASCII digits after the first character, and
 *    every non-ASCII character that is neither JSON5 whitespace nor a C1 control character
 *    (U+0080 to U+009F), written raw or as a \uXXXX escape. A few keys that strict JSON5
 *    rejects (e.g. {€: 1}) are therefore accepted; no valid key is rejected.
 *  - "-0" (no fraction or exponent) becomes the integer 0: json_int_t has no negative zero, and
 *    a setting that expects an integer should accept it. "-0.0" and "-0e0" stay real -0.0.
 *  - Decimal integers that do not fit json_int_t become reals (when finite). Hexadecimal ones
 *    are an error instead: a rounded hexadecimal constant is almost certainly a mistake.
 *  - Lone surrogate escapes cannot be encoded in UTF-8: an error.
 *  - Keys containing U+0000 are rejected, because the rest of Pincer handles keys as C
 *    strings; string values may contain it through an escape (json_stringn). A raw NUL byte is
 *    rejected anywhere, as most likely a sign of a binary or UTF-16 file.
 *  - Duplicate keys, Infinity, NaN, deep nesting and huge input are errors (see json5.h).
 *
 * Error positions point at the start of the offending thing: the unexpected character, the
 * number or escape sequence that is invalid, the opening quote of an unterminated string.
 */
#include "json5.h"

#include <assert.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "json5-internal.h"
#include "jsonpath.h"

static_assert(sizeof(json_int_t) == sizeof(int64_t), "json_int_t must be 64 bits wide");

static void parser_done(Parser *p)
{
        pc_buf_release(&p->path);
        pc_jsonpos_free(p->map);
        if (p->c_locale)
                freelocale(p->c_locale);
}

/* ---- Errors -------------------------------------------------------------------------- */

/* Copies src into dst[size], cutting at a character boundary and marking the cut with "...". */
static void copy_field(char *dst, size_t size, const char *src)
{
        size_t n = strlen(src);

        if (n < size) {
                memcpy(dst, src, n + 1);
                return;
        }
        n = size - 4;
        while (n > 0 && ((unsigned char) src[n] & 0xc0) == 0x80)
                n--;
        memcpy(dst, src, n);
        memcpy(dst + n, "...", 4);
}

/* Returns r; fills the error, if wanted, with the position, the current path and the text. */
_printf_(5, 6) static int fail(Parser *p, int r, Cursor at, const char *hint, const char *fmt, ...)
{
        _cleanup_buf_ PcBuf msg = PC_BUF_INIT;
        PcJson5Error *e = p->err;
        va_list ap;

        if (!e)
                return r;
        va_start(ap, fmt);
        pc_buf_vaddf(&msg, fmt, ap);
        va_end(ap);
        *e = (PcJson5Error){.pos = {.file = p->file_id, .line = at.line, .col = at.col}};
        copy_field(e->msg, sizeof(e->msg), msg.buf);
        copy_field(e->hint, sizeof(e->hint), hint ? hint : "");
        copy_field(e->path, sizeof(e->path), p->path.buf);
        return r;
}

/* How a message names the character at off: "'x'", "end of input", "a line break", ... */
static const char *describe(const Parser *p, size_t off, char buf[static 32])
{
        size_t n;
        int32_t c = decode_at(p, off, &n);

        if (c == EOI)
                return "end of input";
        if (is_line_break(c))
                return "a line break";
        if (c == '\t')
                return "a tab";
        if (c == ' ')
                return "a space";
        if (c == '\'')
                return "\"'\"";
        if (c < 0x20 || c == 0x7f || is_c1_control(c))
                snprintf(buf, 32, "control character U+%04X", (unsigned) c);
        else if (c < 0x80)
                snprintf(buf, 32, "'%c'", (char) c);
        else /* the code point too: the character may be invisible or look like another */
                snprintf(buf, 32, "'%.*s' (U+%04X)", (int) n, p->text + off, (unsigned) c);
        return buf;
}

/* Quotes s[0..n) for a message: at most QUOTE_MAX_BYTES of it, with quotes, backslashes and
 * everything that could garble a one-line message escaped. s is valid UTF-8. */
static char *quote(const char *s, size_t n)
{
        _cleanup_buf_ PcBuf b = PC_BUF_INIT;
        size_t i = 0;

        while (i < n) {
                uint32_t c;
                size_t len = utf8_decode((const unsigned char *) s + i, n - i, &c);
                if (len == 0) /* unreachable: s is valid UTF-8 */
                        len = 1, c = 0xfffd;
                if (i + len > QUOTE_MAX_BYTES) {
                        pc_buf_addstr(&b, "...");
                        break;
                }
                if (c == '\'' || c == '\\')
                        pc_buf_addf(&b, "\\%c", (char) c);
                else if (c == '\n')
                        pc_buf_addstr(&b, "\\n");
                else if (c == '\t')
                        pc_buf_addstr(&b, "\\t");
                else if (c == '\r')
                        pc_buf_addstr(&b, "\\r");
                else if (c < 0x20 || c == 0x7f)
                        pc_buf_addf(&b, "\\x%02x", c);
                else if (is_c1_control((int32_t) c) || c == 0x2028 || c == 0x2029)
                        pc_buf_addf(&b, "\\u%04x", c);
                else
                        pc_buf_add(&b, s + i, len);
                i += len;
        }
        return pc_buf_detach(&b);
}

static char *quote_text(const Parser *p, size_t start, size_t end)
{
        return quote(p->text + start, end - start);
}

static char *quote_key(const char *key)
{
        return quote(key, strlen(key));
}

/* Text at off that was probably meant as a key (e.g. "foo-bar" or "1"), to suggest quoting it;
 * NULL when there is none or it is too long to be worth repeating. */
static char *keyish_at(const Parser *p, size_t off)
{
        size_t start = off;

        for (;;) {
                size_t n;
                int32_t c = decode_at(p, off, &n);
                if (c == EOI || c < 0x20 || is_ws(c) || (c < 0x80 && strchr(":,{}[]\"'\\/", c)))
                        break;
                off += n;
        }
        if (off == start || off - start > QUOTE_MAX_BYTES)
                return NULL;
        return xstrndup(p->text + start, off - start);
}

static int fail_nonfinite(Parser *p, Cursor start, size_t end)
{
        _cleanup_free_ char *word = quote_text(p, start.off, end);
        bool nan = p->text[end - 1] == 'N';

        return fail(p, -EINVAL, start,
                    nan ? "write a number, or remove the value"
                        : "write a large finite number, or remove the value",
                    "%s is not allowed: JSON cannot represent it and no Pincer setting accepts it",
                    word);
}

static int fail_value(Parser *p, Context ctx)
{
        int32_t c = cur(p);
        char d[32];
        const char *hint;

        if (c == EOI)
                hint = "the document ends too early: complete the value and close every open "
                       "'{' and '['";
        else if (c == ',')
                hint = ctx == CTX_MEMBER ? "write a value after ':'" : "remove the extra ','";
        else if ((c == '}' || c == ']') && ctx == CTX_MEMBER)
                hint = "write a value after ':'";
        else if (c == '}' || c == ']')
                hint = c == '}' ? "remove the unmatched '}'" : "remove the unmatched ']'";
        else if (c == '#')
                hint = "comments start with '//' or '/*', not '#'";
        else
                hint = "a value is an object, an array, a quoted string, a number, true, false "
                       "or null";
        return fail(p, -EINVAL, p->cur, hint, "expected a value%s, found %s",
                    ctx == CTX_ITEM ? " or ']'" : "", describe(p, p->cur.off, d));
}

static int fail_word(Parser *p, size_t end)
{
        _cleanup_free_ char *word = quote_text(p, p->cur.off, end);
        _cleanup_free_ char *hint = NULL;
        static const char *const literals[] = {"true", "false", "null"};

        for (size_t i = 0; i < ELEMENTSOF(literals); i++)
                if (strcasecmp(word, literals[i]) == 0)
                        hint = xasprintf("literals are lower case: write %s", literals[i]);
        if (!hint && streq(word, "undefined"))
                hint = xstrdup("JSON has no undefined: write null, or remove the value");
        if (!hint)
                hint = xasprintf("put text in quotes, e.g. \"%s\"", word);
        return fail(p, -EINVAL, p->cur, hint, "expected a value, found '%s'", word);
}

static int fail_key(Parser *p, Cursor open)
{
        int32_t c = cur(p);
        _cleanup_free_ char *hint = NULL, *tok = NULL;
        char d[32];

        if (c == EOI)
                hint = xasprintf("close the object opened at %u:%u with '}'", open.line, open.col);
        else if (c == ',')
                hint = xstrdup("remove the extra ','");
        else if (c == ']')
                hint = xasprintf("the object opened at %u:%u must be closed with '}'", open.line,
                                 open.col);
        else if (c == '#')
                hint = xstrdup("comments start with '//' or '/*', not '#'");
        else if ((tok = keyish_at(p, p->cur.off)))
                hint = xasprintf("keys that are not identifiers must be quoted: write \"%s\"", tok);
        else
                hint = xstrdup("write a key (an identifier or a quoted string), ':' and a value");
        return fail(p, -EINVAL, p->cur, hint, "expected a key or '}', found %s",
                    describe(p, p->cur.off, d));
}

static int fail_colon(Parser *p, const char *key, Cursor key_pos, size_t key_end, bool quoted)
{
        int32_t c = cur(p);
        _cleanup_free_ char *hint = NULL, *tok = NULL, *k = quote_key(key);
        char d[32];

        if (c == '=')
                hint = xstrdup("separate keys from values with ':', not '='");
        else if (!quoted && key_end == p->cur.off && (tok = keyish_at(p, key_pos.off)) &&
                 strlen(tok) > key_end - key_pos.off)
                /* e.g. foo-bar: the identifier stopped at a character keys may not contain */
                hint = xasprintf("keys that are not identifiers must be quoted: write \"%s\"", tok);
        else
                hint = xstrdup("separate each key from its value with ':'");
        return fail(p, -EINVAL, p->cur, hint, "expected ':' after key '%s', found %s", k,
                    describe(p, p->cur.off, d));
}

static int fail_after(Parser *p, Cursor open, bool object)
{
        int32_t c = cur(p);
        _cleanup_free_ char *hint = NULL;
        char d[32];

        if (c == EOI)
                hint = xasprintf("close the %s opened at %u:%u with '%c'",
                                 object ? "object" : "array", open.line, open.col,
                                 object ? '}' : ']');
        else if (c == (object ? ']' : '}'))
                hint = xasprintf("the %s opened at %u:%u must be closed with '%c'",
                                 object ? "object" : "array", open.line, open.col,
                                 object ? '}' : ']');
        else if (c == ';')
                hint = xasprintf("separate %s with ',', not ';'", object ? "members" : "items");
        else if (!object && c == ':')
                hint = xstrdup("arrays hold values, not key: value pairs; use an object {...}");
        else
                hint = xasprintf("add a ',' between %s", object ? "members" : "items");
        if (object)
                return fail(p, -EINVAL, p->cur, hint,
                            "expected ',' or '}' after an object member, found %s",
                            describe(p, p->cur.off, d));
        return fail(p, -EINVAL, p->cur, hint, "expected ',' or ']' after an array item, found %s",
                    describe(p, p->cur.off, d));
}

static int fail_unterminated(Parser *p, Cursor open, int32_t q, int32_t found)
{
        const char *closing = q == '"' ? "'\"'" : "\"'\"";

        if (found == EOI)
                return fail(p, -EINVAL, open, "close the string with a matching quote",
                            "unterminated string: found end of input before the closing %s",
                            closing);
        return fail(p, -EINVAL, open,
                    "close the string with a matching quote, or end the line with '\\' to "
                    "continue the string on the next line",
                    "unterminated string: found a line break before the closing %s", closing);
}

/* ---- Whitespace and comments --------------------------------------------------------- */

static int skip_ws(Parser *p)
{
        for (;;) {
                int32_t c = cur(p);

                if (is_ws(c)) {
                        advance(p);
                        continue;
                }
                if (c != '/')
                        return 0;
                c = cp_at(p, p->cur.off + 1);
                if (c == '/') {
                        while ((c = cur(p)) != EOI && !is_line_break(c))
                                advance(p);
                } else if (c == '*') {
                        Cursor open = p->cur;
                        advance(p);
                        advance(p);
                        for (;;) {
                                c = cur(p);
                                if (c == EOI)
                                        return fail(p, -EINVAL, open, "close the comment with '*/'",
                                                    "unterminated block comment: found end of "
                                                    "input before '*/'");
                                advance(p);
                                if (c == '*' && cur(p) == '/') {
                                        advance(p);
                                        break;
                                }
                        }
                } else
                        return fail(p, -EINVAL, p->cur,
                                    "comments start with '//' or '/*'; put text containing '/' in "
                                    "quotes",
                                    "unexpected '/'");
        }
}

/* ---- Strings and identifiers --------------------------------------------------------- */

/* Reads count hex digits of the escape starting at esc ('\x' or '\u'). */
static int read_hex(Parser *p, Cursor esc, char kind, int count, uint32_t *ret)
{
        uint32_t v = 0;

        for (int i = 0; i < count; i++) {
                int h = hex_value(cur(p));
                if (h < 0) {
                        char d[32];
                        return fail(p, -EINVAL, esc,
                                    kind == 'x' ? "write e.g. \\x41 for 'A', or '\\\\' for a "
                                                  "backslash"
                                                : "write e.g. \\u00e9 for 'é', or '\\\\' for a "
                                                  "backslash",
                                    "invalid escape sequence: '\\%c' must be followed by %s "
                                    "hexadecimal digits, found %s",
                                    kind, count == 2 ? "two" : "four", describe(p, p->cur.off, d));
                }
                v = v << 4 | (uint32_t) h;
                advance(p);
        }
        *ret = v;
        return 0;
}

/* After "\u": one escaped code point, combining a surrogate pair. */
static int read_u_escape(Parser *p, Cursor esc, uint32_t *ret)
{
        static const char hint[] = "write the character itself, or a complete surrogate pair such "
                                   "as \\uD83D\\uDE00";
        uint32_t hi = 0, lo = 0;
        int r;

        r = read_hex(p, esc, 'u', 4, &hi);
        if (r < 0)
                return r;
        if (hi >= 0xdc00 && hi <= 0xdfff)
                return fail(p, -EINVAL, esc, hint,
                            "invalid escape sequence '\\u%04X': a low surrogate must follow a "
                            "high surrogate (\\uD800 to \\uDBFF)",
                            hi);
        if (hi < 0xd800 || hi > 0xdbff) {
                *ret = hi;
                return 0;
        }
        if (cur(p) != '\\' || cp_at(p, p->cur.off + 1) != 'u')
                goto lone;
        Cursor esc2 = p->cur;
        advance(p);
        advance(p);
        r = read_hex(p, esc2, 'u', 4, &lo);
        if (r < 0)
                return r;
        if (lo < 0xdc00 || lo > 0xdfff)
                goto lone;
        *ret = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
        return 0;
lone:
        return fail(p, -EINVAL, esc, hint,
                    "invalid escape sequence '\\u%04X': a high surrogate must be followed by a "
                    "low surrogate (\\uDC00 to \\uDFFF)",
                    hi);
}

static int parse_escape(Parser *p, Cursor open, int32_t q, PcBuf *out)
{
        static const char octal_hint[] = "octal escapes are not part of JSON5: write \\xHH or "
                                         "\\uHHHH, or '\\\\' for a backslash";
        static const char from[] = "bfnrtv", to[] = "\b\f\n\r\t\v";
        Cursor esc = p->cur;
        uint32_t v = 0;
        size_t n;
        int r;

        advance(p); /* the backslash */
        int32_t c = decode_at(p, p->cur.off, &n);
        if (c == EOI)
                return fail_unterminated(p, open, q, c);
        if (is_line_break(c)) { /* line continuation: contributes nothing */
                advance(p);
                return 0;
        }
        const char *simple = c < 0x80 ? strchr(from, c) : NULL; /* c is not NUL */
        if (simple) {
                pc_buf_addch(out, to[simple - from]);
                advance(p);
                return 0;
        }
        switch (c) {
        case '0':
                if (is_digit(cp_at(p, p->cur.off + 1)))
                        return fail(
                                p, -EINVAL, esc, octal_hint,
                                "invalid escape sequence '\\0%c': '\\0' cannot be followed by a "
                                "digit",
                                p->text[p->cur.off + 1]);
                pc_buf_addch(out, '\0');
                break;
        case '1' ... '9':
                return fail(p, -EINVAL, esc, octal_hint, "invalid escape sequence '\\%c'", c);
        case 'x':
        case 'u':
                advance(p);
                r = c == 'x' ? read_hex(p, esc, 'x', 2, &v) : read_u_escape(p, esc, &v);
                if (r < 0)
                        return r;
                add_utf8(out, v);
                return 0;
        default: /* \' \" \\ and any other character stand for themselves */
                pc_buf_add(out, p->text + p->cur.off, n);
                break;
        }
        advance(p);
        return 0;
}

static int parse_string(Parser *p, PcBuf *out)
{
        Cursor open = p->cur;
        int32_t q = cur(p);

        advance(p);
        for (;;) {
                size_t n;
                int32_t c = decode_at(p, p->cur.off, &n);

                if (c == q) {
                        advance(p);
                        return 0;
                }
                if (c == EOI || c == '\n' || c == '\r') /* U+2028 and U+2029 are allowed */
                        return fail_unterminated(p, open, q, c);
                if (c == '\\') {
                        int r = parse_escape(p, open, q, out);
                        if (r < 0)
                                return r;
                        continue;
                }
                pc_buf_add(out, p->text + p->cur.off, n);
                advance(p);
        }
}

/* An unquoted key: IdentifierName, with \uXXXX escapes. */
static int parse_identifier(Parser *p, PcBuf *out)
{
        for (bool first = true;; first = false) {
                Cursor at = p->cur;
                size_t n;
                int32_t c = decode_at(p, at.off, &n);

                if (c == '\\') {
                        uint32_t v = 0;
                        char d[32];
                        advance(p);
                        if (cur(p) != 'u')
                                return fail(p, -EINVAL, at, "put the key in quotes",
                                            "invalid escape in an unquoted key: only \\uXXXX "
                                            "escapes are allowed, found %s",
                                            describe(p, p->cur.off, d));
                        advance(p);
                        int r = read_hex(p, at, 'u', 4, &v);
                        if (r < 0)
                                return r;
                        if (v >= 0xd800 && v <= 0xdfff)
                                return fail(p, -EINVAL, at, "put the key in quotes",
                                            "invalid escape in an unquoted key: '\\u%04X' is a "
                                            "surrogate",
                                            v);
                        if (first ? !is_id_start((int32_t) v) : !is_id_part((int32_t) v))
                                return fail(p, -EINVAL, at, "put the key in quotes",
                                            "invalid escape in an unquoted key: '\\u%04X' %s", v,
                                            is_digit((int32_t) v) ? "(a digit) cannot start a key"
                                                                  : "is not an identifier "
                                                                    "character");
                        add_utf8(out, v);
                        continue;
                }
                if (first ? !is_id_start(c) : !is_id_part(c))
                        return 0;
                pc_buf_add(out, p->text + at.off, n);
                advance(p);
        }
}

/* ---- Numbers and literals ------------------------------------------------------------ */

/* End of the number-like text at start, to quote a bad number whole ("10px", "1.2.3"). */
static size_t number_end(const Parser *p, size_t off)
{
        for (;;) {
                size_t n;
                int32_t c = decode_at(p, off, &n);
                bool sign = (c == '+' || c == '-') && off > 0 &&
                            (p->text[off - 1] == 'e' || p->text[off - 1] == 'E');
                if (!is_id_part(c) && c != '.' && !sign)
                        return off;
                off += n;
        }
}

static int fail_number(Parser *p, Cursor start, size_t end, const char *what, const char *hint)
{
        _cleanup_free_ char *num = quote_text(p, start.off, number_end(p, end));
        return fail(p, -EINVAL, start, hint, "invalid number '%s'%s", num, what);
}

static int fail_range(Parser *p, Cursor start, size_t end, bool hex)
{
        _cleanup_free_ char *num = quote_text(p, start.off, end);
        return fail(p, -EINVAL, start,
                    hex ? "hexadecimal numbers must fit in a signed 64-bit integer "
                          "(-0x8000000000000000 to 0x7fffffffffffffff)"
                        : "numbers must be finite, at most about 1.8e308 in magnitude",
                    "number out of range: %s", num);
}

/* Whether the character at off may not follow a number (ECMAScript: no IdentifierStart or
 * digit right after a numeric literal; a second '.' is no better). */
static bool bad_number_end(const Parser *p, size_t off)
{
        int32_t c = cp_at(p, off);
        return is_id_part(c) || c == '.' || c == '\\';
}

/* Stores mag, negated when neg, in *ret if it fits json_int_t. */
static bool to_int(uint64_t mag, bool neg, json_int_t *ret)
{
        const uint64_t max = INT64_MAX;

        if (mag > max + neg)
                return false;
        *ret = !neg ? (json_int_t) mag : mag == max + 1 ? INT64_MIN : -(json_int_t) mag;
        return true;
}

static double to_double(Parser *p, size_t start, size_t end)
{
        _cleanup_free_ char *copy = xstrndup(p->text + start, end - start);

        /* strtod() follows LC_NUMERIC, which the program may have set to a locale using ',' */
        if (!p->c_locale)
                p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
        return p->c_locale ? strtod_l(copy, NULL, p->c_locale) : strtod(copy, NULL);
}

static int parse_number(Parser *p, json_t **ret)
{
        Cursor start = p->cur;
        const char *s = p->text;
        size_t i = start.off, n = p->len, digits;
        bool neg = false, fraction = false, exponent = false;
        char sign = 0;

        if (s[i] == '+' || s[i] == '-') {
                sign = s[i++];
                neg = sign == '-';
        }
        int32_t c = cp_at(p, i);
        if (sign && is_id_start(c)) {
                size_t end = id_end(p, i);
                if (word_is(p, i, end, "Infinity") || word_is(p, i, end, "NaN"))
                        return fail_nonfinite(p, start, end);
        }

        if (c == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
                uint64_t mag = 0;
                bool overflow = false;
                for (i += 2, digits = 0; i < n && hex_value(s[i]) >= 0; i++, digits++) {
                        if (mag > UINT64_MAX >> 4)
                                overflow = true;
                        mag = mag << 4 | (uint64_t) hex_value(s[i]);
                }
                if (digits == 0)
                        return fail_number(p, start, i, ": no hexadecimal digits after '0x'",
                                           "write hexadecimal digits after 0x, e.g. 0x1F");
                if (bad_number_end(p, i))
                        return fail_number(p, start, i, "",
                                           "hexadecimal digits are 0-9 and a-f; put the value "
                                           "in quotes if it is text");
                json_int_t v;
                if (overflow || !to_int(mag, neg, &v))
                        return fail_range(p, start, i, true);
                advance_to(p, i);
                *ret = json_integer(v);
                return 0;
        }

        size_t int_start = i;
        if (c == '0') {
                i++;
                if (i < n && is_digit(s[i]))
                        return fail_number(p, start, i, ": leading zeros are not allowed",
                                           "remove the leading zeros, or put the value in quotes "
                                           "if it is text");
        } else
                while (i < n && is_digit(s[i]))
                        i++;
        digits = i - int_start;
        if (i < n && s[i] == '.') {
                fraction = true;
                for (i++; i < n && is_digit(s[i]); i++)
                        digits++;
        }
        if (digits == 0) {
                char d[32];
                if (!fraction)
                        return fail(p, -EINVAL, cursor_at(p, start, i),
                                    "write the number right after the sign",
                                    "expected a digit after '%c', found %s", sign,
                                    describe(p, i, d));
                return fail_number(p, start, i, ": expected a digit before or after '.'",
                                   "write e.g. 0.5 or .5");
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                exponent = true;
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                for (digits = 0; i < n && is_digit(s[i]); i++)
                        digits++;
                if (digits == 0)
                        return fail_number(p, start, i, ": expected a digit in the exponent",
                                           "write an exponent like 1e5 or 2.5E-3");
        }
        if (bad_number_end(p, i))
                return fail_number(p, start, i, "",
                                   s[i] == '.' ? "a number has at most one '.'"
                                               : "numbers cannot be followed by letters; put the "
                                                 "value in quotes if it is text");

        json_t *v = NULL;
        if (!fraction && !exponent) {
                uint64_t mag = 0;
                bool overflow = false;
                for (size_t j = int_start; j < i && !overflow; j++) {
                        uint64_t dgt = (uint64_t) (s[j] - '0');
                        if (mag > (UINT64_MAX - dgt) / 10)
                                overflow = true;
                        else
                                mag = mag * 10 + dgt;
                }
                json_int_t k;
                if (!overflow && to_int(mag, neg, &k))
                        v = json_integer(k); /* -0 becomes the integer 0: see the top */
        }
        if (!v) {
                double d = to_double(p, start.off, i);
                if (!isfinite(d))
                        return fail_range(p, start, i, false);
                v = json_real(d);
        }
        advance_to(p, i);
        *ret = v;
        return 0;
}

/* A value starting with an identifier character: true, false, null, or a mistake. */
static int parse_word(Parser *p, json_t **ret)
{
        size_t end = id_end(p, p->cur.off);

        if (word_is(p, p->cur.off, end, "true"))
                *ret = json_true();
        else if (word_is(p, p->cur.off, end, "false"))
                *ret = json_false();
        else if (word_is(p, p->cur.off, end, "null"))
                *ret = json_null();
        else if (word_is(p, p->cur.off, end, "Infinity") || word_is(p, p->cur.off, end, "NaN"))
                return fail_nonfinite(p, p->cur, end);
        else
                return fail_word(p, end);
        advance_to(p, end);
        return 0;
}

/* ---- Objects and arrays -------------------------------------------------------------- */

static int parse_value(Parser *p, Context ctx, json_t **ret);

_noreturn_ static void json_oom(void)
{
        fprintf(stderr, "pincer: out of memory (building a JSON value)\n");
        abort();
}

static json_t *json_or_die(json_t *v)
{
        if (!v)
                json_oom();
        return v;
}

static PcSrcPos srcpos(const Parser *p, Cursor c)
{
        return (PcSrcPos){.file = p->file_id, .line = c.line, .col = c.col};
}

static int enter(Parser *p, Cursor open)
{
        if (p->depth >= PC_JSON5_MAX_DEPTH)
                return fail(p, -E2BIG, open, "flatten the structure",
                            "nesting too deep: more than %d levels of objects and arrays",
                            PC_JSON5_MAX_DEPTH);
        p->depth++;
        return 0;
}

static int parse_member(Parser *p, json_t *obj, Cursor open)
{
        _cleanup_buf_ PcBuf key = PC_BUF_INIT;
        Cursor key_pos = p->cur, value_pos;
        int32_t c = cur(p);
        bool quoted = c == '"' || c == '\'';
        json_t *v;
        int r;

        if (quoted)
                r = parse_string(p, &key);
        else if (is_id_start(c) || c == '\\')
                r = parse_identifier(p, &key);
        else
                return fail_key(p, open);
        if (r < 0)
                return r;
        size_t key_end = p->cur.off;
        if (memchr(key.buf, '\0', key.len))
                return fail(p, -EINVAL, key_pos, "remove the NUL character from the key",
                            "object keys cannot contain NUL characters (\\u0000)");

        if (json_object_get(obj, key.buf)) {
                _cleanup_free_ char *k = quote_key(key.buf);
                PcSrcPos first = {};
                (void) pc_jsonpos_get_member(p->map, obj, key.buf, &first, NULL);
                return fail(p, -EINVAL, key_pos,
                            "remove one of the two, or rename one: keys must be unique in an "
                            "object",
                            "duplicate key '%s' (first defined at %u:%u)", k, first.line,
                            first.col);
        }

        r = skip_ws(p);
        if (r < 0)
                return r;
        if (cur(p) != ':')
                return fail_colon(p, key.buf, key_pos, key_end, quoted);
        advance(p);
        pc_jsonpath_add_key(&p->path, key.buf);
        r = skip_ws(p);
        if (r < 0)
                return r;
        value_pos = p->cur;
        r = parse_value(p, CTX_MEMBER, &v);
        if (r < 0)
                return r;
        if (json_object_set_new(obj, key.buf, v) < 0)
                json_oom();
        /* Recorded even when the caller wants no positions: a duplicate's message needs them. */
        pc_jsonpos_set_member(p->map, obj, key.buf, srcpos(p, key_pos), srcpos(p, value_pos));
        return 0;
}

static int parse_item(Parser *p, json_t *arr)
{
        size_t index = json_array_size(arr);
        Cursor value_pos = p->cur;
        json_t *v;
        int r;

        pc_jsonpath_add_index(&p->path, index);
        r = parse_value(p, CTX_ITEM, &v);
        if (r < 0)
                return r;
        if (json_array_append_new(arr, v) < 0)
                json_oom();
        if (p->want_pos)
                pc_jsonpos_set_item(p->map, arr, index, srcpos(p, value_pos));
        return 0;
}

/* An object or an array: the same loop around members or items. */
static int parse_container(Parser *p, bool object, json_t **ret)
{
        Cursor open = p->cur;
        size_t path_len = p->path.len;
        char close = object ? '}' : ']';
        int r;

        r = enter(p, open);
        if (r < 0)
                return r;
        advance(p);
        json_auto_t *c = json_or_die(object ? json_object() : json_array());
        for (;;) {
                r = skip_ws(p);
                if (r < 0)
                        return r;
                if (cur(p) == close)
                        break;
                r = object ? parse_member(p, c, open) : parse_item(p, c);
                if (r < 0)
                        return r;
                pc_buf_setlen(&p->path, path_len);
                r = skip_ws(p);
                if (r < 0)
                        return r;
                if (cur(p) == close)
                        break;
                if (cur(p) != ',')
                        return fail_after(p, open, object);
                advance(p);
        }
        advance(p);
        p->depth--;
        *ret = TAKE_PTR(c);
        return 0;
}

/* Parses the value at the cursor (whitespace already skipped). */
static int parse_value(Parser *p, Context ctx, json_t **ret)
{
        int32_t c = cur(p);

        if (c == '{' || c == '[')
                return parse_container(p, c == '{', ret);
        if (c == '"' || c == '\'') {
                _cleanup_buf_ PcBuf s = PC_BUF_INIT;
                int r = parse_string(p, &s);
                if (r < 0)
                        return r;
                *ret = json_or_die(json_stringn(s.buf, s.len));
                return 0;
        }
        if (is_digit(c) || c == '+' || c == '-' || c == '.')
                return parse_number(p, ret);
        if (is_id_start(c))
                return parse_word(p, ret);
        return fail_value(p, ctx);
}

/* ---- The document -------------------------------------------------------------------- */

/* Positions go to the caller's map only on success, so that a failed parse leaves no entries
 * keyed by containers that no longer exist. */
static void copy_positions(PcJsonPos *to, const PcJsonPos *from, json_t *v)
{
        PcSrcPos key_pos, value_pos;

        if (json_is_object(v)) {
                const char *key;
                json_t *m;
                json_object_foreach (v, key, m) {
                        if (pc_jsonpos_get_member(from, v, key, &key_pos, &value_pos))
                                pc_jsonpos_set_member(to, v, key, key_pos, value_pos);
                        copy_positions(to, from, m);
                }
        } else if (json_is_array(v)) {
                for (size_t i = 0; i < json_array_size(v); i++) {
                        if (pc_jsonpos_get_item(from, v, i, &value_pos))
                                pc_jsonpos_set_item(to, v, i, value_pos);
                        copy_positions(to, from, json_array_get(v, i));
                }
        }
}

static int check_encoding(Parser *p)
{
        const unsigned char *s = (const unsigned char *) p->text;
        Cursor origin = {.off = 0, .line = 1, .col = 1};

        for (size_t i = 0; i < p->len;) {
                uint32_t c;
                size_t n;

                if (s[i] != 0 && s[i] < 0x80) {
                        i++;
                        continue;
                }
                n = utf8_decode(s + i, p->len - i, &c);
                if (n == 0)
                        return fail(p, -EINVAL, cursor_at(p, origin, i),
                                    p->len >= 2 && ((s[0] == 0xff && s[1] == 0xfe) ||
                                                    (s[0] == 0xfe && s[1] == 0xff))
                                            ? "the file looks like UTF-16: save it as UTF-8"
                                            : "save the file as UTF-8",
                                    "invalid UTF-8: found byte 0x%02x", s[i]);
                if (c == 0)
                        return fail(p, -EINVAL, cursor_at(p, origin, i),
                                    "remove it (inside a string, write \\u0000 instead)",
                                    "NUL character (U+0000) in the document");
                i += n;
        }
        return 0;
}

int pc_json5_parse(const char *text, size_t len, uint32_t file_id, PcJsonPos *pos, json_t **ret,
                   PcJson5Error *err)
{
        _cleanup_(parser_done) Parser p = {
                .text = text ? text : "",
                .len = text ? len : 0,
                .cur = {.off = 0, .line = 1, .col = 1},
                .file_id = file_id,
                .want_pos = pos != NULL,
                .map = pc_jsonpos_new(),
                .path = PC_BUF_INIT,
                .err = err,
        };
        json_t *v = NULL;
        int r;

        if (len > PC_JSON5_MAX_SIZE)
                /* Line 0: the problem is the whole file, not a place in it. */
                return fail(&p, -E2BIG, (Cursor){}, "split it up, or remove what is not needed",
                            "document too large: %zu bytes, the limit is %u bytes", len,
                            PC_JSON5_MAX_SIZE);
        r = check_encoding(&p);
        if (r < 0)
                return r;
        r = skip_ws(&p);
        if (r < 0)
                return r;
        if (cur(&p) == EOI)
                return fail(&p, -EINVAL, p.cur, "write a value, e.g. {} for an empty object",
                            "empty document");

        Cursor value_pos = p.cur;
        r = parse_value(&p, CTX_ROOT, &v);
        if (r < 0)
                return r;
        json_auto_t *root = v;
        r = skip_ws(&p);
        if (r < 0)
                return r;
        int32_t c = cur(&p);
        if (c != EOI) {
                char d[32];
                return fail(&p, -EINVAL, p.cur,
                            c == '}'   ? "remove the unmatched '}'"
                            : c == ']' ? "remove the unmatched ']'"
                                       : "a document holds a single value: remove the extra "
                                         "text, or wrap the values in an array",
                            "expected end of input after the value, found %s",
                            describe(&p, p.cur.off, d));
        }
        if (pos) {
                pc_jsonpos_set_root(pos, srcpos(&p, value_pos));
                copy_positions(pos, p.map, root);
        }
        *ret = TAKE_PTR(root);
        return 0;
}
