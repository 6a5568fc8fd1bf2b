/* SPDX-License-Identifier: MIT */
/*
 * Docker's multiplexed stdout/stderr stream (Tty false): frames of an 8-byte header
 * {type, 0, 0, 0, size as big-endian uint32} followed by size bytes. The demultiplexer is
 * incremental (headers and payloads may be split anywhere) and keeps at most cap bytes per
 * stream; what comes past the cap is counted and dropped, never buffered.
 */
#include <errno.h>
#include <stdio.h>

#include "engine-internal.h"

void pc__mux_init(PcMux *m, PcBuf *out, PcBuf *err, size_t cap)
{
        *m = (PcMux){.out = {out, err}, .cap = cap};
        pc_buf_init(&m->syserr);
}

void pc__mux_release(PcMux *m)
{
        pc_buf_release(&m->syserr);
}

static void keep(PcMux *m, const char *data, size_t n)
{
        if (m->stream == 2) {
                size_t room = PC_MUX_MAX_SYSERR - m->syserr.len;
                pc_buf_add(&m->syserr, data, n < room ? n : room);
                return;
        }
        int s = m->stream;
        m->total[s] += n;
        if (m->on_output) {
                if (n > 0)
                        m->on_output(m->userdata, s + 1, data, n);
                return;
        }
        PcBuf *b = m->out[s];
        size_t room = b->len < m->cap ? m->cap - b->len : 0;
        if (n > room) {
                m->truncated[s] = true;
                n = room;
        }
        if (n > 0)
                pc_buf_add(b, data, n);
}

int pc__mux_feed(PcMux *m, const char *data, size_t n)
{
        size_t i = 0;
        while (i < n) {
                if (m->remaining > 0) {
                        size_t k = n - i;
                        if (k > m->remaining)
                                k = m->remaining;
                        keep(m, data + i, k);
                        m->remaining -= (uint32_t) k;
                        i += k;
                        continue;
                }
                m->hdr[m->hdr_len++] = (unsigned char) data[i++];
                if (m->hdr_len < sizeof(m->hdr))
                        continue;
                m->hdr_len = 0;
                if (m->hdr[0] > 3 || m->hdr[1] || m->hdr[2] || m->hdr[3]) {
                        snprintf(m->err, sizeof(m->err),
                                 "malformed stream frame header %02x %02x %02x %02x", m->hdr[0],
                                 m->hdr[1], m->hdr[2], m->hdr[3]);
                        return -EBADMSG;
                }
                m->stream = m->hdr[0] == 2 ? 1 : m->hdr[0] == 3 ? 2 : 0;
                m->remaining = (uint32_t) m->hdr[4] << 24 | (uint32_t) m->hdr[5] << 16 |
                               (uint32_t) m->hdr[6] << 8 | (uint32_t) m->hdr[7];
        }
        return 0;
}

int pc__mux_finish(PcMux *m)
{
        if (m->hdr_len == 0 && m->remaining == 0)
                return 0;
        snprintf(m->err, sizeof(m->err), "the output stream ended inside a frame");
        return -EBADMSG;
}
