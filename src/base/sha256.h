/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), for content hashes that must be stable across runs and machines:
 * sandbox name slugs and sandbox config hashes. Not for secrets handling (no constant-time
 * guarantees beyond what the algorithm gives, and no key erasure).
 *
 * Streaming: pc_sha256_init(), any number of pc_sha256_update(), pc_sha256_final(). The
 * context is a plain struct owned by the caller; final leaves it in an unspecified state
 * (call init again to reuse it). One-shot helpers hash a buffer or a NUL-terminated string.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PC_SHA256_DIGEST_SIZE 32
#define PC_SHA256_BLOCK_SIZE  64
#define PC_SHA256_HEX_SIZE    (2 * PC_SHA256_DIGEST_SIZE + 1) /* 64 hex digits + NUL */

typedef struct PcSha256 {
        uint32_t state[8];
        uint64_t length; /* bytes hashed so far */
        uint8_t block[PC_SHA256_BLOCK_SIZE];
        size_t block_len;
} PcSha256;

void pc_sha256_init(PcSha256 *ctx);
void pc_sha256_update(PcSha256 *ctx, const void *data, size_t len);
void pc_sha256_final(PcSha256 *ctx, uint8_t ret_digest[PC_SHA256_DIGEST_SIZE]);

/* One shot: the digest of data[0..len). */
void pc_sha256(const void *data, size_t len, uint8_t ret_digest[PC_SHA256_DIGEST_SIZE]);

/* Writes the lower-case hex form of n bytes to ret_hex, which must hold 2*n+1 bytes; returns
 * ret_hex. */
char *pc_hex_encode(const uint8_t *bytes, size_t n, char *ret_hex);

/* One shot: the lower-case hex digest of a NUL-terminated string into ret_hex
 * (PC_SHA256_HEX_SIZE bytes); returns ret_hex. */
char *pc_sha256_hex(const char *s, char ret_hex[PC_SHA256_HEX_SIZE]);
