/* SPDX-License-Identifier: MIT */
/* Text that must be valid UTF-8 (JSON strings) built from bytes that may not be (command
 * output, file contents). */
#pragma once

#include <stddef.h>

/* A NUL-terminated copy of s[0..len) with every invalid UTF-8 sequence (and NUL byte)
 * replaced by U+FFFD. */
char *pc_utf8_sanitize(const char *s, size_t len);
/* Copies s into buf[size] as valid UTF-8: sanitized like pc_utf8_sanitize(), and when it does
 * not fit, cut at a character boundary (never in the middle of a sequence). */
void pc_utf8_fit(char *buf, size_t size, const char *s);
