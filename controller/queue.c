#include "controller/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/backoff.h"

struct item {
	char *key;
	bool queued;	 /* in the ready list */
	bool processing; /* handed to a worker */
	bool dirty;	 /* added while processing */
	double due;	 /* delayed: ready at this monotonic time, 0 = not delayed */
	unsigned failures;
	struct item *next_ready;
	struct item *next; /* all items */
};

struct wq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item *items;
	struct item *ready_head, *ready_tail;
	size_t ready_len;
	unsigned base_ms, cap_ms;
	struct backoff jitter;
	bool shutdown;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int wq_new(unsigned backoff_base_ms, unsigned backoff_cap_ms, struct wq **out)
{
	struct wq *q = calloc(1, sizeof(*q));
	pthread_condattr_t attr;

	*out = NULL;
	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &attr);
	pthread_condattr_destroy(&attr);
	q->base_ms = backoff_base_ms ? backoff_base_ms : 100;
	q->cap_ms = backoff_cap_ms ? backoff_cap_ms : 60000;
	backoff_init(&q->jitter, 1, 1, 0);
	*out = q;
	return 0;
}

void wq_free(struct wq *q)
{
	if (!q)
		return;
	while (q->items) {
		struct item *it = q->items;

		q->items = it->next;
		free(it->key);
		free(it);
	}
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static struct item *find_or_create(struct wq *q, const char *key)
{
	struct item *it;

	for (it = q->items; it; it = it->next)
		if (strcmp(it->key, key) == 0)
			return it;
	it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	it->key = strdup(key);
	if (!it->key) {
		free(it);
		return NULL;
	}
	it->next = q->items;
	q->items = it;
	return it;
}

static void push_ready(struct wq *q, struct item *it)
{
	it->queued = true;
	it->due = 0;
	it->next_ready = NULL;
	if (q->ready_tail)
		q->ready_tail->next_ready = it;
	else
		q->ready_head = it;
	q->ready_tail = it;
	q->ready_len++;
	pthread_cond_signal(&q->cond);
}

static void add_locked(struct wq *q, const char *key, double due)
{
	struct item *it = find_or_create(q, key);

	if (!it || q->shutdown)
		return;
	if (it->processing) {
		if (due <= 0)
			it->dirty = true;
		else if (it->due == 0 || due < it->due)
			it->due = due; /* picked up after wq_done */
		return;
	}
	if (it->queued)
		return;
	if (due > 0) {
		if (it->due == 0 || due < it->due)
			it->due = due;
		pthread_cond_broadcast(&q->cond);
		return;
	}
	push_ready(q, it);
}

void wq_add(struct wq *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	add_locked(q, key, 0);
	pthread_mutex_unlock(&q->lock);
}

void wq_add_after(struct wq *q, const char *key, unsigned delay_ms)
{
	pthread_mutex_lock(&q->lock);
	add_locked(q, key, delay_ms ? now_s() + delay_ms / 1000.0 : 0);
	pthread_mutex_unlock(&q->lock);
}

/* Moves delayed items whose time has come to the ready list; returns the next due time. */
static double promote_due(struct wq *q)
{
	double now = now_s(), next = 0;

	for (struct item *it = q->items; it; it = it->next) {
		if (it->due <= 0 || it->queued || it->processing)
			continue;
		if (it->due <= now)
			push_ready(q, it);
		else if (next == 0 || it->due < next)
			next = it->due;
	}
	return next;
}

int wq_get(struct wq *q, char **key)
{
	struct item *it;

	*key = NULL;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		double next;

		if (q->shutdown) {
			pthread_mutex_unlock(&q->lock);
			return -ECANCELED;
		}
		next = promote_due(q);
		if (q->ready_head)
			break;
		if (next > 0) {
			struct timespec ts;
			double whole;

			whole = (double)(long)next;
			ts.tv_sec = (time_t)whole;
			ts.tv_nsec = (long)((next - whole) * 1e9);
			pthread_cond_timedwait(&q->cond, &q->lock, &ts);
		} else {
			pthread_cond_wait(&q->cond, &q->lock);
		}
	}
	it = q->ready_head;
	q->ready_head = it->next_ready;
	if (!q->ready_head)
		q->ready_tail = NULL;
	q->ready_len--;
	it->queued = false;
	it->processing = true;
	it->dirty = false;
	*key = strdup(it->key);
	pthread_mutex_unlock(&q->lock);
	return *key ? 0 : -ENOMEM;
}

void wq_done(struct wq *q, const char *key, int ok)
{
	struct item *it;

	pthread_mutex_lock(&q->lock);
	for (it = q->items; it; it = it->next)
		if (strcmp(it->key, key) == 0)
			break;
	if (it) {
		it->processing = false;
		if (ok) {
			it->failures = 0;
		} else {
			unsigned long d = q->base_ms;

			for (unsigned i = 0; i < it->failures && d < q->cap_ms; i++)
				d *= 2;
			if (d > q->cap_ms)
				d = q->cap_ms;
			if (it->failures < 32)
				it->failures++;
			d = d / 2 + backoff_rand(&q->jitter, d / 2 + 1);
			if (it->due == 0 || now_s() + d / 1000.0 < it->due)
				it->due = now_s() + d / 1000.0;
		}
		if (it->dirty) {
			it->dirty = false;
			push_ready(q, it);
		} else if (it->due > 0) {
			pthread_cond_broadcast(&q->cond);
		}
	}
	pthread_mutex_unlock(&q->lock);
}

void wq_shutdown(struct wq *q)
{
	pthread_mutex_lock(&q->lock);
	q->shutdown = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

size_t wq_len(struct wq *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->ready_len;
	pthread_mutex_unlock(&q->lock);
	return n;
}
