/* SPDX-License-Identifier: MIT */
/*
 * An incremental HTTP/1.1 response parser, just enough for the Docker Engine API: a status
 * line and headers (bounded in size and count), then a body that is Content-Length framed,
 * chunked (with trailers), close-delimited or absent (1xx, 204, 304), or a 101 after which
 * the connection carries another protocol. Input is untrusted: every limit is checked and
 * nothing is assumed about how the bytes are split across reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "engine-internal.h"

_printf_(3, 4) static int fail(PcHttpParser *p, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, sizeof(p->err), fmt, ap);
        va_end(ap);
        return code;
}

void pc__http_parser_init(PcHttpParser *p, uint64_t max_body, PcHttpBodyFn on_body, void *userdata)
{
        *p = (PcHttpParser){
                .state = PC_HTTP_HEAD,
                .max_body = max_body,
                .on_body = on_body,
                .userdata = userdata,
        };
        pc_buf_init(&p->head);
}

void pc__http_parser_release(PcHttpParser *p)
{
        pc_buf_release(&p->head);
        p->n_headers = 0;
}

const char *pc__http_parser_header(const PcHttpParser *p, const char *name)
{
        for (size_t i = 0; i < p->n_headers; i++)
                if (strcasecmp(p->headers[i].name, name) == 0)
                        return p->headers[i].value;
        return NULL;
}

static bool is_tchar(unsigned char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_ows(char c)
{
        return c == ' ' || c == '\t';
}

/* Checks the status line "HTTP/1.x SSS[ reason]". */
static int parse_status_line(PcHttpParser *p, const char *line)
{
        if (!startswith(line, "HTTP/1.") || line[7] < '0' || line[7] > '9' || line[8] != ' ')
                return fail(p, -EBADMSG, "not an HTTP/1.x status line");
        const char *s = line + 9;
        for (int i = 0; i < 3; i++)
                if (s[i] < '0' || s[i] > '9')
                        return fail(p, -EBADMSG, "malformed status code");
        if (s[3] != '\0' && s[3] != ' ')
                return fail(p, -EBADMSG, "malformed status code");
        int status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
        if (status < 100 || status > 599)
                return fail(p, -EBADMSG, "status code %d out of range", status);
        for (const char *c = s + 3; *c; c++)
                if (((unsigned char) *c < 0x20 && *c != '\t') || *c == 0x7f)
                        return fail(p, -EBADMSG, "control character in the status line");
        p->status = status;
        return 0;
}

/* Splits "Name: value" in place; the line is NUL-terminated and has no CR/LF. */
static int parse_header_line(PcHttpParser *p, char *line)
{
        if (is_ows(line[0]))
                return fail(p, -EBADMSG, "folded header lines are not supported");
        char *colon = line;
        while (*colon && is_tchar((unsigned char) *colon))
                colon++;
        if (colon == line || *colon != ':')
                return fail(p, -EBADMSG, "malformed header line");
        if (p->n_headers >= PC_HTTP_MAX_HEADERS)
                return fail(p, -E2BIG, "more than %d header lines", PC_HTTP_MAX_HEADERS);
        *colon = '\0';
        char *v = colon + 1;
        while (is_ows(*v))
                v++;
        size_t len = strlen(v);
        while (len > 0 && is_ows(v[len - 1]))
                v[--len] = '\0';
        for (size_t i = 0; i < len; i++)
                if (((unsigned char) v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
                        return fail(p, -EBADMSG, "control character in header '%s'", line);
        p->headers[p->n_headers++] = (PcHttpHeader){.name = line, .value = v};
        return 0;
}

static int parse_length(PcHttpParser *p, const char *v, uint64_t *ret)
{
        uint64_t n = 0;
        if (!*v)
                return fail(p, -EBADMSG, "empty Content-Length");
        for (; *v; v++) {
                if (*v < '0' || *v > '9')
                        return fail(p, -EBADMSG, "malformed Content-Length");
                if (n > (UINT64_MAX - 9) / 10)
                        return fail(p, -E2BIG, "Content-Length out of range");
                n = n * 10 + (uint64_t) (*v - '0');
        }
        *ret = n;
        return 0;
}

/* Decides how the body is framed (RFC 9112 section 6.3, client side). */
static int setup_body(PcHttpParser *p)
{
        bool te = false, cl = false;
        uint64_t length = 0;
        for (size_t i = 0; i < p->n_headers; i++) {
                const PcHttpHeader *h = &p->headers[i];
                if (strcasecmp(h->name, "Transfer-Encoding") == 0) {
                        if (te)
                                return fail(p, -EBADMSG, "more than one Transfer-Encoding");
                        if (strcasecmp(h->value, "chunked") != 0)
                                return fail(p, -EBADMSG, "unsupported Transfer-Encoding");
                        te = true;
                } else if (strcasecmp(h->name, "Content-Length") == 0) {
                        uint64_t n = 0;
                        int r = parse_length(p, h->value, &n);
                        if (r < 0)
                                return r;
                        if (cl && n != length)
                                return fail(p, -EBADMSG, "conflicting Content-Length headers");
                        cl = true;
                        length = n;
                }
        }

        if (p->status == 101) {
                p->state = PC_HTTP_UPGRADED;
                return 1;
        }
        if (p->status == 204 || p->status == 304) {
                p->state = PC_HTTP_DONE;
                return 1;
        }
        if (te) {
                p->chunked = true;
                p->line_len = 0;
                p->state = PC_HTTP_CHUNK_SIZE;
                return 0;
        }
        if (cl) {
                if (p->max_body > 0 && length > p->max_body)
                        return fail(p, -E2BIG,
                                    "response body of %" PRIu64
                                    " bytes exceeds the limit of %" PRIu64 " bytes",
                                    length, p->max_body);
                p->has_length = true;
                p->remaining = length;
                p->state = length == 0 ? PC_HTTP_DONE : PC_HTTP_BODY_LENGTH;
                return p->state == PC_HTTP_DONE;
        }
        p->state = PC_HTTP_BODY_CLOSE;
        return 0;
}

/* The head (without the final empty line) is in p->head: parse it in place. */
static int parse_head(PcHttpParser *p)
{
        char *s = p->head.buf;
        char *end = s + p->head.len;
        bool first = true;
        p->n_headers = 0;
        while (s < end) {
                char *nl = memchr(s, '\n', (size_t) (end - s));
                char *eol = nl ? nl : end;
                if (eol > s && eol[-1] == '\r')
                        eol[-1] = '\0';
                *eol = '\0';
                int r;
                if (first)
                        r = parse_status_line(p, s);
                else
                        r = parse_header_line(p, s);
                if (r < 0)
                        return r;
                first = false;
                s = nl ? nl + 1 : end;
        }
        if (first)
                return fail(p, -EBADMSG, "empty response head");
        return 0;
}

/* Head bytes: looks for the empty line that ends the head. */
static int feed_head(PcHttpParser *p, const char *data, size_t n, size_t *used)
{
        size_t i = 0;
        while (i < n) {
                char c = data[i++];
                if (c == '\0')
                        return fail(p, -EBADMSG, "NUL byte in the response head");
                if (p->head.len >= PC_HTTP_MAX_HEAD)
                        return fail(p, -E2BIG, "response head exceeds %d bytes", PC_HTTP_MAX_HEAD);
                pc_buf_addch(&p->head, c);
                if (c != '\n')
                        continue;
                size_t line_len = p->head.len - 1 - p->line_start;
                const char *line = p->head.buf + p->line_start;
                if (line_len > 0 && line[line_len - 1] == '\r')
                        line_len--;
                if (line_len > 0 || p->line_start == 0) {
                        if (line_len == 0)
                                return fail(p, -EBADMSG, "empty status line");
                        p->line_start = p->head.len;
                        continue;
                }
                /* The empty line: the head is complete. Drop it and parse. */
                pc_buf_setlen(&p->head, p->line_start);
                *used = i;
                int r = parse_head(p);
                if (r < 0)
                        return r;
                if (p->status >= 100 && p->status < 200 && p->status != 101) {
                        /* An interim reply (100 Continue...): the real one follows. */
                        if (++p->interim > PC_HTTP_MAX_INTERIM)
                                return fail(p, -EBADMSG, "too many interim (1xx) replies");
                        pc_buf_reset(&p->head);
                        p->line_start = 0;
                        p->n_headers = 0;
                        p->status = 0;
                        continue;
                }
                return setup_body(p);
        }
        *used = i;
        return 0;
}

static int deliver(PcHttpParser *p, const char *data, size_t n)
{
        /* What fits under the limit is delivered before failing, so that what the callback
         * sees does not depend on how the input was split into reads. */
        bool over = p->max_body > 0 && n > p->max_body - p->body_len;
        if (over)
                n = (size_t) (p->max_body - p->body_len);
        if (n > 0) {
                p->body_len += n;
                int r = p->on_body ? p->on_body(p->userdata, data, n) : 0;
                if (r < 0) {
                        if (!p->err[0])
                                snprintf(p->err, sizeof(p->err), "the response body was rejected");
                        return r;
                }
        }
        if (over)
                return fail(p, -E2BIG, "response body exceeds the limit of %" PRIu64 " bytes",
                            p->max_body);
        return 0;
}

/* Accumulates one line of the chunked framing into p->line. Returns 1 with the line
 * (without CR/LF, NUL-terminated) complete, 0 when more input is needed. */
static int chunk_line(PcHttpParser *p, const char *data, size_t n, size_t *i)
{
        while (*i < n) {
                char c = data[(*i)++];
                if (c == '\n') {
                        if (p->line_len > 0 && p->line[p->line_len - 1] == '\r')
                                p->line_len--;
                        p->line[p->line_len] = '\0';
                        p->line_len = 0;
                        return 1;
                }
                if (c == '\0')
                        return fail(p, -EBADMSG, "NUL byte in the chunked framing");
                if (p->line_len >= sizeof(p->line) - 1)
                        return fail(p, -EBADMSG, "chunk framing line longer than %zu bytes",
                                    sizeof(p->line) - 1);
                p->line[p->line_len++] = c;
        }
        return 0;
}

static int parse_chunk_size(PcHttpParser *p, const char *line, uint64_t *ret)
{
        uint64_t n = 0;
        size_t digits = 0;
        const char *s = line;
        for (;; s++, digits++) {
                int v;
                if (*s >= '0' && *s <= '9')
                        v = *s - '0';
                else if (*s >= 'a' && *s <= 'f')
                        v = *s - 'a' + 10;
                else if (*s >= 'A' && *s <= 'F')
                        v = *s - 'A' + 10;
                else
                        break;
                if (n >> 60)
                        return fail(p, -E2BIG, "chunk size out of range");
                n = n << 4 | (uint64_t) v;
        }
        if (digits == 0)
                return fail(p, -EBADMSG, "malformed chunk size");
        while (is_ows(*s))
                s++;
        if (*s != '\0' && *s != ';')
                return fail(p, -EBADMSG, "malformed chunk size");
        *ret = n;
        return 0;
}

int pc__http_parser_feed(PcHttpParser *p, const char *data, size_t n, size_t *ret_consumed)
{
        size_t i = 0;
        int r = 0;

        while (r == 0 && i < n) {
                switch (p->state) {
                case PC_HTTP_HEAD: {
                        size_t used = 0;
                        r = feed_head(p, data + i, n - i, &used);
                        i += used;
                        break;
                }
                case PC_HTTP_BODY_LENGTH: {
                        size_t k = n - i;
                        if (k > p->remaining)
                                k = (size_t) p->remaining;
                        r = deliver(p, data + i, k);
                        i += k;
                        p->remaining -= k;
                        if (r == 0 && p->remaining == 0) {
                                p->state = PC_HTTP_DONE;
                                r = 1;
                        }
                        break;
                }
                case PC_HTTP_CHUNK_SIZE: {
                        r = chunk_line(p, data, n, &i);
                        if (r <= 0)
                                break;
                        uint64_t size = 0;
                        r = parse_chunk_size(p, p->line, &size);
                        if (r < 0)
                                break;
                        if (size == 0) {
                                p->trailer_len = 0;
                                p->state = PC_HTTP_TRAILER;
                        } else {
                                if (p->max_body > 0 && size > p->max_body - p->body_len) {
                                        r = fail(p, -E2BIG,
                                                 "response body exceeds the limit of %" PRIu64
                                                 " bytes",
                                                 p->max_body);
                                        break;
                                }
                                p->remaining = size;
                                p->state = PC_HTTP_CHUNK_DATA;
                        }
                        break;
                }
                case PC_HTTP_CHUNK_DATA: {
                        size_t k = n - i;
                        if (k > p->remaining)
                                k = (size_t) p->remaining;
                        r = deliver(p, data + i, k);
                        i += k;
                        p->remaining -= k;
                        if (r == 0 && p->remaining == 0)
                                p->state = PC_HTTP_CHUNK_END;
                        break;
                }
                case PC_HTTP_CHUNK_END: {
                        /* Exactly CRLF (or a bare LF) after the data. */
                        char c = data[i++];
                        if (c == '\r' && p->line_len == 0) {
                                p->line_len = 1;
                        } else if (c == '\n') {
                                p->line_len = 0;
                                p->state = PC_HTTP_CHUNK_SIZE;
                        } else {
                                r = fail(p, -EBADMSG, "missing CRLF after chunk data");
                        }
                        break;
                }
                case PC_HTTP_TRAILER: {
                        size_t before = i;
                        r = chunk_line(p, data, n, &i);
                        p->trailer_len += i - before;
                        if (r >= 0 && p->trailer_len > PC_HTTP_MAX_HEAD)
                                r = fail(p, -E2BIG, "trailers exceed %d bytes", PC_HTTP_MAX_HEAD);
                        if (r <= 0)
                                break;
                        if (p->line[0] == '\0') {
                                p->state = PC_HTTP_DONE;
                                r = 1;
                        } else {
                                r = 0; /* a trailer field: ignored */
                        }
                        break;
                }
                case PC_HTTP_BODY_CLOSE:
                        r = deliver(p, data + i, n - i);
                        i = n;
                        break;
                case PC_HTTP_DONE:
                case PC_HTTP_UPGRADED:
                        r = 1;
                        break;
                }
        }
        if (r == 0 && (p->state == PC_HTTP_DONE || p->state == PC_HTTP_UPGRADED))
                r = 1;
        if (ret_consumed)
                *ret_consumed = i;
        return r;
}

int pc__http_parser_eof(PcHttpParser *p)
{
        switch (p->state) {
        case PC_HTTP_HEAD:
                if (p->head.len == 0 && p->status == 0)
                        return fail(p, -EBADMSG, "the connection closed without a reply");
                return fail(p, -EBADMSG, "the connection closed inside the reply's head");
        case PC_HTTP_BODY_LENGTH:
                return fail(p, -EBADMSG,
                            "the connection closed after %" PRIu64 " of %" PRIu64 " body bytes",
                            p->body_len, p->body_len + p->remaining);
        case PC_HTTP_CHUNK_SIZE:
        case PC_HTTP_CHUNK_DATA:
        case PC_HTTP_CHUNK_END:
        case PC_HTTP_TRAILER:
                return fail(p, -EBADMSG, "the connection closed inside a chunked body");
        case PC_HTTP_BODY_CLOSE:
                p->state = PC_HTTP_DONE;
                return 1;
        case PC_HTTP_DONE:
        case PC_HTTP_UPGRADED:
                return 1;
        }
        return fail(p, -EBADMSG, "bad parser state");
}
