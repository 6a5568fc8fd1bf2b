/* SPDX-License-Identifier: MIT */
#include "buf.h"

#include <stdio.h>

#include "alloc.h"

char pc_buf_empty[1];

void pc_buf_init(PcBuf *b)
{
        *b = (PcBuf) PC_BUF_INIT;
}

void pc_buf_release(PcBuf *b)
{
        if (b->alloc)
                free(b->buf);
        pc_buf_init(b);
}

void pc_buf_reset(PcBuf *b)
{
        pc_buf_setlen(b, 0);
}

void pc_buf_grow(PcBuf *b, size_t extra)
{
        size_t need = b->len + extra + 1;
        if (need <= b->alloc)
                return;
        bool fresh = b->alloc == 0;
        size_t alloc = b->alloc;
        char *p = xgrow(fresh ? NULL : b->buf, &alloc, need, 1);
        if (fresh)
                p[0] = '\0';
        b->buf = p;
        b->alloc = alloc;
}

void pc_buf_add(PcBuf *b, const void *data, size_t n)
{
        pc_buf_grow(b, n);
        memcpy(b->buf + b->len, data, n);
        b->len += n;
        b->buf[b->len] = '\0';
}

void pc_buf_addstr(PcBuf *b, const char *s)
{
        pc_buf_add(b, s, strlen(s));
}

void pc_buf_addch(PcBuf *b, char c)
{
        pc_buf_add(b, &c, 1);
}

void pc_buf_vaddf(PcBuf *b, const char *fmt, va_list ap)
{
        va_list cp;
        va_copy(cp, ap);
        int n = vsnprintf(NULL, 0, fmt, cp);
        va_end(cp);
        if (n <= 0)
                return;
        pc_buf_grow(b, (size_t) n);
        vsnprintf(b->buf + b->len, (size_t) n + 1, fmt, ap);
        b->len += (size_t) n;
}

void pc_buf_addf(PcBuf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        pc_buf_vaddf(b, fmt, ap);
        va_end(ap);
}

void pc_buf_setlen(PcBuf *b, size_t len)
{
        if (len > b->len)
                len = b->len;
        b->len = len;
        if (b->alloc)
                b->buf[len] = '\0';
}

char *pc_buf_detach(PcBuf *b)
{
        char *s = b->alloc ? b->buf : xstrdup("");
        pc_buf_init(b);
        return s;
}

void pc_buf_add_escaped(PcBuf *b, const char *s, size_t max)
{
        size_t i;
        for (i = 0; s[i] && i < max; i++) {
                unsigned char c = (unsigned char) s[i];
                switch (c) {
                case '\n':
                        pc_buf_addstr(b, "\\n");
                        break;
                case '\t':
                        pc_buf_addstr(b, "\\t");
                        break;
                case '\r':
                        pc_buf_addstr(b, "\\r");
                        break;
                case '\'':
                        pc_buf_addstr(b, "\\'");
                        break;
                case '\\':
                        pc_buf_addstr(b, "\\\\");
                        break;
                default:
                        if (c < 0x20 || c == 0x7f)
                                pc_buf_addf(b, "\\x%02x", c);
                        else
                                pc_buf_addch(b, (char) c);
                }
        }
        if (s[i])
                pc_buf_addstr(b, "...");
}
