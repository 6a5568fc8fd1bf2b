/* SPDX-License-Identifier: MIT */
/*
 * The parser of a login-environment probe's output (login-env.c), on its own for the fuzz
 * target: the output comes from the sandbox's login files, which its user may write.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The probe prints this first; anything before it came from the login files. */
#define PC_LOGIN_PROBE_MAGIC "\036PCLOGIN1\n"

/* Parses buf[0..len) (not NUL-terminated): the magic, then the lines umask, directory
 * ("workdir" is required) and "noalias", then `env -0`. On success returns 0 and fills
 * *ret_env (NULL-terminated, pointing into *ret_blob; free both) and *ret_umask; otherwise
 * -EBADMSG and nothing is allocated. */
int pc_login_probe_parse(const char *buf, size_t len, const char *workdir, char ***ret_env,
                         char **ret_blob, mode_t *ret_umask);
