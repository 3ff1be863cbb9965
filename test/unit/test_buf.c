/* Unit tests for lib/buf.c (growing byte buffer with a hard cap). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"

/* The buffer holds exactly s (and a NUL right after it). */
static void assert_holds(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(b->len, n);
	assert_non_null(b->data);
	assert_memory_equal(b->data, s, n);
	assert_int_equal(b->data[n], '\0');
	assert_true(b->cap >= b->len + 1);
	assert_true(b->len <= b->max);
}

static void test_init_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	buf_free(&b);
	buf_free(&b); /* twice is harmless */
	buf_free(NULL);
}

static void test_append_basic(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_holds(&b, "abc");
	assert_int_equal(buf_append_str(&b, "def"), 0);
	assert_holds(&b, "abcdef");
	assert_int_equal(buf_append(&b, "xyz", 0), 0);
	assert_holds(&b, "abcdef");
	/* binary data with NUL bytes is kept as is */
	assert_int_equal(buf_append(&b, "\0\1", 2), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "abcdef\0\1", 8);
	assert_int_equal(b.data[8], '\0');
	buf_free(&b);
}

static void test_append_zero_terminates(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_holds(&b, "");
	assert_int_equal(buf_append_str(&b, ""), 0);
	assert_holds(&b, "");
	buf_free(&b);
}

static void test_cap_exact(void **state)
{
	struct buf b;
	char big[16];

	(void)state;
	memset(big, 'x', sizeof(big));
	buf_init(&b, 10);
	/* exactly at the cap is fine */
	assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	assert_holds(&b, "0123456789");
	/* one more byte is refused and nothing changes */
	assert_int_equal(buf_append(&b, "a", 1), -E2BIG);
	assert_holds(&b, "0123456789");
	assert_int_equal(buf_append_str(&b, "a"), -E2BIG);
	assert_int_equal(buf_printf(&b, "%d", 1), -E2BIG);
	assert_holds(&b, "0123456789");
	/* appending nothing at the cap is still fine */
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_holds(&b, "0123456789");
	buf_free(&b);

	/* an empty buffer refuses cap + 1 in one go and allocates nothing */
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, big, 11), -E2BIG);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* a partly filled buffer refuses what would cross the cap */
	assert_int_equal(buf_append(&b, "abcd", 4), 0);
	assert_int_equal(buf_append(&b, big, 7), -E2BIG);
	assert_holds(&b, "abcd");
	assert_int_equal(buf_append(&b, big, 6), 0);
	assert_holds(&b, "abcdxxxxxx");
	buf_free(&b);
}

static void test_cap_overflow(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "ab", 2), 0);
	/* sizes that would wrap around are refused, not allocated */
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), -E2BIG);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), -E2BIG);
	assert_holds(&b, "ab");
	buf_free(&b);
}

static void test_cap_zero(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_holds(&b, "");
	assert_int_equal(buf_append(&b, "a", 1), -E2BIG);
	assert_holds(&b, "");
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_holds(&b, "");
	assert_int_equal(buf_printf(&b, "%c", 'x'), -E2BIG);
	buf_free(&b);
}

static void test_printf_growth(void **state)
{
	struct buf b;
	char want[8192];
	size_t n = 0;

	(void)state;
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 1000; i++) {
		int k;

		assert_int_equal(buf_printf(&b, "%d,", i), 0);
		k = snprintf(want + n, sizeof(want) - n, "%d,", i);
		assert_true(k > 0);
		n += (size_t)k;
		assert_int_equal(b.len, n);
		assert_int_equal(b.data[b.len], '\0');
	}
	assert_string_equal(b.data, want);
	/* one long formatted string past the initial allocation */
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%0*d|%s", 5000, 7, "end"), 0);
	assert_int_equal(b.len, 5004);
	assert_int_equal(b.data[4999], '7');
	assert_string_equal(b.data + 5000, "|end");
	buf_free(&b);
}

static void test_printf_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_printf(&b, "%s", "abc"), 0);
	assert_int_equal(buf_printf(&b, "%05d", 42), 0); /* exactly 8 */
	assert_holds(&b, "abc00042");
	assert_int_equal(buf_printf(&b, "%s", "z"), -E2BIG);
	assert_holds(&b, "abc00042");
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%s", "123456789"), -E2BIG);
	assert_holds(&b, "");
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_holds(&b, "");
	buf_free(&b);
}

static void test_consume(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	buf_consume(&b, 5); /* on an empty, unallocated buffer */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append_str(&b, "hello world"), 0);
	buf_consume(&b, 0);
	assert_holds(&b, "hello world");
	buf_consume(&b, 6);
	assert_holds(&b, "world");
	buf_consume(&b, 4);
	assert_holds(&b, "d");
	buf_consume(&b, 1);
	assert_holds(&b, "");
	assert_int_equal(buf_append_str(&b, "again"), 0);
	buf_consume(&b, 1000);
	assert_holds(&b, "");
	/* consumed room can be reused up to the cap */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(buf_append(&b, "0123456789", 10), 0);
		buf_consume(&b, 10);
	}
	assert_holds(&b, "");
	buf_free(&b);
}

static void test_reset_keeps_memory(void **state)
{
	struct buf b;
	char *p;
	size_t cap;

	(void)state;
	buf_init(&b, 1000);
	buf_reset(&b); /* unallocated: harmless */
	assert_null(b.data);
	assert_int_equal(buf_append_str(&b, "some text"), 0);
	p = b.data;
	cap = b.cap;
	buf_reset(&b);
	assert_ptr_equal(b.data, p);
	assert_int_equal(b.cap, cap);
	assert_holds(&b, "");
	assert_int_equal(buf_append_str(&b, "next"), 0);
	assert_holds(&b, "next");
	buf_free(&b);
}

static void test_steal(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 64);
	s = buf_steal(&b); /* nothing appended yet: an empty string, not NULL */
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);

	assert_int_equal(buf_append_str(&b, "stolen"), 0);
	s = buf_steal(&b);
	assert_string_equal(s, "stolen");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 64);
	/* the buffer is usable afterwards and independent of s */
	assert_int_equal(buf_append_str(&b, "fresh"), 0);
	assert_holds(&b, "fresh");
	assert_string_equal(s, "stolen");
	free(s);
	buf_free(&b);
}

static void test_many_small_appends(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100000);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(buf_append(&b, "x", 1), -E2BIG);
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] != 'x')
			fail_msg("byte %zu is %d", i, b.data[i]);
	buf_free(&b);
}

/* Growth is geometric whatever the cap, including "no cap" (SIZE_MAX): the number of distinct
 * capacities seen while appending one byte at a time stays logarithmic. */
static void test_growth_geometric_unbounded(void **state)
{
	size_t maxes[] = {1u << 20, SIZE_MAX};

	(void)state;
	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		struct buf b;
		size_t last = 0;
		int changes = 0;

		buf_init(&b, maxes[m]);
		for (int i = 0; i < 20000; i++) {
			assert_int_equal(buf_append(&b, "y", 1), 0);
			if (b.cap != last) {
				changes++;
				last = b.cap;
			}
		}
		assert_int_equal(b.len, 20000);
		assert_int_equal(b.data[b.len], '\0');
		if (changes > 40)
			fail_msg("max %zu: %d reallocations for 20000 one-byte appends", maxes[m],
				 changes);
		buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_empty),
	    cmocka_unit_test(test_append_basic),
	    cmocka_unit_test(test_append_zero_terminates),
	    cmocka_unit_test(test_cap_exact),
	    cmocka_unit_test(test_cap_overflow),
	    cmocka_unit_test(test_cap_zero),
	    cmocka_unit_test(test_printf_growth),
	    cmocka_unit_test(test_printf_cap),
	    cmocka_unit_test(test_consume),
	    cmocka_unit_test(test_reset_keeps_memory),
	    cmocka_unit_test(test_steal),
	    cmocka_unit_test(test_many_small_appends),
	    cmocka_unit_test(test_growth_geometric_unbounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
