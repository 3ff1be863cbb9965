#include "webhook/jparse.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_MIN (4 * 1024)
#define BLOCK_MAX (1024 * 1024)
#define ALIGN	  8 /* cJSON nodes hold pointers and a double */

struct jp_block {
	struct jp_block *next;
	size_t cap, used;
	_Alignas(ALIGN) unsigned char data[];
};

struct jp {
	const char *start, *p, *end;
	struct jp_arena *a;
	int depth;
	int err;	 /* first error: -EINVAL, -E2BIG, -ENOMEM */
	const char *why; /* for -EINVAL and -E2BIG */
	size_t err_off;
	const char *const *const *drop; /* borrowed from jp_opts */
	size_t n_drop;
};

void jp_arena_init(struct jp_arena *a, size_t hint)
{
	a->blocks = NULL;
	a->block_size = hint < BLOCK_MIN ? BLOCK_MIN : hint;
}

void jp_arena_free(struct jp_arena *a)
{
	if (!a)
		return;
	while (a->blocks) {
		struct jp_block *b = a->blocks;

		a->blocks = b->next;
		free(b);
	}
}

static void *arena_alloc(struct jp_arena *a, size_t n)
{
	struct jp_block *b = a->blocks;
	void *p;

	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (!b || b->cap - b->used < n) {
		size_t cap = a->block_size > n ? a->block_size : n;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = a->blocks;
		a->blocks = b;
		/* later blocks grow, so a large document needs few of them */
		if (a->block_size < BLOCK_MAX)
			a->block_size *= 2;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

static void fail(struct jp *j, int err, const char *why)
{
	if (j->err)
		return;
	j->err = err;
	j->why = why;
	j->err_off = (size_t)(j->p - j->start);
}

static cJSON *new_node(struct jp *j, int type)
{
	cJSON *n = arena_alloc(j->a, sizeof(*n));

	if (!n) {
		fail(j, -ENOMEM, "out of memory");
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->type = type;
	return n;
}

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* High bit set in each byte of w equal to c (exact for the lowest one; bytes above a match may
 * be flagged too, so only the lowest set bit is used). */
static uint64_t bytes_eq(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (ONES * c);

	return (x - ONES) & ~x & HIGHS;
}

/* Index of the first byte of s[0, n) that is '"', '\\' or a control character, or n. Eight
 * bytes at a time: long strings (the last-applied-configuration annotation is half of a typical
 * review) are most of the input. */
static size_t plain_run(const char *s, size_t n)
{
	size_t i = 0;

	while (n - i >= 8) {
		uint64_t w, m;

		memcpy(&w, s + i, 8);
		m = bytes_eq(w, '"') | bytes_eq(w, '\\') | ((w - ONES * 0x20) & ~w & HIGHS);
		if (m)
			return i + ((size_t)__builtin_ctzll(m) >> 3);
		i += 8;
	}
	while (i < n && s[i] != '"' && s[i] != '\\' && (unsigned char)s[i] >= 0x20)
		i++;
	return i;
}

/* Decodes the escapes of s[0, n) (the inside of a string literal, already checked for control
 * characters) into out, which has room for n + 1 bytes: no escape grows its text. Returns -1
 * on a bad escape (j->p points at it). */
static int decode(struct jp *j, const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned cp, lo;

		if (n - i >= 8) {
			/* copy eight bytes, keep those before the first backslash; o <= i, so
			 * the copy stays inside out */
			uint64_t w, m;
			size_t k;

			memcpy(&w, s + i, 8);
			memcpy(out + o, &w, 8);
			m = bytes_eq(w, '\\');
			if (!m) {
				i += 8;
				o += 8;
				continue;
			}
			k = (size_t)__builtin_ctzll(m) >> 3;
			i += k;
			o += k;
		} else if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		j->p = s + i;
		if (i + 1 >= n) {
			fail(j, -EINVAL, "invalid escape in a string");
			return -1;
		}
		switch (s[i + 1]) {
		case '"':
		case '\\':
		case '/':
			out[o++] = s[i + 1];
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u':
			if (i + 6 > n || hex4(s + i + 2, &cp) < 0) {
				fail(j, -EINVAL, "invalid \\u escape in a string");
				return -1;
			}
			i += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && s[i] == '\\' &&
			    s[i + 1] == 'u' && hex4(s + i + 2, &lo) == 0 && lo >= 0xDC00 &&
			    lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				cp = 0xFFFD; /* an unpaired surrogate, as Go decodes it */
			}
			o += put_utf8(out + o, cp);
			continue;
		default:
			fail(j, -EINVAL, "invalid escape in a string");
			return -1;
		}
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

static int valid_escape(char c)
{
	switch (c) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
	case 'u':
		return 1;
	default:
		return 0;
	}
}

/* Scans the string literal at j->p (the opening quote) and checks its escapes. On success
 * *s, *n are its inside, *escapes whether it has any, and j->p is past the closing quote. */
static int scan_string(struct jp *j, const char **s, size_t *n, int *escapes)
{
	const char *q = j->p + 1;
	unsigned cp;

	*s = q;
	*escapes = 0;
	while (q < j->end) {
		unsigned char c;

		q += plain_run(q, (size_t)(j->end - q));
		if (q >= j->end)
			break;
		c = (unsigned char)*q;
		if (c == '"') {
			*n = (size_t)(q - *s);
			j->p = q + 1;
			return 0;
		}
		j->p = q;
		if (c != '\\') {
			fail(j, -EINVAL, "control character in a string");
			return -1;
		}
		*escapes = 1;
		if (q + 1 >= j->end || !valid_escape(q[1])) {
			fail(j, -EINVAL, "invalid escape in a string");
			return -1;
		}
		if (q[1] == 'u' && (j->end - q < 6 || hex4(q + 2, &cp) < 0)) {
			fail(j, -EINVAL, "invalid \\u escape in a string");
			return -1;
		}
		q += q[1] == 'u' ? 6 : 2;
	}
	j->p = j->end;
	fail(j, -EINVAL, "unterminated string");
	return -1;
}

/* A string literal at j->p: returns it decoded, in the arena. */
static char *parse_string(struct jp *j)
{
	const char *s;
	size_t n;
	int escapes;
	char *out;

	if (scan_string(j, &s, &n, &escapes) < 0)
		return NULL;
	out = arena_alloc(j->a, n + 1);
	if (!out) {
		fail(j, -ENOMEM, "out of memory");
		return NULL;
	}
	if (!escapes) {
		memcpy(out, s, n);
		out[n] = '\0';
	} else {
		const char *after = j->p; /* decode moves j->p only to report an error */

		if (decode(j, s, n, out) < 0)
			return NULL;
		j->p = after;
	}
	return out;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Scans the number at j->p (RFC 8259 grammar). Returns its end, or NULL (reported); *whole
 * says it has neither fraction nor exponent. */
static const char *scan_number(struct jp *j, int *whole)
{
	const char *q = j->p, *end = j->end;

	*whole = 1;
	if (q < end && *q == '-')
		q++;
	if (q >= end || !is_digit(*q))
		goto bad;
	if (*q == '0')
		q++;
	else
		while (q < end && is_digit(*q))
			q++;
	if (q < end && *q == '.') {
		q++;
		*whole = 0;
		if (q >= end || !is_digit(*q))
			goto bad;
		while (q < end && is_digit(*q))
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		*whole = 0;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || !is_digit(*q))
			goto bad;
		while (q < end && is_digit(*q))
			q++;
	}
	return q;
bad:
	j->p = q;
	fail(j, -EINVAL, "invalid number");
	return NULL;
}

static cJSON *parse_number(struct jp *j)
{
	int whole;
	const char *q = scan_number(j, &whole);
	size_t len;
	double d;
	cJSON *n;

	if (!q)
		return NULL;
	len = (size_t)(q - j->p);
	if (whole && len <= 16) {
		/* an int64 holds it; the conversion rounds exactly as strtod would */
		const char *r = j->p;
		int neg = *r == '-';
		int64_t v = 0;

		for (r += neg; r < q; r++)
			v = v * 10 + (*r - '0');
		d = (double)(neg ? -v : v);
	} else {
		char small[64];
		char *buf = len < sizeof(small) ? small : arena_alloc(j->a, len + 1);

		if (!buf) {
			fail(j, -ENOMEM, "out of memory");
			return NULL;
		}
		memcpy(buf, j->p, len);
		buf[len] = '\0';
		d = strtod(buf, NULL); /* overflow gives +-HUGE_VAL, as in cJSON */
	}
	n = new_node(j, cJSON_Number);
	if (!n)
		return NULL;
	n->valuedouble = d;
	if (d >= INT_MAX)
		n->valueint = INT_MAX;
	else if (d <= (double)INT_MIN)
		n->valueint = INT_MIN;
	else
		n->valueint = (int)d;
	j->p = q;
	return n;
}

/* Matches true, false or null at j->p; returns the cJSON type, or -1 (reported). */
static int scan_literal(struct jp *j)
{
	static const struct {
		const char *text;
		size_t len;
		int type;
	} lits[] = {{"true", 4, cJSON_True}, {"false", 5, cJSON_False}, {"null", 4, cJSON_NULL}};

	for (size_t i = 0; i < 3; i++) {
		if ((size_t)(j->end - j->p) >= lits[i].len &&
		    memcmp(j->p, lits[i].text, lits[i].len) == 0) {
			j->p += lits[i].len;
			return lits[i].type;
		}
	}
	fail(j, -EINVAL, "unexpected character");
	return -1;
}

/* Appends item to the children of parent the way cJSON does: the first child's prev points
 * at the last one. */
static void append(cJSON *parent, cJSON **tail, cJSON *item)
{
	if (!parent->child) {
		parent->child = item;
		item->prev = item;
	} else {
		(*tail)->next = item;
		item->prev = *tail;
		parent->child->prev = item;
	}
	*tail = item;
}

/* Checks the value at j->p and moves past it without building anything. */
static int skip_value(struct jp *j)
{
	const char *s;
	size_t n;
	int x;

	skip_ws(j);
	if (j->p >= j->end) {
		fail(j, -EINVAL, "unexpected end of input");
		return -1;
	}
	if (*j->p == '"')
		return scan_string(j, &s, &n, &x);
	if (*j->p == '-' || is_digit(*j->p)) {
		const char *q = scan_number(j, &x);

		if (!q)
			return -1;
		j->p = q;
		return 0;
	}
	if (*j->p != '{' && *j->p != '[')
		return scan_literal(j) < 0 ? -1 : 0;
	{
		int object = *j->p == '{';
		char close = object ? '}' : ']';

		if (++j->depth > JP_MAX_DEPTH) {
			fail(j, -E2BIG, "nested too deeply");
			return -1;
		}
		j->p++;
		skip_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		for (;;) {
			if (object) {
				if (j->p >= j->end || *j->p != '"') {
					fail(j, -EINVAL, "expected a string key");
					return -1;
				}
				if (scan_string(j, &s, &n, &x) < 0)
					return -1;
				skip_ws(j);
				if (j->p >= j->end || *j->p != ':') {
					fail(j, -EINVAL, "expected ':'");
					return -1;
				}
				j->p++;
			}
			if (skip_value(j) < 0)
				return -1;
			skip_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				skip_ws(j);
				continue;
			}
			if (j->p < j->end && *j->p == close) {
				j->p++;
				j->depth--;
				return 0;
			}
			fail(j, -EINVAL, object ? "expected ',' or '}'" : "expected ',' or ']'");
			return -1;
		}
	}
}

static cJSON *parse_value(struct jp *j, unsigned alive, int level);

/* Which drop paths a member named key at key level `level` continues (bit set) and whether one
 * ends there (*drop). */
static unsigned follow(const struct jp *j, unsigned alive, int level, const char *key, int *drop)
{
	unsigned next = 0;

	*drop = 0;
	for (size_t i = 0; alive && i < j->n_drop; i++) {
		const char *const *path = j->drop[i];

		if (!(alive & (1u << i)) || path[level][0] != key[0] ||
		    strcmp(path[level], key) != 0)
			continue;
		if (!path[level + 1])
			*drop = 1;
		else
			next |= 1u << i;
	}
	return next;
}

static cJSON *parse_container(struct jp *j, int object, unsigned alive, int level)
{
	cJSON *c = new_node(j, object ? cJSON_Object : cJSON_Array), *tail = NULL;
	char close = object ? '}' : ']';

	if (!c)
		return NULL;
	if (++j->depth > JP_MAX_DEPTH) {
		fail(j, -E2BIG, "nested too deeply");
		return NULL;
	}
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return c;
	}
	for (;;) {
		char *key = NULL;
		cJSON *item = NULL;
		unsigned next = 0;
		int drop = 0;

		if (object) {
			if (j->p >= j->end || *j->p != '"') {
				fail(j, -EINVAL, "expected a string key");
				return NULL;
			}
			key = parse_string(j);
			if (!key)
				return NULL;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':') {
				fail(j, -EINVAL, "expected ':'");
				return NULL;
			}
			j->p++;
			next = follow(j, alive, level, key, &drop);
		}
		if (drop) {
			if (skip_value(j) < 0)
				return NULL;
		} else {
			item = parse_value(j, next, level + 1);
			if (!item)
				return NULL;
			if (key) {
				item->string = key;
				item->type |= cJSON_StringIsConst; /* not cJSON's to free */
			}
			append(c, &tail, item);
		}
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			skip_ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return c;
		}
		fail(j, -EINVAL, object ? "expected ',' or '}'" : "expected ',' or ']'");
		return NULL;
	}
}

static cJSON *parse_value(struct jp *j, unsigned alive, int level)
{
	skip_ws(j);
	if (j->p >= j->end) {
		fail(j, -EINVAL, "unexpected end of input");
		return NULL;
	}
	switch (*j->p) {
	case '{':
		return parse_container(j, 1, alive, level);
	case '[':
		return parse_container(j, 0, 0, level); /* drop paths name object keys only */
	case '"': {
		char *s = parse_string(j);
		cJSON *n;

		if (!s)
			return NULL;
		n = new_node(j, cJSON_String);
		if (n)
			n->valuestring = s;
		return n;
	}
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return parse_number(j);
	default: {
		int type = scan_literal(j);
		cJSON *n;

		if (type < 0)
			return NULL;
		n = new_node(j, type);
		if (n && type == cJSON_True)
			n->valueint = 1;
		return n;
	}
	}
}

int jp_parse(struct jp_arena *a, const char *text, size_t len, const struct jp_opts *o, cJSON **out,
	     size_t *err_off, const char **why)
{
	struct jp j = {.a = a};
	cJSON *root;

	*out = NULL;
	if (!text) {
		text = "";
		len = 0;
	}
	j.start = j.p = text;
	j.end = text + len;
	if (o && o->n_drop) {
		j.drop = o->drop;
		j.n_drop = o->n_drop < 32 ? o->n_drop : 32;
	}
	root = parse_value(&j, j.n_drop ? (unsigned)((1ull << j.n_drop) - 1) : 0, 0);
	if (root) {
		skip_ws(&j);
		if (j.p != j.end)
			fail(&j, -EINVAL, "data after the JSON value");
	}
	if (j.err) {
		if (err_off)
			*err_off = j.err_off;
		if (why)
			*why = j.why;
		return j.err;
	}
	*out = root;
	return 0;
}
