/* Unit tests for webhook/validate.c: every GameServerSet rule allowed and denied, field paths and
 * messages in the API server's words, warnings, UPDATE rules, and every GameServerSet of the
 * seed documents admitted (test/unit/testdata/webhook, copied verbatim from the seeds; run from
 * the repository root, as test/run-tests.sh does). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/yamljson.h"
#include "webhook/admission.h"
#include "webhook/validate.h"

#define TESTDATA "test/unit/testdata/webhook/"

/* A valid set to start from: two containers, the first with a named port. */
#define HEAD                                                                                       \
	"apiVersion: game.kruise.io/v1alpha1\nkind: GameServerSet\nmetadata:\n  name: gss\n"       \
	"  namespace: default\nspec:\n"
#define TPL                                                                                        \
	"  gameServerTemplate:\n    spec:\n      containers:\n      - name: game\n"                \
	"        image: game:v1\n        ports: [{name: http, containerPort: 8080}]\n"             \
	"      - name: sidecar\n        image: side:v1\n"
#define BASE HEAD "  replicas: 2\n" TPL
/* One valid quality, to be followed by more YAML of the same list. */
#define Q_OK                                                                                       \
	"  - {name: idle, containerName: game, exec: {command: [./idle.sh]}, "                     \
	"serviceQualityAction: [{state: true, opsState: WaitToBeDeleted}]}\n"

static cJSON *parse(const char *text)
{
	char err[256];
	cJSON *j = NULL;
	int rc = yj_parse(text, strlen(text), &j, err, sizeof(err));

	if (rc)
		print_message("yaml: %s\n", err);
	assert_int_equal(rc, 0);
	return j;
}

static cJSON *load(const char *name)
{
	char path[512], err[256];
	cJSON *j = NULL;
	int rc;

	snprintf(path, sizeof(path), TESTDATA "%s", name);
	rc = yj_parse_file(path, &j, err, sizeof(err));
	if (rc)
		print_message("%s\n", err);
	assert_int_equal(rc, 0);
	return j;
}

static void dump(const struct fe_list *l)
{
	for (size_t i = 0; i < l->n_errs; i++)
		print_message("  error: %s: %s\n", l->errs[i].field, l->errs[i].body);
	for (size_t i = 0; i < l->n_warns; i++)
		print_message("  warning: %s\n", l->warns[i]);
}

static int has_error(const struct fe_list *l, const char *text)
{
	char buf[2048];

	for (size_t i = 0; i < l->n_errs; i++) {
		snprintf(buf, sizeof(buf), "%s: %s", l->errs[i].field, l->errs[i].body);
		if (strcmp(buf, text) == 0)
			return 1;
	}
	return 0;
}

static int has_warning(const struct fe_list *l, const char *sub)
{
	for (size_t i = 0; i < l->n_warns; i++)
		if (strstr(l->warns[i], sub))
			return 1;
	return 0;
}

/* Validates text on CREATE and requires exactly the errors listed (any order). */
static void expect_n(const char *text, const char *const *want, size_t n)
{
	cJSON *o = parse(text);
	struct fe_list l;
	int ok;

	fe_init(&l);
	assert_int_equal(val_gss(o, NULL, VAL_CREATE, &l), 0);
	ok = l.n_errs == n;
	for (size_t i = 0; ok && i < n; i++)
		ok = has_error(&l, want[i]);
	if (!ok) {
		print_message("want %zu errors:\n", n);
		for (size_t i = 0; i < n; i++)
			print_message("  want: %s\n", want[i]);
		print_message("got %zu:\n", l.n_errs);
		dump(&l);
		fail();
	}
	fe_free(&l);
	cJSON_Delete(o);
}

#define EXPECT(text, ...)                                                                          \
	do {                                                                                       \
		static const char *const want_[] = {__VA_ARGS__};                                  \
		expect_n(text, want_, sizeof(want_) / sizeof(want_[0]));                           \
	} while (0)

static void expect_ok(const char *text)
{
	expect_n(text, NULL, 0);
}

/* Validates text on CREATE and requires a warning containing sub (and no error). */
static void expect_warning(const char *text, const char *sub)
{
	cJSON *o = parse(text);
	struct fe_list l;

	fe_init(&l);
	assert_int_equal(val_gss(o, NULL, VAL_CREATE, &l), 0);
	if (l.n_errs || !has_warning(&l, sub)) {
		print_message("want a warning with: %s\n", sub);
		dump(&l);
		fail();
	}
	fe_free(&l);
	cJSON_Delete(o);
}

static void expect_no_warning(const char *text)
{
	cJSON *o = parse(text);
	struct fe_list l;

	fe_init(&l);
	assert_int_equal(val_gss(o, NULL, VAL_CREATE, &l), 0);
	if (l.n_errs || l.n_warns) {
		dump(&l);
		fail();
	}
	fe_free(&l);
	cJSON_Delete(o);
}

/* --- the seeds ------------------------------------------------------------------------------ */

static const char *const seed_files[] = {
    "seed000_minecraft_gate_data.yaml", "seed000_minecraft_idle.yaml",
    "seed000_demo_gs_healthy.yaml",	"seed001_minecraft_ondelete.yaml",
    "seed002_minecraft_idle.yaml",	"seed002_demo_gs_healthy.yaml",
    "seed004_minecraft.yaml",
};

/* Wraps obj (borrowed) in an AdmissionReview and returns adm_handle's JSON response. */
static cJSON *review(const cJSON *obj, const cJSON *old, const char *op)
{
	cJSON *rv = cJSON_CreateObject(), *req, *resp;
	struct adm_opts o;
	struct adm_result res;
	char *text;

	memset(&o, 0, sizeof(o));
	cJSON_AddStringToObject(rv, "apiVersion", "admission.k8s.io/v1");
	cJSON_AddStringToObject(rv, "kind", "AdmissionReview");
	req = cJSON_AddObjectToObject(rv, "request");
	cJSON_AddStringToObject(req, "uid", "uid-1");
	cJSON_AddItemToObject(req, "kind",
			      cJSON_Parse("{\"group\":\"game.kruise.io\",\"version\":\"v1alpha1\","
					  "\"kind\":\"GameServerSet\"}"));
	cJSON_AddStringToObject(req, "operation", op);
	cJSON_AddItemToObject(req, "object", cJSON_Duplicate(obj, 1));
	if (old)
		cJSON_AddItemToObject(req, "oldObject", cJSON_Duplicate(old, 1));
	text = cJSON_PrintUnformatted(rv);
	assert_non_null(text);
	assert_int_equal(adm_handle("/validate-v1alpha1-gss", text, strlen(text), &o, &res), 0);
	assert_int_equal(res.http_status, 200);
	resp = cJSON_Parse(res.body);
	assert_non_null(resp);
	adm_result_free(&res);
	free(text);
	cJSON_Delete(rv);
	return resp;
}

static int review_allowed(const cJSON *resp)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(resp, "response");

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "allowed"));
}

static void test_seeds_admitted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seed_files) / sizeof(seed_files[0]); i++) {
		cJSON *o = load(seed_files[i]), *resp;
		struct fe_list l;

		fe_init(&l);
		assert_int_equal(val_gss(o, NULL, VAL_CREATE, &l), 0);
		if (l.n_errs) {
			print_message("%s refused:\n", seed_files[i]);
			dump(&l);
			fail();
		}
		fe_free(&l);
		resp = review(o, NULL, "CREATE");
		assert_true(review_allowed(resp));
		cJSON_Delete(resp);
		cJSON_Delete(o);
	}
}

static void test_seed_multidoc_admitted(void **state)
{
	char err[256];
	FILE *f = fopen(TESTDATA "seed003_hot_update_gs.yaml", "rb");
	char text[8192];
	size_t n;
	cJSON *docs = NULL, *d;
	int found = 0;

	(void)state;
	assert_non_null(f);
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	assert_int_equal(yj_parse_all(text, n, &docs, err, sizeof(err)), 0);
	cJSON_ArrayForEach(d, docs)
	{
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(d, "kind");
		struct fe_list l;

		if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "GameServerSet") != 0)
			continue;
		found++;
		fe_init(&l);
		assert_int_equal(val_gss(d, NULL, VAL_CREATE, &l), 0);
		if (l.n_errs) {
			dump(&l);
			fail();
		}
		fe_free(&l);
	}
	assert_int_equal(found, 1);
	cJSON_Delete(docs);
}

/* The seed's gate/data example uses opsStates of its own: allowed, with a warning each. */
static void test_seed_custom_opsstate_warns(void **state)
{
	cJSON *o = load("seed000_minecraft_gate_data.yaml");
	struct fe_list l;

	(void)state;
	fe_init(&l);
	assert_int_equal(val_gss(o, NULL, VAL_CREATE, &l), 0);
	assert_int_equal(l.n_errs, 0);
	assert_int_equal(l.n_warns, 2);
	assert_string_equal(l.warns[0],
			    "spec.serviceQualities[0].serviceQualityAction[0].opsState: "
			    "\"GateMaintaining\" is not a known opsState; it orders "
			    "like None when scaling down");
	fe_free(&l);
	cJSON_Delete(o);
}

/* RFC 7386 merge patch, enough for the seeds' edits. Consumes nothing; changes target. */
static void merge(cJSON *target, const cJSON *patch)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, patch)
	{
		cJSON *t = cJSON_GetObjectItemCaseSensitive(target, p->string);

		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
		} else if (cJSON_IsObject(p) && cJSON_IsObject(t)) {
			merge(t, p);
		} else {
			cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
			cJSON_AddItemToObject(target, p->string, cJSON_Duplicate(p, 1));
		}
	}
}

static void update_ok(const char *base, const char *edit)
{
	cJSON *old = load(base), *patch = load(edit), *cur = cJSON_Duplicate(old, 1);
	struct fe_list l;

	merge(cur, patch);
	assert_false(cJSON_Compare(cur, old, 1)); /* the edit changes something */
	fe_init(&l);
	assert_int_equal(val_gss(cur, old, VAL_UPDATE, &l), 0);
	if (l.n_errs) {
		print_message("%s + %s refused:\n", base, edit);
		dump(&l);
		fail();
	}
	fe_free(&l);
	cJSON_Delete(old);
	cJSON_Delete(patch);
	cJSON_Delete(cur);
}

static void test_seed_edits_admitted(void **state)
{
	(void)state;
	update_ok("seed004_minecraft.yaml", "seed004_edit_reserve_3_4.yaml");
	update_ok("seed004_minecraft.yaml", "seed004_edit_replicas_3_reserve_3_6.yaml");
	update_ok("seed004_minecraft.yaml", "seed004_edit_reserveids_strategy.yaml");
	update_ok("seed004_minecraft.yaml", "seed004_edit_replicas_4_reserve_3.yaml");
	update_ok("seed001_minecraft_ondelete.yaml", "seed001_workflow_patch_image.yaml");
	update_ok("seed001_minecraft_ondelete.yaml", "seed001_workflow_scale_replicas.yaml");
}

/* --- spec fields ---------------------------------------------------------------------------- */

static void test_replicas(void **state)
{
	(void)state;
	expect_ok(BASE);
	expect_ok(HEAD "  replicas: 0\n" TPL);
	EXPECT(HEAD TPL, "spec.replicas: Required value");
	EXPECT(HEAD "  replicas: null\n" TPL, "spec.replicas: Required value");
	EXPECT(HEAD "  replicas: -1\n" TPL,
	       "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
	EXPECT(HEAD "  replicas: 1.5\n" TPL,
	       "spec.replicas: Invalid value: 1.5: must be a whole number");
	EXPECT(HEAD "  replicas: \"3\"\n" TPL,
	       "spec.replicas: Invalid value: \"3\": must be a whole number");
	EXPECT(HEAD "  replicas: 2147483648\n" TPL,
	       "spec.replicas: Invalid value: 2147483648: must be less than or equal to "
	       "2147483647");
	EXPECT(HEAD "  serviceName: x\n", "spec.replicas: Required value",
	       "spec.gameServerTemplate.spec.containers: Required value: a game server needs a "
	       "container");
	EXPECT(HEAD, "spec: Required value");
	EXPECT("apiVersion: game.kruise.io/v1alpha1\nkind: GameServerSet\nmetadata: {name: x}\n",
	       "spec: Required value");
	EXPECT("apiVersion: game.kruise.io/v1alpha1\nkind: GameServerSet\nmetadata: {name: x}\n"
	       "spec: [1]\n",
	       "spec: Invalid value: [1]: must be an object");
}

static void test_containers(void **state)
{
	(void)state;
	EXPECT(HEAD "  replicas: 1\n  gameServerTemplate:\n    spec:\n      containers: []\n",
	       "spec.gameServerTemplate.spec.containers: Required value: a game server needs a "
	       "container");
	EXPECT(HEAD "  replicas: 1\n  gameServerTemplate: {spec: {containers: [{name: a, image: "
		    "i}, {name: a, image: j}]}}\n",
	       "spec.gameServerTemplate.spec.containers[1].name: Duplicate value: \"a\"");
	EXPECT(HEAD "  replicas: 1\n  gameServerTemplate: {spec: {containers: [{name: a, image: "
		    "i}], initContainers: [{name: a, image: j}]}}\n",
	       "spec.gameServerTemplate.spec.initContainers[0].name: Duplicate value: \"a\"");
	EXPECT(HEAD "  replicas: 1\n  gameServerTemplate: {spec: {containers: [{name: Game_1, "
		    "image: i}, {image: j}, {name: c}, {name: d, image: \"\"}, 7]}}\n",
	       "spec.gameServerTemplate.spec.containers[0].name: Invalid value: \"Game_1\": must "
	       "be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and "
	       "ending with a letter or digit (regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
	       "spec.gameServerTemplate.spec.containers[1].name: Required value",
	       "spec.gameServerTemplate.spec.containers[2].image: Required value",
	       "spec.gameServerTemplate.spec.containers[3].image: Required value",
	       "spec.gameServerTemplate.spec.containers[4]: Invalid value: 7: must be an object");
	EXPECT(HEAD "  replicas: 1\n  gameServerTemplate: {spec: {containers: {a: 1}}}\n",
	       "spec.gameServerTemplate.spec.containers: Invalid value: {\"a\":1}: must be a list");
	/* template labels become pod labels */
	EXPECT(HEAD "  replicas: 1\n  gameServerTemplate: {metadata: {labels: {\"a/b/c\": x, ok: "
		    "\"-bad\"}, annotations: {\"Example.COM/x\": \"any value at all\"}}, spec: "
		    "{containers: [{name: a, image: i}]}}\n",
	       "spec.gameServerTemplate.metadata.labels: Invalid value: \"a/b/c\": must be a name "
	       "with an optional DNS subdomain prefix and one '/' (e.g. 'example.com/MyName')",
	       "spec.gameServerTemplate.metadata.labels: Invalid value: \"-bad\": must be empty "
	       "or consist of letters, digits, '-', '_' or '.', starting and ending with a letter "
	       "or digit (regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
}

static void test_metadata_name(void **state)
{
	(void)state;
	EXPECT("apiVersion: game.kruise.io/v1alpha1\nkind: GameServerSet\nmetadata: {name: "
	       "My_Set}\nspec:\n  replicas: 2\n" TPL,
	       "metadata.name: Invalid value: \"My_Set\": must be a lowercase RFC 1123 label: "
	       "lowercase letters, digits and '-', starting and ending with a letter or digit "
	       "(regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?') (it names the pods and their owner "
	       "label)");
	expect_warning("apiVersion: game.kruise.io/v1alpha1\nkind: GameServerSet\nmetadata: "
		       "{name: a123456789b123456789c123456789d123456789e123456789f1234567}\nspec:\n"
		       "  replicas: 2\n" TPL,
		       "metadata.name has 58 characters");
}

static void test_reserve_ids(void **state)
{
	(void)state;
	expect_ok(BASE "  reserveGameServerIds: [1, 3, \"5-7\", \" 9 - 12 \", 0]\n");
	expect_ok(BASE "  reserveGameServerIds: []\n");
	expect_ok(BASE "  reserveGameServerIds: null\n");
	EXPECT(BASE "  reserveGameServerIds: [1, 2, \"5-3\"]\n",
	       "spec.reserveGameServerIds[2]: Invalid value: \"5-3\": range start must not be "
	       "greater than its end");
	EXPECT(BASE "  reserveGameServerIds: [-1, \"3\", \"a-b\", 2.5, true, \"1-2-3\", "
		    "1000000]\n",
	       "spec.reserveGameServerIds[0]: Invalid value: -1: must be greater than or equal "
	       "to 0",
	       "spec.reserveGameServerIds[1]: Invalid value: \"3\": a string must be a range "
	       "\"a-b\"; write a single ID as a number",
	       "spec.reserveGameServerIds[2]: Invalid value: \"a-b\": range bounds must be whole "
	       "numbers >= 0, as in \"3-5\"",
	       "spec.reserveGameServerIds[3]: Invalid value: 2.5: must be a whole number",
	       "spec.reserveGameServerIds[4]: Invalid value: true: must be a number or a range "
	       "string \"a-b\"",
	       "spec.reserveGameServerIds[5]: Invalid value: \"1-2-3\": a range has exactly one "
	       "'-' (negative IDs are not allowed)",
	       "spec.reserveGameServerIds[6]: Invalid value: 1000000: must be at most 999999");
	/* duplicates across ints and ranges; the later entry is the one reported */
	EXPECT(BASE "  reserveGameServerIds: [4, 4]\n",
	       "spec.reserveGameServerIds[1]: Duplicate value: 4: ID 4 is also in "
	       "reserveGameServerIds[0]");
	EXPECT(BASE "  reserveGameServerIds: [\"3-6\", 5]\n",
	       "spec.reserveGameServerIds[1]: Duplicate value: 5: ID 5 is also in "
	       "reserveGameServerIds[0]");
	EXPECT(BASE "  reserveGameServerIds: [5, \"3-6\"]\n",
	       "spec.reserveGameServerIds[1]: Duplicate value: \"3-6\": ID 5 is also in "
	       "reserveGameServerIds[0]");
	EXPECT(BASE "  reserveGameServerIds: [\"1-10\", \"20-30\", \"8-12\", 25]\n",
	       "spec.reserveGameServerIds[2]: Duplicate value: \"8-12\": ID 8 is also in "
	       "reserveGameServerIds[0]",
	       "spec.reserveGameServerIds[3]: Duplicate value: 25: ID 25 is also in "
	       "reserveGameServerIds[1]");
	expect_ok(BASE "  reserveGameServerIds: [\"0-49999\", \"50000-99999\"]\n");
	EXPECT(BASE "  reserveGameServerIds: [\"0-49999\", \"50000-100000\"]\n",
	       "spec.reserveGameServerIds: Too many: 100001: must expand to at most 100000 IDs");
	EXPECT(BASE "  reserveGameServerIds: \"1-3\"\n",
	       "spec.reserveGameServerIds: Invalid value: \"1-3\": must be a list");
}

static void test_strategies(void **state)
{
	(void)state;
	expect_ok(BASE "  scaleStrategy: {scaleDownStrategyType: ReserveIds, maxUnavailable: 3}\n"
		       "  updateStrategy: {type: RollingUpdate, rollingUpdate: {podUpdatePolicy: "
		       "ReCreate, partition: 0, maxUnavailable: \"25%\", paused: false}}\n");
	expect_ok(BASE "  scaleStrategy: {scaleDownStrategyType: \"\"}\n  updateStrategy: {type: "
		       "\"\"}\n");
	EXPECT(BASE "  scaleStrategy: {scaleDownStrategyType: Random}\n",
	       "spec.scaleStrategy.scaleDownStrategyType: Unsupported value: \"Random\": "
	       "supported values: \"General\", \"ReserveIds\"");
	EXPECT(BASE "  scaleStrategy: {maxUnavailable: \"150%\"}\n  updateStrategy: {type: "
		    "Recreate, rollingUpdate: {podUpdatePolicy: InPlace, partition: -1, "
		    "maxUnavailable: abc}}\n",
	       "spec.scaleStrategy.maxUnavailable: Invalid value: \"150%\": must not be greater "
	       "than 100%",
	       "spec.updateStrategy.type: Unsupported value: \"Recreate\": supported values: "
	       "\"RollingUpdate\", \"OnDelete\"",
	       "spec.updateStrategy.rollingUpdate.podUpdatePolicy: Unsupported value: "
	       "\"InPlace\": supported values: \"ReCreate\", \"InPlaceIfPossible\", "
	       "\"InPlaceOnly\"",
	       "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater "
	       "than or equal to 0",
	       "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"abc\": must be "
	       "an integer or a percentage (e.g. '5%')");
	EXPECT(BASE "  scaleStrategy: {maxUnavailable: -2}\n  updateStrategy: {rollingUpdate: "
		    "{maxUnavailable: \"5\"}}\n",
	       "spec.scaleStrategy.maxUnavailable: Invalid value: -2: must be greater than or "
	       "equal to 0",
	       "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"5\": must be "
	       "an integer or a percentage (e.g. '5%')");
	EXPECT(BASE "  scaleStrategy: ReserveIds\n",
	       "spec.scaleStrategy: Invalid value: \"ReserveIds\": must be an object");
}

/* --- service qualities ---------------------------------------------------------------------- */

static void test_quality_names(void **state)
{
	(void)state;
	expect_ok(BASE "  serviceQualities:\n" Q_OK);
	EXPECT(BASE "  serviceQualities:\n" Q_OK
		    "  - {name: healthy, exec: {command: [a]}, serviceQualityAction: [{state: "
		    "true, opsState: None}]}\n  - {name: healthy, exec: {command: [b]}, "
		    "serviceQualityAction: [{state: false, opsState: Maintaining}]}\n",
	       "spec.serviceQualities[2].name: Duplicate value: \"healthy\"");
	EXPECT(BASE "  serviceQualities:\n  - {exec: {command: [a]}, serviceQualityAction: "
		    "[{state: true, opsState: None}]}\n  - {name: \"\", exec: {command: [a]}, "
		    "serviceQualityAction: [{state: true, opsState: None}]}\n  - {name: Healthy, "
		    "exec: {command: [a]}, serviceQualityAction: [{state: true, opsState: "
		    "None}]}\n",
	       "spec.serviceQualities[0].name: Required value",
	       "spec.serviceQualities[1].name: Required value",
	       "spec.serviceQualities[2].name: Invalid value: \"Healthy\": must be a lowercase "
	       "RFC 1123 label: lowercase letters, digits and '-', starting and ending with a "
	       "letter or digit (regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?') (it names the GameServer "
	       "condition and pod condition)");
	EXPECT(BASE "  serviceQualities:\n  - {name: "
		    "a123456789b123456789c123456789d123456789e123456789f123456789g123, exec: "
		    "{command: [a]}, serviceQualityAction: [{state: true, opsState: None}]}\n",
	       "spec.serviceQualities[0].name: Invalid value: "
	       "\"a123456789b123456789c123456789d123456789e123456789f123456789g123\": must be no "
	       "more than 63 characters (it names the GameServer condition and pod condition)");
	EXPECT(BASE "  serviceQualities: [7]\n",
	       "spec.serviceQualities[0]: Invalid value: 7: must be an object");
}

static void test_quality_handlers(void **state)
{
	(void)state;
	expect_ok(BASE "  serviceQualities:\n  - {name: a, containerName: game, httpGet: {port: "
		       "8080, path: /idle, scheme: HTTP}, serviceQualityAction: [{state: true, "
		       "opsState: None}]}\n  - {name: b, tcpSocket: {port: http}, "
		       "serviceQualityAction: [{state: false, opsState: Maintaining}]}\n"
		       "  - {name: c, containerName: game, httpGet: {port: http}, "
		       "serviceQualityAction: [{state: true, updatePriority: 5}]}\n");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, serviceQualityAction: [{state: true, "
		    "opsState: None}]}\n",
	       "spec.serviceQualities[0]: Required value: must specify a handler: exec, httpGet "
	       "or tcpSocket");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, tcpSocket: {port: "
		    "80}, serviceQualityAction: [{state: true, opsState: None}]}\n",
	       "spec.serviceQualities[0].tcpSocket: Forbidden: may not specify more than 1 "
	       "handler type");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, grpc: {port: 9000}, serviceQualityAction: "
		    "[{state: true, opsState: None}]}\n",
	       "spec.serviceQualities[0].grpc: Forbidden: gRPC probes are not supported by okg's "
	       "probe helper; use exec, httpGet or tcpSocket");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, exec: {command: []}, serviceQualityAction: "
		    "[{state: true, opsState: None}]}\n  - {name: b, exec: {}, "
		    "serviceQualityAction: [{state: true, opsState: None}]}\n  - {name: c, exec: "
		    "{command: [ok, 5]}, serviceQualityAction: [{state: true, opsState: None}]}\n",
	       "spec.serviceQualities[0].exec.command: Required value",
	       "spec.serviceQualities[1].exec.command: Required value",
	       "spec.serviceQualities[2].exec.command[1]: Invalid value: 5: must be a string");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, httpGet: {host: 10.0.0.1, port: 0, "
		    "scheme: FTP}, serviceQualityAction: [{state: true, opsState: None}]}\n"
		    "  - {name: b, tcpSocket: {port: 70000, host: example.com}, "
		    "serviceQualityAction: [{state: true, opsState: None}]}\n  - {name: c, "
		    "tcpSocket: {port: HTTP}, serviceQualityAction: [{state: true, opsState: "
		    "None}]}\n  - {name: d, httpGet: {path: /}, serviceQualityAction: [{state: "
		    "true, opsState: None}]}\n",
	       "spec.serviceQualities[0].httpGet.port: Invalid value: 0: must be between 1 and "
	       "65535, inclusive",
	       "spec.serviceQualities[0].httpGet.host: Forbidden: probes stay inside the pod: "
	       "okg's helper always probes the pod's own IP",
	       "spec.serviceQualities[0].httpGet.scheme: Unsupported value: \"FTP\": supported "
	       "values: \"HTTP\", \"HTTPS\"",
	       "spec.serviceQualities[1].tcpSocket.port: Invalid value: 70000: must be between 1 "
	       "and 65535, inclusive",
	       "spec.serviceQualities[1].tcpSocket.host: Forbidden: probes stay inside the pod: "
	       "okg's helper always probes the pod's own IP",
	       "spec.serviceQualities[2].tcpSocket.port: Invalid value: \"HTTP\": must be a port "
	       "number 1..65535 or a port name (lowercase letters, digits and single '-', at "
	       "least one letter)",
	       "spec.serviceQualities[3].httpGet.port: Required value");
	/* a named port no container declares: a warning (another webhook may add it) */
	expect_warning(BASE "  serviceQualities:\n  - {name: a, containerName: sidecar, "
			    "httpGet: {port: http}, serviceQualityAction: [{state: true, "
			    "opsState: None}]}\n",
		       "spec.serviceQualities[0].httpGet.port: no container port is named "
		       "\"http\"");
}

static void test_quality_timings(void **state)
{
	(void)state;
	expect_ok(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
		       "initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 86400, "
		       "successThreshold: 1, failureThreshold: 3, serviceQualityAction: [{state: "
		       "true, opsState: None}]}\n");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
		    "initialDelaySeconds: -1, periodSeconds: 0, timeoutSeconds: 86401, "
		    "successThreshold: 0, failureThreshold: 0.5, terminationGracePeriodSeconds: 0, "
		    "serviceQualityAction: [{state: true, opsState: None}]}\n",
	       "spec.serviceQualities[0].initialDelaySeconds: Invalid value: -1: must be greater "
	       "than or equal to 0",
	       "spec.serviceQualities[0].periodSeconds: Invalid value: 0: must be greater than "
	       "or equal to 1",
	       "spec.serviceQualities[0].timeoutSeconds: Invalid value: 86401: must be less than "
	       "or equal to 86400",
	       "spec.serviceQualities[0].successThreshold: Invalid value: 0: must be greater than "
	       "or equal to 1",
	       "spec.serviceQualities[0].failureThreshold: Invalid value: 0.5: must be a whole "
	       "number",
	       "spec.serviceQualities[0].terminationGracePeriodSeconds: Invalid value: 0: must be "
	       "greater than or equal to 1");
}

static void test_container_name(void **state)
{
	(void)state;
	EXPECT(BASE "  serviceQualities:\n  - {name: a, containerName: minecraft, exec: "
		    "{command: [x]}, serviceQualityAction: [{state: true, opsState: None}]}\n",
	       "spec.serviceQualities[0].containerName: Not found: \"minecraft\": must name a "
	       "container of spec.gameServerTemplate.spec.containers");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, containerName: 5, exec: {command: [x]}, "
		    "serviceQualityAction: [{state: true, opsState: None}]}\n",
	       "spec.serviceQualities[0].containerName: Invalid value: 5: must be a string");
}

static void test_actions(void **state)
{
	(void)state;
	EXPECT(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}}\n  - {name: b, "
		    "exec: {command: [x]}, serviceQualityAction: []}\n",
	       "spec.serviceQualities[0].serviceQualityAction: Required value: a service quality "
	       "needs at least one action",
	       "spec.serviceQualities[1].serviceQualityAction: Required value: a service quality "
	       "needs at least one action");
	/* (state, result) pairs: same state with different results is the seeds' pattern */
	expect_ok(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
		       "serviceQualityAction: [{state: true, result: gate, opsState: A1}, {state: "
		       "true, result: data, opsState: B1}, {state: true, opsState: None}, {state: "
		       "false, opsState: None}]}\n");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
		    "serviceQualityAction: [{state: true, result: gate, opsState: None}, {state: "
		    "false, opsState: None}, {state: true, result: gate, opsState: Maintaining}, "
		    "{state: false, result: \"\", opsState: Kill}]}\n",
	       "spec.serviceQualities[0].serviceQualityAction[2]: Duplicate value: {state: true, "
	       "result: \"gate\"}: serviceQualityAction[0] already answers the same state and "
	       "result",
	       "spec.serviceQualities[0].serviceQualityAction[3]: Duplicate value: {state: false, "
	       "result: \"\"}: serviceQualityAction[1] already answers the same state and result");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
		    "serviceQualityAction: [{opsState: None}, {state: \"true\", opsState: None}, "
		    "{state: true, result: 5, opsState: None}]}\n",
	       "spec.serviceQualities[0].serviceQualityAction[0].state: Required value",
	       "spec.serviceQualities[0].serviceQualityAction[1].state: Invalid value: \"true\": "
	       "must be true or false",
	       "spec.serviceQualities[0].serviceQualityAction[2].result: Invalid value: 5: must "
	       "be a string");
}

static void test_action_values(void **state)
{
	(void)state;
	/* valid: priorities as ints and numeric strings, templates, labels, annotations */
	expect_ok(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
		       "serviceQualityAction: [{state: true, updatePriority: 10, deletionPriority: "
		       "\"20\", networkDisabled: true, labels: {example.com/tier: gold}, "
		       "annotations: {note: \"any text: really {}\"}}, {state: false, opsState: "
		       "\"{{if eq .Result \\\"0\\\"}}WaitToBeDeleted{{else}}None{{end}}\", "
		       "deletionPriority: \"{{.Result}}\", labels: {count: \"{{.Result}}\"}}]}\n");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
		    "serviceQualityAction: [{state: true, opsState: \"Wait To Delete\", "
		    "updatePriority: 1.5, deletionPriority: \"not ok!\", networkDisabled: yes}, "
		    "{state: false, deletionPriority: 4294967296, updatePriority: [1], opsState: "
		    "\"{{.Result\"}]}\n",
	       "spec.serviceQualities[0].serviceQualityAction[0].opsState: Invalid value: \"Wait "
	       "To Delete\": must be empty or consist of letters, digits, '-', '_' or '.', "
	       "starting and ending with a letter or digit (regex "
	       "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?') (it becomes a pod label value)",
	       "spec.serviceQualities[0].serviceQualityAction[0].updatePriority: Invalid value: "
	       "1.5: must be a whole number",
	       "spec.serviceQualities[0].serviceQualityAction[0].deletionPriority: Invalid value: "
	       "\"not ok!\": must be empty or consist of letters, digits, '-', '_' or '.', "
	       "starting and ending with a letter or digit (regex "
	       "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?') (it becomes a pod label value)",
	       "spec.serviceQualities[0].serviceQualityAction[0].networkDisabled: Invalid value: "
	       "\"yes\": must be true or false",
	       "spec.serviceQualities[0].serviceQualityAction[1].opsState: Invalid value: "
	       "\"{{.Result\": a template action \"{{\" is not closed",
	       "spec.serviceQualities[0].serviceQualityAction[1].updatePriority: Invalid value: "
	       "[1]: must be an integer or a string",
	       "spec.serviceQualities[0].serviceQualityAction[1].deletionPriority: Invalid value: "
	       "4294967296: must fit in a 32-bit integer");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
		    "serviceQualityAction: [{state: true, labels: {\"bad key\": v, ok: \"bad "
		    "value\", n: 5}, annotations: {\"-x\": v, y: 1}}]}\n",
	       "spec.serviceQualities[0].serviceQualityAction[0].labels: Invalid value: \"bad "
	       "key\": name part must consist of letters, digits, '-', '_' or '.', starting and "
	       "ending with a letter or digit (e.g. 'MyName' or 'my.name')",
	       "spec.serviceQualities[0].serviceQualityAction[0].labels: Invalid value: \"bad "
	       "value\": must be empty or consist of letters, digits, '-', '_' or '.', starting "
	       "and ending with a letter or digit (regex "
	       "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
	       "spec.serviceQualities[0].serviceQualityAction[0].labels[n]: Invalid value: 5: "
	       "must be a string",
	       "spec.serviceQualities[0].serviceQualityAction[0].annotations: Invalid value: "
	       "\"-x\": name part must consist of letters, digits, '-', '_' or '.', starting and "
	       "ending with a letter or digit (e.g. 'MyName' or 'my.name')",
	       "spec.serviceQualities[0].serviceQualityAction[0].annotations[y]: Invalid value: "
	       "1: must be a string");
	EXPECT(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
		    "serviceQualityAction: [{state: true, containers: [{name: game, image: "
		    "game:v2}, {name: nope, image: x}, {image: y}, {name: sidecar}, {name: game, "
		    "image: \"\"}]}]}\n",
	       "spec.serviceQualities[0].serviceQualityAction[0].containers[1].name: Not found: "
	       "\"nope\": must name a container of spec.gameServerTemplate.spec.containers",
	       "spec.serviceQualities[0].serviceQualityAction[0].containers[2].name: Required "
	       "value",
	       "spec.serviceQualities[0].serviceQualityAction[0].containers[3].image: Required "
	       "value",
	       "spec.serviceQualities[0].serviceQualityAction[0].containers[4].image: Required "
	       "value");
}

static void test_annotations_size(void **state)
{
	size_t n = 300 * 1024;
	char *big = malloc(n + 1024);
	int len;

	(void)state;
	assert_non_null(big);
	len = snprintf(big, 1024,
		       BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
			    "serviceQualityAction: [{state: true, annotations: {big: \"");
	memset(big + len, 'x', n);
	snprintf(big + len + n, 1024 - 1, "\"}}]}\n");
	EXPECT(big, "spec.serviceQualities[0].serviceQualityAction[0].annotations: Too long: "
		    "must have at most 262144 bytes");
	free(big);
}

/* --- warnings ------------------------------------------------------------------------------- */

static void test_warnings(void **state)
{
	(void)state;
	expect_no_warning(BASE "  serviceQualities:\n" Q_OK);
	expect_warning(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
			    "serviceQualityAction: [{state: true, opsState: None}, {state: "
			    "false, result: x}]}\n",
		       "spec.serviceQualities[0].serviceQualityAction[1] sets nothing: it has no "
		       "effect when it matches");
	expect_warning(BASE
		       "  serviceQualities:\n" Q_OK
		       "  - {name: healthy, exec: {command: [x]}, serviceQualityAction: "
		       "[{state: false, opsState: Maintaining, labels: {tier: b}}]}\n"
		       "  - {name: other, exec: {command: [x]}, serviceQualityAction: [{state: "
		       "false, labels: {tier: c}}]}\n",
		       "spec.serviceQualities[0] (\"idle\") and [1] (\"healthy\") both set "
		       "opsState; when both act at once the later one, [1], wins");
	expect_warning(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
			    "serviceQualityAction: [{state: false, labels: {tier: b}}]}\n"
			    "  - {name: b, exec: {command: [x]}, serviceQualityAction: [{state: "
			    "false, labels: {tier: c}, deletionPriority: 1}]}\n",
		       "both set labels[tier]; when both act at once the later one, [1], wins");
	expect_warning(BASE "  updateStrategy: {rollingUpdate: {podUpdatePolicy: InPlaceOnly}}\n",
		       "spec.updateStrategy.rollingUpdate.podUpdatePolicy: okg treats InPlaceOnly "
		       "as InPlaceIfPossible");
	expect_warning(BASE "  updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}\n",
		       "spec.updateStrategy.rollingUpdate is ignored when the update strategy type "
		       "is OnDelete");
	expect_warning(BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, "
			    "serviceQualityAction: [{state: true, deletionPriority: high}]}\n",
		       "deletionPriority: \"high\" is not an integer; okg orders it as 0");
	expect_warning(HEAD "  replicas: 1\n  gameServerTemplate: {spec: {containers: [{name: g, "
			    "image: i}, {name: okg-probe, image: mine}]}}\n  serviceQualities:\n"
			    "  - {name: a, exec: {command: [x]}, serviceQualityAction: [{state: "
			    "true, opsState: None}]}\n",
		       "spec.gameServerTemplate.spec.containers[1].name: \"okg-probe\" is the "
		       "probe helper's name");
	/* without qualities nothing is injected, so the name is free */
	expect_no_warning(HEAD "  replicas: 1\n  gameServerTemplate: {spec: {containers: [{name: "
			       "okg-probe, image: mine}]}}\n");
	/* every warning stays short enough for kubectl (the API server truncates at 256) */
	{
		cJSON *o = load("seed000_minecraft_gate_data.yaml");
		struct fe_list l;

		fe_init(&l);
		assert_int_equal(val_gss(o, NULL, VAL_CREATE, &l), 0);
		for (size_t i = 0; i < l.n_warns; i++)
			assert_true(strlen(l.warns[i]) <= 240);
		fe_free(&l);
		cJSON_Delete(o);
	}
}

/* --- the whole answer ------------------------------------------------------------------------ */

static void test_all_errors_at_once(void **state)
{
	cJSON *o = parse(HEAD "  replicas: -1\n" TPL "  reserveGameServerIds: [1, 2, \"5-3\"]\n"
			      "  serviceQualities:\n" Q_OK
			      "  - {name: idle, exec: {command: [y]}, serviceQualityAction: "
			      "[{state: true, opsState: None}]}\n");
	cJSON *resp = review(o, NULL, "CREATE");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(resp, "response");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "status");
	const cJSON *details = cJSON_GetObjectItemCaseSensitive(st, "details");
	const cJSON *causes = cJSON_GetObjectItemCaseSensitive(details, "causes");
	const cJSON *c0 = cJSON_GetArrayItem(causes, 0);

	(void)state;
	assert_false(review_allowed(resp));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "uid")->valuestring, "uid-1");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(st, "code")->valueint, 422);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(st, "reason")->valuestring, "Invalid");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(st, "status")->valuestring, "Failure");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(st, "message")->valuestring,
	    "GameServerSet.game.kruise.io \"gss\" is invalid: [spec.replicas: Invalid value: -1: "
	    "must be greater than or equal to 0, spec.reserveGameServerIds[2]: Invalid value: "
	    "\"5-3\": range start must not be greater than its end, "
	    "spec.serviceQualities[1].name: Duplicate value: \"idle\"]");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(details, "name")->valuestring, "gss");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(details, "group")->valuestring,
			    "game.kruise.io");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(details, "kind")->valuestring,
			    "GameServerSet");
	assert_int_equal(cJSON_GetArraySize(causes), 3);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(c0, "reason")->valuestring,
			    "FieldValueInvalid");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(c0, "field")->valuestring,
			    "spec.replicas");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(c0, "message")->valuestring,
			    "Invalid value: -1: must be greater than or equal to 0");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(causes, 2), "reason")->valuestring,
	    "FieldValueDuplicate");
	cJSON_Delete(resp);
	cJSON_Delete(o);

	/* one error: no brackets */
	o = parse(HEAD "  replicas: -1\n" TPL);
	resp = review(o, NULL, "CREATE");
	st = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "response"),
					      "status");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(st, "message")->valuestring,
	    "GameServerSet.game.kruise.io \"gss\" is invalid: spec.replicas: Invalid "
	    "value: -1: must be greater than or equal to 0");
	cJSON_Delete(resp);
	cJSON_Delete(o);
}

static void test_error_cap(void **state)
{
	char text[16384];
	size_t off;
	cJSON *o, *resp;
	struct fe_list l;
	const char *msg;

	(void)state;
	off = (size_t)snprintf(text, sizeof(text), BASE "  reserveGameServerIds: [");
	for (int i = 0; i < 100; i++)
		off +=
		    (size_t)snprintf(text + off, sizeof(text) - off, "%s-%d", i ? ", " : "", i + 1);
	snprintf(text + off, sizeof(text) - off, "]\n");
	o = parse(text);
	fe_init(&l);
	assert_int_equal(val_gss(o, NULL, VAL_CREATE, &l), 0);
	assert_int_equal(l.n_errs, FE_MAX_ERRORS);
	assert_int_equal(l.dropped_errs, 100 - FE_MAX_ERRORS);
	fe_free(&l);
	resp = review(o, NULL, "CREATE");
	msg = cJSON_GetObjectItemCaseSensitive(
		  cJSON_GetObjectItemCaseSensitive(
		      cJSON_GetObjectItemCaseSensitive(resp, "response"), "status"),
		  "message")
		  ->valuestring;
	assert_non_null(strstr(msg, ", 36 more errors not shown]"));
	cJSON_Delete(resp);
	cJSON_Delete(o);
}

/* A hostile list (thousands of equal names) is checked in O(n log n), with capped output. */
static void test_large_lists_fast(void **state)
{
	size_t n = 20000, cap = n * 120 + 4096, off;
	char *text = malloc(cap);
	struct timespec t0, t1;
	cJSON *o;
	struct fe_list l;
	double secs;

	(void)state;
	assert_non_null(text);
	off = (size_t)snprintf(text, cap, "%s", BASE "  serviceQualities:\n");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off,
					"  - {name: same, exec: {command: [x]}, "
					"serviceQualityAction: [{state: true, opsState: None}]}\n");
	o = parse(text);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fe_init(&l);
	assert_int_equal(val_gss(o, NULL, VAL_CREATE, &l), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(l.n_errs, FE_MAX_ERRORS);
	assert_int_equal(l.n_errs + l.dropped_errs, n - 1);
	assert_true(l.n_warns <= FE_MAX_WARNINGS);
	assert_true(secs < 2.0);
	fe_free(&l);
	cJSON_Delete(o);
	free(text);
}

/* Every list with duplicate detection, at hostile sizes: each stays O(n log n). */
static void test_large_duplicates_fast(void **state)
{
	static const char *const items[] = {
	    "5, ",			  /* reserveGameServerIds */
	    "{name: a, image: i}, ",	  /* containers */
	    "{state: true, result: r}, ", /* one quality's actions */
	};
	static const char *const heads[] = {
	    BASE "  reserveGameServerIds: [",
	    HEAD "  replicas: 1\n  gameServerTemplate: {spec: {containers: [",
	    BASE "  serviceQualities:\n  - {name: a, exec: {command: [x]}, serviceQualityAction: [",
	};
	static const char *const tails[] = {"5]\n", "{name: a, image: i}]}}\n",
					    "{state: true, result: r}]}\n"};
	size_t n = 30000;

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		size_t cap = strlen(heads[k]) + n * strlen(items[k]) + 64, off;
		char *text = malloc(cap);
		struct timespec t0, t1;
		struct fe_list l;
		cJSON *o;

		assert_non_null(text);
		off = (size_t)snprintf(text, cap, "%s", heads[k]);
		for (size_t i = 0; i < n; i++)
			off += (size_t)snprintf(text + off, cap - off, "%s", items[k]);
		snprintf(text + off, cap - off, "%s", tails[k]);
		o = parse(text);
		fe_init(&l);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(val_gss(o, NULL, VAL_CREATE, &l), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_int_equal(l.n_errs, FE_MAX_ERRORS);
		assert_true(l.dropped_errs >= n - FE_MAX_ERRORS);
		assert_true((double)(t1.tv_sec - t0.tv_sec) +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e9 <
			    2.0);
		fe_free(&l);
		cJSON_Delete(o);
		free(text);
	}
}

/* --- UPDATE ---------------------------------------------------------------------------------- */

static void test_update_unchanged_spec_allowed(void **state)
{
	/* Stored before okg (or before a rule existed): invalid now, still updatable. */
	cJSON *old = parse(BASE "  reserveGameServerIds: [\"5-3\", 1, 1]\n");
	cJSON *cur = cJSON_Duplicate(old, 1), *resp;
	cJSON *labels =
	    cJSON_AddObjectToObject(cJSON_GetObjectItemCaseSensitive(cur, "metadata"), "labels");
	struct fe_list l;

	(void)state;
	cJSON_AddStringToObject(labels, "team", "blue");
	fe_init(&l);
	assert_int_equal(val_gss(cur, old, VAL_UPDATE, &l), 0);
	assert_int_equal(l.n_errs, 0);
	fe_free(&l);
	resp = review(cur, old, "UPDATE");
	assert_true(review_allowed(resp));
	cJSON_Delete(resp);

	/* once the spec changes, the whole new object is checked */
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(cur, "spec"),
					       "replicas", cJSON_CreateNumber(5));
	fe_init(&l);
	assert_int_equal(val_gss(cur, old, VAL_UPDATE, &l), 0);
	assert_int_equal(l.n_errs, 2);
	assert_true(has_error(&l, "spec.reserveGameServerIds[0]: Invalid value: \"5-3\": range "
				  "start must not be greater than its end"));
	fe_free(&l);
	resp = review(cur, old, "UPDATE");
	assert_false(review_allowed(resp));
	cJSON_Delete(resp);
	cJSON_Delete(old);
	cJSON_Delete(cur);
}

static void test_update_name_immutable(void **state)
{
	cJSON *old = parse(BASE), *cur = parse(BASE);
	struct fe_list l;

	(void)state;
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(cur, "metadata"),
					       "name", cJSON_CreateString("other"));
	fe_init(&l);
	assert_int_equal(val_gss(cur, old, VAL_UPDATE, &l), 0);
	assert_int_equal(l.n_errs, 1);
	assert_true(has_error(&l, "metadata.name: Invalid value: \"other\": field is immutable"));
	fe_free(&l);
	/* an UPDATE does not re-check the name syntax of an existing object */
	cJSON_Delete(cur);
	cJSON_Delete(old);
	old = parse("apiVersion: game.kruise.io/v1alpha1\nkind: GameServerSet\nmetadata: {name: "
		    "Old_Name}\nspec:\n  replicas: 1\n" TPL);
	cur = cJSON_Duplicate(old, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(cur, "spec"),
					       "replicas", cJSON_CreateNumber(2));
	fe_init(&l);
	assert_int_equal(val_gss(cur, old, VAL_UPDATE, &l), 0);
	assert_int_equal(l.n_errs, 0);
	fe_free(&l);
	cJSON_Delete(cur);
	cJSON_Delete(old);
}

static void test_not_an_object(void **state)
{
	struct fe_list l;
	cJSON *s = cJSON_CreateString("x");

	(void)state;
	fe_init(&l);
	assert_int_equal(val_gss(s, NULL, VAL_CREATE, &l), 0);
	assert_int_equal(l.n_errs, 1);
	fe_free(&l);
	fe_init(&l);
	assert_int_equal(val_gss(NULL, NULL, VAL_CREATE, &l), 0);
	assert_int_equal(l.n_errs, 1);
	fe_free(&l);
	cJSON_Delete(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seeds_admitted),
	    cmocka_unit_test(test_seed_multidoc_admitted),
	    cmocka_unit_test(test_seed_custom_opsstate_warns),
	    cmocka_unit_test(test_seed_edits_admitted),
	    cmocka_unit_test(test_replicas),
	    cmocka_unit_test(test_containers),
	    cmocka_unit_test(test_metadata_name),
	    cmocka_unit_test(test_reserve_ids),
	    cmocka_unit_test(test_strategies),
	    cmocka_unit_test(test_quality_names),
	    cmocka_unit_test(test_quality_handlers),
	    cmocka_unit_test(test_quality_timings),
	    cmocka_unit_test(test_container_name),
	    cmocka_unit_test(test_actions),
	    cmocka_unit_test(test_action_values),
	    cmocka_unit_test(test_annotations_size),
	    cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_all_errors_at_once),
	    cmocka_unit_test(test_error_cap),
	    cmocka_unit_test(test_large_lists_fast),
	    cmocka_unit_test(test_large_duplicates_fast),
	    cmocka_unit_test(test_update_unchanged_spec_allowed),
	    cmocka_unit_test(test_update_name_immutable),
	    cmocka_unit_test(test_not_an_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
