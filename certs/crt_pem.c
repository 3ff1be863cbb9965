#include "certs/crt_pem.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/buf.h"

#define BEGIN_CERT "-----BEGIN CERTIFICATE-----"
#define END_CERT   "-----END CERTIFICATE-----"

static bool b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/* Finds the next CERTIFICATE block at or after *pos; appends its base64 body, whitespace
 * removed, to body (reset first). Sets *found. A block without its END line or with a byte
 * outside the base64 alphabet is -EINVAL. */
static int next_cert(const char *text, const char **pos, struct buf *body, bool *found)
{
	const char *b, *e, *p;
	size_t pad = 0;

	*found = false;
	buf_reset(body);
	if (!text || !*pos)
		return 0;
	b = strstr(*pos, BEGIN_CERT);
	if (!b) {
		*pos = NULL;
		return 0;
	}
	p = b + strlen(BEGIN_CERT);
	e = strstr(p, END_CERT);
	if (!e)
		return -EINVAL;
	for (; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (!b64_char(c) || (pad && c != '='))
			return -EINVAL;
		if (c == '=')
			pad++;
		if (buf_append(body, p, 1) < 0)
			return -E2BIG;
	}
	if (body->len == 0 || body->len % 4 != 0 || pad > 2)
		return -EINVAL;
	*pos = e + strlen(END_CERT);
	*found = true;
	return 0;
}

/* The normalized PEM text of a base64 body. */
static int wrap_pem(const char *body, size_t len, char **out)
{
	struct buf b;
	int r;

	buf_init(&b, CRT_MAX_PEM + 256);
	r = buf_append_str(&b, BEGIN_CERT "\n");
	for (size_t i = 0; r == 0 && i < len; i += 64) {
		r = buf_append(&b, body + i, len - i < 64 ? len - i : 64);
		if (r == 0)
			r = buf_append_str(&b, "\n");
	}
	if (r == 0)
		r = buf_append_str(&b, END_CERT "\n");
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	*out = buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

void crt_pems_free(struct crt_pems *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

int crt_pem_split(const char *text, size_t max, struct crt_pems *out)
{
	struct crt_pems res = {NULL, 0};
	const char *pos = text;
	struct buf body;
	bool found;
	int r = 0;

	if (!out)
		return -EINVAL;
	buf_init(&body, CRT_MAX_PEM);
	while (text) {
		char **nv;

		r = next_cert(text, &pos, &body, &found);
		if (r < 0 || !found)
			break;
		if (res.n >= max) {
			r = -E2BIG;
			break;
		}
		nv = realloc(res.v, (res.n + 1) * sizeof(*nv));
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		res.v = nv;
		r = wrap_pem(body.data, body.len, &res.v[res.n]);
		if (r < 0)
			break;
		res.n++;
	}
	buf_free(&body);
	if (r < 0) {
		crt_pems_free(&res);
		return r;
	}
	*out = res;
	return 0;
}

bool crt_pem_same(const char *a, const char *b)
{
	struct buf ba, bb;
	const char *pa = a, *pb = b;
	bool fa = false, fb = false, same = false;

	buf_init(&ba, CRT_MAX_PEM);
	buf_init(&bb, CRT_MAX_PEM);
	if (next_cert(a, &pa, &ba, &fa) == 0 && next_cert(b, &pb, &bb, &fb) == 0 && fa && fb)
		same = ba.len == bb.len && memcmp(ba.data, bb.data, ba.len) == 0;
	buf_free(&ba);
	buf_free(&bb);
	return same;
}

int crt_cert_info(const char *pem, struct crt_cert_info *out)
{
	BIO *b = NULL;
	X509 *x = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int days = 0, secs = 0;
	int r = -EINVAL;

	if (!pem || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ERR_set_mark();
	b = BIO_new_mem_buf(pem, -1);
	if (!b) {
		r = -ENOMEM;
		goto out;
	}
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!x)
		goto out;
	out->is_ca = X509_check_ca(x) != 0;
	if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)))
		goto out;
	out->seconds_left = (long long)days * 86400 + secs;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (!hex) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(out->serial, sizeof(out->serial), "%s", hex);
	X509_NAME_oneline(X509_get_subject_name(x), out->subject, (int)sizeof(out->subject));
	r = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	BIO_free(b);
	ERR_pop_to_mark();
	return r;
}

int crt_bundle_build(const char *current, const char *old, char **out)
{
	struct crt_pems cur = {NULL, 0}, prev = {NULL, 0};
	const char *kept[CRT_MAX_BUNDLE];
	struct crt_cert_info info;
	size_t nkept = 0;
	struct buf b;
	int r;

	if (!out)
		return -EINVAL;
	buf_init(&b, (size_t)CRT_MAX_BUNDLE * 8192);
	r = crt_pem_split(current, 64, &cur); /* only the first certificate of current counts */
	if (r == 0 && cur.n == 0)
		r = -EINVAL;
	if (r == 0)
		r = crt_cert_info(cur.v[0], &info);
	if (r < 0)
		goto out;
	kept[nkept++] = cur.v[0];
	/* A damaged old bundle must not block publishing the current CA: it is simply dropped. */
	if (crt_pem_split(old, 64, &prev) < 0)
		crt_pems_free(&prev);
	for (size_t i = 0; i < prev.n && nkept < CRT_MAX_BUNDLE; i++) {
		bool dup = false;

		for (size_t k = 0; k < nkept && !dup; k++)
			dup = crt_pem_same(kept[k], prev.v[i]);
		if (dup || crt_cert_info(prev.v[i], &info) < 0 || !info.is_ca ||
		    info.seconds_left <= 0)
			continue;
		kept[nkept++] = prev.v[i];
	}
	for (size_t k = 0; k < nkept && r == 0; k++)
		r = buf_append_str(&b, kept[k]);
	if (r < 0)
		goto out;
	*out = buf_steal(&b);
	r = *out ? 0 : -ENOMEM;
out:
	buf_free(&b);
	crt_pems_free(&cur);
	crt_pems_free(&prev);
	return r;
}

int crt_b64_encode(const void *data, size_t len, char **out)
{
	size_t n;
	char *s;

	if (!out || (!data && len))
		return -EINVAL;
	if (len > (size_t)INT_MAX / 2)
		return -E2BIG;
	n = 4 * ((len + 2) / 3) + 1;
	s = malloc(n);
	if (!s)
		return -ENOMEM;
	EVP_EncodeBlock((unsigned char *)s, data, (int)len);
	s[n - 1] = '\0';
	*out = s;
	return 0;
}
