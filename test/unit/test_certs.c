/* okg-certs, the pure parts: names, decisions (keep / new leaf / new CA), bundles, the Secret and
 * webhook-configuration objects, the output directory. Certificates come from lib/tlsgen. */
#include "certs/crt_files.h"
#include "certs/crt_kobj.h"
#include "certs/crt_pem.h"
#include "certs/crt_plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lib/kubeconfig.h"
#include "lib/tlsgen.h"

static struct crt_names names;	/* okg-webhook in okg-system, plus IP 127.0.0.1 */
static struct crt_material mat; /* a complete, fresh Secret made by crt_apply() */
static struct tg_pair other_ca; /* an unrelated CA */

static struct crt_policy policy(void)
{
	struct crt_policy p = {
	    .names = &names,
	    .renew_before_s = 30LL * 86400,
	    .ca_days = 3650,
	    .cert_days = 365,
	    .key_type = TG_KEY_EC_P256,
	    .ca_common_name = "okg-webhook-ca",
	};

	return p;
}

static int copy_material(const struct crt_material *src, struct crt_material *dst)
{
	dst->ca_crt = src->ca_crt ? strdup(src->ca_crt) : NULL;
	dst->ca_key = src->ca_key ? strdup(src->ca_key) : NULL;
	dst->tls_crt = src->tls_crt ? strdup(src->tls_crt) : NULL;
	dst->tls_key = src->tls_key ? strdup(src->tls_key) : NULL;
	return 0;
}

static size_t count_certs(const char *bundle)
{
	struct crt_pems p;
	size_t n;

	assert_int_equal(crt_pem_split(bundle, 64, &p), 0);
	n = p.n;
	crt_pems_free(&p);
	return n;
}

static int setup(void **state)
{
	struct crt_policy pol;
	struct crt_decision d;
	struct tg_cert_req req = {.common_name = "other-ca", .valid_days = 30, .is_ca = 1};
	char err[256];

	(void)state;
	if (crt_names_build("okg-webhook", "okg-system", "", "127.0.0.1", &names, err,
			    sizeof(err)) < 0)
		return -1;
	pol = policy();
	if (crt_decide(NULL, &pol, &d) < 0 || d.action != CRT_NEW_CA)
		return -1;
	if (crt_apply(NULL, &pol, &d, &mat) < 0)
		return -1;
	return tg_self_signed(&req, &other_ca) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	crt_names_free(&names);
	crt_material_free(&mat);
	tg_pair_free(&other_ca);
	return 0;
}

/* A copy of the CA certificate ca_pem with notBefore/notAfter moved into the past (expired),
 * re-signed with its key. Caller frees. */
static char *expired_copy(const struct tg_pair *ca)
{
	BIO *b = BIO_new_mem_buf(ca->cert_pem, -1), *kb = BIO_new_mem_buf(ca->key_pem, -1);
	BIO *o = BIO_new(BIO_s_mem());
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	char *data = NULL, *s;
	long len;

	assert_non_null(x);
	assert_non_null(k);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -10L * 86400));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), -86400L));
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(o, x), 1);
	len = BIO_get_mem_data(o, &data);
	s = strndup(data, (size_t)len);
	assert_non_null(s);
	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(b);
	BIO_free(kb);
	BIO_free(o);
	return s;
}

/* --- names ------------------------------------------------------------------------------- */

static void test_names_default(void **state)
{
	(void)state;
	assert_int_equal(names.n_dns, 4);
	assert_string_equal(names.dns[0], "okg-webhook");
	assert_string_equal(names.dns[1], "okg-webhook.okg-system");
	assert_string_equal(names.dns[2], "okg-webhook.okg-system.svc");
	assert_string_equal(names.dns[3], "okg-webhook.okg-system.svc.cluster.local");
	assert_int_equal(names.n_ip, 1);
	assert_string_equal(names.ip[0], "127.0.0.1");
	assert_string_equal(names.common_name, "okg-webhook.okg-system.svc");
}

static void test_names_extras_and_errors(void **state)
{
	struct crt_names n;
	char err[256];

	(void)state;
	assert_int_equal(crt_names_build("svc", "ns",
					 " a.example.com, *.b.example.com,,a.example.com",
					 "::1, 10.0.0.1 ", &n, err, sizeof(err)),
			 0);
	assert_int_equal(n.n_dns, 6);
	assert_string_equal(n.dns[4], "a.example.com");
	assert_string_equal(n.dns[5], "*.b.example.com");
	assert_int_equal(n.n_ip, 2);
	assert_string_equal(n.ip[0], "::1");
	assert_string_equal(n.ip[1], "10.0.0.1");
	crt_names_free(&n);
	crt_names_free(&n); /* harmless twice */

	assert_int_equal(crt_names_build("Bad_Svc", "ns", NULL, NULL, &n, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--service"));
	assert_int_equal(crt_names_build("svc", "-ns", NULL, NULL, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--namespace"));
	assert_int_equal(crt_names_build("svc", "ns", "a..b", NULL, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--dns: \"a..b\""));
	assert_int_equal(crt_names_build("svc", "ns", "x.", NULL, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(crt_names_build("svc", "ns", NULL, "1.2.3", &n, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--ip: \"1.2.3\""));
	{
		char many[40 * 4 + 1] = "";

		for (int i = 0; i < 40; i++)
			strncat(many, "a.b,", sizeof(many) - strlen(many) - 1);
		/* duplicates still count as entries: a cap on input, not output */
		assert_int_equal(crt_names_build("svc", "ns", many, NULL, &n, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "more than"));
	}
}

/* --- decisions ----------------------------------------------------------------------------- */

static void test_fresh_material_is_kept(void **state)
{
	struct crt_policy pol = policy();
	struct crt_decision d;
	struct crt_material again;
	struct crt_cert_info ca;

	(void)state;
	assert_int_equal(tg_verify(mat.tls_crt, mat.ca_crt), 0);
	assert_int_equal(tg_key_matches(mat.tls_crt, mat.tls_key), 0);
	assert_int_equal(tg_key_matches(mat.ca_crt, mat.ca_key), 0);
	assert_int_equal(crt_cert_info(mat.ca_crt, &ca), 0);
	assert_true(ca.is_ca);
	assert_non_null(strstr(ca.subject, "okg-webhook-ca"));
	assert_int_equal(count_certs(mat.ca_crt), 1);
	for (size_t i = 0; i < names.n_dns; i++)
		assert_int_equal(tg_cert_matches_host(mat.tls_crt, names.dns[i]), 0);
	assert_int_equal(tg_cert_matches_host(mat.tls_crt, "127.0.0.1"), 0);

	assert_int_equal(crt_decide(&mat, &pol, &d), 0);
	assert_int_equal(d.action, CRT_KEEP);
	assert_int_equal(d.ca_index, 0);
	/* Idempotence: keeping produces byte-identical material, so nothing is written. */
	assert_int_equal(crt_apply(&mat, &pol, &d, &again), 0);
	assert_true(crt_material_equal(&mat, &again));
	crt_material_free(&again);
}

static void test_leaf_near_expiry_renewed_same_ca(void **state)
{
	struct crt_policy pol = policy();
	struct crt_decision d;
	struct crt_material m2;

	(void)state;
	pol.renew_before_s = 400LL * 86400; /* more than the 365-day leaf */
	assert_int_equal(crt_decide(&mat, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_LEAF);
	assert_non_null(strstr(d.reason, "expires in"));
	assert_int_equal(crt_apply(&mat, &pol, &d, &m2), 0);
	assert_string_equal(m2.ca_crt, mat.ca_crt);
	assert_string_equal(m2.ca_key, mat.ca_key);
	assert_string_not_equal(m2.tls_crt, mat.tls_crt);
	assert_string_not_equal(m2.tls_key, mat.tls_key);
	assert_int_equal(tg_verify(m2.tls_crt, mat.ca_crt), 0);
	crt_material_free(&m2);
}

static void test_missing_name_renews_leaf(void **state)
{
	struct crt_policy pol = policy();
	struct crt_names more;
	struct crt_decision d;
	struct crt_material m2;
	char err[256];

	(void)state;
	assert_int_equal(crt_names_build("okg-webhook", "okg-system", "hooks.example.com",
					 "127.0.0.1", &more, err, sizeof(err)),
			 0);
	pol.names = &more;
	assert_int_equal(crt_decide(&mat, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_LEAF);
	assert_non_null(strstr(d.reason, "hooks.example.com"));
	assert_int_equal(crt_apply(&mat, &pol, &d, &m2), 0);
	assert_int_equal(tg_cert_matches_host(m2.tls_crt, "hooks.example.com"), 0);
	assert_int_equal(crt_decide(&m2, &pol, &d), 0);
	assert_int_equal(d.action, CRT_KEEP);
	crt_material_free(&m2);

	/* A wildcard requirement is met by a certificate with that wildcard. */
	crt_names_free(&more);
	assert_int_equal(crt_names_build("okg-webhook", "okg-system", "*.hooks.example.com", NULL,
					 &more, err, sizeof(err)),
			 0);
	assert_int_equal(crt_decide(&mat, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_LEAF);
	assert_int_equal(crt_apply(&mat, &pol, &d, &m2), 0);
	assert_int_equal(crt_decide(&m2, &pol, &d), 0);
	assert_int_equal(d.action, CRT_KEEP);
	crt_material_free(&m2);
	crt_names_free(&more);
}

static void test_leaf_from_other_ca_or_wrong_key(void **state)
{
	struct crt_policy pol = policy();
	struct crt_decision d;
	struct crt_material m;
	const char *dns[] = {"okg-webhook"};
	struct tg_cert_req req = {
	    .common_name = "x", .dns_names = dns, .n_dns = 1, .valid_days = 30};
	struct tg_pair foreign;

	(void)state;
	assert_int_equal(tg_signed_by(&req, &other_ca, &foreign), 0);
	copy_material(&mat, &m);
	free(m.tls_crt);
	m.tls_crt = strdup(foreign.cert_pem);
	assert_int_equal(crt_decide(&m, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_LEAF);
	assert_non_null(strstr(d.reason, "tls.key"));
	free(m.tls_key);
	m.tls_key = strdup(foreign.key_pem);
	assert_int_equal(crt_decide(&m, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_LEAF);
	assert_non_null(strstr(d.reason, "chain"));
	free(m.tls_crt);
	m.tls_crt = NULL;
	assert_int_equal(crt_decide(&m, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_LEAF);
	crt_material_free(&m);
	tg_pair_free(&foreign);
}

static void test_no_ca_key_makes_new_ca_with_overlap(void **state)
{
	struct crt_policy pol = policy();
	struct crt_decision d;
	struct crt_material m, m2;
	struct crt_pems b;

	(void)state;
	copy_material(&mat, &m);
	free(m.ca_key);
	m.ca_key = NULL;
	assert_int_equal(crt_decide(&m, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_CA);
	assert_int_equal(crt_apply(&m, &pol, &d, &m2), 0);
	/* The new CA first, the old one after it: the served old leaf stays trusted. */
	assert_int_equal(crt_pem_split(m2.ca_crt, 8, &b), 0);
	assert_int_equal(b.n, 2);
	assert_false(crt_pem_same(b.v[0], mat.ca_crt));
	assert_true(crt_pem_same(b.v[1], mat.ca_crt));
	assert_int_equal(tg_key_matches(b.v[0], m2.ca_key), 0);
	assert_int_equal(tg_verify(mat.tls_crt, m2.ca_crt), 0);
	assert_int_equal(tg_verify(m2.tls_crt, m2.ca_crt), 0);
	assert_int_equal(tg_verify(m2.tls_crt, mat.ca_crt), -EBADMSG);
	crt_pems_free(&b);
	/* And the next run keeps it. */
	assert_int_equal(crt_decide(&m2, &pol, &d), 0);
	assert_int_equal(d.action, CRT_KEEP);
	assert_int_equal(d.ca_index, 0);
	crt_material_free(&m2);

	/* ca.key of a foreign CA matches nothing in ca.crt. */
	m.ca_key = strdup(other_ca.key_pem);
	assert_int_equal(crt_decide(&m, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_CA);
	assert_non_null(strstr(d.reason, "no CA certificate"));
	crt_material_free(&m);
}

static void test_ca_near_expiry_rotates(void **state)
{
	struct crt_policy pol = policy();
	struct crt_decision d;
	struct crt_material shortca, m2;

	(void)state;
	pol.ca_days = 10;
	assert_int_equal(crt_decide(NULL, &pol, &d), 0);
	assert_int_equal(crt_apply(NULL, &pol, &d, &shortca), 0);
	pol.ca_days = 3650;
	assert_int_equal(crt_decide(&shortca, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_CA);
	assert_non_null(strstr(d.reason, "CA expires"));
	assert_int_equal(crt_apply(&shortca, &pol, &d, &m2), 0);
	assert_int_equal(count_certs(m2.ca_crt), 2);
	assert_int_equal(tg_verify(shortca.tls_crt, m2.ca_crt), 0);
	assert_int_equal(crt_decide(&m2, &pol, &d), 0);
	assert_int_equal(d.action, CRT_KEEP);
	crt_material_free(&m2);
	crt_material_free(&shortca);
}

static void test_no_ca_at_all(void **state)
{
	struct crt_policy pol = policy();
	struct crt_decision d;
	struct crt_material m = {NULL, NULL, NULL, NULL}, m2;

	(void)state;
	assert_int_equal(crt_decide(&m, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_CA);
	assert_non_null(strstr(d.reason, "ca.crt missing"));
	m.ca_crt = strdup("-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n");
	assert_int_equal(crt_decide(&m, &pol, &d), 0);
	assert_int_equal(d.action, CRT_NEW_CA);
	assert_int_equal(crt_apply(&m, &pol, &d, &m2), 0);
	assert_int_equal(count_certs(m2.ca_crt), 1); /* the damaged old bundle is dropped */
	crt_material_free(&m2);
	crt_material_free(&m);
	/* KEEP / NEW_LEAF without a usable CA is refused, not guessed. */
	d.action = CRT_KEEP;
	d.ca_index = -1;
	assert_int_equal(crt_apply(&mat, &pol, &d, &m2), -EINVAL);
	assert_int_equal(crt_decide(NULL, NULL, &d), -EINVAL);
}

/* --- bundles and PEM ----------------------------------------------------------------------- */

static void test_bundle_build(void **state)
{
	char *old = NULL, *out = NULL, *expired;
	struct crt_pems b;
	size_t n;

	(void)state;
	expired = expired_copy(&other_ca);
	/* old: a duplicate of current, a leaf (not a CA), an expired CA, a valid other CA. */
	n = strlen(mat.ca_crt) + strlen(mat.tls_crt) + strlen(expired) + strlen(other_ca.cert_pem);
	old = calloc(1, n + 1);
	assert_non_null(old);
	snprintf(old, n + 1, "%s%s%s%s", mat.ca_crt, mat.tls_crt, expired, other_ca.cert_pem);
	assert_int_equal(crt_bundle_build(mat.ca_crt, old, &out), 0);
	assert_int_equal(crt_pem_split(out, 8, &b), 0);
	assert_int_equal(b.n, 2);
	assert_true(crt_pem_same(b.v[0], mat.ca_crt));
	assert_true(crt_pem_same(b.v[1], other_ca.cert_pem));
	crt_pems_free(&b);
	/* Rebuilding from the output gives the same text. */
	{
		char *again = NULL;

		assert_int_equal(crt_bundle_build(mat.ca_crt, out, &again), 0);
		assert_string_equal(again, out);
		free(again);
	}
	free(out);
	assert_int_equal(crt_bundle_build(mat.ca_crt, NULL, &out), 0);
	assert_int_equal(count_certs(out), 1);
	free(out);
	assert_int_equal(crt_bundle_build("garbage", NULL, &out), -EINVAL);
	assert_int_equal(crt_bundle_build(NULL, NULL, &out), -EINVAL);
	free(old);
	free(expired);
}

static void test_bundle_cap(void **state)
{
	struct tg_pair cas[CRT_MAX_BUNDLE + 2];
	size_t total = 0;
	char *old, *out = NULL;

	(void)state;
	for (size_t i = 0; i < CRT_MAX_BUNDLE + 2; i++) {
		struct tg_cert_req req = {.common_name = "ca", .valid_days = 5, .is_ca = 1};

		assert_int_equal(tg_self_signed(&req, &cas[i]), 0);
		total += strlen(cas[i].cert_pem);
	}
	old = calloc(1, total + 1);
	assert_non_null(old);
	for (size_t i = 0; i < CRT_MAX_BUNDLE + 2; i++)
		memcpy(old + strlen(old), cas[i].cert_pem, strlen(cas[i].cert_pem) + 1);
	assert_int_equal(crt_bundle_build(mat.ca_crt, old, &out), 0);
	assert_int_equal(count_certs(out), CRT_MAX_BUNDLE);
	free(out);
	free(old);
	for (size_t i = 0; i < CRT_MAX_BUNDLE + 2; i++)
		tg_pair_free(&cas[i]);
}

static void test_pem_split_and_same(void **state)
{
	struct crt_pems p;
	char *crlf, *mixed;
	size_t n = strlen(mat.ca_crt), j = 0;

	(void)state;
	assert_int_equal(crt_pem_split(NULL, 4, &p), 0);
	assert_int_equal(p.n, 0);
	crt_pems_free(&p);
	/* CRLF line ends and a private key block around the certificate. */
	crlf = calloc(1, 2 * n + strlen(mat.ca_key) + 1);
	assert_non_null(crlf);
	memcpy(crlf, mat.ca_key, strlen(mat.ca_key));
	j = strlen(mat.ca_key);
	for (size_t i = 0; i < n; i++) {
		if (mat.ca_crt[i] == '\n')
			crlf[j++] = '\r';
		crlf[j++] = mat.ca_crt[i];
	}
	assert_int_equal(crt_pem_split(crlf, 4, &p), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.v[0], mat.ca_crt); /* normalized back to 64-column LF text */
	assert_true(crt_pem_same(crlf, mat.ca_crt));
	assert_false(crt_pem_same(mat.ca_crt, mat.tls_crt));
	assert_false(crt_pem_same(NULL, mat.tls_crt));
	crt_pems_free(&p);
	free(crlf);
	mixed = calloc(1, 2 * n + 1);
	assert_non_null(mixed);
	snprintf(mixed, 2 * n + 1, "%s%s", mat.ca_crt, mat.ca_crt);
	assert_int_equal(crt_pem_split(mixed, 1, &p), -E2BIG);
	mixed[strlen(mixed) - 10] = '\0'; /* second END line cut */
	assert_int_equal(crt_pem_split(mixed, 4, &p), -EINVAL);
	free(mixed);
	assert_int_equal(
	    crt_pem_split("-----BEGIN CERTIFICATE-----\nAB=C\n-----END CERTIFICATE-----", 4, &p),
	    -EINVAL);
	assert_int_equal(
	    crt_pem_split("-----BEGIN CERTIFICATE-----\nABC\n-----END CERTIFICATE-----", 4, &p),
	    -EINVAL);
	assert_int_equal(crt_pem_split("no pem here", 4, &p), 0);
	assert_int_equal(p.n, 0);
}

static void test_base64(void **state)
{
	char *s = NULL, *dec = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(crt_b64_encode("foobar", 6, &s), 0);
	assert_string_equal(s, "Zm9vYmFy");
	free(s);
	assert_int_equal(crt_b64_encode("fo", 2, &s), 0);
	assert_string_equal(s, "Zm8=");
	free(s);
	assert_int_equal(crt_b64_encode("", 0, &s), 0);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(crt_b64_encode(mat.ca_crt, strlen(mat.ca_crt), &s), 0);
	assert_null(strchr(s, '\n'));
	assert_int_equal(kcfg_base64_decode(s, strlen(s), &dec, &len), 0);
	assert_int_equal(len, strlen(mat.ca_crt));
	assert_memory_equal(dec, mat.ca_crt, len);
	free(dec);
	free(s);
	assert_int_equal(crt_b64_encode(NULL, 3, &s), -EINVAL);
}

/* --- objects ------------------------------------------------------------------------------- */

static void test_secret_roundtrip(void **state)
{
	struct crt_material back, m2;
	cJSON *s = NULL, *data;
	char warn[128];
	bool changed = true;

	(void)state;
	assert_int_equal(crt_secret_new("okg-system", "okg-webhook-certs", &mat, &s), 0);
	assert_string_equal(cJSON_GetObjectItem(s, "type")->valuestring, "kubernetes.io/tls");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(s, "metadata"), "namespace")->valuestring,
	    "okg-system");
	assert_int_equal(crt_secret_read(s, &back, warn, sizeof(warn)), 0);
	assert_string_equal(warn, "");
	assert_true(crt_material_equal(&back, &mat));
	crt_material_free(&back);

	/* As if read back from the server: a resourceVersion and a key we do not own. */
	cJSON_AddStringToObject(cJSON_GetObjectItem(s, "metadata"), "resourceVersion", "42");
	data = cJSON_GetObjectItem(s, "data");
	cJSON_AddStringToObject(data, "extra", "eA==");
	assert_int_equal(crt_secret_set(s, &mat, &changed), 0);
	assert_false(changed);
	copy_material(&mat, &m2);
	free(m2.tls_crt);
	m2.tls_crt = strdup(other_ca.cert_pem);
	assert_int_equal(crt_secret_set(s, &m2, &changed), 0);
	assert_true(changed);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(s, "metadata"), "resourceVersion")->valuestring,
	    "42");
	assert_string_equal(cJSON_GetObjectItem(data, "extra")->valuestring, "eA==");
	free(m2.tls_key);
	m2.tls_key = NULL;
	assert_int_equal(crt_secret_set(s, &m2, &changed), -EINVAL); /* all four keys needed */
	crt_material_free(&m2);

	/* A damaged value is reported and treated as absent. */
	cJSON_ReplaceItemInObject(data, "tls.key", cJSON_CreateString("%%%"));
	cJSON_ReplaceItemInObject(data, "ca.key", cJSON_CreateNumber(3));
	assert_int_equal(crt_secret_read(s, &back, warn, sizeof(warn)), 0);
	assert_null(back.tls_key);
	assert_null(back.ca_key);
	assert_non_null(back.tls_crt);
	assert_non_null(strstr(warn, "data[tls.key] not base64"));
	crt_material_free(&back);
	cJSON_ReplaceItemInObject(data, "tls.key", cJSON_CreateString("YQBi")); /* "a\0b" */
	assert_int_equal(crt_secret_read(s, &back, warn, sizeof(warn)), 0);
	assert_null(back.tls_key);
	assert_non_null(strstr(warn, "NUL"));
	crt_material_free(&back);

	cJSON_ReplaceItemInObject(s, "data", cJSON_CreateString("x"));
	assert_int_equal(crt_secret_read(s, &back, warn, sizeof(warn)), -EINVAL);
	cJSON_DeleteItemFromObject(s, "data");
	assert_int_equal(crt_secret_read(s, &back, warn, sizeof(warn)), 0);
	assert_null(back.ca_crt);
	crt_material_free(&back);
	assert_null(crt_secret_cert_manager(s));
	cJSON_AddItemToObject(
	    cJSON_GetObjectItem(s, "metadata"), "annotations",
	    cJSON_Parse("{\"cert-manager.io/certificate-name\":\"okg-serving\"}"));
	assert_string_equal(crt_secret_cert_manager(s), "okg-serving");
	cJSON_Delete(s);
}

static void test_webhooks_set_ca(void **state)
{
	cJSON *conf =
	    cJSON_Parse("{\"metadata\":{\"name\":\"v\",\"resourceVersion\":\"7\"},\"webhooks\":["
			"{\"name\":\"a\",\"clientConfig\":{\"service\":{\"name\":\"s\"},"
			"\"caBundle\":\"QUJD\"}},"
			"{\"name\":\"b\",\"clientConfig\":{\"url\":\"https://127.0.0.1:1/x\"}}]}");
	int changed = -1, total = -1;
	char err[128];

	(void)state;
	assert_non_null(conf);
	assert_int_equal(crt_webhooks_set_ca(conf, "QUJD", &changed, &total, err, sizeof(err)), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(total, 2);
	assert_string_equal(
	    cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(conf, "webhooks"), 1),
				    "clientConfig"),
		"caBundle")
		->valuestring,
	    "QUJD");
	assert_int_equal(crt_webhooks_set_ca(conf, "QUJD", &changed, &total, err, sizeof(err)), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(crt_webhooks_set_ca(conf, "WFla", &changed, &total, err, sizeof(err)), 0);
	assert_int_equal(changed, 2);
	cJSON_Delete(conf);

	conf = cJSON_Parse("{\"webhooks\":[{\"name\":\"a\"}]}");
	assert_int_equal(crt_webhooks_set_ca(conf, "QUJD", &changed, &total, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "webhooks[0].clientConfig: not an object");
	cJSON_Delete(conf);
	conf = cJSON_Parse("{\"webhooks\":{}}");
	assert_int_equal(crt_webhooks_set_ca(conf, "QUJD", &changed, &total, err, sizeof(err)),
			 -EINVAL);
	cJSON_Delete(conf);
	conf = cJSON_Parse("{\"metadata\":{}}");
	assert_int_equal(crt_webhooks_set_ca(conf, "QUJD", &changed, &total, err, sizeof(err)), 0);
	assert_int_equal(total, 0);
	cJSON_Delete(conf);
}

static void test_names_and_durations(void **state)
{
	long long s = 0;

	(void)state;
	assert_true(crt_dns_subdomain("okg-webhook-certs"));
	assert_true(crt_dns_subdomain("a.b-c.d"));
	assert_false(crt_dns_subdomain(""));
	assert_false(crt_dns_subdomain("A"));
	assert_false(crt_dns_subdomain("a..b"));
	assert_false(crt_dns_subdomain("-a"));
	assert_false(crt_dns_subdomain("a-"));
	assert_false(crt_dns_subdomain("a/b"));
	assert_false(crt_dns_subdomain(NULL));

	assert_int_equal(crt_parse_duration("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(crt_parse_duration("15m", &s), 0);
	assert_int_equal(s, 900);
	assert_int_equal(crt_parse_duration("12h", &s), 0);
	assert_int_equal(s, 43200);
	assert_int_equal(crt_parse_duration("2d", &s), 0);
	assert_int_equal(s, 172800);
	assert_int_equal(crt_parse_duration("0", &s), -EINVAL);
	assert_int_equal(crt_parse_duration("-5s", &s), -EINVAL);
	assert_int_equal(crt_parse_duration("5w", &s), -EINVAL);
	assert_int_equal(crt_parse_duration("366d", &s), -EINVAL);
	assert_int_equal(crt_parse_duration("", &s), -EINVAL);
	assert_int_equal(crt_parse_duration("99999999999999999999", &s), -EINVAL);
}

static void test_write_dir(void **state)
{
	char dir[] = "/tmp/okg-test-certs.XXXXXX", sub[64], path[128], err[256];
	struct crt_material m2;
	struct stat st;
	int written = -1;
	DIR *d;
	struct dirent *e;
	int files = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/out", dir);
	assert_int_equal(crt_write_dir(sub, &mat, &written, err, sizeof(err)), 0);
	assert_int_equal(written, 3);
	snprintf(path, sizeof(path), "%s/tls.key", sub);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/tls.crt", sub);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(crt_write_dir(sub, &mat, &written, err, sizeof(err)), 0);
	assert_int_equal(written, 0);
	copy_material(&mat, &m2);
	free(m2.ca_crt);
	m2.ca_crt = strdup(other_ca.cert_pem);
	assert_int_equal(crt_write_dir(sub, &m2, &written, err, sizeof(err)), 0);
	assert_int_equal(written, 1);
	crt_material_free(&m2);
	d = opendir(sub);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' || strlen(e->d_name) > 2)
			files++;
	closedir(d);
	assert_int_equal(files, 3); /* no temporary file left behind */
	assert_int_equal(
	    crt_write_dir("/proc/okg-no-such/dir", &mat, &written, err, sizeof(err)) < 0, 1);
	assert_non_null(strstr(err, "/proc/okg-no-such/dir"));
	for (const char *f = "tls.key\0tls.crt\0ca.crt\0"; *f; f += strlen(f) + 1) {
		snprintf(path, sizeof(path), "%s/%s", sub, f);
		unlink(path);
	}
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_default),
	    cmocka_unit_test(test_names_extras_and_errors),
	    cmocka_unit_test(test_fresh_material_is_kept),
	    cmocka_unit_test(test_leaf_near_expiry_renewed_same_ca),
	    cmocka_unit_test(test_missing_name_renews_leaf),
	    cmocka_unit_test(test_leaf_from_other_ca_or_wrong_key),
	    cmocka_unit_test(test_no_ca_key_makes_new_ca_with_overlap),
	    cmocka_unit_test(test_ca_near_expiry_rotates),
	    cmocka_unit_test(test_no_ca_at_all),
	    cmocka_unit_test(test_bundle_build),
	    cmocka_unit_test(test_bundle_cap),
	    cmocka_unit_test(test_pem_split_and_same),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_secret_roundtrip),
	    cmocka_unit_test(test_webhooks_set_ca),
	    cmocka_unit_test(test_names_and_durations),
	    cmocka_unit_test(test_write_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
