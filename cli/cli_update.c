#include "cli/cli_update.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_json.h"
#include "cli/cli_select.h"
#include "lib/buf.h"

#define MSG_LEN	     512
#define DIFF_MAX     4096
#define LIST_NAMES   20 /* names listed in the closing error line, then "and N more" */
#define LIST_MAX_LEN 4096

/* ---- the plan (pure) -------------------------------------------------------------------- */

/* Whether the int-or-string v already holds the number want (unset counts as 0, as the
 * controller reads it). */
static bool intstr_equals(const cJSON *v, long want)
{
	char *end;
	long got;

	if (!v || cJSON_IsNull(v))
		return want == 0;
	if (cJSON_IsNumber(v))
		return v->valuedouble == (double)want;
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return false;
	errno = 0;
	got = strtol(v->valuestring, &end, 10);
	return errno == 0 && *end == '\0' && got == want;
}

static int add_diff(struct buf *diff, const char *field, const char *from, const char *to)
{
	return buf_printf(diff, "%s%s %s -> %s", diff->len ? ", " : "", field, from, to);
}

int cli_plan_gs(const struct cli_setters *set, const cJSON *gs, struct cli_plan *p)
{
	const char *rv = cli_jstr(gs, "metadata.resourceVersion");
	cJSON *patch = NULL, *meta, *spec;
	struct buf diff;
	char old[64], now[32];
	int r = -ENOMEM;

	memset(p, 0, sizeof(*p));
	buf_init(&diff, DIFF_MAX);
	if (!cli_jstr(gs, "metadata.name"))
		return -EINVAL;
	patch = cJSON_CreateObject();
	meta = cJSON_AddObjectToObject(patch, "metadata");
	spec = cJSON_AddObjectToObject(patch, "spec");
	if (!patch || !meta || !spec)
		goto out;
	/* The precondition: the API server answers 409 if the GameServer changed since read. */
	if (rv && !cJSON_AddStringToObject(meta, "resourceVersion", rv))
		goto out;
	if (set->ops_state) {
		const char *cur = cli_gs_ops_state(gs);

		if (strcmp(cur, set->ops_state) != 0) {
			if (!cJSON_AddStringToObject(spec, "opsState", set->ops_state) ||
			    add_diff(&diff, "opsState", cur, set->ops_state) < 0)
				goto out;
		}
	}
	if (set->has_deletion_priority) {
		const cJSON *v = cli_jget(gs, "spec.deletionPriority");

		if (!intstr_equals(v, set->deletion_priority)) {
			cli_jintstr(v, old, sizeof(old), "0");
			snprintf(now, sizeof(now), "%ld", set->deletion_priority);
			if (!cJSON_AddNumberToObject(spec, "deletionPriority",
						     (double)set->deletion_priority) ||
			    add_diff(&diff, "deletionPriority", old, now) < 0)
				goto out;
		}
	}
	if (set->has_update_priority) {
		const cJSON *v = cli_jget(gs, "spec.updatePriority");

		if (!intstr_equals(v, set->update_priority)) {
			cli_jintstr(v, old, sizeof(old), "0");
			snprintf(now, sizeof(now), "%ld", set->update_priority);
			if (!cJSON_AddNumberToObject(spec, "updatePriority",
						     (double)set->update_priority) ||
			    add_diff(&diff, "updatePriority", old, now) < 0)
				goto out;
		}
	}
	if (set->network_disabled >= 0) {
		bool cur = cJSON_IsTrue(cli_jget(gs, "spec.networkDisabled"));
		bool want = set->network_disabled == 1;

		if (cur != want) {
			if (!cJSON_AddBoolToObject(spec, "networkDisabled", want) ||
			    add_diff(&diff, "networkDisabled", cur ? "true" : "false",
				     want ? "true" : "false") < 0)
				goto out;
		}
	}
	r = 0;
	if (!spec->child)
		goto out; /* nothing differs */
	p->patch = cJSON_PrintUnformatted(patch);
	p->diff = buf_steal(&diff);
	if (!p->patch || !p->diff) {
		cli_plan_free(p);
		r = -ENOMEM;
	}
out:
	cJSON_Delete(patch);
	buf_free(&diff);
	return r;
}

void cli_plan_free(struct cli_plan *p)
{
	if (!p)
		return;
	if (p->patch)
		cJSON_free(p->patch);
	free(p->diff);
	p->patch = NULL;
	p->diff = NULL;
}

/* ---- the run ---------------------------------------------------------------------------- */

enum outcome { O_UPDATED, O_UNCHANGED, O_SKIPPED, O_FAILED };

struct result {
	enum outcome o;
	char msg[MSG_LEN]; /* O_SKIPPED / O_FAILED: why */
};

/* An error that is not about one GameServer: the rest would fail the same way. */
static bool global_error(int r)
{
	return r == KUBE_ENET || r == KUBE_ETIMEDOUT || r == KUBE_EAUTH || r == KUBE_EFORBIDDEN ||
	       r == KUBE_ETHROTTLED || r == KUBE_ESERVER || r == KUBE_ECANCELED || r == KUBE_ENOMEM;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the GameServer (and its pod when the selectors need it) again after a conflict.
 * *gs is replaced (owned by the caller through *owned_gs). Returns 0, or an enum kube_err. */
static int reread(const struct cli_opts *o, const struct cli_api *api, const char *ns,
		  const struct cli_server *s, cJSON **owned_gs, cJSON **owned_pod, char *msg,
		  size_t msglen)
{
	char path[1024];
	cJSON *gs = NULL, *pod = NULL;
	int r;

	if (cli_path(path, sizeof(path), ns, "gameservers", s->name) < 0)
		return KUBE_EBADREQ;
	r = api->get(api->ud, path, &gs, msg, msglen);
	if (r < 0)
		return r;
	if (cli_select_needs_pods(&o->sel)) {
		if (cli_path(path, sizeof(path), ns, "pods", s->name) < 0) {
			cJSON_Delete(gs);
			return KUBE_EBADREQ;
		}
		r = api->get(api->ud, path, &pod, msg, msglen);
		if (r == KUBE_ENOTFOUND) {
			pod = NULL;
		} else if (r < 0) {
			cJSON_Delete(gs);
			return r;
		}
	}
	cJSON_Delete(*owned_gs);
	cJSON_Delete(*owned_pod);
	*owned_gs = gs;
	*owned_pod = pod;
	return 0;
}

/* Plans and writes one GameServer, re-reading it on conflicts. Returns 0 or, for an error
 * that would fail the rest too, that enum kube_err (res says what happened either way). */
static int update_one(const struct cli_opts *o, const struct cli_api *api, const char *ns,
		      const struct cli_server *s, struct result *res, FILE *out)
{
	const cJSON *gs = s->gs, *pod = s->pod;
	cJSON *own_gs = NULL, *own_pod = NULL; /* owned: the copies read after a conflict */
	char path[1024], why[256];
	int r = 0;

	res->o = O_FAILED;
	res->msg[0] = '\0';
	if (cli_path(path, sizeof(path), ns, "gameservers", s->name) < 0) {
		snprintf(res->msg, sizeof(res->msg), "name too long");
		return 0;
	}
	for (long attempt = 0;; attempt++) {
		struct cli_plan plan;

		r = cli_plan_gs(&o->set, gs, &plan);
		if (r < 0) {
			snprintf(res->msg, sizeof(res->msg), "%s",
				 r == -ENOMEM ? "out of memory" : "not a GameServer");
			r = r == -ENOMEM ? KUBE_ENOMEM : 0;
			break;
		}
		if (!plan.patch) {
			res->o = O_UNCHANGED;
			break;
		}
		if (o->dry_run) {
			fprintf(out, "%s: %s\n", s->name, plan.diff);
			cli_plan_free(&plan);
			res->o = O_UPDATED;
			break;
		}
		r = api->patch(api->ud, path, plan.patch, NULL, res->msg, sizeof(res->msg));
		if (r == 0) {
			fprintf(out, "%s: %s\n", s->name, plan.diff);
			cli_plan_free(&plan);
			res->o = O_UPDATED;
			break;
		}
		cli_plan_free(&plan);
		if (r == KUBE_ENOTFOUND) {
			res->o = O_SKIPPED;
			snprintf(res->msg, sizeof(res->msg), "deleted meanwhile");
			r = 0;
			break;
		}
		if (r != KUBE_ECONFLICT)
			break;
		if (attempt >= o->max_retries) {
			snprintf(res->msg, sizeof(res->msg),
				 "it kept changing: conflict after %ld retries (--max-retries)",
				 o->max_retries);
			r = 0;
			break;
		}
		/* Someone else wrote it: read it again and decide again. */
		r = reread(o, api, ns, s, &own_gs, &own_pod, res->msg, sizeof(res->msg));
		if (r == KUBE_ENOTFOUND) {
			res->o = O_SKIPPED;
			snprintf(res->msg, sizeof(res->msg), "deleted meanwhile");
			r = 0;
			break;
		}
		if (r < 0)
			break;
		gs = own_gs;
		pod = own_pod;
		if (!cli_select_match(&o->sel, s->set, gs, pod, why, sizeof(why))) {
			res->o = O_SKIPPED;
			snprintf(res->msg, sizeof(res->msg), "no longer matches (%s)", why);
			break;
		}
	}
	if (res->o == O_SKIPPED)
		fprintf(out, "%s: skipped: %s\n", s->name, res->msg);
	else if (res->o == O_FAILED)
		fprintf(out, "%s: not updated: %s\n", s->name, res->msg);
	cJSON_Delete(own_gs);
	cJSON_Delete(own_pod);
	return global_error(r) ? r : 0;
}

/* Appends the names of servers with outcome o (or, with not, every other failed-or-unchanged
 * kind) to b: "a, b, c and 4 more". */
static void list_names(struct buf *b, const struct cli_server *sv, const size_t *idx,
		       const struct result *res, size_t n, enum outcome o)
{
	size_t shown = 0, total = 0;

	for (size_t i = 0; i < n; i++) {
		if (res[i].o != o)
			continue;
		total++;
		if (shown < LIST_NAMES) {
			buf_printf(b, "%s%s", shown ? ", " : "", sv[idx[i]].name);
			shown++;
		}
	}
	if (total > shown)
		buf_printf(b, " and %zu more", total - shown);
}

static void print_summary(const struct cli_opts *o, const struct cli_data *d, size_t selected,
			  const size_t *count, FILE *out)
{
	char in_set[64];

	if (d->n_sets > 1)
		snprintf(in_set, sizeof(in_set), "%zu in %zu sets", d->n, d->n_sets);
	else
		snprintf(in_set, sizeof(in_set), "%zu in set", d->n);
	if (o->dry_run)
		fprintf(out,
			"dry run: would update %zu of %zu selected GameServers (%s); nothing "
			"written",
			count[O_UPDATED], selected, in_set);
	else
		fprintf(out, "updated %zu of %zu selected GameServers (%s); %zu failed",
			count[O_UPDATED], selected, in_set, count[O_FAILED]);
	if (count[O_UNCHANGED])
		fprintf(out, "; %zu already set", count[O_UNCHANGED]);
	if (count[O_SKIPPED])
		fprintf(out, "; %zu skipped", count[O_SKIPPED]);
	fputc('\n', out);
}

static const char *set_label(const struct cli_opts *o, const char *ns, char *buf, size_t len)
{
	if (o->all_sets)
		snprintf(buf, len, "the GameServerSets of namespace %s", ns);
	else if (o->n_sets == 1)
		snprintf(buf, len, "%s/%s", ns, o->sets[0]);
	else
		snprintf(buf, len, "the %zu GameServerSets named in namespace %s", o->n_sets, ns);
	return buf;
}

int cli_update_run(const struct cli_opts *o, const struct cli_api *api, const char *ns, FILE *out,
		   FILE *err)
{
	struct cli_data d;
	struct result *res = NULL;
	size_t *idx = NULL, selected = 0, count[4] = {0};
	char msg[MSG_LEN], label[300];
	double deadline = now_s() + (double)o->timeout_s;
	int stop = 0, rc, r;

	r = cli_fetch(api, ns, o->all_sets ? CLI_SCOPE_ALL : CLI_SCOPE_NAMED, o->sets, o->n_sets,
		      cli_select_needs_pods(&o->sel), &d, msg, sizeof(msg));
	if (r == KUBE_ENOTFOUND) {
		fprintf(err, "%s: %s\n", o->prog, msg);
		return CLI_EXIT_NOSET;
	}
	if (r < 0) {
		fprintf(err, "%s: %s\n", o->prog, msg);
		return r == KUBE_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_API;
	}
	idx = calloc(d.n ? d.n : 1, sizeof(*idx));
	res = calloc(d.n ? d.n : 1, sizeof(*res));
	if (!idx || !res) {
		fprintf(err, "%s: out of memory\n", o->prog);
		rc = CLI_EXIT_INTERNAL;
		goto out;
	}
	for (size_t i = 0; i < d.n; i++)
		if (cli_select_match(&o->sel, d.servers[i].set, d.servers[i].gs, d.servers[i].pod,
				     NULL, 0))
			idx[selected++] = i;
	if (selected == 0) {
		print_summary(o, &d, 0, count, out);
		if (o->allow_empty) {
			rc = CLI_EXIT_OK;
			goto out;
		}
		fprintf(err,
			"%s: no GameServer of %s matches the selectors (%zu in set%s); "
			"nothing to do (--allow-empty makes this a success)\n",
			o->prog, set_label(o, ns, label, sizeof(label)), d.n,
			d.n_sets > 1 ? "s" : "");
		rc = CLI_EXIT_EMPTY;
		goto out;
	}
	for (size_t i = 0; i < selected; i++) {
		const struct cli_server *s = &d.servers[idx[i]];

		if (stop || now_s() > deadline) {
			res[i].o = O_FAILED;
			snprintf(res[i].msg, sizeof(res[i].msg), "not attempted (%s)",
				 stop ? "stopped after an API error" : "--timeout reached");
			fprintf(out, "%s: not updated: %s\n", s->name, res[i].msg);
		} else if (update_one(o, api, ns, s, &res[i], out) < 0) {
			stop = 1;
		}
		count[res[i].o]++;
	}
	print_summary(o, &d, selected, count, out);
	if (count[O_FAILED] == 0) {
		rc = CLI_EXIT_OK;
	} else if (count[O_UPDATED] == 0) {
		size_t first = 0;

		while (first < selected && res[first].o != O_FAILED)
			first++;
		fprintf(err, "%s: nothing updated: %s: %s", o->prog, d.servers[idx[first]].name,
			res[first].msg);
		if (count[O_FAILED] > 1)
			fprintf(err, " (and %zu more not updated)", count[O_FAILED] - 1);
		fputc('\n', err);
		rc = CLI_EXIT_API;
	} else {
		struct buf b;

		buf_init(&b, LIST_MAX_LEN);
		buf_append_str(&b, "partial failure: updated ");
		list_names(&b, d.servers, idx, res, selected, O_UPDATED);
		buf_append_str(&b, "; not updated ");
		list_names(&b, d.servers, idx, res, selected, O_FAILED);
		fprintf(err, "%s: %s\n", o->prog, b.data ? b.data : "partial failure");
		buf_free(&b);
		rc = CLI_EXIT_PARTIAL;
	}
out:
	free(idx);
	free(res);
	cli_data_free(&d);
	return rc;
}
