/* objects: the Kubernetes objects the controller writes, built from the objects it reads.
 * Pure (cJSON in, cJSON or patch text out), so every rule is unit-tested without a cluster. */
#ifndef OKG_CONTROLLER_OBJECTS_H
#define OKG_CONTROLLER_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define OKG_LABEL_OWNER_GSS		"game.kruise.io/owner-gss"
#define OKG_LABEL_OPS_STATE		"game.kruise.io/gs-opsState"
#define OKG_LABEL_DELETE_PRIORITY	"game.kruise.io/gs-delete-priority"
#define OKG_LABEL_UPDATE_PRIORITY	"game.kruise.io/gs-update-priority"
#define OKG_LABEL_NETWORK_DISABLED	"game.kruise.io/network-disabled"
#define OKG_LABEL_STATE			"game.kruise.io/gs-state"
#define OKG_LABEL_ORDINAL		"okg.game.kruise.io/ordinal"
#define OKG_LABEL_TEMPLATE_HASH		"okg.game.kruise.io/template-hash"
#define OKG_LABEL_TEMPLATE_HASH_NOIMAGE "okg.game.kruise.io/template-hash-noimage"
#define OKG_ANNOTATION_PROBES		"okg.game.kruise.io/probes"
#define OKG_ANNOTATION_SIDECAR		"okg.game.kruise.io/sidecar"

/* Where the OKG sidecar reads its config.yaml (a ConfigMap volume mounted there). */
#define OKG_SIDECAR_MOUNT_PATH "/opt/sidecar"

/* Reads a string field by a dotted path ("metadata.name"); NULL if absent or not a string.
 * Borrowed from obj. */
const char *obj_str(const cJSON *obj, const char *path);
/* The object at a dotted path, or NULL. Borrowed. */
const cJSON *obj_get(const cJSON *obj, const char *path);
/* A label value, or NULL. */
const char *obj_label(const cJSON *obj, const char *key);
/* An int-or-string field as text ("10"); numbers print without decimals. def when absent. */
const char *obj_intstr(const cJSON *v, char *buf, size_t buflen, const char *def);

/* A stable hash of gss.spec.gameServerTemplate (canonical JSON, FNV-1a 64) as 16 hex digits.
 * With images false, container images are left out: two templates with equal image-free
 * hashes differ at most in images, a change a pod takes in place. */
int obj_template_hash(const cJSON *gss, bool images, char out[17]);

/* The pod for ordinal ord of gss (borrowed), with the images of gs.spec.containers (gs may be
 * NULL) applied. *out: new object, caller deletes. */
int obj_build_pod(const cJSON *gss, int ord, const cJSON *gs, cJSON **out);

/* The OKG sidecar container of gss's template, by name, or NULL: the first container whose
 * image repository is "okg-sidecar" (any registry, tag or digest) and that mounts a volume at
 * /opt/sidecar (its config.yaml). Sets with spec.serviceQualities have none: their probe
 * helper is injected instead. Pods of a set that has one carry the annotation
 * okg.game.kruise.io/sidecar naming it; the webhook turns that container into okg-probe in
 * sidecar mode. Borrowed. */
const char *obj_sidecar_container(const cJSON *gss);

/* The GameServer for a pod (borrowed) of set gss_name: owned by the pod, spec defaults. */
int obj_build_gameserver(const cJSON *pod, const char *gss_name, cJSON **out);

/* Whether two image references name the same image ("nginx:1" and
 * "docker.io/library/nginx:1" do; an image ID "sha256:..." matches anything). */
bool obj_image_equal(const char *a, const char *b);

/* The state a GameServer reports for its pod: Creating, Ready, NotReady, Crash, Updating,
 * Deleting. */
const char *obj_gs_state(const cJSON *pod);

/* A merge patch that makes the pod's labels follow the GameServer's spec (opsState,
 * priorities, networkDisabled), or NULL when nothing differs. New string; caller frees. */
char *obj_pod_label_patch(const cJSON *gs, const cJSON *pod);

/* A strategic merge patch setting the pod's container images to those of gs.spec.containers,
 * or NULL when they already match. New string; caller frees. */
char *obj_pod_image_patch(const cJSON *gs, const cJSON *pod);

/* A merge patch for the GameServer's status from its pod, or NULL when unchanged. now is the
 * RFC 3339 time to stamp a state change with. New string; caller frees. */
char *obj_gs_status_patch(const cJSON *gs, const cJSON *pod, const char *now);

/* Cache trimmers: keep what the controller reads, drop the rest (managedFields, most of a
 * pod's spec and status), so a cached game server costs little memory. */
void obj_trim_pod(cJSON *pod);
void obj_trim_meta(cJSON *obj);
/* GameServers: obj_trim_meta, and kubectl's last-applied-configuration annotation. */
void obj_trim_gs(cJSON *gs);

/* The opsState of a GameServer ("None" when unset). Borrowed. */
const char *obj_gs_ops_state(const cJSON *gs);

#endif
