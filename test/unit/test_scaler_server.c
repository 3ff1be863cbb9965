/* In-process tests of controller/scaler.c: the server on a loopback port with a fake counts
 * provider, driven by an nghttp2 client (test_scaler_h2client.h) and by raw sockets: every
 * method, the gRPC envelope and status codes, StreamIsActive as a live stream, limits and
 * timeouts, SIGPIPE safety, and a clean stop. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/scaler.h"
#include "controller/scalerpb.h"
#include "test/unit/test_scaler_h2client.h"

#define SVC "/externalscaler.ExternalScaler/"

/* ---- the fake counts provider ------------------------------------------------------------- */

struct fake_set {
	char ns[64], name[64];
	struct sm_counts c;
};

static struct {
	pthread_mutex_t mu;
	struct fake_set sets[8];
	size_t n;
	int err; /* returned instead of counts when non-zero */
	atomic_int calls;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int fake_counts(void *ud, const char *ns, const char *name, struct sm_counts *out)
{
	int e = 0;

	(void)ud;
	atomic_fetch_add(&fake.calls, 1);
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&fake.mu);
	if (fake.err) {
		e = fake.err;
		goto out;
	}
	for (size_t i = 0; i < fake.n; i++) {
		if (!strcmp(fake.sets[i].ns, ns) && !strcmp(fake.sets[i].name, name)) {
			*out = fake.sets[i].c;
			out->found = true;
		}
	}
out:
	pthread_mutex_unlock(&fake.mu);
	return e;
}

/* Sets (or adds) a set with replicas servers: none idle, wtbd WaitToBeDeleted; its status
 * says current = replicas and waitToBeDeleted = wtbd. */
static void fake_put(const char *name, long replicas, long none, long wtbd, bool ready)
{
	struct fake_set *f = NULL;

	pthread_mutex_lock(&fake.mu);
	for (size_t i = 0; i < fake.n; i++) {
		if (!strcmp(fake.sets[i].name, name))
			f = &fake.sets[i];
	}
	if (!f) {
		assert_true(fake.n < 8);
		f = &fake.sets[fake.n++];
	}
	snprintf(f->ns, sizeof(f->ns), "default");
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->c = (struct sm_counts){.found = true,
				  .status_ready = ready,
				  .replicas = replicas,
				  .status_current = replicas,
				  .status_wtbd = wtbd,
				  .total = replicas,
				  .none = none,
				  .wait_to_be_deleted = wtbd};
	pthread_mutex_unlock(&fake.mu);
}

static void fake_del(const char *name)
{
	pthread_mutex_lock(&fake.mu);
	for (size_t i = 0; i < fake.n; i++) {
		if (!strcmp(fake.sets[i].name, name))
			fake.sets[i] = fake.sets[--fake.n];
	}
	pthread_mutex_unlock(&fake.mu);
}

/* ---- fixtures ----------------------------------------------------------------------------- */

static struct scaler *srv;
static int port;

static struct scaler *start(int max_conns, int *port_out)
{
	struct scaler_opts o = {.listen = "127.0.0.1:0",
				.max_conns = max_conns,
				.io_timeout_ms = 500,
				.idle_timeout_ms = 1500,
				.stream_poll_ms = 50,
				.counts = fake_counts};
	struct scaler *s = NULL;
	char err[256];

	assert_int_equal(scaler_start(NULL, &o, &s, err, sizeof(err)), 0);
	*port_out = scaler_port(s);
	assert_true(*port_out > 0);
	return s;
}

static int setup(void **state)
{
	(void)state;
	srv = start(16, &port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	scaler_stop(srv);
	srv = NULL;
	return 0;
}

static void reset_fake(void)
{
	pthread_mutex_lock(&fake.mu);
	fake.n = 0;
	fake.err = 0;
	pthread_mutex_unlock(&fake.mu);
	fake_put("minecraft", 3, 3, 0, true);
}

static void conn(struct h2c *c)
{
	reset_fake();
	assert_int_equal(h2c_connect(c, port), 0);
}

/* A ScaledObjectRef (or, for GetMetrics, a GetMetricsRequest) with up to two metadata keys. */
static void request(struct buf *out, bool metrics_req, const char *ns, const char *name,
		    const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct spb_kv kv[2] = {{(char *)k1, (char *)v1}, {(char *)k2, (char *)v2}};
	struct spb_metrics_req q = {{(char *)name, (char *)ns, kv,
				     k2	  ? 2
				     : k1 ? 1
					  : 0},
				    "gssReplicas"};

	buf_init(out, 1 << 20);
	if (metrics_req)
		assert_int_equal(spb_metrics_req_encode(&q, out), 0);
	else
		assert_int_equal(spb_ref_encode(&q.ref, out), 0);
}

/* One unary call; the answer stays in the returned stream (release it). */
static struct h2c_stream *call(struct h2c *c, const char *method, const char *ns, const char *name,
			       const char *k1, const char *v1, const char *k2, const char *v2)
{
	char path[128];
	struct buf req;
	struct h2c_stream *s = NULL;

	snprintf(path, sizeof(path), SVC "%s", method);
	request(&req, !strcmp(method, "GetMetrics"), ns, name, k1, v1, k2, v2);
	assert_int_equal(h2c_unary(c, path, (const uint8_t *)req.data, req.len, &s, 3000), 0);
	buf_free(&req);
	assert_string_equal(s->http_status, "200");
	assert_string_equal(s->content_type, "application/grpc");
	return s;
}

static long long get_metrics(struct h2c *c, const char *name, const char *k1, const char *v1,
			     const char *k2, const char *v2)
{
	struct h2c_stream *s = call(c, "GetMetrics", "default", name, k1, v1, k2, v2);
	struct spb_metric_list l;
	const uint8_t *p = NULL;
	size_t n = 0;
	long long v;

	assert_int_equal(s->grpc_status, 0);
	assert_int_equal(s->headers_frames, 2); /* headers, then trailers */
	assert_int_equal(h2c_msg_count(s), 1);
	assert_int_equal(h2c_msg(s, 0, &p, &n, NULL), 0);
	assert_int_equal(spb_metric_list_decode(p, n, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "gssReplicas");
	v = l.v[0].i;
	assert_true(l.v[0].f == (double)v); /* both fields filled */
	spb_metric_list_free(&l);
	h2c_release(c, s);
	return v;
}

/* The status of a call that fails; checks it is Trailers-Only and the message holds want. */
static int call_status(struct h2c *c, const char *method, const char *ns, const char *name,
		       const char *k1, const char *v1, const char *want)
{
	struct h2c_stream *s = call(c, method, ns, name, k1, v1, NULL, NULL);
	int code = s->grpc_status;

	if (code != 0) {
		assert_int_equal(s->headers_frames, 1);
		assert_int_equal(s->data.len, 0);
	}
	if (want && !strstr(s->grpc_message, want)) {
		print_error("grpc-message \"%s\" lacks \"%s\"\n", s->grpc_message, want);
		fail();
	}
	h2c_release(c, s);
	return code;
}

static bool msgs_at_least(struct h2c *c, void *arg)
{
	(void)c;
	return h2c_msg_count(arg) >= 2 || ((struct h2c_stream *)arg)->closed;
}

static bool first_msg(struct h2c *c, void *arg)
{
	(void)c;
	return h2c_msg_count(arg) >= 1 || ((struct h2c_stream *)arg)->closed;
}

static bool is_active_msg(const struct h2c_stream *s, size_t idx)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	bool a;

	assert_int_equal(h2c_msg(s, idx, &p, &n, NULL), 0);
	assert_int_equal(spb_is_active_decode(p, n, &a), 0);
	return a;
}

/* ---- the methods -------------------------------------------------------------------------- */

static void test_get_metric_spec(void **state)
{
	struct h2c c;
	struct h2c_stream *s;
	struct spb_metric_list l;
	const uint8_t *p = NULL;
	size_t n = 0;
	uint8_t flags = 9;

	(void)state;
	conn(&c);
	s = call(&c, "GetMetricSpec", "default", "minecraft", NULL, NULL, NULL, NULL);
	assert_int_equal(s->grpc_status, 0);
	assert_int_equal(s->headers_frames, 2);
	assert_int_equal(h2c_msg_count(s), 1);
	assert_int_equal(h2c_msg(s, 0, &p, &n, &flags), 0);
	assert_int_equal(flags, 0);
	assert_int_equal(spb_metric_list_decode(p, n, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "gssReplicas");
	assert_int_equal(l.v[0].i, 1);
	assert_true(l.v[0].f == 1.0);
	spb_metric_list_free(&l);
	h2c_release(&c, s);
	h2c_close(&c);
}

static void test_get_metrics(void **state)
{
	struct h2c c;

	(void)state;
	conn(&c);
	assert_int_equal(get_metrics(&c, "minecraft", NULL, NULL, NULL, NULL), 3);
	fake_put("minecraft", 3, 2, 1, true); /* minecraft-0 WaitToBeDeleted */
	assert_int_equal(get_metrics(&c, "minecraft", NULL, NULL, NULL, NULL), 2);
	fake_put("minecraft", 3, 1, 0, true); /* 1 None + 2 Allocated */
	assert_int_equal(get_metrics(&c, "minecraft", "minAvailable", "3", NULL, NULL), 5);
	assert_int_equal(get_metrics(&c, "minecraft", "minAvailable", "0.5", NULL, NULL), 4);
	assert_int_equal(get_metrics(&c, "minecraft", "minAvailable", "5", "maxAvailable", "2"), 4);
	fake_put("minecraft", 5, 5, 0, true);
	assert_int_equal(get_metrics(&c, "minecraft", "maxAvailable", "2", NULL, NULL), 2);
	fake_put("minecraft", 2, 2, 0, true);
	assert_int_equal(get_metrics(&c, "minecraft", "maxAvailable", "-3", NULL, NULL), -3);
	/* the status is not needed for GetMetrics */
	fake_put("fresh", 4, 0, 0, false);
	assert_int_equal(get_metrics(&c, "fresh", NULL, NULL, NULL, NULL), 4);
	/* KEDA's own key is passed along and ignored */
	assert_int_equal(get_metrics(&c, "fresh", "scalerAddress", "okg:6000", NULL, NULL), 4);
	h2c_close(&c);
}

static void test_is_active(void **state)
{
	struct h2c c;
	struct h2c_stream *s;

	(void)state;
	conn(&c);
	s = call(&c, "IsActive", "default", "minecraft", NULL, NULL, NULL, NULL);
	assert_int_equal(s->grpc_status, 0);
	assert_true(is_active_msg(s, 0));
	h2c_release(&c, s);
	fake_put("minecraft", 3, 0, 3, true); /* every server WaitToBeDeleted */
	s = call(&c, "IsActive", "default", "minecraft", NULL, NULL, NULL, NULL);
	assert_int_equal(s->grpc_status, 0);
	assert_false(is_active_msg(s, 0));
	assert_int_equal(h2c_msg(s, 0, &(const uint8_t *){NULL}, &(size_t){0}, NULL), 0);
	h2c_release(&c, s);
	s = call(&c, "IsActive", "default", "minecraft", "minAvailable", "1", NULL, NULL);
	assert_int_equal(s->grpc_status, 0);
	assert_true(is_active_msg(s, 0));
	h2c_release(&c, s);
	h2c_close(&c);
}

static void test_error_codes(void **state)
{
	struct h2c c;

	(void)state;
	conn(&c);
	fake_put("fresh", 3, 3, 0, false);
	assert_int_equal(call_status(&c, "GetMetrics", "default", "nope", NULL, NULL,
				     "GameServerSet default/nope not found"),
			 5);
	assert_int_equal(call_status(&c, "IsActive", "other", "minecraft", NULL, NULL,
				     "GameServerSet other/minecraft not found"),
			 5);
	assert_int_equal(call_status(&c, "IsActive", "default", "fresh", NULL, NULL,
				     "GameServerSet default/fresh has not inited"),
			 14);
	assert_int_equal(call_status(&c, "GetMetrics", "default", "minecraft", "minAvailable",
				     "abc", "minAvailable"),
			 3);
	assert_int_equal(call_status(&c, "GetMetrics", "default", "minecraft", "maxAvailable",
				     "1.5", "maxAvailable"),
			 3);
	assert_int_equal(call_status(&c, "IsActive", "default", "minecraft", "minAvailable", "-1",
				     "minAvailable"),
			 3);
	assert_int_equal(call_status(&c, "GetMetrics", "default", "", NULL, NULL,
				     "scaledObjectRef.name is empty"),
			 3);
	assert_int_equal(call_status(&c, "IsActive", "", "minecraft", NULL, NULL,
				     "scaledObjectRef.namespace is empty"),
			 3);
	assert_int_equal(call_status(&c, "StreamMetricSpec", "default", "minecraft", NULL, NULL,
				     "GetMetricSpec"),
			 12);
	assert_int_equal(
	    call_status(&c, "Nope", "default", "minecraft", NULL, NULL, "unknown method"), 12);
	/* the caches not synced yet */
	pthread_mutex_lock(&fake.mu);
	fake.err = -EAGAIN;
	pthread_mutex_unlock(&fake.mu);
	assert_int_equal(
	    call_status(&c, "GetMetrics", "default", "minecraft", NULL, NULL, "not synced"), 14);
	pthread_mutex_lock(&fake.mu);
	fake.err = -EIO;
	pthread_mutex_unlock(&fake.mu);
	assert_int_equal(call_status(&c, "IsActive", "default", "minecraft", NULL, NULL, NULL), 13);
	pthread_mutex_lock(&fake.mu);
	fake.err = 0;
	pthread_mutex_unlock(&fake.mu);
	/* a message is percent-encoded: a name with a newline and a percent sign */
	{
		struct h2c_stream *s =
		    call(&c, "GetMetrics", "default", "a\n%b", NULL, NULL, NULL, NULL);

		assert_int_equal(s->grpc_status, 5);
		assert_non_null(strstr(s->grpc_message, "default/a%0A%25b"));
		h2c_release(&c, s);
	}
	h2c_close(&c);
}

/* ---- the gRPC envelope -------------------------------------------------------------------- */

/* Sends a raw body (no framing added) to GetMetrics; returns the status. */
static int raw_status(struct h2c *c, const uint8_t *body, size_t n, const nghttp2_nv *extra,
		      size_t nextra, const char *want)
{
	struct h2c_stream *s = h2c_start(c, SVC "GetMetrics", body, n, true, extra, nextra);
	int code;

	assert_non_null(s);
	assert_int_equal(h2c_run(c, 3000, h2c_closed_pred, s), 0);
	code = s->grpc_status;
	if (want && !strstr(s->grpc_message, want)) {
		print_error("grpc-message \"%s\" lacks \"%s\"\n", s->grpc_message, want);
		fail();
	}
	h2c_release(c, s);
	return code;
}

static void test_framing(void **state)
{
	struct h2c c;
	struct buf req, body;
	nghttp2_nv gzip[] = {H2C_NV("grpc-encoding", "gzip")};

	(void)state;
	conn(&c);
	request(&req, true, "default", "minecraft", NULL, NULL, NULL, NULL);
	buf_init(&body, 1 << 20);
	/* compressed flag with grpc-encoding gzip: UNIMPLEMENTED; without: INTERNAL */
	buf_append(&body, "\x01", 1);
	buf_append(&body, (const char[]){0, 0, 0, (char)req.len}, 4);
	buf_append(&body, req.data, req.len);
	assert_int_equal(raw_status(&c, (uint8_t *)body.data, body.len, gzip, 1, "gzip"), 12);
	assert_int_equal(raw_status(&c, (uint8_t *)body.data, body.len, NULL, 0, "compressed"), 13);
	/* unknown flag bits */
	body.data[0] = 2;
	assert_int_equal(raw_status(&c, (uint8_t *)body.data, body.len, NULL, 0, "flags"), 13);
	body.data[0] = 0;
	assert_int_equal(raw_status(&c, (uint8_t *)body.data, body.len, NULL, 0, NULL), 0);
	/* two messages */
	{
		struct buf two;

		buf_init(&two, 1 << 20);
		buf_append(&two, body.data, body.len);
		buf_append(&two, body.data, body.len);
		assert_int_equal(
		    raw_status(&c, (uint8_t *)two.data, two.len, NULL, 0, "more than one"), 13);
		buf_free(&two);
	}
	/* cut short: in the prefix, in the message */
	assert_int_equal(raw_status(&c, (uint8_t *)body.data, 3, NULL, 0, "cut short"), 13);
	assert_int_equal(raw_status(&c, (uint8_t *)body.data, body.len - 1, NULL, 0, "cut short"),
			 13);
	/* no message at all (an empty DATA frame with END_STREAM) */
	assert_int_equal(raw_status(&c, (const uint8_t *)"", 0, NULL, 0, "no request"), 13);
	/* not protobuf */
	assert_int_equal(
	    raw_status(&c, (const uint8_t *)"\0\0\0\0\2\x0f\x00", 7, NULL, 0, "malformed"), 3);
	/* a declared length over the cap; then a real message over the cap */
	assert_int_equal(raw_status(&c, (const uint8_t *)"\0\x7f\0\0\0", 5, NULL, 0, "larger"), 8);
	{
		struct buf big;
		uint8_t pre[5] = {0, 0, 1, 0x11, 0x70}; /* 70000: answered before the end */

		buf_init(&big, 1 << 20);
		buf_append(&big, pre, 5);
		for (int i = 0; i < 70000; i++)
			buf_append(&big, "x", 1);
		assert_int_equal(raw_status(&c, (uint8_t *)big.data, big.len, NULL, 0, "larger"),
				 8);
		buf_free(&big);
	}
	/* the connection still works */
	assert_int_equal(get_metrics(&c, "minecraft", NULL, NULL, NULL, NULL), 3);
	buf_free(&req);
	buf_free(&body);
	h2c_close(&c);
}

static void test_http_errors(void **state)
{
	struct h2c c;
	struct h2c_stream *s;
	nghttp2_nv get[] = {H2C_NV(":method", "GET"), H2C_NV(":scheme", "http"),
			    H2C_NV(":authority", "x"), H2C_NV(":path", SVC "GetMetrics")};
	nghttp2_nv json[] = {H2C_NV(":method", "POST"), H2C_NV(":scheme", "http"),
			     H2C_NV(":authority", "x"), H2C_NV(":path", SVC "GetMetrics"),
			     H2C_NV("content-type", "application/json")};
	nghttp2_nv grpc_proto[] = {H2C_NV(":method", "POST"), H2C_NV(":scheme", "http"),
				   H2C_NV(":authority", "x"), H2C_NV(":path", SVC "GetMetricSpec"),
				   H2C_NV("content-type", "application/grpc+proto")};
	struct buf req;

	(void)state;
	conn(&c);
	s = h2c_start_raw(&c, get, 4, NULL, 0, true);
	assert_int_equal(h2c_run(&c, 3000, h2c_closed_pred, s), 0);
	assert_string_equal(s->http_status, "405");
	h2c_release(&c, s);
	s = h2c_start_raw(&c, json, 5, (const uint8_t *)"{}", 2, true);
	assert_int_equal(h2c_run(&c, 3000, h2c_closed_pred, s), 0);
	assert_string_equal(s->http_status, "415");
	h2c_release(&c, s);
	/* application/grpc+proto is gRPC too */
	request(&req, false, "default", "minecraft", NULL, NULL, NULL, NULL);
	{
		uint8_t framed[64];

		assert_true(req.len + 5 <= sizeof(framed));
		framed[0] = framed[1] = framed[2] = framed[3] = 0;
		framed[4] = (uint8_t)req.len;
		memcpy(framed + 5, req.data, req.len);
		s = h2c_start_raw(&c, grpc_proto, 5, framed, req.len + 5, true);
	}
	assert_int_equal(h2c_run(&c, 3000, h2c_closed_pred, s), 0);
	assert_int_equal(s->grpc_status, 0);
	h2c_release(&c, s);
	buf_free(&req);
	/* a header block over SCALER_HDR_MAX resets the stream, not the connection */
	{
		char *big = malloc(SCALER_HDR_MAX + 100);
		nghttp2_nv x[1];

		assert_non_null(big);
		memset(big, 'a', SCALER_HDR_MAX + 99);
		big[SCALER_HDR_MAX + 99] = '\0';
		x[0] = (nghttp2_nv)H2C_NV("x-big", big);
		request(&req, true, "default", "minecraft", NULL, NULL, NULL, NULL);
		s = h2c_start(&c, SVC "GetMetrics", (uint8_t *)req.data, req.len, false, x, 1);
		assert_int_equal(h2c_run(&c, 3000, h2c_closed_pred, s), 0);
		assert_int_equal(s->grpc_status, -1);
		assert_true(s->rst_code != 0);
		h2c_release(&c, s);
		buf_free(&req);
		free(big);
	}
	assert_int_equal(get_metrics(&c, "minecraft", NULL, NULL, NULL, NULL), 3);
	h2c_close(&c);
}

/* Requests held open past the connection's budget: the one that crosses it is answered
 * RESOURCE_EXHAUSTED at once, the others wait; then the connection times out. */
static void test_conn_budget(void **state)
{
	struct h2c c;
	struct h2c_stream *s[5];
	nghttp2_nv nv[] = {H2C_NV(":method", "POST"), H2C_NV(":scheme", "http"),
			   H2C_NV(":authority", "x"), H2C_NV(":path", SVC "GetMetrics"),
			   H2C_NV("content-type", "application/grpc")};
	uint8_t *body = calloc(1, 15000);
	int exhausted = 0, open = 0;

	(void)state;
	assert_non_null(body);
	body[3] = 0x3a; /* declares 14995 bytes: under SCALER_MSG_MAX */
	body[4] = 0x93;
	conn(&c);
	for (int i = 0; i < 5; i++) {
		s[i] = h2c_start_raw(&c, nv, 5, body, 15000, false); /* no END_STREAM */
		assert_non_null(s[i]);
	}
	assert_int_equal(h2c_run(&c, 300, NULL, NULL), 0);
	for (int i = 0; i < 5; i++) {
		if (s[i]->closed || s[i]->grpc_status >= 0)
			exhausted += s[i]->grpc_status == 8;
		else
			open++;
	}
	assert_true(exhausted >= 1);
	assert_true(open >= 3);
	/* the unfinished requests time the connection out */
	assert_int_equal(h2c_run(&c, 3000, NULL, NULL), -EPIPE);
	free(body);
	h2c_close(&c);
}

/* Many calls at once on one connection, then many in a row. */
static void test_concurrent_and_sequential(void **state)
{
	struct h2c c;
	struct h2c_stream *s[H2C_MAX_STREAMS];
	struct buf req;

	(void)state;
	conn(&c);
	request(&req, true, "default", "minecraft", NULL, NULL, NULL, NULL);
	for (int i = 0; i < H2C_MAX_STREAMS; i++) {
		s[i] =
		    h2c_start(&c, SVC "GetMetrics", (uint8_t *)req.data, req.len, false, NULL, 0);
		assert_non_null(s[i]);
	}
	for (int i = 0; i < H2C_MAX_STREAMS; i++) {
		assert_int_equal(h2c_run(&c, 3000, h2c_closed_pred, s[i]), 0);
		assert_int_equal(s[i]->grpc_status, 0);
		assert_int_equal(h2c_msg_count(s[i]), 1);
		h2c_release(&c, s[i]);
	}
	buf_free(&req);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(get_metrics(&c, "minecraft", NULL, NULL, NULL, NULL), 3);
	h2c_close(&c);
}

/* ---- StreamIsActive ----------------------------------------------------------------------- */

static struct h2c_stream *open_stream(struct h2c *c, const char *name, const nghttp2_nv *extra,
				      size_t nextra)
{
	struct buf req;
	struct h2c_stream *s;

	request(&req, false, "default", name, NULL, NULL, NULL, NULL);
	s = h2c_start(c, SVC "StreamIsActive", (uint8_t *)req.data, req.len, false, extra, nextra);
	buf_free(&req);
	assert_non_null(s);
	return s;
}

static void test_stream_is_active(void **state)
{
	struct h2c c;
	struct h2c_stream *s;
	int before;

	(void)state;
	conn(&c);
	s = open_stream(&c, "minecraft", NULL, 0);
	/* the current value at once */
	assert_int_equal(h2c_run(&c, 2000, first_msg, s), 0);
	assert_false(s->closed);
	assert_string_equal(s->http_status, "200");
	assert_true(is_active_msg(s, 0));
	/* nothing while nothing changes */
	assert_int_equal(h2c_run(&c, 300, NULL, NULL), 0);
	assert_int_equal(h2c_msg_count(s), 1);
	/* a change: every server WaitToBeDeleted */
	fake_put("minecraft", 3, 0, 3, true);
	assert_int_equal(h2c_run(&c, 2000, msgs_at_least, s), 0);
	assert_false(s->closed);
	assert_int_equal(h2c_msg_count(s), 2);
	assert_false(is_active_msg(s, 1));
	/* the client cancels: the server stops polling for it */
	nghttp2_submit_rst_stream(c.ses, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL);
	assert_int_equal(h2c_run(&c, 200, NULL, NULL), 0);
	before = atomic_load(&fake.calls);
	assert_int_equal(h2c_run(&c, 400, NULL, NULL), 0);
	assert_int_equal(atomic_load(&fake.calls), before);
	h2c_release(&c, s);
	/* the set goes away: the stream ends with NOT_FOUND in trailers */
	fake_put("minecraft", 3, 3, 0, true);
	s = open_stream(&c, "minecraft", NULL, 0);
	assert_int_equal(h2c_run(&c, 2000, first_msg, s), 0);
	fake_del("minecraft");
	assert_int_equal(h2c_run(&c, 2000, h2c_closed_pred, s), 0);
	assert_int_equal(s->grpc_status, 5);
	assert_int_equal(s->headers_frames, 2);
	assert_int_equal(h2c_msg_count(s), 1);
	h2c_release(&c, s);
	/* unknown at the start: Trailers-Only NOT_FOUND */
	s = open_stream(&c, "nope", NULL, 0);
	assert_int_equal(h2c_run(&c, 2000, h2c_closed_pred, s), 0);
	assert_int_equal(s->grpc_status, 5);
	assert_int_equal(s->headers_frames, 1);
	h2c_release(&c, s);
	h2c_close(&c);
}

static void test_stream_deadline(void **state)
{
	struct h2c c;
	struct h2c_stream *s;
	nghttp2_nv t[] = {H2C_NV("grpc-timeout", "300m")};

	(void)state;
	conn(&c);
	s = open_stream(&c, "minecraft", t, 1);
	assert_int_equal(h2c_run(&c, 3000, h2c_closed_pred, s), 0);
	assert_int_equal(s->grpc_status, 4);
	assert_int_equal(h2c_msg_count(s), 1);
	h2c_release(&c, s);
	h2c_close(&c);
}

/* Many streams on many connections all see a change. */
static void test_many_streams(void **state)
{
	struct h2c c[3];
	struct h2c_stream *s[3][8];

	(void)state;
	reset_fake();
	for (int k = 0; k < 3; k++) {
		assert_int_equal(h2c_connect(&c[k], port), 0);
		for (int i = 0; i < 8; i++)
			s[k][i] = open_stream(&c[k], "minecraft", NULL, 0);
	}
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 8; i++)
			assert_int_equal(h2c_run(&c[k], 2000, first_msg, s[k][i]), 0);
	}
	fake_put("minecraft", 3, 0, 3, true);
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 8; i++) {
			assert_int_equal(h2c_run(&c[k], 2000, msgs_at_least, s[k][i]), 0);
			assert_false(is_active_msg(s[k][i], 1));
		}
		h2c_close(&c[k]);
	}
}

/* ---- connections: timeouts, limits, bad peers --------------------------------------------- */

static int raw_connect(int p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Reads until EOF; returns the ms it took, or -1 after timeout_ms. */
static int64_t wait_eof(int fd, int timeout_ms)
{
	int64_t start = h2c_now_ms();

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = start + timeout_ms - h2c_now_ms();
		char b[4096];

		if (left <= 0)
			return -1;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (recv(fd, b, sizeof(b), 0) <= 0)
			return h2c_now_ms() - start;
	}
}

static void test_not_http2(void **state)
{
	int fd = raw_connect(port);
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	int64_t t;

	(void)state;
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
	t = wait_eof(fd, 2000);
	assert_true(t >= 0 && t < 400); /* at once, not after the timeout */
	close(fd);
}

static void test_preface_timeout(void **state)
{
	int fd = raw_connect(port);
	int64_t t;

	(void)state;
	t = wait_eof(fd, 3000);
	assert_true(t >= 400 && t < 2000);
	close(fd);
}

static void test_slow_request_timeout(void **state)
{
	struct h2c c;
	nghttp2_nv nv[] = {H2C_NV(":method", "POST"), H2C_NV(":scheme", "http"),
			   H2C_NV(":authority", "x"), H2C_NV(":path", SVC "GetMetrics"),
			   H2C_NV("content-type", "application/grpc")};
	struct h2c_stream *s;
	unsigned long before = atomic_load(&scaler_get_stats(srv)->conns_timed_out);
	int64_t t0 = h2c_now_ms();

	(void)state;
	conn(&c);
	s = h2c_start_raw(&c, nv, 5, NULL, 0, false); /* headers, never the body */
	assert_non_null(s);
	assert_int_equal(h2c_run(&c, 3000, h2c_closed_pred, s), -EPIPE);
	assert_true(h2c_now_ms() - t0 >= 400);
	assert_int_equal(atomic_load(&scaler_get_stats(srv)->conns_timed_out), before + 1);
	h2c_close(&c);
}

static void test_idle_timeout(void **state)
{
	struct h2c c;
	int64_t t0;

	(void)state;
	conn(&c);
	assert_int_equal(get_metrics(&c, "minecraft", NULL, NULL, NULL, NULL), 3);
	t0 = h2c_now_ms();
	assert_int_equal(h2c_run(&c, 4000, NULL, NULL), -EPIPE); /* the server closed it */
	assert_true(c.eof);
	assert_true(c.got_goaway);
	assert_true(h2c_now_ms() - t0 >= 1000);
	h2c_close(&c);
}

static void test_idle_stream_kept(void **state)
{
	struct h2c c;
	struct h2c_stream *s;

	(void)state;
	conn(&c);
	s = open_stream(&c, "minecraft", NULL, 0);
	/* longer than the idle timeout: an open stream keeps the connection */
	assert_int_equal(h2c_run(&c, 2500, NULL, NULL), 0);
	assert_false(c.eof);
	assert_false(s->closed);
	h2c_release(&c, s);
	h2c_close(&c);
}

static void test_max_connections(void **state)
{
	int p;
	struct scaler *s = start(2, &p);
	struct h2c a, b, x;

	(void)state;
	reset_fake();
	assert_int_equal(h2c_connect(&a, p), 0);
	assert_int_equal(h2c_connect(&b, p), 0);
	assert_int_equal(h2c_run(&a, 100, NULL, NULL), 0);
	assert_int_equal(h2c_run(&b, 100, NULL, NULL), 0);
	assert_int_equal(h2c_connect(&x, p), 0);
	assert_int_equal(h2c_run(&x, 1000, NULL, NULL), -EPIPE);
	assert_int_equal(atomic_load(&scaler_get_stats(s)->conns_refused), 1);
	assert_int_equal(atomic_load(&scaler_get_stats(s)->conns_open), 2);
	h2c_close(&x);
	h2c_close(&a);
	/* the server notices and takes a new one */
	for (int i = 0; i < 100 && atomic_load(&scaler_get_stats(s)->conns_open) > 1; i++)
		usleep(10000);
	assert_int_equal(h2c_connect(&x, p), 0);
	{
		struct buf req;
		struct h2c_stream *st;

		request(&req, true, "default", "minecraft", NULL, NULL, NULL, NULL);
		assert_int_equal(
		    h2c_unary(&x, SVC "GetMetrics", (uint8_t *)req.data, req.len, &st, 2000), 0);
		assert_int_equal(st->grpc_status, 0);
		h2c_release(&x, st);
		buf_free(&req);
	}
	h2c_close(&x);
	h2c_close(&b);
	scaler_stop(s);
}

/* A peer that resets the connection while answers are being written: no SIGPIPE (this test
 * keeps SIGPIPE's default action, which would kill the process), and the server goes on. */
static void test_sigpipe_safe(void **state)
{
	struct buf req;

	(void)state;
	signal(SIGPIPE, SIG_DFL);
	request(&req, true, "default", "minecraft", NULL, NULL, NULL, NULL);
	for (int round = 0; round < 20; round++) {
		struct h2c c;
		struct linger lg = {1, 0};

		conn(&c);
		for (int i = 0; i < H2C_MAX_STREAMS; i++)
			h2c_start(&c, SVC "GetMetrics", (uint8_t *)req.data, req.len, false, NULL,
				  0);
		/* send everything, read nothing, then RST */
		h2c_run(&c, 5, NULL, NULL);
		setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		h2c_close(&c);
	}
	buf_free(&req);
	usleep(200000);
	{
		struct h2c c;

		conn(&c);
		assert_int_equal(get_metrics(&c, "minecraft", NULL, NULL, NULL, NULL), 3);
		h2c_close(&c);
	}
}

/* Stop with a stream open: it ends with UNAVAILABLE, then GOAWAY and EOF. */
static void test_stop_ends_streams(void **state)
{
	int p;
	struct scaler *s = start(4, &p);
	struct h2c c;
	struct h2c_stream *st;
	struct buf req;

	(void)state;
	reset_fake();
	assert_int_equal(h2c_connect(&c, p), 0);
	request(&req, false, "default", "minecraft", NULL, NULL, NULL, NULL);
	st = h2c_start(&c, SVC "StreamIsActive", (uint8_t *)req.data, req.len, false, NULL, 0);
	buf_free(&req);
	assert_int_equal(h2c_run(&c, 2000, first_msg, st), 0);
	scaler_stop(s);
	assert_int_equal(h2c_run(&c, 2000, h2c_closed_pred, st), 0);
	assert_int_equal(st->grpc_status, 14);
	assert_true(strstr(st->grpc_message, "shutting down") != NULL);
	h2c_run(&c, 1000, NULL, NULL);
	assert_true(c.got_goaway);
	assert_true(c.eof);
	h2c_close(&c);
}

static void test_listen_addresses(void **state)
{
	static const char *const bad[] = {
	    "nohost",	    "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:6x",
	    "1.2.3.4.5:80", "[::1",	 "[::1]6000",  "example.com:80",  ""};
	struct scaler_opts o = {.counts = fake_counts};
	struct scaler *s;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.listen = bad[i];
		assert_int_equal(scaler_start(NULL, &o, &s, err, sizeof(err)), -EINVAL);
		assert_null(s);
		assert_true(err[0] != '\0');
	}
	/* the port in use */
	{
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		o.listen = addr;
		assert_int_equal(scaler_start(NULL, &o, &s, err, sizeof(err)), -EADDRINUSE);
	}
	/* no provider and no controller */
	o.listen = "127.0.0.1:0";
	o.counts = NULL;
	assert_int_equal(scaler_start(NULL, &o, &s, err, sizeof(err)), -EINVAL);
	/* IPv6 loopback, where the machine has it */
	o.counts = fake_counts;
	o.listen = "[::1]:0";
	if (scaler_start(NULL, &o, &s, err, sizeof(err)) == 0) {
		assert_true(scaler_port(s) > 0);
		scaler_stop(s);
	}
	scaler_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_metric_spec),
	    cmocka_unit_test(test_get_metrics),
	    cmocka_unit_test(test_is_active),
	    cmocka_unit_test(test_error_codes),
	    cmocka_unit_test(test_framing),
	    cmocka_unit_test(test_http_errors),
	    cmocka_unit_test(test_conn_budget),
	    cmocka_unit_test(test_concurrent_and_sequential),
	    cmocka_unit_test(test_stream_is_active),
	    cmocka_unit_test(test_stream_deadline),
	    cmocka_unit_test(test_many_streams),
	    cmocka_unit_test(test_not_http2),
	    cmocka_unit_test(test_preface_timeout),
	    cmocka_unit_test(test_slow_request_timeout),
	    cmocka_unit_test(test_idle_timeout),
	    cmocka_unit_test(test_idle_stream_kept),
	    cmocka_unit_test(test_max_connections),
	    cmocka_unit_test(test_sigpipe_safe),
	    cmocka_unit_test(test_stop_ends_streams),
	    cmocka_unit_test(test_listen_addresses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
