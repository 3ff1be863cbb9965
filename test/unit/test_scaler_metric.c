/* Unit tests for controller/scalermetric.c: OpenKruiseGame's TestHandleMinNum vectors, the
 * GetMetrics examples derived in okg-reference section 6, IsActive, and the metadata parsing
 * where okg is stricter. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/scalermetric.h"

/* ---- handleMinNum ---------------------------------------------------------------------------- */

struct min_case {
	long total, none;
	const char *s;
	int err; /* 0 or -EINVAL */
	long want;
};

/* TestHandleMinNum (pkg/externalscaler/externalscaler_test.go), every vector. */
static const struct min_case upstream[] = {
    {10, 2, "abc", -EINVAL, 0}, {10, 2, "", 0, 0},    {10, 5, "0.5", 0, 0},
    {10, 2, "0.5", 0, 8},	{5, 1, "0.8", 0, 16}, {20, 10, "0.5", 0, 0},
    {19, 9, "0.5", 0, 10},	{10, 2, "3", 0, 3},   {10, 2, "3.1", 0, 4},
    {10, 0, "1", 0, 1},		{10, 2, "0", 0, 0},   {10, 2, "-1", -EINVAL, 0},
    {10, 2, "1.0", 0, 1},	{0, 0, "0.5", 0, 0},  {0, 0, "5", 0, 5},
    {1, 0, "0.5", 0, 1},	{2, 0, "0.5", 0, 2},  {100, 10, "0.2", 0, 23},
};

/* More: the float32 reading, the syntax okg takes, and what it refuses. */
static const struct min_case more[] = {
    {0, 0, NULL, 0, 0},
    {10, 2, "+3", 0, 3},
    {10, 2, ".5", 0, 8},
    {10, 2, "5.", 0, 5},
    {10, 2, "5e-1", 0, 8},
    {10, 2, "2E0", 0, 2},
    {10, 2, "-0", 0, 0},
    {10, 2, "1e-50", 0, 0},		  /* underflows to 0, as in Go */
    {10, 2, "0.99999", 0, 798908},	  /* float32(0.99999) = 0.99998998642 */
    {10, 2, "2147483520", 0, 2147483520}, /* the largest float32 below 2^31 */
    {10, 2, "2147483647", -EINVAL, 0},	  /* float32: 2^31 */
    {10, 2, "1e39", -EINVAL, 0},	  /* out of float32 range: Go errors too */
    {10, 2, "inf", -EINVAL, 0},
    {10, 2, "NaN", -EINVAL, 0},
    {10, 2, "0x1p-1", -EINVAL, 0},
    {10, 2, "1_0", -EINVAL, 0},
    {10, 2, " 3", -EINVAL, 0},
    {10, 2, "3 ", -EINVAL, 0},
    {10, 2, ".", -EINVAL, 0},
    {10, 2, "1e", -EINVAL, 0},
    {10, 2, "1e+", -EINVAL, 0},
    {10, 2, "-0.5", -EINVAL, 0},
    {10, 2, "50%", -EINVAL, 0},
};

static void check_min_cases(const struct min_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct min_case *c = &cases[i];
		char err[256] = "";
		long got = -7;
		int e = sm_handle_min_num(c->total, c->none, c->s, &got, err, sizeof(err));

		if (e != c->err || (e == 0 && got != c->want)) {
			print_error(
			    "handleMinNum(%ld, %ld, \"%s\"): got %d/%ld, want %d/%ld (%s)\n",
			    c->total, c->none, c->s ? c->s : "(null)", e, got, c->err, c->want,
			    err);
			fail();
		}
		if (e < 0)
			assert_true(err[0] != '\0');
	}
}

static void test_handle_min_num_upstream(void **state)
{
	(void)state;
	check_min_cases(upstream, sizeof(upstream) / sizeof(upstream[0]));
}

static void test_handle_min_num_more(void **state)
{
	(void)state;
	check_min_cases(more, sizeof(more) / sizeof(more[0]));
}

static void test_handle_min_num_negative_message(void **state)
{
	char err[256];
	long got;

	(void)state;
	assert_int_equal(sm_handle_min_num(10, 2, "-1", &got, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid min number: must be greater than 0 or a valid "
				 "percentage between 0 and 1");
}

/* For a fraction, the answer is enough idle servers: (minNum) / (total + minNum - none) >= n,
 * within the 1/100-server rounding OpenKruiseGame applies, and it grows with total. */
static void test_handle_min_num_fraction_properties(void **state)
{
	static const char *const fr[] = {"0.1", "0.25", "0.3", "0.5", "0.7", "0.9", "0.95"};
	char err[128];

	(void)state;
	for (size_t k = 0; k < sizeof(fr) / sizeof(fr[0]); k++) {
		double n = (double)strtof(fr[k], NULL);
		long prev = 0;

		for (long total = 0; total <= 300; total += 7) {
			for (long none = 0; none <= total; none += 5) {
				long m;

				assert_int_equal(
				    sm_handle_min_num(total, none, fr[k], &m, err, sizeof(err)), 0);
				if (m == 0)
					continue; /* already enough idle servers */
				assert_true(m > none);
				assert_true((double)m + 0.005 >=
					    n * (double)(total + m - none) - 1e-9);
			}
			assert_int_equal(
			    sm_handle_min_num(total, 0, fr[k], &prev, err, sizeof(err)), 0);
		}
		assert_true(prev > 0);
	}
}

/* ---- maxAvailable ---------------------------------------------------------------------------- */

static void test_parse_max(void **state)
{
	static const struct {
		const char *s;
		int err;
		bool set;
		long v;
	} cases[] = {
	    {NULL, 0, false, 0},
	    {"", 0, false, 0},
	    {"3", 0, true, 3},
	    {"+7", 0, true, 7},
	    {"007", 0, true, 7},
	    {"0", 0, true, 0},
	    {"-1", 0, true, -1},
	    {"2147483647", 0, true, 2147483647},
	    {"-2147483648", 0, true, -2147483647L - 1},
	    {"2147483648", -EINVAL, false, 0},
	    {"-2147483649", -EINVAL, false, 0},
	    {"99999999999999999999999", -EINVAL, false, 0},
	    {"1.5", -EINVAL, false, 0},
	    {"abc", -EINVAL, false, 0},
	    {" 3", -EINVAL, false, 0},
	    {"3 ", -EINVAL, false, 0},
	    {"+", -EINVAL, false, 0},
	    {"-", -EINVAL, false, 0},
	    {"0x10", -EINVAL, false, 0},
	    {"1_000", -EINVAL, false, 0},
	};
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool set = true;
		long v = -99;
		int e = sm_parse_max(cases[i].s, &set, &v, err, sizeof(err));

		if (e != cases[i].err || set != cases[i].set || (e == 0 && v != cases[i].v)) {
			print_error("parse_max(\"%s\"): got %d %d %ld\n",
				    cases[i].s ? cases[i].s : "(null)", e, set, v);
			fail();
		}
	}
}

/* ---- GetMetrics ------------------------------------------------------------------------------ */

struct gm_case {
	const char *what;
	long replicas, total, none, wtbd;
	const char *min, *max;
	int err;
	long long want;
};

static const struct gm_case gm_cases[] = {
    /* the derived examples of okg-reference section 6 */
    {"replicas 5, 5 None, no metadata", 5, 5, 5, 0, NULL, NULL, 0, 5},
    {"replicas 5, 2 WaitToBeDeleted", 5, 5, 3, 2, NULL, NULL, 0, 3},
    {"minAvailable 3, 1 None + 2 Allocated", 3, 3, 1, 0, "3", NULL, 0, 5},
    {"maxAvailable 2, 5 None", 5, 5, 5, 0, NULL, "2", 0, 2},
    /* the seed: minecraft-0 marked WaitToBeDeleted drops the metric by one */
    {"seed: 3 replicas, minecraft-0 WaitToBeDeleted", 3, 3, 2, 1, NULL, NULL, 0, 2},
    /* scale-up to the idle pool comes first, even with servers to delete */
    {"minAvailable over WaitToBeDeleted", 5, 5, 1, 2, "3", NULL, 0, 7},
    /* a fraction: 10 servers, 2 idle, 50% idle wanted -> 8 idle -> +6 */
    {"minAvailable 0.5", 10, 10, 2, 0, "0.5", NULL, 0, 16},
    /* minNum is capped by maxAvailable */
    {"minAvailable 5 capped by maxAvailable 3", 4, 4, 1, 0, "5", "3", 0, 6},
    /* WaitToBeDeleted wins over trimming the idle surplus */
    {"WaitToBeDeleted over maxAvailable", 10, 10, 8, 1, NULL, "2", 0, 9},
    /* trimming: 10 idle, at most 4 -> -6 */
    {"maxAvailable trims", 12, 12, 10, 0, NULL, "4", 0, 6},
    {"maxAvailable 0 trims every idle server", 3, 3, 3, 0, NULL, "0", 0, 0},
    /* the value may go below zero (KEDA / the HPA bound it) */
    {"negative maxAvailable", 3, 3, 3, 0, NULL, "-2", 0, -2},
    {"enough idle servers: replicas", 6, 6, 4, 0, "3", "5", 0, 6},
    {"zero replicas, minAvailable 2", 0, 0, 0, 0, "2", NULL, 0, 2},
    {"pods not yet created: total counts the pods", 5, 0, 0, 0, "0.5", NULL, 0, 5},
    /* bad metadata */
    {"bad minAvailable", 5, 5, 5, 0, "abc", NULL, -EINVAL, 0},
    {"negative minAvailable", 5, 5, 5, 0, "-1", NULL, -EINVAL, 0},
    {"bad maxAvailable", 5, 5, 5, 0, NULL, "2.5", -EINVAL, 0},
};

static void test_get_metrics_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gm_cases) / sizeof(gm_cases[0]); i++) {
		const struct gm_case *c = &gm_cases[i];
		struct sm_counts k = {.found = true,
				      .status_ready = true,
				      .replicas = c->replicas,
				      .total = c->total,
				      .none = c->none,
				      .wait_to_be_deleted = c->wtbd};
		long long got = -99;
		char err[256] = "";
		int e = sm_get_metrics(&k, "default", "minecraft", c->min, c->max, &got, err,
				       sizeof(err));

		if (e != c->err || (e == 0 && got != c->want)) {
			print_error("%s: got %d/%lld, want %d/%lld (%s)\n", c->what, e, got, c->err,
				    c->want, err);
			fail();
		}
	}
}

static void test_get_metrics_errors_name_things(void **state)
{
	struct sm_counts k = {.found = true, .replicas = 5, .total = 5, .none = 5};
	long long v;
	char err[256];

	(void)state;
	assert_int_equal(sm_get_metrics(&k, "ns1", "gs1", "x", NULL, &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "minAvailable"));
	assert_int_equal(sm_get_metrics(&k, "ns1", "gs1", NULL, "x", &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "maxAvailable"));
	k.found = false;
	assert_int_equal(sm_get_metrics(&k, "ns1", "gs1", NULL, NULL, &v, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "ns1/gs1"));
	/* GetMetrics does not need the status (OpenKruiseGame reads spec and pods only) */
	k.found = true;
	k.status_ready = false;
	assert_int_equal(sm_get_metrics(&k, "ns1", "gs1", NULL, NULL, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 5);
}

/* ---- IsActive -------------------------------------------------------------------------------- */

static void test_is_active(void **state)
{
	static const struct {
		const char *what;
		bool found, ready;
		long current, wtbd;
		const char *min, *max;
		int err;
		bool want;
	} cases[] = {
	    {"servers left", true, true, 3, 0, NULL, NULL, 0, true},
	    {"some to delete, some left", true, true, 3, 2, NULL, NULL, 0, true},
	    {"every server to delete", true, true, 3, 3, NULL, NULL, 0, false},
	    {"no servers", true, true, 0, 0, NULL, NULL, 0, false},
	    {"minAvailable > 0 keeps it active", true, true, 0, 0, "1", NULL, 0, true},
	    {"minAvailable fraction keeps it active", true, true, 2, 2, "0.01", NULL, 0, true},
	    {"minAvailable 0 does not", true, true, 2, 2, "0", NULL, 0, false},
	    {"unknown set", false, false, 0, 0, NULL, NULL, -ENOENT, false},
	    {"status never written", true, false, 3, 0, NULL, NULL, -EAGAIN, false},
	    {"bad minAvailable", true, true, 3, 0, "abc", NULL, -EINVAL, false},
	    {"negative minAvailable", true, true, 3, 0, "-1", NULL, -EINVAL, false},
	    {"bad maxAvailable", true, true, 3, 0, NULL, "x", -EINVAL, false},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sm_counts k = {.found = cases[i].found,
				      .status_ready = cases[i].ready,
				      .replicas = 9,
				      .status_current = cases[i].current,
				      .status_wtbd = cases[i].wtbd};
		bool got = !cases[i].want;
		int e = sm_is_active(&k, "default", "minecraft", cases[i].min, cases[i].max, &got,
				     err, sizeof(err));

		if (e != cases[i].err || (e == 0 && got != cases[i].want)) {
			print_error("%s: got %d/%d (%s)\n", cases[i].what, e, got, err);
			fail();
		}
	}
	{
		struct sm_counts k = {.found = true};
		bool got;

		assert_int_equal(
		    sm_is_active(&k, "default", "minecraft", NULL, NULL, &got, err, sizeof(err)),
		    -EAGAIN);
		assert_string_equal(err, "GameServerSet default/minecraft has not inited");
	}
}

/* Small error buffers truncate, never overflow; a zero-length one is not written. */
static void test_small_err_buffers(void **state)
{
	struct sm_counts k = {0};
	char err[4] = "zzz";
	long long v;
	bool a;

	(void)state;
	assert_int_equal(
	    sm_get_metrics(&k, "a-long-namespace", "a-long-name", NULL, NULL, &v, err, sizeof(err)),
	    -ENOENT);
	assert_int_equal(strlen(err), 3);
	assert_int_equal(sm_is_active(&k, "n", "m", NULL, NULL, &a, NULL, 0), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handle_min_num_upstream),
	    cmocka_unit_test(test_handle_min_num_more),
	    cmocka_unit_test(test_handle_min_num_negative_message),
	    cmocka_unit_test(test_handle_min_num_fraction_properties),
	    cmocka_unit_test(test_parse_max),
	    cmocka_unit_test(test_get_metrics_cases),
	    cmocka_unit_test(test_get_metrics_errors_name_things),
	    cmocka_unit_test(test_is_active),
	    cmocka_unit_test(test_small_err_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
