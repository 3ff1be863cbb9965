/* leader: leader election on a coordination.k8s.io/v1 Lease, so replicas run safely.
 *
 * The holder renews every retry period; another replica takes over only after it has seen
 * the record unchanged for a whole lease duration by its own clock (no clock comparison
 * across machines). A leader that cannot renew within the renew deadline stops leading at
 * once: *leading drops to 0 before any other replica may take over. */
#ifndef OKG_CONTROLLER_LEADER_H
#define OKG_CONTROLLER_LEADER_H

#include "lib/kubeconfig.h"

struct le_opts {
	const char *namespace; /* copied */
	const char *name;      /* copied */
	const char *identity;  /* copied */
	int lease_s;	       /* default 15 */
	int renew_deadline_s;  /* default 10 */
	int retry_s;	       /* default 2 */
	volatile int *leading; /* written: 1 while this replica leads */
	const volatile int *stop;
	void (*on_started)(void *ud); /* called (on the election thread) on becoming leader */
	void *ud;
};

struct le;
int le_start(const struct kube_config *cfg, const struct le_opts *opts, struct le **out);
/* Stops, releasing the lease when held. */
void le_stop(struct le *e);

#endif
