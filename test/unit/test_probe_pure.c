/* Unit tests for the pure parts of okg-probe: output cleaning (probe/text.c), thresholds
 * (probe/thresh.c), /proc text (probe/procfs.c), the report body (probe/report.c), URLs,
 * response heads and chunked bodies (probe/http.c), JSON paths (probe/run.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "probe/http.h"
#include "probe/procfs.h"
#include "probe/report.h"
#include "probe/run.h"
#include "probe/text.h"
#include "probe/thresh.h"

/* --- text ------------------------------------------------------------------------------------ */

static const char *clean(const char *in, size_t n, char *out, size_t outlen)
{
	pr_text_clean(in, n, out, outlen);
	return out;
}

static void test_trim(void **state)
{
	char out[PR_RESULT_MAX + 1];

	(void)state;
	assert_string_equal(clean(" \n\t gate \r\n", 11, out, sizeof(out)), "gate");
	assert_string_equal(clean("a b\nc\n", 6, out, sizeof(out)), "a b\nc");
	assert_string_equal(clean(" \n ", 3, out, sizeof(out)), "");
	assert_string_equal(clean("", 0, out, sizeof(out)), "");
	assert_string_equal(clean(NULL, 5, out, sizeof(out)), "");
	/* NUL and bytes that are not UTF-8 become '?'; valid UTF-8 stays */
	assert_string_equal(clean("a\0b", 3, out, sizeof(out)), "a?b");
	assert_string_equal(clean("x\xff\xc0\x80y", 5, out, sizeof(out)), "x???y");
	assert_string_equal(clean("\xe6\xb8\xb8\xe6\x88\x8f", 6, out, sizeof(out)), "游戏");
	assert_string_equal(clean("\xed\xa0\x80", 3, out, sizeof(out)), "???"); /* surrogate */
	assert_string_equal(clean("\xf4\x90\x80\x80", 4, out, sizeof(out)), "????");
}

static void test_truncate(void **state)
{
	char big[5000], out[PR_RESULT_MAX + 1], small[8];
	struct pr_capture c;

	(void)state;
	/* leading whitespace does not use up the cap */
	memset(big, ' ', 2000);
	memset(big + 2000, 'x', 3000);
	assert_int_equal(pr_text_clean(big, sizeof(big), out, sizeof(out)), PR_RESULT_MAX);
	assert_int_equal(strspn(out, "x"), PR_RESULT_MAX);
	/* a UTF-8 character cut by the cap goes */
	assert_string_equal(clean("ab\xe6\xb8\xb8", 5, small, 5), "ab");
	assert_string_equal(clean("abc\xe6\xb8\xb8", 6, small, 7), "abc\xe6\xb8\xb8");
	/* trailing whitespace after the cut goes too */
	assert_string_equal(clean("ab   cd", 7, small, 5), "ab");
	/* fed in pieces, counting what was dropped */
	pr_capture_init(&c, small, 4);
	pr_capture_feed(&c, "  ", 2);
	pr_capture_feed(&c, "ab", 2);
	pr_capture_feed(&c, "cdef", 4);
	assert_true(c.truncated);
	assert_int_equal(c.seen, 8);
	assert_string_equal(pr_capture_finish(&c), "abcd");
	/* pr_text_copy cuts at a character boundary */
	assert_string_equal(pr_text_copy(small, 4, "a\xe6\xb8\xb8"), "a");
	assert_string_equal(pr_text_copy(small, 8, "abc"), "abc");
	assert_string_equal(pr_text_copy(small, 8, NULL), "");
}

/* --- thresholds ------------------------------------------------------------------------------ */

static void test_thresholds(void **state)
{
	struct pr_thresh t;

	(void)state;
	pr_thresh_init(&t);
	assert_int_equal(t.state, -1);
	/* from unknown: failures need failureThreshold in a row */
	assert_false(pr_thresh_feed(&t, 0, 1, 3));
	assert_false(pr_thresh_feed(&t, 0, 1, 3));
	assert_int_equal(t.state, -1);
	assert_true(pr_thresh_feed(&t, 0, 1, 3));
	assert_int_equal(t.state, 0);
	assert_true(pr_thresh_feed(&t, 0, 1, 3)); /* still false: result updates */
	/* successThreshold 2: one success is not enough, a failure resets the run */
	assert_false(pr_thresh_feed(&t, 1, 2, 3));
	assert_int_equal(t.state, 0);
	assert_true(pr_thresh_feed(&t, 0, 2, 3)); /* same state as reported: adopted */
	assert_false(pr_thresh_feed(&t, 1, 2, 3));
	assert_true(pr_thresh_feed(&t, 1, 2, 3));
	assert_int_equal(t.state, 1);
	/* a single failure below the threshold changes nothing */
	assert_false(pr_thresh_feed(&t, 0, 2, 3));
	assert_false(pr_thresh_feed(&t, 0, 2, 3));
	assert_int_equal(t.state, 1);
	assert_true(pr_thresh_feed(&t, 1, 2, 3)); /* back: the run restarts */
	assert_false(pr_thresh_feed(&t, 0, 2, 3));
	assert_false(pr_thresh_feed(&t, 0, 2, 3));
	assert_true(pr_thresh_feed(&t, 0, 2, 3));
	assert_int_equal(t.state, 0);
	/* thresholds below 1 count as 1; the run counter does not grow without bound */
	pr_thresh_init(&t);
	assert_true(pr_thresh_feed(&t, 1, 0, 0));
	for (int i = 0; i < 1000; i++)
		pr_thresh_feed(&t, 1, 1, 1);
	assert_int_equal(t.run, 1);
}

/* --- /proc ------------------------------------------------------------------------------------ */

static const char status_text[] = "Name:\tgate.sh\nUmask:\t0027\nState:\tS (sleeping)\n"
				  "Tgid:\t42\nPid:\t42\nPPid:\t7\nTracerPid:\t0\n"
				  "Uid:\t1000\t1001\t1001\t1001\nGid:\t2000\t2001\t2001\t2001\n"
				  "FDSize:\t64\nGroups:\t4 24 27 \nCapInh:\t0000000000000000\n"
				  "CapPrm:\t0000000000000000\nCapEff:\t00000000a80425fb\n";

static void test_status(void **state)
{
	struct pr_status st;
	char many[2048];
	size_t o;

	(void)state;
	assert_int_equal(pr_status_parse(status_text, strlen(status_text), &st), 0);
	assert_int_equal(st.uid, 1001);
	assert_int_equal(st.gid, 2001);
	assert_int_equal(st.ppid, 7);
	assert_int_equal(st.n_groups, 3);
	assert_int_equal(st.groups[0], 4);
	assert_int_equal(st.groups[2], 27);
	assert_true(st.has_cap_eff);
	assert_true(st.cap_eff == 0xa80425fbULL);
	assert_true(st.has_umask);
	assert_int_equal(st.umask, 027);
	assert_int_equal(pr_status_parse("Uid:\t1\t1\t1\t1\n", 14, &st), -EINVAL); /* no Gid */
	assert_int_equal(pr_status_parse("PPid:\t1\nUid:\t1\nGid:\t1\t1\n", 24, &st), -EINVAL);
	assert_int_equal(pr_status_parse(NULL, 0, &st), -EINVAL);
	/* more groups than kept */
	o = (size_t)snprintf(many, sizeof(many),
			     "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
			     "Groups:\t");
	for (int i = 0; i < 100; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%d ", i);
	assert_int_equal(pr_status_parse(many, o, &st), 0);
	assert_int_equal(st.n_groups, PR_MAX_GROUPS);
	assert_true(st.groups_truncated);
	assert_false(st.has_cap_eff);
}

static void test_stat(void **state)
{
	const char *t = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 1 "
			"0 98765 1000 100\n";
	struct pr_stat st;

	(void)state;
	assert_int_equal(pr_stat_parse(t, strlen(t), &st), 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.pgrp, 1234);
	assert_int_equal(st.utime, 11);
	assert_int_equal(st.stime, 22);
	assert_int_equal(st.cutime, 33);
	assert_int_equal(st.cstime, 44);
	assert_int_equal(st.start, 98765);
	assert_int_equal(pr_stat_parse("1 (x) S 1", 9, &st), -EINVAL);
	assert_int_equal(pr_stat_parse("no parens", 9, &st), -EINVAL);
}

static void test_environ(void **state)
{
	static const char env[] = "PATH=/usr/bin:/bin\0OKG_CONTAINER_NAME=minecraft\0"
				  "NOEQUALS\0OKG_POD_UID=abc\0OKG_POD_UID2=zzz\0LAST=unterminated";
	size_t len = sizeof(env) - 1, vl;
	const char *v;
	char **vec;

	(void)state;
	assert_true(pr_environ_has(env, len, "OKG_CONTAINER_NAME", "minecraft"));
	assert_false(pr_environ_has(env, len, "OKG_CONTAINER_NAME", "minecraf"));
	assert_false(pr_environ_has(env, len, "OKG_CONTAINER_NAME", "minecraft2"));
	assert_true(pr_environ_has(env, len, "OKG_POD_UID", "abc"));
	assert_false(pr_environ_has(env, len, "OKG_POD", "abc"));
	assert_true(pr_environ_has(env, len, "LAST", "unterminated"));
	v = pr_environ_get(env, len, "PATH", &vl);
	assert_non_null(v);
	assert_int_equal(vl, 13);
	assert_memory_equal(v, "/usr/bin:/bin", 13);
	assert_null(pr_environ_get(env, len, "NOEQUALS", &vl));
	assert_null(pr_environ_get(NULL, 0, "PATH", &vl));
	assert_int_equal(pr_environ_vec(env, len, &vec), 0);
	assert_string_equal(vec[0], "PATH=/usr/bin:/bin");
	assert_string_equal(vec[1], "OKG_CONTAINER_NAME=minecraft");
	assert_string_equal(vec[2], "OKG_POD_UID=abc");
	assert_string_equal(vec[4], "LAST=unterminated");
	assert_null(vec[5]);
	free(vec);
	assert_int_equal(pr_environ_vec("", 0, &vec), 0);
	assert_null(vec[0]);
	free(vec);
}

static void test_read_file(void **state)
{
	char *b = NULL, small[8];
	size_t len;

	(void)state;
	assert_int_equal(pr_read_file("/proc/self/status", 1 << 20, &b, &len), 0);
	assert_non_null(strstr(b, "Uid:"));
	assert_int_equal(strlen(b), len);
	free(b);
	assert_int_equal(pr_read_file("/proc/self/status", 5, &b, &len), 0);
	assert_int_equal(len, 5);
	free(b);
	assert_int_equal(pr_read_file("/nonexistent", 10, &b, &len), -ENOENT);
	assert_null(b);
	assert_int_equal(pr_read_small("/proc/self/status", small, sizeof(small)), 7);
	assert_int_equal(pr_read_small("/nonexistent", small, sizeof(small)), -ENOENT);
}

/* --- the report --------------------------------------------------------------------------------
 */

static void test_report(void **state)
{
	const struct pr_report_meta m = {"default", "minecraft-0", "uid-1"};
	const struct pr_report_item items[] = {
	    {.name = "healthy",
	     .state = 1,
	     .result = "gate",
	     .message = "",
	     .probe_time = "2026-01-02T03:04:05Z",
	     .has_exit_code = true,
	     .exit_code = 0},
	    {.name = "idle", .state = -1, .result = "", .message = "failure 1 of 3: \"q\"\n"},
	    {.name = "http_probe-0",
	     .state = 0,
	     .result = "None",
	     .message = NULL,
	     .probe_time = "2026-01-02T03:04:06Z",
	     .ops_state = "None"},
	};
	char *json;
	size_t len;
	cJSON *root, *r0, *r1, *r2;

	(void)state;
	assert_int_equal(pr_report_build(&m, 7, items, 3, &json, &len), 0);
	assert_int_equal(strlen(json), len);
	assert_string_equal(
	    json,
	    "{\"namespace\":\"default\",\"pod\":\"minecraft-0\",\"podUID\":\"uid-1\",\"seq\":7,"
	    "\"results\":[{\"name\":\"healthy\",\"state\":true,\"result\":\"gate\",\"probeTime\":"
	    "\"2026-01-02T03:04:05Z\",\"exitCode\":0,\"message\":\"\"},{\"name\":\"idle\","
	    "\"state\":null,\"result\":\"\",\"probeTime\":null,\"message\":\"failure 1 of 3: "
	    "\\\"q\\\"\\n\"},{\"name\":\"http_probe-0\",\"state\":false,\"result\":\"None\","
	    "\"probeTime\":\"2026-01-02T03:04:06Z\",\"message\":\"\",\"opsState\":\"None\"}]}");
	root = cJSON_Parse(json);
	assert_non_null(root);
	r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "results"), 0);
	r1 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "results"), 1);
	r2 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "results"), 2);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r0, "state")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r1, "state")));
	assert_null(cJSON_GetObjectItem(r1, "exitCode"));
	assert_string_equal(cJSON_GetObjectItem(r2, "opsState")->valuestring, "None");
	cJSON_Delete(root);
	free(json);
	assert_int_equal(pr_report_build(&m, 1, NULL, 0, &json, &len), 0);
	assert_non_null(strstr(json, "\"results\":[]"));
	free(json);
}

static void test_rfc3339(void **state)
{
	char t[32];

	(void)state;
	pr_rfc3339(0, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	pr_rfc3339(1767323045, t, sizeof(t));
	assert_string_equal(t, "2026-01-02T03:04:05Z");
}

/* --- HTTP ------------------------------------------------------------------------------------- */

static void test_url(void **state)
{
	struct pr_url u;
	char err[128], hp[300];

	(void)state;
	assert_int_equal(pr_url_parse("http://okg-controller.okg-system.svc:8081/v1/probe-results",
				      &u, err, sizeof(err)),
			 0);
	assert_false(u.https);
	assert_false(u.host_is_ip);
	assert_string_equal(u.host, "okg-controller.okg-system.svc");
	assert_string_equal(u.port, "8081");
	assert_string_equal(u.path, "/v1/probe-results");
	assert_int_equal(pr_url_parse("HTTPS://10.0.0.1?a=b#frag", &u, err, sizeof(err)), 0);
	assert_true(u.https);
	assert_true(u.host_is_ip);
	assert_string_equal(u.port, "443");
	assert_string_equal(u.path, "/?a=b");
	assert_int_equal(pr_url_parse("http://[fd00::1]:8080/x", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "fd00::1");
	assert_true(u.host_is_ip);
	pr_url_hostport(&u, hp, sizeof(hp));
	assert_string_equal(hp, "[fd00::1]:8080");
	assert_int_equal(pr_url_parse("http://localhost:08080", &u, err, sizeof(err)), 0);
	assert_string_equal(u.port, "8080");
	assert_string_equal(u.path, "/");

	assert_int_equal(pr_url_parse("ftp://x/", &u, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "must be an http:// or https:// URL");
	assert_int_equal(pr_url_parse("http://a b/", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(pr_url_parse("http://u:p@h/", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(pr_url_parse("http://h:0/", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(pr_url_parse("http://h:65536/", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(pr_url_parse("http://h:x/", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(pr_url_parse("http:///x", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(pr_url_parse("http://[fd00::1/", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(pr_url_parse("http://[name]/", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(pr_url_parse(NULL, &u, err, sizeof(err)), -EINVAL);
}

static void test_head(void **state)
{
	struct pr_http_head h;
	const char *t;

	(void)state;
	t = "HTTP/1.1 204 No Content\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(pr_http_parse_head(t, strlen(t), &h), 0);
	assert_int_equal(h.status, 204);
	assert_int_equal(h.retry_after_s, 7);
	assert_true(h.has_length);
	assert_int_equal(h.length, 0);
	t = "HTTP/1.0 503 Service Unavailable\nretry-after: Wed, 21 Oct 2015 07:28:00 GMT\n"
	    "transfer-encoding: gzip, chunked\ncontent-length: 5\n\n";
	assert_int_equal(pr_http_parse_head(t, strlen(t), &h), 0);
	assert_int_equal(h.status, 503);
	assert_int_equal(h.retry_after_s, 1);
	assert_true(h.chunked);
	assert_false(h.has_length);
	t = "HTTP/1.1 200\r\n\r\n";
	assert_int_equal(pr_http_parse_head(t, strlen(t), &h), 0);
	assert_int_equal(h.status, 200);
	t = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n";
	assert_int_equal(pr_http_parse_head(t, strlen(t), &h), -EINVAL);
	t = "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n";
	assert_int_equal(pr_http_parse_head(t, strlen(t), &h), -EINVAL);
	t = "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n";
	assert_int_equal(pr_http_parse_head(t, strlen(t), &h), -EINVAL);
	t = "HTTP/2 200\r\n\r\n";
	assert_int_equal(pr_http_parse_head(t, strlen(t), &h), -EINVAL);
	t = "HTTP/1.1 20x OK\r\n\r\n";
	assert_int_equal(pr_http_parse_head(t, strlen(t), &h), -EINVAL);
	assert_int_equal(pr_http_retry_after("120", 3), 120);
	assert_int_equal(pr_http_retry_after("99999999999", 11), 3600);
	assert_int_equal(pr_http_retry_after("  ", 2), 0);
}

static void test_chunked(void **state)
{
	const char *t = "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n"
			"Trailer: x\r\n\r\nIGNORED";
	char out[128];
	struct pr_chunked c;
	size_t o = 0;

	(void)state;
	/* byte by byte */
	pr_chunked_init(&c);
	for (size_t i = 0; t[i]; i++) {
		ssize_t n = pr_chunked_feed(&c, t + i, 1, out + o);

		assert_true(n >= 0);
		o += (size_t)n;
	}
	assert_true(c.done);
	out[o] = '\0';
	assert_string_equal(out, "Wikipedia in\r\n\r\nchunks.");
	/* all at once, in place */
	{
		char buf[128];
		ssize_t n;

		snprintf(buf, sizeof(buf), "%s", t);
		pr_chunked_init(&c);
		n = pr_chunked_feed(&c, buf, strlen(buf), buf);
		assert_int_equal(n, 23);
		assert_memory_equal(buf, "Wikipedia in\r\n\r\nchunks.", 23);
	}
	pr_chunked_init(&c);
	assert_int_equal(pr_chunked_feed(&c, "zz\r\n", 4, out), -EINVAL);
	pr_chunked_init(&c);
	assert_int_equal(pr_chunked_feed(&c, "1\r\nab", 5, out), -EINVAL);
	pr_chunked_init(&c);
	assert_int_equal(pr_chunked_feed(&c, "ffffffffffffffff\r\n", 18, out), -EINVAL);
}

static void test_json_path(void **state)
{
	const char *d = "{\"game\":{\"phase\":\"idle\",\"players\":3,\"list\":[{\"a\":\"x\"},true],"
			"\"n\":null,\"dot.key\":\"d\"}}";
	char out[128];

	(void)state;
	assert_int_equal(pr_json_path(d, strlen(d), "game.phase", out, sizeof(out)), 0);
	assert_string_equal(out, "idle");
	assert_int_equal(pr_json_path(d, strlen(d), "game.players", out, sizeof(out)), 0);
	assert_string_equal(out, "3");
	assert_int_equal(pr_json_path(d, strlen(d), "game.list.0.a", out, sizeof(out)), 0);
	assert_string_equal(out, "x");
	assert_int_equal(pr_json_path(d, strlen(d), "game.list.1", out, sizeof(out)), 0);
	assert_string_equal(out, "true");
	assert_int_equal(pr_json_path(d, strlen(d), "game.list", out, sizeof(out)), 0);
	assert_string_equal(out, "[{\"a\":\"x\"},true]");
	assert_int_equal(pr_json_path(d, strlen(d), "game.dot\\.key", out, sizeof(out)), 0);
	assert_string_equal(out, "d");
	assert_int_equal(pr_json_path(d, strlen(d), "game.n", out, sizeof(out)), -ENOENT);
	assert_int_equal(pr_json_path(d, strlen(d), "game.missing", out, sizeof(out)), -ENOENT);
	assert_int_equal(pr_json_path(d, strlen(d), "game.list.7", out, sizeof(out)), -ENOENT);
	assert_int_equal(pr_json_path(d, strlen(d), "game.phase.x", out, sizeof(out)), -ENOENT);
	assert_int_equal(pr_json_path("idle", 4, "a", out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trim),       cmocka_unit_test(test_truncate),
	    cmocka_unit_test(test_thresholds), cmocka_unit_test(test_status),
	    cmocka_unit_test(test_stat),       cmocka_unit_test(test_environ),
	    cmocka_unit_test(test_read_file),  cmocka_unit_test(test_report),
	    cmocka_unit_test(test_rfc3339),    cmocka_unit_test(test_url),
	    cmocka_unit_test(test_head),       cmocka_unit_test(test_chunked),
	    cmocka_unit_test(test_json_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
