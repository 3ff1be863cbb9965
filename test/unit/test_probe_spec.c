/* Unit tests for probe/spec.c: OKG_PROBES (JSON) and the OKG sidecar's config.yaml. */
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

#include "probe/spec.h"

#define TD "test/unit/testdata/probe/"

static int parse(const char *json, struct pr_spec *s, char *err, size_t errlen)
{
	return pr_spec_parse_probes(json, strlen(json), s, err, errlen);
}

/* Asserts that json is refused with exactly want as the message. */
static void refused(const char *json, const char *want)
{
	struct pr_spec s;
	char err[512];

	assert_int_equal(parse(json, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	assert_null(s.probes);
	assert_int_equal(s.n, 0);
}

static void test_seed_gate_data(void **state)
{
	/* The seed's healthy quality, as the controller puts it in OKG_PROBES. */
	const char *j =
	    "[{\"name\":\"healthy\",\"containerName\":\"minecraft\",\"permanent\":false,"
	    "\"exec\":{\"command\":[\"bash\",\"./probe.sh\"]}}]";
	struct pr_spec s;
	char err[256];

	(void)state;
	assert_int_equal(parse(j, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_false(s.sidecar);
	assert_string_equal(s.probes[0].name, "healthy");
	assert_string_equal(s.probes[0].container, "minecraft");
	assert_false(s.probes[0].permanent);
	assert_int_equal(s.probes[0].kind, PR_EXEC);
	assert_int_equal(s.probes[0].argc, 2);
	assert_string_equal(s.probes[0].argv[0], "bash");
	assert_string_equal(s.probes[0].argv[1], "./probe.sh");
	assert_null(s.probes[0].argv[2]);
	/* OpenKruiseGame's defaults */
	assert_int_equal(s.probes[0].timeout, 5);
	assert_int_equal(s.probes[0].initial_delay, 10);
	assert_int_equal(s.probes[0].period, 3);
	assert_int_equal(s.probes[0].success_th, 1);
	assert_int_equal(s.probes[0].failure_th, 3);
	assert_null(s.warnings);
	pr_spec_free(&s);
	pr_spec_free(&s); /* a second free is harmless */
	pr_spec_free(NULL);
}

static void test_http_tcp_and_timings(void **state)
{
	const char *j =
	    "[{\"name\":\"web\",\"httpGet\":{\"path\":\"healthz?x=1\",\"port\":8080,\"scheme\":"
	    "\"HTTPS\",\"httpHeaders\":[{\"name\":\"X-A\",\"value\":\"b c\"}]},"
	    "\"initialDelaySeconds\":1,\"periodSeconds\":2,\"timeoutSeconds\":3,"
	    "\"successThreshold\":4,\"failureThreshold\":5,\"serviceQualityAction\":[{}]},"
	    "{\"name\":\"named\",\"httpGet\":{\"port\":\"http-alt\"}},"
	    "{\"name\":\"strport\",\"tcpSocket\":{\"port\":\"7000\"},\"permanent\":true},"
	    "{\"name\":\"tcp\",\"tcpSocket\":{\"port\":25565}}]";
	struct pr_spec s;
	char err[256];

	(void)state;
	assert_int_equal(parse(j, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.probes[0].kind, PR_HTTP);
	assert_true(s.probes[0].https);
	assert_string_equal(s.probes[0].path, "/healthz?x=1");
	assert_int_equal(s.probes[0].port, 8080);
	assert_int_equal(s.probes[0].n_headers, 1);
	assert_string_equal(s.probes[0].headers[0].name, "X-A");
	assert_string_equal(s.probes[0].headers[0].value, "b c");
	assert_string_equal(s.probes[0].method, "GET");
	assert_null(s.probes[0].url);
	assert_int_equal(s.probes[0].initial_delay, 1);
	assert_int_equal(s.probes[0].period, 2);
	assert_int_equal(s.probes[0].timeout, 3);
	assert_int_equal(s.probes[0].success_th, 4);
	assert_int_equal(s.probes[0].failure_th, 5);
	assert_int_equal(s.probes[1].port, 0);
	assert_string_equal(s.probes[1].port_name, "http-alt");
	assert_string_equal(s.probes[1].path, "/");
	assert_false(s.probes[1].https);
	assert_int_equal(s.probes[2].kind, PR_TCP);
	assert_int_equal(s.probes[2].port, 7000);
	assert_true(s.probes[2].permanent);
	assert_int_equal(s.probes[3].port, 25565);
	assert_true(pr_spec_has(&s, PR_TCP));
	assert_false(pr_spec_has(&s, PR_EXEC));
	pr_spec_free(&s);
}

static void test_errors_name_the_field(void **state)
{
	(void)state;
	refused("[{\"name\":\"a\",\"exec\":{\"command\":[\"true\"]}},"
		"{\"name\":\"b\",\"exec\":{\"command\":[]}}]",
		"OKG_PROBES[1].exec.command: must be a non-empty list of strings");
	refused("[{\"name\":\"a\",\"exec\":{\"command\":[\"sh\",3]}}]",
		"OKG_PROBES[0].exec.command: must be a non-empty list of strings");
	refused("[{\"name\":\"a\",\"exec\":{\"command\":\"sh\"}}]",
		"OKG_PROBES[0].exec.command: must be a non-empty list of strings");
	refused("[{\"name\":\"a\",\"exec\":{\"command\":[\"\"]}}]",
		"OKG_PROBES[0].exec.command: the first entry (the program) must not be empty");
	refused("[{\"exec\":{\"command\":[\"true\"]}}]", "OKG_PROBES[0].name: required");
	refused("[{\"name\":7,\"exec\":{\"command\":[\"true\"]}}]",
		"OKG_PROBES[0].name: must be a string");
	refused("[{\"name\":\"a\"}]", "OKG_PROBES[0]: needs one of exec, httpGet or tcpSocket");
	refused("[{\"name\":\"a\",\"exec\":{\"command\":[\"x\"]},\"tcpSocket\":{\"port\":1}}]",
		"OKG_PROBES[0]: has both exec and tcpSocket; give exactly one");
	refused("[{\"name\":\"a\",\"grpc\":{\"port\":1}}]",
		"OKG_PROBES[0].grpc: gRPC probes are not supported; use exec, httpGet or "
		"tcpSocket");
	refused("[{\"name\":\"a\",\"tcpSocket\":{\"port\":70000}}]",
		"OKG_PROBES[0].tcpSocket.port: must be between 1 and 65535");
	refused("[{\"name\":\"a\",\"tcpSocket\":{}}]", "OKG_PROBES[0].tcpSocket.port: required");
	refused("[{\"name\":\"a\",\"tcpSocket\":{\"port\":\"Bad_Name\"}}]",
		"OKG_PROBES[0].tcpSocket.port: \"Bad_Name\" is neither a port number nor a port "
		"name");
	refused("[{\"name\":\"a\",\"tcpSocket\":{\"port\":1,\"host\":\"x\"}}]",
		"OKG_PROBES[0].tcpSocket.host: not supported: probes go to the pod's own IP");
	refused("[{\"name\":\"a\",\"httpGet\":{\"port\":1,\"scheme\":\"http\"}}]",
		"OKG_PROBES[0].httpGet.scheme: must be HTTP or HTTPS");
	refused("[{\"name\":\"a\",\"httpGet\":{\"port\":1,\"path\":\"/a b\"}}]",
		"OKG_PROBES[0].httpGet.path: must not contain spaces or control characters");
	refused("[{\"name\":\"a\",\"httpGet\":{\"port\":1,\"httpHeaders\":[{\"name\":\"X\","
		"\"value\":\"a\\r\\nInjected: 1\"}]}}]",
		"OKG_PROBES[0].httpGet.httpHeaders[0]: the value of header X holds a line break "
		"or a control character");
	refused("[{\"name\":\"a\",\"httpGet\":{\"port\":1,\"httpHeaders\":[{\"name\":\"X Y\","
		"\"value\":\"v\"}]}}]",
		"OKG_PROBES[0].httpGet.httpHeaders[0]: \"X Y\" is not a valid header name");
	refused("[{\"name\":\"a\",\"tcpSocket\":{\"port\":1},\"periodSeconds\":-1}]",
		"OKG_PROBES[0].periodSeconds: must be between 0 and 86400");
	refused("[{\"name\":\"a\",\"tcpSocket\":{\"port\":1},\"timeoutSeconds\":1.5}]",
		"OKG_PROBES[0].timeoutSeconds: must be a whole number");
	refused("[{\"name\":\"a\",\"tcpSocket\":{\"port\":1},\"failureThreshold\":\"3\"}]",
		"OKG_PROBES[0].failureThreshold: must be a whole number");
	refused("[{\"name\":\"a\",\"tcpSocket\":{\"port\":1},\"permanent\":\"yes\"}]",
		"OKG_PROBES[0].permanent: must be true or false");
	refused("[{\"name\":\"a\",\"tcpSocket\":{\"port\":1}},{\"name\":\"a\",\"tcpSocket\":"
		"{\"port\":2}}]",
		"OKG_PROBES[1].name: \"a\" is also the name of entry 0");
	refused("[]", "OKG_PROBES: must list at least one probe");
	refused("{}", "OKG_PROBES: must be a JSON array of probes");
	refused("[1]", "OKG_PROBES[0]: must be an object");
	refused("[{\"name\":", "OKG_PROBES: not valid JSON (near byte 8)");
	refused("[] x", "OKG_PROBES: unexpected text after the JSON value (byte 3)");
	refused("", "OKG_PROBES: empty: expected a JSON array of probes");
}

static void test_limits(void **state)
{
	char *j = malloc(70 * 64 + 16);
	size_t o = 0;

	(void)state;
	assert_non_null(j);
	j[o++] = '[';
	for (int i = 0; i < 65; i++)
		o += (size_t)snprintf(j + o, 70, "%s{\"name\":\"q%d\",\"tcpSocket\":{\"port\":1}}",
				      i ? "," : "", i);
	j[o++] = ']';
	j[o] = '\0';
	refused(j, "OKG_PROBES: more than 64 probes");
	free(j);
}

static void test_sidecar_seed(void **state)
{
	struct pr_spec s;
	char err[512];

	(void)state;
	assert_int_equal(pr_spec_load_sidecar(TD "sidecar-seed.yaml", &s, err, sizeof(err)), 0);
	assert_true(s.sidecar);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.probes[0].name, "http_probe-0");
	assert_int_equal(s.probes[0].kind, PR_HTTP);
	assert_string_equal(s.probes[0].url, "http://localhost:8080");
	assert_string_equal(s.probes[0].method, "GET");
	assert_int_equal(s.probes[0].expected_status, 200);
	assert_int_equal(s.probes[0].timeout, 30);
	assert_int_equal(s.probes[0].initial_delay, 10);
	assert_int_equal(s.probes[0].period, 5);
	assert_int_equal(s.probes[0].success_th, 1);
	assert_int_equal(s.probes[0].failure_th, 1);
	assert_int_equal(s.probes[0].n_markers, 3);
	assert_string_equal(s.probes[0].markers[0].state, "WaitToBeDeleted");
	assert_string_equal(s.probes[0].markers[0].ops_state, "WaitToBeDeleted");
	assert_string_equal(s.probes[0].markers[2].state, "None");
	assert_string_equal(s.probes[0].markers[2].ops_state, "None");
	assert_false(s.probes[0].ops_from_data);
	assert_null(s.probes[0].json_path);
	assert_null(s.warnings);
	pr_spec_free(&s);
}

static void test_sidecar_jsonpath_and_warnings(void **state)
{
	struct pr_spec s;
	char err[512];

	(void)state;
	assert_int_equal(pr_spec_load_sidecar(TD "sidecar-jsonpath.yaml", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	/* the sidecar's defaults for values <= 0 */
	assert_int_equal(s.probes[0].initial_delay, 30);
	assert_int_equal(s.probes[0].period, 5);
	assert_int_equal(s.probes[0].timeout, 10);
	assert_string_equal(s.probes[0].json_path, "game.phase");
	assert_int_equal(s.probes[0].n_headers, 1);
	assert_string_equal(s.probes[0].headers[0].name, "X-Token");
	assert_string_equal(s.probes[1].name, "http_probe-1");
	assert_true(s.probes[1].https);
	assert_true(s.probes[1].ops_from_data);
	assert_int_equal(s.probes[1].n_markers, 0);
	assert_non_null(s.warnings);
	assert_non_null(strstr(s.warnings, "plugins[0]: plugin \"hot_update\" is not run by okg"));
	assert_non_null(strstr(s.warnings, "plugins[1].config.endpoints[0].storageConfig.inKube."
					   "markerPolices[0].labels: accepted but not applied"));
	assert_non_null(strstr(s.warnings, "plugins[1].config.endpoints[1].storageConfig.inKube."
					   "target: accepted but not applied"));
	pr_spec_free(&s);
}

static void sidecar_refused(const char *yaml, const char *want)
{
	struct pr_spec s;
	char err[512];

	assert_int_equal(pr_spec_parse_sidecar(yaml, strlen(yaml), "/opt/sidecar/config.yaml", &s,
					       err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, want);
	assert_int_equal(s.n, 0);
}

static void test_sidecar_errors(void **state)
{
	struct pr_spec s;
	char err[512];

	(void)state;
	assert_int_equal(pr_spec_load_sidecar(TD "sidecar-bad-url.yaml", &s, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, TD "sidecar-bad-url.yaml: plugins[0].config.endpoints[1].url: "
				    "must be an http:// or https:// URL");
	assert_int_equal(pr_spec_load_sidecar(TD "sidecar-bad-yaml.yaml", &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, TD "sidecar-bad-yaml.yaml: line "));
	assert_int_equal(pr_spec_load_sidecar(TD "missing.yaml", &s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, TD "missing.yaml"));

	sidecar_refused("- a\n", "/opt/sidecar/config.yaml: must be a mapping with plugins");
	sidecar_refused("restartPolicy: Always\n", "/opt/sidecar/config.yaml: plugins: required");
	sidecar_refused("plugins: []\n",
			"/opt/sidecar/config.yaml: plugins: no http_probe plugin with endpoints");
	sidecar_refused("plugins:\n- name: http_probe\n  config: {}\n",
			"/opt/sidecar/config.yaml: plugins[0].config.endpoints: must be a "
			"non-empty list of endpoints");
	sidecar_refused(
	    "plugins:\n- name: http_probe\n  config:\n    endpoints:\n    - method: GET\n",
	    "/opt/sidecar/config.yaml: plugins[0].config.endpoints[0].url: required");
	sidecar_refused("plugins:\n- name: http_probe\n  config:\n    endpoints:\n    - url: "
			"http://a\n      method: FETCH\n",
			"/opt/sidecar/config.yaml: plugins[0].config.endpoints[0].method: must "
			"be one of GET, HEAD, POST, PUT, DELETE, OPTIONS");
	sidecar_refused("plugins:\n- name: http_probe\n  config:\n    startDelaySeconds: x\n",
			"/opt/sidecar/config.yaml: plugins[0].config.startDelaySeconds: must be "
			"a whole number");
	sidecar_refused("plugins:\n- name: http_probe\n  config:\n    endpoints:\n    - url: "
			"http://a\n      expectedStatusCode: 42\n",
			"/opt/sidecar/config.yaml: plugins[0].config.endpoints[0]."
			"expectedStatusCode: must be between 100 and 599");
	sidecar_refused("plugins:\n- name: http_probe\n  config:\n    endpoints:\n    - url: "
			"http://a\n      storageConfig:\n        inKube:\n          "
			"markerPolices:\n          - gameServerOpsState: None\n",
			"/opt/sidecar/config.yaml: plugins[0].config.endpoints[0].storageConfig."
			"inKube.markerPolices[0].state: required");
	sidecar_refused("plugins:\n- name: http_probe\n  config:\n    endpoints:\n    - url: "
			"http://user:pw@a/\n",
			"/opt/sidecar/config.yaml: plugins[0].config.endpoints[0].url: must not "
			"hold user information (user@host)");
}

static void test_sidecar_scalar_states(void **state)
{
	/* YAML turns 200 and true into a number and a boolean: they still match as text. */
	const char *y = "plugins:\n- name: http_probe\n  config:\n    endpoints:\n    - url: "
			"http://a\n      storageConfig:\n        inKube:\n          "
			"markerPolices:\n          - {state: 200, gameServerOpsState: A}\n"
			"          - {state: true, gameServerOpsState: B}\n";
	struct pr_spec s;
	char err[512];

	(void)state;
	assert_int_equal(pr_spec_parse_sidecar(y, strlen(y), "c.yaml", &s, err, sizeof(err)), 0);
	assert_string_equal(s.probes[0].markers[0].state, "200");
	assert_string_equal(s.probes[0].markers[1].state, "true");
	pr_spec_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_gate_data),
	    cmocka_unit_test(test_http_tcp_and_timings),
	    cmocka_unit_test(test_errors_name_the_field),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_sidecar_seed),
	    cmocka_unit_test(test_sidecar_jsonpath_and_warnings),
	    cmocka_unit_test(test_sidecar_errors),
	    cmocka_unit_test(test_sidecar_scalar_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
