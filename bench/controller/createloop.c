/* The reference for the controller's scale-up benchmark: a plain client loop that creates the
 * same objects the controller writes (a pod from the same template, then its GameServer),
 * one after the other (the controller's concurrency for one set), with the same API client.
 *   createloop KUBECONFIG NAMESPACE COUNT
 * Prints "objects=N seconds=S rate=R" and exits non-zero on any API error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/kube.h"
#include "lib/kubeconfig.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct kube_config cfg;
	struct kube_client *kc = NULL;
	char err[512], path[256], body[2048];
	long count;
	double t0, t1;
	int rc = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: createloop KUBECONFIG NAMESPACE COUNT\n");
		return 2;
	}
	count = strtol(argv[3], NULL, 10);
	if (kcfg_load(argv[1], &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "createloop: %s\n", err);
		return 2;
	}
	if (kube_global_init() < 0 || kube_client_new(&cfg, NULL, &kc) < 0)
		goto out;
	t0 = now_s();
	for (long i = 0; i < count; i++) {
		struct kube_resp resp;
		cJSON *pod = NULL;
		int r;

		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", argv[2]);
		snprintf(body, sizeof(body),
			 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"ref-%ld\","
			 "\"labels\":{\"app\":\"ref\",\"okg.game.kruise.io/ordinal\":\"%ld\"}},"
			 "\"spec\":{\"hostname\":\"ref-%ld\",\"subdomain\":\"ref\",\"containers\":[{"
			 "\"name\":\"minecraft\",\"image\":\"registry.cn-hangzhou.aliyuncs.com/acs/"
			 "minecraft-demo:1.12.2\"}]}}",
			 i, i, i);
		r = kube_request(kc, "POST", path, "application/json", body, strlen(body), &resp);
		if (r == 0)
			pod = cJSON_ParseWithLength(resp.body, resp.len);
		kube_resp_free(&resp);
		if (r < 0 || !pod) {
			fprintf(stderr, "createloop: pod %ld: %s\n", i, kube_strerror(r));
			cJSON_Delete(pod);
			goto out;
		}
		snprintf(path, sizeof(path),
			 "/apis/game.kruise.io/v1alpha1/namespaces/%s/gameservers", argv[2]);
		snprintf(body, sizeof(body),
			 "{\"apiVersion\":\"game.kruise.io/v1alpha1\",\"kind\":\"GameServer\","
			 "\"metadata\":{\"name\":\"ref-%ld\",\"ownerReferences\":[{\"apiVersion\":\"v1\","
			 "\"kind\":\"Pod\",\"name\":\"ref-%ld\",\"uid\":\"%s\",\"controller\":true}]},"
			 "\"spec\":{\"opsState\":\"None\",\"updatePriority\":0,\"deletionPriority\":0,"
			 "\"networkDisabled\":false}}",
			 i, i,
			 cJSON_GetObjectItemCaseSensitive(
			     cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "uid")
			     ->valuestring);
		cJSON_Delete(pod);
		r = kube_request(kc, "POST", path, "application/json", body, strlen(body), &resp);
		kube_resp_free(&resp);
		if (r < 0) {
			fprintf(stderr, "createloop: gameserver %ld: %s\n", i, kube_strerror(r));
			goto out;
		}
	}
	t1 = now_s();
	printf("objects=%ld seconds=%.2f rate=%.1f\n", 2 * count, t1 - t0, 2 * count / (t1 - t0));
	rc = 0;
out:
	kube_client_free(kc);
	kcfg_free(&cfg);
	kube_global_cleanup();
	return rc;
}
