/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what the Docker engine sends back: the HTTP/1.1 response parser and the
 * stdout/stderr stream demultiplexer (src/sandbox/docker/engine-internal.h), and the error
 * text built from a reply body. Besides "no crash, leak or UB" it aborts when an invariant
 * fails:
 *  - the parser's result, status, body and error do not depend on how the input is split;
 *  - it never consumes more than it is given, never delivers more body than the limit, and
 *    stops consuming at the end of a 101 head (the rest is the upgraded stream);
 *  - the demultiplexer's result does not depend on the split either, keeps at most cap bytes
 *    per stream, counts every payload byte, and flags truncation exactly when it dropped some;
 *  - error messages are NUL-terminated and free of control characters.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/docker/engine-internal.h"

#define MAX_BODY 4096
#define MUX_CAP  64

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-docker-response: invariant violated: %s\n", what);
                abort();
        }
}

typedef struct Parsed {
        int r;
        int status;
        PcHttpState state;
        size_t consumed; /* in total, over all feeds */
        PcBuf body;
        char err[256];
} Parsed;

static int collect(void *userdata, const char *data, size_t n)
{
        PcBuf *b = userdata;
        pc_buf_add(b, data, n);
        return 0;
}

/* Parses data fed in pieces that end at the offsets in cuts (sorted, < size), then EOF. */
static void parse(const char *data, size_t size, const size_t *cuts, size_t n_cuts, Parsed *ret)
{
        PcHttpParser p;
        pc_buf_init(&ret->body);
        pc__http_parser_init(&p, MAX_BODY, collect, &ret->body);
        size_t off = 0;
        int r = 0;
        for (size_t i = 0; i <= n_cuts && r == 0; i++) {
                size_t end = i < n_cuts ? cuts[i] : size;
                if (end < off)
                        continue;
                size_t used = SIZE_MAX;
                r = pc__http_parser_feed(&p, data + off, end - off, &used);
                check(used <= end - off, "consumed more than given");
                check(r != 0 || used == end - off, "needs more input but left some unused");
                off += used;
        }
        if (r == 0)
                r = pc__http_parser_eof(&p);
        check(r == 1 || r == -EBADMSG || r == -E2BIG, "unexpected result");
        check(ret->body.len <= MAX_BODY, "body over the limit");
        check(ret->body.len == p.body_len, "body length bookkeeping");
        if (r == 1) {
                check(p.state == PC_HTTP_DONE || p.state == PC_HTTP_UPGRADED,
                      "complete, but not in a final state");
                check(p.status >= 100 && p.status <= 599, "status out of range");
                check(p.n_headers <= PC_HTTP_MAX_HEADERS, "too many headers");
                for (size_t i = 0; i < p.n_headers; i++)
                        check(pc__http_parser_header(&p, p.headers[i].name) != NULL,
                              "header lookup");
        } else {
                check(memchr(p.err, '\0', sizeof(p.err)) && p.err[0], "error without a message");
        }
        if (p.state == PC_HTTP_UPGRADED)
                check(p.status == 101 && p.body_len == 0, "upgraded without a 101");
        ret->r = r;
        ret->status = p.status;
        ret->state = p.state;
        ret->consumed = off;
        snprintf(ret->err, sizeof(ret->err), "%s", r < 0 ? p.err : "");
        pc__http_parser_release(&p);
}

static void check_parser(const uint8_t *raw, size_t size)
{
        const char *data = (const char *) raw;
        Parsed whole, split;
        parse(data, size, NULL, 0, &whole);

        /* The same input in pieces, cut where the input's first bytes say, and byte by byte
         * for short inputs. */
        size_t cuts[4];
        size_t n_cuts = 0;
        for (size_t i = 0; i < 4 && i < size && size > 0; i++) {
                size_t c = (raw[i] * 2654435761u) % size;
                if (n_cuts == 0 || c > cuts[n_cuts - 1])
                        cuts[n_cuts++] = c;
        }
        parse(data, size, cuts, n_cuts, &split);
        check(whole.r == split.r, "result depends on the split");
        check(whole.status == split.status, "status depends on the split");
        check(whole.state == split.state, "state depends on the split");
        check(whole.body.len == split.body.len &&
                      memcmp(whole.body.buf, split.body.buf, whole.body.len) == 0,
              "body depends on the split");
        check(strcmp(whole.err, split.err) == 0, "error depends on the split");
        if (whole.state == PC_HTTP_UPGRADED)
                check(whole.consumed == split.consumed, "101 head length depends on the split");
        pc_buf_release(&split.body);

        if (size <= 512) {
                size_t every[512];
                for (size_t i = 0; i + 1 < size; i++)
                        every[i] = i + 1;
                parse(data, size, every, size ? size - 1 : 0, &split);
                check(whole.r == split.r && whole.status == split.status &&
                              whole.body.len == split.body.len && strcmp(whole.err, split.err) == 0,
                      "byte-by-byte parse differs");
                pc_buf_release(&split.body);
        }

        /* The error text built from a non-2xx body. */
        if (whole.r == 1 && whole.status >= 400) {
                PcError err = PC_ERROR_INIT;
                int code = pc__engine_status_error("GET", "/x", whole.status, whole.body.buf,
                                                   whole.body.len, &err);
                check(code < 0 && err.code == code, "status error code");
                check(memchr(err.msg, '\0', sizeof(err.msg)) != NULL, "message not terminated");
                for (const char *c = err.msg; *c; c++)
                        check((unsigned char) *c >= 0x20 && *c != 0x7f,
                              "control character in an error message");
        }
        pc_buf_release(&whole.body);
}

static void demux(const char *data, size_t size, size_t step, PcBuf *out, PcBuf *err, PcMux *m,
                  int *ret_r)
{
        pc__mux_init(m, out, err, MUX_CAP);
        int r = 0;
        for (size_t off = 0; off < size && r == 0; off += step) {
                size_t k = size - off < step ? size - off : step;
                r = pc__mux_feed(m, data + off, k);
        }
        if (r == 0)
                r = pc__mux_finish(m);
        check(r == 0 || r == -EBADMSG, "unexpected mux result");
        check(r == 0 || m->err[0], "mux error without a message");
        for (int s = 0; s < 2; s++) {
                PcBuf *b = s ? err : out;
                check(b->len <= MUX_CAP, "stream over the cap");
                check(m->total[s] >= b->len, "total below what was kept");
                check(m->truncated[s] == (m->total[s] > b->len), "truncated flag is wrong");
        }
        check(m->syserr.len <= PC_MUX_MAX_SYSERR, "systemerr over its limit");
        *ret_r = r;
}

static void check_mux(const uint8_t *raw, size_t size)
{
        const char *data = (const char *) raw;
        PcBuf out1 = PC_BUF_INIT, err1 = PC_BUF_INIT, out2 = PC_BUF_INIT, err2 = PC_BUF_INIT;
        PcMux m1, m2;
        int r1, r2;
        demux(data, size, size ? size : 1, &out1, &err1, &m1, &r1);
        demux(data, size, 3, &out2, &err2, &m2, &r2);
        check(r1 == r2, "mux result depends on the split");
        check(out1.len == out2.len && memcmp(out1.buf, out2.buf, out1.len) == 0,
              "stdout depends on the split");
        check(err1.len == err2.len && memcmp(err1.buf, err2.buf, err1.len) == 0,
              "stderr depends on the split");
        check(m1.total[0] == m2.total[0] && m1.total[1] == m2.total[1],
              "totals depend on the split");
        pc__mux_release(&m1);
        pc__mux_release(&m2);
        pc_buf_release(&out1);
        pc_buf_release(&err1);
        pc_buf_release(&out2);
        pc_buf_release(&err2);
}

static void check_host(const uint8_t *raw, size_t size)
{
        if (size > 300)
                return;
        char s[301];
        memcpy(s, raw, size);
        s[size] = '\0';
        PcEngineAddr a;
        PcError err = PC_ERROR_INIT;
        int r = pc__engine_parse_host(s, &a, &err);
        check(r == 0 || (r == -EINVAL && err.msg[0]), "host parse result");
        if (r == 0 && a.transport == PC_ENGINE_TCP)
                check(a.host[0] && a.port[0], "tcp address without host or port");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        check_parser(data, size);
        check_mux(data, size);
        check_host(data, size);
        return 0;
}
