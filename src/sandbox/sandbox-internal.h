/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the files of src/sandbox/ (not for use outside it; tests may include it).
 * Strings returned are new heap strings; vectors are NULL-terminated char ** (NULL = empty).
 */
#pragma once

#include <sys/types.h>

#include "sandbox.h"

/* String vectors. push takes ownership of s and returns the (possibly moved) vector. */
size_t pc__strv_len(char *const *v);
char **pc__strv_push(char **v, char *s);
/* A deep copy (NULL for NULL). */
char **pc__strv_copy(char *const *v);
char **pc__strv_free(char **v);
bool pc__strv_contains(char *const *v, const char *s);
static inline void pc__strv_freep(char ***v)
{
        *v = pc__strv_free(*v);
}
#define _cleanup_strv_ _cleanup_(pc__strv_freep)

/* A copy of s without leading and trailing white space. */
char *pc__trim(const char *s);

/* The JSON value at a dotted path below v, or NULL. */
const json_t *pc__json_at(const json_t *v, const char *dotted);

/* POSIX path normalisation as node's path.posix.normalize plus no trailing '/': resolves "."
 * and "..", collapses "//", "" → "/". Backslashes become '/'. Absolute stays absolute; ".."
 * above "/" stays at "/". */
char *pc__path_normalize(const char *p);

/* p (absolute) resolved through its deepest existing ancestor, walked as the kernel would:
 * symlinks are followed (including dangling ones, to where they point), "x/.." leaves what x
 * resolved to, and missing components are kept as written. A relative p is only normalised.
 * Returns NULL after more than 40 symlinks (a loop). */
char *pc__path_resolve_existing(const char *p);

/* Whether p equals root or lies below it (both normalised; root "/" contains everything). */
bool pc__path_inside(const char *root, const char *p);

/* The default home directories whose credential dirs are blocked: $HOME and the passwd home
 * of the current user (deduplicated). A NULL-terminated vector to free with pc__strv_free. */
char **pc__default_home_dirs(void);

/* The effective view of the agent owning session_key (session.c): new reference. */
int pc__sandbox_effective(const PcConfig *cfg, const char *session_key, json_t **ret,
                          PcError *reterr);

/*
 * The manager's cache of built specs (spec-cache.c), one entry per (effective view, canonical
 * session key), reused while the workspace dirs the build looked at are unchanged. Not
 * thread-safe: every call, and every unref, under the manager's lock.
 */
typedef struct PcSpecCache PcSpecCache;
typedef struct PcResolvedSpec PcResolvedSpec; /* a built spec, reference counted */

PcSpecCache *pc__spec_cache_new(void);
PcSpecCache *pc__spec_cache_free(PcSpecCache *c);
/* A new reference to the cached spec of (effective, key), or NULL. */
PcResolvedSpec *pc__spec_cache_get(PcSpecCache *c, const json_t *effective, const char *key);
/* Takes spec (just built from effective for key) and returns a new reference to it, cached
 * when it can be. */
PcResolvedSpec *pc__spec_cache_put(PcSpecCache *c, json_t *effective, const char *key,
                                   PcSandboxSpec *spec);
PcResolvedSpec *pc__resolved_spec_unref(PcResolvedSpec *r);
const PcSandboxSpec *pc__resolved_spec(const PcResolvedSpec *r);
