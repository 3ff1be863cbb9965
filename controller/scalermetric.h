/* scalermetric: what okg's KEDA external scaler answers, from counts of one GameServerSet.
 * Pure functions, OpenKruiseGame's semantics (pkg/externalscaler/externalscaler.go):
 *
 *   GetMetrics: the desired replica count (used with metricType AverageValue, target 1).
 *     minNum = handleMinNum(total, none, minAvailable), capped by maxAvailable when set;
 *     none < minNum                 -> replicas + minNum - none    (keep an idle pool)
 *     waitToBeDeleted > 0           -> replicas - waitToBeDeleted  (targeted scale-in)
 *     maxAvailable set, none > max  -> replicas + max - none       (trim the idle surplus)
 *     else                          -> replicas
 *   IsActive: minAvailable > 0, or status.currentReplicas - status.waitToBeDeletedReplicas > 0.
 *
 * Where okg differs, on purpose: a maxAvailable that is not an int32 is an error (OpenKruiseGame
 * logs and ignores it); minAvailable must be a plain decimal number that is finite, not negative
 * and at most 2147483647 when rounded up, in IsActive too (OpenKruiseGame also takes hex floats,
 * "inf" and "nan", and IsActive takes a negative value); a minimum that would exceed 2147483647
 * servers is an error (it overflows in OpenKruiseGame). */
#ifndef OKG_CONTROLLER_SCALERMETRIC_H
#define OKG_CONTROLLER_SCALERMETRIC_H

#include <stdbool.h>
#include <stddef.h>

#define SM_METRIC_NAME "gssReplicas"
#define SM_KEY_MIN     "minAvailable"
#define SM_KEY_MAX     "maxAvailable"

/* One set, as the controller's caches see it (the same fields as struct ctl_set_counts). */
struct sm_counts {
	bool found;		 /* the set exists */
	bool status_ready;	 /* status.waitToBeDeletedReplicas is present */
	long replicas;		 /* spec.replicas */
	long status_current;	 /* status.currentReplicas */
	long status_wtbd;	 /* status.waitToBeDeletedReplicas */
	long total;		 /* the set's pods */
	long none;		 /* pods whose opsState is None */
	long wait_to_be_deleted; /* opsState WaitToBeDeleted and not being deleted */
};

/* handleMinNum: s "" or NULL -> 0; a fraction 0 < n < 1 -> the idle servers needed so that
 * none / total >= n after scaling up; n == 0 or n >= 1 -> ceil(n). s is parsed as a float32,
 * as OpenKruiseGame does. Returns 0, or -EINVAL with the reason in err (which does not name the
 * key). */
int sm_handle_min_num(long total, long none, const char *s, long *out, char *err, size_t errlen);

/* maxAvailable: s "" or NULL -> *set false; else a base-10 int32. Returns 0 or -EINVAL. */
int sm_parse_max(const char *s, bool *set, long *out, char *err, size_t errlen);

/* GetMetrics for the set ns/name (the names are used in messages only). min_s / max_s: the
 * metadata values or NULL. Returns 0 with *out, -ENOENT (unknown set) or -EINVAL (bad
 * metadata, the message names the key); err holds the message. */
int sm_get_metrics(const struct sm_counts *c, const char *ns, const char *name, const char *min_s,
		   const char *max_s, long long *out, char *err, size_t errlen);

/* IsActive. Returns 0 with *out, -ENOENT, -EAGAIN (the set's status was never written: "has
 * not inited") or -EINVAL (bad metadata). */
int sm_is_active(const struct sm_counts *c, const char *ns, const char *name, const char *min_s,
		 const char *max_s, bool *out, char *err, size_t errlen);

#endif
