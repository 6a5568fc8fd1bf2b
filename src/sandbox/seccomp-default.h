/* SPDX-License-Identifier: MIT */
/*
 * Pincer's built-in default seccomp profile, the one both backends apply when
 * sandbox.docker.seccompProfile is unset (one profile for both backends).
 *
 * It is Docker's default profile (allow-list, everything else EPERM) without the
 * capability-gated entries, minus what Pincer denies on top: ptrace, process_vm_readv/writev
 * and io_uring_* are not allowed; socket is allowed for every family but AF_VSOCK; clone is
 * allowed only without CLONE_NEW* flags (so unshare/setns/mount/umount2/pivot_root, which are
 * not on the list either, stay out of reach); clone3 fails with ENOSYS (so libc falls back to
 * clone, whose flags can be filtered); ioctl(TIOCSTI) fails with EPERM (the low 32 bits of the
 * request are compared, as the kernel does). Capabilities never widen it (no "includes.caps"
 * entries): capAdd grants capabilities, not syscalls.
 *
 * The data lives here, in the pure core (no libseccomp), rendered as a Docker JSON seccomp
 * profile: the Docker backend sends it as "seccomp=<json>" in SecurityOpt; the native backend
 * compiles the same JSON with its Docker-profile compiler (native/seccomp.c). Arch-specific
 * syscalls carry includes.arches (Docker's Go architecture names), and archMap lists the
 * 32-bit compat architectures of x86_64, aarch64 and s390x, as Docker's default does, so a
 * Docker sandbox filters compat syscalls with the same rules (the native backend kills every
 * non-native architecture instead).
 */
#pragma once

#include <jansson.h>

/* One line for summaries: where the profile comes from and what it adds to Docker's. */
#define PC_SECCOMP_DEFAULT_DESCRIPTION                                                             \
        "built-in default (Docker's default + Pincer's denials: clone3 ENOSYS, namespace clone "   \
        "flags, ptrace, process_vm_*, io_uring, TIOCSTI)"

/* Every CLONE_NEW* flag that clone(2) takes in its flags argument. */
#define PC_SECCOMP_CLONE_NS_MASK 0x7E020000u

/* The built-in default as a Docker seccomp profile (a JSON object). New reference. The
 * TIOCSTI value is this build's architecture's (the engine runs on the same host). */
json_t *pc_seccomp_default_profile(void);

/* The same as compact JSON text (what Docker's SecurityOpt "seccomp=" takes). Caller frees. */
char *pc_seccomp_default_profile_json(void);
