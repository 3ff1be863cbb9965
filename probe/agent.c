#include "probe/agent.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/backoff.h"
#include "lib/log.h"
#include "probe/http.h"
#include "probe/thresh.h"

#define THREAD_STACK (256 * 1024)
#define COALESCE_MS  20 /* after a change, wait this long for changes that come together */

/* One quality. Fields below mu are guarded by the agent's mutex. */
struct slot {
	const struct pr_probe *p;
	struct agent *a;
	pthread_t th;
	bool started;
	struct pr_target target; /* worker-private */

	struct pr_thresh th_state;
	bool probed;
	long long probe_time; /* epoch seconds of the latest probe */
	char result[PR_RESULT_MAX + 1];
	char message[PR_MESSAGE_MAX + 1];
	bool has_exit_code;
	int exit_code;
	char ops_state[256];
};

struct agent {
	const struct pr_agent_opts *o;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* dirty or stopping */
	bool dirty;
	bool stopping;
	unsigned long long seq;
	struct slot *slots;
	size_t n;
};

/* Sleeps until the monotonic time `until` or the stop fd. Returns true when stopping. */
static bool sleep_until(int stop_fd, int64_t until)
{
	for (;;) {
		int64_t left = until - pr_now_ms();
		struct pollfd pf = {.fd = stop_fd, .events = POLLIN};
		int r;

		if (left <= 0)
			return false;
		if (stop_fd < 0) {
			backoff_sleep_ms(left > 1000 ? 1000 : (unsigned)left);
			continue;
		}
		r = poll(&pf, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return true;
	}
}

static void record(struct agent *a, struct slot *s, const struct pr_outcome *out)
{
	const struct pr_probe *p = s->p;
	bool adopt, changed = false;
	int old_state;
	char q1[300], q2[300];

	pthread_mutex_lock(&a->mu);
	old_state = s->th_state.state;
	adopt = pr_thresh_feed(&s->th_state, out->ok, p->success_th, p->failure_th);
	s->probed = true;
	s->probe_time = (long long)time(NULL);
	if (adopt) {
		changed = old_state != s->th_state.state || strcmp(s->result, out->result) != 0 ||
			  strcmp(s->ops_state, out->ops_state) != 0;
		memcpy(s->result, out->result, sizeof(s->result));
		memcpy(s->message, out->message, sizeof(s->message));
		memcpy(s->ops_state, out->ops_state, sizeof(s->ops_state));
		s->has_exit_code = out->has_exit_code;
		s->exit_code = out->exit_code;
	} else {
		/* below the threshold: the reported pair stays; say what is coming */
		char tmp[PR_RESULT_MAX + 80];

		snprintf(tmp, sizeof(tmp), "%s %ld of %ld: %s", out->ok ? "success" : "failure",
			 s->th_state.run, out->ok ? p->success_th : p->failure_th, out->result);
		pr_text_copy(s->message, sizeof(s->message), tmp);
	}
	if (changed) {
		a->dirty = true;
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	LOG_DEBUGF("probed", "quality=%s ok=%d adopted=%d cpu_us=%lld result=%s",
		   log_quote(p->name, q1, sizeof(q1)), out->ok, adopt, out->cpu_us,
		   log_quote(out->result, q2, sizeof(q2)));
	if (changed)
		LOG_INFOF("quality_changed", "quality=%s state=%s result=%s",
			  log_quote(p->name, q1, sizeof(q1)), out->ok ? "true" : "false",
			  log_quote(out->result, q2, sizeof(q2)));
}

static void *worker(void *arg)
{
	struct slot *s = arg;
	const struct pr_probe *p = s->p;
	const struct pr_ctx *ctx = &s->a->o->ctx;
	int64_t period = p->period * 1000, next = pr_now_ms() + p->initial_delay * 1000;

	for (;;) {
		struct pr_outcome out;
		int64_t now;

		if (sleep_until(ctx->stop_fd, next))
			break;
		pr_probe_once(p, ctx, &s->target, &out);
		if (out.canceled)
			break;
		record(s->a, s, &out);
		now = pr_now_ms();
		next += period;
		if (next <= now)
			next += ((now - next) / period + 1) * period; /* skip missed ticks */
	}
	return NULL;
}

/* Builds the report from the current state; a->mu must be held. */
static int snapshot(struct agent *a, unsigned long long seq, char **json, size_t *len)
{
	struct pr_report_item *items = calloc(a->n ? a->n : 1, sizeof(*items));
	char(*times)[32] = calloc(a->n ? a->n : 1, sizeof(*times));
	int r = -ENOMEM;

	if (!items || !times)
		goto out;
	for (size_t i = 0; i < a->n; i++) {
		struct slot *s = &a->slots[i];

		items[i].name = s->p->name;
		items[i].state = s->th_state.state;
		items[i].result = s->result;
		items[i].message = s->message;
		if (s->probed) {
			pr_rfc3339(s->probe_time, times[i], sizeof(times[i]));
			items[i].probe_time = times[i];
		}
		items[i].has_exit_code = s->has_exit_code && s->th_state.state >= 0;
		items[i].exit_code = s->exit_code;
		items[i].ops_state = s->ops_state[0] ? s->ops_state : NULL;
	}
	r = pr_report_build(&a->o->meta, seq, items, a->n, json, len);
out:
	free(items);
	free(times);
	return r;
}

static void cond_wait_until(struct agent *a, int64_t until_ms)
{
	struct timespec ts;
	int64_t left = until_ms - pr_now_ms();

	if (left <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (long)(left % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&a->cv, &a->mu, &ts);
}

static void *reporter(void *arg)
{
	struct agent *a = arg;
	const struct pr_agent_opts *o = a->o;
	int64_t hb = o->heartbeat_s * 1000, next_hb = pr_now_ms() + hb;
	struct backoff fast, slow;
	bool failing = false;

	backoff_init(&fast, o->backoff_base_ms, o->backoff_cap_ms, 0);
	backoff_init(&slow, o->slow_base_ms, o->slow_cap_ms, 0);
	for (;;) {
		char *json = NULL, err[600];
		size_t len = 0;
		unsigned long long seq;
		enum pr_send_result res;
		unsigned retry_after, delay;
		int status, r;
		bool heartbeat;

		pthread_mutex_lock(&a->mu);
		while (!a->stopping && !a->dirty && pr_now_ms() < next_hb)
			cond_wait_until(a, next_hb);
		if (a->stopping) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		heartbeat = !a->dirty;
		if (!heartbeat) {
			/* let changes that arrive together go out in one report */
			pthread_mutex_unlock(&a->mu);
			if (sleep_until(o->ctx.stop_fd, pr_now_ms() + COALESCE_MS))
				break;
			pthread_mutex_lock(&a->mu);
		}
		seq = ++a->seq;
		r = snapshot(a, seq, &json, &len);
		a->dirty = false;
		pthread_mutex_unlock(&a->mu);
		if (r < 0) {
			LOG_ERRORF("report_build_failed", "error=%s", strerror(-r));
			pthread_mutex_lock(&a->mu);
			a->dirty = true;
			pthread_mutex_unlock(&a->mu);
			if (sleep_until(o->ctx.stop_fd, pr_now_ms() + 1000))
				break;
			continue;
		}
		res = pr_report_post(o->reporter, json, len, o->ctx.stop_fd, &status, &retry_after,
				     err, sizeof(err));
		free(json);
		if (res == PR_SENT) {
			LOG_INFOF("report_sent", "seq=%llu status=%d heartbeat=%s bytes=%zu", seq,
				  status, heartbeat ? "true" : "false", len);
			if (failing)
				LOG_INFOF("report_recovered", "seq=%llu", seq);
			failing = false;
			backoff_reset(&fast);
			backoff_reset(&slow);
			next_hb = pr_now_ms() + hb;
			continue;
		}
		/* not delivered: the next attempt sends the state as it is then */
		pthread_mutex_lock(&a->mu);
		a->dirty = true;
		pthread_mutex_unlock(&a->mu);
		if (res == PR_SEND_RETRY)
			delay = backoff_next_hint_ms(&fast, retry_after);
		else
			delay = backoff_next_hint_ms(&slow, retry_after);
		{
			char q[700];

			LOG_WARNF("report_failed", "seq=%llu status=%d error=%s retry_in_ms=%u",
				  seq, status, log_quote(err, q, sizeof(q)), delay);
		}
		failing = true;
		if (sleep_until(o->ctx.stop_fd, pr_now_ms() + delay))
			break;
	}
	return NULL;
}

static int start_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	int r;

	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, THREAD_STACK);
	r = pthread_create(th, &at, fn, arg);
	pthread_attr_destroy(&at);
	return -r;
}

static int agent_init(struct agent *a, const struct pr_agent_opts *o)
{
	pthread_condattr_t ca;

	memset(a, 0, sizeof(*a));
	a->o = o;
	a->n = o->spec->n;
	a->slots = calloc(a->n ? a->n : 1, sizeof(*a->slots));
	if (!a->slots)
		return -ENOMEM;
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &ca);
	pthread_condattr_destroy(&ca);
	for (size_t i = 0; i < a->n; i++) {
		a->slots[i].p = &o->spec->probes[i];
		a->slots[i].a = a;
		pr_thresh_init(&a->slots[i].th_state);
	}
	return 0;
}

static void agent_destroy(struct agent *a)
{
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a->slots);
}

int pr_agent_run(const struct pr_agent_opts *o)
{
	struct agent a;
	pthread_t rep;
	bool rep_started = false;
	int r;

	r = agent_init(&a, o);
	if (r < 0)
		return r;
	for (size_t i = 0; i < a.n; i++) {
		r = start_thread(&a.slots[i].th, worker, &a.slots[i]);
		if (r < 0)
			goto stop;
		a.slots[i].started = true;
	}
	r = start_thread(&rep, reporter, &a);
	if (r < 0)
		goto stop;
	rep_started = true;
	sleep_until(o->ctx.stop_fd, INT64_MAX);
	r = 0;
stop:
	if (r < 0)
		LOG_ERRORF("thread_start_failed", "error=%s", strerror(-r));
	pthread_mutex_lock(&a.mu);
	a.stopping = true;
	pthread_cond_broadcast(&a.cv);
	pthread_mutex_unlock(&a.mu);
	/* Without a stop fd the workers could not be told: only reachable on start failure,
	 * where main exits right after. */
	if (r == 0 || o->ctx.stop_fd >= 0) {
		for (size_t i = 0; i < a.n; i++)
			if (a.slots[i].started)
				pthread_join(a.slots[i].th, NULL);
		if (rep_started)
			pthread_join(rep, NULL);
	}
	agent_destroy(&a);
	return r;
}

struct once_job {
	const struct pr_probe *p;
	const struct pr_ctx *ctx;
	struct pr_outcome out;
	long long when;
};

static void *once_worker(void *arg)
{
	struct once_job *j = arg;
	struct pr_target t = {0};

	pr_probe_once(j->p, j->ctx, &t, &j->out);
	j->when = (long long)time(NULL);
	return NULL;
}

int pr_agent_once(const struct pr_agent_opts *o, char **json)
{
	size_t n = o->spec->n, len;
	struct once_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	pthread_t *th = calloc(n ? n : 1, sizeof(*th));
	bool *started = calloc(n ? n : 1, sizeof(*started));
	struct pr_report_item *items = calloc(n ? n : 1, sizeof(*items));
	char(*times)[32] = calloc(n ? n : 1, sizeof(*times));
	int r = -ENOMEM;

	*json = NULL;
	if (!jobs || !th || !started || !items || !times)
		goto out;
	for (size_t i = 0; i < n; i++) {
		jobs[i].p = &o->spec->probes[i];
		jobs[i].ctx = &o->ctx;
		if (start_thread(&th[i], once_worker, &jobs[i]) == 0)
			started[i] = true;
		else
			once_worker(&jobs[i]); /* no thread: run it here */
	}
	for (size_t i = 0; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		pr_rfc3339(jobs[i].when, times[i], sizeof(times[i]));
		items[i].name = jobs[i].p->name;
		items[i].state = jobs[i].out.canceled ? -1 : jobs[i].out.ok;
		items[i].result = jobs[i].out.result;
		items[i].message = jobs[i].out.message;
		items[i].probe_time = times[i];
		items[i].has_exit_code = jobs[i].out.has_exit_code;
		items[i].exit_code = jobs[i].out.exit_code;
		items[i].ops_state = jobs[i].out.ops_state[0] ? jobs[i].out.ops_state : NULL;
	}
	r = pr_report_build(&o->meta, 1, items, n, json, &len);
out:
	free(jobs);
	free(th);
	free(started);
	free(items);
	free(times);
	return r;
}
