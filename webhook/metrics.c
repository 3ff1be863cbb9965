#include "webhook/metrics.h"

#include <errno.h>
#include <string.h>

static const char *const path_names[WM_NPATH] = {
    "/validate-v1alpha1-gss", "/mutate-v1-pod", "/healthz", "/readyz", "/metrics", "other",
};
static const unsigned codes[WM_NCODES - 1] = {200, 400, 404, 405, 413, 500, 503};
/* Upper bounds in seconds; admission answers take tens of microseconds. */
static const double bounds[WM_NBUCKETS] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
					   0.005,   0.01,   0.025,   0.05,   0.1,   1.0};

#define RLX memory_order_relaxed

void wm_init(struct wm_metrics *m)
{
	/* Atomics of static or calloc'ed storage start at zero; memset is fine before sharing. */
	memset(m, 0, sizeof(*m));
}

void wm_request(struct wm_metrics *m, enum wm_path p, unsigned code, uint64_t ns)
{
	size_t ci = WM_NCODES - 1;

	if ((unsigned)p >= WM_NPATH)
		p = WM_OTHER;
	if (code == 0) {
		atomic_fetch_add_explicit(&m->aborted, 1, RLX);
		return;
	}
	for (size_t i = 0; i < WM_NCODES - 1; i++)
		if (codes[i] == code)
			ci = i;
	atomic_fetch_add_explicit(&m->requests[p][ci], 1, RLX);
	if (p == WM_VALIDATE || p == WM_MUTATE) {
		double s = (double)ns / 1e9;
		size_t b = 0;

		while (b < WM_NBUCKETS && s > bounds[b])
			b++;
		atomic_fetch_add_explicit(&m->lat_bucket[p][b], 1, RLX);
		atomic_fetch_add_explicit(&m->lat_sum_ns[p], ns, RLX);
	}
}

void wm_review(struct wm_metrics *m, int route, bool allowed, bool patched, unsigned warnings)
{
	if (route < 1 || route > 2)
		return;
	if (!allowed)
		atomic_fetch_add_explicit(&m->denials[route - 1], 1, RLX);
	if (patched)
		atomic_fetch_add_explicit(&m->patches, 1, RLX);
	if (warnings)
		atomic_fetch_add_explicit(&m->warnings, warnings, RLX);
}

#define LOAD(x) atomic_load_explicit(&(x), RLX)

int wm_render(struct wm_metrics *m, struct buf *out, long inflight, bool ready,
	      long long cert_not_after)
{
	int r = 0;

	r |= buf_append_str(out, "# HELP okg_webhook_requests_total HTTP requests by path and "
				 "status code.\n# TYPE okg_webhook_requests_total counter\n");
	for (int p = 0; p < WM_NPATH; p++) {
		for (int c = 0; c < WM_NCODES; c++) {
			unsigned long long v = LOAD(m->requests[p][c]);

			if (!v)
				continue;
			if (c < WM_NCODES - 1)
				r |= buf_printf(
				    out,
				    "okg_webhook_requests_total{path=\"%s\",code=\"%u\"} "
				    "%llu\n",
				    path_names[p], codes[c], v);
			else
				r |= buf_printf(
				    out,
				    "okg_webhook_requests_total{path=\"%s\",code=\"other\"}"
				    " %llu\n",
				    path_names[p], v);
		}
	}
	r |= buf_printf(out,
			"# HELP okg_webhook_aborted_requests_total Requests that ended without a "
			"response.\n# TYPE okg_webhook_aborted_requests_total counter\n"
			"okg_webhook_aborted_requests_total %llu\n",
			LOAD(m->aborted));
	r |= buf_printf(
	    out,
	    "# HELP okg_webhook_denials_total Admission reviews answered allowed=false.\n"
	    "# TYPE okg_webhook_denials_total counter\n"
	    "okg_webhook_denials_total{path=\"%s\"} %llu\n"
	    "okg_webhook_denials_total{path=\"%s\"} %llu\n",
	    path_names[0], LOAD(m->denials[0]), path_names[1], LOAD(m->denials[1]));
	r |= buf_printf(out,
			"# HELP okg_webhook_patches_total Pods that received the probe helper.\n"
			"# TYPE okg_webhook_patches_total counter\nokg_webhook_patches_total %llu\n"
			"# HELP okg_webhook_warnings_total Admission warnings returned.\n"
			"# TYPE okg_webhook_warnings_total counter\nokg_webhook_warnings_total "
			"%llu\n",
			LOAD(m->patches), LOAD(m->warnings));
	r |= buf_append_str(out, "# HELP okg_webhook_request_duration_seconds Time from request "
				 "headers to the end of the response.\n"
				 "# TYPE okg_webhook_request_duration_seconds histogram\n");
	for (int p = 0; p < 2; p++) {
		unsigned long long cum = 0;

		for (int b = 0; b <= WM_NBUCKETS; b++) {
			cum += LOAD(m->lat_bucket[p][b]);
			if (b < WM_NBUCKETS)
				r |= buf_printf(out,
						"okg_webhook_request_duration_seconds_bucket{path="
						"\"%s\",le=\"%g\"} %llu\n",
						path_names[p], bounds[b], cum);
			else
				r |= buf_printf(out,
						"okg_webhook_request_duration_seconds_bucket{path="
						"\"%s\",le=\"+Inf\"} %llu\n",
						path_names[p], cum);
		}
		r |= buf_printf(out,
				"okg_webhook_request_duration_seconds_sum{path=\"%s\"} %.9f\n"
				"okg_webhook_request_duration_seconds_count{path=\"%s\"} %llu\n",
				path_names[p], (double)LOAD(m->lat_sum_ns[p]) / 1e9, path_names[p],
				cum);
	}
	r |=
	    buf_printf(out,
		       "# HELP okg_webhook_inflight_requests Requests being received or answered.\n"
		       "# TYPE okg_webhook_inflight_requests gauge\nokg_webhook_inflight_requests "
		       "%ld\n"
		       "# HELP okg_webhook_ready 1 when a serving certificate is loaded and the "
		       "server is not draining.\n# TYPE okg_webhook_ready gauge\n"
		       "okg_webhook_ready %d\n",
		       inflight, ready ? 1 : 0);
	r |= buf_printf(
	    out,
	    "# HELP okg_webhook_cert_reloads_total Serving certificate loads.\n"
	    "# TYPE okg_webhook_cert_reloads_total counter\n"
	    "okg_webhook_cert_reloads_total{result=\"ok\"} %llu\n"
	    "okg_webhook_cert_reloads_total{result=\"error\"} %llu\n"
	    "# HELP okg_webhook_cert_not_after_seconds Expiry of the serving certificate "
	    "(Unix time).\n# TYPE okg_webhook_cert_not_after_seconds gauge\n"
	    "okg_webhook_cert_not_after_seconds %lld\n",
	    LOAD(m->cert_reloads), LOAD(m->cert_reload_errors), cert_not_after);
	return r < 0 ? -ENOMEM : 0; /* the appends failed: out of memory or over the cap */
}
