/* SPDX-License-Identifier: MIT */
/* The default sandbox tool policy (spec 3.7), NULL-terminated lists. */
#pragma once

extern const char *const pc_default_sandbox_tool_allow[];
extern const char *const pc_default_sandbox_tool_deny[];
