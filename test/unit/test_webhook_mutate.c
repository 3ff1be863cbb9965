/* Unit tests for webhook/mutate.c: the probe-helper JSON Patch. Each patch is applied with a
 * small RFC 6902 applier written here, and the patched pod is compared with what it must be. */
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

#include "lib/yamljson.h"
#include "webhook/admission.h"
#include "webhook/mutate.h"
#include "webhook/wjson.h"

static const struct mut_opts defaults = {
    .image = "okg:latest",
    .command = "/usr/local/bin/okg-probe",
    .cpu_request = "10m",
    .memory_request = "8Mi",
    .cpu_limit = "100m",
    .memory_limit = "32Mi",
};

#define POD_HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: minecraft-0\n  namespace: default\n"

/* A pod as the controller creates it for a set with service qualities. */
static const char pod_yaml[] =
    POD_HEAD "  labels: {game.kruise.io/owner-gss: minecraft}\n"
	     "  annotations:\n"
	     "    okg.game.kruise.io/probes: '[{\"name\":\"healthy\",\"containerName\":"
	     "\"minecraft\",\"exec\":{\"command\":[\"bash\",\"./probe.sh\"]}}]'\n"
	     "spec:\n  containers:\n  - {name: minecraft, image: minecraft-demo:probe-v0}\n";

static const char helper_json[] =
    "{\"name\":\"okg-probe\",\"image\":\"okg:latest\",\"command\":[\"/usr/local/bin/okg-probe\"],"
    "\"env\":["
    "{\"name\":\"POD_NAME\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"metadata.name\"}}},"
    "{\"name\":\"POD_NAMESPACE\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
    "\"fieldPath\":\"metadata.namespace\"}}},"
    "{\"name\":\"POD_UID\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"metadata.uid\"}}},"
    "{\"name\":\"POD_IP\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"status.podIP\"}}},"
    "{\"name\":\"OKG_PROBES\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"metadata.annotations['okg.game.kruise.io/probes']\"}}},"
    "{\"name\":\"OKG_PROBE_TOKEN\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
    "\"fieldPath\":\"metadata.annotations['okg.game.kruise.io/probe-token']\"}}}],"
    "\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"8Mi\"},\"limits\":{\"cpu\":"
    "\"100m\",\"memory\":\"32Mi\"}},"
    "\"securityContext\":{\"runAsUser\":0,\"runAsNonRoot\":false,"
    "\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true,"
    "\"capabilities\":{\"drop\":[\"ALL\"],\"add\":[\"SYS_PTRACE\",\"SYS_ADMIN\","
    "\"SYS_CHROOT\",\"SETUID\",\"SETGID\",\"KILL\"]}},"
    "\"terminationMessagePolicy\":\"FallbackToLogsOnError\"}";

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

/* --- a minimal RFC 6902 applier ----------------------------------------------------------- */

/* Decodes one RFC 6901 reference token (~1 -> /, then ~0 -> ~) from p up to '/' or the end. */
static const char *next_token(const char *p, char *tok, size_t n)
{
	size_t o = 0;

	while (*p && *p != '/') {
		char c = *p++;

		if (c == '~') {
			assert_true(*p == '0' || *p == '1'); /* RFC 6901: nothing else after ~ */
			c = *p++ == '0' ? '~' : '/';
		}
		assert_true(o + 1 < n);
		tok[o++] = c;
	}
	tok[o] = '\0';
	return p;
}

/* Applies patch (a JSON array text) to doc. Returns 0, or -1 for an op this test does not
 * expect to see (the test then fails). */
static void apply_patch(cJSON *doc, const char *patch)
{
	cJSON *ops = cJSON_Parse(patch), *op;

	assert_true(cJSON_IsArray(ops));
	cJSON_ArrayForEach(op, ops)
	{
		const char *kind = cJSON_GetObjectItemCaseSensitive(op, "op")->valuestring;
		const char *path = cJSON_GetObjectItemCaseSensitive(op, "path")->valuestring;
		cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
		cJSON *parent = doc;
		char tok[512];
		const char *p = path;

		assert_true(path[0] == '/');
		/* walk to the parent of the last token */
		for (;;) {
			const char *after = next_token(p + 1, tok, sizeof(tok));

			if (!*after)
				break;
			parent = cJSON_IsArray(parent)
				     ? cJSON_GetArrayItem(parent, (int)strtol(tok, NULL, 10))
				     : cJSON_GetObjectItemCaseSensitive(parent, tok);
			assert_non_null(parent);
			p = after;
		}
		if (strcmp(kind, "add") == 0 || strcmp(kind, "replace") == 0) {
			cJSON *v = cJSON_Duplicate(value, 1);

			assert_non_null(value);
			if (cJSON_IsArray(parent)) {
				if (strcmp(tok, "-") == 0)
					cJSON_AddItemToArray(parent, v);
				else
					cJSON_InsertItemInArray(parent, (int)strtol(tok, NULL, 10),
								v);
			} else {
				assert_true(cJSON_IsObject(parent));
				if (strcmp(kind, "replace") == 0)
					assert_non_null(
					    cJSON_GetObjectItemCaseSensitive(parent, tok));
				cJSON_DeleteItemFromObjectCaseSensitive(parent, tok);
				cJSON_AddItemToObject(parent, tok, v);
			}
		} else if (strcmp(kind, "remove") == 0) {
			assert_non_null(cJSON_GetObjectItemCaseSensitive(parent, tok));
			cJSON_DeleteItemFromObjectCaseSensitive(parent, tok);
		} else {
			fail_msg("unexpected op %s", kind);
		}
	}
	cJSON_Delete(ops);
}

static char *mutate(const cJSON *pod, const struct mut_opts *o, struct fe_list *warn)
{
	char *patch = NULL;
	size_t len = 0;

	assert_int_equal(mut_pod(pod, o, &patch, &len, warn), 0);
	if (patch)
		assert_int_equal(len, strlen(patch));
	return patch;
}

static bool json_has_name(const cJSON *list, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, list)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "name");

		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return true;
	}
	return false;
}

static const cJSON *at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

	return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

/* --- tests ---------------------------------------------------------------------------------- */

static void test_inject_exact(void **state)
{
	cJSON *pod = parse(pod_yaml), *want_helper = cJSON_Parse(helper_json);
	cJSON *before = cJSON_Duplicate(pod, 1);
	char *patch = mutate(pod, &defaults, NULL);
	const cJSON *containers, *ann;
	char expect[4096];

	(void)state;
	assert_non_null(want_helper);
	assert_non_null(patch);
	snprintf(expect, sizeof(expect),
		 "[{\"op\":\"add\",\"path\":\"/spec/containers/0/env\",\"value\":["
		 "{\"name\":\"OKG_CONTAINER_NAME\",\"value\":\"minecraft\"},"
		 "{\"name\":\"OKG_POD_UID\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
		 "\"fieldPath\":\"metadata.uid\"}}}]},"
		 "{\"op\":\"add\",\"path\":\"/spec/containers/-\",\"value\":%s},"
		 "{\"op\":\"add\",\"path\":\"/spec/shareProcessNamespace\",\"value\":true},"
		 "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
		 "okg.game.kruise.io~1probe-injected\",\"value\":\"true\"}]",
		 helper_json);
	assert_string_equal(patch, expect);

	apply_patch(pod, patch);
	containers = at(pod, "spec", "containers");
	assert_int_equal(cJSON_GetArraySize(containers), 2);
	/* the game container only gains its identity (container name, pod uid) in its env, and
	 * the helper is exactly as specified */
	{
		cJSON *game = cJSON_GetArrayItem(containers, 0);
		const cJSON *env = cJSON_GetObjectItemCaseSensitive(game, "env");

		assert_int_equal(cJSON_GetArraySize(env), 2);
		assert_string_equal(
		    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(env, 0), "value")
			->valuestring,
		    "minecraft");
		cJSON_DeleteItemFromObjectCaseSensitive(game, "env");
		assert_true(cJSON_Compare(
		    game, cJSON_GetArrayItem(at(before, "spec", "containers"), 0), 1));
	}
	assert_true(cJSON_Compare(cJSON_GetArrayItem(containers, 1), want_helper, 1));
	assert_true(cJSON_IsTrue(at(pod, "spec", "shareProcessNamespace")));
	ann = at(pod, "metadata", "annotations");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(ann, "okg.game.kruise.io/probe-injected")->valuestring,
	    "true");
	/* nothing else changed */
	cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(pod, "spec"), "containers"),
				  1);
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "spec"),
						"shareProcessNamespace");
	cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)ann, "okg.game.kruise.io/probe-injected");
	assert_true(cJSON_Compare(pod, before, 1));
	free(patch);
	cJSON_Delete(pod);
	cJSON_Delete(before);
	cJSON_Delete(want_helper);
}

static void test_idempotent(void **state)
{
	cJSON *pod = parse(pod_yaml);
	char *patch = mutate(pod, &defaults, NULL), *again;

	(void)state;
	apply_patch(pod, patch);
	/* reinvocation (reinvocationPolicy: IfNeeded) sees its own helper: no second one */
	again = mutate(pod, &defaults, NULL);
	assert_null(again);
	free(patch);
	cJSON_Delete(pod);
}

static void test_left_alone(void **state)
{
	static const char *const pods[] = {
	    /* no owner label */
	    POD_HEAD "  annotations: {okg.game.kruise.io/probes: '[{\"name\":\"a\"}]'}\n"
		     "spec: {containers: [{name: a, image: i}]}\n",
	    /* empty owner label */
	    POD_HEAD "  labels: {game.kruise.io/owner-gss: \"\"}\n"
		     "  annotations: {okg.game.kruise.io/probes: '[{\"name\":\"a\"}]'}\n"
		     "spec: {containers: [{name: a, image: i}]}\n",
	    /* a set without service qualities: no probes annotation */
	    POD_HEAD "  labels: {game.kruise.io/owner-gss: minecraft}\n"
		     "spec: {containers: [{name: a, image: i}]}\n",
	    POD_HEAD "  labels: {game.kruise.io/owner-gss: minecraft}\n"
		     "  annotations: {okg.game.kruise.io/probes: \"\"}\n"
		     "spec: {containers: [{name: a, image: i}]}\n",
	    /* a mirror (static) pod */
	    POD_HEAD "  labels: {game.kruise.io/owner-gss: minecraft}\n"
		     "  annotations: {okg.game.kruise.io/probes: '[{\"name\":\"a\"}]', "
		     "kubernetes.io/config.mirror: abc}\n"
		     "spec: {containers: [{name: a, image: i}]}\n",
	    /* containers missing or not a list: the API server refuses the pod itself */
	    POD_HEAD "  labels: {game.kruise.io/owner-gss: minecraft}\n"
		     "  annotations: {okg.game.kruise.io/probes: '[{\"name\":\"a\"}]'}\n"
		     "spec: {}\n",
	    POD_HEAD "  labels: {game.kruise.io/owner-gss: minecraft}\n"
		     "  annotations: {okg.game.kruise.io/probes: '[{\"name\":\"a\"}]'}\n"
		     "spec: {containers: {a: 1}}\n",
	    /* a container of that name is there already (injected, or the user's own) */
	    POD_HEAD "  labels: {game.kruise.io/owner-gss: minecraft}\n"
		     "  annotations: {okg.game.kruise.io/probes: '[{\"name\":\"a\"}]'}\n"
		     "spec: {containers: [{name: a, image: i}, {name: okg-probe, image: x}]}\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pods) / sizeof(pods[0]); i++) {
		cJSON *pod = parse(pods[i]);
		struct fe_list w;

		fe_init(&w);
		if (mutate(pod, &defaults, &w)) {
			print_message("pod %zu was patched\n", i);
			fail();
		}
		assert_int_equal(w.n_warns, 0);
		fe_free(&w);
		cJSON_Delete(pod);
	}
	assert_null(mutate(NULL, &defaults, NULL));
}

static void test_unusable_probes_warn(void **state)
{
	static const char *const values[] = {"not json", "{}", "[]", "[1] trailing", "\"x\""};

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		cJSON *pod = parse(POD_HEAD "  labels: {game.kruise.io/owner-gss: minecraft}\n"
					    "spec: {containers: [{name: a, image: i}]}\n");
		cJSON *ann = cJSON_AddObjectToObject(
		    cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "annotations");
		struct fe_list w;

		cJSON_AddStringToObject(ann, "okg.game.kruise.io/probes", values[i]);
		fe_init(&w);
		assert_null(mutate(pod, &defaults, &w));
		assert_int_equal(w.n_warns, 1);
		assert_string_equal(w.warns[0],
				    "metadata.annotations[okg.game.kruise.io/probes] is not a "
				    "non-empty JSON array; the probe helper was not injected");
		fe_free(&w);
		cJSON_Delete(pod);
	}
	{
		cJSON *pod = parse(POD_HEAD "  labels: {game.kruise.io/owner-gss: minecraft}\n"
					    "  annotations: {okg.game.kruise.io/probes: '[1]'}\n"
					    "spec: {containers: [{name: a, image: i}], "
					    "initContainers: [{name: okg-probe, image: i}]}\n");
		struct fe_list w;

		fe_init(&w);
		assert_null(mutate(pod, &defaults, &w));
		assert_int_equal(w.n_warns, 1);
		assert_non_null(strstr(w.warns[0], "spec.initContainers"));
		fe_free(&w);
		cJSON_Delete(pod);
	}
}

/* --- sidecar mode ---------------------------------------------------------------------------- */

/* A pod as the controller creates it for the seed's OKG sidecar set (no service qualities). */
static const char sidecar_pod_yaml[] =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hot-update-gs-0\n  namespace: sidecar\n"
    "  labels: {game.kruise.io/owner-gss: hot-update-gs, app: hot-update-gs}\n"
    "  annotations: {okg.game.kruise.io/sidecar: sidecar, "
    "okg.game.kruise.io/probe-token: abc}\n"
    "spec:\n  shareProcessNamespace: true\n  containers:\n"
    "  - {name: tankwar, image: \"tank:latest\", env: [{name: DEBUG, value: \"ts-mp:*\"}]}\n"
    "  - name: sidecar\n    image: okg-sidecar:v1\n    imagePullPolicy: Always\n"
    "    args: [--hot-update]\n"
    "    readinessProbe: {httpGet: {port: 5000}}\n"
    "    env:\n"
    "    - name: POD_NAME\n      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: "
    "metadata.name}}\n"
    "    ports: [{containerPort: 5000, name: hot-update-port, protocol: TCP}]\n"
    "    resources: {limits: {cpu: 100m}}\n"
    "    volumeMounts: [{mountPath: /opt/sidecar, name: sidecar-config}]\n"
    "  volumes: [{name: sidecar-config, configMap: {name: sidecar-config}}]\n";

static const char sidecar_env_json[] =
    "[{\"name\":\"POD_NAME\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"metadata.name\"}}},"
    "{\"name\":\"POD_NAMESPACE\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
    "\"fieldPath\":\"metadata.namespace\"}}},"
    "{\"name\":\"POD_UID\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"metadata.uid\"}}},"
    "{\"name\":\"POD_IP\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"status.podIP\"}}},"
    "{\"name\":\"OKG_SIDECAR_CONFIG\",\"value\":\"/opt/sidecar/config.yaml\"},"
    "{\"name\":\"OKG_PROBE_TOKEN\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
    "\"fieldPath\":\"metadata.annotations['okg.game.kruise.io/probe-token']\"}}},"
    "{\"name\":\"OKG_REPORT_URL\",\"value\":\"http://okg-controller:8081/v1/probe-results\"}]";

static void test_sidecar_replaced(void **state)
{
	struct mut_opts o = defaults;
	cJSON *pod = parse(sidecar_pod_yaml), *before = cJSON_Duplicate(pod, 1);
	cJSON *want_env = cJSON_Parse(sidecar_env_json), *side, *old_side;
	char *patch, *again;

	(void)state;
	o.report_url = "http://okg-controller:8081/v1/probe-results";
	o.pull_policy = "IfNotPresent";
	patch = mutate(pod, &o, NULL);
	assert_non_null(patch);
	apply_patch(pod, patch);
	/* still two containers; the game container is untouched (no exec probes here) */
	assert_int_equal(cJSON_GetArraySize(at(pod, "spec", "containers")), 2);
	assert_true(cJSON_Compare(cJSON_GetArrayItem(at(pod, "spec", "containers"), 0),
				  cJSON_GetArrayItem(at(before, "spec", "containers"), 0), 1));
	side = cJSON_GetArrayItem(at(pod, "spec", "containers"), 1);
	old_side = cJSON_GetArrayItem(at(before, "spec", "containers"), 1);
	assert_string_equal(at(side, "name", NULL)->valuestring, "sidecar");
	assert_string_equal(at(side, "image", NULL)->valuestring, "okg:latest");
	assert_string_equal(at(side, "imagePullPolicy", NULL)->valuestring, "IfNotPresent");
	assert_int_equal(cJSON_GetArraySize(at(side, "command", NULL)), 1);
	assert_string_equal(cJSON_GetArrayItem(at(side, "command", NULL), 0)->valuestring,
			    "/usr/local/bin/okg-probe");
	assert_null(at(side, "args", NULL));
	assert_null(at(side, "readinessProbe", NULL));
	assert_true(cJSON_Compare(at(side, "env", NULL), want_env, 1));
	/* least privilege: it only makes HTTP requests */
	assert_true(
	    cJSON_IsFalse(at(at(side, "securityContext", NULL), "allowPrivilegeEscalation", NULL)));
	assert_string_equal(
	    cJSON_GetArrayItem(at(at(side, "securityContext", NULL), "capabilities", "drop"), 0)
		->valuestring,
	    "ALL");
	assert_null(at(at(side, "securityContext", NULL), "capabilities", "add"));
	/* the user's mounts (the ConfigMap), ports and resources stay */
	assert_true(
	    cJSON_Compare(at(side, "volumeMounts", NULL), at(old_side, "volumeMounts", NULL), 1));
	assert_true(cJSON_Compare(at(side, "ports", NULL), at(old_side, "ports", NULL), 1));
	assert_true(cJSON_Compare(at(side, "resources", NULL), at(old_side, "resources", NULL), 1));
	assert_true(cJSON_Compare(at(pod, "spec", "volumes"), at(before, "spec", "volumes"), 1));
	assert_string_equal(
	    at(at(pod, "metadata", "annotations"), "okg.game.kruise.io/probe-injected", NULL)
		->valuestring,
	    "true");
	/* no okg-probe container is added */
	assert_false(json_has_name(at(pod, "spec", "containers"), "okg-probe"));
	/* re-invocation: nothing more */
	again = mutate(pod, &o, NULL);
	assert_null(again);
	free(patch);
	cJSON_Delete(want_env);
	cJSON_Delete(before);
	cJSON_Delete(pod);
}

static void test_sidecar_minimal_and_warnings(void **state)
{
	cJSON *pod;
	char *patch;
	struct fe_list w;

	(void)state;
	/* no env, no pull policy flag: env is added, the user's pull policy stays */
	pod = parse(POD_HEAD "  labels: {game.kruise.io/owner-gss: gs}\n"
			     "  annotations: {okg.game.kruise.io/sidecar: side}\n"
			     "spec: {containers: [{name: side, image: okg-sidecar:v1, "
			     "imagePullPolicy: Always}]}\n");
	patch = mutate(pod, &defaults, NULL);
	assert_non_null(patch);
	apply_patch(pod, patch);
	{
		const cJSON *c = cJSON_GetArrayItem(at(pod, "spec", "containers"), 0);

		assert_string_equal(at(c, "imagePullPolicy", NULL)->valuestring, "Always");
		assert_int_equal(cJSON_GetArraySize(at(c, "env", NULL)), 6); /* no report URL */
		assert_null(at(pod, "spec", "shareProcessNamespace"));
	}
	free(patch);
	cJSON_Delete(pod);
	/* the annotation names no container: a warning, nothing changed */
	pod = parse(POD_HEAD "  labels: {game.kruise.io/owner-gss: gs}\n"
			     "  annotations: {okg.game.kruise.io/sidecar: gone}\n"
			     "spec: {containers: [{name: side, image: okg-sidecar:v1}]}\n");
	fe_init(&w);
	assert_null(mutate(pod, &defaults, &w));
	assert_int_equal(w.n_warns, 1);
	assert_string_equal(w.warns[0],
			    "metadata.annotations[okg.game.kruise.io/sidecar]: no "
			    "container is named \"gone\"; the sidecar was not replaced");
	fe_free(&w);
	cJSON_Delete(pod);
	/* no owner label, or a mirror pod: left alone */
	pod = parse(POD_HEAD "  annotations: {okg.game.kruise.io/sidecar: side}\n"
			     "spec: {containers: [{name: side, image: okg-sidecar:v1}]}\n");
	assert_null(mutate(pod, &defaults, NULL));
	cJSON_Delete(pod);
	pod = parse(POD_HEAD "  labels: {game.kruise.io/owner-gss: gs}\n"
			     "  annotations: {okg.game.kruise.io/sidecar: side, "
			     "kubernetes.io/config.mirror: x}\n"
			     "spec: {containers: [{name: side, image: okg-sidecar:v1}]}\n");
	assert_null(mutate(pod, &defaults, NULL));
	cJSON_Delete(pod);
}

static void test_share_process_namespace(void **state)
{
	static const struct {
		const char *spec;
		int has_op;
	} cases[] = {
	    {"{containers: [{name: a, image: i}]}", 1},
	    {"{shareProcessNamespace: false, containers: [{name: a, image: i}]}", 1},
	    {"{shareProcessNamespace: true, containers: [{name: a, image: i}]}", 0},
	    {"{hostPID: true, containers: [{name: a, image: i}]}", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		cJSON *pod;
		char *patch;

		snprintf(text, sizeof(text),
			 POD_HEAD
			 "  labels: {game.kruise.io/owner-gss: m}\n"
			 "  annotations: {okg.game.kruise.io/probes: '[{\"name\":\"a\"}]'}\n"
			 "spec: %s\n",
			 cases[i].spec);
		pod = parse(text);
		patch = mutate(pod, &defaults, NULL);
		assert_non_null(patch);
		assert_int_equal(strstr(patch, "/spec/shareProcessNamespace") != NULL,
				 cases[i].has_op);
		apply_patch(pod, patch);
		if (!cJSON_IsTrue(at(pod, "spec", "hostPID")))
			assert_true(cJSON_IsTrue(at(pod, "spec", "shareProcessNamespace")));
		else
			assert_null(at(pod, "spec", "shareProcessNamespace"));
		free(patch);
		cJSON_Delete(pod);
	}
}

static void test_pointer_escaping(void **state)
{
	struct wj w;
	char *out = NULL;
	cJSON *pod;
	char *patch;

	(void)state;
	wj_init(&w, 256);
	wj_ptr_token(&w, "a/b~c~1/\"q\"");
	assert_int_equal(wj_finish(&w, &out, NULL), 0);
	assert_string_equal(out, "a~1b~0c~01~1\\\"q\\\"");
	free(out);

	/* the annotation key with '/' lands exactly there, next to other keys with '/' and '~' */
	pod = parse(POD_HEAD "  labels: {game.kruise.io/owner-gss: m}\n"
			     "  annotations: {okg.game.kruise.io/probes: '[{\"name\":\"a\"}]', "
			     "\"x.io/a~b\": keep, okg.game.kruise.io: other}\n"
			     "spec: {containers: [{name: a, image: i}]}\n");
	patch = mutate(pod, &defaults, NULL);
	assert_non_null(
	    strstr(patch, "\"/metadata/annotations/okg.game.kruise.io~1probe-injected\""));
	apply_patch(pod, patch);
	assert_string_equal(
	    at(at(pod, "metadata", "annotations"), "okg.game.kruise.io/probe-injected", NULL)
		->valuestring,
	    "true");
	assert_string_equal(at(at(pod, "metadata", "annotations"), "x.io/a~b", NULL)->valuestring,
			    "keep");
	assert_string_equal(
	    at(at(pod, "metadata", "annotations"), "okg.game.kruise.io", NULL)->valuestring,
	    "other");
	free(patch);
	cJSON_Delete(pod);
}

static void test_flags_shape_container(void **state)
{
	const struct mut_opts o = {
	    .image = "registry.example.com/okg:v1.2 \"quoted\"",
	    .command = "/bin/okg-probe",
	    .pull_policy = "Always",
	    .memory_limit = "64Mi",
	};
	cJSON *pod = parse(pod_yaml);
	char *patch = mutate(pod, &o, NULL);
	const cJSON *helper;

	(void)state;
	apply_patch(pod, patch);
	helper = cJSON_GetArrayItem(at(pod, "spec", "containers"), 1);
	assert_string_equal(at(helper, "image", NULL)->valuestring, o.image);
	assert_string_equal(at(helper, "imagePullPolicy", NULL)->valuestring, "Always");
	assert_string_equal(cJSON_GetArrayItem(at(helper, "command", NULL), 0)->valuestring,
			    "/bin/okg-probe");
	/* only the resources that were given */
	assert_null(at(at(helper, "resources", NULL), "requests", NULL));
	assert_string_equal(at(at(helper, "resources", "limits"), "memory", NULL)->valuestring,
			    "64Mi");
	assert_null(at(at(helper, "resources", "limits"), "cpu", NULL));
	free(patch);
	cJSON_Delete(pod);
}

/* --- through the admission envelope --------------------------------------------------------- */

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static char *b64decode(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n + 1);

	assert_non_null(out);
	assert_int_equal(n % 4, 0);
	for (size_t i = 0; i < n; i += 4) {
		int a = b64val(s[i]), b = b64val(s[i + 1]);
		int c = s[i + 2] == '=' ? 0 : b64val(s[i + 2]);
		int d = s[i + 3] == '=' ? 0 : b64val(s[i + 3]);

		assert_true(a >= 0 && b >= 0 && c >= 0 && d >= 0);
		out[o++] = (char)(a << 2 | b >> 4);
		if (s[i + 2] != '=')
			out[o++] = (char)((b & 15) << 4 | c >> 2);
		if (s[i + 3] != '=')
			out[o++] = (char)((c & 3) << 6 | d);
	}
	out[o] = '\0';
	return out;
}

static cJSON *pod_review(const char *op, const char *kind_json, const char *pod, int dry_run,
			 const char *api)
{
	char body[8192];
	struct adm_opts o = {.mut = defaults};
	struct adm_result res;
	cJSON *resp, *podj = parse(pod);
	char *podtxt = cJSON_PrintUnformatted(podj);

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":"
		 "\"pod-uid-7\",\"kind\":%s,\"resource\":{\"group\":\"\",\"version\":\"v1\","
		 "\"resource\":\"pods\"},\"namespace\":\"default\",\"operation\":\"%s\","
		 "\"object\":%s,\"oldObject\":null,\"dryRun\":%s}}",
		 api, kind_json, op, podtxt, dry_run ? "true" : "false");
	assert_int_equal(adm_handle("/mutate-v1-pod", body, strlen(body), &o, &res), 0);
	assert_int_equal(res.http_status, 200);
	assert_int_equal(res.dry_run, dry_run);
	resp = cJSON_Parse(res.body);
	assert_non_null(resp);
	assert_string_equal(at(resp, "apiVersion", NULL)->valuestring, api);
	assert_string_equal(at(resp, "response", "uid")->valuestring, "pod-uid-7");
	adm_result_free(&res);
	free(podtxt);
	cJSON_Delete(podj);
	return resp;
}

#define POD_KIND "{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}"

static void test_review_patch(void **state)
{
	cJSON *pod = parse(pod_yaml);
	char *direct = mutate(pod, &defaults, NULL), *decoded;

	(void)state;
	for (int dry = 0; dry <= 1; dry++) {
		cJSON *resp = pod_review("CREATE", POD_KIND, pod_yaml, dry, "admission.k8s.io/v1");
		const cJSON *r = at(resp, "response", NULL);

		assert_true(cJSON_IsTrue(at(r, "allowed", NULL)));
		assert_string_equal(at(r, "patchType", NULL)->valuestring, "JSONPatch");
		decoded = b64decode(at(r, "patch", NULL)->valuestring);
		/* dryRun gets exactly the same answer */
		assert_string_equal(decoded, direct);
		free(decoded);
		assert_null(at(r, "warnings", NULL));
		cJSON_Delete(resp);
	}
	free(direct);
	cJSON_Delete(pod);
}

static void test_review_no_patch(void **state)
{
	static const char *const ops[] = {"UPDATE", "DELETE", "CONNECT"};
	cJSON *resp;
	const cJSON *r;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		resp = pod_review(ops[i], POD_KIND, pod_yaml, 0, "admission.k8s.io/v1beta1");
		r = at(resp, "response", NULL);
		assert_true(cJSON_IsTrue(at(r, "allowed", NULL)));
		assert_null(at(r, "patch", NULL));
		assert_null(at(r, "patchType", NULL));
		cJSON_Delete(resp);
	}
	/* a pod of another owner */
	resp =
	    pod_review("CREATE", POD_KIND,
		       POD_HEAD "  labels: {app: web}\nspec: {containers: [{name: a, image: i}]}\n",
		       0, "admission.k8s.io/v1");
	r = at(resp, "response", NULL);
	assert_true(cJSON_IsTrue(at(r, "allowed", NULL)));
	assert_null(at(r, "patch", NULL));
	cJSON_Delete(resp);
	/* not a pod: left alone (fails open), with a warning that says so */
	resp =
	    pod_review("CREATE", "{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"}",
		       pod_yaml, 0, "admission.k8s.io/v1");
	r = at(resp, "response", NULL);
	assert_true(cJSON_IsTrue(at(r, "allowed", NULL)));
	assert_null(at(r, "patch", NULL));
	assert_string_equal(cJSON_GetArrayItem(at(r, "warnings", NULL), 0)->valuestring,
			    "okg-webhook mutates pods only; this Deployment was left unchanged");
	cJSON_Delete(resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inject_exact),
	    cmocka_unit_test(test_idempotent),
	    cmocka_unit_test(test_left_alone),
	    cmocka_unit_test(test_unusable_probes_warn),
	    cmocka_unit_test(test_share_process_namespace),
	    cmocka_unit_test(test_sidecar_replaced),
	    cmocka_unit_test(test_sidecar_minimal_and_warnings),
	    cmocka_unit_test(test_pointer_escaping),
	    cmocka_unit_test(test_flags_shape_container),
	    cmocka_unit_test(test_review_patch),
	    cmocka_unit_test(test_review_no_patch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
