/* scalermetric: the KEDA scaler's answers from a set's counts; see scalermetric.h. */
#include "controller/scalermetric.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM_TEXT_MAX 128 /* longest number text accepted */

/* ceil and round (half away from zero, as Go's math.Round) without libm, which the build does
 * not link. Values past 2^52 are integers already. */
#define EXACT_INT 4503599627370496.0

static double dceil(double x)
{
	double t;

	if (!(x > -EXACT_INT && x < EXACT_INT))
		return x;
	t = (double)(long long)x;
	return t < x ? t + 1 : t;
}

static double dround(double x)
{
	double t;

	if (!(x > -EXACT_INT && x < EXACT_INT))
		return x;
	t = (double)(long long)x; /* toward zero; x - t is exact */
	if (x - t >= 0.5)
		t += 1;
	else if (x - t <= -0.5)
		t -= 1;
	return t;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A plain decimal float: [+-] (D+ [. D*] | . D+) [(e|E) [+-] D+]. */
static bool decimal_syntax(const char *s)
{
	size_t i = 0, digits = 0;

	if (s[i] == '+' || s[i] == '-')
		i++;
	while (is_digit(s[i])) {
		i++;
		digits++;
	}
	if (s[i] == '.') {
		i++;
		while (is_digit(s[i])) {
			i++;
			digits++;
		}
	}
	if (!digits)
		return false;
	if (s[i] == 'e' || s[i] == 'E') {
		size_t exp = 0;

		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		while (is_digit(s[i])) {
			i++;
			exp++;
		}
		if (!exp)
			return false;
	}
	return s[i] == '\0';
}

/* minAvailable as OpenKruiseGame reads it (strconv.ParseFloat(s, 32): the nearest float32,
 * widened), checked: finite, not negative, ceil at most INT_MAX. */
static int parse_min(const char *s, double *out, char *err, size_t errlen)
{
	float f;
	char *end;

	if (strlen(s) > NUM_TEXT_MAX || !decimal_syntax(s)) {
		snprintf(err, errlen, "\"%.*s\" is not a decimal number", NUM_TEXT_MAX, s);
		return -EINVAL;
	}
	errno = 0;
	f = strtof(s, &end);
	/* ERANGE on underflow still gives a usable (tiny or zero) value, as Go's ParseFloat does;
	 * overflow gives +-inf. */
	if (*end || isinf(f) || isnan(f)) {
		snprintf(err, errlen, "\"%s\" is out of range", s);
		return -EINVAL;
	}
	if (f < 0) {
		snprintf(err, errlen,
			 "invalid min number: must be greater than 0 or a valid percentage between "
			 "0 and 1");
		return -EINVAL;
	}
	if (dceil((double)f) > (double)INT_MAX) {
		snprintf(err, errlen, "\"%s\" is more than %d", s, INT_MAX);
		return -EINVAL;
	}
	*out = (double)f;
	return 0;
}

int sm_handle_min_num(long total, long none, const char *s, long *out, char *err, size_t errlen)
{
	double n, delta, m;
	int e;

	*out = 0;
	if (!s || !*s)
		return 0;
	e = parse_min(s, &n, err, errlen);
	if (e < 0)
		return e;
	if (n > 0 && n < 1) {
		/* (none + delta) / (total + delta) >= n  =>  delta >= (total * n - none) / (1 - n)
		 */
		delta = ((double)total * n - (double)none) / (1 - n);
		if (delta <= 0)
			return 0;
		delta = dround(delta * 100) / 100; /* cancels float32 noise: 15.0000013 -> 15 */
		m = dceil(delta) + (double)none;
		if (m > (double)INT_MAX) {
			snprintf(err, errlen, "\"%s\" asks for more than %d idle servers", s,
				 INT_MAX);
			return -EINVAL;
		}
		*out = (long)m;
		return 0;
	}
	/* n == 0 or n >= 1 (parse_min refused negatives) */
	*out = (long)dceil(n);
	return 0;
}

int sm_parse_max(const char *s, bool *set, long *out, char *err, size_t errlen)
{
	const char *p;
	long long v = 0;
	bool neg = false;

	*set = false;
	*out = 0;
	if (!s || !*s)
		return 0;
	/* strconv.ParseInt(s, 10, 32): an optional sign, then decimal digits only */
	p = s;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (!is_digit(*p))
			goto bad;
		v = v * 10 + (*p - '0');
		if (v > (long long)INT_MAX + 1)
			goto range;
	}
	if (neg)
		v = -v;
	if (v > INT_MAX || v < INT_MIN)
		goto range;
	*set = true;
	*out = (long)v;
	return 0;
bad:
	snprintf(err, errlen, "\"%.*s\" is not an integer", NUM_TEXT_MAX, s);
	return -EINVAL;
range:
	snprintf(err, errlen, "\"%.*s\" is out of the int32 range", NUM_TEXT_MAX, s);
	return -EINVAL;
}

static int not_found(const char *ns, const char *name, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "GameServerSet %s/%s not found (the ScaledObject must have the GameServerSet's "
		 "name)",
		 ns ? ns : "", name ? name : "");
	return -ENOENT;
}

/* Checks both metadata keys; on error the message names the key. */
static int check_meta(const char *min_s, const char *max_s, double *min_val, bool *max_set,
		      long *max_val, char *err, size_t errlen)
{
	char why[256];
	int e;

	*min_val = 0;
	if (min_s && *min_s) {
		e = parse_min(min_s, min_val, why, sizeof(why));
		if (e < 0) {
			snprintf(err, errlen, "metadata %s: %s", SM_KEY_MIN, why);
			return e;
		}
	}
	e = sm_parse_max(max_s, max_set, max_val, why, sizeof(why));
	if (e < 0) {
		snprintf(err, errlen, "metadata %s: %s", SM_KEY_MAX, why);
		return e;
	}
	return 0;
}

int sm_get_metrics(const struct sm_counts *c, const char *ns, const char *name, const char *min_s,
		   const char *max_s, long long *out, char *err, size_t errlen)
{
	char why[256];
	double min_val;
	bool max_set;
	long max_val, min_num;
	long long desire;
	int e;

	*out = 0;
	if (errlen)
		err[0] = '\0';
	if (!c->found)
		return not_found(ns, name, err, errlen);
	e = check_meta(min_s, max_s, &min_val, &max_set, &max_val, err, errlen);
	if (e < 0)
		return e;
	e = sm_handle_min_num(c->total, c->none, min_s, &min_num, why, sizeof(why));
	if (e < 0) {
		snprintf(err, errlen, "metadata %s: %s", SM_KEY_MIN, why);
		return e;
	}
	if (max_set && min_num > max_val)
		min_num = max_val;
	if (c->none < min_num) {
		*out = (long long)c->replicas + min_num - c->none; /* scale up to the idle pool */
		return 0;
	}
	desire = c->replicas;
	if (c->wait_to_be_deleted != 0)
		desire -= c->wait_to_be_deleted; /* exactly the servers marked for deletion */
	else if (max_set && c->none > max_val)
		desire += (long long)max_val - c->none; /* trim the idle surplus */
	*out = desire;
	return 0;
}

int sm_is_active(const struct sm_counts *c, const char *ns, const char *name, const char *min_s,
		 const char *max_s, bool *out, char *err, size_t errlen)
{
	double min_val;
	bool max_set;
	long max_val;
	int e;

	*out = false;
	if (errlen)
		err[0] = '\0';
	if (!c->found)
		return not_found(ns, name, err, errlen);
	if (!c->status_ready) {
		snprintf(err, errlen, "GameServerSet %s/%s has not inited", ns ? ns : "",
			 name ? name : "");
		return -EAGAIN;
	}
	e = check_meta(min_s, max_s, &min_val, &max_set, &max_val, err, errlen);
	if (e < 0)
		return e;
	if (min_val > 0) {
		*out = true;
		return 0;
	}
	*out = c->status_current - c->status_wtbd > 0;
	return 0;
}
