#include "webhook/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "webhook/certstore.h"
#include "webhook/metrics.h"

/* The body of a refused request (413, 404, 405) is read and dropped, so that the client gets
 * its answer, up to this many times the cap; beyond that the connection is cut. */
#define DISCARD_FACTOR 4
#define PRESIZE_MAX    (256 * 1024)

struct wh_server {
	struct wh_server_opts o;
	struct MHD_Daemon *d;
	struct cs_store *certs;
	struct wm_metrics metrics;
	unsigned short port;
	atomic_int draining;
	atomic_int starting; /* MHD messages during start are warnings, later debug */
	atomic_long inflight;
	pthread_t reloader;
	int reloader_started;
	pthread_mutex_t mu; /* guards stopping, with cv */
	pthread_cond_t cv;
	int stopping;
};

/* One HTTP request, from its headers to the end of its response. */
struct wh_req {
	struct timespec t0;
	enum wm_path path;
	enum adm_route route;
	unsigned reject; /* HTTP status decided before the body is complete; 0 = none */
	unsigned status; /* status of the queued response; 0 = none yet */
	struct buf body;
	size_t discarded;
};

static const char json_type[] = "application/json";

static uint64_t ns_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)t.tv_nsec -
	       (uint64_t)t0->tv_nsec;
}

/* Queues body (owned when free_it, else static) as the response. */
static enum MHD_Result respond(struct wh_server *s, struct MHD_Connection *c, struct wh_req *rq,
			       unsigned status, char *body, size_t len, const char *type,
			       int free_it)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (free_it)
		resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	else
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (free_it)
			free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES)
		goto fail;
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
				    rq->route != ADM_NONE ? "POST" : "GET, HEAD") != MHD_YES)
		goto fail;
	/* While draining, keep-alive connections close after their response so that clients
	 * reconnect to another replica. */
	if (atomic_load(&s->draining) &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
		goto fail;
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		rq->status = status;
	return ret;
fail:
	MHD_destroy_response(resp);
	return MHD_NO;
}

/* A Kubernetes Status body for an HTTP error. */
static enum MHD_Result respond_error(struct wh_server *s, struct MHD_Connection *c,
				     struct wh_req *rq, unsigned status)
{
	static char not_found[] =
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"no such endpoint: use /validate-v1alpha1-gss, /mutate-v1-pod, "
	    "/healthz, /readyz or /metrics\",\"reason\":\"NotFound\",\"code\":404}";
	static char not_allowed[] =
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"method not allowed: admission endpoints take POST, the others GET\","
	    "\"reason\":\"MethodNotAllowed\",\"code\":405}";
	static char too_large[] =
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"request body too large\",\"reason\":\"RequestEntityTooLarge\","
	    "\"code\":413}";
	static char internal[] =
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"internal error (out of memory)\",\"reason\":\"InternalError\","
	    "\"code\":500}";
	char *body = internal;

	if (status == MHD_HTTP_NOT_FOUND)
		body = not_found;
	else if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		body = not_allowed;
	else if (status == MHD_HTTP_CONTENT_TOO_LARGE)
		body = too_large;
	return respond(s, c, rq, status, body, strlen(body), json_type, 0);
}

static enum MHD_Result respond_text(struct wh_server *s, struct MHD_Connection *c,
				    struct wh_req *rq, unsigned status, const char *text)
{
	return respond(s, c, rq, status, (char *)text, strlen(text), "text/plain; charset=utf-8",
		       0);
}

static void log_review(const struct adm_result *res, uint64_t ns)
{
	char reason[260], name[160];
	enum log_level lvl = res->allowed ? LOG_DEBUG : LOG_INFO;

	if (res->http_status != 200)
		lvl = LOG_WARN;
	if (!log_enabled(lvl))
		return;
	log_event(lvl, res->route == ADM_VALIDATE ? "review_gss" : "review_pod",
		  "uid=%s op=%s ns=%s name=%s dry_run=%s http=%d allowed=%s code=%d patched=%s "
		  "errors=%u warnings=%u us=%llu reason=%s",
		  res->uid[0] ? res->uid : "-", res->op[0] ? res->op : "-",
		  res->ns[0] ? res->ns : "-", log_quote(res->name, name, sizeof(name)),
		  res->dry_run ? "true" : "false", res->http_status,
		  res->allowed ? "true" : "false", res->code, res->patched ? "true" : "false",
		  res->n_errors, res->n_warnings, (unsigned long long)(ns / 1000),
		  log_quote(res->reason, reason, sizeof(reason)));
}

static enum MHD_Result answer_review(struct wh_server *s, struct MHD_Connection *c,
				     struct wh_req *rq, const char *url)
{
	struct adm_result res;
	enum MHD_Result ret;
	int r;

	r = adm_handle(url, rq->body.data, rq->body.len, &s->o.adm, &res);
	buf_free(&rq->body);
	if (r < 0)
		return respond_error(
		    s, c, rq, r == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR);
	if (res.http_status == 200) /* a 400 is a broken request, not a denial */
		wm_review(&s->metrics, res.route, res.allowed, res.patched, res.n_warnings);
	log_review(&res, ns_since(&rq->t0));
	ret = respond(s, c, rq, (unsigned)res.http_status, res.body, res.len, json_type, 1);
	res.body = NULL; /* owned by the response now (or freed by respond()) */
	adm_result_free(&res);
	return ret;
}

static enum MHD_Result answer_get(struct wh_server *s, struct MHD_Connection *c, struct wh_req *rq)
{
	struct buf out;
	long long not_after = 0;

	switch (rq->path) {
	case WM_HEALTHZ:
		return respond_text(s, c, rq, MHD_HTTP_OK, "ok\n");
	case WM_READYZ:
		if (wh_server_ready(s))
			return respond_text(s, c, rq, MHD_HTTP_OK, "ok\n");
		return respond_text(s, c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
				    atomic_load(&s->draining) ? "draining\n"
							      : "no serving certificate yet\n");
	case WM_METRICS:
		buf_init(&out, 1024 * 1024);
		cs_info(s->certs, NULL, 0, &not_after);
		if (wm_render(&s->metrics, &out, atomic_load(&s->inflight), wh_server_ready(s),
			      not_after) < 0) {
			buf_free(&out);
			return respond_error(s, c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR);
		}
		return respond(s, c, rq, MHD_HTTP_OK, buf_steal(&out), out.len,
			       "text/plain; version=0.0.4; charset=utf-8", 1);
	default:
		return respond_error(s, c, rq, MHD_HTTP_NOT_FOUND);
	}
}

static enum wm_path path_of(const char *url, enum adm_route *route)
{
	*route = adm_route_of(url);
	if (*route == ADM_VALIDATE)
		return WM_VALIDATE;
	if (*route == ADM_MUTATE)
		return WM_MUTATE;
	if (strcmp(url, "/healthz") == 0)
		return WM_HEALTHZ;
	if (strcmp(url, "/readyz") == 0)
		return WM_READYZ;
	if (strcmp(url, "/metrics") == 0)
		return WM_METRICS;
	return WM_OTHER;
}

/* Allocates the announced body size at once instead of growing the buffer as it arrives (up
 * to PRESIZE_MAX: a client announcing a large body and sending nothing gets no large buffer).
 * A failure is harmless: buf_append() grows the buffer itself. */
static void presize(struct buf *b, size_t n)
{
	char *p;

	if (n > PRESIZE_MAX)
		n = PRESIZE_MAX;
	p = malloc(n + 1);

	if (!p)
		return;
	p[0] = '\0';
	b->data = p;
	b->cap = n + 1;
}

/* Is the announced body (Content-Length) over what a refused request is read for? */
static int early_answer(struct MHD_Connection *c, size_t max_body)
{
	const char *cl =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end = NULL;

	if (!cl)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno || end == cl || n > (unsigned long long)DISCARD_FACTOR * max_body;
}

/* The first call for a request: headers only. Decides what can be decided without the body. */
static enum MHD_Result begin_request(struct wh_server *s, struct MHD_Connection *c, const char *url,
				     const char *method, void **req_cls)
{
	struct wh_req *rq = calloc(1, sizeof(*rq));
	const char *cl;

	if (!rq)
		return MHD_NO; /* MHD closes the connection */
	clock_gettime(CLOCK_MONOTONIC, &rq->t0);
	atomic_fetch_add(&s->inflight, 1);
	*req_cls = rq;
	rq->path = path_of(url, &rq->route);
	buf_init(&rq->body, s->o.max_body);
	if (rq->route != ADM_NONE) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			rq->reject = MHD_HTTP_METHOD_NOT_ALLOWED;
		cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (!rq->reject && cl) {
			char *end = NULL;
			unsigned long long n;

			errno = 0;
			n = strtoull(cl, &end, 10);
			if (errno == 0 && end != cl && n > s->o.max_body)
				rq->reject = MHD_HTTP_CONTENT_TOO_LARGE;
			else if (errno == 0 && end != cl && n > 0)
				presize(&rq->body, (size_t)n);
		}
	} else if (rq->path != WM_OTHER) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			rq->reject = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else {
		rq->reject = MHD_HTTP_NOT_FOUND;
	}
	/* A refused request is still read to its end (and the body dropped) before the answer, so
	 * the client reads a clean error and may reuse the connection: answering early would close
	 * it with unread data, which resets it, and the client may never see the status. Only an
	 * announced body too large to be worth reading is answered at once (MHD then closes). */
	if (rq->reject && early_answer(c, s->o.max_body))
		return respond_error(s, c, rq, rq->reject);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **req_cls)
{
	struct wh_server *s = cls;
	struct wh_req *rq = *req_cls;

	(void)version;
	if (!rq)
		return begin_request(s, c, url, method, req_cls);
	if (*size) {
		if (rq->status) {
			/* already answered (413 or an early error): drop the rest */
		} else if (!rq->reject) {
			int r = buf_append(&rq->body, data, *size);

			if (r < 0) {
				rq->reject = r == -E2BIG ? MHD_HTTP_CONTENT_TOO_LARGE
							 : MHD_HTTP_INTERNAL_SERVER_ERROR;
				buf_free(&rq->body);
			}
		}
		if (rq->reject || rq->status) {
			rq->discarded += *size;
			if (rq->discarded > DISCARD_FACTOR * s->o.max_body)
				return MHD_NO;
		}
		*size = 0;
		return MHD_YES;
	}
	if (rq->status)
		return MHD_YES; /* the response is queued already */
	if (rq->reject)
		return respond_error(s, c, rq, rq->reject);
	if (rq->route != ADM_NONE)
		return answer_review(s, c, rq, url);
	return answer_get(s, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct wh_server *s = cls;
	struct wh_req *rq = *req_cls;

	(void)c;
	if (!rq)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && rq->status)
		LOG_DEBUGF("request_aborted", "path=%d status=%u toe=%d", (int)rq->path, rq->status,
			   (int)toe);
	wm_request(&s->metrics, rq->path,
		   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? rq->status : 0, ns_since(&rq->t0));
	buf_free(&rq->body);
	free(rq);
	*req_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct wh_server *s = cls;
	char msg[512], q[600];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* After start MHD reports per-connection trouble (failed handshakes, resets): routine
	 * for a server on a network, so debug. */
	if (atomic_load(&s->starting))
		LOG_WARNF("mhd", "msg=%s", log_quote(msg, q, sizeof(q)));
	else
		LOG_DEBUGF("mhd", "msg=%s", log_quote(msg, q, sizeof(q)));
}

static void *reloader_main(void *arg)
{
	struct wh_server *s = arg;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		struct timespec until;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += s->o.cert_poll_ms / 1000;
		until.tv_nsec += (long)(s->o.cert_poll_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!s->stopping && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
			;
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->mu);
		r = cs_poll(s->certs, false);
		if (r > 0)
			atomic_fetch_add(&s->metrics.cert_reloads, 1);
		else if (r < 0 && r != -ENOENT)
			atomic_fetch_add(&s->metrics.cert_reload_errors, 1);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Parses "host:port", "[v6]:port", ":port" into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len, int *v6)
{
	char host[128];
	const char *colon, *h = listen;
	size_t hl;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	*v6 = 0;
	if (!listen)
		return -EINVAL;
	if (listen[0] == '[') {
		const char *close_br = strchr(listen, ']');

		if (!close_br || close_br[1] != ':')
			return -EINVAL;
		h = listen + 1;
		hl = (size_t)(close_br - h);
		colon = close_br + 1;
		*v6 = 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - listen);
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return -EINVAL;
	if (*v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (!host[0])
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		*len = sizeof(*a);
	}
	return 0;
}

int wh_server_start(const struct wh_server_opts *o, struct wh_server **out)
{
	struct wh_server *s = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	const union MHD_DaemonInfo *info;
	/* A thread pool with epoll: measured against one thread per connection it costs less CPU
	 * per keep-alive request (see bench/RESULTS.md). Not MHD_USE_TURBO: it saves a few system
	 * calls, but with it libmicrohttpd 0.9.75 never times out a connection that sends
	 * nothing, which would let idle clients hold every connection slot. */
	unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG;
	unsigned threads;
	int v6 = 0, r;

	*out = NULL;
	r = parse_listen(o->listen, &ss, &sslen, &v6);
	if (r < 0) {
		LOG_ERRORF("listen_invalid", "listen=%s want=host:port",
			   o->listen ? o->listen : "");
		return r;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	wm_init(&s->metrics);
	atomic_init(&s->draining, 0);
	atomic_init(&s->starting, 1);
	atomic_init(&s->inflight, 0);
	pthread_mutex_init(&s->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	/* A replaced certificate outlives any handshake that may have picked it. */
	r = cs_open(o->cert_dir, o->conn_timeout_s + 60, &s->certs);
	if (r < 0)
		goto fail;
	if (cs_poll(s->certs, true) > 0)
		atomic_fetch_add(&s->metrics.cert_reloads, 1);
	cs_activate(s->certs);

	threads = o->threads;
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 && n < 64 ? (unsigned)n : 2;
	}
	/* The logger goes first so that MHD reports problems with later options through it. */
	s->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_HTTPS_CERT_CALLBACK,
	    &cs_retrieve, MHD_OPTION_HTTPS_PRIORITIES, o->tls_priorities,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
	    o->conn_timeout_s, MHD_OPTION_CONNECTION_LIMIT, o->max_conns,
	    MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u, MHD_OPTION_LISTEN_BACKLOG_SIZE,
	    1024u, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
	if (!s->d) {
		LOG_ERRORF("listen_failed", "listen=%s reason=\"libmicrohttpd did not start\"",
			   o->listen);
		r = -EIO;
		goto fail;
	}
	atomic_store(&s->starting, 0);
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	if (o->cert_poll_ms) {
		if (pthread_create(&s->reloader, NULL, reloader_main, s) != 0) {
			r = -ENOMEM;
			goto fail;
		}
		s->reloader_started = 1;
	}
	LOG_INFOF("listening", "listen=%s port=%u threads=%u ready=%s", o->listen,
		  (unsigned)s->port, threads, cs_loaded(s->certs) ? "true" : "false");
	*out = s;
	return 0;
fail:
	if (s->d)
		MHD_stop_daemon(s->d);
	cs_close(s->certs);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return r;
}

unsigned short wh_server_port(const struct wh_server *s)
{
	return s ? s->port : 0;
}

int wh_server_reload(struct wh_server *s)
{
	int r = cs_poll(s->certs, true);

	if (r > 0)
		atomic_fetch_add(&s->metrics.cert_reloads, 1);
	else if (r < 0)
		atomic_fetch_add(&s->metrics.cert_reload_errors, 1);
	return r;
}

long wh_server_inflight(struct wh_server *s)
{
	return atomic_load(&s->inflight);
}

bool wh_server_ready(struct wh_server *s)
{
	return !atomic_load(&s->draining) && cs_loaded(s->certs);
}

void wh_server_drain(struct wh_server *s)
{
	if (s && !atomic_exchange(&s->draining, 1))
		LOG_INFOF("draining", "inflight=%ld", atomic_load(&s->inflight));
}

int wh_server_stop(struct wh_server *s, unsigned timeout_ms)
{
	struct timespec t0;
	MHD_socket lsock;
	int r = 0;

	if (!s)
		return 0;
	wh_server_drain(s);
	/* Stop accepting; connections already open keep being served. */
	lsock = MHD_quiesce_daemon(s->d);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (atomic_load(&s->inflight) == 0) {
			/* a request racing in on a kept-alive connection gets a moment to show */
			struct timespec settle = {0, 20 * 1000000L};

			nanosleep(&settle, NULL);
			if (atomic_load(&s->inflight) == 0)
				break;
		}
		if (ns_since(&t0) / 1000000u >= timeout_ms) {
			LOG_WARNF("drain_timeout", "inflight=%ld timeout_ms=%u",
				  atomic_load(&s->inflight), timeout_ms);
			r = -ETIMEDOUT;
			break;
		}
		{
			struct timespec tick = {0, 5 * 1000000L};

			nanosleep(&tick, NULL);
		}
	}
	if (s->reloader_started) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->reloader, NULL);
	}
	MHD_stop_daemon(s->d); /* closes idle keep-alive connections */
	cs_close(s->certs);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	LOG_INFOF("stopped", "clean=%s", r == 0 ? "true" : "false");
	free(s);
	return r;
}
