/* SPDX-License-Identifier: MIT */
/* Shared between the files of src/policy: not part of the API. */
#pragma once

#include <jansson.h>

#include "policy.h"

/* Fills r->steps for the context and adds the unknown-entry warnings (steps.c). eff is the
 * agent's effective configuration (pc_config_agent_effective()). */
void pc__policy_steps_build(const PcConfig *cfg, const PcAgent *agent, const json_t *eff,
                            const PcPolicyContext *ctx, PcPolicyResult *r);
void pc__policy_step_release(PcPolicyStep *s);

/* Fills r->elevated; needs r->tools (elevated.c). */
void pc__policy_elevated(const PcConfig *cfg, const PcAgent *agent, const json_t *eff,
                         const PcPolicyContext *ctx, PcPolicyResult *r);
void pc__policy_elevated_release(PcElevated *e);

/* The pattern of list matching the normalised name; for apply_patch, a pattern matching
 * write also counts (*ret_via_write is then set). */
const PcPattern *pc__policy_match_tool(const PcPatternList *l, const char *name,
                                       bool *ret_via_write);

/* s trimmed of white space and in ASCII lower case (provider, model and channel names: no
 * tool aliases). Returns a new string. */
char *pc__policy_lower_trim(const char *s);

/* A member of a JSON object by dotted path ("tools.sandboxTools.allow"), or NULL. */
const json_t *pc__policy_json_at(const json_t *v, const char *path);
