/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"

static PcLogLevel log_level = PC_LOG_INFO;
static PcLogFormat log_format = PC_LOG_FORMAT_AUTO;

static const char *const level_names[_PC_LOG_LEVEL_MAX] = {
        [PC_LOG_DEBUG] = "debug",     [PC_LOG_INFO] = "info",   [PC_LOG_NOTICE] = "notice",
        [PC_LOG_WARNING] = "warning", [PC_LOG_ERROR] = "error",
};

void pc_log_set_level(PcLogLevel level)
{
        log_level = level;
}

PcLogLevel pc_log_get_level(void)
{
        return log_level;
}

void pc_log_set_format(PcLogFormat format)
{
        log_format = format;
}

int pc_log_level_from_string(const char *s)
{
        for (int i = 0; i < _PC_LOG_LEVEL_MAX; i++)
                if (streq(s, level_names[i]))
                        return i;
        return -EINVAL;
}

/* Expands %m to strerror(-r): printf's own %m would print the current errno instead. */
static void expand_m(PcBuf *out, const char *fmt, int r)
{
        for (const char *p = fmt; *p; p++) {
                if (p[0] == '%' && p[1] == '%') {
                        pc_buf_addstr(out, "%%");
                        p++;
                } else if (p[0] == '%' && p[1] == 'm') {
                        for (const char *e = strerror(r < 0 ? -r : r); *e; e++) {
                                if (*e == '%')
                                        pc_buf_addch(out, '%');
                                pc_buf_addch(out, *e);
                        }
                        p++;
                } else
                        pc_buf_addch(out, *p);
        }
}

static void add_json_string(PcBuf *b, const char *s)
{
        pc_buf_addch(b, '"');
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '"' || c == '\\')
                        pc_buf_addf(b, "\\%c", c);
                else if (c < 0x20)
                        pc_buf_addf(b, "\\u%04x", c);
                else
                        pc_buf_addch(b, (char) c);
        }
        pc_buf_addch(b, '"');
}

int pc_log_internal(PcLogLevel level, int r, const char *file, int line, const char *fmt, ...)
{
        if (level < log_level)
                return r;
        int saved_errno = errno;

        _cleanup_buf_ PcBuf f = PC_BUF_INIT;
        expand_m(&f, fmt, r);
        _cleanup_buf_ PcBuf msg = PC_BUF_INIT;
        va_list ap;
        va_start(ap, fmt);
        /* The format is the caller's literal (checked by the _printf_ attribute on
         * pc_log_internal) with only %m replaced, so it is safe to use as a format here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        pc_buf_vaddf(&msg, f.buf, ap);
#pragma GCC diagnostic pop
        va_end(ap);

        PcLogFormat format = log_format;
        if (format == PC_LOG_FORMAT_AUTO)
                format = isatty(STDERR_FILENO) ? PC_LOG_FORMAT_TEXT : PC_LOG_FORMAT_JSON;

        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        if (format == PC_LOG_FORMAT_TEXT) {
                if (level >= PC_LOG_WARNING)
                        pc_buf_addf(&out, "%s: ", level_names[level]);
                pc_buf_addstr(&out, msg.buf);
        } else {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                pc_buf_addf(&out,
                            "{\"ts\":%lld.%03ld,\"level\":\"%s\",\"msg\":", (long long) ts.tv_sec,
                            ts.tv_nsec / 1000000, level_names[level]);
                add_json_string(&out, msg.buf);
                if (level == PC_LOG_DEBUG)
                        pc_buf_addf(&out, ",\"src\":\"%s:%d\"", file, line);
                pc_buf_addch(&out, '}');
        }
        pc_buf_addch(&out, '\n');
        (void) fwrite(out.buf, 1, out.len, stderr);

        errno = saved_errno;
        return r;
}
