#include "webhook/certstore.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/x509.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "lib/log.h"

struct cs_pair {
	gnutls_pcert_st certs[CS_MAX_CHAIN];
	unsigned n;
	gnutls_privkey_t key;
	char serial[80];
	long long not_after;
	time_t retired; /* when it stopped serving */
	struct cs_pair *next;
};

/* Identity of one file as stat(2) sees it through the Secret volume's symlinks. */
struct fid {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int present;
};

struct cs_store {
	char *dir;
	unsigned grace_s;
	struct cs_pair *cur;	 /* serving; guarded by cs_mu */
	struct cs_pair *retired; /* replaced, freed after grace_s; reloader thread only */
	struct fid last[2];	 /* tls.crt, tls.key as last loaded */
	int waiting_logged;
};

/* Guards every store's cur and the active pointer. Held only to copy pointers. */
static pthread_mutex_t cs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cs_store *cs_active;

static void pair_free(struct cs_pair *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->n; i++)
		gnutls_pcert_deinit(&p->certs[i]);
	if (p->key)
		gnutls_privkey_deinit(p->key);
	free(p);
}

int cs_open(const char *dir, unsigned grace_s, struct cs_store **out)
{
	struct cs_store *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->dir = strdup(dir ? dir : ".");
	if (!s->dir) {
		free(s);
		return -ENOMEM;
	}
	s->grace_s = grace_s;
	*out = s;
	return 0;
}

/* Reads a whole file of at most CS_MAX_FILE_SIZE bytes into out (caller frees out->data with
 * free(), after wiping it when it is a key). */
static int read_file(const char *path, gnutls_datum_t *out)
{
	struct stat st;
	unsigned char *data = NULL;
	size_t got = 0;
	int fd, r = 0;

	out->data = NULL;
	out->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (st.st_size > CS_MAX_FILE_SIZE) {
		r = -E2BIG;
		goto out;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		r = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)n;
	}
	data[got] = '\0';
	out->data = data;
	out->size = (unsigned)got;
	data = NULL;
out:
	free(data);
	close(fd);
	return r;
}

static void wipe_free(gnutls_datum_t *d)
{
	if (d->data) {
		explicit_bzero(d->data, d->size);
		free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

/* Does the private key belong to the leaf certificate? Compares the DER public keys. */
static int key_matches(gnutls_privkey_t key, gnutls_pubkey_t cert_pub)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
	int r = -EINVAL;

	if (gnutls_pubkey_init(&pub) < 0)
		return -ENOMEM;
	if (gnutls_pubkey_import_privkey(pub, key, 0, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a) < 0 ||
	    gnutls_pubkey_export2(cert_pub, GNUTLS_X509_FMT_DER, &b) < 0)
		goto out;
	if (a.size == b.size && memcmp(a.data, b.data, a.size) == 0)
		r = 0;
out:
	gnutls_free(a.data);
	gnutls_free(b.data);
	gnutls_pubkey_deinit(pub);
	return r;
}

/* Serial (hex) and notAfter of the leaf. */
static void leaf_info(struct cs_pair *p)
{
	gnutls_x509_crt_t x = NULL;
	unsigned char serial[40];
	size_t n = sizeof(serial);

	if (gnutls_x509_crt_init(&x) < 0)
		return;
	if (gnutls_x509_crt_import(x, &p->certs[0].cert, GNUTLS_X509_FMT_DER) == 0) {
		if (gnutls_x509_crt_get_serial(x, serial, &n) == 0)
			for (size_t i = 0; i < n && 2 * i + 2 < sizeof(p->serial); i++)
				snprintf(p->serial + 2 * i, 3, "%02x", serial[i]);
		p->not_after = (long long)gnutls_x509_crt_get_expiration_time(x);
	}
	gnutls_x509_crt_deinit(x);
}

/* --- signing with OpenSSL ------------------------------------------------------------------
 *
 * GnuTLS signs with nettle, whose constant-time RSA takes about 2 ms for one RSA-2048 signature
 * on the benchmark machine; OpenSSL's, also constant-time, about 0.3 ms. Every new TLS
 * connection costs one signature, so RSA and EC keys are handed to GnuTLS as "external" keys
 * (gnutls_privkey_import_ext4, the interface meant for HSMs) whose signatures OpenSSL makes.
 * Other key types stay with GnuTLS. Static RSA key exchange needs decryption, which this
 * signer does not offer: the default priority string disables it (no forward secrecy either). */

/* OpenSSL without its configuration file (no engines or providers beyond the default) and
 * without error strings: less resident memory, nothing read from disk. */
static void signer_init(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS,
			    NULL);
}

struct cs_signer {
	EVP_PKEY *pk; /* owned */
	int rsa;      /* else EC */
	int bits;
	int curve_bits; /* EC: 256, 384, 521 */
};

/* The digest and RSA padding of a signature algorithm this key can make; 0 if unsupported. */
static int signer_algo(const struct cs_signer *s, gnutls_sign_algorithm_t algo, const EVP_MD **md,
		       int *padding)
{
	const EVP_MD *m = NULL;
	int pad = RSA_PKCS1_PADDING;

	switch (algo) {
	case GNUTLS_SIGN_RSA_RAW: /* DigestInfo (or TLS 1.0's MD5+SHA1) signed as it is */
		if (!s->rsa)
			return 0;
		break;
	case GNUTLS_SIGN_RSA_SHA1:
		m = EVP_sha1();
		break;
	case GNUTLS_SIGN_RSA_SHA256:
		m = EVP_sha256();
		break;
	case GNUTLS_SIGN_RSA_SHA384:
		m = EVP_sha384();
		break;
	case GNUTLS_SIGN_RSA_SHA512:
		m = EVP_sha512();
		break;
	case GNUTLS_SIGN_RSA_PSS_RSAE_SHA256:
		m = EVP_sha256();
		pad = RSA_PKCS1_PSS_PADDING;
		break;
	case GNUTLS_SIGN_RSA_PSS_RSAE_SHA384:
		m = EVP_sha384();
		pad = RSA_PKCS1_PSS_PADDING;
		break;
	case GNUTLS_SIGN_RSA_PSS_RSAE_SHA512:
		m = EVP_sha512();
		pad = RSA_PKCS1_PSS_PADDING;
		break;
	case GNUTLS_SIGN_ECDSA_SHA1:
		m = EVP_sha1();
		break;
	case GNUTLS_SIGN_ECDSA_SHA256:
		m = EVP_sha256();
		break;
	case GNUTLS_SIGN_ECDSA_SHA384:
		m = EVP_sha384();
		break;
	case GNUTLS_SIGN_ECDSA_SHA512:
		m = EVP_sha512();
		break;
	case GNUTLS_SIGN_ECDSA_SECP256R1_SHA256: /* TLS 1.3 ties the curve to the hash */
		if (s->curve_bits != 256)
			return 0;
		m = EVP_sha256();
		break;
	case GNUTLS_SIGN_ECDSA_SECP384R1_SHA384:
		if (s->curve_bits != 384)
			return 0;
		m = EVP_sha384();
		break;
	case GNUTLS_SIGN_ECDSA_SECP521R1_SHA512:
		if (s->curve_bits != 521)
			return 0;
		m = EVP_sha512();
		break;
	default:
		return 0;
	}
	/* RSA algorithms for RSA keys, ECDSA ones for EC keys */
	if (algo != GNUTLS_SIGN_RSA_RAW &&
	    s->rsa != (algo == GNUTLS_SIGN_RSA_SHA1 || algo == GNUTLS_SIGN_RSA_SHA256 ||
		       algo == GNUTLS_SIGN_RSA_SHA384 || algo == GNUTLS_SIGN_RSA_SHA512 ||
		       pad == RSA_PKCS1_PSS_PADDING))
		return 0;
	if (md)
		*md = m;
	if (padding)
		*padding = pad;
	return 1;
}

static int signer_info(gnutls_privkey_t key, unsigned int flags, void *ud)
{
	const struct cs_signer *s = ud;

	(void)key;
	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO)
		return signer_algo(s, (gnutls_sign_algorithm_t)GNUTLS_FLAGS_TO_SIGN_ALGO(flags),
				   NULL, NULL);
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO)
		return s->rsa ? GNUTLS_PK_RSA : GNUTLS_PK_ECDSA;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return s->bits;
	if (flags & GNUTLS_PRIVKEY_INFO_SIGN_ALGO)
		return 0; /* no preference */
	return -1;
}

/* Signs hash (already hashed with the algorithm's digest) into a gnutls_malloc'ed buffer.
 * Called from any worker thread during handshakes: one EVP_PKEY_CTX per call, the key is only
 * read. */
static int signer_sign_hash(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *ud,
			    unsigned int flags, const gnutls_datum_t *hash, gnutls_datum_t *sig)
{
	const struct cs_signer *s = ud;
	const EVP_MD *md = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char *out = NULL;
	size_t len = 0;
	int pad = 0, r = GNUTLS_E_PK_SIGN_FAILED;

	(void)key;
	(void)flags;
	sig->data = NULL;
	sig->size = 0;
	if (!signer_algo(s, algo, &md, &pad))
		return GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM;
	if (md && hash->size != (unsigned)EVP_MD_get_size(md))
		return GNUTLS_E_PK_SIGN_FAILED;
	ctx = EVP_PKEY_CTX_new(s->pk, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0)
		goto out;
	if (s->rsa && EVP_PKEY_CTX_set_rsa_padding(ctx, pad) <= 0)
		goto out;
	if (pad == RSA_PKCS1_PSS_PADDING &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
		goto out;
	if (md && EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
		goto out;
	if (EVP_PKEY_sign(ctx, NULL, &len, hash->data, hash->size) <= 0)
		goto out;
	out = gnutls_malloc(len);
	if (!out) {
		r = GNUTLS_E_MEMORY_ERROR;
		goto out;
	}
	if (EVP_PKEY_sign(ctx, out, &len, hash->data, hash->size) <= 0)
		goto out;
	sig->data = out;
	sig->size = (unsigned)len;
	out = NULL;
	r = 0;
out:
	gnutls_free(out);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error(); /* this thread's OpenSSL error queue stays as it was */
	return r;
}

static void signer_deinit(gnutls_privkey_t key, void *ud)
{
	struct cs_signer *s = ud;

	(void)key;
	if (!s)
		return;
	EVP_PKEY_free(s->pk);
	free(s);
}

/* An OpenSSL-backed GnuTLS key from key_pem when it is an RSA or EC key matching the leaf
 * certificate (borrowed). Returns 0 with *out set, 1 when the key is of another type or
 * OpenSSL cannot read it (the caller asks GnuTLS), or a negative errno (-EINVAL: the key does
 * not belong to the certificate). */
static int signer_key(const gnutls_datum_t *key_pem, const gnutls_pcert_st *leaf,
		      gnutls_privkey_t *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	gnutls_x509_privkey_t xk = NULL;
	gnutls_datum_t p8 = {NULL, 0}, spki = {NULL, 0};
	PKCS8_PRIV_KEY_INFO *info = NULL;
	const unsigned char *der;
	unsigned char *mine = NULL;
	EVP_PKEY *pk = NULL;
	struct cs_signer *s = NULL;
	gnutls_privkey_t gk = NULL;
	int r = 1, n;

	*out = NULL;
	pthread_once(&once, signer_init);
	/* GnuTLS reads the PEM (any of its forms) and hands OpenSSL plain PKCS#8 DER: OpenSSL's
	 * PEM and X.509 decoders would add megabytes of resident code for nothing. */
	if (gnutls_x509_privkey_init(&xk) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (gnutls_x509_privkey_import(xk, key_pem, GNUTLS_X509_FMT_PEM) < 0) {
		r = -EINVAL;
		goto out;
	}
	if (gnutls_x509_privkey_get_pk_algorithm(xk) != GNUTLS_PK_RSA &&
	    gnutls_x509_privkey_get_pk_algorithm(xk) != GNUTLS_PK_ECDSA)
		goto out; /* r = 1: GnuTLS signs */
	if (gnutls_x509_privkey_export2_pkcs8(xk, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN,
					      &p8) < 0)
		goto out;
	der = p8.data;
	info = d2i_PKCS8_PRIV_KEY_INFO(NULL, &der, (long)p8.size);
	pk = info ? EVP_PKCS82PKEY(info) : NULL;
	if (!pk ||
	    (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA && EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC))
		goto out;
	/* the key belongs to the leaf when their SubjectPublicKeyInfo are the same bytes */
	n = i2d_PUBKEY(pk, &mine);
	if (n <= 0 || gnutls_pubkey_export2(leaf->pubkey, GNUTLS_X509_FMT_DER, &spki) < 0 ||
	    spki.size != (unsigned)n || memcmp(spki.data, mine, (size_t)n) != 0) {
		r = -EINVAL;
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	s->rsa = EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA;
	s->bits = EVP_PKEY_get_bits(pk);
	s->curve_bits = s->rsa ? 0 : s->bits;
	s->pk = pk;
	pk = NULL;
	if (gnutls_privkey_init(&gk) < 0) {
		r = -ENOMEM;
		goto out;
	}
	/* With a deinit function GnuTLS owns s from here (auto-release). */
	if (gnutls_privkey_import_ext4(gk, s, NULL, signer_sign_hash, NULL, signer_deinit,
				       signer_info, 0) < 0) {
		r = -EINVAL;
		goto out;
	}
	s = NULL;
	*out = gk;
	gk = NULL;
	r = 0;
out:
	if (gk)
		gnutls_privkey_deinit(gk);
	signer_deinit(NULL, s);
	EVP_PKEY_free(pk);
	PKCS8_PRIV_KEY_INFO_free(info);
	OPENSSL_free(mine);
	if (p8.data) {
		explicit_bzero(p8.data, p8.size);
		gnutls_free(p8.data);
	}
	gnutls_free(spki.data);
	gnutls_x509_privkey_deinit(xk);
	ERR_clear_error();
	return r;
}

int cs_key_import(const gnutls_datum_t *key_pem, const gnutls_pcert_st *leaf, gnutls_privkey_t *out)
{
	gnutls_privkey_t k = NULL;
	int r = signer_key(key_pem, leaf, out);

	if (r <= 0)
		return r;
	/* not RSA or EC (or not for OpenSSL): GnuTLS reads and signs */
	if (gnutls_privkey_init(&k) < 0)
		return -ENOMEM;
	if (gnutls_privkey_import_x509_raw(k, key_pem, GNUTLS_X509_FMT_PEM, NULL, 0) < 0 ||
	    key_matches(k, leaf->pubkey) < 0) {
		gnutls_privkey_deinit(k);
		return -EINVAL;
	}
	*out = k;
	return 0;
}

/* Loads dir/tls.crt and dir/tls.key into a new pair (caller frees with pair_free()). On error
 * err says why in one line. */
static int load_pair(const char *dir, struct cs_pair **out, char *err, size_t errlen)
{
	char path[4096];
	gnutls_datum_t crt = {NULL, 0}, key = {NULL, 0};
	struct cs_pair *p = NULL;
	int r, g;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/tls.crt", dir);
	r = read_file(path, &crt);
	if (r < 0) {
		snprintf(err, errlen, "tls.crt: %s", strerror(-r));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/tls.key", dir);
	r = read_file(path, &key);
	if (r < 0) {
		snprintf(err, errlen, "tls.key: %s", strerror(-r));
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	p->n = CS_MAX_CHAIN;
	g = gnutls_pcert_list_import_x509_raw(p->certs, &p->n, &crt, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0 || p->n == 0) {
		p->n = 0;
		r = -EINVAL;
		snprintf(err, errlen, "tls.crt: %s", g < 0 ? gnutls_strerror(g) : "no certificate");
		goto out;
	}
	r = cs_key_import(&key, &p->certs[0], &p->key);
	if (r < 0) {
		snprintf(err, errlen, "%s",
			 r == -ENOMEM ? "out of memory"
				      : "tls.key is unreadable or not the key of the first "
					"certificate in tls.crt");
		goto out;
	}
	leaf_info(p);
	*out = p;
	p = NULL;
out:
	pair_free(p);
	free(crt.data);
	wipe_free(&key);
	return r;
}

static void stat_files(const char *dir, struct fid ids[2])
{
	static const char *const names[2] = {"tls.crt", "tls.key"};

	memset(ids, 0, 2 * sizeof(*ids));
	for (int i = 0; i < 2; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) < 0)
			continue;
		ids[i].dev = st.st_dev;
		ids[i].ino = st.st_ino;
		ids[i].size = st.st_size;
		ids[i].mtime = st.st_mtim;
		ids[i].present = 1;
	}
}

static int fid_equal(const struct fid *a, const struct fid *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void free_expired(struct cs_store *s, time_t now)
{
	struct cs_pair **pp = &s->retired;

	while (*pp) {
		struct cs_pair *p = *pp;

		if (now - p->retired >= (time_t)s->grace_s) {
			*pp = p->next;
			pair_free(p);
		} else {
			pp = &p->next;
		}
	}
}

int cs_poll(struct cs_store *s, bool force)
{
	struct fid before[2], after[2];
	struct cs_pair *p = NULL, *old;
	char err[256];
	time_t now = time(NULL);
	int r;

	free_expired(s, now);
	stat_files(s->dir, before);
	if (!before[0].present || !before[1].present) {
		memcpy(s->last, before, sizeof(before));
		if (!s->waiting_logged)
			LOG_WARNF("cert_missing", "dir=%s want=tls.crt,tls.key serving=%s", s->dir,
				  cs_loaded(s) ? "previous" : "none");
		s->waiting_logged = 1;
		return -ENOENT;
	}
	s->waiting_logged = 0;
	if (!force && fid_equal(&before[0], &s->last[0]) && fid_equal(&before[1], &s->last[1]))
		return 0;
	err[0] = '\0';
	r = load_pair(s->dir, &p, err, sizeof(err));
	/* Files replaced while being read (a cert written before its key) are read again at the
	 * next poll: remember them as seen only when nothing moved during the load. */
	stat_files(s->dir, after);
	if (fid_equal(&before[0], &after[0]) && fid_equal(&before[1], &after[1]))
		memcpy(s->last, after, sizeof(after));
	else
		memset(s->last, 0, sizeof(s->last));
	if (r < 0) {
		char q[300];

		LOG_ERRORF("cert_load_failed", "dir=%s reason=%s serving=%s", s->dir,
			   log_quote(err, q, sizeof(q)), cs_loaded(s) ? "previous" : "none");
		return r;
	}
	pthread_mutex_lock(&cs_mu);
	old = s->cur;
	s->cur = p;
	pthread_mutex_unlock(&cs_mu);
	if (old) {
		old->retired = now;
		old->next = s->retired;
		s->retired = old;
	}
	LOG_INFOF("cert_loaded", "dir=%s serial=%s chain=%u not_after=%lld", s->dir, p->serial,
		  p->n, p->not_after);
	if (p->not_after && p->not_after < (long long)now)
		LOG_WARNF("cert_expired", "dir=%s serial=%s not_after=%lld", s->dir, p->serial,
			  p->not_after);
	return 1;
}

bool cs_loaded(struct cs_store *s)
{
	bool r;

	pthread_mutex_lock(&cs_mu);
	r = s && s->cur;
	pthread_mutex_unlock(&cs_mu);
	return r;
}

void cs_info(struct cs_store *s, char *serial, size_t serial_len, long long *not_after)
{
	pthread_mutex_lock(&cs_mu);
	if (serial && serial_len)
		snprintf(serial, serial_len, "%s", s && s->cur ? s->cur->serial : "");
	if (not_after)
		*not_after = s && s->cur ? s->cur->not_after : 0;
	pthread_mutex_unlock(&cs_mu);
}

void cs_activate(struct cs_store *s)
{
	pthread_mutex_lock(&cs_mu);
	cs_active = s;
	pthread_mutex_unlock(&cs_mu);
}

int cs_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
		const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
		unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct cs_pair *p;

	(void)session;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&cs_mu);
	p = cs_active ? cs_active->cur : NULL;
	if (p) {
		*pcert = p->certs;
		*pcert_length = p->n;
		*pkey = p->key;
	}
	pthread_mutex_unlock(&cs_mu);
	return p ? 0 : -1;
}

void cs_close(struct cs_store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&cs_mu);
	if (cs_active == s)
		cs_active = NULL;
	pthread_mutex_unlock(&cs_mu);
	pair_free(s->cur);
	while (s->retired) {
		struct cs_pair *p = s->retired;

		s->retired = p->next;
		pair_free(p);
	}
	free(s->dir);
	free(s);
}
