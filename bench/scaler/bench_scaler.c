/* bench_scaler: latency of okg's KEDA external scaler (controller/scaler.c) with 10,000 game
 * servers in the cache. Built and run by bench/scaler.sh; prints a Markdown section.
 *
 * The server runs in process on 127.0.0.1 with a counts provider that does what
 * ctl_set_counts() does on the controller's informer caches: under a lock, decode the set from
 * its packed form (inf_get, lib/cpack.h), then under the counts lock copy the set's pod counts,
 * which the controller's pod handlers keep as pods come and go (here: counted once, with the
 * same reads as count_pod() in controller/ctl.c, over pods built by obj_build_pod() and trimmed
 * by obj_trim_pod()). The "walk" rows time the walk over every cached pod that answers cost
 * before the counts were kept (for comparison).
 * The client is nghttp2 (test/unit/test_scaler_h2client.h) on one HTTP/2 connection, one call
 * at a time, TCP_NODELAY: a call's time is request written -> trailers read.
 *
 *   bench_scaler [CALLS]          the benchmark: CALLS GetMetrics calls (default 10,000) with
 *                                 10,000 servers and with none; CALLS/10 for the other rows
 *   bench_scaler --serve PORT N   serve a set "bench" of N servers until killed (for clients
 *                                 in other languages)
 *   bench_scaler --client PORT NS NAME CALLS
 *                                 only the client: GetMetrics on a running okg-controller
 *                                 (127.0.0.1:PORT), one Markdown row */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "controller/objects.h"
#include "controller/scaler.h"
#include "controller/scalerpb.h"
#include "lib/cpack.h"
#include "lib/log.h"
#include "test/unit/test_scaler_h2client.h"

#define SVC	"/externalscaler.ExternalScaler/"
#define WARMUP	200
#define THREADS 4

/* ---- a cache like the controller's ---------------------------------------------------------- */

static struct {
	pthread_mutex_t mu, count_mu;
	cJSON *gss;
	unsigned char *gss_packed;
	size_t gss_len;
	cJSON **pods;
	size_t n;
	struct sm_counts counted; /* total, none, wait_to_be_deleted, as the handlers keep them */
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER, .count_mu = PTHREAD_MUTEX_INITIALIZER};

struct count_ctx {
	const char *ns, *name;
	struct sm_counts *out;
};

/* The same reads as count_pod() in controller/ctl.c. */
static void count_pod(struct count_ctx *x, const cJSON *pod)
{
	const char *ns = obj_str(pod, "metadata.namespace");
	const char *owner = obj_label(pod, OKG_LABEL_OWNER_GSS);
	const char *ops;

	if (!ns || !owner || strcmp(ns, x->ns) || strcmp(owner, x->name))
		return;
	x->out->total++;
	ops = obj_label(pod, OKG_LABEL_OPS_STATE);
	if (!ops || !strcmp(ops, "None"))
		x->out->none++;
	else if (!strcmp(ops, "WaitToBeDeleted") && !obj_str(pod, "metadata.deletionTimestamp"))
		x->out->wait_to_be_deleted++;
}

/* The walk over every cached pod (what answers cost before the counts were kept). */
static int cache_walk_counts(void *ud, const char *ns, const char *name, struct sm_counts *out)
{
	struct count_ctx x = {ns, name, out};

	(void)ud;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&cache.mu);
	for (size_t i = 0; i < cache.n; i++)
		count_pod(&x, cache.pods[i]);
	pthread_mutex_unlock(&cache.mu);
	return 0;
}

static int cache_counts(void *ud, const char *ns, const char *name, struct sm_counts *out)
{
	const cJSON *v;
	cJSON *gss = NULL;

	(void)ud;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&cache.mu); /* inf_get: decode the packed set under the lock */
	if (cache.gss && !strcmp(obj_str(cache.gss, "metadata.name"), name) &&
	    !strcmp(obj_str(cache.gss, "metadata.namespace"), ns) &&
	    cpack_decode(cache.gss_packed, cache.gss_len, &gss) < 0)
		abort();
	pthread_mutex_unlock(&cache.mu);
	if (!gss)
		return 0;
	out->found = true;
	v = obj_get(gss, "spec.replicas");
	out->replicas = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = obj_get(gss, "status.waitToBeDeletedReplicas");
	out->status_ready = cJSON_IsNumber(v);
	out->status_wtbd = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = obj_get(gss, "status.currentReplicas");
	out->status_current = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	cJSON_Delete(gss);
	pthread_mutex_lock(&cache.count_mu);
	out->total = cache.counted.total;
	out->none = cache.counted.none;
	out->wait_to_be_deleted = cache.counted.wait_to_be_deleted;
	pthread_mutex_unlock(&cache.count_mu);
	return 0;
}

static const char gss_json[] =
    "{\"apiVersion\":\"game.kruise.io/v1alpha1\",\"kind\":\"GameServerSet\","
    "\"metadata\":{\"name\":\"bench\",\"namespace\":\"default\","
    "\"uid\":\"0b5ad3a0-8a1e-4a8e-9f5e-3a3c2a6f7d10\",\"resourceVersion\":\"1\"},"
    "\"spec\":{\"replicas\":%zu,\"updateStrategy\":{\"rollingUpdate\":{\"podUpdatePolicy\":"
    "\"InPlaceIfPossible\"}},\"gameServerTemplate\":{\"metadata\":{\"labels\":{\"app\":"
    "\"bench\"}},\"spec\":{\"containers\":[{\"name\":\"minecraft\",\"image\":"
    "\"registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2\",\"env\":[{\"name\":"
    "\"MODE\",\"value\":\"survival\"}],\"resources\":{\"requests\":{\"cpu\":\"500m\"}}}]}}},"
    "\"status\":{\"replicas\":%zu,\"currentReplicas\":%zu,\"waitToBeDeletedReplicas\":%zu}}";

/* n servers: 70% None, 10% Allocated, 10% WaitToBeDeleted (1 in 10 of them being deleted),
 * 10% Maintaining. Returns the WaitToBeDeleted count that GetMetrics subtracts. */
static size_t fill_cache(size_t n)
{
	char text[2048];
	size_t wtbd = 0, wtbd_live = 0;

	for (size_t i = 0; i < n; i++)
		wtbd += i % 10 == 7;
	snprintf(text, sizeof(text), gss_json, n, n, n, wtbd);
	cache.gss = cJSON_Parse(text);
	cache.pods = calloc(n ? n : 1, sizeof(*cache.pods));
	if (!cache.gss || !cache.pods)
		abort();
	for (size_t i = 0; i < n; i++) {
		static const char *const ops[10] = {
		    "None",	 "None",       "None", "None",
		    "None",	 "None",       "None", "WaitToBeDeleted",
		    "Allocated", "Maintaining"};
		cJSON *pod, *labels, *meta;

		if (obj_build_pod(cache.gss, (int)i, NULL, &pod) != 0)
			abort();
		meta = cJSON_GetObjectItemCaseSensitive(pod, "metadata");
		cJSON_AddStringToObject(meta, "uid", "9d3c4b7e-1f0a-4c55-8a8e-6d2f1b0c9e71");
		cJSON_AddStringToObject(meta, "resourceVersion", "123456");
		labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
		cJSON_DeleteItemFromObjectCaseSensitive(labels, OKG_LABEL_OPS_STATE);
		cJSON_AddStringToObject(labels, OKG_LABEL_OPS_STATE, ops[i % 10]);
		if (i % 10 == 7 && i % 100 == 17)
			cJSON_AddStringToObject(meta, "deletionTimestamp", "2026-11-22T05:00:00Z");
		else if (i % 10 == 7)
			wtbd_live++;
		cJSON_AddItemToObject(
		    pod, "status",
		    cJSON_Parse("{\"phase\":\"Running\",\"podIP\":\"127.0.1.2\","
				"\"hostIP\":\"127.0.0.1\",\"conditions\":[{\"type\":"
				"\"Ready\",\"status\":\"True\"}]}"));
		obj_trim_pod(pod);
		cache.pods[i] = pod;
	}
	cache.n = n;
	if (cpack_encode(cache.gss, &cache.gss_packed, &cache.gss_len) < 0)
		abort();
	{
		struct count_ctx x = {"default", "bench", &cache.counted};

		memset(&cache.counted, 0, sizeof(cache.counted));
		for (size_t i = 0; i < n; i++)
			count_pod(&x, cache.pods[i]);
	}
	return wtbd_live;
}

static void free_cache(void)
{
	for (size_t i = 0; i < cache.n; i++)
		cJSON_Delete(cache.pods[i]);
	free(cache.pods);
	cJSON_Delete(cache.gss);
	free(cache.gss_packed);
	cache.gss_packed = NULL;
	cache.pods = NULL;
	cache.gss = NULL;
	cache.n = 0;
}

/* ---- timing ---------------------------------------------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double p50, p90, p99, max, mean; /* microseconds */
};

static struct stats summarize(int64_t *v, size_t n)
{
	struct stats s = {0};
	double sum = 0;

	qsort(v, n, sizeof(*v), cmp_i64);
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	s.p50 = (double)v[n / 2] / 1e3;
	s.p90 = (double)v[n * 90 / 100] / 1e3;
	s.p99 = (double)v[n * 99 / 100] / 1e3;
	s.max = (double)v[n - 1] / 1e3;
	s.mean = sum / (double)n / 1e3;
	return s;
}

/* ---- the client ------------------------------------------------------------------------------ */

static struct buf request_bytes(bool metrics_req)
{
	struct spb_kv kv = {"scalerAddress", "okg-controller.okg-system:6000"};
	struct spb_metrics_req q = {{"bench", "default", &kv, 1}, "gssReplicas"};
	struct buf b;

	buf_init(&b, 4096);
	if ((metrics_req ? spb_metrics_req_encode(&q, &b) : spb_ref_encode(&q.ref, &b)) != 0)
		abort();
	return b;
}

/* calls GetMetrics calls times on one connection; times[i] in ns; checks every answer. */
static void run_calls(int port, const char *method, size_t calls, int64_t *times, long long want)
{
	struct buf req = request_bytes(!strcmp(method, "GetMetrics"));
	char path[96];
	struct h2c c;

	snprintf(path, sizeof(path), SVC "%s", method);
	if (h2c_connect(&c, port) != 0)
		abort();
	for (size_t i = 0; i < WARMUP + calls; i++) {
		struct h2c_stream *s;
		int64_t t0 = now_ns();

		if (h2c_unary(&c, path, (const uint8_t *)req.data, req.len, &s, 10000) != 0 ||
		    s->grpc_status != 0) {
			fprintf(stderr, "bench_scaler: call %zu failed\n", i);
			exit(1);
		}
		if (i >= WARMUP)
			times[i - WARMUP] = now_ns() - t0;
		if (want >= 0 && i == 0) {
			struct spb_metric_list l;
			const uint8_t *p;
			size_t n;

			if (h2c_msg(s, 0, &p, &n, NULL) != 0 ||
			    spb_metric_list_decode(p, n, &l) != 0 || l.n != 1 || l.v[0].i != want) {
				fprintf(stderr, "bench_scaler: wrong metric\n");
				exit(1);
			}
			spb_metric_list_free(&l);
		}
		h2c_release(&c, s);
	}
	h2c_close(&c);
	buf_free(&req);
}

struct worker {
	int port;
	size_t calls;
	int64_t *times;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	run_calls(w->port, "GetMetrics", w->calls, w->times, -1);
	return NULL;
}

static void row(const char *what, const struct stats *s, const char *extra)
{
	printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %s |\n", what, s->p50, s->p90, s->p99,
	       s->max, s->mean, extra);
}

static int serve(int port_arg, size_t n)
{
	char addr[32];
	struct scaler_opts o = {.counts = cache_counts};
	struct scaler *s;
	char err[256];
	sigset_t set;
	int sig;

	fill_cache(n);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port_arg);
	o.listen = addr;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (scaler_start(NULL, &o, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_scaler: %s\n", err);
		return 1;
	}
	printf("serving set default/bench with %zu servers on port %d\n", n, scaler_port(s));
	fflush(stdout);
	sigwait(&set, &sig);
	scaler_stop(s);
	free_cache();
	return 0;
}

/* --client: the real controller, its real caches. */
static int client_only(int port, const char *ns, const char *name, size_t calls)
{
	struct spb_metrics_req q = {{(char *)name, (char *)ns, NULL, 0}, "gssReplicas"};
	int64_t *t = calloc(calls, sizeof(*t));
	struct buf req;
	struct h2c c = {.fd = -1};
	struct stats st;
	char extra[128];
	int rc = 1;

	buf_init(&req, 4096);
	if (!t || spb_metrics_req_encode(&q, &req) != 0 || h2c_connect(&c, port) != 0) {
		fprintf(stderr, "bench_scaler: cannot connect to 127.0.0.1:%d\n", port);
		goto out;
	}
	for (size_t i = 0; i < WARMUP + calls; i++) {
		struct h2c_stream *s;
		int64_t t0 = now_ns();

		if (h2c_unary(&c, SVC "GetMetrics", (const uint8_t *)req.data, req.len, &s,
			      10000) != 0) {
			fprintf(stderr, "bench_scaler: call %zu failed\n", i);
			goto out;
		}
		if (s->grpc_status != 0) {
			fprintf(stderr, "bench_scaler: call %zu: grpc-status %d %s\n", i,
				s->grpc_status, s->grpc_message);
			h2c_release(&c, s);
			goto out;
		}
		if (i >= WARMUP)
			t[i - WARMUP] = now_ns() - t0;
		h2c_release(&c, s);
	}
	st = summarize(t, calls);
	snprintf(extra, sizeof(extra), "%zu sequential calls to okg-controller", calls);
	row("**GetMetrics, okg-controller, real caches**", &st, extra);
	rc = 0;
out:
	h2c_close(&c);
	buf_free(&req);
	free(t);
	return rc;
}

int main(int argc, char **argv)
{
	size_t calls = 10000, n = 10000, side, wtbd;
	struct scaler_opts o = {.listen = "127.0.0.1:0", .counts = cache_counts};
	struct scaler *s;
	char err[256], extra[160];
	int64_t *t, t0;
	struct stats st;
	int port;

	log_init("bench", LOG_WARN);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 6 && !strcmp(argv[1], "--client"))
		return client_only((int)strtol(argv[2], NULL, 10), argv[3], argv[4],
				   (size_t)strtoul(argv[5], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "--serve"))
		return serve((int)strtol(argv[2], NULL, 10), (size_t)strtoul(argv[3], NULL, 10));
	if (argc == 2)
		calls = (size_t)strtoul(argv[1], NULL, 10);
	if (calls < 100) {
		fprintf(stderr, "usage: bench_scaler [CALLS >= 100] | --serve PORT N\n");
		return 2;
	}
	side = calls / 10; /* the side scenarios: fewer calls */
	t = calloc(calls, sizeof(*t));
	if (!t)
		return 1;
	if (scaler_start(NULL, &o, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_scaler: %s\n", err);
		free(t);
		return 1;
	}
	port = scaler_port(s);

	printf("| scenario | p50 µs | p90 µs | p99 µs | max µs | mean µs | notes |\n");
	printf("|---|---:|---:|---:|---:|---:|---|\n");

	/* the provider alone, 10k servers: the cost of reading the cache (wall, then CPU), as
	 * ctl_set_counts answers now, then the walk over every pod it replaced */
	wtbd = fill_cache(n);
	for (int mode = 0; mode < 2; mode++)
		for (int pass = 0; pass < 2; pass++) {
			int64_t (*clk)(void) = pass ? cpu_ns : now_ns;
			int (*fn)(void *, const char *, const char *, struct sm_counts *) =
			    mode ? cache_walk_counts : cache_counts;

			for (size_t i = 0; i < side; i++) {
				struct sm_counts k = {0};

				t0 = clk();
				fn(NULL, "default", "bench", &k);
				t[i] = clk() - t0;
				if (k.total != (long)n || k.wait_to_be_deleted != (long)wtbd)
					abort();
			}
			st = summarize(t, side);
			snprintf(extra, sizeof(extra),
				 mode ? "no gRPC: a walk over all %zu cached pods (before the "
					"counts were kept), %zu calls"
				      : "no gRPC: decode the set, copy its kept counts (%zu "
					"pods), %zu calls",
				 n, side);
			row(mode ? (pass ? "walk every pod, 10,000 servers (thread CPU time)"
					 : "walk every pod, 10,000 servers")
				 : (pass ? "counts only, 10,000 servers (thread CPU time)"
					 : "counts only, 10,000 servers"),
			    &st, extra);
		}

	run_calls(port, "GetMetrics", calls, t, (long long)(n - wtbd));
	st = summarize(t, calls);
	snprintf(extra, sizeof(extra), "%zu sequential calls, one connection; metric %zu", calls,
		 n - wtbd);
	row("**GetMetrics, 10,000 servers**", &st, extra);

	run_calls(port, "IsActive", side, t, -1);
	st = summarize(t, side);
	snprintf(extra, sizeof(extra), "%zu sequential calls", side);
	row("IsActive, 10,000 servers", &st, extra);

	/* concurrency: THREADS connections at once; the server is one thread */
	{
		pthread_t th[THREADS];
		struct worker w[THREADS];
		size_t per = side / THREADS;
		int64_t start = now_ns(), wall;

		for (int i = 0; i < THREADS; i++) {
			w[i] = (struct worker){port, per, t + (size_t)i * per};
			pthread_create(&th[i], NULL, worker_run, &w[i]);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(th[i], NULL);
		wall = now_ns() - start;
		st = summarize(t, per * THREADS);
		snprintf(extra, sizeof(extra), "%d connections x %zu calls: %.0f calls/s", THREADS,
			 per, (double)(per * THREADS + WARMUP * THREADS) / ((double)wall / 1e9));
		row("GetMetrics, 10,000 servers, 4 clients", &st, extra);
	}
	free_cache();

	/* the protocol alone: an empty cache but the set */
	fill_cache(0);
	run_calls(port, "GetMetrics", calls, t, 0);
	st = summarize(t, calls);
	row("GetMetrics, 0 servers", &st, "gRPC + HTTP/2 + loopback only");
	free_cache();

	scaler_stop(s);
	free(t);
	return 0;
}
