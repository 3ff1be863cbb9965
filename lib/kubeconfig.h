/* kubeconfig: where the API server is and how to authenticate to it.
 *
 * Sources, in the order kcfg_load() tries them: an explicit path, $KUBECONFIG (first entry),
 * the in-cluster service account, ~/.kube/config. Key material stays in memory (PEM strings);
 * nothing is written to disk. */
#ifndef OKG_KUBECONFIG_H
#define OKG_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct kube_config {
	char *server;	  /* "https://host:port", no trailing slash */
	char *token;	  /* static bearer token, or NULL */
	char *token_file; /* bearer token re-read from this file (service account), or NULL */
	char *ca_pem;	  /* CA bundle to verify the server, or NULL for the system store */
	char *cert_pem;	  /* client certificate, or NULL */
	char *key_pem;	  /* client key, or NULL */
	char *namespace;  /* default namespace ("default" when unset) */
	bool insecure;	  /* insecure-skip-tls-verify */
	char *source;	  /* where this came from, for logs: a path or "in-cluster" */
};

/* Loads the configuration. path may be NULL. On error returns a negative errno and a message
 * naming the file and field in err. *out is owned by the caller: kcfg_free(). */
int kcfg_load(const char *path, struct kube_config *out, char *err, size_t errlen);

/* Builds the configuration from a parsed kubeconfig document (borrowed). context may be NULL
 * (current-context). base_dir resolves relative file references (may be NULL). Pure but for
 * reading the files a kubeconfig names. */
int kcfg_from_doc(const cJSON *doc, const char *context, const char *base_dir,
		  struct kube_config *out, char *err, size_t errlen);

/* In-cluster: KUBERNETES_SERVICE_HOST/PORT and the service account directory (sa_dir NULL =
 * /var/run/secrets/kubernetes.io/serviceaccount). -ENOENT when not running in a pod. */
int kcfg_in_cluster(const char *sa_dir, struct kube_config *out, char *err, size_t errlen);

/* Deep copy. Returns 0 or -ENOMEM. */
int kcfg_copy(const struct kube_config *src, struct kube_config *dst);

/* Frees the strings (key material is wiped first). NULL-safe; does not free c itself. */
void kcfg_free(struct kube_config *c);

/* Decodes standard base64 (whitespace ignored). *out is a new NUL-terminated buffer the caller
 * frees; *out_len excludes the NUL. Returns 0 or -EINVAL / -ENOMEM. */
int kcfg_base64_decode(const char *in, size_t len, char **out, size_t *out_len);

/* Reads a whole small file (cap 1 MiB) into a new NUL-terminated string. 0 or negative errno. */
int kcfg_read_file(const char *path, char **out, size_t *out_len);

#endif
