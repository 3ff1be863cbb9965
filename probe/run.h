/* run: one run of one probe of any kind, with its outcome.
 *
 *   exec       see exec.h; the target process is looked up by container and cached in *t
 *              (looked up again when it has died or its PID was reused).
 *   httpGet    GET scheme://POD_IP:port/path with the probe's headers, no certificate
 *              verification (as the kubelet). Status 200-399 is success. The result is the
 *              cleaned body (text.h); at most 64 KiB of it is read. A named port fails with
 *              "named port X is not supported" (the pod spec is not known here).
 *   tcpSocket  a connection to POD_IP:port within the timeout is success.
 *   sidecar    the endpoint's method and URL; success is exactly expectedStatusCode; the data
 *              is the body (or the value at jsonPathConfig.jsonPath in a JSON body), cleaned;
 *              the markerPolices entry whose state equals the data gives the opsState (with
 *              inKube.jsonPath /spec/opsState and no matching entry, the data itself). The
 *              result is the data. */
#ifndef OKG_PROBE_RUN_H
#define OKG_PROBE_RUN_H

#include "probe/exec.h"
#include "probe/outcome.h"
#include "probe/spec.h"

#define PR_HTTP_MAX_READ (64 * 1024)

struct pr_ctx {
	const char *pod_ip;  /* httpGet / tcpSocket target */
	const char *pod_uid; /* exec: finds the containers of this pod */
	int stop_fd;	     /* readable = the helper is stopping (-1: none) */
};

/* Runs p once; out is always filled. t (exec only) caches the target process. */
void pr_probe_once(const struct pr_probe *p, const struct pr_ctx *ctx, struct pr_target *t,
		   struct pr_outcome *out);

/* Looks up a gjson-style path ("a.b.0.c", "\." escapes a dot) in a JSON document; writes the
 * value as text (strings as they are, other values as compact JSON) into out. 0, -ENOENT
 * (no such value, or null), -EINVAL (doc is not JSON). Pure. */
int pr_json_path(const char *doc, size_t len, const char *path, char *out, size_t outlen);

#endif
