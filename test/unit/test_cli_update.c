/* Unit tests for whole okg CLI commands (update, get) against an in-memory API server that
 * keeps resourceVersions, answers merge patches with 409 on a stale precondition, pages lists
 * and can be told to race, refuse or fail: exit codes, output lines, summaries, retries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_get.h"
#include "cli/cli_json.h"
#include "cli/cli_kube.h"
#include "cli/cli_update.h"
#include "lib/kube.h"
#include "lib/yamljson.h"

#define FIXTURE	  "test/unit/testdata/cli/seed001_after_scale.json"
#define OLD_IMAGE "registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2"
#define NEW_IMAGE OLD_IMAGE "-new"

/* ---- the in-memory API server ------------------------------------------------------------- */

struct fake {
	cJSON *objs; /* array of every object */
	int page;    /* list page size */
	int n_get, n_patch;
	char patches[16][512]; /* the first patches sent, in order */
	/* A concurrent writer: before the next race_times patches of race_name, it applies
	 * race_spec (a spec merge, may be NULL) and bumps the resourceVersion. */
	const char *race_name;
	int race_times;
	const char *race_spec;
	/* Refusals: patches of fail_name (NULL: every one) answer fail_code with fail_msg. */
	const char *fail_name;
	int fail_code;
	const char *fail_msg;
	/* GETs whose path contains get_fail answer get_fail_code. */
	const char *get_fail;
	int get_fail_code;
	bool no_crd;
};

static const char *kind_of(const char *resource)
{
	if (strcmp(resource, "gameserversets") == 0)
		return "GameServerSet";
	if (strcmp(resource, "gameservers") == 0)
		return "GameServer";
	if (strcmp(resource, "pods") == 0)
		return "Pod";
	return NULL;
}

/* Splits ".../namespaces/NS/RESOURCE[/NAME][?QUERY]". */
static void split_path(const char *path, char *ns, char *res, char *name, char *query)
{
	const char *p = strstr(path, "/namespaces/");
	const char *q = strchr(path, '?');
	char rest[1024];

	assert_non_null(p);
	snprintf(rest, sizeof(rest), "%.*s", (int)((q ? q : path + strlen(path)) - (p + 12)),
		 p + 12);
	snprintf(query, 1024, "%s", q ? q + 1 : "");
	name[0] = '\0';
	assert_true(sscanf(rest, "%127[^/]/%127[^/]/%255s", ns, res, name) >= 2);
}

/* A query parameter, percent-decoded into out; "" when absent. */
static void query_param(const char *query, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key), o = 0;
	const char *p = query;

	out[0] = '\0';
	while (p && *p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			for (p += kl + 1; *p && *p != '&' && o + 1 < outlen; p++) {
				if (*p == '%' && p[1] && p[2]) {
					char hex[3] = {p[1], p[2], 0};

					out[o++] = (char)strtol(hex, NULL, 16);
					p += 2;
				} else {
					out[o++] = *p;
				}
			}
			out[o] = '\0';
			return;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
}

static bool label_ok(const cJSON *obj, const char *sel)
{
	const char *eq = strchr(sel, '=');
	char key[256];
	const char *v;

	if (!sel[0])
		return true;
	snprintf(key, sizeof(key), "%.*s", (int)(eq ? (size_t)(eq - sel) : strlen(sel)), sel);
	v = cli_jlabel(obj, key);
	return v && (!eq || strcmp(v, eq + 1) == 0);
}

static cJSON *find(struct fake *f, const char *kind, const char *name)
{
	cJSON *o;

	cJSON_ArrayForEach(o, f->objs)
	{
		const char *k = cli_jstr(o, "kind"), *n = cli_jstr(o, "metadata.name");

		if (k && n && strcmp(k, kind) == 0 && strcmp(n, name) == 0)
			return o;
	}
	return NULL;
}

static void bump_rv(cJSON *obj)
{
	char rv[32];
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	snprintf(rv, sizeof(rv), "%ld", cli_jint(obj, "metadata.resourceVersion", 0) + 1000);
	cJSON_ReplaceItemInObjectCaseSensitive(meta, "resourceVersion", cJSON_CreateString(rv));
}

static void merge_spec(cJSON *obj, const cJSON *spec_patch)
{
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *c;

	cJSON_ArrayForEach(c, spec_patch)
	{
		cJSON_DeleteItemFromObjectCaseSensitive(spec, c->string);
		cJSON_AddItemToObject(spec, c->string, cJSON_Duplicate(c, true));
	}
}

static int fake_get(void *ud, const char *path, cJSON **out, char *msg, size_t msglen)
{
	struct fake *f = ud;
	char ns[128], res[128], name[256], query[1024], sel[256], cont[32];
	const char *kind;

	*out = NULL;
	f->n_get++;
	if (f->get_fail && strstr(path, f->get_fail)) {
		snprintf(msg, msglen, "injected failure of GET %s", path);
		return f->get_fail_code;
	}
	split_path(path, ns, res, name, query);
	kind = kind_of(res);
	assert_non_null(kind);
	if (f->no_crd && strcmp(res, "pods") != 0) {
		snprintf(msg, msglen, "the server could not find the requested resource");
		return KUBE_ENOTFOUND;
	}
	if (name[0]) {
		cJSON *o = find(f, kind, name);

		if (!o) {
			snprintf(msg, msglen, "%s \"%s\" not found", res, name);
			return KUBE_ENOTFOUND;
		}
		*out = cJSON_Duplicate(o, true);
		return 0;
	}
	query_param(query, "labelSelector", sel, sizeof(sel));
	query_param(query, "continue", cont, sizeof(cont));
	{
		int skip = cont[0] ? (int)strtol(cont, NULL, 10) : 0, seen = 0, taken = 0;
		cJSON *list = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(list, "items");
		cJSON *meta = cJSON_AddObjectToObject(list, "metadata");
		const cJSON *o;

		cJSON_ArrayForEach(o, f->objs)
		{
			const char *k = cli_jstr(o, "kind");

			if (!k || strcmp(k, kind) != 0 || !label_ok(o, sel))
				continue;
			if (seen++ < skip)
				continue;
			if (taken == f->page) {
				char next[32];

				snprintf(next, sizeof(next), "%d", skip + taken);
				cJSON_AddStringToObject(meta, "continue", next);
				break;
			}
			cJSON_AddItemToArray(items, cJSON_Duplicate(o, true));
			taken++;
		}
		*out = list;
	}
	return 0;
}

static int fake_patch(void *ud, const char *path, const char *patch, cJSON **out, char *msg,
		      size_t msglen)
{
	struct fake *f = ud;
	char ns[128], res[128], name[256], query[1024];
	cJSON *obj, *p;
	const char *want_rv;

	if (out)
		*out = NULL;
	if (f->n_patch < 16)
		snprintf(f->patches[f->n_patch], sizeof(f->patches[0]), "%s", patch);
	f->n_patch++;
	split_path(path, ns, res, name, query);
	assert_string_equal(res, "gameservers");
	if (f->fail_code && (!f->fail_name || strcmp(f->fail_name, name) == 0)) {
		snprintf(msg, msglen, "%s", f->fail_msg);
		return f->fail_code;
	}
	obj = find(f, "GameServer", name);
	if (!obj) {
		snprintf(msg, msglen, "gameservers.game.kruise.io \"%s\" not found", name);
		return KUBE_ENOTFOUND;
	}
	if (f->race_name && strcmp(f->race_name, name) == 0 && f->race_times > 0) {
		f->race_times--;
		if (f->race_spec) {
			cJSON *rs = cJSON_Parse(f->race_spec);

			merge_spec(obj, rs);
			cJSON_Delete(rs);
		}
		bump_rv(obj);
	}
	p = cJSON_Parse(patch);
	assert_non_null(p);
	want_rv = cli_jstr(p, "metadata.resourceVersion");
	assert_non_null(want_rv); /* every write carries the precondition */
	if (strcmp(want_rv, cli_jstr(obj, "metadata.resourceVersion")) != 0) {
		snprintf(
		    msg, msglen,
		    "Operation cannot be fulfilled on gameservers.game.kruise.io \"%s\": the "
		    "object has been modified; please apply your changes to the latest version "
		    "and try again",
		    name);
		cJSON_Delete(p);
		return KUBE_ECONFLICT;
	}
	merge_spec(obj, cli_jget(p, "spec"));
	bump_rv(obj);
	cJSON_Delete(p);
	return 0;
}

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	cJSON *doc = NULL;
	char err[256];

	assert_non_null(f);
	assert_int_equal(yj_parse_file(FIXTURE, &doc, err, sizeof(err)), 0);
	f->objs = cJSON_DetachItemFromObjectCaseSensitive(doc, "items");
	cJSON_Delete(doc);
	assert_non_null(f->objs);
	f->page = 500;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;

	cJSON_Delete(f->objs);
	free(f);
	return 0;
}

/* ---- running a command -------------------------------------------------------------------- */

struct run {
	int rc;
	char *out, *err;
};

static struct run run_v(struct fake *f, const char *first, ...)
{
	char *argv[64], perr[512];
	int argc = 0;
	va_list ap;
	const char *a;
	struct cli_opts o;
	struct cli_api api = {.ud = f, .get = fake_get, .patch = fake_patch};
	struct run r = {0};
	size_t ol = 0, el = 0;
	FILE *out = open_memstream(&r.out, &ol), *err = open_memstream(&r.err, &el);

	assert_non_null(out);
	assert_non_null(err);
	argv[argc++] = (char *)"okg";
	va_start(ap, first);
	for (a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	r.rc = cli_parse_args(argc, argv, "okg", &o, perr, sizeof(perr));
	if (r.rc)
		fprintf(err, "okg: %s\n", perr);
	else if (o.cmd == CLI_CMD_UPDATE)
		r.rc = cli_update_run(&o, &api, o.namespace ? o.namespace : "default", out, err);
	else
		r.rc = cli_get_run(&o, &api, o.namespace ? o.namespace : "default", out, err);
	cli_opts_free(&o);
	fclose(out);
	fclose(err);
	return r;
}

#define RUN(f, ...) run_v(f, __VA_ARGS__, (const char *)NULL)

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void expect(const struct run *r, int rc, const char *out, const char *err)
{
	if (r->rc != rc || (out && strcmp(r->out, out) != 0) || (err && strcmp(r->err, err) != 0))
		print_message("rc %d (want %d)\n--- out\n%s--- want\n%s--- err\n%s--- want\n%s",
			      r->rc, rc, r->out, out ? out : "(any)\n", r->err,
			      err ? err : "(any)\n");
	assert_int_equal(r->rc, rc);
	if (out)
		assert_string_equal(r->out, out);
	if (err)
		assert_string_equal(r->err, err);
}

static const char *ops_of(struct fake *f, const char *name)
{
	return cli_gs_ops_state(find(f, "GameServer", name));
}

#define SEED_ARGS                                                                                  \
	"update", "--gss-name=minecraft", "--namespace=default", "--select-opsState=None",         \
	    "--select-not-container-image=minecraft/" NEW_IMAGE, "--exp-opsState=WaitToBeDeleted"

/* ---- update ------------------------------------------------------------------------------- */

/* The seed's release step: the idle old-version servers 1 and 2, nothing else. */
static void test_update_seed_release(void **state)
{
	struct fake *f = *state;
	struct run r = RUN(f, SEED_ARGS);

	expect(&r, CLI_EXIT_OK,
	       "minecraft-1: opsState None -> WaitToBeDeleted\n"
	       "minecraft-2: opsState None -> WaitToBeDeleted\n"
	       "updated 2 of 2 selected GameServers (6 in set); 0 failed\n",
	       "");
	run_free(&r);
	assert_string_equal(ops_of(f, "minecraft-0"), "Allocated");
	assert_string_equal(ops_of(f, "minecraft-1"), "WaitToBeDeleted");
	assert_string_equal(ops_of(f, "minecraft-2"), "WaitToBeDeleted");
	for (int i = 3; i < 6; i++) {
		char n[32];

		snprintf(n, sizeof(n), "minecraft-%d", i);
		assert_string_equal(ops_of(f, n), "None");
	}
	assert_int_equal(f->n_patch, 2);
	assert_string_equal(f->patches[0], "{\"metadata\":{\"resourceVersion\":\"201\"},\"spec\":"
					   "{\"opsState\":\"WaitToBeDeleted\"}}");

	/* Again: nothing matches any more; exit 4 unless --allow-empty. */
	r = RUN(f, SEED_ARGS);
	expect(&r, CLI_EXIT_EMPTY, "updated 0 of 0 selected GameServers (6 in set); 0 failed\n",
	       "okg: no GameServer of default/minecraft matches the selectors (6 in set); nothing "
	       "to do (--allow-empty makes this a success)\n");
	run_free(&r);
	r = RUN(f, SEED_ARGS, "--allow-empty");
	expect(&r, CLI_EXIT_OK, NULL, "");
	run_free(&r);
	assert_int_equal(f->n_patch, 2);
}

static void test_update_dry_run_writes_nothing(void **state)
{
	struct fake *f = *state;
	struct run r = RUN(f, SEED_ARGS, "--dry-run");

	expect(&r, CLI_EXIT_OK,
	       "minecraft-1: opsState None -> WaitToBeDeleted\n"
	       "minecraft-2: opsState None -> WaitToBeDeleted\n"
	       "dry run: would update 2 of 2 selected GameServers (6 in set); nothing written\n",
	       "");
	run_free(&r);
	assert_int_equal(f->n_patch, 0);
	assert_string_equal(ops_of(f, "minecraft-1"), "None");
}

static void test_update_unknown_set(void **state)
{
	struct fake *f = *state;
	struct run r = RUN(f, "update", "--gss=minecraft,lobby", "--set-opsState=None");

	expect(&r, CLI_EXIT_NOSET, "",
	       "okg: GameServerSet \"lobby\" not found in namespace \"default\"\n");
	run_free(&r);
	assert_int_equal(f->n_patch, 0);
	/* --all-sets in a namespace without sets. */
	cJSON_Delete(cJSON_DetachItemViaPointer(f->objs, find(f, "GameServerSet", "minecraft")));
	r = RUN(f, "update", "--all-sets", "--set-opsState=None");
	expect(&r, CLI_EXIT_NOSET, "", "okg: no GameServerSet in namespace \"default\"\n");
	run_free(&r);
	f->no_crd = true;
	r = RUN(f, "update", "--gss=minecraft", "--set-opsState=None");
	expect(&r, CLI_EXIT_API, "",
	       "okg: the API server does not serve gameserversets.game.kruise.io (are the CRDs "
	       "applied?)\n");
	run_free(&r);
}

static void test_update_api_error_on_read(void **state)
{
	struct fake *f = *state;
	struct run r;

	f->get_fail = "/gameservers?";
	f->get_fail_code = KUBE_EFORBIDDEN;
	r = RUN(f, "update", "--gss=minecraft", "--set-opsState=None");
	expect(&r, CLI_EXIT_API, "", NULL);
	assert_non_null(strstr(r.err, "okg: injected failure of GET "));
	run_free(&r);
	assert_int_equal(f->n_patch, 0);
}

/* A conflict with a harmless write: read again, still matches, retried, written. */
static void test_update_conflict_retried(void **state)
{
	struct fake *f = *state;
	struct run r;

	f->race_name = "minecraft-1";
	f->race_times = 2;
	r = RUN(f, SEED_ARGS);
	expect(&r, CLI_EXIT_OK,
	       "minecraft-1: opsState None -> WaitToBeDeleted\n"
	       "minecraft-2: opsState None -> WaitToBeDeleted\n"
	       "updated 2 of 2 selected GameServers (6 in set); 0 failed\n",
	       "");
	run_free(&r);
	assert_int_equal(f->n_patch, 4); /* 3 for minecraft-1, 1 for minecraft-2 */
	assert_string_equal(ops_of(f, "minecraft-1"), "WaitToBeDeleted");
}

/* A player joined minecraft-1 between the list and the write: it must not be retired. */
static void test_update_conflict_rechecks_selector(void **state)
{
	struct fake *f = *state;
	struct run r;

	f->race_name = "minecraft-1";
	f->race_times = 1;
	f->race_spec = "{\"opsState\":\"Allocated\"}";
	r = RUN(f, SEED_ARGS);
	expect(&r, CLI_EXIT_OK,
	       "minecraft-1: skipped: no longer matches (opsState is Allocated)\n"
	       "minecraft-2: opsState None -> WaitToBeDeleted\n"
	       "updated 1 of 2 selected GameServers (6 in set); 0 failed; 1 skipped\n",
	       "");
	run_free(&r);
	assert_string_equal(ops_of(f, "minecraft-1"), "Allocated");
}

/* Conflicts past --max-retries: that server fails, the other is written: exit 6. */
static void test_update_conflict_gives_up_partial(void **state)
{
	struct fake *f = *state;
	struct run r;

	f->race_name = "minecraft-1";
	f->race_times = 100;
	r = RUN(f, SEED_ARGS, "--max-retries=2");
	expect(&r, CLI_EXIT_PARTIAL,
	       "minecraft-1: not updated: it kept changing: conflict after 2 retries "
	       "(--max-retries)\n"
	       "minecraft-2: opsState None -> WaitToBeDeleted\n"
	       "updated 1 of 2 selected GameServers (6 in set); 1 failed\n",
	       "okg: partial failure: updated minecraft-2; not updated minecraft-1\n");
	run_free(&r);
	assert_int_equal(f->n_patch, 4);
	assert_string_equal(ops_of(f, "minecraft-1"), "None");
}

/* One refused write (422) among several: partial; the others are still written. */
static void test_update_refused_one(void **state)
{
	struct fake *f = *state;
	struct run r;

	f->fail_name = "minecraft-4";
	f->fail_code = KUBE_EINVALID;
	f->fail_msg =
	    "GameServer.game.kruise.io \"minecraft-4\" is invalid: spec.deletionPriority: "
	    "Invalid value";
	r = RUN(f, "update", "--gss=minecraft", "--select-ordinals=3-5",
		"--set-deletionPriority=10");
	expect(&r, CLI_EXIT_PARTIAL,
	       "minecraft-3: deletionPriority 0 -> 10\n"
	       "minecraft-4: not updated: GameServer.game.kruise.io \"minecraft-4\" is invalid: "
	       "spec.deletionPriority: Invalid value\n"
	       "minecraft-5: deletionPriority 0 -> 10\n"
	       "updated 2 of 3 selected GameServers (6 in set); 1 failed\n",
	       "okg: partial failure: updated minecraft-3, minecraft-5; not updated minecraft-4\n");
	run_free(&r);
}

/* Forbidden: the first answer stops the run; nothing changed: exit 5 with the API's words. */
static void test_update_forbidden(void **state)
{
	struct fake *f = *state;
	struct run r;

	f->fail_code = KUBE_EFORBIDDEN;
	f->fail_msg = "gameservers.game.kruise.io \"minecraft-1\" is forbidden: User "
		      "\"system:serviceaccount:default:x\" cannot patch resource \"gameservers\"";
	r = RUN(f, SEED_ARGS);
	expect(&r, CLI_EXIT_API,
	       "minecraft-1: not updated: gameservers.game.kruise.io \"minecraft-1\" is forbidden: "
	       "User \"system:serviceaccount:default:x\" cannot patch resource \"gameservers\"\n"
	       "minecraft-2: not updated: not attempted (stopped after an API error)\n"
	       "updated 0 of 2 selected GameServers (6 in set); 2 failed\n",
	       "okg: nothing updated: minecraft-1: gameservers.game.kruise.io \"minecraft-1\" is "
	       "forbidden: User \"system:serviceaccount:default:x\" cannot patch resource "
	       "\"gameservers\" (and 1 more not updated)\n");
	run_free(&r);
	assert_int_equal(f->n_patch, 1);
}

static void test_update_already_set_and_setters(void **state)
{
	struct fake *f = *state;
	struct run r;

	/* 0 is Allocated already; 1 is not: one write, one "already set". */
	r = RUN(f, "update", "--gss=minecraft", "--select-ids=0,1", "--set-opsState=Allocated",
		"--set-updatePriority=3", "--set-networkDisabled=false");
	expect(&r, CLI_EXIT_OK,
	       "minecraft-0: updatePriority 0 -> 3\n"
	       "minecraft-1: opsState None -> Allocated, updatePriority 0 -> 3\n"
	       "updated 2 of 2 selected GameServers (6 in set); 0 failed\n",
	       "");
	run_free(&r);
	r = RUN(f, "update", "--gss=minecraft", "--select-ids=0,1", "--set-opsState=Allocated");
	expect(&r, CLI_EXIT_OK,
	       "updated 0 of 2 selected GameServers (6 in set); 0 failed; 2 already set\n", "");
	run_free(&r);
}

/* Lists come in pages: every GameServer and pod is still seen. */
static void test_update_paged_lists(void **state)
{
	struct fake *f = *state;
	struct run r;

	f->page = 2;
	r = RUN(f, SEED_ARGS, "--dry-run");
	expect(&r, CLI_EXIT_OK, NULL, "");
	assert_non_null(strstr(r.out, "would update 2 of 2 selected GameServers (6 in set)"));
	run_free(&r);
	assert_true(f->n_get >= 1 + 3 + 3);
}

static void test_update_all_sets(void **state)
{
	struct fake *f = *state;
	struct run r =
	    RUN(f, "update", "--all-sets", "--select-ids=5", "--set-opsState=Kill", "--dry-run");

	expect(&r, CLI_EXIT_OK,
	       "minecraft-5: opsState None -> Kill\n"
	       "dry run: would update 1 of 1 selected GameServers (6 in set); nothing written\n",
	       "");
	run_free(&r);
}

/* ---- get ---------------------------------------------------------------------------------- */

static void test_get_gs_table(void **state)
{
	struct fake *f = *state;
	struct run r = RUN(f, "get", "gs", "--gss", "minecraft");

	expect(&r, CLI_EXIT_OK,
	       "NAME          STATE   OPSSTATE    DP   UP   IMAGE(S)                              "
	       "                            PROBES\n"
	       "minecraft-0   Ready   Allocated   0    0    " OLD_IMAGE "       -\n"
	       "minecraft-1   Ready   None        0    0    " OLD_IMAGE "       -\n"
	       "minecraft-2   Ready   None        0    0    " OLD_IMAGE "       -\n"
	       "minecraft-3   Ready   None        0    0    " NEW_IMAGE "   "
	       "healthy=True/ok,idle=False\n"
	       "minecraft-4   Ready   None        0    0    " NEW_IMAGE "   -\n"
	       "minecraft-5   Ready   None        0    0    " NEW_IMAGE "   -\n",
	       "");
	run_free(&r);

	/* The update's selectors preview what it would select. */
	r = RUN(f, "get", "gs", "--gss=minecraft", "--select-opsState=None",
		"--select-not-image=minecraft/" NEW_IMAGE);
	expect(&r, CLI_EXIT_OK, NULL, "");
	assert_non_null(strstr(r.out, "minecraft-1 "));
	assert_non_null(strstr(r.out, "minecraft-2 "));
	assert_null(strstr(r.out, "minecraft-0 "));
	assert_null(strstr(r.out, "minecraft-3 "));
	run_free(&r);
}

static void test_get_gs_json_and_names(void **state)
{
	struct fake *f = *state;
	struct run r = RUN(f, "get", "gs", "minecraft-3", "-o", "json");
	cJSON *doc, *it;

	expect(&r, CLI_EXIT_OK, NULL, "");
	doc = cJSON_Parse(r.out);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "items")), 1);
	it = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "items"), 0);
	assert_string_equal(cli_jstr(it, "name"), "minecraft-3");
	assert_string_equal(cli_jstr(it, "gameServerSet"), "minecraft");
	assert_int_equal(cli_jint(it, "ordinal", -1), 3);
	assert_string_equal(cli_jstr(it, "images.minecraft"), NEW_IMAGE);
	assert_string_equal(cli_jstr(it, "opsState"), "None");
	assert_int_equal(cJSON_GetArraySize(cli_jget(it, "probes")), 2);
	cJSON_Delete(doc);
	run_free(&r);

	r = RUN(f, "get", "gs", "minecraft-9");
	expect(&r, CLI_EXIT_NOSET, "",
	       "No resources found in default namespace.\n"
	       "okg: GameServer \"minecraft-9\" not found in namespace \"default\"\n");
	run_free(&r);
}

static void test_get_gss(void **state)
{
	struct fake *f = *state;
	struct run r = RUN(f, "get", "gss");

	expect(&r, CLI_EXIT_OK,
	       "NAME        DESIRED   CURRENT   UPDATED   READY   MAINTAINING   WAITTOBEDELETED   "
	       "STRATEGY   IMAGE(S)\n"
	       "minecraft   6         6         3         6       0             0                 "
	       "OnDelete   " NEW_IMAGE "\n",
	       "");
	run_free(&r);
	r = RUN(f, "get", "gss", "lobby");
	expect(&r, CLI_EXIT_NOSET, "",
	       "okg: GameServerSet \"lobby\" not found in namespace \"default\"\n");
	run_free(&r);
	r = RUN(f, "get", "gss", "minecraft", "-o", "json");
	expect(&r, CLI_EXIT_OK, NULL, "");
	assert_non_null(strstr(r.out, "\"waitToBeDeleted\":\t0"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_update_seed_release, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_dry_run_writes_nothing, fake_setup,
					    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_unknown_set, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_api_error_on_read, fake_setup,
					    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_conflict_retried, fake_setup,
					    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_conflict_rechecks_selector, fake_setup,
					    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_conflict_gives_up_partial, fake_setup,
					    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_refused_one, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_forbidden, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_already_set_and_setters, fake_setup,
					    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_paged_lists, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_update_all_sets, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_get_gs_table, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_get_gs_json_and_names, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_get_gss, fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
