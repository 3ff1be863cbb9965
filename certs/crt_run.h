/* crt_run: one reconcile of okg-certs against the API server: the Secret, then the caBundle of
 * the webhook configurations, then (optionally) a local directory. */
#ifndef OKG_CERTS_CRT_RUN_H
#define OKG_CERTS_CRT_RUN_H

#include <stdbool.h>

#include "certs/crt_plan.h"
#include "lib/kube.h"

#define CRT_WRITE_ATTEMPTS 5 /* Secret writes that lost a race (409) are re-read and redone */

struct crt_run_opts {
	const char *ns;
	const char *secret;
	const char *validating; /* ValidatingWebhookConfiguration name; NULL or "" = none */
	const char *mutating;	/* MutatingWebhookConfiguration name; NULL or "" = none */
	const char *out_dir;	/* NULL or "" = none */
	const struct crt_policy *pol;
};

struct crt_run_result {
	enum crt_action action; /* what was done to the Secret */
	char reason[192];
	bool secret_written;   /* created or updated */
	int configs_patched;   /* configurations whose caBundle was changed */
	int configs_missing;   /* named configurations that do not exist (skipped) */
	int files_written;     /* files replaced in out_dir */
	char serial[80];       /* serial of the serving certificate now in the Secret */
	long long leaf_left_s; /* its remaining validity */
};

/* Errors are logged as one line naming the object and carrying the API server's message.
 * Returns 0 when the Secret holds valid material and every existing named configuration trusts
 * its CA bundle (res->configs_missing may still be > 0); a negative enum kube_err or errno
 * value otherwise. Never writes when nothing differs. */
int crt_run(struct kube_client *kc, const struct crt_run_opts *o, struct crt_run_result *res);

#endif
