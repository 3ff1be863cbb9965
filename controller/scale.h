/* scale: which game servers a GameServerSet creates and deletes. Pure: state in, plan out.
 *
 * Order of deletion when scaling down (first deleted first):
 *   1. opsState: Kill, WaitToBeDeleted, None (and any unknown value), Allocated, Maintaining;
 *   2. within one opsState, the larger deletionPriority (a priority that is not a number counts
 *      as 0);
 *   3. then the larger ordinal.
 * Scaling up takes the lowest ordinals that are neither present nor reserved. Reserved ordinals
 * (spec.reserveGameServerIds) are deleted when present and never created. */
#ifndef OKG_CONTROLLER_SCALE_H
#define OKG_CONTROLLER_SCALE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/ordinal.h"

/* One existing game server (its pod and GameServer). Strings are borrowed. */
struct sc_server {
	int ordinal;
	const char *ops_state;	       /* GameServer spec.opsState; NULL = None */
	const char *deletion_priority; /* as text ("10"); NULL = 0 */
	bool deleting;		       /* its pod is terminating */
};

struct sc_input {
	long replicas;		       /* spec.replicas */
	const struct ordset *reserved; /* spec.reserveGameServerIds, expanded */
	bool reserve_ids;	       /* scaleDownStrategyType ReserveIds */
	const struct sc_server *servers;
	size_t n;
};

struct sc_plan {
	struct ordset create; /* ordinals to create, lowest first */
	int *remove;	      /* ordinals to delete, in deletion order (owned) */
	size_t n_remove;
	size_t n_remove_reserved; /* how many of remove[] are reserved ones (they come first) */
	struct ordset writeback;  /* ReserveIds: ordinals to add to spec.reserveGameServerIds */
	struct ordset waiting;	  /* ordinals to create once their terminating pod is gone */
};

void sc_plan_init(struct sc_plan *p);
void sc_plan_free(struct sc_plan *p); /* NULL-safe */

/* Computes the plan. Returns 0, -EINVAL (negative replicas), -ENOMEM, or -ERANGE when no free
 * ordinal is left below ORD_MAX_VALUE. */
int sc_compute(const struct sc_input *in, struct sc_plan *out);

/* The rank of an opsState in the deletion order: higher is deleted first. *known tells whether
 * the value is one okg knows (unknown values rank like None). */
int sc_ops_rank(const char *ops_state, bool *known);

/* A deletion/update priority as a number: whole numbers (optionally signed) parse, anything
 * else is 0 with *valid false. */
long sc_priority(const char *text, bool *valid);

/* opsState Kill: the replicas after removing killed servers, computed only when the set is
 * settled (no server terminating and as many servers as replicas); else replicas unchanged. */
long sc_replicas_after_kill(const struct sc_input *in);

/* Sorts servers in deletion order (first to delete first). */
void sc_sort_for_deletion(struct sc_server *servers, size_t n);

#endif
