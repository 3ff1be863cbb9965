#include "webhook/validate.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ordinal.h"
#include "webhook/jparse.h"
#include "webhook/k8sname.h"

#define VP_MAX		      768
#define ANNOTATIONS_MAX_BYTES (256 * 1024)
#define QUALIFIED_NAME_MAX    317 /* 253 prefix + '/' + 63 name */
#define INT32_MAXLL	      2147483647LL
/* The overlap warning compares this many qualities and keys per map; more is unusual and the
 * comparison is quadratic. */
#define OVERLAP_MAX_QUALITIES 32
#define OVERLAP_MAX_KEYS      32
#define PROBE_HELPER_NAME     "okg-probe"
/* Pod names are "<set>-<ordinal>" and serve as hostnames (at most 63 characters); ordinals go
 * up to 999999. */
#define NAME_SAFE_LEN 56

/* What an action sets, to find qualities whose actions write the same field. */
enum {
	SETS_OPSSTATE = 1,
	SETS_UPDATE_PRIORITY = 2,
	SETS_DELETION_PRIORITY = 4,
	SETS_NETWORK_DISABLED = 8,
	SETS_CONTAINERS = 16,
};

struct qsum {
	const char *name; /* borrowed from the tree; NULL when missing */
	unsigned sets;
	const char *labels[OVERLAP_MAX_KEYS];
	size_t n_labels;
	const char *annotations[OVERLAP_MAX_KEYS];
	size_t n_annotations;
};

/* A name (or an action's result) remembered with where it came from, for duplicate searches
 * by sorting: O(n log n) even for a hostile list. */
struct nref {
	const char *s; /* borrowed */
	int tag;       /* which list, or an action's state */
	size_t idx;
};

struct vpath {
	char s[VP_MAX];
	size_t n;
};

struct vctx {
	struct fe_list *l;
	struct vpath p;
	struct nref *cnames; /* owned array: the template's container names, sorted */
	size_t n_cnames;
	const cJSON *containers; /* borrowed: the template's containers */
};

/* --- paths -------------------------------------------------------------------------------- */

/* Appends to the path; returns the previous length for vp_pop(). A path too long for the buffer
 * is cut (it only labels an error). */
static size_t vp_add(struct vpath *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t vp_add(struct vpath *p, const char *fmt, ...)
{
	size_t mark = p->n;
	va_list ap;
	int r;

	if (p->n + 1 >= sizeof(p->s))
		return mark;
	va_start(ap, fmt);
	r = vsnprintf(p->s + p->n, sizeof(p->s) - p->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		p->n += (size_t)r < sizeof(p->s) - p->n ? (size_t)r : sizeof(p->s) - p->n - 1;
	return mark;
}

static void vp_pop(struct vpath *p, size_t mark)
{
	p->n = mark;
	p->s[mark] = '\0';
}

/* Appends raw text (paths are built on every field checked: no printf here). */
static size_t vp_put(struct vpath *p, const char *s, size_t n)
{
	size_t mark = p->n;

	if (n > sizeof(p->s) - 1 - p->n)
		n = sizeof(p->s) - 1 - p->n;
	memcpy(p->s + p->n, s, n);
	p->n += n;
	p->s[p->n] = '\0';
	return mark;
}

static size_t vp_field(struct vpath *p, const char *name)
{
	size_t mark = p->n;

	if (p->n)
		vp_put(p, ".", 1);
	vp_put(p, name, strlen(name));
	return mark;
}

static size_t vp_index(struct vpath *p, size_t i)
{
	char tmp[24];
	size_t k = sizeof(tmp);
	size_t mark = p->n;

	tmp[--k] = ']';
	do {
		tmp[--k] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	tmp[--k] = '[';
	vp_put(p, tmp + k, sizeof(tmp) - k);
	return mark;
}

/* ".name[i]" */
static size_t vp_field_index(struct vpath *p, const char *name, size_t i)
{
	size_t mark = vp_field(p, name);

	vp_index(p, i);
	return mark;
}

/* --- typed access ------------------------------------------------------------------------- */

static const cJSON *member(const cJSON *o, const char *key)
{
	return jp_get(o, key);
}

static bool present(const cJSON *v)
{
	return v && !cJSON_IsNull(v);
}

static const char *str_of(const cJSON *v)
{
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* A JSON number that is a whole number small enough to be exact. */
static bool whole(const cJSON *v, long long *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return false;
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
		return false;
	*out = (long long)d;
	return true;
}

/* The member key of o if it is an object; a present non-object is reported. */
static const cJSON *obj_member(struct vctx *c, const cJSON *o, const char *key)
{
	const cJSON *v = member(o, key);
	size_t m;

	if (!present(v))
		return NULL;
	if (cJSON_IsObject(v))
		return v;
	m = vp_field(&c->p, key);
	fe_add(c->l, FERR_INVALID, c->p.s, v, "must be an object");
	vp_pop(&c->p, m);
	return NULL;
}

/* The member key of o if it is a list; a present non-list is reported. */
static const cJSON *arr_member(struct vctx *c, const cJSON *o, const char *key)
{
	const cJSON *v = member(o, key);
	size_t m;

	if (!present(v))
		return NULL;
	if (cJSON_IsArray(v))
		return v;
	m = vp_field(&c->p, key);
	fe_add(c->l, FERR_INVALID, c->p.s, v, "must be a list");
	vp_pop(&c->p, m);
	return NULL;
}

static void check_int(struct vctx *c, const cJSON *o, const char *key, long long min, long long max,
		      bool required)
{
	const cJSON *v = member(o, key);
	size_t m = vp_field(&c->p, key);
	long long x;

	if (!present(v)) {
		if (required)
			fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
	} else if (!whole(v, &x)) {
		fe_add(c->l, FERR_INVALID, c->p.s, v, "must be a whole number");
	} else if (x < min) {
		fe_add(c->l, FERR_INVALID, c->p.s, v, "must be greater than or equal to %lld", min);
	} else if (x > max) {
		fe_add(c->l, FERR_INVALID, c->p.s, v, "must be less than or equal to %lld", max);
	}
	vp_pop(&c->p, m);
}

static void check_bool(struct vctx *c, const cJSON *o, const char *key, bool required)
{
	const cJSON *v = member(o, key);
	size_t m = vp_field(&c->p, key);

	if (!present(v)) {
		if (required)
			fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
	} else if (!cJSON_IsBool(v)) {
		fe_add(c->l, FERR_INVALID, c->p.s, v, "must be true or false");
	}
	vp_pop(&c->p, m);
}

/* An optional string field; returns it (NULL when absent or not a string, which is reported). */
static const char *opt_string(struct vctx *c, const cJSON *o, const char *key)
{
	const cJSON *v = member(o, key);
	size_t m;

	if (!present(v))
		return NULL;
	if (str_of(v))
		return v->valuestring;
	m = vp_field(&c->p, key);
	fe_add(c->l, FERR_INVALID, c->p.s, v, "must be a string");
	vp_pop(&c->p, m);
	return NULL;
}

/* A string field limited to vals; "" and absence mean the default. */
static void check_enum(struct vctx *c, const cJSON *o, const char *key, const char *const *vals,
		       size_t n)
{
	const char *s = opt_string(c, o, key);
	char detail[256];
	size_t m, off = 0;

	if (!s || !s[0])
		return;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, vals[i]) == 0)
			return;
	off += (size_t)snprintf(detail, sizeof(detail), "supported values: ");
	for (size_t i = 0; i < n && off < sizeof(detail); i++)
		off += (size_t)snprintf(detail + off, sizeof(detail) - off, "%s\"%s\"",
					i ? ", " : "", vals[i]);
	m = vp_field(&c->p, key);
	fe_add_str(c->l, FERR_NOT_SUPPORTED, c->p.s, s, "%s", detail);
	vp_pop(&c->p, m);
}

/* maxUnavailable and friends: an integer >= 0 or a percentage "0%".."100%". */
static void check_int_or_percent(struct vctx *c, const cJSON *o, const char *key)
{
	const cJSON *v = member(o, key);
	size_t m;
	long long x;

	if (!present(v))
		return;
	m = vp_field(&c->p, key);
	if (cJSON_IsNumber(v)) {
		if (!whole(v, &x))
			fe_add(c->l, FERR_INVALID, c->p.s, v, "must be a whole number");
		else if (x < 0)
			fe_add(c->l, FERR_INVALID, c->p.s, v, "must be greater than or equal to 0");
		else if (x > INT32_MAXLL)
			fe_add(c->l, FERR_INVALID, c->p.s, v, "must be less than or equal to %lld",
			       INT32_MAXLL);
	} else if (str_of(v)) {
		const char *s = v->valuestring;
		size_t i = 0;
		long pct = 0;

		while (s[i] >= '0' && s[i] <= '9' && pct <= 1000)
			pct = pct * 10 + (s[i++] - '0');
		if (i == 0 || s[i] != '%' || s[i + 1] != '\0')
			fe_add(c->l, FERR_INVALID, c->p.s, v,
			       "must be an integer or a percentage (e.g. '5%%')");
		else if (pct > 100)
			fe_add(c->l, FERR_INVALID, c->p.s, v, "must not be greater than 100%%");
	} else {
		fe_add(c->l, FERR_INVALID, c->p.s, v,
		       "must be an integer or a percentage (e.g. '5%%')");
	}
	vp_pop(&c->p, m);
}

/* --- duplicate search ---------------------------------------------------------------------- */

/* Orders by list (tag), name, position: used for (state, result) pairs of actions. */
static int nref_cmp(const void *a, const void *b)
{
	const struct nref *x = a, *y = b;
	int r;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	r = strcmp(x->s, y->s);
	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Orders by name, then list (tag), then position: of equal names the first one listed is
 * kept, the later ones are the duplicates. */
static int nref_name_first_cmp(const void *a, const void *b)
{
	const struct nref *x = a, *y = b;
	int r = strcmp(x->s, y->s);

	if (r)
		return r;
	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int nref_find(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const struct nref *)elem)->s);
}

/* Sorts refs by name and sets dup[tag * stride + idx] for every entry whose name an earlier
 * entry already has. */
static void mark_dups(struct nref *refs, size_t n, bool *dup, size_t stride)
{
	qsort(refs, n, sizeof(*refs), nref_name_first_cmp);
	for (size_t k = 1; k < n; k++)
		if (strcmp(refs[k].s, refs[k - 1].s) == 0)
			dup[(size_t)refs[k].tag * stride + refs[k].idx] = true;
}

static bool is_container(const struct vctx *c, const char *name)
{
	return c->n_cnames &&
	       bsearch(name, c->cnames, c->n_cnames, sizeof(*c->cnames), nref_find) != NULL;
}

/* --- maps: labels and annotations ---------------------------------------------------------- */

/* Values of actions may be Go templates ("{{.Result}}", rendered with the probe's output when
 * the action fires), as in OpenKruiseGame; they cannot be checked before rendering, only that
 * every "{{" is closed. */
static bool is_template(const char *s)
{
	return strstr(s, "{{") != NULL;
}

static bool template_closed(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "{{")) != NULL) {
		const char *end = strstr(p + 2, "}}");

		if (!end)
			return false;
		p = end + 2;
	}
	return true;
}

/* Checks a value that may be a template. Returns true when it is one (and reports an
 * unterminated one at the current path). */
static bool check_template_value(struct vctx *c, const char *s)
{
	if (!is_template(s))
		return false;
	if (!template_closed(s))
		fe_add_str(c->l, FERR_INVALID, c->p.s, s, "a template action \"{{\" is not closed");
	return true;
}

/* Adds key (borrowed) to a quality's set of keys, once. */
static void remember_key(const char **keys, size_t *n, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(keys[i], key) == 0)
			return;
	if (*n < OVERLAP_MAX_KEYS)
		keys[(*n)++] = key;
}

static void check_labels(struct vctx *c, const cJSON *o, const char *key, bool templates,
			 struct qsum *sum)
{
	const cJSON *map = obj_member(c, o, key);
	const cJSON *kv;
	size_t m;
	const char *why;

	if (!map)
		return;
	m = vp_field(&c->p, key);
	cJSON_ArrayForEach(kv, map)
	{
		const char *k = kv->string ? kv->string : "";

		if (!kn_qualified_name(k, &why))
			fe_add_str(c->l, FERR_INVALID, c->p.s, k, "%s", why);
		if (!str_of(kv)) {
			size_t mk = vp_add(&c->p, "[%s]", k);

			fe_add(c->l, FERR_INVALID, c->p.s, kv, "must be a string");
			vp_pop(&c->p, mk);
		} else if (!(templates && check_template_value(c, kv->valuestring)) &&
			   !kn_label_value(kv->valuestring, &why)) {
			fe_add_str(c->l, FERR_INVALID, c->p.s, kv->valuestring, "%s", why);
		}
		if (sum)
			remember_key(sum->labels, &sum->n_labels, k);
	}
	vp_pop(&c->p, m);
}

static void check_annotations(struct vctx *c, const cJSON *o, const char *key, bool templates,
			      struct qsum *sum)
{
	const cJSON *map = obj_member(c, o, key);
	const cJSON *kv;
	size_t m, total = 0;
	const char *why;

	if (!map)
		return;
	m = vp_field(&c->p, key);
	cJSON_ArrayForEach(kv, map)
	{
		const char *k = kv->string ? kv->string : "";
		size_t kl = strlen(k);
		char lower[QUALIFIED_NAME_MAX + 1];

		/* Annotation keys are checked lowercased, as the API server does. */
		if (kl > QUALIFIED_NAME_MAX) {
			fe_add_str(c->l, FERR_INVALID, c->p.s, k,
				   "must be no more than %d characters", QUALIFIED_NAME_MAX);
		} else {
			for (size_t i = 0; i <= kl; i++)
				lower[i] = (k[i] >= 'A' && k[i] <= 'Z') ? (char)(k[i] + 32) : k[i];
			if (!kn_qualified_name(lower, &why))
				fe_add_str(c->l, FERR_INVALID, c->p.s, k, "%s", why);
		}
		total += kl;
		if (!str_of(kv)) {
			size_t mk = vp_add(&c->p, "[%s]", k);

			fe_add(c->l, FERR_INVALID, c->p.s, kv, "must be a string");
			vp_pop(&c->p, mk);
		} else {
			if (templates)
				check_template_value(c, kv->valuestring);
			total += strlen(kv->valuestring);
		}
		if (sum)
			remember_key(sum->annotations, &sum->n_annotations, k);
	}
	if (total > ANNOTATIONS_MAX_BYTES)
		fe_add(c->l, FERR_TOO_LONG, c->p.s, NULL, "must have at most %d bytes",
		       ANNOTATIONS_MAX_BYTES);
	vp_pop(&c->p, m);
}

/* --- metadata and template ----------------------------------------------------------------- */

static void check_name(struct vctx *c, const cJSON *meta)
{
	const char *name = str_of(member(meta, "name"));
	const char *why;
	size_t m;

	if (!name || !name[0])
		return; /* the API server requires a name itself */
	m = vp_field(&c->p, "metadata");
	vp_field(&c->p, "name");
	if (!kn_dns1123_label(name, &why))
		fe_add_str(c->l, FERR_INVALID, c->p.s, name,
			   "%s (it names the pods and their owner label)", why);
	else if (strlen(name) > NAME_SAFE_LEN)
		fe_warn(c->l,
			"metadata.name has %zu characters: pod names \"<name>-<ordinal>\" over 63 "
			"characters cannot be created",
			strlen(name));
	vp_pop(&c->p, m);
}

/* Checks one container list of the pod template and records its names (tag) in refs. */
static void check_container_list(struct vctx *c, const cJSON *pspec, const char *key, int tag,
				 struct nref *refs, size_t *n_refs, bool qualities)
{
	const cJSON *list = arr_member(c, pspec, key);
	const cJSON *ct;
	size_t i = 0, m;
	const char *why;

	if (!list)
		return;
	m = vp_field(&c->p, key);
	cJSON_ArrayForEach(ct, list)
	{
		size_t mi = vp_index(&c->p, i);
		const char *name, *image;

		if (!cJSON_IsObject(ct)) {
			fe_add(c->l, FERR_INVALID, c->p.s, ct, "must be an object");
			goto next;
		}
		name = opt_string(c, ct, "name");
		image = opt_string(c, ct, "image");
		if (!present(member(ct, "name"))) {
			size_t mn = vp_field(&c->p, "name");

			fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
			vp_pop(&c->p, mn);
		} else if (name) {
			size_t mn = vp_field(&c->p, "name");

			if (!kn_dns1123_label(name, &why))
				fe_add_str(c->l, FERR_INVALID, c->p.s, name, "%s", why);
			else if (qualities && tag == 0 && strcmp(name, PROBE_HELPER_NAME) == 0)
				fe_warn(
				    c->l,
				    "%s: \"%s\" is the probe helper's name; okg will not inject "
				    "its own helper into these pods",
				    c->p.s, PROBE_HELPER_NAME);
			vp_pop(&c->p, mn);
			refs[*n_refs].s = name;
			refs[*n_refs].tag = tag;
			refs[*n_refs].idx = i;
			(*n_refs)++;
		}
		if (!image || !image[0]) {
			size_t mn = vp_field(&c->p, "image");

			if (!present(member(ct, "image")) || image)
				fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
			vp_pop(&c->p, mn);
		}
	next:
		vp_pop(&c->p, mi);
		i++;
	}
	vp_pop(&c->p, m);
}

static void check_template(struct vctx *c, const cJSON *spec, bool qualities)
{
	const cJSON *tpl = obj_member(c, spec, "gameServerTemplate");
	size_t m = vp_field(&c->p, "gameServerTemplate");
	const cJSON *meta, *pspec, *containers, *init;
	struct nref *refs = NULL;
	bool *dup = NULL;
	size_t n_c, n_i, n_refs = 0, stride;

	meta = obj_member(c, tpl, "metadata");
	if (meta) {
		size_t mm = vp_field(&c->p, "metadata");

		check_labels(c, meta, "labels", false, NULL);
		check_annotations(c, meta, "annotations", false, NULL);
		vp_pop(&c->p, mm);
	}
	pspec = obj_member(c, tpl, "spec");
	vp_field(&c->p, "spec");
	containers = member(pspec, "containers");
	init = member(pspec, "initContainers");
	n_c = cJSON_IsArray(containers) ? (size_t)cJSON_GetArraySize(containers) : 0;
	n_i = cJSON_IsArray(init) ? (size_t)cJSON_GetArraySize(init) : 0;
	if (!present(containers) || n_c == 0) {
		size_t mc = vp_field(&c->p, "containers");

		if (!present(containers) || cJSON_IsArray(containers))
			fe_add(c->l, FERR_REQUIRED, c->p.s, NULL,
			       "a game server needs a container");
		vp_pop(&c->p, mc);
	}
	stride = n_c > n_i ? n_c : n_i;
	refs = calloc(n_c + n_i + 1, sizeof(*refs));
	dup = calloc(2 * stride + 1, sizeof(*dup));
	if (!refs || !dup) {
		c->l->err = -ENOMEM;
		goto out;
	}
	check_container_list(c, pspec, "containers", 0, refs, &n_refs, qualities);
	check_container_list(c, pspec, "initContainers", 1, refs, &n_refs, qualities);
	/* Container names are unique across containers and initContainers. */
	mark_dups(refs, n_refs, dup, stride);
	for (int tag = 0; tag < 2; tag++) {
		const cJSON *list = tag ? init : containers, *it;
		size_t i = 0;

		/* walked in step with the index: GetArrayItem would make this quadratic */
		cJSON_ArrayForEach(it, list)
		{
			if (dup[(size_t)tag * stride + i]) {
				size_t mi = vp_add(&c->p, ".%s[%zu].name",
						   tag ? "initContainers" : "containers", i);

				fe_add(c->l, FERR_DUPLICATE, c->p.s, member(it, "name"), NULL);
				vp_pop(&c->p, mi);
			}
			i++;
		}
	}
	/* Keep the app containers' names, sorted, for containerName lookups. */
	c->containers = containers;
	c->n_cnames = 0;
	for (size_t k = 0; k < n_refs; k++)
		if (refs[k].tag == 0)
			refs[c->n_cnames++] = refs[k];
	qsort(refs, c->n_cnames, sizeof(*refs), nref_name_first_cmp);
	c->cnames = refs;
	refs = NULL;
out:
	free(refs);
	free(dup);
	vp_pop(&c->p, m);
}

/* --- reserveGameServerIds ------------------------------------------------------------------ */

struct span {
	int lo, hi;
	size_t idx;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void check_reserve(struct vctx *c, const cJSON *spec)
{
	const cJSON *arr = arr_member(c, spec, "reserveGameServerIds");
	const cJSON *it;
	struct span *spans = NULL;
	size_t *dup_of = NULL; /* dup_of[i] = 1 + index of the entry it repeats, 0 = none */
	int *dup_id = NULL;
	size_t n = 0, n_items, i = 0, m;
	long long total = 0;

	if (!arr)
		return;
	m = vp_field(&c->p, "reserveGameServerIds");
	n_items = (size_t)cJSON_GetArraySize(arr);
	spans = calloc(n_items + 1, sizeof(*spans));
	dup_of = calloc(n_items + 1, sizeof(*dup_of));
	dup_id = calloc(n_items + 1, sizeof(*dup_id));
	if (!spans || !dup_of || !dup_id) {
		c->l->err = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(it, arr)
	{
		const char *why = NULL;
		int lo, hi;

		if (ord_parse_entry(it, &lo, &hi, &why) < 0) {
			size_t mi = vp_index(&c->p, i);

			fe_add(c->l, FERR_INVALID, c->p.s, it, "%s", why ? why : "invalid ID");
			vp_pop(&c->p, mi);
		} else {
			spans[n].lo = lo;
			spans[n].hi = hi;
			spans[n].idx = i;
			n++;
			total += (long long)hi - lo + 1;
		}
		i++;
	}
	/* Overlaps by a sweep over the spans sorted by start: each span is compared with the
	 * farthest-reaching one before it; the entry listed later is the duplicate. */
	qsort(spans, n, sizeof(*spans), span_cmp);
	for (size_t k = 1, best = 0; k < n; k++) {
		if (spans[k].lo <= spans[best].hi) {
			size_t later =
			    spans[k].idx > spans[best].idx ? spans[k].idx : spans[best].idx;
			size_t earlier =
			    spans[k].idx > spans[best].idx ? spans[best].idx : spans[k].idx;

			if (!dup_of[later]) {
				dup_of[later] = earlier + 1;
				dup_id[later] = spans[k].lo;
			}
		}
		if (spans[k].hi > spans[best].hi)
			best = k;
	}
	i = 0;
	cJSON_ArrayForEach(it, arr)
	{
		if (dup_of[i]) {
			size_t mi = vp_index(&c->p, i);

			fe_add(c->l, FERR_DUPLICATE, c->p.s, it,
			       "ID %d is also in reserveGameServerIds[%zu]", dup_id[i],
			       dup_of[i] - 1);
			vp_pop(&c->p, mi);
		}
		i++;
	}
	if (total > ORD_MAX_IDS) {
		cJSON num = {0};

		num.type = cJSON_Number;
		num.valuedouble = (double)total;
		fe_add(c->l, FERR_TOO_MANY, c->p.s, &num, "must expand to at most %d IDs",
		       ORD_MAX_IDS);
	}
out:
	free(spans);
	free(dup_of);
	free(dup_id);
	vp_pop(&c->p, m);
}

/* --- strategies ---------------------------------------------------------------------------- */

static void check_strategies(struct vctx *c, const cJSON *spec)
{
	static const char *const scale_types[] = {"General", "ReserveIds"};
	static const char *const update_types[] = {"RollingUpdate", "OnDelete"};
	static const char *const policies[] = {"ReCreate", "InPlaceIfPossible", "InPlaceOnly"};
	const cJSON *ss = obj_member(c, spec, "scaleStrategy");
	const cJSON *us = obj_member(c, spec, "updateStrategy");
	const cJSON *ru;
	size_t m;

	if (ss) {
		m = vp_field(&c->p, "scaleStrategy");
		check_enum(c, ss, "scaleDownStrategyType", scale_types, 2);
		check_int_or_percent(c, ss, "maxUnavailable");
		vp_pop(&c->p, m);
	}
	if (!us)
		return;
	m = vp_field(&c->p, "updateStrategy");
	check_enum(c, us, "type", update_types, 2);
	ru = obj_member(c, us, "rollingUpdate");
	if (ru) {
		const char *type = str_of(member(us, "type"));
		const char *policy = str_of(member(ru, "podUpdatePolicy"));
		size_t mr = vp_field(&c->p, "rollingUpdate");

		if (type && strcmp(type, "OnDelete") == 0)
			fe_warn(c->l, "%s is ignored when the update strategy type is OnDelete",
				c->p.s);
		check_enum(c, ru, "podUpdatePolicy", policies, 3);
		if (policy && strcmp(policy, "InPlaceOnly") == 0)
			fe_warn(c->l,
				"%s.podUpdatePolicy: okg treats InPlaceOnly as InPlaceIfPossible "
				"(pods are re-created when an in-place update is impossible)",
				c->p.s);
		check_int(c, ru, "partition", 0, INT32_MAXLL, false);
		check_int(c, ru, "minReadySeconds", 0, INT32_MAXLL, false);
		check_int_or_percent(c, ru, "maxUnavailable");
		check_bool(c, ru, "paused", false);
		vp_pop(&c->p, mr);
	}
	vp_pop(&c->p, m);
}

/* --- service qualities --------------------------------------------------------------------- */

static bool known_ops_state(const char *s)
{
	static const char *const known[] = {"None", "WaitToBeDeleted", "Maintaining", "Allocated",
					    "Kill"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(s, known[i]) == 0)
			return true;
	return false;
}

/* A port: 1..65535 or a port name. Returns the name when it is one, for the ports check. */
static const char *check_port(struct vctx *c, const cJSON *handler)
{
	const cJSON *v = member(handler, "port");
	size_t m = vp_field(&c->p, "port");
	const char *why, *name = NULL;
	long long x;

	if (!present(v)) {
		fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
	} else if (cJSON_IsNumber(v)) {
		if (!whole(v, &x) || x < 1 || x > 65535)
			fe_add(c->l, FERR_INVALID, c->p.s, v,
			       "must be between 1 and 65535, inclusive");
	} else if (str_of(v)) {
		if (!kn_port_name(v->valuestring, &why))
			fe_add(c->l, FERR_INVALID, c->p.s, v, "%s", why);
		else
			name = v->valuestring;
	} else {
		fe_add(c->l, FERR_INVALID, c->p.s, v, "must be a port number or a port name");
	}
	vp_pop(&c->p, m);
	return name;
}

/* Warns when a named port is not declared by the container the probe runs against. A
 * mutating webhook may still add it, so this is not an error. */
static void check_port_declared(struct vctx *c, const char *port, const char *container)
{
	const cJSON *ct, *p;

	if (!port)
		return;
	cJSON_ArrayForEach(ct, c->containers)
	{
		const char *name = str_of(member(ct, "name"));

		if (container && container[0] && (!name || strcmp(name, container) != 0))
			continue;
		cJSON_ArrayForEach(p, member(ct, "ports"))
		{
			const char *pn = str_of(member(p, "name"));

			if (pn && strcmp(pn, port) == 0)
				return;
		}
	}
	fe_warn(c->l, "%s.port: no container port is named \"%s\"; the probe will fail", c->p.s,
		port);
}

static void check_handler(struct vctx *c, const cJSON *q, const char *kind, const char *target)
{
	const cJSON *h = obj_member(c, q, kind);
	size_t m = vp_field(&c->p, kind);

	if (!h)
		goto out;
	if (strcmp(kind, "exec") == 0) {
		const cJSON *cmd = arr_member(c, h, "command");
		const cJSON *arg;
		size_t i = 0;

		if (!cmd || cJSON_GetArraySize(cmd) == 0) {
			size_t mc = vp_field(&c->p, "command");

			if (!present(member(h, "command")) || cmd)
				fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
			vp_pop(&c->p, mc);
		}
		cJSON_ArrayForEach(arg, cmd)
		{
			if (!str_of(arg)) {
				size_t mi = vp_add(&c->p, ".command[%zu]", i);

				fe_add(c->l, FERR_INVALID, c->p.s, arg, "must be a string");
				vp_pop(&c->p, mi);
			}
			i++;
		}
	} else {
		static const char *const schemes[] = {"HTTP", "HTTPS"};
		const char *port = check_port(c, h);

		if (present(member(h, "host"))) {
			size_t mh = vp_field(&c->p, "host");

			fe_add(c->l, FERR_FORBIDDEN, c->p.s, NULL,
			       "probes stay inside the pod: okg's helper always probes the pod's "
			       "own IP");
			vp_pop(&c->p, mh);
		}
		if (strcmp(kind, "httpGet") == 0) {
			check_enum(c, h, "scheme", schemes, 2);
			opt_string(c, h, "path");
		}
		check_port_declared(c, port, target);
	}
out:
	vp_pop(&c->p, m);
}

/* updatePriority / deletionPriority: an integer, or a string that becomes a pod label value
 * (a template is rendered first). */
static void check_priority(struct vctx *c, const cJSON *a, const char *key)
{
	const cJSON *v = member(a, key);
	size_t m;
	const char *why;
	long long x;

	if (!present(v))
		return;
	m = vp_field(&c->p, key);
	if (cJSON_IsNumber(v)) {
		if (!whole(v, &x))
			fe_add(c->l, FERR_INVALID, c->p.s, v, "must be a whole number");
		else if (x < -INT32_MAXLL - 1 || x > INT32_MAXLL)
			fe_add(c->l, FERR_INVALID, c->p.s, v, "must fit in a 32-bit integer");
	} else if (str_of(v)) {
		const char *s = v->valuestring;
		char *end = NULL;

		if (check_template_value(c, s)) {
			/* rendered when the action fires */
		} else if (!kn_label_value(s, &why)) {
			fe_add(c->l, FERR_INVALID, c->p.s, v, "%s (it becomes a pod label value)",
			       why);
		} else {
			errno = 0;
			(void)strtol(s, &end, 10);
			if (!s[0] || *end || errno)
				fe_warn(c->l,
					"%s: \"%.40s\" is not an integer; okg orders it as 0 when "
					"scaling down and updating",
					c->p.s, s);
		}
	} else {
		fe_add(c->l, FERR_INVALID, c->p.s, v, "must be an integer or a string");
	}
	vp_pop(&c->p, m);
}

static void check_action_containers(struct vctx *c, const cJSON *a)
{
	const cJSON *list = arr_member(c, a, "containers");
	const cJSON *ct;
	size_t i = 0, m;

	if (!list)
		return;
	m = vp_field(&c->p, "containers");
	cJSON_ArrayForEach(ct, list)
	{
		size_t mi = vp_index(&c->p, i++);
		const char *name, *image;

		if (!cJSON_IsObject(ct)) {
			fe_add(c->l, FERR_INVALID, c->p.s, ct, "must be an object");
			vp_pop(&c->p, mi);
			continue;
		}
		name = opt_string(c, ct, "name");
		image = opt_string(c, ct, "image");
		if (!name || !name[0]) {
			size_t mn = vp_field(&c->p, "name");

			if (!present(member(ct, "name")) || name)
				fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
			vp_pop(&c->p, mn);
		} else if (!is_container(c, name)) {
			size_t mn = vp_field(&c->p, "name");

			fe_add_str(
			    c->l, FERR_NOT_FOUND, c->p.s, name,
			    "must name a container of spec.gameServerTemplate.spec.containers");
			vp_pop(&c->p, mn);
		}
		if (!image || !image[0]) {
			size_t mn = vp_field(&c->p, "image");

			if (!present(member(ct, "image")) || image)
				fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
			vp_pop(&c->p, mn);
		}
		vp_pop(&c->p, mi);
	}
	vp_pop(&c->p, m);
}

static void check_action(struct vctx *c, const cJSON *a, struct qsum *sum)
{
	const char *ops, *why;
	unsigned sets = 0;
	const cJSON *v;

	if (!cJSON_IsObject(a)) {
		fe_add(c->l, FERR_INVALID, c->p.s, a, "must be an object");
		return;
	}
	check_bool(c, a, "state", true);
	opt_string(c, a, "result");
	ops = opt_string(c, a, "opsState");
	if (ops && ops[0]) {
		size_t m = vp_field(&c->p, "opsState");

		sets |= SETS_OPSSTATE;
		if (check_template_value(c, ops)) {
			/* rendered when the action fires */
		} else if (!kn_label_value(ops, &why)) {
			fe_add_str(c->l, FERR_INVALID, c->p.s, ops,
				   "%s (it becomes a pod label value)", why);
		} else if (!known_ops_state(ops)) {
			fe_warn(c->l,
				"%s: \"%.40s\" is not a known opsState; it orders like None when "
				"scaling down",
				c->p.s, ops);
		}
		vp_pop(&c->p, m);
	}
	check_priority(c, a, "updatePriority");
	check_priority(c, a, "deletionPriority");
	check_bool(c, a, "networkDisabled", false);
	check_action_containers(c, a);
	check_labels(c, a, "labels", true, sum);
	check_annotations(c, a, "annotations", true, sum);

	if (present(member(a, "updatePriority")))
		sets |= SETS_UPDATE_PRIORITY;
	if (present(member(a, "deletionPriority")))
		sets |= SETS_DELETION_PRIORITY;
	if (cJSON_IsBool(member(a, "networkDisabled")))
		sets |= SETS_NETWORK_DISABLED;
	v = member(a, "containers");
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0)
		sets |= SETS_CONTAINERS;
	sum->sets |= sets;
	if (!sets && cJSON_GetArraySize(member(a, "labels")) == 0 &&
	    cJSON_GetArraySize(member(a, "annotations")) == 0)
		fe_warn(c->l, "%s sets nothing: it has no effect when it matches", c->p.s);
}

/* No two actions of a quality may answer the same (state, result). */
static void check_action_pairs(struct vctx *c, const cJSON *actions)
{
	size_t n = (size_t)cJSON_GetArraySize(actions), n_refs = 0, i = 0;
	struct nref *refs = calloc(n + 1, sizeof(*refs));
	size_t *first = calloc(n + 1, sizeof(*first)); /* 1 + index of the earlier twin */
	const cJSON *a;

	if (!refs || !first) {
		c->l->err = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(a, actions)
	{
		const cJSON *state = member(a, "state");
		const cJSON *result = member(a, "result");

		if (cJSON_IsBool(state) && (!present(result) || str_of(result))) {
			refs[n_refs].s = str_of(result) ? result->valuestring : "";
			refs[n_refs].tag = cJSON_IsTrue(state) ? 1 : 0;
			refs[n_refs].idx = i;
			n_refs++;
		}
		i++;
	}
	qsort(refs, n_refs, sizeof(*refs), nref_cmp);
	for (size_t k = 1, head = 0; k < n_refs; k++) {
		if (refs[k].tag == refs[head].tag && strcmp(refs[k].s, refs[head].s) == 0)
			first[refs[k].idx] = refs[head].idx + 1;
		else
			head = k;
	}
	i = 0;
	cJSON_ArrayForEach(a, actions)
	{
		const cJSON *ak = a;
		size_t m, k = i++;
		char shown[160];
		struct wj q;
		char *qs = NULL;

		if (!first[k])
			continue;
		wj_init(&q, 128);
		wj_goquote(
		    &q, str_of(member(ak, "result")) ? member(ak, "result")->valuestring : "", 60);
		if (wj_finish(&q, &qs, NULL) < 0) {
			c->l->err = -ENOMEM;
			goto out;
		}
		snprintf(shown, sizeof(shown), "{state: %s, result: %s}",
			 cJSON_IsTrue(member(ak, "state")) ? "true" : "false", qs);
		free(qs);
		m = vp_add(&c->p, ".serviceQualityAction[%zu]", k);
		fe_add(c->l, FERR_DUPLICATE, c->p.s, NULL,
		       "%s: serviceQualityAction[%zu] already answers the same state and result",
		       shown, first[k] - 1);
		vp_pop(&c->p, m);
	}
out:
	free(refs);
	free(first);
}

static void check_quality(struct vctx *c, const cJSON *q, struct qsum *sum)
{
	static const char *const timings[] = {
	    "initialDelaySeconds", "periodSeconds",    "timeoutSeconds",
	    "successThreshold",	   "failureThreshold", "terminationGracePeriodSeconds"};
	static const char *const handlers[] = {"exec", "httpGet", "tcpSocket"};
	const cJSON *actions, *a, *nv;
	const char *name, *target, *why;
	size_t n_handlers = 0, j = 0;

	if (!cJSON_IsObject(q)) {
		fe_add(c->l, FERR_INVALID, c->p.s, q, "must be an object");
		return;
	}
	nv = member(q, "name");
	name = opt_string(c, q, "name");
	sum->name = name;
	if (!present(nv) || (name && !name[0])) {
		size_t m = vp_field(&c->p, "name");

		fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
		vp_pop(&c->p, m);
	} else if (name && !kn_dns1123_label(name, &why)) {
		size_t m = vp_field(&c->p, "name");

		fe_add_str(c->l, FERR_INVALID, c->p.s, name,
			   "%s (it names the GameServer condition and pod condition)", why);
		vp_pop(&c->p, m);
	}
	target = opt_string(c, q, "containerName");
	if (target && target[0] && !is_container(c, target)) {
		size_t m = vp_field(&c->p, "containerName");

		fe_add_str(c->l, FERR_NOT_FOUND, c->p.s, target,
			   "must name a container of spec.gameServerTemplate.spec.containers");
		vp_pop(&c->p, m);
	}
	check_bool(c, q, "permanent", false);

	/* Exactly one handler that okg's probe helper can run. */
	if (present(member(q, "grpc"))) {
		size_t m = vp_field(&c->p, "grpc");

		fe_add(c->l, FERR_FORBIDDEN, c->p.s, NULL,
		       "gRPC probes are not supported by okg's probe helper; use exec, httpGet or "
		       "tcpSocket");
		vp_pop(&c->p, m);
	}
	for (size_t h = 0; h < 3; h++) {
		if (!present(member(q, handlers[h])))
			continue;
		if (++n_handlers > 1) {
			size_t m = vp_field(&c->p, handlers[h]);

			fe_add(c->l, FERR_FORBIDDEN, c->p.s, NULL,
			       "may not specify more than 1 handler type");
			vp_pop(&c->p, m);
			continue;
		}
		check_handler(c, q, handlers[h], target);
	}
	if (n_handlers == 0 && !present(member(q, "grpc")))
		fe_add(c->l, FERR_REQUIRED, c->p.s, NULL,
		       "must specify a handler: exec, httpGet or tcpSocket");
	for (size_t t = 0; t < sizeof(timings) / sizeof(timings[0]); t++)
		check_int(c, q, timings[t], t == 0 ? 0 : 1, VAL_MAX_SECONDS, false);

	actions = arr_member(c, q, "serviceQualityAction");
	if (!actions || cJSON_GetArraySize(actions) == 0) {
		size_t m = vp_field(&c->p, "serviceQualityAction");

		if (!present(member(q, "serviceQualityAction")) || actions)
			fe_add(c->l, FERR_REQUIRED, c->p.s, NULL,
			       "a service quality needs at least one action");
		vp_pop(&c->p, m);
		return;
	}
	cJSON_ArrayForEach(a, actions)
	{
		size_t m = vp_field_index(&c->p, "serviceQualityAction", j++);

		check_action(c, a, sum);
		vp_pop(&c->p, m);
	}
	check_action_pairs(c, actions);
}

/* Two qualities whose actions write the same GameServer field race: when both act in one
 * sync, the quality listed later in spec.serviceQualities wins (okg applies qualities in list
 * order, like OpenKruiseGame). Legal, so a warning that says which one wins. */
static void warn_overlaps(struct vctx *c, const struct qsum *sums, size_t n)
{
	static const char *const fields[] = {"opsState", "updatePriority", "deletionPriority",
					     "networkDisabled", "containers"};

	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			char list[160];
			size_t off = 0;
			unsigned common = sums[i].sets & sums[j].sets;

			list[0] = '\0';
			for (size_t f = 0; f < 5; f++)
				if (common & (1u << f) && off < sizeof(list))
					off += (size_t)snprintf(list + off, sizeof(list) - off,
								"%s%s", off ? ", " : "", fields[f]);
			for (size_t a = 0; a < sums[i].n_labels; a++)
				for (size_t b = 0; b < sums[j].n_labels; b++)
					if (strcmp(sums[i].labels[a], sums[j].labels[b]) == 0 &&
					    off < sizeof(list))
						off += (size_t)snprintf(
						    list + off, sizeof(list) - off, "%slabels[%s]",
						    off ? ", " : "", sums[i].labels[a]);
			for (size_t a = 0; a < sums[i].n_annotations; a++)
				for (size_t b = 0; b < sums[j].n_annotations; b++)
					if (strcmp(sums[i].annotations[a],
						   sums[j].annotations[b]) == 0 &&
					    off < sizeof(list))
						off += (size_t)snprintf(
						    list + off, sizeof(list) - off,
						    "%sannotations[%s]", off ? ", " : "",
						    sums[i].annotations[a]);
			if (!off)
				continue;
			fe_warn(c->l,
				"spec.serviceQualities[%zu] (\"%.40s\") and [%zu] (\"%.40s\") both "
				"set %s; when both act at once the later one, [%zu], wins",
				i, sums[i].name ? sums[i].name : "", j,
				sums[j].name ? sums[j].name : "", list, j);
		}
	}
}

static void check_qualities(struct vctx *c, const cJSON *spec)
{
	const cJSON *list = arr_member(c, spec, "serviceQualities");
	const cJSON *q;
	struct qsum *sums = NULL;
	struct nref *refs = NULL;
	bool *dup = NULL;
	size_t n, n_refs = 0, i = 0, m;

	if (!list)
		return;
	n = (size_t)cJSON_GetArraySize(list);
	sums = calloc(n + 1, sizeof(*sums));
	refs = calloc(n + 1, sizeof(*refs));
	dup = calloc(n + 1, sizeof(*dup));
	if (!sums || !refs || !dup) {
		c->l->err = -ENOMEM;
		goto out;
	}
	m = vp_field(&c->p, "serviceQualities");
	cJSON_ArrayForEach(q, list)
	{
		size_t mi = vp_index(&c->p, i);

		check_quality(c, q, &sums[i]);
		if (sums[i].name && sums[i].name[0]) {
			refs[n_refs].s = sums[i].name;
			refs[n_refs].idx = i;
			n_refs++;
		}
		vp_pop(&c->p, mi);
		i++;
	}
	mark_dups(refs, n_refs, dup, 0);
	for (size_t k = 0; k < n; k++) {
		size_t mi;

		if (!dup[k])
			continue;
		mi = vp_add(&c->p, "[%zu].name", k);
		fe_add_str(c->l, FERR_DUPLICATE, c->p.s, sums[k].name, NULL);
		vp_pop(&c->p, mi);
	}
	warn_overlaps(c, sums, n < OVERLAP_MAX_QUALITIES ? n : OVERLAP_MAX_QUALITIES);
	vp_pop(&c->p, m);
out:
	free(sums);
	free(refs);
	free(dup);
}

/* --- entry point --------------------------------------------------------------------------- */

static void check_spec(struct vctx *c, const cJSON *obj)
{
	const cJSON *spec = member(obj, "spec");
	const cJSON *qs;
	size_t m = vp_field(&c->p, "spec");

	if (!present(spec)) {
		fe_add(c->l, FERR_REQUIRED, c->p.s, NULL, NULL);
		goto out;
	}
	if (!cJSON_IsObject(spec)) {
		fe_add(c->l, FERR_INVALID, c->p.s, spec, "must be an object");
		goto out;
	}
	check_int(c, spec, "replicas", 0, INT32_MAXLL, true);
	qs = member(spec, "serviceQualities");
	check_template(c, spec, cJSON_IsArray(qs) && cJSON_GetArraySize(qs) > 0);
	check_reserve(c, spec);
	check_strategies(c, spec);
	check_qualities(c, spec);
out:
	vp_pop(&c->p, m);
}

int val_gss(const cJSON *obj, const cJSON *old, enum val_op op, struct fe_list *l)
{
	struct vctx c;
	const cJSON *meta;

	memset(&c, 0, sizeof(c));
	c.l = l;
	if (!cJSON_IsObject(obj)) {
		fe_add(l, FERR_INVALID, "", NULL, "the object must be a JSON object");
		return l->err;
	}
	meta = member(obj, "metadata");
	if (op == VAL_UPDATE && cJSON_IsObject(old)) {
		const char *name = str_of(member(meta, "name"));
		const char *old_name = str_of(member(member(old, "metadata"), "name"));

		if (name && old_name && strcmp(name, old_name) != 0)
			fe_add_str(l, FERR_INVALID, "metadata.name", name, "field is immutable");
		/* An unchanged spec was admitted before (or predates okg): never refuse it. */
		if (cJSON_Compare(member(obj, "spec"), member(old, "spec"), true))
			return l->err;
	}
	if (op == VAL_CREATE)
		check_name(&c, meta);
	check_spec(&c, obj);
	free(c.cnames);
	return l->err;
}
