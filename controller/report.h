/* report: probe results sent by the okg-probe helpers, kept in memory per pod.
 *
 * POST /v1/probe-results, Authorization: Bearer TOKEN, body:
 *   {"namespace","pod","podUID","seq","results":[{"name","state":true|false|null,"result",
 *    "probeTime","exitCode","message","opsState"}]}
 * Every report carries the full state of every quality, so the newest one replaces the last.
 * Only the reconciler turns them into API writes, and only when an outcome changed. */
#ifndef OKG_CONTROLLER_REPORT_H
#define OKG_CONTROLLER_REPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "controller/sq.h"

#define RP_BODY_MAX (256u * 1024u)

struct rp_report {
	char ns[254], pod[254], uid[64];
	cJSON *results; /* the validated "results" array (owned) */
};

/* Parses and validates a report body. On error returns -EINVAL with err naming the field. */
int rp_parse(const char *body, size_t len, struct rp_report *out, char *err, size_t errlen);
void rp_report_free(struct rp_report *r); /* NULL-safe */

struct rp_store;
int rp_store_new(struct rp_store **out);
void rp_store_free(struct rp_store *s);

/* Takes ownership of r->results. Returns 1 when the pod is new here, its uid changed, or a
 * quality's name, state, result or opsState differs from what was stored (work for
 * sq_evaluate); 0 when only probe times or messages differ (a heartbeat: nothing to do). */
int rp_store_put(struct rp_store *s, struct rp_report *r);
/* A copy of the newest results for the pod with that uid, or NULL. Caller deletes. */
cJSON *rp_store_get(struct rp_store *s, const char *ns, const char *pod, const char *uid);
void rp_store_remove(struct rp_store *s, const char *ns, const char *pod);

/* Views a results array (borrowed, must outlive out) as sq_result entries. *out: free(). */
int rp_results_view(const cJSON *results, struct sq_result **out, size_t *n);

/* Remembers that the GameServer was written from resourceVersion rv; until the cache shows
 * another version, the pod's results are not evaluated again (no double actions). */
void rp_store_mark_applied(struct rp_store *s, const char *ns, const char *pod, const char *rv);
/* True while the cached GameServer is still at the version we wrote from. */
int rp_store_awaiting(struct rp_store *s, const char *ns, const char *pod, const char *cache_rv);

#endif
