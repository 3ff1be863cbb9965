/* Unit tests for lib/watchframe.c (framing of a Kubernetes watch stream). */
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
#include "lib/watchframe.h"

#define MAX_LINE (64u * 1024u)

/* Records every event as "TYPE <compact JSON>\n" so sequences compare as strings. */
struct rec {
	struct buf log;
	size_t n;
	size_t stop_at; /* 1-based event number whose callback returns stop_ret; 0 = never */
	int stop_ret;
	int types[5];
};

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->log, 1u << 22);
}

static void rec_free(struct rec *r)
{
	buf_free(&r->log);
}

static const char *rec_text(const struct rec *r)
{
	return r->log.data ? r->log.data : "";
}

static int on_event(void *ud, enum wf_type type, cJSON *object)
{
	struct rec *r = ud;
	char *s;

	assert_non_null(object);
	assert_true(cJSON_IsObject(object));
	assert_true((int)type >= WF_ADDED && type <= WF_ERROR);
	s = cJSON_PrintUnformatted(object);
	assert_non_null(s);
	assert_int_equal(buf_printf(&r->log, "%s %s\n", wf_type_name(type), s), 0);
	cJSON_free(s);
	r->types[type]++;
	r->n++;
	if (r->stop_at && r->n == r->stop_at)
		return r->stop_ret;
	return 0;
}

/* xorshift64*, so the random splits are the same on every run. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Feeds s split at the given sorted cut points, then finishes. Returns the first non-zero
 * result, or that of wf_finish(). */
static int feed_cuts(const char *s, size_t len, const size_t *cuts, size_t ncuts, size_t max_line,
		     struct rec *r, char *err, size_t errlen)
{
	struct wf w;
	size_t pos = 0, n0 = r->n;
	int ret = 0;

	wf_init(&w, max_line);
	for (size_t i = 0; i <= ncuts && ret == 0; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		ret = wf_feed(&w, s + pos, end - pos, on_event, r);
		pos = end;
	}
	if (ret == 0)
		ret = wf_finish(&w, on_event, r);
	assert_int_equal(w.events, r->n - n0);
	if (err)
		snprintf(err, errlen, "%s", w.err);
	wf_free(&w);
	return ret;
}

static int feed_whole(const char *s, size_t len, size_t max_line, struct rec *r)
{
	return feed_cuts(s, len, NULL, 0, max_line, r, NULL, 0);
}

static int feed_bytes(const char *s, size_t len, size_t max_line, struct rec *r)
{
	size_t *cuts = calloc(len ? len : 1, sizeof(*cuts));
	size_t n = 0;
	int ret;

	assert_non_null(cuts);
	for (size_t i = 1; i < len; i++)
		cuts[n++] = i;
	ret = feed_cuts(s, len, cuts, n, max_line, r, NULL, 0);
	free(cuts);
	return ret;
}

static int feed_random(const char *s, size_t len, size_t max_line, uint64_t seed, size_t ncuts,
		       struct rec *r)
{
	size_t *cuts = calloc(ncuts ? ncuts : 1, sizeof(*cuts));
	uint64_t st = seed * 0x9E3779B97F4A7C15ULL + 1;
	int ret;

	assert_non_null(cuts);
	for (size_t i = 0; i < ncuts; i++)
		cuts[i] = len ? (size_t)(rnd(&st) % (len + 1)) : 0; /* empty slices allowed */
	qsort(cuts, ncuts, sizeof(*cuts), cmp_size);
	ret = feed_cuts(s, len, cuts, ncuts, max_line, r, NULL, 0);
	free(cuts);
	return ret;
}

static const char *const events[] = {
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}}\n",
    "\n",
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\"},\"spec\":{\"x\":[1,2,3]}}}"
    "\r\n",
    "   \t\n",
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n",
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"77\"}}"
    "}"
    "\n",
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,\"message\":\"oops \\n\"}}\n",
    "  { \"object\" : { \"s\" : \"caf\xc3\xa9 \xe2\x9c\x93 a\\nb\\u0000c\" } , \"type\" : "
    "\"ADDED\" }  "
    "\r\n",
    "\r\n",
    "{\"type\":\"MODIFIED\",\"object\":{\"deep\":{\"a\":{\"b\":{\"c\":[{},{\"d\":null}]}}}}}\n",
};

/* A stream of n_rounds copies of events[], in a new buffer. */
static char *make_stream(int n_rounds, size_t *len)
{
	struct buf b;

	buf_init(&b, 1u << 22);
	for (int i = 0; i < n_rounds; i++)
		for (size_t k = 0; k < sizeof(events) / sizeof(events[0]); k++)
			assert_int_equal(buf_append_str(&b, events[k]), 0);
	*len = b.len;
	return buf_steal(&b);
}

static void test_every_type(void **state)
{
	struct rec r;
	size_t len;
	char *s = make_stream(1, &len);

	(void)state;
	rec_init(&r);
	assert_int_equal(feed_whole(s, len, MAX_LINE, &r), 0);
	assert_int_equal(r.n, 7);
	assert_int_equal(r.types[WF_ADDED], 2);
	assert_int_equal(r.types[WF_MODIFIED], 2);
	assert_int_equal(r.types[WF_DELETED], 1);
	assert_int_equal(r.types[WF_BOOKMARK], 1);
	assert_int_equal(r.types[WF_ERROR], 1);
	assert_string_equal(
	    rec_text(&r), "ADDED {\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}\n"
			  "MODIFIED {\"metadata\":{\"name\":\"a\"},\"spec\":{\"x\":[1,2,3]}}\n"
			  "DELETED {\"metadata\":{\"name\":\"a\"}}\n"
			  "BOOKMARK {\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"77\"}}\n"
			  "ERROR {\"kind\":\"Status\",\"code\":500,\"message\":\"oops \\n\"}\n"
			  "ADDED {\"s\":\"caf\xc3\xa9 \xe2\x9c\x93 a\\nb\"}\n"
			  "MODIFIED {\"deep\":{\"a\":{\"b\":{\"c\":[{},{\"d\":null}]}}}}\n");
	rec_free(&r);
	free(s);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(wf_type_name(WF_ADDED), "ADDED");
	assert_string_equal(wf_type_name(WF_MODIFIED), "MODIFIED");
	assert_string_equal(wf_type_name(WF_DELETED), "DELETED");
	assert_string_equal(wf_type_name(WF_BOOKMARK), "BOOKMARK");
	assert_string_equal(wf_type_name(WF_ERROR), "ERROR");
	assert_string_equal(wf_type_name((enum wf_type)5), "UNKNOWN");
	assert_string_equal(wf_type_name((enum wf_type) - 1), "UNKNOWN");
}

static void test_splits_identical(void **state)
{
	struct rec whole, bytes;
	size_t len;
	char *s = make_stream(4, &len);

	(void)state;
	assert_true(len > 400);
	rec_init(&whole);
	rec_init(&bytes);
	assert_int_equal(feed_whole(s, len, MAX_LINE, &whole), 0);
	assert_int_equal(whole.n, 28);
	assert_int_equal(feed_bytes(s, len, MAX_LINE, &bytes), 0);
	assert_string_equal(rec_text(&whole), rec_text(&bytes));
	for (uint64_t seed = 1; seed <= 30; seed++) {
		struct rec rr;

		rec_init(&rr);
		assert_int_equal(feed_random(s, len, MAX_LINE, seed, 200, &rr), 0);
		assert_int_equal(rr.n, whole.n);
		assert_string_equal(rec_text(&whole), rec_text(&rr));
		rec_free(&rr);
	}
	rec_free(&whole);
	rec_free(&bytes);
	free(s);
}

/* A stream with an error in the middle stops at the same event whatever the split. */
static void test_splits_identical_on_error(void **state)
{
	const char *bad = "{\"type\":\"ADDED\",\"object\":{\"a\":1}}\n"
			  "{\"type\":\"DELETED\",\"object\":{\"a\":2}}\r\n"
			  "{\"type\":\"ADDED\",\"object\":{\"a\":3}\n"
			  "{\"type\":\"ADDED\",\"object\":{\"a\":4}}\n";
	size_t len = strlen(bad);
	struct rec whole, bytes;

	(void)state;
	rec_init(&whole);
	rec_init(&bytes);
	assert_int_equal(feed_whole(bad, len, MAX_LINE, &whole), -EBADMSG);
	assert_int_equal(feed_bytes(bad, len, MAX_LINE, &bytes), -EBADMSG);
	assert_int_equal(whole.n, 2);
	assert_string_equal(rec_text(&whole), rec_text(&bytes));
	for (uint64_t seed = 100; seed < 120; seed++) {
		struct rec rr;

		rec_init(&rr);
		assert_int_equal(feed_random(bad, len, MAX_LINE, seed, 200, &rr), -EBADMSG);
		assert_string_equal(rec_text(&whole), rec_text(&rr));
		rec_free(&rr);
	}
	rec_free(&whole);
	rec_free(&bytes);
}

static void test_blank_lines_and_crlf(void **state)
{
	const char *s = "\n\r\n \r\n\t\n"
			"{\"type\":\"ADDED\",\"object\":{}}\r\n"
			"\r\n\r\n"
			"{\"type\":\"DELETED\",\"object\":{}}\n"
			"\n";
	struct rec r, rb;

	(void)state;
	rec_init(&r);
	rec_init(&rb);
	assert_int_equal(feed_whole(s, strlen(s), MAX_LINE, &r), 0);
	assert_string_equal(rec_text(&r), "ADDED {}\nDELETED {}\n");
	assert_int_equal(feed_bytes(s, strlen(s), MAX_LINE, &rb), 0);
	assert_string_equal(rec_text(&rb), "ADDED {}\nDELETED {}\n");
	rec_free(&r);
	rec_free(&rb);
	/* only blank lines, and nothing at all */
	rec_init(&r);
	assert_int_equal(feed_whole("\n\n\r\n  ", 6, MAX_LINE, &r), 0);
	assert_int_equal(feed_whole("", 0, MAX_LINE, &r), 0);
	assert_int_equal(r.n, 0);
	rec_free(&r);
}

static int feed_str(struct wf *w, const char *s, wf_event_fn fn, void *ud)
{
	return wf_feed(w, s, strlen(s), fn, ud);
}

/* Feeds s whole and byte by byte; both must fail with want and an error message. */
static void expect_fail(const char *s, int want, size_t max_line, const char *err_has)
{
	size_t len = strlen(s);
	struct rec r;
	struct wf w;
	int ret;

	rec_init(&r);
	wf_init(&w, max_line);
	ret = wf_feed(&w, s, len, on_event, &r);
	if (ret != want)
		fail_msg("whole feed of %s: %d, want %d (err \"%s\")", s, ret, want, w.err);
	if (!w.err[0] || (err_has && !strstr(w.err, err_has)))
		fail_msg("whole feed of %s: err \"%s\" lacks \"%s\"", s, w.err,
			 err_has ? err_has : "");
	assert_int_equal(r.n, 0);
	wf_free(&w);

	wf_init(&w, max_line);
	ret = 0;
	for (size_t i = 0; i < len && ret == 0; i++)
		ret = wf_feed(&w, s + i, 1, on_event, &r);
	if (ret != want)
		fail_msg("bytewise feed of %s: %d, want %d (err \"%s\")", s, ret, want, w.err);
	if (!w.err[0] || (err_has && !strstr(w.err, err_has)))
		fail_msg("bytewise feed of %s: err \"%s\" lacks \"%s\"", s, w.err,
			 err_has ? err_has : "");
	assert_int_equal(r.n, 0);
	wf_free(&w);
	rec_free(&r);
}

static void test_invalid_json(void **state)
{
	(void)state;
	expect_fail("{\"type\":\"ADDED\",\"object\":{}\n", -EBADMSG, MAX_LINE, "JSON");
	expect_fail("not json at all\n", -EBADMSG, MAX_LINE, "JSON");
	expect_fail("{\"type\":\"ADDED\",\"object\":{}}}\n", -EBADMSG, MAX_LINE, NULL);
	expect_fail("{\"type\":\"ADDED\",\"object\":{}} {}\n", -EBADMSG, MAX_LINE, "trailing");
	expect_fail("{\"type\":\"ADDED\",\"object\":{}}x\r\n", -EBADMSG, MAX_LINE, NULL);
	expect_fail("{\"type\":\"ADDED\",\"object\":{\"a\":\"\xff\"}\n", -EBADMSG, MAX_LINE, NULL);
	expect_fail("\x01\x02\n", -EBADMSG, MAX_LINE, NULL);
}

static void test_unknown_type(void **state)
{
	(void)state;
	expect_fail("{\"type\":\"UPSERTED\",\"object\":{}}\n", -EBADMSG, MAX_LINE, "type");
	expect_fail("{\"type\":\"added\",\"object\":{}}\n", -EBADMSG, MAX_LINE, "type");
	expect_fail("{\"type\":\"\",\"object\":{}}\n", -EBADMSG, MAX_LINE, "type");
	expect_fail("{\"type\":1,\"object\":{}}\n", -EBADMSG, MAX_LINE, "type");
	expect_fail("{\"object\":{}}\n", -EBADMSG, MAX_LINE, "type");
	expect_fail("[\"ADDED\",{}]\n", -EBADMSG, MAX_LINE, NULL);
	expect_fail("\"ADDED\"\n", -EBADMSG, MAX_LINE, NULL);
	expect_fail("{\"Type\":\"ADDED\",\"object\":{}}\n", -EBADMSG, MAX_LINE, "type");
}

static void test_object_not_object(void **state)
{
	(void)state;
	expect_fail("{\"type\":\"ADDED\",\"object\":[]}\n", -EBADMSG, MAX_LINE, "object");
	expect_fail("{\"type\":\"ADDED\",\"object\":\"pod\"}\n", -EBADMSG, MAX_LINE, "object");
	expect_fail("{\"type\":\"DELETED\",\"object\":null}\n", -EBADMSG, MAX_LINE, "object");
	expect_fail("{\"type\":\"ERROR\",\"object\":410}\n", -EBADMSG, MAX_LINE, "object");
	expect_fail("{\"type\":\"BOOKMARK\"}\n", -EBADMSG, MAX_LINE, "object");
}

static void test_err_counts_events(void **state)
{
	const char *s = "{\"type\":\"ADDED\",\"object\":{}}\n"
			"{\"type\":\"ADDED\",\"object\":{}}\n"
			"{\"type\":\"NOPE\",\"object\":{}}\n";
	struct rec r;
	struct wf w;

	(void)state;
	rec_init(&r);
	wf_init(&w, MAX_LINE);
	assert_int_equal(wf_feed(&w, s, strlen(s), on_event, &r), -EBADMSG);
	assert_int_equal(w.events, 2);
	assert_non_null(strstr(w.err, "event 3"));
	wf_free(&w);
	rec_free(&r);
}

/* An event line of exactly len bytes before its "\n". */
static char *line_of(size_t len)
{
	const char *head = "{\"type\":\"ADDED\",\"object\":{\"pad\":\"";
	const char *tail = "\"}}";
	size_t h = strlen(head), t = strlen(tail);
	char *s;

	assert_true(len > h + t);
	s = malloc(len + 2);
	assert_non_null(s);
	memcpy(s, head, h);
	memset(s + h, 'p', len - h - t);
	memcpy(s + len - t, tail, t);
	s[len] = '\n';
	s[len + 1] = '\0';
	return s;
}

static void test_line_cap(void **state)
{
	const size_t cap = 300;
	char *at = line_of(cap), *over = line_of(cap + 1);
	struct rec r;

	(void)state;
	/* exactly at the cap is accepted, however it arrives */
	rec_init(&r);
	assert_int_equal(feed_whole(at, strlen(at), cap, &r), 0);
	assert_int_equal(feed_bytes(at, strlen(at), cap, &r), 0);
	assert_int_equal(feed_random(at, strlen(at), cap, 9, 20, &r), 0);
	assert_int_equal(r.n, 3);
	rec_free(&r);
	/* one byte more is refused, however it arrives (a whole line in one slice included) */
	expect_fail(over, -E2BIG, cap, "longer than 300");
	rec_init(&r);
	assert_int_equal(feed_random(over, strlen(over), cap, 9, 20, &r), -E2BIG);
	assert_int_equal(r.n, 0);
	rec_free(&r);
	free(at);
	free(over);
}

static void test_line_cap_partial(void **state)
{
	char *over = line_of(1000);
	struct rec r;
	struct wf w;

	(void)state;
	/* an oversized line still incomplete (no newline yet) is refused at once */
	rec_init(&r);
	wf_init(&w, 100);
	assert_int_equal(wf_feed(&w, over, 500, on_event, &r), -E2BIG);
	assert_non_null(strstr(w.err, "longer than 100"));
	assert_int_equal(r.n, 0);
	wf_free(&w);
	/* and when it crosses the cap over several slices */
	wf_init(&w, 100);
	assert_int_equal(wf_feed(&w, over, 60, on_event, &r), 0);
	assert_int_equal(wf_feed(&w, over + 60, 60, on_event, &r), -E2BIG);
	wf_free(&w);
	rec_free(&r);
	free(over);
}

static void test_callback_stops(void **state)
{
	const char *s = "{\"type\":\"ADDED\",\"object\":{\"n\":1}}\n"
			"{\"type\":\"ADDED\",\"object\":{\"n\":2}}\n"
			"{\"type\":\"ADDED\",\"object\":{\"n\":3}}\n";
	const int rets[] = {7, -42, 1};

	(void)state;
	for (size_t i = 0; i < sizeof(rets) / sizeof(rets[0]); i++) {
		struct rec r;
		struct wf w;

		rec_init(&r);
		r.stop_at = 2;
		r.stop_ret = rets[i];
		wf_init(&w, MAX_LINE);
		assert_int_equal(wf_feed(&w, s, strlen(s), on_event, &r), rets[i]);
		assert_int_equal(r.n, 2);
		assert_string_equal(rec_text(&r), "ADDED {\"n\":1}\nADDED {\"n\":2}\n");
		wf_free(&w);
		rec_free(&r);

		/* the same when the stopping event was assembled from pieces */
		rec_init(&r);
		r.stop_at = 2;
		r.stop_ret = rets[i];
		assert_int_equal(feed_bytes(s, strlen(s), MAX_LINE, &r), rets[i]);
		assert_int_equal(r.n, 2);
		rec_free(&r);
	}
}

static void test_finish_complete_event(void **state)
{
	const char *s = "{\"type\":\"ADDED\",\"object\":{\"n\":1}}\n"
			"{\"type\":\"DELETED\",\"object\":{\"n\":2}}";
	struct rec r;
	struct wf w;

	(void)state;
	rec_init(&r);
	wf_init(&w, MAX_LINE);
	assert_int_equal(wf_feed(&w, s, strlen(s), on_event, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(wf_finish(&w, on_event, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(w.events, 2);
	assert_string_equal(rec_text(&r), "ADDED {\"n\":1}\nDELETED {\"n\":2}\n");
	/* finishing again delivers nothing more */
	assert_int_equal(wf_finish(&w, on_event, &r), 0);
	assert_int_equal(r.n, 2);
	wf_free(&w);

	/* trailing \r and spaces without a newline are fine */
	wf_init(&w, MAX_LINE);
	assert_int_equal(feed_str(&w, "{\"type\":\"ADDED\",\"object\":{}} \r", on_event, &r), 0);
	assert_int_equal(wf_finish(&w, on_event, &r), 0);
	assert_int_equal(r.n, 3);
	wf_free(&w);

	/* only whitespace left over */
	wf_init(&w, MAX_LINE);
	assert_int_equal(feed_str(&w, "  \r", on_event, &r), 0);
	assert_int_equal(wf_finish(&w, on_event, &r), 0);
	assert_int_equal(r.n, 3);
	wf_free(&w);

	/* the callback's value comes back from wf_finish too */
	r.stop_at = 4;
	r.stop_ret = 5;
	wf_init(&w, MAX_LINE);
	assert_int_equal(feed_str(&w, "{\"type\":\"ADDED\",\"object\":{}}", on_event, &r), 0);
	assert_int_equal(wf_finish(&w, on_event, &r), 5);
	wf_free(&w);
	rec_free(&r);
}

static void test_finish_cut_event(void **state)
{
	const char *s = "{\"type\":\"ADDED\",\"object\":{\"n\":1}}\n"
			"{\"type\":\"DELETED\",\"obj";
	struct rec r;
	struct wf w;

	(void)state;
	rec_init(&r);
	wf_init(&w, MAX_LINE);
	assert_int_equal(wf_feed(&w, s, strlen(s), on_event, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(wf_finish(&w, on_event, &r), -EBADMSG);
	assert_true(w.err[0] != '\0');
	assert_non_null(strstr(w.err, "ended"));
	assert_int_equal(r.n, 1);
	/* the partial line is gone after finish */
	assert_int_equal(w.line.len, 0);
	assert_int_equal(wf_finish(&w, on_event, &r), 0);
	wf_free(&w);

	/* a complete JSON value that is not an event is also reported */
	wf_init(&w, MAX_LINE);
	assert_int_equal(feed_str(&w, "{\"type\":\"ADDED\"}", on_event, &r), 0);
	assert_int_equal(wf_finish(&w, on_event, &r), -EBADMSG);
	assert_true(w.err[0] != '\0');
	wf_free(&w);
	rec_free(&r);
}

static void test_feed_empty_and_reuse(void **state)
{
	struct rec r;
	struct wf w;

	(void)state;
	rec_init(&r);
	wf_init(&w, MAX_LINE);
	assert_int_equal(feed_str(&w, "", on_event, &r), 0);
	assert_int_equal(feed_str(&w, "{\"type\":\"ADD", on_event, &r), 0);
	assert_int_equal(feed_str(&w, "", on_event, &r), 0);
	assert_int_equal(feed_str(&w, "ED\",\"object\":{}}", on_event, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(feed_str(&w, "\n", on_event, &r), 0);
	assert_int_equal(r.n, 1);
	/* a line spanning slices, then a line inside one slice (the fast path) */
	assert_int_equal(
	    feed_str(&w, "{\"type\":\"ERROR\",\"object\":{}}\n{\"type\"", on_event, &r), 0);
	assert_int_equal(feed_str(&w, ":\"BOOKMARK\",\"object\":{}}\n", on_event, &r), 0);
	assert_string_equal(rec_text(&r), "ADDED {}\nERROR {}\nBOOKMARK {}\n");
	wf_free(&w);
	wf_free(&w); /* twice is harmless */
	wf_free(NULL);
	rec_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_type),
	    cmocka_unit_test(test_type_names),
	    cmocka_unit_test(test_splits_identical),
	    cmocka_unit_test(test_splits_identical_on_error),
	    cmocka_unit_test(test_blank_lines_and_crlf),
	    cmocka_unit_test(test_invalid_json),
	    cmocka_unit_test(test_unknown_type),
	    cmocka_unit_test(test_object_not_object),
	    cmocka_unit_test(test_err_counts_events),
	    cmocka_unit_test(test_line_cap),
	    cmocka_unit_test(test_line_cap_partial),
	    cmocka_unit_test(test_callback_stops),
	    cmocka_unit_test(test_finish_complete_event),
	    cmocka_unit_test(test_finish_cut_event),
	    cmocka_unit_test(test_feed_empty_and_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
