/* Unit tests for lib/kube.c against a fake API server (libmicrohttpd over TLS) whose answers
 * each test scripts as a queue of canned responses. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "lib/buf.h"
#include "lib/kube.h"
#include "lib/log.h"
#include "lib/tlsgen.h"

/* --- the fake API server ------------------------------------------------------------------- */

#define MAXQ 16

struct canned {
	int status;
	const char *ctype;	 /* Content-Type, or NULL */
	const char *body;	 /* NULL: empty */
	size_t big;		 /* > 0: a JSON body of this many bytes instead of body */
	const char *retry_after; /* Retry-After header, or NULL */
	int delay_ms;		 /* wait before answering */
	/* A chunked answer (MHD_SIZE_UNKNOWN) when stream is set. */
	const char *stream;
	const size_t *cuts; /* chunk sizes, cycled; NULL = one chunk */
	size_t ncuts;
	int chunk_delay_ms;
	int idle_ms;   /* after the text, keep the stream open this long */
	int heartbeat; /* while idle, send a blank line every 100 ms */
};

struct seen {
	char method[16];
	char url[256];
	char query[256];
	char auth[256];
	char ctype[128];
	char accept[64];
	char agent[64];
	char body[2048];
	size_t body_len;
};

static struct {
	struct MHD_Daemon *d;
	unsigned port;
	pthread_mutex_t mu;
	struct canned q[MAXQ];
	int nq, next;
	struct seen seen[MAXQ];
	int nreq;
	atomic_int stopping;
	struct tg_pair tls;
} srv;

static volatile int stop_flag;

struct req {
	struct buf body;
};

struct stream_ctx {
	struct canned c;
	size_t len, off, ci;
	int idle_left;
};

static void nap(int ms)
{
	while (ms > 0 && !atomic_load(&srv.stopping)) {
		int s = ms > 10 ? 10 : ms;

		usleep((useconds_t)s * 1000);
		ms -= s;
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_ctx *s = cls;

	(void)pos;
	if (s->off < s->len) {
		size_t n = s->c.ncuts ? s->c.cuts[s->ci++ % s->c.ncuts] : s->len - s->off;

		if (n == 0)
			n = 1;
		if (n > s->len - s->off)
			n = s->len - s->off;
		if (n > max)
			n = max;
		if (s->off > 0 && s->c.chunk_delay_ms)
			nap(s->c.chunk_delay_ms);
		memcpy(buf, s->c.stream + s->off, n);
		s->off += n;
		return (ssize_t)n;
	}
	while (s->idle_left > 0 && !atomic_load(&srv.stopping)) {
		int step = s->c.heartbeat ? 100 : 20;

		nap(step);
		s->idle_left -= step;
		if (s->c.heartbeat && max > 0) {
			buf[0] = '\n';
			return 1;
		}
	}
	return atomic_load(&srv.stopping) ? MHD_CONTENT_READER_END_WITH_ERROR
					  : MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls)
{
	free(cls);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	struct seen *s = cls;
	size_t n = strlen(s->query);

	(void)kind;
	snprintf(s->query + n, sizeof(s->query) - n, "%s%s=%s", n ? "&" : "", key,
		 value ? value : "");
	return MHD_YES;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t outlen)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	snprintf(out, outlen, "%s", v ? v : "");
}

static enum MHD_Result respond(struct MHD_Connection *conn, const struct canned *c)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (c->stream) {
		struct stream_ctx *s = calloc(1, sizeof(*s));

		if (!s)
			return MHD_NO;
		s->c = *c;
		s->len = strlen(c->stream);
		s->idle_left = c->idle_ms;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, stream_read, s,
							 stream_free);
	} else if (c->big) {
		char *b = malloc(c->big);

		if (!b)
			return MHD_NO;
		memset(b, 'x', c->big);
		memcpy(b, "{\"x\":\"", 6);
		memcpy(b + c->big - 2, "\"}", 2);
		resp = MHD_create_response_from_buffer(c->big, b, MHD_RESPMEM_MUST_FREE);
	} else {
		const char *body = c->body ? c->body : "";

		resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
						       MHD_RESPMEM_MUST_COPY);
	}
	if (!resp)
		return MHD_NO;
	if (c->ctype)
		MHD_add_response_header(resp, "Content-Type", c->ctype);
	if (c->retry_after)
		MHD_add_response_header(resp, "Retry-After", c->retry_after);
	ret = MHD_queue_response(conn, (unsigned)c->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct req *r = *con_cls;
	struct canned c = {.status = 500, .ctype = "text/plain", .body = "no canned response"};
	struct seen *s = NULL;
	int idx;

	(void)cls, (void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		buf_init(&r->body, 1u << 20);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size) {
		buf_append(&r->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&srv.mu);
	idx = srv.nreq++;
	if (idx < MAXQ) {
		s = &srv.seen[idx];
		memset(s, 0, sizeof(*s));
		snprintf(s->method, sizeof(s->method), "%s", method);
		snprintf(s->url, sizeof(s->url), "%s", url);
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, s);
		copy_header(conn, "Authorization", s->auth, sizeof(s->auth));
		copy_header(conn, "Content-Type", s->ctype, sizeof(s->ctype));
		copy_header(conn, "Accept", s->accept, sizeof(s->accept));
		copy_header(conn, "User-Agent", s->agent, sizeof(s->agent));
		s->body_len = r->body.len < sizeof(s->body) - 1 ? r->body.len : sizeof(s->body) - 1;
		if (s->body_len)
			memcpy(s->body, r->body.data, s->body_len);
	}
	if (strncmp(url, "/slow", 5) == 0) {
		/* The slow route: answers long after any sensible client timeout. */
		c = (struct canned){
		    .status = 200, .ctype = "application/json", .body = "{}", .delay_ms = 3000};
	} else if (srv.next < srv.nq) {
		c = srv.q[srv.next++];
	}
	pthread_mutex_unlock(&srv.mu);
	if (c.delay_ms)
		nap(c.delay_ms);
	return respond(conn, &c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls, (void)conn, (void)toe;
	if (r) {
		buf_free(&r->body);
		free(r);
		*con_cls = NULL;
	}
}

static void push(struct canned c)
{
	pthread_mutex_lock(&srv.mu);
	assert_true(srv.nq < MAXQ);
	srv.q[srv.nq++] = c;
	pthread_mutex_unlock(&srv.mu);
}

/* Forgets the canned answers not used yet. */
static void drop_queue(void)
{
	pthread_mutex_lock(&srv.mu);
	srv.next = srv.nq;
	pthread_mutex_unlock(&srv.mu);
}

static int nreq(void)
{
	int n;

	pthread_mutex_lock(&srv.mu);
	n = srv.nreq;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

static struct seen *seen(int i)
{
	assert_true(i < nreq());
	return &srv.seen[i];
}

static int group_setup(void **state)
{
	const char *ips[] = {"127.0.0.1"};
	struct tg_cert_req req = {.common_name = "fake-apiserver",
				  .ip_addrs = ips,
				  .n_ip = 1,
				  .valid_days = 1,
				  .key_type = TG_KEY_EC_P256};

	(void)state;
	if (kube_global_init() != 0)
		return -1;
	if (tg_self_signed(&req, &srv.tls) != 0)
		return -1;
	pthread_mutex_init(&srv.mu, NULL);
	log_init("test_kube", LOG_WARN);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tg_pair_free(&srv.tls);
	pthread_mutex_destroy(&srv.mu);
	kube_global_cleanup();
	return 0;
}

static int setup(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	const union MHD_DaemonInfo *info;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.nq = srv.next = srv.nreq = 0;
	atomic_store(&srv.stopping, 0);
	stop_flag = 0;
	srv.d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_TLS, 0, NULL,
	    NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_KEY,
	    srv.tls.key_pem, MHD_OPTION_HTTPS_MEM_CERT, srv.tls.cert_pem,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)10, MHD_OPTION_END);
	if (!srv.d)
		return -1;
	info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port)
		return -1;
	srv.port = info->port;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&srv.stopping, 1);
	MHD_stop_daemon(srv.d);
	srv.d = NULL;
	return 0;
}

/* --- client helpers ------------------------------------------------------------------------ */

static struct kube_client_opts base_opts(void)
{
	return (struct kube_client_opts){.timeout_ms = 5000,
					 .connect_timeout_ms = 2000,
					 .max_retries = 3,
					 .backoff_base_ms = 5,
					 .backoff_cap_ms = 20,
					 .user_agent = "okg-test/1",
					 .stop = &stop_flag};
}

static struct kube_client *client_at(unsigned port, const struct kube_client_opts *o,
				     const char *token, const char *token_file)
{
	struct kube_client_opts def = base_opts();
	struct kube_config cfg = {0};
	struct kube_client *kc = NULL;
	char url[64];

	snprintf(url, sizeof(url), "https://127.0.0.1:%u", port);
	cfg.server = url;
	cfg.ca_pem = srv.tls.cert_pem;
	cfg.token = (char *)token;
	cfg.token_file = (char *)token_file;
	cfg.namespace = (char *)"default";
	assert_int_equal(kube_client_new(&cfg, o ? o : &def, &kc), 0);
	assert_non_null(kc);
	return kc;
}

static struct kube_client *client(const struct kube_client_opts *o)
{
	return client_at(srv.port, o, "static-token", NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define STATUS_JSON(code, reason, msg)                                                             \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"" msg     \
	"\",\"reason\":\"" reason "\",\"code\":" #code "}"

/* --- requests ------------------------------------------------------------------------------ */

static void test_get_json(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	cJSON *pod = NULL;

	(void)state;
	push((struct canned){.status = 200,
			     .ctype = "application/json",
			     .body = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}"});
	assert_int_equal(kube_get(kc, "/api/v1/namespaces/default/pods/p?x=1", &pod, &resp), 0);
	assert_non_null(pod);
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "metadata"), "name")),
	    "p");
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 1);
	assert_string_equal(resp.reason, "");
	assert_non_null(resp.body);
	assert_int_equal(resp.len, strlen(resp.body));
	assert_int_equal(nreq(), 1);
	assert_string_equal(seen(0)->method, "GET");
	assert_string_equal(seen(0)->url, "/api/v1/namespaces/default/pods/p");
	assert_string_equal(seen(0)->query, "x=1");
	assert_string_equal(seen(0)->auth, "Bearer static-token");
	assert_string_equal(seen(0)->accept, "application/json");
	assert_string_equal(seen(0)->agent, "okg-test/1");
	assert_int_equal(seen(0)->body_len, 0);
	cJSON_Delete(pod);
	kube_resp_free(&resp);
	assert_null(resp.body);
	kube_resp_free(&resp);
	kube_resp_free(NULL);

	/* a 200 that is not JSON */
	push((struct canned){.status = 200, .ctype = "text/plain", .body = "hello"});
	assert_int_equal(kube_get(kc, "/x", &pod, &resp), KUBE_EPARSE);
	assert_null(pod);
	assert_true(resp.message[0] != '\0');
	kube_resp_free(&resp);
	kube_client_free(kc);
}

static void test_not_found(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	cJSON *pod = (cJSON *)0x1;

	(void)state;
	push((struct canned){.status = 404,
			     .ctype = "application/json",
			     .body = STATUS_JSON(404, "NotFound", "pods \\\"p\\\" not found")});
	assert_int_equal(kube_get(kc, "/api/v1/namespaces/default/pods/p", &pod, &resp),
			 KUBE_ENOTFOUND);
	assert_null(pod);
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.reason, "NotFound");
	assert_string_equal(resp.message, "pods \"p\" not found");
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(nreq(), 1);
	kube_resp_free(&resp);
	kube_client_free(kc);
}

static void test_conflict_kinds(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	cJSON *obj = cJSON_Parse("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
				 "\"resourceVersion\":\"5\"}}");
	cJSON *out = (cJSON *)0x1;
	char *text = cJSON_PrintUnformatted(obj);

	(void)state;
	push((struct canned){
	    .status = 409,
	    .ctype = "application/json",
	    .body = STATUS_JSON(409, "AlreadyExists", "pods \\\"p\\\" already exists")});
	assert_int_equal(kube_create(kc, "/api/v1/namespaces/default/pods", obj, &out, &resp),
			 KUBE_EEXISTS);
	assert_null(out);
	assert_string_equal(resp.reason, "AlreadyExists");
	assert_int_equal(resp.attempts, 1);
	assert_string_equal(seen(0)->method, "POST");
	assert_string_equal(seen(0)->ctype, "application/json");
	assert_string_equal(seen(0)->body, text);
	kube_resp_free(&resp);

	push((struct canned){.status = 409,
			     .ctype = "application/json",
			     .body = STATUS_JSON(409, "Conflict",
						 "the object has been modified; please apply your "
						 "changes to the latest version and try again")});
	assert_int_equal(kube_replace(kc, "/api/v1/namespaces/default/pods/p", obj, NULL, &resp),
			 KUBE_ECONFLICT);
	assert_string_equal(resp.reason, "Conflict");
	assert_non_null(strstr(resp.message, "has been modified"));
	assert_int_equal(resp.attempts, 1); /* a conflict is not retried */
	assert_int_equal(nreq(), 2);
	assert_string_equal(seen(1)->method, "PUT");
	assert_string_equal(seen(1)->body, text);
	kube_resp_free(&resp);

	/* success returns the created object */
	push((struct canned){.status = 201, .ctype = "application/json", .body = "{\"ok\":true}"});
	assert_int_equal(kube_create(kc, "/api/v1/namespaces/default/pods", obj, &out, &resp), 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(out, "ok")));
	cJSON_Delete(out);
	kube_resp_free(&resp);
	free(text);
	cJSON_Delete(obj);
	kube_client_free(kc);
}

static void test_invalid(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	cJSON *obj = cJSON_Parse("{\"kind\":\"Pod\"}");

	(void)state;
	push((struct canned){
	    .status = 422,
	    .ctype = "application/json",
	    .body = STATUS_JSON(422, "Invalid",
				"Pod \\\"\\\" is invalid: metadata.name: Required value: name or "
				"generateName is required")});
	assert_int_equal(kube_create(kc, "/api/v1/namespaces/default/pods", obj, NULL, &resp),
			 KUBE_EINVALID);
	assert_int_equal(resp.status, 422);
	assert_string_equal(resp.reason, "Invalid");
	assert_non_null(strstr(resp.message, "metadata.name: Required value"));
	assert_int_equal(resp.attempts, 1);
	kube_resp_free(&resp);
	cJSON_Delete(obj);
	kube_client_free(kc);
}

static void test_retry_after_429(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	cJSON *obj = cJSON_Parse("{\"kind\":\"Pod\"}");
	double t0;

	(void)state;
	push((struct canned){.status = 429,
			     .ctype = "application/json",
			     .retry_after = "1",
			     .body = STATUS_JSON(429, "TooManyRequests", "slow down")});
	push((struct canned){.status = 201, .ctype = "application/json", .body = "{}"});
	t0 = now_s();
	/* a POST too: 429 means the request was not processed */
	assert_int_equal(kube_create(kc, "/api/v1/namespaces/default/pods", obj, NULL, &resp), 0);
	assert_true(now_s() - t0 >= 0.95);
	assert_true(now_s() - t0 < 5.0);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(resp.status, 201);
	assert_int_equal(nreq(), 2);
	assert_string_equal(seen(1)->method, "POST");
	assert_string_equal(seen(1)->body, seen(0)->body);
	kube_resp_free(&resp);
	cJSON_Delete(obj);
	kube_client_free(kc);
}

static void test_retry_503_get(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	cJSON *out = NULL;

	(void)state;
	push((struct canned){.status = 503, .ctype = "text/plain", .body = "unavailable"});
	push((struct canned){.status = 503, .ctype = "text/plain", .body = "unavailable"});
	push((struct canned){.status = 200, .ctype = "application/json", .body = "{\"n\":3}"});
	assert_int_equal(kube_get(kc, "/api/v1/pods", &out, &resp), 0);
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(nreq(), 3);
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(out, "n")), 3);
	/* the final answer only: nothing of the failed attempts remains */
	assert_string_equal(resp.message, "");
	cJSON_Delete(out);
	kube_resp_free(&resp);
	kube_client_free(kc);
}

static void test_no_retry_503_post(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	cJSON *obj = cJSON_Parse("{}");

	(void)state;
	push((struct canned){.status = 503, .ctype = "text/plain", .body = "unavailable"});
	push((struct canned){.status = 201, .ctype = "application/json", .body = "{}"});
	assert_int_equal(kube_create(kc, "/api/v1/pods", obj, NULL, &resp), KUBE_ESERVER);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(resp.status, 503);
	assert_int_equal(nreq(), 1);
	kube_resp_free(&resp);
	cJSON_Delete(obj);
	kube_client_free(kc);
}

static void test_retries_exhausted(void **state)
{
	struct kube_client_opts o = base_opts();
	struct kube_client *kc;
	struct kube_resp resp;

	(void)state;
	o.max_retries = 2;
	kc = client(&o);
	for (int i = 0; i < 4; i++)
		push((struct canned){.status = 500,
				     .ctype = "application/json",
				     .body = STATUS_JSON(500, "InternalError", "etcd is down")});
	assert_int_equal(kube_request(kc, "GET", "/api/v1/pods", NULL, NULL, 0, &resp),
			 KUBE_ESERVER);
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(nreq(), 3);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.reason, "InternalError");
	assert_string_equal(resp.message, "etcd is down");
	kube_resp_free(&resp);

	/* 501 is not worth repeating */
	drop_queue();
	push((struct canned){.status = 501, .body = "no"});
	assert_int_equal(kube_request(kc, "GET", "/x", NULL, NULL, 0, &resp), KUBE_ESERVER);
	assert_int_equal(resp.attempts, 1);
	kube_resp_free(&resp);
	kube_client_free(kc);
}

static void write_token(const char *path, const char *tok)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(tok, f);
	fclose(f);
}

static void capture_begin(FILE **f, int *saved)
{
	*f = tmpfile();
	assert_non_null(*f);
	fflush(stderr);
	*saved = dup(2);
	assert_true(*saved >= 0);
	assert_true(dup2(fileno(*f), 2) >= 0);
}

static char *capture_end(FILE *f, int saved)
{
	long n;
	char *s;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static void test_token_file_reread(void **state)
{
	char dir[] = "/tmp/okgt-kube-XXXXXX", path[64];
	struct kube_client *kc;
	struct kube_resp resp;
	FILE *cap;
	char *logged;
	int saved;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	write_token(path, "old-token-AAAA\n");
	kc = client_at(srv.port, NULL, "static-token-ZZZZ", path);

	/* the first request reads the file (the file wins over a static token) */
	push((struct canned){.status = 200, .ctype = "application/json", .body = "{}"});
	assert_int_equal(kube_request(kc, "GET", "/a", NULL, NULL, 0, &resp), 0);
	assert_string_equal(seen(0)->auth, "Bearer old-token-AAAA");
	kube_resp_free(&resp);

	/* the token rotates: the cached one is refused, the client re-reads and retries once */
	write_token(path, "new-token-BBBB\r\n");
	push((struct canned){.status = 401,
			     .ctype = "application/json",
			     .body = STATUS_JSON(401, "Unauthorized", "Unauthorized")});
	push((struct canned){.status = 200, .ctype = "application/json", .body = "{}"});
	log_init("test_kube", LOG_DEBUG);
	capture_begin(&cap, &saved);
	assert_int_equal(kube_request(kc, "GET", "/b", NULL, NULL, 0, &resp), 0);
	logged = capture_end(cap, saved);
	log_init("test_kube", LOG_WARN);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(nreq(), 3);
	assert_string_equal(seen(1)->auth, "Bearer old-token-AAAA");
	assert_string_equal(seen(2)->auth, "Bearer new-token-BBBB");
	assert_null(strstr(logged, "AAAA"));
	assert_null(strstr(logged, "BBBB"));
	assert_null(strstr(resp.message, "BBBB"));
	free(logged);
	kube_resp_free(&resp);

	/* refused twice: re-read only once, then KUBE_EAUTH */
	push((struct canned){.status = 401, .body = "{}"});
	push((struct canned){.status = 401, .body = "{}"});
	push((struct canned){.status = 200, .body = "{}"});
	assert_int_equal(kube_request(kc, "GET", "/c", NULL, NULL, 0, &resp), KUBE_EAUTH);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(nreq(), 5);
	kube_resp_free(&resp);
	kube_client_free(kc);

	/* without a token file a 401 is final */
	kc = client(NULL);
	drop_queue();
	push((struct canned){.status = 401, .body = "{}"});
	assert_int_equal(kube_request(kc, "GET", "/d", NULL, NULL, 0, &resp), KUBE_EAUTH);
	assert_int_equal(resp.attempts, 1);
	kube_resp_free(&resp);
	kube_client_free(kc);
	unlink(path);
	rmdir(dir);
}

static void test_body_cap(void **state)
{
	struct kube_client_opts o = base_opts();
	struct kube_client *kc;
	struct kube_resp resp;
	cJSON *out = (cJSON *)0x1;

	(void)state;
	o.max_body = 1000;
	kc = client(&o);
	push((struct canned){.status = 200, .ctype = "application/json", .big = 5000});
	assert_int_equal(kube_get(kc, "/big", &out, &resp), KUBE_E2BIG);
	assert_null(out);
	assert_int_equal(resp.attempts, 1);
	assert_true(resp.len <= 1000);
	kube_resp_free(&resp);
	/* exactly at the cap is fine */
	push((struct canned){.status = 200, .ctype = "application/json", .big = 1000});
	assert_int_equal(kube_get(kc, "/big", &out, &resp), 0);
	assert_int_equal(resp.len, 1000);
	cJSON_Delete(out);
	kube_resp_free(&resp);
	kube_client_free(kc);
}

static void test_timeout(void **state)
{
	struct kube_client_opts o = base_opts();
	struct kube_client *kc;
	struct kube_resp resp;
	double t0, dt;

	(void)state;
	o.timeout_ms = 300;
	o.max_retries = 1;
	kc = client(&o);
	t0 = now_s();
	assert_int_equal(kube_request(kc, "GET", "/slow", NULL, NULL, 0, &resp), KUBE_ETIMEDOUT);
	dt = now_s() - t0;
	assert_true(dt >= 0.55); /* two attempts of 300 ms */
	assert_true(dt < 2.0);
	assert_int_equal(resp.status, 0);
	assert_int_equal(resp.attempts, 2);
	assert_true(resp.message[0] != '\0');
	kube_resp_free(&resp);

	/* a POST that timed out may have been processed: not repeated */
	t0 = now_s();
	assert_int_equal(kube_request(kc, "POST", "/slow", "application/json", "{}", 2, &resp),
			 KUBE_ETIMEDOUT);
	assert_int_equal(resp.attempts, 1);
	assert_true(now_s() - t0 < 1.5);
	kube_resp_free(&resp);
	kube_client_free(kc);
}

static unsigned closed_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void test_connection_refused(void **state)
{
	struct kube_client *kc = client_at(closed_port(), NULL, "t", NULL);
	struct kube_resp resp;
	cJSON *out = (cJSON *)0x1;
	cJSON *obj = cJSON_Parse("{}");

	(void)state;
	assert_int_equal(kube_get(kc, "/api", &out, &resp), KUBE_ENET);
	assert_null(out);
	assert_int_equal(resp.status, 0);
	assert_int_equal(resp.attempts, 4); /* 1 + max_retries */
	assert_true(resp.message[0] != '\0');
	kube_resp_free(&resp);
	/* refused connections are safe to repeat even for POST */
	assert_int_equal(kube_create(kc, "/api", obj, NULL, &resp), KUBE_ENET);
	assert_int_equal(resp.attempts, 4);
	kube_resp_free(&resp);
	cJSON_Delete(obj);
	kube_client_free(kc);
}

static void test_text_error_body(void **state)
{
	struct kube_client_opts o = base_opts();
	struct kube_client *kc;
	struct kube_resp resp;

	(void)state;
	o.max_retries = -1; /* never retry */
	kc = client(&o);
	push((struct canned){.status = 502,
			     .ctype = "text/html",
			     .body = "<html><body>Bad\tGateway\x01</body></html>"});
	assert_int_equal(kube_request(kc, "GET", "/x", NULL, NULL, 0, &resp), KUBE_ESERVER);
	assert_int_equal(resp.status, 502);
	assert_string_equal(resp.reason, "");
	assert_string_equal(resp.message, "<html><body>Bad Gateway </body></html>");
	kube_resp_free(&resp);

	/* a plain-text body that happens to start like a JSON number */
	push((struct canned){.status = 502, .ctype = "text/plain", .body = "502 Bad Gateway\n"});
	assert_int_equal(kube_request(kc, "GET", "/x", NULL, NULL, 0, &resp), KUBE_ESERVER);
	assert_string_equal(resp.message, "502 Bad Gateway ");
	kube_resp_free(&resp);

	/* other statuses */
	push((struct canned){.status = 403, .body = STATUS_JSON(403, "Forbidden", "no")});
	assert_int_equal(kube_request(kc, "GET", "/x", NULL, NULL, 0, &resp), KUBE_EFORBIDDEN);
	kube_resp_free(&resp);
	push((struct canned){.status = 418, .body = "teapot"});
	assert_int_equal(kube_request(kc, "GET", "/x", NULL, NULL, 0, &resp), KUBE_EHTTP);
	assert_string_equal(resp.message, "teapot");
	kube_resp_free(&resp);
	push((struct canned){.status = 400, .body = ""});
	assert_int_equal(kube_request(kc, "GET", "/x", NULL, NULL, 0, &resp), KUBE_EBADREQ);
	kube_resp_free(&resp);
	kube_client_free(kc);
}

static void test_patch_types(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	const char *want[] = {"application/merge-patch+json", "application/json-patch+json",
			      "application/strategic-merge-patch+json"};
	const char *patches[] = {"{\"metadata\":{\"labels\":{\"a\":\"b\"}}}",
				 "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}]",
				 "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}"};
	const enum kube_patch_type types[] = {KUBE_PATCH_MERGE, KUBE_PATCH_JSON,
					      KUBE_PATCH_STRATEGIC};
	cJSON *out;

	(void)state;
	for (int i = 0; i < 3; i++) {
		push((struct canned){
		    .status = 200, .ctype = "application/json", .body = "{\"p\":1}"});
		assert_int_equal(
		    kube_patch(kc, "/apis/x/v1/things/t", types[i], patches[i], &out, &resp), 0);
		assert_non_null(out);
		cJSON_Delete(out);
		kube_resp_free(&resp);
		assert_string_equal(seen(i)->method, "PATCH");
		assert_string_equal(seen(i)->ctype, want[i]);
		assert_string_equal(seen(i)->body, patches[i]);
		assert_string_equal(seen(i)->url, "/apis/x/v1/things/t");
	}
	/* out may be NULL */
	push((struct canned){.status = 200, .body = "not json"});
	assert_int_equal(kube_patch(kc, "/p", KUBE_PATCH_MERGE, "{}", NULL, &resp), 0);
	kube_resp_free(&resp);
	kube_client_free(kc);
}

static void test_delete(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	const char *opts = "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
			   "\"propagationPolicy\":\"Foreground\",\"gracePeriodSeconds\":0}";

	(void)state;
	push((struct canned){.status = 200, .body = STATUS_JSON(200, "", "")});
	assert_int_equal(kube_delete(kc, "/api/v1/namespaces/default/pods/p", opts, &resp), 0);
	kube_resp_free(&resp);
	assert_string_equal(seen(0)->method, "DELETE");
	assert_string_equal(seen(0)->ctype, "application/json");
	assert_string_equal(seen(0)->body, opts);
	push((struct canned){.status = 202, .body = "{}"});
	assert_int_equal(kube_delete(kc, "/api/v1/namespaces/default/pods/q", NULL, &resp), 0);
	kube_resp_free(&resp);
	assert_string_equal(seen(1)->method, "DELETE");
	assert_string_equal(seen(1)->ctype, "");
	assert_int_equal(seen(1)->body_len, 0);
	push((struct canned){.status = 404, .body = STATUS_JSON(404, "NotFound", "gone")});
	assert_int_equal(kube_delete(kc, "/api/v1/namespaces/default/pods/q", NULL, &resp),
			 KUBE_ENOTFOUND);
	kube_resp_free(&resp);
	kube_client_free(kc);
}

static void test_rate_limit(void **state)
{
	struct kube_client_opts o = base_opts();
	struct kube_client *kc;
	struct kube_resp resp;
	double t0;

	(void)state;
	o.qps = 10;
	o.burst = 2;
	kc = client(&o);
	for (int i = 0; i < 4; i++)
		push((struct canned){.status = 200, .body = "{}"});
	t0 = now_s();
	for (int i = 0; i < 4; i++) {
		assert_int_equal(kube_request(kc, "GET", "/r", NULL, NULL, 0, &resp), 0);
		kube_resp_free(&resp);
	}
	/* two at once from the burst, then one per 100 ms */
	assert_true(now_s() - t0 >= 0.17);
	assert_true(now_s() - t0 < 2.0);
	kube_client_free(kc);
}

static void test_canceled_before(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;

	(void)state;
	stop_flag = 1;
	assert_int_equal(kube_request(kc, "GET", "/x", NULL, NULL, 0, &resp), KUBE_ECANCELED);
	assert_int_equal(nreq(), 0);
	kube_resp_free(&resp);
	stop_flag = 0;
	kube_client_free(kc);
}

static void test_client_new_errors(void **state)
{
	struct kube_config cfg = {0};
	struct kube_client *kc = (struct kube_client *)0x1;

	(void)state;
	assert_int_equal(kube_client_new(NULL, NULL, &kc), KUBE_ECONFIG);
	assert_null(kc);
	assert_int_equal(kube_client_new(&cfg, NULL, &kc), KUBE_ECONFIG);
	assert_null(kc);
	cfg.server = (char *)"https://127.0.0.1:1";
	assert_int_equal(kube_client_new(&cfg, NULL, &kc), 0);
	kube_client_free(kc);
	kube_client_free(NULL);
}

/* --- pure helpers -------------------------------------------------------------------------- */

static void test_escape(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(kube_escape("app=web,tier in (a,b)", out, sizeof(out)), 0);
	assert_string_equal(out, "app%3Dweb%2Ctier%20in%20%28a%2Cb%29");
	assert_int_equal(kube_escape("AZaz09-_.~", out, sizeof(out)), 0);
	assert_string_equal(out, "AZaz09-_.~");
	assert_int_equal(kube_escape("a/b?c&d#e%f+g", out, sizeof(out)), 0);
	assert_string_equal(out, "a%2Fb%3Fc%26d%23e%25f%2Bg");
	assert_int_equal(kube_escape("caf\xc3\xa9\x7f\x01", out, sizeof(out)), 0);
	assert_string_equal(out, "caf%C3%A9%7F%01");
	assert_int_equal(kube_escape("", out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(kube_escape("", out, 0), -E2BIG);
	/* exact fits and one short */
	assert_int_equal(kube_escape("abc", out, 4), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(kube_escape("abc", out, 3), -E2BIG);
	assert_int_equal(kube_escape("a b", out, 6), 0);
	assert_string_equal(out, "a%20b");
	assert_int_equal(kube_escape("a b", out, 5), -E2BIG);
	assert_int_equal(kube_escape(" ", out, 3), -E2BIG);
	assert_int_equal(kube_escape(" ", out, 4), 0);
}

static void test_parse_retry_after(void **state)
{
	(void)state;
	assert_int_equal(kube_parse_retry_after(NULL), 0);
	assert_int_equal(kube_parse_retry_after(""), 0);
	assert_int_equal(kube_parse_retry_after("   "), 0);
	assert_int_equal(kube_parse_retry_after("0"), 0);
	assert_int_equal(kube_parse_retry_after("1"), 1);
	assert_int_equal(kube_parse_retry_after(" 7\r\n"), 7);
	assert_int_equal(kube_parse_retry_after("\t120"), 120);
	assert_int_equal(kube_parse_retry_after("3600"), 3600);
	assert_int_equal(kube_parse_retry_after("3601"), 3600);
	assert_int_equal(kube_parse_retry_after("99999999999999999999999999"), 3600);
	assert_int_equal(kube_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), 1);
	assert_int_equal(kube_parse_retry_after("-5"), 1);
	assert_int_equal(kube_parse_retry_after("5s"), 5);
}

static void test_status_to_err(void **state)
{
	static const struct {
		long status;
		const char *reason;
		int want;
	} table[] = {
	    {200, NULL, 0},
	    {201, "", 0},
	    {204, NULL, 0},
	    {299, NULL, 0},
	    {0, NULL, KUBE_ENET},
	    {400, "BadRequest", KUBE_EBADREQ},
	    {401, NULL, KUBE_EAUTH},
	    {403, "Forbidden", KUBE_EFORBIDDEN},
	    {404, "NotFound", KUBE_ENOTFOUND},
	    {409, "AlreadyExists", KUBE_EEXISTS},
	    {409, "Conflict", KUBE_ECONFLICT},
	    {409, NULL, KUBE_ECONFLICT},
	    {409, "alreadyexists", KUBE_ECONFLICT},
	    {410, "Expired", KUBE_EGONE},
	    {410, NULL, KUBE_EGONE},
	    {422, "Invalid", KUBE_EINVALID},
	    {429, "TooManyRequests", KUBE_ETHROTTLED},
	    {500, NULL, KUBE_ESERVER},
	    {501, NULL, KUBE_ESERVER},
	    {503, "ServiceUnavailable", KUBE_ESERVER},
	    {504, "Timeout", KUBE_ESERVER},
	    {599, NULL, KUBE_ESERVER},
	    {301, NULL, KUBE_EHTTP},
	    {304, NULL, KUBE_EHTTP},
	    {405, "MethodNotAllowed", KUBE_EHTTP},
	    {100, NULL, KUBE_EHTTP},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int got = kube_status_to_err(table[i].status, table[i].reason);

		if (got != table[i].want)
			fail_msg("status %ld reason %s: %d, want %d", table[i].status,
				 table[i].reason ? table[i].reason : "(null)", got, table[i].want);
	}
	for (int e = KUBE_ENET; e <= KUBE_ECONFIG; e++) {
		assert_non_null(kube_strerror(e));
		assert_string_not_equal(kube_strerror(e), "unknown error");
	}
	assert_string_equal(kube_strerror(0), "ok");
	assert_string_equal(kube_strerror(-1), "unknown error");
}

static void test_parse_status(void **state)
{
	char reason[16], message[32];
	const char *s =
	    STATUS_JSON(404, "NotFound", "pods \\\"a-very-long-name-indeed\\\" not found");
	const char *t;

	(void)state;
	kube_parse_status(s, strlen(s), reason, sizeof(reason), message, sizeof(message));
	assert_string_equal(reason, "NotFound");
	assert_string_equal(message, "pods \"a-very-long-name-indeed\" "); /* 31 bytes */
	/* JSON that is not a Status says nothing */
	t = "{\"kind\":\"Pod\",\"reason\":\"x\",\"message\":\"y\"}";
	kube_parse_status(t, strlen(t), reason, sizeof(reason), message, sizeof(message));
	assert_string_equal(reason, "");
	assert_string_equal(message, "");
	/* text keeps a printable prefix */
	t = "upstream\nconnect error or disconnect/reset before headers";
	kube_parse_status(t, strlen(t), reason, sizeof(reason), message, sizeof(message));
	assert_string_equal(reason, "");
	assert_string_equal(message, "upstream connect error or disco");
	/* only len bytes are read */
	kube_parse_status("abcdef", 3, reason, sizeof(reason), message, sizeof(message));
	assert_string_equal(message, "abc");
	kube_parse_status(NULL, 0, reason, sizeof(reason), message, sizeof(message));
	assert_string_equal(reason, "");
	assert_string_equal(message, "");
	kube_parse_status(s, strlen(s), NULL, 0, NULL, 0);
	kube_parse_status("text", 4, reason, 1, message, 1);
	assert_string_equal(message, "");
	/* a Status with odd field types */
	t = "{\"kind\":\"Status\",\"reason\":5,\"message\":null}";
	kube_parse_status(t, strlen(t), reason, sizeof(reason), message, sizeof(message));
	assert_string_equal(reason, "");
	assert_string_equal(message, "");
}

/* --- watch --------------------------------------------------------------------------------- */

static const char watch_text[] =
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"p1\",\"resourceVersion\":\"10\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"p1\",\"resourceVersion\":\"11\"},"
    "\"status\":{\"phase\":\"Running\"}}}\n"
    "\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":"
    "\"12\"}}}\r\n"
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"p\xc3\xa9\",\"resourceVersion\":"
    "\"13\"}}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"p1\",\"resourceVersion\":\"14\"}}}"
    "\n";
static const char watch_want[] = "ADDED p1 10\nMODIFIED p1 11\nBOOKMARK - 12\nADDED p\xc3\xa9 13\n"
				 "DELETED p1 14\n";
static const size_t odd_cuts[] = {1, 7, 13, 2, 50, 3, 31, 5, 64, 11, 97};

struct wrec {
	struct buf log;
	int n;
	int stop_at;   /* raise stop_flag at this event (1-based), 0 = never */
	int return_at; /* return return_val at this event, 0 = never */
	int return_val;
};

static int on_watch(void *ud, enum wf_type type, cJSON *object)
{
	struct wrec *w = ud;
	const cJSON *md = cJSON_GetObjectItem(object, "metadata");
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(md, "name"));
	const char *rv = cJSON_GetStringValue(cJSON_GetObjectItem(md, "resourceVersion"));

	w->n++;
	if (type == WF_ERROR)
		buf_printf(&w->log, "ERROR %g\n",
			   cJSON_GetNumberValue(cJSON_GetObjectItem(object, "code")));
	else
		buf_printf(&w->log, "%s %s %s\n", wf_type_name(type), name ? name : "-",
			   rv ? rv : "-");
	if (w->stop_at && w->n == w->stop_at)
		stop_flag = 1;
	if (w->return_at && w->n == w->return_at)
		return w->return_val;
	return 0;
}

static void wrec_init(struct wrec *w)
{
	memset(w, 0, sizeof(*w));
	buf_init(&w->log, 1u << 20);
}

static const char *wrec_text(const struct wrec *w)
{
	return w->log.data ? w->log.data : "";
}

static void test_watch_stream(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	struct wrec w;

	(void)state;
	wrec_init(&w);
	push((struct canned){.status = 200,
			     .ctype = "application/json",
			     .stream = watch_text,
			     .cuts = odd_cuts,
			     .ncuts = sizeof(odd_cuts) / sizeof(odd_cuts[0]),
			     .chunk_delay_ms = 3});
	assert_int_equal(
	    kube_watch(kc, "/api/v1/pods?watch=1&resourceVersion=9", 10, on_watch, &w, &resp), 0);
	assert_string_equal(wrec_text(&w), watch_want);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 1);
	assert_string_equal(seen(0)->method, "GET");
	assert_string_equal(seen(0)->url, "/api/v1/pods");
	assert_string_equal(seen(0)->query, "watch=1&resourceVersion=9");
	assert_string_equal(seen(0)->auth, "Bearer static-token");
	kube_resp_free(&resp);
	buf_free(&w.log);

	/* the same stream in one piece, then byte by byte */
	for (int k = 0; k < 2; k++) {
		static const size_t one[] = {1};

		wrec_init(&w);
		push((struct canned){.status = 200,
				     .stream = watch_text,
				     .cuts = k ? one : NULL,
				     .ncuts = k ? 1 : 0});
		assert_int_equal(kube_watch(kc, "/w", 10, on_watch, &w, &resp), 0);
		assert_string_equal(wrec_text(&w), watch_want);
		kube_resp_free(&resp);
		buf_free(&w.log);
	}
	kube_client_free(kc);
}

static void test_watch_gone_event(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	struct wrec w;

	(void)state;
	wrec_init(&w);
	push((struct canned){
	    .status = 200,
	    .stream = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
		      "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
		      "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (5)\","
		      "\"reason\":\"Expired\",\"code\":410}}\n"
		      "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}\n",
	    .cuts = odd_cuts,
	    .ncuts = 4,
	    .idle_ms = 3000,
	    .heartbeat = 1});
	assert_int_equal(kube_watch(kc, "/w?watch=1", 10, on_watch, &w, &resp), KUBE_EGONE);
	assert_string_equal(wrec_text(&w), "ADDED a -\n");
	kube_resp_free(&resp);
	buf_free(&w.log);

	/* other ERROR events go to the callback */
	wrec_init(&w);
	push((struct canned){
	    .status = 200,
	    .stream = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500}}\n"
		      "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"c\"}}}\n"});
	assert_int_equal(kube_watch(kc, "/w?watch=1", 10, on_watch, &w, &resp), 0);
	assert_string_equal(wrec_text(&w), "ERROR 500\nADDED c -\n");
	kube_resp_free(&resp);
	buf_free(&w.log);
	kube_client_free(kc);
}

static void test_watch_http_410(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	struct wrec w;

	(void)state;
	wrec_init(&w);
	push((struct canned){.status = 410,
			     .ctype = "application/json",
			     .body = STATUS_JSON(410, "Expired", "too old resource version")});
	assert_int_equal(kube_watch(kc, "/w?watch=1&resourceVersion=1", 10, on_watch, &w, &resp),
			 KUBE_EGONE);
	assert_int_equal(w.n, 0);
	assert_int_equal(resp.status, 410);
	assert_string_equal(resp.reason, "Expired");
	assert_string_equal(resp.message, "too old resource version");
	assert_int_equal(nreq(), 1); /* not retried */
	kube_resp_free(&resp);

	/* other statuses map as for requests */
	push((struct canned){.status = 403, .body = STATUS_JSON(403, "Forbidden", "nope")});
	assert_int_equal(kube_watch(kc, "/w", 10, on_watch, &w, &resp), KUBE_EFORBIDDEN);
	assert_string_equal(resp.message, "nope");
	assert_int_equal(w.n, 0);
	kube_resp_free(&resp);
	buf_free(&w.log);
	kube_client_free(kc);
}

static void test_watch_stop_from_callback(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	struct wrec w;
	double t0;

	(void)state;
	wrec_init(&w);
	w.stop_at = 2;
	push((struct canned){.status = 200,
			     .stream = watch_text,
			     .cuts = odd_cuts,
			     .ncuts = 3,
			     .chunk_delay_ms = 20,
			     .idle_ms = 5000,
			     .heartbeat = 1});
	t0 = now_s();
	assert_int_equal(kube_watch(kc, "/w", 30, on_watch, &w, &resp), KUBE_ECANCELED);
	assert_true(now_s() - t0 < 2.0);
	assert_true(w.n >= 2);
	kube_resp_free(&resp);
	buf_free(&w.log);
	kube_client_free(kc);
}

static void *raise_later(void *arg)
{
	usleep((useconds_t)(*(int *)arg) * 1000);
	stop_flag = 1;
	return NULL;
}

static void test_watch_stop_from_timer(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	struct wrec w;
	pthread_t th;
	int delay = 300;
	double t0, dt;

	(void)state;
	wrec_init(&w);
	/* a silent stream: no heartbeat, the client only has its progress callback */
	push((struct canned){
	    .status = 200, .stream = "{\"type\":\"ADDED\",\"object\":{}}\n", .idle_ms = 8000});
	assert_int_equal(pthread_create(&th, NULL, raise_later, &delay), 0);
	t0 = now_s();
	assert_int_equal(kube_watch(kc, "/w", 30, on_watch, &w, &resp), KUBE_ECANCELED);
	dt = now_s() - t0;
	pthread_join(th, NULL);
	print_message("canceled after %.3f s\n", dt);
	assert_true(dt >= 0.29);
	assert_true(dt < 2.0);
	assert_int_equal(w.n, 1);
	kube_resp_free(&resp);
	buf_free(&w.log);
	kube_client_free(kc);
}

static void test_watch_client_timeout(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	struct wrec w;
	double t0, dt;

	(void)state;
	wrec_init(&w);
	push((struct canned){.status = 200,
			     .stream =
				 "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
				 "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":"
				 "\"a\"}}}\n",
			     .idle_ms = 8000,
			     .heartbeat = 1});
	t0 = now_s();
	assert_int_equal(kube_watch(kc, "/w", 1, on_watch, &w, &resp), 0);
	dt = now_s() - t0;
	assert_true(dt >= 0.9 && dt < 3.0);
	assert_string_equal(wrec_text(&w), "ADDED a -\nDELETED a -\n");
	assert_int_equal(resp.status, 200);
	kube_resp_free(&resp);
	buf_free(&w.log);
	kube_client_free(kc);
}

/* The client-side bound may fall in the middle of an event: the stream was still healthy, the
 * partial event was never delivered, so the caller should simply re-watch (0), not re-list. */
static void test_watch_client_timeout_mid_event(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	struct wrec w;

	(void)state;
	wrec_init(&w);
	push((struct canned){.status = 200,
			     .stream =
				 "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
				 "{\"type\":\"DELETED\",\"obj",
			     .idle_ms = 8000});
	assert_int_equal(kube_watch(kc, "/w", 1, on_watch, &w, &resp), 0);
	assert_string_equal(wrec_text(&w), "ADDED a -\n");
	kube_resp_free(&resp);
	buf_free(&w.log);
	kube_client_free(kc);
}

static void test_watch_callback_result(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	struct wrec w;

	(void)state;
	wrec_init(&w);
	w.return_at = 3;
	w.return_val = 42;
	push((struct canned){.status = 200,
			     .stream = watch_text,
			     .cuts = odd_cuts,
			     .ncuts = 5,
			     .idle_ms = 5000,
			     .heartbeat = 1});
	assert_int_equal(kube_watch(kc, "/w", 10, on_watch, &w, &resp), 42);
	assert_int_equal(w.n, 3);
	kube_resp_free(&resp);
	buf_free(&w.log);
	kube_client_free(kc);
}

static void test_watch_bad_stream(void **state)
{
	struct kube_client *kc = client(NULL);
	struct kube_resp resp;
	struct wrec w;

	(void)state;
	/* the server ends the stream in the middle of an event */
	wrec_init(&w);
	push((struct canned){.status = 200,
			     .stream = "{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"ADD"});
	assert_int_equal(kube_watch(kc, "/w", 10, on_watch, &w, &resp), KUBE_EPARSE);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(resp.message, "watch stream"));
	kube_resp_free(&resp);
	/* a line that is not an event */
	push((struct canned){.status = 200, .stream = "<html>oops</html>\n", .idle_ms = 3000});
	assert_int_equal(kube_watch(kc, "/w", 10, on_watch, &w, &resp), KUBE_EPARSE);
	assert_int_equal(w.n, 1);
	assert_true(resp.message[0] != '\0');
	kube_resp_free(&resp);
	/* the last event without its newline is still delivered */
	push((struct canned){.status = 200, .stream = "{\"type\":\"DELETED\",\"object\":{}}"});
	assert_int_equal(kube_watch(kc, "/w", 10, on_watch, &w, &resp), 0);
	assert_int_equal(w.n, 2);
	kube_resp_free(&resp);
	buf_free(&w.log);
	kube_client_free(kc);
}

static void test_watch_line_cap(void **state)
{
	struct kube_client_opts o = base_opts();
	struct kube_client *kc;
	struct kube_resp resp;
	struct wrec w;
	static char text[4096];

	(void)state;
	o.max_body = 1000;
	kc = client(&o);
	memset(text, ' ', sizeof(text) - 2);
	memcpy(text, "{\"type\":\"ADDED\",\"object\":{}}", 28);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	wrec_init(&w);
	push((struct canned){.status = 200, .stream = text, .cuts = odd_cuts, .ncuts = 11});
	assert_int_equal(kube_watch(kc, "/w", 10, on_watch, &w, &resp), KUBE_E2BIG);
	assert_int_equal(w.n, 0);
	kube_resp_free(&resp);
	buf_free(&w.log);
	kube_client_free(kc);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_get_json),
	    T(test_not_found),
	    T(test_conflict_kinds),
	    T(test_invalid),
	    T(test_retry_after_429),
	    T(test_retry_503_get),
	    T(test_no_retry_503_post),
	    T(test_retries_exhausted),
	    T(test_token_file_reread),
	    T(test_body_cap),
	    T(test_timeout),
	    T(test_connection_refused),
	    T(test_text_error_body),
	    T(test_patch_types),
	    T(test_delete),
	    T(test_rate_limit),
	    T(test_canceled_before),
	    cmocka_unit_test(test_client_new_errors),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_parse_retry_after),
	    cmocka_unit_test(test_status_to_err),
	    cmocka_unit_test(test_parse_status),
	    T(test_watch_stream),
	    T(test_watch_gone_event),
	    T(test_watch_http_410),
	    T(test_watch_stop_from_callback),
	    T(test_watch_stop_from_timer),
	    T(test_watch_client_timeout),
	    T(test_watch_client_timeout_mid_event),
	    T(test_watch_callback_result),
	    T(test_watch_bad_stream),
	    T(test_watch_line_cap),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
