/* SPDX-License-Identifier: MIT */
/*
 * The configuration schema: one declarative table for every key Pincer reads, with its
 * type, allowed values, bounds, default and documentation. The same table drives
 * validation (validate.c), defaults and merging (effective.c) and the generated reference
 * docs/config.md (`pincer config schema --markdown`), so they cannot drift apart.
 *
 * A node describes one value. Objects list their members (terminated by a node whose key
 * is NULL); arrays and maps (objects with free-form keys) describe their elements in items.
 * A value may allow several JSON types (types is a mask), e.g. setupCommand is a string
 * or an array of strings.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

typedef enum PcSchemaType {
        PC_ST_NULL = 1 << 0,
        PC_ST_BOOL = 1 << 1,
        PC_ST_INT = 1 << 2,    /* a JSON integer (or a real with no fraction) */
        PC_ST_NUMBER = 1 << 3, /* any finite number */
        PC_ST_STRING = 1 << 4,
        PC_ST_ARRAY = 1 << 5,  /* elements described by items (NULL: anything) */
        PC_ST_OBJECT = 1 << 6, /* fixed members described by members */
        PC_ST_MAP = 1 << 7,    /* free-form keys, values described by items (NULL: anything) */
        PC_ST_ANY = 0xff,
} PcSchemaType;

typedef enum PcSchemaFlags {
        /* A key OpenClaw has that Pincer does not implement: loads with exactly one warning,
         * its subtree is not validated and nothing reads it. */
        PC_SF_UNIMPLEMENTED = 1 << 0,
        /* Accepted for compatibility but ignored, with a warning (the doc says why). */
        PC_SF_IGNORED = 1 << 1,
        PC_SF_SECRET = 1 << 2,     /* redacted by `config show`, never logged */
        PC_SF_REQUIRED = 1 << 3,   /* must be present in its object */
        PC_SF_PINCER = 1 << 4,     /* a Pincer extension; OpenClaw does not know it */
        PC_SF_ENUM_CI = 1 << 5,    /* enum compared case-insensitively after trimming */
        PC_SF_NONEMPTY = 1 << 6,   /* strings: not empty after trimming; arrays: at least one */
        PC_SF_DEPRECATED = 1 << 7, /* still works, warns with the replacement named in doc */
        /* Merge rules for per-agent overrides (spec 1.16). Default: agent ?? defaults ?? default;
         * arrays and maps replace as a whole. */
        PC_SF_MERGE_CONCAT = 1 << 8,    /* arrays: defaults ++ agent */
        PC_SF_MERGE_SHALLOW = 1 << 9,   /* maps: {...defaults-or-default, ...agent} */
        PC_SF_SHARED_IGNORES = 1 << 10, /* per-agent value ignored when the scope is "shared" */
} PcSchemaFlags;

struct PcCheck;
/* Extra validation beyond type, enum and range; reports through pc_check_error(). */
typedef void (*PcSchemaCheckFn)(const struct PcCheck *c);

typedef struct PcSchemaNode PcSchemaNode;
struct PcSchemaNode {
        const char *key;                /* member name in its object; NULL ends a member list */
        unsigned types;                 /* PcSchemaType mask */
        const PcSchemaNode *members;    /* PC_ST_OBJECT: the members, NULL-key terminated */
        const PcSchemaNode *items;      /* PC_ST_ARRAY elements / PC_ST_MAP values */
        const char *const *enum_values; /* strings: allowed values, NULL-terminated */
        bool has_min, has_max;
        double min, max;          /* numbers: inclusive bounds; strings/arrays: length bounds */
        const char *default_json; /* default as JSON text (e.g. "\"agent\"", "24"), or NULL */
        const char *
                default_doc; /* default as prose when it is computed, e.g. "<stateDir>/sandboxes" */
        unsigned flags;      /* PcSchemaFlags */
        PcSchemaCheckFn check;
        const char *doc; /* one or two sentences for docs/config.md */
};

/* The root of the configuration file. */
extern const PcSchemaNode pc_schema_root;

/* Shared subtrees (the same schema object in several places). */
extern const PcSchemaNode pc_schema_sandbox[];     /* members of a `sandbox` object */
extern const PcSchemaNode pc_schema_agent_tools[]; /* members of agents.*.tools */
extern const PcSchemaNode pc_schema_agent_entry[]; /* members of an agents.list[] entry */

/* Looks up a member of an object node by key; NULL if unknown. */
const PcSchemaNode *pc_schema_member(const PcSchemaNode *object, const char *key);

/* Follows a dotted path of member names ("agents.defaults.sandbox.docker") from root;
 * arrays and maps are entered with "[]" ("agents.list[].sandbox"). NULL if unknown. */
const PcSchemaNode *pc_schema_lookup(const char *path);

/* Writes the reference documentation (markdown) for every node, for docs/config.md. */
struct PcBuf;
void pc_schema_render_markdown(struct PcBuf *out);
