/* SPDX-License-Identifier: MIT */
/*
 * Tests for the JSON5 parser: accepted syntax with exact values, every error with its exact
 * message, position and path, source positions, limits, and a replay of the vectors that
 * tests/oracle/json5-oracle.mjs generated from npm json5.
 */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json5.h"

/* A string literal with its length, so that inputs may contain NUL bytes. */
#define IN(s) .in = (s), .len = sizeof(s) - 1

typedef struct Valid {
        const char *in;
        size_t len;
        const char *json; /* the expected value as strict JSON; reals must be written as reals */
} Valid;

typedef struct Invalid {
        const char *in;
        size_t len;
        uint32_t line, col;
        const char *path;
        const char *msg;
        const char *hint; /* NULL: not checked */
} Invalid;

#define V(i, j)                                                                                    \
        {                                                                                          \
                IN(i), .json = (j)                                                                 \
        }
#define E(i, l, c, p, m, h)                                                                        \
        {                                                                                          \
                IN(i), .line = (l), .col = (c), .path = (p), .msg = (m), .hint = (h)               \
        }

static json_t *expected_value(const char *json)
{
        json_error_t e;
        json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        if (!v)
                fail_msg("bad expectation %s: %s", json, e.text);
        return v;
}

static void check_valid(const Valid *t)
{
        PcJson5Error err = {};
        json_t *v = NULL;
        int r = pc_json5_parse(t->in, t->len, 0, NULL, &v, &err);

        if (r < 0)
                fail_msg("'%s' failed: %u:%u: %s", t->in, err.pos.line, err.pos.col, err.msg);
        json_t *want = expected_value(t->json);
        /* json_equal() tells integers from reals, so the type is checked too */
        if (!json_equal(v, want)) {
                char *got = json_dumps(v, JSON_ENCODE_ANY);
                fail_msg("'%s': got %s, want %s", t->in, got, t->json);
        }
        json_decref(want);
        json_decref(v);
}

static void check_invalid(const Invalid *t, int code)
{
        PcJson5Error err;
        json_t *v = NULL;

        memset(&err, 0x55, sizeof(err));
        int r = pc_json5_parse(t->in, t->len, 3, NULL, &v, &err);
        if (r != code)
                fail_msg("'%s': got %d, want %d (%s)", t->in, r, code, r < 0 ? err.msg : "");
        assert_null(v);
        if (!streq(err.msg, t->msg) || err.pos.line != t->line || err.pos.col != t->col ||
            !streq(err.path, t->path) || err.pos.file != 3 ||
            (t->hint && !streq(err.hint, t->hint)))
                fail_msg("'%s':\n got  %u:%u [%s] %s | %s\n want %u:%u [%s] %s | %s", t->in,
                         err.pos.line, err.pos.col, err.path, err.msg, err.hint, t->line, t->col,
                         t->path, t->msg, t->hint ? t->hint : "(any)");
}

static void test_valid(void **state)
{
        static const Valid tests[] = {
                /* containers, trailing commas */
                V("{}", "{}"),
                V("[]", "[]"),
                V("[1,]", "[1]"),
                V("{a:1,}", "{\"a\":1}"),
                V("[1, [2, [3,],], {},]", "[1,[2,[3]],{}]"),
                V("{a: {b: {c: [true]}}}", "{\"a\":{\"b\":{\"c\":[true]}}}"),
                /* keys */
                V("{a:1, 'b':2, \"c\":3}", "{\"a\":1,\"b\":2,\"c\":3}"),
                V("{$:1, _:2, a1:3, $_a9:4, A:5}", "{\"$\":1,\"_\":2,\"a1\":3,\"$_a9\":4,\"A\":5}"),
                V("{\\u0061b: 1}", "{\"ab\":1}"),
                V("{a\\u0062: 1}", "{\"ab\":1}"),
                V("{\\u0024: 1, \\u005F: 2}", "{\"$\":1,\"_\":2}"),
                V("{\\u00e9t\\u00E9: 1}", "{\"été\":1}"),
                V("{ümlaut: 1, 中文: 2, été2: 3}", "{\"ümlaut\":1,\"中文\":2,\"été2\":3}"),
                V("{€: 1, a😀: 2}", "{\"€\":1,\"a😀\":2}"), /* our identifier approximation */
                V("{a\u200Cb: 1}", "{\"a\u200Cb\":1}"),   /* ZWNJ */
                V("{\"\": 1}", "{\"\":1}"),
                V("{'a b': 1, \"c:d\": 2}", "{\"a b\":1,\"c:d\":2}"),
                V("{__proto__: 1, constructor: 2}", "{\"__proto__\":1,\"constructor\":2}"),
                V("{true: 1, null: 2, Infinity: 3, NaN: 4}",
                  "{\"true\":1,\"null\":2,\"Infinity\":3,\"NaN\":4}"),
                V("{ a : 1 , b : 2 }", "{\"a\":1,\"b\":2}"),
                /* comments */
                V("// c\n1", "1"),
                V("/* c */ 1", "1"),
                V("1 // c", "1"),
                V("1 /* c */", "1"),
                V("/**/1", "1"),
                V("/***/1", "1"),
                V("/* a * b / c **/1", "1"),
                V("[1 /* , */, 2]", "[1,2]"),
                V("// c\r\n1", "1"),
                V("// c\r1", "1"),
                V("// c\u20281", "1"),
                V("1//", "1"),
                V("{a/*x*/:/*y*/1/*z*/}", "{\"a\":1}"),
                V("/* multi\nline\n*/ 1", "1"),
                /* strings */
                V("'a\"b'", "\"a\\\"b\""),
                V("\"a'b\"", "\"a'b\""),
                V("\"\\'\\\"\\\\\\b\\f\\n\\r\\t\\v\\0\"",
                  "\"'\\\"\\\\\\b\\f\\n\\r\\t\\u000b\\u0000\""),
                V("'\\''", "\"'\""),
                V("\"\\x41\\xe9\\xFF\\x00\"", "\"Aé\\u00ff\\u0000\""),
                V("\"\\u0041\\u00e9\\uD83D\\uDE00\\uffff\"", "\"Aé😀\uFFFF\""),
                V("\"\\uDBFF\\uDFFF\"", "\"\U0010FFFF\""),
                V("\"\\a\\c\\d\\e\\g\\z\\ \\é\\/\"", "\"acdegz é/\""),
                V("\"a\\\nb\"", "\"ab\""),
                V("\"a\\\r\nb\"", "\"ab\""),
                V("\"a\\\rb\"", "\"ab\""),
                V("\"a\\\u2028b\"", "\"ab\""),
                V("\"a\\\u2029b\"", "\"ab\""),
                V("\"a\u2028b\u2029\"", "\"a\u2028b\u2029\""),
                V("\"tab\there\001\037\177\"", "\"tab\\there\\u0001\\u001f\177\""),
                V("\"\\u0000\"", "\"\\u0000\""),
                V("\"\\0a\"", "\"\\u0000a\""),
                V("\"\"", "\"\""),
                V("''", "\"\""),
                V("\"😀 é 中\"", "\"😀 é 中\""),
                V("\"// not a comment /* */\"", "\"// not a comment /* */\""),
                /* numbers */
                V("0", "0"),
                V("-0", "0"), /* the integer 0: json_int_t has no negative zero */
                V("+0", "0"),
                V("1", "1"),
                V("-1", "-1"),
                V("+1", "1"),
                V("123", "123"),
                V(".5", "0.5"),
                V("5.", "5.0"),
                V("-.5", "-0.5"),
                V("+.5", "0.5"),
                V("1.5", "1.5"),
                V("1e5", "100000.0"),
                V("1E5", "100000.0"),
                V("1e+5", "100000.0"),
                V("1e-5", "0.00001"),
                V("1.5e3", "1500.0"),
                V("5.e3", "5000.0"),
                V(".5e1", "5.0"),
                V("0.0", "0.0"),
                V("0e5", "0.0"),
                V("0.e1", "0.0"),
                V("0x0", "0"),
                V("0x1F", "31"),
                V("0XaB", "171"),
                V("-0x10", "-16"),
                V("+0x10", "16"),
                V("0x00000001", "1"),
                V("0x7FFFFFFFFFFFFFFF", "9223372036854775807"),
                V("-0x8000000000000000", "-9223372036854775808"),
                V("9223372036854775807", "9223372036854775807"),
                V("-9223372036854775808", "-9223372036854775808"),
                V("9223372036854775808", "9223372036854775808.0"),
                V("-9223372036854775809", "-9223372036854775809.0"),
                V("123456789012345678901234567890", "1.2345678901234568e29"),
                V("1e308", "1e308"),
                V("1.7976931348623157e308", "1.7976931348623157e308"),
                V("1e-400", "0.0"),
                V("4.9e-324", "4.9e-324"),
                V("[1,-1,+1,.1,1.,0x1]", "[1,-1,1,0.1,1.0,1]"),
                /* literals, whitespace */
                V("true", "true"),
                V("false", "false"),
                V("null", "null"),
                V("[true,false,null]", "[true,false,null]"),
                V("\t\v\f \u00A0\uFEFF\u1680\u2000\u200A\u202F\u205F\u3000\u2028\u2029\n\r1", "1"),
                V("\uFEFF{}", "{}"), /* BOM */
                V("\r\n{\r\n\ta: 1\r\n}\r\n", "{\"a\":1}"),
                V("{\u00A0a\u3000:\u20001}", "{\"a\":1}"),
                V("'a' ", "\"a\""),
        };

        for (size_t i = 0; i < ELEMENTSOF(tests); i++)
                check_valid(&tests[i]);
}

static void test_negative_zero(void **state)
{
        json_t *v = NULL;

        assert_int_equal(pc_json5_parse("-0.0", 4, 0, NULL, &v, NULL), 0);
        assert_true(json_is_real(v));
        assert_true(signbit(json_real_value(v)));
        json_decref(v);
        assert_int_equal(pc_json5_parse("-0e0", 4, 0, NULL, &v, NULL), 0);
        assert_true(json_is_real(v) && signbit(json_real_value(v)));
        json_decref(v);
        assert_int_equal(pc_json5_parse("-0x0", 4, 0, NULL, &v, NULL), 0);
        assert_true(json_is_integer(v) && json_integer_value(v) == 0);
        json_decref(v);
}

static void test_string_with_nul(void **state)
{
        json_t *v = NULL;
        const char in[] = "{a: 'x\\u0000y\\0', b: \"\\x00\"}";

        assert_int_equal(pc_json5_parse(in, sizeof(in) - 1, 0, NULL, &v, NULL), 0);
        json_t *a = json_object_get(v, "a");
        assert_int_equal(json_string_length(a), 4);
        assert_memory_equal(json_string_value(a), "x\0y\0", 4);
        assert_int_equal(json_string_length(json_object_get(v, "b")), 1);
        json_decref(v);
}

static void test_invalid(void **state)
{
        static const Invalid tests[] = {
                /* documents */
                E("", 1, 1, "", "empty document", "write a value, e.g. {} for an empty object"),
                E("   ", 1, 4, "", "empty document", NULL),
                E("// just a comment\n", 2, 1, "", "empty document", NULL),
                E("1 2", 1, 3, "", "expected end of input after the value, found '2'",
                  "a document holds a single value: remove the extra text, or wrap the values in "
                  "an array"),
                E("{} {}", 1, 4, "", "expected end of input after the value, found '{'", NULL),
                E("{}}", 1, 3, "", "expected end of input after the value, found '}'",
                  "remove the unmatched '}'"),
                E("[]]", 1, 3, "", "expected end of input after the value, found ']'",
                  "remove the unmatched ']'"),
                E("\"a\" \"b\"", 1, 5, "", "expected end of input after the value, found '\"'",
                  NULL),
                E("'it''s'", 1, 5, "", "expected end of input after the value, found \"'\"", NULL),
                E("}", 1, 1, "", "expected a value, found '}'", "remove the unmatched '}'"),
                E("]", 1, 1, "", "expected a value, found ']'", "remove the unmatched ']'"),
                E(":", 1, 1, "", "expected a value, found ':'",
                  "a value is an object, an array, a quoted string, a number, true, false or "
                  "null"),
                E("\\u0074rue", 1, 1, "", "expected a value, found '\\'", NULL),
                E("#!/bin/sh", 1, 1, "", "expected a value, found '#'",
                  "comments start with '//' or '/*', not '#'"),
                E("\001", 1, 1, "", "expected a value, found control character U+0001", NULL),
                E("\302\205", 1, 1, "", "expected a value, found control character U+0085", NULL),
                E("\u200B1", 1, 1, "", "expected a value, found '\u200B1'",
                  "put text in quotes, e.g. \"\u200B1\""),
                E("[\u200B]", 1, 2, "[0]", "expected a value, found '\u200B'", NULL),
                E("[1 \u200B]", 1, 4, "",
                  "expected ',' or ']' after an array item, found '\u200B' (U+200B)", NULL),
                E("[1\302\205]", 1, 3, "",
                  "expected ',' or ']' after an array item, found control character U+0085", NULL),
                /* comments */
                E("/* unterminated", 1, 1, "",
                  "unterminated block comment: found end of input before '*/'",
                  "close the comment with '*/'"),
                E("{a: 1 /* unterminated\n\n", 1, 7, "",
                  "unterminated block comment: found end of input before '*/'", NULL),
                E("/*/", 1, 1, "", "unterminated block comment: found end of input before '*/'",
                  NULL),
                E("{\n  a: 1,\n  b: / 2,\n}", 3, 6, "b", "unexpected '/'",
                  "comments start with '//' or '/*'; put text containing '/' in quotes"),
                E("1 /", 1, 3, "", "unexpected '/'", NULL),
                /* objects */
                E("{a: 1 b: 2}", 1, 7, "", "expected ',' or '}' after an object member, found 'b'",
                  "add a ',' between members"),
                E("{a: 1; b: 2}", 1, 6, "", "expected ',' or '}' after an object member, found ';'",
                  "separate members with ',', not ';'"),
                E("{a: 1", 1, 6, "",
                  "expected ',' or '}' after an object member, found end of input",
                  "close the object opened at 1:1 with '}'"),
                E("[{a: 1]", 1, 7, "[0]", "expected ',' or '}' after an object member, found ']'",
                  "the object opened at 1:2 must be closed with '}'"),
                E("{,}", 1, 2, "", "expected a key or '}', found ','", "remove the extra ','"),
                E("{a:1,,}", 1, 6, "", "expected a key or '}', found ','", "remove the extra ','"),
                E("{\n", 2, 1, "", "expected a key or '}', found end of input",
                  "close the object opened at 1:1 with '}'"),
                E("{a:1,]", 1, 6, "", "expected a key or '}', found ']'",
                  "the object opened at 1:1 must be closed with '}'"),
                E("{:1}", 1, 2, "", "expected a key or '}', found ':'",
                  "write a key (an identifier or a quoted string), ':' and a value"),
                E("{1: 2}", 1, 2, "", "expected a key or '}', found '1'",
                  "keys that are not identifiers must be quoted: write \"1\""),
                E("{-x: 2}", 1, 2, "", "expected a key or '}', found '-'",
                  "keys that are not identifiers must be quoted: write \"-x\""),
                E("{\n  # comment\n  a: 1\n}", 2, 3, "", "expected a key or '}', found '#'",
                  "comments start with '//' or '/*', not '#'"),
                E("{a:}", 1, 4, "a", "expected a value, found '}'", "write a value after ':'"),
                E("{a:,}", 1, 4, "a", "expected a value, found ','", "write a value after ':'"),
                E("{a:", 1, 4, "a", "expected a value, found end of input",
                  "the document ends too early: complete the value and close every open '{' and "
                  "'['"),
                E("{foo-bar: 1}", 1, 5, "", "expected ':' after key 'foo', found '-'",
                  "keys that are not identifiers must be quoted: write \"foo-bar\""),
                E("{a.b.c: 1}", 1, 3, "", "expected ':' after key 'a', found '.'",
                  "keys that are not identifiers must be quoted: write \"a.b.c\""),
                E("{foo bar: 1}", 1, 6, "", "expected ':' after key 'foo', found 'b'",
                  "separate each key from its value with ':'"),
                E("{\"a\" 1}", 1, 6, "", "expected ':' after key 'a', found '1'",
                  "separate each key from its value with ':'"),
                E("{a = 1}", 1, 4, "", "expected ':' after key 'a', found '='",
                  "separate keys from values with ':', not '='"),
                E("{a}", 1, 3, "", "expected ':' after key 'a', found '}'", NULL),
                E("{'a\\nb'\n", 2, 1, "", "expected ':' after key 'a\\nb', found end of input",
                  NULL),
                /* arrays */
                E("[1 2]", 1, 4, "", "expected ',' or ']' after an array item, found '2'",
                  "add a ',' between items"),
                E("[1; 2]", 1, 3, "", "expected ',' or ']' after an array item, found ';'",
                  "separate items with ',', not ';'"),
                E("[a: 1]", 1, 2, "[0]", "expected a value, found 'a'",
                  "put text in quotes, e.g. \"a\""),
                E("['a': 1]", 1, 5, "", "expected ',' or ']' after an array item, found ':'",
                  "arrays hold values, not key: value pairs; use an object {...}"),
                E("{a: [1, 2}", 1, 10, "a", "expected ',' or ']' after an array item, found '}'",
                  "the array opened at 1:5 must be closed with ']'"),
                E("[1,\n 2\n", 3, 1, "",
                  "expected ',' or ']' after an array item, found end of input",
                  "close the array opened at 1:1 with ']'"),
                E("[1,,2]", 1, 4, "[1]", "expected a value or ']', found ','",
                  "remove the extra ','"),
                E("[,]", 1, 2, "[0]", "expected a value or ']', found ','", NULL),
                E("[", 1, 2, "[0]", "expected a value or ']', found end of input", NULL),
                /* strings */
                E("{'key", 1, 2, "",
                  "unterminated string: found end of input before the closing \"'\"",
                  "close the string with a matching quote"),
                E("{'key': 'value\n}", 1, 9, "key",
                  "unterminated string: found a line break before the closing \"'\"",
                  "close the string with a matching quote, or end the line with '\\' to continue "
                  "the string on the next line"),
                E("[\n  \"abc\r\ndef\"]", 2, 3, "[0]",
                  "unterminated string: found a line break before the closing '\"'", NULL),
                E("\"abc\rdef\"", 1, 1, "",
                  "unterminated string: found a line break before the closing '\"'", NULL),
                E("\"abc", 1, 1, "",
                  "unterminated string: found end of input before the closing '\"'", NULL),
                E("\"\\", 1, 1, "",
                  "unterminated string: found end of input before the closing '\"'", NULL),
                E("\"\\x4\"", 1, 2, "",
                  "invalid escape sequence: '\\x' must be followed by two hexadecimal digits, "
                  "found '\"'",
                  "write e.g. \\x41 for 'A', or '\\\\' for a backslash"),
                E("'a\\xZZ'", 1, 3, "",
                  "invalid escape sequence: '\\x' must be followed by two hexadecimal digits, "
                  "found 'Z'",
                  NULL),
                E("\"\\u12\"", 1, 2, "",
                  "invalid escape sequence: '\\u' must be followed by four hexadecimal digits, "
                  "found '\"'",
                  "write e.g. \\u00e9 for 'é', or '\\\\' for a backslash"),
                E("\"\\u{41}\"", 1, 2, "",
                  "invalid escape sequence: '\\u' must be followed by four hexadecimal digits, "
                  "found '{'",
                  NULL),
                E("\"\\01\"", 1, 2, "",
                  "invalid escape sequence '\\01': '\\0' cannot be followed by a digit",
                  "octal escapes are not part of JSON5: write \\xHH or \\uHHHH, or '\\\\' for a "
                  "backslash"),
                E("\"\\7\"", 1, 2, "", "invalid escape sequence '\\7'", NULL),
                E("\"C:\\1dir\"", 1, 4, "", "invalid escape sequence '\\1'", NULL),
                E("\"\\uD83D\"", 1, 2, "",
                  "invalid escape sequence '\\uD83D': a high surrogate must be followed by a low "
                  "surrogate (\\uDC00 to \\uDFFF)",
                  "write the character itself, or a complete surrogate pair such as "
                  "\\uD83D\\uDE00"),
                E("\"\\ud83dx\"", 1, 2, "",
                  "invalid escape sequence '\\uD83D': a high surrogate must be followed by a low "
                  "surrogate (\\uDC00 to \\uDFFF)",
                  NULL),
                E("\"\\uD83D\\u0041\"", 1, 2, "",
                  "invalid escape sequence '\\uD83D': a high surrogate must be followed by a low "
                  "surrogate (\\uDC00 to \\uDFFF)",
                  NULL),
                E("\"\\uD83D\\uD83D\"", 1, 2, "",
                  "invalid escape sequence '\\uD83D': a high surrogate must be followed by a low "
                  "surrogate (\\uDC00 to \\uDFFF)",
                  NULL),
                E("\"\\uD83D\\u00\"", 1, 8, "",
                  "invalid escape sequence: '\\u' must be followed by four hexadecimal digits, "
                  "found '\"'",
                  NULL),
                E("\"\\uDE00\"", 1, 2, "",
                  "invalid escape sequence '\\uDE00': a low surrogate must follow a high "
                  "surrogate (\\uD800 to \\uDBFF)",
                  NULL),
                /* unquoted keys */
                E("{\\x41: 1}", 1, 2, "",
                  "invalid escape in an unquoted key: only \\uXXXX escapes are allowed, found 'x'",
                  "put the key in quotes"),
                E("{\\u0030: 1}", 1, 2, "",
                  "invalid escape in an unquoted key: '\\u0030' (a digit) cannot start a key",
                  "put the key in quotes"),
                E("{a\\u002D: 1}", 1, 3, "",
                  "invalid escape in an unquoted key: '\\u002D' is not an identifier character",
                  NULL),
                E("{a\\u00A0: 1}", 1, 3, "",
                  "invalid escape in an unquoted key: '\\u00A0' is not an identifier character",
                  NULL),
                E("{\\uD83D\\uDE00: 1}", 1, 2, "",
                  "invalid escape in an unquoted key: '\\uD83D' is a surrogate", NULL),
                E("{\\u00: 1}", 1, 2, "",
                  "invalid escape sequence: '\\u' must be followed by four hexadecimal digits, "
                  "found ':'",
                  NULL),
                E("{\"a\\u0000b\": 1}", 1, 2, "",
                  "object keys cannot contain NUL characters (\\u0000)",
                  "remove the NUL character from the key"),
                /* numbers */
                E("01", 1, 1, "", "invalid number '01': leading zeros are not allowed",
                  "remove the leading zeros, or put the value in quotes if it is text"),
                E("-007", 1, 1, "", "invalid number '-007': leading zeros are not allowed", NULL),
                E("0x", 1, 1, "", "invalid number '0x': no hexadecimal digits after '0x'",
                  "write hexadecimal digits after 0x, e.g. 0x1F"),
                E("0xG", 1, 1, "", "invalid number '0xG': no hexadecimal digits after '0x'", NULL),
                E("0x1G", 1, 1, "", "invalid number '0x1G'",
                  "hexadecimal digits are 0-9 and a-f; put the value in quotes if it is text"),
                E("0x1.5", 1, 1, "", "invalid number '0x1.5'", NULL),
                E("1e", 1, 1, "", "invalid number '1e': expected a digit in the exponent",
                  "write an exponent like 1e5 or 2.5E-3"),
                E("1e+", 1, 1, "", "invalid number '1e+': expected a digit in the exponent", NULL),
                E("1ex", 1, 1, "", "invalid number '1ex': expected a digit in the exponent", NULL),
                E(".", 1, 1, "", "invalid number '.': expected a digit before or after '.'",
                  "write e.g. 0.5 or .5"),
                E(".e5", 1, 1, "", "invalid number '.e5': expected a digit before or after '.'",
                  NULL),
                E("-", 1, 2, "", "expected a digit after '-', found end of input",
                  "write the number right after the sign"),
                E("+", 1, 2, "", "expected a digit after '+', found end of input", NULL),
                E("- 1", 1, 2, "", "expected a digit after '-', found a space", NULL),
                E("-\t1", 1, 2, "", "expected a digit after '-', found a tab", NULL),
                E("--1", 1, 2, "", "expected a digit after '-', found '-'", NULL),
                E("-a", 1, 2, "", "expected a digit after '-', found 'a'", NULL),
                E("1..2", 1, 1, "", "invalid number '1..2'", "a number has at most one '.'"),
                E("1.2.3", 1, 1, "", "invalid number '1.2.3'", "a number has at most one '.'"),
                E("10px", 1, 1, "", "invalid number '10px'",
                  "numbers cannot be followed by letters; put the value in quotes if it is text"),
                E("1_000", 1, 1, "", "invalid number '1_000'", NULL),
                E("0b101", 1, 1, "", "invalid number '0b101'", NULL),
                E("1e5x", 1, 1, "", "invalid number '1e5x'", NULL),
                E("[1, 2é]", 1, 5, "[1]", "invalid number '2é'", NULL),
                E("1234567890123456789012345678901234567890123456789x", 1, 1, "",
                  "invalid number '1234567890123456789012345678901234567890...'", NULL),
                E("Infinity", 1, 1, "",
                  "Infinity is not allowed: JSON cannot represent it and no Pincer setting "
                  "accepts it",
                  "write a large finite number, or remove the value"),
                E("-Infinity", 1, 1, "",
                  "-Infinity is not allowed: JSON cannot represent it and no Pincer setting "
                  "accepts it",
                  NULL),
                E("+Infinity", 1, 1, "",
                  "+Infinity is not allowed: JSON cannot represent it and no Pincer setting "
                  "accepts it",
                  NULL),
                E("NaN", 1, 1, "",
                  "NaN is not allowed: JSON cannot represent it and no Pincer setting accepts it",
                  "write a number, or remove the value"),
                E("-NaN", 1, 1, "",
                  "-NaN is not allowed: JSON cannot represent it and no Pincer setting accepts "
                  "it",
                  NULL),
                E("{a: [1, Infinity]}", 1, 9, "a[1]",
                  "Infinity is not allowed: JSON cannot represent it and no Pincer setting "
                  "accepts it",
                  NULL),
                E("1e400", 1, 1, "", "number out of range: 1e400",
                  "numbers must be finite, at most about 1.8e308 in magnitude"),
                E("-1e309", 1, 1, "", "number out of range: -1e309", NULL),
                E("0x8000000000000000", 1, 1, "", "number out of range: 0x8000000000000000",
                  "hexadecimal numbers must fit in a signed 64-bit integer (-0x8000000000000000 "
                  "to 0x7fffffffffffffff)"),
                E("-0x8000000000000001", 1, 1, "", "number out of range: -0x8000000000000001",
                  NULL),
                E("0xFFFFFFFFFFFFFFFFFF", 1, 1, "", "number out of range: 0xFFFFFFFFFFFFFFFFFF",
                  NULL),
                /* words */
                E("True", 1, 1, "", "expected a value, found 'True'",
                  "literals are lower case: write true"),
                E("NULL", 1, 1, "", "expected a value, found 'NULL'",
                  "literals are lower case: write null"),
                E("FALSE", 1, 1, "", "expected a value, found 'FALSE'",
                  "literals are lower case: write false"),
                E("undefined", 1, 1, "", "expected a value, found 'undefined'",
                  "JSON has no undefined: write null, or remove the value"),
                E("{mode: docker}", 1, 8, "mode", "expected a value, found 'docker'",
                  "put text in quotes, e.g. \"docker\""),
                E("truex", 1, 1, "", "expected a value, found 'truex'", NULL),
                E("nul", 1, 1, "", "expected a value, found 'nul'", NULL),
                E("été", 1, 1, "", "expected a value, found 'été'", NULL),
                /* duplicate keys */
                E("{a:1, a:2}", 1, 7, "", "duplicate key 'a' (first defined at 1:2)",
                  "remove one of the two, or rename one: keys must be unique in an object"),
                E("{\n  a: 1,\n  \"b\": 2,\n  'a': 3,\n}", 4, 3, "",
                  "duplicate key 'a' (first defined at 2:3)", NULL),
                E("{x: {y: 1, \\u0079: 2}}", 1, 12, "x", "duplicate key 'y' (first defined at 1:6)",
                  NULL),
                E("{'a\\'\\n': 1, \"a'\\n\": 2}", 1, 14, "",
                  "duplicate key 'a\\'\\n' (first defined at 1:2)", NULL),
                /* paths */
                E("{\n  agents: {\n    list: [\n      {id: 'a'},\n      {id: 'b', sandbox: {mode: "
                  "docker}},\n    ],\n  },\n}",
                  5, 33, "agents.list[1].sandbox.mode", "expected a value, found 'docker'", NULL),
                E("{'odd key': [{\"x.y\": [0, 1, 01]}]}", 1, 29, "[\"odd key\"][0][\"x.y\"][2]",
                  "invalid number '01': leading zeros are not allowed", NULL),
                E("{a: {b: 'x\ny'}}", 1, 9, "a.b",
                  "unterminated string: found a line break before the closing \"'\"", NULL),
                E("{a: {b: 1 c: 2}}", 1, 11, "a",
                  "expected ',' or '}' after an object member, found 'c'", NULL),
                /* columns count characters, lines end at LF, CR, CRLF, U+2028 and U+2029 */
                E("\"é\" x", 1, 5, "", "expected end of input after the value, found 'x'", NULL),
                E("/*😀😀*/ x", 1, 8, "", "expected a value, found 'x'", NULL),
                E("\t\tx", 1, 3, "", "expected a value, found 'x'", NULL),
                E("\n\r\r\n\u2028\u2029 x", 6, 2, "", "expected a value, found 'x'", NULL),
                E("\"a\\\r\nb\" x", 2, 4, "", "expected end of input after the value, found 'x'",
                  NULL),
                E("'\u2028' x", 2, 3, "", "expected end of input after the value, found 'x'", NULL),
        };

        for (size_t i = 0; i < ELEMENTSOF(tests); i++)
                check_invalid(&tests[i], -EINVAL);
}

static void test_encoding(void **state)
{
        static const Invalid tests[] = {
                E("\377", 1, 1, "", "invalid UTF-8: found byte 0xff", "save the file as UTF-8"),
                E("\"abc\303\"", 1, 5, "", "invalid UTF-8: found byte 0xc3", NULL),
                E("{a: 1,\n b: 'x\200'}", 2, 7, "", "invalid UTF-8: found byte 0x80", NULL),
                E("'é\300\257'", 1, 3, "", "invalid UTF-8: found byte 0xc0", NULL), /* overlong */
                E("'\340\200\257'", 1, 2, "", "invalid UTF-8: found byte 0xe0",
                  NULL), /* overlong */
                E("'\355\240\200'", 1, 2, "", "invalid UTF-8: found byte 0xed",
                  NULL), /* surrogate */
                E("'\364\220\200\200'", 1, 2, "", "invalid UTF-8: found byte 0xf4", NULL),
                E("'\370\210\200\200\200'", 1, 2, "", "invalid UTF-8: found byte 0xf8", NULL),
                E("'\342\202'", 1, 2, "", "invalid UTF-8: found byte 0xe2", NULL), /* truncated */
                E("1 \360\237\230", 1, 3, "", "invalid UTF-8: found byte 0xf0", NULL),
                E("\377\376{\000}\000", 1, 1, "", "invalid UTF-8: found byte 0xff",
                  "the file looks like UTF-16: save it as UTF-8"),
                /* a syntax error earlier in the file does not hide the encoding problem */
                E("{{{ \377", 1, 5, "", "invalid UTF-8: found byte 0xff", NULL),
                E("\"a\0b\"", 1, 3, "", "NUL character (U+0000) in the document",
                  "remove it (inside a string, write \\u0000 instead)"),
                E("1\0", 1, 2, "", "NUL character (U+0000) in the document", NULL),
                E("// \0\n1", 1, 4, "", "NUL character (U+0000) in the document", NULL),
        };

        for (size_t i = 0; i < ELEMENTSOF(tests); i++)
                check_invalid(&tests[i], -EINVAL);
}

/* Inputs need not be NUL-terminated: parse from an exactly sized heap copy, so that ASan
 * catches any read past the end. */
static void test_not_terminated(void **state)
{
        static const char *const inputs[] = {"1",    "12",   "1e",      "0x",     "-",
                                             "\"ab", "'\\",  "/*",      "/",      "{a",
                                             "tru",  "true", "[1,",     "\u00E9", "-Infinit",
                                             "1.",   ".",    "\"\\u12", "{\\u00", "'\\x4"};

        for (size_t i = 0; i < ELEMENTSOF(inputs); i++) {
                size_t len = strlen(inputs[i]);
                char *copy = xmalloc(len);
                json_t *v = NULL;
                memcpy(copy, inputs[i], len);
                int r = pc_json5_parse(copy, len, 0, NULL, &v, NULL);
                assert_true(r == 0 || r == -EINVAL);
                json_decref(v);
                free(copy);
        }
        /* only text[0..len) counts */
        json_t *v = NULL;
        assert_int_equal(pc_json5_parse("123 garbage", 3, 0, NULL, &v, NULL), 0);
        assert_int_equal(json_integer_value(v), 123);
        json_decref(v);
        assert_int_equal(pc_json5_parse(NULL, 0, 0, NULL, &v, NULL), -EINVAL);
}

static void check_member(const PcJsonPos *pos, const json_t *obj, const char *key, uint32_t kl,
                         uint32_t kc, uint32_t vl, uint32_t vc)
{
        PcSrcPos k, v;

        if (!pc_jsonpos_get_member(pos, obj, key, &k, &v))
                fail_msg("no position for member '%s'", key);
        if (k.line != kl || k.col != kc || v.line != vl || v.col != vc || k.file != 9 ||
            v.file != 9)
                fail_msg("member '%s': got %u:%u -> %u:%u, want %u:%u -> %u:%u", key, k.line, k.col,
                         v.line, v.col, kl, kc, vl, vc);
}

static void check_item(const PcJsonPos *pos, const json_t *arr, size_t i, uint32_t l, uint32_t c)
{
        PcSrcPos v;

        if (!pc_jsonpos_get_item(pos, arr, i, &v))
                fail_msg("no position for item %zu", i);
        if (v.line != l || v.col != c || v.file != 9)
                fail_msg("item %zu: got %u:%u, want %u:%u", i, v.line, v.col, l, c);
}

static void test_positions(void **state)
{
        /* Lines: LF, CRLF, CR, a line continuation inside a string, U+2028. */
        static const char doc[] = "// header\n"                             /* 1 */
                                  "  {\n"                                   /* 2 */
                                  "\tname: 'pincer',\r\n"                   /* 3 */
                                  "  \"é\\u00e9\": [1, \"two\",\n"          /* 4 */
                                  "     {x: null}, [],\r"                   /* 5 */
                                  "     /* c */ true],\n"                   /* 6 */
                                  "  'multi': 'a\\\nb', after: -1.5,\u2028" /* 7 and 8 */
                                  "  ünï: {\n"                              /* 9 */
                                  "    k\n"                                 /* 10 */
                                  "      :\n"                               /* 11 */
                                  "        0x10,\n"                         /* 12 */
                                  "  },\n"                                  /* 13 */
                                  "}\n";
        PcJsonPos *pos = pc_jsonpos_new();
        PcJson5Error err;
        json_t *v = NULL;
        PcSrcPos root;

        if (pc_json5_parse(doc, sizeof(doc) - 1, 9, pos, &v, &err) < 0)
                fail_msg("%u:%u: %s", err.pos.line, err.pos.col, err.msg);
        assert_true(pc_jsonpos_get_root(pos, &root));
        assert_int_equal(root.file, 9);
        assert_int_equal(root.line, 2);
        assert_int_equal(root.col, 3);

        check_member(pos, v, "name", 3, 2, 3, 8);
        check_member(pos, v, "éé", 4, 3, 4, 14);
        json_t *arr = json_object_get(v, "éé");
        check_item(pos, arr, 0, 4, 15);
        check_item(pos, arr, 1, 4, 18);
        check_item(pos, arr, 2, 5, 6);
        check_item(pos, arr, 3, 5, 17);
        check_item(pos, arr, 4, 6, 14);
        check_member(pos, json_array_get(arr, 2), "x", 5, 7, 5, 10);
        check_member(pos, v, "multi", 7, 3, 7, 12);
        check_member(pos, v, "after", 8, 5, 8, 12); /* a string continued onto line 8 */
        check_member(pos, v, "ünï", 9, 3, 9, 8);
        check_member(pos, json_object_get(v, "ünï"), "k", 10, 5, 12, 9);
        assert_string_equal(json_string_value(json_object_get(v, "multi")), "ab");
        /* 1 root + 5 members + 5 items + x + k */
        assert_int_equal(pc_jsonpos_size(pos), 12);
        json_decref(v);
        pc_jsonpos_free(pos);
}

/* A failed parse leaves *ret and the position map alone, and works without err or pos. */
static void test_failure_leaves_outputs(void **state)
{
        PcJsonPos *pos = pc_jsonpos_new();
        json_t *sentinel = json_string("untouched"), *v = sentinel;
        const char in[] = "{a: [1, {b: 2}], c: {d: [3, 4]}, e: x}";

        assert_int_equal(pc_json5_parse(in, sizeof(in) - 1, 0, pos, &v, NULL), -EINVAL);
        assert_ptr_equal(v, sentinel);
        assert_int_equal(pc_jsonpos_size(pos), 0);
        assert_false(pc_jsonpos_get_root(pos, NULL));
        assert_int_equal(pc_json5_parse("{a:1,a:2}", 9, 0, NULL, &v, NULL), -EINVAL);
        assert_ptr_equal(v, sentinel);
        json_decref(sentinel);

        /* the same map collects several documents */
        json_t *a = NULL, *b = NULL;
        assert_int_equal(pc_json5_parse("{x: 1}", 6, 1, pos, &a, NULL), 0);
        assert_int_equal(pc_json5_parse("\n[2]", 4, 2, pos, &b, NULL), 0);
        PcSrcPos p;
        assert_true(pc_jsonpos_get_member(pos, a, "x", NULL, &p));
        assert_true(p.file == 1 && p.line == 1 && p.col == 5);
        assert_true(pc_jsonpos_get_item(pos, b, 0, &p));
        assert_true(p.file == 2 && p.line == 2 && p.col == 2);
        json_decref(a);
        json_decref(b);
        pc_jsonpos_free(pos);
}

static char *nested(unsigned depth, bool objects)
{
        PcBuf b = PC_BUF_INIT;

        for (unsigned i = 0; i < depth; i++)
                pc_buf_addstr(&b, objects ? "{a:" : "[");
        pc_buf_addstr(&b, "0");
        for (unsigned i = 0; i < depth; i++)
                pc_buf_addch(&b, objects ? '}' : ']');
        return pc_buf_detach(&b);
}

static void test_depth_limit(void **state)
{
        for (int objects = 0; objects <= 1; objects++) {
                json_t *v = NULL;
                PcJson5Error err;
                char *ok = nested(PC_JSON5_MAX_DEPTH, objects);
                char *deep = nested(PC_JSON5_MAX_DEPTH + 1, objects);

                assert_int_equal(pc_json5_parse(ok, strlen(ok), 0, NULL, &v, &err), 0);
                json_decref(v);
                v = NULL;
                assert_int_equal(pc_json5_parse(deep, strlen(deep), 0, NULL, &v, &err), -E2BIG);
                assert_null(v);
                assert_string_equal(err.msg,
                                    "nesting too deep: more than 64 levels of objects and arrays");
                assert_string_equal(err.hint, "flatten the structure");
                assert_int_equal(err.pos.line, 1);
                assert_int_equal(err.pos.col,
                                 objects ? 3 * PC_JSON5_MAX_DEPTH + 1 : PC_JSON5_MAX_DEPTH + 1);
                assert_int_equal(strlen(err.path),
                                 objects ? 2 * PC_JSON5_MAX_DEPTH - 1 : 3 * PC_JSON5_MAX_DEPTH);
                free(ok);
                free(deep);
        }

        /* a very deep document fails cleanly, without exhausting the stack */
        size_t n = 1000000;
        char *s = xmalloc(n);
        memset(s, '[', n);
        json_t *v = NULL;
        assert_int_equal(pc_json5_parse(s, n, 0, NULL, &v, NULL), -E2BIG);
        free(s);
}

static void test_size_limit(void **state)
{
        size_t n = PC_JSON5_MAX_SIZE;
        char *s = xmalloc(n + 1);
        PcJson5Error err;
        json_t *v = NULL;

        /* exactly at the limit: fine */
        memset(s, ' ', n + 1);
        s[0] = '[';
        s[n - 1] = ']';
        assert_int_equal(pc_json5_parse(s, n, 5, NULL, &v, &err), 0);
        assert_true(json_is_array(v));
        json_decref(v);
        v = NULL;

        assert_int_equal(pc_json5_parse(s, n + 1, 5, NULL, &v, &err), -E2BIG);
        assert_null(v);
        assert_string_equal(err.msg,
                            "document too large: 2097153 bytes, the limit is 2097152 bytes");
        assert_int_equal(err.pos.file, 5);
        assert_int_equal(err.pos.line, 0); /* the whole file, not a place in it */
        free(s);
}

static void test_big_document(void **state)
{
        /* many members and items, with positions: exercises map growth and duplicate lookups */
        PcBuf b = PC_BUF_INIT;
        PcJsonPos *pos = pc_jsonpos_new();
        json_t *v = NULL;

        pc_buf_addstr(&b, "{\n");
        for (int i = 0; i < 5000; i++)
                pc_buf_addf(&b, "k%d: [%d, '%d'],\n", i, i, i);
        pc_buf_addstr(&b, "k17: 0}\n");
        PcJson5Error err;
        assert_int_equal(pc_json5_parse(b.buf, b.len, 0, pos, &v, &err), -EINVAL);
        assert_string_equal(err.msg, "duplicate key 'k17' (first defined at 19:1)");
        assert_int_equal(err.pos.line, 5002);
        assert_int_equal(pc_jsonpos_size(pos), 0);

        pc_buf_setlen(&b, b.len - 8);
        pc_buf_addstr(&b, "}");
        assert_int_equal(pc_json5_parse(b.buf, b.len, 9, pos, &v, &err), 0);
        assert_int_equal(json_object_size(v), 5000);
        assert_int_equal(pc_jsonpos_size(pos), 5000 * 3); /* the root is kept apart */
        check_item(pos, json_object_get(v, "k4999"), 1, 5001, 15);
        json_decref(v);
        pc_jsonpos_free(pos);
        pc_buf_release(&b);
}

static void test_long_messages(void **state)
{
        /* a long key is cut in the message, at a character boundary */
        PcBuf b = PC_BUF_INIT;
        PcJson5Error err;
        json_t *v = NULL;

        pc_buf_addstr(&b, "{'");
        for (int i = 0; i < 100; i++)
                pc_buf_addstr(&b, "é");
        pc_buf_addstr(&b, "': 1, '");
        for (int i = 0; i < 100; i++)
                pc_buf_addstr(&b, "é");
        pc_buf_addstr(&b, "': 2}");
        assert_int_equal(pc_json5_parse(b.buf, b.len, 0, NULL, &v, &err), -EINVAL);
        assert_true(startswith(err.msg, "duplicate key 'éé"));
        assert_non_null(strstr(err.msg, "é...' (first defined at 1:2)"));
        pc_buf_release(&b);

        /* so is a long path, at 256 bytes, again at a character boundary */
        PcBuf key = PC_BUF_INIT;
        for (int i = 0; i < 50; i++)
                pc_buf_addstr(&key, "é");
        char *doc = xasprintf("{'%s': {'%s': [{'%s': x}]}}", key.buf, key.buf, key.buf);
        assert_int_equal(pc_json5_parse(doc, strlen(doc), 0, NULL, &v, &err), -EINVAL);
        assert_int_equal(strlen(err.path), 254);
        assert_true(startswith(err.path, "[\"éé") && streq(err.path + 249, "é..."));
        free(doc);
        pc_buf_release(&key);

        /* control characters and line separators in keys are escaped */
        const char dup[] = "{'a\\tb\\rc\\x01\\u0085\\u2028\\'\\\\': 1, "
                           "\"a\\tb\\rc\\x01\\u0085\\u2028'\\\\\": 2}";
        assert_int_equal(pc_json5_parse(dup, sizeof(dup) - 1, 0, NULL, &v, &err), -EINVAL);
        assert_string_equal(
                err.msg,
                "duplicate key 'a\\tb\\rc\\x01\\u0085\\u2028\\'\\\\' (first defined at 1:2)");
}

static void test_locale_independent(void **state)
{
        /* a program may run under a locale whose decimal separator is ',' */
        const char *const locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "fr_FR"};
        json_t *v = NULL;
        size_t i;

        for (i = 0; i < ELEMENTSOF(locales); i++)
                if (setlocale(LC_NUMERIC, locales[i]) && streq(localeconv()->decimal_point, ","))
                        break;
        if (i == ELEMENTSOF(locales))
                print_message("# no locale with ',' as decimal separator is installed\n");
        assert_int_equal(pc_json5_parse("[1.5, 2e-1]", 11, 0, NULL, &v, NULL), 0);
        assert_true(json_real_value(json_array_get(v, 0)) == 1.5);
        assert_true(json_real_value(json_array_get(v, 1)) == 0.2);
        json_decref(v);
        setlocale(LC_NUMERIC, "C");
}

/* ---- Oracle replay ---------------------------------------------------------------------- */

/* Numbers compare by value: npm json5 returns doubles, we return integers where they fit. */
static bool same_value(const json_t *a, const json_t *b)
{
        if (json_is_number(a) && json_is_number(b))
                return json_number_value(a) == json_number_value(b);
        if (json_typeof(a) != json_typeof(b))
                return false;
        if (json_is_array(a)) {
                if (json_array_size(a) != json_array_size(b))
                        return false;
                for (size_t i = 0; i < json_array_size(a); i++)
                        if (!same_value(json_array_get(a, i), json_array_get(b, i)))
                                return false;
                return true;
        }
        if (json_is_object(a)) {
                const char *key;
                json_t *m;
                if (json_object_size(a) != json_object_size(b))
                        return false;
                json_object_foreach ((json_t *) a, key, m) {
                        json_t *n = json_object_get(b, key);
                        if (!n || !same_value(m, n))
                                return false;
                }
                return true;
        }
        return json_equal(a, b);
}

static void test_oracle(void **state)
{
        const char *src = getenv("PINCER_SOURCE_DIR");
        char *path = xasprintf("%s/tests/fixtures/json5/oracle-vectors.json", src ? src : ".");
        json_error_t jerr;
        json_t *vectors = json_load_file(path, JSON_ALLOW_NUL, &jerr);
        size_t i, agree = 0, deliberate = 0, mismatches = 0;
        json_t *t;

        if (!vectors) {
                print_message("# cannot load %s (is PINCER_SOURCE_DIR set?): %s\n", path,
                              jerr.text);
                free(path);
                fail();
        }
        assert_true(json_array_size(vectors) >= 300);
        json_array_foreach (vectors, i, t) {
                json_t *input = json_object_get(t, "input");
                bool npm_ok = json_is_true(json_object_get(t, "ok"));
                const char *pincer = json_string_value(json_object_get(t, "pincer"));
                json_t *want = json_object_get(t, "value");
                bool want_ok = pincer ? streq(pincer, "accept") : npm_ok;
                PcJson5Error err;
                json_t *v = NULL;

                assert_true(json_is_string(input));
                int r = pc_json5_parse(json_string_value(input), json_string_length(input), 0, NULL,
                                       &v, &err);
                bool good = want_ok ? r == 0 && (!want || same_value(v, want))
                                    : r == -EINVAL || r == -E2BIG;
                if (good) {
                        agree += !pincer;
                        deliberate += !!pincer;
                } else {
                        char *got = r == 0 ? json_dumps(v, JSON_ENCODE_ANY) : xstrdup(err.msg);
                        char *exp = want ? json_dumps(want, JSON_ENCODE_ANY) : xstrdup("-");
                        print_message("# vector %zu %s: want %s %s, got %s\n", i,
                                      json_string_value(input), want_ok ? "ok" : "error", exp, got);
                        free(got);
                        free(exp);
                        mismatches++;
                }
                json_decref(v);
        }
        print_message("# oracle: %zu vectors, %zu agree with npm json5, %zu deliberate "
                      "differences, %zu mismatches\n",
                      json_array_size(vectors), agree, deliberate, mismatches);
        assert_int_equal(mismatches, 0);
        json_decref(vectors);
        free(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_negative_zero),
                cmocka_unit_test(test_string_with_nul),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_encoding),
                cmocka_unit_test(test_not_terminated),
                cmocka_unit_test(test_positions),
                cmocka_unit_test(test_failure_leaves_outputs),
                cmocka_unit_test(test_depth_limit),
                cmocka_unit_test(test_size_limit),
                cmocka_unit_test(test_big_document),
                cmocka_unit_test(test_long_messages),
                cmocka_unit_test(test_locale_independent),
                cmocka_unit_test(test_oracle),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
