/* certstore: the serving certificate, read from a directory laid out like a cert-manager /
 * kubernetes.io/tls Secret volume (tls.crt: the leaf first, then any intermediates; tls.key: its
 * private key, PKCS#8 or PKCS#1 PEM) and swapped while the server runs.
 *
 * libmicrohttpd 0.9.75 asks GnuTLS for the certificate on every handshake through
 * cs_retrieve() (MHD_OPTION_HTTPS_CERT_CALLBACK). It reads the current pair under a lock. A
 * replaced pair is not freed at once: a handshake that picked it may still be using it, so it is
 * kept for a grace period (longer than any handshake can last: the connection timeout bounds
 * it) and freed by a later cs_poll(). No request fails during a swap, and a bad new pair is
 * logged and ignored (the old one keeps serving).
 *
 * GnuTLS's callback carries no user pointer, so one store per process is the active one
 * (cs_activate()); several may exist (tests), only one serves. */
#ifndef OKG_WEBHOOK_CERTSTORE_H
#define OKG_WEBHOOK_CERTSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#define CS_MAX_CHAIN	 8
#define CS_MAX_FILE_SIZE (1024 * 1024)

struct cs_store;

/* A store for dir (copied). grace_s: how long a replaced pair stays allocated. Nothing is read
 * yet: call cs_poll(). *out is freed with cs_close(). Returns 0 or -ENOMEM. */
int cs_open(const char *dir, unsigned grace_s, struct cs_store **out);

/* Checks tls.crt and tls.key (device, inode, size, mtime; a Secret update swaps a symlink, which
 * changes the inode) and loads them when they changed, or always when force is set. Frees
 * replaced pairs whose grace period is over. Returns 1 when a new pair now serves, 0 when
 * nothing changed, or a negative errno when the files are missing or unusable (the pair in
 * service, if any, stays). Safe to call from one thread at a time (the reloader). */
int cs_poll(struct cs_store *s, bool force);

/* True once a pair serves. */
bool cs_loaded(struct cs_store *s);

/* The serving certificate's serial number as lowercase hex ("" when none) and its notAfter as
 * Unix time (0 when none). */
void cs_info(struct cs_store *s, char *serial, size_t serial_len, long long *not_after);

/* Makes s the store cs_retrieve() answers from; NULL deactivates. */
void cs_activate(struct cs_store *s);

/* The GnuTLS certificate callback: the active store's current pair, or -1 (the handshake fails)
 * when there is none. The returned objects stay owned by the store. */
int cs_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
		const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
		unsigned int *pcert_length, gnutls_privkey_t *pkey);

/* Makes *out (caller frees with gnutls_privkey_deinit()) from key_pem (borrowed; PKCS#8 or
 * PKCS#1 PEM), which must be the key of leaf (borrowed). RSA and EC keys sign through OpenSSL
 * (several times faster than nettle for RSA; see certstore.c), other types through GnuTLS.
 * Returns 0, -EINVAL (unreadable, or not leaf's key) or -ENOMEM. */
int cs_key_import(const gnutls_datum_t *key_pem, const gnutls_pcert_st *leaf,
		  gnutls_privkey_t *out);

/* Frees every pair and the store (deactivating it if active). Only once no handshake can run
 * (the server is stopped). NULL-safe. */
void cs_close(struct cs_store *s);

#endif
