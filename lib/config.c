#include "lib/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/log.h"

static int set_value(const struct cfg_opt *o, const char *v, const char *origin, struct buf *errs)
{
	switch (o->type) {
	case CFG_STR: {
		char **t = o->target;
		char *d = v ? strdup(v) : NULL;

		if (v && !d)
			return -ENOMEM;
		free(*t);
		*t = d;
		return 0;
	}
	case CFG_INT: {
		char *end;
		long x;

		errno = 0;
		x = strtol(v ? v : "", &end, 10);
		if (!v || !*v || *end || errno) {
			buf_printf(errs, "%s %s: \"%s\" is not a whole number\n", origin, o->name,
				   v ? v : "");
			return -EINVAL;
		}
		if (x < o->min || x > o->max) {
			buf_printf(errs, "%s %s: %ld is out of range [%ld, %ld]\n", origin, o->name,
				   x, o->min, o->max);
			return -EINVAL;
		}
		*(long *)o->target = x;
		return 0;
	}
	case CFG_BOOL:
		if (!v || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) {
			*(bool *)o->target = true;
		} else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) {
			*(bool *)o->target = false;
		} else {
			buf_printf(errs, "%s %s: \"%s\" is not true or false\n", origin, o->name,
				   v);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

void cfg_usage(FILE *f, const char *prog, const struct cfg_opt *opts, size_t n)
{
	fprintf(f, "usage: %s [flags]\n", prog);
	for (size_t i = 0; i < n; i++) {
		const struct cfg_opt *o = &opts[i];

		fprintf(f, "  --%-24s %s", o->name, o->help ? o->help : "");
		if (o->type == CFG_INT)
			fprintf(f, " [%ld..%ld]", o->min, o->max);
		if (o->def)
			fprintf(f, " (default %s)", o->def);
		if (o->env)
			fprintf(f, " (env %s)", o->env);
		fputc('\n', f);
	}
}

int cfg_parse(const struct cfg_opt *opts, size_t n, int argc, char **argv, FILE *out, char *err,
	      size_t errlen)
{
	struct buf errs;
	int r = 0;

	buf_init(&errs, 8192);
	for (size_t i = 0; i < n; i++) {
		const struct cfg_opt *o = &opts[i];
		const char *ev = o->env ? getenv(o->env) : NULL;

		if (o->type == CFG_STR)
			*(char **)o->target = NULL;
		if (o->def && set_value(o, o->def, "default", &errs) < 0)
			r = -EINVAL;
		if (ev && set_value(o, ev, o->env, &errs) < 0)
			r = -EINVAL;
	}
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];
		const char *eq;
		size_t nl;
		const struct cfg_opt *o = NULL;
		const char *v = NULL;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			cfg_usage(out ? out : stdout, argv[0], opts, n);
			buf_free(&errs);
			return 1;
		}
		if (strncmp(arg, "--", 2) != 0) {
			buf_printf(&errs, "argument \"%s\": not a flag (flags start with --)\n",
				   arg);
			r = -EINVAL;
			continue;
		}
		arg += 2;
		eq = strchr(arg, '=');
		nl = eq ? (size_t)(eq - arg) : strlen(arg);
		for (size_t i = 0; i < n; i++)
			if (strlen(opts[i].name) == nl && !strncmp(opts[i].name, arg, nl))
				o = &opts[i];
		if (!o) {
			buf_printf(&errs, "flag --%.*s: unknown (see --help)\n", (int)nl, arg);
			r = -EINVAL;
			continue;
		}
		if (eq) {
			v = eq + 1;
		} else if (o->type != CFG_BOOL) {
			if (a + 1 >= argc) {
				buf_printf(&errs, "flag --%s: needs a value\n", o->name);
				r = -EINVAL;
				continue;
			}
			v = argv[++a];
		}
		if (set_value(o, v, "flag", &errs) < 0)
			r = -EINVAL;
	}
	if (err && errlen) {
		snprintf(err, errlen, "%s", errs.data ? errs.data : "");
		if (err[0] && err[strlen(err) - 1] == '\n')
			err[strlen(err) - 1] = '\0';
	}
	buf_free(&errs);
	if (r < 0)
		cfg_free(opts, n);
	return r;
}

void cfg_log(const struct cfg_opt *opts, size_t n)
{
	struct buf line;

	buf_init(&line, 3000);
	for (size_t i = 0; i < n; i++) {
		const struct cfg_opt *o = &opts[i];
		char q[256];

		if (i)
			buf_append_str(&line, " ");
		switch (o->type) {
		case CFG_STR: {
			const char *s = *(char **)o->target;

			if (o->secret && s)
				buf_printf(&line, "%s=<redacted>", o->name);
			else
				buf_printf(&line, "%s=%s", o->name,
					   s ? log_quote(s, q, sizeof(q)) : "\"\"");
			break;
		}
		case CFG_INT:
			buf_printf(&line, "%s=%ld", o->name, *(long *)o->target);
			break;
		case CFG_BOOL:
			buf_printf(&line, "%s=%s", o->name, *(bool *)o->target ? "true" : "false");
			break;
		}
	}
	LOG_INFOF("config", "%s", line.data ? line.data : "");
	buf_free(&line);
}

void cfg_free(const struct cfg_opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (opts[i].type == CFG_STR) {
			char **t = opts[i].target;

			free(*t);
			*t = NULL;
		}
	}
}
