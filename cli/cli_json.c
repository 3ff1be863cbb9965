#include "cli/cli_json.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A whole number that fits a long long (NaN and infinities compare false). */
static bool whole(double d, long long *out)
{
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0))
		return false;
	if ((double)(long long)d != d)
		return false;
	*out = (long long)d;
	return true;
}

const cJSON *cli_jget(const cJSON *obj, const char *path)
{
	const char *p = path;

	while (obj && p && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		const cJSON *child = NULL, *c;

		if (!cJSON_IsObject(obj))
			return NULL;
		cJSON_ArrayForEach(c, obj)
		{
			if (c->string && strlen(c->string) == n && memcmp(c->string, p, n) == 0) {
				child = c;
				break;
			}
		}
		obj = child;
		p = dot ? dot + 1 : NULL;
	}
	return obj;
}

const char *cli_jstr(const cJSON *obj, const char *path)
{
	const cJSON *v = cli_jget(obj, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *cli_jlabel(const cJSON *obj, const char *key)
{
	const cJSON *labels = cli_jget(obj, "metadata.labels");
	const cJSON *v;

	if (!cJSON_IsObject(labels))
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(labels, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *cli_jintstr(const cJSON *v, char *buf, size_t buflen, const char *def)
{
	long long n;

	if (cJSON_IsNumber(v) && whole(v->valuedouble, &n))
		snprintf(buf, buflen, "%lld", n);
	else if (cJSON_IsNumber(v))
		snprintf(buf, buflen, "%g", v->valuedouble);
	else if (cJSON_IsString(v))
		snprintf(buf, buflen, "%s", v->valuestring);
	else
		snprintf(buf, buflen, "%s", def);
	return buf;
}

long cli_jint(const cJSON *obj, const char *path, long def)
{
	const cJSON *v = cli_jget(obj, path);
	long long w;

	if (cJSON_IsNumber(v) && whole(v->valuedouble, &w) && w >= LONG_MIN && w <= LONG_MAX)
		return (long)w;
	if (cJSON_IsString(v) && v->valuestring[0]) {
		char *end;
		long n;

		errno = 0;
		n = strtol(v->valuestring, &end, 10);
		if (errno == 0 && *end == '\0')
			return n;
	}
	return def;
}

const char *cli_gs_ops_state(const cJSON *gs)
{
	const char *s = cli_jstr(gs, "spec.opsState");

	return s && s[0] ? s : "None";
}

const char *cli_pod_image(const cJSON *pod, const char *container, bool status)
{
	const cJSON *arr = cli_jget(pod, status ? "status.containerStatuses" : "spec.containers");
	const cJSON *c;

	if (!cJSON_IsArray(arr) || !container)
		return NULL;
	cJSON_ArrayForEach(c, arr)
	{
		const char *name = cli_jstr(c, "name");

		if (name && strcmp(name, container) == 0)
			return cli_jstr(c, "image");
	}
	return NULL;
}

/* ---- tables ------------------------------------------------------------------------------- */

int cli_table_init(struct cli_table *t, const char *const *header, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	return cli_table_add(t, header);
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
	if (t->nrows == t->cap_rows) {
		size_t nc = t->cap_rows ? t->cap_rows * 2 : 16;
		char **p;

		if (nc > SIZE_MAX / sizeof(char *) / (t->ncols ? t->ncols : 1))
			return -ENOMEM;
		p = realloc(t->cells, nc * t->ncols * sizeof(char *));
		if (!p)
			return -ENOMEM;
		t->cells = p;
		t->cap_rows = nc;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		char *s = strdup(cells[i] ? cells[i] : "");

		if (!s) {
			for (size_t j = 0; j < i; j++)
				free(t->cells[t->nrows * t->ncols + j]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = s;
	}
	t->nrows++;
	return 0;
}

void cli_table_print(const struct cli_table *t, FILE *f)
{
	size_t w[32] = {0};
	size_t ncols = t->ncols < 32 ? t->ncols : 32;

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);

			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 < ncols)
				fprintf(f, "%-*s   ", (int)w[c], s);
			else
				fprintf(f, "%s\n", s);
		}
	}
}

void cli_table_free(struct cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
