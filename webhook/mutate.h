/* mutate: injects okg's probe helper into the pods of GameServerSets that declare service
 * qualities, as an RFC 6902 JSON Patch. Pure: no I/O, no API calls; what it needs travels on
 * the pod (see webhook/README.md, "Contract with the controller").
 *
 * A pod gets the helper when, on CREATE:
 *   - it has the label game.kruise.io/owner-gss (any non-empty value),
 *   - its annotation okg.game.kruise.io/probes holds a non-empty JSON array,
 *   - no container or init container is named "okg-probe" yet (so re-invocation is a no-op),
 *   - it is not a mirror pod (annotation kubernetes.io/config.mirror),
 *   - spec.containers is a list (otherwise the API server refuses the pod itself).
 * The patch appends the "okg-probe" container, sets spec.shareProcessNamespace (unless the pod
 * uses hostPID, which already shares the node's), and marks the pod with the annotation
 * okg.game.kruise.io/probe-injected: "true".
 *
 * A pod of a set whose template runs the OKG sidecar (the controller names that container in
 * the annotation okg.game.kruise.io/sidecar; same owner and mirror conditions) gets that
 * container turned into okg-probe in sidecar mode instead: the helper's image, command and
 * pull policy, env POD_NAME/POD_NAMESPACE/POD_UID/POD_IP, OKG_SIDECAR_CONFIG
 * (/opt/sidecar/config.yaml), OKG_PROBE_TOKEN and OKG_REPORT_URL, a securityContext without
 * any capability; its args and liveness/readiness/startup probes are removed; its name,
 * volume mounts, ports and resources stay. A container that already has OKG_SIDECAR_CONFIG is
 * left alone (re-invocation is a no-op). The same annotation marks the pod. */
#ifndef OKG_WEBHOOK_MUTATE_H
#define OKG_WEBHOOK_MUTATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "webhook/fielderr.h"

#define MUT_OWNER_LABEL		"game.kruise.io/owner-gss"
#define MUT_PROBES_ANNOTATION	"okg.game.kruise.io/probes"
#define MUT_INJECTED_ANNOTATION "okg.game.kruise.io/probe-injected"
#define MUT_MIRROR_ANNOTATION	"kubernetes.io/config.mirror"
#define MUT_HELPER_NAME		"okg-probe"
#define MUT_TOKEN_ANNOTATION	"okg.game.kruise.io/probe-token"
#define MUT_SIDECAR_ANNOTATION	"okg.game.kruise.io/sidecar"
#define MUT_SIDECAR_CONFIG	"/opt/sidecar/config.yaml"

/* The helper's container settings. All strings are borrowed; an empty or NULL resource string
 * leaves that resource out; an empty or NULL pull policy leaves Kubernetes' default. */
struct mut_opts {
	const char *image;
	const char *command;
	const char *pull_policy;
	const char *cpu_request, *memory_request;
	const char *cpu_limit, *memory_limit;
	const char *report_url; /* where the helper reports results (okg-controller), or NULL */
};

/* Decides and builds the patch for pod (borrowed). On success *patch is a new NUL-terminated
 * JSON array (caller frees) of *len bytes, or NULL when the pod is left as it is. Soft problems
 * (a probes annotation that is not a JSON array, a container already named okg-probe) are
 * added to warn (may be NULL) and leave the pod unchanged. Returns 0 or -ENOMEM. */
int mut_pod(const cJSON *pod, const struct mut_opts *o, char **patch, size_t *len,
	    struct fe_list *warn);

#endif
