/* SPDX-License-Identifier: MIT */
/*
 * The built-in tool catalog (spec 3.1), its groups (3.2) and profiles (3.3).
 *
 * The catalog is a static table in OpenClaw's order: every tool has an id, the catalog
 * section it belongs to (which is also its group:<section>), the profiles that include it,
 * whether group:openclaw contains it and whether it is owner-only. Every lookup takes a
 * normalised name (lower case, aliases resolved: pc_tool_name_normalize() in pattern.h).
 *
 * Groups: group:<section> for every section, and group:openclaw (every catalog tool except
 * the file and runtime tools read, write, edit, apply_patch, exec, process). group:plugins
 * and plugin ids are not known: Pincer loads no plugins yet, so such entries match nothing
 * and an allowlist containing them is warned about like any unknown entry (spec 3.9).
 *
 * Profiles: minimal, coding and messaging are allowlists built from the table; full (and
 * no profile at all) is no restriction.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum PcToolProfile {
        PC_TOOL_PROFILE_FULL, /* no restriction: also what an unset profile means */
        PC_TOOL_PROFILE_MINIMAL,
        PC_TOOL_PROFILE_CODING,
        PC_TOOL_PROFILE_MESSAGING,
        _PC_TOOL_PROFILE_MAX,
        _PC_TOOL_PROFILE_INVALID = -22, /* -EINVAL */
} PcToolProfile;

typedef struct PcTool {
        const char *name;    /* the tool id, e.g. "apply_patch" */
        const char *section; /* catalog section, e.g. "fs" (member of group:fs) */
        unsigned profiles;   /* 1u << PcToolProfile, for minimal, coding and messaging */
        bool openclaw;       /* member of group:openclaw */
        bool owner_only;     /* removed for callers who are not owners (spec 3.6 step 4) */
        const char *summary; /* one line, for listings */
} PcTool;

/* The whole catalog, in OpenClaw's order; *ret_n is set to its size. */
const PcTool *pc_tool_catalog(size_t *ret_n);

/* The catalog entry of a normalised name, or NULL when it is not a catalog tool. */
const PcTool *pc_tool_find(const char *name);

/* Names outside the catalog that are owner-only too (channel tools such as whatsapp_login). */
bool pc_tool_name_is_owner_only(const char *name);

/* "minimal", "coding", "messaging", "full" → the profile; anything else → -EINVAL. */
PcToolProfile pc_tool_profile_from_string(const char *s);
const char *pc_tool_profile_to_string(PcToolProfile p);
/* Whether the profile lets the tool through (always true for full). */
bool pc_tool_in_profile(const PcTool *t, PcToolProfile p);

/* Whether group (normalised, "group:fs") is a known group, and whether t is in it. */
bool pc_tool_group_is_known(const char *group);
bool pc_tool_group_contains(const char *group, const PcTool *t);
/* The known group names, NULL-terminated (for documentation and listings). */
const char *const *pc_tool_group_names(void);
