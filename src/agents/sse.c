/* SPDX-License-Identifier: MIT */
/* Server-Sent Events, fed incrementally (sse.h). */
#include <errno.h>
#include <string.h>

#include "sse.h"

void pc_sse_init(PcSseParser *p, PcSseEventFn fn, void *userdata)
{
        *p = (PcSseParser){.fn = fn, .userdata = userdata};
        pc_buf_init(&p->line);
        pc_buf_init(&p->data);
        pc_buf_init(&p->event);
}

void pc_sse_release(PcSseParser *p)
{
        pc_buf_release(&p->line);
        pc_buf_release(&p->data);
        pc_buf_release(&p->event);
}

bool pc_sse_pending(const PcSseParser *p)
{
        return p->line.len > 0 || p->has_data;
}

static int dispatch_event(PcSseParser *p, PcError *reterr)
{
        int r = 0;
        if (p->has_data)
                r = p->fn(p->event.len ? p->event.buf : "", p->data.len ? p->data.buf : "",
                          p->data.len, p->userdata, reterr);
        pc_buf_reset(&p->data);
        pc_buf_reset(&p->event);
        p->has_data = false;
        return r;
}

static int process_line(PcSseParser *p, PcError *reterr)
{
        const char *l = p->line.len ? p->line.buf : "";
        size_t n = p->line.len;
        if (n == 0)
                return dispatch_event(p, reterr);
        if (l[0] == ':')
                return 0;
        const char *colon = memchr(l, ':', n);
        size_t name_len = colon ? (size_t) (colon - l) : n;
        const char *value = colon ? colon + 1 : l + n;
        size_t value_len = n - (size_t) (value - l);
        if (value_len > 0 && value[0] == ' ') {
                value++;
                value_len--;
        }
        if (name_len == 4 && memcmp(l, "data", 4) == 0) {
                if (p->has_data)
                        pc_buf_addch(&p->data, '\n');
                if (p->data.len + value_len > PC_SSE_MAX_EVENT_BYTES)
                        return pc_error_set(reterr, -E2BIG,
                                            "an event of the model's stream is larger than %u "
                                            "bytes",
                                            PC_SSE_MAX_EVENT_BYTES);
                pc_buf_add(&p->data, value, value_len);
                p->has_data = true;
        } else if (name_len == 5 && memcmp(l, "event", 5) == 0) {
                pc_buf_reset(&p->event);
                pc_buf_add(&p->event, value, value_len < 256 ? value_len : 256);
        }
        return 0;
}

int pc_sse_feed(PcSseParser *p, const char *buf, size_t len, PcError *reterr)
{
        for (size_t i = 0; i < len; i++) {
                char c = buf[i];
                if (p->last_cr) {
                        p->last_cr = false;
                        if (c == '\n')
                                continue;
                }
                if (c == '\r' || c == '\n') {
                        p->last_cr = c == '\r';
                        int r = process_line(p, reterr);
                        pc_buf_reset(&p->line);
                        if (r < 0)
                                return r;
                        continue;
                }
                const char *end = memchr(buf + i, '\n', len - i);
                const char *cr = memchr(buf + i, '\r', len - i);
                if (!end || (cr && cr < end))
                        end = cr;
                size_t run = end ? (size_t) (end - (buf + i)) : len - i;
                if (p->line.len + run > PC_SSE_MAX_EVENT_BYTES)
                        return pc_error_set(reterr, -E2BIG,
                                            "a line of the model's stream is longer than %u bytes",
                                            PC_SSE_MAX_EVENT_BYTES);
                pc_buf_add(&p->line, buf + i, run);
                i += run - 1;
        }
        return 0;
}
