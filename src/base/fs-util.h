/* SPDX-License-Identifier: MIT */
/* Small filesystem helpers shared by the layers (primitives: -errno, no logging). */
#pragma once

#include <sys/types.h>

/* mkdir -p: creates path and its missing parents with mode (before umask). 0 when path is (or
 * becomes) a directory, -ENOTDIR when it is something else, or the failing mkdir's -errno. */
int pc_mkdir_p(const char *path, mode_t mode);

/* rm -rf of path, never following symlinks and never descending into another filesystem
 * mounted below it (FTW_MOUNT), so a leftover mount cannot make it delete the mounted data.
 * 0 when path is gone (or never existed); -ENOTEMPTY when something could not be removed. */
int pc_rm_rf(const char *path);
