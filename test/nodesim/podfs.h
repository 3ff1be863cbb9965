/* podfs: what an isolated pod's containers see of the file system. Pods of the simulator share
 * the host's network namespace and root file system; in the pod's own mount namespace this
 * module puts
 *   - an /etc/hosts in which "localhost" (and the pod's name) is the pod's own IP, so a
 *     container that talks to http://localhost:PORT reaches the pod's process listening on
 *     POD_IP:PORT, not another pod's (they cannot all have 127.0.0.1:PORT), and
 *   - every configMap volume of the pod at its containers' mountPaths (the keys as files; a
 *     path that does not exist on the host is made inside a tmpfs-backed overlay of its
 *     nearest existing parent, visible to this pod only).
 * All containers of a pod share one mount namespace here, so a path mounted by one container
 * is seen by all. subPath mounts and other volume types are not simulated.
 *
 * Files live under a per-pod directory of the host (dir); the mounts die with the pod. */
#ifndef OKG_NODESIM_PODFS_H
#define OKG_NODESIM_PODFS_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

/* Fetches ConfigMap ns/name: 0 and *out (caller deletes), -ENOENT when it does not exist, or
 * another negative errno. */
typedef int (*pf_get_configmap)(void *ud, const char *ns, const char *name, cJSON **out);

/* The /etc/hosts text for a pod. Returns the length written, or -ENOSPC. Pure. */
int pf_hosts_text(const char *pod_ip, const char *pod_name, char *out, size_t outlen);

/* The configMap mounts of pod (borrowed): for each container's volumeMount whose volume is a
 * configMap, in order, without repeated mountPaths. *out is a new array of
 * {"mountPath","configMap","optional","items"} objects (caller deletes). Mounts this module
 * cannot simulate are skipped with a line in warn (may be NULL). Pure. */
int pf_configmap_mounts(const cJSON *pod, cJSON **out, char *warn, size_t warnlen);

/* Writes the pod's files under dir (created) and mounts them in the mount namespace of
 * process sandbox. On a problem, msg says what; the pod runs with what could be set up.
 * Returns 0 or a negative errno. */
int pf_setup(pid_t sandbox, const char *dir, const char *pod_ip, const cJSON *pod,
	     pf_get_configmap get, void *ud, char *msg, size_t msglen);

/* Removes a pod's directory (best effort). */
void pf_remove(const char *dir);

#endif
