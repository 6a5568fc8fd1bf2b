/* SPDX-License-Identifier: MIT */
/*
 * The confinement layer of the file tools (read, write, edit, apply_patch): maps the path the
 * model gives onto one of the call's roots, and does every filesystem access through an fd of
 * that root with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so the kernel refuses `..`,
 * absolute symlinks, symlinks that leave the root and swaps between check and use.
 *
 * Symlinks inside the root that stay inside are followed for reads and for parent
 * directories; a write to a final-component symlink replaces the file it leads to (one level,
 * found beneath the root again), and the link stays. Regular files with more than one hard
 * link are refused for reads and writes: a hard link may alias a file outside the root and the
 * kernel cannot tell. Deletion (apply_patch) removes the name only, so it is allowed on links.
 *
 * A mount nested inside another (a bind at /workspace/data) hides that part of the outer
 * root in the sandbox. The outer root is never used to reach beneath it, not even through a
 * symlink that the kernel resolves inside the outer root: the file reached is checked (by the
 * fd's path), so a read-only nested mount cannot be written through a link beside it.
 *
 * Beneath the root, every access is made with the sandbox user's file-system identity (when
 * the call has one and the gateway is root): the thread's fsuid, fsgid and groups are set to
 * the user's for the operation (per-thread system calls), so the kernel applies the same
 * permission checks as for the sandbox's own processes. A file the sandbox user cannot read
 * or a directory it cannot write is refused ("Permission denied"), not reached with the
 * gateway's root rights. Only keeping an existing file's owner is done as root.
 *
 * Errors: every function returns -errno and fills reterr with the text the model sees (the
 * tools turn it into an is_error result). The texts are in docs/tools.md ("File tools").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tool.h"

#define PC_FS_READ_MAX  (16u * 1024 * 1024) /* bytes a read (or edit, or patch) loads */
#define PC_FS_WRITE_MAX (16u * 1024 * 1024) /* bytes a write stores */

/* A resolved path: which root, the path beneath it and an fd of the root directory. */
typedef struct PcFsPath {
        const PcToolRoot *root; /* borrowed from the call */
        int root_fd;            /* O_PATH|O_DIRECTORY of root->host (owned) */
        char *rel;              /* beneath the root, no leading '/', "" for the root (owned) */
        char *view;             /* the normalised path in the model's view (owned) */
        const PcToolRoot *all;  /* every root of the call (borrowed): the mounts nested inside
                                   root shadow parts of it */
        size_t n_all;
        int64_t uid, gid; /* the sandbox user the accesses are made as (-1: the caller) */
} PcFsPath;

#define PC_FS_PATH_INIT                                                                            \
        {                                                                                          \
                .root_fd = -EBADF                                                                  \
        }

void pc_fs_path_release(PcFsPath *p);
static inline void pc_fs_path_releasep(PcFsPath *p)
{
        pc_fs_path_release(p);
}
#define _cleanup_fs_path_ _cleanup_(pc_fs_path_releasep)

/* Resolves the model's path (strips '@' and "file://", normalises Unicode spaces, expands
 * '~', resolves relative paths against call->cwd and `.`/`..` lexically) onto the most
 * specific root. write: the root must be writable. action names the operation in the
 * messages ("read", "write", "edit", "apply patch"). */
int pc_fs_resolve(const PcToolCall *call, const char *input, bool write, const char *action,
                  PcFsPath *ret, PcError *reterr);

/* Reads a regular file (at most max bytes; larger is an error). ret_data is NUL-terminated.
 * action and display name the operation and the file in messages. Returns -ENOENT when it
 * does not exist. */
int pc_fs_read(const PcFsPath *p, const char *action, const char *display, size_t max,
               char **ret_data, size_t *ret_len, PcError *reterr);

/* Atomically replaces (or creates) the file with data: a temp file in the same directory,
 * fsync, renameat (RENAME_NOREPLACE when creating), fsync of the directory. Keeps an existing
 * file's mode and owner; a new file gets mode 0666 & ~umask and, when uid/gid >= 0, that owner.
 * mkdirs: create missing parent directories (owned by uid/gid too). */
int pc_fs_write(const PcFsPath *p, const char *display, const void *data, size_t len, bool mkdirs,
                int64_t uid, int64_t gid, PcError *reterr);

/* What pc_fs_check() looks at: a file that must exist and be reachable (an update's source),
 * a name that must exist (a deletion: it may be a link), or a place a write may create
 * (its existing parent directories, and where a link at the name leads). */
typedef enum PcFsCheck {
        PC_FS_CHECK_FILE,
        PC_FS_CHECK_NAME,
        PC_FS_CHECK_TARGET,
} PcFsCheck;

/* Checks, without changing anything, that the operation would not be refused for leaving the
 * root (symlinks, nested mounts) or a missing file: lets apply_patch refuse a whole patch
 * before its first write. The operations themselves still check everything again. */
int pc_fs_check(const PcFsPath *p, PcFsCheck what, const char *action, const char *display,
                PcError *reterr);

/* Removes a file (not a directory). */
int pc_fs_unlink(const PcFsPath *p, const char *display, PcError *reterr);

/* Sets ret to an is_error result with e's message (made valid UTF-8: PcError may cut a
 * multi-byte character). */
void pc_fs_result_error(PcToolResult *ret, const PcError *e);

/* The number of UTF-16 code units of a UTF-8 string (JavaScript's String.length), which is
 * what OpenClaw's write reports as "bytes". */
size_t pc_fs_utf16_length(const char *s, size_t len);
