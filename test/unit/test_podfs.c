/* Unit tests for test/nodesim/podfs.c, the pure parts: the pod's /etc/hosts text and which
 * configMap volumes are mounted where. (The mounts themselves run in test_service_quality.sh.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/yamljson.h"
#include "test/nodesim/podfs.h"

static cJSON *parse(const char *s)
{
	char err[256];
	cJSON *j = NULL;
	int rc = yj_parse(s, strlen(s), &j, err, sizeof(err));

	if (rc)
		print_message("fixture does not parse (%d): %s\n", rc, err);
	assert_int_equal(rc, 0);
	return j;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_hosts_text(void **state)
{
	char buf[256], tiny[8];
	int n;

	(void)state;
	n = pf_hosts_text("127.1.0.7", "hot-update-gs-0", buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	/* localhost is the pod's IP, and so is its host name; nothing else names localhost */
	assert_non_null(strstr(buf, "\n127.1.0.7\tlocalhost hot-update-gs-0\n"));
	assert_null(strstr(buf, "127.0.0.1"));
	assert_null(strstr(buf, "::1"));
	assert_int_equal(pf_hosts_text("127.1.0.7", "x", tiny, sizeof(tiny)), -ENOSPC);
}

static void test_configmap_mounts(void **state)
{
	cJSON *pod = parse("metadata: {name: p, namespace: sidecar}\n"
			   "spec:\n"
			   "  containers:\n"
			   "  - name: game\n"
			   "    volumeMounts:\n"
			   "    - {name: data, mountPath: /data}\n"
			   "    - {name: cfg, mountPath: /opt/sidecar}\n"
			   "  - name: sidecar\n"
			   "    volumeMounts:\n"
			   "    - {name: cfg, mountPath: /opt/sidecar}\n"
			   "    - {name: one, mountPath: /etc/one.yaml, subPath: one.yaml}\n"
			   "    - {name: opt, mountPath: /opt/extra}\n"
			   "    - {name: missing, mountPath: /nowhere}\n"
			   "  volumes:\n"
			   "  - {name: data, emptyDir: {}}\n"
			   "  - {name: cfg, configMap: {name: sidecar-config, namespace: sidecar, "
			   "defaultMode: 420}}\n"
			   "  - {name: one, configMap: {name: one}}\n"
			   "  - name: opt\n"
			   "    configMap:\n"
			   "      name: extra\n"
			   "      optional: true\n"
			   "      items: [{key: a, path: b}]\n");
	cJSON *m = NULL;
	char warn[256];

	(void)state;
	assert_int_equal(pf_configmap_mounts(pod, &m, warn, sizeof(warn)), 0);
	assert_int_equal(cJSON_GetArraySize(m), 2); /* /opt/sidecar once, /opt/extra */
	assert_string_equal(str(cJSON_GetArrayItem(m, 0), "mountPath"), "/opt/sidecar");
	assert_string_equal(str(cJSON_GetArrayItem(m, 0), "configMap"), "sidecar-config");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "optional")));
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "items"));
	assert_string_equal(str(cJSON_GetArrayItem(m, 1), "mountPath"), "/opt/extra");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 1), "optional")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 1), "items")),
			 1);
	assert_string_equal(warn, "volume one at /etc/one.yaml: a subPath mount is not simulated");
	cJSON_Delete(m);
	cJSON_Delete(pod);
	/* no volumes at all */
	pod = parse("spec: {containers: [{name: a}]}\n");
	assert_int_equal(pf_configmap_mounts(pod, &m, NULL, 0), 0);
	assert_int_equal(cJSON_GetArraySize(m), 0);
	cJSON_Delete(m);
	cJSON_Delete(pod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hosts_text),
	    cmocka_unit_test(test_configmap_mounts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
