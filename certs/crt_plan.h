/* crt_plan: what okg-certs decides (keep, re-issue the serving certificate, or make a new CA)
 * and the material it then produces. Pure but for key generation: no network, no files.
 * Errors: 0 or a negative errno value; messages, where a function takes err, name the input. */
#ifndef OKG_CERTS_CRT_PLAN_H
#define OKG_CERTS_CRT_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/tlsgen.h"

#define CRT_MAX_EXTRA 32 /* --dns / --ip entries each */

/* The names the serving certificate must cover. All strings owned. */
struct crt_names {
	char **dns;
	size_t n_dns;
	char **ip;
	size_t n_ip;
	char common_name[65];
};

/* SERVICE, SERVICE.NS, SERVICE.NS.svc, SERVICE.NS.svc.cluster.local, then the comma-separated
 * extra DNS names and IP literals (either may be NULL or ""; blanks around commas ignored,
 * duplicates dropped). service and ns must be DNS-1123 labels; extra DNS names DNS-1123
 * subdomains, optionally "*."-prefixed. On error err names the bad entry. */
int crt_names_build(const char *service, const char *ns, const char *extra_dns,
		    const char *extra_ip, struct crt_names *out, char *err, size_t errlen);
void crt_names_free(struct crt_names *n); /* NULL-safe; resets n */

/* The contents of the Secret: PEM texts, each owned, any may be NULL. ca_crt is the CA bundle
 * (the current CA, then older CAs still trusted during an overlap); ca_key the current CA key. */
struct crt_material {
	char *ca_crt;
	char *ca_key;
	char *tls_crt;
	char *tls_key;
};
void crt_material_free(struct crt_material *m); /* wipes the keys; NULL-safe; resets m */
bool crt_material_equal(const struct crt_material *a, const struct crt_material *b);

struct crt_policy {
	const struct crt_names *names;
	long long renew_before_s; /* re-issue what expires within this */
	int ca_days;
	int cert_days;
	enum tg_key_type key_type;
	const char *ca_common_name;
};

enum crt_action {
	CRT_KEEP,     /* the serving certificate stays; the bundle may still be tidied */
	CRT_NEW_LEAF, /* a new serving certificate from the current CA */
	CRT_NEW_CA,   /* a new CA (old CAs stay in the bundle until they expire) and leaf */
};

struct crt_decision {
	enum crt_action action;
	int ca_index;	  /* bundle position of the CA that ca_key belongs to, -1 if none */
	char reason[192]; /* for the log: why */
};

/* Decides from the current material (NULL = no Secret). In order: no usable CA (no key, the
 * key matches no CA certificate of the bundle) or the CA expires within renew_before ->
 * CRT_NEW_CA; no serving pair, key not matching, not chaining to the CA (or expired),
 * expiring within renew_before, or not covering a required name -> CRT_NEW_LEAF; else KEEP. */
int crt_decide(const struct crt_material *cur, const struct crt_policy *pol,
	       struct crt_decision *d);

/* Produces the material to store, following d: keeps or issues, and rebuilds the bundle
 * (current CA first, older unexpired CAs after). *out is written only on success. */
int crt_apply(const struct crt_material *cur, const struct crt_policy *pol,
	      const struct crt_decision *d, struct crt_material *out);

const char *crt_action_name(enum crt_action a);

/* Parses an interval: "90", "90s", "15m", "12h", "2d" into seconds (1 s .. 365 d). */
int crt_parse_duration(const char *s, long long *out_s);

#endif
