/* Unit tests for lib/ordinal.c: ordinal sets, reserveGameServerIds parsing, the annotation and
 * spec text forms (okg-reference 4.10) and ordinals of pod names. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ordinal.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* A set from a list of ordinals; ends at -1. */
static void set_of(struct ordset *s, const int *v)
{
	ordset_init(s);
	for (; *v >= 0; v++)
		assert_int_equal(ordset_add(s, *v), 0);
}

/* The set holds exactly the ordinals of want (ending at -1), in ascending order. */
static void assert_set(const struct ordset *s, const int *want)
{
	size_t n = 0;

	while (want[n] >= 0)
		n++;
	if (s->n != n) {
		print_message("set has %zu ordinals, want %zu\n", s->n, n);
		for (size_t i = 0; i < s->n; i++)
			print_message("  have %d\n", s->v[i]);
	}
	assert_int_equal(s->n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(s->v[i], want[i]);
	assert_true(s->n <= s->cap || (s->n == 0 && s->cap == 0));
}

/* The set is sorted and has no duplicates. */
static void assert_sorted_unique(const struct ordset *s)
{
	for (size_t i = 1; i < s->n; i++)
		assert_true(s->v[i - 1] < s->v[i]);
}

static cJSON *json(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	if (!j)
		print_message("fixture does not parse: %s\n", text);
	assert_non_null(j);
	return j;
}

/* ---- ordset ------------------------------------------------------------------------------- */

static void test_ordset_empty(void **state)
{
	struct ordset s, t;

	(void)state;
	ordset_init(&s);
	assert_null(s.v);
	assert_int_equal(s.n, 0);
	assert_false(ordset_has(&s, 0));
	assert_false(ordset_has(&s, -1));
	ordset_remove(&s, 3); /* removing from an empty set is harmless */
	assert_int_equal(s.n, 0);
	assert_int_equal(ordset_copy(&s, &t), 0);
	assert_int_equal(t.n, 0);
	assert_true(ordset_equal(&s, &t));
	ordset_free(&s);
	ordset_free(&s); /* twice is harmless */
	ordset_free(&t);
	ordset_free(NULL);
}

static void test_ordset_add_sorted_unique(void **state)
{
	const int in[] = {5, 3, 9, 3, 0, 5, 7, 1, 9, 999999, 2, -1};
	const int want[] = {0, 1, 2, 3, 5, 7, 9, 999999, -1};
	struct ordset s;

	(void)state;
	set_of(&s, in);
	assert_set(&s, want);
	for (int i = 0; i < 12; i++)
		assert_int_equal(ordset_has(&s, i), i <= 3 || i == 5 || i == 7 || i == 9);
	assert_true(ordset_has(&s, 999999));
	assert_false(ordset_has(&s, 999998));
	assert_false(ordset_has(&s, 1000000));
	assert_false(ordset_has(&s, -1));
	ordset_free(&s);
}

static void test_ordset_add_descending_many(void **state)
{
	struct ordset s;

	(void)state;
	ordset_init(&s);
	for (int i = 4999; i >= 0; i--)
		assert_int_equal(ordset_add(&s, i * 2), 0);
	assert_int_equal(s.n, 5000);
	assert_sorted_unique(&s);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(ordset_has(&s, i), i % 2 == 0);
	ordset_free(&s);
}

static void test_ordset_remove(void **state)
{
	const int in[] = {1, 2, 3, 5, 8, -1};
	const int after[] = {2, 5, -1};
	struct ordset s;

	(void)state;
	set_of(&s, in);
	ordset_remove(&s, 4); /* absent: nothing */
	ordset_remove(&s, 1); /* first */
	ordset_remove(&s, 8); /* last */
	ordset_remove(&s, 3); /* middle */
	ordset_remove(&s, 3); /* twice */
	assert_set(&s, after);
	ordset_remove(&s, 2);
	ordset_remove(&s, 5);
	assert_int_equal(s.n, 0);
	assert_int_equal(ordset_add(&s, 4), 0); /* still usable */
	assert_true(ordset_has(&s, 4));
	ordset_free(&s);
}

static void test_ordset_cap(void **state)
{
	struct ordset s;

	(void)state;
	ordset_init(&s);
	/* ascending: adding at the end is cheap (each insertion in front moves the whole set) */
	for (int i = 0; i < ORD_MAX_IDS; i++)
		assert_int_equal(ordset_add(&s, i), 0);
	assert_int_equal(s.n, ORD_MAX_IDS);
	assert_int_equal(ordset_add(&s, ORD_MAX_IDS), -E2BIG);
	assert_int_equal(ordset_add(&s, 500000), -E2BIG);
	assert_int_equal(ordset_add(&s, 7), 0); /* already there: not an addition */
	assert_int_equal(s.n, ORD_MAX_IDS);
	ordset_remove(&s, 7);
	assert_int_equal(ordset_add(&s, 500000), 0); /* room again */
	assert_int_equal(s.n, ORD_MAX_IDS);
	assert_sorted_unique(&s);
	ordset_free(&s);
}

static void test_ordset_copy_is_deep(void **state)
{
	const int in[] = {4, 1, 9, -1};
	const int want[] = {1, 4, 9, -1};
	struct ordset a, b;

	(void)state;
	set_of(&a, in);
	assert_int_equal(ordset_copy(&a, &b), 0);
	assert_true(ordset_equal(&a, &b));
	assert_ptr_not_equal(a.v, b.v);
	assert_int_equal(ordset_add(&b, 5), 0);
	ordset_remove(&b, 1);
	assert_set(&a, want); /* the source is untouched */
	assert_false(ordset_equal(&a, &b));
	assert_int_equal(ordset_add(&b, 1), 0); /* the copy grows past its exact capacity */
	assert_int_equal(ordset_add(&b, 100), 0);
	assert_true(ordset_has(&b, 100));
	ordset_free(&a);
	ordset_free(&b);
}

static void test_ordset_union_minus(void **state)
{
	const int a_in[] = {1, 3, 5, 7, -1};
	const int b_in[] = {0, 3, 4, 7, 10, -1};
	const int uni[] = {0, 1, 3, 4, 5, 7, 10, -1};
	const int a_minus_b[] = {1, 5, -1};
	struct ordset a, b, u, e;

	(void)state;
	set_of(&a, a_in);
	set_of(&b, b_in);
	assert_int_equal(ordset_copy(&a, &u), 0);
	assert_int_equal(ordset_union(&u, &b), 0);
	assert_set(&u, uni);
	ordset_minus(&a, &b);
	assert_set(&a, a_minus_b);

	/* with an empty set on either side */
	ordset_init(&e);
	assert_int_equal(ordset_union(&e, &b), 0);
	assert_true(ordset_equal(&e, &b));
	ordset_free(&e);
	assert_int_equal(ordset_union(&b, &e), 0);
	assert_set(&b, b_in);
	ordset_minus(&b, &e);
	assert_int_equal(b.n, 5);
	ordset_minus(&e, &b);
	assert_int_equal(e.n, 0);

	/* aliasing: a set united with itself is unchanged, minus itself is empty */
	assert_int_equal(ordset_union(&u, &u), 0);
	assert_set(&u, uni);
	ordset_minus(&u, &u);
	assert_int_equal(u.n, 0);

	/* disjoint minus leaves everything */
	ordset_minus(&a, &b);
	assert_set(&a, a_minus_b);
	ordset_free(&a);
	ordset_free(&b);
	ordset_free(&u);
}

static void test_ordset_equal(void **state)
{
	const int x_in[] = {1, 2, 3, -1};
	const int y_in[] = {3, 2, 1, 2, -1};
	const int z_in[] = {1, 2, 4, -1};
	const int w_in[] = {1, 2, -1};
	struct ordset x, y, z, w, e1, e2;

	(void)state;
	set_of(&x, x_in);
	set_of(&y, y_in);
	set_of(&z, z_in);
	set_of(&w, w_in);
	ordset_init(&e1);
	ordset_init(&e2);
	assert_true(ordset_equal(&x, &y));
	assert_false(ordset_equal(&x, &z));
	assert_false(ordset_equal(&x, &w));
	assert_false(ordset_equal(&w, &x));
	assert_true(ordset_equal(&e1, &e2));
	assert_false(ordset_equal(&e1, &x));
	/* an emptied set (with memory) equals a fresh one */
	ordset_remove(&w, 1);
	ordset_remove(&w, 2);
	assert_true(ordset_equal(&w, &e1));
	ordset_free(&x);
	ordset_free(&y);
	ordset_free(&z);
	ordset_free(&w);
}

/* ---- ord_parse_entry ---------------------------------------------------------------------- */

struct entry_case {
	const char *json;
	int rc, lo, hi;
	const char *why; /* when rc < 0 */
};

#define WHY_WHOLE    "must be a whole number"
#define WHY_NEG	     "must be greater than or equal to 0"
#define WHY_MAX	     "must be at most 999999"
#define WHY_STRING   "a string must be a range \"a-b\"; write a single ID as a number"
#define WHY_DASHES   "a range has exactly one '-' (negative IDs are not allowed)"
#define WHY_BOUNDS   "range bounds must be whole numbers >= 0, as in \"3-5\""
#define WHY_BOUNDMAX "range bounds must be at most 999999"
#define WHY_ORDER    "range start must not be greater than its end"
#define WHY_TYPE     "must be a number or a range string \"a-b\""

static const struct entry_case entry_cases[] = {
    /* ints */
    {"0", 0, 0, 0, NULL},
    {"3", 0, 3, 3, NULL},
    {"999999", 0, 999999, 999999, NULL},
    {"3.0", 0, 3, 3, NULL}, /* JSON 3.0 is the whole number 3 */
    {"1e2", 0, 100, 100, NULL},
    {"1000000", -EINVAL, 0, 0, WHY_MAX},
    {"2147483648", -EINVAL, 0, 0, WHY_MAX},
    {"1e18", -EINVAL, 0, 0, WHY_MAX},
    /* huge: beyond long long, the whole-number check must not convert out of range */
    {"1e19", -EINVAL, 0, 0, WHY_MAX},
    {"1e300", -EINVAL, 0, 0, WHY_MAX},
    {"-1e300", -EINVAL, 0, 0, WHY_NEG},
    /* floats refused */
    {"1.5", -EINVAL, 0, 0, WHY_WHOLE},
    {"0.1", -EINVAL, 0, 0, WHY_WHOLE},
    {"999998.5", -EINVAL, 0, 0, WHY_WHOLE},
    {"-1.5", -EINVAL, 0, 0, WHY_WHOLE},
    /* negatives */
    {"-1", -EINVAL, 0, 0, WHY_NEG},
    {"-2147483649", -EINVAL, 0, 0, WHY_NEG},
    {"-0", 0, 0, 0, NULL},
    /* ranges */
    {"\"3-5\"", 0, 3, 5, NULL},
    {"\" 3 - 5 \"", 0, 3, 5, NULL},
    {"\"\\t3-\\t5\"", 0, 3, 5, NULL},
    {"\"3-3\"", 0, 3, 3, NULL},
    {"\"0-999999\"", 0, 0, 999999, NULL},
    {"\"007-8\"", 0, 7, 8, NULL},
    {"\"5-3\"", -EINVAL, 0, 0, WHY_ORDER},
    {"\"3\"", -EINVAL, 0, 0, WHY_STRING},
    {"\"\"", -EINVAL, 0, 0, WHY_STRING},
    {"\"a-b\"", -EINVAL, 0, 0, WHY_BOUNDS},
    {"\"3-b\"", -EINVAL, 0, 0, WHY_BOUNDS},
    {"\"1-2-3\"", -EINVAL, 0, 0, WHY_DASHES},
    {"\"3--5\"", -EINVAL, 0, 0, WHY_DASHES},
    {"\"-3\"", -EINVAL, 0, 0, WHY_BOUNDS},
    {"\"-3-5\"", -EINVAL, 0, 0, WHY_DASHES},
    {"\"3-\"", -EINVAL, 0, 0, WHY_BOUNDS},
    {"\"-\"", -EINVAL, 0, 0, WHY_BOUNDS},
    {"\"3 4-5\"", -EINVAL, 0, 0, WHY_BOUNDS},
    {"\"3.5-6\"", -EINVAL, 0, 0, WHY_BOUNDS},
    {"\"+3-5\"", -EINVAL, 0, 0, WHY_BOUNDS},
    {"\"0-1000000\"", -EINVAL, 0, 0, WHY_BOUNDMAX},
    {"\"0-99999999999999999999999\"", -EINVAL, 0, 0, WHY_BOUNDMAX},
    {"\"99999999999999999999999-1\"", -EINVAL, 0, 0, WHY_BOUNDMAX},
    /* other JSON types */
    {"true", -EINVAL, 0, 0, WHY_TYPE},
    {"null", -EINVAL, 0, 0, WHY_TYPE},
    {"[1]", -EINVAL, 0, 0, WHY_TYPE},
    {"{\"a\":1}", -EINVAL, 0, 0, WHY_TYPE},
};

static void test_parse_entry(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(entry_cases) / sizeof(entry_cases[0]); i++) {
		const struct entry_case *c = &entry_cases[i];
		cJSON *j = json(c->json);
		const char *why = NULL;
		int lo = -7, hi = -7, rc;

		rc = ord_parse_entry(j, &lo, &hi, &why);
		if (rc != c->rc || (rc == 0 && (lo != c->lo || hi != c->hi)) ||
		    (rc < 0 && (!why || strcmp(why, c->why) != 0)))
			print_message("entry %s: rc %d lo %d hi %d why %s\n", c->json, rc, lo, hi,
				      why ? why : "(null)");
		assert_int_equal(rc, c->rc);
		if (rc == 0) {
			assert_int_equal(lo, c->lo);
			assert_int_equal(hi, c->hi);
		} else {
			assert_non_null(why);
			assert_string_equal(why, c->why);
		}
		cJSON_Delete(j);
	}
}

static void test_parse_entry_null_item(void **state)
{
	const char *why = NULL;
	int lo, hi;

	(void)state;
	assert_int_equal(ord_parse_entry(NULL, &lo, &hi, &why), -EINVAL);
	assert_string_equal(why, WHY_TYPE);
}

/* ---- ord_parse_reserve -------------------------------------------------------------------- */

static void test_parse_reserve_ok(void **state)
{
	const int want[] = {1, 2, 3, 4, 9, 10, 11, -1};
	struct ordset s;
	char err[128] = "";
	cJSON *j = json("[3, 1, \"2-4\", 3, \"9-11\", \"10-10\", 4]");

	(void)state;
	assert_int_equal(ord_parse_reserve(j, &s, err, sizeof(err)), 0);
	assert_set(&s, want); /* duplicates and overlaps merged */
	assert_string_equal(err, "");
	ordset_free(&s);
	cJSON_Delete(j);
}

static void test_parse_reserve_missing_or_empty(void **state)
{
	struct ordset s;
	char err[64] = "";
	cJSON *j;

	(void)state;
	assert_int_equal(ord_parse_reserve(NULL, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	ordset_free(&s);
	j = json("null");
	assert_int_equal(ord_parse_reserve(j, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	ordset_free(&s);
	cJSON_Delete(j);
	j = json("[]");
	assert_int_equal(ord_parse_reserve(j, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	ordset_free(&s);
	cJSON_Delete(j);
}

struct reserve_err_case {
	const char *json;
	int rc;
	const char *err;
};

static const struct reserve_err_case reserve_err_cases[] = {
    {"{}", -EINVAL, ": must be a list"},
    {"3", -EINVAL, ": must be a list"},
    {"\"1-3\"", -EINVAL, ": must be a list"},
    {"[1, \"x\"]", -EINVAL, "[1]: " WHY_STRING},
    {"[1, \"x-y\"]", -EINVAL, "[1]: " WHY_BOUNDS},
    {"[1, 2, -1]", -EINVAL, "[2]: " WHY_NEG},
    {"[\"5\"]", -EINVAL, "[0]: " WHY_STRING},
    {"[0, 1.5]", -EINVAL, "[1]: " WHY_WHOLE},
    {"[0, \"4-2\", 7]", -EINVAL, "[1]: " WHY_ORDER},
    {"[null]", -EINVAL, "[0]: " WHY_TYPE},
    {"[\"0-100000\"]", -E2BIG, "[0]: expands to more than 100000 IDs"},
    {"[1, \"0-999999\"]", -E2BIG, "[1]: expands to more than 100000 IDs"},
    {"[\"0-99999\", 100000]", -E2BIG, "[1]: the list expands to more than 100000 IDs"},
    {"[\"0-49999\", 7, \"50000-99999\", \"200000-200001\"]", -E2BIG,
     "[3]: the list expands to more than 100000 IDs"},
};

static void test_parse_reserve_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reserve_err_cases) / sizeof(reserve_err_cases[0]); i++) {
		const struct reserve_err_case *c = &reserve_err_cases[i];
		struct ordset s;
		char err[160] = "";
		cJSON *j = json(c->json);
		int rc = ord_parse_reserve(j, &s, err, sizeof(err));

		if (rc != c->rc || strcmp(err, c->err) != 0)
			print_message("reserve %s: rc %d err \"%s\"\n", c->json, rc, err);
		assert_int_equal(rc, c->rc);
		assert_string_equal(err, c->err);
		assert_int_equal(s.n, 0); /* nothing half-parsed is left */
		assert_null(s.v);
		cJSON_Delete(j);
	}
}

static void test_parse_reserve_at_cap(void **state)
{
	struct ordset s;
	char err[128] = "";
	cJSON *j = json("[\"0-99999\", 5, \"99990-99999\"]");

	(void)state;
	/* exactly the cap; members already in the set do not count twice */
	assert_int_equal(ord_parse_reserve(j, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, ORD_MAX_IDS);
	assert_int_equal(s.v[0], 0);
	assert_int_equal(s.v[ORD_MAX_IDS - 1], ORD_MAX_IDS - 1);
	ordset_free(&s);
	cJSON_Delete(j);
}

static void test_parse_reserve_small_err_buffer(void **state)
{
	struct ordset s;
	char err[8];
	cJSON *j = json("[0, \"x-y\"]");

	(void)state;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(ord_parse_reserve(j, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "[1]: ra"); /* truncated, still terminated */
	assert_int_equal(ord_parse_reserve(j, &s, NULL, 0), -EINVAL);
	cJSON_Delete(j);
}

/* ---- ord_parse_string (the tolerant annotation form) -------------------------------------- */

struct string_case {
	const char *in;
	int want[16]; /* ends at -1 */
};

static const struct string_case string_cases[] = {
    /* okg-reference 4.10 */
    {"1-3, 5, 7-9, 11", {1, 2, 3, 5, 7, 8, 9, 11, -1}},
    {"1,abc,3", {1, 3, -1}},
    {"1-3,5-abc,7-9", {1, 2, 3, 7, 8, 9, -1}},
    {"1-3,5-2,7-9", {1, 2, 3, 7, 8, 9, -1}},
    /* more */
    {"", {-1}},
    {"5", {5, -1}},
    {" 7 , 8 ", {7, 8, -1}},
    {",,1,,", {1, -1}},
    {"3,1,2,3", {1, 2, 3, -1}},
    {"-3,4", {4, -1}},
    {"1-2-3,4", {4, -1}},
    {"1000000,999999", {999999, -1}},
    {"999998-1000000,0", {0, -1}},
    {"+1,2", {2, -1}},
    {"1.5,2", {2, -1}},
    {"0-0", {0, -1}},
    {"4-6,5-7", {4, 5, 6, 7, -1}},
    {"0-100000,9", {9, -1}}, /* one range past the cap is skipped like any bad item */
};

static void test_parse_string(void **state)
{
	struct ordset s;

	(void)state;
	for (size_t i = 0; i < sizeof(string_cases) / sizeof(string_cases[0]); i++) {
		print_message("parse_string \"%s\"\n", string_cases[i].in);
		assert_int_equal(ord_parse_string(string_cases[i].in, &s), 0);
		assert_set(&s, string_cases[i].want);
		ordset_free(&s);
	}
	assert_int_equal(ord_parse_string(NULL, &s), 0);
	assert_int_equal(s.n, 0);
	ordset_free(&s);
}

static void test_parse_string_cap(void **state)
{
	struct ordset s;

	(void)state;
	assert_int_equal(ord_parse_string("0-99999", &s), 0);
	assert_int_equal(s.n, ORD_MAX_IDS);
	ordset_free(&s);
	assert_int_equal(ord_parse_string("0-99999,5,99999", &s), 0);
	assert_int_equal(s.n, ORD_MAX_IDS);
	ordset_free(&s);
	/* a whole text past the cap is refused, and leaves nothing behind */
	assert_int_equal(ord_parse_string("0-99999,100000", &s), -E2BIG);
	assert_int_equal(s.n, 0);
	assert_null(s.v);
	ordset_free(&s);
}

/* ---- ord_to_string / ord_to_json ---------------------------------------------------------- */

struct format_case {
	int in[16]; /* ends at -1 */
	const char *text;
	const char *json;
};

static const struct format_case format_cases[] = {
    /* okg-reference 4.10 */
    {{5, -1}, "5", "[5]"},
    {{1, 2, 3, 4, 5, -1}, "1-5", "[\"1-5\"]"},
    {{1, 2, 3, 5, 7, 8, 9, 11, -1}, "1-3,5,7-9,11", "[\"1-3\",5,\"7-9\",11]"},
    {{1, 2, 5, 7, 9, -1}, "1,2,5,7,9", "[1,2,5,7,9]"},
    {{1, 2, 5, 6, 7, 10, -1}, "1,2,5-7,10", "[1,2,\"5-7\",10]"},
    {{-1}, "", "[]"},
    /* more */
    {{0, -1}, "0", "[0]"},
    {{0, 1, -1}, "0,1", "[0,1]"},
    {{0, 1, 2, -1}, "0-2", "[\"0-2\"]"},
    {{0, 1, 3, 4, -1}, "0,1,3,4", "[0,1,3,4]"},
    {{3, 4, 5, 6, 999998, 999999, -1}, "3-6,999998,999999", "[\"3-6\",999998,999999]"},
    {{999997, 999998, 999999, -1}, "999997-999999", "[\"999997-999999\"]"},
};

static void test_to_string_and_json(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct format_case *c = &format_cases[i];
		struct ordset s, back;
		char *text, *jt, err[64];
		cJSON *j;

		set_of(&s, c->in);
		text = ord_to_string(&s);
		assert_non_null(text);
		assert_string_equal(text, c->text);
		j = ord_to_json(&s);
		assert_non_null(j);
		jt = cJSON_PrintUnformatted(j);
		assert_non_null(jt);
		assert_string_equal(jt, c->json);

		/* both forms read back to the same set */
		assert_int_equal(ord_parse_string(text, &back), 0);
		assert_true(ordset_equal(&s, &back));
		ordset_free(&back);
		assert_int_equal(ord_parse_reserve(j, &back, err, sizeof(err)), 0);
		assert_true(ordset_equal(&s, &back));
		ordset_free(&back);

		free(text);
		free(jt);
		cJSON_Delete(j);
		ordset_free(&s);
	}
}

/* Pseudo-random sets of every shape round-trip through both text forms. */
static void test_round_trip_random(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int iter = 0; iter < 300; iter++) {
		struct ordset s, a, b;
		char *text, err[64];
		cJSON *j;
		int ord = 0, n = 1 + iter % 60;

		ordset_init(&s);
		for (int k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			ord += 1 + (int)(x % 4 == 0 ? x % 50 : 0); /* mostly runs, some gaps */
			assert_int_equal(ordset_add(&s, ord), 0);
		}
		text = ord_to_string(&s);
		j = ord_to_json(&s);
		assert_non_null(text);
		assert_non_null(j);
		assert_int_equal(ord_parse_string(text, &a), 0);
		assert_int_equal(ord_parse_reserve(j, &b, err, sizeof(err)), 0);
		assert_true(ordset_equal(&s, &a));
		assert_true(ordset_equal(&s, &b));
		/* no run of three or more is written out one by one */
		for (int k = 0; j && k + 2 < cJSON_GetArraySize(j); k++) {
			cJSON *p = cJSON_GetArrayItem(j, k), *q = cJSON_GetArrayItem(j, k + 1),
			      *r = cJSON_GetArrayItem(j, k + 2);

			if (cJSON_IsNumber(p) && cJSON_IsNumber(q) && cJSON_IsNumber(r))
				assert_false(q->valueint == p->valueint + 1 &&
					     r->valueint == q->valueint + 1);
		}
		free(text);
		cJSON_Delete(j);
		ordset_free(&s);
		ordset_free(&a);
		ordset_free(&b);
	}
}

static void test_to_string_large(void **state)
{
	struct ordset s, back;
	char *text;

	(void)state;
	/* the largest set, all singletons: the longest annotation okg can write */
	ordset_init(&s);
	for (int i = 0; i < ORD_MAX_IDS; i++)
		assert_int_equal(ordset_add(&s, 999999 - 2 * (ORD_MAX_IDS - 1 - i)), 0);
	text = ord_to_string(&s);
	assert_non_null(text);
	assert_true(strlen(text) > 600000);
	assert_int_equal(ord_parse_string(text, &back), 0);
	assert_true(ordset_equal(&s, &back));
	free(text);
	ordset_free(&back);
	ordset_free(&s);
}

/* ---- ord_from_name ------------------------------------------------------------------------ */

struct name_case {
	const char *name, *set;
	int want;
};

static const struct name_case name_cases[] = {
    {"mc-3", "mc", 3},		 {"mc-0", "mc", 0},	   {"mc-10", "mc", 10},
    {"mc-999999", "mc", 999999}, {"mc-1000000", "mc", -1}, {"mc-03", "mc", -1},
    {"mc-00", "mc", -1},	 {"mc-", "mc", -1},	   {"mc", "mc", -1},
    {"mcx-3", "mc", -1},	 {"mc-3a", "mc", -1},	   {"mc-a", "mc", -1},
    {"mc--3", "mc", -1},	 {"mc-+3", "mc", -1},	   {"mc- 3", "mc", -1},
    {"mc-3 ", "mc", -1},	 {"mc-a-3", "mc-a", 3},	   {"mc-a-3", "mc", -1},
    {"m-3", "mc", -1},		 {"", "mc", -1},	   {"x-mc-3", "mc", -1},
    {"MC-3", "mc", -1},
};

static void test_from_name(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		int got = ord_from_name(name_cases[i].name, name_cases[i].set);

		if (got != name_cases[i].want)
			print_message("ord_from_name(\"%s\", \"%s\") = %d\n", name_cases[i].name,
				      name_cases[i].set, got);
		assert_int_equal(got, name_cases[i].want);
	}
	assert_int_equal(ord_from_name(NULL, "mc"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ordset_empty),
	    cmocka_unit_test(test_ordset_add_sorted_unique),
	    cmocka_unit_test(test_ordset_add_descending_many),
	    cmocka_unit_test(test_ordset_remove),
	    cmocka_unit_test(test_ordset_cap),
	    cmocka_unit_test(test_ordset_copy_is_deep),
	    cmocka_unit_test(test_ordset_union_minus),
	    cmocka_unit_test(test_ordset_equal),
	    cmocka_unit_test(test_parse_entry),
	    cmocka_unit_test(test_parse_entry_null_item),
	    cmocka_unit_test(test_parse_reserve_ok),
	    cmocka_unit_test(test_parse_reserve_missing_or_empty),
	    cmocka_unit_test(test_parse_reserve_errors),
	    cmocka_unit_test(test_parse_reserve_at_cap),
	    cmocka_unit_test(test_parse_reserve_small_err_buffer),
	    cmocka_unit_test(test_parse_string),
	    cmocka_unit_test(test_parse_string_cap),
	    cmocka_unit_test(test_to_string_and_json),
	    cmocka_unit_test(test_round_trip_random),
	    cmocka_unit_test(test_to_string_large),
	    cmocka_unit_test(test_from_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
