#include "controller/ctl.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "controller/objects.h"
#include "controller/queue.h"
#include "controller/report.h"
#include "controller/sq.h"
#include "controller/scale.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/ordinal.h"

#define GSS_API		 "/apis/game.kruise.io/v1alpha1"
#define EXPECT_TIMEOUT_S 30.0

/* A write of ours not yet seen in the pod cache. Until it is, the set's pods are not counted
 * again, so one scale decision is never taken twice. */
struct expect {
	char key[320]; /* "ns/gss" */
	char pod[300];
	bool create;
	double deadline;
	struct expect *next;
};

struct ctl {
	struct kube_config cfg;
	struct ctl_opts opts;
	struct informer *gss, *gs, *pods;
	struct wq *q;
	pthread_t *workers;
	int nworkers;
	bool started;
	pthread_mutex_t exp_lock;
	struct expect *expects;
	struct ctl_stats stats;
	struct rp_store *reports;
	/* Per-set pod counts for the KEDA scaler, kept by the pod handlers so an answer costs
	 * a lookup, not a walk over every cached pod. */
	pthread_mutex_t count_lock;
	struct set_count *counts;
};

struct set_count {
	char *key; /* "namespace/set" */
	long total, none, wait_to_be_deleted;
	struct set_count *next;
};

#define OKG_ANNOTATION_PROBE_TOKEN "okg.game.kruise.io/probe-token"

/* One game server as the reconciler sees it: its pod and GameServer (copies, owned). */
struct srv {
	int ord;
	cJSON *pod;
	cJSON *gs;
};

struct view {
	const char *ns, *name;
	struct srv *s;
	size_t n, cap;
	int err;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void now_rfc3339(char *out, size_t outlen)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool leading(const struct ctl *c)
{
	return !c->opts.leading || *c->opts.leading;
}

/* --- expectations ------------------------------------------------------------------------ */

static void expect_add(struct ctl *c, const char *key, const char *pod, bool create)
{
	struct expect *e = calloc(1, sizeof(*e));

	if (!e)
		return; /* without it we may re-count once more: the next write fails safely */
	snprintf(e->key, sizeof(e->key), "%s", key);
	snprintf(e->pod, sizeof(e->pod), "%s", pod);
	e->create = create;
	e->deadline = mono_now() + EXPECT_TIMEOUT_S;
	pthread_mutex_lock(&c->exp_lock);
	e->next = c->expects;
	c->expects = e;
	pthread_mutex_unlock(&c->exp_lock);
}

static void expect_observe(struct ctl *c, const char *ns, const char *pod, bool created)
{
	pthread_mutex_lock(&c->exp_lock);
	for (struct expect **pp = &c->expects; *pp;) {
		struct expect *e = *pp;
		size_t nl = strlen(ns);

		if (e->create == created && strcmp(e->pod, pod) == 0 &&
		    strncmp(e->key, ns, nl) == 0 && e->key[nl] == '/') {
			*pp = e->next;
			free(e);
		} else {
			pp = &e->next;
		}
	}
	pthread_mutex_unlock(&c->exp_lock);
}

static bool expect_pending(struct ctl *c, const char *key)
{
	double now = mono_now();
	bool pending = false;

	pthread_mutex_lock(&c->exp_lock);
	for (struct expect **pp = &c->expects; *pp;) {
		struct expect *e = *pp;

		if (e->deadline < now) {
			LOG_WARNF("expectation_expired", "set=%s pod=%s create=%d", e->key, e->pod,
				  (int)e->create);
			*pp = e->next;
			free(e);
			continue;
		}
		if (strcmp(e->key, key) == 0)
			pending = true;
		pp = &e->next;
	}
	pthread_mutex_unlock(&c->exp_lock);
	return pending;
}

/* --- informer handlers -------------------------------------------------------------------- */

static void enqueue_obj(struct ctl *c, const cJSON *obj, bool is_gss)
{
	const char *ns = obj_str(obj, "metadata.namespace");
	const char *name =
	    is_gss ? obj_str(obj, "metadata.name") : obj_label(obj, OKG_LABEL_OWNER_GSS);
	char key[320];

	if (!ns || !name)
		return;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	wq_add(c->q, key);
}

static void gss_event(void *ud, const cJSON *obj)
{
	enqueue_obj(ud, obj, true);
}

static void gss_update(void *ud, const cJSON *old, const cJSON *obj)
{
	(void)old;
	enqueue_obj(ud, obj, true);
}

static void child_event(void *ud, const cJSON *obj)
{
	enqueue_obj(ud, obj, false);
}

static void child_update(void *ud, const cJSON *old, const cJSON *obj)
{
	(void)old;
	enqueue_obj(ud, obj, false);
}

/* Adds (sign 1) or removes (sign -1) what one pod contributes to its set's counts. The
 * informer hands on_update and on_delete the cached state, so removals match the additions. */
static void count_pod(struct ctl *c, const cJSON *pod, int sign)
{
	const char *ns = obj_str(pod, "metadata.namespace");
	const char *owner = obj_label(pod, OKG_LABEL_OWNER_GSS);
	/* The pod label mirrors the GameServer's opsState (the controller keeps it in step). */
	const char *ops = obj_label(pod, OKG_LABEL_OPS_STATE);
	struct set_count **pp, *e;
	char key[320];

	if (!ns || !owner || snprintf(key, sizeof(key), "%s/%s", ns, owner) >= (int)sizeof(key))
		return;
	pthread_mutex_lock(&c->count_lock);
	for (pp = &c->counts; *pp && strcmp((*pp)->key, key) != 0; pp = &(*pp)->next)
		;
	e = *pp;
	if (!e && sign > 0) {
		e = calloc(1, sizeof(*e));
		if (e && !(e->key = strdup(key))) {
			free(e);
			e = NULL;
		}
		if (e) {
			e->next = c->counts;
			c->counts = e;
			pp = &c->counts;
		}
	}
	if (e) {
		e->total += sign;
		if (!ops || !strcmp(ops, "None"))
			e->none += sign;
		else if (!strcmp(ops, "WaitToBeDeleted") &&
			 !obj_str(pod, "metadata.deletionTimestamp"))
			e->wait_to_be_deleted += sign;
		if (e->total <= 0) {
			*pp = e->next;
			free(e->key);
			free(e);
		}
	}
	pthread_mutex_unlock(&c->count_lock);
}

static void pod_add(void *ud, const cJSON *obj)
{
	struct ctl *c = ud;
	const char *ns = obj_str(obj, "metadata.namespace"), *name = obj_str(obj, "metadata.name");

	if (ns && name)
		expect_observe(c, ns, name, true);
	count_pod(c, obj, 1);
	enqueue_obj(c, obj, false);
}

static void pod_update(void *ud, const cJSON *old, const cJSON *obj)
{
	struct ctl *c = ud;
	const char *ns = obj_str(obj, "metadata.namespace"), *name = obj_str(obj, "metadata.name");

	count_pod(c, old, -1);
	count_pod(c, obj, 1);
	if (ns && name) {
		expect_observe(c, ns, name, true);
		if (obj_str(obj, "metadata.deletionTimestamp"))
			expect_observe(c, ns, name, false);
	}
	enqueue_obj(c, obj, false);
}

static void pod_delete(void *ud, const cJSON *obj)
{
	struct ctl *c = ud;
	const char *ns = obj_str(obj, "metadata.namespace"), *name = obj_str(obj, "metadata.name");

	if (ns && name) {
		expect_observe(c, ns, name, false);
		rp_store_remove(c->reports, ns, name);
	}
	count_pod(c, obj, -1);
	enqueue_obj(c, obj, false);
}

/* --- the view of one set ------------------------------------------------------------------ */

static struct srv *view_slot(struct view *v, int ord)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->s[i].ord == ord)
			return &v->s[i];
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 16;
		struct srv *p = realloc(v->s, nc * sizeof(*p));

		if (!p)
			return NULL;
		v->s = p;
		v->cap = nc;
	}
	v->s[v->n].ord = ord;
	v->s[v->n].pod = NULL;
	v->s[v->n].gs = NULL;
	return &v->s[v->n++];
}

/* Takes obj (a fresh tree from the cache) into the view; returns whether it kept it. */
static bool collect(struct view *v, cJSON *obj, bool is_pod)
{
	const char *ns = obj_str(obj, "metadata.namespace");
	const char *owner = obj_label(obj, OKG_LABEL_OWNER_GSS);
	struct srv *s;
	cJSON **slot;
	int ord;

	if (v->err || !ns || !owner || strcmp(ns, v->ns) || strcmp(owner, v->name))
		return false;
	ord = ord_from_name(obj_str(obj, "metadata.name"), v->name);
	if (ord < 0)
		return false;
	s = view_slot(v, ord);
	if (!s) {
		v->err = -ENOMEM;
		return false;
	}
	slot = is_pod ? &s->pod : &s->gs;
	cJSON_Delete(*slot);
	*slot = obj;
	return true;
}

static bool collect_pod(void *ud, cJSON *obj)
{
	return collect(ud, obj, true);
}

static bool collect_gs(void *ud, cJSON *obj)
{
	return collect(ud, obj, false);
}

static int cmp_srv(const void *a, const void *b)
{
	const struct srv *x = a, *y = b;

	return (x->ord > y->ord) - (x->ord < y->ord);
}

static void view_free(struct view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		cJSON_Delete(v->s[i].pod);
		cJSON_Delete(v->s[i].gs);
	}
	free(v->s);
	v->s = NULL;
	v->n = v->cap = 0;
}

static struct srv *view_find(struct view *v, int ord)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->s[i].ord == ord)
			return &v->s[i];
	return NULL;
}

/* --- writes -------------------------------------------------------------------------------- */

static void log_api_error(const char *event, const char *what, int r, const struct kube_resp *resp)
{
	char q[600];

	LOG_WARNF(event, "object=%s status=%ld err=%s message=%s", what, resp->status,
		  kube_strerror(r), log_quote(resp->message, q, sizeof(q)));
}

/* Records an Event on obj (a GameServerSet or a GameServer); best effort (an event that fails
 * is logged, not retried). */
static void emit_event_v(struct ctl *c, struct kube_client *kc, const cJSON *gss, const char *kind,
			 const char *type, const char *reason, const char *fmt, va_list ap)
{
	const char *ns = obj_str(gss, "metadata.namespace"), *name = obj_str(gss, "metadata.name");
	cJSON *ev = NULL, *meta, *inv, *src;
	char msg[1024], now[32], path[300];
	struct kube_resp resp;
	int r;

	if (!leading(c) || !ns || !name)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	now_rfc3339(now, sizeof(now));
	ev = cJSON_CreateObject();
	if (!ev || !cJSON_AddStringToObject(ev, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(ev, "kind", "Event"))
		goto out;
	meta = cJSON_AddObjectToObject(ev, "metadata");
	inv = cJSON_AddObjectToObject(ev, "involvedObject");
	src = cJSON_AddObjectToObject(ev, "source");
	if (!meta || !inv || !src)
		goto out;
	{
		char gen[300];

		snprintf(gen, sizeof(gen), "%s.", name);
		if (!cJSON_AddStringToObject(meta, "generateName", gen) ||
		    !cJSON_AddStringToObject(meta, "namespace", ns))
			goto out;
	}
	if (!cJSON_AddStringToObject(inv, "apiVersion", "game.kruise.io/v1alpha1") ||
	    !cJSON_AddStringToObject(inv, "kind", kind) ||
	    !cJSON_AddStringToObject(inv, "name", name) ||
	    !cJSON_AddStringToObject(inv, "namespace", ns) ||
	    !cJSON_AddStringToObject(
		inv, "uid", obj_str(gss, "metadata.uid") ? obj_str(gss, "metadata.uid") : "") ||
	    !cJSON_AddStringToObject(ev, "type", type) ||
	    !cJSON_AddStringToObject(ev, "reason", reason) ||
	    !cJSON_AddStringToObject(ev, "message", msg) ||
	    !cJSON_AddStringToObject(src, "component", "okg-controller") ||
	    !cJSON_AddStringToObject(ev, "firstTimestamp", now) ||
	    !cJSON_AddStringToObject(ev, "lastTimestamp", now) ||
	    !cJSON_AddNumberToObject(ev, "count", 1))
		goto out;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", ns);
	r = kube_create(kc, path, ev, NULL, &resp);
	if (r < 0)
		log_api_error("event_failed", name, r, &resp);
	kube_resp_free(&resp);
	{
		char q[1100];

		LOG_INFOF("event", "object=%s/%s/%s type=%s reason=%s message=%s", kind, ns, name,
			  type, reason, log_quote(msg, q, sizeof(q)));
	}
out:
	cJSON_Delete(ev);
}

static void emit_event(struct ctl *c, struct kube_client *kc, const cJSON *gss, const char *type,
		       const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void emit_event(struct ctl *c, struct kube_client *kc, const cJSON *gss, const char *type,
		       const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit_event_v(c, kc, gss, "GameServerSet", type, reason, fmt, ap);
	va_end(ap);
}

static void emit_kind_event(struct ctl *c, struct kube_client *kc, const cJSON *obj,
			    const char *kind, const char *type, const char *reason, const char *fmt,
			    ...) __attribute__((format(printf, 7, 8)));

static void emit_kind_event(struct ctl *c, struct kube_client *kc, const cJSON *obj,
			    const char *kind, const char *type, const char *reason, const char *fmt,
			    ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit_event_v(c, kc, obj, kind, type, reason, fmt, ap);
	va_end(ap);
}

static int create_gameserver(struct ctl *c, struct kube_client *kc, const cJSON *pod,
			     const char *gss_name)
{
	const char *ns = obj_str(pod, "metadata.namespace");
	cJSON *gs = NULL;
	struct kube_resp resp;
	char path[300];
	int r;

	r = obj_build_gameserver(pod, gss_name, &gs);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), GSS_API "/namespaces/%s/gameservers", ns);
	r = kube_create(kc, path, gs, NULL, &resp);
	if (r == KUBE_EEXISTS)
		r = 0;
	if (r < 0)
		log_api_error("gameserver_create_failed", obj_str(pod, "metadata.name"), r, &resp);
	else
		atomic_fetch_add(&c->stats.gs_created, 1);
	kube_resp_free(&resp);
	cJSON_Delete(gs);
	return r;
}

/* Pods whose set declares service qualities, or has an OKG sidecar container, get a random
 * token: their probe helper presents it (from the downward API) when it reports, and only the
 * controller and readers of the pod know it. */
static int add_probe_token(cJSON *pod)
{
	unsigned char raw[16];
	char hex[33];
	cJSON *ann = (cJSON *)obj_get(pod, "metadata.annotations");

	if (!cJSON_GetObjectItemCaseSensitive(ann, OKG_ANNOTATION_PROBES) &&
	    !cJSON_GetObjectItemCaseSensitive(ann, OKG_ANNOTATION_SIDECAR))
		return 0;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return cJSON_AddStringToObject(ann, OKG_ANNOTATION_PROBE_TOKEN, hex) ? 0 : -ENOMEM;
}

/* Creates the pod of ordinal ord and its GameServer. On refusal, *why gets the API server's
 * message. */
static int create_server(struct ctl *c, struct kube_client *kc, const cJSON *gss, const char *key,
			 int ord, char *why, size_t whylen)
{
	const char *ns = obj_str(gss, "metadata.namespace"), *name = obj_str(gss, "metadata.name");
	cJSON *pod = NULL, *created = NULL;
	struct kube_resp resp;
	char path[300];
	int r;

	r = obj_build_pod(gss, ord, NULL, &pod);
	if (r < 0) {
		snprintf(why, whylen, "spec.gameServerTemplate: cannot build a pod (%s)",
			 r == -EINVAL ? "template has no spec" : "out of memory");
		return r;
	}
	r = add_probe_token(pod);
	if (r < 0) {
		snprintf(why, whylen, "cannot make a probe token: %s", strerror(-r));
		cJSON_Delete(pod);
		return r;
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
	/* Expected before the write: the watch may deliver the pod before create returns. */
	expect_add(c, key, obj_str(pod, "metadata.name"), true);
	r = kube_create(kc, path, pod, &created, &resp);
	if (r != 0)
		expect_observe(c, ns, obj_str(pod, "metadata.name"), true);
	if (r == 0) {
		atomic_fetch_add(&c->stats.pods_created, 1);
		LOG_INFOF("pod_created", "set=%s pod=%s-%d", key, name, ord);
		create_gameserver(c, kc, created, name);
	} else if (r == KUBE_EEXISTS) {
		r = 0; /* made by an earlier attempt: the cache will show it */
	} else {
		snprintf(why, whylen, "%s", resp.message[0] ? resp.message : kube_strerror(r));
		log_api_error("pod_create_failed", key, r, &resp);
	}
	kube_resp_free(&resp);
	cJSON_Delete(pod);
	cJSON_Delete(created);
	return r;
}

/* Deletes a server's pod, after re-reading its GameServer: if the GameServer changed since
 * the decision (say, a player was just allocated), nothing is deleted and -EAGAIN asks for a
 * new decision. */
static int delete_server(struct ctl *c, struct kube_client *kc, const char *key, struct srv *s)
{
	const char *ns = obj_str(s->pod, "metadata.namespace");
	const char *pod_name = obj_str(s->pod, "metadata.name");
	const char *uid = obj_str(s->pod, "metadata.uid");
	struct kube_resp resp;
	char path[400], body[300];
	int r;

	if (!ns || !pod_name || !uid)
		return -EINVAL;
	if (s->gs) {
		cJSON *fresh = NULL;
		const char *rv_cache = obj_str(s->gs, "metadata.resourceVersion");

		snprintf(path, sizeof(path), GSS_API "/namespaces/%s/gameservers/%s", ns, pod_name);
		r = kube_get(kc, path, &fresh, &resp);
		kube_resp_free(&resp);
		if (r == 0) {
			const char *rv = obj_str(fresh, "metadata.resourceVersion");
			bool same = rv && rv_cache && strcmp(rv, rv_cache) == 0;

			cJSON_Delete(fresh);
			if (!same) {
				LOG_INFOF("delete_deferred",
					  "set=%s pod=%s reason=gameserver_changed", key, pod_name);
				return -EAGAIN;
			}
		} else if (r != KUBE_ENOTFOUND) {
			return r;
		}
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, pod_name);
	snprintf(body, sizeof(body),
		 "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{\"uid\":"
		 "\"%s\"}}",
		 uid);
	expect_add(c, key, pod_name, false);
	r = kube_delete(kc, path, body, &resp);
	if (r != 0)
		expect_observe(c, ns, pod_name, false);
	if (r == 0) {
		atomic_fetch_add(&c->stats.pods_deleted, 1);
		LOG_INFOF("pod_deleted", "set=%s pod=%s", key, pod_name);
	} else if (r == KUBE_ENOTFOUND || r == KUBE_ECONFLICT) {
		r = 0; /* already gone, or another pod of that name now */
	} else {
		log_api_error("pod_delete_failed", pod_name, r, &resp);
	}
	kube_resp_free(&resp);
	return r;
}

static int patch_gss(struct kube_client *kc, const cJSON *gss, const char *sub, const char *patch)
{
	char path[400];
	struct kube_resp resp;
	int r;

	snprintf(path, sizeof(path), GSS_API "/namespaces/%s/gameserversets/%s%s",
		 obj_str(gss, "metadata.namespace"), obj_str(gss, "metadata.name"), sub);
	r = kube_patch(kc, path, KUBE_PATCH_MERGE, patch, NULL, &resp);
	if (r < 0)
		log_api_error("gss_patch_failed", obj_str(gss, "metadata.name"), r, &resp);
	kube_resp_free(&resp);
	return r;
}

static int patch_object(struct kube_client *kc, const char *path, enum kube_patch_type type,
			const char *patch, const char *what)
{
	struct kube_resp resp;
	int r = kube_patch(kc, path, type, patch, NULL, &resp);

	if (r < 0 && r != KUBE_ENOTFOUND)
		log_api_error("patch_failed", what, r, &resp);
	kube_resp_free(&resp);
	return r == KUBE_ENOTFOUND ? 0 : r;
}

/* --- the reconcile ------------------------------------------------------------------------- */

static const char *srv_ops_state(const struct srv *s)
{
	if (s->gs)
		return obj_gs_ops_state(s->gs);
	return obj_label(s->pod, OKG_LABEL_OPS_STATE);
}

static const char *srv_priority(const struct srv *s, const char *field, const char *label,
				char *buf, size_t buflen)
{
	if (s->gs)
		return obj_intstr(obj_get(s->gs, field), buf, buflen, "0");
	return obj_label(s->pod, label);
}

/* Keeps every live pod paired with a GameServer that it owns. */
static int ensure_gameservers(struct ctl *c, struct kube_client *kc, struct view *v)
{
	int rc = 0;

	for (size_t i = 0; i < v->n; i++) {
		struct srv *s = &v->s[i];
		const char *uid = obj_str(s->pod, "metadata.uid");
		const cJSON *ref;
		bool owned = false;

		if (!s->pod || obj_str(s->pod, "metadata.deletionTimestamp"))
			continue;
		if (s->gs) {
			cJSON_ArrayForEach(ref, obj_get(s->gs, "metadata.ownerReferences"))
			{
				const char *ru = obj_str(ref, "uid");

				owned |= ru && uid && strcmp(ru, uid) == 0;
			}
			if (owned)
				continue;
			/* A GameServer of an earlier pod of that name: its pod is gone, and the
			 * garbage collector removes it; wait for that. */
			rc = -EAGAIN;
			continue;
		}
		if (create_gameserver(c, kc, s->pod, v->name) < 0)
			rc = -EAGAIN;
	}
	return rc;
}

struct set_spec {
	long replicas;
	struct ordset reserved;
	bool reserve_ids;
	const char *update_type; /* RollingUpdate or OnDelete */
	const char *pod_policy;	 /* ReCreate, InPlaceIfPossible, InPlaceOnly */
	long partition;
	const cJSON *max_unavailable;
	char hash[17];
};

static int parse_spec(const cJSON *gss, struct set_spec *sp, char *why, size_t whylen)
{
	const cJSON *rep = obj_get(gss, "spec.replicas");
	const char *sds = obj_str(gss, "spec.scaleStrategy.scaleDownStrategyType");
	const cJSON *ru = obj_get(gss, "spec.updateStrategy.rollingUpdate");
	const cJSON *part = obj_get(ru, "partition");
	char err[200];
	int r;

	memset(sp, 0, sizeof(*sp));
	ordset_init(&sp->reserved);
	if (!cJSON_IsNumber(rep) || rep->valuedouble < 0) {
		snprintf(why, whylen, "spec.replicas: must be a whole number >= 0");
		return -EINVAL;
	}
	sp->replicas = (long)rep->valuedouble;
	r = ord_parse_reserve(obj_get(gss, "spec.reserveGameServerIds"), &sp->reserved, err,
			      sizeof(err));
	if (r < 0) {
		snprintf(why, whylen, "spec.reserveGameServerIds%s", err);
		return r;
	}
	sp->reserve_ids = sds && strcmp(sds, "ReserveIds") == 0;
	sp->update_type = obj_str(gss, "spec.updateStrategy.type");
	if (ru || !sp->update_type || !*sp->update_type)
		sp->update_type = "RollingUpdate";
	sp->pod_policy = obj_str(ru, "podUpdatePolicy");
	if (!sp->pod_policy || !*sp->pod_policy)
		sp->pod_policy = "ReCreate";
	sp->partition = cJSON_IsNumber(part) ? (long)part->valuedouble : 0;
	sp->max_unavailable = obj_get(ru, "maxUnavailable");
	return obj_template_hash(gss, true, sp->hash);
}

static bool pod_ready(const cJSON *pod)
{
	return strcmp(obj_gs_state(pod), "Ready") == 0;
}

/* maxUnavailable as a count (int or "N%" of replicas, rounded down, at least 1). */
static long max_unavailable(const struct set_spec *sp)
{
	const cJSON *mu = sp->max_unavailable;
	long v = 1;

	if (cJSON_IsNumber(mu)) {
		v = (long)mu->valuedouble;
	} else if (cJSON_IsString(mu) && mu->valuestring) {
		char *end;
		long pct = strtol(mu->valuestring, &end, 10);

		if (*end == '%')
			v = sp->replicas * pct / 100;
		else if (!*end)
			v = pct;
	}
	return v < 1 ? 1 : v;
}

struct upd {
	struct srv *s;
	long prio;
};

static int cmp_upd(const void *a, const void *b)
{
	const struct upd *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio > y->prio ? -1 : 1;
	return (x->s->ord < y->s->ord) - (x->s->ord > y->s->ord);
}

/* RollingUpdate: outdated pods (ordinal >= partition), higher updatePriority first, at most
 * maxUnavailable not Ready at a time; images-only changes in place when the policy allows. */
static int rolling_update(struct ctl *c, struct kube_client *kc, const cJSON *gss, const char *key,
			  struct view *v, const struct set_spec *sp, bool *busy)
{
	struct upd *cand = NULL;
	size_t nc = 0;
	long unavailable = 0, budget;
	char noimg[17];
	bool in_place_ok = strcmp(sp->pod_policy, "ReCreate") != 0;
	int r = 0;

	if (strcmp(sp->update_type, "OnDelete") == 0)
		return 0;
	r = obj_template_hash(gss, false, noimg);
	if (r < 0)
		return r;
	cand = calloc(v->n ? v->n : 1, sizeof(*cand));
	if (!cand)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		struct srv *s = &v->s[i];
		const char *h;

		if (!s->pod)
			continue;
		if (obj_str(s->pod, "metadata.deletionTimestamp") || !pod_ready(s->pod)) {
			unavailable++;
			continue;
		}
		h = obj_label(s->pod, OKG_LABEL_TEMPLATE_HASH);
		if (h && strcmp(h, sp->hash) == 0)
			continue;
		if (s->ord < sp->partition)
			continue;
		cand[nc].s = s;
		{
			char b[32];

			cand[nc].prio =
			    sc_priority(srv_priority(s, "spec.updatePriority",
						     OKG_LABEL_UPDATE_PRIORITY, b, sizeof(b)),
					NULL);
		}
		nc++;
	}
	if (nc == 0)
		goto out;
	*busy = true;
	budget = max_unavailable(sp) - unavailable;
	qsort(cand, nc, sizeof(*cand), cmp_upd);
	for (size_t i = 0; i < nc && budget > 0; i++, budget--) {
		struct srv *s = cand[i].s;
		const char *pod_name = obj_str(s->pod, "metadata.name");
		const char *pod_noimg =
		    obj_label(s->pod, "okg.game.kruise.io/template-hash-noimage");
		char path[400];

		if (in_place_ok && pod_noimg && strcmp(pod_noimg, noimg) == 0) {
			cJSON *want = NULL;
			char *patch = NULL;
			struct buf b;

			/* The new images, with the GameServer's own overrides still winning. */
			r = obj_build_pod(gss, s->ord, s->gs, &want);
			if (r < 0)
				break;
			buf_init(&b, 1u << 20);
			buf_printf(
			    &b,
			    "{\"metadata\":{\"labels\":{\"%s\":\"%s\"}},\"spec\":{\"containers\":[",
			    OKG_LABEL_TEMPLATE_HASH, sp->hash);
			{
				const cJSON *ct;
				bool first = true;

				cJSON_ArrayForEach(ct, obj_get(want, "spec.containers"))
				{
					buf_printf(&b, "%s{\"name\":\"%s\",\"image\":\"%s\"}",
						   first ? "" : ",", obj_str(ct, "name"),
						   obj_str(ct, "image"));
					first = false;
				}
			}
			r = buf_append_str(&b, "]}}");
			cJSON_Delete(want);
			patch = r == 0 ? buf_steal(&b) : NULL;
			buf_free(&b);
			if (!patch) {
				r = -ENOMEM;
				break;
			}
			snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", v->ns,
				 pod_name);
			r = patch_object(kc, path, KUBE_PATCH_STRATEGIC, patch, pod_name);
			free(patch);
			if (r < 0)
				break;
			atomic_fetch_add(&c->stats.in_place_updates, 1);
			emit_event(c, kc, gss, "Normal", "InPlaceUpdate",
				   "updating %s in place to template %s", pod_name, sp->hash);
		} else {
			r = delete_server(c, kc, key, s);
			if (r < 0)
				break;
			atomic_fetch_add(&c->stats.recreate_updates, 1);
			emit_event(c, kc, gss, "Normal", "Recreate",
				   "recreating %s with template %s", pod_name, sp->hash);
		}
	}
out:
	free(cand);
	return r;
}

static int sync_servers(struct kube_client *kc, struct view *v)
{
	char now[32];
	int rc = 0;

	now_rfc3339(now, sizeof(now));
	for (size_t i = 0; i < v->n; i++) {
		struct srv *s = &v->s[i];
		const char *pod_name = obj_str(s->pod, "metadata.name");
		char path[400], *patch;
		int r;

		if (!s->pod || !s->gs || !pod_name)
			continue;
		patch = obj_pod_label_patch(s->gs, s->pod);
		if (patch) {
			snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", v->ns,
				 pod_name);
			r = patch_object(kc, path, KUBE_PATCH_MERGE, patch, pod_name);
			free(patch);
			if (r < 0)
				rc = r;
		}
		if (!obj_str(s->pod, "metadata.deletionTimestamp")) {
			patch = obj_pod_image_patch(s->gs, s->pod);
			if (patch) {
				snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", v->ns,
					 pod_name);
				r = patch_object(kc, path, KUBE_PATCH_STRATEGIC, patch, pod_name);
				free(patch);
				if (r < 0)
					rc = r;
			}
		}
		patch = obj_gs_status_patch(s->gs, s->pod, now);
		if (patch) {
			snprintf(path, sizeof(path), GSS_API "/namespaces/%s/gameservers/%s/status",
				 v->ns, pod_name);
			r = patch_object(kc, path, KUBE_PATCH_MERGE, patch, pod_name);
			free(patch);
			if (r < 0)
				rc = r;
		}
	}
	return rc;
}

/* Turns the newest probe results of each pod into GameServer changes (see sq.h). */
static int sync_service_quality(struct ctl *c, struct kube_client *kc, const cJSON *gss,
				struct view *v)
{
	char now[32];
	int rc = 0;

	if (!cJSON_IsArray(obj_get(gss, "spec.serviceQualities")) && !obj_sidecar_container(gss))
		return 0;
	now_rfc3339(now, sizeof(now));
	for (size_t i = 0; i < v->n; i++) {
		struct srv *s = &v->s[i];
		const char *pod_name = obj_str(s->pod, "metadata.name");
		const char *rv = obj_str(s->gs, "metadata.resourceVersion");
		cJSON *results = NULL, *updated = NULL;
		struct sq_result *view = NULL;
		struct sq_outcome out = {0};
		struct kube_resp resp;
		size_t n = 0;
		char path[400];
		int r;

		if (!s->pod || !s->gs || !pod_name || obj_str(s->pod, "metadata.deletionTimestamp"))
			continue;
		if (rp_store_awaiting(c->reports, v->ns, pod_name, rv)) {
			rc = -EAGAIN; /* our last write is not in the cache yet */
			continue;
		}
		results =
		    rp_store_get(c->reports, v->ns, pod_name, obj_str(s->pod, "metadata.uid"));
		if (!results)
			continue;
		r = rp_results_view(results, &view, &n);
		if (r == 0)
			r = sq_evaluate(gss, s->gs, view, n, now, &out);
		if (r < 0)
			goto next;
		if (out.gs_patch) {
			snprintf(path, sizeof(path), GSS_API "/namespaces/%s/gameservers/%s", v->ns,
				 pod_name);
			r = kube_patch(kc, path, KUBE_PATCH_MERGE, out.gs_patch, &updated, &resp);
			if (r < 0)
				log_api_error("gameserver_patch_failed", pod_name, r, &resp);
			kube_resp_free(&resp);
			if (r < 0)
				goto next;
		}
		if (out.status_patch) {
			cJSON_Delete(updated);
			updated = NULL;
			snprintf(path, sizeof(path), GSS_API "/namespaces/%s/gameservers/%s/status",
				 v->ns, pod_name);
			r = kube_patch(kc, path, KUBE_PATCH_MERGE, out.status_patch, &updated,
				       &resp);
			if (r < 0) {
				char q[2200];

				log_api_error("gameserver_status_failed", pod_name, r, &resp);
				LOG_DEBUGF("gameserver_status_patch", "object=%s patch=%s",
					   pod_name, log_quote(out.status_patch, q, sizeof(q)));
			}
			kube_resp_free(&resp);
			if (r < 0)
				goto next;
		}
		if (out.gs_patch || out.status_patch)
			rp_store_mark_applied(c->reports, v->ns, pod_name, rv);
		for (size_t k = 0; k < out.n_events; k++)
			emit_kind_event(c, kc, s->gs, "GameServer", out.events[k].type,
					out.events[k].reason, "%s", out.events[k].message);
	next:
		if (r < 0)
			rc = r;
		sq_outcome_free(&out);
		free(view);
		cJSON_Delete(results);
		cJSON_Delete(updated);
	}
	return rc;
}

static int sync_status(struct kube_client *kc, const cJSON *gss, struct view *v,
		       const struct set_spec *sp, const char *failure)
{
	long current = 0, ready = 0, updated = 0, updated_ready = 0, maint = 0, wtbd = 0;
	const cJSON *st = obj_get(gss, "status"), *gen = obj_get(gss, "metadata.generation");
	const cJSON *old_cond = NULL, *cc;
	char selector[400], now[32];
	struct buf b;
	int r;

	for (size_t i = 0; i < v->n; i++) {
		const struct srv *s = &v->s[i];
		const char *h, *ops;

		if (!s->pod)
			continue;
		current++;
		h = obj_label(s->pod, OKG_LABEL_TEMPLATE_HASH);
		ops = srv_ops_state(s);
		if (pod_ready(s->pod))
			ready++;
		if (h && strcmp(h, sp->hash) == 0) {
			updated++;
			if (pod_ready(s->pod))
				updated_ready++;
		}
		if (ops && strcmp(ops, "Maintaining") == 0)
			maint++;
		if (ops && strcmp(ops, "WaitToBeDeleted") == 0)
			wtbd++;
	}
	snprintf(selector, sizeof(selector), OKG_LABEL_OWNER_GSS "=%s", v->name);
	cJSON_ArrayForEach(cc, obj_get(st, "conditions"))
	{
		const char *t = obj_str(cc, "type");

		if (t && strcmp(t, "ReplicaFailure") == 0)
			old_cond = cc;
	}
	{
		struct {
			const char *field;
			long want;
		} nums[] = {
		    {"replicas", sp->replicas},
		    {"currentReplicas", current},
		    {"readyReplicas", ready},
		    {"availableReplicas", ready},
		    {"updatedReplicas", updated},
		    {"updatedReadyReplicas", updated_ready},
		    {"maintainingReplicas", maint},
		    {"waitToBeDeletedReplicas", wtbd},
		    {"preDeleteReplicas", 0},
		    {"observedGeneration", cJSON_IsNumber(gen) ? (long)gen->valuedouble : 0}};
		bool same = true;
		const char *old_sel = obj_str(st, "labelSelector");
		const char *old_status = obj_str(old_cond, "status");
		const char *old_msg = obj_str(old_cond, "message");

		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			const cJSON *have = cJSON_GetObjectItemCaseSensitive(st, nums[i].field);

			same &= cJSON_IsNumber(have) && (long)have->valuedouble == nums[i].want;
		}
		same &= old_sel && strcmp(old_sel, selector) == 0;
		if (failure)
			same &= old_status && !strcmp(old_status, "True") && old_msg &&
				!strcmp(old_msg, failure);
		else
			same &= !old_cond || (old_status && !strcmp(old_status, "False"));
		if (same)
			return 0;
		now_rfc3339(now, sizeof(now));
		buf_init(&b, 1u << 16);
		buf_append_str(&b, "{\"status\":{");
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
			buf_printf(&b, "\"%s\":%ld,", nums[i].field, nums[i].want);
		buf_printf(&b, "\"labelSelector\":\"%s\"", selector);
		if (failure || old_cond) {
			cJSON *msg = cJSON_CreateString(failure ? failure : "");
			char *mtext = msg ? cJSON_PrintUnformatted(msg) : NULL;

			buf_printf(
			    &b,
			    ",\"conditions\":[{\"type\":\"ReplicaFailure\",\"status\":\"%s\","
			    "\"reason\":\"%s\",\"message\":%s,\"lastTransitionTime\":\"%s\"}]",
			    failure ? "True" : "False", failure ? "FailedCreate" : "Created",
			    mtext ? mtext : "\"\"", now);
			cJSON_free(mtext);
			cJSON_Delete(msg);
		}
		r = buf_append_str(&b, "}}");
		if (r == 0)
			r = patch_gss(kc, gss, "/status", b.data);
		buf_free(&b);
		return r;
	}
}

/* Returns 0 when settled, -EAGAIN to look again soon, or another error for backoff. */
static int reconcile(struct ctl *c, struct kube_client *kc, const char *key, unsigned *again_ms)
{
	char ns[256], name[256], why[600] = "";
	const char *slash = strchr(key, '/');
	struct view v = {0};
	struct set_spec sp;
	struct sc_input in = {0};
	struct sc_plan plan;
	struct sc_server *servers = NULL;
	char(*prio)[32] = NULL; /* text of numeric priorities, for servers[] to point into */
	cJSON *gss = NULL;
	const char *failure = NULL;
	bool busy = false;
	int r = 0;

	sc_plan_init(&plan);
	memset(&sp, 0, sizeof(sp));
	if (!slash || (size_t)(slash - key) >= sizeof(ns) || strlen(slash + 1) >= sizeof(name))
		return 0;
	memcpy(ns, key, (size_t)(slash - key));
	ns[slash - key] = '\0';
	snprintf(name, sizeof(name), "%s", slash + 1);
	gss = inf_get(c->gss, ns, name);
	if (!gss || obj_str(gss, "metadata.deletionTimestamp"))
		goto out; /* the garbage collector removes the pods and GameServers */
	if (!inf_watching(c->gss) || !inf_watching(c->pods) || !inf_watching(c->gs)) {
		/* A cache that is not watching may be stale: decide nothing now. */
		*again_ms = 1000;
		r = -EAGAIN;
		goto out;
	}
	if (expect_pending(c, key)) {
		*again_ms = 200;
		r = -EAGAIN;
		goto out;
	}
	if (!leading(c)) {
		r = 0;
		goto out;
	}
	v.ns = ns;
	v.name = name;
	inf_foreach_indexed(c->pods, ns, name, collect_pod, &v);
	inf_foreach_indexed(c->gs, ns, name, collect_gs, &v);
	if (v.err) {
		r = v.err;
		goto out;
	}
	if (v.n > 1)
		qsort(v.s, v.n, sizeof(*v.s), cmp_srv);
	r = parse_spec(gss, &sp, why, sizeof(why));
	if (r < 0) {
		/* The webhook refuses such sets; one that got in anyway is reported, not acted
		 * on: deleting servers on a misread spec could drop players. */
		emit_event(c, kc, gss, "Warning", "InvalidSpec", "%s", why);
		failure = why;
		sync_status(kc, gss, &v, &sp, failure);
		r = 0;
		goto out;
	}
	r = ensure_gameservers(c, kc, &v);
	if (r == -EAGAIN) {
		*again_ms = 500;
		goto out;
	}

	servers = calloc(v.n ? v.n : 1, sizeof(*servers));
	prio = calloc(v.n ? v.n : 1, sizeof(*prio));
	if (!servers || !prio) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < v.n; i++) {
		char b[32];

		if (!v.s[i].pod)
			continue; /* a GameServer without its pod: the garbage collector's */
		servers[in.n].ordinal = v.s[i].ord;
		servers[in.n].ops_state = srv_ops_state(&v.s[i]);
		servers[in.n].deletion_priority = srv_priority(
		    &v.s[i], "spec.deletionPriority", OKG_LABEL_DELETE_PRIORITY, b, sizeof(b));
		/* srv_priority may return b: keep a stable copy in the view instead */
		if (servers[in.n].deletion_priority == b)
			servers[in.n].deletion_priority =
			    obj_label(v.s[i].pod, OKG_LABEL_DELETE_PRIORITY);
		servers[in.n].deleting = obj_str(v.s[i].pod, "metadata.deletionTimestamp") != NULL;
		in.n++;
	}
	in.replicas = sp.replicas;
	in.reserved = &sp.reserved;
	in.reserve_ids = sp.reserve_ids;
	in.servers = servers;

	/* opsState Kill: lower replicas; the scale-down below then removes those servers. */
	{
		long after = sc_replicas_after_kill(&in);

		if (after != sp.replicas) {
			char patch[300];

			snprintf(patch, sizeof(patch),
				 "{\"metadata\":{\"resourceVersion\":\"%s\"},\"spec\":{"
				 "\"replicas\":%ld}}",
				 obj_str(gss, "metadata.resourceVersion"), after);
			r = patch_gss(kc, gss, "", patch);
			if (r == 0)
				emit_event(c, kc, gss, "Normal", "Kill",
					   "%ld server(s) have opsState Kill: replicas %ld -> %ld",
					   sp.replicas - after, sp.replicas, after);
			*again_ms = 100;
			r = r == 0 || r == KUBE_ECONFLICT ? -EAGAIN : r;
			goto out;
		}
	}

	r = sc_compute(&in, &plan);
	if (r < 0) {
		snprintf(why, sizeof(why), "scale decision failed: %s", strerror(-r));
		emit_event(c, kc, gss, "Warning", "ScaleFailed", "%s", why);
		goto out;
	}
	/* ReserveIds: the ordinals a scale-down removes are written back as reserved first;
	 * the next pass deletes them as reserved. A crash in between loses nothing. */
	if (plan.writeback.n) {
		struct ordset all;
		cJSON *arr, *patch;
		char *text, *list;

		if (ordset_copy(&sp.reserved, &all) < 0 ||
		    ordset_union(&all, &plan.writeback) < 0) {
			ordset_free(&all);
			r = -ENOMEM;
			goto out;
		}
		arr = ord_to_json(&all);
		list = ord_to_string(&plan.writeback);
		ordset_free(&all);
		patch = cJSON_CreateObject();
		if (!arr || !patch || !list) {
			cJSON_Delete(arr);
			cJSON_Delete(patch);
			free(list);
			r = -ENOMEM;
			goto out;
		}
		cJSON_AddItemToObject(cJSON_AddObjectToObject(patch, "spec"),
				      "reserveGameServerIds", arr);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(patch, "metadata"),
					"resourceVersion",
					obj_str(gss, "metadata.resourceVersion"));
		text = cJSON_PrintUnformatted(patch);
		cJSON_Delete(patch);
		r = text ? patch_gss(kc, gss, "", text) : -ENOMEM;
		cJSON_free(text);
		if (r == 0)
			emit_event(c, kc, gss, "Normal", "ReserveIds",
				   "scale down to %ld: reserving ordinals %s", sp.replicas, list);
		free(list);
		*again_ms = 100;
		r = r == 0 || r == KUBE_ECONFLICT ? -EAGAIN : r;
		goto out;
	}
	if (plan.n_remove) {
		struct buf names;

		buf_init(&names, 1u << 16);
		for (size_t i = 0; i < plan.n_remove; i++) {
			struct srv *s = view_find(&v, plan.remove[i]);
			char b[32];

			if (!s || !s->pod)
				continue;
			r = delete_server(c, kc, key, s);
			if (r < 0)
				break;
			buf_printf(&names, "%s%s (%s, opsState %s, deletionPriority %s)",
				   names.len ? ", " : "", obj_str(s->pod, "metadata.name"),
				   i < plan.n_remove_reserved ? "reserved" : "scale down",
				   srv_ops_state(s) ? srv_ops_state(s) : "None",
				   srv_priority(s, "spec.deletionPriority",
						OKG_LABEL_DELETE_PRIORITY, b, sizeof(b))
				       ? srv_priority(s, "spec.deletionPriority",
						      OKG_LABEL_DELETE_PRIORITY, b, sizeof(b))
				       : "0");
		}
		if (names.len) {
			atomic_fetch_add(&c->stats.scale_downs, 1);
			emit_event(c, kc, gss, "Normal", "ScaleDown", "replicas %ld: deleting %s",
				   sp.replicas, names.data);
		}
		buf_free(&names);
		if (r < 0) {
			if (r == -EAGAIN)
				*again_ms = 100;
			goto out;
		}
		busy = true;
	}
	if (plan.create.n) {
		char *list = ord_to_string(&plan.create);
		size_t made = 0;

		for (size_t i = 0; i < plan.create.n; i++) {
			r = create_server(c, kc, gss, key, plan.create.v[i], why, sizeof(why));
			if (r < 0) {
				failure = why;
				emit_event(c, kc, gss, "Warning", "FailedCreate",
					   "creating %s-%d: %s", name, plan.create.v[i], why);
				break;
			}
			made++;
		}
		if (made) {
			atomic_fetch_add(&c->stats.scale_ups, 1);
			emit_event(c, kc, gss, "Normal", "ScaleUp",
				   "replicas %ld: creating ordinals %s (lowest free, not reserved)",
				   sp.replicas, list ? list : "?");
		}
		free(list);
		busy = true;
	}
	if (plan.waiting.n)
		busy = true;
	if (!failure) {
		int ur = rolling_update(c, kc, gss, key, &v, &sp, &busy);

		if (ur == -EAGAIN)
			busy = true;
		else if (ur < 0)
			r = ur;
	}
	{
		int sr = sync_servers(kc, &v);
		int qr = sync_service_quality(c, kc, gss, &v);
		int st = sync_status(kc, gss, &v, &sp, failure);

		if (qr == -EAGAIN) {
			busy = true;
			qr = 0;
		}
		if (r == 0)
			r = sr < 0 ? sr : (qr < 0 ? qr : st);
	}
	if (failure && r == 0)
		r = -EIO; /* back off before trying the refused create again */
	if (r == 0 && busy) {
		*again_ms = 1000;
		r = -EAGAIN;
	}
out:
	sc_plan_free(&plan);
	ordset_free(&sp.reserved);
	free(servers);
	free(prio);
	view_free(&v);
	cJSON_Delete(gss);
	return r;
}

/* --- workers ----------------------------------------------------------------------------- */

static void *worker(void *arg)
{
	struct ctl *c = arg;
	struct kube_client *kc = NULL;
	struct kube_client_opts ko = {
	    .user_agent = "okg-controller", .stop = c->opts.stop, .qps = 0, .timeout_ms = 4000};

	if (kube_client_new(&c->cfg, &ko, &kc) < 0) {
		LOG_ERRORF("worker_failed", "reason=%s", "no API client");
		return NULL;
	}
	for (;;) {
		char *key = NULL;
		unsigned again_ms = 0;
		int r;

		if (wq_get(c->q, &key) < 0)
			break;
		atomic_fetch_add(&c->stats.reconciles, 1);
		r = reconcile(c, kc, key, &again_ms);
		if (r == -EAGAIN) {
			wq_done(c->q, key, 1);
			wq_add_after(c->q, key, again_ms ? again_ms : 500);
		} else if (r < 0) {
			atomic_fetch_add(&c->stats.reconcile_errors, 1);
			LOG_WARNF("reconcile_failed", "set=%s err=%d", key, r);
			wq_done(c->q, key, 0);
		} else {
			wq_done(c->q, key, 1);
		}
		free(key);
	}
	kube_client_free(kc);
	return NULL;
}

int ctl_new(const struct kube_config *cfg, const struct ctl_opts *opts, struct ctl **out)
{
	struct ctl *c = calloc(1, sizeof(*c));
	struct inf_handlers gh = {
	    .on_add = gss_event, .on_update = gss_update, .on_delete = gss_event};
	struct inf_handlers ch = {
	    .on_add = child_event, .on_update = child_update, .on_delete = child_event};
	struct inf_handlers ph = {
	    .on_add = pod_add, .on_update = pod_update, .on_delete = pod_delete};
	struct inf_opts go = {
	    .path = GSS_API "/gameserversets", .name = "gameserversets", .trim = obj_trim_meta};
	struct inf_opts so = {.path = GSS_API "/gameservers",
			      .name = "gameservers",
			      .trim = obj_trim_gs,
			      .index_label = OKG_LABEL_OWNER_GSS};
	struct inf_opts po = {.path = "/api/v1/pods",
			      .name = "pods",
			      .label_selector = OKG_LABEL_OWNER_GSS,
			      .trim = obj_trim_pod,
			      .index_label = OKG_LABEL_OWNER_GSS};
	int r;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->exp_lock, NULL);
	pthread_mutex_init(&c->count_lock, NULL);
	c->opts = *opts;
	if (c->opts.workers < 1)
		c->opts.workers = 1;
	r = kcfg_copy(cfg, &c->cfg);
	if (r == 0)
		r = rp_store_new(&c->reports);
	if (r == 0)
		r = wq_new(200, 30000, &c->q);
	if (r == 0)
		r = inf_new(cfg, &go, &gh, c, &c->gss);
	if (r == 0)
		r = inf_new(cfg, &so, &ch, c, &c->gs);
	if (r == 0)
		r = inf_new(cfg, &po, &ph, c, &c->pods);
	if (r < 0) {
		ctl_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int ctl_start(struct ctl *c)
{
	int r;

	r = inf_start(c->gss);
	if (r == 0)
		r = inf_start(c->gs);
	if (r == 0)
		r = inf_start(c->pods);
	if (r < 0)
		return r;
	c->workers = calloc((size_t)c->opts.workers, sizeof(*c->workers));
	if (!c->workers)
		return -ENOMEM;
	for (int i = 0; i < c->opts.workers; i++) {
		if (pthread_create(&c->workers[i], NULL, worker, c) != 0)
			return -EAGAIN;
		c->nworkers++;
	}
	c->started = true;
	return 0;
}

void ctl_stop(struct ctl *c)
{
	if (!c || !c->started)
		return;
	wq_shutdown(c->q);
	for (int i = 0; i < c->nworkers; i++)
		pthread_join(c->workers[i], NULL);
	c->nworkers = 0;
	inf_stop(c->gss);
	inf_stop(c->gs);
	inf_stop(c->pods);
	c->started = false;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	ctl_stop(c);
	inf_free(c->gss);
	inf_free(c->gs);
	inf_free(c->pods);
	wq_free(c->q);
	rp_store_free(c->reports);
	free(c->workers);
	while (c->expects) {
		struct expect *e = c->expects;

		c->expects = e->next;
		free(e);
	}
	while (c->counts) {
		struct set_count *next = c->counts->next;

		free(c->counts->key);
		free(c->counts);
		c->counts = next;
	}
	pthread_mutex_destroy(&c->count_lock);
	pthread_mutex_destroy(&c->exp_lock);
	kcfg_free(&c->cfg);
	free(c);
}

int ctl_probe_report(struct ctl *c, const char *body, size_t len, const char *token, char *err,
		     size_t errlen)
{
	struct rp_report rep;
	cJSON *pod = NULL;
	const char *uid, *want, *owner;
	char key[520];
	int r;

	r = rp_parse(body, len, &rep, err, errlen);
	if (r < 0) {
		atomic_fetch_add(&c->stats.probe_reports_refused, 1);
		return r == -E2BIG ? 413 : 400;
	}
	pod = inf_get(c->pods, rep.ns, rep.pod);
	uid = obj_str(pod, "metadata.uid");
	owner = obj_label(pod, OKG_LABEL_OWNER_GSS);
	if (!pod || !uid || strcmp(uid, rep.uid) != 0 || !owner) {
		snprintf(err, errlen, "pod %s/%s (uid %s): not a game server pod known here",
			 rep.ns, rep.pod, rep.uid);
		r = 404;
		goto out;
	}
	/* The annotation key has dots: look it up directly rather than by path. */
	{
		const cJSON *ann = obj_get(pod, "metadata.annotations");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(ann, OKG_ANNOTATION_PROBE_TOKEN);

		want = cJSON_IsString(t) ? t->valuestring : NULL;
	}
	if (!want || !token || strlen(want) != strlen(token)) {
		snprintf(err, errlen, "pod %s/%s: bad token", rep.ns, rep.pod);
		r = 401;
		goto out;
	}
	{
		unsigned char diff = 0;

		for (size_t i = 0; want[i]; i++)
			diff |= (unsigned char)(want[i] ^ token[i]);
		if (diff) {
			snprintf(err, errlen, "pod %s/%s: bad token", rep.ns, rep.pod);
			r = 401;
			goto out;
		}
	}
	snprintf(key, sizeof(key), "%s/%s", rep.ns, owner);
	r = rp_store_put(c->reports, &rep);
	/* A heartbeat that repeats the stored outcome needs no reconcile of the whole set: the
	 * outcome was queued when it arrived, and a failed reconcile is retried by the queue. */
	if (r > 0)
		wq_add(c->q, key);
	r = r < 0 ? 500 : 204;
out:
	atomic_fetch_add(r == 204 ? &c->stats.probe_reports : &c->stats.probe_reports_refused, 1);
	rp_report_free(&rep);
	cJSON_Delete(pod);
	return r;
}

int ctl_set_counts(struct ctl *c, const char *ns, const char *name, struct ctl_set_counts *out)
{
	char key[320];
	cJSON *gss;
	const cJSON *v;

	memset(out, 0, sizeof(*out));
	gss = inf_get(c->gss, ns, name);
	if (!gss)
		return -ENOENT;
	out->found = true;
	v = obj_get(gss, "spec.replicas");
	out->replicas = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = obj_get(gss, "status.waitToBeDeletedReplicas");
	out->status_ready = cJSON_IsNumber(v);
	out->status_wtbd = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = obj_get(gss, "status.currentReplicas");
	out->status_current = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	cJSON_Delete(gss);
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	pthread_mutex_lock(&c->count_lock);
	for (const struct set_count *e = c->counts; e; e = e->next)
		if (strcmp(e->key, key) == 0) {
			out->total = e->total;
			out->none = e->none;
			out->wait_to_be_deleted = e->wait_to_be_deleted;
			break;
		}
	pthread_mutex_unlock(&c->count_lock);
	return 0;
}

bool ctl_ready(struct ctl *c)
{
	return inf_synced(c->gss) && inf_synced(c->gs) && inf_synced(c->pods);
}

const struct ctl_stats *ctl_get_stats(struct ctl *c)
{
	return &c->stats;
}

static void enqueue_each(void *ud, const cJSON *obj)
{
	enqueue_obj(ud, obj, true);
}

void ctl_resync(struct ctl *c)
{
	inf_foreach(c->gss, enqueue_each, c);
}

struct metric_ctx {
	struct buf *out;
};

static void metric_gs(void *ud, const cJSON *gs)
{
	struct metric_ctx *m = ud;

	buf_printf(m->out,
		   "okg_gameserver_info{namespace=\"%s\",gameserverset=\"%s\",name=\"%s\","
		   "state=\"%s\",opsState=\"%s\"} 1\n",
		   obj_str(gs, "metadata.namespace") ? obj_str(gs, "metadata.namespace") : "",
		   obj_label(gs, OKG_LABEL_OWNER_GSS) ? obj_label(gs, OKG_LABEL_OWNER_GSS) : "",
		   obj_str(gs, "metadata.name") ? obj_str(gs, "metadata.name") : "",
		   obj_str(gs, "status.currentState") ? obj_str(gs, "status.currentState") : "",
		   obj_gs_ops_state(gs));
}

int ctl_metrics(struct ctl *c, struct buf *out)
{
	struct metric_ctx m = {out};
	const struct ctl_stats *s = &c->stats;

	buf_printf(out,
		   "# TYPE okg_reconciles_total counter\nokg_reconciles_total %lu\n"
		   "# TYPE okg_reconcile_errors_total counter\nokg_reconcile_errors_total %lu\n"
		   "# TYPE okg_pods_created_total counter\nokg_pods_created_total %lu\n"
		   "# TYPE okg_pods_deleted_total counter\nokg_pods_deleted_total %lu\n"
		   "# TYPE okg_gameservers_created_total counter\n"
		   "okg_gameservers_created_total %lu\n"
		   "# TYPE okg_scale_operations_total counter\n"
		   "okg_scale_operations_total{direction=\"up\"} %lu\n"
		   "okg_scale_operations_total{direction=\"down\"} %lu\n"
		   "# TYPE okg_updates_total counter\nokg_updates_total{kind=\"in_place\"} %lu\n"
		   "okg_updates_total{kind=\"recreate\"} %lu\n"
		   "# TYPE okg_workqueue_depth gauge\nokg_workqueue_depth %zu\n"
		   "# TYPE okg_probe_reports_total counter\n"
		   "okg_probe_reports_total{result=\"taken\"} %lu\n"
		   "okg_probe_reports_total{result=\"refused\"} %lu\n"
		   "# TYPE okg_gameserver_info gauge\n",
		   atomic_load(&s->reconciles), atomic_load(&s->reconcile_errors),
		   atomic_load(&s->pods_created), atomic_load(&s->pods_deleted),
		   atomic_load(&s->gs_created), atomic_load(&s->scale_ups),
		   atomic_load(&s->scale_downs), atomic_load(&s->in_place_updates),
		   atomic_load(&s->recreate_updates), wq_len(c->q), atomic_load(&s->probe_reports),
		   atomic_load(&s->probe_reports_refused));
	{
		struct inf_stats st[3];
		const char *names[3] = {"gameserversets", "gameservers", "pods"};

		inf_get_stats(c->gss, &st[0]);
		inf_get_stats(c->gs, &st[1]);
		inf_get_stats(c->pods, &st[2]);
		buf_printf(out, "# TYPE okg_cache_bytes gauge\n");
		for (int i = 0; i < 3; i++)
			buf_printf(out, "okg_cache_bytes{informer=\"%s\"} %zu\n", names[i],
				   st[i].bytes);
		buf_printf(out, "# TYPE okg_cache_objects gauge\n");
		buf_printf(out, "okg_cache_objects{informer=\"gameserversets\"} %zu\n",
			   inf_count(c->gss));
		buf_printf(out, "okg_cache_objects{informer=\"gameservers\"} %zu\n",
			   inf_count(c->gs));
		buf_printf(out, "okg_cache_objects{informer=\"pods\"} %zu\n", inf_count(c->pods));
	}
	inf_foreach(c->gs, metric_gs, &m);
	return 0;
}
