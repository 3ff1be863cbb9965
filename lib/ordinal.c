#include "lib/ordinal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

void ordset_init(struct ordset *s)
{
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}

void ordset_free(struct ordset *s)
{
	if (!s)
		return;
	free(s->v);
	ordset_init(s);
}

/* Index of the first element >= ord. */
static size_t lower_bound(const struct ordset *s, int ord)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid] < ord)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool ordset_has(const struct ordset *s, int ord)
{
	size_t i = lower_bound(s, ord);

	return i < s->n && s->v[i] == ord;
}

int ordset_add(struct ordset *s, int ord)
{
	size_t i = lower_bound(s, ord);

	if (i < s->n && s->v[i] == ord)
		return 0;
	if (s->n >= ORD_MAX_IDS)
		return -E2BIG;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		int *p = realloc(s->v, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = nc;
	}
	memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(*s->v));
	s->v[i] = ord;
	s->n++;
	return 0;
}

void ordset_remove(struct ordset *s, int ord)
{
	size_t i = lower_bound(s, ord);

	if (i < s->n && s->v[i] == ord) {
		memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof(*s->v));
		s->n--;
	}
}

int ordset_copy(const struct ordset *src, struct ordset *dst)
{
	ordset_init(dst);
	if (!src->n)
		return 0;
	dst->v = malloc(src->n * sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	dst->n = dst->cap = src->n;
	return 0;
}

int ordset_union(struct ordset *dst, const struct ordset *src)
{
	for (size_t i = 0; i < src->n; i++) {
		int r = ordset_add(dst, src->v[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

void ordset_minus(struct ordset *dst, const struct ordset *src)
{
	size_t o = 0;

	for (size_t i = 0; i < dst->n; i++)
		if (!ordset_has(src, dst->v[i]))
			dst->v[o++] = dst->v[i];
	dst->n = o;
}

bool ordset_equal(const struct ordset *a, const struct ordset *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof(*a->v)) == 0);
}

/* A whole number in [0, ORD_MAX_VALUE] from s[0..len) with optional surrounding spaces. */
static int parse_num(const char *s, size_t len, int *out)
{
	size_t i = 0;
	long v = 0;

	while (i < len && isspace((unsigned char)s[i]))
		i++;
	if (i == len || !isdigit((unsigned char)s[i]))
		return -EINVAL;
	while (i < len && isdigit((unsigned char)s[i])) {
		v = v * 10 + (s[i] - '0');
		if (v > ORD_MAX_VALUE)
			return -ERANGE;
		i++;
	}
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	if (i != len)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int ord_parse_entry(const cJSON *item, int *lo, int *hi, const char **why)
{
	if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;

		/* Converting a double outside long long's range is undefined: test the fraction
		 * only within it (larger magnitudes are whole and fail the range checks below). */
		if (d != d || (d > -1e18 && d < 1e18 && d != (double)(long long)d)) {
			*why = "must be a whole number";
			return -EINVAL;
		}
		if (d < 0) {
			*why = "must be greater than or equal to 0";
			return -EINVAL;
		}
		if (d > ORD_MAX_VALUE) {
			*why = "must be at most 999999";
			return -EINVAL;
		}
		*lo = *hi = (int)d;
		return 0;
	}
	if (cJSON_IsString(item) && item->valuestring) {
		const char *s = item->valuestring;
		const char *dash = strchr(s, '-');
		int r;

		if (!dash) {
			*why = "a string must be a range \"a-b\"; write a single ID as a number";
			return -EINVAL;
		}
		if (strchr(dash + 1, '-')) {
			*why = "a range has exactly one '-' (negative IDs are not allowed)";
			return -EINVAL;
		}
		r = parse_num(s, (size_t)(dash - s), lo);
		if (r == 0)
			r = parse_num(dash + 1, strlen(dash + 1), hi);
		if (r == -ERANGE) {
			*why = "range bounds must be at most 999999";
			return -EINVAL;
		}
		if (r < 0) {
			*why = "range bounds must be whole numbers >= 0, as in \"3-5\"";
			return -EINVAL;
		}
		if (*lo > *hi) {
			*why = "range start must not be greater than its end";
			return -EINVAL;
		}
		return 0;
	}
	*why = "must be a number or a range string \"a-b\"";
	return -EINVAL;
}

int ord_parse_reserve(const cJSON *arr, struct ordset *out, char *err, size_t errlen)
{
	const cJSON *it;
	size_t idx = 0;

	ordset_init(out);
	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, ": must be a list");
		return -EINVAL;
	}
	cJSON_ArrayForEach(it, arr)
	{
		const char *why = NULL;
		int lo, hi, r;

		if (ord_parse_entry(it, &lo, &hi, &why) < 0) {
			snprintf(err, errlen, "[%zu]: %s", idx, why);
			ordset_free(out);
			return -EINVAL;
		}
		if ((long)hi - lo + 1 > ORD_MAX_IDS) {
			snprintf(err, errlen, "[%zu]: expands to more than %d IDs", idx,
				 ORD_MAX_IDS);
			ordset_free(out);
			return -E2BIG;
		}
		for (int o = lo; o <= hi; o++) {
			r = ordset_add(out, o);
			if (r < 0) {
				snprintf(err, errlen, "[%zu]: %s", idx,
					 r == -E2BIG ? "the list expands to more than 100000 IDs"
						     : "out of memory");
				ordset_free(out);
				return r;
			}
		}
		idx++;
	}
	return 0;
}

int ord_parse_string(const char *s, struct ordset *out)
{
	ordset_init(out);
	while (s && *s) {
		size_t len = strcspn(s, ",");
		const char *dash = memchr(s, '-', len);
		int lo = 0, hi = 0, r;

		if (dash)
			r = parse_num(s, (size_t)(dash - s), &lo) ||
			    parse_num(dash + 1, len - (size_t)(dash - s) - 1, &hi);
		else {
			r = parse_num(s, len, &lo);
			hi = lo;
		}
		if (r == 0 && lo <= hi && (long)hi - lo < ORD_MAX_IDS) {
			for (int o = lo; o <= hi; o++) {
				int e = ordset_add(out, o);

				if (e < 0) {
					ordset_free(out); /* nothing half-parsed is left */
					return e;
				}
			}
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

char *ord_to_string(const struct ordset *s)
{
	struct buf b;
	size_t i = 0;

	buf_init(&b, 1u << 22);
	while (i < s->n) {
		size_t j = i;

		while (j + 1 < s->n && s->v[j + 1] == s->v[j] + 1)
			j++;
		if (j - i >= 2) {
			if (buf_printf(&b, "%s%d-%d", b.len ? "," : "", s->v[i], s->v[j]) < 0)
				goto fail;
		} else {
			for (size_t k = i; k <= j; k++)
				if (buf_printf(&b, "%s%d", b.len ? "," : "", s->v[k]) < 0)
					goto fail;
		}
		i = j + 1;
	}
	return buf_steal(&b);
fail:
	buf_free(&b);
	return NULL;
}

cJSON *ord_to_json(const struct ordset *s)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i = 0;

	if (!arr)
		return NULL;
	while (i < s->n) {
		size_t j = i;

		while (j + 1 < s->n && s->v[j + 1] == s->v[j] + 1)
			j++;
		if (j - i >= 2) {
			char range[32];

			snprintf(range, sizeof(range), "%d-%d", s->v[i], s->v[j]);
			if (!cJSON_AddItemToArray(arr, cJSON_CreateString(range)))
				goto fail;
		} else {
			for (size_t k = i; k <= j; k++)
				if (!cJSON_AddItemToArray(arr, cJSON_CreateNumber(s->v[k])))
					goto fail;
		}
		i = j + 1;
	}
	return arr;
fail:
	cJSON_Delete(arr);
	return NULL;
}

int ord_from_name(const char *name, const char *set)
{
	size_t sl = strlen(set);
	int ord;

	if (!name || strncmp(name, set, sl) != 0 || name[sl] != '-' || !name[sl + 1])
		return -1;
	if (name[sl + 1] == '0' && name[sl + 2])
		return -1; /* "x-01" is not a name the controller makes */
	if (parse_num(name + sl + 1, strlen(name + sl + 1), &ord) < 0)
		return -1;
	if (isspace((unsigned char)name[sl + 1]) || isspace((unsigned char)name[strlen(name) - 1]))
		return -1;
	return ord;
}
