/* libFuzzer target for lib/kubeconfig.c: YAML text -> yj_parse -> kcfg_from_doc (current
 * context, then a context named "fuzz"), with relative file references resolved under a
 * directory that does not exist. Everything is freed; ASan reports any leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kubeconfig.h"
#include "lib/yamljson.h"

/* Absolute paths would make the target read real files (/dev/stdin blocks): skip such docs. */
static int names_absolute_path(const cJSON *j)
{
	const cJSON *it;

	if (cJSON_IsString(j) && j->valuestring && j->valuestring[0] == '/')
		return 1;
	cJSON_ArrayForEach(it, j)
	{
		if (names_absolute_path(it))
			return 1;
	}
	return 0;
}

static void check(int r, const struct kube_config *c, const char *err, size_t errlen)
{
	if (!memchr(err, '\0', errlen))
		abort();
	if (r == 0) {
		/* success: an https server and a namespace, always */
		if (!c->server || strncmp(c->server, "https://", 8) != 0 || !c->namespace)
			abort();
		if (!c->cert_pem != !c->key_pem)
			abort();
	} else {
		if (r > 0 || !err[0])
			abort();
		if (c->server || c->token || c->ca_pem || c->cert_pem || c->key_pem || c->namespace)
			abort(); /* nothing half-built is left behind */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const contexts[] = {NULL, "fuzz"};
	cJSON *doc = NULL;
	char yerr[128];

	if (yj_parse((const char *)data, size, &doc, yerr, sizeof(yerr)) != 0)
		return 0;
	if (!names_absolute_path(doc)) {
		for (size_t i = 0; i < sizeof(contexts) / sizeof(contexts[0]); i++) {
			struct kube_config c, copy;
			char err[256];
			int r;

			r = kcfg_from_doc(doc, contexts[i], "/nonexistent", &c, err, sizeof(err));
			check(r, &c, err, sizeof(err));
			if (r == 0) {
				if (kcfg_copy(&c, &copy) == 0)
					kcfg_free(&copy);
			}
			kcfg_free(&c);
		}
	}
	cJSON_Delete(doc);
	return 0;
}
