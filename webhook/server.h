/* server: okg-webhook's HTTPS server, a thin libmicrohttpd adapter around adm_handle().
 *
 *   POST /validate-v1alpha1-gss, /validate, /mutate-v1-pod   admission reviews
 *   GET  /healthz   200 while the process serves
 *   GET  /readyz    200 once a certificate is loaded and until draining starts, else 503
 *   GET  /metrics   Prometheus text
 *
 * TLS only (GnuTLS through MHD, versions from the priority string, TLS 1.2+ by default), HTTP/1.1
 * keep-alive, a thread pool with epoll. Request bodies over max_body get 413, other methods 405,
 * unknown paths 404; idle or slow connections are closed after conn_timeout_s. The certificate
 * is polled every cert_poll_ms and swapped without failing a request (certstore.h). */
#ifndef OKG_WEBHOOK_SERVER_H
#define OKG_WEBHOOK_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "webhook/admission.h"

struct wh_server_opts {
	const char *listen;	    /* "host:port", "[v6]:port" or ":port"; port 0 = any */
	const char *cert_dir;	    /* holds tls.crt and tls.key */
	const char *tls_priorities; /* GnuTLS priority string */
	size_t max_body;	    /* bytes */
	unsigned threads;	    /* worker threads; 0 = one per CPU */
	unsigned conn_timeout_s;    /* idle/slow connection timeout */
	unsigned max_conns;
	unsigned cert_poll_ms; /* 0 = only on wh_server_reload() */
	struct adm_opts adm;
};

struct wh_server;

/* Starts serving. All strings in o are borrowed and must outlive the server. A missing
 * certificate is not an error: the server starts unready and keeps polling. Returns 0, -EINVAL
 * (bad listen address), -EADDRINUSE or -EIO (MHD refused to start; logged), -ENOMEM. */
int wh_server_start(const struct wh_server_opts *o, struct wh_server **out);

/* The bound TCP port (useful with port 0). */
unsigned short wh_server_port(const struct wh_server *s);

/* Re-reads the certificate files now, changed or not (SIGHUP). Returns cs_poll()'s result. */
int wh_server_reload(struct wh_server *s);

/* Requests whose headers arrived and whose response is not finished yet. */
long wh_server_inflight(struct wh_server *s);

/* Certificate loaded and not draining. */
bool wh_server_ready(struct wh_server *s);

/* Starts draining: /readyz answers 503 and responses carry "Connection: close". Idempotent. */
void wh_server_drain(struct wh_server *s);

/* Stops accepting connections, waits up to timeout_ms for requests in flight to finish, then
 * closes everything and frees s. Returns 0, or -ETIMEDOUT when requests were still running.
 * NULL-safe. */
int wh_server_stop(struct wh_server *s, unsigned timeout_ms);

#endif
