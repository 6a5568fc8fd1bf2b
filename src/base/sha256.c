/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 written from FIPS 180-4: section 4.1.2 (functions), 4.2.2 (constants), 5.1.1
 * (padding), 5.3.3 (initial hash value) and 6.2.2 (hash computation).
 */
#include "sha256.h"

#include <string.h>

/* 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
        return (x >> n) | (x << (32 - n));
}

/* 4.1.2 */
static inline uint32_t ch(uint32_t x, uint32_t y, uint32_t z)
{
        return (x & y) ^ (~x & z);
}

static inline uint32_t maj(uint32_t x, uint32_t y, uint32_t z)
{
        return (x & y) ^ (x & z) ^ (y & z);
}

static inline uint32_t big_sigma0(uint32_t x)
{
        return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
}

static inline uint32_t big_sigma1(uint32_t x)
{
        return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
}

static inline uint32_t small_sigma0(uint32_t x)
{
        return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3);
}

static inline uint32_t small_sigma1(uint32_t x)
{
        return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10);
}

static inline uint32_t load_be32(const uint8_t *p)
{
        return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) |
               (uint32_t) p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

/* 6.2.2: one 512-bit block. */
static void compress(uint32_t state[8], const uint8_t block[PC_SHA256_BLOCK_SIZE])
{
        uint32_t w[64];
        for (unsigned t = 0; t < 16; t++)
                w[t] = load_be32(block + 4 * t);
        for (unsigned t = 16; t < 64; t++)
                w[t] = small_sigma1(w[t - 2]) + w[t - 7] + small_sigma0(w[t - 15]) + w[t - 16];

        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (unsigned t = 0; t < 64; t++) {
                uint32_t t1 = h + big_sigma1(e) + ch(e, f, g) + K[t] + w[t];
                uint32_t t2 = big_sigma0(a) + maj(a, b, c);
                h = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
}

void pc_sha256_init(PcSha256 *ctx)
{
        /* 5.3.3: the first 32 bits of the fractional parts of the square roots of the first
         * 8 primes. */
        static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        memcpy(ctx->state, h0, sizeof(h0));
        ctx->length = 0;
        ctx->block_len = 0;
}

void pc_sha256_update(PcSha256 *ctx, const void *data, size_t len)
{
        const uint8_t *p = data;
        ctx->length += len;
        if (ctx->block_len > 0) {
                size_t take = PC_SHA256_BLOCK_SIZE - ctx->block_len;
                if (take > len)
                        take = len;
                memcpy(ctx->block + ctx->block_len, p, take);
                ctx->block_len += take;
                p += take;
                len -= take;
                if (ctx->block_len < PC_SHA256_BLOCK_SIZE)
                        return;
                compress(ctx->state, ctx->block);
                ctx->block_len = 0;
        }
        for (; len >= PC_SHA256_BLOCK_SIZE; p += PC_SHA256_BLOCK_SIZE, len -= PC_SHA256_BLOCK_SIZE)
                compress(ctx->state, p);
        if (len > 0) {
                memcpy(ctx->block, p, len);
                ctx->block_len = len;
        }
}

void pc_sha256_final(PcSha256 *ctx, uint8_t ret_digest[PC_SHA256_DIGEST_SIZE])
{
        /* 5.1.1: a 1 bit, zeros up to 448 mod 512 bits, then the length in bits (64-bit BE). */
        uint64_t bits = ctx->length * 8;
        ctx->block[ctx->block_len++] = 0x80;
        if (ctx->block_len > PC_SHA256_BLOCK_SIZE - 8) {
                memset(ctx->block + ctx->block_len, 0, PC_SHA256_BLOCK_SIZE - ctx->block_len);
                compress(ctx->state, ctx->block);
                ctx->block_len = 0;
        }
        memset(ctx->block + ctx->block_len, 0, PC_SHA256_BLOCK_SIZE - 8 - ctx->block_len);
        store_be32(ctx->block + 56, (uint32_t) (bits >> 32));
        store_be32(ctx->block + 60, (uint32_t) bits);
        compress(ctx->state, ctx->block);
        for (unsigned i = 0; i < 8; i++)
                store_be32(ret_digest + 4 * i, ctx->state[i]);
}

void pc_sha256(const void *data, size_t len, uint8_t ret_digest[PC_SHA256_DIGEST_SIZE])
{
        PcSha256 ctx;
        pc_sha256_init(&ctx);
        pc_sha256_update(&ctx, data, len);
        pc_sha256_final(&ctx, ret_digest);
}

char *pc_hex_encode(const uint8_t *bytes, size_t n, char *ret_hex)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                ret_hex[2 * i] = digits[bytes[i] >> 4];
                ret_hex[2 * i + 1] = digits[bytes[i] & 0xf];
        }
        ret_hex[2 * n] = '\0';
        return ret_hex;
}

char *pc_sha256_hex(const char *s, char ret_hex[PC_SHA256_HEX_SIZE])
{
        uint8_t digest[PC_SHA256_DIGEST_SIZE];
        pc_sha256(s, strlen(s), digest);
        return pc_hex_encode(digest, sizeof(digest), ret_hex);
}
