/* SPDX-License-Identifier: MIT */
/* "Did you mean": the closest candidate to a misspelt word. */
#pragma once

#include <stddef.h>

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions); ASCII case
 * is ignored. SIZE_MAX for strings longer than 64 bytes. */
size_t pc_edit_distance(const char *a, const char *b);

/* Returns the candidate closest to word when it is close enough to be a plausible typo
 * (distance <= max(1, strlen(word) / 3), or a case-only difference), else NULL. NULL
 * entries in candidates are skipped. */
const char *pc_suggest(const char *word, const char *const *candidates, size_t n);
