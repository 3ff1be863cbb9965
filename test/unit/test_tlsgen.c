#include "lib/tlsgen.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Two independent CAs shared by the tests (key generation is the slow part). */
static struct tg_pair ca1, ca2;

static const char *const webhook_dns[] = {"localhost", "okg-webhook.okg-system.svc",
					  "*.pods.okg.test"};
static const char *const loopback_ips[] = {"127.0.0.1", "::1"};

static struct tg_cert_req ca_req(const char *cn)
{
	struct tg_cert_req r = {.common_name = cn, .valid_days = 3650, .is_ca = 1};

	return r;
}

static struct tg_cert_req server_req(enum tg_key_type type)
{
	struct tg_cert_req r = {
	    .common_name = "okg-webhook",
	    .dns_names = webhook_dns,
	    .n_dns = 3,
	    .ip_addrs = loopback_ips,
	    .n_ip = 2,
	    .valid_days = 365,
	    .key_type = type,
	};

	return r;
}

static X509 *parse_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x;

	assert_non_null(b);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *parse_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k;

	assert_non_null(b);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(k);
	return k;
}

static char *cert_to_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s;
	long len;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	len = BIO_get_mem_data(b, &data);
	assert_true(len > 0);
	s = strndup(data, (size_t)len);
	assert_non_null(s);
	BIO_free(b);
	return s;
}

/* Concatenates two PEM texts into a fresh bundle. */
static char *bundle(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

static int group_setup(void **state)
{
	struct tg_cert_req r1 = ca_req("okg-ca");
	struct tg_cert_req r2 = ca_req("other-ca");

	(void)state;
	if (tg_self_signed(&r1, &ca1) != 0 || tg_self_signed(&r2, &ca2) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tg_pair_free(&ca1);
	tg_pair_free(&ca2);
	return 0;
}

static void test_pair_free_null_safe(void **state)
{
	struct tg_pair p = {NULL, NULL};
	struct tg_cert_req r = ca_req("x");

	(void)state;
	tg_pair_free(NULL);
	tg_pair_free(&p);
	assert_int_equal(tg_self_signed(&r, &p), 0);
	tg_pair_free(&p);
	assert_null(p.cert_pem);
	assert_null(p.key_pem);
	tg_pair_free(&p);
}

static void test_chain_ec_and_rsa_leaves(void **state)
{
	struct tg_cert_req ec = server_req(TG_KEY_EC_P256);
	struct tg_cert_req rsa = server_req(TG_KEY_RSA_2048);
	struct tg_cert_req rca = ca_req("okg-rsa-ca");
	struct tg_pair le = {0}, lr = {0}, rsa_ca = {0}, under_rsa = {0};
	X509 *x;
	EVP_PKEY *k;

	(void)state;
	rca.key_type = TG_KEY_RSA_2048;
	assert_int_equal(tg_signed_by(&ec, &ca1, &le), 0);
	assert_int_equal(tg_signed_by(&rsa, &ca1, &lr), 0);
	assert_int_equal(tg_verify(le.cert_pem, ca1.cert_pem), 0);
	assert_int_equal(tg_verify(lr.cert_pem, ca1.cert_pem), 0);
	assert_int_equal(tg_verify(ca1.cert_pem, ca1.cert_pem), 0);

	assert_int_equal(strncmp(le.cert_pem, "-----BEGIN CERTIFICATE-----\n", 28), 0);
	assert_int_equal(strncmp(le.key_pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
	assert_int_equal(strncmp(lr.key_pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);

	k = parse_key(le.key_pem);
	assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(k), 256);
	EVP_PKEY_free(k);
	k = parse_key(lr.key_pem);
	assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(k), 2048);
	EVP_PKEY_free(k);

	x = parse_cert(lr.cert_pem);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	X509_free(x);

	/* An RSA CA signs with sha256WithRSAEncryption. */
	assert_int_equal(tg_self_signed(&rca, &rsa_ca), 0);
	assert_int_equal(tg_signed_by(&ec, &rsa_ca, &under_rsa), 0);
	assert_int_equal(tg_verify(under_rsa.cert_pem, rsa_ca.cert_pem), 0);
	x = parse_cert(under_rsa.cert_pem);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	X509_free(x);

	tg_pair_free(&le);
	tg_pair_free(&lr);
	tg_pair_free(&rsa_ca);
	tg_pair_free(&under_rsa);
}

static void test_san_matching(void **state)
{
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_pair l = {0};

	(void)state;
	assert_int_equal(tg_signed_by(&r, &ca1, &l), 0);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "localhost"), 0);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "LocalHost"), 0);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "OKG-Webhook.okg-system.SVC"), 0);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "a.pods.okg.test"), 0);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "127.0.0.1"), 0);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "::1"), 0);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "0:0:0:0:0:0:0:1"), 0);

	assert_int_equal(tg_cert_matches_host(l.cert_pem, "evil.example"), -ENOENT);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "a.b.pods.okg.test"), -ENOENT);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "127.0.0.2"), -ENOENT);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "::2"), -ENOENT);
	/* The CN is not a SAN. */
	assert_int_equal(tg_cert_matches_host(l.cert_pem, "okg-webhook"), -ENOENT);
	/* A CA without SANs matches nothing. */
	assert_int_equal(tg_cert_matches_host(ca1.cert_pem, "okg-ca"), -ENOENT);

	assert_int_equal(tg_cert_matches_host(l.cert_pem, ""), -EINVAL);
	assert_int_equal(tg_cert_matches_host(l.cert_pem, NULL), -EINVAL);
	tg_pair_free(&l);
}

static void test_foreign_ca_rejected(void **state)
{
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_pair l = {0};
	char *both;

	(void)state;
	assert_int_equal(tg_signed_by(&r, &ca2, &l), 0);
	assert_int_equal(tg_verify(l.cert_pem, ca2.cert_pem), 0);
	assert_int_equal(tg_verify(l.cert_pem, ca1.cert_pem), -EBADMSG);
	assert_int_equal(tg_verify(ca2.cert_pem, ca1.cert_pem), -EBADMSG);
	/* A bundle of trusted CAs, as during a CA rotation. */
	both = bundle(ca1.cert_pem, ca2.cert_pem);
	assert_int_equal(tg_verify(l.cert_pem, both), 0);
	free(both);
	tg_pair_free(&l);
}

static void test_intermediate_chain(void **state)
{
	struct tg_cert_req ir = ca_req("okg-intermediate");
	struct tg_cert_req lr = server_req(TG_KEY_EC_P256);
	struct tg_pair inter = {0}, leaf = {0};
	char *chain;

	(void)state;
	assert_int_equal(tg_signed_by(&ir, &ca1, &inter), 0);
	assert_int_equal(tg_signed_by(&lr, &inter, &leaf), 0);
	chain = bundle(leaf.cert_pem, inter.cert_pem);
	assert_int_equal(tg_verify(chain, ca1.cert_pem), 0);
	assert_int_equal(tg_verify(leaf.cert_pem, ca1.cert_pem), -EBADMSG);
	assert_int_equal(tg_verify(chain, ca2.cert_pem), -EBADMSG);
	free(chain);
	tg_pair_free(&inter);
	tg_pair_free(&leaf);
}

static void test_key_matches(void **state)
{
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_cert_req rr = server_req(TG_KEY_RSA_2048);
	struct tg_pair a = {0}, b = {0}, c = {0};
	EVP_PKEY *k;
	BIO *bio;
	char *data = NULL, *enc;
	long len;

	(void)state;
	assert_int_equal(tg_signed_by(&r, &ca1, &a), 0);
	assert_int_equal(tg_signed_by(&r, &ca1, &b), 0);
	assert_int_equal(tg_signed_by(&rr, &ca1, &c), 0);
	assert_int_equal(tg_key_matches(a.cert_pem, a.key_pem), 0);
	assert_int_equal(tg_key_matches(c.cert_pem, c.key_pem), 0);
	assert_int_equal(tg_key_matches(ca1.cert_pem, ca1.key_pem), 0);
	assert_int_equal(tg_key_matches(a.cert_pem, b.key_pem), -EINVAL);
	assert_int_equal(tg_key_matches(a.cert_pem, c.key_pem), -EINVAL);
	assert_int_equal(tg_key_matches(c.cert_pem, a.key_pem), -EINVAL);
	assert_int_equal(tg_key_matches(a.cert_pem, ca1.key_pem), -EINVAL);

	/* An encrypted key is refused without prompting for a passphrase. */
	k = parse_key(a.key_pem);
	bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(
	    PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(), "secret", 6, NULL, NULL), 1);
	len = BIO_get_mem_data(bio, &data);
	enc = strndup(data, (size_t)len);
	assert_non_null(enc);
	assert_non_null(strstr(enc, "ENCRYPTED PRIVATE KEY"));
	assert_int_equal(tg_key_matches(a.cert_pem, enc), -EINVAL);
	free(enc);
	BIO_free(bio);
	EVP_PKEY_free(k);

	tg_pair_free(&a);
	tg_pair_free(&b);
	tg_pair_free(&c);
}

static void check_seconds_left(int days)
{
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_pair l = {0};
	long long left = 0, want = (long long)days * 86400;

	r.valid_days = days;
	assert_int_equal(tg_signed_by(&r, &ca1, &l), 0);
	assert_int_equal(tg_cert_seconds_left(l.cert_pem, &left), 0);
	assert_in_range(left, want - 600, want + 600);
	tg_pair_free(&l);
}

static void test_seconds_left(void **state)
{
	(void)state;
	check_seconds_left(1);
	check_seconds_left(30);
	check_seconds_left(3650);
}

static void test_expired_cert(void **state)
{
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_pair l = {0};
	long long left = 0;
	EVP_PKEY *cakey;
	X509 *x;
	char *pem;

	(void)state;
	assert_int_equal(tg_signed_by(&r, &ca1, &l), 0);
	/* Re-issue the same leaf with a validity window that ended an hour ago. */
	x = parse_cert(l.cert_pem);
	cakey = parse_key(ca1.key_pem);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -2 * 86400));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), -3600));
	assert_true(X509_sign(x, cakey, EVP_sha256()) > 0);
	pem = cert_to_pem(x);

	assert_int_equal(tg_cert_seconds_left(pem, &left), 0);
	assert_in_range(left, -3600 - 600, -3600 + 600);
	assert_true(left < 0);
	assert_int_equal(tg_verify(pem, ca1.cert_pem), -EBADMSG);

	free(pem);
	X509_free(x);
	EVP_PKEY_free(cakey);
	tg_pair_free(&l);
}

static int ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static void test_ca_flag_and_usages(void **state)
{
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_pair l = {0};
	X509 *ca, *leaf;

	(void)state;
	assert_int_equal(tg_signed_by(&r, &ca1, &l), 0);
	ca = parse_cert(ca1.cert_pem);
	leaf = parse_cert(l.cert_pem);

	assert_int_equal(X509_check_ca(ca), 1);
	assert_int_equal(X509_check_ca(leaf), 0);
	assert_int_equal(ext_critical(ca, NID_basic_constraints), 1);
	assert_int_equal(ext_critical(leaf, NID_basic_constraints), 1);

	assert_true(X509_get_extension_flags(ca) & EXFLAG_KUSAGE);
	assert_int_equal(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER);
	assert_false(X509_get_extension_flags(ca) & EXFLAG_XKUSAGE);
	assert_int_equal(X509_get_version(leaf), X509_VERSION_3);

	X509_free(ca);
	X509_free(leaf);
	tg_pair_free(&l);
}

static void test_client_auth_leaf(void **state)
{
	const char *no_names[] = {NULL};
	struct tg_cert_req r = {
	    .common_name = "system:node:sim-1",
	    .dns_names = no_names,
	    .n_dns = 0,
	    .valid_days = 7,
	    .key_type = TG_KEY_EC_P256,
	    .client_auth = 1,
	    .organization = "system:nodes",
	};
	struct tg_pair l = {0};
	char buf[64];
	X509 *x;

	(void)state;
	assert_int_equal(tg_signed_by(&r, &ca1, &l), 0);
	assert_int_equal(tg_verify(l.cert_pem, ca1.cert_pem), 0);
	x = parse_cert(l.cert_pem);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
	assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 0);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, buf,
					      sizeof(buf)) > 0);
	assert_string_equal(buf, "system:nodes");
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf,
					      sizeof(buf)) > 0);
	assert_string_equal(buf, "system:node:sim-1");
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
	X509_free(x);
	tg_pair_free(&l);
}

static void test_serial_validity_key_ids(void **state)
{
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_pair a = {0}, b = {0};
	X509 *ca, *xa, *xb;
	BIGNUM *bn;
	int days = 0, secs = 0;

	(void)state;
	assert_int_equal(tg_signed_by(&r, &ca1, &a), 0);
	assert_int_equal(tg_signed_by(&r, &ca1, &b), 0);
	ca = parse_cert(ca1.cert_pem);
	xa = parse_cert(a.cert_pem);
	xb = parse_cert(b.cert_pem);

	assert_int_not_equal(
	    ASN1_INTEGER_cmp(X509_get0_serialNumber(xa), X509_get0_serialNumber(xb)), 0);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(xa), NULL);
	assert_non_null(bn);
	assert_false(BN_is_negative(bn));
	/* 128 random bits: fewer than 96 significant ones has probability 2^-32. */
	assert_in_range(BN_num_bits(bn), 96, 128);
	BN_free(bn);

	/* notBefore is backdated about five minutes. */
	assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notBefore(xa)), 1);
	assert_int_equal(days, 0);
	assert_in_range(secs + 360, 0, 120);

	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(xa), X509_get_subject_name(ca)), 0);
	assert_non_null(X509_get0_subject_key_id(xa));
	assert_non_null(X509_get0_authority_key_id(xa));
	assert_int_equal(
	    ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(xa), X509_get0_subject_key_id(ca)), 0);
	/* The self-signed CA names itself as authority. */
	assert_non_null(X509_get0_authority_key_id(ca));
	assert_int_equal(
	    ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(ca), X509_get0_subject_key_id(ca)), 0);
	assert_int_equal(X509_check_issued(ca, xa), X509_V_OK);

	X509_free(ca);
	X509_free(xa);
	X509_free(xb);
	tg_pair_free(&a);
	tg_pair_free(&b);
}

static void test_invalid_requests(void **state)
{
	static const char long_cn[] = "0123456789012345678901234567890123456789"
				      "01234567890123456789012345";
	const char *null_name[] = {NULL};
	const char *empty_name[] = {""};
	const char *spaced_name[] = {"bad name"};
	struct tg_cert_req base = server_req(TG_KEY_EC_P256);
	struct tg_cert_req r;
	struct tg_pair sentinel = {(char *)"cert", (char *)"key"};
	struct tg_pair out = sentinel;

	(void)state;
	ERR_clear_error();
	assert_int_equal(tg_self_signed(NULL, &out), -EINVAL);
	assert_int_equal(tg_self_signed(&base, NULL), -EINVAL);
	assert_int_equal(tg_signed_by(&base, &ca1, NULL), -EINVAL);
	assert_int_equal(tg_signed_by(NULL, &ca1, &out), -EINVAL);

	r = base;
	r.common_name = NULL;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);
	r.common_name = "";
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);
	r.common_name = long_cn;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);

	r = base;
	r.valid_days = 0;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);
	r.valid_days = 3651;
	assert_int_equal(tg_signed_by(&r, &ca1, &out), -EINVAL);
	r.valid_days = -1;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);

	r = base;
	r.dns_names = NULL;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);
	r = base;
	r.ip_addrs = NULL;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);
	r = base;
	r.n_dns = 1;
	r.dns_names = null_name;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);
	r.dns_names = empty_name;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);
	r.dns_names = spaced_name;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);

	r = base;
	r.key_type = (enum tg_key_type)42;
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);
	r = base;
	r.organization = "";
	assert_int_equal(tg_self_signed(&r, &out), -EINVAL);

	/* Failures leave *out alone. */
	assert_ptr_equal(out.cert_pem, sentinel.cert_pem);
	assert_ptr_equal(out.key_pem, sentinel.key_pem);
	/* And leave no stray OpenSSL errors behind. */
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_invalid_ip(void **state)
{
	static const char *const bad[] = {"256.1.1.1", "::g",	      "localhost",
					  "",	       "127.0.0.1/8", "[::1]"};
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_pair out = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *ips[] = {"10.0.0.1", bad[i]};

		r.ip_addrs = ips;
		r.n_ip = 2;
		assert_int_equal(tg_signed_by(&r, &ca1, &out), -EINVAL);
		assert_int_equal(tg_self_signed(&r, &out), -EINVAL);
	}
	assert_null(out.cert_pem);
}

static void test_garbage_pem(void **state)
{
	static const char garbage[] = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
				      "-----END CERTIFICATE-----\n";
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_pair l = {0};
	long long left = 12345;
	char *truncated, *with_junk;

	(void)state;
	ERR_clear_error();
	assert_int_equal(tg_signed_by(&r, &ca1, &l), 0);
	truncated = strndup(l.cert_pem, strlen(l.cert_pem) / 2);
	assert_non_null(truncated);

	assert_int_equal(tg_cert_seconds_left("garbage", &left), -EINVAL);
	assert_int_equal(tg_cert_seconds_left(garbage, &left), -EINVAL);
	assert_int_equal(tg_cert_seconds_left("", &left), -EINVAL);
	assert_int_equal(tg_cert_seconds_left(NULL, &left), -EINVAL);
	assert_int_equal(tg_cert_seconds_left(truncated, &left), -EINVAL);
	assert_int_equal(tg_cert_seconds_left(l.key_pem, &left), -EINVAL);
	assert_int_equal(tg_cert_seconds_left(l.cert_pem, NULL), -EINVAL);
	assert_int_equal(left, 12345);

	assert_int_equal(tg_verify("garbage", ca1.cert_pem), -EINVAL);
	assert_int_equal(tg_verify(l.cert_pem, "garbage"), -EINVAL);
	assert_int_equal(tg_verify(l.cert_pem, NULL), -EINVAL);
	assert_int_equal(tg_verify(truncated, ca1.cert_pem), -EINVAL);
	/* A damaged second block is not silently ignored. */
	with_junk = bundle(ca1.cert_pem, garbage);
	assert_int_equal(tg_verify(l.cert_pem, with_junk), -EINVAL);
	free(with_junk);

	assert_int_equal(tg_cert_matches_host("garbage", "localhost"), -EINVAL);
	assert_int_equal(tg_cert_matches_host(NULL, "localhost"), -EINVAL);
	assert_int_equal(tg_key_matches("garbage", l.key_pem), -EINVAL);
	assert_int_equal(tg_key_matches(l.cert_pem, "garbage"), -EINVAL);
	assert_int_equal(tg_key_matches(l.cert_pem, l.cert_pem), -EINVAL);
	assert_int_equal(tg_key_matches(NULL, NULL), -EINVAL);

	assert_int_equal(ERR_peek_error(), 0);
	free(truncated);
	tg_pair_free(&l);
}

static void test_signed_by_bad_ca(void **state)
{
	struct tg_cert_req r = server_req(TG_KEY_EC_P256);
	struct tg_pair mixed = {ca1.cert_pem, ca2.key_pem};
	struct tg_pair no_key = {ca1.cert_pem, NULL};
	struct tg_pair junk = {(char *)"garbage", ca1.key_pem};
	struct tg_pair leaf = {0}, out = {0};

	(void)state;
	assert_int_equal(tg_signed_by(&r, &mixed, &out), -EINVAL);
	assert_int_equal(tg_signed_by(&r, &no_key, &out), -EINVAL);
	assert_int_equal(tg_signed_by(&r, &junk, &out), -EINVAL);
	assert_int_equal(tg_signed_by(&r, NULL, &out), -EINVAL);
	/* A leaf cannot issue certificates. */
	assert_int_equal(tg_signed_by(&r, &ca1, &leaf), 0);
	assert_int_equal(tg_signed_by(&r, &leaf, &out), -EINVAL);
	assert_null(out.cert_pem);
	assert_null(out.key_pem);
	tg_pair_free(&leaf);
}

static SSL_CTX *tls_ctx(int server, const struct tg_pair *own, const char *ca_pem)
{
	SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	X509 *x = parse_cert(own->cert_pem);
	EVP_PKEY *k = parse_key(own->key_pem);
	X509 *ca = parse_cert(ca_pem);

	assert_non_null(c);
	assert_int_equal(SSL_CTX_use_certificate(c, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(c, k), 1);
	assert_int_equal(SSL_CTX_check_private_key(c), 1);
	assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ca), 1);
	SSL_CTX_set_verify(
	    c, server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER, NULL);
	X509_free(x);
	EVP_PKEY_free(k);
	X509_free(ca);
	return c;
}

static void test_ssl_ctx_loads_pair(void **state)
{
	struct tg_cert_req ec = server_req(TG_KEY_EC_P256);
	struct tg_cert_req rsa = server_req(TG_KEY_RSA_2048);
	struct tg_pair le = {0}, lr = {0};

	(void)state;
	assert_int_equal(tg_signed_by(&ec, &ca1, &le), 0);
	assert_int_equal(tg_signed_by(&rsa, &ca1, &lr), 0);
	SSL_CTX_free(tls_ctx(1, &le, ca1.cert_pem));
	SSL_CTX_free(tls_ctx(1, &lr, ca1.cert_pem));
	SSL_CTX_free(tls_ctx(1, &ca1, ca1.cert_pem));
	tg_pair_free(&le);
	tg_pair_free(&lr);
}

static int ssl_wants_io(SSL *s, int r)
{
	int e = SSL_get_error(s, r);

	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* Runs a full TLS handshake between the two contexts over an in-memory BIO pair.
 * Returns 1 if both ends complete it; *server_verify gets the server's view of the client. */
static int handshake(SSL_CTX *cctx, SSL_CTX *sctx, const char *host, long *client_verify,
		     long *server_verify)
{
	SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
	BIO *cb = NULL, *sb = NULL;
	int done_c = 0, done_s = 0, i, r;

	assert_non_null(c);
	assert_non_null(s);
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	assert_int_equal(SSL_set1_host(c, host), 1);
	assert_int_equal(SSL_set_tlsext_host_name(c, host), 1);
	for (i = 0; i < 64 && !(done_c && done_s); i++) {
		if (!done_c) {
			r = SSL_do_handshake(c);
			if (r == 1)
				done_c = 1;
			else if (!ssl_wants_io(c, r))
				break;
		}
		if (!done_s) {
			r = SSL_do_handshake(s);
			if (r == 1)
				done_s = 1;
			else if (!ssl_wants_io(s, r))
				break;
		}
	}
	*client_verify = SSL_get_verify_result(c);
	*server_verify = SSL_get_verify_result(s);
	SSL_free(c);
	SSL_free(s);
	ERR_clear_error();
	return done_c && done_s;
}

static void test_tls_handshake_mtls(void **state)
{
	struct tg_cert_req sr = server_req(TG_KEY_EC_P256);
	struct tg_cert_req cr = {
	    .common_name = "okg-controller",
	    .valid_days = 1,
	    .key_type = TG_KEY_RSA_2048,
	    .client_auth = 1,
	    .organization = "okg",
	};
	struct tg_pair srv = {0}, cli = {0}, srv2 = {0};
	SSL_CTX *sctx, *cctx, *bad_cctx;
	long cv, sv;

	(void)state;
	assert_int_equal(tg_signed_by(&sr, &ca1, &srv), 0);
	assert_int_equal(tg_signed_by(&cr, &ca1, &cli), 0);
	assert_int_equal(tg_signed_by(&sr, &ca1, &srv2), 0);
	sctx = tls_ctx(1, &srv, ca1.cert_pem);
	cctx = tls_ctx(0, &cli, ca1.cert_pem);

	assert_int_equal(handshake(cctx, sctx, "localhost", &cv, &sv), 1);
	assert_int_equal(cv, X509_V_OK);
	assert_int_equal(sv, X509_V_OK);
	assert_int_equal(handshake(cctx, sctx, "127.0.0.1", &cv, &sv), 1);

	/* The client refuses a name the server certificate does not cover. */
	assert_int_equal(handshake(cctx, sctx, "evil.example", &cv, &sv), 0);
	assert_int_equal(cv, X509_V_ERR_HOSTNAME_MISMATCH);

	/* The server refuses a client certificate made for serverAuth only. */
	bad_cctx = tls_ctx(0, &srv2, ca1.cert_pem);
	assert_int_equal(handshake(bad_cctx, sctx, "localhost", &cv, &sv), 0);
	assert_int_equal(sv, X509_V_ERR_INVALID_PURPOSE);

	SSL_CTX_free(bad_cctx);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	tg_pair_free(&srv);
	tg_pair_free(&cli);
	tg_pair_free(&srv2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pair_free_null_safe),
	    cmocka_unit_test(test_chain_ec_and_rsa_leaves),
	    cmocka_unit_test(test_san_matching),
	    cmocka_unit_test(test_foreign_ca_rejected),
	    cmocka_unit_test(test_intermediate_chain),
	    cmocka_unit_test(test_key_matches),
	    cmocka_unit_test(test_seconds_left),
	    cmocka_unit_test(test_expired_cert),
	    cmocka_unit_test(test_ca_flag_and_usages),
	    cmocka_unit_test(test_client_auth_leaf),
	    cmocka_unit_test(test_serial_validity_key_ids),
	    cmocka_unit_test(test_invalid_requests),
	    cmocka_unit_test(test_invalid_ip),
	    cmocka_unit_test(test_garbage_pem),
	    cmocka_unit_test(test_signed_by_bad_ca),
	    cmocka_unit_test(test_ssl_ctx_loads_pair),
	    cmocka_unit_test(test_tls_handshake_mtls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
