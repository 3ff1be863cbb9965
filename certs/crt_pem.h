/* crt_pem: PEM certificate bundles and base64 for okg-certs.
 *
 * A bundle is the text of one or more "CERTIFICATE" PEM blocks (a Secret's ca.crt, a webhook's
 * caBundle). Functions here are pure: they read and build text and never touch the network.
 * Errors: 0 or a negative errno value (-EINVAL bad input, -ENOMEM, -E2BIG past a cap). */
#ifndef OKG_CERTS_CRT_PEM_H
#define OKG_CERTS_CRT_PEM_H

#include <stdbool.h>
#include <stddef.h>

#define CRT_MAX_BUNDLE 8 /* certificates kept in a CA bundle (current + old ones in overlap) */
#define CRT_MAX_PEM    (64u * 1024u) /* one PEM text (bundle, key) read from a Secret */

/* Certificate blocks, each a normalized NUL-terminated PEM string owned by the list. */
struct crt_pems {
	char **v;
	size_t n;
};

/* Splits text into its CERTIFICATE blocks (other block types are skipped), each normalized to
 * "-----BEGIN CERTIFICATE-----\n<base64, 64 per line>\n-----END CERTIFICATE-----\n". A block
 * with no END line or a body that is not base64 is -EINVAL; more than max blocks is -E2BIG.
 * text may be NULL (no blocks). *out is freed with crt_pems_free(). */
int crt_pem_split(const char *text, size_t max, struct crt_pems *out);

/* Frees the blocks and the array; NULL-safe; resets p. */
void crt_pems_free(struct crt_pems *p);

/* True when a and b hold the same first certificate (same DER, whatever the line wrapping). */
bool crt_pem_same(const char *a, const char *b);

/* Facts about the first certificate of pem. serial is hex (may be truncated to fit). */
struct crt_cert_info {
	bool is_ca;
	long long seconds_left; /* until notAfter; negative once expired */
	char serial[80];
	char subject[160];
};
int crt_cert_info(const char *pem, struct crt_cert_info *out);

/* Builds the CA bundle to publish: current (required) first, then every certificate of old (may
 * be NULL) that is a CA, is not expired and is not current, in order, capped at CRT_MAX_BUNDLE
 * certificates. Unparsable blocks of old are dropped. *out is a new string the caller frees.
 * The result depends only on the inputs and the clock, so rebuilding from the output gives the
 * same text (the idempotence the tool relies on). */
int crt_bundle_build(const char *current, const char *old, char **out);

/* Standard base64 (with padding, no newlines) of data[0, len). *out is new; caller frees. */
int crt_b64_encode(const void *data, size_t len, char **out);

#endif
