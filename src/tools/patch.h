/* SPDX-License-Identifier: MIT */
/*
 * The apply_patch format (spec 3.4; the codex/OpenClaw dialect), parsed and applied in memory
 * with no filesystem access (fuzz/fuzz-apply-patch.c drives both):
 *
 *   *** Begin Patch
 *   *** Add File: <path>        followed by "+line" lines
 *   *** Delete File: <path>
 *   *** Update File: <path>     optionally "*** Move to: <path>", then chunks:
 *   @@ [context line]           then " ctx", "-old", "+new" lines, "*** End of File"
 *   *** End Patch
 *
 * A "<<EOF" ... "EOF" heredoc wrapper is tolerated. Limits: PC_PATCH_MAX_SIZE bytes of input
 * and PC_PATCH_MAX_FILES hunks. Errors fill reterr with the text the model sees.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

#define PC_PATCH_MAX_SIZE  (4u * 1024 * 1024)
#define PC_PATCH_MAX_FILES 1000

typedef enum PcPatchKind {
        PC_PATCH_ADD,
        PC_PATCH_DELETE,
        PC_PATCH_UPDATE,
} PcPatchKind;

typedef struct PcPatchChunk {
        char *context; /* the "@@ <context>" line, or NULL */
        char **old_lines;
        size_t n_old;
        char **new_lines;
        size_t n_new;
        bool eof; /* "*** End of File": anchored at the end of the file */
} PcPatchChunk;

typedef struct PcPatchHunk {
        PcPatchKind kind;
        char *path;
        char *move_to;  /* update only, or NULL */
        char *contents; /* add only: the file's new content */
        PcPatchChunk *chunks;
        size_t n_chunks;
} PcPatchHunk;

/* Owns everything it points to. */
typedef struct PcPatch {
        PcPatchHunk *hunks;
        size_t n_hunks;
} PcPatch;

int pc_patch_parse(const char *input, size_t len, PcPatch *ret, PcError *reterr);
void pc_patch_release(PcPatch *p);

/* Applies an update hunk's chunks to content; *ret is the new content (owned, always ending
 * with a newline). display names the file in messages. */
int pc_patch_apply_update(const char *content, const PcPatchHunk *h, const char *display,
                          char **ret, PcError *reterr);
