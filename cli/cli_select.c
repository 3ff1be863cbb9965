#include "cli/cli_select.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_json.h"

#define MAX_LIST 256 /* entries one list flag may hold */

static const char *const ops_states[] = {"None", "WaitToBeDeleted", "Maintaining", "Allocated",
					 "Kill"};

/* The next comma-separated item of *p, trimmed: [*start, *start + *len). false at the end. */
static bool next_item(const char **p, const char **start, size_t *len)
{
	const char *s = *p, *e;

	if (!s)
		return false;
	e = strchr(s, ',');
	*p = e ? e + 1 : NULL;
	if (!e)
		e = s + strlen(s);
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*start = s;
	*len = (size_t)(e - s);
	return true;
}

static int grow(void **arr, size_t n, size_t size)
{
	void *p;

	if (n >= MAX_LIST)
		return -E2BIG;
	p = realloc(*arr, (n + 1) * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static void set_err(char *err, size_t errlen, const char *flag, const char *what, const char *s,
		    size_t len)
{
	int n = len > INT_MAX ? INT_MAX : (int)len;

	if (errlen)
		snprintf(err, errlen, "%s: \"%.*s\" %s", flag, n, s, what);
}

static int list_err(int r, const char *flag, char *err, size_t errlen)
{
	if (r == -E2BIG)
		snprintf(err, errlen, "%s: more than %d values", flag, MAX_LIST);
	else
		snprintf(err, errlen, "%s: out of memory", flag);
	return r;
}

/* A DNS-1123 label, as container names are. */
static bool dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

int cli_parse_images(const char *flag, const char *v, struct cli_image_sel **arr, size_t *n,
		     char *err, size_t errlen)
{
	const char *p = v, *s;
	size_t len;
	int r;

	if (!v || !v[0]) {
		snprintf(err, errlen, "%s: needs CONTAINER/IMAGE", flag);
		return -EINVAL;
	}
	while (next_item(&p, &s, &len)) {
		const char *slash = memchr(s, '/', len);
		size_t clen, ilen;
		struct cli_image_sel *e;

		if (!slash || slash == s || slash + 1 == s + len) {
			set_err(err, errlen, flag, "is not CONTAINER/IMAGE", s, len);
			return -EINVAL;
		}
		clen = (size_t)(slash - s);
		ilen = len - clen - 1;
		if (!dns_label(s, clen)) {
			set_err(err, errlen, flag, "is not a container name", s, clen);
			return -EINVAL;
		}
		for (size_t i = 0; i < ilen; i++)
			if (isspace((unsigned char)slash[1 + i]) ||
			    iscntrl((unsigned char)slash[1 + i])) {
				set_err(err, errlen, flag, "is not an image reference", slash + 1,
					ilen);
				return -EINVAL;
			}
		r = grow((void **)arr, *n, sizeof(**arr));
		if (r < 0)
			return list_err(r, flag, err, errlen);
		e = &(*arr)[*n];
		e->container = strndup(s, clen);
		e->image = strndup(slash + 1, ilen);
		if (!e->container || !e->image) {
			free(e->container);
			free(e->image);
			return list_err(-ENOMEM, flag, err, errlen);
		}
		(*n)++;
	}
	return 0;
}

static bool label_key_ok(const char *s, size_t n)
{
	if (n == 0 || n > 317)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("._-/", s[i])))
			return false;
	return isalnum((unsigned char)s[n - 1]) != 0;
}

static bool label_value_ok(const char *s, size_t n)
{
	if (n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("._-", s[i])))
			return false;
	return true;
}

int cli_parse_labels(const char *flag, const char *v, struct cli_label_req **arr, size_t *n,
		     char *err, size_t errlen)
{
	const char *p = v, *s;
	size_t len;
	int r;

	if (!v || !v[0]) {
		snprintf(err, errlen, "%s: needs a label selector (k=v,k!=v,k,!k)", flag);
		return -EINVAL;
	}
	while (next_item(&p, &s, &len)) {
		struct cli_label_req q = {0};
		const char *key = s, *val = NULL;
		size_t klen = len, vlen = 0;
		const char *eq = memchr(s, '=', len);

		if (memchr(s, '(', len) || memchr(s, ' ', len)) {
			set_err(err, errlen, flag,
				"is not supported: only k=v, k!=v, k and !k (no in/notin)", s, len);
			return -EINVAL;
		}
		if (eq) {
			klen = (size_t)(eq - s);
			val = eq + 1;
			vlen = len - klen - 1;
			q.op = CLI_LABEL_EQ;
			if (klen && s[klen - 1] == '!') {
				q.op = CLI_LABEL_NE;
				klen--;
			} else if (vlen && val[0] == '=') {
				val++;
				vlen--;
			}
		} else if (len && s[0] == '!') {
			key = s + 1;
			klen = len - 1;
			q.op = CLI_LABEL_NOT_EXISTS;
		} else {
			q.op = CLI_LABEL_EXISTS;
		}
		if (!label_key_ok(key, klen)) {
			set_err(err, errlen, flag, "is not a label key", key, klen);
			return -EINVAL;
		}
		if (val && !label_value_ok(val, vlen)) {
			set_err(err, errlen, flag, "is not a label value", val, vlen);
			return -EINVAL;
		}
		r = grow((void **)arr, *n, sizeof(**arr));
		if (r < 0)
			return list_err(r, flag, err, errlen);
		q.key = strndup(key, klen);
		q.value = val ? strndup(val, vlen) : NULL;
		if (!q.key || (val && !q.value)) {
			free(q.key);
			free(q.value);
			return list_err(-ENOMEM, flag, err, errlen);
		}
		(*arr)[(*n)++] = q;
	}
	return 0;
}

/* A whole number 0..ORD_MAX_VALUE in s[0, len). */
static int ord_num(const char *s, size_t len, int *out)
{
	long v = 0;

	if (len == 0 || len > 7)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v > ORD_MAX_VALUE)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int cli_parse_ordinals(const char *flag, const char *v, struct ordset *set, char *err,
		       size_t errlen)
{
	const char *p = v, *s;
	size_t len;

	if (!v || !v[0]) {
		snprintf(err, errlen, "%s: needs ordinals (0,2,5-7)", flag);
		return -EINVAL;
	}
	while (next_item(&p, &s, &len)) {
		const char *dash = len > 1 ? memchr(s + 1, '-', len - 1) : NULL;
		int lo, hi;

		if (dash) {
			size_t l1 = (size_t)(dash - s);

			if (ord_num(s, l1, &lo) < 0 || ord_num(dash + 1, len - l1 - 1, &hi) < 0 ||
			    hi < lo) {
				set_err(err, errlen, flag,
					"is not an ordinal range A-B (0 <= A <= B <= 999999)", s,
					len);
				return -EINVAL;
			}
		} else if (ord_num(s, len, &lo) < 0) {
			set_err(err, errlen, flag, "is not an ordinal (0..999999)", s, len);
			return -EINVAL;
		} else {
			hi = lo;
		}
		for (int o = lo; o <= hi; o++) {
			int r = ordset_add(set, o);

			if (r == -E2BIG) {
				snprintf(err, errlen, "%s: more than %d ordinals", flag,
					 ORD_MAX_IDS);
				return r;
			}
			if (r < 0)
				return list_err(r, flag, err, errlen);
		}
	}
	return 0;
}

int cli_parse_words(const char *flag, const char *v, char ***arr, size_t *n, char *err,
		    size_t errlen)
{
	const char *p = v, *s;
	size_t len;

	if (!v || !v[0]) {
		snprintf(err, errlen, "%s: needs a value", flag);
		return -EINVAL;
	}
	while (next_item(&p, &s, &len)) {
		int r;

		if (len == 0) {
			snprintf(err, errlen, "%s: empty item in \"%s\"", flag, v);
			return -EINVAL;
		}
		r = grow((void **)arr, *n, sizeof(**arr));
		if (r < 0)
			return list_err(r, flag, err, errlen);
		(*arr)[*n] = strndup(s, len);
		if (!(*arr)[*n])
			return list_err(-ENOMEM, flag, err, errlen);
		(*n)++;
	}
	return 0;
}

int cli_parse_bool(const char *flag, const char *v, bool *out, char *err, size_t errlen)
{
	if (v && strcasecmp(v, "true") == 0) {
		*out = true;
		return 0;
	}
	if (v && strcasecmp(v, "false") == 0) {
		*out = false;
		return 0;
	}
	snprintf(err, errlen, "%s: \"%s\" is not true or false", flag, v ? v : "");
	return -EINVAL;
}

int cli_parse_int32(const char *flag, const char *v, long *out, char *err, size_t errlen)
{
	char *end;
	long n;

	errno = 0;
	n = v ? strtol(v, &end, 10) : 0;
	if (!v || !v[0] || isspace((unsigned char)v[0]) || errno || *end || n < INT32_MIN ||
	    n > INT32_MAX) {
		snprintf(err, errlen, "%s: \"%s\" is not a whole number (int32)", flag, v ? v : "");
		return -EINVAL;
	}
	*out = n;
	return 0;
}

int cli_parse_ops_state(const char *flag, const char *v, char **out, char *err, size_t errlen)
{
	const char *hint = NULL;

	for (size_t i = 0; v && i < sizeof(ops_states) / sizeof(ops_states[0]); i++) {
		if (strcmp(v, ops_states[i]) == 0) {
			*out = strdup(v);
			if (!*out)
				return list_err(-ENOMEM, flag, err, errlen);
			return 0;
		}
		if (strcasecmp(v, ops_states[i]) == 0)
			hint = ops_states[i];
	}
	if (hint)
		snprintf(err, errlen, "%s: unknown opsState \"%s\" (did you mean %s?)", flag, v,
			 hint);
	else
		snprintf(err, errlen,
			 "%s: unknown opsState \"%s\" (None, WaitToBeDeleted, Maintaining, "
			 "Allocated, Kill)",
			 flag, v ? v : "");
	return -EINVAL;
}

/* ---- matching ----------------------------------------------------------------------------- */

static bool why_false(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Says why a GameServer does not match (when why is not NULL); returns false. */
static bool why_false(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool labels_match(const struct cli_select *s, const cJSON *gs, char *why, size_t whylen)
{
	for (size_t i = 0; i < s->n_labels; i++) {
		const struct cli_label_req *q = &s->labels[i];
		const char *v = cli_jlabel(gs, q->key);

		switch (q->op) {
		case CLI_LABEL_EQ:
			if (!v || strcmp(v, q->value) != 0)
				return why_false(why, whylen, "label %s is not %s", q->key,
						 q->value);
			break;
		case CLI_LABEL_NE:
			if (v && strcmp(v, q->value) == 0)
				return why_false(why, whylen, "label %s is %s", q->key, q->value);
			break;
		case CLI_LABEL_EXISTS:
			if (!v)
				return why_false(why, whylen, "no label %s", q->key);
			break;
		case CLI_LABEL_NOT_EXISTS:
			if (v)
				return why_false(why, whylen, "has label %s", q->key);
			break;
		}
	}
	return true;
}

static bool images_match(const struct cli_select *s, const cJSON *pod, char *why, size_t whylen)
{
	bool status = s->image_source == CLI_IMAGE_STATUS;

	if (s->n_images + s->n_not_images == 0)
		return true;
	if (!pod)
		return why_false(why, whylen, "no pod, so its image is unknown");
	for (size_t i = 0; i < s->n_images; i++) {
		const struct cli_image_sel *e = &s->images[i];
		const char *img = cli_pod_image(pod, e->container, status);

		if (!img || strcmp(img, e->image) != 0)
			return why_false(why, whylen, "container %s runs %s", e->container,
					 img ? img : "no known image");
	}
	for (size_t i = 0; i < s->n_not_images; i++) {
		const struct cli_image_sel *e = &s->not_images[i];
		const char *img = cli_pod_image(pod, e->container, status);

		/* A container the pod does not have does not run the image (GameServers-Updater
		 * reads it so too); one that has not reported its image yet is unknown. */
		if (!img && status && cli_pod_image(pod, e->container, false))
			return why_false(why, whylen, "container %s has not reported its image",
					 e->container);
		if (img && strcmp(img, e->image) == 0)
			return why_false(why, whylen, "container %s runs %s", e->container, img);
	}
	return true;
}

bool cli_select_match(const struct cli_select *s, const char *gss, const cJSON *gs,
		      const cJSON *pod, char *why, size_t whylen)
{
	const char *name = cli_jstr(gs, "metadata.name");
	const char *owner = cli_jlabel(gs, "game.kruise.io/owner-gss");

	if (why && whylen)
		why[0] = '\0';
	if (!name)
		return why_false(why, whylen, "no name");
	if (s->has_ordinals) {
		int ord = ord_from_name(name, owner ? owner : (gss ? gss : ""));

		if (ord < 0 || !ordset_has(&s->ordinals, ord))
			return why_false(why, whylen, "ordinal not selected");
	}
	if (s->n_ops_states) {
		const char *ops = cli_gs_ops_state(gs);
		bool hit = false;

		for (size_t i = 0; i < s->n_ops_states && !hit; i++)
			hit = strcmp(ops, s->ops_states[i]) == 0;
		if (!hit)
			return why_false(why, whylen, "opsState is %s", ops);
	}
	if (s->network_disabled >= 0) {
		const cJSON *nd = cli_jget(gs, "spec.networkDisabled");
		bool v = cJSON_IsTrue(nd);

		if (v != (s->network_disabled == 1))
			return why_false(why, whylen, "networkDisabled is %s",
					 v ? "true" : "false");
	}
	if (!labels_match(s, gs, why, whylen))
		return false;
	return images_match(s, pod, why, whylen);
}

bool cli_select_needs_pods(const struct cli_select *s)
{
	return s->n_images + s->n_not_images > 0;
}

void cli_select_free(struct cli_select *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_ops_states; i++)
		free(s->ops_states[i]);
	free(s->ops_states);
	for (size_t i = 0; i < s->n_images; i++) {
		free(s->images[i].container);
		free(s->images[i].image);
	}
	free(s->images);
	for (size_t i = 0; i < s->n_not_images; i++) {
		free(s->not_images[i].container);
		free(s->not_images[i].image);
	}
	free(s->not_images);
	for (size_t i = 0; i < s->n_labels; i++) {
		free(s->labels[i].key);
		free(s->labels[i].value);
	}
	free(s->labels);
	ordset_free(&s->ordinals);
	memset(s, 0, sizeof(*s));
	s->network_disabled = -1;
}
