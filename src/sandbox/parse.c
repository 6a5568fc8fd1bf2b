/* SPDX-License-Identifier: MIT */
/* Value parsers for docker.* keys (spec 1.8): memory sizes and ulimits. */
#include <ctype.h>

#include "base/alloc.h"
#include "sandbox-internal.h"

int pc_sandbox_parse_memory(const char *s, int64_t *ret_bytes)
{
        _cleanup_free_ char *t = pc__trim(s);
        const char *p = t;
        if (!isdigit((unsigned char) *p))
                return -EINVAL;

        unsigned __int128 ip = 0, frac = 0, frac_div = 1;
        for (; isdigit((unsigned char) *p); p++) {
                ip = ip * 10 + (unsigned) (*p - '0');
                if (ip > INT64_MAX)
                        return -ERANGE;
        }
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                for (; isdigit((unsigned char) *p); p++)
                        if (frac_div < 1000000000000000000ULL) { /* 18 digits are plenty */
                                frac = frac * 10 + (unsigned) (*p - '0');
                                frac_div *= 10;
                        }
        }
        if (*p == ' ')
                p++;
        unsigned __int128 mult = 1;
        const char *units = "kmgtp";
        const char *u = *p ? strchr(units, tolower((unsigned char) *p)) : NULL;
        if (u) {
                for (ptrdiff_t i = 0; i <= u - units; i++)
                        mult *= 1024;
                p++;
        }
        if (*p == 'i' || *p == 'I')
                p++;
        if (*p == 'b' || *p == 'B')
                p++;
        if (*p)
                return -EINVAL;

        unsigned __int128 v = ip * mult + frac * mult / frac_div;
        if (v > INT64_MAX)
                return -ERANGE;
        *ret_bytes = (int64_t) v;
        return 0;
}

int pc_sandbox_memory_from_json(const json_t *v, bool allow_unlimited, int64_t *ret_bytes)
{
        if (json_is_integer(v)) {
                json_int_t n = json_integer_value(v);
                if (n < 0 && !(allow_unlimited && n == -1))
                        return -EINVAL;
                *ret_bytes = n;
                return 0;
        }
        if (json_is_real(v)) {
                double d = json_real_value(v);
                if (allow_unlimited && d == -1.0) {
                        *ret_bytes = -1;
                        return 0;
                }
                if (!(d >= 0) || d >= 9.2e18)
                        return d >= 9.2e18 ? -ERANGE : -EINVAL;
                *ret_bytes = (int64_t) d;
                return 0;
        }
        if (json_is_string(v)) {
                _cleanup_free_ char *t = pc__trim(json_string_value(v));
                if (allow_unlimited && streq(t, "-1")) {
                        *ret_bytes = -1;
                        return 0;
                }
                return pc_sandbox_parse_memory(t, ret_bytes);
        }
        return -EINVAL;
}

/* One side of a ulimit: a non-negative integer or -1. */
static int ulimit_side(const char *s, size_t n, int64_t *ret)
{
        char buf[32];
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (streq(buf, "-1")) {
                *ret = -1;
                return 0;
        }
        int64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                if (!isdigit((unsigned char) buf[i]))
                        return -EINVAL;
                if (v > (INT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (buf[i] - '0');
        }
        *ret = v;
        return 0;
}

static bool json_ulimit_int(const json_t *v, int64_t *ret)
{
        if (!json_is_integer(v))
                return false;
        json_int_t n = json_integer_value(v);
        if (n < -1)
                return false;
        *ret = n;
        return true;
}

int pc_sandbox_ulimit_from_json(const json_t *v, int64_t *ret_soft, int64_t *ret_hard)
{
        int64_t soft = 0, hard = 0;
        if (json_is_integer(v)) {
                if (!json_ulimit_int(v, &soft))
                        return -EINVAL;
                hard = soft;
        } else if (json_is_string(v)) {
                _cleanup_free_ char *t = pc__trim(json_string_value(v));
                const char *colon = strchr(t, ':');
                int r = ulimit_side(t, colon ? (size_t) (colon - t) : strlen(t), &soft);
                if (r < 0)
                        return r;
                hard = soft;
                if (colon && (r = ulimit_side(colon + 1, strlen(colon + 1), &hard)) < 0)
                        return r;
        } else if (json_is_object(v)) {
                const json_t *s = json_object_get(v, "soft"), *h = json_object_get(v, "hard");
                if ((!s && !h) || (s && !json_ulimit_int(s, &soft)) ||
                    (h && !json_ulimit_int(h, &hard)))
                        return -EINVAL;
                if (!s)
                        soft = hard;
                if (!h)
                        hard = soft;
        } else
                return -EINVAL;
        /* -1 is unlimited: a finite hard limit below an unlimited or larger soft one is not a
         * limit the kernel accepts. */
        if (hard != -1 && (soft == -1 || soft > hard))
                return -EINVAL;
        *ret_soft = soft;
        *ret_hard = hard;
        return 0;
}
