#include "lib/kube.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "lib/backoff.h"
#include "lib/buf.h"
#include "lib/log.h"

#define TOKEN_REREAD_S 60 /* projected tokens rotate; re-read like the official clients do */

struct kube_client {
	CURL *curl;
	struct kube_config cfg;
	struct kube_client_opts opts;
	char user_agent[128];
	char *file_token; /* token read from cfg.token_file */
	time_t file_token_read;
	struct backoff backoff;
	double tokens; /* rate-limit bucket */
	struct timespec last_fill;
};

/* Per-transfer state handed to the libcurl callbacks. */
struct xfer {
	struct kube_client *kc;
	struct buf body;
	unsigned retry_after_s;
	long status;
	/* watch mode */
	struct wf *wf;
	wf_event_fn fn;
	void *ud;
	int cb_result; /* non-zero: why the write callback stopped the transfer */
};

int kube_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

void kube_global_cleanup(void)
{
	curl_global_cleanup();
}

static int stopped(const struct kube_client *kc)
{
	return kc->opts.stop && *kc->opts.stop;
}

/* Sleeps in short steps so the stop flag is noticed quickly. */
static int sleep_interruptible(struct kube_client *kc, unsigned ms)
{
	while (ms > 0) {
		unsigned step = ms > 100 ? 100 : ms;

		if (stopped(kc))
			return KUBE_ECANCELED;
		backoff_sleep_ms(step);
		ms -= step;
	}
	return stopped(kc) ? KUBE_ECANCELED : 0;
}

int kube_client_new(const struct kube_config *cfg, const struct kube_client_opts *opts,
		    struct kube_client **out)
{
	struct kube_client *kc;

	*out = NULL;
	if (!cfg || !cfg->server)
		return KUBE_ECONFIG;
	kc = calloc(1, sizeof(*kc));
	if (!kc)
		return KUBE_ENOMEM;
	if (kcfg_copy(cfg, &kc->cfg) < 0) {
		free(kc);
		return KUBE_ENOMEM;
	}
	if (opts)
		kc->opts = *opts;
	if (kc->opts.timeout_ms <= 0)
		kc->opts.timeout_ms = 15000;
	if (kc->opts.connect_timeout_ms <= 0)
		kc->opts.connect_timeout_ms = 5000;
	if (kc->opts.max_retries < 0)
		kc->opts.max_retries = 0; /* negative: never retry */
	else if (kc->opts.max_retries == 0)
		kc->opts.max_retries = 4;
	if (!kc->opts.backoff_base_ms)
		kc->opts.backoff_base_ms = 200;
	if (!kc->opts.backoff_cap_ms)
		kc->opts.backoff_cap_ms = 10000;
	if (!kc->opts.max_body)
		kc->opts.max_body = 64u << 20;
	if (kc->opts.burst <= 0)
		kc->opts.burst = 10;
	snprintf(kc->user_agent, sizeof(kc->user_agent), "%s",
		 kc->opts.user_agent ? kc->opts.user_agent : "okg");
	kc->opts.user_agent = NULL;
	kc->tokens = kc->opts.burst;
	clock_gettime(CLOCK_MONOTONIC, &kc->last_fill);
	backoff_init(&kc->backoff, kc->opts.backoff_base_ms, kc->opts.backoff_cap_ms, 0);
	kc->curl = curl_easy_init();
	if (!kc->curl) {
		kube_client_free(kc);
		return KUBE_ENOMEM;
	}
	*out = kc;
	return 0;
}

void kube_client_free(struct kube_client *kc)
{
	if (!kc)
		return;
	if (kc->curl)
		curl_easy_cleanup(kc->curl);
	kcfg_free(&kc->cfg);
	if (kc->file_token) {
		explicit_bzero(kc->file_token, strlen(kc->file_token));
		free(kc->file_token);
	}
	free(kc);
}

void kube_resp_free(struct kube_resp *resp)
{
	if (!resp)
		return;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

int kube_status_to_err(long status, const char *reason)
{
	if (status >= 200 && status < 300)
		return 0;
	switch (status) {
	case 0:
		return KUBE_ENET;
	case 400:
		return KUBE_EBADREQ;
	case 401:
		return KUBE_EAUTH;
	case 403:
		return KUBE_EFORBIDDEN;
	case 404:
		return KUBE_ENOTFOUND;
	case 409:
		return reason && strcmp(reason, "AlreadyExists") == 0 ? KUBE_EEXISTS
								      : KUBE_ECONFLICT;
	case 410:
		return KUBE_EGONE;
	case 422:
		return KUBE_EINVALID;
	case 429:
		return KUBE_ETHROTTLED;
	default:
		return status >= 500 ? KUBE_ESERVER : KUBE_EHTTP;
	}
}

const char *kube_strerror(int err)
{
	switch (err) {
	case KUBE_OK:
		return "ok";
	case KUBE_ENET:
		return "API server unreachable";
	case KUBE_ETIMEDOUT:
		return "API server did not answer in time";
	case KUBE_EBADREQ:
		return "bad request";
	case KUBE_EAUTH:
		return "unauthorized";
	case KUBE_EFORBIDDEN:
		return "forbidden";
	case KUBE_ENOTFOUND:
		return "not found";
	case KUBE_ECONFLICT:
		return "conflict";
	case KUBE_EEXISTS:
		return "already exists";
	case KUBE_EGONE:
		return "resource version expired";
	case KUBE_EINVALID:
		return "invalid";
	case KUBE_ETHROTTLED:
		return "throttled";
	case KUBE_ESERVER:
		return "server error";
	case KUBE_EHTTP:
		return "unexpected HTTP status";
	case KUBE_EPARSE:
		return "unparsable answer";
	case KUBE_E2BIG:
		return "answer too large";
	case KUBE_ENOMEM:
		return "out of memory";
	case KUBE_ECANCELED:
		return "canceled";
	case KUBE_ECONFIG:
		return "bad configuration";
	default:
		return "unknown error";
	}
}

void kube_parse_status(const char *body, size_t len, char *reason, size_t reason_len, char *message,
		       size_t message_len)
{
	cJSON *root = NULL;
	const cJSON *kind, *r, *m;

	if (reason_len)
		reason[0] = '\0';
	if (message_len)
		message[0] = '\0';
	if (!body || !len)
		return;
	root = cJSON_ParseWithLength(body, len);
	kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
	if (cJSON_IsString(kind) && kind->valuestring && strcmp(kind->valuestring, "Status") == 0) {
		r = cJSON_GetObjectItemCaseSensitive(root, "reason");
		m = cJSON_GetObjectItemCaseSensitive(root, "message");
		if (cJSON_IsString(r) && r->valuestring && reason_len)
			snprintf(reason, reason_len, "%s", r->valuestring);
		if (cJSON_IsString(m) && m->valuestring && message_len)
			snprintf(message, message_len, "%s", m->valuestring);
	} else if (!cJSON_IsObject(root) && message_len) {
		/* Not JSON (a proxy's page, plain text): keep a printable prefix. */
		size_t n = len < message_len - 1 ? len : message_len - 1;

		for (size_t i = 0; i < n; i++)
			message[i] = isprint((unsigned char)body[i]) ? body[i] : ' ';
		message[n] = '\0';
	}
	cJSON_Delete(root);
}

unsigned kube_parse_retry_after(const char *value)
{
	char *end;
	unsigned long v;

	while (value && (*value == ' ' || *value == '\t'))
		value++;
	if (!value || !*value)
		return 0;
	if (!isdigit((unsigned char)*value))
		return 1; /* an HTTP date: wait a little rather than parse clocks */
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || v > 3600)
		return 3600;
	return (unsigned)v;
}

int kube_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			if (o + 1 >= outlen)
				return -E2BIG;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= outlen)
				return -E2BIG;
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	if (o >= outlen)
		return -E2BIG;
	out[o] = '\0';
	return 0;
}

/* --- libcurl adapters -------------------------------------------------------------------- */

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		char v[64];
		size_t vl = n - (sizeof(name) - 1);

		if (vl >= sizeof(v))
			vl = sizeof(v) - 1;
		memcpy(v, data + sizeof(name) - 1, vl);
		v[vl] = '\0';
		x->retry_after_s = kube_parse_retry_after(v);
	}
	return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	int r;

	if (x->wf) {
		if (x->status == 0)
			curl_easy_getinfo(x->kc->curl, CURLINFO_RESPONSE_CODE, &x->status);
		if (x->status >= 200 && x->status < 300) {
			r = wf_feed(x->wf, data, n, x->fn, x->ud);
			if (r != 0) {
				x->cb_result = r;
				return 0; /* aborts the transfer */
			}
			return n;
		}
	}
	r = buf_append(&x->body, data, n);
	if (r < 0) {
		x->cb_result = r == -E2BIG ? KUBE_E2BIG : KUBE_ENOMEM;
		return 0;
	}
	return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = ud;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (stopped(x->kc)) {
		x->cb_result = KUBE_ECANCELED;
		return 1;
	}
	return 0;
}

static const char *bearer_token(struct kube_client *kc, int force_reload)
{
	time_t now = time(NULL);

	if (kc->cfg.token_file &&
	    (force_reload || !kc->file_token || now - kc->file_token_read >= TOKEN_REREAD_S)) {
		char *tok = NULL;

		if (kcfg_read_file(kc->cfg.token_file, &tok, NULL) == 0) {
			tok[strcspn(tok, "\r\n")] = '\0';
			if (kc->file_token) {
				explicit_bzero(kc->file_token, strlen(kc->file_token));
				free(kc->file_token);
			}
			kc->file_token = tok;
			kc->file_token_read = now;
		} else {
			LOG_WARNF("token_read_failed", "file=%s", kc->cfg.token_file);
		}
	}
	if (kc->file_token)
		return kc->file_token;
	return kc->cfg.token;
}

static void rate_wait(struct kube_client *kc)
{
	struct timespec now;
	double elapsed;

	if (kc->opts.qps <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (double)(now.tv_sec - kc->last_fill.tv_sec) +
		  (double)(now.tv_nsec - kc->last_fill.tv_nsec) / 1e9;
	kc->last_fill = now;
	kc->tokens += elapsed * kc->opts.qps;
	if (kc->tokens > kc->opts.burst)
		kc->tokens = kc->opts.burst;
	if (kc->tokens < 1.0) {
		unsigned ms = (unsigned)((1.0 - kc->tokens) / kc->opts.qps * 1000.0) + 1;

		sleep_interruptible(kc, ms);
		kc->tokens = 1.0;
		clock_gettime(CLOCK_MONOTONIC, &kc->last_fill);
	}
	kc->tokens -= 1.0;
}

#define SETOPT(opt, val)                                                                           \
	do {                                                                                       \
		if (curl_easy_setopt(c, opt, val) != CURLE_OK)                                     \
			goto setopt_failed;                                                        \
	} while (0)

/* One HTTP exchange. Returns 0 when an HTTP answer came (any status), else a KUBE_E* code;
 * *curl_code tells the transport failure. */
static int perform(struct kube_client *kc, const char *method, const char *path,
		   const char *content_type, const char *body, size_t len, long timeout_ms,
		   struct xfer *x, int reload_token, CURLcode *curl_code, char *errbuf)
{
	CURL *c = kc->curl;
	struct curl_slist *hdrs = NULL, *tmp;
	char url[8192], line[8300];
	const char *tok;
	int n, r = 0;
	CURLcode cc;

	*curl_code = CURLE_OK;
	n = snprintf(url, sizeof(url), "%s%s", kc->cfg.server, path);
	if (n < 0 || (size_t)n >= sizeof(url))
		return KUBE_ECONFIG;
	curl_easy_reset(c); /* keeps live connections and the TLS session cache */
	errbuf[0] = '\0';
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, kc->opts.connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, timeout_ms);
	SETOPT(CURLOPT_USERAGENT, kc->user_agent);
	SETOPT(CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, x);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, x);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
	SETOPT(CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(CURLOPT_XFERINFODATA, x);
	if (kc->cfg.insecure) {
		SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
		SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (kc->cfg.ca_pem) {
		struct curl_blob blob = {kc->cfg.ca_pem, strlen(kc->cfg.ca_pem), CURL_BLOB_NOCOPY};

		SETOPT(CURLOPT_CAINFO_BLOB, &blob);
	}
	if (kc->cfg.cert_pem && kc->cfg.key_pem) {
		struct curl_blob cb = {kc->cfg.cert_pem, strlen(kc->cfg.cert_pem),
				       CURL_BLOB_NOCOPY};
		struct curl_blob kb = {kc->cfg.key_pem, strlen(kc->cfg.key_pem), CURL_BLOB_NOCOPY};

		SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
		SETOPT(CURLOPT_SSLCERT_BLOB, &cb);
		SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
		SETOPT(CURLOPT_SSLKEY_BLOB, &kb);
	}
	if (strcmp(method, "GET") == 0) {
		SETOPT(CURLOPT_HTTPGET, 1L);
	} else {
		SETOPT(CURLOPT_CUSTOMREQUEST, method);
		if (body) {
			SETOPT(CURLOPT_POSTFIELDS, body);
			SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		}
	}
	tmp = curl_slist_append(hdrs, "Accept: application/json");
	if (!tmp)
		goto nomem;
	hdrs = tmp;
	if (content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		tmp = curl_slist_append(hdrs, line);
		if (!tmp)
			goto nomem;
		hdrs = tmp;
	}
	tok = bearer_token(kc, reload_token);
	if (tok && *tok) {
		n = snprintf(line, sizeof(line), "Authorization: Bearer %s", tok);
		if (n < 0 || (size_t)n >= sizeof(line)) {
			r = KUBE_ECONFIG;
			goto out;
		}
		tmp = curl_slist_append(hdrs, line);
		explicit_bzero(line, sizeof(line));
		if (!tmp)
			goto nomem;
		hdrs = tmp;
	}
	SETOPT(CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(c);
	*curl_code = cc;
	if (x->status == 0)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
	if (cc != CURLE_OK) {
		if (x->cb_result)
			r = x->cb_result;
		else if (cc == CURLE_OPERATION_TIMEDOUT)
			r = KUBE_ETIMEDOUT;
		else
			r = KUBE_ENET;
	}
	goto out;
setopt_failed:
	snprintf(errbuf, CURL_ERROR_SIZE, "libcurl refused an option");
	r = KUBE_ECONFIG;
	goto out;
nomem:
	r = KUBE_ENOMEM;
out:
	curl_slist_free_all(hdrs);
	/* The slist held the token: curl copied what it needed for this transfer. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	return r;
}

static bool method_repeatable(const char *method)
{
	return strcmp(method, "POST") != 0;
}

static void fill_resp(struct kube_resp *resp, struct xfer *x, const char *errbuf, int r)
{
	resp->status = x->status;
	resp->retry_after_s = x->retry_after_s;
	resp->len = x->body.len;
	resp->body = buf_steal(&x->body);
	kube_parse_status(resp->body, resp->len, resp->reason, sizeof(resp->reason), resp->message,
			  sizeof(resp->message));
	if (r < 0 && x->status == 0 && !resp->message[0])
		snprintf(resp->message, sizeof(resp->message), "%s",
			 errbuf[0] ? errbuf : kube_strerror(r));
}

int kube_request(struct kube_client *kc, const char *method, const char *path,
		 const char *content_type, const char *body, size_t len, struct kube_resp *resp)
{
	char errbuf[CURL_ERROR_SIZE];
	bool reloaded = false;
	int attempt = 0;
	int r;

	memset(resp, 0, sizeof(*resp));
	backoff_reset(&kc->backoff);
	for (;;) {
		struct xfer x = {.kc = kc};
		CURLcode cc;
		bool retry = false;
		bool reload = false;
		unsigned wait_ms;

		if (stopped(kc)) {
			kube_resp_free(resp);
			snprintf(resp->message, sizeof(resp->message), "canceled");
			return KUBE_ECANCELED;
		}
		rate_wait(kc);
		buf_init(&x.body, kc->opts.max_body);
		r = perform(kc, method, path, content_type, body, len, kc->opts.timeout_ms, &x, 0,
			    &cc, errbuf);
		attempt++;
		kube_resp_free(resp);
		fill_resp(resp, &x, errbuf, r);
		resp->attempts = attempt;
		if (r == 0)
			r = kube_status_to_err(resp->status, resp->reason);
		if (r == 0)
			return 0;
		if (r == KUBE_ENET || r == KUBE_ETIMEDOUT) {
			retry = method_repeatable(method) || cc == CURLE_COULDNT_CONNECT;
		} else if (r == KUBE_ETHROTTLED) {
			retry = true;
		} else if (r == KUBE_ESERVER) {
			retry = method_repeatable(method) && resp->status != 501;
		} else if (r == KUBE_EAUTH && kc->cfg.token_file && !reloaded) {
			/* The token may have rotated under us: re-read it once and retry. */
			reloaded = true;
			reload = true;
			bearer_token(kc, 1);
		}
		if (reload)
			continue;
		if (!retry || attempt > kc->opts.max_retries)
			return r;
		wait_ms = backoff_next_hint_ms(&kc->backoff, resp->retry_after_s);
		LOG_DEBUGF("api_retry", "method=%s path=%s status=%ld err=%d wait_ms=%u", method,
			   path, resp->status, r, wait_ms);
		if (sleep_interruptible(kc, wait_ms) < 0)
			return KUBE_ECANCELED;
	}
}

static int parse_out(struct kube_resp *resp, cJSON **out)
{
	if (!out)
		return 0;
	*out = cJSON_ParseWithLength(resp->body ? resp->body : "", resp->len);
	if (!*out) {
		snprintf(resp->message, sizeof(resp->message), "answer is not JSON");
		return KUBE_EPARSE;
	}
	return 0;
}

int kube_get(struct kube_client *kc, const char *path, cJSON **out, struct kube_resp *resp)
{
	int r;

	*out = NULL;
	r = kube_request(kc, "GET", path, NULL, NULL, 0, resp);
	if (r < 0)
		return r;
	return parse_out(resp, out);
}

static int send_object(struct kube_client *kc, const char *method, const char *path,
		       const char *ctype, const cJSON *obj, cJSON **out, struct kube_resp *resp)
{
	char *text;
	int r;

	if (out)
		*out = NULL;
	text = cJSON_PrintUnformatted(obj);
	if (!text) {
		memset(resp, 0, sizeof(*resp));
		return KUBE_ENOMEM;
	}
	r = kube_request(kc, method, path, ctype, text, strlen(text), resp);
	cJSON_free(text);
	if (r < 0)
		return r;
	return parse_out(resp, out);
}

int kube_create(struct kube_client *kc, const char *path, const cJSON *obj, cJSON **out,
		struct kube_resp *resp)
{
	return send_object(kc, "POST", path, "application/json", obj, out, resp);
}

int kube_replace(struct kube_client *kc, const char *path, const cJSON *obj, cJSON **out,
		 struct kube_resp *resp)
{
	return send_object(kc, "PUT", path, "application/json", obj, out, resp);
}

int kube_patch(struct kube_client *kc, const char *path, enum kube_patch_type type,
	       const char *patch, cJSON **out, struct kube_resp *resp)
{
	static const char *const ctypes[] = {"application/merge-patch+json",
					     "application/json-patch+json",
					     "application/strategic-merge-patch+json"};
	int r;

	if (out)
		*out = NULL;
	r = kube_request(kc, "PATCH", path, ctypes[type], patch, strlen(patch), resp);
	if (r < 0)
		return r;
	return parse_out(resp, out);
}

int kube_delete(struct kube_client *kc, const char *path, const char *options,
		struct kube_resp *resp)
{
	return kube_request(kc, "DELETE", path, options ? "application/json" : NULL, options,
			    options ? strlen(options) : 0, resp);
}

/* Watch events pass through here first: a 410 inside the stream ends it as KUBE_EGONE. */
struct watch_ctx {
	wf_event_fn fn;
	void *ud;
};

static int watch_filter(void *ud, enum wf_type type, cJSON *object)
{
	struct watch_ctx *wc = ud;

	if (type == WF_ERROR) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(object, "code");

		if (cJSON_IsNumber(code) && code->valueint == 410)
			return KUBE_EGONE;
	}
	return wc->fn(wc->ud, type, object);
}

int kube_watch(struct kube_client *kc, const char *path, long timeout_s, wf_event_fn fn, void *ud,
	       struct kube_resp *resp)
{
	char errbuf[CURL_ERROR_SIZE];
	struct watch_ctx wc = {fn, ud};
	struct wf wf;
	struct xfer x = {.kc = kc};
	CURLcode cc;
	int r;

	memset(resp, 0, sizeof(*resp));
	wf_init(&wf, kc->opts.max_body);
	buf_init(&x.body, 1u << 20); /* only a non-2xx answer is buffered */
	x.wf = &wf;
	x.fn = watch_filter;
	x.ud = &wc;
	rate_wait(kc);
	r = perform(kc, "GET", path, NULL, NULL, 0, timeout_s * 1000L, &x, 0, &cc, errbuf);
	if (r == KUBE_ETIMEDOUT && x.status >= 200 && x.status < 300)
		r = 0; /* the client-side bound ended a healthy stream: re-watch */
	if (r == 0 && cc == CURLE_OK && x.status >= 200 && x.status < 300) /* not cut by timeout */
		r = wf_finish(&wf, watch_filter, &wc);
	if (r == -EBADMSG) {
		snprintf(errbuf, sizeof(errbuf), "watch stream: %s", wf.err);
		r = KUBE_EPARSE;
	} else if (r == -E2BIG) {
		snprintf(errbuf, sizeof(errbuf), "watch stream: %s", wf.err);
		r = KUBE_E2BIG;
	} else if (r == -ENOMEM) {
		r = KUBE_ENOMEM;
	}
	fill_resp(resp, &x, errbuf, r);
	resp->attempts = 1;
	if (r == 0)
		r = kube_status_to_err(resp->status, resp->reason);
	if (r < 0 && errbuf[0] && !resp->message[0])
		snprintf(resp->message, sizeof(resp->message), "%s", errbuf);
	wf_free(&wf);
	return r;
}
