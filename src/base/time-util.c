/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <time.h>

#include "time-util.h"

void pc_time_format_iso_ms(int64_t ms, char *buf, size_t n)
{
        time_t t = (time_t) (ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char base[32];
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, n, "%s.%03dZ", base, (int) (ms % 1000));
}
