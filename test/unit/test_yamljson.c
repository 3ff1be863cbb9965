/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for lib/yamljson.c (YAML -> cJSON). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/yamljson.h"

static cJSON *parse_ok(const char *s)
{
	char err[256] = "garbage";
	cJSON *j = NULL;
	int rc = yj_parse(s, strlen(s), &j, err, sizeof(err));

	if (rc)
		print_message("unexpected error %d: %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	assert_non_null(j);
	return j;
}

static cJSON *parse_all_ok(const char *s)
{
	char err[256] = "garbage";
	cJSON *j = NULL;
	int rc = yj_parse_all(s, strlen(s), &j, err, sizeof(err));

	if (rc)
		print_message("unexpected error %d: %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_non_null(j);
	assert_true(cJSON_IsArray(j));
	return j;
}

/* Expects failure with rc; leaves the message in err. */
static void parse_fail(const char *s, int want, char *err, size_t errlen)
{
	cJSON *j = (cJSON *)0x1;
	int rc = yj_parse(s, strlen(s), &j, err, errlen);

	if (rc != want)
		print_message("rc %d (want %d): %s\n", rc, want, err);
	assert_int_equal(rc, want);
	assert_null(j);
	assert_true(strlen(err) > 0);
	assert_true(strlen(err) < errlen);
	assert_null(strchr(err, '\n'));
}

static void is_num(const char *s, double want)
{
	cJSON *j = parse_ok(s);

	if (!cJSON_IsNumber(j))
		print_message("%s: not a number\n", s);
	assert_true(cJSON_IsNumber(j));
	assert_true(cJSON_GetNumberValue(j) == want);
	cJSON_Delete(j);
}

static void is_str(const char *s, const char *want)
{
	cJSON *j = parse_ok(s);

	if (!cJSON_IsString(j))
		print_message("%s: not a string\n", s);
	assert_true(cJSON_IsString(j));
	assert_string_equal(cJSON_GetStringValue(j), want);
	cJSON_Delete(j);
}

static void is_bool(const char *s, int want)
{
	cJSON *j = parse_ok(s);

	assert_true(cJSON_IsBool(j));
	assert_int_equal(cJSON_IsTrue(j), want);
	cJSON_Delete(j);
}

static void is_null(const char *s)
{
	cJSON *j = parse_ok(s);

	if (!cJSON_IsNull(j))
		print_message("%s: not null\n", s);
	assert_true(cJSON_IsNull(j));
	cJSON_Delete(j);
}

static const cJSON *get(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!v)
		print_message("missing key %s\n", k);
	assert_non_null(v);
	return v;
}

static const char *getstr(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static const char kubeconfig[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "clusters:\n"
    "- cluster:\n"
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=\n"
    "    server: https://10.0.0.1:6443\n"
    "  name: kind-okg\n"
    "contexts:\n"
    "- context:\n"
    "    cluster: kind-okg\n"
    "    user: kind-okg\n"
    "    namespace: games\n"
    "  name: kind-okg\n"
    "current-context: kind-okg\n"
    "preferences: {}\n"
    "users:\n"
    "- name: kind-okg\n"
    "  user:\n"
    "    client-certificate-data: \"LS0tLS1CRUdJTg==\"\n"
    "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=\n"
    "    token: 12345\n";

static void test_kubeconfig(void **state)
{
	(void)state;
	cJSON *j = parse_ok(kubeconfig);
	const cJSON *clusters, *c0, *users, *u, *ctx;

	assert_true(cJSON_IsObject(j));
	assert_string_equal(getstr(j, "apiVersion"), "v1");
	assert_string_equal(getstr(j, "kind"), "Config");
	assert_string_equal(getstr(j, "current-context"), "kind-okg");
	clusters = get(j, "clusters");
	assert_true(cJSON_IsArray(clusters));
	assert_int_equal(cJSON_GetArraySize(clusters), 1);
	c0 = cJSON_GetArrayItem(clusters, 0);
	assert_string_equal(getstr(c0, "name"), "kind-okg");
	assert_string_equal(getstr(get(c0, "cluster"), "server"), "https://10.0.0.1:6443");
	assert_string_equal(getstr(get(c0, "cluster"), "certificate-authority-data"),
			    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=");
	ctx = get(cJSON_GetArrayItem(get(j, "contexts"), 0), "context");
	assert_string_equal(getstr(ctx, "namespace"), "games");
	assert_true(cJSON_IsObject(get(j, "preferences")));
	assert_null(get(j, "preferences")->child);
	users = get(j, "users");
	u = get(cJSON_GetArrayItem(users, 0), "user");
	assert_string_equal(getstr(u, "client-certificate-data"), "LS0tLS1CRUdJTg==");
	assert_string_equal(getstr(u, "client-key-data"),
			    "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=");
	/* Unquoted digits resolve to a number, as Kubernetes' decoder would. */
	assert_true(cJSON_IsNumber(get(u, "token")));
	/* Keys keep document order. */
	assert_string_equal(j->child->string, "apiVersion");
	cJSON_Delete(j);
}

static void test_json_input(void **state)
{
	(void)state;
	const char *s = "{\"a\": [1, 2.5, \"x\", true, null, -3e2], \"b\": {\"c\": \"d\"},"
			" \"e\": \"\\u00e9\\n\", \"f\": []}";
	cJSON *y = parse_ok(s);
	cJSON *want = cJSON_Parse(s);

	assert_non_null(want);
	assert_true(cJSON_Compare(y, want, 1));
	cJSON_Delete(want);
	cJSON_Delete(y);
}

static void test_null_forms(void **state)
{
	(void)state;
	is_null("null");
	is_null("Null");
	is_null("NULL");
	is_null("~");
	is_null("!!null null");
	is_null("!!null ''");
	is_str("nULL", "nULL");
	is_str("'null'", "null");
	is_str("\"~\"", "~");

	cJSON *j = parse_ok("a:\nb: ~\nc: ''\n");
	assert_true(cJSON_IsNull(get(j, "a")));
	assert_true(cJSON_IsNull(get(j, "b")));
	assert_string_equal(getstr(j, "c"), "");
	cJSON_Delete(j);
}

static void test_bool_forms(void **state)
{
	(void)state;
	is_bool("true", 1);
	is_bool("True", 1);
	is_bool("TRUE", 1);
	is_bool("false", 0);
	is_bool("False", 0);
	is_bool("FALSE", 0);
	is_bool("!!bool 'true'", 1);
	/* YAML 1.1 booleans are plain strings in 1.2. */
	is_str("yes", "yes");
	is_str("on", "on");
	is_str("tRUE", "tRUE");
}

static void test_quoted_and_block_stay_strings(void **state)
{
	(void)state;
	is_str("\"true\"", "true");
	is_str("'false'", "false");
	is_str("\"123\"", "123");
	is_str("'0x10'", "0x10");
	is_str("\"1.5\"", "1.5");

	cJSON *j = parse_ok("lit: |\n  123\n  true\nfold: >\n  42\nkeep: |-\n  null\n");
	assert_string_equal(getstr(j, "lit"), "123\ntrue\n");
	assert_string_equal(getstr(j, "fold"), "42\n");
	assert_string_equal(getstr(j, "keep"), "null");
	cJSON_Delete(j);
}

static void test_decimal_ints(void **state)
{
	(void)state;
	is_num("0", 0);
	is_num("42", 42);
	is_num("-17", -17);
	is_num("+5", 5);
	/* Documented choice: leading zeros are decimal (YAML 1.2 core), not octal. */
	is_num("0123", 123);
	is_num("007", 7);
	is_num("9007199254740992", 9007199254740992.0);
	/* Beyond int64: still a number (double). */
	is_num("92233720368547758080", 92233720368547758080.0);
	is_str("1_000", "1_000");
	is_str("12abc", "12abc");
	is_str("1 000", "1 000");
}

static void test_hex_octal(void **state)
{
	(void)state;
	is_num("0x1F", 31);
	is_num("0xff", 255);
	is_num("0o17", 15);
	is_num("0o0", 0);
	is_num("0xFFFFFFFFFFFFFFFFFF", 4722366482869645213695.0);
	is_str("0x", "0x");
	is_str("0o8", "0o8");
	is_str("-0x10", "-0x10");
	is_str("0b101", "0b101");
	is_str("0X10", "0X10");
}

static void test_floats(void **state)
{
	(void)state;
	is_num("1.5", 1.5);
	is_num("-2.5e3", -2500);
	is_num(".5", 0.5);
	is_num("+.5", 0.5);
	is_num("1.", 1);
	is_num("6.5E+2", 650);
	is_num("1e5", 100000);
	is_num("1e-400", 0);
	is_str("1e", "1e");
	is_str("1.2.3", "1.2.3");
	is_str(".", ".");
	is_str("e5", "e5");
	/* Overflows to inf: JSON cannot hold it, so the text is kept. */
	is_str("1e999", "1e999");
}

static void test_inf_nan_strings(void **state)
{
	(void)state;
	is_str(".inf", ".inf");
	is_str("-.inf", "-.inf");
	is_str(".Inf", ".Inf");
	is_str(".nan", ".nan");
	is_str(".NaN", ".NaN");
	is_str("!!float .inf", ".inf");
	is_str("nan", "nan");
}

static void test_explicit_tags(void **state)
{
	(void)state;
	char err[256];

	is_str("!!str 123", "123");
	is_str("!!str true", "true");
	is_str("!!str null", "null");
	is_str("!!str", "");
	is_str("! 12", "12");
	is_num("!!int \"42\"", 42);
	is_num("!!int '0x10'", 16);
	is_num("!!float '1'", 1);
	is_num("!!float \"2.5\"", 2.5);
	is_bool("!!bool \"false\"", 0);
	/* Unknown tags are ignored: the scalar resolves as if untagged. */
	is_num("!custom 5", 5);
	is_str("!custom '5'", "5");

	parse_fail("!!int abc", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "line 1 column 1: "));
	assert_non_null(strstr(err, "!!int"));
	parse_fail("!!bool yes", -EINVAL, err, sizeof(err));
	parse_fail("!!float x1", -EINVAL, err, sizeof(err));
	parse_fail("!!null 0", -EINVAL, err, sizeof(err));

	cJSON *j = parse_ok("!!map {a: !!seq [1]}");
	assert_true(cJSON_IsArray(get(j, "a")));
	cJSON_Delete(j);
}

static void test_keys_are_strings(void **state)
{
	(void)state;
	cJSON *j = parse_ok("1: a\ntrue: b\nnull: c\n~: d\n0x10: e\n\"q\": f\n'': g\n");

	assert_string_equal(getstr(j, "1"), "a");
	assert_string_equal(getstr(j, "true"), "b");
	assert_string_equal(getstr(j, "null"), "c");
	assert_string_equal(getstr(j, "~"), "d");
	assert_string_equal(getstr(j, "0x10"), "e");
	assert_string_equal(getstr(j, "q"), "f");
	assert_string_equal(getstr(j, ""), "g");
	assert_int_equal(cJSON_GetArraySize(j), 7);
	cJSON_Delete(j);
}

static void test_non_scalar_key(void **state)
{
	(void)state;
	char err[256];

	parse_fail("? [a, b]\n: c\n", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "line 1 column 3"));
	assert_non_null(strstr(err, "key"));
	parse_fail("x: 1\n? {a: 1}\n: 2\n", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "line 2 "));
	parse_fail("a: &m [1]\n*m : 2\n", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "line 2 column 1"));
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	char err[256];

	parse_fail("a: 1\nb: 2\na: 3\n", -EINVAL, err, sizeof(err));
	assert_string_equal(err, "line 3 column 1: duplicate mapping key \"a\"");
	parse_fail("spec:\n  x: 1\n  'x': 2\n", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "line 3 column 3"));
	assert_non_null(strstr(err, "\"x\""));
	parse_fail("{a: 1, a: 1}", -EINVAL, err, sizeof(err));
	/* The same key in different mappings is fine. */
	cJSON *j = parse_ok("a: {x: 1}\nb: {x: 2}\n");
	assert_int_equal(get(get(j, "b"), "x")->valueint, 2);
	cJSON_Delete(j);
}

static void test_many_keys(void **state)
{
	(void)state;
	enum { N = 20000 };
	size_t cap = (size_t)N * 24 + 64, n = 0;
	char *buf = malloc(cap);
	char err[256];
	cJSON *j = NULL;
	int i;

	assert_non_null(buf);
	for (i = 0; i < N; i++)
		n += (size_t)snprintf(buf + n, cap - n, "key%d: %d\n", i, i);
	assert_int_equal(yj_parse(buf, n, &j, err, sizeof(err)), 0);
	assert_int_equal(cJSON_GetArraySize(j), N);
	assert_int_equal(get(j, "key19999")->valueint, 19999);
	cJSON_Delete(j);
	/* A duplicate at the very end must still be found. */
	n += (size_t)snprintf(buf + n, cap - n, "key7: dup\n");
	j = (cJSON *)0x1;
	assert_int_equal(yj_parse(buf, n, &j, err, sizeof(err)), -EINVAL);
	assert_null(j);
	assert_non_null(strstr(err, "duplicate mapping key \"key7\""));
	assert_non_null(strstr(err, "line 20001 column 1"));
	free(buf);
}

static void test_multi_doc(void **state)
{
	(void)state;
	const char *s = "a: 1\n---\n- x\n- y\n---\n---\nnull\n--- |\n  text\n...\n";
	cJSON *all = parse_all_ok(s);
	cJSON *first;

	/* The empty third document is skipped; the explicit null is kept. */
	assert_int_equal(cJSON_GetArraySize(all), 4);
	assert_true(cJSON_IsObject(cJSON_GetArrayItem(all, 0)));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(all, 1)), 2);
	assert_true(cJSON_IsNull(cJSON_GetArrayItem(all, 2)));
	assert_string_equal(cJSON_GetArrayItem(all, 3)->valuestring, "text\n");
	cJSON_Delete(all);

	first = parse_ok(s);
	assert_true(cJSON_IsObject(first));
	assert_int_equal(get(first, "a")->valueint, 1);
	cJSON_Delete(first);

	all = parse_all_ok("");
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
	all = parse_all_ok("---\n---\n...\n");
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
	all = parse_all_ok("k: v");
	assert_int_equal(cJSON_GetArraySize(all), 1);
	cJSON_Delete(all);
}

static void test_multi_doc_errors(void **state)
{
	(void)state;
	char err[256];
	cJSON *j = (cJSON *)0x1;
	const char *s = "a: 1\n---\nb: [1, 2\n";

	assert_int_equal(yj_parse_all(s, strlen(s), &j, err, sizeof(err)), -EINVAL);
	assert_null(j);
	assert_non_null(strstr(err, "line "));
	/* yj_parse stops at the first document: a broken second one is not read. */
	s = "a: 1\n---\nb: [1, 2\n";
	assert_int_equal(yj_parse(s, strlen(s), &j, err, sizeof(err)), 0);
	assert_int_equal(get(j, "a")->valueint, 1);
	cJSON_Delete(j);
	/* ...but junk glued to the first document is an error. */
	s = "{a: 1}}";
	assert_int_equal(yj_parse(s, strlen(s), &j, err, sizeof(err)), -EINVAL);
	assert_null(j);
	assert_non_null(strstr(err, "line 1 column 7"));
	/* Anchors do not leak across documents. */
	s = "a: &x 1\n---\nb: *x\n";
	assert_int_equal(yj_parse_all(s, strlen(s), &j, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 3 column 4: undefined alias *x"));
}

static void test_anchors_aliases(void **state)
{
	(void)state;
	const char *s = "base: &b\n  image: nginx\n  ports: [80, 443]\n"
			"copy: *b\n"
			"n: &n 7\n"
			"m: *n\n"
			"&k name: value\n"
			"other: *k\n"
			"*k2: x\n";
	char err[256];
	cJSON *j = NULL;
	const cJSON *base, *copy;

	/* *k2 is undefined: check the error first, then the valid document. */
	assert_int_equal(yj_parse(s, strlen(s), &j, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 9 column 1: undefined alias *k2"));

	j = parse_ok("base: &b\n  image: nginx\n  ports: [80, 443]\n"
		     "copy: *b\n"
		     "n: &n 7\n"
		     "m: *n\n"
		     "&k name: value\n"
		     "other: *k\n");
	base = get(j, "base");
	copy = get(j, "copy");
	assert_true(cJSON_Compare(base, copy, 1));
	assert_ptr_not_equal(base->child, copy->child); /* deep copy, not shared */
	assert_int_equal(get(j, "m")->valueint, 7);
	assert_string_equal(getstr(j, "other"), "name");
	assert_string_equal(getstr(j, "name"), "value");
	cJSON_Delete(j);
}

static void test_alias_as_key_and_redefinition(void **state)
{
	(void)state;
	cJSON *j = parse_ok("a: &n 7\n*n : alias-key\nb: &n 8\nc: *n\nlist: [&s x, *s]\n");

	/* An alias used as a key takes the anchored scalar's source text. */
	assert_string_equal(getstr(j, "7"), "alias-key");
	/* A redefined anchor replaces the earlier one. */
	assert_int_equal(get(j, "c")->valueint, 8);
	assert_string_equal(cJSON_GetArrayItem(get(j, "list"), 1)->valuestring, "x");
	cJSON_Delete(j);
}

static void test_merge_key_is_plain(void **state)
{
	(void)state;
	cJSON *j = parse_ok("base: &b {cpu: 1}\npod:\n  <<: *b\n  mem: 2\n");
	const cJSON *pod = get(j, "pod");

	/* Documented: "<<" is not expanded, it is an ordinary key. */
	assert_true(cJSON_IsObject(get(pod, "<<")));
	assert_int_equal(get(get(pod, "<<"), "cpu")->valueint, 1);
	assert_null(cJSON_GetObjectItemCaseSensitive(pod, "cpu"));
	cJSON_Delete(j);
}

static void test_recursive_alias(void **state)
{
	(void)state;
	char err[256];

	parse_fail("&a [1, *a]", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "line 1 column 8"));
	assert_non_null(strstr(err, "*a"));
	parse_fail("a: &m\n  b: *m\n", -EINVAL, err, sizeof(err));
}

static void test_alias_bomb(void **state)
{
	(void)state;
	const char *s = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
			"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
			"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	char err[256];
	cJSON *j = (cJSON *)0x1;

	assert_int_equal(yj_parse(s, strlen(s), &j, err, sizeof(err)), -E2BIG);
	assert_null(j);
	assert_non_null(strstr(err, "node limit"));
	assert_non_null(strstr(err, "line 6 "));
	j = (cJSON *)0x1;
	assert_int_equal(yj_parse_all(s, strlen(s), &j, err, sizeof(err)), -E2BIG);
	assert_null(j);
}

static void test_alias_bytes_cap(void **state)
{
	(void)state;
	size_t big = 1u << 20, n = 0, cap = big + 4096;
	char *buf = malloc(cap);
	char err[256];
	cJSON *j = (cJSON *)0x1;
	int i;

	assert_non_null(buf);
	memcpy(buf, "s: &s ", 6);
	n = 6;
	memset(buf + n, 'x', big);
	n += big;
	memcpy(buf + n, "\nl: [", 5);
	n += 5;
	for (i = 0; i < 70; i++)
		n += (size_t)snprintf(buf + n, cap - n, "*s, ");
	memcpy(buf + n, "*s]\n", 4);
	n += 4;
	assert_int_equal(yj_parse(buf, n, &j, err, sizeof(err)), -E2BIG);
	assert_null(j);
	assert_non_null(strstr(err, "alias expansion"));
	free(buf);
}

static char *nested(int depth, const char *open, const char *mid, const char *close)
{
	size_t lo = strlen(open), lc = strlen(close), lm = strlen(mid);
	size_t n = (size_t)depth * (lo + lc) + lm + 1, off = 0;
	char *s = malloc(n);
	int i;

	assert_non_null(s);
	for (i = 0; i < depth; i++, off += lo)
		memcpy(s + off, open, lo);
	memcpy(s + off, mid, lm);
	off += lm;
	for (i = 0; i < depth; i++, off += lc)
		memcpy(s + off, close, lc);
	s[off] = '\0';
	return s;
}

static void test_depth_cap(void **state)
{
	(void)state;
	char err[256], doc[512];
	char *s, *inner;
	cJSON *j, *p;
	int d = 0;

	s = nested(YJ_MAX_DEPTH, "[", "1", "]");
	j = parse_ok(s);
	for (p = j; cJSON_IsArray(p); p = p->child)
		d++;
	assert_int_equal(d, YJ_MAX_DEPTH);
	cJSON_Delete(j);
	free(s);

	s = nested(YJ_MAX_DEPTH + 1, "[", "1", "]");
	parse_fail(s, -E2BIG, err, sizeof(err));
	assert_non_null(strstr(err, "line 1 column 129"));
	assert_non_null(strstr(err, "nesting"));
	free(s);

	s = nested(5000, "{a: ", "1", "}");
	parse_fail(s, -E2BIG, err, sizeof(err));
	free(s);

	/* Nesting built through an alias counts too: 100 + 1 (map) + 30 > 128,
	 * while 100 + 1 + 27 = 128 is still accepted. */
	s = nested(100, "[", "1", "]");
	inner = nested(30, "[", "*deep", "]");
	snprintf(doc, sizeof(doc), "a: &deep %s\nb: %s\n", s, inner);
	parse_fail(doc, -E2BIG, err, sizeof(err));
	assert_non_null(strstr(err, "line 2 column 34"));
	assert_non_null(strstr(err, "via alias"));
	free(inner);
	inner = nested(27, "[", "*deep", "]");
	snprintf(doc, sizeof(doc), "a: &deep %s\nb: %s\n", s, inner);
	j = parse_ok(doc);
	cJSON_Delete(j);
	free(inner);
	free(s);
}

static void test_malformed(void **state)
{
	(void)state;
	char err[256];

	parse_fail("a: b: c\n", -EINVAL, err, sizeof(err));
	assert_string_equal(err, "line 1 column 5: mapping values are not allowed in this context");
	parse_fail("a: [1, 2\n", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "line "));
	parse_fail("a:\n  b: 1\n c: 2\n", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "line 3 "));
	parse_fail("a: \"unterminated\n", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "line "));
	parse_fail("a:\n\t- b\n", -EINVAL, err, sizeof(err));
	parse_fail("{a: 1}}", -EINVAL, err, sizeof(err));
	parse_fail("*", -EINVAL, err, sizeof(err));
	parse_fail("&", -EINVAL, err, sizeof(err));
	parse_fail("!<", -EINVAL, err, sizeof(err));
	parse_fail("%YAML 9.9\n---\na\n", -EINVAL, err, sizeof(err));
}

static void test_bad_bytes(void **state)
{
	(void)state;
	char err[256];
	cJSON *j = (cJSON *)0x1;
	static const char nul[] = "a: 1\nb: x\0y\n";
	static const char bad8[] = "a: 1\nb: \xff\xfe\n";

	assert_int_equal(yj_parse(nul, sizeof(nul) - 1, &j, err, sizeof(err)), -EINVAL);
	assert_null(j);
	assert_non_null(strstr(err, "line 2 column 5"));
	assert_int_equal(yj_parse(bad8, sizeof(bad8) - 1, &j, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2 column 4"));
	assert_non_null(strstr(err, "UTF-8"));
	/* "\0" escapes cannot be represented in a C string. */
	parse_fail("a: \"x\\0y\"\n", -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "NUL"));
	parse_fail("\"k\\0\": 1\n", -EINVAL, err, sizeof(err));
	/* Valid UTF-8 and a BOM are fine. */
	j = parse_ok("\xef\xbb\xbf"
		     "msg: \"h\xc3\xa9llo \xe2\x9c\x93\"\n");
	assert_string_equal(getstr(j, "msg"), "h\xc3\xa9llo \xe2\x9c\x93");
	cJSON_Delete(j);
}

static void test_not_nul_terminated(void **state)
{
	(void)state;
	const char *s = "a: 1\nb: 2XXXX: junk [";
	char err[256];
	cJSON *j = NULL;
	char *exact;
	size_t n = strlen("a: 1\nb: 2");

	assert_int_equal(yj_parse(s, n, &j, err, sizeof(err)), 0);
	assert_int_equal(get(j, "b")->valueint, 2);
	assert_true(cJSON_IsNumber(get(j, "b")));
	cJSON_Delete(j);

	/* An exact-size heap copy: ASan catches any read past the end. */
	exact = malloc(n);
	assert_non_null(exact);
	memcpy(exact, s, n);
	assert_int_equal(yj_parse(exact, n, &j, err, sizeof(err)), 0);
	assert_int_equal(cJSON_GetArraySize(j), 2);
	cJSON_Delete(j);
	assert_int_equal(yj_parse_all(exact, n - 1, &j, err, sizeof(err)), 0);
	assert_true(cJSON_IsNull(get(cJSON_GetArrayItem(j, 0), "b")));
	cJSON_Delete(j);
	/* Cut right after "b:": the value is empty, i.e. null. */
	assert_int_equal(yj_parse(exact, 7, &j, err, sizeof(err)), 0);
	assert_true(cJSON_IsNull(get(j, "b")));
	cJSON_Delete(j);
	free(exact);
}

static void test_empty_input(void **state)
{
	(void)state;
	char err[16];
	cJSON *j = NULL;

	assert_int_equal(yj_parse("", 0, &j, err, sizeof(err)), 0);
	assert_true(cJSON_IsNull(j));
	assert_string_equal(err, "");
	cJSON_Delete(j);
	assert_int_equal(yj_parse(NULL, 0, &j, err, sizeof(err)), 0);
	assert_true(cJSON_IsNull(j));
	cJSON_Delete(j);
	is_null("   \n\n");
	is_null("# only a comment\n");
	is_null("---\n");
	is_null("--- \n...\n");
}

static void test_args_and_truncation(void **state)
{
	(void)state;
	char err[8];
	cJSON *j = NULL;

	assert_int_equal(yj_parse("a", 1, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(yj_parse(NULL, 3, &j, err, sizeof(err)), -EINVAL);
	assert_null(j);
	/* Tiny buffer: truncated but terminated. */
	memset(err, 'Z', sizeof(err));
	assert_int_equal(yj_parse("a: b: c", 7, &j, err, sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, "line 1 ", 7);
	/* No buffer at all is allowed. */
	assert_int_equal(yj_parse("a: b: c", 7, &j, NULL, 0), -EINVAL);
	assert_null(j);
	memset(err, 'Z', sizeof(err));
	assert_int_equal(yj_parse("a: b: c", 7, &j, err, 1), -EINVAL);
	assert_int_equal(err[0], '\0');
	assert_int_equal(err[1], 'Z');
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void test_parse_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/yj_test_XXXXXX";
	char path[128], err[512];
	cJSON *j = (cJSON *)0x1;
	char *big;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	assert_int_equal(yj_parse_file(path, &j, err, sizeof(err)), -ENOENT);
	assert_null(j);
	assert_non_null(strstr(err, path));

	snprintf(path, sizeof(path), "%s/kubeconfig", dir);
	write_file(path, kubeconfig, strlen(kubeconfig));
	assert_int_equal(yj_parse_file(path, &j, err, sizeof(err)), 0);
	assert_string_equal(getstr(j, "current-context"), "kind-okg");
	cJSON_Delete(j);
	unlink(path);

	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	write_file(path, "ok: 1\nbad: [\n", 13);
	assert_int_equal(yj_parse_file(path, &j, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, ": line "));
	unlink(path);

	snprintf(path, sizeof(path), "%s/big.yaml", dir);
	big = malloc(YJ_MAX_FILE_SIZE + 1);
	assert_non_null(big);
	memset(big, '#', YJ_MAX_FILE_SIZE + 1);
	write_file(path, big, YJ_MAX_FILE_SIZE + 1);
	assert_int_equal(yj_parse_file(path, &j, err, sizeof(err)), -E2BIG);
	assert_null(j);
	assert_non_null(strstr(err, path));
	/* Exactly at the cap is accepted (a comment-only file is null). */
	write_file(path, big, YJ_MAX_FILE_SIZE);
	assert_int_equal(yj_parse_file(path, &j, err, sizeof(err)), 0);
	assert_true(cJSON_IsNull(j));
	cJSON_Delete(j);
	free(big);
	unlink(path);

	assert_int_not_equal(yj_parse_file(dir, &j, err, sizeof(err)), 0);
	assert_null(j);
	assert_non_null(strstr(err, dir));
	assert_int_equal(rmdir(dir), 0);
}

static void test_print_roundtrip(void **state)
{
	(void)state;
	cJSON *j = parse_ok("a: [1, 2, {b: c}]\nd: \"x\\ty\"\ne: null\n");
	char *txt = cJSON_PrintUnformatted(j);

	assert_non_null(txt);
	assert_string_equal(txt, "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":\"x\\ty\",\"e\":null}");
	cJSON_free(txt);
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kubeconfig),
	    cmocka_unit_test(test_json_input),
	    cmocka_unit_test(test_null_forms),
	    cmocka_unit_test(test_bool_forms),
	    cmocka_unit_test(test_quoted_and_block_stay_strings),
	    cmocka_unit_test(test_decimal_ints),
	    cmocka_unit_test(test_hex_octal),
	    cmocka_unit_test(test_floats),
	    cmocka_unit_test(test_inf_nan_strings),
	    cmocka_unit_test(test_explicit_tags),
	    cmocka_unit_test(test_keys_are_strings),
	    cmocka_unit_test(test_non_scalar_key),
	    cmocka_unit_test(test_duplicate_keys),
	    cmocka_unit_test(test_many_keys),
	    cmocka_unit_test(test_multi_doc),
	    cmocka_unit_test(test_multi_doc_errors),
	    cmocka_unit_test(test_anchors_aliases),
	    cmocka_unit_test(test_alias_as_key_and_redefinition),
	    cmocka_unit_test(test_merge_key_is_plain),
	    cmocka_unit_test(test_recursive_alias),
	    cmocka_unit_test(test_alias_bomb),
	    cmocka_unit_test(test_alias_bytes_cap),
	    cmocka_unit_test(test_depth_cap),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_bad_bytes),
	    cmocka_unit_test(test_not_nul_terminated),
	    cmocka_unit_test(test_empty_input),
	    cmocka_unit_test(test_args_and_truncation),
	    cmocka_unit_test(test_parse_file),
	    cmocka_unit_test(test_print_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
