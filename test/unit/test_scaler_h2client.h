/* A small gRPC client over h2c (HTTP/2 with prior knowledge) with nghttp2, header-only, for the
 * scaler's in-process tests (test_scaler_server.c) and bench/scaler. One connection, a few
 * concurrent streams, everything on the caller's thread with poll(2) and a timeout.
 *
 * Not a general client: responses are kept whole in memory (capped), and a stream slot is
 * reused only after h2c_release(). */
#ifndef OKG_TEST_SCALER_H2CLIENT_H
#define OKG_TEST_SCALER_H2CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "lib/buf.h"

#define H2C_MAX_STREAMS 16
#define H2C_DATA_MAX	(1u << 20)

struct h2c_stream {
	bool used, closed;
	int32_t id;
	uint32_t rst_code; /* the error code the stream closed with */
	char http_status[8];
	int grpc_status; /* -1 until a grpc-status arrives */
	char grpc_message[512];
	char content_type[64];
	int headers_frames; /* HEADERS frames received (2 = headers + trailers) */
	struct buf data;    /* the DATA bytes (gRPC frames), capped */
	uint8_t *req;	    /* owned copy of the request body */
	size_t req_len, req_off;
	bool end_after_req; /* END_STREAM after the body */
};

struct h2c {
	int fd;
	nghttp2_session *ses;
	struct h2c_stream st[H2C_MAX_STREAMS];
	bool eof;
	bool got_goaway;
};

static inline int64_t h2c_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct h2c_stream *h2c_find(struct h2c *c, int32_t id)
{
	for (int i = 0; i < H2C_MAX_STREAMS; i++) {
		if (c->st[i].used && c->st[i].id == id)
			return &c->st[i];
	}
	return NULL;
}

static inline void h2c_copy(char *dst, size_t cap, const uint8_t *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static inline int h2c_on_header(nghttp2_session *ses, const nghttp2_frame *f, const uint8_t *name,
				size_t namelen, const uint8_t *value, size_t valuelen,
				uint8_t flags, void *ud)
{
	struct h2c_stream *s = h2c_find(ud, f->hd.stream_id);

	(void)ses, (void)flags;
	if (!s)
		return 0;
	if (namelen == 7 && !memcmp(name, ":status", 7))
		h2c_copy(s->http_status, sizeof(s->http_status), value, valuelen);
	else if (namelen == 12 && !memcmp(name, "content-type", 12))
		h2c_copy(s->content_type, sizeof(s->content_type), value, valuelen);
	else if (namelen == 12 && !memcmp(name, "grpc-message", 12))
		h2c_copy(s->grpc_message, sizeof(s->grpc_message), value, valuelen);
	else if (namelen == 11 && !memcmp(name, "grpc-status", 11)) {
		char t[16];

		h2c_copy(t, sizeof(t), value, valuelen);
		s->grpc_status = (int)strtol(t, NULL, 10);
	}
	return 0;
}

static inline int h2c_on_frame(nghttp2_session *ses, const nghttp2_frame *f, void *ud)
{
	struct h2c *c = ud;
	struct h2c_stream *s;

	(void)ses;
	if (f->hd.type == NGHTTP2_GOAWAY)
		c->got_goaway = true;
	if (f->hd.type == NGHTTP2_HEADERS && (s = h2c_find(c, f->hd.stream_id)))
		s->headers_frames++;
	return 0;
}

static inline int h2c_on_data(nghttp2_session *ses, uint8_t flags, int32_t id, const uint8_t *data,
			      size_t len, void *ud)
{
	struct h2c_stream *s = h2c_find(ud, id);

	(void)ses, (void)flags;
	if (s && buf_append(&s->data, data, len) < 0)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	return 0;
}

static inline int h2c_on_close(nghttp2_session *ses, int32_t id, uint32_t code, void *ud)
{
	struct h2c_stream *s = h2c_find(ud, id);

	(void)ses;
	if (s) {
		s->closed = true;
		s->rst_code = code;
	}
	return 0;
}

static inline ssize_t h2c_read_req(nghttp2_session *ses, int32_t id, uint8_t *buf, size_t len,
				   uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct h2c_stream *s = src->ptr;
	size_t n = s->req_len - s->req_off;

	(void)ses, (void)id, (void)ud;
	if (n > len)
		n = len;
	if (n)
		memcpy(buf, s->req + s->req_off, n);
	s->req_off += n;
	if (s->req_off == s->req_len) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		if (!s->end_after_req)
			*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
	}
	return (ssize_t)n;
}

/* Connects to 127.0.0.1:port and sends the preface. Returns 0 or -errno. */
static inline int h2c_connect(struct h2c *c, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	nghttp2_session_callbacks *cb = NULL;
	int one = 1, e;

	memset(c, 0, sizeof(*c));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = -errno;
		close(c->fd);
		c->fd = -1;
		return e;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (nghttp2_session_callbacks_new(&cb) != 0)
		return -ENOMEM;
	nghttp2_session_callbacks_set_on_header_callback(cb, h2c_on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2c_on_frame);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, h2c_on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2c_on_close);
	e = nghttp2_session_client_new(&c->ses, cb, c);
	nghttp2_session_callbacks_del(cb);
	if (e != 0)
		return -ENOMEM;
	if (nghttp2_submit_settings(c->ses, NGHTTP2_FLAG_NONE, NULL, 0) != 0)
		return -ENOMEM;
	return 0;
}

static inline void h2c_release(struct h2c *c, struct h2c_stream *s)
{
	(void)c;
	if (!s)
		return;
	buf_free(&s->data);
	free(s->req);
	memset(s, 0, sizeof(*s));
}

static inline void h2c_close(struct h2c *c)
{
	for (int i = 0; i < H2C_MAX_STREAMS; i++)
		h2c_release(c, &c->st[i]);
	nghttp2_session_del(c->ses);
	c->ses = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Opens a stream with the given headers (all of them: pseudo-headers included) and body (NULL:
 * no DATA). end: END_STREAM after the body (or on the HEADERS when there is no body). */
static struct h2c_stream *h2c_start_raw(struct h2c *c, const nghttp2_nv *nv, size_t nnv,
					const uint8_t *body, size_t n, bool end)
{
	struct h2c_stream *s = NULL;
	nghttp2_data_provider prd;
	int32_t id;

	for (int i = 0; i < H2C_MAX_STREAMS; i++) {
		if (!c->st[i].used) {
			s = &c->st[i];
			break;
		}
	}
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->grpc_status = -1;
	buf_init(&s->data, H2C_DATA_MAX);
	s->end_after_req = end;
	if (body) {
		s->req = malloc(n ? n : 1);
		if (!s->req)
			goto fail;
		memcpy(s->req, body, n);
		s->req_len = n;
		prd.source.ptr = s;
		prd.read_callback = h2c_read_req;
	}
	if (body)
		id = nghttp2_submit_request(c->ses, NULL, nv, nnv, &prd, NULL);
	else if (end)
		id = nghttp2_submit_request(c->ses, NULL, nv, nnv, NULL, NULL);
	else
		id = nghttp2_submit_headers(c->ses, NGHTTP2_FLAG_NONE, -1, NULL, nv, nnv, NULL);
	if (id < 0)
		goto fail;
	s->id = id;
	return s;
fail:
	h2c_release(c, s);
	return NULL;
}

#define H2C_NV(n, v)                                                                               \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE         \
	}

/* A gRPC call: POST path, content-type application/grpc, te trailers, plus extra headers; the
 * body is msg framed (5-byte prefix) unless raw is true. */
static struct h2c_stream *h2c_start(struct h2c *c, const char *path, const uint8_t *msg, size_t n,
				    bool raw, const nghttp2_nv *extra, size_t nextra)
{
	nghttp2_nv nv[16] = {
	    H2C_NV(":method", "POST"),
	    H2C_NV(":scheme", "http"),
	    H2C_NV(":authority", "localhost"),
	    H2C_NV(":path", path),
	    H2C_NV("content-type", "application/grpc"),
	    H2C_NV("te", "trailers"),
	};
	size_t nnv = 6;
	struct h2c_stream *s;
	uint8_t *framed;

	for (size_t i = 0; i < nextra && nnv < 16; i++)
		nv[nnv++] = extra[i];
	if (raw)
		return h2c_start_raw(c, nv, nnv, msg, n, true);
	framed = malloc(n + 5);
	if (!framed)
		return NULL;
	framed[0] = 0;
	framed[1] = (uint8_t)(n >> 24);
	framed[2] = (uint8_t)(n >> 16);
	framed[3] = (uint8_t)(n >> 8);
	framed[4] = (uint8_t)n;
	if (n)
		memcpy(framed + 5, msg, n);
	s = h2c_start_raw(c, nv, nnv, framed, n + 5, true);
	free(framed);
	return s;
}

/* Runs the connection until done(c, arg) is true (0), the time runs out (-ETIMEDOUT) or the
 * connection ends (-EPIPE). done may be NULL: run until the timeout, then return 0. */
static inline int h2c_run(struct h2c *c, int timeout_ms, bool (*done)(struct h2c *, void *),
			  void *arg)
{
	int64_t end = h2c_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int64_t left;
		uint8_t b[16384];

		for (;;) {
			const uint8_t *d;
			ssize_t n = nghttp2_session_mem_send(c->ses, &d);

			if (n < 0)
				return -EPIPE;
			if (n == 0)
				break;
			while (n > 0) {
				ssize_t w = send(c->fd, d, (size_t)n, MSG_NOSIGNAL);

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return -EPIPE;
				d += w;
				n -= w;
			}
		}
		if (done && done(c, arg))
			return 0;
		if (c->eof)
			return -EPIPE;
		left = end - h2c_now_ms();
		if (left <= 0)
			return done ? -ETIMEDOUT : 0;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		{
			ssize_t n = recv(c->fd, b, sizeof(b), 0);

			if (n <= 0) {
				c->eof = true;
				continue;
			}
			if (nghttp2_session_mem_recv(c->ses, b, (size_t)n) < 0)
				return -EPIPE;
		}
	}
}

static inline bool h2c_closed_pred(struct h2c *c, void *arg)
{
	(void)c;
	return ((struct h2c_stream *)arg)->closed;
}

/* A unary call: returns 0 with *out (release it), or -errno. */
static inline int h2c_unary(struct h2c *c, const char *path, const uint8_t *msg, size_t n,
			    struct h2c_stream **out, int timeout_ms)
{
	struct h2c_stream *s = h2c_start(c, path, msg, n, false, NULL, 0);
	int e;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	e = h2c_run(c, timeout_ms, h2c_closed_pred, s);
	if (e < 0) {
		h2c_release(c, s);
		return e;
	}
	*out = s;
	return 0;
}

/* The idx-th gRPC message in a stream's DATA: 0, or -ENOENT (not there, or cut short). */
static inline int h2c_msg(const struct h2c_stream *s, size_t idx, const uint8_t **p, size_t *n,
			  uint8_t *flags)
{
	const uint8_t *d = (const uint8_t *)s->data.data;
	size_t off = 0;

	for (size_t i = 0;; i++) {
		uint32_t len;

		if (s->data.len - off < 5)
			return -ENOENT;
		len = (uint32_t)d[off + 1] << 24 | (uint32_t)d[off + 2] << 16 |
		      (uint32_t)d[off + 3] << 8 | d[off + 4];
		if (s->data.len - off - 5 < len)
			return -ENOENT;
		if (i == idx) {
			*p = d + off + 5;
			*n = len;
			if (flags)
				*flags = d[off];
			return 0;
		}
		off += 5 + len;
	}
}

static inline size_t h2c_msg_count(const struct h2c_stream *s)
{
	const uint8_t *p;
	size_t n = 0, len;

	while (h2c_msg(s, n, &p, &len, NULL) == 0)
		n++;
	return n;
}

#endif
