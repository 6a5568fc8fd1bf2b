/* SPDX-License-Identifier: MIT */
/* Building JSON paths for messages: agents.list[1].sandbox.docker.binds[0], a["odd key"]. */
#pragma once

#include <stddef.h>

#include "buf.h"

/* Appends ".key" (or "key" when path is empty); keys that are not identifiers are written
 * as ["key"] with quotes and control characters escaped. */
void pc_jsonpath_add_key(PcBuf *path, const char *key);
void pc_jsonpath_add_index(PcBuf *path, size_t index);
