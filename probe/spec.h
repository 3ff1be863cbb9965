/* spec: what to probe, from OKG_PROBES (JSON) or from the OKG sidecar's config.yaml. Pure.
 *
 * OKG_PROBES is the GameServerSet's serviceQualities without their actions: a JSON array of
 *   {name, containerName?, permanent?, exec{command[]} | httpGet{path?, port, scheme?,
 *    httpHeaders?[{name, value}]} | tcpSocket{port}, initialDelaySeconds?, periodSeconds?,
 *    timeoutSeconds?, successThreshold?, failureThreshold?}
 * A timing or threshold that is 0 or absent takes OpenKruiseGame's default (what its
 * controller writes into the PodProbeMarker), not the kubelet's: timeoutSeconds 5,
 * initialDelaySeconds 10, periodSeconds 3, successThreshold 1, failureThreshold 3. Users'
 * manifests were tuned against those. Unknown members (serviceQualityAction, ...) are ignored.
 *
 * The sidecar's config.yaml (seed "sidecar service-quality probe") is
 *   plugins: [{name: http_probe, config: {startDelaySeconds, probeIntervalSeconds,
 *     endpoints: [{url, method, headers, timeout, expectedStatusCode, jsonPathConfig{jsonPath},
 *       storageConfig{type, inKube{markerPolices[{state, gameServerOpsState}], jsonPath}}}]}}]
 * Each endpoint becomes a quality named "http_probe-<index>" (endpoints of every http_probe
 * plugin, numbered from 0 in file order). The sidecar's defaults hold: a start delay <= 0 is
 * 30 s, an interval <= 0 is 5 s, a timeout <= 0 is 10 s, expectedStatusCode 0 or absent is 200;
 * thresholds are 1. Keys okg accepts but does not act on (markerPolices labels/annotations,
 * inKube annotationKey/labelKey/target, HTTPMetric storage, other plugins) produce warnings.
 *
 * Errors name the field: "OKG_PROBES[1].exec.command: must be a non-empty list of strings",
 * "/opt/sidecar/config.yaml: plugins[0].config.endpoints[0].url: must be an http:// or
 * https:// URL". */
#ifndef OKG_PROBE_SPEC_H
#define OKG_PROBE_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#define PR_MAX_PROBES	    64		 /* qualities per pod */
#define PR_MAX_ARGS	    1024	 /* exec command entries */
#define PR_MAX_ARG_BYTES    (128 * 1024) /* exec command, all entries together */
#define PR_MAX_HEADERS	    32
#define PR_MAX_NAME	    253
#define PR_MAX_SECONDS	    86400
#define PR_MAX_SPEC_BYTES   (1u << 20) /* OKG_PROBES text */
#define PR_HELPER_CONTAINER "okg-probe"

enum pr_kind { PR_EXEC, PR_HTTP, PR_TCP };

struct pr_header {
	char *name;
	char *value;
};

struct pr_marker {
	char *state;	 /* the probe's data that selects this policy */
	char *ops_state; /* gameServerOpsState, or NULL */
};

struct pr_probe {
	char *name;
	char *container; /* exec: target container, NULL = the first game container */
	bool permanent;
	enum pr_kind kind;

	char **argv; /* exec: NULL-terminated */
	size_t argc;

	/* httpGet / tcpSocket against the pod's IP */
	bool https;
	char *path;	 /* httpGet: starts with '/', may hold a query */
	int port;	 /* 1..65535, or 0 with port_name set */
	char *port_name; /* a named port (cannot be resolved without the pod spec) */
	struct pr_header *headers;
	size_t n_headers;

	/* sidecar http_probe endpoint */
	char *url;	     /* the endpoint's URL (set only in sidecar mode) */
	char *method;	     /* "GET" unless the endpoint says otherwise */
	int expected_status; /* sidecar: this exact status; 0 = 200..399 as the kubelet */
	char *json_path;     /* jsonPathConfig.jsonPath: a gjson-style path, or NULL */
	bool ops_from_data;  /* inKube.jsonPath is /spec/opsState: the data is the opsState */
	struct pr_marker *markers;
	size_t n_markers;

	long initial_delay, period, timeout, success_th, failure_th; /* seconds / counts */
};

struct pr_spec {
	struct pr_probe *probes;
	size_t n;
	bool sidecar;
	char *warnings; /* lines of things accepted but not acted on, or NULL */
};

/* Parses OKG_PROBES text (len bytes, need not be NUL-terminated). On success *out holds the
 * probes (free with pr_spec_free()); on error *out is empty and err says what and where.
 * Returns 0, -EINVAL or -ENOMEM. */
int pr_spec_parse_probes(const char *text, size_t len, struct pr_spec *out, char *err,
			 size_t errlen);

/* Parses the sidecar's config.yaml text; path only names the file in messages. */
int pr_spec_parse_sidecar(const char *text, size_t len, const char *path, struct pr_spec *out,
			  char *err, size_t errlen);

/* Reads and parses the sidecar's config.yaml at path. */
int pr_spec_load_sidecar(const char *path, struct pr_spec *out, char *err, size_t errlen);

/* Releases everything; the spec is empty afterwards. NULL-safe. */
void pr_spec_free(struct pr_spec *s);

/* Is any probe of kind k in s? */
bool pr_spec_has(const struct pr_spec *s, enum pr_kind k);

#endif
