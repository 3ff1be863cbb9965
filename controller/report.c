#include "controller/report.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/objects.h"

#define RP_MAX_RESULTS 64
#define RP_RESULT_MAX  1024

void rp_report_free(struct rp_report *r)
{
	if (!r)
		return;
	cJSON_Delete(r->results);
	r->results = NULL;
}

static int copy_field(const cJSON *root, const char *key, char *dst, size_t len, char *err,
		      size_t errlen)
{
	const char *v = obj_str(root, key);

	if (!v || !*v || strlen(v) >= len) {
		snprintf(err, errlen, "%s: required, a string of at most %zu characters", key,
			 len - 1);
		return -EINVAL;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* A two-digit field of a time within [lo, hi]. */
static bool two_digits(const char *s, int lo, int hi)
{
	int v;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return false;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v >= lo && v <= hi;
}

/* RFC 3339 date-time (the CRD's format: date-time): 2024-05-01T10:00:00[.frac](Z|+hh:mm). */
static bool rfc3339(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	if (s[4] != '-' || !two_digits(s + 5, 1, 12) || s[7] != '-' || !two_digits(s + 8, 1, 31) ||
	    s[10] != 'T' || !two_digits(s + 11, 0, 23) || s[13] != ':' ||
	    !two_digits(s + 14, 0, 59) || s[16] != ':' || !two_digits(s + 17, 0, 60))
		return false;
	s += 19;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z')
		return s[1] == '\0';
	return (*s == '+' || *s == '-') && two_digits(s + 1, 0, 23) && s[3] == ':' &&
	       two_digits(s + 4, 0, 59) && s[6] == '\0';
}

int rp_parse(const char *body, size_t len, struct rp_report *out, char *err, size_t errlen)
{
	cJSON *root = NULL;
	const cJSON *results, *it;
	int r = -EINVAL, i = 0;

	memset(out, 0, sizeof(*out));
	if (len > RP_BODY_MAX) {
		snprintf(err, errlen, "body: larger than %u bytes", RP_BODY_MAX);
		return -E2BIG;
	}
	root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "body: not a JSON object");
		goto out;
	}
	if (copy_field(root, "namespace", out->ns, sizeof(out->ns), err, errlen) < 0 ||
	    copy_field(root, "pod", out->pod, sizeof(out->pod), err, errlen) < 0 ||
	    copy_field(root, "podUID", out->uid, sizeof(out->uid), err, errlen) < 0)
		goto out;
	results = cJSON_GetObjectItemCaseSensitive(root, "results");
	if (!cJSON_IsArray(results) || cJSON_GetArraySize(results) > RP_MAX_RESULTS) {
		snprintf(err, errlen, "results: must be a list of at most %d entries",
			 RP_MAX_RESULTS);
		goto out;
	}
	cJSON_ArrayForEach(it, results)
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "state");
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(it, "result");
		const cJSON *pt = cJSON_GetObjectItemCaseSensitive(it, "probeTime");
		const char *name = obj_str(it, "name");

		if (!name || !*name || strlen(name) > 63) {
			snprintf(err, errlen, "results[%d].name: required, at most 63 characters",
				 i);
			goto out;
		}
		if (!cJSON_IsBool(st) && !cJSON_IsNull(st)) {
			snprintf(err, errlen, "results[%d].state: must be true, false or null", i);
			goto out;
		}
		if (res && (!cJSON_IsString(res) || strlen(res->valuestring) > RP_RESULT_MAX)) {
			snprintf(err, errlen, "results[%d].result: a string of at most %d bytes", i,
				 RP_RESULT_MAX);
			goto out;
		}
		/* It becomes lastProbeTime, which the API server checks. */
		if (pt && !cJSON_IsNull(pt) && !(cJSON_IsString(pt) && rfc3339(pt->valuestring))) {
			snprintf(err, errlen, "results[%d].probeTime: an RFC 3339 time or null", i);
			goto out;
		}
		i++;
	}
	out->results = cJSON_DetachItemFromObjectCaseSensitive(root, "results");
	r = out->results ? 0 : -ENOMEM;
out:
	cJSON_Delete(root);
	return r;
}

int rp_results_view(const cJSON *results, struct sq_result **out, size_t *n)
{
	const cJSON *it;
	size_t k = 0;

	*out = calloc((size_t)cJSON_GetArraySize(results) + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	cJSON_ArrayForEach(it, results)
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "state");
		struct sq_result *s = &(*out)[k++];

		s->name = obj_str(it, "name");
		s->state = cJSON_IsTrue(st) ? 1 : (cJSON_IsFalse(st) ? 0 : -1);
		s->result = obj_str(it, "result") ? obj_str(it, "result") : "";
		s->probe_time = obj_str(it, "probeTime");
		s->ops_state = obj_str(it, "opsState");
	}
	*n = k;
	return 0;
}

struct entry {
	char key[510];
	char uid[64];
	cJSON *results;
	char applied_rv[64];
	struct entry *next;
};

struct rp_store {
	pthread_mutex_t lock;
	struct entry *head;
};

int rp_store_new(struct rp_store **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	pthread_mutex_init(&(*out)->lock, NULL);
	return 0;
}

void rp_store_free(struct rp_store *s)
{
	if (!s)
		return;
	while (s->head) {
		struct entry *e = s->head;

		s->head = e->next;
		cJSON_Delete(e->results);
		free(e);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static struct entry *find(struct rp_store *s, const char *ns, const char *pod)
{
	char key[510];

	snprintf(key, sizeof(key), "%s/%s", ns, pod);
	for (struct entry *e = s->head; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

static bool same_str(const cJSON *a, const cJSON *b, const char *key)
{
	const char *x = obj_str(a, key), *y = obj_str(b, key);

	return x && y ? strcmp(x, y) == 0 : x == y;
}

/* Whether two result lists say the same to sq_evaluate: per quality, in order, the name,
 * state, result and opsState. Probe times and messages may differ. */
static bool same_outcome(const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y;

	if (!a || !b || cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
		return false;
	for (x = a->child, y = b->child; x && y; x = x->next, y = y->next) {
		const cJSON *sx = cJSON_GetObjectItemCaseSensitive(x, "state");
		const cJSON *sy = cJSON_GetObjectItemCaseSensitive(y, "state");

		if (!same_str(x, y, "name") || !same_str(x, y, "result") ||
		    !same_str(x, y, "opsState") || cJSON_IsTrue(sx) != cJSON_IsTrue(sy) ||
		    cJSON_IsFalse(sx) != cJSON_IsFalse(sy))
			return false;
	}
	return true;
}

int rp_store_put(struct rp_store *s, struct rp_report *r)
{
	struct entry *e;
	int changed;

	pthread_mutex_lock(&s->lock);
	e = find(s, r->ns, r->pod);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			pthread_mutex_unlock(&s->lock);
			return -ENOMEM;
		}
		snprintf(e->key, sizeof(e->key), "%s/%s", r->ns, r->pod);
		e->next = s->head;
		s->head = e;
	}
	changed = strcmp(e->uid, r->uid) != 0 || !same_outcome(e->results, r->results);
	if (strcmp(e->uid, r->uid) != 0)
		e->applied_rv[0] = '\0';
	snprintf(e->uid, sizeof(e->uid), "%s", r->uid);
	cJSON_Delete(e->results);
	e->results = r->results;
	r->results = NULL;
	pthread_mutex_unlock(&s->lock);
	return changed;
}

cJSON *rp_store_get(struct rp_store *s, const char *ns, const char *pod, const char *uid)
{
	struct entry *e;
	cJSON *copy = NULL;

	pthread_mutex_lock(&s->lock);
	e = find(s, ns, pod);
	if (e && uid && !strcmp(e->uid, uid) && e->results)
		copy = cJSON_Duplicate(e->results, 1);
	pthread_mutex_unlock(&s->lock);
	return copy;
}

void rp_store_remove(struct rp_store *s, const char *ns, const char *pod)
{
	char key[510];

	snprintf(key, sizeof(key), "%s/%s", ns, pod);
	pthread_mutex_lock(&s->lock);
	for (struct entry **pp = &s->head; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->key, key)) {
			struct entry *e = *pp;

			*pp = e->next;
			cJSON_Delete(e->results);
			free(e);
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

void rp_store_mark_applied(struct rp_store *s, const char *ns, const char *pod, const char *rv)
{
	struct entry *e;

	pthread_mutex_lock(&s->lock);
	e = find(s, ns, pod);
	if (e)
		snprintf(e->applied_rv, sizeof(e->applied_rv), "%s", rv ? rv : "");
	pthread_mutex_unlock(&s->lock);
}

int rp_store_awaiting(struct rp_store *s, const char *ns, const char *pod, const char *cache_rv)
{
	struct entry *e;
	int awaiting = 0;

	pthread_mutex_lock(&s->lock);
	e = find(s, ns, pod);
	if (e && e->applied_rv[0] && cache_rv && !strcmp(e->applied_rv, cache_rv))
		awaiting = 1;
	pthread_mutex_unlock(&s->lock);
	return awaiting;
}
