/* metrics: the webhook's Prometheus counters. Lock-free (relaxed atomics): they are bumped on
 * every request from the server's worker threads and read by /metrics. */
#ifndef OKG_WEBHOOK_METRICS_H
#define OKG_WEBHOOK_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"

enum wm_path { WM_VALIDATE, WM_MUTATE, WM_HEALTHZ, WM_READYZ, WM_METRICS, WM_OTHER, WM_NPATH };

#define WM_NCODES   8 /* 200 400 404 405 413 500 503 other */
#define WM_NBUCKETS 12

struct wm_metrics {
	atomic_ullong requests[WM_NPATH][WM_NCODES];
	atomic_ullong denials[2]; /* validate, mutate */
	atomic_ullong patches;
	atomic_ullong warnings;
	atomic_ullong aborted; /* requests that ended without a response (client gone, timeout) */
	/* Admission latency (validate, mutate): per-bucket counts, made cumulative on output. */
	atomic_ullong lat_bucket[2][WM_NBUCKETS + 1];
	atomic_ullong lat_sum_ns[2];
	atomic_ullong cert_reloads, cert_reload_errors;
};

void wm_init(struct wm_metrics *m);

/* Counts one finished request: its path, HTTP status (0 = no response was sent) and the time
 * from its first byte of headers to completion. */
void wm_request(struct wm_metrics *m, enum wm_path p, unsigned code, uint64_t ns);

/* Counts the outcome of one admission review (route 1 = validate, 2 = mutate). */
void wm_review(struct wm_metrics *m, int route, bool allowed, bool patched, unsigned warnings);

/* Appends the Prometheus text exposition of m, plus the gauges passed in, to out.
 * cert_not_after is a Unix time (0 = no certificate).
 * Returns 0 or -ENOMEM. */
int wm_render(struct wm_metrics *m, struct buf *out, long inflight, bool ready,
	      long long cert_not_after);

#endif
