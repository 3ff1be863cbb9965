/* Unit tests for controller/objects.c: the pods and GameServers the controller writes, the
 * GameServer state derived from a pod, and the merge patches that keep them in step.
 *
 * Fixtures are YAML (parsed with lib/yamljson.h). Patches are checked by parsing them back and
 * comparing member by member, and by applying them (RFC 7386 merge) and checking that the next
 * patch is NULL: a patch that does not converge would make the controller write forever. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/objects.h"
#include "lib/yamljson.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static cJSON *parse(const char *text)
{
	char err[256] = "";
	cJSON *o = NULL;
	int r = yj_parse(text, strlen(text), &o, err, sizeof(err));

	if (r != 0)
		fail_msg("yj_parse: %d %s\n%s", r, err, text);
	assert_non_null(o);
	return o;
}

static cJSON *parse_json(const char *text)
{
	cJSON *o;

	assert_non_null(text);
	o = cJSON_Parse(text);
	if (!o)
		fail_msg("not JSON: %s", text);
	return o;
}

static void set_string(cJSON *obj, const char *path, const char *value)
{
	cJSON *v = (cJSON *)obj_get(obj, path);

	assert_true(cJSON_IsString(v));
	assert_non_null(cJSON_SetValuestring(v, value));
}

/* Number of members of an object (or elements of an array); 0 for NULL. */
static int size_of(const cJSON *o)
{
	return o ? cJSON_GetArraySize(o) : 0;
}

/* RFC 7386 JSON merge patch, applied in place to target (an object). */
static void merge_patch(cJSON *target, const cJSON *patch)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, patch)
	{
		cJSON *t = cJSON_GetObjectItemCaseSensitive(target, p->string);

		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
		} else if (cJSON_IsObject(p)) {
			if (!cJSON_IsObject(t)) {
				cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
				t = cJSON_AddObjectToObject(target, p->string);
				assert_non_null(t);
			}
			merge_patch(t, p);
		} else {
			cJSON *copy = cJSON_Duplicate(p, 1);

			assert_non_null(copy);
			cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
			assert_true(cJSON_AddItemToObject(target, p->string, copy));
		}
	}
}

static void apply_patch_text(cJSON *target, char *patch)
{
	cJSON *p = parse_json(patch);

	merge_patch(target, p);
	cJSON_Delete(p);
	free(patch);
}

/* Whether the JSON text of o contains needle anywhere. */
static bool json_contains(const cJSON *o, const char *needle)
{
	char *text = cJSON_PrintUnformatted(o);
	bool found;

	assert_non_null(text);
	found = strstr(text, needle) != NULL;
	free(text);
	return found;
}

/* ---- fixtures ----------------------------------------------------------------------------- */

static const char GSS_YAML[] = "apiVersion: game.kruise.io/v1alpha1\n"
			       "kind: GameServerSet\n"
			       "metadata:\n"
			       "  name: mc\n"
			       "  namespace: games\n"
			       "  uid: gss-uid-1\n"
			       "spec:\n"
			       "  replicas: 3\n"
			       "  gameServerTemplate:\n"
			       "    metadata:\n"
			       "      name: template-name\n"
			       "      namespace: elsewhere\n"
			       "      generateName: gen-\n"
			       "      ownerReferences:\n"
			       "      - kind: Other\n"
			       "        name: x\n"
			       "        uid: other-uid\n"
			       "      labels:\n"
			       "        app: mc\n"
			       "        tier: game\n"
			       "      annotations:\n"
			       "        note: hello\n"
			       "    spec:\n"
			       "      containers:\n"
			       "      - name: server\n"
			       "        image: mc:1.0\n"
			       "        command: [run, --port, \"25565\"]\n"
			       "        env:\n"
			       "        - name: MODE\n"
			       "          value: survival\n"
			       "      - name: sidecar\n"
			       "        image: side:1.0\n"
			       "    reclaimPolicy: Cascade\n"
			       "    volumeClaimTemplates:\n"
			       "    - metadata:\n"
			       "        name: data\n";

/* GSS_YAML with every mapping written in another member order. */
static const char GSS_YAML_REORDERED[] = "spec:\n"
					 "  gameServerTemplate:\n"
					 "    volumeClaimTemplates:\n"
					 "    - metadata:\n"
					 "        name: data\n"
					 "    spec:\n"
					 "      containers:\n"
					 "      - env:\n"
					 "        - value: survival\n"
					 "          name: MODE\n"
					 "        command: [run, --port, \"25565\"]\n"
					 "        image: mc:1.0\n"
					 "        name: server\n"
					 "      - image: side:1.0\n"
					 "        name: sidecar\n"
					 "    reclaimPolicy: Cascade\n"
					 "    metadata:\n"
					 "      annotations:\n"
					 "        note: hello\n"
					 "      labels:\n"
					 "        tier: game\n"
					 "        app: mc\n"
					 "      ownerReferences:\n"
					 "      - uid: other-uid\n"
					 "        name: x\n"
					 "        kind: Other\n"
					 "      generateName: gen-\n"
					 "      namespace: elsewhere\n"
					 "      name: template-name\n"
					 "  replicas: 3\n"
					 "metadata:\n"
					 "  uid: gss-uid-1\n"
					 "  namespace: games\n"
					 "  name: mc\n"
					 "kind: GameServerSet\n"
					 "apiVersion: game.kruise.io/v1alpha1\n";

static const char SQ_YAML[] = "- name: healthy\n"
			      "  containerName: server\n"
			      "  permanent: false\n"
			      "  exec:\n"
			      "    command: [/check.sh]\n"
			      "  serviceQualityAction:\n"
			      "  - state: true\n"
			      "    opsState: None\n"
			      "  - state: false\n"
			      "    opsState: Maintaining\n";

static const char GS_YAML[] = "apiVersion: game.kruise.io/v1alpha1\n"
			      "kind: GameServer\n"
			      "metadata:\n"
			      "  name: mc-1\n"
			      "  namespace: games\n"
			      "spec:\n"
			      "  opsState: Maintaining\n"
			      "  deletionPriority: 10\n"
			      "  updatePriority: \"7\"\n"
			      "  networkDisabled: true\n";

/* A running, ready pod whose labels match GS_YAML. */
static const char POD_YAML[] = "apiVersion: v1\n"
			       "kind: Pod\n"
			       "metadata:\n"
			       "  name: mc-1\n"
			       "  namespace: games\n"
			       "  uid: pod-uid-1\n"
			       "  labels:\n"
			       "    app: mc\n"
			       "    game.kruise.io/owner-gss: mc\n"
			       "    game.kruise.io/gs-opsState: Maintaining\n"
			       "    game.kruise.io/gs-delete-priority: \"10\"\n"
			       "    game.kruise.io/gs-update-priority: \"7\"\n"
			       "    game.kruise.io/network-disabled: \"true\"\n"
			       "    game.kruise.io/gs-state: Ready\n"
			       "spec:\n"
			       "  containers:\n"
			       "  - name: server\n"
			       "    image: mc:1.0\n"
			       "  - name: sidecar\n"
			       "    image: side:1.0\n"
			       "status:\n"
			       "  phase: Running\n"
			       "  podIP: 10.0.0.5\n"
			       "  hostIP: 192.168.1.2\n"
			       "  conditions:\n"
			       "  - type: PodScheduled\n"
			       "    status: \"True\"\n"
			       "  - type: Ready\n"
			       "    status: \"True\"\n"
			       "  containerStatuses:\n"
			       "  - name: server\n"
			       "    image: mc:1.0\n"
			       "    ready: true\n"
			       "    state:\n"
			       "      running: {}\n"
			       "  - name: sidecar\n"
			       "    image: side:1.0\n"
			       "    ready: true\n"
			       "    state:\n"
			       "      running: {}\n";

static cJSON *gss_fixture(void)
{
	return parse(GSS_YAML);
}

static cJSON *gss_with_sq(void)
{
	cJSON *gss = gss_fixture();
	cJSON *sq = parse(SQ_YAML);

	assert_true(cJSON_AddItemToObject((cJSON *)obj_get(gss, "spec"), "serviceQualities", sq));
	return gss;
}

static cJSON *build_pod(const cJSON *gss, int ord, const cJSON *gs)
{
	cJSON *pod = (cJSON *)0x1;

	assert_int_equal(obj_build_pod(gss, ord, gs, &pod), 0);
	assert_non_null(pod);
	return pod;
}

static const cJSON *container(const cJSON *pod, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, obj_get(pod, "spec.containers"))
	{
		if (strcmp(obj_str(c, "name"), name) == 0)
			return c;
	}
	fail_msg("no container %s", name);
	return NULL;
}

static void hash_of(const char *yaml, bool images, char out[17])
{
	cJSON *gss = parse(yaml);

	assert_int_equal(obj_template_hash(gss, images, out), 0);
	cJSON_Delete(gss);
}

/* ---- obj_get, obj_str, obj_label, obj_intstr ---------------------------------------------- */

static void test_obj_get(void **state)
{
	cJSON *o = parse("a:\n  b:\n    c: 5\n  s: text\nlist: [1, 2]\n");
	char longpath[200];

	(void)state;
	assert_int_equal(obj_get(o, "a.b.c")->valueint, 5);
	assert_ptr_equal(obj_get(o, "a.b"), cJSON_GetObjectItem(cJSON_GetObjectItem(o, "a"), "b"));
	assert_true(cJSON_IsArray(obj_get(o, "list")));
	assert_ptr_equal(obj_get(o, ""), o);
	assert_null(obj_get(o, "a.x"));
	assert_null(obj_get(o, "a.b.c.d")); /* through a number */
	assert_null(obj_get(o, "a.s.x"));   /* through a string */
	assert_null(obj_get(o, "A"));	    /* case-sensitive */
	assert_null(obj_get(NULL, "a"));
	/* A path segment too long for the internal buffer is not found, never overflowed. */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_null(obj_get(o, longpath));
	cJSON_Delete(o);
}

static void test_obj_str(void **state)
{
	cJSON *o = parse("metadata:\n  name: mc\n  n: 3\n  t: true\n  q: \"3\"\n");

	(void)state;
	assert_string_equal(obj_str(o, "metadata.name"), "mc");
	assert_string_equal(obj_str(o, "metadata.q"), "3");
	assert_null(obj_str(o, "metadata.n"));
	assert_null(obj_str(o, "metadata.t"));
	assert_null(obj_str(o, "metadata"));
	assert_null(obj_str(o, "metadata.missing"));
	assert_null(obj_str(NULL, "metadata.name"));
	cJSON_Delete(o);
}

static void test_obj_label(void **state)
{
	cJSON *o = parse("metadata:\n  labels:\n    game.kruise.io/owner-gss: mc\n    n: 3\n");
	cJSON *nolabels = parse("metadata:\n  name: x\n");

	(void)state;
	/* Label keys contain dots: they are looked up whole, not as paths. */
	assert_string_equal(obj_label(o, OKG_LABEL_OWNER_GSS), "mc");
	assert_null(obj_label(o, "n"));
	assert_null(obj_label(o, "missing"));
	assert_null(obj_label(nolabels, "app"));
	assert_null(obj_label(NULL, "app"));
	cJSON_Delete(o);
	cJSON_Delete(nolabels);
}

static void test_obj_intstr(void **state)
{
	cJSON *o = parse("a: 10\nb: -3\nc: 0\nd: \"7\"\ne: abc\nf: true\ng: 1000000000000\n"
			 "h: null\ni: \"\"\n");
	char buf[32];
	const cJSON *d = obj_get(o, "d");

	(void)state;
	assert_string_equal(obj_intstr(obj_get(o, "a"), buf, sizeof(buf), "x"), "10");
	assert_string_equal(obj_intstr(obj_get(o, "b"), buf, sizeof(buf), "x"), "-3");
	assert_string_equal(obj_intstr(obj_get(o, "c"), buf, sizeof(buf), "x"), "0");
	assert_string_equal(obj_intstr(obj_get(o, "g"), buf, sizeof(buf), "x"), "1000000000000");
	/* Strings pass through unchanged (the same storage, not a copy). */
	assert_ptr_equal(obj_intstr(d, buf, sizeof(buf), "x"), d->valuestring);
	assert_string_equal(obj_intstr(obj_get(o, "e"), buf, sizeof(buf), "x"), "abc");
	assert_string_equal(obj_intstr(obj_get(o, "i"), buf, sizeof(buf), "x"), "");
	/* Absent, null and other types give the default. */
	assert_string_equal(obj_intstr(obj_get(o, "missing"), buf, sizeof(buf), "0"), "0");
	assert_string_equal(obj_intstr(obj_get(o, "f"), buf, sizeof(buf), "def"), "def");
	assert_string_equal(obj_intstr(obj_get(o, "h"), buf, sizeof(buf), "def"), "def");
	assert_null(obj_intstr(NULL, buf, sizeof(buf), NULL));
	/* A small buffer truncates, never overflows. */
	{
		char small[4];

		assert_string_equal(obj_intstr(obj_get(o, "g"), small, sizeof(small), "x"), "100");
	}
	cJSON_Delete(o);
}

static void test_obj_gs_ops_state(void **state)
{
	cJSON *gs = parse(GS_YAML);
	cJSON *nospec = parse("metadata:\n  name: a\n");
	cJSON *empty = parse("spec:\n  opsState: \"\"\n");
	cJSON *num = parse("spec:\n  opsState: 3\n");

	(void)state;
	assert_string_equal(obj_gs_ops_state(gs), "Maintaining");
	set_string(gs, "spec.opsState", "Kill");
	assert_string_equal(obj_gs_ops_state(gs), "Kill");
	set_string(gs, "spec.opsState", "SomethingNew"); /* no enum: passed through */
	assert_string_equal(obj_gs_ops_state(gs), "SomethingNew");
	assert_string_equal(obj_gs_ops_state(NULL), "None");
	assert_string_equal(obj_gs_ops_state(nospec), "None");
	assert_string_equal(obj_gs_ops_state(empty), "None");
	assert_string_equal(obj_gs_ops_state(num), "None");
	cJSON_Delete(gs);
	cJSON_Delete(nospec);
	cJSON_Delete(empty);
	cJSON_Delete(num);
}

/* ---- obj_template_hash -------------------------------------------------------------------- */

static void test_hash_format(void **state)
{
	char h[17], h2[17];
	cJSON *notpl = parse("metadata:\n  name: x\nspec:\n  replicas: 1\n");

	(void)state;
	hash_of(GSS_YAML, true, h);
	assert_int_equal(strlen(h), 16);
	for (int i = 0; i < 16; i++)
		assert_non_null(strchr("0123456789abcdef", h[i]));
	hash_of(GSS_YAML, true, h2);
	assert_string_equal(h, h2);
	/* No template at all still hashes (to the hash of {}). */
	assert_int_equal(obj_template_hash(notpl, true, h2), 0);
	assert_int_equal(strlen(h2), 16);
	assert_string_not_equal(h, h2);
	cJSON_Delete(notpl);
}

static void test_hash_member_order(void **state)
{
	char a[17], b[17], an[17], bn[17];

	(void)state;
	hash_of(GSS_YAML, true, a);
	hash_of(GSS_YAML_REORDERED, true, b);
	assert_string_equal(a, b);
	hash_of(GSS_YAML, false, an);
	hash_of(GSS_YAML_REORDERED, false, bn);
	assert_string_equal(an, bn);
	assert_string_not_equal(a, an);
}

static void test_hash_member_order_not_array_order(void **state)
{
	cJSON *gss = gss_fixture(), *ctrs, *first;
	char a[17], b[17];

	(void)state;
	assert_int_equal(obj_template_hash(gss, true, a), 0);
	/* Swapping the two containers is a real change: array order is kept. */
	ctrs = (cJSON *)obj_get(gss, "spec.gameServerTemplate.spec.containers");
	first = cJSON_DetachItemFromArray(ctrs, 0);
	assert_true(cJSON_AddItemToArray(ctrs, first));
	assert_int_equal(obj_template_hash(gss, true, b), 0);
	assert_string_not_equal(a, b);
	cJSON_Delete(gss);
}

/* Applies one change to a fresh fixture and checks both hashes react (or not). */
static void check_change(void (*change)(cJSON *), bool full_changes, bool noimage_changes)
{
	cJSON *gss = gss_fixture();
	char a[17], an[17], b[17], bn[17];

	assert_int_equal(obj_template_hash(gss, true, a), 0);
	assert_int_equal(obj_template_hash(gss, false, an), 0);
	change(gss);
	assert_int_equal(obj_template_hash(gss, true, b), 0);
	assert_int_equal(obj_template_hash(gss, false, bn), 0);
	if (full_changes)
		assert_string_not_equal(a, b);
	else
		assert_string_equal(a, b);
	if (noimage_changes)
		assert_string_not_equal(an, bn);
	else
		assert_string_equal(an, bn);
	cJSON_Delete(gss);
}

static void ch_label(cJSON *g)
{
	set_string(g, "spec.gameServerTemplate.metadata.labels.tier", "other");
}

static void ch_add_label(cJSON *g)
{
	assert_non_null(cJSON_AddStringToObject(
	    (cJSON *)obj_get(g, "spec.gameServerTemplate.metadata.labels"), "new", "x"));
}

static void ch_annotation(cJSON *g)
{
	set_string(g, "spec.gameServerTemplate.metadata.annotations.note", "bye");
}

static void ch_command(cJSON *g)
{
	cJSON *cmd = (cJSON *)obj_get(
	    cJSON_GetArrayItem(obj_get(g, "spec.gameServerTemplate.spec.containers"), 0),
	    "command");

	assert_non_null(cJSON_SetValuestring(cJSON_GetArrayItem(cmd, 2), "25566"));
}

static void ch_env(cJSON *g)
{
	cJSON *c = cJSON_GetArrayItem(obj_get(g, "spec.gameServerTemplate.spec.containers"), 0);

	set_string(cJSON_GetArrayItem(obj_get(c, "env"), 0), "value", "creative");
}

static void ch_add_spec_field(cJSON *g)
{
	assert_non_null(cJSON_AddNumberToObject((cJSON *)obj_get(g, "spec.gameServerTemplate.spec"),
						"terminationGracePeriodSeconds", 5));
}

static void ch_image(cJSON *g)
{
	cJSON *c = cJSON_GetArrayItem(obj_get(g, "spec.gameServerTemplate.spec.containers"), 1);

	set_string(c, "image", "side:2.0");
}

static void ch_both_images(cJSON *g)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, obj_get(g, "spec.gameServerTemplate.spec.containers"))
	{
		set_string((cJSON *)c, "image", "new:9");
	}
}

static void ch_reclaim(cJSON *g)
{
	set_string(g, "spec.gameServerTemplate.reclaimPolicy", "Delete");
}

static void ch_drop_reclaim(cJSON *g)
{
	cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)obj_get(g, "spec.gameServerTemplate"),
						"reclaimPolicy");
}

static void ch_vct(cJSON *g)
{
	cJSON *v =
	    cJSON_GetArrayItem(obj_get(g, "spec.gameServerTemplate.volumeClaimTemplates"), 0);

	set_string(v, "metadata.name", "other");
	assert_non_null(cJSON_AddItemToArray(
	    (cJSON *)obj_get(g, "spec.gameServerTemplate.volumeClaimTemplates"),
	    cJSON_CreateObject()));
}

static void ch_outside_template(cJSON *g)
{
	cJSON_ReplaceItemInObjectCaseSensitive((cJSON *)obj_get(g, "spec"), "replicas",
					       cJSON_CreateNumber(9));
	set_string(g, "metadata.uid", "another");
}

static void test_hash_changes_with_template(void **state)
{
	(void)state;
	check_change(ch_label, true, true);
	check_change(ch_add_label, true, true);
	check_change(ch_annotation, true, true);
	check_change(ch_command, true, true);
	check_change(ch_env, true, true);
	check_change(ch_add_spec_field, true, true);
}

static void test_hash_images_only(void **state)
{
	(void)state;
	/* An image change moves the full hash but not the image-free one. */
	check_change(ch_image, true, false);
	check_change(ch_both_images, true, false);
}

static void test_hash_ignores_reclaim_and_vct(void **state)
{
	(void)state;
	check_change(ch_reclaim, false, false);
	check_change(ch_drop_reclaim, false, false);
	check_change(ch_vct, false, false);
	check_change(ch_outside_template, false, false);
}

static void test_hash_does_not_modify_input(void **state)
{
	cJSON *gss = gss_fixture();
	char *before = cJSON_PrintUnformatted(gss), *after;
	char h[17];

	(void)state;
	assert_int_equal(obj_template_hash(gss, false, h), 0);
	after = cJSON_PrintUnformatted(gss);
	assert_string_equal(before, after);
	free(before);
	free(after);
	cJSON_Delete(gss);
}

/* ---- obj_build_pod ------------------------------------------------------------------------ */

static void test_pod_identity(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *pod = build_pod(gss, 3, NULL), *pod12 = build_pod(gss, 12, NULL);
	const cJSON *meta = obj_get(pod, "metadata");

	(void)state;
	assert_string_equal(obj_str(pod, "apiVersion"), "v1");
	assert_string_equal(obj_str(pod, "kind"), "Pod");
	assert_string_equal(obj_str(pod, "metadata.name"), "mc-3");
	assert_string_equal(obj_str(pod12, "metadata.name"), "mc-12");
	assert_string_equal(obj_str(pod, "metadata.namespace"), "games");
	/* Template metadata that would clash is stripped. */
	assert_null(obj_get(meta, "generateName"));
	assert_false(json_contains(meta, "template-name"));
	assert_false(json_contains(meta, "elsewhere"));
	assert_false(json_contains(meta, "other-uid"));
	cJSON_Delete(pod);
	cJSON_Delete(pod12);
	cJSON_Delete(gss);
}

static void test_pod_template_metadata_stripped(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *pod = build_pod(gss, 0, NULL);
	const cJSON *refs = obj_get(pod, "metadata.ownerReferences");
	int names = 0, namespaces = 0;
	const cJSON *m;

	(void)state;
	/* Exactly one name and namespace member (the template's are replaced, not duplicated). */
	cJSON_ArrayForEach(m, obj_get(pod, "metadata"))
	{
		names += strcmp(m->string, "name") == 0;
		namespaces += strcmp(m->string, "namespace") == 0;
	}
	assert_int_equal(names, 1);
	assert_int_equal(namespaces, 1);
	assert_string_equal(obj_str(pod, "metadata.name"), "mc-0");
	assert_string_equal(obj_str(pod, "metadata.namespace"), "games");
	assert_null(obj_get(pod, "metadata.generateName"));
	/* The template's own ownerReferences are gone: only the set's. */
	assert_int_equal(size_of(refs), 1);
	assert_string_equal(obj_str(cJSON_GetArrayItem(refs, 0), "kind"), "GameServerSet");
	/* Template-only fields never reach the pod. */
	assert_null(obj_get(pod, "reclaimPolicy"));
	assert_null(obj_get(pod, "volumeClaimTemplates"));
	assert_null(obj_get(pod, "spec.reclaimPolicy"));
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

static void test_pod_labels_default(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *pod = build_pod(gss, 4, NULL);
	char h[17], hn[17];

	(void)state;
	assert_int_equal(obj_template_hash(gss, true, h), 0);
	assert_int_equal(obj_template_hash(gss, false, hn), 0);
	/* Template labels kept. */
	assert_string_equal(obj_label(pod, "app"), "mc");
	assert_string_equal(obj_label(pod, "tier"), "game");
	assert_string_equal(obj_label(pod, OKG_LABEL_OWNER_GSS), "mc");
	assert_string_equal(obj_label(pod, OKG_LABEL_ORDINAL), "4");
	assert_string_equal(obj_label(pod, OKG_LABEL_TEMPLATE_HASH), h);
	assert_string_equal(obj_label(pod, OKG_LABEL_TEMPLATE_HASH_NOIMAGE), hn);
	/* No GameServer yet: the defaults a new GameServer gets. */
	assert_string_equal(obj_label(pod, OKG_LABEL_OPS_STATE), "None");
	assert_string_equal(obj_label(pod, OKG_LABEL_DELETE_PRIORITY), "0");
	assert_string_equal(obj_label(pod, OKG_LABEL_UPDATE_PRIORITY), "0");
	assert_string_equal(obj_label(pod, OKG_LABEL_NETWORK_DISABLED), "false");
	assert_int_equal(size_of(obj_get(pod, "metadata.labels")), 10);
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

static void test_pod_labels_from_gs(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *gs = parse(GS_YAML);
	cJSON *pod = build_pod(gss, 1, gs);

	(void)state;
	assert_string_equal(obj_label(pod, OKG_LABEL_OPS_STATE), "Maintaining");
	assert_string_equal(obj_label(pod, OKG_LABEL_DELETE_PRIORITY), "10"); /* number */
	assert_string_equal(obj_label(pod, OKG_LABEL_UPDATE_PRIORITY), "7");  /* string */
	assert_string_equal(obj_label(pod, OKG_LABEL_NETWORK_DISABLED), "true");
	assert_string_equal(obj_label(pod, "app"), "mc");
	cJSON_Delete(pod);
	cJSON_Delete(gs);
	cJSON_Delete(gss);
}

static void test_pod_controller_labels_win(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *labels = (cJSON *)obj_get(gss, "spec.gameServerTemplate.metadata.labels");
	cJSON *pod;

	(void)state;
	/* A template that tries to set the controller's labels does not get its way. */
	assert_non_null(cJSON_AddStringToObject(labels, OKG_LABEL_OWNER_GSS, "someone-else"));
	assert_non_null(cJSON_AddStringToObject(labels, OKG_LABEL_ORDINAL, "99"));
	assert_non_null(cJSON_AddStringToObject(labels, OKG_LABEL_OPS_STATE, "Kill"));
	pod = build_pod(gss, 2, NULL);
	assert_string_equal(obj_label(pod, OKG_LABEL_OWNER_GSS), "mc");
	assert_string_equal(obj_label(pod, OKG_LABEL_ORDINAL), "2");
	assert_string_equal(obj_label(pod, OKG_LABEL_OPS_STATE), "None");
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

static void test_pod_no_template_labels(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *pod;

	(void)state;
	cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)obj_get(gss, "spec.gameServerTemplate"),
						"metadata");
	pod = build_pod(gss, 0, NULL);
	assert_string_equal(obj_label(pod, OKG_LABEL_OWNER_GSS), "mc");
	assert_string_equal(obj_str(pod, "metadata.name"), "mc-0");
	assert_null(obj_get(pod, "metadata.annotations"));
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

static void test_pod_annotations_and_probes(void **state)
{
	cJSON *gss = gss_with_sq();
	cJSON *pod = build_pod(gss, 0, NULL), *probes;
	const char *text;

	(void)state;
	assert_string_equal(obj_str(pod, "metadata.annotations.note"), "hello");
	text = cJSON_GetObjectItemCaseSensitive(obj_get(pod, "metadata.annotations"),
						OKG_ANNOTATION_PROBES)
		   ->valuestring;
	assert_non_null(text);
	assert_null(strstr(text, "serviceQualityAction"));
	probes = parse_json(text);
	assert_true(cJSON_IsArray(probes));
	assert_int_equal(size_of(probes), 1);
	assert_string_equal(obj_str(cJSON_GetArrayItem(probes, 0), "name"), "healthy");
	assert_string_equal(obj_str(cJSON_GetArrayItem(probes, 0), "containerName"), "server");
	assert_non_null(obj_get(cJSON_GetArrayItem(probes, 0), "exec.command"));
	assert_true(cJSON_IsFalse(obj_get(cJSON_GetArrayItem(probes, 0), "permanent")));
	/* The set itself still has its actions. */
	assert_non_null(obj_get(cJSON_GetArrayItem(obj_get(gss, "spec.serviceQualities"), 0),
				"serviceQualityAction"));
	cJSON_Delete(probes);
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

/* The seed's OKG sidecar set: no serviceQualities, a container "sidecar" running okg-sidecar
 * with its ConfigMap at /opt/sidecar. */
static const char sidecar_gss_yaml[] =
    "apiVersion: game.kruise.io/v1alpha1\nkind: GameServerSet\n"
    "metadata: {name: hot-update-gs, namespace: sidecar, uid: u-1}\n"
    "spec:\n  replicas: 2\n  gameServerTemplate:\n"
    "    metadata: {labels: {app: hot-update-gs}}\n"
    "    spec:\n      containers:\n"
    "        - {name: tankwar, image: \"tank:latest\"}\n"
    "        - name: sidecar\n          image: okg-sidecar:v1\n"
    "          volumeMounts: [{mountPath: /opt/sidecar, name: sidecar-config}]\n"
    "      volumes: [{name: sidecar-config, configMap: {name: sidecar-config}}]\n";

static const char *sidecar_annotation(const cJSON *pod)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj_get(pod, "metadata.annotations"),
							  OKG_ANNOTATION_SIDECAR);

	return cJSON_IsString(a) ? a->valuestring : NULL;
}

static void test_pod_sidecar_marked(void **state)
{
	cJSON *gss = parse(sidecar_gss_yaml), *pod;
	cJSON *ctrs = (cJSON *)obj_get(gss, "spec.gameServerTemplate.spec.containers");
	cJSON *side = cJSON_GetArrayItem(ctrs, 1);
	cJSON *mount = cJSON_GetArrayItem(obj_get(side, "volumeMounts"), 0);
	static const char *const yes[] = {"okg-sidecar:v1", "okg-sidecar",
					  "registry.example.com:5000/acs/okg-sidecar:v1.2",
					  "okg-sidecar@sha256:0123"};
	static const char *const no[] = {"okg-sidecar-x:v1", "my-okg-sidecar:v1",
					 "okg-sidecar/tool:v1", "tank:latest"};

	(void)state;
	assert_string_equal(obj_sidecar_container(gss), "sidecar");
	pod = build_pod(gss, 1, NULL);
	assert_string_equal(sidecar_annotation(pod), "sidecar");
	assert_null(cJSON_GetObjectItemCaseSensitive(obj_get(pod, "metadata.annotations"),
						     OKG_ANNOTATION_PROBES));
	/* The container itself is left as the template says (the webhook changes it). */
	assert_string_equal(
	    obj_str(cJSON_GetArrayItem(obj_get(pod, "spec.containers"), 1), "image"),
	    "okg-sidecar:v1");
	cJSON_Delete(pod);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		set_string(side, "image", yes[i]);
		assert_non_null(obj_sidecar_container(gss));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		set_string(side, "image", no[i]);
		assert_null(obj_sidecar_container(gss));
	}
	set_string(side, "image", "okg-sidecar:v1");
	set_string(mount, "mountPath", "/opt/sidecar/");
	assert_non_null(obj_sidecar_container(gss));
	/* Without its config mount it is not the OKG sidecar we can stand in for. */
	set_string(mount, "mountPath", "/opt/sidecar2");
	assert_null(obj_sidecar_container(gss));
	pod = build_pod(gss, 0, NULL);
	assert_null(sidecar_annotation(pod));
	cJSON_Delete(pod);
	set_string(mount, "mountPath", "/opt/sidecar");
	/* A set with service qualities gets the injected helper, not the sidecar one. */
	{
		cJSON *sqs =
		    cJSON_AddArrayToObject((cJSON *)obj_get(gss, "spec"), "serviceQualities");
		cJSON *q = cJSON_CreateObject();

		cJSON_AddStringToObject(q, "name", "healthy");
		cJSON_AddItemToArray(sqs, q);
	}
	assert_null(obj_sidecar_container(gss));
	pod = build_pod(gss, 0, NULL);
	assert_null(sidecar_annotation(pod));
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

static void test_pod_probes_absent(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *pod = build_pod(gss, 0, NULL);
	cJSON *empty;

	(void)state;
	assert_null(cJSON_GetObjectItemCaseSensitive(obj_get(pod, "metadata.annotations"),
						     OKG_ANNOTATION_PROBES));
	assert_int_equal(size_of(obj_get(pod, "metadata.annotations")), 1);
	cJSON_Delete(pod);
	/* An empty list is no service quality either. */
	empty = cJSON_AddArrayToObject((cJSON *)obj_get(gss, "spec"), "serviceQualities");
	assert_non_null(empty);
	pod = build_pod(gss, 0, NULL);
	assert_null(cJSON_GetObjectItemCaseSensitive(obj_get(pod, "metadata.annotations"),
						     OKG_ANNOTATION_PROBES));
	cJSON_Delete(pod);
	/* Without template annotations, none are invented. */
	cJSON_DeleteItemFromObjectCaseSensitive(
	    (cJSON *)obj_get(gss, "spec.gameServerTemplate.metadata"), "annotations");
	pod = build_pod(gss, 0, NULL);
	assert_null(obj_get(pod, "metadata.annotations"));
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

static void test_pod_owner_reference(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *pod = build_pod(gss, 0, NULL);
	const cJSON *refs = obj_get(pod, "metadata.ownerReferences"), *ref;

	(void)state;
	assert_true(cJSON_IsArray(refs));
	assert_int_equal(size_of(refs), 1);
	ref = cJSON_GetArrayItem(refs, 0);
	assert_string_equal(obj_str(ref, "apiVersion"), "game.kruise.io/v1alpha1");
	assert_string_equal(obj_str(ref, "kind"), "GameServerSet");
	assert_string_equal(obj_str(ref, "name"), "mc");
	assert_string_equal(obj_str(ref, "uid"), "gss-uid-1");
	assert_true(cJSON_IsTrue(obj_get(ref, "controller")));
	assert_true(cJSON_IsTrue(obj_get(ref, "blockOwnerDeletion")));
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

static void test_pod_hostname_subdomain(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *pod = build_pod(gss, 2, NULL);
	cJSON *tspec = (cJSON *)obj_get(gss, "spec.gameServerTemplate.spec");

	(void)state;
	/* No serviceName: the set's name. */
	assert_string_equal(obj_str(pod, "spec.hostname"), "mc-2");
	assert_string_equal(obj_str(pod, "spec.subdomain"), "mc");
	cJSON_Delete(pod);
	/* An empty serviceName counts as none. */
	assert_non_null(cJSON_AddStringToObject((cJSON *)obj_get(gss, "spec"), "serviceName", ""));
	pod = build_pod(gss, 2, NULL);
	assert_string_equal(obj_str(pod, "spec.subdomain"), "mc");
	cJSON_Delete(pod);
	set_string(gss, "spec.serviceName", "mc-svc");
	pod = build_pod(gss, 2, NULL);
	assert_string_equal(obj_str(pod, "spec.hostname"), "mc-2");
	assert_string_equal(obj_str(pod, "spec.subdomain"), "mc-svc");
	cJSON_Delete(pod);
	/* Template values win. */
	assert_non_null(cJSON_AddStringToObject(tspec, "hostname", "fixed-host"));
	assert_non_null(cJSON_AddStringToObject(tspec, "subdomain", "fixed-sub"));
	pod = build_pod(gss, 2, NULL);
	assert_string_equal(obj_str(pod, "spec.hostname"), "fixed-host");
	assert_string_equal(obj_str(pod, "spec.subdomain"), "fixed-sub");
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

static void test_pod_spec_copied(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *pod = build_pod(gss, 0, NULL);
	const cJSON *server = container(pod, "server");

	(void)state;
	assert_int_equal(size_of(obj_get(pod, "spec.containers")), 2);
	assert_string_equal(obj_str(server, "image"), "mc:1.0");
	assert_int_equal(size_of(obj_get(server, "command")), 3);
	assert_string_equal(obj_str(cJSON_GetArrayItem(obj_get(server, "env"), 0), "value"),
			    "survival");
	assert_string_equal(obj_str(container(pod, "sidecar"), "image"), "side:1.0");
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

static void test_pod_image_override(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *gs = parse("spec:\n"
			  "  containers:\n"
			  "  - name: sidecar\n"
			  "    image: side:2.0\n"
			  "  - name: nosuch\n"
			  "    image: ghost:1\n"
			  "  - name: server\n"
			  "    image: \"\"\n");
	cJSON *pod = build_pod(gss, 0, gs);
	char h[17];

	(void)state;
	assert_string_equal(obj_str(container(pod, "sidecar"), "image"), "side:2.0");
	/* Other containers untouched; an empty image overrides nothing; unknown names ignored. */
	assert_string_equal(obj_str(container(pod, "server"), "image"), "mc:1.0");
	assert_int_equal(size_of(obj_get(pod, "spec.containers")), 2);
	assert_false(json_contains(pod, "ghost"));
	/* The template hash labels describe the set's template, not the override. */
	assert_int_equal(obj_template_hash(gss, true, h), 0);
	assert_string_equal(obj_label(pod, OKG_LABEL_TEMPLATE_HASH), h);
	/* The set is not modified. */
	assert_string_equal(
	    obj_str(cJSON_GetArrayItem(obj_get(gss, "spec.gameServerTemplate.spec.containers"), 1),
		    "image"),
	    "side:1.0");
	cJSON_Delete(pod);
	cJSON_Delete(gs);
	cJSON_Delete(gss);
}

static void test_pod_does_not_modify_gss(void **state)
{
	cJSON *gss = gss_with_sq();
	cJSON *gs = parse("spec:\n  containers:\n  - name: server\n    image: mc:9\n");
	char *before = cJSON_PrintUnformatted(gss), *after;
	cJSON *pod = build_pod(gss, 5, gs);

	(void)state;
	after = cJSON_PrintUnformatted(gss);
	assert_string_equal(before, after);
	free(before);
	free(after);
	cJSON_Delete(pod);
	cJSON_Delete(gs);
	cJSON_Delete(gss);
}

static void test_pod_invalid(void **state)
{
	const char *drop[][2] = {{"metadata", "uid"},
				 {"metadata", "name"},
				 {"metadata", "namespace"},
				 {"spec.gameServerTemplate", "spec"},
				 {"spec", "gameServerTemplate"}};
	cJSON *pod = (cJSON *)0x1;

	(void)state;
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
		cJSON *gss = gss_fixture();

		cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)obj_get(gss, drop[i][0]),
							drop[i][1]);
		pod = (cJSON *)0x1;
		assert_int_equal(obj_build_pod(gss, 0, NULL, &pod), -EINVAL);
		assert_null(pod);
		cJSON_Delete(gss);
	}
	/* A template spec that is not an object is no spec. */
	{
		cJSON *gss = gss_fixture();

		cJSON_ReplaceItemInObjectCaseSensitive(
		    (cJSON *)obj_get(gss, "spec.gameServerTemplate"), "spec",
		    cJSON_CreateString("oops"));
		pod = (cJSON *)0x1;
		assert_int_equal(obj_build_pod(gss, 0, NULL, &pod), -EINVAL);
		assert_null(pod);
		cJSON_Delete(gss);
	}
	pod = (cJSON *)0x1;
	assert_int_equal(obj_build_pod(NULL, 0, NULL, &pod), -EINVAL);
	assert_null(pod);
}

/* ---- obj_build_gameserver ----------------------------------------------------------------- */

static void test_gameserver(void **state)
{
	cJSON *pod = parse(POD_YAML);
	cJSON *gs = (cJSON *)0x1;
	const cJSON *refs, *ref;

	(void)state;
	assert_int_equal(obj_build_gameserver(pod, "mc", &gs), 0);
	assert_non_null(gs);
	assert_string_equal(obj_str(gs, "apiVersion"), "game.kruise.io/v1alpha1");
	assert_string_equal(obj_str(gs, "kind"), "GameServer");
	assert_string_equal(obj_str(gs, "metadata.name"), "mc-1");
	assert_string_equal(obj_str(gs, "metadata.namespace"), "games");
	assert_string_equal(obj_label(gs, OKG_LABEL_OWNER_GSS), "mc");
	refs = obj_get(gs, "metadata.ownerReferences");
	assert_int_equal(size_of(refs), 1);
	ref = cJSON_GetArrayItem(refs, 0);
	assert_string_equal(obj_str(ref, "apiVersion"), "v1");
	assert_string_equal(obj_str(ref, "kind"), "Pod");
	assert_string_equal(obj_str(ref, "name"), "mc-1");
	assert_string_equal(obj_str(ref, "uid"), "pod-uid-1");
	assert_true(cJSON_IsTrue(obj_get(ref, "controller")));
	assert_true(cJSON_IsTrue(obj_get(ref, "blockOwnerDeletion")));
	/* Spec defaults (util.InitGameServer). */
	assert_string_equal(obj_str(gs, "spec.opsState"), "None");
	assert_true(cJSON_IsNumber(obj_get(gs, "spec.deletionPriority")));
	assert_int_equal(obj_get(gs, "spec.deletionPriority")->valueint, 0);
	assert_true(cJSON_IsNumber(obj_get(gs, "spec.updatePriority")));
	assert_int_equal(obj_get(gs, "spec.updatePriority")->valueint, 0);
	assert_true(cJSON_IsFalse(obj_get(gs, "spec.networkDisabled")));
	assert_null(obj_get(gs, "spec.containers"));
	assert_null(obj_get(gs, "status"));
	assert_string_equal(obj_gs_ops_state(gs), "None");
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_gameserver_invalid(void **state)
{
	const char *fields[] = {"uid", "name", "namespace"};
	cJSON *gs = (cJSON *)0x1;

	(void)state;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		cJSON *pod = parse(POD_YAML);

		cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)obj_get(pod, "metadata"),
							fields[i]);
		gs = (cJSON *)0x1;
		assert_int_equal(obj_build_gameserver(pod, "mc", &gs), -EINVAL);
		assert_null(gs);
		cJSON_Delete(pod);
	}
	gs = (cJSON *)0x1;
	assert_int_equal(obj_build_gameserver(NULL, "mc", &gs), -EINVAL);
	assert_null(gs);
	{
		cJSON *pod = parse(POD_YAML);

		gs = (cJSON *)0x1;
		assert_int_equal(obj_build_gameserver(pod, NULL, &gs), -EINVAL);
		assert_null(gs);
		cJSON_Delete(pod);
	}
}

/* The GameServer of a freshly built pod: the pod gets the GameServer's own defaults. */
static void test_build_round_trip(void **state)
{
	cJSON *gss = gss_fixture();
	cJSON *pod = build_pod(gss, 0, NULL), *gs = NULL;
	char *patch;

	(void)state;
	assert_non_null(cJSON_AddStringToObject((cJSON *)obj_get(pod, "metadata"), "uid", "u0"));
	assert_int_equal(obj_build_gameserver(pod, "mc", &gs), 0);
	/* Only gs-state is missing: the spec labels already agree with the defaults. */
	patch = obj_pod_label_patch(gs, pod);
	assert_non_null(patch);
	assert_string_equal(patch,
			    "{\"metadata\":{\"labels\":{\"" OKG_LABEL_STATE "\":\"Creating\"}}}");
	free(patch);
	assert_null(obj_pod_image_patch(gs, pod));
	cJSON_Delete(gs);
	cJSON_Delete(pod);
	cJSON_Delete(gss);
}

/* ---- obj_gs_state ------------------------------------------------------------------------- */

static const char *state_of(const char *yaml)
{
	static char buf[32];
	cJSON *pod = parse(yaml);

	snprintf(buf, sizeof(buf), "%s", obj_gs_state(pod));
	cJSON_Delete(pod);
	return buf;
}

static void test_state_deleting(void **state)
{
	cJSON *pod = parse(POD_YAML);

	(void)state;
	assert_string_equal(obj_gs_state(NULL), "Deleting");
	assert_string_equal(obj_gs_state(pod), "Ready");
	/* A terminating pod is Deleting whatever else it says. */
	assert_non_null(cJSON_AddStringToObject((cJSON *)obj_get(pod, "metadata"),
						"deletionTimestamp", "2024-01-01T00:00:00Z"));
	assert_string_equal(obj_gs_state(pod), "Deleting");
	set_string(pod, "status.phase", "Pending");
	assert_string_equal(obj_gs_state(pod), "Deleting");
	set_string(pod, "status.phase", "Failed");
	assert_string_equal(obj_gs_state(pod), "Deleting");
	cJSON_Delete(pod);
}

static void test_state_creating(void **state)
{
	(void)state;
	assert_string_equal(state_of("metadata:\n  name: a\n"), "Creating");
	assert_string_equal(state_of("metadata:\n  name: a\nstatus: {}\n"), "Creating");
	assert_string_equal(state_of("status:\n  phase: Pending\n"), "Creating");
	assert_string_equal(state_of("status:\n"
				     "  phase: Pending\n"
				     "  conditions:\n"
				     "  - type: Ready\n"
				     "    status: \"True\"\n"),
			    "Creating");
	/* As in OpenKruiseGame, a Pending pod is Creating even when its image cannot be pulled:
	 * the waiting reasons only make a started pod (Running, e.g. after an in-place image
	 * change) a Crash. */
	assert_string_equal(state_of("status:\n"
				     "  phase: Pending\n"
				     "  containerStatuses:\n"
				     "  - name: b\n"
				     "    state:\n"
				     "      waiting:\n"
				     "        reason: ImagePullBackOff\n"),
			    "Creating");
}

static void test_state_failed(void **state)
{
	(void)state;
	assert_string_equal(state_of("status:\n  phase: Failed\n"), "Crash");
	assert_string_equal(state_of("status:\n"
				     "  phase: Failed\n"
				     "  conditions:\n"
				     "  - type: Ready\n"
				     "    status: \"True\"\n"),
			    "Crash");
}

static void test_state_crash_reasons(void **state)
{
	const char *crash[] = {"CrashLoopBackOff", "RunContainerError", "CreateContainerError",
			       "ErrImagePull", "ImagePullBackOff"};
	const char *fine[] = {"ContainerCreating", "PodInitializing", "Whatever"};
	char yaml[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(crash) / sizeof(crash[0]); i++) {
		/* The crashing container is the second one; the first is fine and ready, and
		 * the pod's Ready condition (stale) still says True. */
		snprintf(yaml, sizeof(yaml),
			 "status:\n"
			 "  phase: Running\n"
			 "  conditions:\n"
			 "  - type: Ready\n"
			 "    status: \"True\"\n"
			 "  containerStatuses:\n"
			 "  - name: a\n"
			 "    state:\n"
			 "      running: {}\n"
			 "  - name: b\n"
			 "    state:\n"
			 "      waiting:\n"
			 "        reason: %s\n",
			 crash[i]);
		if (strcmp(state_of(yaml), "Crash") != 0)
			fail_msg("reason %s gives %s, not Crash", crash[i], state_of(yaml));
	}
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 "status:\n"
			 "  phase: Running\n"
			 "  containerStatuses:\n"
			 "  - name: b\n"
			 "    state:\n"
			 "      waiting:\n"
			 "        reason: %s\n",
			 fine[i]);
		assert_string_equal(state_of(yaml), "NotReady");
	}
	/* A terminated container's last reason is not a waiting reason. */
	assert_string_equal(state_of("status:\n"
				     "  phase: Running\n"
				     "  containerStatuses:\n"
				     "  - name: b\n"
				     "    lastState:\n"
				     "      waiting:\n"
				     "        reason: CrashLoopBackOff\n"),
			    "NotReady");
}

static void test_state_updating(void **state)
{
	cJSON *pod = parse(POD_YAML);
	cJSON *server = (cJSON *)container(pod, "sidecar");

	(void)state;
	/* The spec was patched to a new image; the container still runs the old one. */
	set_string(server, "image", "side:2.0");
	assert_string_equal(obj_gs_state(pod), "Updating");
	/* Caught up. */
	set_string(cJSON_GetArrayItem(obj_get(pod, "status.containerStatuses"), 1), "image",
		   "side:2.0");
	assert_string_equal(obj_gs_state(pod), "Ready");
	/* A crash while updating is a crash. */
	set_string(server, "image", "side:3.0");
	assert_non_null(cJSON_AddItemToObject(
	    (cJSON *)obj_get(cJSON_GetArrayItem(obj_get(pod, "status.containerStatuses"), 1),
			     "state"),
	    "waiting", parse("reason: ErrImagePull\n")));
	assert_string_equal(obj_gs_state(pod), "Crash");
	cJSON_Delete(pod);
}

static void test_state_ready_notready(void **state)
{
	cJSON *pod = parse(POD_YAML);
	cJSON *ready = cJSON_GetArrayItem(obj_get(pod, "status.conditions"), 1);

	(void)state;
	assert_string_equal(obj_gs_state(pod), "Ready");
	set_string(ready, "status", "False");
	assert_string_equal(obj_gs_state(pod), "NotReady");
	set_string(ready, "status", "Unknown");
	assert_string_equal(obj_gs_state(pod), "NotReady");
	cJSON_DeleteItemFromArray((cJSON *)obj_get(pod, "status.conditions"), 1);
	assert_string_equal(obj_gs_state(pod), "NotReady");
	assert_string_equal(state_of("status:\n  phase: Running\n"), "NotReady");
	assert_string_equal(state_of("status:\n"
				     "  phase: Succeeded\n"
				     "  conditions:\n"
				     "  - type: Ready\n"
				     "    status: \"False\"\n"),
			    "NotReady");
	/* Only the Ready condition counts. */
	assert_string_equal(state_of("status:\n"
				     "  phase: Running\n"
				     "  conditions:\n"
				     "  - type: ContainersReady\n"
				     "    status: \"True\"\n"),
			    "NotReady");
	cJSON_Delete(pod);
}

/* ---- obj_pod_label_patch ------------------------------------------------------------------ */

/* The patch is {"metadata":{"labels":{...}}} with exactly the pairs in kv (NULL-terminated). */
static void assert_label_patch(char *patch, const char *const *kv)
{
	cJSON *p = parse_json(patch);
	const cJSON *labels = obj_get(p, "metadata.labels");
	int n = 0;

	assert_int_equal(size_of(p), 1);
	assert_int_equal(size_of(obj_get(p, "metadata")), 1);
	assert_true(cJSON_IsObject(labels));
	for (; kv[2 * n]; n++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, kv[2 * n]);

		if (!cJSON_IsString(v))
			fail_msg("label %s missing from %s", kv[2 * n], patch);
		assert_string_equal(v->valuestring, kv[2 * n + 1]);
	}
	if (size_of(labels) != n)
		fail_msg("expected %d labels in %s", n, patch);
	cJSON_Delete(p);
	free(patch);
}

static void test_label_patch_none(void **state)
{
	cJSON *gs = parse(GS_YAML), *pod = parse(POD_YAML);

	(void)state;
	/* Numbers and strings that print alike are equal. */
	assert_null(obj_pod_label_patch(gs, pod));
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_label_patch_differences(void **state)
{
	cJSON *gs = parse(GS_YAML), *pod = parse(POD_YAML);
	cJSON *labels = (cJSON *)obj_get(pod, "metadata.labels");

	(void)state;
	/* One value differs, one label is absent; the rest match and stay out of the patch. */
	set_string(gs, "spec.opsState", "Allocated");
	cJSON_DeleteItemFromObjectCaseSensitive(labels, OKG_LABEL_UPDATE_PRIORITY);
	assert_label_patch(obj_pod_label_patch(gs, pod),
			   (const char *const[]){OKG_LABEL_OPS_STATE, "Allocated",
						 OKG_LABEL_UPDATE_PRIORITY, "7", NULL});
	/* Every label differs or is absent. */
	cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)obj_get(pod, "metadata"), "labels");
	assert_label_patch(
	    obj_pod_label_patch(gs, pod),
	    (const char *const[]){OKG_LABEL_OPS_STATE, "Allocated", OKG_LABEL_DELETE_PRIORITY, "10",
				  OKG_LABEL_UPDATE_PRIORITY, "7", OKG_LABEL_NETWORK_DISABLED,
				  "true", OKG_LABEL_STATE, "Ready", NULL});
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_label_patch_defaults(void **state)
{
	cJSON *gs = parse("metadata:\n  name: mc-1\nspec: {}\n"), *pod = parse(POD_YAML);

	(void)state;
	/* A GameServer without spec values means None/0/0/false. */
	assert_label_patch(obj_pod_label_patch(gs, pod),
			   (const char *const[]){OKG_LABEL_OPS_STATE, "None",
						 OKG_LABEL_DELETE_PRIORITY, "0",
						 OKG_LABEL_UPDATE_PRIORITY, "0",
						 OKG_LABEL_NETWORK_DISABLED, "false", NULL});
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_label_patch_state(void **state)
{
	cJSON *gs = parse(GS_YAML), *pod = parse(POD_YAML);

	(void)state;
	/* The pod's own state is labelled too. */
	set_string(pod, "status.phase", "Failed");
	assert_label_patch(obj_pod_label_patch(gs, pod),
			   (const char *const[]){OKG_LABEL_STATE, "Crash", NULL});
	set_string(pod, "status.phase", "Running");
	cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)obj_get(pod, "metadata.labels"),
						OKG_LABEL_STATE);
	assert_label_patch(obj_pod_label_patch(gs, pod),
			   (const char *const[]){OKG_LABEL_STATE, "Ready", NULL});
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_label_patch_converges(void **state)
{
	cJSON *gs = parse(GS_YAML), *pod = parse(POD_YAML);

	(void)state;
	cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)obj_get(pod, "metadata"), "labels");
	set_string(gs, "spec.opsState", "WaitToBeDeleted");
	apply_patch_text(pod, obj_pod_label_patch(gs, pod));
	assert_null(obj_pod_label_patch(gs, pod));
	assert_string_equal(obj_label(pod, OKG_LABEL_OPS_STATE), "WaitToBeDeleted");
	assert_string_equal(obj_label(pod, OKG_LABEL_STATE), "Ready");
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

/* ---- obj_pod_image_patch ------------------------------------------------------------------ */

static void test_image_patch_none(void **state)
{
	cJSON *pod = parse(POD_YAML);
	cJSON *same = parse("spec:\n"
			    "  containers:\n"
			    "  - name: server\n"
			    "    image: mc:1.0\n"
			    "  - name: ghost\n"
			    "    image: other:1\n"
			    "  - name: sidecar\n"
			    "    image: \"\"\n");
	cJSON *none = parse(GS_YAML);

	(void)state;
	assert_null(obj_pod_image_patch(same, pod));
	assert_null(obj_pod_image_patch(none, pod));
	assert_null(obj_pod_image_patch(NULL, pod));
	cJSON_Delete(same);
	cJSON_Delete(none);
	cJSON_Delete(pod);
}

static void test_image_patch_differs(void **state)
{
	cJSON *pod = parse(POD_YAML);
	cJSON *gs = parse("spec:\n"
			  "  containers:\n"
			  "  - name: server\n"
			  "    image: mc:1.0\n"
			  "  - name: ghost\n"
			  "    image: other:1\n"
			  "  - name: sidecar\n"
			  "    image: side:2.0\n");
	char *patch = obj_pod_image_patch(gs, pod);
	cJSON *p = parse_json(patch);
	const cJSON *ctrs = obj_get(p, "spec.containers"), *c;

	(void)state;
	assert_int_equal(size_of(p), 1);
	assert_int_equal(size_of(obj_get(p, "spec")), 1);
	assert_int_equal(size_of(ctrs), 1);
	c = cJSON_GetArrayItem(ctrs, 0);
	assert_int_equal(size_of(c), 2);
	assert_string_equal(obj_str(c, "name"), "sidecar");
	assert_string_equal(obj_str(c, "image"), "side:2.0");
	/* The pod itself is not modified; a patched pod (image updated) needs no patch. */
	assert_string_equal(obj_str(container(pod, "sidecar"), "image"), "side:1.0");
	set_string((cJSON *)container(pod, "sidecar"), "image", "side:2.0");
	assert_null(obj_pod_image_patch(gs, pod));
	cJSON_Delete(p);
	free(patch);
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_image_patch_both(void **state)
{
	cJSON *pod = parse(POD_YAML);
	cJSON *gs = parse("spec:\n"
			  "  containers:\n"
			  "  - name: sidecar\n"
			  "    image: side:2.0\n"
			  "  - name: server\n"
			  "    image: mc:2.0\n");
	char *patch = obj_pod_image_patch(gs, pod);
	cJSON *p = parse_json(patch);
	const cJSON *ctrs = obj_get(p, "spec.containers");

	(void)state;
	assert_int_equal(size_of(ctrs), 2);
	assert_string_equal(obj_str(cJSON_GetArrayItem(ctrs, 0), "name"), "sidecar");
	assert_string_equal(obj_str(cJSON_GetArrayItem(ctrs, 0), "image"), "side:2.0");
	assert_string_equal(obj_str(cJSON_GetArrayItem(ctrs, 1), "name"), "server");
	assert_string_equal(obj_str(cJSON_GetArrayItem(ctrs, 1), "image"), "mc:2.0");
	cJSON_Delete(p);
	free(patch);
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

/* ---- obj_gs_status_patch ------------------------------------------------------------------ */

#define T0 "2024-05-01T10:00:00Z"
#define T1 "2024-05-01T11:00:00Z"
#define T2 "2024-05-01T12:00:00Z"

static void test_status_patch_first(void **state)
{
	cJSON *gs = parse(GS_YAML), *pod = parse(POD_YAML), *p;
	char *patch = obj_gs_status_patch(gs, pod, T0);
	const cJSON *st, *ps;

	(void)state;
	p = parse_json(patch);
	assert_int_equal(size_of(p), 1);
	st = obj_get(p, "status");
	assert_string_equal(obj_str(st, "desiredState"), "Ready");
	assert_string_equal(obj_str(st, "currentState"), "Ready");
	assert_string_equal(obj_str(st, "lastTransitionTime"), T0);
	/* Priorities are string-typed in the status. */
	assert_true(cJSON_IsString(obj_get(st, "deletionPriority")));
	assert_string_equal(obj_str(st, "deletionPriority"), "10");
	assert_string_equal(obj_str(st, "updatePriority"), "7");
	ps = obj_get(st, "podStatus");
	assert_string_equal(obj_str(ps, "phase"), "Running");
	assert_string_equal(obj_str(ps, "podIP"), "10.0.0.5");
	assert_string_equal(obj_str(ps, "hostIP"), "192.168.1.2");
	/* A summary, not the pod's whole status. */
	assert_int_equal(size_of(ps), 3);
	assert_int_equal(size_of(st), 6);
	cJSON_Delete(p);
	free(patch);
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_status_patch_defaults(void **state)
{
	cJSON *gs = parse("spec: {}\n"), *pod = parse("status:\n  phase: Pending\n"), *p;
	char *patch = obj_gs_status_patch(gs, pod, T0);

	(void)state;
	p = parse_json(patch);
	assert_string_equal(obj_str(p, "status.currentState"), "Creating");
	assert_string_equal(obj_str(p, "status.deletionPriority"), "0");
	assert_string_equal(obj_str(p, "status.updatePriority"), "0");
	assert_string_equal(obj_str(p, "status.podStatus.phase"), "Pending");
	assert_null(obj_get(p, "status.podStatus.podIP"));
	assert_null(obj_get(p, "status.podStatus.hostIP"));
	cJSON_Delete(p);
	free(patch);
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_status_patch_matching(void **state)
{
	cJSON *gs = parse("spec:\n"
			  "  opsState: None\n"
			  "  deletionPriority: 10\n"
			  "  updatePriority: \"7\"\n"
			  "status:\n"
			  "  desiredState: Ready\n"
			  "  currentState: Ready\n"
			  "  lastTransitionTime: " T0 "\n"
			  "  deletionPriority: \"10\"\n"
			  "  updatePriority: \"7\"\n"
			  "  podStatus:\n"
			  "    phase: Running\n"
			  "    podIP: 10.0.0.5\n"
			  "    hostIP: 192.168.1.2\n");
	cJSON *pod = parse(POD_YAML);

	(void)state;
	assert_null(obj_gs_status_patch(gs, pod, T1));
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_status_patch_converges(void **state)
{
	cJSON *gs = parse(GS_YAML), *pod = parse(POD_YAML);

	(void)state;
	apply_patch_text(gs, obj_gs_status_patch(gs, pod, T0));
	assert_null(obj_gs_status_patch(gs, pod, T1));
	assert_string_equal(obj_str(gs, "status.lastTransitionTime"), T0);
	/* Also from a pod with nothing to summarize and for a missing pod. */
	set_string(pod, "status.phase", "Pending");
	apply_patch_text(gs, obj_gs_status_patch(gs, pod, T1));
	assert_null(obj_gs_status_patch(gs, pod, T2));
	apply_patch_text(gs, obj_gs_status_patch(gs, NULL, T2));
	assert_null(obj_gs_status_patch(gs, NULL, T2));
	assert_string_equal(obj_str(gs, "status.currentState"), "Deleting");
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_status_patch_numeric_priority(void **state)
{
	cJSON *gs = parse("spec:\n"
			  "  deletionPriority: 10\n"
			  "  updatePriority: 7\n"
			  "status:\n"
			  "  desiredState: Ready\n"
			  "  currentState: Ready\n"
			  "  lastTransitionTime: " T0 "\n"
			  "  deletionPriority: 10\n"
			  "  updatePriority: \"7\"\n"
			  "  podStatus:\n"
			  "    phase: Running\n"
			  "    podIP: 10.0.0.5\n"
			  "    hostIP: 192.168.1.2\n");
	cJSON *pod = parse(POD_YAML), *p;
	char *patch = obj_gs_status_patch(gs, pod, T1);

	(void)state;
	/* A number (hand-edited or written by an older controller) is rewritten as a string,
	 * and nothing else changes. */
	p = parse_json(patch);
	assert_true(cJSON_IsString(obj_get(p, "status.deletionPriority")));
	assert_string_equal(obj_str(p, "status.deletionPriority"), "10");
	assert_null(obj_get(p, "status.updatePriority"));
	assert_null(obj_get(p, "status.currentState"));
	assert_null(obj_get(p, "status.lastTransitionTime"));
	assert_null(obj_get(p, "status.desiredState"));
	assert_int_equal(size_of(obj_get(p, "status.podStatus")), 0);
	cJSON_Delete(p);
	apply_patch_text(gs, patch);
	assert_null(obj_gs_status_patch(gs, pod, T1));
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_status_patch_state_change(void **state)
{
	cJSON *gs = parse(GS_YAML), *pod = parse(POD_YAML), *p;
	char *patch;

	(void)state;
	apply_patch_text(gs, obj_gs_status_patch(gs, pod, T0));
	/* The pod becomes unready: a new state with a new transition time. */
	set_string(cJSON_GetArrayItem(obj_get(pod, "status.conditions"), 1), "status", "False");
	patch = obj_gs_status_patch(gs, pod, T1);
	p = parse_json(patch);
	assert_string_equal(obj_str(p, "status.currentState"), "NotReady");
	assert_string_equal(obj_str(p, "status.lastTransitionTime"), T1);
	assert_null(obj_get(p, "status.desiredState"));
	assert_null(obj_get(p, "status.deletionPriority"));
	assert_null(obj_get(p, "status.updatePriority"));
	assert_int_equal(size_of(obj_get(p, "status.podStatus")), 0);
	cJSON_Delete(p);
	apply_patch_text(gs, patch);
	assert_string_equal(obj_str(gs, "status.lastTransitionTime"), T1);
	/* A pod status change that is not a state change keeps the transition time. */
	set_string(pod, "status.podIP", "10.0.0.9");
	patch = obj_gs_status_patch(gs, pod, T2);
	p = parse_json(patch);
	assert_int_equal(size_of(obj_get(p, "status")), 1);
	assert_int_equal(size_of(obj_get(p, "status.podStatus")), 1);
	assert_string_equal(obj_str(p, "status.podStatus.podIP"), "10.0.0.9");
	cJSON_Delete(p);
	apply_patch_text(gs, patch);
	assert_string_equal(obj_str(gs, "status.lastTransitionTime"), T1);
	assert_null(obj_gs_status_patch(gs, pod, T2));
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

static void test_status_patch_spec_change(void **state)
{
	cJSON *gs = parse(GS_YAML), *pod = parse(POD_YAML), *p;
	char *patch;

	(void)state;
	apply_patch_text(gs, obj_gs_status_patch(gs, pod, T0));
	/* The spec's priority changes: the status follows, the state does not. */
	cJSON_ReplaceItemInObjectCaseSensitive((cJSON *)obj_get(gs, "spec"), "deletionPriority",
					       cJSON_CreateString("20"));
	patch = obj_gs_status_patch(gs, pod, T1);
	p = parse_json(patch);
	assert_string_equal(obj_str(p, "status.deletionPriority"), "20");
	assert_null(obj_get(p, "status.lastTransitionTime"));
	assert_null(obj_get(p, "status.currentState"));
	cJSON_Delete(p);
	free(patch);
	cJSON_Delete(gs);
	cJSON_Delete(pod);
}

/* Runtimes report images in their canonical form; that is not an update in progress. */
static void test_image_equal(void **state)
{
	(void)state;
	assert_true(obj_image_equal("nginx:1", "docker.io/library/nginx:1"));
	assert_true(obj_image_equal("nginx", "docker.io/library/nginx:latest"));
	assert_true(obj_image_equal("user/app:v2", "docker.io/user/app:v2"));
	assert_true(obj_image_equal("registry.example.com/game/srv:v1",
				    "registry.example.com/game/srv:v1"));
	assert_true(obj_image_equal("localhost/app:1", "localhost/app:1"));
	assert_true(obj_image_equal("registry:5000/app", "registry:5000/app:latest"));
	assert_true(obj_image_equal("busybox:1.36", "sha256:0123abcd"));
	assert_false(obj_image_equal("nginx:1", "docker.io/library/nginx:2"));
	assert_false(obj_image_equal("registry.example.com/app:v1", "docker.io/library/app:v1"));
	assert_false(obj_image_equal("user/app:v2", "docker.io/library/app:v2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_obj_get),
	    cmocka_unit_test(test_obj_str),
	    cmocka_unit_test(test_obj_label),
	    cmocka_unit_test(test_obj_intstr),
	    cmocka_unit_test(test_obj_gs_ops_state),
	    cmocka_unit_test(test_hash_format),
	    cmocka_unit_test(test_hash_member_order),
	    cmocka_unit_test(test_hash_member_order_not_array_order),
	    cmocka_unit_test(test_hash_changes_with_template),
	    cmocka_unit_test(test_hash_images_only),
	    cmocka_unit_test(test_hash_ignores_reclaim_and_vct),
	    cmocka_unit_test(test_hash_does_not_modify_input),
	    cmocka_unit_test(test_pod_identity),
	    cmocka_unit_test(test_pod_sidecar_marked),
	    cmocka_unit_test(test_pod_template_metadata_stripped),
	    cmocka_unit_test(test_pod_labels_default),
	    cmocka_unit_test(test_pod_labels_from_gs),
	    cmocka_unit_test(test_pod_controller_labels_win),
	    cmocka_unit_test(test_pod_no_template_labels),
	    cmocka_unit_test(test_pod_annotations_and_probes),
	    cmocka_unit_test(test_pod_probes_absent),
	    cmocka_unit_test(test_pod_owner_reference),
	    cmocka_unit_test(test_pod_hostname_subdomain),
	    cmocka_unit_test(test_pod_spec_copied),
	    cmocka_unit_test(test_pod_image_override),
	    cmocka_unit_test(test_pod_does_not_modify_gss),
	    cmocka_unit_test(test_pod_invalid),
	    cmocka_unit_test(test_gameserver),
	    cmocka_unit_test(test_gameserver_invalid),
	    cmocka_unit_test(test_build_round_trip),
	    cmocka_unit_test(test_state_deleting),
	    cmocka_unit_test(test_state_creating),
	    cmocka_unit_test(test_state_failed),
	    cmocka_unit_test(test_state_crash_reasons),
	    cmocka_unit_test(test_state_updating),
	    cmocka_unit_test(test_state_ready_notready),
	    cmocka_unit_test(test_label_patch_none),
	    cmocka_unit_test(test_label_patch_differences),
	    cmocka_unit_test(test_label_patch_defaults),
	    cmocka_unit_test(test_label_patch_state),
	    cmocka_unit_test(test_label_patch_converges),
	    cmocka_unit_test(test_image_patch_none),
	    cmocka_unit_test(test_image_patch_differs),
	    cmocka_unit_test(test_image_patch_both),
	    cmocka_unit_test(test_status_patch_first),
	    cmocka_unit_test(test_status_patch_defaults),
	    cmocka_unit_test(test_status_patch_matching),
	    cmocka_unit_test(test_status_patch_converges),
	    cmocka_unit_test(test_status_patch_numeric_priority),
	    cmocka_unit_test(test_status_patch_state_change),
	    cmocka_unit_test(test_status_patch_spec_change),
	    cmocka_unit_test(test_image_equal),
	};

	if (getenv("F"))
		cmocka_set_test_filter(getenv("F"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
