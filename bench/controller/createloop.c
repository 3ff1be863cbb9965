/* The reference for the controller's scale-up benchmark: a plain client loop that creates the
 * same objects the controller writes (each pod built by the controller's own builder from the
 * GameServerSet NAMESPACE/SET, then its GameServer), one after the other (the controller's
 * concurrency for one set), with the same API client.
 *   createloop KUBECONFIG NAMESPACE SET COUNT
 * Prints "objects=N seconds=S rate=R" and exits non-zero on any API error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/objects.h"
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
	struct kube_resp resp;
	cJSON *gss = NULL;
	char err[512], path[512];
	long count;
	double t0, t1;
	int rc = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: createloop KUBECONFIG NAMESPACE SET COUNT\n");
		return 2;
	}
	count = strtol(argv[4], NULL, 10);
	if (kcfg_load(argv[1], &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "createloop: %s\n", err);
		return 2;
	}
	if (kube_global_init() < 0 || kube_client_new(&cfg, NULL, &kc) < 0)
		goto out;
	snprintf(path, sizeof(path),
		 "/apis/game.kruise.io/v1alpha1/namespaces/%s/gameserversets/%s", argv[2], argv[3]);
	if (kube_get(kc, path, &gss, &resp) < 0) {
		fprintf(stderr, "createloop: %s: %s\n", path, resp.message);
		kube_resp_free(&resp);
		goto out;
	}
	kube_resp_free(&resp);
	t0 = now_s();
	for (long i = 0; i < count; i++) {
		cJSON *pod = NULL, *created = NULL, *gs = NULL;
		int r;

		r = obj_build_pod(gss, (int)i, NULL, &pod);
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", argv[2]);
		if (r == 0)
			r = kube_create(kc, path, pod, &created, &resp);
		if (r == 0)
			kube_resp_free(&resp);
		if (r == 0)
			r = obj_build_gameserver(created, argv[3], &gs);
		snprintf(path, sizeof(path),
			 "/apis/game.kruise.io/v1alpha1/namespaces/%s/gameservers", argv[2]);
		if (r == 0)
			r = kube_create(kc, path, gs, NULL, &resp);
		cJSON_Delete(pod);
		cJSON_Delete(created);
		cJSON_Delete(gs);
		if (r < 0) {
			fprintf(stderr, "createloop: server %ld: %s: %s\n", i, kube_strerror(r),
				resp.message);
			kube_resp_free(&resp);
			goto out;
		}
		kube_resp_free(&resp);
	}
	t1 = now_s();
	printf("objects=%ld seconds=%.2f rate=%.1f\n", 2 * count, t1 - t0, 2 * count / (t1 - t0));
	rc = 0;
out:
	cJSON_Delete(gss);
	kube_client_free(kc);
	kcfg_free(&cfg);
	kube_global_cleanup();
	return rc;
}
