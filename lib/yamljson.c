/* SPDX-License-Identifier: Apache-2.0 */
/* yamljson: YAML event stream -> cJSON tree. See yamljson.h for the rules. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "lib/yamljson.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define YJ_TAG_STR   "tag:yaml.org,2002:str"
#define YJ_TAG_INT   "tag:yaml.org,2002:int"
#define YJ_TAG_FLOAT "tag:yaml.org,2002:float"
#define YJ_TAG_BOOL  "tag:yaml.org,2002:bool"
#define YJ_TAG_NULL  "tag:yaml.org,2002:null"

/* Open-addressing string set. It only borrows the key strings; used for
 * duplicate-key detection and anchor lookup so large inputs stay O(n). */
struct yj_set {
	const char **keys;
	size_t *vals;
	size_t cap; /* 0 or a power of two */
	size_t n;
	size_t seed;
};

struct yj_anchor {
	char *name;
	cJSON *node; /* borrowed from the tree, or owned when owned is set */
	char *raw;   /* source text of a scalar (lets an alias be a key); NULL for collections */
	bool owned;
	bool done; /* false while the anchored collection is still open */
	size_t nodes;
	size_t bytes;
	int height;
};

struct yj_frame {
	cJSON *node;
	bool is_map;
	char *key; /* pending mapping key (owned) until its value arrives */
	struct yj_set keys;
	int height;    /* max height of children placed so far */
	size_t anchor; /* 1-based index into anchors, 0 if not anchored */
	size_t nodes0;
	size_t bytes0;
};

struct yj_ctx {
	yaml_parser_t parser;
	bool parser_ready;
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
	struct yj_frame stack[YJ_MAX_DEPTH];
	int depth;
	cJSON *root;
	bool root_empty;
	struct yj_anchor *anchors;
	size_t nanchors;
	size_t capanchors;
	struct yj_set anchor_idx;
	size_t nodes;	    /* nodes produced so far, aliases included */
	size_t bytes;	    /* string bytes produced so far (keys included) */
	size_t alias_bytes; /* string bytes produced by alias copies */
};

static size_t yj_hash(const char *s, size_t seed)
{
	/* FNV-1a; the per-context seed makes precomputed collisions less useful. */
	size_t h = (size_t)14695981039346656037ull ^ seed;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= (size_t)1099511628211ull;
	}
	return h;
}

static bool yj_set_find(const struct yj_set *s, const char *key, size_t *val)
{
	size_t i;

	if (s->cap == 0)
		return false;
	for (i = yj_hash(key, s->seed) & (s->cap - 1); s->keys[i]; i = (i + 1) & (s->cap - 1)) {
		if (strcmp(s->keys[i], key) == 0) {
			if (val)
				*val = s->vals[i];
			return true;
		}
	}
	return false;
}

static int yj_set_grow(struct yj_set *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 16;
	const char **nkeys;
	size_t *nvals;
	size_t i, j;

	if (ncap < s->cap || ncap > SIZE_MAX / sizeof(*nvals))
		return -ENOMEM;
	nkeys = calloc(ncap, sizeof(*nkeys));
	nvals = calloc(ncap, sizeof(*nvals));
	if (!nkeys || !nvals) {
		free(nkeys);
		free(nvals);
		return -ENOMEM;
	}
	for (i = 0; i < s->cap; i++) {
		if (!s->keys[i])
			continue;
		for (j = yj_hash(s->keys[i], s->seed) & (ncap - 1); nkeys[j];
		     j = (j + 1) & (ncap - 1))
			;
		nkeys[j] = s->keys[i];
		nvals[j] = s->vals[i];
	}
	free(s->keys);
	free(s->vals);
	s->keys = nkeys;
	s->vals = nvals;
	s->cap = ncap;
	return 0;
}

/* Inserts key or replaces its value. The key string must outlive the set. */
static int yj_set_put(struct yj_set *s, const char *key, size_t val)
{
	size_t i;
	int rc;

	if ((s->n + 1) * 2 > s->cap) {
		rc = yj_set_grow(s);
		if (rc)
			return rc;
	}
	for (i = yj_hash(key, s->seed) & (s->cap - 1); s->keys[i]; i = (i + 1) & (s->cap - 1)) {
		if (strcmp(s->keys[i], key) == 0) {
			s->keys[i] = key;
			s->vals[i] = val;
			return 0;
		}
	}
	s->keys[i] = key;
	s->vals[i] = val;
	s->n++;
	return 0;
}

static void yj_set_free(struct yj_set *s)
{
	free(s->keys);
	free(s->vals);
	s->keys = NULL;
	s->vals = NULL;
	s->cap = 0;
	s->n = 0;
}

/* Writes "line L column C: <msg>" once; the first error is the useful one. */
__attribute__((format(printf, 4, 5))) static int yj_fail(struct yj_ctx *c, int rc,
							 const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!c->err || c->errlen == 0 || c->err[0])
		return rc;
	if (m)
		n = snprintf(c->err, c->errlen, "line %zu column %zu: ", m->line + 1,
			     m->column + 1);
	if (n < 0)
		n = 0;
	if ((size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Copies at most 48 bytes of s for a message, hiding control characters so
 * the message stays on one line. */
static const char *yj_quote(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < size && i < 48; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	/* The loop stopped at the NUL or before it: s[i] is in bounds. */
	// cppcheck-suppress arrayIndexOutOfBounds
	if (s[i] && i + 4 <= size) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static int yj_yaml_error(struct yj_ctx *c)
{
	const yaml_parser_t *p = &c->parser;
	const char *problem = p->problem ? p->problem : "syntax error";
	yaml_mark_t m;
	size_t i, end;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return yj_fail(c, -ENOMEM, NULL, "out of memory while parsing YAML");
	case YAML_READER_ERROR:
		/* The reader reports a byte offset; turn it into line/column. */
		memset(&m, 0, sizeof(m));
		end = p->problem_offset < c->len ? p->problem_offset : c->len;
		for (i = 0; i < end; i++) {
			if (c->text[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
		if (p->problem_value >= 0)
			return yj_fail(c, -EINVAL, &m, "%s (byte 0x%02x at offset %zu)", problem,
				       (unsigned)p->problem_value, p->problem_offset);
		return yj_fail(c, -EINVAL, &m, "%s (at offset %zu)", problem, p->problem_offset);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (p->context)
			return yj_fail(c, -EINVAL, &p->problem_mark,
				       "%s (%s at line %zu column %zu)", problem, p->context,
				       p->context_mark.line + 1, p->context_mark.column + 1);
		return yj_fail(c, -EINVAL, &p->problem_mark, "%s", problem);
	default:
		return yj_fail(c, -EINVAL, &p->mark, "%s", problem);
	}
}

static bool yj_is_digits(const char *s, const char *accept)
{
	if (!*s)
		return false;
	return strspn(s, accept) == strlen(s);
}

static bool yj_is_null(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int yj_bool_value(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

/* Unsigned hex/octal digits after the prefix. strtoull is exact up to 2^64;
 * beyond that we accumulate in double like any other oversized integer. */
static double yj_radix_value(const char *digits, int base)
{
	unsigned long long u;
	char *end;
	double d = 0;

	errno = 0;
	u = strtoull(digits, &end, base);
	if (errno == 0 && *end == '\0')
		return (double)u;
	for (; *digits; digits++) {
		int v = *digits <= '9' ? *digits - '0' : (*digits | 0x20) - 'a' + 10;

		d = d * base + v;
	}
	return d;
}

/* Core-schema int. Returns false if s is not one. */
static bool yj_parse_int(const char *s, double *out)
{
	const char *d = s + (*s == '-' || *s == '+');
	long long ll;
	char *end;

	if (s[0] == '0' && s[1] == 'x' && yj_is_digits(s + 2, "0123456789abcdefABCDEF")) {
		*out = yj_radix_value(s + 2, 16);
		return true;
	}
	if (s[0] == '0' && s[1] == 'o' && yj_is_digits(s + 2, "01234567")) {
		*out = yj_radix_value(s + 2, 8);
		return true;
	}
	if (!yj_is_digits(d, "0123456789"))
		return false;
	/* Base 10 explicitly: YAML 1.2 reads 0123 as decimal 123, not octal. */
	errno = 0;
	ll = strtoll(s, &end, 10);
	if (*end != '\0')
		return false;
	if (errno == ERANGE) {
		/* Outside int64: cJSON holds doubles anyway. */
		errno = 0;
		*out = strtod(s, &end);
		return *end == '\0' && errno == 0;
	}
	*out = (double)ll;
	return true;
}

/* Core-schema float (finite only). Returns false if s is not one or overflows. */
static bool yj_parse_float(const char *s, double *out)
{
	const char *p = s;
	size_t ip, fp = 0;
	char *end;
	double v;

	if (*p == '-' || *p == '+')
		p++;
	ip = strspn(p, "0123456789");
	p += ip;
	if (*p == '.') {
		p++;
		fp = strspn(p, "0123456789");
		p += fp;
	}
	/* Needs digits before the point, or after it when there are none before. */
	if (ip == 0 && fp == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!yj_is_digits(p, "0123456789"))
			return false;
		p += strlen(p);
	}
	if (*p != '\0')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || isinf(v) || isnan(v))
		return false;
	/* ERANGE with a finite result is underflow: the rounded value is fine. */
	*out = v;
	return true;
}

static void yj_mark_bytes(struct yj_ctx *c, const char *s)
{
	c->bytes += strlen(s);
}

/* Turns a scalar event into a cJSON node per the core schema and tags. */
static int yj_resolve(struct yj_ctx *c, const yaml_event_t *ev, const char *s, cJSON **out)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	const yaml_mark_t *m = &ev->start_mark;
	char q[64];
	double d;
	int b;

	*out = NULL;
	if (tag && (!strcmp(tag, YJ_TAG_STR) || !strcmp(tag, "!"))) {
		plain = false;
	} else if (tag && !strcmp(tag, YJ_TAG_INT)) {
		if (!yj_parse_int(s, &d))
			return yj_fail(c, -EINVAL, m, "invalid !!int value \"%s\"",
				       yj_quote(s, q, sizeof(q)));
		*out = cJSON_CreateNumber(d);
		goto made;
	} else if (tag && !strcmp(tag, YJ_TAG_FLOAT)) {
		if (yj_parse_int(s, &d) || yj_parse_float(s, &d)) {
			*out = cJSON_CreateNumber(d);
			goto made;
		}
		if (!strcmp(s, ".inf") || !strcmp(s, "-.inf") || !strcmp(s, "+.inf") ||
		    !strcmp(s, ".nan") || !strcmp(s, ".Inf") || !strcmp(s, "-.Inf") ||
		    !strcmp(s, ".NaN") || !strcmp(s, ".INF") || !strcmp(s, "-.INF") ||
		    !strcmp(s, ".NAN") || !strcmp(s, "+.Inf") || !strcmp(s, "+.INF")) {
			plain = false; /* JSON cannot hold it: keep the text */
		} else {
			return yj_fail(c, -EINVAL, m, "invalid !!float value \"%s\"",
				       yj_quote(s, q, sizeof(q)));
		}
	} else if (tag && !strcmp(tag, YJ_TAG_BOOL)) {
		b = yj_bool_value(s);
		if (b < 0)
			return yj_fail(c, -EINVAL, m, "invalid !!bool value \"%s\"",
				       yj_quote(s, q, sizeof(q)));
		*out = cJSON_CreateBool(b);
		goto made;
	} else if (tag && !strcmp(tag, YJ_TAG_NULL)) {
		if (!yj_is_null(s))
			return yj_fail(c, -EINVAL, m, "invalid !!null value \"%s\"",
				       yj_quote(s, q, sizeof(q)));
		*out = cJSON_CreateNull();
		goto made;
	}

	if (plain) {
		if (yj_is_null(s)) {
			*out = cJSON_CreateNull();
			goto made;
		}
		b = yj_bool_value(s);
		if (b >= 0) {
			*out = cJSON_CreateBool(b);
			goto made;
		}
		if (yj_parse_int(s, &d) || yj_parse_float(s, &d)) {
			*out = cJSON_CreateNumber(d);
			goto made;
		}
	}
	*out = cJSON_CreateString(s);
	if (*out)
		yj_mark_bytes(c, s);
made:
	if (!*out)
		return yj_fail(c, -ENOMEM, NULL, "out of memory");
	return 0;
}

static void yj_anchors_clear(struct yj_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nanchors; i++) {
		free(c->anchors[i].name);
		free(c->anchors[i].raw);
		if (c->anchors[i].owned)
			cJSON_Delete(c->anchors[i].node);
	}
	c->nanchors = 0;
	yj_set_free(&c->anchor_idx);
}

/* Records an anchor. Takes ownership of node when owned (even on failure);
 * raw is copied. On success *idx is its index. */
static int yj_anchor_add(struct yj_ctx *c, const char *name, cJSON *node, bool owned,
			 const char *raw, size_t *idx)
{
	struct yj_anchor *a;
	int rc;

	if (c->nanchors == c->capanchors) {
		size_t ncap = c->capanchors ? c->capanchors * 2 : 8;

		a = NULL;
		if (ncap <= SIZE_MAX / sizeof(*a))
			a = realloc(c->anchors, ncap * sizeof(*a));
		if (!a)
			goto nomem;
		c->anchors = a;
		c->capanchors = ncap;
	}
	a = &c->anchors[c->nanchors];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	a->raw = raw ? strdup(raw) : NULL;
	if (!a->name || (raw && !a->raw)) {
		free(a->name);
		free(a->raw);
		goto nomem;
	}
	a->node = node;
	a->owned = owned;
	rc = yj_set_put(&c->anchor_idx, a->name, c->nanchors);
	if (rc) {
		free(a->name);
		free(a->raw);
		goto nomem;
	}
	*idx = c->nanchors++;
	return 0;
nomem:
	if (owned)
		cJSON_Delete(node);
	return yj_fail(c, -ENOMEM, NULL, "out of memory");
}

static int yj_anchor_get(struct yj_ctx *c, const yaml_event_t *ev, struct yj_anchor **out)
{
	const char *name = (const char *)ev->data.alias.anchor;
	char q[64];
	size_t i;

	if (!name || !yj_set_find(&c->anchor_idx, name, &i))
		return yj_fail(c, -EINVAL, &ev->start_mark, "undefined alias *%s",
			       yj_quote(name ? name : "", q, sizeof(q)));
	if (!c->anchors[i].done)
		return yj_fail(c, -EINVAL, &ev->start_mark,
			       "alias *%s refers to a node that contains it (recursive "
			       "structures are not supported)",
			       yj_quote(name, q, sizeof(q)));
	*out = &c->anchors[i];
	return 0;
}

static bool yj_expect_key(const struct yj_ctx *c)
{
	const struct yj_frame *f = c->depth ? &c->stack[c->depth - 1] : NULL;

	return f && f->is_map && !f->key;
}

/* Sets the pending key of the open mapping after the duplicate check. Takes key. */
static int yj_set_key(struct yj_ctx *c, char *key, const yaml_mark_t *m)
{
	struct yj_frame *f = &c->stack[c->depth - 1];
	char q[64];
	int rc;

	if (yj_set_find(&f->keys, key, NULL)) {
		rc = yj_fail(c, -EINVAL, m, "duplicate mapping key \"%s\"",
			     yj_quote(key, q, sizeof(q)));
		free(key);
		return rc;
	}
	f->key = key;
	yj_mark_bytes(c, key);
	return 0;
}

/* Links node into the open collection (or makes it the document root).
 * Takes node; it is freed if linking fails. */
static int yj_place(struct yj_ctx *c, cJSON *node, int height)
{
	struct yj_frame *f;
	bool ok;

	if (c->depth == 0) {
		cJSON_Delete(c->root);
		c->root = node;
		return 0;
	}
	f = &c->stack[c->depth - 1];
	if (f->is_map) {
		ok = cJSON_AddItemToObject(f->node, f->key, node);
		free(f->key);
		f->key = NULL;
		if (!ok) {
			cJSON_Delete(node);
			return yj_fail(c, -ENOMEM, NULL, "out of memory");
		}
		/* node->string is owned by the tree, which outlives the set. */
		if (yj_set_put(&f->keys, node->string, 0))
			return yj_fail(c, -ENOMEM, NULL, "out of memory");
	} else if (!cJSON_AddItemToArray(f->node, node)) {
		cJSON_Delete(node);
		return yj_fail(c, -ENOMEM, NULL, "out of memory");
	}
	if (height > f->height)
		f->height = height;
	return 0;
}

static int yj_check_nodes(struct yj_ctx *c, size_t more, const yaml_mark_t *m)
{
	if (more > YJ_MAX_NODES - c->nodes)
		return yj_fail(c, -E2BIG, m, "node limit exceeded (more than %d nodes)",
			       YJ_MAX_NODES);
	return 0;
}

static int yj_on_scalar(struct yj_ctx *c, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	cJSON *node = NULL;
	size_t idx, bytes0;
	char *key;
	int rc;

	if (!s || memchr(s, '\0', ev->data.scalar.length))
		return yj_fail(c, -EINVAL, &ev->start_mark, "NUL character in scalar");

	if (yj_expect_key(c)) {
		/* Keys are strings verbatim: "5: x" has key "5". */
		key = strdup(s);
		if (!key)
			return yj_fail(c, -ENOMEM, NULL, "out of memory");
		if (anchor) {
			node = cJSON_CreateString(s);
			if (!node) {
				free(key);
				return yj_fail(c, -ENOMEM, NULL, "out of memory");
			}
			rc = yj_anchor_add(c, anchor, node, true, s, &idx);
			if (rc) {
				free(key);
				return rc;
			}
			c->anchors[idx].nodes = 1;
			c->anchors[idx].bytes = strlen(s);
			c->anchors[idx].done = true;
		}
		return yj_set_key(c, key, &ev->start_mark);
	}

	rc = yj_check_nodes(c, 1, &ev->start_mark);
	if (rc)
		return rc;
	if (c->depth == 0)
		c->root_empty = ev->data.scalar.length == 0 && !ev->data.scalar.tag && !anchor &&
				ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	bytes0 = c->bytes;
	rc = yj_resolve(c, ev, s, &node);
	if (rc)
		return rc;
	c->nodes++;
	if (anchor) {
		/* The node stays alive in the tree until the parse ends. */
		rc = yj_anchor_add(c, anchor, node, false, s, &idx);
		if (rc) {
			cJSON_Delete(node);
			return rc;
		}
		c->anchors[idx].nodes = 1;
		c->anchors[idx].bytes = c->bytes - bytes0;
		c->anchors[idx].done = true;
	}
	return yj_place(c, node, 0);
}

static int yj_on_alias(struct yj_ctx *c, const yaml_event_t *ev)
{
	struct yj_anchor *a = NULL;
	cJSON *copy;
	char *key;
	int rc;

	rc = yj_anchor_get(c, ev, &a);
	if (rc)
		return rc;
	if (yj_expect_key(c)) {
		if (!a->raw)
			return yj_fail(c, -EINVAL, &ev->start_mark,
				       "mapping key must be a scalar (alias names a collection)");
		key = strdup(a->raw);
		if (!key)
			return yj_fail(c, -ENOMEM, NULL, "out of memory");
		return yj_set_key(c, key, &ev->start_mark);
	}
	if (c->depth == 0)
		c->root_empty = false;
	/* Check every limit before copying: the copy is where bombs explode. */
	if (a->height > YJ_MAX_DEPTH - c->depth)
		return yj_fail(c, -E2BIG, &ev->start_mark,
			       "nesting deeper than %d levels (via alias)", YJ_MAX_DEPTH);
	rc = yj_check_nodes(c, a->nodes, &ev->start_mark);
	if (rc)
		return rc;
	if (a->bytes > YJ_MAX_ALIAS_BYTES - c->alias_bytes)
		return yj_fail(c, -E2BIG, &ev->start_mark,
			       "alias expansion exceeds %u bytes of string data",
			       YJ_MAX_ALIAS_BYTES);
	copy = cJSON_Duplicate(a->node, 1);
	if (!copy)
		return yj_fail(c, -ENOMEM, NULL, "out of memory");
	c->nodes += a->nodes;
	c->bytes += a->bytes;
	c->alias_bytes += a->bytes;
	return yj_place(c, copy, a->height);
}

static int yj_on_start(struct yj_ctx *c, const yaml_event_t *ev, bool is_map)
{
	const char *anchor = is_map ? (const char *)ev->data.mapping_start.anchor
				    : (const char *)ev->data.sequence_start.anchor;
	struct yj_frame *f;
	cJSON *node;
	size_t idx;
	int rc;

	if (yj_expect_key(c))
		return yj_fail(c, -EINVAL, &ev->start_mark,
			       "mapping key must be a scalar (complex keys are not supported)");
	if (c->depth >= YJ_MAX_DEPTH)
		return yj_fail(c, -E2BIG, &ev->start_mark, "nesting deeper than %d levels",
			       YJ_MAX_DEPTH);
	rc = yj_check_nodes(c, 1, &ev->start_mark);
	if (rc)
		return rc;
	if (c->depth == 0)
		c->root_empty = false;
	node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!node)
		return yj_fail(c, -ENOMEM, NULL, "out of memory");
	c->nodes++;
	/* Link first so that on any later error the tree owns it. */
	rc = yj_place(c, node, 0);
	if (rc)
		return rc;
	f = &c->stack[c->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	f->is_map = is_map;
	f->keys.seed = c->anchor_idx.seed;
	f->nodes0 = c->nodes - 1;
	f->bytes0 = c->bytes;
	if (anchor) {
		rc = yj_anchor_add(c, anchor, node, false, NULL, &idx);
		if (rc)
			return rc;
		f->anchor = idx + 1;
	}
	return 0;
}

static int yj_on_end(struct yj_ctx *c)
{
	struct yj_frame *f;
	struct yj_anchor *a;
	int height;

	if (c->depth == 0)
		return 0; /* libyaml never does this; be defensive anyway */
	f = &c->stack[--c->depth];
	height = f->height + 1;
	if (f->anchor) {
		a = &c->anchors[f->anchor - 1];
		a->nodes = c->nodes - f->nodes0;
		a->bytes = c->bytes - f->bytes0;
		a->height = height;
		a->done = true;
	}
	free(f->key);
	f->key = NULL;
	yj_set_free(&f->keys);
	if (c->depth > 0 && height > c->stack[c->depth - 1].height)
		c->stack[c->depth - 1].height = height;
	return 0;
}

static void yj_reset_doc(struct yj_ctx *c)
{
	int i;

	for (i = 0; i < c->depth; i++) {
		free(c->stack[i].key);
		yj_set_free(&c->stack[i].keys);
	}
	c->depth = 0;
	cJSON_Delete(c->root);
	c->root = NULL;
	c->root_empty = true;
	yj_anchors_clear(c);
}

static int yj_run(struct yj_ctx *c, bool all, cJSON **out)
{
	cJSON *docs = NULL;
	yaml_event_t ev;
	bool have_ev = false;
	bool done = false;
	bool first_done = false;
	int rc = 0;

	if (all) {
		docs = cJSON_CreateArray();
		if (!docs) {
			rc = yj_fail(c, -ENOMEM, NULL, "out of memory");
			goto out;
		}
	}
	while (!done) {
		if (!yaml_parser_parse(&c->parser, &ev)) {
			rc = yj_yaml_error(c);
			goto out;
		}
		have_ev = true;
		/* Pulling one event past the first document makes libyaml reject
		 * junk such as "{a: 1}}" instead of silently dropping it. */
		if (first_done) {
			yaml_event_delete(&ev);
			have_ev = false;
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			yj_reset_doc(c);
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (!all) {
				first_done = true;
			} else if (c->root && !c->root_empty) {
				if (!cJSON_AddItemToArray(docs, c->root)) {
					rc = yj_fail(c, -ENOMEM, NULL, "out of memory");
					break;
				}
				c->root = NULL;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_SCALAR_EVENT:
			rc = yj_on_scalar(c, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = yj_on_alias(c, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = yj_on_start(c, &ev, false);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = yj_on_start(c, &ev, true);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = yj_on_end(c);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_ev = false;
		if (rc)
			goto out;
	}
	if (all) {
		*out = docs;
		docs = NULL;
	} else {
		if (!c->root) {
			c->root = cJSON_CreateNull();
			if (!c->root) {
				rc = yj_fail(c, -ENOMEM, NULL, "out of memory");
				goto out;
			}
		}
		*out = c->root;
		c->root = NULL;
	}
out:
	if (have_ev)
		yaml_event_delete(&ev);
	cJSON_Delete(docs);
	return rc;
}

static int yj_parse_stream(const char *text, size_t len, bool all, cJSON **out, char *err,
			   size_t errlen)
{
	struct yj_ctx *c = NULL;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out) {
		if (err && errlen)
			snprintf(err, errlen, "invalid argument: out is NULL");
		return -EINVAL;
	}
	*out = NULL;
	if (!text && len) {
		if (err && errlen)
			snprintf(err, errlen, "invalid argument: text is NULL");
		return -EINVAL;
	}
	/* The frame stack is ~10 KiB; keep it off the caller's stack. */
	c = calloc(1, sizeof(*c));
	if (!c) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->text = text ? text : "";
	c->len = len;
	c->err = errlen ? err : NULL;
	c->errlen = err ? errlen : 0;
	c->root_empty = true;
	c->anchor_idx.seed = (size_t)(uintptr_t)c;
	if (!yaml_parser_initialize(&c->parser)) {
		rc = yj_fail(c, -ENOMEM, NULL, "out of memory");
		goto out;
	}
	c->parser_ready = true;
	/* libyaml reads exactly len bytes, so text need not be NUL-terminated. */
	yaml_parser_set_input_string(&c->parser, (const unsigned char *)c->text, len);
	rc = yj_run(c, all, out);
out:
	yj_reset_doc(c);
	free(c->anchors);
	if (c->parser_ready)
		yaml_parser_delete(&c->parser);
	free(c);
	if (rc) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

int yj_parse(const char *text, size_t len, cJSON **out, char *err, size_t errlen)
{
	return yj_parse_stream(text, len, false, out, err, errlen);
}

int yj_parse_all(const char *text, size_t len, cJSON **out, char *err, size_t errlen)
{
	return yj_parse_stream(text, len, true, out, err, errlen);
}

int yj_parse_file(const char *path, cJSON **out, char *err, size_t errlen)
{
	char msg[256];
	char *buf = NULL;
	FILE *fp = NULL;
	size_t n = 0, got;
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!out || !path) {
		if (err && errlen)
			snprintf(err, errlen, "invalid argument");
		return -EINVAL;
	}
	*out = NULL;
	fp = fopen(path, "rb");
	if (!fp) {
		rc = errno ? -errno : -EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	/* One byte over the cap so an oversized file is detected, not truncated. */
	buf = malloc(YJ_MAX_FILE_SIZE + 1);
	if (!buf) {
		rc = -ENOMEM;
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (n <= YJ_MAX_FILE_SIZE) {
		got = fread(buf + n, 1, YJ_MAX_FILE_SIZE + 1 - n, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		rc = errno ? -errno : -EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: read failed: %s", path, strerror(-rc));
		goto out;
	}
	if (n > YJ_MAX_FILE_SIZE) {
		rc = -E2BIG;
		if (err && errlen)
			snprintf(err, errlen, "%s: file exceeds the %u byte limit", path,
				 YJ_MAX_FILE_SIZE);
		goto out;
	}
	msg[0] = '\0';
	rc = yj_parse(buf, n, out, msg, sizeof(msg));
	if (rc && err && errlen)
		snprintf(err, errlen, "%s: %s", path, msg);
out:
	free(buf);
	if (fp)
		fclose(fp);
	return rc;
}
