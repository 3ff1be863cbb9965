/* Unit tests for controller/queue.c: the controller's work queue.
 *
 * Timing tests use delays of tens to hundreds of milliseconds and check lower bounds exactly (a
 * key is never early) and upper bounds with slack for a loaded machine. A key that must NOT be
 * handed out is checked with a getter thread that must still be blocked after a while; such a
 * getter is released either by the key arriving or by wq_shutdown(). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "controller/queue.h"

/* Slack for upper bounds: scheduling latency, sanitizers, a busy CI machine. */
#define SLACK_MS 150.0

/* ---- helpers ------------------------------------------------------------------------------ */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct wq *new_queue(unsigned base_ms, unsigned cap_ms)
{
	struct wq *q = (struct wq *)0x1;

	assert_int_equal(wq_new(base_ms, cap_ms, &q), 0);
	assert_non_null(q);
	return q;
}

/* Gets a key that must be available now (or within SLACK_MS) and checks it. */
static void get_expect(struct wq *q, const char *want)
{
	char *key = NULL;
	double t0 = now_ms();

	assert_int_equal(wq_get(q, &key), 0);
	assert_non_null(key);
	assert_string_equal(key, want);
	assert_true(now_ms() - t0 < SLACK_MS);
	free(key);
}

/* Gets a key, measuring how long it took (ms). */
static double get_timed(struct wq *q, const char *want)
{
	char *key = NULL;
	double t0 = now_ms();

	assert_int_equal(wq_get(q, &key), 0);
	assert_string_equal(key, want);
	free(key);
	return now_ms() - t0;
}

/* A thread blocked in wq_get. */
struct getter {
	pthread_t th;
	struct wq *q;
	atomic_int done;
	int rc;
	char *key;
};

static void *getter_main(void *arg)
{
	struct getter *g = arg;

	g->rc = wq_get(g->q, &g->key);
	atomic_store(&g->done, 1);
	return NULL;
}

static void getter_start(struct getter *g, struct wq *q)
{
	memset(g, 0, sizeof(*g));
	g->q = q;
	atomic_init(&g->done, 0);
	assert_int_equal(pthread_create(&g->th, NULL, getter_main, g), 0);
}

/* Whether the getter returned within ms. */
static bool getter_wait(struct getter *g, unsigned ms)
{
	double end = now_ms() + ms;

	while (!atomic_load(&g->done)) {
		if (now_ms() > end)
			return false;
		sleep_ms(2);
	}
	return true;
}

static void getter_join(struct getter *g)
{
	assert_int_equal(pthread_join(g->th, NULL), 0);
}

/* Checks that no key is ready: a getter stays blocked for ms; the queue is then shut down. */
static void assert_empty_then_shutdown(struct wq *q, unsigned ms)
{
	struct getter g;

	getter_start(&g, q);
	if (getter_wait(&g, ms))
		fail_msg("wq_get returned %d with key %s; expected it to block", g.rc,
			 g.key ? g.key : "(null)");
	wq_shutdown(q);
	assert_true(getter_wait(&g, 1000));
	getter_join(&g);
	assert_int_equal(g.rc, -ECANCELED);
	assert_null(g.key);
}

/* ---- basics ------------------------------------------------------------------------------- */

static void test_new_free(void **state)
{
	struct wq *q = new_queue(0, 0); /* defaults */

	(void)state;
	assert_int_equal(wq_len(q), 0);
	wq_free(q);
	wq_free(NULL);
	/* Freed with keys queued, delayed and failed: nothing leaks (ASan). */
	q = new_queue(10, 100);
	wq_add(q, "ns/a");
	wq_add_after(q, "ns/b", 5000);
	wq_add(q, "ns/c");
	get_expect(q, "ns/a");
	wq_done(q, "ns/a", 0);
	wq_free(q);
}

static void test_fifo(void **state)
{
	struct wq *q = new_queue(10, 100);
	char name[32];

	(void)state;
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "ns/k%d", i);
		wq_add(q, name);
	}
	assert_int_equal(wq_len(q), 20);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "ns/k%d", i);
		get_expect(q, name);
		wq_done(q, name, 1);
		assert_int_equal(wq_len(q), (size_t)(19 - i));
	}
	assert_empty_then_shutdown(q, 50);
	wq_free(q);
}

static void test_key_is_copied(void **state)
{
	struct wq *q = new_queue(10, 100);
	char name[16] = "ns/orig";
	char *key = NULL;

	(void)state;
	wq_add(q, name);
	memcpy(name, "ns/XXXX", 8);
	assert_int_equal(wq_get(q, &key), 0);
	assert_string_equal(key, "ns/orig");
	/* wq_done finds the key by value, not by pointer. */
	memcpy(name, "ns/orig", 8);
	wq_done(q, name, 1);
	free(key);
	wq_free(q);
}

static void test_dedupe(void **state)
{
	struct wq *q = new_queue(10, 100);

	(void)state;
	wq_add(q, "ns/a");
	wq_add(q, "ns/a");
	wq_add(q, "ns/b");
	wq_add(q, "ns/a"); /* keeps its first place */
	assert_int_equal(wq_len(q), 2);
	get_expect(q, "ns/a");
	get_expect(q, "ns/b");
	assert_int_equal(wq_len(q), 0);
	wq_done(q, "ns/a", 1);
	wq_done(q, "ns/b", 1);
	assert_int_equal(wq_len(q), 0);
	assert_empty_then_shutdown(q, 50);
	wq_free(q);
}

static void test_done_without_readd(void **state)
{
	struct wq *q = new_queue(10, 100);

	(void)state;
	/* Processed once and done: it does not come back by itself, and may be added again. */
	wq_add(q, "ns/a");
	get_expect(q, "ns/a");
	wq_done(q, "ns/a", 1);
	assert_int_equal(wq_len(q), 0);
	wq_add(q, "ns/a");
	assert_int_equal(wq_len(q), 1);
	get_expect(q, "ns/a");
	wq_done(q, "ns/a", 1);
	assert_empty_then_shutdown(q, 50);
	wq_free(q);
}

/* ---- exclusivity -------------------------------------------------------------------------- */

static void test_processing_key_not_handed_twice(void **state)
{
	struct wq *q = new_queue(10, 100);
	struct getter g;
	char *key = NULL;

	(void)state;
	wq_add(q, "ns/a");
	assert_int_equal(wq_get(q, &key), 0);
	assert_string_equal(key, "ns/a");
	/* Added again (twice) while being processed: not queued for anyone else yet. */
	wq_add(q, "ns/a");
	wq_add(q, "ns/a");
	assert_int_equal(wq_len(q), 0);
	getter_start(&g, q);
	if (getter_wait(&g, 150))
		fail_msg("second getter got %s while the first still processes it",
			 g.key ? g.key : "(null)");
	/* Once the first worker is done, it comes back: once. */
	wq_done(q, key, 1);
	free(key);
	assert_true(getter_wait(&g, 1000));
	getter_join(&g);
	assert_int_equal(g.rc, 0);
	assert_string_equal(g.key, "ns/a");
	free(g.key);
	wq_done(q, "ns/a", 1);
	assert_int_equal(wq_len(q), 0);
	assert_empty_then_shutdown(q, 50);
	wq_free(q);
}

static void test_other_keys_not_blocked(void **state)
{
	struct wq *q = new_queue(10, 100);
	char *key = NULL;

	(void)state;
	wq_add(q, "ns/a");
	assert_int_equal(wq_get(q, &key), 0);
	wq_add(q, "ns/a");
	wq_add(q, "ns/b");
	/* a is busy; b is served meanwhile. */
	assert_int_equal(wq_len(q), 1);
	get_expect(q, "ns/b");
	wq_done(q, "ns/b", 1);
	wq_done(q, key, 1);
	free(key);
	get_expect(q, "ns/a");
	wq_done(q, "ns/a", 1);
	wq_free(q);
}

/* ---- delays ------------------------------------------------------------------------------- */

static void test_add_after(void **state)
{
	struct wq *q = new_queue(10, 100);
	double t;

	(void)state;
	wq_add_after(q, "ns/a", 200);
	assert_int_equal(wq_len(q), 0);
	/* Not before the delay, and not long after it. */
	t = get_timed(q, "ns/a");
	if (t < 199.0 || t > 200.0 + SLACK_MS)
		fail_msg("delayed key after %.1f ms, want ~200", t);
	wq_done(q, "ns/a", 1);
	assert_empty_then_shutdown(q, 50);
	wq_free(q);
}

static void test_add_after_zero_is_immediate(void **state)
{
	struct wq *q = new_queue(10, 100);

	(void)state;
	wq_add_after(q, "ns/a", 0);
	assert_int_equal(wq_len(q), 1);
	get_expect(q, "ns/a");
	wq_done(q, "ns/a", 1);
	wq_free(q);
}

static void test_add_after_wakes_blocked_getter(void **state)
{
	struct wq *q = new_queue(10, 100);
	struct getter g;
	double t0;

	(void)state;
	/* The getter is already asleep without any deadline when the delayed key arrives. */
	getter_start(&g, q);
	sleep_ms(30);
	t0 = now_ms();
	wq_add_after(q, "ns/a", 100);
	assert_false(getter_wait(&g, 60));
	assert_true(getter_wait(&g, 100 + (unsigned)SLACK_MS));
	assert_true(now_ms() - t0 >= 99.0);
	getter_join(&g);
	assert_int_equal(g.rc, 0);
	assert_string_equal(g.key, "ns/a");
	wq_done(q, g.key, 1);
	free(g.key);
	wq_free(q);
}

static void test_delays_in_due_order(void **state)
{
	struct wq *q = new_queue(10, 100);
	double t0 = now_ms(), t;

	(void)state;
	wq_add_after(q, "ns/late", 240);
	wq_add_after(q, "ns/early", 80);
	wq_add_after(q, "ns/mid", 160);
	get_timed(q, "ns/early");
	t = now_ms() - t0;
	assert_true(t >= 79.0 && t < 80.0 + SLACK_MS);
	get_timed(q, "ns/mid");
	t = now_ms() - t0;
	assert_true(t >= 159.0 && t < 160.0 + SLACK_MS);
	get_timed(q, "ns/late");
	t = now_ms() - t0;
	assert_true(t >= 239.0 && t < 240.0 + SLACK_MS);
	wq_done(q, "ns/early", 1);
	wq_done(q, "ns/mid", 1);
	wq_done(q, "ns/late", 1);
	wq_free(q);
}

static void test_immediate_add_beats_delayed(void **state)
{
	struct wq *q = new_queue(10, 100);

	(void)state;
	wq_add_after(q, "ns/a", 1000);
	wq_add(q, "ns/a");
	assert_int_equal(wq_len(q), 1);
	get_expect(q, "ns/a");
	wq_done(q, "ns/a", 1);
	/* A delayed add of a key already queued does not hold it back either. */
	wq_add(q, "ns/b");
	wq_add_after(q, "ns/b", 1000);
	get_expect(q, "ns/b");
	wq_done(q, "ns/b", 1);
	wq_free(q);
}

static void test_earlier_delay_wins(void **state)
{
	struct wq *q = new_queue(10, 100);
	double t;

	(void)state;
	/* Two delayed adds of one key: the earlier time counts, whichever came first. */
	wq_add_after(q, "ns/a", 1000);
	wq_add_after(q, "ns/a", 80);
	t = get_timed(q, "ns/a");
	assert_true(t >= 79.0 && t < 80.0 + SLACK_MS);
	wq_done(q, "ns/a", 1);
	wq_add_after(q, "ns/b", 80);
	wq_add_after(q, "ns/b", 1000);
	t = get_timed(q, "ns/b");
	assert_true(t >= 79.0 && t < 80.0 + SLACK_MS);
	wq_done(q, "ns/b", 1);
	wq_free(q);
}

static void test_add_after_while_processing(void **state)
{
	struct wq *q = new_queue(10, 100);
	char *key = NULL;
	double t0, t;

	(void)state;
	wq_add(q, "ns/a");
	assert_int_equal(wq_get(q, &key), 0);
	/* A delayed re-add during processing: back after the delay, counted from the add. */
	t0 = now_ms();
	wq_add_after(q, "ns/a", 120);
	sleep_ms(20);
	wq_done(q, key, 1);
	free(key);
	get_timed(q, "ns/a");
	t = now_ms() - t0;
	if (t < 119.0 || t > 120.0 + SLACK_MS)
		fail_msg("re-added key after %.1f ms, want ~120", t);
	/* Two delayed re-adds during processing: the earlier one counts. */
	t0 = now_ms();
	wq_add_after(q, "ns/a", 80);
	wq_add_after(q, "ns/a", 1000);
	wq_done(q, "ns/a", 1);
	get_timed(q, "ns/a");
	t = now_ms() - t0;
	if (t < 79.0 || t > 80.0 + SLACK_MS)
		fail_msg("re-added key after %.1f ms, want ~80", t);
	wq_done(q, "ns/a", 1);
	wq_free(q);
}

/* ---- failure backoff ---------------------------------------------------------------------- */

/* Fails key once more and returns how long until it is handed out again (ms). */
static double fail_and_wait(struct wq *q, const char *key)
{
	char *k = NULL;
	double t0;

	t0 = now_ms();
	wq_done(q, key, 0);
	assert_int_equal(wq_get(q, &k), 0);
	assert_string_equal(k, key);
	free(k);
	return now_ms() - t0;
}

static void check_backoff(double t, double d)
{
	/* Half jitter: uniform in [d/2, d]; millisecond rounding allowed below. */
	if (t < d / 2 - 1.0 || t > d + SLACK_MS)
		fail_msg("backoff %.1f ms, want within [%.1f, %.1f]", t, d / 2, d);
}

static void test_backoff_grows(void **state)
{
	const unsigned base = 20, cap = 160;
	struct wq *q = new_queue(base, cap);
	double prev_d = 0;

	(void)state;
	wq_add(q, "ns/a");
	get_expect(q, "ns/a");
	/* base * 2^n: 20, 40, 80, 160, then capped at 160. */
	for (int n = 0; n < 6; n++) {
		double d = (double)base * (double)(1u << n);
		double t;

		if (d > cap)
			d = cap;
		t = fail_and_wait(q, "ns/a");
		check_backoff(t, d);
		/* Later each time while growing: the new range starts where the last one ended. */
		if (d > prev_d && prev_d > 0 && t < prev_d - 1.0)
			fail_msg("failure %d: %.1f ms, not later than the previous range %.1f", n,
				 t, prev_d);
		prev_d = d;
	}
	wq_done(q, "ns/a", 1);
	wq_free(q);
}

static void test_backoff_cap(void **state)
{
	struct wq *q = new_queue(20, 50);

	(void)state;
	/* A cap that is not base * 2^n: 20, 40, then 50 (not 80), and 50 from then on. */
	wq_add(q, "ns/a");
	get_expect(q, "ns/a");
	check_backoff(fail_and_wait(q, "ns/a"), 20);
	check_backoff(fail_and_wait(q, "ns/a"), 40);
	for (int i = 0; i < 4; i++)
		check_backoff(fail_and_wait(q, "ns/a"), 50);
	wq_done(q, "ns/a", 1);
	wq_free(q);
}

static void test_backoff_wakes_blocked_getter(void **state)
{
	struct wq *q = new_queue(60, 1000);
	struct getter g;
	char *key = NULL;
	double t0;

	(void)state;
	wq_add(q, "ns/a");
	assert_int_equal(wq_get(q, &key), 0);
	/* Another worker sleeps with nothing to wait for; the failed key must wake it once its
	 * backoff has passed. */
	getter_start(&g, q);
	sleep_ms(20);
	t0 = now_ms();
	wq_done(q, key, 0);
	free(key);
	assert_false(getter_wait(&g, 20));
	assert_true(getter_wait(&g, 60 + (unsigned)SLACK_MS));
	assert_true(now_ms() - t0 >= 29.0);
	getter_join(&g);
	assert_int_equal(g.rc, 0);
	assert_string_equal(g.key, "ns/a");
	wq_done(q, g.key, 1);
	free(g.key);
	wq_free(q);
}

static void test_backoff_reset_by_success(void **state)
{
	struct wq *q = new_queue(30, 1000);
	double t;

	(void)state;
	wq_add(q, "ns/a");
	get_expect(q, "ns/a");
	check_backoff(fail_and_wait(q, "ns/a"), 30);
	check_backoff(fail_and_wait(q, "ns/a"), 60);
	check_backoff(fail_and_wait(q, "ns/a"), 120);
	check_backoff(fail_and_wait(q, "ns/a"), 240);
	/* Success forgets the failures: the next failure waits the base delay again. */
	wq_done(q, "ns/a", 1);
	wq_add(q, "ns/a");
	get_expect(q, "ns/a");
	t = fail_and_wait(q, "ns/a");
	check_backoff(t, 30);
	wq_done(q, "ns/a", 1);
	wq_free(q);
}

static void test_backoff_per_key(void **state)
{
	struct wq *q = new_queue(40, 1000);
	double t0;
	char *key = NULL;

	(void)state;
	wq_add(q, "ns/a");
	get_expect(q, "ns/a");
	check_backoff(fail_and_wait(q, "ns/a"), 40);
	check_backoff(fail_and_wait(q, "ns/a"), 80);
	/* a is now due in 80..160 ms; b, never failed, backs off from the base and is served
	 * first, and a fresh key is served at once. */
	t0 = now_ms();
	wq_done(q, "ns/a", 0);
	wq_add(q, "ns/b");
	get_expect(q, "ns/b");
	wq_done(q, "ns/b", 0);
	wq_add(q, "ns/c");
	get_expect(q, "ns/c");
	wq_done(q, "ns/c", 1);
	assert_int_equal(wq_get(q, &key), 0);
	assert_string_equal(key, "ns/b");
	assert_true(now_ms() - t0 <= 40.0 + SLACK_MS);
	wq_done(q, key, 1);
	free(key);
	assert_int_equal(wq_get(q, &key), 0);
	assert_string_equal(key, "ns/a");
	assert_true(now_ms() - t0 >= 80.0 - 1.0);
	wq_done(q, key, 1);
	free(key);
	wq_free(q);
}

static void test_failed_key_readded_meanwhile(void **state)
{
	struct wq *q = new_queue(1000, 1000);
	char *key = NULL;

	(void)state;
	/* A new event for the key arrived while it was being processed: the new event is
	 * handled at once, whatever the outcome of the old one. */
	wq_add(q, "ns/a");
	assert_int_equal(wq_get(q, &key), 0);
	wq_add(q, "ns/a");
	wq_done(q, key, 0);
	free(key);
	assert_int_equal(wq_len(q), 1);
	get_expect(q, "ns/a");
	wq_done(q, "ns/a", 1);
	wq_free(q);
}

/* ---- shutdown ----------------------------------------------------------------------------- */

static void test_shutdown_wakes_getters(void **state)
{
	struct wq *q = new_queue(10, 100);
	struct getter g[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		getter_start(&g[i], q);
	sleep_ms(30);
	for (int i = 0; i < 3; i++)
		assert_false(atomic_load(&g[i].done));
	wq_shutdown(q);
	for (int i = 0; i < 3; i++) {
		assert_true(getter_wait(&g[i], 500));
		getter_join(&g[i]);
		assert_int_equal(g[i].rc, -ECANCELED);
		assert_null(g[i].key);
	}
	wq_free(q);
}

static void test_shutdown_wakes_getter_waiting_for_delay(void **state)
{
	struct wq *q = new_queue(10, 100);
	struct getter g;
	double t0;

	(void)state;
	/* The getter sleeps until a deadline far away; shutdown must not wait for it. */
	wq_add_after(q, "ns/a", 5000);
	getter_start(&g, q);
	sleep_ms(30);
	t0 = now_ms();
	wq_shutdown(q);
	assert_true(getter_wait(&g, 500));
	assert_true(now_ms() - t0 < 500);
	getter_join(&g);
	assert_int_equal(g.rc, -ECANCELED);
	wq_free(q);
}

static void test_after_shutdown(void **state)
{
	struct wq *q = new_queue(10, 100);
	char *key = (char *)0x1;

	(void)state;
	wq_add(q, "ns/a");
	wq_shutdown(q);
	/* Queued keys are not handed out any more, and new ones are not taken. */
	assert_int_equal(wq_get(q, &key), -ECANCELED);
	assert_null(key);
	wq_add(q, "ns/b");
	wq_add_after(q, "ns/c", 10);
	assert_int_equal(wq_len(q), 1);
	key = (char *)0x1;
	assert_int_equal(wq_get(q, &key), -ECANCELED);
	assert_null(key);
	wq_shutdown(q); /* idempotent */
	wq_free(q);
}

/* ---- wq_len ------------------------------------------------------------------------------- */

static void test_len(void **state)
{
	struct wq *q = new_queue(10, 100);
	char *key = NULL;

	(void)state;
	assert_int_equal(wq_len(q), 0);
	wq_add(q, "ns/a");
	wq_add(q, "ns/b");
	wq_add(q, "ns/a");
	assert_int_equal(wq_len(q), 2);
	/* Delayed keys are not ready yet. */
	wq_add_after(q, "ns/c", 60);
	assert_int_equal(wq_len(q), 2);
	assert_int_equal(wq_get(q, &key), 0);
	assert_int_equal(wq_len(q), 1);
	/* A key re-added while processing waits outside the queue. */
	wq_add(q, key);
	assert_int_equal(wq_len(q), 1);
	wq_done(q, key, 1);
	assert_int_equal(wq_len(q), 2);
	free(key);
	get_expect(q, "ns/b");
	get_expect(q, "ns/a");
	assert_int_equal(wq_len(q), 0);
	assert_true(get_timed(q, "ns/c") < 60.0 + SLACK_MS);
	wq_done(q, "ns/a", 1);
	wq_done(q, "ns/b", 1);
	wq_done(q, "ns/c", 1);
	assert_int_equal(wq_len(q), 0);
	wq_free(q);
}

/* ---- concurrency -------------------------------------------------------------------------- */

#define NKEYS	  64
#define NTHREADS  4
#define ADDS_EACH 400

struct stress {
	struct wq *q;
	atomic_int busy[NKEYS];	     /* workers inside this key right now */
	atomic_int processed[NKEYS]; /* times processed */
	atomic_int added[NKEYS];     /* adds so far (counted before each wq_add) */
	atomic_int snap[NKEYS];	     /* added[] as read when the last processing began */
	atomic_int overlaps;
	atomic_int bad_keys;
	atomic_int total;
};

struct producer {
	struct stress *s;
	unsigned seed;
};

static int key_index(const char *key)
{
	int i;

	if (sscanf(key, "ns/key-%d", &i) != 1 || i < 0 || i >= NKEYS)
		return -1;
	return i;
}

static void *stress_producer(void *arg)
{
	struct producer *p = arg;
	char key[32];

	for (int n = 0; n < ADDS_EACH; n++) {
		int i = (int)(rand_r(&p->seed) % NKEYS);

		snprintf(key, sizeof(key), "ns/key-%d", i);
		atomic_fetch_add(&p->s->added[i], 1);
		wq_add(p->s->q, key);
		/* Pace the adds so that they interleave with processing. */
		if (n % 8 == 0)
			sleep_ms(1);
	}
	return NULL;
}

static void *stress_worker(void *arg)
{
	struct stress *s = arg;
	char *key;

	while (wq_get(s->q, &key) == 0) {
		int i = key_index(key);

		if (i < 0) {
			atomic_fetch_add(&s->bad_keys, 1);
		} else {
			if (atomic_fetch_add(&s->busy[i], 1) != 0)
				atomic_fetch_add(&s->overlaps, 1);
			atomic_store(&s->snap[i], atomic_load(&s->added[i]));
			/* Hold the key a little so that overlaps would show. */
			if (atomic_fetch_add(&s->total, 1) % 3 == 0)
				sleep_ms(1);
			else
				sched_yield();
			atomic_fetch_add(&s->processed[i], 1);
			atomic_fetch_sub(&s->busy[i], 1);
		}
		wq_done(s->q, key, 1);
		free(key);
	}
	return NULL;
}

/* Every key's last add has been seen by a processing that began after it, and none is busy. */
static bool stress_drained(struct stress *s)
{
	for (int i = 0; i < NKEYS; i++)
		if (atomic_load(&s->snap[i]) != atomic_load(&s->added[i]) ||
		    atomic_load(&s->busy[i]) != 0)
			return false;
	return wq_len(s->q) == 0;
}

static void test_concurrent_exclusive(void **state)
{
	struct stress *s = calloc(1, sizeof(*s));
	struct producer prod[NTHREADS];
	pthread_t pt[NTHREADS], wt[NTHREADS];
	double end;
	int total_added = 0;

	(void)state;
	assert_non_null(s);
	s->q = new_queue(5, 50);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&wt[i], NULL, stress_worker, s), 0);
	for (int i = 0; i < NTHREADS; i++) {
		prod[i] = (struct producer){.s = s, .seed = 1234u + (unsigned)i};
		assert_int_equal(pthread_create(&pt[i], NULL, stress_producer, &prod[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(pt[i], NULL), 0);
	end = now_ms() + 1500;
	while (!stress_drained(s) && now_ms() < end)
		sleep_ms(5);
	wq_shutdown(s->q);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(wt[i], NULL), 0);
	assert_int_equal(atomic_load(&s->overlaps), 0);
	assert_int_equal(atomic_load(&s->bad_keys), 0);
	for (int i = 0; i < NKEYS; i++) {
		int a = atomic_load(&s->added[i]), p = atomic_load(&s->processed[i]);

		total_added += a;
		/* Processed after its last add, and never more often than added (dedupe). */
		if (atomic_load(&s->snap[i]) != a)
			fail_msg("key %d: last processing saw %d adds of %d", i,
				 atomic_load(&s->snap[i]), a);
		assert_true(a == 0 || p >= 1);
		assert_true(p <= a);
		assert_int_equal(atomic_load(&s->busy[i]), 0);
	}
	assert_int_equal(total_added, NTHREADS * ADDS_EACH);
	print_message("      %d adds, %d processings\n", total_added, atomic_load(&s->total));
	assert_int_equal(wq_len(s->q), 0);
	wq_free(s->q);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_free),
	    cmocka_unit_test(test_fifo),
	    cmocka_unit_test(test_key_is_copied),
	    cmocka_unit_test(test_dedupe),
	    cmocka_unit_test(test_done_without_readd),
	    cmocka_unit_test(test_processing_key_not_handed_twice),
	    cmocka_unit_test(test_other_keys_not_blocked),
	    cmocka_unit_test(test_add_after),
	    cmocka_unit_test(test_add_after_zero_is_immediate),
	    cmocka_unit_test(test_add_after_wakes_blocked_getter),
	    cmocka_unit_test(test_delays_in_due_order),
	    cmocka_unit_test(test_immediate_add_beats_delayed),
	    cmocka_unit_test(test_earlier_delay_wins),
	    cmocka_unit_test(test_add_after_while_processing),
	    cmocka_unit_test(test_backoff_grows),
	    cmocka_unit_test(test_backoff_cap),
	    cmocka_unit_test(test_backoff_wakes_blocked_getter),
	    cmocka_unit_test(test_backoff_reset_by_success),
	    cmocka_unit_test(test_backoff_per_key),
	    cmocka_unit_test(test_failed_key_readded_meanwhile),
	    cmocka_unit_test(test_shutdown_wakes_getters),
	    cmocka_unit_test(test_shutdown_wakes_getter_waiting_for_delay),
	    cmocka_unit_test(test_after_shutdown),
	    cmocka_unit_test(test_len),
	    cmocka_unit_test(test_concurrent_exclusive),
	};

	if (getenv("F"))
		cmocka_set_test_filter(getenv("F"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
