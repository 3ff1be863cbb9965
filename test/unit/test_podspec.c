/* Unit tests for test/nodesim/podspec.c (the node simulator's pure half). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/yamljson.h"
#include "test/nodesim/podspec.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static cJSON *yaml(const char *s)
{
	char err[256] = "";
	cJSON *j = NULL;
	int rc = yj_parse(s, strlen(s), &j, err, sizeof(err));

	if (rc)
		print_message("fixture does not parse (%d): %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_non_null(j);
	return j;
}

/* Parses a YAML pod; expects success. */
static void pod_ok(const char *y, const struct ps_image_map *map, struct ps_pod *p)
{
	char err[256] = "";
	cJSON *j = yaml(y);
	int rc = ps_pod_parse(j, map, "10.0.0.5", "192.168.1.10", p, err, sizeof(err));

	if (rc)
		print_message("ps_pod_parse: %d: %s\n", rc, err);
	assert_int_equal(rc, 0);
	cJSON_Delete(j);
}

/* Parses a YAML pod; expects -EINVAL and leaves the message in err. */
static void pod_fail(const char *y, char *err, size_t errlen)
{
	struct ps_pod p;
	cJSON *j = yaml(y);
	int rc;

	err[0] = '\0';
	rc = ps_pod_parse(j, NULL, "10.0.0.5", "192.168.1.10", &p, err, errlen);
	assert_int_equal(rc, -EINVAL);
	assert_true(strlen(err) > 0);
	assert_null(p.name);
	assert_null(p.c);
	assert_int_equal(p.nc, 0);
	ps_pod_free(&p);
	cJSON_Delete(j);
}

static void map_ok(const char *y, struct ps_image_map *m)
{
	char err[256] = "";
	cJSON *j = yaml(y);
	int rc = ps_image_map_from_doc(j, m, err, sizeof(err));

	if (rc)
		print_message("ps_image_map_from_doc: %d: %s\n", rc, err);
	assert_int_equal(rc, 0);
	cJSON_Delete(j);
}

/* Expects -EINVAL whose message contains want. */
static void map_fail(const char *y, const char *want)
{
	struct ps_image_map m;
	char err[256] = "";
	cJSON *j = yaml(y);
	int rc = ps_image_map_from_doc(j, &m, err, sizeof(err));

	if (rc != -EINVAL || !strstr(err, want))
		print_message("rc %d, message \"%s\" (want \"%s\")\n", rc, err, want);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, want));
	assert_int_equal(m.n, 0);
	assert_null(m.rules);
	ps_image_map_free(&m);
	cJSON_Delete(j);
}

/* The value of the first NAME=... in envp, or NULL. */
static const char *env_get(char *const *envp, const char *name)
{
	size_t nl = strlen(name);

	for (char *const *e = envp; e && *e; e++)
		if (strncmp(*e, name, nl) == 0 && (*e)[nl] == '=')
			return *e + nl + 1;
	return NULL;
}

static size_t env_count(char *const *envp, const char *name)
{
	size_t nl = strlen(name), n = 0;

	for (char *const *e = envp; e && *e; e++)
		if (strncmp(*e, name, nl) == 0 && (*e)[nl] == '=')
			n++;
	return n;
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* argv equals the NULL-terminated list want. */
static void assert_argv(char *const *argv, const char *const *want)
{
	size_t n = 0;

	assert_non_null(argv);
	for (; want[n]; n++) {
		assert_non_null(argv[n]);
		assert_string_equal(argv[n], want[n]);
	}
	assert_null(argv[n]);
}

static void expand_is(const char *s, char *const *envp, const char *want)
{
	char *got = ps_expand(s, envp);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static bool is_rfc3339(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";

	if (!s || strlen(s) != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; pat[i]; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	}
	return true;
}

static const cJSON *path(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!v)
		print_message("missing key \"%s\"\n", k);
	assert_non_null(v);
	return v;
}

static const char *jstring(const cJSON *o, const char *k)
{
	const cJSON *v = path(o, k);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = path(o, k);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static bool jbool(const cJSON *o, const char *k)
{
	const cJSON *v = path(o, k);

	assert_true(cJSON_IsBool(v));
	return cJSON_IsTrue(v);
}

static const cJSON *condition(const cJSON *status, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, path(status, "conditions"))
	{
		if (!strcmp(jstring(c, "type"), type))
			return c;
	}
	print_message("no condition %s\n", type);
	fail();
	return NULL;
}

/* Runs ps_status_patch and parses its output; returns the whole document. */
static cJSON *patch(const struct ps_status_in *in)
{
	char *text = ps_status_patch(in);
	cJSON *j;

	assert_non_null(text);
	j = cJSON_Parse(text);
	if (!j)
		print_message("not JSON: %s\n", text);
	free(text);
	assert_non_null(j);
	assert_true(cJSON_IsObject(path(j, "status")));
	return j;
}

static const char GAME_MAP[] = "images:\n"
			       "- image: \"registry.example.com/game/*:v*\"\n"
			       "  command: [\"/bin/gameserver\", \"--port=7777\"]\n"
			       "  workingDir: /srv/game\n"
			       "- image: \"registry.example.com/game/*\"\n"
			       "  command: [\"/bin/second\"]\n"
			       "- image: \"busybox*\"\n"
			       "  command: [\"/bin/bb\", \"--name=$(POD)\"]\n";

/* ---- ps_pod_parse: pod fields ------------------------------------------------------------- */

static void test_parse_fields(void **state)
{
	struct ps_pod p;

	(void)state;
	pod_ok("metadata:\n"
	       "  name: gs-1\n"
	       "  namespace: games\n"
	       "  uid: 1234-abcd\n"
	       "spec:\n"
	       "  nodeName: node-a\n"
	       "  schedulerName: okg-scheduler\n"
	       "  restartPolicy: Never\n"
	       "  terminationGracePeriodSeconds: 5\n"
	       "  containers:\n"
	       "  - name: main\n"
	       "    image: busybox\n"
	       "status:\n"
	       "  phase: Running\n",
	       NULL, &p);
	assert_string_equal(p.uid, "1234-abcd");
	assert_string_equal(p.ns, "games");
	assert_string_equal(p.name, "gs-1");
	assert_string_equal(p.node, "node-a");
	assert_string_equal(p.scheduler, "okg-scheduler");
	assert_string_equal(p.restart_policy, "Never");
	assert_int_equal(p.grace_s, 5);
	assert_false(p.deleting);
	assert_string_equal(p.phase, "Running");
	assert_int_equal(p.nc, 1);
	assert_string_equal(p.c[0].name, "main");
	assert_string_equal(p.c[0].image, "busybox");
	ps_pod_free(&p);
	assert_null(p.name);
	ps_pod_free(&p); /* twice is harmless */
	ps_pod_free(NULL);
}

static void test_parse_defaults(void **state)
{
	struct ps_pod p;

	(void)state;
	pod_ok("metadata: {name: p}\n"
	       "spec:\n"
	       "  containers: [{name: c, image: nginx}]\n",
	       NULL, &p);
	assert_string_equal(p.name, "p");
	assert_string_equal(p.ns, "default");
	assert_string_equal(p.scheduler, "default-scheduler");
	assert_string_equal(p.restart_policy, "Always");
	assert_int_equal(p.grace_s, 30);
	assert_non_null(p.uid);
	assert_string_equal(p.uid, "");
	assert_null(p.node);
	assert_null(p.phase);
	assert_false(p.deleting);
	ps_pod_free(&p);
}

static void test_parse_deletion(void **state)
{
	struct ps_pod p;

	(void)state;
	/* metadata.deletionGracePeriodSeconds wins over the spec. */
	pod_ok("metadata:\n"
	       "  name: p\n"
	       "  deletionTimestamp: \"2026-01-02T03:04:05Z\"\n"
	       "  deletionGracePeriodSeconds: 7\n"
	       "spec:\n"
	       "  terminationGracePeriodSeconds: 60\n"
	       "  containers: [{name: c, image: nginx}]\n",
	       NULL, &p);
	assert_true(p.deleting);
	assert_int_equal(p.grace_s, 7);
	ps_pod_free(&p);

	/* Zero is a real value, not "unset". */
	pod_ok("metadata: {name: p, deletionTimestamp: x, deletionGracePeriodSeconds: 0}\n"
	       "spec:\n"
	       "  terminationGracePeriodSeconds: 60\n"
	       "  containers: [{name: c, image: nginx}]\n",
	       NULL, &p);
	assert_true(p.deleting);
	assert_int_equal(p.grace_s, 0);
	ps_pod_free(&p);

	/* Only the spec value: used, not deleting. */
	pod_ok("metadata: {name: p}\n"
	       "spec:\n"
	       "  terminationGracePeriodSeconds: 60\n"
	       "  containers: [{name: c, image: nginx}]\n",
	       NULL, &p);
	assert_false(p.deleting);
	assert_int_equal(p.grace_s, 60);
	ps_pod_free(&p);
}

static void test_parse_missing_name_or_spec(void **state)
{
	char err[256];

	(void)state;
	pod_fail("metadata: {namespace: x}\nspec: {containers: [{name: c}]}\n", err, sizeof(err));
	assert_non_null(strstr(err, "metadata.name"));
	pod_fail("spec: {containers: [{name: c}]}\n", err, sizeof(err));
	assert_non_null(strstr(err, "metadata.name"));
	pod_fail("metadata: {name: 3}\nspec: {containers: [{name: c}]}\n", err, sizeof(err));
	pod_fail("metadata: {name: p}\n", err, sizeof(err));
	assert_non_null(strstr(err, "spec"));
	pod_fail("metadata: {name: p}\nspec: [1]\n", err, sizeof(err));
	pod_fail("[]\n", err, sizeof(err));
}

static void test_parse_empty_containers(void **state)
{
	char err[256];

	(void)state;
	pod_fail("metadata: {name: gs-1, namespace: games}\nspec: {containers: []}\n", err,
		 sizeof(err));
	assert_non_null(strstr(err, "games/gs-1"));
	assert_non_null(strstr(err, "containers"));
	pod_fail("metadata: {name: gs-2}\nspec: {restartPolicy: Never}\n", err, sizeof(err));
	assert_non_null(strstr(err, "default/gs-2"));
	pod_fail("metadata: {name: gs-3}\nspec: {containers: {name: c}}\n", err, sizeof(err));
	assert_non_null(strstr(err, "default/gs-3"));
}

/* ---- ps_pod_parse: containers ------------------------------------------------------------- */

static void test_container_command_args(void **state)
{
	static const char *const want[] = {"/bin/sh", "-c", "echo hi", "x", NULL};
	struct ps_pod p;

	(void)state;
	pod_ok("metadata: {name: p}\n"
	       "spec:\n"
	       "  containers:\n"
	       "  - name: a\n"
	       "    image: busybox\n"
	       "    command: [/bin/sh, -c]\n"
	       "    args: [\"echo hi\", x]\n"
	       "  - name: b\n"
	       "    image: busybox\n"
	       "    command: [sleep]\n"
	       "    workingDir: /tmp\n",
	       NULL, &p);
	assert_int_equal(p.nc, 2);
	assert_false(p.c[0].idle);
	assert_argv(p.c[0].argv, want);
	assert_null(p.c[0].working_dir);
	assert_string_equal(p.c[1].name, "b");
	assert_false(p.c[1].idle);
	assert_int_equal(strv_len(p.c[1].argv), 1);
	assert_string_equal(p.c[1].argv[0], "sleep");
	assert_string_equal(p.c[1].working_dir, "/tmp");
	ps_pod_free(&p);
}

static void test_container_idle(void **state)
{
	struct ps_image_map m;
	struct ps_pod p;

	(void)state;
	pod_ok("metadata: {name: p}\n"
	       "spec: {containers: [{name: c, image: nginx:1.25, args: [-g]}]}\n",
	       NULL, &p);
	assert_true(p.c[0].idle);
	assert_non_null(p.c[0].envp); /* the environment is still built */
	ps_pod_free(&p);

	/* A map without a matching rule changes nothing. */
	map_ok(GAME_MAP, &m);
	pod_ok("metadata: {name: p}\n"
	       "spec: {containers: [{name: c, image: nginx:1.25}]}\n",
	       &m, &p);
	assert_true(p.c[0].idle);
	ps_pod_free(&p);

	/* Neither does an empty command list. */
	pod_ok("metadata: {name: p}\n"
	       "spec: {containers: [{name: c, image: nginx, command: []}]}\n",
	       &m, &p);
	assert_true(p.c[0].idle);
	ps_pod_free(&p);
	ps_image_map_free(&m);
}

static void test_container_image_rule(void **state)
{
	static const char *const want[] = {"/bin/gameserver", "--port=7777", "--mode", "ranked",
					   NULL};
	struct ps_image_map m;
	struct ps_pod p;

	(void)state;
	map_ok(GAME_MAP, &m);
	pod_ok("metadata: {name: p}\n"
	       "spec:\n"
	       "  containers:\n"
	       "  - name: gs\n"
	       "    image: registry.example.com/game/arena:v1.2\n"
	       "    args: [--mode, ranked]\n",
	       &m, &p);
	assert_false(p.c[0].idle);
	assert_argv(p.c[0].argv, want);
	assert_string_equal(p.c[0].working_dir, "/srv/game");
	ps_pod_free(&p);

	/* The container's own workingDir wins over the rule's. */
	pod_ok("metadata: {name: p}\n"
	       "spec:\n"
	       "  containers:\n"
	       "  - name: gs\n"
	       "    image: registry.example.com/game/arena:v2\n"
	       "    workingDir: /data\n",
	       &m, &p);
	assert_int_equal(strv_len(p.c[0].argv), 2);
	assert_string_equal(p.c[0].argv[0], "/bin/gameserver");
	assert_string_equal(p.c[0].working_dir, "/data");
	ps_pod_free(&p);

	/* A rule without workingDir leaves it unset. */
	pod_ok(
	    "metadata: {name: p}\n"
	    "spec: {containers: [{name: c, image: \"registry.example.com/game/arena:latest\"}]}\n",
	    &m, &p);
	assert_int_equal(strv_len(p.c[0].argv), 1);
	assert_string_equal(p.c[0].argv[0], "/bin/second");
	assert_null(p.c[0].working_dir);
	ps_pod_free(&p);

	/* The rule's argv is expanded with the container's environment. */
	pod_ok("metadata: {name: gs-9}\n"
	       "spec:\n"
	       "  containers:\n"
	       "  - name: c\n"
	       "    image: busybox:1.36\n"
	       "    env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n",
	       &m, &p);
	assert_int_equal(strv_len(p.c[0].argv), 2);
	assert_string_equal(p.c[0].argv[1], "--name=gs-9");
	ps_pod_free(&p);
	ps_image_map_free(&m);
}

static void test_container_first_rule_wins(void **state)
{
	struct ps_image_map m;
	struct ps_pod p;

	(void)state;
	/* registry.example.com/game/arena:v1 matches rules 0 and 1: rule 0 runs. */
	map_ok(GAME_MAP, &m);
	pod_ok("metadata: {name: p}\n"
	       "spec: {containers: [{name: c, image: \"registry.example.com/game/arena:v1\"}]}\n",
	       &m, &p);
	assert_string_equal(p.c[0].argv[0], "/bin/gameserver");
	ps_pod_free(&p);
	ps_image_map_free(&m);

	/* The same rules in the other order: the catch-all comes first now. */
	map_ok("images:\n"
	       "- {image: \"*\", command: [/bin/any]}\n"
	       "- {image: \"registry.example.com/game/*:v*\", command: [/bin/gameserver]}\n",
	       &m);
	pod_ok("metadata: {name: p}\n"
	       "spec: {containers: [{name: c, image: \"registry.example.com/game/arena:v1\"}]}\n",
	       &m, &p);
	assert_string_equal(p.c[0].argv[0], "/bin/any");
	ps_pod_free(&p);
	ps_image_map_free(&m);
}

static void test_container_command_beats_rule(void **state)
{
	struct ps_image_map m;
	struct ps_pod p;

	(void)state;
	map_ok(GAME_MAP, &m);
	pod_ok("metadata: {name: p}\n"
	       "spec:\n"
	       "  containers:\n"
	       "  - name: c\n"
	       "    image: registry.example.com/game/arena:v1\n"
	       "    command: [/bin/own]\n"
	       "    args: [a]\n",
	       &m, &p);
	assert_int_equal(strv_len(p.c[0].argv), 2);
	assert_string_equal(p.c[0].argv[0], "/bin/own");
	assert_string_equal(p.c[0].argv[1], "a");
	assert_null(p.c[0].working_dir); /* the rule is not used at all */
	ps_pod_free(&p);
	ps_image_map_free(&m);
}

/* ---- ps_pod_parse: environment ------------------------------------------------------------ */

static void test_env_runtime_defaults(void **state)
{
	struct ps_pod p;

	(void)state;
	pod_ok("metadata: {name: gs-1}\n"
	       "spec: {containers: [{name: c, image: busybox}]}\n",
	       NULL, &p);
	assert_string_equal(env_get(p.c[0].envp, "HOSTNAME"), "gs-1");
	assert_non_null(env_get(p.c[0].envp, "PATH"));
	assert_non_null(strstr(env_get(p.c[0].envp, "PATH"), "/bin"));
	assert_int_equal(env_count(p.c[0].envp, "HOSTNAME"), 1);
	assert_int_equal(env_count(p.c[0].envp, "PATH"), 1);
	ps_pod_free(&p);
}

static void test_env_value_and_field_refs(void **state)
{
	struct ps_pod p;
	char *const *e;

	(void)state;
	pod_ok("metadata:\n"
	       "  name: gs-1\n"
	       "  namespace: games\n"
	       "  uid: u-42\n"
	       "  labels: {app: arena, tier: x}\n"
	       "  annotations: {x: ann-x, y: ann-y}\n"
	       "spec:\n"
	       "  nodeName: node-a\n"
	       "  containers:\n"
	       "  - name: c\n"
	       "    image: busybox\n"
	       "    env:\n"
	       "    - {name: PLAIN, value: hello}\n"
	       "    - {name: EMPTY, value: \"\"}\n"
	       "    - {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
	       "    - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}\n"
	       "    - {name: UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}\n"
	       "    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}\n"
	       "    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}\n"
	       "    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}\n"
	       "    - {name: APP, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}}\n"
	       "    - {name: ANN, valueFrom: {fieldRef: "
	       "{fieldPath: \"metadata.annotations['x']\"}}}\n",
	       NULL, &p);
	e = p.c[0].envp;
	assert_string_equal(env_get(e, "PLAIN"), "hello");
	assert_string_equal(env_get(e, "EMPTY"), "");
	assert_string_equal(env_get(e, "NAME"), "gs-1");
	assert_string_equal(env_get(e, "NS"), "games");
	assert_string_equal(env_get(e, "UID"), "u-42");
	assert_string_equal(env_get(e, "NODE"), "node-a");
	assert_string_equal(env_get(e, "POD_IP"), "10.0.0.5");
	assert_string_equal(env_get(e, "HOST_IP"), "192.168.1.10");
	assert_string_equal(env_get(e, "APP"), "arena");
	assert_string_equal(env_get(e, "ANN"), "ann-x");
	ps_pod_free(&p);
}

static void test_env_unknown_field_ref(void **state)
{
	struct ps_pod p;
	char *const *e;

	(void)state;
	pod_ok("metadata: {name: gs-1, labels: {app: arena}}\n"
	       "spec:\n"
	       "  containers:\n"
	       "  - name: c\n"
	       "    image: busybox\n"
	       "    env:\n"
	       "    - {name: BOGUS, valueFrom: {fieldRef: {fieldPath: spec.bogus}}}\n"
	       "    - {name: NOLABEL, valueFrom: {fieldRef: "
	       "{fieldPath: \"metadata.labels['nope']\"}}}\n"
	       "    - {name: NOANN, valueFrom: {fieldRef: "
	       "{fieldPath: \"metadata.annotations['x']\"}}}\n"
	       "    - {name: NONODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}\n"
	       "    - {name: NOPATH, valueFrom: {fieldRef: {}}}\n"
	       "    - {name: SECRET, valueFrom: {secretKeyRef: {name: s, key: k}}}\n"
	       "    - {value: nameless}\n",
	       NULL, &p);
	e = p.c[0].envp;
	assert_string_equal(env_get(e, "BOGUS"), "");
	assert_string_equal(env_get(e, "NOLABEL"), "");
	assert_string_equal(env_get(e, "NOANN"), "");
	assert_string_equal(env_get(e, "NONODE"), "");
	assert_string_equal(env_get(e, "NOPATH"), "");
	assert_string_equal(env_get(e, "SECRET"), "");
	/* The entry without a name is skipped. */
	for (char *const *v = e; *v; v++)
		assert_null(strstr(*v, "nameless"));
	ps_pod_free(&p);
}

static void test_env_expansion(void **state)
{
	static const char *const want[] = {"/opt/arena/bin/srv",
					   "--id=gs-1.games",
					   "--greet=hello world",
					   "$(A)",
					   "cost $5",
					   "$(NOPE)",
					   "$(A",
					   "late=$(LATE)",
					   NULL};
	struct ps_pod p;
	char *const *e;

	(void)state;
	pod_ok("metadata: {name: gs-1, namespace: games}\n"
	       "spec:\n"
	       "  containers:\n"
	       "  - name: c\n"
	       "    image: busybox\n"
	       "    command: [\"$(DIR)/bin/srv\"]\n"
	       "    args: [\"--id=$(ID)\", \"--greet=$(GREET)\", \"$$(A)\", \"cost $$5\",\n"
	       "           \"$(NOPE)\", \"$(A\", \"late=$(LATE)\"]\n"
	       "    env:\n"
	       "    - {name: A, value: hello}\n"
	       "    - {name: GREET, value: \"$(A) world\"}\n"
	       "    - {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
	       "    - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}\n"
	       "    - {name: ID, value: \"$(NAME).$(NS)\"}\n"
	       "    - {name: DIR, value: /opt/arena}\n"
	       "    - {name: FWD, value: \"x$(LATER)y\"}\n"
	       "    - {name: LATER, value: z}\n"
	       "    - {name: HOST, value: \"h=$(HOSTNAME)\"}\n"
	       "    - {name: LIT, value: \"$$(A) $(NOPE) $(A\"}\n",
	       NULL, &p);
	e = p.c[0].envp;
	assert_string_equal(env_get(e, "GREET"), "hello world");
	assert_string_equal(env_get(e, "ID"), "gs-1.games");
	/* Only earlier variables are visible. */
	assert_string_equal(env_get(e, "FWD"), "x$(LATER)y");
	assert_string_equal(env_get(e, "HOST"), "h=gs-1");
	assert_string_equal(env_get(e, "LIT"), "$(A) $(NOPE) $(A");
	assert_argv(p.c[0].argv, want);
	ps_pod_free(&p);
}

/* A container's own variable replaces a runtime default of the same name (as with a real
 * container runtime, where the pod's env overrides the image's), and when a name is listed twice
 * the later definition wins (as in the kubelet). envp must hold each name once. */
static void test_env_override(void **state)
{
	struct ps_pod p;
	char *const *e;
	char got[256];

	(void)state;
	pod_ok("metadata: {name: gs-1}\n"
	       "spec:\n"
	       "  containers:\n"
	       "  - name: c\n"
	       "    image: busybox\n"
	       "    command: [\"$(A)\"]\n"
	       "    env:\n"
	       "    - {name: PATH, value: /opt/game/bin}\n"
	       "    - {name: HOME, value: /home/game}\n"
	       "    - {name: A, value: first}\n"
	       "    - {name: A, value: second}\n",
	       NULL, &p);
	/* Summarised and freed before asserting, so a failure leaks nothing. */
	e = p.c[0].envp;
	snprintf(got, sizeof(got), "PATH x%zu %s, HOME x%zu %s, A x%zu %s, argv[0] %s",
		 env_count(e, "PATH"), env_get(e, "PATH"), env_count(e, "HOME"), env_get(e, "HOME"),
		 env_count(e, "A"), env_get(e, "A"), p.c[0].argv[0]);
	ps_pod_free(&p);
	assert_string_equal(got, "PATH x1 /opt/game/bin, HOME x1 /home/game, A x1 second, "
				 "argv[0] second");
}

/* ---- ps_expand ---------------------------------------------------------------------------- */

static void test_expand(void **state)
{
	char *envp[] = {"A=1", "AB=two", "EMPTY=", "X=$(A)", NULL};

	(void)state;
	expand_is("", envp, "");
	expand_is("", NULL, "");
	expand_is("plain text", envp, "plain text");
	expand_is("$(A)", envp, "1");
	expand_is("$(AB)", envp, "two");
	expand_is("<$(A)$(AB)>", envp, "<1two>");
	expand_is("$(EMPTY)|", envp, "|");
	expand_is("$(X)", envp, "$(A)"); /* values are not expanded again */
	expand_is("$$", envp, "$");
	expand_is("$$$$", envp, "$$");
	expand_is("$$(A)", envp, "$(A)");
	expand_is("$$$(A)", envp, "$1");
	expand_is("$(NOPE)", envp, "$(NOPE)");
	expand_is("$(NOPE) $(A)", envp, "$(NOPE) 1");
	expand_is("$(A", envp, "$(A");
	expand_is("$(", envp, "$(");
	expand_is("x$", envp, "x$");
	expand_is("$", envp, "$");
	expand_is("$x", envp, "$x");
	expand_is("$()", envp, "$()");
	expand_is("$(A)$(", envp, "1$(");
	expand_is("$(A)", NULL, "$(A)");
	expand_is("$$", NULL, "$");
}

/* ---- image map ---------------------------------------------------------------------------- */

static void test_image_map_valid(void **state)
{
	static const char *const want0[] = {"/bin/gameserver", "--port=7777", NULL};
	static const char *const want2[] = {"/bin/bb", "--name=$(POD)", NULL};
	struct ps_image_map m;

	(void)state;
	map_ok(GAME_MAP, &m);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.rules[0].pattern, "registry.example.com/game/*:v*");
	assert_argv(m.rules[0].argv, want0);
	assert_string_equal(m.rules[0].working_dir, "/srv/game");
	assert_string_equal(m.rules[1].pattern, "registry.example.com/game/*");
	assert_null(m.rules[1].working_dir);
	assert_argv(m.rules[2].argv, want2); /* kept as written; expanded per container */
	ps_image_map_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(m.rules);
	ps_image_map_free(&m);
	ps_image_map_free(NULL);

	map_ok("images: []\n", &m);
	assert_int_equal(m.n, 0);
	ps_image_map_free(&m);

	/* JSON works the same. */
	map_ok("{\"images\":[{\"image\":\"a\",\"command\":[\"b\"],\"workingDir\":\"/w\"}]}", &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.rules[0].argv[0], "b");
	assert_string_equal(m.rules[0].working_dir, "/w");
	ps_image_map_free(&m);
}

static void test_image_map_not_list(void **state)
{
	(void)state;
	map_fail("images: {image: a, command: [b]}\n", "images");
	map_fail("images: a\n", "images");
	map_fail("other: []\n", "images");
	map_fail("[]\n", "images");
	map_fail("null\n", "images");
}

static void test_image_map_entry_without_image(void **state)
{
	(void)state;
	map_fail("images:\n- {image: a, command: [b]}\n- {command: [b]}\n", "images[1].image");
	map_fail("images:\n- {image: \"\", command: [b]}\n", "images[0].image");
	map_fail("images:\n- {image: 5, command: [b]}\n", "images[0].image");
	map_fail("images:\n- just-a-string\n", "images[0]");
}

static void test_image_map_bad_command(void **state)
{
	(void)state;
	map_fail("images:\n- {image: a, command: []}\n", "images[0].command");
	map_fail("images:\n- {image: a}\n", "images[0].command");
	map_fail("images:\n- {image: a, command: /bin/x}\n", "images[0].command");
	/* A bad element after good ones, in a later entry: everything built so far is freed. */
	map_fail("images:\n"
		 "- {image: a, command: [x, y]}\n"
		 "- {image: b, command: [x]}\n"
		 "- {image: c, command: [/bin/x, --a, 7]}\n",
		 "images[2].command");
	map_fail("images:\n- {image: a, command: [[x]]}\n", "images[0].command");
}

/* Writes text to a new file in a new temporary directory; returns the directory. */
static void write_temp(char *dir, size_t dirlen, char *file, size_t filelen, const char *text)
{
	FILE *f;

	assert_true(snprintf(dir, dirlen, "/tmp/okg-test-podspec-XXXXXX") < (int)dirlen);
	assert_non_null(mkdtemp(dir));
	assert_true(snprintf(file, filelen, "%s/nodesim.yaml", dir) < (int)filelen);
	f = fopen(file, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_image_map_load_file(void **state)
{
	char dir[64], file[128], err[512] = "";
	struct ps_image_map m;

	(void)state;
	write_temp(dir, sizeof(dir), file, sizeof(file), GAME_MAP);
	assert_int_equal(ps_image_map_load(file, &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.rules[0].argv[1], "--port=7777");
	assert_string_equal(m.rules[0].working_dir, "/srv/game");
	ps_image_map_free(&m);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_image_map_load_bad_file(void **state)
{
	char dir[64], file[128], err[512] = "";
	struct ps_image_map m;

	(void)state;
	write_temp(dir, sizeof(dir), file, sizeof(file),
		   "images:\n- {image: a, command: [b]}\n- {image: b, command: []}\n");
	assert_int_equal(ps_image_map_load(file, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, file, strlen(file)), 0);
	assert_non_null(strstr(err, "images[1].command"));
	assert_int_equal(m.n, 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);

	/* Malformed YAML: an error naming the file. */
	write_temp(dir, sizeof(dir), file, sizeof(file), "images: [a\n");
	assert_int_equal(ps_image_map_load(file, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, file, strlen(file)), 0);
	assert_null(strstr(err + 1, file));
	assert_int_equal(m.n, 0);
	assert_null(m.rules);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_image_map_load_missing(void **state)
{
	static const char missing[] = "/nonexistent/okg/nodesim-images.yaml";
	char err[512] = "";
	struct ps_image_map m;
	int rc;

	(void)state;
	rc = ps_image_map_load(missing, &m, err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_int_equal(m.n, 0);
	assert_null(m.rules);
	assert_int_equal(strncmp(err, missing, strlen(missing)), 0);
	/* The path is named once, not "path: path: ...". */
	if (strstr(err + 1, missing))
		print_message("message: %s\n", err);
	assert_null(strstr(err + 1, missing));
}

/* ---- ps_phase ----------------------------------------------------------------------------- */

static struct ps_cstate running(void)
{
	return (struct ps_cstate){.name = "c", .image = "i", .kind = PS_RUNNING, .ready = true};
}

static struct ps_cstate waiting(int restarts)
{
	return (struct ps_cstate){
	    .name = "c", .image = "i", .kind = PS_WAITING, .restart_count = restarts};
}

static struct ps_cstate exited(int code)
{
	return (struct ps_cstate){
	    .name = "c", .image = "i", .kind = PS_TERMINATED, .term = {.exit_code = code}};
}

static void test_phase_running_pending(void **state)
{
	struct ps_cstate c[3] = {running(), running(), running()};

	(void)state;
	assert_string_equal(ps_phase(c, 3, "Always"), "Running");
	assert_string_equal(ps_phase(c, 3, "Never"), "Running");
	assert_string_equal(ps_phase(c, 3, NULL), "Running");
	c[0] = c[1] = c[2] = waiting(0);
	assert_string_equal(ps_phase(c, 3, "Always"), "Pending");
	assert_string_equal(ps_phase(c, 3, "Never"), "Pending");
	assert_string_equal(ps_phase(c, 1, "OnFailure"), "Pending");
	/* One started: the pod runs. */
	c[1] = running();
	assert_string_equal(ps_phase(c, 3, "Always"), "Running");
}

static void test_phase_never(void **state)
{
	struct ps_cstate c[3] = {exited(0), exited(0), exited(0)};

	(void)state;
	assert_string_equal(ps_phase(c, 3, "Never"), "Succeeded");
	c[1] = exited(2);
	assert_string_equal(ps_phase(c, 3, "Never"), "Failed");
	c[1] = exited(137);
	assert_string_equal(ps_phase(c, 3, "Never"), "Failed");
	/* Another container still running: not over yet. */
	c[2] = running();
	assert_string_equal(ps_phase(c, 3, "Never"), "Running");
}

static void test_phase_on_failure_and_always(void **state)
{
	struct ps_cstate c[2] = {exited(0), exited(0)};

	(void)state;
	assert_string_equal(ps_phase(c, 2, "OnFailure"), "Succeeded");
	/* A failed container is restarted: still running. */
	c[1] = exited(1);
	assert_string_equal(ps_phase(c, 2, "OnFailure"), "Running");
	/* Always restarts everything, even successes. */
	c[1] = exited(0);
	assert_string_equal(ps_phase(c, 2, "Always"), "Running");
	assert_string_equal(ps_phase(c, 2, NULL), "Running");
	c[1] = exited(1);
	assert_string_equal(ps_phase(c, 2, "Always"), "Running");
}

static void test_phase_waiting_after_restart(void **state)
{
	struct ps_cstate c[2] = {waiting(0), waiting(3)};

	(void)state;
	assert_string_equal(ps_phase(c, 2, "Always"), "Running");
	assert_string_equal(ps_phase(&c[1], 1, "OnFailure"), "Running");
	/* A last state alone also means it ran before. */
	c[1] = waiting(0);
	c[1].has_last = true;
	assert_string_equal(ps_phase(c, 2, "Always"), "Running");
}

/* ---- ps_status_patch ---------------------------------------------------------------------- */

static void test_status_patch_running(void **state)
{
	struct ps_cstate c = running();
	struct ps_status_in in = {.phase = "Running",
				  .pod_ip = "10.0.0.5",
				  .host_ip = "192.168.1.10",
				  .start_time = 1700000000,
				  .ready = true,
				  .ready_changed = 1700000005,
				  .c = &c,
				  .nc = 1};
	const cJSON *st, *cs, *cond, *s;
	cJSON *doc;

	(void)state;
	c.name = "gs";
	c.image = "registry.example.com/game/arena:v1";
	c.started_at = 1700000002;
	c.restart_count = 2;
	snprintf(c.container_id, sizeof(c.container_id), "okg-sim://1234");
	doc = patch(&in);
	st = path(doc, "status");
	assert_string_equal(jstring(st, "phase"), "Running");
	assert_string_equal(jstring(st, "podIP"), "10.0.0.5");
	assert_int_equal(cJSON_GetArraySize(path(st, "podIPs")), 1);
	assert_string_equal(jstring(cJSON_GetArrayItem(path(st, "podIPs"), 0), "ip"), "10.0.0.5");
	assert_string_equal(jstring(st, "hostIP"), "192.168.1.10");
	assert_true(is_rfc3339(jstring(st, "startTime")));
	assert_string_equal(jstring(st, "startTime"), "2023-11-14T22:13:20Z");

	assert_int_equal(cJSON_GetArraySize(path(st, "conditions")), 4);
	cond = condition(st, "Ready");
	assert_string_equal(jstring(cond, "status"), "True");
	assert_null(cJSON_GetObjectItemCaseSensitive(cond, "reason"));
	assert_string_equal(jstring(cond, "lastTransitionTime"), "2023-11-14T22:13:25Z");
	cond = condition(st, "ContainersReady");
	assert_string_equal(jstring(cond, "status"), "True");
	assert_null(cJSON_GetObjectItemCaseSensitive(cond, "reason"));
	cond = condition(st, "Initialized");
	assert_string_equal(jstring(cond, "status"), "True");
	assert_true(is_rfc3339(jstring(cond, "lastTransitionTime")));
	cond = condition(st, "PodScheduled");
	assert_string_equal(jstring(cond, "status"), "True");

	cs = path(st, "containerStatuses");
	assert_int_equal(cJSON_GetArraySize(cs), 1);
	cs = cJSON_GetArrayItem(cs, 0);
	assert_string_equal(jstring(cs, "name"), "gs");
	assert_string_equal(jstring(cs, "image"), "registry.example.com/game/arena:v1");
	assert_true(strlen(jstring(cs, "imageID")) > 0);
	assert_non_null(strstr(jstring(cs, "imageID"), "registry.example.com/game/arena:v1"));
	assert_string_equal(jstring(cs, "containerID"), "okg-sim://1234");
	assert_true(jbool(cs, "ready"));
	assert_int_equal((int)jnum(cs, "restartCount"), 2);
	assert_true(jbool(cs, "started"));
	s = path(cs, "state");
	assert_int_equal(cJSON_GetArraySize(s), 1);
	assert_string_equal(jstring(path(s, "running"), "startedAt"), "2023-11-14T22:13:22Z");
	/* No previous run: an empty lastState (the merge patch clears an old one). */
	s = path(cs, "lastState");
	assert_true(cJSON_IsObject(s));
	assert_int_equal(cJSON_GetArraySize(s), 0);
	cJSON_Delete(doc);
}

static void test_status_patch_not_ready(void **state)
{
	struct ps_cstate c[3] = {waiting(0), waiting(4), exited(0)};
	struct ps_status_in in = {.phase = "Pending",
				  .pod_ip = "10.0.0.5",
				  .host_ip = "192.168.1.10",
				  .start_time = 0,
				  .ready = false,
				  .ready_changed = 60,
				  .c = c,
				  .nc = 3};
	const cJSON *st, *cs, *cond, *w, *t;
	cJSON *doc;

	(void)state;
	c[0].name = "a";
	c[1].name = "b";
	c[1].wait_reason = "CrashLoopBackOff";
	c[1].wait_message = "back-off 10s restarting failed container";
	c[1].has_last = true;
	c[1].last = (struct ps_term){.exit_code = 137,
				     .signal = 9,
				     .reason = "OOMKilled",
				     .started_at = 100,
				     .finished_at = 200};
	snprintf(c[1].last.container_id, sizeof(c[1].last.container_id), "okg-sim://old");
	c[2].name = "c";
	c[2].term.started_at = 300;
	c[2].term.finished_at = 400;
	doc = patch(&in);
	st = path(doc, "status");
	assert_string_equal(jstring(st, "phase"), "Pending");
	assert_string_equal(jstring(st, "startTime"), "1970-01-01T00:00:00Z");
	for (int i = 0; i < 2; i++) {
		cond = condition(st, i ? "ContainersReady" : "Ready");
		assert_string_equal(jstring(cond, "status"), "False");
		assert_true(strlen(jstring(cond, "reason")) > 0);
		assert_string_equal(jstring(cond, "lastTransitionTime"), "1970-01-01T00:01:00Z");
	}
	assert_string_equal(jstring(condition(st, "Initialized"), "status"), "True");
	assert_string_equal(jstring(condition(st, "PodScheduled"), "status"), "True");

	cs = path(st, "containerStatuses");
	assert_int_equal(cJSON_GetArraySize(cs), 3);

	/* a: waiting with the default reason, never started. */
	w = path(path(cJSON_GetArrayItem(cs, 0), "state"), "waiting");
	assert_string_equal(jstring(w, "reason"), "ContainerCreating");
	assert_null(cJSON_GetObjectItemCaseSensitive(w, "message"));
	assert_false(jbool(cJSON_GetArrayItem(cs, 0), "started"));
	assert_false(jbool(cJSON_GetArrayItem(cs, 0), "ready"));
	assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cs, 0), "containerID"));

	/* b: crash-looping, with the previous run as lastState.terminated. */
	w = path(path(cJSON_GetArrayItem(cs, 1), "state"), "waiting");
	assert_string_equal(jstring(w, "reason"), "CrashLoopBackOff");
	assert_string_equal(jstring(w, "message"), "back-off 10s restarting failed container");
	assert_int_equal((int)jnum(cJSON_GetArrayItem(cs, 1), "restartCount"), 4);
	t = path(path(cJSON_GetArrayItem(cs, 1), "lastState"), "terminated");
	assert_int_equal((int)jnum(t, "exitCode"), 137);
	assert_int_equal((int)jnum(t, "signal"), 9);
	assert_string_equal(jstring(t, "reason"), "OOMKilled");
	assert_string_equal(jstring(t, "startedAt"), "1970-01-01T00:01:40Z");
	assert_string_equal(jstring(t, "finishedAt"), "1970-01-01T00:03:20Z");
	assert_string_equal(jstring(t, "containerID"), "okg-sim://old");

	/* c: terminated with exit 0; the reason defaults to Completed; no signal. */
	t = path(path(cJSON_GetArrayItem(cs, 2), "state"), "terminated");
	assert_int_equal((int)jnum(t, "exitCode"), 0);
	assert_string_equal(jstring(t, "reason"), "Completed");
	assert_null(cJSON_GetObjectItemCaseSensitive(t, "signal"));
	assert_string_equal(jstring(t, "startedAt"), "1970-01-01T00:05:00Z");
	assert_string_equal(jstring(t, "finishedAt"), "1970-01-01T00:06:40Z");
	assert_false(jbool(cJSON_GetArrayItem(cs, 2), "started"));
	assert_int_equal(cJSON_GetArraySize(path(cJSON_GetArrayItem(cs, 2), "lastState")), 0);
	cJSON_Delete(doc);
}

static void test_status_patch_terminated_error(void **state)
{
	struct ps_cstate c = exited(3);
	struct ps_status_in in = {.phase = "Failed", .start_time = 5, .c = &c, .nc = 1};
	const cJSON *st, *t;
	cJSON *doc;

	(void)state;
	c.term.signal = 15;
	snprintf(c.term.container_id, sizeof(c.term.container_id), "okg-sim://t");
	doc = patch(&in);
	st = path(doc, "status");
	assert_string_equal(jstring(st, "phase"), "Failed");
	/* No IPs assigned: none reported. */
	assert_null(cJSON_GetObjectItemCaseSensitive(st, "podIP"));
	assert_null(cJSON_GetObjectItemCaseSensitive(st, "podIPs"));
	assert_null(cJSON_GetObjectItemCaseSensitive(st, "hostIP"));
	t = path(path(cJSON_GetArrayItem(path(st, "containerStatuses"), 0), "state"), "terminated");
	assert_int_equal((int)jnum(t, "exitCode"), 3);
	assert_int_equal((int)jnum(t, "signal"), 15);
	assert_string_equal(jstring(t, "reason"), "Error");
	assert_string_equal(jstring(t, "containerID"), "okg-sim://t");
	assert_true(is_rfc3339(jstring(t, "finishedAt")));
	cJSON_Delete(doc);

	/* No containers: still a valid patch. */
	in.nc = 0;
	in.c = NULL;
	doc = patch(&in);
	assert_int_equal(cJSON_GetArraySize(path(path(doc, "status"), "containerStatuses")), 0);
	cJSON_Delete(doc);
}

/* ---- ps_time ------------------------------------------------------------------------------ */

static void test_time(void **state)
{
	char ts[32];

	(void)state;
	ps_time(0, ts, sizeof(ts));
	assert_string_equal(ts, "1970-01-01T00:00:00Z");
	ps_time(1700000000, ts, sizeof(ts));
	assert_string_equal(ts, "2023-11-14T22:13:20Z");
	ps_time(951782400, ts, sizeof(ts)); /* 2000-02-29, a leap day */
	assert_string_equal(ts, "2000-02-29T00:00:00Z");
	ps_time(4102444799, ts, sizeof(ts));
	assert_string_equal(ts, "2099-12-31T23:59:59Z");
	/* The documented minimum size is enough. */
	ps_time(1700000000, ts, 21);
	assert_string_equal(ts, "2023-11-14T22:13:20Z");
	assert_true(is_rfc3339(ts));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_fields),
	    cmocka_unit_test(test_parse_defaults),
	    cmocka_unit_test(test_parse_deletion),
	    cmocka_unit_test(test_parse_missing_name_or_spec),
	    cmocka_unit_test(test_parse_empty_containers),
	    cmocka_unit_test(test_container_command_args),
	    cmocka_unit_test(test_container_idle),
	    cmocka_unit_test(test_container_image_rule),
	    cmocka_unit_test(test_container_first_rule_wins),
	    cmocka_unit_test(test_container_command_beats_rule),
	    cmocka_unit_test(test_env_runtime_defaults),
	    cmocka_unit_test(test_env_value_and_field_refs),
	    cmocka_unit_test(test_env_unknown_field_ref),
	    cmocka_unit_test(test_env_expansion),
	    cmocka_unit_test(test_env_override),
	    cmocka_unit_test(test_expand),
	    cmocka_unit_test(test_image_map_valid),
	    cmocka_unit_test(test_image_map_not_list),
	    cmocka_unit_test(test_image_map_entry_without_image),
	    cmocka_unit_test(test_image_map_bad_command),
	    cmocka_unit_test(test_image_map_load_file),
	    cmocka_unit_test(test_image_map_load_bad_file),
	    cmocka_unit_test(test_image_map_load_missing),
	    cmocka_unit_test(test_phase_running_pending),
	    cmocka_unit_test(test_phase_never),
	    cmocka_unit_test(test_phase_on_failure_and_always),
	    cmocka_unit_test(test_phase_waiting_after_restart),
	    cmocka_unit_test(test_status_patch_running),
	    cmocka_unit_test(test_status_patch_not_ready),
	    cmocka_unit_test(test_status_patch_terminated_error),
	    cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
