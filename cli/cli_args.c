#include "cli/cli_args.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_kube.h"
#include "cli/cli_select.h"

enum flag_id {
	F_NAMESPACE,
	F_KUBECONFIG,
	F_GSS,
	F_ALL_SETS,
	F_SEL_OPS,
	F_SEL_IMAGE,
	F_SEL_NOT_IMAGE,
	F_SEL_LABELS,
	F_SEL_ORDINALS,
	F_SEL_ND,
	F_IMAGE_SOURCE,
	F_SET_OPS,
	F_SET_DP,
	F_SET_UP,
	F_SET_ND,
	F_DRY_RUN,
	F_ALLOW_EMPTY,
	F_MAX_RETRIES,
	F_TIMEOUT,
	F_OUTPUT,
	F_LOG_LEVEL,
	F_HELP,
	F_COUNT
};

/* Which commands take a flag. */
#define C_GS	 1u
#define C_GSS	 2u
#define C_UPDATE 4u
#define C_ANY	 7u

struct flag_def {
	const char *name; /* long name without dashes */
	char short_name;  /* or 0 */
	enum flag_id id;
	bool value; /* takes a value (else boolean: --x, --x=true|false) */
	bool list;  /* may be given more than once (values accumulate) */
	unsigned cmds;
};

/* Aliases (second names) are GameServers-Updater's flags and kubectl's habits. */
static const struct flag_def flags[] = {
    {"namespace", 'n', F_NAMESPACE, true, false, C_ANY},
    {"kubeconfig", 0, F_KUBECONFIG, true, false, C_ANY},
    {"gss", 0, F_GSS, true, true, C_ANY},
    {"gss-name", 0, F_GSS, true, true, C_ANY},
    {"all-sets", 0, F_ALL_SETS, false, false, C_UPDATE | C_GS},
    {"select-opsState", 0, F_SEL_OPS, true, true, C_UPDATE | C_GS},
    {"select-image", 0, F_SEL_IMAGE, true, true, C_UPDATE | C_GS},
    {"select-container-image", 0, F_SEL_IMAGE, true, true, C_UPDATE | C_GS},
    {"select-not-image", 0, F_SEL_NOT_IMAGE, true, true, C_UPDATE | C_GS},
    {"select-not-container-image", 0, F_SEL_NOT_IMAGE, true, true, C_UPDATE | C_GS},
    {"select-labels", 'l', F_SEL_LABELS, true, true, C_UPDATE | C_GS},
    {"selector", 0, F_SEL_LABELS, true, true, C_UPDATE | C_GS},
    {"select-ordinals", 0, F_SEL_ORDINALS, true, true, C_UPDATE | C_GS},
    {"select-ids", 0, F_SEL_ORDINALS, true, true, C_UPDATE | C_GS},
    {"select-networkDisabled", 0, F_SEL_ND, true, false, C_UPDATE | C_GS},
    {"image-source", 0, F_IMAGE_SOURCE, true, false, C_UPDATE | C_GS},
    {"set-opsState", 0, F_SET_OPS, true, false, C_UPDATE},
    {"exp-opsState", 0, F_SET_OPS, true, false, C_UPDATE},
    {"set-deletionPriority", 0, F_SET_DP, true, false, C_UPDATE},
    {"exp-deletionPriority", 0, F_SET_DP, true, false, C_UPDATE},
    {"set-updatePriority", 0, F_SET_UP, true, false, C_UPDATE},
    {"exp-updatePriority", 0, F_SET_UP, true, false, C_UPDATE},
    {"set-networkDisabled", 0, F_SET_ND, true, false, C_UPDATE},
    {"exp-networkDisabled", 0, F_SET_ND, true, false, C_UPDATE},
    {"dry-run", 0, F_DRY_RUN, false, false, C_UPDATE},
    {"allow-empty", 0, F_ALLOW_EMPTY, false, false, C_UPDATE},
    {"max-retries", 0, F_MAX_RETRIES, true, false, C_UPDATE},
    {"timeout", 0, F_TIMEOUT, true, false, C_ANY},
    {"output", 'o', F_OUTPUT, true, false, C_GS | C_GSS},
    {"log-level", 0, F_LOG_LEVEL, true, false, C_ANY},
    {"help", 'h', F_HELP, false, false, C_ANY},
};
#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

#define MAX_ARGS 1024

struct given {
	const struct flag_def *def;
	char shown[80]; /* the flag as typed, without its value: "--exp-opsState", "-n" */
	const char *value;
};

void cli_opts_init(struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sel.network_disabled = -1;
	o->set.network_disabled = -1;
	o->max_retries = CLI_DEFAULT_MAX_RETRIES;
	o->timeout_s = CLI_DEFAULT_TIMEOUT_S;
	o->prog = "okg";
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void cli_opts_free(struct cli_opts *o)
{
	if (!o)
		return;
	free(o->namespace);
	free(o->kubeconfig);
	free_strv(o->sets, o->n_sets);
	free_strv(o->names, o->n_names);
	cli_select_free(&o->sel);
	free(o->set.ops_state);
	free(o->log_level);
	cli_opts_init(o);
}

static const struct flag_def *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < N_FLAGS; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

static const struct flag_def *find_short(char c)
{
	for (size_t i = 0; i < N_FLAGS; i++)
		if (flags[i].short_name && flags[i].short_name == c)
			return &flags[i];
	return NULL;
}

static int set_str(char **dst, const char *v, const char *shown, char *err, size_t errlen)
{
	if (!v[0]) {
		snprintf(err, errlen, "%s: needs a value", shown);
		return -EINVAL;
	}
	free(*dst);
	*dst = strdup(v);
	if (!*dst) {
		snprintf(err, errlen, "%s: out of memory", shown);
		return -ENOMEM;
	}
	return 0;
}

static int parse_range(const char *shown, const char *v, long lo, long hi, long *out, char *err,
		       size_t errlen)
{
	if (cli_parse_int32(shown, v, out, err, errlen) < 0)
		return -EINVAL;
	if (*out < lo || *out > hi) {
		snprintf(err, errlen, "%s: %ld is out of range [%ld..%ld]", shown, *out, lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int apply(struct cli_opts *o, const struct given *g, char *err, size_t errlen)
{
	const char *v = g->value, *f = g->shown;
	struct cli_select *s = &o->sel;
	bool b = true;
	int r = 0;

	if (!g->def->value && v && cli_parse_bool(f, v, &b, err, errlen) < 0)
		return -EINVAL;
	switch (g->def->id) {
	case F_NAMESPACE:
		r = set_str(&o->namespace, v, f, err, errlen);
		break;
	case F_KUBECONFIG:
		r = set_str(&o->kubeconfig, v, f, err, errlen);
		break;
	case F_GSS:
		r = cli_parse_words(f, v, &o->sets, &o->n_sets, err, errlen);
		break;
	case F_ALL_SETS:
		o->all_sets = b;
		break;
	case F_SEL_OPS:
		r = cli_parse_words(f, v, &s->ops_states, &s->n_ops_states, err, errlen);
		break;
	case F_SEL_IMAGE:
		r = cli_parse_images(f, v, &s->images, &s->n_images, err, errlen);
		break;
	case F_SEL_NOT_IMAGE:
		r = cli_parse_images(f, v, &s->not_images, &s->n_not_images, err, errlen);
		break;
	case F_SEL_LABELS:
		r = cli_parse_labels(f, v, &s->labels, &s->n_labels, err, errlen);
		break;
	case F_SEL_ORDINALS:
		r = cli_parse_ordinals(f, v, &s->ordinals, err, errlen);
		s->has_ordinals = true;
		break;
	case F_SEL_ND:
		r = cli_parse_bool(f, v, &b, err, errlen);
		s->network_disabled = b;
		break;
	case F_IMAGE_SOURCE:
		if (strcmp(v, "spec") == 0) {
			s->image_source = CLI_IMAGE_SPEC;
		} else if (strcmp(v, "status") == 0) {
			s->image_source = CLI_IMAGE_STATUS;
		} else {
			snprintf(err, errlen, "%s: \"%s\" is not spec or status", f, v);
			r = -EINVAL;
		}
		break;
	case F_SET_OPS:
		r = cli_parse_ops_state(f, v, &o->set.ops_state, err, errlen);
		break;
	case F_SET_DP:
		r = cli_parse_int32(f, v, &o->set.deletion_priority, err, errlen);
		o->set.has_deletion_priority = true;
		break;
	case F_SET_UP:
		r = cli_parse_int32(f, v, &o->set.update_priority, err, errlen);
		o->set.has_update_priority = true;
		break;
	case F_SET_ND:
		r = cli_parse_bool(f, v, &b, err, errlen);
		o->set.network_disabled = b;
		break;
	case F_DRY_RUN:
		o->dry_run = b;
		break;
	case F_ALLOW_EMPTY:
		o->allow_empty = b;
		break;
	case F_MAX_RETRIES:
		r = parse_range(f, v, 0, 100, &o->max_retries, err, errlen);
		break;
	case F_TIMEOUT:
		r = parse_range(f, v, 1, 86400, &o->timeout_s, err, errlen);
		break;
	case F_OUTPUT:
		if (strcmp(v, "table") == 0 || strcmp(v, "wide") == 0) {
			o->output = CLI_OUT_TABLE;
		} else if (strcmp(v, "json") == 0) {
			o->output = CLI_OUT_JSON;
		} else {
			snprintf(err, errlen, "%s: \"%s\" is not table or json", f, v);
			r = -EINVAL;
		}
		break;
	case F_LOG_LEVEL:
		r = set_str(&o->log_level, v, f, err, errlen);
		break;
	case F_HELP:
	case F_COUNT:
		break;
	}
	return r < 0 ? -EINVAL : 0;
}

static bool is_kind(const char *s, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(s, *names) == 0)
			return true;
	return false;
}

static const char *const gs_kinds[] = {"gs", "gameserver", "gameservers",
				       "gameservers.game.kruise.io", NULL};
static const char *const gss_kinds[] = {"gss", "gameserverset", "gameserversets",
					"gameserversets.game.kruise.io", NULL};

/* The command from the positional arguments; names of `get` are copied into o->names. */
static int parse_command(struct cli_opts *o, char **pos, size_t npos, char *err, size_t errlen)
{
	size_t first_name = 0;

	if (npos == 0) {
		snprintf(err, errlen, "no command given: get, update or version (see %s --help)",
			 o->prog);
		return -EINVAL;
	}
	if (strcmp(pos[0], "help") == 0) {
		o->cmd = CLI_CMD_HELP;
		return 0;
	}
	if (strcmp(pos[0], "version") == 0) {
		o->cmd = CLI_CMD_VERSION;
		first_name = 1;
	} else if (strcmp(pos[0], "get") == 0) {
		if (npos < 2) {
			snprintf(err, errlen, "get: which kind? gs or gss");
			return -EINVAL;
		}
		if (is_kind(pos[1], gs_kinds)) {
			o->cmd = CLI_CMD_GET_GS;
		} else if (is_kind(pos[1], gss_kinds)) {
			o->cmd = CLI_CMD_GET_GSS;
		} else {
			snprintf(err, errlen, "get: unknown kind \"%s\" (gs or gss)", pos[1]);
			return -EINVAL;
		}
		for (size_t i = 2; i < npos; i++) {
			char **p = realloc(o->names, (o->n_names + 1) * sizeof(*p));

			if (!p || !(p[o->n_names] = strdup(pos[i]))) {
				if (p)
					o->names = p;
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			o->names = p;
			o->n_names++;
		}
		return 0;
	} else if (strcmp(pos[0], "update") == 0) {
		o->cmd = CLI_CMD_UPDATE;
		first_name = 1;
		if (npos > 1 && is_kind(pos[1], gs_kinds))
			first_name = 2;
	} else {
		snprintf(err, errlen, "unknown command \"%s\" (get, update, version)", pos[0]);
		return -EINVAL;
	}
	if (npos > first_name) {
		snprintf(err, errlen, "%s: unexpected argument \"%s\"", pos[0], pos[first_name]);
		return -EINVAL;
	}
	return 0;
}

static unsigned cmd_mask(enum cli_cmd c)
{
	switch (c) {
	case CLI_CMD_GET_GS:
		return C_GS;
	case CLI_CMD_GET_GSS:
		return C_GSS;
	case CLI_CMD_UPDATE:
		return C_UPDATE;
	default:
		return C_ANY;
	}
}

static const char *cmd_name(enum cli_cmd c)
{
	switch (c) {
	case CLI_CMD_GET_GS:
		return "get gs";
	case CLI_CMD_GET_GSS:
		return "get gss";
	case CLI_CMD_UPDATE:
		return "update";
	default:
		return "this command";
	}
}

/* Splits one flag argument; *consumed_next when its value was the next argument. */
static int split_flag(int argc, char **argv, int i, struct given *g, bool *consumed_next, char *err,
		      size_t errlen)
{
	const char *a = argv[i], *name, *eq;
	size_t nlen;

	*consumed_next = false;
	g->def = NULL;
	g->value = NULL;
	name = a[1] == '-' ? a + 2 : a + 1;
	eq = strchr(name, '=');
	nlen = eq ? (size_t)(eq - name) : strlen(name);
	if (a[1] == '-' || nlen > 1)
		g->def = find_long(name, nlen);
	if (g->def) {
		snprintf(g->shown, sizeof(g->shown), "%s%.*s", a[1] == '-' ? "--" : "-", (int)nlen,
			 name);
		g->value = eq ? eq + 1 : NULL;
	} else if (a[1] != '-') {
		/* A short flag: -n NS, -nNS, -n=NS. */
		g->def = find_short(a[1]);
		snprintf(g->shown, sizeof(g->shown), "-%c", a[1]);
		if (g->def && a[2])
			g->value = a[2] == '=' ? a + 3 : a + 2;
	}
	if (!g->def) {
		snprintf(err, errlen, "%s%.*s: unknown flag", a[1] == '-' ? "--" : "-", (int)nlen,
			 name);
		return -EINVAL;
	}
	if (g->def->value && !g->value) {
		if (i + 1 >= argc) {
			snprintf(err, errlen, "%s: needs a value", g->shown);
			return -EINVAL;
		}
		g->value = argv[i + 1];
		*consumed_next = true;
	}
	return 0;
}

int cli_parse_args(int argc, char **argv, const char *prog, struct cli_opts *o, char *err,
		   size_t errlen)
{
	struct given *given = NULL;
	char **pos = NULL;
	size_t ngiven = 0, npos = 0;
	bool help = false, dashdash = false;
	const char *seen[F_COUNT] = {0};
	int rc = CLI_EXIT_USAGE;

	cli_opts_init(o);
	o->prog = prog ? prog : "okg";
	if (errlen)
		err[0] = '\0';
	if (argc > MAX_ARGS) {
		snprintf(err, errlen, "more than %d arguments", MAX_ARGS);
		return CLI_EXIT_USAGE;
	}
	given = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*given));
	pos = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*pos));
	if (!given || !pos) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool next;

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			pos[npos++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (split_flag(argc, argv, i, &given[ngiven], &next, err, errlen) < 0)
			goto out;
		if (given[ngiven].def->id == F_HELP)
			help = true;
		ngiven++;
		if (next)
			i++;
	}
	if (help) {
		/* --help wins over everything else; the command (if any) picks the text. */
		if (parse_command(o, pos, npos, err, errlen) < 0 || o->cmd == CLI_CMD_HELP)
			o->cmd = CLI_CMD_NONE;
		if (errlen)
			err[0] = '\0';
		o->help = true;
		rc = 0;
		goto out;
	}
	if (parse_command(o, pos, npos, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < ngiven; i++) {
		const struct given *g = &given[i];
		enum flag_id id = g->def->id;

		if (!(g->def->cmds & cmd_mask(o->cmd))) {
			snprintf(err, errlen, "%s: not a flag of %s %s", g->shown, o->prog,
				 cmd_name(o->cmd));
			goto out;
		}
		if (!g->def->list && seen[id]) {
			if (strcmp(seen[id], g->shown) == 0)
				snprintf(err, errlen, "%s: given more than once", g->shown);
			else
				snprintf(err, errlen, "%s: given more than once (also as %s)",
					 g->shown, seen[id]);
			goto out;
		}
		seen[id] = g->shown;
		if (apply(o, g, err, errlen) < 0)
			goto out;
	}
	if (o->cmd == CLI_CMD_UPDATE) {
		if (o->all_sets && o->n_sets) {
			snprintf(err, errlen, "--all-sets: excludes %s", seen[F_GSS]);
			goto out;
		}
		if (!o->all_sets && !o->n_sets) {
			snprintf(err, errlen,
				 "update: --gss NAME is required (or --all-sets for every "
				 "GameServerSet of the namespace)");
			goto out;
		}
		if (!o->set.ops_state && !o->set.has_deletion_priority &&
		    !o->set.has_update_priority && o->set.network_disabled < 0) {
			snprintf(err, errlen,
				 "update: nothing to set: give --set-opsState, "
				 "--set-deletionPriority, --set-updatePriority or "
				 "--set-networkDisabled");
			goto out;
		}
	}
	for (size_t i = 0; i < o->n_sets; i++)
		if (!cli_valid_name(o->sets[i])) {
			snprintf(err, errlen, "%s: \"%s\" is not a valid GameServerSet name",
				 seen[F_GSS], o->sets[i]);
			goto out;
		}
	for (size_t i = 0; i < o->n_names; i++)
		if (!cli_valid_name(o->names[i])) {
			snprintf(err, errlen, "get: \"%s\" is not a valid name", o->names[i]);
			goto out;
		}
	if (o->namespace && !cli_valid_name(o->namespace)) {
		snprintf(err, errlen, "%s: \"%s\" is not a valid namespace", seen[F_NAMESPACE],
			 o->namespace);
		goto out;
	}
	if (o->cmd == CLI_CMD_GET_GS && o->all_sets && o->n_sets) {
		snprintf(err, errlen, "--all-sets: excludes %s", seen[F_GSS]);
		goto out;
	}
	rc = 0;
	goto out;
out:
	free(given);
	free(pos);
	return rc;
}

void cli_usage(FILE *f, const char *prog, enum cli_cmd cmd)
{
	if (cmd == CLI_CMD_GET_GS || cmd == CLI_CMD_GET_GSS || cmd == CLI_CMD_NONE ||
	    cmd == CLI_CMD_HELP || cmd == CLI_CMD_VERSION)
		fprintf(f,
			"usage: %s get gs  [NAME...] [-n NS] [--gss SET[,SET]] [selectors] "
			"[-o table|json]\n"
			"       %s get gss [NAME...] [-n NS] [-o table|json]\n",
			prog, prog);
	if (cmd != CLI_CMD_GET_GS && cmd != CLI_CMD_GET_GSS)
		fprintf(f,
			"       %s update  [-n NS] --gss SET[,SET] | --all-sets  [selectors] "
			"setters\n"
			"                  [--dry-run] [--max-retries N] [--allow-empty] "
			"[--timeout S]\n"
			"       %s version\n",
			prog, prog);
	fprintf(
	    f, "\n"
	       "get gs: a set's GameServers as NAME STATE OPSSTATE DP UP IMAGE(S) PROBES\n"
	       "  (spec opsState and priorities, the pod's container images, and\n"
	       "  status.serviceQualitiesConditions as name=status/result).\n"
	       "get gss: DESIRED CURRENT UPDATED READY MAINTAINING WAITTOBEDELETED STRATEGY "
	       "IMAGE(S).\n"
	       "update: JSON merge patches on each selected GameServer's spec, with its\n"
	       "  resourceVersion as precondition; on a conflict the GameServer is read again,\n"
	       "  the selectors are checked again and the patch retried (--max-retries, default "
	       "5).\n"
	       "\n"
	       "selectors (all given must hold; the same flags filter `get gs`):\n"
	       "  --select-opsState=S[,S]         spec.opsState (None when unset) is one of S\n"
	       "  --select-image=C/IMAGE[,...]    container C of the pod runs IMAGE (each entry)\n"
	       "  --select-not-image=C/IMAGE[,...] container C does not run IMAGE (each entry;\n"
	       "                                  a pod without container C does not run it)\n"
	       "  --select-labels=k=v,k!=v,k,!k   GameServer labels (also -l, --selector)\n"
	       "  --select-ordinals=0,2,5-7       ordinals of the set (also --select-ids)\n"
	       "  --select-networkDisabled=B      spec.networkDisabled (false when unset) is B\n"
	       "  --image-source=spec|status      the image compared: the pod's spec.containers\n"
	       "                                  (default: the version the server was started\n"
	       "                                  with, as the release check reads it) or\n"
	       "                                  status.containerStatuses (what runs now)\n"
	       "  A GameServer without a pod matches no image selector.\n"
	       "setters: --set-opsState=None|WaitToBeDeleted|Maintaining|Allocated|Kill,\n"
	       "  --set-deletionPriority=N, --set-updatePriority=N, "
	       "--set-networkDisabled=true|false\n"
	       "GameServers-Updater flags work as aliases: --gss-name, --namespace, --select-ids,\n"
	       "  --select-container-image, --select-not-container-image, --exp-opsState,\n"
	       "  --exp-deletionPriority, --exp-updatePriority, --exp-networkDisabled, "
	       "--timeout.\n"
	       "common: -n/--namespace (default: the kubeconfig's), --kubeconfig FILE (else\n"
	       "  $KUBECONFIG, in-cluster, ~/.kube/config), --timeout S (whole command, default\n"
	       "  300), --log-level debug|info|warn|error (default error).\n"
	       "\n"
	       "exit codes: 0 ok, 2 bad flag or value, 3 GameServerSet not found, 4 selectors\n"
	       "  matched nothing (unless --allow-empty), 5 API error (nothing changed),\n"
	       "  6 partial failure (some GameServers changed, some not: each is listed).\n");
}
