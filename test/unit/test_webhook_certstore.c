/* Unit tests for webhook/certstore.c: keys signed through OpenSSL produce signatures GnuTLS
 * verifies, for every algorithm a TLS handshake may ask; mismatched and broken pairs are
 * refused; the store notices changes and keeps the old pair on errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/log.h"
#include "lib/tlsgen.h"
#include "webhook/certstore.h"

static struct tg_pair ca, rsa_leaf, ec_leaf;

static int group_setup(void **state)
{
	struct tg_cert_req req = {.common_name = "ca", .valid_days = 2, .is_ca = 1};
	static const char *const dns[] = {"localhost"};

	(void)state;
	log_init("certstore-test", LOG_ERROR);
	if (tg_self_signed(&req, &ca) < 0)
		return -1;
	req.is_ca = 0;
	req.common_name = "leaf";
	req.dns_names = dns;
	req.n_dns = 1;
	req.key_type = TG_KEY_RSA_2048;
	if (tg_signed_by(&req, &ca, &rsa_leaf) < 0)
		return -1;
	req.key_type = TG_KEY_EC_P256;
	return tg_signed_by(&req, &ca, &ec_leaf) < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tg_pair_free(&ca);
	tg_pair_free(&rsa_leaf);
	tg_pair_free(&ec_leaf);
	return 0;
}

static gnutls_datum_t datum(const char *s)
{
	gnutls_datum_t d = {(unsigned char *)s, (unsigned)strlen(s)};

	return d;
}

static void pcert_of(const char *pem, gnutls_pcert_st *out)
{
	gnutls_datum_t d = datum(pem);

	assert_int_equal(gnutls_pcert_import_x509_raw(out, &d, GNUTLS_X509_FMT_PEM, 0), 0);
}

/* Signs a hash of the right size with algo through key and verifies it with the leaf's
 * public key. */
static void sign_and_verify(gnutls_privkey_t key, gnutls_pcert_st *leaf,
			    gnutls_sign_algorithm_t algo, unsigned hash_len)
{
	unsigned char h[64];
	gnutls_datum_t hash = {h, hash_len}, sig = {NULL, 0};
	int r;

	for (unsigned i = 0; i < sizeof(h); i++)
		h[i] = (unsigned char)(i * 7 + algo);
	r = gnutls_privkey_sign_hash2(key, algo, 0, &hash, &sig);
	if (r < 0)
		print_message("sign %s: %s\n", gnutls_sign_get_name(algo), gnutls_strerror(r));
	assert_int_equal(r, 0);
	r = gnutls_pubkey_verify_hash2(leaf->pubkey, algo, 0, &hash, &sig);
	if (r < 0)
		print_message("verify %s: %s\n", gnutls_sign_get_name(algo), gnutls_strerror(r));
	assert_int_equal(r, 0);
	/* a flipped bit fails */
	sig.data[sig.size / 2] ^= 1;
	assert_true(gnutls_pubkey_verify_hash2(leaf->pubkey, algo, 0, &hash, &sig) < 0);
	gnutls_free(sig.data);
}

static void test_rsa_signatures(void **state)
{
	gnutls_pcert_st leaf;
	gnutls_datum_t kp = datum(rsa_leaf.key_pem);
	gnutls_privkey_t key = NULL;

	(void)state;
	pcert_of(rsa_leaf.cert_pem, &leaf);
	assert_int_equal(cs_key_import(&kp, &leaf, &key), 0);
	assert_int_equal(gnutls_privkey_get_pk_algorithm(key, NULL), GNUTLS_PK_RSA);
	sign_and_verify(key, &leaf, GNUTLS_SIGN_RSA_SHA256, 32);
	sign_and_verify(key, &leaf, GNUTLS_SIGN_RSA_SHA384, 48);
	sign_and_verify(key, &leaf, GNUTLS_SIGN_RSA_SHA512, 64);
	sign_and_verify(key, &leaf, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, 32);
	sign_and_verify(key, &leaf, GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, 48);
	sign_and_verify(key, &leaf, GNUTLS_SIGN_RSA_PSS_RSAE_SHA512, 64);
	{
		/* TLS 1.0/1.1: MD5+SHA1, PKCS#1 padding without DigestInfo */
		unsigned char h[36];
		gnutls_datum_t hash = {h, 36}, sig = {NULL, 0};

		memset(h, 0x5a, sizeof(h));
		assert_int_equal(gnutls_privkey_sign_hash(key, 0, GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA,
							  &hash, &sig),
				 0);
		assert_int_equal(gnutls_pubkey_verify_hash2(leaf.pubkey, GNUTLS_SIGN_UNKNOWN,
							    GNUTLS_PUBKEY_VERIFY_FLAG_TLS1_RSA,
							    &hash, &sig),
				 0);
		gnutls_free(sig.data);
	}
	{
		/* ECDSA algorithms are refused */
		unsigned char h[32] = {0};
		gnutls_datum_t hash = {h, 32}, sig = {NULL, 0};

		assert_true(
		    gnutls_privkey_sign_hash2(key, GNUTLS_SIGN_ECDSA_SHA256, 0, &hash, &sig) < 0);
	}
	gnutls_privkey_deinit(key);
	gnutls_pcert_deinit(&leaf);
}

static void test_ec_signatures(void **state)
{
	gnutls_pcert_st leaf;
	gnutls_datum_t kp = datum(ec_leaf.key_pem);
	gnutls_privkey_t key = NULL;

	(void)state;
	pcert_of(ec_leaf.cert_pem, &leaf);
	assert_int_equal(cs_key_import(&kp, &leaf, &key), 0);
	assert_int_equal(gnutls_privkey_get_pk_algorithm(key, NULL), GNUTLS_PK_ECDSA);
	sign_and_verify(key, &leaf, GNUTLS_SIGN_ECDSA_SHA256, 32);
	sign_and_verify(key, &leaf, GNUTLS_SIGN_ECDSA_SHA384, 48);
	sign_and_verify(key, &leaf, GNUTLS_SIGN_ECDSA_SECP256R1_SHA256, 32);
	{
		/* TLS 1.3 ties P-384 to SHA-384: not this key */
		unsigned char h[48] = {0};
		gnutls_datum_t hash = {h, 48}, sig = {NULL, 0};

		assert_true(gnutls_privkey_sign_hash2(key, GNUTLS_SIGN_ECDSA_SECP384R1_SHA384, 0,
						      &hash, &sig) < 0);
		assert_true(gnutls_privkey_sign_hash2(key, GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, 0,
						      &hash, &sig) < 0);
	}
	gnutls_privkey_deinit(key);
	gnutls_pcert_deinit(&leaf);
}

static void test_refused_keys(void **state)
{
	gnutls_pcert_st leaf;
	gnutls_datum_t other = datum(ec_leaf.key_pem),
		       junk = datum("-----BEGIN PRIVATE KEY-----\n"
				    "AAAA\n-----END PRIVATE KEY-----\n");
	gnutls_privkey_t key = NULL;

	(void)state;
	pcert_of(rsa_leaf.cert_pem, &leaf);
	assert_int_equal(cs_key_import(&other, &leaf, &key), -EINVAL); /* another pair's key */
	assert_null(key);
	assert_int_equal(cs_key_import(&junk, &leaf, &key), -EINVAL);
	assert_null(key);
	gnutls_pcert_deinit(&leaf);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void test_store(void **state)
{
	char dir[] = "/tmp/okg-cs-test-XXXXXX", crt[128], key[128], serial[80];
	struct cs_store *s = NULL;
	long long not_after = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(crt, sizeof(crt), "%s/tls.crt", dir);
	snprintf(key, sizeof(key), "%s/tls.key", dir);
	assert_int_equal(cs_open(dir, 0, &s), 0);
	assert_int_equal(cs_poll(s, false), -ENOENT);
	assert_false(cs_loaded(s));
	cs_info(s, serial, sizeof(serial), &not_after);
	assert_string_equal(serial, "");
	assert_int_equal(not_after, 0);

	write_file(crt, rsa_leaf.cert_pem);
	write_file(key, rsa_leaf.key_pem);
	assert_int_equal(cs_poll(s, false), 1);
	assert_true(cs_loaded(s));
	cs_info(s, serial, sizeof(serial), &not_after);
	assert_true(strlen(serial) >= 16);
	assert_true(not_after > 0);
	assert_int_equal(cs_poll(s, false), 0); /* unchanged */
	assert_int_equal(cs_poll(s, true), 1);	/* forced */

	/* a half-written rotation (new cert, old key) is refused; the old pair stays */
	write_file(crt, ec_leaf.cert_pem);
	assert_int_equal(cs_poll(s, false), -EINVAL);
	assert_true(cs_loaded(s));
	assert_int_equal(cs_poll(s, false), 0); /* not retried until the files change again */
	write_file(key, ec_leaf.key_pem);
	assert_int_equal(cs_poll(s, false), 1);
	{
		char now[80];

		cs_info(s, now, sizeof(now), NULL);
		assert_string_not_equal(now, serial);
	}
	/* files removed: the pair in service stays */
	unlink(crt);
	assert_int_equal(cs_poll(s, false), -ENOENT);
	assert_true(cs_loaded(s));
	unlink(key);
	cs_close(s);
	cs_close(NULL);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rsa_signatures),
	    cmocka_unit_test(test_ec_signatures),
	    cmocka_unit_test(test_refused_keys),
	    cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
