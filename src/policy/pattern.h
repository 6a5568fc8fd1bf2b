/* SPDX-License-Identifier: MIT */
/*
 * Tool names and the patterns of allow and deny lists (spec 3.4).
 *
 * A name is compared after normalisation: surrounding white space trimmed, ASCII lower case,
 * and the aliases bash → exec and apply-patch → apply_patch resolved. A list entry is
 * normalised the same way, then:
 *   - ""              is ignored;
 *   - "group:<name>"  expands to the group's members (catalog.h); an unknown group stays a
 *                     literal entry and so matches nothing;
 *   - "*"             matches every name;
 *   - containing "*"  is a glob: "*" matches any sequence, everything else is literal, and
 *                     the whole name must match;
 *   - otherwise       matches exactly.
 *
 * A PcPatternList keeps, for every expanded pattern, the entry as written and the config key
 * it came from, so a match can be explained ("denied by agents.list[1].tools.deny "exec"").
 * The list owns its strings.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum PcPatternKind {
        PC_PATTERN_EXACT,
        PC_PATTERN_GLOB,
        PC_PATTERN_ALL,
} PcPatternKind;

typedef enum PcPatternFlags {
        PC_PATTERN_DEFAULT = 1 << 0,  /* a built-in default, not written in the config */
        PC_PATTERN_IMPLICIT = 1 << 1, /* added by a rule that note explains, not written */
} PcPatternFlags;

typedef struct PcPattern {
        PcPatternKind kind;
        char *norm;  /* normalised pattern (a group member after expansion) */
        char *entry; /* the entry as written, e.g. "group:fs" or "Bash" */
        char *key;   /* config key path of the list, e.g. "agents.list[1].tools.deny" */
        char *note;  /* why an implicit pattern is there, or NULL */
        unsigned flags;
} PcPattern;

typedef struct PcPatternList {
        PcPattern *items;
        size_t n;
        size_t alloc;
} PcPatternList;

#define PC_PATTERN_LIST_INIT                                                                       \
        {                                                                                          \
                0                                                                                  \
        }

/* Normalises a tool name or list entry (trim, lower case, aliases). Returns a new string. */
char *pc_tool_name_normalize(const char *name);

/* Anchored glob match where only '*' is special. */
bool pc_glob_match(const char *pattern, const char *s);

/* Adds one entry (expanding a group) with its key, flags and note (may be NULL). Empty
 * entries are ignored. */
void pc_pattern_list_add(PcPatternList *l, const char *entry, const char *key, unsigned flags,
                         const char *note);
/* Adds one already normalised name as an exact pattern, with entry shown as written (used for
 * profile members, whose entry is the profile id). */
void pc_pattern_list_add_exact(PcPatternList *l, const char *norm, const char *entry,
                               const char *key, unsigned flags, const char *note);
/* Adds every string of a JSON array (non-strings are skipped); arr may be NULL. */
struct json_t;
void pc_pattern_list_add_json(PcPatternList *l, const struct json_t *arr, const char *key,
                              unsigned flags);

/* The first pattern matching the normalised name, or NULL. */
const PcPattern *pc_pattern_list_match(const PcPatternList *l, const char *name);
/* Whether the list holds the normalised name literally (an exact pattern, not a glob). */
bool pc_pattern_list_has_exact(const PcPatternList *l, const char *name);

void pc_pattern_list_clear(PcPatternList *l);

/* Whether an entry names anything Pincer knows: a catalog tool, a known group, "*", or a
 * glob that matches a catalog tool. Empty entries count as known (they are ignored). */
bool pc_tool_entry_is_known(const char *entry);
