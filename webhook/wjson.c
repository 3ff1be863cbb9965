#include "webhook/wjson.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void wj_init(struct wj *w, size_t max)
{
	buf_init(&w->b, max);
	w->err = 0;
}

void wj_free(struct wj *w)
{
	if (!w)
		return;
	buf_free(&w->b);
	w->err = 0;
}

void wj_rawn(struct wj *w, const char *s, size_t n)
{
	int r;

	if (w->err || !n)
		return;
	r = buf_append(&w->b, s, n);
	if (r < 0)
		w->err = r;
}

void wj_raw(struct wj *w, const char *s)
{
	wj_rawn(w, s, strlen(s));
}

/* The escape for byte c inside a JSON string, or NULL when c stands for itself. */
static const char *json_escape(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	default:
		break;
	}
	if (c < 0x20) {
		snprintf(tmp, 8, "\\u%04x", c);
		return tmp;
	}
	return NULL;
}

/* Appends s[0, n) with JSON escapes; when ptr is set, also as a JSON Pointer token. */
static void escape_run(struct wj *w, const char *s, size_t n, int ptr)
{
	size_t start = 0;
	char tmp[8];

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = json_escape(c, tmp);

		if (!esc && ptr && c == '~')
			esc = "~0";
		else if (!esc && ptr && c == '/')
			esc = "~1";
		if (!esc)
			continue;
		wj_rawn(w, s + start, i - start);
		wj_raw(w, esc);
		start = i + 1;
	}
	wj_rawn(w, s + start, n - start);
}

void wj_str(struct wj *w, const char *s)
{
	wj_rawn(w, "\"", 1);
	escape_run(w, s ? s : "", s ? strlen(s) : 0, 0);
	wj_rawn(w, "\"", 1);
}

void wj_key(struct wj *w, const char *key)
{
	wj_str(w, key);
	wj_rawn(w, ":", 1);
}

void wj_int(struct wj *w, long long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%lld", v);

	if (n > 0)
		wj_rawn(w, tmp, (size_t)n);
}

void wj_ptr_token(struct wj *w, const char *s)
{
	escape_run(w, s ? s : "", s ? strlen(s) : 0, 1);
}

void wj_base64(struct wj *w, const void *data, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char out[256];
	size_t o = 0, i = 0;

	/* Encoded in 256-byte slices so the output buffer grows a few times, not per quantum. */
	while (i + 3 <= n) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
		i += 3;
		if (o == sizeof(out)) {
			wj_rawn(w, out, o);
			o = 0;
		}
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = '=';
	}
	wj_rawn(w, out, o);
}

void wj_goquote(struct wj *w, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	size_t shown = n > max ? max : n;
	char tmp[8];

	/* Do not cut a UTF-8 sequence in half. */
	while (shown < n && shown > 0 && ((unsigned char)s[shown] & 0xC0) == 0x80)
		shown--;
	wj_rawn(w, "\"", 1);
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			wj_rawn(w, tmp, 2);
		} else if (c == '\n') {
			wj_raw(w, "\\n");
		} else if (c == '\t') {
			wj_raw(w, "\\t");
		} else if (c == '\r') {
			wj_raw(w, "\\r");
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			wj_raw(w, tmp);
		} else {
			wj_rawn(w, (const char *)&s[i], 1);
		}
	}
	if (shown < n)
		wj_raw(w, "...");
	wj_rawn(w, "\"", 1);
}

int wj_finish(struct wj *w, char **out, size_t *len)
{
	*out = NULL;
	if (len)
		*len = 0;
	if (w->err) {
		int r = w->err;

		wj_free(w);
		return r;
	}
	if (len)
		*len = w->b.len;
	*out = buf_steal(&w->b);
	if (!*out)
		return -ENOMEM;
	return 0;
}
