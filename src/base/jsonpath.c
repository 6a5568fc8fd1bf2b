/* SPDX-License-Identifier: MIT */
#include "jsonpath.h"

static bool is_identifier(const char *s)
{
        if (!*s || (*s >= '0' && *s <= '9'))
                return false;
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (!(c == '_' || c == '$' || c == '-' || (c >= 'a' && c <= 'z') ||
                      (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                        return false;
        }
        return true;
}

void pc_jsonpath_add_key(PcBuf *path, const char *key)
{
        if (is_identifier(key)) {
                if (path->len)
                        pc_buf_addch(path, '.');
                pc_buf_addstr(path, key);
                return;
        }
        pc_buf_addstr(path, "[\"");
        for (const char *p = key; *p; p++) {
                unsigned char c = (unsigned char) *p;
                if (c == '"' || c == '\\')
                        pc_buf_addf(path, "\\%c", c);
                else if (c < 0x20)
                        pc_buf_addf(path, "\\u%04x", c);
                else
                        pc_buf_addch(path, (char) c);
        }
        pc_buf_addstr(path, "\"]");
}

void pc_jsonpath_add_index(PcBuf *path, size_t index)
{
        pc_buf_addf(path, "[%zu]", index);
}
