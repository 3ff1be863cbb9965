#include "webhook/admission.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "webhook/jparse.h"
#include "webhook/validate.h"
#include "webhook/wjson.h"

#define API_V1	    "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"
#define GSS_GROUP   "game.kruise.io"
#define GSS_KIND    "GameServerSet"
/* Responses are small except denials listing many errors (capped in fielderr) and patches. */
#define RESPONSE_MAX (1024 * 1024)

/* Parts of a review no rule reads, left out of the tree: kubectl's last-applied copy of the
 * object (a JSON string full of escapes, often half of the body), managedFields and status. */
#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"
static const char *const drop_0[] = {"request", "object", "metadata", "managedFields", NULL};
static const char *const drop_1[] = {"request", "oldObject", "metadata", "managedFields", NULL};
static const char *const drop_2[] = {"request",	    "object",	  "metadata",
				     "annotations", LAST_APPLIED, NULL};
static const char *const drop_3[] = {"request",	    "oldObject",  "metadata",
				     "annotations", LAST_APPLIED, NULL};
static const char *const drop_4[] = {"request", "object", "status", NULL};
static const char *const drop_5[] = {"request", "oldObject", "status", NULL};
static const char *const *const drops[] = {drop_0, drop_1, drop_2, drop_3, drop_4, drop_5};
static const struct jp_opts parse_opts = {drops, sizeof(drops) / sizeof(drops[0])};

/* What the handlers need from the parsed request. All pointers borrow from the tree. */
struct review {
	const char *api; /* echoed apiVersion */
	const char *uid;
	const char *op;
	const cJSON *req;
	const char *group, *kind; /* request.kind, else the object's own */
	char group_buf[128];	  /* the group part of the object's apiVersion */
};

static const cJSON *member(const cJSON *o, const char *key)
{
	return jp_get(o, key);
}

static const char *str_of(const cJSON *v)
{
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static void copy_field(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

enum adm_route adm_route_of(const char *path)
{
	if (!path)
		return ADM_NONE;
	if (strcmp(path, ADM_PATH_VALIDATE) == 0 || strcmp(path, ADM_PATH_VALIDATE_SHORT) == 0)
		return ADM_VALIDATE;
	if (strcmp(path, ADM_PATH_MUTATE) == 0)
		return ADM_MUTATE;
	return ADM_NONE;
}

void adm_result_free(struct adm_result *r)
{
	if (!r)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int finish(struct wj *w, struct adm_result *out)
{
	int r = wj_finish(w, &out->body, &out->len);

	return r == -E2BIG ? -ENOMEM : r;
}

/* HTTP 400 with a Status body: the request was not an AdmissionReview we can answer. */
static int bad_request(struct adm_result *out, const char *msg)
{
	struct wj w;

	out->http_status = 400;
	out->allowed = false;
	out->code = 400;
	copy_field(out->reason, sizeof(out->reason), msg);
	wj_init(&w, RESPONSE_MAX);
	wj_raw(&w, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		   "\"status\":\"Failure\",\"message\":");
	wj_str(&w, msg);
	wj_raw(&w, ",\"reason\":\"BadRequest\",\"code\":400}");
	return finish(&w, out);
}

static void begin_review(struct wj *w, const struct review *rv, bool allowed)
{
	wj_raw(w, "{\"apiVersion\":");
	wj_str(w, rv->api);
	wj_raw(w, ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
	wj_str(w, rv->uid);
	wj_raw(w, allowed ? ",\"allowed\":true" : ",\"allowed\":false");
}

static void write_warnings(struct wj *w, const struct fe_list *l, struct adm_result *out)
{
	if (!l->n_warns && !l->dropped_warns)
		return;
	wj_raw(w, ",\"warnings\":");
	fe_write_warnings(w, l);
	out->n_warnings = (unsigned)(l->n_warns + (l->dropped_warns ? 1 : 0));
}

/* An AdmissionReview that refuses the request with a plain message (not field errors). */
static int deny(const struct review *rv, struct adm_result *out, int code, const char *reason,
		const char *msg)
{
	struct wj w;

	out->http_status = 200;
	out->allowed = false;
	out->code = code;
	copy_field(out->reason, sizeof(out->reason), msg);
	wj_init(&w, RESPONSE_MAX);
	begin_review(&w, rv, false);
	wj_raw(&w, ",\"status\":{\"metadata\":{},\"status\":\"Failure\",\"message\":");
	wj_str(&w, msg);
	wj_raw(&w, ",\"reason\":");
	wj_str(&w, reason);
	wj_raw(&w, ",\"code\":");
	wj_int(&w, code);
	wj_raw(&w, "}}}");
	return finish(&w, out);
}

/* An AdmissionReview that allows the request, with warnings and an optional JSON Patch. */
static int allow(const struct review *rv, struct adm_result *out, const struct fe_list *warn,
		 const char *patch, size_t patch_len)
{
	struct wj w;

	out->http_status = 200;
	out->allowed = true;
	wj_init(&w, RESPONSE_MAX);
	begin_review(&w, rv, true);
	if (warn)
		write_warnings(&w, warn, out);
	if (patch && patch_len) {
		wj_raw(&w, ",\"patchType\":\"JSONPatch\",\"patch\":\"");
		wj_base64(&w, patch, patch_len);
		wj_raw(&w, "\"");
		out->patched = true;
	}
	wj_raw(&w, "}}");
	return finish(&w, out);
}

static int review_gss(const struct review *rv, struct adm_result *out)
{
	const cJSON *obj = member(rv->req, "object");
	const cJSON *old = member(rv->req, "oldObject");
	const char *name;
	struct fe_list l;
	struct wj w;
	char msg[512];
	enum val_op vop;
	int r;

	if ((rv->group && strcmp(rv->group, GSS_GROUP) != 0) ||
	    (rv->kind && strcmp(rv->kind, GSS_KIND) != 0) || !rv->kind) {
		snprintf(msg, sizeof(msg),
			 "okg-webhook validates %s.%s only, not %s%s%s: check the rules of the "
			 "ValidatingWebhookConfiguration",
			 GSS_KIND, GSS_GROUP, rv->kind ? rv->kind : "an object without a kind",
			 rv->group && rv->group[0] ? "." : "", rv->group ? rv->group : "");
		return deny(rv, out, 400, "BadRequest", msg);
	}
	if (!rv->op)
		return deny(rv, out, 400, "BadRequest", "request.operation is missing");
	if (strcmp(rv->op, "CREATE") == 0)
		vop = VAL_CREATE;
	else if (strcmp(rv->op, "UPDATE") == 0)
		vop = VAL_UPDATE;
	else
		return allow(rv, out, NULL, NULL, 0); /* DELETE, CONNECT: nothing to check */
	if (!cJSON_IsObject(obj))
		return deny(rv, out, 400, "BadRequest", "request.object is missing");
	if (vop == VAL_UPDATE && !cJSON_IsObject(old))
		return deny(rv, out, 400, "BadRequest",
			    "request.oldObject is missing on an UPDATE");

	name = str_of(member(member(obj, "metadata"), "name"));
	if (!name || !name[0])
		name = str_of(member(rv->req, "name"));
	copy_field(out->name, sizeof(out->name), name);

	fe_init(&l);
	r = val_gss(obj, old, vop, &l);
	if (r < 0)
		goto out;
	if (!l.n_errs && !l.dropped_errs) {
		r = allow(rv, out, &l, NULL, 0);
		goto out;
	}
	out->http_status = 200;
	out->allowed = false;
	out->code = 422;
	out->n_errors = (unsigned)(l.n_errs + l.dropped_errs);
	if (l.n_errs)
		snprintf(out->reason, sizeof(out->reason), "%s: %s", l.errs[0].field,
			 l.errs[0].body);
	wj_init(&w, RESPONSE_MAX);
	begin_review(&w, rv, false);
	wj_raw(&w, ",\"status\":");
	fe_write_status(&w, &l, GSS_KIND, GSS_GROUP, name);
	write_warnings(&w, &l, out);
	wj_raw(&w, "}}");
	r = finish(&w, out);
out:
	fe_free(&l);
	return r;
}

static int review_pod(const struct review *rv, const struct adm_opts *o, struct adm_result *out)
{
	const cJSON *obj = member(rv->req, "object");
	struct fe_list warn;
	char *patch = NULL;
	size_t patch_len = 0;
	int r;

	fe_init(&warn);
	copy_field(out->name, sizeof(out->name),
		   str_of(member(member(obj, "metadata"), "name"))
		       ? str_of(member(member(obj, "metadata"), "name"))
		       : str_of(member(rv->req, "name")));
	/* A misrouted kind is left alone: this webhook fails open for pods. */
	if (!rv->kind || strcmp(rv->kind, "Pod") != 0 || (rv->group && rv->group[0])) {
		fe_warn(&warn, "okg-webhook mutates pods only; this %s was left unchanged",
			rv->kind ? rv->kind : "object");
		r = allow(rv, out, &warn, NULL, 0);
		goto out;
	}
	if (!rv->op || strcmp(rv->op, "CREATE") != 0) {
		r = allow(rv, out, NULL, NULL, 0); /* never patch UPDATE, DELETE or CONNECT */
		goto out;
	}
	if (!cJSON_IsObject(obj)) {
		r = deny(rv, out, 400, "BadRequest", "request.object is missing");
		goto out;
	}
	r = mut_pod(obj, &o->mut, &patch, &patch_len, &warn);
	if (r == 0)
		r = warn.err;
	if (r < 0)
		goto out;
	r = allow(rv, out, &warn, patch, patch_len);
out:
	free(patch);
	fe_free(&warn);
	return r;
}

int adm_handle(const char *path, const char *body, size_t len, const struct adm_opts *o,
	       struct adm_result *out)
{
	const cJSON *kind, *obj;
	struct jp_arena arena;
	struct review rv;
	cJSON *root = NULL;
	const char *why = NULL;
	size_t off = 0;
	char msg[160];
	int r;

	memset(out, 0, sizeof(*out));
	memset(&rv, 0, sizeof(rv));
	out->route = adm_route_of(path);
	if (out->route == ADM_NONE)
		return -ENOENT;
	/* a parsed review takes about three times its text (nodes and strings) */
	jp_arena_init(&arena, 4 * len + 1024);
	if (!body || len == 0) {
		r = bad_request(out, "the request body is empty; expected an AdmissionReview");
		goto out;
	}
	r = jp_parse(&arena, body, len, &parse_opts, &root, &off, &why);
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		snprintf(msg, sizeof(msg), "the request body is not valid JSON: %s at byte %zu",
			 why ? why : "syntax error", off);
		r = bad_request(out, msg);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		r = bad_request(out, "the request body must be a JSON object (an AdmissionReview)");
		goto out;
	}
	rv.api = str_of(member(root, "apiVersion"));
	if (!rv.api || (strcmp(rv.api, API_V1) != 0 && strcmp(rv.api, API_V1BETA1) != 0)) {
		r = bad_request(out, "apiVersion must be \"" API_V1 "\" or \"" API_V1BETA1 "\"");
		goto out;
	}
	if (!str_of(member(root, "kind")) ||
	    strcmp(member(root, "kind")->valuestring, "AdmissionReview") != 0) {
		r = bad_request(out, "kind must be \"AdmissionReview\"");
		goto out;
	}
	rv.req = member(root, "request");
	if (!cJSON_IsObject(rv.req)) {
		r = bad_request(out, "request is missing");
		goto out;
	}
	rv.uid = str_of(member(rv.req, "uid"));
	if (!rv.uid || !rv.uid[0]) {
		r = bad_request(out, "request.uid is missing");
		goto out;
	}
	rv.op = str_of(member(rv.req, "operation"));
	kind = member(rv.req, "kind");
	rv.group = str_of(member(kind, "group"));
	rv.kind = str_of(member(kind, "kind"));
	obj = member(rv.req, "object");
	if (!rv.kind && cJSON_IsObject(obj)) {
		/* No request.kind: fall back on the object's own apiVersion and kind. */
		const char *av = str_of(member(obj, "apiVersion"));
		const char *slash = av ? strchr(av, '/') : NULL;

		rv.kind = str_of(member(obj, "kind"));
		/* "group/version", or "v1" for the core group */
		snprintf(rv.group_buf, sizeof(rv.group_buf), "%.*s", slash ? (int)(slash - av) : 0,
			 av ? av : "");
		rv.group = rv.group_buf;
	}
	copy_field(out->uid, sizeof(out->uid), rv.uid);
	copy_field(out->op, sizeof(out->op), rv.op);
	copy_field(out->ns, sizeof(out->ns), str_of(member(rv.req, "namespace")));
	out->dry_run = cJSON_IsTrue(member(rv.req, "dryRun"));
	if (out->route == ADM_VALIDATE)
		r = review_gss(&rv, out);
	else
		r = review_pod(&rv, o, out);
out:
	jp_arena_free(&arena); /* the whole request tree */
	if (r < 0) {
		free(out->body);
		out->body = NULL;
		out->len = 0;
	}
	return r;
}
