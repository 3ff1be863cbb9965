/* Unit tests for controller/scalerpb.c: the externalscaler messages against bytes written by
 * Python's protobuf (3.21), round trips, proto3 merge rules, unknown fields, every malformed
 * input class, the caps, UTF-8, and gRPC's 5-byte framing. */
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

#include "controller/scalerpb.h"

/* Hex text to bytes (spaces ignored). Returns the length. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*h) {
		unsigned v;

		if (*h == ' ') {
			h++;
			continue;
		}
		assert_true(sscanf(h, "%2x", &v) == 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static void assert_bytes(const struct buf *b, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(hex, want, sizeof(want));

	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, want, n);
}

/* ---- against Python's encoder ---------------------------------------------------------------- */

/* GetMetricsRequest{scaledObjectRef{name "minecraft", namespace "default", scalerMetadata
 * {minAvailable: "0.5"}}, metricName "gssReplicas"}, serialised by python3-protobuf 3.21. */
static const char py_metrics_req[] =
    "0a290a096d696e656372616674120764656661756c741a130a0c6d696e417661696c61626c65120330"
    "2e35120b6773735265706c69636173";

static void test_decode_python_request(void **state)
{
	uint8_t b[256];
	size_t n = unhex(py_metrics_req, b, sizeof(b));
	struct spb_metrics_req r;

	(void)state;
	assert_int_equal(spb_metrics_req_decode(b, n, &r), 0);
	assert_string_equal(r.ref.name, "minecraft");
	assert_string_equal(r.ref.ns, "default");
	assert_int_equal(r.ref.n_meta, 1);
	assert_string_equal(spb_ref_meta(&r.ref, "minAvailable"), "0.5");
	assert_null(spb_ref_meta(&r.ref, "maxAvailable"));
	assert_string_equal(r.metric_name, "gssReplicas");
	{
		struct buf out;

		buf_init(&out, 1024);
		assert_int_equal(spb_metrics_req_encode(&r, &out), 0);
		assert_bytes(&out, py_metrics_req); /* canonical: byte for byte */
		buf_free(&out);
	}
	spb_metrics_req_free(&r);
}

static void test_encode_matches_python(void **state)
{
	struct spb_metric spec = {"gssReplicas", 1, 1.0}, val = {"gssReplicas", -3, -3.0};
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(spb_metric_list_encode(&spec, 1, &b), 0);
	assert_bytes(&b, "0a180a0b6773735265706c69636173100119000000000000f03f");
	buf_reset(&b);
	assert_int_equal(spb_metric_list_encode(&val, 1, &b), 0);
	assert_bytes(&b, "0a210a0b6773735265706c6963617310fdffffffffffffffff011900000000000008c0");
	buf_reset(&b);
	assert_int_equal(spb_is_active_encode(true, &b), 0);
	assert_bytes(&b, "0801");
	buf_reset(&b);
	assert_int_equal(spb_is_active_encode(false, &b), 0);
	assert_int_equal(b.len, 0); /* proto3 omits false */
	assert_non_null(b.data);
	buf_free(&b);
}

/* ---- round trips ------------------------------------------------------------------------------
 */

static void test_ref_round_trip(void **state)
{
	struct spb_kv kv[] = {{"scalerAddress", "okg-controller.okg-system:6000"},
			      {"minAvailable", "0.25"},
			      {"maxAvailable", "10"},
			      {"empty", ""},
			      {"", "no key"},
			      {"ünïcødé", "值"}};
	struct spb_ref in = {"minecraft", "games", kv, sizeof(kv) / sizeof(kv[0])}, out;
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(spb_ref_encode(&in, &b), 0);
	assert_int_equal(spb_ref_decode((const uint8_t *)b.data, b.len, &out), 0);
	assert_string_equal(out.name, "minecraft");
	assert_string_equal(out.ns, "games");
	assert_int_equal(out.n_meta, in.n_meta);
	for (size_t i = 0; i < in.n_meta; i++) {
		assert_string_equal(out.meta[i].key, kv[i].key);
		assert_string_equal(out.meta[i].value, kv[i].value);
	}
	assert_string_equal(spb_ref_meta(&out, ""), "no key");
	spb_ref_free(&out);
	spb_ref_free(&out); /* twice: harmless */
	spb_ref_free(NULL);
	buf_free(&b);
}

static void test_empty_messages(void **state)
{
	struct spb_ref r;
	struct spb_metrics_req q;
	struct spb_metric_list l;
	bool a = true;

	(void)state;
	assert_int_equal(spb_ref_decode(NULL, 0, &r), 0);
	assert_string_equal(r.name, "");
	assert_string_equal(r.ns, "");
	assert_int_equal(r.n_meta, 0);
	spb_ref_free(&r);
	assert_int_equal(spb_metrics_req_decode(NULL, 0, &q), 0);
	assert_string_equal(q.ref.name, "");
	assert_string_equal(q.metric_name, "");
	spb_metrics_req_free(&q);
	assert_int_equal(spb_metric_list_decode(NULL, 0, &l), 0);
	assert_int_equal(l.n, 0);
	spb_metric_list_free(&l);
	assert_int_equal(spb_is_active_decode(NULL, 0, &a), 0);
	assert_false(a);
}

static void test_metric_list_round_trip(void **state)
{
	struct spb_metric in[] = {
	    {"gssReplicas", 0, 0.0},
	    {"a", INT64_MIN, -1e300},
	    {"b", INT64_MAX, 0.5},
	    {"", 1, -0.0}, /* -0.0 is not the default: written */
	};
	struct spb_metric_list out;
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(spb_metric_list_encode(in, 4, &b), 0);
	assert_int_equal(spb_metric_list_decode((const uint8_t *)b.data, b.len, &out), 0);
	assert_int_equal(out.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(out.v[i].name, in[i].name);
		assert_true(out.v[i].i == in[i].i);
		assert_memory_equal(&out.v[i].f, &in[i].f, sizeof(double));
	}
	spb_metric_list_free(&out);
	buf_free(&b);
}

/* ---- proto3 decoding rules --------------------------------------------------------------------
 */

static void test_unknown_fields_skipped(void **state)
{
	/* name "a"; unknown varint field 5; unknown fixed64 field 6; unknown LEN field 7; unknown
	 * fixed32 field 8; a huge field number (2^29 - 1, varint); namespace "b" */
	static const char hex[] = "0a0161"
				  "28ffffffffffffffffff01"
				  "310102030405060708"
				  "3a03787878"
				  "4501020304"
				  "f8ffffff0f00"
				  "120162";
	uint8_t b[128];
	size_t n = unhex(hex, b, sizeof(b));
	struct spb_ref r;

	(void)state;
	assert_int_equal(spb_ref_decode(b, n, &r), 0);
	assert_string_equal(r.name, "a");
	assert_string_equal(r.ns, "b");
	spb_ref_free(&r);
}

static void test_wrong_wire_type_is_unknown(void **state)
{
	/* name as a varint (field 1, wire type 0), namespace as fixed32: both skipped */
	static const char hex[] = "0807"
				  "1501020304"
				  "0a0178";
	uint8_t b[64];
	size_t n = unhex(hex, b, sizeof(b));
	struct spb_ref r;
	bool a;

	(void)state;
	assert_int_equal(spb_ref_decode(b, n, &r), 0);
	assert_string_equal(r.name, "x");
	assert_string_equal(r.ns, "");
	spb_ref_free(&r);
	/* IsActiveResponse.result as LEN: skipped, result stays false */
	n = unhex("0a0101", b, sizeof(b));
	assert_int_equal(spb_is_active_decode(b, n, &a), 0);
	assert_false(a);
	/* a bool varint other than 1 is true */
	n = unhex("08ff01", b, sizeof(b));
	assert_int_equal(spb_is_active_decode(b, n, &a), 0);
	assert_true(a);
}

static void test_merge_rules(void **state)
{
	/* name "a" then name "bb": the last wins; metadata k=1, j=2, k=3: k is 3, order kept; an
	 * entry with only a value has key ""; one with only a key has value "" */
	static const char hex[] = "0a0161"
				  "0a026262"
				  "1a060a016b120131"
				  "1a060a016a120132"
				  "1a060a016b120133"
				  "1a03120178"
				  "1a030a017a";
	uint8_t b[128];
	size_t n = unhex(hex, b, sizeof(b));
	struct spb_ref r;

	(void)state;
	assert_int_equal(spb_ref_decode(b, n, &r), 0);
	assert_string_equal(r.name, "bb");
	assert_int_equal(r.n_meta, 4);
	assert_string_equal(r.meta[0].key, "k");
	assert_string_equal(r.meta[0].value, "3");
	assert_string_equal(r.meta[1].key, "j");
	assert_string_equal(spb_ref_meta(&r, ""), "x");
	assert_string_equal(spb_ref_meta(&r, "z"), "");
	spb_ref_free(&r);
}

static void test_request_ref_merged(void **state)
{
	/* scaledObjectRef twice: {name "a"} then {namespace "n"} -> {name "a", namespace "n"} */
	static const char hex[] = "0a030a0161"
				  "0a0312016e";
	uint8_t b[64];
	size_t n = unhex(hex, b, sizeof(b));
	struct spb_metrics_req q;

	(void)state;
	assert_int_equal(spb_metrics_req_decode(b, n, &q), 0);
	assert_string_equal(q.ref.name, "a");
	assert_string_equal(q.ref.ns, "n");
	spb_metrics_req_free(&q);
}

/* ---- malformed input --------------------------------------------------------------------------
 */

static void test_malformed(void **state)
{
	static const struct {
		const char *what, *hex;
		int err;
	} cases[] = {
	    {"truncated tag varint", "80", -EBADMSG},
	    {"truncated value varint", "08", -EBADMSG},
	    {"truncated length", "0a", -EBADMSG},
	    {"length past the end", "0a0561", -EBADMSG},
	    {"length varint huge", "0affffffffffffffffff01", -EBADMSG},
	    {"11-byte varint", "08ffffffffffffffffffff01", -EBADMSG},
	    {"10th varint byte > 1", "08ffffffffffffffffff02", -EBADMSG},
	    {"tag over 32 bits", "f8ffffffff1f00", -EBADMSG},
	    {"field number 0", "0001", -EBADMSG},
	    {"start group", "0b", -EBADMSG},
	    {"end group", "0c", -EBADMSG},
	    {"wire type 6", "0e", -EBADMSG},
	    {"wire type 7", "0f", -EBADMSG},
	    {"truncated fixed64", "090102", -EBADMSG},
	    {"truncated fixed32", "0d01", -EBADMSG},
	    {"invalid UTF-8 name", "0a02c328", -EBADMSG},
	    {"overlong UTF-8", "0a02c0af", -EBADMSG},
	    {"surrogate in UTF-8", "0a03eda080", -EBADMSG},
	    {"NUL in a string", "0a03610062", -EBADMSG},
	    {"bad map entry", "1a020a", -EBADMSG},
	    {"invalid UTF-8 map key", "1a030a01ff", -EBADMSG},
	    {"truncated map value", "1a050a016b1205", -EBADMSG},
	};
	uint8_t b[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(cases[i].hex, b, sizeof(b));
		struct spb_ref r;
		int e = spb_ref_decode(b, n, &r);

		if (e != cases[i].err) {
			print_error("%s: got %d, want %d\n", cases[i].what, e, cases[i].err);
			fail();
		}
		/* on error the output is empty */
		assert_null(r.name);
		assert_null(r.meta);
		/* the same bytes inside a GetMetricsRequest fail the same way */
		{
			uint8_t w[160];
			struct spb_metrics_req q;

			w[0] = 0x0a;
			w[1] = (uint8_t)n;
			memcpy(w + 2, b, n);
			assert_int_equal(spb_metrics_req_decode(w, n + 2, &q), cases[i].err);
			assert_null(q.ref.name);
			assert_null(q.metric_name);
		}
	}
}

static void test_caps(void **state)
{
	struct buf b;
	struct spb_ref r;
	struct spb_kv kv[SPB_META_MAX + 1];
	char keys[SPB_META_MAX + 1][8];
	char *big = malloc(SPB_STR_MAX + 2);
	struct spb_ref in = {0};

	(void)state;
	assert_non_null(big);
	buf_init(&b, 1 << 20);
	/* a string of exactly SPB_STR_MAX is fine, one more is not */
	memset(big, 'a', SPB_STR_MAX + 1);
	big[SPB_STR_MAX] = '\0';
	in.name = big;
	assert_int_equal(spb_ref_encode(&in, &b), 0);
	assert_int_equal(spb_ref_decode((const uint8_t *)b.data, b.len, &r), 0);
	assert_int_equal(strlen(r.name), SPB_STR_MAX);
	spb_ref_free(&r);
	buf_reset(&b);
	big[SPB_STR_MAX] = 'a';
	big[SPB_STR_MAX + 1] = '\0';
	assert_int_equal(spb_ref_encode(&in, &b), 0);
	assert_int_equal(spb_ref_decode((const uint8_t *)b.data, b.len, &r), -E2BIG);
	buf_reset(&b);
	/* SPB_META_MAX keys are fine, one more is not; repeating a key does not count */
	for (int i = 0; i <= SPB_META_MAX; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		kv[i].key = keys[i];
		kv[i].value = "v";
	}
	in.name = "n";
	in.meta = kv;
	in.n_meta = SPB_META_MAX;
	assert_int_equal(spb_ref_encode(&in, &b), 0);
	assert_int_equal(spb_ref_encode(&in, &b), 0); /* the same keys again: merged */
	assert_int_equal(spb_ref_decode((const uint8_t *)b.data, b.len, &r), 0);
	assert_int_equal(r.n_meta, SPB_META_MAX);
	spb_ref_free(&r);
	buf_reset(&b);
	in.n_meta = SPB_META_MAX + 1;
	assert_int_equal(spb_ref_encode(&in, &b), 0);
	assert_int_equal(spb_ref_decode((const uint8_t *)b.data, b.len, &r), -E2BIG);
	buf_reset(&b);
	/* list entries */
	{
		struct spb_metric m[SPB_LIST_MAX + 1];
		struct spb_metric_list l;

		for (int i = 0; i <= SPB_LIST_MAX; i++)
			m[i] = (struct spb_metric){"m", i, i};
		assert_int_equal(spb_metric_list_encode(m, SPB_LIST_MAX, &b), 0);
		assert_int_equal(spb_metric_list_decode((const uint8_t *)b.data, b.len, &l), 0);
		assert_int_equal(l.n, SPB_LIST_MAX);
		spb_metric_list_free(&l);
		buf_reset(&b);
		assert_int_equal(spb_metric_list_encode(m, SPB_LIST_MAX + 1, &b), 0);
		assert_int_equal(spb_metric_list_decode((const uint8_t *)b.data, b.len, &l),
				 -E2BIG);
		assert_null(l.v);
	}
	buf_free(&b);
	/* the output buffer's cap */
	buf_init(&b, 8);
	in.meta = NULL;
	in.n_meta = 0;
	in.name = "a name longer than eight bytes";
	assert_int_equal(spb_ref_encode(&in, &b), -E2BIG);
	buf_free(&b);
	free(big);
}

static void test_utf8(void **state)
{
	static const struct {
		const char *hex;
		bool ok;
	} cases[] = {
	    {"", true},		 {"41", true},	      {"c3a9", true},	   {"e282ac", true},
	    {"f09f9880", true},	 {"f48fbfbf", true},  {"80", false},	   {"c3", false},
	    {"c1bf", false},	 {"e080af", false},   {"eda080", false},   {"edbfbf", false},
	    {"f08f8080", false}, {"f4908080", false}, {"f5808080", false}, {"ff", false},
	    {"e282", false},	 {"c328", false},
	};
	uint8_t b[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(cases[i].hex, b, sizeof(b));

		if (spb_utf8_valid(b, n) != cases[i].ok) {
			print_error("utf8 %s: want %d\n", cases[i].hex, cases[i].ok);
			fail();
		}
	}
}

/* ---- gRPC framing -----------------------------------------------------------------------------
 */

static void test_grpc_framing(void **state)
{
	struct buf b;
	const uint8_t *m;
	size_t n;
	uint8_t raw[32];

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(spb_grpc_frame((const uint8_t *)"\x08\x01", 2, &b), 0);
	assert_bytes(&b, "00000000020801");
	assert_int_equal(spb_grpc_unframe((const uint8_t *)b.data, b.len, 100, &m, &n),
			 SPB_UNFRAME_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(m, "\x08\x01", 2);
	/* an empty message is a message */
	buf_reset(&b);
	assert_int_equal(spb_grpc_frame(NULL, 0, &b), 0);
	assert_int_equal(spb_grpc_unframe((const uint8_t *)b.data, b.len, 100, &m, &n),
			 SPB_UNFRAME_OK);
	assert_int_equal(n, 0);
	/* all or nothing at the cap */
	buf_free(&b);
	buf_init(&b, 6);
	assert_int_equal(spb_grpc_frame((const uint8_t *)"abc", 3, &b), -E2BIG);
	assert_int_equal(b.len, 0);
	buf_free(&b);

	assert_int_equal(spb_grpc_unframe(NULL, 0, 100, &m, &n), SPB_UNFRAME_EMPTY);
	n = unhex("00000000", raw, sizeof(raw));
	assert_int_equal(spb_grpc_unframe(raw, n, 100, &m, &n), SPB_UNFRAME_TRUNCATED);
	n = unhex("0000000003aabb", raw, sizeof(raw));
	assert_int_equal(spb_grpc_unframe(raw, n, 100, &m, &n), SPB_UNFRAME_TRUNCATED);
	n = unhex("0000000065", raw, sizeof(raw));
	assert_int_equal(spb_grpc_unframe(raw, n, 100, &m, &n), SPB_UNFRAME_TOO_BIG);
	n = unhex("00ffffffff", raw, sizeof(raw));
	assert_int_equal(spb_grpc_unframe(raw, n, 100, &m, &n), SPB_UNFRAME_TOO_BIG);
	n = unhex("0100000001aa", raw, sizeof(raw));
	assert_int_equal(spb_grpc_unframe(raw, n, 100, &m, &n), SPB_UNFRAME_COMPRESSED);
	n = unhex("0200000001aa", raw, sizeof(raw));
	assert_int_equal(spb_grpc_unframe(raw, n, 100, &m, &n), SPB_UNFRAME_BAD_FLAGS);
	n = unhex("0000000001aa00", raw, sizeof(raw));
	assert_int_equal(spb_grpc_unframe(raw, n, 100, &m, &n), SPB_UNFRAME_MORE_THAN_ONE);
	n = unhex("0000000001aa0000000001bb", raw, sizeof(raw));
	assert_int_equal(spb_grpc_unframe(raw, n, 100, &m, &n), SPB_UNFRAME_MORE_THAN_ONE);
	assert_null(m);
}

/* ---- random bytes -----------------------------------------------------------------------------
 */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random bytes and mutated valid messages: every decoder returns 0 or an error, never more, and
 * what decodes re-encodes to something that decodes to the same. */
static void test_random_inputs(void **state)
{
	uint8_t base[256], b[256];
	size_t bn = unhex(py_metrics_req, base, sizeof(base));

	(void)state;
	for (int it = 0; it < 50000; it++) {
		size_t n;
		struct spb_metrics_req q;
		struct spb_ref r;
		struct spb_metric_list l;
		bool a;
		int e;

		if (it % 2) {
			n = rng() % 64;
			for (size_t i = 0; i < n; i++)
				b[i] = (uint8_t)rng();
		} else {
			n = bn;
			memcpy(b, base, bn);
			for (int k = 0; k < 3; k++)
				b[rng() % n] = (uint8_t)rng();
			n = rng() % (n + 1);
		}
		e = spb_metrics_req_decode(b, n, &q);
		assert_true(e == 0 || e == -EBADMSG || e == -E2BIG);
		if (e == 0) {
			struct buf out;
			struct spb_metrics_req q2;

			buf_init(&out, 1 << 16);
			assert_int_equal(spb_metrics_req_encode(&q, &out), 0);
			assert_int_equal(
			    spb_metrics_req_decode((const uint8_t *)out.data, out.len, &q2), 0);
			assert_string_equal(q.ref.name, q2.ref.name);
			assert_string_equal(q.ref.ns, q2.ref.ns);
			assert_string_equal(q.metric_name, q2.metric_name);
			assert_int_equal(q.ref.n_meta, q2.ref.n_meta);
			spb_metrics_req_free(&q2);
			buf_free(&out);
		}
		spb_metrics_req_free(&q);
		e = spb_ref_decode(b, n, &r);
		assert_true(e == 0 || e == -EBADMSG || e == -E2BIG);
		spb_ref_free(&r);
		e = spb_metric_list_decode(b, n, &l);
		assert_true(e == 0 || e == -EBADMSG || e == -E2BIG);
		spb_metric_list_free(&l);
		e = spb_is_active_decode(b, n, &a);
		assert_true(e == 0 || e == -EBADMSG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_python_request),
	    cmocka_unit_test(test_encode_matches_python),
	    cmocka_unit_test(test_ref_round_trip),
	    cmocka_unit_test(test_empty_messages),
	    cmocka_unit_test(test_metric_list_round_trip),
	    cmocka_unit_test(test_unknown_fields_skipped),
	    cmocka_unit_test(test_wrong_wire_type_is_unknown),
	    cmocka_unit_test(test_merge_rules),
	    cmocka_unit_test(test_request_ref_merged),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_grpc_framing),
	    cmocka_unit_test(test_random_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
