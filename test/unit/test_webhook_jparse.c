/* Unit tests for webhook/jparse.c: the arena JSON parser gives the same trees as cJSON on valid
 * input, refuses what RFC 8259 refuses (with the offset), drops the paths it is told to drop. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webhook/jparse.h"

/* Exact structural equality, member order included (cJSON_Compare ignores order and fails on
 * infinities). */
static int same_tree(const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y;

	if ((a->type & 0xFF) != (b->type & 0xFF))
		return 0;
	if ((a->string == NULL) != (b->string == NULL) ||
	    (a->string && strcmp(a->string, b->string) != 0))
		return 0;
	switch (a->type & 0xFF) {
	case cJSON_String:
		return strcmp(a->valuestring, b->valuestring) == 0;
	case cJSON_Number:
		return a->valuedouble == b->valuedouble ||
		       (isnan(a->valuedouble) && isnan(b->valuedouble));
	case cJSON_Array:
	case cJSON_Object:
		for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
			if (!same_tree(x, y))
				return 0;
		return x == NULL && y == NULL;
	default:
		return 1;
	}
}

static void expect_same_as_cjson(const char *text)
{
	struct jp_arena a;
	cJSON *mine = NULL, *ref = cJSON_Parse(text);

	assert_non_null(ref);
	jp_arena_init(&a, 64);
	assert_int_equal(jp_parse(&a, text, strlen(text), NULL, &mine, NULL, NULL), 0);
	if (!same_tree(mine, ref)) {
		char *m = cJSON_PrintUnformatted(mine), *r = cJSON_PrintUnformatted(ref);

		print_message("input: %s\nmine:  %s\ncJSON: %s\n", text, m, r);
		cJSON_free(m);
		cJSON_free(r);
		fail();
	}
	jp_arena_free(&a);
	cJSON_Delete(ref);
}

static void expect_error(const char *text, size_t len, int err, size_t off, const char *why)
{
	struct jp_arena a;
	cJSON *out = (cJSON *)1;
	size_t o = 99999;
	const char *w = NULL;

	jp_arena_init(&a, 64);
	assert_int_equal(jp_parse(&a, text, len, NULL, &out, &o, &w), err);
	assert_null(out);
	if (o != off || !w || strcmp(w, why) != 0) {
		print_message("input %.*s: got %s at %zu, want %s at %zu\n", (int)len, text,
			      w ? w : "(null)", o, why, off);
		fail();
	}
	jp_arena_free(&a);
}

#define ERR(text, off, why) expect_error(text, strlen(text), -EINVAL, off, why)

static void test_same_as_cjson(void **state)
{
	static const char *const docs[] = {
	    "{}",
	    "[]",
	    " \t\r\n{ \"a\" : [ 1 , 2 ] } \n",
	    "{\"a\":1,\"b\":\"two\",\"c\":[true,false,null],\"d\":{\"e\":{}}}",
	    "[0,-0,1,-1,123456789012345,1234567890123456789,1.5,-2.25e-3,1E3,1e+2,"
	    "9007199254740993,1e308,-1e400]",
	    "\"plain\"",
	    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	    "\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00 mixed \\u6e38\\u620f\"",
	    "\"\xe6\xb8\xb8\xe6\x88\x8f raw utf-8\"",
	    "{\"dup\":1,\"dup\":2}",
	    "[[[[[[[[[[\"deep\"]]]]]]]]]]",
	    "{\"k\":\"a long string with an escape at the end of a word \\\" and more text "
	    "that runs across several eight-byte words without any special bytes\"}",
	    "{\"x\":\"12345678\\\"12345678\\\\12345678\\n\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		expect_same_as_cjson(docs[i]);
}

static void test_values(void **state)
{
	struct jp_arena a;
	cJSON *o = NULL;
	const char text[] = "{\"n\":-42,\"big\":3e9,\"t\":true,\"s\":\"x\\u0000y\",\"lone\":"
			    "\"\\ud800!\\udc00\"}";

	(void)state;
	jp_arena_init(&a, 0);
	assert_int_equal(jp_parse(&a, text, strlen(text), NULL, &o, NULL, NULL), 0);
	assert_int_equal(jp_get(o, "n")->valueint, -42);
	assert_int_equal(jp_get(o, "big")->valueint, 2147483647); /* saturated, as cJSON does */
	assert_true(cJSON_IsTrue(jp_get(o, "t")));
	assert_int_equal(jp_get(o, "t")->valueint, 1);
	assert_string_equal(jp_get(o, "s")->valuestring, "x"); /* NUL ends the C string */
	/* unpaired surrogates become U+FFFD, as Go decodes them */
	assert_string_equal(jp_get(o, "lone")->valuestring, "\xef\xbf\xbd!\xef\xbf\xbd");
	assert_null(jp_get(o, "missing"));
	assert_null(jp_get(jp_get(o, "n"), "x"));
	assert_int_equal(cJSON_GetArraySize(o), 5);
	/* the read-only cJSON API works on arena trees */
	{
		cJSON *copy = cJSON_Duplicate(o, 1);

		assert_true(cJSON_Compare(o, copy, 1));
		cJSON_Delete(copy);
	}
	assert_string_equal(cJSON_GetArrayItem(o, 4)->string, "lone");
	assert_ptr_equal(o->child->prev, cJSON_GetArrayItem(o, 4)); /* cJSON's tail link */
	jp_arena_free(&a);
	jp_arena_free(NULL);
}

static void test_errors(void **state)
{
	(void)state;
	ERR("", 0, "unexpected end of input");
	ERR("   ", 3, "unexpected end of input");
	ERR("{", 1, "expected a string key");
	ERR("{\"a\"", 4, "expected ':'");
	ERR("{\"a\":", 5, "unexpected end of input");
	ERR("{\"a\":1", 6, "expected ',' or '}'");
	ERR("{\"a\":1,}", 7, "expected a string key");
	ERR("[1,]", 3, "unexpected character");
	ERR("[1 2]", 3, "expected ',' or ']'");
	ERR("{a:1}", 1, "expected a string key");
	ERR("01", 1, "data after the JSON value");
	ERR("+1", 0, "unexpected character");
	ERR("1.", 2, "invalid number");
	ERR("1e", 2, "invalid number");
	ERR("-", 1, "invalid number");
	ERR(".5", 0, "unexpected character");
	ERR("tru", 0, "unexpected character");
	ERR("nul", 0, "unexpected character");
	ERR("\"abc", 4, "unterminated string");
	ERR("\"abc\\", 4, "invalid escape in a string");
	ERR("\"a\\x\"", 2, "invalid escape in a string");
	ERR("\"a\\u12\"", 2, "invalid \\u escape in a string");
	ERR("\"a\\u12G4\"", 2, "invalid \\u escape in a string");
	ERR("\"tab\there\"", 4, "control character in a string");
	ERR("{} {}", 3, "data after the JSON value");
	ERR("NaN", 0, "unexpected character");
	/* only [0, len) is read */
	expect_error("[1]", 2, -EINVAL, 2, "expected ',' or ']'");
	{
		struct jp_arena a;
		cJSON *o;

		jp_arena_init(&a, 0);
		assert_int_equal(jp_parse(&a, NULL, 0, NULL, &o, NULL, NULL), -EINVAL);
		jp_arena_free(&a);
	}
}

static void test_depth(void **state)
{
	char *deep = malloc(2 * (JP_MAX_DEPTH + 2) + 1);
	struct jp_arena a;
	cJSON *o;
	size_t n = 0;

	(void)state;
	assert_non_null(deep);
	for (int i = 0; i < JP_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < JP_MAX_DEPTH; i++)
		deep[n++] = ']';
	jp_arena_init(&a, 0);
	assert_int_equal(jp_parse(&a, deep, n, NULL, &o, NULL, NULL), 0);
	jp_arena_free(&a);
	/* one more level is refused */
	n = 0;
	for (int i = 0; i <= JP_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i <= JP_MAX_DEPTH; i++)
		deep[n++] = ']';
	jp_arena_init(&a, 0);
	assert_int_equal(jp_parse(&a, deep, n, NULL, &o, NULL, NULL), -E2BIG);
	jp_arena_free(&a);
	free(deep);
}

static void test_drop_paths(void **state)
{
	static const char *const p1[] = {"request", "object", "metadata", "managedFields", NULL};
	static const char *const p2[] = {"request",
					 "object",
					 "metadata",
					 "annotations",
					 "kubectl.kubernetes.io/last-applied-configuration",
					 NULL};
	static const char *const *const paths[] = {p1, p2};
	const struct jp_opts opts = {paths, 2};
	const char text[] =
	    "{\"request\":{\"uid\":\"u\",\"object\":{\"metadata\":{\"name\":\"n\","
	    "\"managedFields\":"
	    "[{\"a\":1}],\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
	    "\"{\\\"big\\\":1}\",\"keep\":\"me\"}},\"spec\":{\"managedFields\":1}},"
	    "\"oldObject\":{\"metadata\":{\"managedFields\":[]}}}}";
	struct jp_arena a;
	cJSON *o;
	const cJSON *meta, *ann;

	(void)state;
	jp_arena_init(&a, 0);
	assert_int_equal(jp_parse(&a, text, strlen(text), &opts, &o, NULL, NULL), 0);
	meta = jp_get(jp_get(jp_get(o, "request"), "object"), "metadata");
	assert_string_equal(jp_get(meta, "name")->valuestring, "n");
	assert_null(jp_get(meta, "managedFields"));
	ann = jp_get(meta, "annotations");
	assert_int_equal(cJSON_GetArraySize(ann), 1);
	assert_string_equal(jp_get(ann, "keep")->valuestring, "me");
	/* same key elsewhere is kept */
	assert_non_null(
	    jp_get(jp_get(jp_get(jp_get(o, "request"), "object"), "spec"), "managedFields"));
	assert_non_null(
	    jp_get(jp_get(jp_get(jp_get(o, "request"), "oldObject"), "metadata"), "managedFields"));
	jp_arena_free(&a);

	/* a dropped value is still checked */
	{
		const char bad[] =
		    "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[1,]}}}}";
		size_t off;
		const char *why;

		jp_arena_init(&a, 0);
		assert_int_equal(jp_parse(&a, bad, strlen(bad), &opts, &o, &off, &why), -EINVAL);
		assert_string_equal(why, "unexpected character");
		assert_int_equal(off, strlen("{\"request\":{\"object\":{\"metadata\":{"
					     "\"managedFields\":[1,"));
		jp_arena_free(&a);
	}
}

static void test_large_document(void **state)
{
	/* many members and long escaped strings, across arena blocks */
	size_t cap = 4 * 1024 * 1024, n = 0;
	char *text = malloc(cap);

	(void)state;
	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n, "{\"items\":[");
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(
		    text + n, cap - n,
		    "%s{\"name\":\"item-%d\",\"v\":%d,\"s\":\"q\\\"uo\\\\te\\n%d\"}", i ? "," : "",
		    i, i * 7, i);
	n += (size_t)snprintf(text + n, cap - n, "]}");
	expect_same_as_cjson(text);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_as_cjson), cmocka_unit_test(test_values),
	    cmocka_unit_test(test_errors),	  cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_drop_paths),	  cmocka_unit_test(test_large_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
