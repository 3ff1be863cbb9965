/* Unit tests for lib/backoff.c (exponential delays with half jitter). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/backoff.h"

/* The nominal delay of an attempt: min(cap, base * 2^attempt). */
static uint64_t nominal(uint64_t base, uint64_t cap, unsigned attempt)
{
	uint64_t d = base;

	for (unsigned i = 0; i < attempt && d < cap; i++)
		d *= 2;
	return d > cap ? cap : d;
}

static void test_seeded_determinism(void **state)
{
	struct backoff a, b, c;
	int differ = 0;

	(void)state;
	backoff_init(&a, 100, 30000, 42);
	backoff_init(&b, 100, 30000, 42);
	backoff_init(&c, 100, 30000, 43);
	for (int i = 0; i < 200; i++) {
		unsigned x = backoff_next_ms(&a), y = backoff_next_ms(&b), z = backoff_next_ms(&c);

		assert_int_equal(x, y);
		if (x != z)
			differ++;
	}
	/* another seed gives another sequence */
	assert_true(differ > 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(backoff_rand(&a, 1000), backoff_rand(&b, 1000));
}

static void test_ranges_per_attempt(void **state)
{
	const unsigned bases[] = {1, 3, 100, 250};
	const unsigned caps[] = {1, 10, 1000, 10000, 65536};

	(void)state;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		for (size_t j = 0; j < sizeof(caps) / sizeof(caps[0]); j++) {
			for (uint64_t seed = 1; seed <= 20; seed++) {
				struct backoff b;
				uint64_t cap = caps[j] < bases[i] ? bases[i] : caps[j];

				backoff_init(&b, bases[i], caps[j], seed);
				for (unsigned k = 0; k < 80; k++) {
					uint64_t d = nominal(bases[i], cap, k);
					unsigned v = backoff_next_ms(&b);

					if (v < d / 2 || v > d)
						fail_msg(
						    "base %u cap %u seed %llu attempt %u: %u not "
						    "in [%llu, %llu]",
						    bases[i], caps[j], (unsigned long long)seed, k,
						    v, (unsigned long long)(d / 2),
						    (unsigned long long)d);
				}
			}
		}
	}
}

static void test_jitter_covers_range(void **state)
{
	struct backoff b;
	int seen[5] = {0};

	(void)state;
	/* base 4, attempt 0 every time: values in [2, 4], each should show up */
	backoff_init(&b, 4, 1000, 7);
	for (int i = 0; i < 3000; i++) {
		unsigned v;

		backoff_reset(&b);
		v = backoff_next_ms(&b);
		assert_true(v >= 2 && v <= 4);
		seen[v]++;
	}
	assert_true(seen[2] > 500);
	assert_true(seen[3] > 500);
	assert_true(seen[4] > 500);
}

static void test_cap(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 200, 10000, 99);
	for (int i = 0; i < 1000; i++) {
		unsigned v = backoff_next_ms(&b);

		assert_true(v <= 10000);
		if (i >= 6) /* 200 * 2^6 = 12800 > cap */
			assert_true(v >= 5000);
	}
	/* huge values neither overflow nor exceed the cap */
	backoff_init(&b, UINT_MAX, UINT_MAX, 5);
	for (int i = 0; i < 100; i++)
		assert_true(backoff_next_ms(&b) >= UINT_MAX / 2);
	backoff_init(&b, 1, UINT_MAX, 5);
	for (int i = 0; i < 200; i++) {
		unsigned v = backoff_next_ms(&b);
		uint64_t d = nominal(1, UINT_MAX, (unsigned)i);

		assert_true(v >= d / 2 && v <= d);
	}
}

static void test_init_fixups(void **state)
{
	struct backoff b, c;

	(void)state;
	backoff_init(&b, 0, 0, 3); /* base 0 -> 1, cap below base -> base */
	for (int i = 0; i < 50; i++)
		assert_true(backoff_next_ms(&b) <= 1); /* d = 1: [0, 1] */
	backoff_init(&b, 500, 100, 3);		       /* cap < base: cap = base */
	for (int i = 0; i < 50; i++) {
		unsigned v = backoff_next_ms(&b);

		assert_true(v >= 250 && v <= 500);
	}
	/* seed 0 picks a seed and still yields values in range */
	backoff_init(&b, 100, 1000, 0);
	backoff_init(&c, 100, 1000, 0);
	assert_true(b.rng != 0);
	assert_true(c.rng != 0);
	for (int i = 0; i < 10; i++) {
		unsigned v = backoff_next_ms(&b);
		uint64_t d = nominal(100, 1000, (unsigned)i);

		assert_true(v >= d / 2 && v <= d);
	}
}

static void test_reset(void **state)
{
	struct backoff a, b;

	(void)state;
	backoff_init(&a, 100, 100000, 11);
	backoff_init(&b, 100, 100000, 11);
	for (int i = 0; i < 8; i++)
		backoff_next_ms(&a);
	assert_int_equal(a.attempt, 8);
	backoff_reset(&a);
	assert_int_equal(a.attempt, 0);
	/* after reset the delays start small again */
	for (unsigned k = 0; k < 6; k++) {
		unsigned v = backoff_next_ms(&a);
		uint64_t d = nominal(100, 100000, k);

		assert_true(v >= d / 2 && v <= d);
	}
	/* the attempt counter saturates instead of wrapping */
	for (int i = 0; i < 1000; i++)
		backoff_next_ms(&b);
	assert_true(b.attempt <= 64);
	assert_true(backoff_next_ms(&b) >= 50000);
}

static void test_rand(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 1, 1, 1234);
	for (int i = 0; i < 1000; i++) {
		assert_true(backoff_rand(&b, 7) < 7);
		assert_int_equal(backoff_rand(&b, 1), 0);
	}
}

static void test_hint_wins(void **state)
{
	struct backoff a, b;

	(void)state;
	backoff_init(&a, 100, 10000, 77);
	backoff_init(&b, 100, 10000, 77);
	/* no hint: the same as backoff_next_ms() */
	for (int i = 0; i < 10; i++)
		assert_int_equal(backoff_next_hint_ms(&a, 0), backoff_next_ms(&b));
	backoff_reset(&a);
	/* a hint longer than the delay wins, even above cap_ms */
	assert_int_equal(backoff_next_hint_ms(&a, 2), 2000);
	assert_int_equal(backoff_next_hint_ms(&a, 30), 30000);
	/* a hint shorter than the delay does not shorten it */
	backoff_init(&a, 8000, 10000, 77);
	for (int i = 0; i < 20; i++) {
		unsigned v = backoff_next_hint_ms(&a, 1);

		assert_true(v >= 4000 && v <= 10000);
	}
	/* the hint itself is capped at 10 minutes */
	backoff_init(&a, 100, 10000, 77);
	assert_int_equal(backoff_next_hint_ms(&a, 600), 600000);
	assert_int_equal(backoff_next_hint_ms(&a, 601), 600000);
	assert_int_equal(backoff_next_hint_ms(&a, 3600), 600000);
	assert_int_equal(backoff_next_hint_ms(&a, UINT_MAX), 600000);
	/* the hint still advances the attempt counter */
	assert_int_equal(a.attempt, 4);
}

static void test_sleep(void **state)
{
	struct timespec t0, t1;
	double ms;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	backoff_sleep_ms(60);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms >= 59.0);
	assert_true(ms < 2000.0);
	backoff_sleep_ms(0);
	backoff_sleep_ms(1001 - 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seeded_determinism),
	    cmocka_unit_test(test_ranges_per_attempt),
	    cmocka_unit_test(test_jitter_covers_range),
	    cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_init_fixups),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_rand),
	    cmocka_unit_test(test_hint_wins),
	    cmocka_unit_test(test_sleep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
