/* http: a small HTTP/1.1 client for probes and reports, without libcurl.
 *
 * Why not libcurl: linking it (with OpenSSL and its 30 dependencies) costs about 8 MiB of
 * resident memory in every game-server pod before the first request; with this client the
 * helper's resident memory is about 2.2 MiB, 0.3 MiB of it private. HTTPS loads the system's
 * libssl on first use (probe/tls.h).
 *
 * One request per connection ("Connection: close"). Every step (name lookup, connect, TLS
 * handshake, writing, reading) is bounded by one deadline, and by stop_fd: when it becomes
 * readable the request ends with -ECANCELED. The body kept is capped; reading stops at
 * max_read bytes of body (the connection is then dropped). The URL parser, the response head
 * parser and the chunked decoder are pure and tested on their own. */
#ifndef OKG_PROBE_HTTP_H
#define OKG_PROBE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"

#define PR_HTTP_MAX_HEAD (16 * 1024) /* response status line + headers */

struct pr_url {
	bool https;
	bool host_is_ip;
	char host[256]; /* without brackets */
	char port[8];
	char path[4096]; /* path and query, starts with '/' */
};

/* Parses "http[s]://host[:port][/path][?query]" (IPv6 hosts in brackets). Fragments are
 * dropped; user info, spaces and control bytes are refused. 0 or -EINVAL with err set. */
int pr_url_parse(const char *url, struct pr_url *u, char *err, size_t errlen);

/* Writes "host:port" (brackets around IPv6) into out. */
void pr_url_hostport(const struct pr_url *u, char *out, size_t outlen);

struct pr_http_head {
	int status;
	bool chunked;
	bool has_length;
	unsigned long long length;
	unsigned retry_after_s; /* Retry-After in seconds (an HTTP date counts as 1), 0 = none */
};

/* Parses a response head: text[0, len) is everything up to and including the empty line.
 * Returns 0 or -EINVAL (not HTTP/1.x, bad status, conflicting or bad Content-Length). */
int pr_http_parse_head(const char *text, size_t len, struct pr_http_head *h);

/* Parses a Retry-After value: seconds (capped at 3600), or 1 for an HTTP date; 0 for none. */
unsigned pr_http_retry_after(const char *v, size_t len);

/* A chunked transfer-coding decoder (RFC 9112 7.1), fed bytes as they arrive. */
struct pr_chunked {
	int st;
	unsigned long long left;
	size_t digits;
	bool done;
};

void pr_chunked_init(struct pr_chunked *c);

/* Decodes in[0, n) into out (which may be in itself: output never runs ahead of input).
 * Returns the bytes written to out, or -EINVAL on a framing error. Once the last chunk and
 * the trailers have been seen, c->done is set and further input is ignored. */
ssize_t pr_chunked_feed(struct pr_chunked *c, const char *in, size_t n, char *out);

struct pr_http_req {
	const char *method;	    /* "GET", "POST", ... */
	const struct pr_url *url;   /* borrowed */
	const char *const *headers; /* "Name: value" lines (validated by the caller), or NULL */
	size_t n_headers;
	const char *body; /* POST body, or NULL */
	size_t body_len;
	int64_t deadline_ms; /* CLOCK_MONOTONIC milliseconds (pr_now_ms()) */
	int stop_fd;	     /* -1 for none */
	bool verify;	     /* HTTPS: verify the server's certificate */
	const char *ca_file; /* HTTPS with verify: CA bundle, or NULL for the system's */
	size_t max_read;     /* body bytes read at most */
};

struct pr_http_resp {
	int status;
	unsigned retry_after_s;
	struct buf body; /* the first bytes of the body (capped by its own max) */
	bool body_cut;	 /* more body followed than was read or kept */
};

/* Sends the request and reads the answer. resp->body must have been buf_init()ed by the
 * caller, whose max caps what is kept. Returns 0 when an answer arrived (any status), or a
 * negative errno (-ETIMEDOUT, -ECONNREFUSED, -ECANCELED, -EPROTO for a malformed answer,
 * ...) with err describing it ("connect 10.0.0.5:8080: Connection refused"). */
int pr_http_do(const struct pr_http_req *rq, struct pr_http_resp *resp, char *err, size_t errlen);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t pr_now_ms(void);

/* Resolves host:port within the deadline (numeric addresses at once, names through
 * getaddrinfo_a so a dead DNS server cannot hold the caller past the deadline). *out is
 * freed with freeaddrinfo(). 0 or a negative errno with err set. */
struct addrinfo;
int pr_resolve(const char *host, const char *port, int64_t deadline_ms, int stop_fd,
	       struct addrinfo **out, char *err, size_t errlen);

/* Connects a TCP socket (non-blocking, close-on-exec) to host:port within the deadline.
 * Returns the fd or a negative errno with err set. */
int pr_tcp_connect(const char *host, const char *port, int64_t deadline_ms, int stop_fd, char *err,
		   size_t errlen);

/* Waits until fd is ready for events, the deadline passes (-ETIMEDOUT) or stop_fd becomes
 * readable (-ECANCELED). Returns the poll revents (> 0). */
int pr_wait_fd(int fd, short events, int64_t deadline_ms, int stop_fd);

#endif
