/* SPDX-License-Identifier: MIT */
/*
 * Seccomp filters for native sandboxes, from Docker's JSON profile format or the built-in
 * default.
 *
 * A PcSeccompFilter holds a compiled, exported classic-BPF program (libseccomp compiles it
 * once, in the parent), so pc_seccomp_apply() after fork allocates nothing and is
 * async-signal-safe. Owned by its creator; immutable after creation, so it may be shared
 * read-only between threads and forked children.
 *
 * The profile format is Docker's: defaultAction, defaultErrnoRet, architectures, archMap,
 * syscalls[] {names (or name), action, errnoRet, args[] {index, value, valueTwo, op},
 * includes/excludes {caps, arches, minKernel}}. includes/excludes are evaluated with an empty
 * capability set (sandboxes keep no CAP_SYS_ADMIN-class capability that would widen it) and
 * the native architecture; the filter covers the native architecture only (other
 * architectures are killed). Names the kernel's architecture does not know are skipped, and
 * rules whose action equals the default are dropped, as Docker does. SCMP_ACT_NOTIFY is
 * refused (it needs a listener). Profiles are capped at 1 MiB.
 *
 * The built-in default is Pincer's default profile (sandbox/seccomp-default.h): the same
 * Docker JSON profile the Docker backend sends, compiled here like any other profile.
 */
#pragma once

#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/macro.h"

#define PC_SECCOMP_PROFILE_MAX_SIZE (1024 * 1024)

typedef struct PcSeccompFilter PcSeccompFilter;

/* Loads and compiles docker_profile_path (NULL: the built-in default). Errors (-EINVAL, or
 * -errno of reading the file) name the file and the JSON path: "p.json: syscalls[2].action:
 * unknown action 'SCMP_ACT_FOO'". */
int pc_seccomp_filter_new(const char *docker_profile_path, PcSeccompFilter **ret, PcError *reterr);

/* The same from a profile in memory; origin names it in messages (a path, "<test>"). */
int pc_seccomp_filter_from_string(const char *json, size_t len, const char *origin,
                                  PcSeccompFilter **ret, PcError *reterr);

/* Installs the filter on the calling thread: prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER).
 * The caller has set no_new_privs (or holds CAP_SYS_ADMIN). Async-signal-safe: no
 * allocation, no locks. Returns 0 or -errno. */
int pc_seccomp_apply(const PcSeccompFilter *f);

/* Appends a short text summary (source, default action, number of rules, notable denials),
 * one item per line, to out; returns the number of bytes appended. */
size_t pc_seccomp_summary(const PcSeccompFilter *f, PcBuf *out);

/* Number of BPF instructions in the exported program. */
size_t pc_seccomp_filter_size(const PcSeccompFilter *f);

PcSeccompFilter *pc_seccomp_filter_free(PcSeccompFilter *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcSeccompFilter *, pc_seccomp_filter_free);
