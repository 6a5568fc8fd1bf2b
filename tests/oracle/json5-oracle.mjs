#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * Cross-checks Pincer's JSON5 parser against npm json5, the reference implementation.
 *
 * Writes tests/fixtures/json5/oracle-vectors.json: hand-written edge cases plus mutations of
 * valid documents (from a seeded PRNG, so the output is deterministic), each run through
 * JSON5.parse(). tests/unit/test-json5.c replays every vector against pc_json5_parse(). The
 * vectors file is committed, so CI needs neither node nor npm; regenerate it with
 *
 *     npm install --prefix tests/oracle && node tests/oracle/json5-oracle.mjs
 *
 * Each vector is one line: {"input", "ok", "value"?, "pincer"?, "why"?}.
 *   ok      whether npm json5 accepts the input; value is its result, as JSON, when it does.
 *   pincer  present where Pincer deliberately differs: "reject" (npm accepts, we reject) or
 *           "accept" (npm rejects, we accept; value is then ours). why says which rule.
 *
 * The deliberate differences (see also src/base/json5.c):
 *   - Infinity, -Infinity, NaN and numbers that overflow to infinity (1e400): rejected, since
 *     JSON cannot represent them and no setting accepts them.
 *   - hexadecimal integers outside the signed 64-bit range: rejected (npm rounds them).
 *   - duplicate keys in one object: rejected (npm keeps the last).
 *   - lone surrogates from \u escapes: rejected (they cannot be encoded in UTF-8).
 *   - keys containing U+0000, and raw U+0000 anywhere in the text: rejected.
 *   - nesting deeper than 64 objects/arrays (PC_JSON5_MAX_DEPTH): rejected.
 *   - unquoted keys with non-ASCII characters that are not Unicode identifier characters
 *     (e.g. €, emoji, U+00AD, U+200B, a combining mark first): accepted, because we treat
 *     every non-ASCII character except whitespace and C1 controls as an identifier character
 *     instead of carrying Unicode tables.
 * Numbers are compared numerically: npm returns doubles, we return integers where they fit,
 * and "-0" is the integer 0 for us (numerically equal to npm's -0).
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const JSON5 = require('json5');

const MAX_DEPTH = 64; /* PC_JSON5_MAX_DEPTH */
const N_MUTATED = 360;
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'fixtures', 'json5', 'oracle-vectors.json');

/* npm json5 warns on console about raw U+2028/U+2029 in strings; that is expected here. */
console.warn = () => {};

/* ---- Hand-written inputs ---------------------------------------------------------------- */

const config = `// Pincer configuration
{
  agents: {
    defaults: { model: 'anthropic/claude', timeout: 30, },
    list: [
      { id: "main", sandbox: { mode: 'docker', binds: ['/a:/b', "/c:/d"], }, },
      { id: 'helper', tools: { allow: ["read", 'write'] } /* no sandbox */ },
    ],
  },
  gateway: { port: 0x1F90, bind: "127.0.0.1", tls: null, verbose: false, ratio: .75, },
}
`;

const hand = [
        /* containers, trailing commas */
        '{}', '[]', '{ }', '[ ]', '[1,]', '{a:1,}', '[1,2,[3,],]', '{a:{b:{c:[]}}}', '[[[[]]]]',
        '[{}, [], "", 0]', config,
        /* keys */
        '{a:1}', "{'a':1}", '{"a":1}', '{$:1,_:2,a1:3,$_a:4,A$_9:5}', String.raw`{\u0061:1}`,
        String.raw`{a\u0062:1}`, String.raw`{\u0024:1}`, String.raw`{\u005f_:1}`, '{ümlaut: 1}',
        '{中文: 1}', '{ab\u200cc: 1, d\u200de: 2}', '{"":1}', "{'':1}", '{"a b":1}',
        '{__proto__: 1}', '{constructor: 1, toString: 2}', String.raw`{"\u00e9": 1, é2: 2}`,
        '{true: 1, null: 2, Infinity: 3, NaN: 4, false: 5}', '{a:1, b:2, "c":3, \'d\':4}',
        '{ a : 1 , b : 2 }',
        /* comments */
        '// c\n1', '/* c */ 1', '1 // c', '1 /* c */', '/**/1', '/***/1', '/* a * b */1',
        '/* / */1', '[1 /* , */, 2]', '// c\r\n1', '1//x', '// a\n// b\n{}', '{a/*x*/:/*y*/1}',
        '/* multi\nline\n*/ 1', '1 //', '// \u2028 1', '/* \u2029 */ 2',
        /* strings */
        `'a"b'`, `"a'b"`, String.raw`"\'\"\\\b\f\n\r\t\v\0"`, String.raw`'\''`, String.raw`"\""`,
        String.raw`"\x41\xe9\xFF\x00"`, String.raw`"\u0041\u00e9\uD83D\uDE00\uFFFF"`,
        String.raw`"\a\c\d\e\g\z\ \é\/"`, '"a\\\nb"', '"a\\\r\nb"', '"a\\\rb"', '"a\\\u2028b"',
        '"a\\\u2029b"', '"a\u2028b"', '"a\u2029b"', '"tab\there"', '"\u0001\u001f\u007f"',
        String.raw`"\u0000"`, String.raw`"\0"`, String.raw`"\0a"`, '""', "''", '"😀 é 中"',
        String.raw`"\uDBFF\uDFFF"`, String.raw`"\ud800\udc00"`, '"\\\\"',
        /* numbers */
        '0', '-0', '+0', '1', '-1', '+1', '123', '.5', '5.', '-.5', '+.5', '1.5', '1e5', '1E5',
        '1e+5', '1e-5', '1.5e3', '5.e3', '.5e3', '0.0', '-0.0', '0e0', '0e5', '0.e1', '0x0', '0x1F',
        '0XaB', '-0x10', '+0x10', '0x7FFFFFFFFFFFFFFF', '-0x8000000000000000', '0x00000001',
        '9223372036854775807', '-9223372036854775808', '9223372036854775808',
        '-9223372036854775809', '12345678901234567890', '1e308', '1.7976931348623157e308',
        '1e-400', '4.9e-324', '123456789012345678901234567890', '0.1', '1e-7', '9007199254740993',
        '[1,-1,+1,.1,1.,0x1]',
        /* literals and whitespace */
        'true', 'false', 'null', '[true,false,null]',
        '\t\v\f \u00a0\ufeff\u1680\u2000\u2001\u2005\u200a\u202f\u205f\u3000\u2028\u2029\n\r1',
        '\ufeff{}', '\r\n{\r\n\ta: 1\r\n}\r\n', '{\u00a0a\u3000:\u20001}',
        /* errors on both sides */
        '', ' ', '// c', '/* c */', '{', '[', '}', ']', '{a}', '{a:}', '{:1}', '{,}', '[,]',
        '[1,,]', '{a:1,,}', '{1:1}', '{-a:1}', '{a-b:1}', '{a b:1}', '{"a" 1}', '[1 2]',
        '{a:1 b:2}', '01', '00', '-01', '0x', '0xG', '1e', '1e+', '.', '-', '+', '.e1', '1..',
        '1.2.3', '0x1.5', '1a', '--1', '+-1', '- 1', '"abc', "'abc", '"a\nb"', '"a\rb"',
        String.raw`"\01"`, String.raw`"\1"`, String.raw`"\9"`, String.raw`"\x4"`,
        String.raw`"\xG0"`, String.raw`"\u123"`, String.raw`"\u{41}"`, '/* x', '/ x', '1 /',
        '# x', 'True', 'undefined', 'nul', 'truex', '{a:1}}', '[]]', '1 2', '{} {}',
        String.raw`{\u0030a:1}`, String.raw`{a\x41:1}`, String.raw`{a\u002d:1}`, '{"a":1,}x',
        "'", '"', '"\\', '{a:1,b}', '{a:[1,2}', '[{a:1]', '{a:1;b:2}', '[1;2]', '{a=1}',
        '[a:1]', 'hello', "{a: 'b' 'c'}", '{"a":1 /* x */ "b":2}', '0b101', '0o17', '1_000',
        String.raw`{\u0000:1}`, String.raw`\u0074rue`, '-Infinityx', 'Infinityx', 'NaNa',
        '1e5.5', '.5.', '+', '{/* unterminated',
        /* npm accepts, Pincer rejects (marked by the checks below) */
        'Infinity', '-Infinity', '+Infinity', 'NaN', '-NaN', '+NaN', '[Infinity]', '{a:NaN}',
        '1e400', '-1e400', '1e309', '0x10000000000000000', '0x8000000000000000',
        '-0x8000000000000001', '{a:1,a:2}', '{a:1,"a":2}', "{a:1,'a':2}", String.raw`{\u0061:1,a:2}`,
        '{a:{b:1,b:2}}', '[{a:1},{a:1,b:1,a:1}]', String.raw`"\uD800"`, String.raw`"\uDC00"`,
        String.raw`"\uD800\u0041"`, String.raw`"\uDE00\uD83D"`, String.raw`{"\uD800":1}`,
        String.raw`{"\u0000":1}`, String.raw`{"a\x00b":1}`, '"a\u0000b"', '1\u0000',
        '// \u0000\n1', '['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH),
        '['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1),
        '{a:'.repeat(MAX_DEPTH - 1) + '[]' + '}'.repeat(MAX_DEPTH - 1),
        '{a:'.repeat(MAX_DEPTH) + '[]' + '}'.repeat(MAX_DEPTH),
];

/* Keys npm rejects and Pincer accepts, with the value Pincer gives. If npm ever accepts one,
 * it becomes an ordinary vector. */
const pincerAccepts = [
        ['{€:1}', { '€': 1 }], ['{a€:1}', { 'a€': 1 }], ['{😀:1}', { '😀': 1 }],
        ['{\u00ad:1}', { '\u00ad': 1 }], ['{a\u200b:1}', { 'a\u200b': 1 }],
        [String.raw`{\u20ac:1}`, { '€': 1 }], ['{\u0301a:1}', { '\u0301a': 1 }],
        ['{٣:1}', { '٣': 1 }], ['{a·b:1}', { 'a·b': 1 }], ['{→: "arrow"}', { '→': 'arrow' }],
];

/* ---- Mutations ---------------------------------------------------------------------------- */

function mulberry32(seed) {
        return () => {
                seed = (seed + 0x6d2b79f5) | 0;
                let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
                t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
                return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        };
}

/* Only letters that are Unicode identifier characters and JSON5 whitespace are inserted: the
 * deliberate identifier difference is covered by the hand-written pincerAccepts. */
const tokens = [
        '{', '}', '[', ']', ',', ':', '"', "'", '\\', '/', '//', '/*', '*/', '*', '\n', '\r', '\r\n',
        '\u2028', '\t', ' ', '0', '1', '9', '-0', '+1', '.5', '5.', '0x1F', '0X', '1e5', 'e', 'E',
        '+', '-', '.', 'Infinity', 'NaN', 'true', 'false', 'null', 'a', '$', '_', 'é', '中',
        '\\u0041', '\\x41', '\\n', '\\0', '\\01', '\\uD83D', '\\uDE00', '\u00a0', '\ufeff', '\u3000',
        '\\\n', '01', '1e400', '0x8000000000000000', '__proto__', '#', 'x', '"a"', "'b'", 'k:',
        '\\u00', '\\x', '\\\r\n', '\u2029',
];

function mutate(rand, text) {
        const cps = Array.from(text);
        const pick = (n) => Math.floor(rand() * n);
        const nOps = 1 + pick(3);
        for (let k = 0; k < nOps; k++) {
                const at = pick(cps.length + 1);
                switch (pick(6)) {
                case 0:
                        cps.splice(at, 1);
                        break;
                case 1:
                        cps.splice(at, 0, ...Array.from(tokens[pick(tokens.length)]));
                        break;
                case 2:
                        cps.splice(at, 1, ...Array.from(tokens[pick(tokens.length)]));
                        break;
                case 3: {
                        const len = 1 + pick(8);
                        cps.splice(at, 0, ...cps.slice(at, at + len));
                        break;
                }
                case 4:
                        if (at + 1 < cps.length)
                                [cps[at], cps[at + 1]] = [cps[at + 1], cps[at]];
                        break;
                default:
                        cps.length = Math.min(cps.length, at);
                }
        }
        return cps.join('');
}

/* ---- Classification ------------------------------------------------------------------- */

/* Scans a document npm accepted: duplicate keys, hexadecimal range, nesting depth. */
function scan(text) {
        const res = { duplicate: false, hexRange: false, depth: 0 };
        const stack = [];
        const delim = /[\s,:{}[\]"'/]/;
        const key = (k) => {
                const top = stack[stack.length - 1];
                if (!top || !top.object || !top.expectKey)
                        return;
                if (top.keys.has(k))
                        res.duplicate = true;
                top.keys.add(k);
                top.expectKey = false;
        };
        let i = 0;
        while (i < text.length) {
                const c = text[i];
                if (c === '/' && text[i + 1] === '/') {
                        while (i < text.length && !/[\n\r\u2028\u2029]/.test(text[i]))
                                i++;
                } else if (c === '/' && text[i + 1] === '*') {
                        i = text.indexOf('*/', i + 2) + 2;
                } else if (c === '{' || c === '[') {
                        stack.push({ object: c === '{', keys: new Set(), expectKey: c === '{' });
                        res.depth = Math.max(res.depth, stack.length);
                        i++;
                } else if (c === '}' || c === ']') {
                        stack.pop();
                        i++;
                } else if (c === ',') {
                        const top = stack[stack.length - 1];
                        if (top && top.object)
                                top.expectKey = true;
                        i++;
                } else if (c === ':' || /\s/.test(c)) {
                        i++;
                } else if (c === '"' || c === "'") {
                        let j = i + 1;
                        while (text[j] !== c)
                                j += text[j] === '\\' ? 2 : 1;
                        key(JSON5.parse(text.slice(i, j + 1)));
                        i = j + 1;
                } else {
                        let j = i;
                        while (j < text.length && !delim.test(text[j]))
                                j++;
                        const word = text.slice(i, j);
                        const top = stack[stack.length - 1];
                        if (top && top.object && top.expectKey) {
                                key(Object.keys(JSON5.parse(`{${word}:0}`))[0]);
                        } else if (/^[+-]?0[xX]/.test(word)) {
                                const v = BigInt(word.replace(/^[+-]/, '')) * (word[0] === '-' ? -1n : 1n);
                                if (v > 2n ** 63n - 1n || v < -(2n ** 63n))
                                        res.hexRange = true;
                        }
                        i = j;
                }
        }
        return res;
}

function hasLoneSurrogate(s) {
        return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/* Why Pincer rejects a value npm accepted, or null. */
function valueProblem(v) {
        if (typeof v === 'number')
                return Number.isFinite(v) ? null : 'Infinity/NaN (or overflow to infinity) is rejected';
        if (typeof v === 'string')
                return hasLoneSurrogate(v) ? 'lone surrogate escapes are rejected' : null;
        if (v === null || typeof v !== 'object')
                return null;
        for (const [k, m] of Object.entries(v)) {
                if (!Array.isArray(v) && hasLoneSurrogate(k))
                        return 'lone surrogate escapes are rejected';
                if (!Array.isArray(v) && k.includes('\u0000'))
                        return 'keys containing U+0000 are rejected';
                const why = valueProblem(m);
                if (why)
                        return why;
        }
        return null;
}

function pincerRejects(input, value) {
        if (input.includes('\u0000'))
                return 'raw U+0000 in the text is rejected';
        const why = valueProblem(value);
        if (why)
                return why;
        const s = scan(input);
        if (s.duplicate)
                return 'duplicate keys are rejected';
        if (s.hexRange)
                return 'hexadecimal integers outside the signed 64-bit range are rejected';
        if (s.depth > MAX_DEPTH)
                return 'nesting deeper than PC_JSON5_MAX_DEPTH is rejected';
        return null;
}

/* JSON text for a value npm returned, readable by jansson without losing anything: integers
 * that are not exact doubles are written as reals, since jansson rejects big integers. */
function toJson(v) {
        if (typeof v === 'number') {
                if (Object.is(v, -0))
                        return '-0.0';
                if (Number.isInteger(v) && !Number.isSafeInteger(v))
                        return v.toExponential();
                return String(v);
        }
        if (Array.isArray(v))
                return '[' + v.map(toJson).join(',') + ']';
        if (v !== null && typeof v === 'object')
                return '{' + Object.entries(v).map(([k, m]) => JSON.stringify(k) + ':' + toJson(m)).join(',') + '}';
        return JSON.stringify(v);
}

function vector(input, accepted) {
        let value;
        try {
                value = JSON5.parse(input);
        } catch {
                if (accepted !== undefined)
                        return `{"input":${JSON.stringify(input)},"ok":false,"pincer":"accept",` +
                               `"why":"non-ASCII identifier characters are approximated",` +
                               `"value":${toJson(accepted)}}`;
                return `{"input":${JSON.stringify(input)},"ok":false}`;
        }
        const why = pincerRejects(input, value);
        if (why)
                return `{"input":${JSON.stringify(input)},"ok":true,"pincer":"reject","why":${JSON.stringify(why)}}`;
        return `{"input":${JSON.stringify(input)},"ok":true,"value":${toJson(value)}}`;
}

/* ---- Output ------------------------------------------------------------------------------- */

const seen = new Set();
const lines = [];
const add = (input, accepted) => {
        if (seen.has(input))
                return;
        seen.add(input);
        lines.push(vector(input, accepted));
};

for (const input of hand)
        add(input);
for (const [input, value] of pincerAccepts)
        add(input, value);

const seeds = hand.filter((s) => {
        try {
                JSON5.parse(s);
                return s.length < 400;
        } catch {
                return false;
        }
});
const rand = mulberry32(0x5eed);
for (let made = 0; made < N_MUTATED;) {
        const input = mutate(rand, seeds[Math.floor(rand() * seeds.length)]);
        if (seen.has(input))
                continue;
        add(input);
        made++;
}

writeFileSync(out, '[\n' + lines.join(',\n') + '\n]\n');
const n = lines.length;
const nOk = lines.filter((l) => l.includes('"ok":true')).length;
const nDiff = lines.filter((l) => l.includes('"pincer"')).length;
console.log(`wrote ${n} vectors (${nOk} accepted by npm json5, ${nDiff} deliberate differences) to ${out}`);
