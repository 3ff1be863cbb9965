/* ctl: the GameServerSet reconciler. It turns each set into ordinal-named pods and
 * GameServers, scales in the order the set's servers ask for, keeps GameServer spec and pod
 * labels in step, reports status, and updates pods by the set's update strategy.
 *
 * Reads come from informer caches; a decision is taken only while every cache is watching
 * and after the controller's own earlier writes have been observed. Deletions re-read the
 * GameServer first, so a server that changed since the decision is not deleted. */
#ifndef OKG_CONTROLLER_CTL_H
#define OKG_CONTROLLER_CTL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

#include "lib/informer.h"
#include "lib/kube.h"
#include "lib/kubeconfig.h"

struct ctl_stats {
	atomic_ulong reconciles, reconcile_errors, pods_created, pods_deleted, gs_created,
	    scale_ups, scale_downs, in_place_updates, recreate_updates;
	/* probe reports taken (204) and refused (any other answer) */
	atomic_ulong probe_reports, probe_reports_refused;
};

struct ctl;

struct ctl_opts {
	int workers;
	const volatile int *stop;    /* raised to stop (also cancels API calls in flight) */
	const volatile int *leading; /* writes happen only while non-zero; NULL = always */
};

/* cfg is copied. *out: ctl_free(). */
int ctl_new(const struct kube_config *cfg, const struct ctl_opts *opts, struct ctl **out);
/* Starts the informers and the workers. */
int ctl_start(struct ctl *c);
/* Stops workers and informers; waits for them. */
void ctl_stop(struct ctl *c);
void ctl_free(struct ctl *c);

/* Takes a probe report (see report.h): returns the HTTP status to answer (204, 400, 401, 404,
 * 413) and, on error, a message in err. token is the bearer token presented. */
int ctl_probe_report(struct ctl *c, const char *body, size_t len, const char *token, char *err,
		     size_t errlen);

/* What the KEDA scaler needs to know of one set, from the caches (no API call). */
struct ctl_set_counts {
	bool found;		 /* the set is in the cache */
	bool status_ready;	 /* its status was written (waitToBeDeletedReplicas present) */
	long replicas;		 /* spec.replicas */
	long status_current;	 /* status.currentReplicas */
	long status_wtbd;	 /* status.waitToBeDeletedReplicas */
	long total;		 /* its pods in the cache */
	long none;		 /* pods whose server has opsState None */
	long wait_to_be_deleted; /* opsState WaitToBeDeleted and not being deleted */
};
int ctl_set_counts(struct ctl *c, const char *ns, const char *name, struct ctl_set_counts *out);

/* True once every cache has listed and is watching. */
bool ctl_ready(struct ctl *c);
const struct ctl_stats *ctl_get_stats(struct ctl *c);
/* Appends Prometheus text for the sets and servers in the cache. */
int ctl_metrics(struct ctl *c, struct buf *out);
/* Enqueues every set (after gaining leadership). */
void ctl_resync(struct ctl *c);

#endif
