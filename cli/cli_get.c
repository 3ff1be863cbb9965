#include "cli/cli_get.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_json.h"
#include "cli/cli_select.h"
#include "controller/objects.h"
#include "lib/buf.h"

#define CELL_MAX 4096 /* longest IMAGE(S) or PROBES cell; longer text ends in "..." */
#define MSG_LEN	 512

static char *finish(struct buf *b, int r)
{
	if (r == -E2BIG) {
		/* Over the cap: keep what fits and mark the cut (the cap grows by the mark). */
		b->max += 4;
		buf_append_str(b, "...");
	} else if (r < 0) {
		buf_free(b);
		return NULL;
	}
	if (!b->data && buf_append_str(b, "-") < 0)
		return NULL;
	return buf_steal(b);
}

char *cli_images_text(const cJSON *containers)
{
	struct buf b;
	const cJSON *c;
	const cJSON *arr = cJSON_IsArray(containers) ? containers : NULL;
	int n = arr ? cJSON_GetArraySize(arr) : 0, r = 0;

	buf_init(&b, CELL_MAX);
	cJSON_ArrayForEach(c, arr)
	{
		const char *name = cli_jstr(c, "name"), *img = cli_jstr(c, "image");

		if (n == 1)
			r = buf_append_str(&b, img ? img : "-");
		else
			r = buf_printf(&b, "%s%s=%s", b.len ? "," : "", name ? name : "?",
				       img ? img : "-");
		if (r < 0)
			break;
	}
	return finish(&b, r);
}

char *cli_probes_text(const cJSON *gs)
{
	const cJSON *arr = cli_jget(gs, "status.serviceQualitiesConditions"), *c;
	struct buf b;
	int r = 0;

	if (!cJSON_IsArray(arr))
		arr = NULL;
	buf_init(&b, CELL_MAX);
	cJSON_ArrayForEach(c, arr)
	{
		const char *name = cli_jstr(c, "name"), *st = cli_jstr(c, "status");
		const char *res = cli_jstr(c, "result");

		if (!name)
			continue;
		r = buf_printf(&b, "%s%s=%s", b.len ? "," : "", name, st && st[0] ? st : "?");
		if (r == 0 && res && res[0])
			r = buf_printf(&b, "/%s", res);
		if (r < 0)
			break;
	}
	return finish(&b, r);
}

static const cJSON *image_list(const cJSON *pod, bool status_images)
{
	return cli_jget(pod, status_images ? "status.containerStatuses" : "spec.containers");
}

int cli_gs_row(struct cli_table *t, const cJSON *gs, const cJSON *pod, bool status_images)
{
	char dp[32], up[32];
	const char *state = cli_jstr(gs, "status.currentState");
	char *images = pod ? cli_images_text(image_list(pod, status_images)) : strdup("-");
	char *probes = cli_probes_text(gs);
	int r = -ENOMEM;

	if (images && probes) {
		const char *cells[] = {
		    cli_jstr(gs, "metadata.name"),
		    state && state[0] ? state : "-",
		    cli_gs_ops_state(gs),
		    cli_jintstr(cli_jget(gs, "spec.deletionPriority"), dp, sizeof(dp), "0"),
		    cli_jintstr(cli_jget(gs, "spec.updatePriority"), up, sizeof(up), "0"),
		    images,
		    probes};

		r = cli_table_add(t, cells);
	}
	free(images);
	free(probes);
	return r;
}

static int add_intstr(cJSON *o, const char *key, const cJSON *v)
{
	char buf[64];
	const char *s = cli_jintstr(v, buf, sizeof(buf), "0");
	char *end;
	long n = strtol(s, &end, 10);

	if (*end == '\0' && s[0])
		return cJSON_AddNumberToObject(o, key, (double)n) ? 0 : -ENOMEM;
	return cJSON_AddStringToObject(o, key, s) ? 0 : -ENOMEM;
}

cJSON *cli_gs_summary(const cJSON *gs, const cJSON *pod, bool status_images)
{
	const char *name = cli_jstr(gs, "metadata.name"),
		   *set = cli_jlabel(gs, OKG_LABEL_OWNER_GSS);
	const char *state = cli_jstr(gs, "status.currentState");
	const cJSON *c, *arr = cli_jget(gs, "status.serviceQualitiesConditions");
	const cJSON *ctrs = pod ? image_list(pod, status_images) : NULL;
	cJSON *o = cJSON_CreateObject(), *images, *probes;

	if (!o)
		return NULL;
	if (!cJSON_IsArray(arr))
		arr = NULL;
	if (!cJSON_IsArray(ctrs))
		ctrs = NULL;
	if (!cJSON_AddStringToObject(o, "name", name ? name : "") ||
	    !cJSON_AddStringToObject(o, "gameServerSet", set ? set : "") ||
	    !cJSON_AddNumberToObject(o, "ordinal", set ? ord_from_name(name, set) : -1) ||
	    !cJSON_AddStringToObject(o, "state", state ? state : "") ||
	    !cJSON_AddStringToObject(o, "opsState", cli_gs_ops_state(gs)) ||
	    add_intstr(o, "deletionPriority", cli_jget(gs, "spec.deletionPriority")) < 0 ||
	    add_intstr(o, "updatePriority", cli_jget(gs, "spec.updatePriority")) < 0 ||
	    !cJSON_AddBoolToObject(o, "networkDisabled",
				   cJSON_IsTrue(cli_jget(gs, "spec.networkDisabled"))) ||
	    !(images = cJSON_AddObjectToObject(o, "images")) ||
	    !(probes = cJSON_AddArrayToObject(o, "probes")))
		goto fail;
	cJSON_ArrayForEach(c, ctrs)
	{
		const char *cn = cli_jstr(c, "name"), *img = cli_jstr(c, "image");

		if (cn && !cJSON_AddStringToObject(images, cn, img ? img : ""))
			goto fail;
	}
	cJSON_ArrayForEach(c, arr)
	{
		const char *pn = cli_jstr(c, "name"), *st = cli_jstr(c, "status");
		const char *res = cli_jstr(c, "result");
		cJSON *p;

		if (!pn)
			continue;
		p = cJSON_CreateObject();
		if (!p || !cJSON_AddStringToObject(p, "name", pn) ||
		    !cJSON_AddStringToObject(p, "status", st ? st : "") ||
		    !cJSON_AddStringToObject(p, "result", res ? res : "") ||
		    !cJSON_AddItemToArray(probes, p)) {
			cJSON_Delete(p);
			goto fail;
		}
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* ---- get gs ----------------------------------------------------------------------------- */

static bool name_wanted(const struct cli_opts *o, const char *name, bool *found)
{
	if (!o->n_names)
		return true;
	for (size_t i = 0; i < o->n_names; i++)
		if (strcmp(o->names[i], name) == 0) {
			found[i] = true;
			return true;
		}
	return false;
}

/* Prints {"items": items}. Takes items (deleted on every path). */
static int print_json(cJSON *items, FILE *out)
{
	cJSON *doc = cJSON_CreateObject();
	char *text;

	if (!doc || !cJSON_AddItemToObject(doc, "items", items)) {
		cJSON_Delete(doc);
		cJSON_Delete(items);
		return -ENOMEM;
	}
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (!text)
		return -ENOMEM;
	fprintf(out, "%s\n", text);
	cJSON_free(text);
	return 0;
}

static int get_gs(const struct cli_opts *o, const struct cli_api *api, const char *ns, FILE *out,
		  FILE *err)
{
	static const char *const header[] = {"NAME", "STATE",	 "OPSSTATE", "DP",
					     "UP",   "IMAGE(S)", "PROBES"};
	enum cli_scope scope = o->n_sets     ? CLI_SCOPE_NAMED
			       : o->all_sets ? CLI_SCOPE_ALL
					     : CLI_SCOPE_NONE;
	bool status_images = o->sel.image_source == CLI_IMAGE_STATUS;
	struct cli_table t = {0};
	struct cli_data d;
	cJSON *items = NULL;
	bool *found = NULL;
	char msg[MSG_LEN];
	size_t rows = 0;
	int r, rc = CLI_EXIT_INTERNAL;

	r = cli_fetch(api, ns, scope, o->sets, o->n_sets, true, &d, msg, sizeof(msg));
	if (r < 0) {
		fprintf(err, "%s: %s\n", o->prog, msg);
		return r == KUBE_ENOTFOUND ? CLI_EXIT_NOSET
		       : r == KUBE_ENOMEM  ? CLI_EXIT_INTERNAL
					   : CLI_EXIT_API;
	}
	found = calloc(o->n_names ? o->n_names : 1, sizeof(*found));
	if (!found)
		goto nomem;
	if (o->output == CLI_OUT_JSON)
		items = cJSON_CreateArray();
	else if (cli_table_init(&t, header, 7) < 0)
		goto nomem;
	if (o->output == CLI_OUT_JSON && !items)
		goto nomem;
	for (size_t i = 0; i < d.n; i++) {
		const struct cli_server *s = &d.servers[i];

		if (!name_wanted(o, s->name, found) ||
		    !cli_select_match(&o->sel, s->set, s->gs, s->pod, NULL, 0))
			continue;
		rows++;
		if (items) {
			cJSON *one = cli_gs_summary(s->gs, s->pod, status_images);

			if (!one || !cJSON_AddItemToArray(items, one)) {
				cJSON_Delete(one);
				goto nomem;
			}
		} else if (cli_gs_row(&t, s->gs, s->pod, status_images) < 0) {
			goto nomem;
		}
	}
	if (items) {
		r = print_json(items, out);
		items = NULL; /* taken and deleted by print_json() */
		if (r < 0)
			goto nomem;
	} else if (rows) {
		cli_table_print(&t, out);
	} else {
		fprintf(err, "No resources found in %s namespace.\n", ns);
	}
	rc = CLI_EXIT_OK;
	for (size_t i = 0; i < o->n_names; i++)
		if (!found[i]) {
			fprintf(err, "%s: GameServer \"%s\" not found in namespace \"%s\"\n",
				o->prog, o->names[i], ns);
			rc = CLI_EXIT_NOSET;
		}
	goto out;
nomem:
	fprintf(err, "%s: out of memory\n", o->prog);
	rc = CLI_EXIT_INTERNAL;
out:
	cJSON_Delete(items);
	free(found);
	cli_table_free(&t);
	cli_data_free(&d);
	return rc;
}

/* ---- get gss ---------------------------------------------------------------------------- */

static int gss_row(struct cli_table *t, const cJSON *gss)
{
	char v[6][24];
	static const char *const paths[] = {
	    "spec.replicas",	    "status.currentReplicas",	  "status.updatedReplicas",
	    "status.readyReplicas", "status.maintainingReplicas", "status.waitToBeDeletedReplicas"};
	const char *strategy = cli_jstr(gss, "spec.updateStrategy.type");
	char *images = cli_images_text(cli_jget(gss, "spec.gameServerTemplate.spec.containers"));
	int r = -ENOMEM;

	for (int i = 0; i < 6; i++)
		snprintf(v[i], sizeof(v[i]), "%ld", cli_jint(gss, paths[i], 0));
	if (images) {
		const char *cells[] = {cli_jstr(gss, "metadata.name"),
				       v[0],
				       v[1],
				       v[2],
				       v[3],
				       v[4],
				       v[5],
				       strategy && strategy[0] ? strategy : "RollingUpdate",
				       images};

		r = cli_table_add(t, cells);
	}
	free(images);
	return r;
}

static cJSON *gss_summary(const cJSON *gss)
{
	static const char *const keys[] = {"desired", "current",     "updated",
					   "ready",   "maintaining", "waitToBeDeleted"};
	static const char *const paths[] = {
	    "spec.replicas",	    "status.currentReplicas",	  "status.updatedReplicas",
	    "status.readyReplicas", "status.maintainingReplicas", "status.waitToBeDeletedReplicas"};
	const char *name = cli_jstr(gss, "metadata.name");
	const char *strategy = cli_jstr(gss, "spec.updateStrategy.type");
	const cJSON *c, *ctrs = cli_jget(gss, "spec.gameServerTemplate.spec.containers");
	cJSON *o = cJSON_CreateObject(), *images;

	if (!cJSON_IsArray(ctrs))
		ctrs = NULL;
	if (!o || !cJSON_AddStringToObject(o, "name", name ? name : ""))
		goto fail;
	for (int i = 0; i < 6; i++)
		if (!cJSON_AddNumberToObject(o, keys[i], (double)cli_jint(gss, paths[i], 0)))
			goto fail;
	if (!cJSON_AddStringToObject(o, "updateStrategy",
				     strategy && strategy[0] ? strategy : "RollingUpdate") ||
	    !(images = cJSON_AddObjectToObject(o, "images")))
		goto fail;
	cJSON_ArrayForEach(c, ctrs)
	{
		const char *cn = cli_jstr(c, "name"), *img = cli_jstr(c, "image");

		if (cn && !cJSON_AddStringToObject(images, cn, img ? img : ""))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int get_gss(const struct cli_opts *o, const struct cli_api *api, const char *ns, FILE *out,
		   FILE *err)
{
	static const char *const header[] = {
	    "NAME",	   "DESIRED",	      "CURRENT",  "UPDATED", "READY",
	    "MAINTAINING", "WAITTOBEDELETED", "STRATEGY", "IMAGE(S)"};
	struct cli_table t = {0};
	cJSON *sets = NULL, *items = NULL;
	const cJSON *gss;
	char msg[MSG_LEN], path[1024];
	int r, rc = CLI_EXIT_INTERNAL;

	if (o->n_names || o->n_sets) {
		/* Named sets: each must exist. */
		sets = cJSON_CreateArray();
		if (!sets)
			goto nomem;
		for (size_t i = 0; i < o->n_names + o->n_sets; i++) {
			const char *name = i < o->n_names ? o->names[i] : o->sets[i - o->n_names];
			cJSON *one = NULL;

			if (cli_path(path, sizeof(path), ns, "gameserversets", name) < 0)
				goto nomem;
			r = api->get(api->ud, path, &one, msg, sizeof(msg));
			if (r == KUBE_ENOTFOUND && !strstr(msg, "could not find the requested")) {
				fprintf(err,
					"%s: GameServerSet \"%s\" not found in namespace \"%s\"\n",
					o->prog, name, ns);
				rc = CLI_EXIT_NOSET;
				goto out;
			}
			if (r < 0) {
				fprintf(err, "%s: %s\n", o->prog, msg);
				rc = r == KUBE_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_API;
				goto out;
			}
			cJSON_AddItemToArray(sets, one);
		}
	} else {
		if (cli_path(path, sizeof(path), ns, "gameserversets", NULL) < 0)
			goto nomem;
		r = cli_list(api, path, NULL, &sets, msg, sizeof(msg));
		if (r < 0) {
			fprintf(err, "%s: %s\n", o->prog, msg);
			rc = r == KUBE_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_API;
			goto out;
		}
	}
	if (o->output == CLI_OUT_JSON) {
		items = cJSON_CreateArray();
		if (!items)
			goto nomem;
		cJSON_ArrayForEach(gss, sets)
		{
			cJSON *one = gss_summary(gss);

			if (!one || !cJSON_AddItemToArray(items, one)) {
				cJSON_Delete(one);
				goto nomem;
			}
		}
		r = print_json(items, out);
		items = NULL; /* taken and deleted by print_json() */
		if (r < 0)
			goto nomem;
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (cJSON_GetArraySize(sets) == 0) {
		fprintf(err, "No resources found in %s namespace.\n", ns);
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (cli_table_init(&t, header, 9) < 0)
		goto nomem;
	cJSON_ArrayForEach(gss, sets)
	{
		if (gss_row(&t, gss) < 0)
			goto nomem;
	}
	cli_table_print(&t, out);
	rc = CLI_EXIT_OK;
	goto out;
nomem:
	fprintf(err, "%s: out of memory\n", o->prog);
	rc = CLI_EXIT_INTERNAL;
out:
	cJSON_Delete(items);
	cJSON_Delete(sets);
	cli_table_free(&t);
	return rc;
}

int cli_get_run(const struct cli_opts *o, const struct cli_api *api, const char *ns, FILE *out,
		FILE *err)
{
	if (o->cmd == CLI_CMD_GET_GSS)
		return get_gss(o, api, ns, out, err);
	return get_gs(o, api, ns, out, err);
}
