/* kube: a small Kubernetes API client over libcurl.
 *
 * One struct kube_client per thread: it owns a CURL easy handle, so connections and TLS
 * sessions are reused. Every call fills a struct kube_resp on every path, with the HTTP status
 * and the API server's own Status reason and message, so errors can be reported in its words. */
#ifndef OKG_KUBE_H
#define OKG_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "lib/kubeconfig.h"
#include "lib/watchframe.h"

enum kube_err {
	KUBE_OK = 0,
	KUBE_ENET = -1001, /* no answer: connect, TLS or transfer failure */
	KUBE_ETIMEDOUT,	   /* no answer in time */
	KUBE_EBADREQ,	   /* 400 */
	KUBE_EAUTH,	   /* 401 */
	KUBE_EFORBIDDEN,   /* 403 */
	KUBE_ENOTFOUND,	   /* 404 */
	KUBE_ECONFLICT,	   /* 409 Conflict (stale resourceVersion, precondition) */
	KUBE_EEXISTS,	   /* 409 AlreadyExists */
	KUBE_EGONE,	   /* 410, or a watch ERROR event with code 410: re-list */
	KUBE_EINVALID,	   /* 422: the object was refused (field errors in the message) */
	KUBE_ETHROTTLED,   /* 429 */
	KUBE_ESERVER,	   /* 5xx */
	KUBE_EHTTP,	   /* any other non-2xx status */
	KUBE_EPARSE,	   /* a 2xx answer that is not the JSON expected */
	KUBE_E2BIG,	   /* the answer exceeds the response cap */
	KUBE_ENOMEM,
	KUBE_ECANCELED, /* the stop flag was raised */
	KUBE_ECONFIG,	/* unusable configuration */
};

struct kube_client_opts {
	long timeout_ms;	  /* one request, default 15000 */
	long connect_timeout_ms;  /* default 5000 */
	int max_retries;	  /* retries of a repeatable request: 0 = 4, negative = none */
	unsigned backoff_base_ms; /* default 200 */
	unsigned backoff_cap_ms;  /* default 10000 */
	size_t max_body;	  /* response cap, default 64 MiB */
	double qps;		  /* client-side rate limit; 0 = unlimited */
	int burst;		  /* default 10 */
	const char *user_agent;	  /* borrowed during kube_client_new(); default "okg" */
	const volatile int *stop; /* borrowed; non-zero cancels waits and transfers */
};

struct kube_resp {
	long status; /* HTTP status, 0 when there was no answer */
	char *body;  /* owned, NUL-terminated, may be NULL */
	size_t len;
	char reason[64];   /* Status.reason ("NotFound", "Conflict", ...) or "" */
	char message[512]; /* Status.message, or the transport error */
	unsigned retry_after_s;
	int attempts; /* how many times the request was sent */
};

struct kube_client;

/* cfg is copied. opts may be NULL for the defaults. *out is freed with kube_client_free(). */
int kube_client_new(const struct kube_config *cfg, const struct kube_client_opts *opts,
		    struct kube_client **out);
void kube_client_free(struct kube_client *kc);

/* Must be called once before any thread creates a client (libcurl global init). */
int kube_global_init(void);
void kube_global_cleanup(void);

/* Sends one request (path starts with "/", query included). Retries as the method allows:
 * GET, PUT, PATCH, DELETE on transport errors, 429 and 5xx; POST only when the request was
 * surely not processed (connection refused, 429). Honours Retry-After.
 * Returns 0 on 2xx, else a negative enum kube_err; resp is always filled (kube_resp_free). */
int kube_request(struct kube_client *kc, const char *method, const char *path,
		 const char *content_type, const char *body, size_t len, struct kube_resp *resp);

void kube_resp_free(struct kube_resp *resp); /* NULL-safe; resets resp */

/* GET path and parse it. *out is a new tree the caller frees. */
int kube_get(struct kube_client *kc, const char *path, cJSON **out, struct kube_resp *resp);

/* POST obj (borrowed) to a collection path. out may be NULL; else the created object. */
int kube_create(struct kube_client *kc, const char *path, const cJSON *obj, cJSON **out,
		struct kube_resp *resp);

enum kube_patch_type { KUBE_PATCH_MERGE, KUBE_PATCH_JSON, KUBE_PATCH_STRATEGIC };
/* PATCH path with a patch document (a JSON text). out may be NULL. */
int kube_patch(struct kube_client *kc, const char *path, enum kube_patch_type type,
	       const char *patch, cJSON **out, struct kube_resp *resp);

/* PUT obj (borrowed; carries metadata.resourceVersion as the precondition). out may be NULL. */
int kube_replace(struct kube_client *kc, const char *path, const cJSON *obj, cJSON **out,
		 struct kube_resp *resp);

/* DELETE path with optional DeleteOptions JSON (NULL = none). */
int kube_delete(struct kube_client *kc, const char *path, const char *options,
		struct kube_resp *resp);

/* Opens a watch (path with ?watch=1&resourceVersion=...) and delivers each event to fn until the
 * server ends the stream (returns 0), fn returns non-zero (returned as is), the stop flag rises
 * (KUBE_ECANCELED) or an error occurs. An ERROR event carrying a 410 Status returns KUBE_EGONE;
 * other ERROR events are delivered to fn. timeout_s bounds the whole stream on the client side
 * (set it above the server-side timeoutSeconds). Not retried: the caller re-lists or re-watches. */
int kube_watch(struct kube_client *kc, const char *path, long timeout_s, wf_event_fn fn, void *ud,
	       struct kube_resp *resp);

/* Maps an HTTP status (and Status.reason) to an enum kube_err. */
int kube_status_to_err(long status, const char *reason);
const char *kube_strerror(int err);

/* Percent-encodes s for a query value into out (NUL-terminated). 0, or -E2BIG if it won't fit. */
int kube_escape(const char *s, char *out, size_t outlen);

/* Reads Status.reason/message out of a body (pure; used on every answer). */
void kube_parse_status(const char *body, size_t len, char *reason, size_t reason_len, char *message,
		       size_t message_len);

/* Parses a Retry-After header value (seconds form; an HTTP date counts as 1 s). */
unsigned kube_parse_retry_after(const char *value);

#endif
