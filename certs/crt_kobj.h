/* crt_kobj: the Kubernetes objects okg-certs reads and writes, as cJSON trees: the TLS Secret
 * and the caBundle of Validating/MutatingWebhookConfigurations. Pure (no network). */
#ifndef OKG_CERTS_CRT_KOBJ_H
#define OKG_CERTS_CRT_KOBJ_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "certs/crt_plan.h"

#define CRT_SECRET_TYPE "kubernetes.io/tls"

/* Reads tls.crt, tls.key, ca.crt and ca.key from secret.data (secret borrowed). Absent keys stay
 * NULL. A value that is not base64, is larger than CRT_MAX_PEM or holds a NUL byte is treated
 * as absent and named in warn ("" when all were readable). -EINVAL if secret is not an object
 * or data is not an object; -ENOMEM. *out is freed with crt_material_free(). */
int crt_secret_read(const cJSON *secret, struct crt_material *out, char *warn, size_t warnlen);

/* A new Secret of type kubernetes.io/tls holding m (all four keys must be set), labelled as
 * managed by okg-certs. *out is a new tree the caller frees. */
int crt_secret_new(const char *ns, const char *name, const struct crt_material *m, cJSON **out);

/* Sets the four keys of secret.data to m's (in place; other keys, metadata and the
 * resourceVersion are kept, so a PUT of the result is a compare-and-swap). *changed tells
 * whether any value differed. */
int crt_secret_set(cJSON *secret, const struct crt_material *m, bool *changed);

/* Non-NULL (borrowed from secret) when the Secret is managed by cert-manager: the value of its
 * cert-manager.io/certificate-name annotation. */
const char *crt_secret_cert_manager(const cJSON *secret);

/* Sets webhooks[*].clientConfig.caBundle of a webhook configuration (in place) to b64 and
 * counts in *changed the webhooks whose value differed, in *total all webhooks. -EINVAL with
 * err naming the field when webhooks is not a list of objects. */
int crt_webhooks_set_ca(cJSON *conf, const char *b64, int *changed, int *total, char *err,
			size_t errlen);

/* Lowercase DNS-1123 subdomain (object names), at most 253 characters. */
bool crt_dns_subdomain(const char *s);

#endif
