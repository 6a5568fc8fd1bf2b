/* SPDX-License-Identifier: MIT */
/* Times as text. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Enough for every pc_time_format_iso_ms() result, with room to spare. */
#define PC_TIME_ISO_MS_MAX 40

/* Milliseconds since the epoch as ISO 8601 in UTC with milliseconds, as JavaScript's
 * Date.toISOString() writes them: 2026-01-31T12:34:56.789Z. Truncated to fit n bytes. */
void pc_time_format_iso_ms(int64_t ms, char *buf, size_t n);
