#include "probe/text.h"

#include <string.h>

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void pr_capture_init(struct pr_capture *c, char *storage, size_t cap)
{
	c->buf = storage;
	c->cap = cap;
	c->len = 0;
	c->started = false;
	c->truncated = false;
	c->seen = 0;
	if (storage)
		storage[0] = '\0';
}

void pr_capture_feed(struct pr_capture *c, const char *p, size_t n)
{
	size_t room;

	c->seen += n;
	if (!c->started) {
		while (n > 0 && is_space((unsigned char)*p)) {
			p++;
			n--;
		}
		if (n == 0)
			return;
		c->started = true;
	}
	room = c->cap - c->len;
	if (n > room) {
		c->truncated = true;
		n = room;
	}
	if (n > 0) {
		memcpy(c->buf + c->len, p, n);
		c->len += n;
	}
}

/* Length of the valid UTF-8 sequence at p[0, n), 0 when invalid, or -1 when p[0, n) is the
 * valid beginning of a longer sequence that was cut. */
static int utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	int need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0; /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	for (int i = 1; i < need; i++) {
		if ((size_t)i >= n)
			return -1;
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

/* Replaces invalid bytes and NUL with '?' in place; drops a cut sequence at the end when
 * cut is set (it would be invalid otherwise). Returns the new length. */
static size_t sanitize(char *s, size_t n, bool cut)
{
	unsigned char *p = (unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		int k = utf8_seq(p + i, n - i);

		if (k > 0) {
			if (k == 1 && p[i] == '\0')
				p[i] = '?';
			i += (size_t)k;
		} else if (k < 0 && cut) {
			return i;
		} else {
			p[i++] = '?';
		}
	}
	return n;
}

const char *pr_capture_finish(struct pr_capture *c)
{
	size_t n = sanitize(c->buf, c->len, c->truncated);

	while (n > 0 && is_space((unsigned char)c->buf[n - 1]))
		n--;
	c->buf[n] = '\0';
	c->len = n;
	return c->buf;
}

size_t pr_text_clean(const char *in, size_t n, char *out, size_t outlen)
{
	struct pr_capture c;

	pr_capture_init(&c, out, outlen - 1);
	pr_capture_feed(&c, in ? in : "", in ? n : 0);
	pr_capture_finish(&c);
	return c.len;
}

char *pr_text_copy(char *out, size_t outlen, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > outlen - 1) {
		n = outlen - 1;
		memcpy(out, s, n);
		n = sanitize(out, n, true);
	} else if (n) {
		memcpy(out, s, n);
	}
	out[n] = '\0';
	return out;
}
