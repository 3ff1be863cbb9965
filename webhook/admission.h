/* admission: the AdmissionReview protocol (admission.k8s.io/v1 and v1beta1), as a pure function
 * from a request body to a response body. No I/O and no globals: the HTTP server, the unit
 * tests and the fuzzer all call the same adm_handle().
 *
 *   POST /validate-v1alpha1-gss (or /validate)  GameServerSet CREATE/UPDATE -> allowed or denied
 *                                               with field errors, warnings
 *   POST /mutate-v1-pod                         Pod CREATE -> the probe helper as a JSON Patch
 *
 * A body that is not an AdmissionReview with a request.uid gets HTTP 400 and a Status body (the
 * API server counts that as a webhook error, not a denial). Everything else gets HTTP 200 and an
 * AdmissionReview of the request's apiVersion whose response.uid is the request's uid. dryRun
 * requests are handled exactly like the others: nothing here has side effects. */
#ifndef OKG_WEBHOOK_ADMISSION_H
#define OKG_WEBHOOK_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>

#include "webhook/mutate.h"

#define ADM_PATH_VALIDATE	"/validate-v1alpha1-gss"
#define ADM_PATH_VALIDATE_SHORT "/validate"
#define ADM_PATH_MUTATE		"/mutate-v1-pod"

enum adm_route { ADM_NONE = 0, ADM_VALIDATE, ADM_MUTATE };

struct adm_opts {
	struct mut_opts mut; /* the probe helper's container */
};

/* The outcome of one review. Small fixed fields are for the server's log line and metrics. */
struct adm_result {
	int http_status; /* 200, or 400 when the body is not an AdmissionReview */
	char *body;	 /* owned, NUL-terminated JSON */
	size_t len;
	enum adm_route route;
	bool allowed;
	bool patched;
	bool dry_run;
	int code;	     /* response.status.code; 0 when there is no status */
	unsigned n_errors;   /* field errors of a denial */
	unsigned n_warnings; /* response.warnings */
	char uid[64];	     /* request.uid (truncated copy; "" before it is known) */
	char op[16];
	char ns[64];
	char name[128];
	char reason[200]; /* first error, or why the request was refused */
};

/* The route for a URL path, ADM_NONE when it is not an admission endpoint. path is borrowed. */
enum adm_route adm_route_of(const char *path);

/* Reviews body[0, len) (borrowed, need not be NUL-terminated) sent to path. o is borrowed.
 * Returns 0 with *out filled (free it with adm_result_free()), -ENOENT for a path that is not an
 * admission endpoint (nothing allocated), or -ENOMEM. */
int adm_handle(const char *path, const char *body, size_t len, const struct adm_opts *o,
	       struct adm_result *out);

/* Frees the body and resets the result. NULL-safe. */
void adm_result_free(struct adm_result *r);

#endif
