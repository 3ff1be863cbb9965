#include "probe/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "lib/buf.h"
#include "probe/http.h"
#include "probe/text.h"

void pr_rfc3339(long long epoch_s, char *out, size_t outlen)
{
	time_t t = (time_t)epoch_s;
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, outlen, "1970-01-01T00:00:00Z");
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* Adds item to obj under key; frees item when that fails. Returns 0 or -ENOMEM. */
static int put(cJSON *obj, const char *key, cJSON *item)
{
	if (!item)
		return -ENOMEM;
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	return 0;
}

int pr_report_build(const struct pr_report_meta *m, unsigned long long seq,
		    const struct pr_report_item *items, size_t n, char **out, size_t *len)
{
	cJSON *root = cJSON_CreateObject(), *arr = NULL;
	int r = -ENOMEM;

	*out = NULL;
	*len = 0;
	if (!root)
		return -ENOMEM;
	if (put(root, "namespace", cJSON_CreateString(m->namespace ? m->namespace : "")) ||
	    put(root, "pod", cJSON_CreateString(m->pod ? m->pod : "")) ||
	    put(root, "podUID", cJSON_CreateString(m->pod_uid ? m->pod_uid : "")) ||
	    put(root, "seq", cJSON_CreateNumber((double)seq)))
		goto out;
	arr = cJSON_CreateArray();
	if (put(root, "results", arr))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct pr_report_item *it = &items[i];
		cJSON *o = cJSON_CreateObject();
		cJSON *st;

		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto out;
		}
		st = it->state < 0 ? cJSON_CreateNull() : cJSON_CreateBool(it->state > 0);
		if (put(o, "name", cJSON_CreateString(it->name ? it->name : "")) ||
		    put(o, "state", st) ||
		    put(o, "result", cJSON_CreateString(it->result ? it->result : "")) ||
		    put(o, "probeTime", str_or_null(it->probe_time)))
			goto out;
		if (it->has_exit_code && put(o, "exitCode", cJSON_CreateNumber(it->exit_code)))
			goto out;
		if (put(o, "message", cJSON_CreateString(it->message ? it->message : "")))
			goto out;
		if (it->ops_state && put(o, "opsState", cJSON_CreateString(it->ops_state)))
			goto out;
	}
	*out = cJSON_PrintUnformatted(root);
	if (!*out)
		goto out;
	*len = strlen(*out);
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

enum pr_send_result pr_report_post(const struct pr_reporter *r, const char *body, size_t len,
				   int stop_fd, int *status, unsigned *retry_after_s, char *err,
				   size_t errlen)
{
	struct pr_url u;
	struct pr_http_resp resp = {0};
	struct pr_http_req rq = {0};
	char auth[4200];
	const char *headers[2];
	char why[300];
	int rc;

	*status = 0;
	*retry_after_s = 0;
	err[0] = '\0';
	if (pr_url_parse(r->url, &u, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "report URL: %s", why);
		return PR_SEND_REFUSED;
	}
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", r->token ? r->token : "");
	headers[0] = auth;
	headers[1] = "Content-Type: application/json";
	rq.method = "POST";
	rq.url = &u;
	rq.headers = headers;
	rq.n_headers = (r->token && r->token[0]) ? 2 : 1;
	if (rq.n_headers == 1)
		headers[0] = headers[1];
	rq.body = body;
	rq.body_len = len;
	rq.deadline_ms = pr_now_ms() + (r->timeout_ms > 0 ? r->timeout_ms : 10000);
	rq.stop_fd = stop_fd;
	rq.verify = r->ca_file && r->ca_file[0];
	rq.ca_file = r->ca_file;
	rq.max_read = 4096;
	buf_init(&resp.body, 512);
	rc = pr_http_do(&rq, &resp, err, errlen);
	explicit_bzero(auth, sizeof(auth));
	if (rc < 0) {
		buf_free(&resp.body);
		return PR_SEND_RETRY;
	}
	*status = resp.status;
	*retry_after_s = resp.retry_after_s;
	if (resp.status >= 200 && resp.status < 300) {
		buf_free(&resp.body);
		return PR_SENT;
	}
	{
		char text[200];

		pr_text_clean(resp.body.data, resp.body.len, text, sizeof(text));
		snprintf(err, errlen, "HTTP %d%s%s", resp.status, text[0] ? ": " : "", text);
	}
	buf_free(&resp.body);
	if (resp.status == 429 || resp.status >= 500 || resp.status == 408)
		return PR_SEND_RETRY;
	return PR_SEND_REFUSED;
}
