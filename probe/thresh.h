/* thresh: the Kubernetes probe thresholds. Pure.
 *
 * A quality's reported state moves to an outcome only once that outcome has come up
 * threshold times in a row (successThreshold for success, failureThreshold for failure), from
 * unknown as well as from the opposite state, as the kubelet's and kruise-daemon's probe
 * workers do. While a run is below its threshold the reported state, and the result that goes
 * with it, stay as they were, so a reported (state, result) pair always comes from one probe. */
#ifndef OKG_PROBE_THRESH_H
#define OKG_PROBE_THRESH_H

#include <stdbool.h>

struct pr_thresh {
	int state; /* reported: -1 unknown, 0 false, 1 true */
	int last;  /* outcome of the latest probe: -1 none yet, 0, 1 */
	long run;  /* how many probes in a row had outcome last */
};

void pr_thresh_init(struct pr_thresh *t);

/* Feeds one probe outcome (0 failure, 1 success); thresholds below 1 count as 1. Returns true
 * when the outcome is (now) the reported state, i.e. this probe's output is the result to
 * report; false when the run is still below its threshold. */
bool pr_thresh_feed(struct pr_thresh *t, int outcome, long success_th, long failure_th);

#endif
