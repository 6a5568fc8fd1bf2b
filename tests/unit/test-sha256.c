/* SPDX-License-Identifier: MIT */
/* SHA-256 against the NIST FIPS 180-4 example vectors, plus streaming edge cases. */
#include "test-util.h"

#include "base/sha256.h"

static void assert_digest(const void *data, size_t len, const char *want)
{
        uint8_t d[PC_SHA256_DIGEST_SIZE];
        char hex[PC_SHA256_HEX_SIZE];
        pc_sha256(data, len, d);
        assert_string_equal(pc_hex_encode(d, sizeof(d), hex), want);
}

static void test_empty(void **state)
{
        assert_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        char hex[PC_SHA256_HEX_SIZE];
        assert_string_equal(pc_sha256_hex("", hex),
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void **state)
{
        assert_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_448_bits(void **state)
{
        const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_int_equal(strlen(m) * 8, 448);
        assert_digest(m, strlen(m),
                      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_896_bits(void **state)
{
        const char *m =
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklm"
                "nopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        assert_int_equal(strlen(m) * 8, 896);
        assert_digest(m, strlen(m),
                      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
        const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
        char *m = malloc(1000000);
        memset(m, 'a', 1000000);
        assert_digest(m, 1000000, want);
        free(m);

        /* The same, streamed in chunks that straddle block boundaries. */
        char chunk[1000];
        memset(chunk, 'a', sizeof(chunk));
        PcSha256 ctx;
        uint8_t d[PC_SHA256_DIGEST_SIZE];
        char hex[PC_SHA256_HEX_SIZE];
        pc_sha256_init(&ctx);
        for (int i = 0; i < 1000; i++)
                pc_sha256_update(&ctx, chunk, sizeof(chunk));
        pc_sha256_final(&ctx, d);
        assert_string_equal(pc_hex_encode(d, sizeof(d), hex), want);
}

/* Padding edge cases: every length from 0 to 130 bytes hashed in one go and byte by byte
 * must agree (55, 56, 63, 64 and 119 bytes change where the length field goes). */
static void test_streaming_matches_one_shot(void **state)
{
        uint8_t buf[130];
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t) (i * 7 + 3);
        for (size_t len = 0; len <= sizeof(buf); len++) {
                uint8_t a[PC_SHA256_DIGEST_SIZE], b[PC_SHA256_DIGEST_SIZE];
                pc_sha256(buf, len, a);
                PcSha256 ctx;
                pc_sha256_init(&ctx);
                for (size_t i = 0; i < len; i++)
                        pc_sha256_update(&ctx, buf + i, 1);
                pc_sha256_final(&ctx, b);
                assert_memory_equal(a, b, sizeof(a));
        }
        /* A 56-byte message needs a second padding block (NIST "abcdbcdecdef..." is 56). */
        assert_digest("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 56,
                      "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
}

static void test_hex(void **state)
{
        const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
        char hex[9];
        assert_string_equal(pc_hex_encode(bytes, sizeof(bytes), hex), "000fa5ff");
        assert_string_equal(pc_hex_encode(bytes, 0, hex), "");
        /* The slug hash of spec 1.4: sha256("agent:main") starts with f331f052. */
        char h[PC_SHA256_HEX_SIZE];
        assert_memory_equal(pc_sha256_hex("agent:main", h), "f331f052", 8);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),     cmocka_unit_test(test_abc),
                cmocka_unit_test(test_448_bits),  cmocka_unit_test(test_896_bits),
                cmocka_unit_test(test_million_a), cmocka_unit_test(test_streaming_matches_one_shot),
                cmocka_unit_test(test_hex),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
