/* SPDX-License-Identifier: MIT */
#include "pattern.h"

#include <ctype.h>
#include <jansson.h>

#include "base/alloc.h"
#include "catalog.h"
#include "policy-internal.h"

static const struct {
        const char *alias, *name;
} aliases[] = {
        {"bash", "exec"},
        {"apply-patch", "apply_patch"},
};

char *pc__policy_lower_trim(const char *name)
{
        while (*name && isspace((unsigned char) *name))
                name++;
        size_t len = strlen(name);
        while (len && isspace((unsigned char) name[len - 1]))
                len--;
        char *s = xstrndup(name, len);
        for (char *p = s; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return s;
}

char *pc_tool_name_normalize(const char *name)
{
        char *s = pc__policy_lower_trim(name);
        for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
                if (streq(s, aliases[i].alias)) {
                        free(s);
                        return xstrdup(aliases[i].name);
                }
        return s;
}

bool pc_glob_match(const char *p, const char *s)
{
        /* Iterative matcher with one backtrack point: linear in practice, no recursion. */
        const char *star = NULL, *resume = NULL;
        while (*s) {
                if (*p == '*') {
                        star = p++;
                        resume = s;
                } else if (*p == *s) {
                        p++;
                        s++;
                } else if (star) {
                        p = star + 1;
                        s = ++resume;
                } else
                        return false;
        }
        while (*p == '*')
                p++;
        return *p == '\0';
}

static void push(PcPatternList *l, PcPatternKind kind, const char *norm, const char *entry,
                 const char *key, unsigned flags, const char *note)
{
        l->items = xgrow(l->items, &l->alloc, l->n + 1, sizeof(PcPattern));
        l->items[l->n++] = (PcPattern){
                .kind = kind,
                .norm = xstrdup(norm),
                .entry = xstrdup(entry),
                .key = xstrdup(key ? key : ""),
                .note = note ? xstrdup(note) : NULL,
                .flags = flags,
        };
}

void pc_pattern_list_add_exact(PcPatternList *l, const char *norm, const char *entry,
                               const char *key, unsigned flags, const char *note)
{
        push(l, PC_PATTERN_EXACT, norm, entry, key, flags, note);
}

void pc_pattern_list_add(PcPatternList *l, const char *entry, const char *key, unsigned flags,
                         const char *note)
{
        _cleanup_free_ char *norm = pc_tool_name_normalize(entry);
        if (!*norm)
                return;
        if (pc_tool_group_is_known(norm)) {
                size_t n;
                const PcTool *cat = pc_tool_catalog(&n);
                for (size_t i = 0; i < n; i++)
                        if (pc_tool_group_contains(norm, &cat[i]))
                                push(l, PC_PATTERN_EXACT, cat[i].name, entry, key, flags, note);
                return;
        }
        PcPatternKind kind = streq(norm, "*")    ? PC_PATTERN_ALL
                             : strchr(norm, '*') ? PC_PATTERN_GLOB
                                                 : PC_PATTERN_EXACT;
        push(l, kind, norm, entry, key, flags, note);
}

void pc_pattern_list_add_json(PcPatternList *l, const json_t *arr, const char *key, unsigned flags)
{
        size_t i;
        const json_t *v;
        json_array_foreach (arr, i, v) {
                if (json_is_string(v))
                        pc_pattern_list_add(l, json_string_value(v), key, flags, NULL);
        }
}

static bool pattern_matches(const PcPattern *p, const char *name)
{
        switch (p->kind) {
        case PC_PATTERN_ALL:
                return true;
        case PC_PATTERN_GLOB:
                return pc_glob_match(p->norm, name);
        case PC_PATTERN_EXACT:
                return streq(p->norm, name);
        }
        return false;
}

const PcPattern *pc_pattern_list_match(const PcPatternList *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (pattern_matches(&l->items[i], name))
                        return &l->items[i];
        return NULL;
}

bool pc_pattern_list_has_exact(const PcPatternList *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].kind == PC_PATTERN_EXACT && streq(l->items[i].norm, name))
                        return true;
        return false;
}

void pc_pattern_list_clear(PcPatternList *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].norm);
                free(l->items[i].entry);
                free(l->items[i].key);
                free(l->items[i].note);
        }
        free(l->items);
        *l = (PcPatternList) PC_PATTERN_LIST_INIT;
}

bool pc_tool_entry_is_known(const char *entry)
{
        _cleanup_free_ char *norm = pc_tool_name_normalize(entry);
        if (!*norm || streq(norm, "*") || pc_tool_group_is_known(norm) || pc_tool_find(norm))
                return true;
        if (!strchr(norm, '*'))
                return false;
        size_t n;
        const PcTool *cat = pc_tool_catalog(&n);
        for (size_t i = 0; i < n; i++)
                if (pc_glob_match(norm, cat[i].name))
                        return true;
        return false;
}
