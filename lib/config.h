/* config: every setting of a program in one table (flag, env var, default, range), read once at
 * start from the environment and then the command line, validated all at once, logged once. */
#ifndef OKG_CONFIG_H
#define OKG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cfg_type { CFG_STR, CFG_INT, CFG_BOOL };

struct cfg_opt {
	const char *name; /* flag without dashes: "kubeconfig" -> --kubeconfig */
	const char *env;  /* environment variable, or NULL */
	enum cfg_type type;
	const char *def; /* default as text, or NULL (string: NULL stays NULL) */
	long min, max;	 /* CFG_INT range, inclusive */
	void *target;	 /* char ** (owned by the caller after parse), long *, or bool * */
	const char *help;
	bool secret; /* never logged */
};

/* Parses env then argv (argv wins). Unknown flags, bad numbers and out-of-range values are all
 * reported in err (one per line). Returns 0, 1 when --help was given (usage printed to out),
 * or -EINVAL. Positional arguments are refused. String targets are new strings the caller
 * frees with cfg_free(). */
int cfg_parse(const struct cfg_opt *opts, size_t n, int argc, char **argv, FILE *out, char *err,
	      size_t errlen);

/* Logs the effective configuration as one line (event "config"). */
void cfg_log(const struct cfg_opt *opts, size_t n);

void cfg_usage(FILE *f, const char *prog, const struct cfg_opt *opts, size_t n);

/* Frees the string targets. */
void cfg_free(const struct cfg_opt *opts, size_t n);

#endif
