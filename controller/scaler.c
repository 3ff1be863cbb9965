/* scaler: KEDA's external scaler, gRPC over h2c with nghttp2, one thread; see scaler.h.
 *
 * Ownership: struct scaler owns the listening socket, the wake-up pipe, the thread and every
 * struct sconn; a struct sconn owns its socket, its nghttp2 session and its streams (a list of
 * struct sstream, each also attached to its nghttp2 stream as user data and freed when nghttp2
 * closes the stream or when the connection goes). Everything after scaler_start() runs on the
 * scaler's thread except scaler_stop() and the stats. */
#include "controller/scaler.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "controller/ctl.h"
#include "controller/scalerpb.h"
#include "lib/buf.h"
#include "lib/log.h"

/* gRPC status codes used here. */
enum {
	GS_OK = 0,
	GS_INVALID_ARGUMENT = 3,
	GS_DEADLINE_EXCEEDED = 4,
	GS_NOT_FOUND = 5,
	GS_RESOURCE_EXHAUSTED = 8,
	GS_UNIMPLEMENTED = 12,
	GS_INTERNAL = 13,
	GS_UNAVAILABLE = 14,
};

enum method {
	M_UNKNOWN = 0,
	M_IS_ACTIVE,
	M_STREAM_IS_ACTIVE,
	M_GET_METRIC_SPEC,
	M_GET_METRICS,
	M_STREAM_METRIC_SPEC,
};

static const struct {
	const char *path;
	enum method m;
} methods[] = {
    {"/externalscaler.ExternalScaler/IsActive", M_IS_ACTIVE},
    {"/externalscaler.ExternalScaler/StreamIsActive", M_STREAM_IS_ACTIVE},
    {"/externalscaler.ExternalScaler/GetMetricSpec", M_GET_METRIC_SPEC},
    {"/externalscaler.ExternalScaler/GetMetrics", M_GET_METRICS},
    {"/externalscaler.ExternalScaler/StreamMetricSpec", M_STREAM_METRIC_SPEC},
};

static const char *method_name(enum method m)
{
	static const char *const names[] = {"unknown",	     "IsActive",   "StreamIsActive",
					    "GetMetricSpec", "GetMetrics", "StreamMetricSpec"};

	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "unknown";
}

#define MSG_OUT_MAX	 1024 /* one encoded response message */
#define STATUS_MSG	 512  /* grpc-message before percent-encoding */
#define READ_CHUNK	 16384
#define READS_PER_WAKE	 4
#define ACCEPTS_PER_WAKE 64

struct sconn;

/* One HTTP/2 stream: a request being received, then its answer. */
struct sstream {
	int32_t id;
	struct sconn *conn;
	struct sstream *prev, *next; /* the connection's list */
	enum method m;
	bool not_post, bad_ctype, have_ctype;
	char encoding[32];  /* grpc-encoding, truncated */
	int64_t timeout_ms; /* grpc-timeout, 0 = none */
	size_t hdr_bytes;
	struct buf in; /* request body, capped at prefix + SCALER_MSG_MAX (and the conn budget) */
	bool in_too_big;
	int64_t begun_ms;
	bool complete; /* answered (or being answered): later DATA is dropped */
	int64_t answered_ms;
	bool rst_sent;
	/* the answer */
	struct buf out; /* DATA bytes not yet taken by nghttp2 */
	size_t out_off;
	bool deferred;	/* the data provider returned NGHTTP2_ERR_DEFERRED */
	bool finishing; /* send trailers with final_code once out is drained */
	int final_code;
	char final_msg[STATUS_MSG];
	/* StreamIsActive */
	bool streaming;
	bool last; /* the value sent last */
	int64_t next_poll_ms, deadline_ms;
	struct spb_ref ref; /* owned */
};

struct sconn {
	int fd;
	struct scaler *srv;
	nghttp2_session *ses;
	struct buf out; /* bytes from nghttp2 not yet written, from out_off */
	size_t out_off;
	size_t in_bytes; /* request bytes buffered over all streams, <= SCALER_CONN_IN_MAX */
	struct sstream *streams;
	size_t nstreams;
	bool got_frame; /* the client's preface and first frame arrived */
	bool dead;
	int64_t accepted_ms, last_tx_ms, last_active_ms;
	char peer[64];
};

struct scaler {
	int lfd, wake[2];
	int port;
	int max_conns, idle_ms, io_ms, poll_ms;
	scaler_counts_fn counts;
	void *counts_ud;
	struct ctl *ctl;
	pthread_t thread;
	bool thread_started;
	atomic_int stop;
	struct sconn **conns; /* max_conns slots, nconns used */
	size_t nconns;
	struct pollfd *pfd; /* max_conns + 2 */
	int64_t accept_pause_until, last_refused_log;
	nghttp2_session_callbacks *cbs;
	nghttp2_option *ngopt;
	struct scaler_stats stats;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the counts provider backed by the controller ----------------------------------------- */

static int ctl_counts(void *ud, const char *ns, const char *name, struct sm_counts *out)
{
	struct ctl *c = ud;
	struct ctl_set_counts k;
	int r;

	memset(out, 0, sizeof(*out));
	if (!ctl_ready(c))
		return -EAGAIN;
	r = ctl_set_counts(c, ns, name, &k);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	out->found = k.found;
	out->status_ready = k.status_ready;
	out->replicas = k.replicas;
	out->status_current = k.status_current;
	out->status_wtbd = k.status_wtbd;
	out->total = k.total;
	out->none = k.none;
	out->wait_to_be_deleted = k.wait_to_be_deleted;
	return 0;
}

/* ---- answers ------------------------------------------------------------------------------- */

/* grpc-message is percent-encoded: bytes outside 0x20..0x7e, and '%'. */
static void pct_encode(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < outlen; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c > 0x7e || c == '%') {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

#define NV(n, v, vl)                                                                               \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vl), NGHTTP2_NV_FLAG_NONE          \
	}

/* Sends a status: trailers after a response's DATA (trailers_only false), or a whole
 * Trailers-Only response with the given HTTP status. nghttp2 copies the header values. */
static int submit_status(nghttp2_session *ses, int32_t id, bool trailers_only, const char *http,
			 int code, const char *msg)
{
	char codes[12], enc[STATUS_MSG * 3 + 1];
	nghttp2_nv nv[6];
	size_t n = 0;

	snprintf(codes, sizeof(codes), "%d", code);
	pct_encode(msg ? msg : "", enc, sizeof(enc));
	if (trailers_only) {
		nghttp2_nv a[] = {NV(":status", http, strlen(http)),
				  NV("content-type", "application/grpc", 16)};

		nv[n++] = a[0];
		nv[n++] = a[1];
	}
	{
		nghttp2_nv b[] = {NV("grpc-status", codes, strlen(codes)),
				  NV("grpc-message", enc, strlen(enc))};

		nv[n++] = b[0];
		if (enc[0])
			nv[n++] = b[1];
	}
	if (trailers_only)
		return nghttp2_submit_response(ses, id, nv, n, NULL);
	return nghttp2_submit_trailer(ses, id, nv, n);
}

static ssize_t data_read(nghttp2_session *ses, int32_t id, uint8_t *dst, size_t len,
			 uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct sstream *st = src->ptr;
	size_t avail = st->out.len - st->out_off, n = avail < len ? avail : len;

	(void)ud;
	if (n) {
		memcpy(dst, st->out.data + st->out_off, n);
		st->out_off += n;
	}
	if (st->out_off < st->out.len)
		return (ssize_t)n;
	buf_reset(&st->out);
	st->out_off = 0;
	if (st->finishing) {
		*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		if (submit_status(ses, id, false, "200", st->final_code, st->final_msg) != 0)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		return (ssize_t)n;
	}
	if (n == 0) {
		st->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	return (ssize_t)n;
}

static void resume(struct sstream *st)
{
	if (st->deferred) {
		st->deferred = false;
		nghttp2_session_resume_data(st->conn->ses, st->id);
	}
}

/* Appends one framed message to the stream's DATA. */
static int queue_msg(struct sstream *st, const struct buf *msg)
{
	return spb_grpc_frame((const uint8_t *)msg->data, msg->len, &st->out);
}

/* Starts a response: headers now, then st->out, then (if finishing) the trailers. */
static int submit_headers(struct sstream *st)
{
	nghttp2_nv nv[] = {NV(":status", "200", 3), NV("content-type", "application/grpc", 16),
			   NV("grpc-accept-encoding", "identity", 8)};
	nghttp2_data_provider prd;

	prd.source.ptr = st;
	prd.read_callback = data_read;
	return nghttp2_submit_response(st->conn->ses, st->id, nv, sizeof(nv) / sizeof(nv[0]), &prd);
}

static void log_call(const struct sstream *st, int code, const char *msg, const char *what)
{
	char qm[STATUS_MSG + 64];

	if (code == GS_OK) {
		LOG_DEBUGF("scaler_call", "peer=%s method=%s %s", st->conn->peer,
			   method_name(st->m), what ? what : "");
		return;
	}
	if (code == GS_INTERNAL || code == GS_RESOURCE_EXHAUSTED)
		LOG_WARNF("scaler_call_failed", "peer=%s method=%s code=%d message=%s",
			  st->conn->peer, method_name(st->m), code,
			  log_quote(msg ? msg : "", qm, sizeof(qm)));
	else
		LOG_INFOF("scaler_call_failed", "peer=%s method=%s code=%d message=%s",
			  st->conn->peer, method_name(st->m), code,
			  log_quote(msg ? msg : "", qm, sizeof(qm)));
}

/* Answers a request with an error status (Trailers-Only). */
static int reply_error(struct sstream *st, const char *http, int code, const char *msg)
{
	struct scaler *s = st->conn->srv;

	atomic_fetch_add(&s->stats.errors, 1);
	log_call(st, code, msg, NULL);
	return submit_status(st->conn->ses, st->id, true, http, code, msg);
}

/* Answers a unary request with one message and status OK. */
static int reply_msg(struct sstream *st, const struct buf *msg)
{
	int e = queue_msg(st, msg);

	if (e < 0)
		return reply_error(st, "200", GS_INTERNAL, "response too large");
	st->finishing = true;
	st->final_code = GS_OK;
	st->final_msg[0] = '\0';
	return submit_headers(st);
}

static int errno_to_code(int e)
{
	switch (e) {
	case 0:
		return GS_OK;
	case -ENOENT:
		return GS_NOT_FOUND;
	case -EINVAL:
		return GS_INVALID_ARGUMENT;
	case -EAGAIN:
		return GS_UNAVAILABLE;
	default:
		return GS_INTERNAL;
	}
}

/* The set's counts; returns a gRPC code with the message in err. */
static int lookup(struct scaler *s, const struct spb_ref *ref, struct sm_counts *c, char *err,
		  size_t errlen)
{
	int e = s->counts(s->counts_ud, ref->ns, ref->name, c);

	if (e == -EAGAIN) {
		snprintf(err, errlen, "the controller's caches are not synced yet");
		return GS_UNAVAILABLE;
	}
	if (e < 0) {
		snprintf(err, errlen, "reading the caches: %s", strerror(-e));
		return GS_INTERNAL;
	}
	return GS_OK;
}

static int eval_is_active(struct scaler *s, const struct spb_ref *ref, bool *active, char *err,
			  size_t errlen)
{
	struct sm_counts c;
	int code = lookup(s, ref, &c, err, errlen);

	if (code != GS_OK)
		return code;
	return errno_to_code(sm_is_active(&c, ref->ns, ref->name, spb_ref_meta(ref, SM_KEY_MIN),
					  spb_ref_meta(ref, SM_KEY_MAX), active, err, errlen));
}

static int eval_metrics(struct scaler *s, const struct spb_ref *ref, long long *value, char *err,
			size_t errlen)
{
	struct sm_counts c;
	int code = lookup(s, ref, &c, err, errlen);

	if (code != GS_OK)
		return code;
	return errno_to_code(sm_get_metrics(&c, ref->ns, ref->name, spb_ref_meta(ref, SM_KEY_MIN),
					    spb_ref_meta(ref, SM_KEY_MAX), value, err, errlen));
}

static int check_ref(const struct spb_ref *ref, char *err, size_t errlen)
{
	if (!ref->name[0]) {
		snprintf(err, errlen, "scaledObjectRef.name is empty");
		return GS_INVALID_ARGUMENT;
	}
	if (!ref->ns[0]) {
		snprintf(err, errlen, "scaledObjectRef.namespace is empty");
		return GS_INVALID_ARGUMENT;
	}
	return GS_OK;
}

static int decode_error(int e, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what,
		 e == -E2BIG	? "a field or the metadata is over the limit"
		 : e == -ENOMEM ? "out of memory"
				: "malformed protobuf");
	return e == -ENOMEM ? GS_INTERNAL : GS_INVALID_ARGUMENT;
}

/* The unary methods and the start of StreamIsActive; msg is the request message. */
static int answer(struct sstream *st, const uint8_t *msg, size_t len)
{
	struct scaler *s = st->conn->srv;
	struct spb_metrics_req req = {0};
	struct buf out;
	char err[STATUS_MSG], what[700], qns[300], qname[300];
	int code = GS_OK, e, r;

	err[0] = what[0] = '\0';
	buf_init(&out, MSG_OUT_MAX);
	if (st->m == M_GET_METRICS) {
		e = spb_metrics_req_decode(msg, len, &req);
		if (e < 0)
			code = decode_error(e, "GetMetricsRequest", err, sizeof(err));
	} else {
		e = spb_ref_decode(msg, len, &req.ref);
		if (e < 0)
			code = decode_error(e, "ScaledObjectRef", err, sizeof(err));
	}
	if (code == GS_OK)
		code = check_ref(&req.ref, err, sizeof(err));
	if (code == GS_OK) {
		log_quote(req.ref.ns, qns, sizeof(qns));
		log_quote(req.ref.name, qname, sizeof(qname));
	}
	if (code != GS_OK) {
		r = reply_error(st, "200", code, err);
		goto out;
	}
	switch (st->m) {
	case M_GET_METRIC_SPEC: {
		struct spb_metric m = {SM_METRIC_NAME, 1, 1.0};

		e = spb_metric_list_encode(&m, 1, &out);
		snprintf(what, sizeof(what), "ns=%s name=%s target=1", qns, qname);
		break;
	}
	case M_GET_METRICS: {
		long long v = 0;
		struct spb_metric m;

		code = eval_metrics(s, &req.ref, &v, err, sizeof(err));
		if (code != GS_OK)
			break;
		m.name = SM_METRIC_NAME;
		m.i = v;
		m.f = (double)v;
		e = spb_metric_list_encode(&m, 1, &out);
		snprintf(what, sizeof(what), "ns=%s name=%s value=%lld", qns, qname, v);
		break;
	}
	case M_IS_ACTIVE:
	case M_STREAM_IS_ACTIVE: {
		bool active = false;

		code = eval_is_active(s, &req.ref, &active, err, sizeof(err));
		if (code != GS_OK)
			break;
		e = spb_is_active_encode(active, &out);
		snprintf(what, sizeof(what), "ns=%s name=%s active=%s", qns, qname,
			 active ? "true" : "false");
		st->last = active;
		break;
	}
	default:
		code = GS_UNIMPLEMENTED;
		snprintf(err, sizeof(err), "method not implemented");
		break;
	}
	if (code == GS_OK && e < 0) {
		code = GS_INTERNAL;
		snprintf(err, sizeof(err), "encoding the response: %s", strerror(-e));
	}
	if (code != GS_OK) {
		r = reply_error(st, "200", code, err);
		goto out;
	}
	log_call(st, GS_OK, NULL, what);
	if (st->m != M_STREAM_IS_ACTIVE) {
		r = reply_msg(st, &out);
		goto out;
	}
	/* StreamIsActive: the first message now, the stream stays open */
	if (queue_msg(st, &out) < 0) {
		r = reply_error(st, "200", GS_INTERNAL, "response too large");
		goto out;
	}
	st->streaming = true;
	st->ref = req.ref; /* moved */
	memset(&req.ref, 0, sizeof(req.ref));
	st->next_poll_ms = now_ms() + s->poll_ms;
	st->deadline_ms = st->timeout_ms ? st->begun_ms + st->timeout_ms : 0;
	atomic_fetch_add(&s->stats.streams_started, 1);
	r = submit_headers(st);
out:
	spb_metrics_req_free(&req);
	buf_free(&out);
	return r;
}

/* Drops a stream's request bytes from the connection's budget. */
static void release_in(struct sstream *st)
{
	st->conn->in_bytes -= st->in.len;
	buf_free(&st->in);
}

/* Checks the HTTP and gRPC envelope, then answers. */
static int handle_request_inner(struct sstream *st)
{
	struct scaler *s = st->conn->srv;
	const uint8_t *msg;
	size_t len;
	char err[STATUS_MSG];

	atomic_fetch_add(&s->stats.requests, 1);
	if (st->not_post)
		return reply_error(st, "405", GS_UNIMPLEMENTED, "gRPC requests use POST");
	if (!st->have_ctype || st->bad_ctype)
		return reply_error(st, "415", GS_INTERNAL, "content-type must be application/grpc");
	if (st->m == M_UNKNOWN)
		return reply_error(st, "200", GS_UNIMPLEMENTED,
				   "unknown method (service externalscaler.ExternalScaler has "
				   "IsActive, StreamIsActive, GetMetricSpec, GetMetrics)");
	if (st->m == M_STREAM_METRIC_SPEC)
		return reply_error(st, "200", GS_UNIMPLEMENTED,
				   "StreamMetricSpec is not implemented: use GetMetricSpec");
	if (st->in_too_big) {
		snprintf(err, sizeof(err), "request message larger than %d bytes", SCALER_MSG_MAX);
		return reply_error(st, "200", GS_RESOURCE_EXHAUSTED, err);
	}
	switch (spb_grpc_unframe((const uint8_t *)st->in.data, st->in.len, SCALER_MSG_MAX, &msg,
				 &len)) {
	case SPB_UNFRAME_OK:
		break;
	case SPB_UNFRAME_EMPTY:
		return reply_error(st, "200", GS_INTERNAL, "no request message");
	case SPB_UNFRAME_TRUNCATED:
		return reply_error(st, "200", GS_INTERNAL, "request message cut short");
	case SPB_UNFRAME_TOO_BIG:
		snprintf(err, sizeof(err), "request message larger than %d bytes", SCALER_MSG_MAX);
		return reply_error(st, "200", GS_RESOURCE_EXHAUSTED, err);
	case SPB_UNFRAME_COMPRESSED:
		if (st->encoding[0] && strcmp(st->encoding, "identity") != 0) {
			snprintf(err, sizeof(err),
				 "grpc-encoding %s is not supported (only identity)", st->encoding);
			return reply_error(st, "200", GS_UNIMPLEMENTED, err);
		}
		return reply_error(st, "200", GS_INTERNAL,
				   "compressed flag set without a grpc-encoding");
	case SPB_UNFRAME_BAD_FLAGS:
		return reply_error(st, "200", GS_INTERNAL, "unknown message flags");
	case SPB_UNFRAME_MORE_THAN_ONE:
		return reply_error(st, "200", GS_INTERNAL, "more than one request message");
	}
	return answer(st, msg, len);
}

/* The whole request has arrived (or it outgrew its budget): answer it once. */
static int handle_request(struct sstream *st)
{
	int r;

	if (st->complete)
		return 0;
	st->complete = true;
	st->answered_ms = now_ms();
	r = handle_request_inner(st);
	release_in(st);
	return r;
}

/* Ends a server stream with code (trailers after the DATA still queued). */
static void finish_stream(struct sstream *st, int code, const char *msg)
{
	if (st->finishing)
		return;
	st->finishing = true;
	st->streaming = false;
	st->final_code = code;
	st->answered_ms = now_ms(); /* the grace before a reset counts from the trailers */
	snprintf(st->final_msg, sizeof(st->final_msg), "%s", msg ? msg : "");
	if (code != GS_OK)
		log_call(st, code, msg, NULL);
	resume(st);
}

/* Re-evaluates a StreamIsActive stream; queues a message when the value changed. */
static void poll_stream(struct sstream *st, int64_t now)
{
	struct scaler *s = st->conn->srv;
	struct buf out;
	char err[STATUS_MSG];
	bool active = false;
	int code;

	if (st->deadline_ms && now >= st->deadline_ms) {
		finish_stream(st, GS_DEADLINE_EXCEEDED, "grpc-timeout reached");
		return;
	}
	if (now < st->next_poll_ms)
		return;
	st->next_poll_ms = now + s->poll_ms;
	code = eval_is_active(s, &st->ref, &active, err, sizeof(err));
	if (code == GS_UNAVAILABLE)
		return; /* transient: caches re-syncing */
	if (code != GS_OK) {
		finish_stream(st, code, err);
		return;
	}
	/* Only one message in flight: if the last is still queued, try again next poll. */
	if (active == st->last || st->out.len > st->out_off)
		return;
	buf_init(&out, MSG_OUT_MAX);
	if (spb_is_active_encode(active, &out) == 0 && queue_msg(st, &out) == 0) {
		st->last = active;
		LOG_DEBUGF("scaler_stream_send", "peer=%s stream=%d active=%s", st->conn->peer,
			   (int)st->id, active ? "true" : "false");
		resume(st);
	}
	buf_free(&out);
}

/* ---- nghttp2 callbacks ------------------------------------------------------------------- */

static void stream_free(struct sstream *st)
{
	if (!st)
		return;
	buf_free(&st->in);
	buf_free(&st->out);
	spb_ref_free(&st->ref);
	free(st);
}

static void stream_unlink(struct sstream *st)
{
	struct sconn *k = st->conn;

	if (st->prev)
		st->prev->next = st->next;
	else
		k->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	st->prev = st->next = NULL;
	k->nstreams--;
}

static int on_begin_headers(nghttp2_session *ses, const nghttp2_frame *frame, void *ud)
{
	struct sconn *k = ud;
	struct sstream *st;

	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	st->id = frame->hd.stream_id;
	st->conn = k;
	st->begun_ms = now_ms();
	buf_init(&st->in, SPB_GRPC_PREFIX + SCALER_MSG_MAX);
	buf_init(&st->out, SPB_GRPC_PREFIX + MSG_OUT_MAX);
	if (nghttp2_session_set_stream_user_data(ses, st->id, st) != 0) {
		stream_free(st);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	st->next = k->streams;
	if (k->streams)
		k->streams->prev = st;
	k->streams = st;
	k->nstreams++;
	return 0;
}

static bool header_is(const uint8_t *name, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(name, want, len);
}

/* grpc-timeout: 1 to 8 digits and a unit (H M S m u n). Returns ms (at least 1) or 0. */
static int64_t parse_grpc_timeout(const uint8_t *v, size_t len)
{
	int64_t n = 0;

	if (len < 2 || len > 9)
		return 0;
	for (size_t i = 0; i + 1 < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		n = n * 10 + (v[i] - '0');
	}
	switch (v[len - 1]) {
	case 'H':
		n *= 3600000;
		break;
	case 'M':
		n *= 60000;
		break;
	case 'S':
		n *= 1000;
		break;
	case 'm':
		break;
	case 'u':
		n = (n + 999) / 1000;
		break;
	case 'n':
		n = (n + 999999) / 1000000;
		break;
	default:
		return 0;
	}
	return n > 0 ? n : 1;
}

static int on_header(nghttp2_session *ses, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
	struct sstream *st;

	(void)flags, (void)ud;
	if (frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	st = nghttp2_session_get_stream_user_data(ses, frame->hd.stream_id);
	if (!st)
		return 0;
	/* 32 bytes per field, as HTTP/2 counts header list sizes */
	st->hdr_bytes += namelen + valuelen + 32;
	if (st->hdr_bytes > SCALER_HDR_MAX)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
	if (frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0; /* trailers from the client: counted, ignored */
	if (header_is(name, namelen, ":method")) {
		st->not_post = !(valuelen == 4 && !memcmp(value, "POST", 4));
	} else if (header_is(name, namelen, ":path")) {
		for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
			if (header_is(value, valuelen, methods[i].path))
				st->m = methods[i].m;
		}
	} else if (header_is(name, namelen, "content-type")) {
		static const char want[] = "application/grpc";
		size_t wl = sizeof(want) - 1;

		st->have_ctype = true;
		st->bad_ctype = !(valuelen >= wl && !memcmp(value, want, wl) &&
				  (valuelen == wl || value[wl] == '+' || value[wl] == ';'));
	} else if (header_is(name, namelen, "grpc-encoding")) {
		size_t n =
		    valuelen < sizeof(st->encoding) - 1 ? valuelen : sizeof(st->encoding) - 1;

		memcpy(st->encoding, value, n);
		st->encoding[n] = '\0';
	} else if (header_is(name, namelen, "grpc-timeout")) {
		st->timeout_ms = parse_grpc_timeout(value, valuelen);
	}
	return 0;
}

static int on_data_chunk(nghttp2_session *ses, uint8_t flags, int32_t id, const uint8_t *data,
			 size_t len, void *ud)
{
	struct sconn *k = ud;
	struct sstream *st = nghttp2_session_get_stream_user_data(ses, id);
	int e;

	(void)flags;
	if (!st || st->complete)
		return 0; /* answered already: the rest is dropped */
	if (len > st->in.max - st->in.len || len > SCALER_CONN_IN_MAX - k->in_bytes) {
		/* over the message cap or the connection's budget: RESOURCE_EXHAUSTED now */
		release_in(st);
		st->in_too_big = true;
		return handle_request(st) != 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
	}
	e = buf_append(&st->in, data, len);
	if (e < 0)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	k->in_bytes += len;
	return 0;
}

static int on_frame_recv(nghttp2_session *ses, const nghttp2_frame *frame, void *ud)
{
	struct sconn *k = ud;
	struct sstream *st;

	k->got_frame = true;
	if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
		return 0;
	if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	st = nghttp2_session_get_stream_user_data(ses, frame->hd.stream_id);
	if (!st)
		return 0;
	if (handle_request(st) != 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static int on_stream_close(nghttp2_session *ses, int32_t id, uint32_t error_code, void *ud)
{
	struct sconn *k = ud;
	struct sstream *st = nghttp2_session_get_stream_user_data(ses, id);

	if (!st)
		return 0;
	if (st->streaming)
		LOG_DEBUGF("scaler_stream_closed", "peer=%s stream=%d error_code=%u", k->peer,
			   (int)id, error_code);
	nghttp2_session_set_stream_user_data(ses, id, NULL);
	release_in(st);
	stream_unlink(st);
	stream_free(st);
	k->last_active_ms = now_ms();
	return 0;
}

/* ---- connections ------------------------------------------------------------------------- */

static void conn_free(struct sconn *k)
{
	struct sstream *st, *next;

	if (!k)
		return;
	/* nghttp2_session_del() does not call on_stream_close: free the streams here */
	nghttp2_session_del(k->ses);
	for (st = k->streams; st; st = next) {
		next = st->next;
		stream_free(st);
	}
	if (k->fd >= 0)
		close(k->fd);
	buf_free(&k->out);
	free(k);
}

/* Moves nghttp2's output to the socket. Returns 0 or -1 (the connection is dead). */
static int conn_flush(struct sconn *k, int64_t now)
{
	for (;;) {
		ssize_t w;

		if (k->out_off == k->out.len) {
			buf_reset(&k->out);
			k->out_off = 0;
		}
		while (k->out.len < SCALER_OUT_MAX / 2) {
			const uint8_t *d;
			ssize_t n = nghttp2_session_mem_send(k->ses, &d);

			if (n < 0)
				return -1;
			if (n == 0)
				break;
			if (k->out.len == k->out_off)
				k->last_tx_ms = now; /* the write timeout counts from here */
			if (buf_append(&k->out, d, (size_t)n) < 0)
				return -1;
		}
		if (k->out_off == k->out.len)
			return 0;
		w = send(k->fd, k->out.data + k->out_off, k->out.len - k->out_off, MSG_NOSIGNAL);
		if (w > 0) {
			k->out_off += (size_t)w;
			k->last_tx_ms = now;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 0;
		return -1;
	}
}

static bool conn_done(const struct sconn *k)
{
	return !nghttp2_session_want_read(k->ses) && !nghttp2_session_want_write(k->ses) &&
	       k->out_off == k->out.len;
}

static int conn_read(struct sconn *k, int64_t now)
{
	uint8_t b[READ_CHUNK];

	for (int i = 0; i < READS_PER_WAKE; i++) {
		ssize_t n = recv(k->fd, b, sizeof(b), 0);

		if (n > 0) {
			ssize_t r;

			k->last_active_ms = now;
			r = nghttp2_session_mem_recv(k->ses, b, (size_t)n);
			if (r < 0) {
				LOG_DEBUGF("scaler_conn_error", "peer=%s error=%s", k->peer,
					   nghttp2_strerror((int)r));
				/* let a GOAWAY the session queued go out, best effort */
				conn_flush(k, now);
				return -1;
			}
			if ((size_t)n < sizeof(b))
				break;
			continue;
		}
		if (n == 0)
			return -1;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			break;
		return -1;
	}
	if (conn_flush(k, now) < 0)
		return -1;
	return conn_done(k) ? -1 : 0;
}

static struct sconn *conn_new(struct scaler *s, int fd, const struct sockaddr_storage *sa,
			      int64_t now)
{
	nghttp2_settings_entry iv[] = {
	    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, SCALER_MAX_STREAMS},
	    {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, SCALER_HDR_MAX},
	};
	struct sconn *k = calloc(1, sizeof(*k));
	int one = 1;

	if (!k)
		return NULL;
	k->fd = fd;
	k->srv = s;
	k->accepted_ms = k->last_tx_ms = k->last_active_ms = now;
	buf_init(&k->out, SCALER_OUT_MAX);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		char ip[INET_ADDRSTRLEN] = "?";

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(k->peer, sizeof(k->peer), "%s:%u", ip, ntohs(a->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		char ip[INET6_ADDRSTRLEN] = "?";

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(k->peer, sizeof(k->peer), "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		snprintf(k->peer, sizeof(k->peer), "?");
	}
	if (nghttp2_session_server_new2(&k->ses, s->cbs, k, s->ngopt) != 0) {
		k->ses = NULL;
		goto fail;
	}
	if (nghttp2_submit_settings(k->ses, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])))
		goto fail;
	return k;
fail:
	k->fd = -1; /* the caller closes fd */
	conn_free(k);
	return NULL;
}

static void accept_some(struct scaler *s, int64_t now)
{
	for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		struct sconn *k;
		int fd = accept4(s->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* the backlog stays readable: pause accepting rather than spin */
				s->accept_pause_until = now + 100;
				if (now - s->last_refused_log >= 10000) {
					s->last_refused_log = now;
					LOG_WARNF("scaler_accept_failed", "error=%s",
						  strerror(errno));
				}
			}
			return;
		}
		if (s->nconns >= (size_t)s->max_conns) {
			atomic_fetch_add(&s->stats.conns_refused, 1);
			close(fd);
			if (now - s->last_refused_log >= 10000) {
				s->last_refused_log = now;
				LOG_WARNF("scaler_conn_refused", "reason=max_connections max=%d",
					  s->max_conns);
			}
			continue;
		}
		k = conn_new(s, fd, &sa, now);
		if (!k) {
			close(fd);
			continue;
		}
		s->conns[s->nconns++] = k;
		atomic_fetch_add(&s->stats.conns_accepted, 1);
		atomic_fetch_add(&s->stats.conns_open, 1);
		LOG_DEBUGF("scaler_conn_open", "peer=%s", k->peer);
		if (conn_flush(k, now) < 0)
			k->dead = true;
	}
}

/* Timers of one connection: marks it dead when one ran out; returns the next deadline. */
static int64_t conn_timers(struct scaler *s, struct sconn *k, int64_t now)
{
	int64_t next = now + 1000;
	const char *why = NULL;

#define AT(t)                                                                                      \
	do {                                                                                       \
		if ((t) < next)                                                                    \
			next = (t);                                                                \
	} while (0)

	if (!k->got_frame) {
		if (now - k->accepted_ms >= s->io_ms)
			why = "no HTTP/2 preface";
		AT(k->accepted_ms + s->io_ms);
	}
	for (struct sstream *st = k->streams; st && !why; st = st->next) {
		if (!st->complete) {
			if (now - st->begun_ms >= s->io_ms)
				why = "request not received in time";
			AT(st->begun_ms + s->io_ms);
		}
		if (st->complete && !st->streaming && !st->rst_sent) {
			/* answered, yet the client has not finished or not taken the answer */
			if (now - st->answered_ms >= s->io_ms) {
				nghttp2_submit_rst_stream(k->ses, NGHTTP2_FLAG_NONE, st->id,
							  NGHTTP2_CANCEL);
				st->rst_sent = true;
			} else {
				AT(st->answered_ms + s->io_ms);
			}
		}
		if (st->streaming) {
			poll_stream(st, now);
			AT(st->next_poll_ms);
			if (st->deadline_ms)
				AT(st->deadline_ms);
		}
	}
	if (!why && k->out_off < k->out.len) {
		if (now - k->last_tx_ms >= s->io_ms)
			why = "peer not reading";
		AT(k->last_tx_ms + s->io_ms);
	}
	if (!why && k->nstreams == 0) {
		if (now - k->last_active_ms >= s->idle_ms) {
			/* polite: GOAWAY, then close */
			nghttp2_submit_goaway(k->ses, NGHTTP2_FLAG_NONE,
					      nghttp2_session_get_last_proc_stream_id(k->ses),
					      NGHTTP2_NO_ERROR, NULL, 0);
			conn_flush(k, now);
			LOG_DEBUGF("scaler_conn_idle", "peer=%s", k->peer);
			k->dead = true;
		}
		AT(k->last_active_ms + s->idle_ms);
	}
#undef AT
	if (why) {
		LOG_INFOF("scaler_conn_timeout", "peer=%s reason=\"%s\"", k->peer, why);
		atomic_fetch_add(&s->stats.conns_timed_out, 1);
		k->dead = true;
	}
	if (!k->dead && conn_flush(k, now) < 0)
		k->dead = true;
	return next;
}

static void reap(struct scaler *s)
{
	for (size_t i = 0; i < s->nconns;) {
		struct sconn *k = s->conns[i];

		if (!k->dead) {
			i++;
			continue;
		}
		LOG_DEBUGF("scaler_conn_closed", "peer=%s", k->peer);
		conn_free(k);
		atomic_fetch_sub(&s->stats.conns_open, 1);
		s->conns[i] = s->conns[--s->nconns];
	}
}

/* Stop: end streams, GOAWAY, drain for at most SCALER_DRAIN_MS, close. */
static void drain_all(struct scaler *s)
{
	int64_t start = now_ms(), now = start;

	for (size_t i = 0; i < s->nconns; i++) {
		struct sconn *k = s->conns[i];

		for (struct sstream *st = k->streams; st; st = st->next) {
			if (st->streaming)
				finish_stream(st, GS_UNAVAILABLE, "server shutting down");
		}
		nghttp2_submit_goaway(k->ses, NGHTTP2_FLAG_NONE,
				      nghttp2_session_get_last_proc_stream_id(k->ses),
				      NGHTTP2_NO_ERROR, NULL, 0);
		if (conn_flush(k, now) < 0)
			k->dead = true;
	}
	while (now - start < SCALER_DRAIN_MS) {
		size_t n = 0;

		for (size_t i = 0; i < s->nconns; i++) {
			struct sconn *k = s->conns[i];

			if (k->dead ||
			    (k->out_off == k->out.len && !nghttp2_session_want_write(k->ses)))
				continue;
			s->pfd[n].fd = k->fd;
			s->pfd[n].events = POLLOUT;
			s->pfd[n].revents = 0;
			n++;
		}
		if (n == 0)
			break;
		poll(s->pfd, n, 50);
		now = now_ms();
		for (size_t i = 0; i < s->nconns; i++) {
			if (!s->conns[i]->dead && conn_flush(s->conns[i], now) < 0)
				s->conns[i]->dead = true;
		}
	}
	for (size_t i = 0; i < s->nconns; i++)
		s->conns[i]->dead = true;
	reap(s);
}

static void *run(void *arg)
{
	struct scaler *s = arg;

	while (!atomic_load(&s->stop)) {
		int64_t now = now_ms(), next = now + 1000;
		size_t n = 0, first;
		int timeout, r;

		for (size_t i = 0; i < s->nconns; i++) {
			int64_t t = conn_timers(s, s->conns[i], now);

			if (t < next)
				next = t;
		}
		reap(s);
		s->pfd[n++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
		if (now >= s->accept_pause_until)
			s->pfd[n++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
		else if (s->accept_pause_until < next)
			next = s->accept_pause_until;
		first = n;
		for (size_t i = 0; i < s->nconns; i++) {
			struct sconn *k = s->conns[i];

			s->pfd[n++] = (struct pollfd){
			    .fd = k->fd,
			    .events = (short)(POLLIN | (k->out_off < k->out.len ? POLLOUT : 0))};
		}
		timeout = next <= now ? 0 : (int)(next - now);
		r = poll(s->pfd, n, timeout);
		if (r < 0) {
			if (errno != EINTR) {
				LOG_ERRORF("scaler_poll_failed", "error=%s", strerror(errno));
				usleep(100000);
			}
			continue;
		}
		now = now_ms();
		if (s->pfd[0].revents) {
			char drain[64];

			while (read(s->wake[0], drain, sizeof(drain)) > 0)
				;
		}
		/* connections first (pfd indices match conns[] until accept adds some) */
		for (size_t i = 0; i < s->nconns && first + i < n; i++) {
			struct sconn *k = s->conns[i];
			short re = s->pfd[first + i].revents;

			if (k->dead || !re)
				continue;
			if (re & (POLLIN | POLLHUP | POLLERR)) {
				if (conn_read(k, now) < 0)
					k->dead = true;
			} else if ((re & POLLOUT) && conn_flush(k, now) < 0) {
				k->dead = true;
			}
		}
		if (first == 2 && (s->pfd[1].revents & POLLIN))
			accept_some(s, now);
		reap(s);
	}
	drain_all(s);
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------------------ */

/* "host:port" or "[v6]:port" into host and port texts. */
static int split_listen(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = addr;
	size_t hl;

	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - addr);
	}
	if (hl >= hostlen || strlen(colon + 1) >= portlen || !colon[1])
		return -EINVAL;
	for (const char *p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
	}
	if (strtol(colon + 1, NULL, 10) > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	if (!host[0])
		snprintf(host, hostlen, "0.0.0.0");
	return 0;
}

static int listen_on(struct scaler *s, const char *addr, char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *ai = NULL;
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	char host[256], port[8];
	int one = 1, e;

	if (!addr || split_listen(addr, host, sizeof(host), port, sizeof(port)) < 0) {
		snprintf(err, errlen, "\"%s\" is not host:port", addr ? addr : "");
		return -EINVAL;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	e = getaddrinfo(host, port, &hints, &ai);
	if (e != 0 || !ai) {
		snprintf(err, errlen, "\"%s\": %s", addr, gai_strerror(e));
		return -EINVAL;
	}
	s->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto sys;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(s->lfd, 128) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &sl) < 0)
		goto sys;
	s->port = sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
					   : ntohs(((struct sockaddr_in *)&sa)->sin_port);
	freeaddrinfo(ai);
	return 0;
sys:
	e = -errno;
	snprintf(err, errlen, "\"%s\": %s", addr, strerror(errno));
	freeaddrinfo(ai);
	return e;
}

static int make_callbacks(struct scaler *s)
{
	if (nghttp2_session_callbacks_new(&s->cbs) != 0 || nghttp2_option_new(&s->ngopt) != 0)
		return -ENOMEM;
	nghttp2_session_callbacks_set_on_begin_headers_callback(s->cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(s->cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(s->cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(s->cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(s->cbs, on_stream_close);
	/* refuse peers that queue control-frame acks without reading (nghttp2 default is 1000) */
	nghttp2_option_set_max_outbound_ack(s->ngopt, 1000);
	nghttp2_option_set_max_settings(s->ngopt, 32);
	return 0;
}

static void scaler_free(struct scaler *s)
{
	if (!s)
		return;
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	nghttp2_session_callbacks_del(s->cbs);
	nghttp2_option_del(s->ngopt);
	free(s->conns);
	free(s->pfd);
	free(s);
}

int scaler_start(struct ctl *c, const struct scaler_opts *opts, struct scaler **out, char *err,
		 size_t errlen)
{
	struct scaler *s;
	sigset_t all, old;
	int e;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!opts || (!opts->counts && !c)) {
		snprintf(err, errlen, "no counts provider");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = s->wake[0] = s->wake[1] = -1;
	s->ctl = c;
	s->counts = opts->counts ? opts->counts : ctl_counts;
	s->counts_ud = opts->counts ? opts->counts_ud : c;
	s->max_conns = opts->max_conns > 0 ? opts->max_conns : 256;
	s->idle_ms = opts->idle_timeout_ms > 0 ? opts->idle_timeout_ms : 300000;
	s->io_ms = opts->io_timeout_ms > 0 ? opts->io_timeout_ms : 10000;
	s->poll_ms = opts->stream_poll_ms > 0 ? opts->stream_poll_ms : 1000;
	s->conns = calloc((size_t)s->max_conns, sizeof(*s->conns));
	s->pfd = calloc((size_t)s->max_conns + 2, sizeof(*s->pfd));
	if (!s->conns || !s->pfd || make_callbacks(s) < 0) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		e = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	e = listen_on(s, opts->listen, err, errlen);
	if (e < 0)
		goto fail;
	/* the thread takes no signals: they belong to the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = -pthread_create(&s->thread, NULL, run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e < 0) {
		snprintf(err, errlen, "thread: %s", strerror(-e));
		goto fail;
	}
	s->thread_started = true;
	LOG_INFOF("scaler_listening", "listen=%s port=%d max_connections=%d", opts->listen, s->port,
		  s->max_conns);
	*out = s;
	return 0;
fail:
	scaler_free(s);
	return e;
}

int scaler_port(const struct scaler *s)
{
	return s ? s->port : -1;
}

const struct scaler_stats *scaler_get_stats(const struct scaler *s)
{
	return &s->stats;
}

void scaler_stop(struct scaler *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		ssize_t w;

		atomic_store(&s->stop, 1);
		do {
			w = write(s->wake[1], "x", 1);
		} while (w < 0 && errno == EINTR);
		pthread_join(s->thread, NULL);
		LOG_INFOF("scaler_stopped", "port=%d", s->port);
	}
	scaler_free(s);
}
