/* SPDX-License-Identifier: MIT */
/*
 * Private to the schema table files (schema-*.c): the member lists one table file hands to
 * another, and the one helper macro they share. Everything else uses schema.h.
 */
#pragma once

#include "schema.h"

/* An OpenClaw key Pincer does not act on: accepted with one warning, subtree not validated. */
// clang-format off
#define PC_UNIMPL(k, d) {.key = (k), .types = PC_ST_ANY, .flags = PC_SF_UNIMPLEMENTED, .doc = (d)}
// clang-format on

/* Element node for string arrays and string maps (schema-root.c). */
extern const PcSchemaNode pc_schema_string_item;

/* OpenClaw's SecretRef {source, provider, id}, accepted wherever a secret string is. */
extern const PcSchemaNode pc_schema_secret_ref_members[]; /* schema-root.c */

/* Members of the root-level objects, each defined in its own table file. */
extern const PcSchemaNode pc_schema_agents_members[];  /* schema-agents.c */
extern const PcSchemaNode pc_schema_tools_members[];   /* schema-tools.c: global `tools` */
extern const PcSchemaNode pc_schema_gateway_members[]; /* schema-gateway.c */
extern const PcSchemaNode pc_schema_models_members[];  /* schema-gateway.c */
extern const PcSchemaNode pc_schema_session_members[]; /* schema-session.c */
extern const PcSchemaNode pc_schema_binding_item;      /* schema-session.c: one bindings[] entry */

/* A model selection: "provider/model" or {primary, fallbacks} (schema-agents.c). */
extern const PcSchemaNode pc_schema_model_members[];
