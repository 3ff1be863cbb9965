/* Unit tests for okg-probe's network side: httpGet, tcpSocket and sidecar probes
 * (probe/run.c, probe/http.c, probe/tls.c), reports (probe/report.c) and the whole agent loop
 * (probe/agent.c: retries, Retry-After, the newest state, heartbeats), against a test server
 * (libmicrohttpd, plain or TLS). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <microhttpd.h>

#include "lib/log.h"
#include "lib/tlsgen.h"
#include "probe/agent.h"
#include "probe/http.h"
#include "probe/report.h"
#include "probe/run.h"

/* --- the test server ---------------------------------------------------------------------- */

#define MAX_SEEN 32

struct answer {
	int status;
	char body[512];
	size_t big;   /* > 0: a body of this many 'x' instead */
	int delay_ms; /* before answering */
	bool chunked; /* MHD_SIZE_UNKNOWN: chunked transfer coding */
	char retry_after[16];
};

struct seen {
	char method[16];
	char url[256];
	char auth[256];
	char ctype[128];
	char agent[64];
	char host[128];
	char xtest[64];
	char body[8192];
	int64_t at_ms;
};

static struct {
	struct MHD_Daemon *d;
	unsigned port;
	pthread_mutex_t mu;
	struct answer probe;	  /* every path but /report */
	struct answer reports[8]; /* /report answers in turn; the last one repeats */
	int n_reports;
	int next_report;
	struct seen seen[MAX_SEEN]; /* /report requests */
	int n_seen;
	struct seen last_probe;
	char after_first_report[64]; /* becomes probe.body once the first report came */
	atomic_int stopping;
} srv;

static struct tg_pair ca, leaf;
static char ca_file[128];

struct upload {
	char body[8192];
	size_t len;
};

static void nap(int ms)
{
	while (ms > 0 && !atomic_load(&srv.stopping)) {
		usleep(10000);
		ms -= 10;
	}
}

struct chunk_state {
	char text[600];
	size_t off, len;
};

static ssize_t chunk_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct chunk_state *c = cls;
	size_t n = c->len - c->off;

	(void)pos;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > 3)
		n = 3; /* small chunks */
	if (n > max)
		n = max;
	memcpy(buf, c->text + c->off, n);
	c->off += n;
	return (ssize_t)n;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t outlen)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	snprintf(out, outlen, "%s", v ? v : "");
}

static enum MHD_Result respond(struct MHD_Connection *conn, const struct answer *a)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	nap(a->delay_ms);
	if (a->chunked) {
		struct chunk_state *c = calloc(1, sizeof(*c));

		if (!c)
			return MHD_NO;
		snprintf(c->text, sizeof(c->text), "%s", a->body);
		c->len = strlen(c->text);
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, chunk_read, c, free);
	} else if (a->big) {
		char *b = malloc(a->big);

		if (!b)
			return MHD_NO;
		memset(b, 'x', a->big);
		resp = MHD_create_response_from_buffer(a->big, b, MHD_RESPMEM_MUST_FREE);
	} else {
		resp = MHD_create_response_from_buffer(strlen(a->body), (void *)a->body,
						       MHD_RESPMEM_MUST_COPY);
	}
	if (!resp)
		return MHD_NO;
	if (a->retry_after[0])
		MHD_add_response_header(resp, "Retry-After", a->retry_after);
	ret = MHD_queue_response(conn, (unsigned)a->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void note_request(struct MHD_Connection *conn, const char *url, const char *method,
			 const struct upload *up, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->method, sizeof(s->method), "%s", method);
	snprintf(s->url, sizeof(s->url), "%s", url);
	copy_header(conn, "Authorization", s->auth, sizeof(s->auth));
	copy_header(conn, "Content-Type", s->ctype, sizeof(s->ctype));
	copy_header(conn, "User-Agent", s->agent, sizeof(s->agent));
	copy_header(conn, "Host", s->host, sizeof(s->host));
	copy_header(conn, "X-Test", s->xtest, sizeof(s->xtest));
	if (up)
		memcpy(s->body, up->body,
		       up->len < sizeof(s->body) ? up->len : sizeof(s->body) - 1);
	s->at_ms = pr_now_ms();
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct upload *up = *con_cls;
	struct answer a;

	(void)cls, (void)version;
	if (!up) {
		up = calloc(1, sizeof(*up));
		if (!up)
			return MHD_NO;
		*con_cls = up;
		return MHD_YES;
	}
	if (*data_size) {
		size_t n = *data_size;

		if (n > sizeof(up->body) - 1 - up->len)
			n = sizeof(up->body) - 1 - up->len;
		memcpy(up->body + up->len, data, n);
		up->len += n;
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&srv.mu);
	if (strcmp(url, "/report") == 0) {
		int i = srv.next_report < srv.n_reports ? srv.next_report++ : srv.n_reports - 1;

		if (srv.n_seen < MAX_SEEN)
			note_request(conn, url, method, up, &srv.seen[srv.n_seen++]);
		a = srv.n_reports ? srv.reports[i] : (struct answer){.status = 204};
		if (srv.n_seen == 1 && srv.after_first_report[0])
			snprintf(srv.probe.body, sizeof(srv.probe.body), "%s",
				 srv.after_first_report);
	} else {
		note_request(conn, url, method, NULL, &srv.last_probe);
		a = srv.probe;
	}
	pthread_mutex_unlock(&srv.mu);
	return respond(conn, &a);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static int start_server(bool tls)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_lock(&srv.mu);
	memset(&srv.probe, 0, sizeof(srv.probe));
	srv.probe.status = 200;
	srv.n_reports = srv.next_report = srv.n_seen = 0;
	srv.after_first_report[0] = '\0';
	pthread_mutex_unlock(&srv.mu);
	atomic_store(&srv.stopping, 0);
	if (tls)
		srv.d = MHD_start_daemon(
		    flags | MHD_USE_TLS, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa,
		    MHD_OPTION_HTTPS_MEM_KEY, leaf.key_pem, MHD_OPTION_HTTPS_MEM_CERT,
		    leaf.cert_pem, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	else
		srv.d =
		    MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
				     &sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (!srv.d)
		return -1;
	info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port)
		return -1;
	srv.port = info->port;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return start_server(false);
}

static int setup_tls(void **state)
{
	(void)state;
	return start_server(true);
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&srv.stopping, 1);
	MHD_stop_daemon(srv.d);
	srv.d = NULL;
	return 0;
}

static int group_setup(void **state)
{
	const char *ips[] = {"127.0.0.1"};
	struct tg_cert_req rca = {
	    .common_name = "okg-test-ca", .valid_days = 1, .key_type = TG_KEY_EC_P256, .is_ca = 1};
	struct tg_cert_req rleaf = {.common_name = "okg-controller",
				    .ip_addrs = ips,
				    .n_ip = 1,
				    .valid_days = 1,
				    .key_type = TG_KEY_EC_P256};
	FILE *f;
	int fd;

	(void)state;
	pthread_mutex_init(&srv.mu, NULL);
	log_init("test_probe_net", LOG_WARN);
	if (tg_self_signed(&rca, &ca) != 0 || tg_signed_by(&rleaf, &ca, &leaf) != 0)
		return -1;
	snprintf(ca_file, sizeof(ca_file), "/tmp/okg-probe-ca-XXXXXX");
	fd = mkstemp(ca_file);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f)
		return -1;
	fputs(ca.cert_pem, f);
	fclose(f);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(ca_file);
	tg_pair_free(&ca);
	tg_pair_free(&leaf);
	pthread_mutex_destroy(&srv.mu);
	return 0;
}

static void set_probe(const struct answer *a)
{
	pthread_mutex_lock(&srv.mu);
	srv.probe = *a;
	pthread_mutex_unlock(&srv.mu);
}

/* --- probes ------------------------------------------------------------------------------- */

static struct pr_header test_header = {(char *)"X-Test", (char *)"yes"};

static void http_probe(const char *path, int timeout, struct pr_outcome *o)
{
	struct pr_probe p = {.name = (char *)"web",
			     .kind = PR_HTTP,
			     .path = (char *)path,
			     .port = (int)srv.port,
			     .method = (char *)"GET",
			     .headers = &test_header,
			     .n_headers = 1,
			     .timeout = timeout};
	struct pr_ctx ctx = {.pod_ip = "127.0.0.1", .stop_fd = -1};

	pr_probe_once(&p, &ctx, NULL, o);
}

static void test_http_probe(void **state)
{
	struct answer a = {.status = 200, .body = "  healthy \n"};
	struct pr_outcome o;
	char host[64];

	(void)state;
	set_probe(&a);
	http_probe("/healthz?x=1", 5, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "healthy");
	assert_string_equal(o.message, "");
	assert_false(o.has_exit_code);
	assert_string_equal(srv.last_probe.method, "GET");
	assert_string_equal(srv.last_probe.url, "/healthz");
	assert_string_equal(srv.last_probe.xtest, "yes");
	assert_string_equal(srv.last_probe.agent, "okg-probe/1");
	snprintf(host, sizeof(host), "127.0.0.1:%u", srv.port);
	assert_string_equal(srv.last_probe.host, host);

	a = (struct answer){.status = 503, .body = "draining"};
	set_probe(&a);
	http_probe("/", 5, &o);
	assert_int_equal(o.ok, 0);
	assert_string_equal(o.result, "draining");
	assert_string_equal(o.message, "HTTP status 503");

	a = (struct answer){.status = 302, .body = ""};
	set_probe(&a);
	http_probe("/", 5, &o);
	assert_int_equal(o.ok, 1); /* 200-399, as the kubelet */

	a = (struct answer){.status = 200, .body = "gate|data\nline two", .chunked = true};
	set_probe(&a);
	http_probe("/", 5, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "gate|data\nline two");
}

static void test_http_big_and_slow(void **state)
{
	struct answer big = {.status = 200, .big = 1 << 20};
	struct answer slow = {.status = 200, .body = "late", .delay_ms = 3000};
	struct pr_outcome o;
	int64_t t0;

	(void)state;
	set_probe(&big);
	t0 = pr_now_ms();
	http_probe("/", 5, &o);
	assert_true(pr_now_ms() - t0 < 2000);
	assert_int_equal(o.ok, 1);
	assert_int_equal(strlen(o.result), PR_RESULT_MAX);
	set_probe(&slow);
	t0 = pr_now_ms();
	http_probe("/", 1, &o);
	assert_true(pr_now_ms() - t0 < 1800);
	assert_int_equal(o.ok, 0);
	assert_non_null(strstr(o.result, "probe timed out after 1s"));
}

static void test_named_port_and_tcp(void **state)
{
	struct pr_probe named = {
	    .name = (char *)"n", .kind = PR_HTTP, .port_name = (char *)"http", .timeout = 1};
	struct pr_probe tcp = {
	    .name = (char *)"t", .kind = PR_TCP, .port = (int)srv.port, .timeout = 1};
	struct pr_ctx ctx = {.pod_ip = "127.0.0.1", .stop_fd = -1};
	struct pr_outcome o;
	char want[128];
	int s, closed_port;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	(void)state;
	pr_probe_once(&named, &ctx, NULL, &o);
	assert_int_equal(o.ok, 0);
	assert_string_equal(o.result, "named port http is not supported");
	named.kind = PR_TCP;
	pr_probe_once(&named, &ctx, NULL, &o);
	assert_string_equal(o.result, "named port http is not supported");
	pr_probe_once(&tcp, &ctx, NULL, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "");
	/* a port nobody listens on */
	s = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	closed_port = ntohs(sa.sin_port);
	close(s);
	tcp.port = closed_port;
	pr_probe_once(&tcp, &ctx, NULL, &o);
	assert_int_equal(o.ok, 0);
	snprintf(want, sizeof(want), "connect 127.0.0.1:%d: Connection refused", closed_port);
	assert_string_equal(o.result, want);
	ctx.pod_ip = NULL;
	pr_probe_once(&tcp, &ctx, NULL, &o);
	assert_string_equal(o.result, "POD_IP is not set");
}

static void test_https_probe(void **state)
{
	struct answer a = {.status = 200, .body = "tls ok"};
	struct pr_probe p = {.name = (char *)"web",
			     .kind = PR_HTTP,
			     .https = true,
			     .path = (char *)"/",
			     .port = (int)srv.port,
			     .method = (char *)"GET",
			     .timeout = 5};
	struct pr_ctx ctx = {.pod_ip = "127.0.0.1", .stop_fd = -1};
	struct pr_outcome o;

	(void)state;
	set_probe(&a);
	/* the certificate is not checked, as the kubelet does not */
	pr_probe_once(&p, &ctx, NULL, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "tls ok");
}

static void sidecar_probe(struct pr_probe *p, struct pr_outcome *o)
{
	struct pr_ctx ctx = {.stop_fd = -1};

	pr_probe_once(p, &ctx, NULL, o);
}

static void test_sidecar_endpoint(void **state)
{
	struct pr_marker markers[] = {{(char *)"WaitToBeDeleted", (char *)"WaitToBeDeleted"},
				      {(char *)"Allocated", (char *)"Allocated"},
				      {(char *)"None", (char *)"None"}};
	char url[128];
	struct pr_probe p = {.name = (char *)"http_probe-0",
			     .kind = PR_HTTP,
			     .url = url,
			     .method = (char *)"GET",
			     .expected_status = 200,
			     .markers = markers,
			     .n_markers = 3,
			     .timeout = 5};
	struct answer a = {.status = 200, .body = "Allocated\n"};
	struct pr_outcome o;

	(void)state;
	snprintf(url, sizeof(url), "http://localhost:%u/state", srv.port);
	set_probe(&a);
	sidecar_probe(&p, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "Allocated");
	assert_string_equal(o.ops_state, "Allocated");
	assert_string_equal(srv.last_probe.url, "/state");

	a = (struct answer){.status = 200, .body = "Starting"};
	set_probe(&a);
	sidecar_probe(&p, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "Starting");
	assert_string_equal(o.ops_state, "");
	assert_string_equal(o.message, "no markerPolices entry has state \"Starting\"");

	/* expectedStatusCode is exact */
	a = (struct answer){.status = 201, .body = "None"};
	set_probe(&a);
	sidecar_probe(&p, &o);
	assert_int_equal(o.ok, 0);
	assert_string_equal(o.result, "HTTP status 201, expected 200");
	assert_string_equal(o.ops_state, "");

	/* a JSON field selects the policy */
	p.json_path = (char *)"game.phase";
	a = (struct answer){.status = 200, .body = "{\"game\":{\"phase\":\"WaitToBeDeleted\"}}"};
	set_probe(&a);
	sidecar_probe(&p, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "WaitToBeDeleted");
	assert_string_equal(o.ops_state, "WaitToBeDeleted");
	a = (struct answer){.status = 200, .body = "not json"};
	set_probe(&a);
	sidecar_probe(&p, &o);
	assert_int_equal(o.ok, 0);
	assert_string_equal(o.result, "jsonPath game.phase: the response is not JSON");

	/* inKube.jsonPath /spec/opsState: the data is the opsState */
	p.json_path = NULL;
	p.n_markers = 0;
	p.ops_from_data = true;
	a = (struct answer){.status = 200, .body = "Maintaining"};
	set_probe(&a);
	sidecar_probe(&p, &o);
	assert_string_equal(o.ops_state, "Maintaining");
}

/* --- reports ------------------------------------------------------------------------------ */

static void test_report_post(void **state)
{
	char url[128];
	struct pr_reporter r = {.url = url, .token = (char *)"s3cret", .timeout_ms = 5000};
	const char *body = "{\"seq\":1}";
	int status;
	unsigned ra;
	char err[300];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/report", srv.port);
	pthread_mutex_lock(&srv.mu);
	srv.reports[0] = (struct answer){.status = 503, .body = "busy", .retry_after = "3"};
	srv.reports[1] = (struct answer){.status = 401, .body = "who are you"};
	srv.reports[2] = (struct answer){.status = 429};
	srv.reports[3] = (struct answer){.status = 204};
	srv.n_reports = 4;
	pthread_mutex_unlock(&srv.mu);
	assert_int_equal(pr_report_post(&r, body, strlen(body), -1, &status, &ra, err, sizeof(err)),
			 PR_SEND_RETRY);
	assert_int_equal(status, 503);
	assert_int_equal(ra, 3);
	assert_string_equal(err, "HTTP 503: busy");
	assert_int_equal(pr_report_post(&r, body, strlen(body), -1, &status, &ra, err, sizeof(err)),
			 PR_SEND_REFUSED);
	assert_int_equal(status, 401);
	assert_null(strstr(err, "s3cret"));
	assert_int_equal(pr_report_post(&r, body, strlen(body), -1, &status, &ra, err, sizeof(err)),
			 PR_SEND_RETRY);
	assert_int_equal(pr_report_post(&r, body, strlen(body), -1, &status, &ra, err, sizeof(err)),
			 PR_SENT);
	assert_int_equal(status, 204);
	assert_int_equal(srv.n_seen, 4);
	assert_string_equal(srv.seen[3].method, "POST");
	assert_string_equal(srv.seen[3].auth, "Bearer s3cret");
	assert_string_equal(srv.seen[3].ctype, "application/json");
	assert_string_equal(srv.seen[3].body, body);
	/* nobody listening */
	snprintf(url, sizeof(url), "http://127.0.0.1:1/report");
	assert_int_equal(pr_report_post(&r, body, strlen(body), -1, &status, &ra, err, sizeof(err)),
			 PR_SEND_RETRY);
	assert_string_equal(err, "connect 127.0.0.1:1: Connection refused");
}

static void test_report_https_verified(void **state)
{
	char url[128], other_ca[128];
	struct pr_reporter r = {
	    .url = url, .token = (char *)"t", .ca_file = ca_file, .timeout_ms = 5000};
	struct tg_cert_req rca = {
	    .common_name = "someone-else", .valid_days = 1, .key_type = TG_KEY_EC_P256, .is_ca = 1};
	struct tg_pair wrong;
	int status, fd;
	unsigned ra;
	char err[300];
	FILE *f;

	(void)state;
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/report", srv.port);
	assert_int_equal(pr_report_post(&r, "{}", 2, -1, &status, &ra, err, sizeof(err)), PR_SENT);
	assert_int_equal(status, 204);
	assert_string_equal(srv.seen[0].auth, "Bearer t");
	/* a certificate from another CA is refused before the token is sent */
	assert_int_equal(tg_self_signed(&rca, &wrong), 0);
	snprintf(other_ca, sizeof(other_ca), "/tmp/okg-probe-ca2-XXXXXX");
	fd = mkstemp(other_ca);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(wrong.cert_pem, f);
	fclose(f);
	r.ca_file = other_ca;
	assert_int_equal(pr_report_post(&r, "{}", 2, -1, &status, &ra, err, sizeof(err)),
			 PR_SEND_RETRY);
	assert_non_null(strstr(err, "certificate"));
	assert_int_equal(srv.n_seen, 1);
	unlink(other_ca);
	tg_pair_free(&wrong);
}

/* --- the agent ---------------------------------------------------------------------------- */

struct agent_run {
	struct pr_agent_opts o;
	int stop[2];
	pthread_t th;
};

static void *agent_thread(void *arg)
{
	struct agent_run *ar = arg;

	pr_agent_run(&ar->o);
	return NULL;
}

static int wait_reports(int n, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		int got;

		pthread_mutex_lock(&srv.mu);
		got = srv.n_seen;
		pthread_mutex_unlock(&srv.mu);
		if (got >= n)
			return got;
		usleep(10000);
	}
	return srv.n_seen;
}

static const cJSON *result0(cJSON *root)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItem(root, "results"), 0);
}

static void test_agent_retries_newest_state(void **state)
{
	struct pr_probe probes[1] = {{.name = (char *)"players",
				      .kind = PR_HTTP,
				      .path = (char *)"/players",
				      .method = (char *)"GET",
				      .initial_delay = 1,
				      .period = 1,
				      .timeout = 1,
				      .success_th = 1,
				      .failure_th = 1}};
	struct pr_spec spec = {.probes = probes, .n = 1};
	char url[128];
	struct pr_reporter rep = {.url = url, .token = (char *)"tok", .timeout_ms = 2000};
	struct agent_run ar = {0};
	struct answer a = {.status = 200, .body = "one"};
	cJSON *b0, *b2, *b3;

	(void)state;
	probes[0].port = (int)srv.port;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/report", srv.port);
	set_probe(&a);
	pthread_mutex_lock(&srv.mu);
	srv.reports[0] = (struct answer){.status = 503};
	srv.reports[1] = (struct answer){.status = 503, .retry_after = "2"};
	srv.reports[2] = (struct answer){.status = 204};
	srv.n_reports = 3;
	/* the probe's answer changes while the reports fail */
	snprintf(srv.after_first_report, sizeof(srv.after_first_report), "two");
	pthread_mutex_unlock(&srv.mu);

	assert_int_equal(pipe(ar.stop), 0);
	ar.o.spec = &spec;
	ar.o.ctx.pod_ip = "127.0.0.1";
	ar.o.ctx.stop_fd = ar.stop[0];
	ar.o.meta = (struct pr_report_meta){"default", "gs-0", "uid-0"};
	ar.o.reporter = &rep;
	ar.o.heartbeat_s = 3;
	ar.o.backoff_base_ms = 100;
	ar.o.backoff_cap_ms = 200;
	ar.o.slow_base_ms = 100;
	ar.o.slow_cap_ms = 200;
	assert_int_equal(pthread_create(&ar.th, NULL, agent_thread, &ar), 0);

	/* 503 at 1 s, 503 with Retry-After: 2, then 204 at 3 s; a heartbeat 3 s later */
	assert_true(wait_reports(4, 10000) >= 4);
	assert_int_equal(write(ar.stop[1], "x", 1), 1);
	pthread_join(ar.th, NULL);
	close(ar.stop[0]);
	close(ar.stop[1]);

	for (int i = 0; i < 4; i++)
		assert_string_equal(srv.seen[i].auth, "Bearer tok");
	assert_true(srv.seen[2].at_ms - srv.seen[1].at_ms >= 1950); /* Retry-After honoured */
	assert_true(srv.seen[3].at_ms - srv.seen[2].at_ms >= 2950); /* the heartbeat */
	b0 = cJSON_Parse(srv.seen[0].body);
	b2 = cJSON_Parse(srv.seen[2].body);
	b3 = cJSON_Parse(srv.seen[3].body);
	assert_non_null(b0);
	assert_non_null(b2);
	assert_non_null(b3);
	assert_string_equal(cJSON_GetObjectItem(b0, "pod")->valuestring, "gs-0");
	assert_string_equal(cJSON_GetObjectItem(b0, "namespace")->valuestring, "default");
	assert_string_equal(cJSON_GetObjectItem(b0, "podUID")->valuestring, "uid-0");
	assert_int_equal(cJSON_GetObjectItem(b0, "seq")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItem(result0(b0), "result")->valuestring, "one");
	/* the accepted report carries the newest state, not the one that first failed */
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(result0(b2), "state")));
	assert_string_equal(cJSON_GetObjectItem(result0(b2), "result")->valuestring, "two");
	assert_string_equal(cJSON_GetObjectItem(result0(b2), "name")->valuestring, "players");
	assert_true(cJSON_IsString(cJSON_GetObjectItem(result0(b2), "probeTime")));
	assert_int_equal(cJSON_GetObjectItem(b2, "seq")->valueint, 3);
	/* the heartbeat: the same state, the next seq */
	assert_int_equal(cJSON_GetObjectItem(b3, "seq")->valueint, 4);
	assert_string_equal(cJSON_GetObjectItem(result0(b3), "result")->valuestring, "two");
	cJSON_Delete(b0);
	cJSON_Delete(b2);
	cJSON_Delete(b3);
}

static void test_agent_once(void **state)
{
	struct pr_probe probes[2] = {{.name = (char *)"web",
				      .kind = PR_HTTP,
				      .path = (char *)"/",
				      .method = (char *)"GET",
				      .timeout = 2,
				      .failure_th = 3,
				      .success_th = 1},
				     {.name = (char *)"named",
				      .kind = PR_TCP,
				      .port_name = (char *)"game",
				      .timeout = 1,
				      .failure_th = 3,
				      .success_th = 1}};
	struct pr_spec spec = {.probes = probes, .n = 2};
	struct pr_agent_opts o = {.spec = &spec,
				  .ctx = {.pod_ip = "127.0.0.1", .stop_fd = -1},
				  .meta = {"ns", "pod", "uid"}};
	struct answer a = {.status = 200, .body = "fine"};
	char *json = NULL;
	cJSON *root;
	const cJSON *r1;

	(void)state;
	probes[0].port = (int)srv.port;
	set_probe(&a);
	assert_int_equal(pr_agent_once(&o, &json), 0);
	root = cJSON_Parse(json);
	assert_non_null(root);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(result0(root), "state")));
	assert_string_equal(cJSON_GetObjectItem(result0(root), "result")->valuestring, "fine");
	/* --once reports a single failure as false (no thresholds) */
	r1 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "results"), 1);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r1, "state")));
	assert_string_equal(cJSON_GetObjectItem(r1, "result")->valuestring,
			    "named port game is not supported");
	cJSON_Delete(root);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_http_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http_big_and_slow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_named_port_and_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_https_probe, setup_tls, teardown),
	    cmocka_unit_test_setup_teardown(test_sidecar_endpoint, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_post, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_https_verified, setup_tls, teardown),
	    cmocka_unit_test_setup_teardown(test_agent_retries_newest_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_agent_once, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
