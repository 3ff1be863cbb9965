#include "controller/sq.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/objects.h"
#include "lib/buf.h"

#define SQ_RESULT_MAX 1024
/* Nested {{if}}s a template may have: each level recurses, and templates come from users. */
#define SQ_TPL_DEPTH_MAX 32

void sq_outcome_free(struct sq_outcome *o)
{
	if (!o)
		return;
	free(o->gs_patch);
	free(o->status_patch);
	free(o->events);
	memset(o, 0, sizeof(*o));
}

char *sq_normalize(const char *result)
{
	size_t n = result ? strlen(result) : 0, o = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n && o < SQ_RESULT_MAX; i++)
		if (result[i] != '|' && result[i] != '\n' && result[i] != '\r')
			out[o++] = result[i];
	out[o] = '\0';
	return out;
}

/* --- the small template language ---------------------------------------------------------- */

struct tpl {
	const char *p;
	const char *result;
	struct buf *out;
	int depth;
	bool bad;
};

static void skip_space(struct tpl *t)
{
	while (*t->p == ' ' || *t->p == '\t')
		t->p++;
}

/* Parses one argument into buf (a copy of its text). */
static bool parse_arg(struct tpl *t, char *buf, size_t len)
{
	skip_space(t);
	if (strncmp(t->p, ".Result", 7) == 0) {
		snprintf(buf, len, "%s", t->result);
		t->p += 7;
		return true;
	}
	if (*t->p == '"') {
		const char *end = strchr(t->p + 1, '"');

		if (!end || (size_t)(end - t->p - 1) >= len)
			return false;
		memcpy(buf, t->p + 1, (size_t)(end - t->p - 1));
		buf[end - t->p - 1] = '\0';
		t->p = end + 1;
		return true;
	}
	if (isdigit((unsigned char)*t->p) || *t->p == '-') {
		size_t n = strspn(t->p, "-+.0123456789eE");

		if (n >= len)
			return false;
		memcpy(buf, t->p, n);
		buf[n] = '\0';
		t->p += n;
		return true;
	}
	return false;
}

static bool as_number(const char *s, double *out)
{
	char *end;

	if (!*s)
		return false;
	*out = strtod(s, &end);
	return *end == '\0';
}

static bool compare(const char *op, const char *a, const char *b, bool *ok)
{
	double x, y;
	int c;

	*ok = true;
	if (as_number(a, &x) && as_number(b, &y))
		c = (x > y) - (x < y);
	else
		c = strcmp(a, b) > 0 ? 1 : (strcmp(a, b) < 0 ? -1 : 0);
	if (!strcmp(op, "eq"))
		return c == 0;
	if (!strcmp(op, "ne"))
		return c != 0;
	if (!strcmp(op, "lt"))
		return c < 0;
	if (!strcmp(op, "le"))
		return c <= 0;
	if (!strcmp(op, "gt"))
		return c > 0;
	if (!strcmp(op, "ge"))
		return c >= 0;
	*ok = false;
	return false;
}

static void render_until(struct tpl *t, bool emit, const char *stop1, const char *stop2,
			 const char **stopped);

/* After "{{if": condition, then-branch, optional else-branch, "{{end}}". */
static void render_if(struct tpl *t, bool emit)
{
	char op[8], a[SQ_RESULT_MAX + 1], b[SQ_RESULT_MAX + 1];
	const char *stopped = NULL;
	size_t n;
	bool cond, ok;

	if (t->depth >= SQ_TPL_DEPTH_MAX) {
		t->bad = true;
		return;
	}
	skip_space(t);
	n = strspn(t->p, "abcdefghijklmnopqrstuvwxyz");
	if (n == 0 || n >= sizeof(op)) {
		t->bad = true;
		return;
	}
	memcpy(op, t->p, n);
	op[n] = '\0';
	t->p += n;
	if (!parse_arg(t, a, sizeof(a)) || !parse_arg(t, b, sizeof(b))) {
		t->bad = true;
		return;
	}
	skip_space(t);
	if (strncmp(t->p, "}}", 2) != 0) {
		t->bad = true;
		return;
	}
	t->p += 2;
	cond = compare(op, a, b, &ok);
	if (!ok) {
		t->bad = true;
		return;
	}
	t->depth++;
	render_until(t, emit && cond, "{{else}}", "{{end}}", &stopped);
	if (t->bad || !stopped) {
		t->bad = true;
		return;
	}
	if (!strcmp(stopped, "{{else}}")) {
		render_until(t, emit && !cond, "{{end}}", NULL, &stopped);
		if (t->bad || !stopped)
			t->bad = true;
	}
	t->depth--;
}

static void render_until(struct tpl *t, bool emit, const char *stop1, const char *stop2,
			 const char **stopped)
{
	*stopped = NULL;
	while (*t->p && !t->bad) {
		if (stop1 && strncmp(t->p, stop1, strlen(stop1)) == 0) {
			t->p += strlen(stop1);
			*stopped = stop1;
			return;
		}
		if (stop2 && strncmp(t->p, stop2, strlen(stop2)) == 0) {
			t->p += strlen(stop2);
			*stopped = stop2;
			return;
		}
		if (strncmp(t->p, "{{.Result}}", 11) == 0) {
			if (emit)
				buf_append_str(t->out, t->result);
			t->p += 11;
		} else if (strncmp(t->p, "{{if ", 5) == 0) {
			t->p += 5;
			render_if(t, emit);
		} else if (strncmp(t->p, "{{", 2) == 0) {
			t->bad = true;
		} else {
			if (emit)
				buf_append(t->out, t->p, 1);
			t->p++;
		}
	}
}

char *sq_render(const char *tmpl, const char *result, int *ok)
{
	struct buf out;
	struct tpl t = {.p = tmpl, .result = result ? result : "", .out = &out};
	const char *stopped;

	*ok = 1;
	if (!strstr(tmpl, "{{"))
		return strdup(tmpl);
	buf_init(&out, 64 * 1024);
	render_until(&t, true, NULL, NULL, &stopped);
	if (t.bad) {
		buf_free(&out);
		*ok = 0;
		return strdup(tmpl);
	}
	return buf_steal(&out);
}

/* --- evaluation ---------------------------------------------------------------------------- */

static const cJSON *find_named(const cJSON *arr, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		const char *n = obj_str(it, "name");

		if (n && !strcmp(n, name))
			return it;
	}
	return NULL;
}

static int add_event(struct sq_outcome *o, const char *type, const char *reason, const char *msg)
{
	struct sq_event *e = realloc(o->events, (o->n_events + 1) * sizeof(*e));

	if (!e)
		return -ENOMEM;
	o->events = e;
	e = &o->events[o->n_events++];
	snprintf(e->type, sizeof(e->type), "%s", type);
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	snprintf(e->message, sizeof(e->message), "%s", msg);
	return 0;
}

/* The working copy of what the actions may change. */
struct target {
	cJSON *spec;	    /* copy of gs.spec (owned) */
	cJSON *labels;	    /* changed labels (owned) */
	cJSON *annotations; /* changed annotations (owned) */
	bool changed;
};

static int set_field(cJSON *o, const char *key, cJSON *value)
{
	if (!value)
		return -ENOMEM;
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	return cJSON_AddItemToObject(o, key, value) ? 0 : -ENOMEM;
}

/* Go's strconv.Atoi into an int-or-string (int32): optional sign, digits, nothing else. */
static bool whole_number(const char *s, long *out)
{
	const char *digits = s + (*s == '+' || *s == '-');
	char *end;

	if (!isdigit((unsigned char)*digits))
		return false;
	errno = 0;
	*out = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && *out >= INT32_MIN && *out <= INT32_MAX;
}

/* A priority from an action: numbers as they are; strings rendered, and kept as an int when
 * they render to one. */
static int apply_priority(struct target *t, const cJSON *v, const char *field, const char *msg,
			  struct sq_outcome *o, const char *quality)
{
	char *r;
	int ok;
	long n;

	if (!v)
		return 0;
	if (cJSON_IsNumber(v))
		return set_field(t->spec, field, cJSON_CreateNumber(v->valuedouble));
	if (!cJSON_IsString(v))
		return 0;
	r = sq_render(v->valuestring, msg, &ok);
	if (!r)
		return -ENOMEM;
	if (!ok || !whole_number(r, &n)) {
		char m[1300];

		snprintf(m, sizeof(m),
			 "quality %s: %s \"%s\" with result \"%s\" is not a whole number; left "
			 "unchanged",
			 quality, field, v->valuestring, msg);
		free(r);
		return add_event(o, "Warning",
				 !strcmp(field, "deletionPriority") ? "InvalidDeletionPriority"
								    : "InvalidUpdatePriority",
				 m);
	}
	free(r);
	return set_field(t->spec, field, cJSON_CreateNumber((double)n));
}

static int apply_map(cJSON *dst, const cJSON *src, const char *msg)
{
	const cJSON *kv;

	cJSON_ArrayForEach(kv, src)
	{
		char *v;
		int ok;

		if (!cJSON_IsString(kv) || !kv->string)
			continue;
		v = sq_render(kv->valuestring, msg, &ok);
		if (!v || set_field(dst, kv->string, cJSON_CreateString(v)) < 0) {
			free(v);
			return -ENOMEM;
		}
		free(v);
	}
	return 0;
}

static int apply_action(struct target *t, const cJSON *act, const char *msg, struct sq_outcome *o,
			const char *quality)
{
	const char *ops = obj_str(act, "opsState");
	const cJSON *nd = cJSON_GetObjectItemCaseSensitive(act, "networkDisabled");
	const cJSON *ctrs = cJSON_GetObjectItemCaseSensitive(act, "containers"), *c;
	int r;

	if (ops && *ops) {
		int ok;
		char *v = sq_render(ops, msg, &ok);

		if (!v || set_field(t->spec, "opsState", cJSON_CreateString(v)) < 0) {
			free(v);
			return -ENOMEM;
		}
		free(v);
	}
	r = apply_priority(t, cJSON_GetObjectItemCaseSensitive(act, "deletionPriority"),
			   "deletionPriority", msg, o, quality);
	if (r == 0)
		r = apply_priority(t, cJSON_GetObjectItemCaseSensitive(act, "updatePriority"),
				   "updatePriority", msg, o, quality);
	if (r < 0)
		return r;
	if (cJSON_IsBool(nd) &&
	    set_field(t->spec, "networkDisabled", cJSON_CreateBool(cJSON_IsTrue(nd))) < 0)
		return -ENOMEM;
	/* Containers merge by name into the GameServer's own list. */
	cJSON_ArrayForEach(c, ctrs)
	{
		const char *name = obj_str(c, "name");
		cJSON *list = cJSON_GetObjectItemCaseSensitive(t->spec, "containers"), *it;
		bool found = false;

		if (!name)
			continue;
		if (!cJSON_IsArray(list)) {
			list = cJSON_CreateArray();
			if (set_field(t->spec, "containers", list) < 0)
				return -ENOMEM;
		}
		cJSON_ArrayForEach(it, list)
		{
			const char *n = obj_str(it, "name");

			if (n && !strcmp(n, name)) {
				const char *img = obj_str(c, "image");

				if (img && set_field(it, "image", cJSON_CreateString(img)) < 0)
					return -ENOMEM;
				found = true;
			}
		}
		if (!found && !cJSON_AddItemToArray(list, cJSON_Duplicate(c, 1)))
			return -ENOMEM;
	}
	if (apply_map(t->labels, cJSON_GetObjectItemCaseSensitive(act, "labels"), msg) < 0 ||
	    apply_map(t->annotations, cJSON_GetObjectItemCaseSensitive(act, "annotations"), msg) <
		0)
		return -ENOMEM;
	t->changed = true;
	return 0;
}

static cJSON *make_condition(const char *name, const char *status, const char *result,
			     const char *probe_time, const char *transition, const char *action)
{
	cJSON *c = cJSON_CreateObject();

	if (!c || !cJSON_AddStringToObject(c, "name", name) ||
	    !cJSON_AddStringToObject(c, "status", status) ||
	    /* An empty result is left out: kube-apiserver 1.20 turns "" inside a merge patch of
	     * this list into null and then refuses it as not a string. */
	    (result && *result && !cJSON_AddStringToObject(c, "result", result)) ||
	    (probe_time && *probe_time &&
	     !cJSON_AddStringToObject(c, "lastProbeTime", probe_time)) ||
	    (transition && *transition &&
	     !cJSON_AddStringToObject(c, "lastTransitionTime", transition)) ||
	    (action && *action &&
	     !cJSON_AddStringToObject(c, "lastActionTransitionTime", action))) {
		cJSON_Delete(c);
		return NULL;
	}
	return c;
}

static const struct sq_result *find_result(const struct sq_result *res, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (res[i].name && !strcmp(res[i].name, name))
			return &res[i];
	return NULL;
}

/* The changed fields of the working spec against the GameServer's, as patch members. */
static int diff_spec(const cJSON *old_spec, const cJSON *new_spec, cJSON *patch_spec, bool *any)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, new_spec)
	{
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(old_spec, f->string);

		if (o && cJSON_Compare(o, f, 1))
			continue;
		if (!cJSON_AddItemToObject(patch_spec, f->string, cJSON_Duplicate(f, 1)))
			return -ENOMEM;
		*any = true;
	}
	return 0;
}

static int diff_map(const cJSON *old_map, const cJSON *new_map, cJSON *patch_parent,
		    const char *key, bool *any)
{
	const cJSON *f;
	cJSON *m = NULL;

	cJSON_ArrayForEach(f, new_map)
	{
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(old_map, f->string);

		if (o && cJSON_Compare(o, f, 1))
			continue;
		if (!m && !(m = cJSON_AddObjectToObject(patch_parent, key)))
			return -ENOMEM;
		if (!cJSON_AddItemToObject(m, f->string, cJSON_Duplicate(f, 1)))
			return -ENOMEM;
		*any = true;
	}
	return 0;
}

int sq_evaluate(const cJSON *gss, const cJSON *gs, const struct sq_result *results, size_t n,
		const char *now, struct sq_outcome *out)
{
	const cJSON *sqs = obj_get(gss, "spec.serviceQualities");
	const cJSON *old_conds = obj_get(gs, "status.serviceQualitiesConditions");
	const char *gs_name = obj_str(gs, "metadata.name");
	struct target t = {0};
	cJSON *conds = NULL, *patch = NULL;
	bool conds_changed = false;
	int r = -ENOMEM;

	memset(out, 0, sizeof(*out));
	t.spec = cJSON_Duplicate(obj_get(gs, "spec"), 1);
	if (!t.spec)
		t.spec = cJSON_CreateObject();
	t.labels = cJSON_CreateObject();
	t.annotations = cJSON_CreateObject();
	conds = cJSON_CreateArray();
	if (!t.spec || !t.labels || !t.annotations || !conds)
		goto out;

	/* Declared qualities first, in the set's order; then sidecar results, which carry the
	 * opsState they ask for. */
	for (size_t pass = 0; pass < 2; pass++) {
		size_t count = pass == 0 ? (size_t)cJSON_GetArraySize(sqs) : n;

		for (size_t i = 0; i < count; i++) {
			const cJSON *sq = pass == 0 ? cJSON_GetArrayItem(sqs, (int)i) : NULL;
			const char *name = pass == 0 ? obj_str(sq, "name") : results[i].name;
			const struct sq_result *res;
			const cJSON *old;
			char *msg = NULL;
			const char *status, *old_status, *old_result, *old_action;
			bool changed, fired = false;
			cJSON *cond;

			if (!name ||
			    (pass == 1 && (find_named(sqs, name) || !results[i].ops_state ||
					   find_result(results, n, name) != &results[i])))
				continue;
			res = find_result(results, n, name);
			old = find_named(old_conds, name);
			if (!res || res->state < 0) {
				/* No outcome yet (helper starting, controller restarted): keep
				 * what the GameServer already says. */
				if (old && !cJSON_AddItemToArray(conds, cJSON_Duplicate(old, 1)))
					goto out;
				continue;
			}
			msg = sq_normalize(res->result);
			if (!msg)
				goto out;
			status = res->state ? "True" : "False";
			old_status = obj_str(old, "status");
			old_result = obj_str(old, "result");
			old_action = obj_str(old, "lastActionTransitionTime");
			changed = !old || !old_status || strcmp(old_status, status) ||
				  strcmp(old_result ? old_result : "", msg);
			if (!changed) {
				free(msg);
				if (!cJSON_AddItemToArray(conds, cJSON_Duplicate(old, 1)))
					goto out;
				continue;
			}
			if (!(old_action && *old_action &&
			      cJSON_IsTrue(obj_get(sq, "permanent")))) {
				const cJSON *act;
				char before[128];

				snprintf(before, sizeof(before), "%s",
					 obj_str(t.spec, "opsState") ? obj_str(t.spec, "opsState")
								     : "None");
				if (pass == 0) {
					cJSON_ArrayForEach(act, obj_get(sq, "serviceQualityAction"))
					{
						const cJSON *st = obj_get(act, "state");
						const char *want = obj_str(act, "result");

						if (!cJSON_IsBool(st) ||
						    cJSON_IsTrue(st) != (res->state == 1))
							continue;
						if (want && *want && strcmp(want, msg))
							continue;
						if (apply_action(&t, act, msg, out, name) < 0) {
							free(msg);
							goto out;
						}
						fired = true;
					}
				} else {
					cJSON *wanted = cJSON_CreateObject();

					if (!wanted ||
					    !cJSON_AddStringToObject(wanted, "opsState",
								     res->ops_state) ||
					    apply_action(&t, wanted, msg, out, name) < 0) {
						cJSON_Delete(wanted);
						free(msg);
						goto out;
					}
					cJSON_Delete(wanted);
					fired = true;
				}
				if (fired) {
					const char *after = obj_str(t.spec, "opsState");
					char m[1400];
					bool maint = after && !strcmp(after, "Maintaining");

					snprintf(
					    m, sizeof(m),
					    "GameServer %s: service quality %s is %s with result "
					    "\"%s\": opsState %s -> %s",
					    gs_name ? gs_name : "?", name, status, msg, before,
					    after ? after : "None");
					if (add_event(out, maint ? "Warning" : "Normal",
						      "ServiceQualityAction", m) < 0) {
						free(msg);
						goto out;
					}
				}
			}
			cond = make_condition(name, status, msg, res->probe_time, now,
					      fired ? now : old_action);
			free(msg);
			if (!cond || !cJSON_AddItemToArray(conds, cond)) {
				cJSON_Delete(cond);
				goto out;
			}
			conds_changed = true;
		}
	}
	if (t.changed) {
		bool any = false;
		cJSON *pspec, *meta;

		patch = cJSON_CreateObject();
		pspec = patch ? cJSON_AddObjectToObject(patch, "spec") : NULL;
		meta = patch ? cJSON_AddObjectToObject(patch, "metadata") : NULL;
		if (!pspec || !meta || diff_spec(obj_get(gs, "spec"), t.spec, pspec, &any) < 0 ||
		    diff_map(obj_get(gs, "metadata.labels"), t.labels, meta, "labels", &any) < 0 ||
		    diff_map(obj_get(gs, "metadata.annotations"), t.annotations, meta,
			     "annotations", &any) < 0)
			goto out;
		if (any) {
			out->gs_patch = cJSON_PrintUnformatted(patch);
			if (!out->gs_patch)
				goto out;
		}
	}
	if (conds_changed) {
		cJSON *sp = cJSON_CreateObject(), *st;

		st = sp ? cJSON_AddObjectToObject(sp, "status") : NULL;
		if (!st ||
		    !cJSON_AddItemReferenceToObject(st, "serviceQualitiesConditions", conds)) {
			cJSON_Delete(sp);
			goto out;
		}
		out->status_patch = cJSON_PrintUnformatted(sp);
		cJSON_Delete(sp);
		if (!out->status_patch)
			goto out;
	}
	r = 0;
out:
	cJSON_Delete(t.spec);
	cJSON_Delete(t.labels);
	cJSON_Delete(t.annotations);
	cJSON_Delete(conds);
	cJSON_Delete(patch);
	if (r < 0)
		sq_outcome_free(out);
	return r;
}
