#include "lib/tlsgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TG_MAX_DAYS	 3650
#define TG_BACKDATE_SECS (5 * 60) /* peers whose clocks lag ours still accept a fresh cert */
#define TG_SERIAL_BYTES	 16
#define TG_MAX_DNS_LEN	 253

typedef STACK_OF(X509) cert_list;

void tg_pair_free(struct tg_pair *p)
{
	if (!p)
		return;
	if (p->key_pem) {
		OPENSSL_cleanse(p->key_pem, strlen(p->key_pem));
		free(p->key_pem);
	}
	free(p->cert_pem);
	p->cert_pem = NULL;
	p->key_pem = NULL;
}

/* Without a callback OpenSSL would prompt on the terminal when handed an encrypted key. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Returns the address length (4 or 16) if s is an IP literal, else 0. */
static size_t parse_ip(const char *s, unsigned char out[16])
{
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 16;
	return 0;
}

/* A DNS SAN is an IA5String; refuse anything that could not be a host name or wildcard. */
static int valid_dns_name(const char *s)
{
	size_t i, n;

	if (!s)
		return 0;
	n = strlen(s);
	if (n == 0 || n > TG_MAX_DNS_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f)
			return 0;
	}
	return 1;
}

/* Everything checkable up front is checked here, before the (slow, for RSA) key generation. */
static int check_req(const struct tg_cert_req *req)
{
	unsigned char ip[16];
	size_t i;

	if (!req || !req->common_name || !req->common_name[0])
		return -EINVAL;
	if (req->valid_days < 1 || req->valid_days > TG_MAX_DAYS)
		return -EINVAL;
	if (req->key_type != TG_KEY_EC_P256 && req->key_type != TG_KEY_RSA_2048)
		return -EINVAL;
	if ((req->n_dns && !req->dns_names) || (req->n_ip && !req->ip_addrs))
		return -EINVAL;
	if (req->organization && !req->organization[0])
		return -EINVAL;
	for (i = 0; i < req->n_dns; i++)
		if (!valid_dns_name(req->dns_names[i]))
			return -EINVAL;
	for (i = 0; i < req->n_ip; i++)
		if (!req->ip_addrs[i] || !parse_ip(req->ip_addrs[i], ip))
			return -EINVAL;
	return 0;
}

static int gen_key(enum tg_key_type type, EVP_PKEY **out)
{
	EVP_PKEY *k;

	switch (type) {
	case TG_KEY_EC_P256:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case TG_KEY_RSA_2048:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	default:
		return -EINVAL;
	}
	if (!k)
		return -EIO;
	*out = k;
	return 0;
}

static int set_serial(X509 *x)
{
	unsigned char raw[TG_SERIAL_BYTES];
	BIGNUM *bn = NULL;
	int ret = -EIO;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		goto out;
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (!bn)
		goto out;
	/* RFC 5280 wants a positive serial; zero is a 2^-128 chance, but cheap to exclude. */
	if (BN_is_zero(bn) && !BN_one(bn))
		goto out;
	if (!BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto out;
	ret = 0;
out:
	BN_free(bn);
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}

static int set_subject(X509 *x, const struct tg_cert_req *req)
{
	X509_NAME *name = X509_get_subject_name(x);

	/* These fail on input OpenSSL rejects (over 64 characters, malformed UTF-8). */
	if (req->organization &&
	    !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
					(const unsigned char *)req->organization, -1, -1, 0))
		return -EINVAL;
	if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)req->common_name, -1, -1, 0))
		return -EINVAL;
	return 0;
}

static int add_sans(X509 *x, const struct tg_cert_req *req)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_STRING *val = NULL;
	unsigned char ip[16];
	size_t i, len;
	int ret = -ENOMEM;

	if (req->n_dns == 0 && req->n_ip == 0)
		return 0;
	gens = sk_GENERAL_NAME_new_null();
	if (!gens)
		goto out;
	for (i = 0; i < req->n_dns + req->n_ip; i++) {
		const void *data;
		int type;

		if (i < req->n_dns) {
			type = GEN_DNS;
			data = req->dns_names[i];
			len = strlen(req->dns_names[i]);
			val = ASN1_IA5STRING_new();
		} else {
			type = GEN_IPADD;
			data = ip;
			len = parse_ip(req->ip_addrs[i - req->n_dns], ip);
			val = ASN1_OCTET_STRING_new();
		}
		if (!val || !ASN1_STRING_set(val, data, (int)len))
			goto out;
		gn = GENERAL_NAME_new();
		if (!gn)
			goto out;
		GENERAL_NAME_set0_value(gn, type, val);
		val = NULL;
		if (!sk_GENERAL_NAME_push(gens, gn))
			goto out;
		gn = NULL;
	}
	ret =
	    X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1 ? 0 : -EIO;
out:
	ASN1_STRING_free(val);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return ret;
}

static int add_conf_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ret = -EIO;

	X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (ext && X509_add_ext(x, ext, -1))
		ret = 0;
	X509_EXTENSION_free(ext);
	return ret;
}

static int add_usage_exts(X509 *x, const struct tg_cert_req *req)
{
	int ret;

	if (req->is_ca) {
		ret = add_conf_ext(x, NID_basic_constraints, "critical,CA:TRUE");
		if (ret == 0)
			ret = add_conf_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign");
		return ret;
	}
	ret = add_conf_ext(x, NID_basic_constraints, "critical,CA:FALSE");
	if (ret == 0)
		ret = add_conf_ext(x, NID_key_usage, "critical,digitalSignature,keyEncipherment");
	if (ret == 0)
		ret = add_conf_ext(x, NID_ext_key_usage,
				   req->client_auth ? "clientAuth" : "serverAuth");
	return ret;
}

/* RFC 5280 method 1 (SHA-1 of the subjectPublicKey bits), what other tools compute too. */
static ASN1_OCTET_STRING *key_id_of(const X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ASN1_OCTET_STRING *os;

	if (!X509_pubkey_digest(x, EVP_sha1(), md, &len))
		return NULL;
	os = ASN1_OCTET_STRING_new();
	if (os && !ASN1_OCTET_STRING_set(os, md, (int)len)) {
		ASN1_OCTET_STRING_free(os);
		os = NULL;
	}
	return os;
}

/* Needs the subject public key set. issuer NULL means self-signed. */
static int add_key_ids(X509 *x, X509 *issuer)
{
	ASN1_OCTET_STRING *skid = NULL;
	AUTHORITY_KEYID *akid = NULL;
	const ASN1_OCTET_STRING *issuer_skid;
	int ret = -EIO;

	skid = key_id_of(x);
	if (!skid ||
	    X509_add1_ext_i2d(x, NID_subject_key_identifier, skid, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	akid = AUTHORITY_KEYID_new();
	if (!akid)
		goto out;
	if (!issuer) {
		akid->keyid = ASN1_OCTET_STRING_dup(skid);
	} else {
		/* A CA made elsewhere may lack an SKID; then derive it the same way. */
		issuer_skid = X509_get0_subject_key_id(issuer);
		akid->keyid = issuer_skid ? ASN1_OCTET_STRING_dup(issuer_skid) : key_id_of(issuer);
	}
	if (!akid->keyid)
		goto out;
	if (X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	ret = 0;
out:
	AUTHORITY_KEYID_free(akid);
	ASN1_OCTET_STRING_free(skid);
	return ret;
}

static int bio_to_string(BIO *b, char **out)
{
	char *data = NULL;
	long len = BIO_get_mem_data(b, &data);
	char *s;

	if (len <= 0 || !data)
		return -EIO;
	s = malloc((size_t)len + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	*out = s;
	return 0;
}

static int encode_pair(X509 *x, EVP_PKEY *key, struct tg_pair *out)
{
	/* A secmem BIO wipes its buffer (and every outgrown copy) when freed. */
	BIO *kb = BIO_new(BIO_s_secmem());
	BIO *cb = BIO_new(BIO_s_mem());
	struct tg_pair p = {NULL, NULL};
	int ret = -ENOMEM;

	if (!kb || !cb)
		goto out;
	ret = -EIO;
	/* No cipher: PKCS#8 PrivateKeyInfo, "BEGIN PRIVATE KEY". */
	if (!PEM_write_bio_X509(cb, x) ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL))
		goto out;
	ret = bio_to_string(cb, &p.cert_pem);
	if (ret == 0)
		ret = bio_to_string(kb, &p.key_pem);
	if (ret == 0) {
		*out = p;
		p.cert_pem = NULL;
		p.key_pem = NULL;
	}
out:
	tg_pair_free(&p);
	BIO_free(cb);
	BIO_free(kb);
	return ret;
}

/* Builds, signs and encodes a certificate for req. issuer NULL means self-signed. */
static int issue(const struct tg_cert_req *req, X509 *issuer, EVP_PKEY *issuer_key,
		 struct tg_pair *out)
{
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	int ret = -ENOMEM;

	x = X509_new();
	if (!x)
		goto out;
	ret = -EIO;
	if (!X509_set_version(x, X509_VERSION_3))
		goto out;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -TG_BACKDATE_SECS) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), req->valid_days, 0, NULL))
		goto out;
	ret = set_serial(x);
	if (ret == 0)
		ret = set_subject(x, req);
	if (ret < 0)
		goto out;
	ret = -EIO;
	if (!X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)))
		goto out;
	ret = add_sans(x, req);
	if (ret == 0)
		ret = add_usage_exts(x, req);
	if (ret == 0)
		ret = gen_key(req->key_type, &key);
	if (ret < 0)
		goto out;
	ret = -EIO;
	if (!X509_set_pubkey(x, key))
		goto out;
	ret = add_key_ids(x, issuer);
	if (ret < 0)
		goto out;
	ret = -EIO;
	if (X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) <= 0)
		goto out;
	ret = encode_pair(x, key, out);
out:
	EVP_PKEY_free(key);
	X509_free(x);
	return ret;
}

/* Reads the first certificate of a PEM text. */
static int read_cert(const char *pem, X509 **out)
{
	BIO *b;
	X509 *x;

	if (!pem)
		return -EINVAL;
	b = BIO_new_mem_buf(pem, -1);
	if (!b)
		return -ENOMEM;
	x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (!x)
		return -EINVAL;
	*out = x;
	return 0;
}

static int read_key(const char *pem, EVP_PKEY **out)
{
	BIO *b;
	EVP_PKEY *k;

	if (!pem)
		return -EINVAL;
	b = BIO_new_mem_buf(pem, -1);
	if (!b)
		return -ENOMEM;
	k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (!k)
		return -EINVAL;
	*out = k;
	return 0;
}

/* Reads every certificate of a PEM bundle. An empty bundle or a damaged block is an error, so a
 * truncated bundle is not silently cut short. */
static int read_certs(const char *pem, cert_list **out)
{
	cert_list *sk = NULL;
	BIO *b = NULL;
	X509 *x;
	unsigned long err;
	int ret = -ENOMEM;

	if (!pem)
		return -EINVAL;
	b = BIO_new_mem_buf(pem, -1);
	sk = sk_X509_new_null();
	if (!b || !sk)
		goto out;
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL))) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto out;
		}
	}
	/* Running out of input reads as "no start line"; any other error is a bad block. */
	err = ERR_peek_last_error();
	ret = -EINVAL;
	if (sk_X509_num(sk) == 0 || ERR_GET_LIB(err) != ERR_LIB_PEM ||
	    ERR_GET_REASON(err) != PEM_R_NO_START_LINE)
		goto out;
	*out = sk;
	sk = NULL;
	ret = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	BIO_free(b);
	return ret;
}

int tg_self_signed(const struct tg_cert_req *req, struct tg_pair *out)
{
	int ret;

	if (!out)
		return -EINVAL;
	ret = check_req(req);
	if (ret < 0)
		return ret;
	ERR_set_mark();
	ret = issue(req, NULL, NULL, out);
	ERR_pop_to_mark();
	return ret;
}

int tg_signed_by(const struct tg_cert_req *req, const struct tg_pair *ca, struct tg_pair *out)
{
	X509 *ca_cert = NULL;
	EVP_PKEY *ca_key = NULL;
	int ret;

	if (!out || !ca)
		return -EINVAL;
	ret = check_req(req);
	if (ret < 0)
		return ret;
	ERR_set_mark();
	ret = read_cert(ca->cert_pem, &ca_cert);
	if (ret == 0)
		ret = read_key(ca->key_pem, &ca_key);
	if (ret < 0)
		goto out;
	/* A non-CA issuer or a foreign key would give leaves that never verify: refuse now. */
	ret = -EINVAL;
	if (X509_check_ca(ca_cert) == 0 || X509_check_private_key(ca_cert, ca_key) != 1)
		goto out;
	ret = issue(req, ca_cert, ca_key, out);
out:
	EVP_PKEY_free(ca_key);
	X509_free(ca_cert);
	ERR_pop_to_mark();
	return ret;
}

int tg_cert_seconds_left(const char *cert_pem, long long *out_secs)
{
	X509 *x = NULL;
	int days = 0, secs = 0;
	int ret;

	if (!out_secs)
		return -EINVAL;
	ERR_set_mark();
	ret = read_cert(cert_pem, &x);
	if (ret < 0)
		goto out;
	/* from == NULL means now. */
	if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x))) {
		ret = -EINVAL;
		goto out;
	}
	*out_secs = (long long)days * 86400 + secs;
out:
	X509_free(x);
	ERR_pop_to_mark();
	return ret;
}

int tg_verify(const char *cert_pem, const char *ca_pem)
{
	cert_list *chain = NULL;
	cert_list *cas = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	int i, ret;

	ERR_set_mark();
	ret = read_certs(cert_pem, &chain);
	if (ret == 0)
		ret = read_certs(ca_pem, &cas);
	if (ret < 0)
		goto out;
	ret = -ENOMEM;
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (!store || !ctx)
		goto out;
	for (i = 0; i < sk_X509_num(cas); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(cas, i)))
			goto out;
	/* The leaf sitting in the untrusted list too is harmless. */
	if (!X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), chain))
		goto out;
	switch (X509_verify_cert(ctx)) {
	case 1:
		ret = 0;
		break;
	case 0:
		ret = -EBADMSG;
		break;
	default:
		ret = -EIO;
		break;
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(cas, X509_free);
	sk_X509_pop_free(chain, X509_free);
	ERR_pop_to_mark();
	return ret;
}

int tg_cert_matches_host(const char *cert_pem, const char *host)
{
	unsigned char ip[16];
	size_t ip_len;
	X509 *x = NULL;
	int r, ret;

	if (!host || !host[0])
		return -EINVAL;
	ERR_set_mark();
	ret = read_cert(cert_pem, &x);
	if (ret < 0)
		goto out;
	ip_len = parse_ip(host, ip);
	if (ip_len)
		r = X509_check_ip(x, ip, ip_len, 0);
	else
		/* SANs only, as current TLS clients do; CN matching is long deprecated. */
		r = X509_check_host(x, host, strlen(host),
				    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
				    NULL);
	ret = r == 1 ? 0 : r == 0 ? -ENOENT : -EINVAL;
out:
	X509_free(x);
	ERR_pop_to_mark();
	return ret;
}

int tg_key_matches(const char *cert_pem, const char *key_pem)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int ret;

	ERR_set_mark();
	ret = read_cert(cert_pem, &x);
	if (ret == 0)
		ret = read_key(key_pem, &k);
	if (ret < 0)
		goto out;
	ret = X509_check_private_key(x, k) == 1 ? 0 : -EINVAL;
out:
	EVP_PKEY_free(k);
	X509_free(x);
	ERR_pop_to_mark();
	return ret;
}
