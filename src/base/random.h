/* SPDX-License-Identifier: MIT */
/* Random secrets. */
#pragma once

#include <stddef.h>

/* The strength of a shared secret Pincer makes (the gateway token): 256 bits. */
#define PC_RANDOM_TOKEN_BYTES 32

/* n_bytes from getrandom() as 2 * n_bytes lowercase hex digits (freed by the caller; wipe it
 * with explicit_bzero() first when it is a secret). NULL, with errno set, when the kernel gives
 * fewer bytes. */
char *pc_random_hex(size_t n_bytes);
