#include "certs/crt_plan.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certs/crt_pem.h"

/* --- names ------------------------------------------------------------------------------ */

static bool dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* DNS-1123 subdomain, optionally with a leading "*." wildcard label. */
static bool dns_name(const char *s)
{
	size_t n = strlen(s);
	const char *p = s;

	if (n == 0 || n > 253)
		return false;
	if (!strncmp(p, "*.", 2))
		p += 2;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (!dns_label(p, len))
			return false;
		p += len;
		if (*p == '.' && !*++p)
			return false; /* trailing dot */
	}
	return p != s;
}

static int names_add(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv;
	char *d;

	for (size_t i = 0; i < *n; i++)
		if (strlen((*v)[i]) == len && !strncmp((*v)[i], s, len))
			return 0;
	d = strndup(s, len);
	if (!d)
		return -ENOMEM;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(d);
		return -ENOMEM;
	}
	nv[(*n)++] = d;
	*v = nv;
	return 0;
}

/* Adds each comma-separated entry of csv; is_ip selects the check. */
static int names_add_csv(struct crt_names *nm, const char *csv, bool is_ip, char *err,
			 size_t errlen)
{
	const char *p = csv;
	size_t count = 0;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		char item[256];
		unsigned char addr[16];
		size_t len;
		int r;

		while (p < end && isspace((unsigned char)*p))
			p++;
		len = (size_t)(end - p);
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len) {
			if (len >= sizeof(item)) {
				snprintf(err, errlen, "--%s: entry \"%.40s...\" is too long",
					 is_ip ? "ip" : "dns", p);
				return -EINVAL;
			}
			memcpy(item, p, len);
			item[len] = '\0';
			if (++count > CRT_MAX_EXTRA) {
				snprintf(err, errlen, "--%s: more than %d entries",
					 is_ip ? "ip" : "dns", CRT_MAX_EXTRA);
				return -EINVAL;
			}
			if (is_ip ? (inet_pton(AF_INET, item, addr) != 1 &&
				     inet_pton(AF_INET6, item, addr) != 1)
				  : !dns_name(item)) {
				snprintf(err, errlen,
					 is_ip ? "--ip: \"%s\" is not an IPv4 or IPv6 address"
					       : "--dns: \"%s\" is not a DNS name (lowercase "
						 "DNS-1123, optional leading *.)",
					 item);
				return -EINVAL;
			}
			r = is_ip ? names_add(&nm->ip, &nm->n_ip, item, len)
				  : names_add(&nm->dns, &nm->n_dns, item, len);
			if (r < 0)
				return r;
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

void crt_names_free(struct crt_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_dns; i++)
		free(n->dns[i]);
	for (size_t i = 0; i < n->n_ip; i++)
		free(n->ip[i]);
	free(n->dns);
	free(n->ip);
	memset(n, 0, sizeof(*n));
}

int crt_names_build(const char *service, const char *ns, const char *extra_dns,
		    const char *extra_ip, struct crt_names *out, char *err, size_t errlen)
{
	static const char *const suffixes[] = {NULL, "", ".svc", ".svc.cluster.local"};
	struct crt_names nm;
	char name[320];
	int r = 0;

	if (!out || !err || !errlen)
		return -EINVAL;
	memset(&nm, 0, sizeof(nm));
	err[0] = '\0';
	if (!service || !dns_label(service, strlen(service))) {
		snprintf(err, errlen, "--service: \"%s\" is not a DNS-1123 label",
			 service ? service : "");
		return -EINVAL;
	}
	if (!ns || !dns_label(ns, strlen(ns))) {
		snprintf(err, errlen, "--namespace: \"%s\" is not a DNS-1123 label", ns ? ns : "");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]) && r == 0; i++) {
		if (suffixes[i])
			snprintf(name, sizeof(name), "%s.%s%s", service, ns, suffixes[i]);
		else
			snprintf(name, sizeof(name), "%s", service);
		r = names_add(&nm.dns, &nm.n_dns, name, strlen(name));
	}
	if (r == 0)
		r = names_add_csv(&nm, extra_dns, false, err, errlen);
	if (r == 0)
		r = names_add_csv(&nm, extra_ip, true, err, errlen);
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		crt_names_free(&nm);
		return r;
	}
	/* CN is informational (clients check SANs); it must fit the 64-character limit. */
	if (strlen(nm.dns[2]) <= 64)
		snprintf(nm.common_name, sizeof(nm.common_name), "%s", nm.dns[2]);
	else
		snprintf(nm.common_name, sizeof(nm.common_name), "%s", service);
	*out = nm;
	return 0;
}

/* --- material ---------------------------------------------------------------------------- */

static void free_secret_str(char **s)
{
	if (*s) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void crt_material_free(struct crt_material *m)
{
	if (!m)
		return;
	free(m->ca_crt);
	free(m->tls_crt);
	free_secret_str(&m->ca_key);
	free_secret_str(&m->tls_key);
	m->ca_crt = NULL;
	m->tls_crt = NULL;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool crt_material_equal(const struct crt_material *a, const struct crt_material *b)
{
	return str_eq(a->ca_crt, b->ca_crt) && str_eq(a->ca_key, b->ca_key) &&
	       str_eq(a->tls_crt, b->tls_crt) && str_eq(a->tls_key, b->tls_key);
}

const char *crt_action_name(enum crt_action a)
{
	switch (a) {
	case CRT_KEEP:
		return "keep";
	case CRT_NEW_LEAF:
		return "new-leaf";
	case CRT_NEW_CA:
		return "new-ca";
	}
	return "unknown";
}

/* --- decision ---------------------------------------------------------------------------- */

static void set_decision(struct crt_decision *d, enum crt_action a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_decision(struct crt_decision *d, enum crt_action a, const char *fmt, ...)
{
	va_list ap;

	d->action = a;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

/* Position of the certificate in the bundle that key belongs to and that is a CA, or -1. */
static int find_ca(const struct crt_pems *bundle, const char *key)
{
	struct crt_cert_info info;

	if (!key)
		return -1;
	for (size_t i = 0; i < bundle->n; i++)
		if (tg_key_matches(bundle->v[i], key) == 0 &&
		    crt_cert_info(bundle->v[i], &info) == 0 && info.is_ca)
			return (int)i;
	return -1;
}

int crt_decide(const struct crt_material *cur, const struct crt_policy *pol, struct crt_decision *d)
{
	struct crt_pems bundle = {NULL, 0};
	struct crt_cert_info ca, leaf;
	const struct crt_names *nm;
	int r;

	if (!pol || !pol->names || !d)
		return -EINVAL;
	nm = pol->names;
	memset(d, 0, sizeof(*d));
	d->ca_index = -1;
	if (!cur) {
		set_decision(d, CRT_NEW_CA, "no secret yet");
		return 0;
	}
	r = crt_pem_split(cur->ca_crt, 64, &bundle);
	if (r < 0 || bundle.n == 0) {
		set_decision(d, CRT_NEW_CA, "ca.crt %s", cur->ca_crt ? "is unreadable" : "missing");
		r = 0;
		goto out;
	}
	if (!cur->ca_key) {
		set_decision(d, CRT_NEW_CA, "ca.key missing (no CA to sign with)");
		goto out;
	}
	d->ca_index = find_ca(&bundle, cur->ca_key);
	if (d->ca_index < 0) {
		set_decision(d, CRT_NEW_CA, "ca.key belongs to no CA certificate of ca.crt");
		goto out;
	}
	r = crt_cert_info(bundle.v[d->ca_index], &ca);
	if (r < 0)
		goto out;
	if (ca.seconds_left <= pol->renew_before_s) {
		set_decision(d, CRT_NEW_CA, "CA expires in %lldh (renew-before %lldh)",
			     ca.seconds_left / 3600, pol->renew_before_s / 3600);
		goto out;
	}
	if (!cur->tls_crt || !cur->tls_key || crt_cert_info(cur->tls_crt, &leaf) < 0) {
		set_decision(d, CRT_NEW_LEAF, "no readable serving certificate and key");
		goto out;
	}
	if (tg_key_matches(cur->tls_crt, cur->tls_key) != 0) {
		set_decision(d, CRT_NEW_LEAF, "tls.key does not belong to tls.crt");
		goto out;
	}
	if (tg_verify(cur->tls_crt, bundle.v[d->ca_index]) != 0) {
		set_decision(d, CRT_NEW_LEAF,
			     "tls.crt does not chain to the current CA (or is not valid now)");
		goto out;
	}
	if (leaf.seconds_left <= pol->renew_before_s) {
		set_decision(d, CRT_NEW_LEAF,
			     "serving certificate expires in %lldh "
			     "(renew-before %lldh)",
			     leaf.seconds_left / 3600, pol->renew_before_s / 3600);
		goto out;
	}
	for (size_t i = 0; i < nm->n_dns + nm->n_ip; i++) {
		const char *h = i < nm->n_dns ? nm->dns[i] : nm->ip[i - nm->n_dns];
		const char *host = h;
		char probe[320];

		/* A required wildcard is covered when a name it stands for is. */
		if (!strncmp(h, "*.", 2)) {
			snprintf(probe, sizeof(probe), "okg-wildcard-probe%s", h + 1);
			host = probe;
		}
		if (tg_cert_matches_host(cur->tls_crt, host) != 0) {
			set_decision(d, CRT_NEW_LEAF, "serving certificate does not cover %s", h);
			goto out;
		}
	}
	set_decision(d, CRT_KEEP, "serving certificate valid for %lldh, covers all names",
		     leaf.seconds_left / 3600);
	r = 0;
out:
	crt_pems_free(&bundle);
	return r < 0 ? r : 0;
}

/* --- producing material ------------------------------------------------------------------ */

static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int issue_leaf(const struct crt_policy *pol, const struct tg_pair *ca, struct tg_pair *out)
{
	const struct crt_names *nm = pol->names;
	struct tg_cert_req req = {
	    .common_name = nm->common_name,
	    .dns_names = (const char *const *)nm->dns,
	    .n_dns = nm->n_dns,
	    .ip_addrs = (const char *const *)nm->ip,
	    .n_ip = nm->n_ip,
	    .valid_days = pol->cert_days,
	    .key_type = pol->key_type,
	};

	return tg_signed_by(&req, ca, out);
}

int crt_apply(const struct crt_material *cur, const struct crt_policy *pol,
	      const struct crt_decision *d, struct crt_material *out)
{
	struct crt_material m = {NULL, NULL, NULL, NULL};
	struct crt_pems bundle = {NULL, 0};
	struct tg_pair ca = {NULL, NULL}, leaf = {NULL, NULL};
	const char *ca_cert;
	int r;

	if (!pol || !pol->names || !d || !out)
		return -EINVAL;
	if (d->action != CRT_NEW_CA) {
		/* KEEP and NEW_LEAF need the CA that crt_decide() found. */
		if (!cur || !cur->ca_key || d->ca_index < 0)
			return -EINVAL;
		r = crt_pem_split(cur->ca_crt, 64, &bundle);
		if (r < 0)
			return r;
		if ((size_t)d->ca_index >= bundle.n) {
			r = -EINVAL;
			goto out;
		}
	}
	switch (d->action) {
	case CRT_NEW_CA: {
		struct tg_cert_req req = {
		    .common_name = pol->ca_common_name ? pol->ca_common_name : "okg-webhook-ca",
		    .valid_days = pol->ca_days,
		    .key_type = pol->key_type,
		    .is_ca = 1,
		};

		r = tg_self_signed(&req, &ca);
		if (r == 0)
			r = issue_leaf(pol, &ca, &leaf);
		break;
	}
	case CRT_NEW_LEAF:
		ca.cert_pem = bundle.v[d->ca_index];
		ca.key_pem = cur->ca_key;
		r = issue_leaf(pol, &ca, &leaf);
		ca.cert_pem = NULL; /* borrowed: not ours to free */
		ca.key_pem = NULL;
		break;
	case CRT_KEEP:
		r = dup_opt(cur->tls_crt, &leaf.cert_pem);
		if (r == 0)
			r = dup_opt(cur->tls_key, &leaf.key_pem);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		goto out;
	ca_cert = d->action == CRT_NEW_CA ? ca.cert_pem : bundle.v[d->ca_index];
	r = crt_bundle_build(ca_cert, cur ? cur->ca_crt : NULL, &m.ca_crt);
	if (r == 0)
		r = dup_opt(d->action == CRT_NEW_CA ? ca.key_pem : cur->ca_key, &m.ca_key);
	if (r < 0)
		goto out;
	m.tls_crt = leaf.cert_pem;
	m.tls_key = leaf.key_pem;
	leaf.cert_pem = NULL;
	leaf.key_pem = NULL;
	*out = m;
	memset(&m, 0, sizeof(m));
out:
	crt_material_free(&m);
	tg_pair_free(&ca);
	tg_pair_free(&leaf);
	crt_pems_free(&bundle);
	return r;
}

int crt_parse_duration(const char *s, long long *out_s)
{
	char *end;
	long long v, mult = 1;

	if (!s || !out_s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v <= 0)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1;
	else if (!strcmp(end, "m"))
		mult = 60;
	else if (!strcmp(end, "h"))
		mult = 3600;
	else if (!strcmp(end, "d"))
		mult = 86400;
	else
		return -EINVAL;
	if (v > 365LL * 86400 / mult)
		return -EINVAL;
	*out_s = v * mult;
	return 0;
}
