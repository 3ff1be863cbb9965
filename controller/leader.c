#include "controller/leader.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/objects.h"
#include "lib/backoff.h"
#include "lib/kube.h"
#include "lib/log.h"

struct le {
	struct kube_config cfg;
	struct le_opts o;
	char ns[256], name[256], id[256];
	pthread_t thread;
	volatile int stop;
	/* What we last observed of the record, and when (monotonic). */
	char seen_holder[256], seen_renew[64];
	double seen_at;
	double last_renew; /* monotonic time of our last successful renewal */
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void micro_time(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%06ldZ", base, ts.tv_nsec / 1000);
}

static int stopped(const struct le *e)
{
	return e->stop || (e->o.stop && *e->o.stop);
}

/* Writes the lease with us as holder. rv NULL = create. */
static int write_lease(struct le *e, struct kube_client *kc, const char *rv, const char *acquire,
		       long transitions)
{
	char path[600], now[64], body[2048];
	struct kube_resp resp;
	int r;

	micro_time(now, sizeof(now));
	if (rv) {
		snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s",
			 e->ns, e->name);
		snprintf(body, sizeof(body),
			 "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
			 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"resourceVersion\":"
			 "\"%s\"},\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":%d,"
			 "\"acquireTime\":\"%s\",\"renewTime\":\"%s\",\"leaseTransitions\":%ld}}",
			 e->name, e->ns, rv, e->id, e->o.lease_s, acquire ? acquire : now, now,
			 transitions);
		r = kube_request(kc, "PUT", path, "application/json", body, strlen(body), &resp);
	} else {
		snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases",
			 e->ns);
		snprintf(body, sizeof(body),
			 "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
			 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},\"spec\":{"
			 "\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":%d,\"acquireTime\":"
			 "\"%s\",\"renewTime\":\"%s\",\"leaseTransitions\":0}}",
			 e->name, e->ns, e->id, e->o.lease_s, now, now);
		r = kube_request(kc, "POST", path, "application/json", body, strlen(body), &resp);
	}
	if (r < 0 && r != KUBE_ECONFLICT && r != KUBE_EEXISTS) {
		char q[600];

		LOG_WARNF("lease_write_failed", "lease=%s/%s err=%s message=%s", e->ns, e->name,
			  kube_strerror(r), log_quote(resp.message, q, sizeof(q)));
	}
	kube_resp_free(&resp);
	return r;
}

/* One round: returns 1 when we hold the lease now, 0 when another does, <0 on error. */
static int try_acquire_or_renew(struct le *e, struct kube_client *kc)
{
	char path[600];
	cJSON *lease = NULL;
	struct kube_resp resp;
	const char *holder, *renew, *rv, *acquire;
	const cJSON *tr;
	long transitions;
	int r;

	snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s", e->ns,
		 e->name);
	r = kube_get(kc, path, &lease, &resp);
	kube_resp_free(&resp);
	if (r == KUBE_ENOTFOUND) {
		r = write_lease(e, kc, NULL, NULL, 0);
		return r == 0 ? 1 : (r == KUBE_EEXISTS ? 0 : r);
	}
	if (r < 0)
		return r;
	holder = obj_str(lease, "spec.holderIdentity");
	renew = obj_str(lease, "spec.renewTime");
	rv = obj_str(lease, "metadata.resourceVersion");
	acquire = obj_str(lease, "spec.acquireTime");
	tr = obj_get(lease, "spec.leaseTransitions");
	transitions = cJSON_IsNumber(tr) ? (long)tr->valuedouble : 0;
	if (!holder)
		holder = "";
	if (!renew)
		renew = "";
	if (strcmp(holder, e->seen_holder) != 0 || strcmp(renew, e->seen_renew) != 0) {
		snprintf(e->seen_holder, sizeof(e->seen_holder), "%s", holder);
		snprintf(e->seen_renew, sizeof(e->seen_renew), "%s", renew);
		e->seen_at = mono();
	}
	if (strcmp(holder, e->id) == 0) {
		r = write_lease(e, kc, rv, acquire, transitions);
	} else if (!*holder || mono() - e->seen_at > e->o.lease_s) {
		r = write_lease(e, kc, rv, NULL, transitions + 1);
		if (r == 0)
			LOG_INFOF("lease_acquired", "lease=%s/%s identity=%s previous=%s", e->ns,
				  e->name, e->id, *holder ? holder : "-");
	} else {
		cJSON_Delete(lease);
		return 0;
	}
	cJSON_Delete(lease);
	if (r == KUBE_ECONFLICT)
		return 0;
	return r == 0 ? 1 : r;
}

static void release(struct le *e, struct kube_client *kc)
{
	char path[600], patch[800];
	struct kube_resp resp;

	snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s", e->ns,
		 e->name);
	/* A JSON patch that tests the holder first: never clear another replica's lease. */
	snprintf(patch, sizeof(patch),
		 "[{\"op\":\"test\",\"path\":\"/spec/holderIdentity\",\"value\":\"%s\"},"
		 "{\"op\":\"replace\",\"path\":\"/spec/holderIdentity\",\"value\":\"\"}]",
		 e->id);
	kube_patch(kc, path, KUBE_PATCH_JSON, patch, NULL, &resp);
	kube_resp_free(&resp);
	LOG_INFOF("lease_released", "lease=%s/%s identity=%s", e->ns, e->name, e->id);
}

static void *le_thread(void *arg)
{
	struct le *e = arg;
	struct kube_client *kc = NULL;
	struct kube_client_opts ko = {
	    .user_agent = "okg-controller-leader", .timeout_ms = 5000, .max_retries = -1};
	bool was = false;

	ko.timeout_ms = (long)e->o.renew_deadline_s * 1000 / 2;
	if (kube_client_new(&e->cfg, &ko, &kc) < 0) {
		*e->o.leading = 0;
		return NULL;
	}
	while (!stopped(e)) {
		int r = try_acquire_or_renew(e, kc);
		double now = mono();

		if (r == 1)
			e->last_renew = now;
		if (r == 1 && !was) {
			*e->o.leading = 1;
			was = true;
			LOG_INFOF("leading", "lease=%s/%s identity=%s", e->ns, e->name, e->id);
			if (e->o.on_started)
				e->o.on_started(e->o.ud);
		} else if (was && (r == 0 || now - e->last_renew > e->o.renew_deadline_s)) {
			/* Lost it, or could not renew in time: stop writing before anyone
			 * else may start. */
			*e->o.leading = 0;
			was = false;
			LOG_WARNF("leadership_lost", "lease=%s/%s identity=%s", e->ns, e->name,
				  e->id);
		}
		for (int i = 0; i < e->o.retry_s * 10 && !stopped(e); i++)
			backoff_sleep_ms(100);
	}
	if (was) {
		*e->o.leading = 0;
		release(e, kc);
	}
	kube_client_free(kc);
	return NULL;
}

int le_start(const struct kube_config *cfg, const struct le_opts *opts, struct le **out)
{
	struct le *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (!e)
		return -ENOMEM;
	e->o = *opts;
	if (e->o.lease_s <= 0)
		e->o.lease_s = 15;
	if (e->o.renew_deadline_s <= 0)
		e->o.renew_deadline_s = 10;
	if (e->o.retry_s <= 0)
		e->o.retry_s = 2;
	snprintf(e->ns, sizeof(e->ns), "%s", opts->namespace);
	snprintf(e->name, sizeof(e->name), "%s", opts->name);
	snprintf(e->id, sizeof(e->id), "%s", opts->identity);
	e->seen_at = mono();
	if (kcfg_copy(cfg, &e->cfg) < 0) {
		free(e);
		return -ENOMEM;
	}
	if (pthread_create(&e->thread, NULL, le_thread, e) != 0) {
		kcfg_free(&e->cfg);
		free(e);
		return -EAGAIN;
	}
	*out = e;
	return 0;
}

void le_stop(struct le *e)
{
	if (!e)
		return;
	e->stop = 1;
	pthread_join(e->thread, NULL);
	kcfg_free(&e->cfg);
	free(e);
}
