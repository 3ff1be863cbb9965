#include "probe/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "probe/http.h"

static void failf(struct pr_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void failf(struct pr_outcome *out, const char *fmt, ...)
{
	va_list ap;

	out->ok = 0;
	va_start(ap, fmt);
	vsnprintf(out->result, sizeof(out->result), fmt, ap);
	va_end(ap);
}

static int64_t deadline_of(const struct pr_probe *p)
{
	return pr_now_ms() + (p->timeout > 0 ? p->timeout : 1) * 1000;
}

/* --- JSON paths ------------------------------------------------------------------------------- */

int pr_json_path(const char *doc, size_t len, const char *path, char *out, size_t outlen)
{
	cJSON *root = cJSON_ParseWithLength(doc, len);
	const cJSON *cur = root;
	const char *p = path;
	char seg[256];
	int r = 0;

	out[0] = '\0';
	if (!root)
		return -EINVAL;
	while (cur && *p) {
		size_t n = 0;

		while (*p && *p != '.') {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < sizeof(seg))
				seg[n++] = *p;
			p++;
		}
		seg[n] = '\0';
		if (*p == '.')
			p++;
		if (cJSON_IsObject(cur)) {
			cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
		} else if (cJSON_IsArray(cur) && n > 0 && strspn(seg, "0123456789") == n && n < 9) {
			cur = cJSON_GetArrayItem(cur, (int)strtol(seg, NULL, 10));
		} else {
			cur = NULL;
		}
	}
	if (!cur || cJSON_IsNull(cur)) {
		r = -ENOENT;
	} else if (cJSON_IsString(cur)) {
		snprintf(out, outlen, "%s", cur->valuestring ? cur->valuestring : "");
	} else {
		char *s = cJSON_PrintUnformatted(cur);

		if (!s)
			r = -ENOMEM;
		else
			snprintf(out, outlen, "%s", s);
		free(s);
	}
	cJSON_Delete(root);
	return r;
}

/* --- HTTP ----------------------------------------------------------------------------------- */

/* "Name: value" lines for the request; *lines is one allocation (free it). */
static int header_lines(const struct pr_probe *p, char ***lines)
{
	size_t total = 0;
	char **v, *text;

	*lines = NULL;
	for (size_t i = 0; i < p->n_headers; i++)
		total += strlen(p->headers[i].name) + strlen(p->headers[i].value) + 3;
	v = malloc((p->n_headers + 1) * sizeof(char *) + total + 1);
	if (!v)
		return -ENOMEM;
	text = (char *)(v + p->n_headers + 1);
	for (size_t i = 0; i < p->n_headers; i++) {
		size_t n = strlen(p->headers[i].name) + strlen(p->headers[i].value) + 3;

		snprintf(text, n, "%s: %s", p->headers[i].name, p->headers[i].value);
		v[i] = text;
		text += n;
	}
	v[p->n_headers] = NULL;
	*lines = v;
	return 0;
}

static void marker_match(const struct pr_probe *p, const char *data, struct pr_outcome *out)
{
	for (size_t i = 0; i < p->n_markers; i++) {
		if (strcmp(p->markers[i].state, data) == 0) {
			if (p->markers[i].ops_state)
				snprintf(out->ops_state, sizeof(out->ops_state), "%s",
					 p->markers[i].ops_state);
			return;
		}
	}
	if (p->ops_from_data && data[0] && strlen(data) < sizeof(out->ops_state)) {
		memcpy(out->ops_state, data, strlen(data) + 1);
		return;
	}
	if (p->n_markers)
		snprintf(out->message, sizeof(out->message),
			 "no markerPolices entry has state \"%.200s\"", data);
}

static void probe_http(const struct pr_probe *p, const struct pr_ctx *ctx, struct pr_outcome *out)
{
	struct pr_http_req rq = {0};
	struct pr_http_resp resp = {0};
	struct pr_url u;
	char **lines = NULL, err[512];
	int r;

	if (p->url) {
		if (pr_url_parse(p->url, &u, err, sizeof(err)) < 0) {
			failf(out, "url %s: %s", p->url, err);
			return;
		}
	} else {
		if (p->port_name) {
			failf(out, "named port %s is not supported", p->port_name);
			return;
		}
		if (!ctx->pod_ip || !ctx->pod_ip[0]) {
			failf(out, "POD_IP is not set");
			return;
		}
		memset(&u, 0, sizeof(u));
		u.https = p->https;
		u.host_is_ip = true;
		snprintf(u.host, sizeof(u.host), "%s", ctx->pod_ip);
		snprintf(u.port, sizeof(u.port), "%d", p->port);
		snprintf(u.path, sizeof(u.path), "%s", p->path ? p->path : "/");
	}
	if (header_lines(p, &lines) < 0) {
		failf(out, "out of memory");
		return;
	}
	rq.method = p->method ? p->method : "GET";
	rq.url = &u;
	rq.headers = (const char *const *)lines;
	rq.n_headers = p->n_headers;
	rq.deadline_ms = deadline_of(p);
	rq.stop_fd = ctx->stop_fd;
	rq.verify = false;
	rq.max_read = PR_HTTP_MAX_READ;
	buf_init(&resp.body, PR_HTTP_MAX_READ);
	r = pr_http_do(&rq, &resp, err, sizeof(err));
	if (r == -ECANCELED) {
		out->canceled = true;
		failf(out, "probe canceled");
		goto out;
	}
	if (r < 0) {
		if (r == -ETIMEDOUT)
			failf(out, "probe timed out after %lds (%s)", p->timeout, err);
		else
			failf(out, "%s %s: %s", rq.method, u.path, err);
		goto out;
	}
	if (!p->url) {
		out->ok = resp.status >= 200 && resp.status < 400;
		pr_text_clean(resp.body.data, resp.body.len, out->result, sizeof(out->result));
		if (!out->ok)
			snprintf(out->message, sizeof(out->message), "HTTP status %d", resp.status);
		goto out;
	}
	/* sidecar endpoint */
	if (resp.status != p->expected_status) {
		failf(out, "HTTP status %d, expected %d", resp.status, p->expected_status);
		pr_text_clean(resp.body.data, resp.body.len, out->message, sizeof(out->message));
		goto out;
	}
	if (p->json_path) {
		char v[PR_RESULT_MAX * 4];

		r = pr_json_path(resp.body.data ? resp.body.data : "", resp.body.len, p->json_path,
				 v, sizeof(v));
		if (r < 0) {
			failf(out, "jsonPath %s: %s", p->json_path,
			      r == -EINVAL ? "the response is not JSON" : "no such value");
			pr_text_clean(resp.body.data, resp.body.len, out->message,
				      sizeof(out->message));
			goto out;
		}
		pr_text_clean(v, strlen(v), out->result, sizeof(out->result));
	} else {
		pr_text_clean(resp.body.data, resp.body.len, out->result, sizeof(out->result));
	}
	out->ok = 1;
	marker_match(p, out->result, out);
out:
	buf_free(&resp.body);
	free(lines);
}

static void probe_tcp(const struct pr_probe *p, const struct pr_ctx *ctx, struct pr_outcome *out)
{
	char port[8], err[400];
	int fd;

	if (p->port_name) {
		failf(out, "named port %s is not supported", p->port_name);
		return;
	}
	if (!ctx->pod_ip || !ctx->pod_ip[0]) {
		failf(out, "POD_IP is not set");
		return;
	}
	snprintf(port, sizeof(port), "%d", p->port);
	fd = pr_tcp_connect(ctx->pod_ip, port, deadline_of(p), ctx->stop_fd, err, sizeof(err));
	if (fd == -ECANCELED) {
		out->canceled = true;
		failf(out, "probe canceled");
		return;
	}
	if (fd < 0) {
		if (fd == -ETIMEDOUT)
			failf(out, "probe timed out after %lds (%s)", p->timeout, err);
		else
			failf(out, "%s", err);
		return;
	}
	close(fd);
	out->ok = 1;
}

static void probe_exec(const struct pr_probe *p, const struct pr_ctx *ctx, struct pr_target *t,
		       struct pr_outcome *out)
{
	struct pr_exec_req rq = {0};

	if (!pr_target_alive(t)) {
		struct pr_target nt;
		int r = pr_target_find(p->container, ctx->pod_uid, &nt);
		char q[300];

		if (r < 0) {
			if (t->pid > 0)
				LOG_INFOF("target_lost", "quality=%s container=%s pid=%d",
					  log_quote(p->name, q, sizeof(q)),
					  t->container[0] ? t->container : "-", (int)t->pid);
			memset(t, 0, sizeof(*t));
			if (r == -EINVAL)
				failf(out, "POD_UID is not set: cannot find the containers");
			else if (p->container)
				failf(out, "container %s is not running", p->container);
			else
				failf(out, "no game container is running");
			return;
		}
		*t = nt;
		LOG_INFOF("target_found", "quality=%s container=%s pid=%d",
			  log_quote(p->name, q, sizeof(q)), t->container, (int)t->pid);
	}
	rq.argv = p->argv;
	rq.timeout_ms = p->timeout * 1000;
	rq.target = t->pid;
	rq.target_start = t->start;
	rq.container = p->container ? p->container : t->container;
	rq.stop_fd = ctx->stop_fd;
	pr_exec_run(&rq, out);
}

void pr_probe_once(const struct pr_probe *p, const struct pr_ctx *ctx, struct pr_target *t,
		   struct pr_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->cpu_us = -1;
	switch (p->kind) {
	case PR_EXEC:
		probe_exec(p, ctx, t, out);
		break;
	case PR_HTTP:
		probe_http(p, ctx, out);
		break;
	case PR_TCP:
		probe_tcp(p, ctx, out);
		break;
	}
}
