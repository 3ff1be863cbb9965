/* Unit tests for lib/cpack.c: the compact encoding of cJSON trees that the informer caches
 * hold. Round trips must give back an equal tree (same member order and types), malformed or
 * truncated bytes must be refused without a crash, and a realistic pod must pack small. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/cpack.h"

/* The tree printed back, so order, types and duplicate keys are compared too (cJSON_Compare
 * ignores order and trips over duplicate keys). */
static void assert_round_trip(const char *json)
{
	cJSON *in = cJSON_Parse(json), *back = NULL;
	unsigned char *p = NULL;
	size_t n = 0;
	char *a, *b;

	assert_non_null(in);
	assert_int_equal(cpack_encode(in, &p, &n), 0);
	assert_non_null(p);
	assert_true(n > 0);
	assert_int_equal(cpack_decode(p, n, &back), 0);
	assert_non_null(back);
	a = cJSON_PrintUnformatted(in);
	b = cJSON_PrintUnformatted(back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	cJSON_Delete(in);
	cJSON_Delete(back);
	free(p);
}

static void test_scalars(void **state)
{
	(void)state;
	assert_round_trip("null");
	assert_round_trip("true");
	assert_round_trip("false");
	assert_round_trip("0");
	assert_round_trip("-1");
	assert_round_trip("1.5");
	assert_round_trip("-0.25");
	assert_round_trip("9007199254740992");
	assert_round_trip("-9007199254740992");
	assert_round_trip("1e300");
	assert_round_trip("\"\"");
	assert_round_trip("\"Ready\"");
	assert_round_trip("\"not a dictionary word\"");
	assert_round_trip("\"caf\\u00e9 \\u0000x\"");
	assert_round_trip("[]");
	assert_round_trip("{}");
}

static void test_nested(void **state)
{
	(void)state;
	assert_round_trip("{\"metadata\":{\"name\":\"minecraft-0\",\"labels\":{\"game.kruise.io/"
			  "owner-gss\":\"minecraft\",\"custom/key\":\"v\"}},\"spec\":{"
			  "\"opsState\":\"None\",\"deletionPriority\":10,\"updatePriority\":\"5\"},"
			  "\"a\":[1,[2,[3,{}]],{\"\":null}],\"z\":{\"x\":{\"y\":[true,false]}}}");
	/* Duplicate keys and odd key text survive: the encoding is of the tree, not a map. */
	assert_round_trip("{\"k\":1,\"k\":2,\"with \\\"quote\\\"\":\"v\"}");
}

static void test_integers_exact(void **state)
{
	const double values[] = {0,
				 1,
				 -1,
				 127,
				 128,
				 -128,
				 65535,
				 2147483647.0,
				 -2147483648.0,
				 4294967296.0,
				 1e15,
				 -1e15,
				 9007199254740992.0};
	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		cJSON *in = cJSON_CreateNumber(values[i]), *back = NULL;
		unsigned char *p = NULL;
		size_t n = 0;

		assert_int_equal(cpack_encode(in, &p, &n), 0);
		assert_int_equal(cpack_decode(p, n, &back), 0);
		assert_true(cJSON_IsNumber(back));
		assert_true(back->valuedouble == values[i]);
		assert_int_equal(back->valueint, in->valueint);
		cJSON_Delete(in);
		cJSON_Delete(back);
		free(p);
	}
}

/* A pod as the controller's cache keeps it (trimmed) packs to well under a kilobyte. */
static const char *const trimmed_pod =
    "{\"metadata\":{\"name\":\"minecraft-12\",\"namespace\":\"default\",\"uid\":"
    "\"3f1c2a4e-8b7d-4c55-9e0a-1b2c3d4e5f60\",\"resourceVersion\":\"1234567\",\"labels\":{"
    "\"app\":\"minecraft\",\"game.kruise.io/owner-gss\":\"minecraft\","
    "\"game.kruise.io/gs-opsState\":\"None\",\"game.kruise.io/gs-delete-priority\":\"0\","
    "\"game.kruise.io/gs-update-priority\":\"0\",\"game.kruise.io/network-disabled\":\"false\","
    "\"game.kruise.io/gs-state\":\"Ready\",\"okg.game.kruise.io/ordinal\":\"12\","
    "\"okg.game.kruise.io/template-hash\":\"9a8b7c6d5e4f3a2b\","
    "\"okg.game.kruise.io/template-hash-noimage\":\"1a2b3c4d5e6f7a8b\"},\"annotations\":{"
    "\"okg.game.kruise.io/probe-token\":"
    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"minecraft\",\"image\":"
    "\"registry.cn-hangzhou.aliyuncs.com/gs-demo/gameserver:idle\"},{\"name\":\"okg-probe\","
    "\"image\":\"okg:latest\"}],\"nodeName\":\"sim-node-1\"},\"status\":{\"phase\":\"Running\","
    "\"podIP\":\"127.1.0.12\",\"hostIP\":\"127.0.0.1\",\"conditions\":[{\"type\":"
    "\"Initialized\",\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":"
    "\"ContainersReady\",\"status\":\"True\"},{\"type\":\"PodScheduled\",\"status\":\"True\"}],"
    "\"containerStatuses\":[{\"name\":\"minecraft\",\"image\":"
    "\"registry.cn-hangzhou.aliyuncs.com/gs-demo/gameserver:idle\",\"state\":{\"running\":{}},"
    "\"ready\":true,\"restartCount\":0},{\"name\":\"okg-probe\",\"image\":\"okg:latest\","
    "\"state\":{\"running\":{}},\"ready\":true,\"restartCount\":0}]}}";

static void test_trimmed_pod_is_small(void **state)
{
	cJSON *in = cJSON_Parse(trimmed_pod);
	unsigned char *p = NULL;
	size_t n = 0;

	(void)state;
	assert_non_null(in);
	assert_round_trip(trimmed_pod);
	assert_int_equal(cpack_encode(in, &p, &n), 0);
	/* The JSON text is about 1.7 KB; dictionary words and varints make it far smaller. */
	assert_true(n < strlen(trimmed_pod) / 2);
	assert_true(n < 800);
	cJSON_Delete(in);
	free(p);
}

/* Every prefix of a valid encoding is refused, and so is any trailing garbage. */
static void test_truncated_and_trailing(void **state)
{
	cJSON *in = cJSON_Parse(trimmed_pod), *back = NULL;
	unsigned char *p = NULL, *longer;
	size_t n = 0;

	(void)state;
	assert_int_equal(cpack_encode(in, &p, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(cpack_decode(p, i, &back), -EINVAL);
		assert_null(back);
	}
	longer = malloc(n + 1);
	assert_non_null(longer);
	memcpy(longer, p, n);
	longer[n] = 0;
	assert_int_equal(cpack_decode(longer, n + 1, &back), -EINVAL);
	assert_null(back);
	assert_int_equal(cpack_decode(NULL, 0, &back), -EINVAL);
	free(longer);
	free(p);
	cJSON_Delete(in);
}

static void test_malformed(void **state)
{
	/* header flags, dictionary index out of range, a key on the root, a huge count */
	static const unsigned char bad[][6] = {
	    {0xC0},				  /* unknown flag bits */
	    {0x08 | 0x05, 0xFF, 0x00},		  /* root with a key */
	    {0x25, 0xFF},			  /* string from a dictionary slot past the end */
	    {0x07, 0xFF, 0xFF, 0xFF, 0x0F},	  /* object claiming 4 billion members */
	    {0x06, 0x01, 0x15, 0x01, 'k'},	  /* array element with a key */
	    {0x07, 0x01, 0x05, 0x00},		  /* object member without a key */
	    {0x23},				  /* value-dictionary flag on a null */
	    {0x03, 0x80, 0x80, 0x80, 0x80, 0x80}, /* unterminated varint */
	    {0x07, 0x01, 0x2F, 0x00, 0x00},	  /* value-dictionary flag on an object member */
	};
	static const size_t lens[] = {1, 3, 2, 5, 5, 4, 1, 6, 5};
	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		cJSON *back = (cJSON *)1;

		assert_int_equal(cpack_decode(bad[i], lens[i], &back), -EINVAL);
		assert_null(back);
	}
}

static void test_depth_limit(void **state)
{
	cJSON *root = cJSON_CreateArray(), *cur = root;
	unsigned char *p = NULL;
	size_t n = 0;
	unsigned char deep[2 * (CPACK_MAX_DEPTH + 2)];
	cJSON *back = NULL;

	(void)state;
	for (int i = 0; i < CPACK_MAX_DEPTH + 1; i++) {
		cJSON *next = cJSON_CreateArray();

		cJSON_AddItemToArray(cur, next);
		cur = next;
	}
	assert_int_equal(cpack_encode(root, &p, &n), -E2BIG);
	assert_null(p);
	cJSON_Delete(root);
	/* Hand-made: nested one-element arrays past the limit. */
	for (size_t i = 0; i < sizeof(deep) / 2; i++) {
		deep[2 * i] = 0x06;
		deep[2 * i + 1] = i + 1 < sizeof(deep) / 2 ? 1 : 0;
	}
	assert_int_equal(cpack_decode(deep, sizeof(deep), &back), -E2BIG);
	assert_null(back);
}

/* Decoded trees behave like parsed ones: constant dictionary keys are duplicated and deleted
 * correctly by cJSON, and members can be replaced and detached. */
static void test_decoded_tree_is_ordinary(void **state)
{
	cJSON *in = cJSON_Parse(trimmed_pod), *back = NULL, *dup, *meta;
	unsigned char *p = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(cpack_encode(in, &p, &n), 0);
	assert_int_equal(cpack_decode(p, n, &back), 0);
	free(p);
	dup = cJSON_Duplicate(back, 1);
	assert_true(cJSON_Compare(in, dup, 1));
	meta = cJSON_GetObjectItemCaseSensitive(dup, "metadata");
	assert_non_null(meta);
	assert_true(
	    cJSON_ReplaceItemInObjectCaseSensitive(meta, "name", cJSON_CreateString("other")));
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "labels");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(meta, "name")->valuestring, "other");
	cJSON_Delete(dup);
	cJSON_Delete(back);
	cJSON_Delete(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scalars),
	    cmocka_unit_test(test_nested),
	    cmocka_unit_test(test_integers_exact),
	    cmocka_unit_test(test_trimmed_pod_is_small),
	    cmocka_unit_test(test_truncated_and_trailing),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_decoded_tree_is_ordinary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
