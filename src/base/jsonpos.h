/* SPDX-License-Identifier: MIT */
/*
 * Source positions for a jansson tree.
 *
 * jansson shares its true/false/null values, so a position cannot be keyed by the value
 * pointer. Positions are therefore keyed by where a value sits: (parent container, key)
 * for object members and (parent container, index) for array items. The map does not
 * hold references: whoever owns the tree keeps every container alive for as long as the
 * map is consulted (a freed container's address could be reused).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

typedef struct PcSrcPos {
        uint32_t file; /* index into the caller's file table */
        uint32_t line; /* 1-based; 0 means unknown */
        uint32_t col;  /* 1-based, in characters (UTF-8 code points) */
} PcSrcPos;

typedef struct PcJsonPos PcJsonPos;

PcJsonPos *pc_jsonpos_new(void);
PcJsonPos *pc_jsonpos_free(PcJsonPos *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcJsonPos *, pc_jsonpos_free);

/* Position of a whole document's root value (parent NULL). */
void pc_jsonpos_set_root(PcJsonPos *m, PcSrcPos value_pos);
bool pc_jsonpos_get_root(const PcJsonPos *m, PcSrcPos *ret_value);

void pc_jsonpos_set_member(PcJsonPos *m, const json_t *parent, const char *key, PcSrcPos key_pos,
                           PcSrcPos value_pos);
bool pc_jsonpos_get_member(const PcJsonPos *m, const json_t *parent, const char *key,
                           PcSrcPos *ret_key, PcSrcPos *ret_value);

void pc_jsonpos_set_item(PcJsonPos *m, const json_t *parent, size_t index, PcSrcPos value_pos);
bool pc_jsonpos_get_item(const PcJsonPos *m, const json_t *parent, size_t index,
                         PcSrcPos *ret_value);

size_t pc_jsonpos_size(const PcJsonPos *m);
