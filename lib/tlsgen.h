/* tlsgen: in-memory X.509 material (a CA, leaves signed by it) for the certs tool and test
 * servers. Everything is PEM text in memory; nothing here reads or writes files.
 *
 * Errors: fallible functions return 0 or a negative errno value: -EINVAL for bad arguments or
 * unparsable PEM, -ENOMEM when out of memory, -EIO when OpenSSL fails for another reason.
 * Functions keep no global state and leave the calling thread's OpenSSL error queue as they
 * found it, so they are safe to call from any thread. */
#ifndef OKG_TLSGEN_H
#define OKG_TLSGEN_H

#include <stddef.h>

/* A certificate and its private key, both NUL-terminated PEM strings owned by the pair.
 * cert_pem holds one "CERTIFICATE" block; key_pem an unencrypted PKCS#8 "PRIVATE KEY" block. */
struct tg_pair {
	char *cert_pem;
	char *key_pem;
};

/* Wipes key_pem, frees both strings and sets them to NULL, so a second call is harmless.
 * NULL-safe; does not free p itself. */
void tg_pair_free(struct tg_pair *p);

enum tg_key_type { TG_KEY_EC_P256, TG_KEY_RSA_2048 };

/* What to put in a certificate. The request only borrows its strings. */
struct tg_cert_req {
	const char *common_name;      /* required, 1..64 characters */
	const char *const *dns_names; /* subjectAltName DNS entries (may be NULL if 0) */
	size_t n_dns;
	const char *const *ip_addrs; /* IPv4 or IPv6 literals (may be NULL if 0) */
	size_t n_ip;
	int valid_days; /* 1..3650 */
	enum tg_key_type key_type;
	int is_ca;		  /* basicConstraints CA:TRUE, keyUsage keyCertSign|cRLSign */
	int client_auth;	  /* leaves: extKeyUsage clientAuth instead of serverAuth */
	const char *organization; /* optional O= (Kubernetes maps it to a group); NULL = none */
};

/* Creates a fresh key and a certificate signed by that key (use for a CA).
 * On success fills *out, which the caller releases with tg_pair_free(). *out is written only on
 * success, and then overwritten without freeing what it held. */
int tg_self_signed(const struct tg_cert_req *req, struct tg_pair *out);

/* As tg_self_signed(), but the certificate is issued by ca (borrowed). ca->cert_pem must be a
 * CA certificate and ca->key_pem its private key, else -EINVAL. out must not alias ca. */
int tg_signed_by(const struct tg_cert_req *req, const struct tg_pair *ca, struct tg_pair *out);

/* Seconds from now until notAfter of the first certificate in cert_pem (negative once
 * expired), in *out_secs. -EINVAL if cert_pem holds no parsable certificate. */
int tg_cert_seconds_left(const char *cert_pem, long long *out_secs);

/* 0 if the first certificate in cert_pem chains to a certificate in ca_pem and is valid now.
 * Further certificates in cert_pem serve as untrusted intermediates; ca_pem may hold several
 * trusted CAs (e.g. old and new during a rotation). -EBADMSG if verification fails, -EINVAL if
 * either bundle is empty or unparsable. */
int tg_verify(const char *cert_pem, const char *ca_pem);

/* 0 if the subjectAltNames of the first certificate in cert_pem cover host: an IPv4/IPv6
 * literal is compared with IP entries, anything else with DNS entries (case-insensitive,
 * wildcards allowed). The subject CN is never consulted. -ENOENT if not covered, -EINVAL for
 * an empty host or unparsable PEM. */
int tg_cert_matches_host(const char *cert_pem, const char *host);

/* 0 if key_pem is the private key belonging to the first certificate in cert_pem, -EINVAL if
 * not or if either is unparsable. */
int tg_key_matches(const char *cert_pem, const char *key_pem);

#endif
