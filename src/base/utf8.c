/* SPDX-License-Identifier: MIT */
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Length of the valid UTF-8 sequence at s (shortest form, no surrogates, <= U+10FFFF), or 0. */
static size_t valid_seq(const unsigned char *s, size_t n)
{
        if (s[0] >= 0x01 && s[0] < 0x80)
                return 1;
        size_t len;
        uint32_t cp, min;
        if ((s[0] & 0xe0) == 0xc0) {
                len = 2, cp = s[0] & 0x1f, min = 0x80;
        } else if ((s[0] & 0xf0) == 0xe0) {
                len = 3, cp = s[0] & 0x0f, min = 0x800;
        } else if ((s[0] & 0xf8) == 0xf0) {
                len = 4, cp = s[0] & 0x07, min = 0x10000;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

char *pc_utf8_sanitize(const char *s, size_t len)
{
        PcBuf out = PC_BUF_INIT;
        pc_buf_grow(&out, len);
        const unsigned char *p = (const unsigned char *) s;
        for (size_t i = 0; i < len;) {
                size_t k = valid_seq(p + i, len - i);
                if (k) {
                        pc_buf_add(&out, p + i, k);
                        i += k;
                } else {
                        pc_buf_addstr(&out, "\xef\xbf\xbd");
                        i++;
                }
        }
        return pc_buf_detach(&out);
}

void pc_utf8_fit(char *buf, size_t size, const char *s)
{
        if (size == 0)
                return;
        char *t = pc_utf8_sanitize(s, strlen(s));
        size_t n = strlen(t);
        if (n >= size) {
                n = size - 1;
                while (n > 0 && ((unsigned char) t[n] & 0xc0) == 0x80)
                        n--; /* t[n] starts a character: cut before it */
        }
        memcpy(buf, t, n);
        buf[n] = '\0';
        free(t);
}
