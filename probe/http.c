#include "probe/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe/tls.h"

int64_t pr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- URLs ------------------------------------------------------------------------------------ */

int pr_url_parse(const char *url, struct pr_url *u, char *err, size_t errlen)
{
	const char *p, *host, *hend, *port = NULL, *pend, *rest;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (!url)
		url = "";
	for (p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, errlen, "must not contain spaces or control characters");
			return -EINVAL;
		}
	}
	if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		u->https = true;
		p = url + 8;
	} else {
		snprintf(err, errlen, "must be an http:// or https:// URL");
		return -EINVAL;
	}
	rest = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(rest - p))) {
		snprintf(err, errlen, "must not hold user information (user@host)");
		return -EINVAL;
	}
	if (*p == '[') {
		host = p + 1;
		hend = memchr(host, ']', (size_t)(rest - host));
		if (!hend) {
			snprintf(err, errlen, "unclosed [ in the host");
			return -EINVAL;
		}
		pend = hend + 1;
		if (pend < rest && *pend != ':') {
			snprintf(err, errlen, "unexpected text after ]");
			return -EINVAL;
		}
	} else {
		host = p;
		hend = memchr(host, ':', (size_t)(rest - host));
		if (!hend)
			hend = rest;
		pend = hend;
	}
	if (pend < rest && *pend == ':')
		port = pend + 1;
	n = (size_t)(hend - host);
	if (n == 0 || n >= sizeof(u->host)) {
		snprintf(err, errlen, "needs a host name or address");
		return -EINVAL;
	}
	memcpy(u->host, host, n);
	u->host[n] = '\0';
	if (port) {
		size_t pl = (size_t)(rest - port);
		char *end;
		long v;

		if (pl == 0 || pl >= sizeof(u->port) || strspn(port, "0123456789") < pl) {
			snprintf(err, errlen, "the port must be a number");
			return -EINVAL;
		}
		memcpy(u->port, port, pl);
		u->port[pl] = '\0';
		v = strtol(u->port, &end, 10);
		if (v < 1 || v > 65535) {
			snprintf(err, errlen, "the port must be between 1 and 65535");
			return -EINVAL;
		}
		snprintf(u->port, sizeof(u->port), "%ld", v);
	} else {
		snprintf(u->port, sizeof(u->port), "%s", u->https ? "443" : "80");
	}
	{
		struct in6_addr a6;
		struct in_addr a4;

		u->host_is_ip =
		    inet_pton(AF_INET, u->host, &a4) == 1 || inet_pton(AF_INET6, u->host, &a6) == 1;
		if (*p == '[' && !u->host_is_ip) {
			snprintf(err, errlen, "[%s] is not an IPv6 address", u->host);
			return -EINVAL;
		}
	}
	n = strcspn(rest, "#");
	if (n + 2 > sizeof(u->path)) {
		snprintf(err, errlen, "the path is longer than %zu bytes", sizeof(u->path) - 2);
		return -EINVAL;
	}
	if (rest[0] != '/')
		u->path[0] = '/';
	memcpy(u->path + (rest[0] != '/'), rest, n);
	u->path[n + (rest[0] != '/')] = '\0';
	return 0;
}

void pr_url_hostport(const struct pr_url *u, char *out, size_t outlen)
{
	if (strchr(u->host, ':'))
		snprintf(out, outlen, "[%s]:%s", u->host, u->port);
	else
		snprintf(out, outlen, "%s:%s", u->host, u->port);
}

/* --- the response head ------------------------------------------------------------------------ */

unsigned pr_http_retry_after(const char *v, size_t len)
{
	unsigned long x = 0;
	size_t i = 0;

	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i == len)
		return 0;
	if (!isdigit((unsigned char)v[i]))
		return 1; /* an HTTP date: wait a little rather than trust two clocks */
	for (; i < len && isdigit((unsigned char)v[i]); i++) {
		x = x * 10 + (unsigned long)(v[i] - '0');
		if (x > 3600)
			return 3600;
	}
	return (unsigned)x;
}

static bool token_eq(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* Does the comma-separated list v[0, n) end with the token "chunked"? */
static bool ends_chunked(const char *v, size_t n)
{
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n >= 7 && strncasecmp(v + n - 7, "chunked", 7) == 0 &&
	       (n == 7 || v[n - 8] == ',' || v[n - 8] == ' ' || v[n - 8] == '\t');
}

int pr_http_parse_head(const char *text, size_t len, struct pr_http_head *h)
{
	const char *p = text, *end = text + len, *eol;
	int status = 0;

	memset(h, 0, sizeof(*h));
	if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)p[7]) ||
	    p[8] != ' ')
		return -EINVAL;
	for (int i = 9; i < 12; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -EINVAL;
		status = status * 10 + (p[i] - '0');
	}
	if (status < 100 || (len > 12 && p[12] != ' ' && p[12] != '\r' && p[12] != '\n'))
		return -EINVAL;
	h->status = status;
	eol = memchr(p, '\n', len);
	if (!eol)
		return -EINVAL;
	for (p = eol + 1; p < end; p = eol + 1) {
		const char *colon, *v, *ve;
		size_t nl;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		ve = eol;
		if (ve > p && ve[-1] == '\r')
			ve--;
		if (ve == p)
			break; /* the empty line */
		colon = memchr(p, ':', (size_t)(ve - p));
		if (!colon || colon == p)
			return -EINVAL;
		nl = (size_t)(colon - p);
		v = colon + 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		if (token_eq(p, nl, "Content-Length")) {
			unsigned long long x = 0;
			const char *q = v;

			if (q == ve)
				return -EINVAL;
			for (; q < ve && isdigit((unsigned char)*q); q++) {
				if (x > (1ULL << 50))
					return -EINVAL;
				x = x * 10 + (unsigned)(*q - '0');
			}
			while (q < ve && (*q == ' ' || *q == '\t'))
				q++;
			if (q != ve || (h->has_length && h->length != x))
				return -EINVAL;
			h->has_length = true;
			h->length = x;
		} else if (token_eq(p, nl, "Transfer-Encoding")) {
			h->chunked = ends_chunked(v, (size_t)(ve - v));
		} else if (token_eq(p, nl, "Retry-After")) {
			h->retry_after_s = pr_http_retry_after(v, (size_t)(ve - v));
		}
	}
	if (h->chunked)
		h->has_length = false; /* RFC 9112 6.3: chunked wins */
	return 0;
}

/* --- chunked ---------------------------------------------------------------------------------- */

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LINE };

void pr_chunked_init(struct pr_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->st = CH_SIZE;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

ssize_t pr_chunked_feed(struct pr_chunked *c, const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n && !c->done) {
		char ch = in[i];

		switch (c->st) {
		case CH_SIZE: {
			int d = hexval(ch);

			if (d >= 0) {
				if (c->digits >= 15)
					return -EINVAL;
				c->left = c->left * 16 + (unsigned)d;
				c->digits++;
				i++;
			} else if (c->digits && (ch == ';' || ch == ' ' || ch == '\t')) {
				c->st = CH_EXT;
				i++;
			} else if (c->digits && ch == '\r') {
				c->st = CH_SIZE_LF;
				i++;
			} else if (c->digits && ch == '\n') {
				c->st = c->left ? CH_DATA : CH_TRAILER;
				i++;
			} else {
				return -EINVAL;
			}
			break;
		}
		case CH_EXT:
			if (ch == '\n')
				c->st = c->left ? CH_DATA : CH_TRAILER;
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				return -EINVAL;
			c->st = c->left ? CH_DATA : CH_TRAILER;
			i++;
			break;
		case CH_DATA: {
			size_t k = n - i;

			if (k > c->left)
				k = (size_t)c->left;
			memmove(out + o, in + i, k);
			o += k;
			i += k;
			c->left -= k;
			if (c->left == 0)
				c->st = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (ch == '\r') {
				c->st = CH_DATA_LF;
			} else if (ch == '\n') {
				c->st = CH_SIZE;
				c->digits = 0;
			} else {
				return -EINVAL;
			}
			i++;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				return -EINVAL;
			c->st = CH_SIZE;
			c->digits = 0;
			i++;
			break;
		case CH_TRAILER: /* at the start of a trailer line */
			if (ch == '\n')
				c->done = true;
			else if (ch != '\r')
				c->st = CH_TRAILER_LINE;
			i++;
			break;
		case CH_TRAILER_LINE:
			if (ch == '\n')
				c->st = CH_TRAILER;
			i++;
			break;
		default:
			return -EINVAL;
		}
	}
	return (ssize_t)o;
}

/* --- sockets ---------------------------------------------------------------------------------- */

int pr_wait_fd(int fd, short events, int64_t deadline_ms, int stop_fd)
{
	for (;;) {
		struct pollfd pf[2] = {{.fd = fd, .events = events},
				       {.fd = stop_fd, .events = POLLIN}};
		int64_t left = deadline_ms - pr_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(pf, stop_fd >= 0 ? 2 : 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (stop_fd >= 0 && pf[1].revents)
			return -ECANCELED;
		if (pf[0].revents)
			return pf[0].revents;
	}
}

/* Name lookups that outlived their caller: freed once glibc is done with them. */
struct gai_req {
	struct gaicb cb;
	struct addrinfo hints;
	char host[256];
	char port[8];
	struct gai_req *next;
};

static pthread_mutex_t gai_mu = PTHREAD_MUTEX_INITIALIZER;
static struct gai_req *gai_orphans;

static void gai_sweep(void)
{
	struct gai_req **pp, *r;

	pthread_mutex_lock(&gai_mu);
	for (pp = &gai_orphans; (r = *pp);) {
		if (gai_error(&r->cb) != EAI_INPROGRESS) {
			*pp = r->next;
			if (r->cb.ar_result)
				freeaddrinfo(r->cb.ar_result);
			free(r);
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&gai_mu);
}

static int gai_to_errno(int e)
{
	switch (e) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
		return -ENOENT;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	default:
		return -EIO;
	}
}

int pr_resolve(const char *host, const char *port, int64_t deadline_ms, int stop_fd,
	       struct addrinfo **out, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct gaicb *list[1];
	struct gai_req *r;
	int e;

	*out = NULL;
	if (getaddrinfo(host, port, &hints, out) == 0)
		return 0;
	gai_sweep();
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->port, sizeof(r->port), "%s", port);
	r->hints.ai_socktype = SOCK_STREAM;
	r->hints.ai_flags = AI_NUMERICSERV;
	r->cb.ar_name = r->host;
	r->cb.ar_service = r->port;
	r->cb.ar_request = &r->hints;
	list[0] = &r->cb;
	e = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (e != 0) {
		free(r);
		snprintf(err, errlen, "resolve %s: %s", host, gai_strerror(e));
		return gai_to_errno(e);
	}
	for (;;) {
		int64_t left = deadline_ms - pr_now_ms();
		struct timespec ts;
		const struct gaicb *const *cl = (const struct gaicb *const *)list;

		if (left <= 0) {
			e = EAI_AGAIN;
			snprintf(err, errlen, "resolve %s: timed out", host);
			break;
		}
		if (stop_fd >= 0) {
			struct pollfd pf = {.fd = stop_fd, .events = POLLIN};

			if (poll(&pf, 1, 0) > 0) {
				snprintf(err, errlen, "resolve %s: canceled", host);
				e = EAI_CANCELED;
				break;
			}
		}
		if (left > 100)
			left = 100; /* look at stop_fd ten times a second */
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		gai_suspend(cl, 1, &ts);
		e = gai_error(&r->cb);
		if (e != EAI_INPROGRESS)
			break;
	}
	if (e == 0) {
		*out = r->cb.ar_result;
		free(r);
		return 0;
	}
	if (e == EAI_AGAIN || e == EAI_CANCELED) {
		int c = gai_cancel(&r->cb);

		if (c == EAI_NOTCANCELED || gai_error(&r->cb) == EAI_INPROGRESS) {
			/* glibc still owns it: free it later */
			pthread_mutex_lock(&gai_mu);
			r->next = gai_orphans;
			gai_orphans = r;
			pthread_mutex_unlock(&gai_mu);
			return e == EAI_CANCELED ? -ECANCELED : -ETIMEDOUT;
		}
		if (r->cb.ar_result)
			freeaddrinfo(r->cb.ar_result);
		free(r);
		return e == EAI_CANCELED ? -ECANCELED : -ETIMEDOUT;
	}
	snprintf(err, errlen, "resolve %s: %s", host, gai_strerror(e));
	if (r->cb.ar_result)
		freeaddrinfo(r->cb.ar_result);
	free(r);
	return gai_to_errno(e);
}

/* Fills *ai (pointing into *ss) when host is an IPv4 or IPv6 literal and port a number: the
 * common case (the pod's IP) needs no getaddrinfo(). */
static bool numeric_addr(const char *host, const char *port, struct sockaddr_storage *ss,
			 struct addrinfo *ai)
{
	char *end;
	long p = strtol(port, &end, 10);

	memset(ss, 0, sizeof(*ss));
	memset(ai, 0, sizeof(*ai));
	if (*end || p < 1 || p > 65535)
		return false;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
		ai->ai_family = AF_INET;
		ai->ai_addrlen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
		ai->ai_family = AF_INET6;
		ai->ai_addrlen = sizeof(struct sockaddr_in6);
	} else {
		return false;
	}
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_addr = (struct sockaddr *)ss;
	return true;
}

int pr_tcp_connect(const char *host, const char *port, int64_t deadline_ms, int stop_fd, char *err,
		   size_t errlen)
{
	struct addrinfo *ai = NULL, *a, numeric;
	struct sockaddr_storage ss;
	bool owned = false;
	char hp[300];
	int r, fd = -1, last = -ECONNREFUSED;

	if (strchr(host, ':'))
		snprintf(hp, sizeof(hp), "[%s]:%s", host, port);
	else
		snprintf(hp, sizeof(hp), "%s:%s", host, port);
	if (numeric_addr(host, port, &ss, &numeric)) {
		ai = &numeric;
	} else {
		r = pr_resolve(host, port, deadline_ms, stop_fd, &ai, err, errlen);
		if (r < 0)
			return r;
		owned = true;
	}
	for (a = ai; a; a = a->ai_next) {
		int so = 0;
		socklen_t sl = sizeof(so);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    a->ai_protocol);
		if (fd < 0) {
			last = -errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			goto done;
		if (errno != EINPROGRESS) {
			last = -errno;
			goto next;
		}
		r = pr_wait_fd(fd, POLLOUT, deadline_ms, stop_fd);
		if (r == -ETIMEDOUT || r == -ECANCELED) {
			last = r;
			close(fd);
			fd = -1;
			break;
		}
		if (r < 0) {
			last = r;
			goto next;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) < 0)
			so = errno;
		if (so == 0)
			goto done;
		last = -so;
	next:
		close(fd);
		fd = -1;
	}
	if (owned)
		freeaddrinfo(ai);
	if (last == -ETIMEDOUT)
		snprintf(err, errlen, "connect %s: timed out", hp);
	else
		snprintf(err, errlen, "connect %s: %s", hp, strerror(-last));
	return last;
done:
	if (owned)
		freeaddrinfo(ai);
	{
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

/* --- one exchange ----------------------------------------------------------------------------- */

struct conn {
	int fd;
	struct pr_tls *tls;
	int64_t deadline_ms;
	int stop_fd;
};

static int conn_write(struct conn *c, const char *p, size_t n)
{
	if (c->tls)
		return pr_tls_write(c->tls, p, n, c->deadline_ms, c->stop_fd);
	while (n > 0) {
		ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);

		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = pr_wait_fd(c->fd, POLLOUT, c->deadline_ms, c->stop_fd);

			if (r < 0)
				return r;
			continue;
		}
		return k < 0 ? -errno : -EPIPE;
	}
	return 0;
}

static ssize_t conn_read(struct conn *c, char *p, size_t n)
{
	if (c->tls)
		return pr_tls_read(c->tls, p, n, c->deadline_ms, c->stop_fd);
	for (;;) {
		ssize_t k = recv(c->fd, p, n, 0);
		int r;

		if (k >= 0)
			return k;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = pr_wait_fd(c->fd, POLLIN, c->deadline_ms, c->stop_fd);
		if (r < 0)
			return r;
	}
}

static int build_request(const struct pr_http_req *rq, struct buf *out)
{
	const struct pr_url *u = rq->url;
	bool has_host = false, has_ua = false, has_accept = false;
	int r = 0;

	for (size_t i = 0; i < rq->n_headers; i++) {
		const char *h = rq->headers[i];

		has_host |= strncasecmp(h, "Host:", 5) == 0;
		has_ua |= strncasecmp(h, "User-Agent:", 11) == 0;
		has_accept |= strncasecmp(h, "Accept:", 7) == 0;
	}
	r |= buf_printf(out, "%s %s HTTP/1.1\r\n", rq->method, u->path);
	if (!has_host) {
		bool dflt = strcmp(u->port, u->https ? "443" : "80") == 0;

		if (strchr(u->host, ':'))
			r |= buf_printf(out, "Host: [%s]", u->host);
		else
			r |= buf_printf(out, "Host: %s", u->host);
		r |= dflt ? buf_append_str(out, "\r\n") : buf_printf(out, ":%s\r\n", u->port);
	}
	if (!has_ua)
		r |= buf_append_str(out, "User-Agent: okg-probe/1\r\n");
	if (!has_accept)
		r |= buf_append_str(out, "Accept: */*\r\n");
	for (size_t i = 0; i < rq->n_headers; i++)
		r |= buf_printf(out, "%s\r\n", rq->headers[i]);
	if (rq->body || strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "PUT") == 0)
		r |= buf_printf(out, "Content-Length: %zu\r\n", rq->body ? rq->body_len : 0);
	r |= buf_append_str(out, "Connection: close\r\n\r\n");
	if (rq->body && rq->body_len)
		r |= buf_append(out, rq->body, rq->body_len);
	return r ? -ENOMEM : 0;
}

/* Finds the end of the head (after "\r\n\r\n" or "\n\n") in p[0, n); 0 when not there yet. */
static size_t head_end(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Keeps body bytes in resp (up to its cap) and counts them. Returns true when enough. */
static bool take_body(struct pr_http_resp *resp, const struct pr_http_req *rq, const char *p,
		      size_t n, unsigned long long *got)
{
	size_t room = resp->body.max > resp->body.len ? resp->body.max - resp->body.len : 0;
	size_t keep = n < room ? n : room;

	if (keep && buf_append(&resp->body, p, keep) < 0)
		resp->body_cut = true;
	if (keep < n)
		resp->body_cut = true;
	*got += n;
	if (rq->max_read && *got >= rq->max_read) {
		resp->body_cut = true;
		return true;
	}
	return false;
}

int pr_http_do(const struct pr_http_req *rq, struct pr_http_resp *resp, char *err, size_t errlen)
{
	const struct pr_url *u = rq->url;
	struct conn c = {.fd = -1, .deadline_ms = rq->deadline_ms, .stop_fd = rq->stop_fd};
	struct buf req;
	char *head = NULL; /* PR_HTTP_MAX_HEAD bytes, on the heap to keep thread stacks small */
	char chunk[4096];
	size_t hl = 0, he = 0;
	struct pr_http_head h;
	struct pr_chunked ch;
	unsigned long long got = 0;
	char hp[300];
	int r;

	resp->status = 0;
	resp->retry_after_s = 0;
	resp->body_cut = false;
	buf_init(&req, 64 * 1024 + (rq->body ? rq->body_len : 0));
	pr_url_hostport(u, hp, sizeof(hp));
	head = malloc(PR_HTTP_MAX_HEAD);
	r = head ? build_request(rq, &req) : -ENOMEM;
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	c.fd = pr_tcp_connect(u->host, u->port, rq->deadline_ms, rq->stop_fd, err, errlen);
	if (c.fd < 0) {
		r = c.fd;
		goto out;
	}
	if (u->https) {
		r = pr_tls_connect(c.fd, u->host_is_ip ? NULL : u->host, u->host, rq->verify,
				   rq->ca_file, rq->deadline_ms, rq->stop_fd, &c.tls, err, errlen);
		if (r < 0)
			goto out;
	}
	r = conn_write(&c, req.data, req.len);
	if (r < 0) {
		snprintf(err, errlen, "send to %s: %s", hp, strerror(-r));
		goto out;
	}
	/* the head, skipping interim 1xx answers */
	for (;;) {
		ssize_t k;

		while (!(he = head_end(head, hl))) {
			if (hl == PR_HTTP_MAX_HEAD) {
				snprintf(err, errlen, "%s: answer head longer than %d bytes", hp,
					 PR_HTTP_MAX_HEAD);
				r = -EPROTO;
				goto out;
			}
			k = conn_read(&c, head + hl, PR_HTTP_MAX_HEAD - hl);
			if (k <= 0) {
				r = k < 0 ? (int)k : -EPROTO;
				snprintf(err, errlen, "%s: %s", hp,
					 k < 0
					     ? (k == -ETIMEDOUT ? "timed out waiting for the answer"
								: strerror((int)-k))
					     : "connection closed before an answer");
				goto out;
			}
			hl += (size_t)k;
		}
		if (pr_http_parse_head(head, he, &h) < 0) {
			snprintf(err, errlen, "%s: malformed answer", hp);
			r = -EPROTO;
			goto out;
		}
		if (h.status >= 200 || h.status == 101)
			break;
		memmove(head, head + he, hl - he);
		hl -= he;
	}
	resp->status = h.status;
	resp->retry_after_s = h.retry_after_s;
	r = 0;
	if (strcmp(rq->method, "HEAD") == 0 || h.status == 204 || h.status == 304 || h.status < 200)
		goto out;
	pr_chunked_init(&ch);
	/* body bytes that came with the head */
	{
		size_t n = hl - he;
		char *p = head + he;

		if (h.chunked) {
			ssize_t d = pr_chunked_feed(&ch, p, n, p);

			if (d < 0)
				goto bad_chunk;
			n = (size_t)d;
		} else if (h.has_length && n > h.length) {
			n = (size_t)h.length;
		}
		if (take_body(resp, rq, p, n, &got) || (h.chunked && ch.done) ||
		    (h.has_length && got >= h.length))
			goto out;
	}
	for (;;) {
		size_t want = sizeof(chunk);
		ssize_t k;

		if (h.has_length && h.length - got < want)
			want = (size_t)(h.length - got);
		k = conn_read(&c, chunk, want);
		if (k < 0) {
			if (k == -ETIMEDOUT || k == -ECANCELED) {
				snprintf(err, errlen, "%s: %s while reading the body", hp,
					 k == -ETIMEDOUT ? "timed out" : "canceled");
				r = (int)k;
				goto out;
			}
			resp->body_cut = true; /* a reset after some body: keep what came */
			goto out;
		}
		if (k == 0) {
			if (h.chunked || h.has_length)
				resp->body_cut = true;
			goto out;
		}
		if (h.chunked) {
			ssize_t d = pr_chunked_feed(&ch, chunk, (size_t)k, chunk);

			if (d < 0)
				goto bad_chunk;
			k = d;
		}
		if (take_body(resp, rq, chunk, (size_t)k, &got) || (h.chunked && ch.done) ||
		    (h.has_length && got >= h.length))
			goto out;
	}
bad_chunk:
	snprintf(err, errlen, "%s: malformed chunked body", hp);
	r = -EPROTO;
out:
	pr_tls_free(c.tls);
	if (c.fd >= 0)
		close(c.fd);
	if (req.data)
		explicit_bzero(req.data, req.len); /* it holds the Authorization header */
	buf_free(&req);
	free(head);
	return r;
}
