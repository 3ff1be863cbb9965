/* Unit tests for webhook/server.c: the real HTTPS server in-process on 127.0.0.1 (port 0), with
 * certificates from lib/tlsgen.h in a temporary directory laid out like a Secret volume, driven
 * with libcurl. Each test starts and stops its own server (GnuTLS's certificate callback reads
 * one process-wide store). */
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "lib/log.h"
#include "lib/tlsgen.h"
#include "webhook/server.h"

#define MAX_BODY (64 * 1024)

static const char review_body[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":"
    "\"srv-1\",\"kind\":{\"group\":\"game.kruise.io\",\"version\":\"v1alpha1\",\"kind\":"
    "\"GameServerSet\"},\"operation\":\"CREATE\",\"namespace\":\"default\",\"object\":{"
    "\"metadata\":{\"name\":\"minecraft\"},\"spec\":{\"replicas\":3,\"gameServerTemplate\":{"
    "\"spec\":{\"containers\":[{\"name\":\"minecraft\",\"image\":\"m:1\"}]}}}}}}";

static const char pod_body[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":"
    "\"pod-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"operation\":"
    "\"CREATE\",\"object\":{\"metadata\":{\"name\":\"m-0\",\"labels\":{"
    "\"game.kruise.io/owner-gss\":\"m\"},\"annotations\":{\"okg.game.kruise.io/probes\":"
    "\"[{\\\"name\\\":\\\"a\\\"}]\"}},\"spec\":{\"containers\":[{\"name\":\"m\",\"image\":"
    "\"i\"}]}}}}";

/* One test's world: a CA, a cert directory, a server. */
struct world {
	char dir[64];	   /* the cert directory (Secret-volume layout) */
	char ca_file[128]; /* the CA, for curl */
	struct tg_pair ca; /* signs every leaf */
	int generation;	   /* ..data target counter */
	struct wh_server *srv;
	char url[64]; /* https://127.0.0.1:PORT */
};

static struct world W;

/* --- files ---------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static struct tg_pair new_leaf_of(enum tg_key_type type)
{
	static const char *const dns[] = {"localhost"};
	static const char *const ips[] = {"127.0.0.1"};
	struct tg_cert_req req = {
	    .common_name = "okg-webhook",
	    .dns_names = dns,
	    .n_dns = 1,
	    .ip_addrs = ips,
	    .n_ip = 1,
	    .valid_days = 2,
	    .key_type = type,
	};
	struct tg_pair leaf = {NULL, NULL};

	assert_int_equal(tg_signed_by(&req, &W.ca, &leaf), 0);
	return leaf;
}

static struct tg_pair new_leaf(void)
{
	return new_leaf_of(TG_KEY_EC_P256);
}

/* Publishes cert/key the way the kubelet updates a Secret volume: a new timestamped directory,
 * then one atomic rename of the "..data" symlink. */
static void publish(const char *cert_pem, const char *key_pem)
{
	char sub[128], path[256], link_tmp[256], link[256];

	W.generation++;
	snprintf(sub, sizeof(sub), "..gen_%d", W.generation);
	snprintf(path, sizeof(path), "%s/%s", W.dir, sub);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/tls.crt", W.dir, sub);
	write_file(path, cert_pem);
	snprintf(path, sizeof(path), "%s/%s/tls.key", W.dir, sub);
	write_file(path, key_pem);
	snprintf(link_tmp, sizeof(link_tmp), "%s/..data_tmp", W.dir);
	snprintf(link, sizeof(link), "%s/..data", W.dir);
	unlink(link_tmp);
	assert_int_equal(symlink(sub, link_tmp), 0);
	assert_int_equal(rename(link_tmp, link), 0);
	if (W.generation == 1) {
		snprintf(path, sizeof(path), "%s/tls.crt", W.dir);
		assert_int_equal(symlink("..data/tls.crt", path), 0);
		snprintf(path, sizeof(path), "%s/tls.key", W.dir);
		assert_int_equal(symlink("..data/tls.key", path), 0);
	}
}

static void publish_leaf(void)
{
	struct tg_pair leaf = new_leaf();

	publish(leaf.cert_pem, leaf.key_pem);
	tg_pair_free(&leaf);
}

static void remove_tree(const char *dir)
{
	char cmd[256];

	/* test-owned mkdtemp directory only */
	if (strncmp(dir, "/tmp/okg-wh-test-", 17) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (system(cmd) != 0)
		print_message("could not remove %s\n", dir);
}

/* --- server --------------------------------------------------------------------------------- */

static void start(const char *priorities, unsigned timeout_s)
{
	struct wh_server_opts o;

	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1:0";
	o.cert_dir = W.dir;
	o.tls_priorities =
	    priorities ? priorities : "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA";
	o.max_body = MAX_BODY;
	o.threads = 2;
	o.conn_timeout_s = timeout_s ? timeout_s : 10;
	o.max_conns = 64;
	o.cert_poll_ms = 50;
	o.adm.mut.image = "okg:latest";
	o.adm.mut.command = "/usr/local/bin/okg-probe";
	assert_int_equal(wh_server_start(&o, &W.srv), 0);
	assert_true(wh_server_port(W.srv) > 0);
	snprintf(W.url, sizeof(W.url), "https://127.0.0.1:%u", (unsigned)wh_server_port(W.srv));
}

static int setup(void **state)
{
	struct tg_cert_req ca_req = {.common_name = "okg-test-ca", .valid_days = 2, .is_ca = 1};
	char tmpl[] = "/tmp/okg-wh-test-XXXXXX";

	(void)state;
	memset(&W, 0, sizeof(W));
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(W.dir, sizeof(W.dir), "%s/certs", tmpl);
	if (mkdir(W.dir, 0700) < 0)
		return -1;
	snprintf(W.ca_file, sizeof(W.ca_file), "%s/ca.crt", tmpl);
	if (tg_self_signed(&ca_req, &W.ca) < 0)
		return -1;
	write_file(W.ca_file, W.ca.cert_pem);
	return 0;
}

static int teardown(void **state)
{
	char top[64];

	(void)state;
	if (W.srv)
		wh_server_stop(W.srv, 2000);
	W.srv = NULL;
	tg_pair_free(&W.ca);
	snprintf(top, sizeof(top), "%.*s", (int)(strrchr(W.dir, '/') - W.dir), W.dir);
	remove_tree(top);
	return 0;
}

/* --- HTTP client ------------------------------------------------------------------------------ */

struct reply {
	long code;
	char body[65536];
	size_t len;
	char headers[4096];
	size_t hlen;
	CURLcode rc;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct reply *r = ud;
	size_t k = sz * n;

	if (r->len + k < sizeof(r->body)) {
		memcpy(r->body + r->len, p, k);
		r->len += k;
		r->body[r->len] = '\0';
	}
	return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct reply *r = ud;
	size_t k = sz * n;

	if (r->hlen + k < sizeof(r->headers)) {
		memcpy(r->headers + r->hlen, p, k);
		r->hlen += k;
		r->headers[r->hlen] = '\0';
	}
	return k;
}

static CURL *client(void)
{
	CURL *c = curl_easy_init();

	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_CAINFO, W.ca_file);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	return c;
}

/* Sends method path with body (NULL = none) on c. */
static void send_req(CURL *c, const char *method, const char *path, const char *body, size_t len,
		     struct reply *r)
{
	char url[256];

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", W.url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	r->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
}

static long request(const char *method, const char *path, const char *body, struct reply *r)
{
	CURL *c = client();

	send_req(c, method, path, body, body ? strlen(body) : 0, r);
	curl_easy_cleanup(c);
	if (r->rc != CURLE_OK)
		print_message("curl: %s\n", curl_easy_strerror(r->rc));
	return r->code;
}

/* The serial of the certificate a new connection sees, as lowercase hex. */
static void served_serial(char *out, size_t n)
{
	CURL *c = client();
	struct curl_certinfo *ci = NULL;
	struct reply r;

	out[0] = '\0';
	curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
	send_req(c, "GET", "/healthz", NULL, 0, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci), CURLE_OK);
	assert_non_null(ci);
	assert_true(ci->num_of_certs >= 1);
	for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
		if (strncmp(s->data, "Serial Number:", 14) == 0) {
			size_t o = 0;

			for (const char *p = s->data + 14; *p && o + 1 < n; p++)
				if (*p != ':' && *p != ' ')
					out[o++] = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
			out[o] = '\0';
		}
	}
	curl_easy_cleanup(c);
	/* OpenSSL prints small serials in decimal; ours are 128-bit, always hex */
	assert_true(strlen(out) > 8);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* --- tests ---------------------------------------------------------------------------------- */

static void test_status_codes(void **state)
{
	struct reply r;
	char *big;

	(void)state;
	publish_leaf();
	start(NULL, 0);
	assert_true(wh_server_ready(W.srv));

	assert_int_equal(request("POST", "/validate-v1alpha1-gss", review_body, &r), 200);
	assert_non_null(strstr(r.headers, "Content-Type: application/json"));
	assert_non_null(strstr(r.body, "\"uid\":\"srv-1\",\"allowed\":true"));
	assert_int_equal(request("POST", "/validate", review_body, &r), 200);
	assert_int_equal(request("POST", "/mutate-v1-pod", pod_body, &r), 200);
	assert_non_null(strstr(r.body, "\"patchType\":\"JSONPatch\""));

	assert_int_equal(request("POST", "/validate-v1alpha1-gss", "{not json", &r), 400);
	assert_non_null(strstr(r.body, "the request body is not valid JSON: expected a string key "
				       "at byte 1"));
	assert_int_equal(request("POST", "/validate-v1alpha1-gss", "", &r), 400);

	assert_int_equal(request("GET", "/nope", NULL, &r), 404);
	assert_non_null(strstr(r.body, "\"reason\":\"NotFound\""));
	assert_int_equal(request("POST", "/nope", "{}", &r), 404);

	assert_int_equal(request("GET", "/validate-v1alpha1-gss", NULL, &r), 405);
	assert_non_null(strstr(r.headers, "Allow: POST"));
	assert_int_equal(request("PUT", "/mutate-v1-pod", "{}", &r), 405);
	assert_int_equal(request("POST", "/healthz", "{}", &r), 405);
	assert_non_null(strstr(r.headers, "Allow: GET, HEAD"));

	/* over the cap: 413, whether the size is announced or streamed in chunks */
	big = malloc(MAX_BODY + 2);
	assert_non_null(big);
	memset(big, ' ', MAX_BODY + 1);
	big[MAX_BODY + 1] = '\0';
	assert_int_equal(request("POST", "/validate-v1alpha1-gss", big, &r), 413);
	{
		CURL *c = client();
		struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");

		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		send_req(c, "POST", "/mutate-v1-pod", big, MAX_BODY + 1, &r);
		assert_int_equal(r.code, 413);
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
	}
	/* exactly the cap is fine (and not JSON, so 400) */
	big[MAX_BODY] = '\0';
	assert_int_equal(request("POST", "/validate-v1alpha1-gss", big, &r), 400);
	free(big);

	assert_int_equal(request("GET", "/healthz", NULL, &r), 200);
	assert_int_equal(request("GET", "/readyz", NULL, &r), 200);
	assert_int_equal(request("GET", "/metrics", NULL, &r), 200);
	assert_non_null(
	    strstr(r.body,
		   "okg_webhook_requests_total{path=\"/validate-v1alpha1-gss\",code=\"200\"} 2\n"));
	assert_non_null(
	    strstr(r.body,
		   "okg_webhook_requests_total{path=\"/validate-v1alpha1-gss\",code=\"413\"} 1\n"));
	assert_non_null(strstr(r.body, "okg_webhook_patches_total 1\n"));
	assert_non_null(
	    strstr(r.body, "okg_webhook_request_duration_seconds_count{path=\"/mutate-v1-pod\"}"));
	assert_non_null(strstr(r.body, "okg_webhook_ready 1\n"));
}

static size_t endless_read(char *buf, size_t sz, size_t n, void *ud)
{
	size_t *left = ud, k = sz * n < *left ? sz * n : *left;

	memset(buf, ' ', k);
	*left -= k;
	return k;
}

/* A body announced far over the cap is not read at all: 413 at once, then the connection is
 * closed, and nothing waits for 100 MB. */
static void test_huge_upload_cut(void **state)
{
	CURL *c;
	struct reply r;
	char url[128];
	size_t left = 100u * 1024 * 1024;
	struct timespec t0, t1;

	(void)state;
	publish_leaf();
	start(NULL, 0);
	c = client();
	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "%s/validate-v1alpha1-gss", W.url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, endless_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &left);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)left);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.rc = curl_easy_perform(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
	/* curl either reads the early 413 or sees the connection cut while still sending */
	assert_true(r.code == 413 || r.rc != CURLE_OK);
	assert_true(left > 50u * 1024 * 1024); /* most of it was never sent */
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	curl_easy_cleanup(c);
	/* the server is fine */
	assert_int_equal(request("GET", "/healthz", NULL, &r), 200);
}

static void test_keep_alive(void **state)
{
	CURL *c;
	struct reply r;
	long connects = -1;

	(void)state;
	publish_leaf();
	start(NULL, 0);
	c = client();
	for (int i = 0; i < 5; i++) {
		send_req(c, "POST", "/validate-v1alpha1-gss", review_body, strlen(review_body), &r);
		assert_int_equal(r.rc, CURLE_OK);
		assert_int_equal(r.code, 200);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
		assert_int_equal(connects, i == 0 ? 1 : 0); /* one connection for all five */
	}
	/* an error answered before the body was read does not break the connection's next use */
	send_req(c, "POST", "/nope", review_body, strlen(review_body), &r);
	assert_int_equal(r.code, 404);
	send_req(c, "POST", "/validate-v1alpha1-gss", review_body, strlen(review_body), &r);
	assert_int_equal(r.code, 200);
	curl_easy_cleanup(c);
}

static CURLcode try_tls(long version)
{
	CURL *c = client();
	struct reply r;

	curl_easy_setopt(c, CURLOPT_SSLVERSION, version);
	/* let OpenSSL 3 offer the old protocols at all */
	curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, "DEFAULT:@SECLEVEL=0");
	send_req(c, "GET", "/healthz", NULL, 0, &r);
	curl_easy_cleanup(c);
	return r.rc;
}

static void test_tls_versions(void **state)
{
	(void)state;
	publish_leaf();
	/* control: the same client does speak TLS 1.1 to a server that allows it */
	start("NORMAL:-VERS-ALL:+VERS-TLS1.1", 0);
	assert_int_equal(try_tls(CURL_SSLVERSION_TLSv1_1 | CURL_SSLVERSION_MAX_TLSv1_1), CURLE_OK);
	assert_int_equal(wh_server_stop(W.srv, 1000), 0);
	W.srv = NULL;

	start(NULL, 0);
	assert_int_not_equal(try_tls(CURL_SSLVERSION_TLSv1_1 | CURL_SSLVERSION_MAX_TLSv1_1),
			     CURLE_OK);
	assert_int_not_equal(try_tls(CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_0),
			     CURLE_OK);
	assert_int_equal(try_tls(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2), CURLE_OK);
	assert_int_equal(try_tls(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3), CURLE_OK);
}

/* RSA keys are signed by OpenSSL through GnuTLS's external-key interface: PKCS#1 v1.5 for
 * TLS 1.2, PSS for TLS 1.3. Static RSA key exchange is off. */
static void test_rsa_key(void **state)
{
	struct tg_pair leaf = new_leaf_of(TG_KEY_RSA_2048);
	CURL *c;
	struct reply r;

	(void)state;
	publish(leaf.cert_pem, leaf.key_pem);
	tg_pair_free(&leaf);
	start(NULL, 0);
	assert_int_equal(try_tls(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2), CURLE_OK);
	assert_int_equal(try_tls(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3), CURLE_OK);
	/* a client that only knows static RSA key exchange is refused, not crashed */
	c = client();
	curl_easy_setopt(c, CURLOPT_SSLVERSION,
			 CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, "AES128-GCM-SHA256");
	send_req(c, "GET", "/healthz", NULL, 0, &r);
	assert_int_not_equal(r.rc, CURLE_OK);
	curl_easy_cleanup(c);
	assert_int_equal(request("GET", "/healthz", NULL, &r), 200);
}

/* Hammers the server with new connections until stop is set; counts failures. */
struct hammer {
	atomic_int stop;
	atomic_int ok, failed;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;

	while (!atomic_load(&h->stop)) {
		CURL *c = client();
		struct reply r;

		send_req(c, "POST", "/validate-v1alpha1-gss", review_body, strlen(review_body), &r);
		if (r.rc == CURLE_OK && r.code == 200)
			atomic_fetch_add(&h->ok, 1);
		else
			atomic_fetch_add(&h->failed, 1);
		curl_easy_cleanup(c);
	}
	return NULL;
}

static int wait_serial_change(const char *old, char *now, size_t n, long timeout_ms)
{
	for (long waited = 0; waited <= timeout_ms; waited += 25) {
		served_serial(now, n);
		if (strcmp(now, old) != 0)
			return 1;
		sleep_ms(25);
	}
	return 0;
}

static void test_cert_reload(void **state)
{
	char s1[128], s2[128], s3[128];
	struct hammer h;
	pthread_t th[2];
	CURL *kept;
	struct reply r;

	(void)state;
	publish_leaf();
	start(NULL, 0);
	served_serial(s1, sizeof(s1));

	/* a keep-alive connection opened before the swap */
	kept = client();
	send_req(kept, "GET", "/healthz", NULL, 0, &r);
	assert_int_equal(r.code, 200);

	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer_main, &h), 0);
	sleep_ms(100);
	publish_leaf();
	assert_true(wait_serial_change(s1, s2, sizeof(s2), 3000));
	/* and again, by SIGHUP's path */
	publish_leaf();
	assert_int_equal(wh_server_reload(W.srv), 1);
	served_serial(s3, sizeof(s3));
	assert_string_not_equal(s3, s2);
	sleep_ms(100);
	atomic_store(&h.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	/* not one request failed across two swaps */
	assert_int_equal(atomic_load(&h.failed), 0);
	assert_true(atomic_load(&h.ok) > 0);

	send_req(kept, "GET", "/healthz", NULL, 0, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.code, 200);
	curl_easy_cleanup(kept);
}

static void test_bad_cert_keeps_old(void **state)
{
	struct tg_pair a = new_leaf(), b = new_leaf();
	char s1[128], s2[128];
	struct reply r;

	(void)state;
	publish(a.cert_pem, a.key_pem);
	start(NULL, 0);
	served_serial(s1, sizeof(s1));
	/* b's certificate with a's key: refused, a keeps serving */
	publish(b.cert_pem, a.key_pem);
	assert_true(wh_server_reload(W.srv) < 0);
	sleep_ms(200);
	served_serial(s2, sizeof(s2));
	assert_string_equal(s1, s2);
	publish("garbage", "more garbage");
	sleep_ms(200);
	served_serial(s2, sizeof(s2));
	assert_string_equal(s1, s2);
	assert_int_equal(request("GET", "/metrics", NULL, &r), 200);
	assert_non_null(strstr(r.body, "okg_webhook_cert_reloads_total{result=\"error\"} 2\n"));
	/* a good pair is taken again */
	publish(b.cert_pem, b.key_pem);
	assert_true(wait_serial_change(s1, s2, sizeof(s2), 3000));
	tg_pair_free(&a);
	tg_pair_free(&b);
}

static void test_ready_once_certs_arrive(void **state)
{
	struct reply r;

	(void)state;
	start(NULL, 0); /* empty directory */
	assert_false(wh_server_ready(W.srv));
	assert_int_not_equal(request("GET", "/healthz", NULL, &r), 200); /* no cert: no handshake */
	publish_leaf();
	for (int i = 0; i < 100 && !wh_server_ready(W.srv); i++)
		sleep_ms(20);
	assert_true(wh_server_ready(W.srv));
	assert_int_equal(request("GET", "/readyz", NULL, &r), 200);
}

/* --- graceful stop ---------------------------------------------------------------------------- */

struct slow {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int release; /* the main thread lets the rest of the body go */
	size_t sent;
	struct reply r;
};

static size_t slow_read(char *buf, size_t sz, size_t n, void *ud)
{
	struct slow *s = ud;
	size_t total = strlen(review_body), half = total / 2, k;

	if (s->sent == half) {
		pthread_mutex_lock(&s->mu);
		while (!s->release)
			pthread_cond_wait(&s->cv, &s->mu);
		pthread_mutex_unlock(&s->mu);
	}
	k = (s->sent < half ? half : total) - s->sent;
	if (k > sz * n)
		k = sz * n;
	memcpy(buf, review_body + s->sent, k);
	s->sent += k;
	return k;
}

static void *slow_main(void *arg)
{
	struct slow *s = arg;
	CURL *c = client();
	char url[128];

	snprintf(url, sizeof(url), "%s/validate-v1alpha1-gss", W.url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, slow_read);
	curl_easy_setopt(c, CURLOPT_READDATA, s);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(review_body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s->r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s->r);
	s->r.rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s->r.code);
	curl_easy_cleanup(c);
	return NULL;
}

struct stopper {
	struct wh_server *srv;
	int rc;
	atomic_int done;
};

static void *stop_main(void *arg)
{
	struct stopper *st = arg;

	st->rc = wh_server_stop(st->srv, 5000);
	atomic_store(&st->done, 1);
	return NULL;
}

static int can_connect(unsigned short port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return r == 0;
}

static void test_graceful_stop(void **state)
{
	struct slow s;
	struct stopper st;
	pthread_t t_req, t_stop;
	unsigned short port;

	(void)state;
	publish_leaf();
	start(NULL, 0);
	port = wh_server_port(W.srv);
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	assert_int_equal(pthread_create(&t_req, NULL, slow_main, &s), 0);
	for (int i = 0; i < 200 && wh_server_inflight(W.srv) == 0; i++)
		sleep_ms(10);
	assert_int_equal(wh_server_inflight(W.srv), 1); /* half a body is in */

	/* SIGTERM's path: drain, stop accepting, wait for the request in flight */
	memset(&st, 0, sizeof(st));
	st.srv = W.srv;
	W.srv = NULL;
	assert_int_equal(pthread_create(&t_stop, NULL, stop_main, &st), 0);
	sleep_ms(200);
	assert_false(atomic_load(&st.done)); /* still waiting for the request */
	assert_false(can_connect(port));     /* no new connections */

	pthread_mutex_lock(&s.mu);
	s.release = 1;
	pthread_cond_signal(&s.cv);
	pthread_mutex_unlock(&s.mu);
	pthread_join(t_req, NULL);
	pthread_join(t_stop, NULL);
	assert_int_equal(s.r.rc, CURLE_OK);
	assert_int_equal(s.r.code, 200);
	assert_non_null(strstr(s.r.body, "\"allowed\":true"));
	assert_non_null(strstr(s.r.headers, "Connection: close"));
	assert_int_equal(st.rc, 0);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
}

static void test_drain_timeout(void **state)
{
	struct slow s;
	pthread_t t_req;

	(void)state;
	publish_leaf();
	start(NULL, 0);
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	assert_int_equal(pthread_create(&t_req, NULL, slow_main, &s), 0);
	for (int i = 0; i < 200 && wh_server_inflight(W.srv) == 0; i++)
		sleep_ms(10);
	/* a request that never finishes does not hold the stop forever */
	assert_int_equal(wh_server_stop(W.srv, 300), -ETIMEDOUT);
	W.srv = NULL;
	pthread_mutex_lock(&s.mu);
	s.release = 1;
	pthread_cond_signal(&s.cv);
	pthread_mutex_unlock(&s.mu);
	pthread_join(t_req, NULL);
	assert_int_not_equal(s.r.rc, CURLE_OK); /* cut off */
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
}

static void test_idle_timeout(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct timeval tv = {5, 0};
	struct timespec t0, t1;
	char buf[16];
	int fd;
	ssize_t n;
	double secs;

	(void)state;
	publish_leaf();
	start(NULL, 1);
	a.sin_port = htons(wh_server_port(W.srv));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* a client that connects and says nothing (not even a TLS hello) is closed (after at
	 * most an alert) */
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n > 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(n == 0 || errno == ECONNRESET);
	assert_true(secs < 4.0);
	close(fd);
}

static void test_bad_listen(void **state)
{
	struct wh_server_opts o;
	struct wh_server *s = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.cert_dir = W.dir;
	o.tls_priorities = "NORMAL";
	o.max_body = MAX_BODY;
	o.conn_timeout_s = 1;
	o.max_conns = 16;
	o.listen = "127.0.0.1";
	assert_int_equal(wh_server_start(&o, &s), -EINVAL);
	o.listen = "nohost:80";
	assert_int_equal(wh_server_start(&o, &s), -EINVAL);
	o.listen = "[::1]:70000";
	assert_int_equal(wh_server_start(&o, &s), -EINVAL);
	assert_null(s);
	assert_int_equal(wh_server_stop(NULL, 0), 0);
}

static int group_setup(void **state)
{
	(void)state;
	log_init("webhook-test", LOG_ERROR);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_status_codes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keep_alive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_huge_upload_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tls_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rsa_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_cert_keeps_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ready_once_certs_arrive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_graceful_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drain_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_listen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
