/* report: the message to okg-controller, and sending it.
 *
 * POST <report URL>, Authorization: Bearer <token>, Content-Type: application/json:
 *   {"namespace":"ns","pod":"gs-0","podUID":"...","seq":7,
 *    "results":[{"name":"healthy","state":true,"result":"gate","probeTime":"2026-01-02T03:04:05Z",
 *                "exitCode":0,"message":""}, ...]}
 * Every quality of the pod is in every report, in the set's order. state is true, false or
 * null (not settled yet); probeTime is null before the first probe; exitCode is present for
 * exec probes that ran; "opsState" is present when the sidecar configuration's markerPolices
 * ask for one. seq counts the reports of this helper process from 1. The controller answers
 * 204 (any 2xx is success). */
#ifndef OKG_PROBE_REPORT_H
#define OKG_PROBE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pr_report_meta {
	const char *namespace;
	const char *pod;
	const char *pod_uid;
};

struct pr_report_item {
	const char *name;
	int state; /* -1 null, 0 false, 1 true */
	const char *result;
	const char *message;
	const char *probe_time; /* RFC 3339, or NULL (null) */
	bool has_exit_code;
	int exit_code;
	const char *ops_state; /* or NULL (omitted) */
};

/* Builds the JSON body. *out is a new NUL-terminated string (caller frees) of *len bytes.
 * Returns 0 or -ENOMEM. */
int pr_report_build(const struct pr_report_meta *m, unsigned long long seq,
		    const struct pr_report_item *items, size_t n, char **out, size_t *len);

/* What came of one POST. */
enum pr_send_result {
	PR_SENT,	/* 2xx */
	PR_SEND_RETRY,	/* connection trouble, timeout, 429, 5xx: retry soon (backoff) */
	PR_SEND_REFUSED /* another 4xx (401, 403, 404, ...): retry slowly */
};

struct pr_reporter {
	char *url;	/* owned */
	char *token;	/* owned; never logged */
	char *ca_file;	/* owned, or NULL */
	int timeout_ms; /* per attempt */
};

/* POSTs body once. *status gets the HTTP status (0 when none came), *retry_after_s the
 * server's Retry-After; err describes a failure (never holds the token). */
enum pr_send_result pr_report_post(const struct pr_reporter *r, const char *body, size_t len,
				   int stop_fd, int *status, unsigned *retry_after_s, char *err,
				   size_t errlen);

/* Formats a CLOCK_REALTIME time as RFC 3339 UTC ("2026-01-02T03:04:05Z"). */
void pr_rfc3339(long long epoch_s, char *out, size_t outlen);

#endif
