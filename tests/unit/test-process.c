/* SPDX-License-Identifier: MIT */
/*
 * The bounded output buffer of background processes (src/tools/process.h): what is kept when
 * the cap is passed, absolute offsets across drops (poll cursors), and the line slices of the
 * process tool's log action.
 */
#include "test-util.h"

#include "tools/process.h"

static void add(PcOutBuf *b, const char *s)
{
        pc_outbuf_append(b, s, strlen(s));
}

static char *retained(const PcOutBuf *b)
{
        return strndup(b->data.buf ? b->data.buf : "", b->data.len);
}

static void test_cap_drops_oldest(void **state)
{
        PcOutBuf b;
        pc_outbuf_init(&b, 8);
        add(&b, "abc");
        add(&b, "def");
        assert_int_equal(b.dropped, 0);
        add(&b, "ghij"); /* 10 bytes: the first two go */
        char *s = retained(&b);
        assert_string_equal(s, "cdefghij");
        free(s);
        assert_int_equal(b.dropped, 2);
        assert_int_equal(pc_outbuf_end(&b), 10);
        add(&b, "0123456789xy"); /* larger than the cap: only its tail stays */
        s = retained(&b);
        assert_string_equal(s, "456789xy");
        free(s);
        assert_int_equal(b.dropped, 14);
        assert_int_equal(pc_outbuf_end(&b), 22);
        pc_outbuf_release(&b);
}

static void test_since_counts_missed(void **state)
{
        PcOutBuf b;
        pc_outbuf_init(&b, 4);
        const char *p;
        size_t n;
        uint64_t missed;
        pc_outbuf_since(&b, 0, &p, &n, &missed);
        assert_int_equal(n, 0);
        assert_int_equal(missed, 0);
        add(&b, "ab");
        pc_outbuf_since(&b, 1, &p, &n, &missed);
        assert_int_equal(n, 1);
        assert_memory_equal(p, "b", 1);
        add(&b, "cdef"); /* keeps "cdef", dropped 2 */
        pc_outbuf_since(&b, 1, &p, &n, &missed);
        assert_int_equal(missed, 1); /* "b" was never read */
        assert_int_equal(n, 4);
        assert_memory_equal(p, "cdef", 4);
        pc_outbuf_since(&b, 5, &p, &n, &missed);
        assert_int_equal(missed, 0);
        assert_int_equal(n, 1);
        assert_memory_equal(p, "f", 1);
        pc_outbuf_since(&b, 99, &p, &n, &missed); /* past the end: nothing */
        assert_int_equal(n, 0);
        pc_outbuf_release(&b);
}

static void check_lines(const PcOutBuf *b, int64_t offset, size_t limit, const char *want,
                        size_t first, size_t count, size_t total)
{
        PcOutLines l;
        pc_outbuf_lines(b, offset, limit, &l);
        char *got = strndup(l.ptr, l.len);
        assert_string_equal(got, want);
        free(got);
        assert_int_equal(l.first, first);
        assert_int_equal(l.count, count);
        assert_int_equal(l.total_lines, total);
}

static void test_lines(void **state)
{
        PcOutBuf b;
        pc_outbuf_init(&b, 1000);
        check_lines(&b, -1, 200, "", 0, 0, 0);
        add(&b, "l1\nl2\nl3\nl4\nl5");
        check_lines(&b, -1, 200, "l1\nl2\nl3\nl4\nl5", 0, 5, 5); /* last line has no end */
        check_lines(&b, -1, 2, "l4\nl5", 3, 2, 5);
        check_lines(&b, 0, 1, "l1\n", 0, 1, 5);
        check_lines(&b, 1, 2, "l2\nl3\n", 1, 2, 5);
        check_lines(&b, 4, 10, "l5", 4, 1, 5);
        check_lines(&b, 5, 10, "", 5, 0, 5);
        check_lines(&b, 99, 10, "", 5, 0, 5);
        check_lines(&b, 2, 0, "", 2, 0, 5);
        add(&b, "\n");
        check_lines(&b, -1, 1, "l5\n", 4, 1, 5);
        add(&b, "\n\n"); /* empty lines count */
        check_lines(&b, -1, 2, "\n\n", 5, 2, 7);
        pc_outbuf_release(&b);
}

static void test_lines_after_drop(void **state)
{
        PcOutBuf b;
        pc_outbuf_init(&b, 5);
        add(&b, "aaaa\nbb\ncc\n"); /* keeps "b\ncc\n": a partial first line counts */
        check_lines(&b, -1, 200, "b\ncc\n", 0, 2, 2);
        assert_int_equal(b.dropped, 6);
        pc_outbuf_release(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cap_drops_oldest),
                cmocka_unit_test(test_since_counts_missed),
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_lines_after_drop),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
