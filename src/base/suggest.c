/* SPDX-License-Identifier: MIT */
#include "suggest.h"

#include <ctype.h>
#include <stdint.h>
#include <strings.h>

#include "alloc.h"

/* Inputs are config keys and enum values: short. Longer strings are not worth suggesting for. */
#define SUGGEST_MAX_LEN 64

size_t pc_edit_distance(const char *a, const char *b)
{
        size_t n = strlen(a), m = strlen(b);
        if (n > SUGGEST_MAX_LEN || m > SUGGEST_MAX_LEN)
                return SIZE_MAX;
        /* Three rolling rows are enough for the transposition rule. */
        size_t rows[3][SUGGEST_MAX_LEN + 1];
        size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
        for (size_t j = 0; j <= m; j++)
                prev[j] = j;
        for (size_t i = 1; i <= n; i++) {
                cur[0] = i;
                for (size_t j = 1; j <= m; j++) {
                        size_t cost = tolower((unsigned char) a[i - 1]) ==
                                                      tolower((unsigned char) b[j - 1])
                                              ? 0
                                              : 1;
                        size_t best = prev[j] + 1;
                        if (cur[j - 1] + 1 < best)
                                best = cur[j - 1] + 1;
                        if (prev[j - 1] + cost < best)
                                best = prev[j - 1] + cost;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            prev2[j - 2] + 1 < best)
                                best = prev2[j - 2] + 1;
                        cur[j] = best;
                }
                size_t *t = prev2;
                prev2 = prev;
                prev = cur;
                cur = t;
        }
        return prev[m];
}

const char *pc_suggest(const char *word, const char *const *candidates, size_t n)
{
        const char *best = NULL;
        size_t best_d = SIZE_MAX;
        size_t len = strlen(word);
        size_t limit = len / 3 > 1 ? len / 3 : 1;
        for (size_t i = 0; i < n; i++) {
                const char *c = candidates[i];
                if (!c)
                        continue;
                if (strcasecmp(c, word) == 0)
                        return c; /* case-only difference: always worth pointing out */
                size_t d = pc_edit_distance(word, c);
                if (d < best_d) {
                        best_d = d;
                        best = c;
                }
        }
        return best_d <= limit ? best : NULL;
}
