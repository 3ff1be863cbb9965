/* scaler: KEDA's external scaler (service externalscaler.ExternalScaler) inside okg-controller.
 *
 * gRPC over plaintext HTTP/2 with prior knowledge (h2c, as KEDA's client speaks it), served by
 * one thread with a poll loop and an nghttp2 session per connection:
 *
 *   IsActive(ScaledObjectRef)        -> IsActiveResponse
 *   StreamIsActive(ScaledObjectRef)  -> stream IsActiveResponse: the current value at once, then
 *                                       a message whenever it changes (checked every
 *                                       stream_poll_ms), until the client cancels
 *   GetMetricSpec(ScaledObjectRef)   -> [{gssReplicas, targetSize 1, targetSizeFloat 1}]
 *   GetMetrics(GetMetricsRequest)    -> [{gssReplicas, metricValue N, metricValueFloat N}]
 *   StreamMetricSpec                 -> UNIMPLEMENTED (KEDA then polls GetMetricSpec)
 *
 * The set is scaledObjectRef.namespace / scaledObjectRef.name; the answers come from a counts
 * provider (the controller's caches: no API call per request) and scalermetric.h.
 * gRPC status codes: NOT_FOUND (5) unknown set; INVALID_ARGUMENT (3) bad metadata or request;
 * UNAVAILABLE (14) caches not synced yet, or IsActive on a set whose status was never written,
 * or the server shutting down; RESOURCE_EXHAUSTED (8) a request over SCALER_MSG_MAX;
 * UNIMPLEMENTED (12) unknown method or compressed messages; INTERNAL (13) a malformed frame.
 *
 * Limits: max_conns connections (more are closed at once), SCALER_MAX_STREAMS concurrent
 * streams per connection, SCALER_HDR_MAX bytes of request headers and SCALER_MSG_MAX of request
 * message per stream, SCALER_CONN_IN_MAX request bytes buffered per connection (a request past
 * either is answered RESOURCE_EXHAUSTED at once), SCALER_OUT_MAX bytes queued for a socket. A
 * connection that has not sent its preface, has a request not fully received, or does not take
 * queued bytes for io_timeout_ms is closed; so is one with no open stream for idle_timeout_ms
 * (after a GOAWAY). A stream still open io_timeout_ms after its answer is reset.
 * Writes use MSG_NOSIGNAL (no SIGPIPE). Stop sends the remaining answers, ends open streams
 * with UNAVAILABLE, sends GOAWAY, and waits at most SCALER_DRAIN_MS for the bytes to leave. */
#ifndef OKG_CONTROLLER_SCALER_H
#define OKG_CONTROLLER_SCALER_H

#include <stdatomic.h>

#include "controller/scalermetric.h"

#define SCALER_MAX_STREAMS 100
#define SCALER_HDR_MAX	   16384
#define SCALER_MSG_MAX	   16384
#define SCALER_CONN_IN_MAX 65536
#define SCALER_OUT_MAX	   (256u << 10)
#define SCALER_DRAIN_MS	   1000

struct ctl;
struct scaler;

/* Fills *out for the set ns/name. Returns 0 (out->found false for an unknown set), -EAGAIN
 * while the data is not available yet (answered UNAVAILABLE), or another negative errno
 * (INTERNAL). Called on the scaler's thread. */
typedef int (*scaler_counts_fn)(void *ud, const char *ns, const char *name, struct sm_counts *out);

struct scaler_opts {
	const char *listen;	 /* "host:port", "[v6]:port"; port 0 picks one (copied) */
	int max_conns;		 /* 0: 256 */
	int idle_timeout_ms;	 /* 0: 300000 */
	int io_timeout_ms;	 /* 0: 10000 */
	int stream_poll_ms;	 /* 0: 1000 */
	scaler_counts_fn counts; /* NULL: ctl_set_counts() on the ctl given to scaler_start() */
	void *counts_ud;
};

struct scaler_stats {
	atomic_ulong requests, errors, conns_accepted, conns_refused, conns_timed_out,
	    streams_started;
	atomic_long conns_open;
};

/* Listens and starts the server thread. c is borrowed (it must outlive the scaler) and may be
 * NULL when opts->counts is set. Returns 0, -EINVAL (bad address) or a negative errno; err holds
 * a message. *out: scaler_stop(). */
int scaler_start(struct ctl *c, const struct scaler_opts *opts, struct scaler **out, char *err,
		 size_t errlen);
/* The port listened on (useful with port 0). */
int scaler_port(const struct scaler *s);
const struct scaler_stats *scaler_get_stats(const struct scaler *s);
/* Stops the thread (see above), closes everything and frees s. NULL-safe. */
void scaler_stop(struct scaler *s);

#endif
