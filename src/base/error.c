/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static PcErrorKind kind_from_code(int code)
{
        switch (-code) {
        case EINVAL:
        case E2BIG:
        case ERANGE:
        case EILSEQ:
        case ELOOP:
        case EMSGSIZE:
                return PC_ERROR_INVALID_ARGUMENT;
        case ENOENT:
        case ESRCH:
                return PC_ERROR_NOT_FOUND;
        case EEXIST:
        case EBUSY:
                return PC_ERROR_CONFLICT;
        case EPERM:
        case EACCES:
        case EROFS:
                return PC_ERROR_PERMISSION_DENIED;
        case ECONNREFUSED:
        case EHOSTUNREACH:
        case ETIMEDOUT:
        case EAGAIN:
                return PC_ERROR_UNAVAILABLE;
        default:
                return PC_ERROR_INTERNAL;
        }
}

_printf_(4, 0) static int vset(PcError *reterr, PcErrorKind kind, int code, const char *fmt,
                               va_list ap)
{
        if (code >= 0)
                code = -EIO; /* a programming error, but never report success as failure */
        if (!reterr)
                return code;
        reterr->code = code;
        reterr->kind = kind;
        vsnprintf(reterr->msg, sizeof(reterr->msg), fmt, ap);
        return code;
}

int pc_error_set(PcError *reterr, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vset(reterr, kind_from_code(code), code, fmt, ap);
        va_end(ap);
        return r;
}

int pc_error_set_kind(PcError *reterr, PcErrorKind kind, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vset(reterr, kind, code, fmt, ap);
        va_end(ap);
        return r;
}

int pc_error_prefix(PcError *reterr, const char *fmt, ...)
{
        if (!reterr)
                return -EIO;
        char prefix[PC_ERROR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);

        /* Build "<prefix>: <old message>" in a larger buffer, then truncate into msg. */
        char joined[2 * PC_ERROR_MSG_MAX + 2];
        snprintf(joined, sizeof(joined), "%s: %s", prefix, reterr->msg);
        memcpy(reterr->msg, joined, sizeof(reterr->msg) - 1);
        reterr->msg[sizeof(reterr->msg) - 1] = '\0';
        return reterr->code < 0 ? reterr->code : -EIO;
}

const char *pc_error_kind_to_string(PcErrorKind kind)
{
        static const char *const names[_PC_ERROR_KIND_MAX] = {
                [PC_ERROR_NONE] = "none",
                [PC_ERROR_INVALID_ARGUMENT] = "invalid_argument",
                [PC_ERROR_NOT_FOUND] = "not_found",
                [PC_ERROR_CONFLICT] = "conflict",
                [PC_ERROR_PERMISSION_DENIED] = "permission_denied",
                [PC_ERROR_UNAVAILABLE] = "unavailable",
                [PC_ERROR_INTERNAL] = "internal",
        };
        if (kind < 0 || kind >= _PC_ERROR_KIND_MAX)
                return "internal";
        return names[kind];
}
