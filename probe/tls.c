#include "probe/tls.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "probe/http.h"

/* The OpenSSL functions used, looked up once. Only the headers are used at build time. */
static struct {
	__typeof__(&TLS_client_method) client_method;
	__typeof__(&SSL_CTX_new) ctx_new;
	__typeof__(&SSL_CTX_free) ctx_free;
	__typeof__(&SSL_CTX_up_ref) ctx_up_ref;
	__typeof__(&SSL_CTX_set_verify) ctx_set_verify;
	__typeof__(&SSL_CTX_load_verify_locations) ctx_load_verify;
	__typeof__(&SSL_CTX_set_default_verify_paths) ctx_default_paths;
	__typeof__(&SSL_CTX_ctrl) ctx_ctrl;
	__typeof__(&SSL_CTX_set_options) ctx_set_options;
	__typeof__(&SSL_new) ssl_new;
	__typeof__(&SSL_free) ssl_free;
	__typeof__(&SSL_set_fd) set_fd;
	__typeof__(&SSL_ctrl) ssl_ctrl;
	__typeof__(&SSL_set1_host) set1_host;
	__typeof__(&SSL_connect) connect;
	__typeof__(&SSL_read) read;
	__typeof__(&SSL_write) write;
	__typeof__(&SSL_get_error) get_error;
	__typeof__(&SSL_get_verify_result) verify_result;
	__typeof__(&X509_verify_cert_error_string) verify_string;
	__typeof__(&ERR_get_error) err_get;
	__typeof__(&ERR_error_string_n) err_string;
	__typeof__(&ERR_clear_error) err_clear;
} ossl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_err[200];
static int load_rc;

static pthread_mutex_t ctx_mu = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *ctx_insecure;	 /* probes: no verification */
static SSL_CTX *ctx_verify;	 /* reports: verified against ctx_verify_ca */
static char ctx_verify_ca[4096]; /* "" = the system's store */

struct pr_tls {
	SSL *ssl;
	int fd; /* borrowed */
};

#define SYM(field, name)                                                                           \
	do {                                                                                       \
		*(void **)(&ossl.field) = dlsym(h, name);                                          \
		if (!ossl.field) {                                                                 \
			snprintf(load_err, sizeof(load_err), "libssl: symbol %s is missing",       \
				 name);                                                            \
			goto fail;                                                                 \
		}                                                                                  \
	} while (0)

static void load(void)
{
	static const char *const names[] = {"libssl.so.3", "libssl.so"};
	void *h = NULL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_err, sizeof(load_err), "HTTPS needs libssl.so.3: %s", dlerror());
		load_rc = -ENOSYS;
		return;
	}
	SYM(client_method, "TLS_client_method");
	SYM(ctx_new, "SSL_CTX_new");
	SYM(ctx_free, "SSL_CTX_free");
	SYM(ctx_up_ref, "SSL_CTX_up_ref");
	SYM(ctx_set_verify, "SSL_CTX_set_verify");
	SYM(ctx_load_verify, "SSL_CTX_load_verify_locations");
	SYM(ctx_default_paths, "SSL_CTX_set_default_verify_paths");
	SYM(ctx_ctrl, "SSL_CTX_ctrl");
	SYM(ctx_set_options, "SSL_CTX_set_options");
	SYM(ssl_new, "SSL_new");
	SYM(ssl_free, "SSL_free");
	SYM(set_fd, "SSL_set_fd");
	SYM(ssl_ctrl, "SSL_ctrl");
	SYM(set1_host, "SSL_set1_host");
	SYM(connect, "SSL_connect");
	SYM(read, "SSL_read");
	SYM(write, "SSL_write");
	SYM(get_error, "SSL_get_error");
	SYM(verify_result, "SSL_get_verify_result");
	SYM(verify_string, "X509_verify_cert_error_string");
	SYM(err_get, "ERR_get_error");
	SYM(err_string, "ERR_error_string_n");
	SYM(err_clear, "ERR_clear_error");
	return;
fail:
	/* the library stays loaded: unloading OpenSSL is not safe */
	load_rc = -ENOSYS;
}

int pr_tls_load(char *err, size_t errlen)
{
	pthread_once(&load_once, load);
	if (load_rc < 0 && err && errlen)
		snprintf(err, errlen, "%s", load_err);
	return load_rc;
}

static void ssl_error(const char *what, char *err, size_t errlen)
{
	unsigned long e = ossl.err_get();
	char s[160] = "";

	if (e)
		ossl.err_string(e, s, sizeof(s));
	snprintf(err, errlen, "%s%s%s", what, s[0] ? ": " : "", s);
	ossl.err_clear();
}

/* Returns a context for these settings with a reference the caller drops (SSL_CTX_free) once
 * its SSL_new() took its own. The module keeps one reference to each cached context; a new CA
 * file replaces the cached verifying context (connections still using the old one keep it
 * alive through their references). */
static SSL_CTX *get_ctx(bool verify, const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *c = NULL;

	pthread_mutex_lock(&ctx_mu);
	if (!verify && ctx_insecure) {
		c = ctx_insecure;
		goto take;
	}
	if (verify && ctx_verify && strcmp(ctx_verify_ca, ca_file ? ca_file : "") == 0) {
		c = ctx_verify;
		goto take;
	}
	c = ossl.ctx_new(ossl.client_method());
	if (!c) {
		ssl_error("SSL_CTX_new", err, errlen);
		goto out;
	}
	ossl.ctx_ctrl(c, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
	/* Servers that close without close_notify after a body read to the end are common. */
	ossl.ctx_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (!verify) {
		ossl.ctx_set_verify(c, SSL_VERIFY_NONE, NULL);
		ctx_insecure = c;
		goto take;
	}
	ossl.ctx_set_verify(c, SSL_VERIFY_PEER, NULL);
	if ((ca_file && ca_file[0]) ? ossl.ctx_load_verify(c, ca_file, NULL) != 1
				    : ossl.ctx_default_paths(c) != 1) {
		char what[300];

		snprintf(what, sizeof(what), "loading CA file %s", ca_file ? ca_file : "(system)");
		ssl_error(what, err, errlen);
		ossl.ctx_free(c);
		c = NULL;
		goto out;
	}
	if (ctx_verify)
		ossl.ctx_free(ctx_verify);
	ctx_verify = c;
	snprintf(ctx_verify_ca, sizeof(ctx_verify_ca), "%s", ca_file ? ca_file : "");
take:
	ossl.ctx_up_ref(c);
out:
	pthread_mutex_unlock(&ctx_mu);
	return c;
}

/* Waits for what OpenSSL asked for after a call returned rc. 0 to retry, or -errno. */
static int wait_for(struct pr_tls *t, int rc, int fd, int64_t deadline_ms, int stop_fd)
{
	int e = ossl.get_error(t->ssl, rc);
	int r;

	if (e == SSL_ERROR_WANT_READ)
		r = pr_wait_fd(fd, POLLIN, deadline_ms, stop_fd);
	else if (e == SSL_ERROR_WANT_WRITE)
		r = pr_wait_fd(fd, POLLOUT, deadline_ms, stop_fd);
	else if (e == SSL_ERROR_ZERO_RETURN)
		return -EPIPE;
	else if (e == SSL_ERROR_SYSCALL)
		return errno ? -errno : -ECONNRESET;
	else
		return -EPROTO;
	return r < 0 ? r : 0;
}

int pr_tls_connect(int fd, const char *sni, const char *ip_host, bool verify, const char *ca_file,
		   int64_t deadline_ms, int stop_fd, struct pr_tls **out, char *err, size_t errlen)
{
	struct pr_tls *t = NULL;
	SSL_CTX *ctx;
	int r;

	*out = NULL;
	r = pr_tls_load(err, errlen);
	if (r < 0)
		return r;
	ctx = get_ctx(verify, ca_file, err, errlen);
	if (!ctx)
		return -EPROTO;
	t = calloc(1, sizeof(*t));
	if (!t) {
		ossl.ctx_free(ctx);
		return -ENOMEM;
	}
	t->fd = fd;
	ossl.err_clear();
	t->ssl = ossl.ssl_new(ctx);
	ossl.ctx_free(ctx); /* the SSL holds its own reference */
	if (!t->ssl || ossl.set_fd(t->ssl, fd) != 1) {
		ssl_error("SSL_new", err, errlen);
		r = -ENOMEM;
		goto fail;
	}
	if (sni && sni[0])
		ossl.ssl_ctrl(t->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
			      (void *)sni);
	if (verify && ossl.set1_host(t->ssl, sni && sni[0] ? sni : ip_host) != 1) {
		ssl_error("SSL_set1_host", err, errlen);
		r = -EPROTO;
		goto fail;
	}
	for (;;) {
		int rc = ossl.connect(t->ssl);

		if (rc == 1)
			break;
		r = wait_for(t, rc, fd, deadline_ms, stop_fd);
		if (r == -ETIMEDOUT || r == -ECANCELED) {
			snprintf(err, errlen, "TLS handshake: %s", strerror(-r));
			goto fail;
		}
		if (r < 0) {
			long v = ossl.verify_result(t->ssl);

			if (verify && v != X509_V_OK)
				snprintf(err, errlen, "TLS handshake: certificate: %s",
					 ossl.verify_string(v));
			else
				ssl_error("TLS handshake", err, errlen);
			r = -EPROTO;
			goto fail;
		}
	}
	*out = t;
	return 0;
fail:
	pr_tls_free(t);
	return r;
}

ssize_t pr_tls_read(struct pr_tls *t, void *buf, size_t n, int64_t deadline_ms, int stop_fd)
{
	if (n > 1u << 30)
		n = 1u << 30;
	for (;;) {
		int rc, r;

		ossl.err_clear();
		rc = ossl.read(t->ssl, buf, (int)n);
		if (rc > 0)
			return rc;
		r = wait_for(t, rc, t->fd, deadline_ms, stop_fd);
		if (r == -EPIPE)
			return 0; /* close_notify, or a plain EOF (SSL_OP_IGNORE_UNEXPECTED_EOF) */
		if (r < 0)
			return r;
	}
}

int pr_tls_write(struct pr_tls *t, const void *buf, size_t n, int64_t deadline_ms, int stop_fd)
{
	const char *p = buf;

	while (n > 0) {
		int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
		int rc, r;

		ossl.err_clear();
		rc = ossl.write(t->ssl, p, chunk);
		if (rc > 0) {
			p += rc;
			n -= (size_t)rc;
			continue;
		}
		r = wait_for(t, rc, t->fd, deadline_ms, stop_fd);
		if (r < 0)
			return r;
	}
	return 0;
}

void pr_tls_free(struct pr_tls *t)
{
	if (!t)
		return;
	if (t->ssl)
		ossl.ssl_free(t->ssl);
	free(t);
}
