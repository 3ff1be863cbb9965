#include "probe/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The line of text that starts with key (e.g. "Uid:"), or NULL; *n receives its length. */
static const char *find_line(const char *text, size_t len, const char *key, size_t *n)
{
	size_t kl = strlen(key);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if ((size_t)(le - p) >= kl && memcmp(p, key, kl) == 0) {
			*n = (size_t)(le - p) - kl;
			return p + kl;
		}
		p = le + 1;
	}
	return NULL;
}

/* Parses the unsigned number at *p (after blanks) in base, up to end. */
static int next_num(const char **p, const char *end, int base, unsigned long long *v)
{
	const char *s = *p;
	unsigned long long x = 0;
	int any = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (; s < end; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (x > (~0ULL - (unsigned)d) / (unsigned)base)
			return -EINVAL;
		x = x * (unsigned)base + (unsigned)d;
		any = 1;
	}
	if (!any)
		return -EINVAL;
	*p = s;
	*v = x;
	return 0;
}

/* "Uid:\treal\teffective\tsaved\tfs": the second number. */
static int id_line(const char *text, size_t len, const char *key, unsigned long long *v)
{
	size_t n;
	const char *p = find_line(text, len, key, &n), *end;
	unsigned long long real;

	if (!p)
		return -EINVAL;
	end = p + n;
	if (next_num(&p, end, 10, &real) < 0 || next_num(&p, end, 10, v) < 0)
		return -EINVAL;
	if (*v > 0xfffffffeULL)
		return -EINVAL;
	return 0;
}

int pr_status_parse(const char *text, size_t len, struct pr_status *out)
{
	unsigned long long v;
	const char *p, *end;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -EINVAL;
	if (id_line(text, len, "Uid:", &v) < 0)
		return -EINVAL;
	out->uid = (uid_t)v;
	if (id_line(text, len, "Gid:", &v) < 0)
		return -EINVAL;
	out->gid = (gid_t)v;
	p = find_line(text, len, "PPid:", &n);
	if (!p || next_num(&p, p + n, 10, &v) < 0 || v > 0x7fffffff)
		return -EINVAL;
	out->ppid = (pid_t)v;

	p = find_line(text, len, "Groups:", &n);
	if (p) {
		end = p + n;
		while (next_num(&p, end, 10, &v) == 0) {
			if (v > 0xfffffffeULL)
				return -EINVAL;
			if (out->n_groups == PR_MAX_GROUPS) {
				out->groups_truncated = true;
				break;
			}
			out->groups[out->n_groups++] = (gid_t)v;
		}
	}
	p = find_line(text, len, "CapEff:", &n);
	if (p && next_num(&p, p + n, 16, &v) == 0) {
		out->cap_eff = v;
		out->has_cap_eff = true;
	}
	p = find_line(text, len, "Umask:", &n);
	if (p && next_num(&p, p + n, 8, &v) == 0 && v <= 0777) {
		out->umask = (unsigned)v;
		out->has_umask = true;
	}
	return 0;
}

int pr_stat_parse(const char *text, size_t len, struct pr_stat *out)
{
	const char *p = NULL, *end;
	unsigned long long f[20];

	memset(out, 0, sizeof(*out));
	if (!text)
		return -EINVAL;
	end = text + len;
	/* "pid (comm) S ppid pgrp ...": comm may hold ')' so look for the last one. */
	for (const char *q = text; q < end; q++)
		if (*q == ')')
			p = q;
	if (!p || end - p < 4 || p[1] != ' ')
		return -EINVAL;
	p += 2;
	out->state = *p++;
	/* fields 4..22: ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
	 * stime cutime cstime priority nice threads itrealvalue starttime */
	for (int i = 0; i < 19; i++) {
		while (p < end && *p == ' ')
			p++;
		if (p < end && *p == '-') {
			/* tty_nr and tpgid can be -1; priority and nice can be negative */
			p++;
		}
		if (next_num(&p, end, 10, &f[i]) < 0)
			return -EINVAL;
	}
	if (f[0] > 0x7fffffff || f[1] > 0x7fffffff)
		return -EINVAL;
	out->ppid = (pid_t)f[0];
	out->pgrp = (pid_t)f[1];
	out->utime = f[10];
	out->stime = f[11];
	out->cutime = f[12];
	out->cstime = f[13];
	out->start = f[18];
	return 0;
}

/* The value of the first entry named key (kl bytes), or NULL. */
static const char *each_entry(const char *env, size_t len, const char *key, size_t kl, size_t *vlen)
{
	const char *p = env, *end = env + len;

	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *e = z ? z : end;

		if ((size_t)(e - p) > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
			*vlen = (size_t)(e - p) - kl - 1;
			return p + kl + 1;
		}
		p = e + 1;
	}
	return NULL;
}

const char *pr_environ_get(const char *env, size_t len, const char *key, size_t *vlen)
{
	size_t dummy;

	if (!env || !key || !*key)
		return NULL;
	return each_entry(env, len, key, strlen(key), vlen ? vlen : &dummy);
}

bool pr_environ_has(const char *env, size_t len, const char *key, const char *value)
{
	size_t vl;
	const char *v = pr_environ_get(env, len, key, &vl);

	return v && value && strlen(value) == vl && memcmp(v, value, vl) == 0;
}

int pr_environ_vec(const char *env, size_t len, char ***out)
{
	size_t n = 0, i = 0;
	const char *p, *end = env ? env + len : NULL;
	char **vec, *copy;

	*out = NULL;
	for (p = env; p && p < end;) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *e = z ? z : end;

		if (e > p && memchr(p, '=', (size_t)(e - p)) && n < PR_MAX_ENV_VARS)
			n++;
		p = e + 1;
	}
	/* the pointers, then a NUL-terminated copy of the text */
	vec = malloc((n + 1) * sizeof(char *) + len + 1);
	if (!vec)
		return -ENOMEM;
	copy = (char *)(vec + n + 1);
	if (len)
		memcpy(copy, env, len);
	copy[len] = '\0';
	for (p = copy; p < copy + len && i < n;) {
		size_t l = strlen(p);

		if (l && memchr(p, '=', l))
			vec[i++] = (char *)p;
		p += l + 1;
	}
	vec[i] = NULL;
	*out = vec;
	return 0;
}

int pr_read_file(const char *path, size_t max, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = NULL;
	int fd, r = 0;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (cap > max + 1)
		cap = max + 1;
	b = malloc(cap);
	if (!b) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t k;

		if (n + 1 == cap) {
			size_t ncap = cap * 2;
			char *nb;

			if (n >= max)
				break;
			if (ncap > max + 1)
				ncap = max + 1;
			nb = realloc(b, ncap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			b = nb;
			cap = ncap;
		}
		k = read(fd, b + n, cap - 1 - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	b = NULL;
out:
	free(b);
	close(fd);
	return r;
}

long pr_read_small(const char *path, char *buf, size_t cap)
{
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	while (n + 1 < cap) {
		ssize_t k = read(fd, buf + n, cap - 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	close(fd);
	return (long)n;
}
