/* kubelet: the HTTPS endpoint a Node advertises (status.daemonEndpoints.kubeletEndpoint).
 * The API server proxies `kubectl logs` here; /healthz and /pods help tests and people. */
#ifndef OKG_NODESIM_KUBELET_H
#define OKG_NODESIM_KUBELET_H

#include <stddef.h>

struct kl_server;

/* Listens on addr:port (port 0 picks one; *out_port tells it) with a fresh self-signed
 * certificate. log_dir is copied: container logs are read from LOGDIR/NS_POD_CONTAINER.log. */
int kl_start(const char *addr, int port, const char *log_dir, struct kl_server **out,
	     int *out_port);

/* Replaces the JSON served at /pods (copied). Thread-safe. */
void kl_set_pods(struct kl_server *s, const char *json);

void kl_stop(struct kl_server *s); /* NULL-safe; frees s */

/* Builds the log file path for a container; -EINVAL if a name is unsafe for a path. */
int kl_log_path(const char *log_dir, const char *ns, const char *pod, const char *container,
		char *out, size_t outlen);

#endif
