#include "probe/spec.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lib/buf.h"
#include "lib/yamljson.h"
#include "probe/http.h"

/* Defaults, OpenKruiseGame's (see spec.h). */
#define DEF_TIMEOUT	  5
#define DEF_INITIAL_DELAY 10
#define DEF_PERIOD	  3
#define DEF_SUCCESS	  1
#define DEF_FAILURE	  3
/* The OKG sidecar's http_probe defaults. */
#define SC_DEF_DELAY	30
#define SC_DEF_INTERVAL 5
#define SC_DEF_TIMEOUT	10

/* A parse in progress: where we are (for messages) and the first error. */
struct pctx {
	char prefix[300]; /* "OKG_PROBES" or "<file>: " */
	char path[512];
	size_t plen;
	char *err;
	size_t errlen;
	int rc;
	struct buf warn;
};

static size_t path_push(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t path_push(struct pctx *c, const char *fmt, ...)
{
	size_t mark = c->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + c->plen, sizeof(c->path) - c->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen += (size_t)n < sizeof(c->path) - c->plen ? (size_t)n
								 : sizeof(c->path) - c->plen - 1;
	return mark;
}

static void path_pop(struct pctx *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = '\0';
}

/* Records the first error: "<prefix><path>: <why>". Returns -EINVAL. */
static int fail(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct pctx *c, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	if (c->rc)
		return c->rc;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (c->plen == 0) {
		size_t pl = strlen(c->prefix);
		bool colon = pl >= 2 && c->prefix[pl - 2] == ':';

		snprintf(c->err, c->errlen, "%s%s%s", c->prefix, colon ? "" : ": ", why);
	} else {
		snprintf(c->err, c->errlen, "%s%s: %s", c->prefix, c->path, why);
	}
	c->rc = -EINVAL;
	return c->rc;
}

static int oom(struct pctx *c)
{
	if (!c->rc) {
		snprintf(c->err, c->errlen, "%sout of memory", c->prefix);
		c->rc = -ENOMEM;
	}
	return c->rc;
}

static void warn(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct pctx *c, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	buf_printf(&c->warn, "%s%s: %s\n", c->prefix, c->path, why);
}

static const cJSON *member(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* Absent, or null (YAML "key:" with nothing) */
static bool absent(const cJSON *v)
{
	return !v || cJSON_IsNull(v);
}

static char *dup_or_oom(struct pctx *c, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		oom(c);
	return d;
}

/* An optional whole number in [lo, hi]; absent or null leaves *out. */
static int get_int(struct pctx *c, const cJSON *o, const char *key, long lo, long hi, long *out)
{
	const cJSON *v = member(o, key);
	size_t m;
	double d;

	if (absent(v))
		return 0;
	m = path_push(c, ".%s", key);
	if (!cJSON_IsNumber(v)) {
		fail(c, "must be a whole number");
		goto out;
	}
	d = v->valuedouble;
	if (!isfinite(d) || floor(d) != d) {
		fail(c, "must be a whole number");
		goto out;
	}
	if (d < (double)lo || d > (double)hi) {
		fail(c, "must be between %ld and %ld", lo, hi);
		goto out;
	}
	*out = (long)d;
out:
	path_pop(c, m);
	return c->rc;
}

/* An optional string; absent or null gives NULL. */
static int get_str(struct pctx *c, const cJSON *o, const char *key, const char **out)
{
	const cJSON *v = member(o, key);

	*out = NULL;
	if (absent(v))
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring) {
		size_t m = path_push(c, ".%s", key);

		fail(c, "must be a string");
		path_pop(c, m);
		return c->rc;
	}
	*out = v->valuestring;
	return 0;
}

/* A scalar as text: strings as they are, whole numbers without a fraction, booleans. */
static int scalar_text(const cJSON *v, char *out, size_t outlen)
{
	if (cJSON_IsString(v) && v->valuestring) {
		snprintf(out, outlen, "%s", v->valuestring);
		return 0;
	}
	if (cJSON_IsBool(v)) {
		snprintf(out, outlen, "%s", cJSON_IsTrue(v) ? "true" : "false");
		return 0;
	}
	if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
		if (floor(v->valuedouble) == v->valuedouble && fabs(v->valuedouble) < 1e15)
			snprintf(out, outlen, "%.0f", v->valuedouble);
		else
			snprintf(out, outlen, "%.17g", v->valuedouble);
		return 0;
	}
	return -EINVAL;
}

static bool is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool valid_header_name(const char *s)
{
	if (!s || !*s || strlen(s) > 256)
		return false;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

static bool valid_header_value(const char *s)
{
	if (!s || strlen(s) > 8192)
		return false;
	for (; *s; s++)
		if (*s == '\r' || *s == '\n' || ((unsigned char)*s < 0x20 && *s != '\t') ||
		    *s == 0x7f)
			return false;
	return true;
}

static int add_header(struct pctx *c, struct pr_probe *p, const char *name, const char *value)
{
	struct pr_header *h;

	if (p->n_headers == PR_MAX_HEADERS)
		return fail(c, "more than %d headers", PR_MAX_HEADERS);
	if (!valid_header_name(name))
		return fail(c, "\"%s\" is not a valid header name", name ? name : "");
	if (!valid_header_value(value))
		return fail(c, "the value of header %s holds a line break or a control character",
			    name);
	if (!p->headers) {
		p->headers = calloc(PR_MAX_HEADERS, sizeof(*p->headers));
		if (!p->headers)
			return oom(c);
	}
	h = &p->headers[p->n_headers];
	h->name = dup_or_oom(c, name);
	h->value = dup_or_oom(c, value);
	p->n_headers++;
	return c->rc;
}

/* IANA_SVC_NAME: 1-15 of [a-z0-9-], a letter somewhere, no leading/trailing/double '-'. */
static bool valid_port_name(const char *s)
{
	size_t n = strlen(s);
	bool letter = false;

	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
		return false;
	for (; *s; s++) {
		if (*s >= 'a' && *s <= 'z')
			letter = true;
		else if (!(*s >= '0' && *s <= '9') && *s != '-')
			return false;
	}
	return letter;
}

static int get_port(struct pctx *c, const cJSON *h, struct pr_probe *p)
{
	const cJSON *v = member(h, "port");
	size_t m = path_push(c, ".port");

	if (absent(v)) {
		fail(c, "required");
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (!isfinite(d) || floor(d) != d || d < 1 || d > 65535)
			fail(c, "must be between 1 and 65535");
		else
			p->port = (int)d;
	} else if (cJSON_IsString(v) && v->valuestring) {
		/* IntOrString: "8080" is a number written as a string */
		const char *s = v->valuestring;

		if (s[0] && strspn(s, "0123456789") == strlen(s)) {
			long x = strtol(s, NULL, 10);

			if (strlen(s) > 5 || x < 1 || x > 65535)
				fail(c, "must be between 1 and 65535");
			else
				p->port = (int)x;
		} else if (!valid_port_name(s)) {
			fail(c, "\"%s\" is neither a port number nor a port name", s);
		} else {
			p->port_name = dup_or_oom(c, s);
		}
	} else {
		fail(c, "must be a port number or a port name");
	}
	path_pop(c, m);
	return c->rc;
}

static int parse_exec(struct pctx *c, const cJSON *e, struct pr_probe *p)
{
	const cJSON *cmd = member(e, "command"), *a;
	size_t m = path_push(c, ".command"), total = 0, i = 0;
	int n;

	if (!cJSON_IsArray(cmd) || (n = cJSON_GetArraySize(cmd)) == 0) {
		fail(c, "must be a non-empty list of strings");
		goto out;
	}
	if (n > PR_MAX_ARGS) {
		fail(c, "more than %d entries", PR_MAX_ARGS);
		goto out;
	}
	cJSON_ArrayForEach(a, cmd)
	{
		if (!cJSON_IsString(a) || !a->valuestring) {
			fail(c, "must be a non-empty list of strings");
			goto out;
		}
		total += strlen(a->valuestring) + 1;
	}
	if (!cmd->child->valuestring[0]) {
		fail(c, "the first entry (the program) must not be empty");
		goto out;
	}
	if (total > PR_MAX_ARG_BYTES) {
		fail(c, "longer than %d bytes", PR_MAX_ARG_BYTES);
		goto out;
	}
	p->argv = calloc((size_t)n + 1, sizeof(char *));
	if (!p->argv) {
		oom(c);
		goto out;
	}
	cJSON_ArrayForEach(a, cmd)
	{
		p->argv[i] = dup_or_oom(c, a->valuestring);
		if (!p->argv[i])
			goto out;
		p->argc = ++i;
	}
out:
	path_pop(c, m);
	return c->rc;
}

static int check_no_host(struct pctx *c, const cJSON *h)
{
	if (!absent(member(h, "host"))) {
		size_t m = path_push(c, ".host");

		fail(c, "not supported: probes go to the pod's own IP");
		path_pop(c, m);
	}
	return c->rc;
}

static int parse_http_get(struct pctx *c, const cJSON *h, struct pr_probe *p)
{
	const char *path = NULL, *scheme = NULL;
	const cJSON *hdrs, *it;
	size_t i = 0;

	if (check_no_host(c, h) || get_port(c, h, p) || get_str(c, h, "path", &path) ||
	    get_str(c, h, "scheme", &scheme))
		return c->rc;
	if (scheme && scheme[0] && strcmp(scheme, "HTTP") != 0 && strcmp(scheme, "HTTPS") != 0) {
		size_t m = path_push(c, ".scheme");

		fail(c, "must be HTTP or HTTPS");
		path_pop(c, m);
		return c->rc;
	}
	p->https = scheme && strcmp(scheme, "HTTPS") == 0;
	if (!path || !path[0])
		path = "/";
	for (const char *s = path; *s; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f) {
			size_t m = path_push(c, ".path");

			fail(c, "must not contain spaces or control characters");
			path_pop(c, m);
			return c->rc;
		}
	}
	if (strlen(path) > 4000) {
		size_t m = path_push(c, ".path");

		fail(c, "longer than 4000 bytes");
		path_pop(c, m);
		return c->rc;
	}
	p->path = malloc(strlen(path) + 2);
	if (!p->path)
		return oom(c);
	snprintf(p->path, strlen(path) + 2, "%s%s", path[0] == '/' ? "" : "/", path);
	p->method = dup_or_oom(c, "GET");
	hdrs = member(h, "httpHeaders");
	if (absent(hdrs))
		return c->rc;
	if (!cJSON_IsArray(hdrs)) {
		size_t m = path_push(c, ".httpHeaders");

		fail(c, "must be a list of {name, value}");
		path_pop(c, m);
		return c->rc;
	}
	cJSON_ArrayForEach(it, hdrs)
	{
		size_t m = path_push(c, ".httpHeaders[%zu]", i++);
		const char *name = NULL, *value = NULL;

		if (!cJSON_IsObject(it))
			fail(c, "must be {name, value}");
		else if (!get_str(c, it, "name", &name) && !get_str(c, it, "value", &value))
			add_header(c, p, name, value ? value : "");
		path_pop(c, m);
		if (c->rc)
			break;
	}
	return c->rc;
}

static void probe_free(struct pr_probe *p)
{
	free(p->name);
	free(p->container);
	for (size_t i = 0; p->argv && p->argv[i]; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->path);
	free(p->port_name);
	for (size_t i = 0; i < p->n_headers; i++) {
		free(p->headers[i].name);
		free(p->headers[i].value);
	}
	free(p->headers);
	free(p->url);
	free(p->method);
	free(p->json_path);
	for (size_t i = 0; i < p->n_markers; i++) {
		free(p->markers[i].state);
		free(p->markers[i].ops_state);
	}
	free(p->markers);
	memset(p, 0, sizeof(*p));
}

void pr_spec_free(struct pr_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		probe_free(&s->probes[i]);
	free(s->probes);
	free(s->warnings);
	memset(s, 0, sizeof(*s));
}

bool pr_spec_has(const struct pr_spec *s, enum pr_kind k)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->probes[i].kind == k)
			return true;
	return false;
}

static int parse_quality(struct pctx *c, const cJSON *q, struct pr_probe *p)
{
	static const char *const handlers[] = {"exec", "httpGet", "tcpSocket"};
	const char *name = NULL, *container = NULL;
	const cJSON *perm, *h = NULL;
	int which = -1;

	if (!cJSON_IsObject(q))
		return fail(c, "must be an object");
	if (get_str(c, q, "name", &name))
		return c->rc;
	if (!name || !name[0] || strlen(name) > PR_MAX_NAME) {
		size_t m = path_push(c, ".name");

		fail(c, name && name[0] ? "longer than %d characters" : "required", PR_MAX_NAME);
		path_pop(c, m);
		return c->rc;
	}
	p->name = dup_or_oom(c, name);
	if (get_str(c, q, "containerName", &container))
		return c->rc;
	if (container && container[0])
		p->container = dup_or_oom(c, container);
	perm = member(q, "permanent");
	if (!absent(perm) && !cJSON_IsBool(perm)) {
		size_t m = path_push(c, ".permanent");

		fail(c, "must be true or false");
		path_pop(c, m);
		return c->rc;
	}
	p->permanent = cJSON_IsTrue(perm);
	if (!absent(member(q, "grpc"))) {
		size_t m = path_push(c, ".grpc");

		fail(c, "gRPC probes are not supported; use exec, httpGet or tcpSocket");
		path_pop(c, m);
		return c->rc;
	}
	for (int i = 0; i < 3; i++) {
		const cJSON *v = member(q, handlers[i]);

		if (absent(v))
			continue;
		if (which >= 0)
			return fail(c, "has both %s and %s; give exactly one", handlers[which],
				    handlers[i]);
		which = i;
		h = v;
	}
	if (which < 0)
		return fail(c, "needs one of exec, httpGet or tcpSocket");
	{
		size_t m = path_push(c, ".%s", handlers[which]);

		if (!cJSON_IsObject(h))
			fail(c, "must be an object");
		else if (which == 0)
			parse_exec(c, h, p);
		else if (which == 1)
			parse_http_get(c, h, p);
		else if (!check_no_host(c, h))
			get_port(c, h, p);
		path_pop(c, m);
	}
	p->kind = which == 0 ? PR_EXEC : which == 1 ? PR_HTTP : PR_TCP;
	p->initial_delay = p->period = p->timeout = p->success_th = p->failure_th = 0;
	if (get_int(c, q, "initialDelaySeconds", 0, PR_MAX_SECONDS, &p->initial_delay) ||
	    get_int(c, q, "periodSeconds", 0, PR_MAX_SECONDS, &p->period) ||
	    get_int(c, q, "timeoutSeconds", 0, PR_MAX_SECONDS, &p->timeout) ||
	    get_int(c, q, "successThreshold", 0, PR_MAX_SECONDS, &p->success_th) ||
	    get_int(c, q, "failureThreshold", 0, PR_MAX_SECONDS, &p->failure_th))
		return c->rc;
	if (p->initial_delay == 0)
		p->initial_delay = DEF_INITIAL_DELAY;
	if (p->period == 0)
		p->period = DEF_PERIOD;
	if (p->timeout == 0)
		p->timeout = DEF_TIMEOUT;
	if (p->success_th == 0)
		p->success_th = DEF_SUCCESS;
	if (p->failure_th == 0)
		p->failure_th = DEF_FAILURE;
	return c->rc;
}

static void ctx_init(struct pctx *c, const char *prefix, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->prefix, sizeof(c->prefix), "%s", prefix);
	c->err = err;
	c->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	buf_init(&c->warn, 16 * 1024);
}

/* Ends a parse: on success hands over the warnings, on failure frees the half-built spec. */
static int ctx_finish(struct pctx *c, struct pr_spec *out)
{
	if (c->rc) {
		pr_spec_free(out);
		buf_free(&c->warn);
		return c->rc;
	}
	out->warnings = c->warn.len ? buf_steal(&c->warn) : NULL;
	buf_free(&c->warn);
	return 0;
}

static int check_unique(struct pctx *c, const struct pr_spec *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(s->probes[i].name, s->probes[j].name) == 0) {
				size_t m = path_push(c, "[%zu].name", i);

				fail(c, "\"%s\" is also the name of entry %zu", s->probes[i].name,
				     j);
				path_pop(c, m);
				return c->rc;
			}
		}
	}
	return 0;
}

int pr_spec_parse_probes(const char *text, size_t len, struct pr_spec *out, char *err,
			 size_t errlen)
{
	struct pctx c;
	cJSON *root = NULL;
	const cJSON *q;
	const char *end = NULL;
	int n;

	memset(out, 0, sizeof(*out));
	ctx_init(&c, "OKG_PROBES", err, errlen);
	if (!text || len == 0) {
		fail(&c, "empty: expected a JSON array of probes");
		goto out;
	}
	if (len > PR_MAX_SPEC_BYTES) {
		fail(&c, "longer than %u bytes", PR_MAX_SPEC_BYTES);
		goto out;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;

		fail(&c, "not valid JSON (near byte %zu)", at);
		goto out;
	}
	if (end) {
		while ((size_t)(end - text) < len && (*end == ' ' || *end == '\n' || *end == '\t' ||
						      *end == '\r' || *end == '\0'))
			end++;
		if ((size_t)(end - text) < len) {
			fail(&c, "unexpected text after the JSON value (byte %zu)",
			     (size_t)(end - text));
			goto out;
		}
	}
	if (!cJSON_IsArray(root)) {
		fail(&c, "must be a JSON array of probes");
		goto out;
	}
	n = cJSON_GetArraySize(root);
	if (n == 0 || n > PR_MAX_PROBES) {
		fail(&c, n ? "more than %d probes" : "must list at least one probe", PR_MAX_PROBES);
		goto out;
	}
	out->probes = calloc((size_t)n, sizeof(*out->probes));
	if (!out->probes) {
		oom(&c);
		goto out;
	}
	cJSON_ArrayForEach(q, root)
	{
		size_t m = path_push(&c, "[%zu]", out->n);

		out->n++;
		parse_quality(&c, q, &out->probes[out->n - 1]);
		path_pop(&c, m);
		if (c.rc)
			goto out;
	}
	check_unique(&c, out);
out:
	cJSON_Delete(root);
	return ctx_finish(&c, out);
}

/* --- the sidecar's config.yaml ---------------------------------------------------------------- */

/* Notes the keys of o that okg does not act on. */
static void warn_ignored(struct pctx *c, const cJSON *o, const char *const *keys, size_t n,
			 const char *why)
{
	for (size_t i = 0; i < n; i++) {
		if (!absent(member(o, keys[i]))) {
			size_t m = path_push(c, ".%s", keys[i]);

			warn(c, "%s", why);
			path_pop(c, m);
		}
	}
}

static int parse_markers(struct pctx *c, const cJSON *list, struct pr_probe *p)
{
	static const char *const ignored[] = {"labels", "annotations", "jsonPathConfigs"};
	const cJSON *it;
	size_t i = 0;
	int n;

	if (!cJSON_IsArray(list))
		return fail(c, "must be a list of {state, gameServerOpsState}");
	n = cJSON_GetArraySize(list);
	if (n > 256)
		return fail(c, "more than 256 entries");
	if (n == 0)
		return 0;
	p->markers = calloc((size_t)n, sizeof(*p->markers));
	if (!p->markers)
		return oom(c);
	cJSON_ArrayForEach(it, list)
	{
		size_t m = path_push(c, "[%zu]", i++);
		const cJSON *st = member(it, "state");
		const char *ops = NULL;
		char text[1100];

		if (!cJSON_IsObject(it)) {
			fail(c, "must be {state, gameServerOpsState}");
		} else if (absent(st)) {
			size_t m2 = path_push(c, ".state");

			fail(c, "required");
			path_pop(c, m2);
		} else if (scalar_text(st, text, sizeof(text)) < 0 || strlen(text) > 1024) {
			size_t m2 = path_push(c, ".state");

			fail(c, "must be a string of at most 1024 bytes");
			path_pop(c, m2);
		} else if (!get_str(c, it, "gameServerOpsState", &ops)) {
			struct pr_marker *mk = &p->markers[p->n_markers++];

			mk->state = dup_or_oom(c, text);
			if (ops && ops[0])
				mk->ops_state = dup_or_oom(c, ops);
			warn_ignored(
			    c, it, ignored, 3,
			    "accepted but not applied: okg applies gameServerOpsState only");
		}
		path_pop(c, m);
		if (c->rc)
			return c->rc;
	}
	return 0;
}

static int parse_storage(struct pctx *c, const cJSON *sc, struct pr_probe *p)
{
	static const char *const ignored[] = {"annotationKey", "labelKey", "target"};
	const char *type = NULL, *jp = NULL;
	const cJSON *ik;
	size_t m;

	if (absent(sc))
		return 0;
	m = path_push(c, ".storageConfig");
	if (!cJSON_IsObject(sc)) {
		fail(c, "must be a mapping");
		goto out;
	}
	if (get_str(c, sc, "type", &type))
		goto out;
	if (type && type[0] && strcmp(type, "InKube") != 0) {
		size_t m2 = path_push(c, ".type");

		if (strcmp(type, "HTTPMetric") == 0)
			warn(c, "HTTPMetric storage is not supported; the result is only reported");
		else
			fail(c, "must be InKube or HTTPMetric");
		path_pop(c, m2);
		goto out;
	}
	ik = member(sc, "inKube");
	if (absent(ik))
		goto out;
	path_push(c, ".inKube");
	if (!cJSON_IsObject(ik)) {
		fail(c, "must be a mapping");
		goto out;
	}
	if (get_str(c, ik, "jsonPath", &jp))
		goto out;
	if (jp && jp[0]) {
		if (strcmp(jp, "/spec/opsState") == 0) {
			p->ops_from_data = true;
		} else {
			size_t m2 = path_push(c, ".jsonPath");

			warn(c, "only /spec/opsState is applied; \"%s\" is ignored", jp);
			path_pop(c, m2);
		}
	}
	warn_ignored(c, ik, ignored, 3, "accepted but not applied: okg applies the opsState only");
	if (!absent(member(ik, "markerPolices"))) {
		size_t m2 = path_push(c, ".markerPolices");

		parse_markers(c, member(ik, "markerPolices"), p);
		path_pop(c, m2);
	}
out:
	path_pop(c, m);
	return c->rc;
}

static int parse_endpoint(struct pctx *c, const cJSON *e, struct pr_probe *p, long delay,
			  long interval, size_t index)
{
	static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};
	const char *url = NULL, *method = NULL;
	const cJSON *hdrs, *jpc;
	struct pr_url u;
	char why[200], name[64];
	long timeout = 0, expected = 0;

	if (!cJSON_IsObject(e))
		return fail(c, "must be a mapping");
	snprintf(name, sizeof(name), "http_probe-%zu", index);
	p->name = dup_or_oom(c, name);
	p->kind = PR_HTTP;
	if (get_str(c, e, "url", &url))
		return c->rc;
	{
		size_t m = path_push(c, ".url");

		if (!url || !url[0])
			fail(c, "required");
		else if (pr_url_parse(url, &u, why, sizeof(why)) < 0)
			fail(c, "%s", why);
		path_pop(c, m);
		if (c->rc)
			return c->rc;
	}
	p->url = dup_or_oom(c, url);
	p->https = u.https;
	if (get_str(c, e, "method", &method))
		return c->rc;
	if (!method || !method[0])
		method = "GET";
	{
		bool ok = false;

		for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			ok |= strcmp(method, methods[i]) == 0;
		if (!ok) {
			size_t m = path_push(c, ".method");

			fail(c, "must be one of GET, HEAD, POST, PUT, DELETE, OPTIONS");
			path_pop(c, m);
			return c->rc;
		}
	}
	p->method = dup_or_oom(c, method);
	if (get_int(c, e, "timeout", -PR_MAX_SECONDS, PR_MAX_SECONDS, &timeout) ||
	    get_int(c, e, "expectedStatusCode", 0, 599, &expected))
		return c->rc;
	if (expected != 0 && expected < 100) {
		size_t m = path_push(c, ".expectedStatusCode");

		fail(c, "must be between 100 and 599");
		path_pop(c, m);
		return c->rc;
	}
	p->expected_status = expected ? (int)expected : 200;
	hdrs = member(e, "headers");
	if (!absent(hdrs)) {
		const cJSON *h;
		size_t m = path_push(c, ".headers");

		const cJSON *hmap = cJSON_IsObject(hdrs) ? hdrs : NULL;

		if (!hmap)
			fail(c, "must be a mapping of header names to values");
		cJSON_ArrayForEach(h, hmap)
		{
			char v[8200];
			size_t m2 = path_push(c, ".%s", h->string ? h->string : "");

			if (scalar_text(h, v, sizeof(v)) < 0)
				fail(c, "must be a string");
			else
				add_header(c, p, h->string, v);
			path_pop(c, m2);
			if (c->rc)
				break;
		}
		path_pop(c, m);
		if (c->rc)
			return c->rc;
	}
	jpc = member(e, "jsonPathConfig");
	if (!absent(jpc)) {
		const char *jp = NULL;
		size_t m = path_push(c, ".jsonPathConfig");

		if (!cJSON_IsObject(jpc)) {
			fail(c, "must be a mapping with jsonPath");
		} else if (!get_str(c, jpc, "jsonPath", &jp)) {
			if (!jp || !jp[0] || strlen(jp) > 1024) {
				size_t m2 = path_push(c, ".jsonPath");

				fail(c, jp && jp[0] ? "longer than 1024 bytes" : "required");
				path_pop(c, m2);
			} else {
				p->json_path = dup_or_oom(c, jp);
			}
		}
		path_pop(c, m);
		if (c->rc)
			return c->rc;
	}
	if (parse_storage(c, member(e, "storageConfig"), p))
		return c->rc;
	p->initial_delay = delay;
	p->period = interval;
	p->timeout = timeout > 0 ? timeout : SC_DEF_TIMEOUT;
	p->success_th = 1;
	p->failure_th = 1;
	return c->rc;
}

static int parse_http_probe(struct pctx *c, const cJSON *cfg, struct pr_spec *out, size_t *capacity)
{
	const cJSON *eps, *e;
	long delay = 0, interval = 0;
	size_t i = 0;

	if (!cJSON_IsObject(cfg))
		return fail(c, "must be a mapping with endpoints");
	if (get_int(c, cfg, "startDelaySeconds", -PR_MAX_SECONDS, PR_MAX_SECONDS, &delay) ||
	    get_int(c, cfg, "probeIntervalSeconds", -PR_MAX_SECONDS, PR_MAX_SECONDS, &interval))
		return c->rc;
	if (delay <= 0)
		delay = SC_DEF_DELAY;
	if (interval <= 0)
		interval = SC_DEF_INTERVAL;
	eps = member(cfg, "endpoints");
	if (absent(eps) || !cJSON_IsArray(eps) || cJSON_GetArraySize(eps) == 0) {
		size_t m = path_push(c, ".endpoints");

		fail(c, "must be a non-empty list of endpoints");
		path_pop(c, m);
		return c->rc;
	}
	cJSON_ArrayForEach(e, eps)
	{
		size_t m = path_push(c, ".endpoints[%zu]", i++);

		if (out->n == PR_MAX_PROBES) {
			fail(c, "more than %d endpoints", PR_MAX_PROBES);
		} else {
			if (out->n == *capacity) {
				size_t nc = *capacity ? *capacity * 2 : 4;
				struct pr_probe *np;

				if (nc > PR_MAX_PROBES)
					nc = PR_MAX_PROBES;
				np = realloc(out->probes, nc * sizeof(*np));
				if (!np) {
					oom(c);
					path_pop(c, m);
					return c->rc;
				}
				memset(np + *capacity, 0, (nc - *capacity) * sizeof(*np));
				out->probes = np;
				*capacity = nc;
			}
			out->n++;
			parse_endpoint(c, e, &out->probes[out->n - 1], delay, interval, out->n - 1);
		}
		path_pop(c, m);
		if (c->rc)
			return c->rc;
	}
	return 0;
}

static int sidecar_doc(struct pctx *c, const cJSON *root, struct pr_spec *out)
{
	const cJSON *plugins, *pl;
	size_t i = 0, capacity = 0;

	out->sidecar = true;
	if (!cJSON_IsObject(root))
		return fail(c, "must be a mapping with plugins");
	plugins = member(root, "plugins");
	if (absent(plugins) || !cJSON_IsArray(plugins)) {
		path_push(c, "plugins");
		return fail(c, absent(plugins) ? "required" : "must be a list of plugins");
	}
	cJSON_ArrayForEach(pl, plugins)
	{
		const char *name = NULL;
		size_t m = path_push(c, "plugins[%zu]", i++);

		if (!cJSON_IsObject(pl)) {
			fail(c, "must be a mapping with name and config");
		} else if (!get_str(c, pl, "name", &name)) {
			if (!name || strcmp(name, "http_probe") != 0) {
				warn(c, "plugin \"%s\" is not run by okg", name ? name : "");
			} else {
				size_t m2 = path_push(c, ".config");

				parse_http_probe(c, member(pl, "config"), out, &capacity);
				path_pop(c, m2);
			}
		}
		path_pop(c, m);
		if (c->rc)
			return c->rc;
	}
	if (out->n == 0) {
		path_push(c, "plugins");
		return fail(c, "no http_probe plugin with endpoints");
	}
	return 0;
}

/* Messages of the sidecar parser read "<file>: plugins[0].config.endpoints[0].url: why". */
int pr_spec_parse_sidecar(const char *text, size_t len, const char *path, struct pr_spec *out,
			  char *err, size_t errlen)
{
	struct pctx c;
	cJSON *root = NULL;
	char prefix[300], yerr[256];
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(prefix, sizeof(prefix), "%s: ", path ? path : "sidecar config");
	ctx_init(&c, prefix, err, errlen);
	r = yj_parse(text ? text : "", text ? len : 0, &root, yerr, sizeof(yerr));
	if (r < 0) {
		if (r == -ENOMEM)
			oom(&c);
		else
			snprintf(err, errlen, "%s%s", prefix, yerr);
		c.rc = c.rc ? c.rc : r;
		goto out;
	}
	sidecar_doc(&c, root, out);
out:
	cJSON_Delete(root);
	return ctx_finish(&c, out);
}

int pr_spec_load_sidecar(const char *path, struct pr_spec *out, char *err, size_t errlen)
{
	struct pctx c;
	cJSON *root = NULL;
	char prefix[300];
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(prefix, sizeof(prefix), "%s: ", path);
	ctx_init(&c, prefix, err, errlen);
	r = yj_parse_file(path, &root, err, errlen); /* its messages start with "<path>: " */
	if (r < 0) {
		c.rc = r;
		goto out;
	}
	sidecar_doc(&c, root, out);
out:
	cJSON_Delete(root);
	return ctx_finish(&c, out);
}
