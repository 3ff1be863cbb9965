#include "certs/crt_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certs/crt_files.h"
#include "certs/crt_kobj.h"
#include "certs/crt_pem.h"
#include "lib/log.h"

#define ADMREG		  "/apis/admissionregistration.k8s.io/v1/"
#define CRT_TRUST_DELAY_S 2

/* One line per failed API call: what, which object, and the API server's own words. */
static void api_error(const char *op, const char *object, int r, const struct kube_resp *resp)
{
	char q[700];

	LOG_ERRORF("api_error", "op=%s object=%s status=%ld error=%s message=%s", op, object,
		   resp->status, kube_strerror(r),
		   log_quote(resp->message[0] ? resp->message : kube_strerror(r), q, sizeof(q)));
}

/* Sets caBundle on every webhook of one configuration: GET, change, PUT with the
 * resourceVersion it was read at; a 409 re-reads. A missing configuration is reported and
 * skipped (*missing). */
static int patch_config(struct kube_client *kc, const char *plural, const char *kind,
			const char *name, const char *b64, bool *patched, bool *missing)
{
	char path[512], object[320], err[256], q[300];
	struct kube_resp resp = {0};
	cJSON *obj = NULL;
	int r = KUBE_ECONFLICT, changed = 0, total = 0;

	*patched = false;
	*missing = false;
	snprintf(path, sizeof(path), ADMREG "%s/%s", plural, name);
	snprintf(object, sizeof(object), "%s/%s", kind, name);
	for (int attempt = 1; attempt <= CRT_WRITE_ATTEMPTS; attempt++) {
		cJSON_Delete(obj);
		obj = NULL;
		kube_resp_free(&resp);
		r = kube_get(kc, path, &obj, &resp);
		if (r == KUBE_ENOTFOUND) {
			LOG_WARNF(
			    "config_missing", "object=%s message=%s", object,
			    log_quote("not found; caBundle not set (create it, then run again)", q,
				      sizeof(q)));
			*missing = true;
			r = 0;
			goto out;
		}
		if (r < 0) {
			api_error("get", object, r, &resp);
			goto out;
		}
		r = crt_webhooks_set_ca(obj, b64, &changed, &total, err, sizeof(err));
		if (r < 0) {
			LOG_ERRORF("bad_object", "object=%s message=%s", object,
				   log_quote(err[0] ? err : strerror(-r), q, sizeof(q)));
			goto out;
		}
		if (changed == 0) {
			LOG_DEBUGF("cabundle_unchanged", "object=%s webhooks=%d", object, total);
			goto out;
		}
		kube_resp_free(&resp);
		r = kube_replace(kc, path, obj, NULL, &resp);
		if (r == KUBE_ECONFLICT) {
			LOG_INFOF("conflict", "object=%s attempt=%d message=%s", object, attempt,
				  log_quote(resp.message, q, sizeof(q)));
			continue;
		}
		if (r < 0) {
			api_error("update", object, r, &resp);
			goto out;
		}
		*patched = true;
		LOG_INFOF("cabundle_patched", "object=%s webhooks=%d changed=%d", object, total,
			  changed);
		goto out;
	}
	LOG_ERRORF("api_error", "op=update object=%s message=%s", object,
		   log_quote("still conflicting after retries", q, sizeof(q)));
out:
	cJSON_Delete(obj);
	kube_resp_free(&resp);
	return r;
}

/* Publishes bundle in every named configuration that exists. */
static int publish(struct kube_client *kc, const struct crt_run_opts *o, const char *bundle,
		   struct crt_run_result *res)
{
	static const struct {
		const char *plural, *kind;
		size_t off;
	} confs[] = {
	    {"validatingwebhookconfigurations", "validatingwebhookconfiguration",
	     offsetof(struct crt_run_opts, validating)},
	    {"mutatingwebhookconfigurations", "mutatingwebhookconfiguration",
	     offsetof(struct crt_run_opts, mutating)},
	};
	char *b64 = NULL;
	int r, ret = 0;

	res->configs_missing = 0; /* patched counts accumulate over a run */
	r = crt_b64_encode(bundle, strlen(bundle), &b64);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++) {
		const char *name = *(const char *const *)((const char *)o + confs[i].off);
		bool patched, missing;

		if (!name || !name[0])
			continue;
		r = patch_config(kc, confs[i].plural, confs[i].kind, name, b64, &patched, &missing);
		if (r < 0 && ret == 0)
			ret = r; /* go on: the other configuration may still be fixed */
		res->configs_patched += patched;
		res->configs_missing += missing;
	}
	free(b64);
	return ret;
}

/* Brings the Secret to the desired state; *final receives what it holds afterwards. */
static int reconcile_secret(struct kube_client *kc, const struct crt_run_opts *o,
			    struct crt_material *final, struct crt_run_result *res)
{
	char path[512], coll[320], object[320], warn[256], q[300];
	struct crt_material cur = {NULL, NULL, NULL, NULL}, want = {NULL, NULL, NULL, NULL};
	struct kube_resp resp = {0};
	struct crt_decision d = {.action = CRT_KEEP, .ca_index = -1};
	cJSON *obj = NULL, *fresh = NULL;
	int r = KUBE_ECONFLICT;

	snprintf(coll, sizeof(coll), "/api/v1/namespaces/%s/secrets", o->ns);
	snprintf(path, sizeof(path), "%s/%s", coll, o->secret);
	snprintf(object, sizeof(object), "secret/%s/%s", o->ns, o->secret);
	for (int attempt = 1; attempt <= CRT_WRITE_ATTEMPTS; attempt++) {
		bool found, changed = false;
		const char *owner;

		cJSON_Delete(obj);
		cJSON_Delete(fresh);
		obj = fresh = NULL;
		crt_material_free(&cur);
		crt_material_free(&want);
		kube_resp_free(&resp);
		r = kube_get(kc, path, &obj, &resp);
		if (r < 0 && r != KUBE_ENOTFOUND) {
			api_error("get", object, r, &resp);
			goto out;
		}
		found = r == 0;
		if (found) {
			const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");

			owner = crt_secret_cert_manager(obj);
			if (owner) {
				LOG_ERRORF("foreign_secret", "object=%s message=%s", object,
					   log_quote("managed by cert-manager (Certificate "
						     "annotation); okg-certs leaves it alone",
						     q, sizeof(q)));
				r = -EPERM;
				goto out;
			}
			if (!cJSON_IsString(type) || strcmp(type->valuestring, CRT_SECRET_TYPE))
				LOG_WARNF("secret_type", "object=%s type=%s message=%s", object,
					  cJSON_IsString(type) ? type->valuestring : "none",
					  log_quote("expected kubernetes.io/tls (type is "
						    "immutable: kept)",
						    q, sizeof(q)));
			r = crt_secret_read(obj, &cur, warn, sizeof(warn));
			if (r < 0) {
				LOG_ERRORF("bad_object", "object=%s message=%s", object,
					   log_quote("data is not a map of strings", q, sizeof(q)));
				goto out;
			}
			if (warn[0])
				LOG_WARNF("secret_data", "object=%s message=%s", object,
					  log_quote(warn, q, sizeof(q)));
		}
		r = crt_decide(found ? &cur : NULL, o->pol, &d);
		if (r == 0)
			r = crt_apply(found ? &cur : NULL, o->pol, &d, &want);
		if (r < 0) {
			LOG_ERRORF("issue_failed", "object=%s action=%s message=%s", object,
				   crt_action_name(d.action),
				   log_quote(strerror(-r), q, sizeof(q)));
			goto out;
		}
		res->action = d.action;
		snprintf(res->reason, sizeof(res->reason), "%s", d.reason);
		if (d.action == CRT_NEW_CA && found) {
			/* Trust before use: a webhook may load the new serving certificate as soon
			 * as the Secret changes, so the API server must already trust its CA. */
			r = publish(kc, o, want.ca_crt, res);
			if (r < 0)
				goto out;
		}
		if (!found) {
			r = crt_secret_new(o->ns, o->secret, &want, &fresh);
			if (r == 0) {
				kube_resp_free(&resp);
				r = kube_create(kc, coll, fresh, NULL, &resp);
			}
			changed = true;
		} else {
			r = crt_secret_set(obj, &want, &changed);
			if (r == 0 && changed) {
				kube_resp_free(&resp);
				r = kube_replace(kc, path, obj, NULL, &resp);
			}
		}
		if (r == KUBE_EEXISTS || r == KUBE_ECONFLICT) {
			/* Another replica wrote first: re-read, and most likely keep its result. */
			LOG_INFOF("conflict", "object=%s attempt=%d message=%s", object, attempt,
				  log_quote(resp.message, q, sizeof(q)));
			continue;
		}
		if (r < 0) {
			if (resp.status)
				api_error(found ? "update" : "create", object, r, &resp);
			else
				LOG_ERRORF("build_failed", "object=%s message=%s", object,
					   log_quote(strerror(-r), q, sizeof(q)));
			goto out;
		}
		res->secret_written = changed;
		if (changed)
			LOG_INFOF(found ? "secret_updated" : "secret_created",
				  "object=%s action=%s reason=%s", object,
				  crt_action_name(d.action), log_quote(d.reason, q, sizeof(q)));
		else
			LOG_INFOF("secret_unchanged", "object=%s reason=%s", object,
				  log_quote(d.reason, q, sizeof(q)));
		*final = want;
		memset(&want, 0, sizeof(want));
		goto out;
	}
	r = KUBE_ECONFLICT;
	LOG_ERRORF("api_error", "op=write object=%s message=%s", object,
		   log_quote("still conflicting after retries", q, sizeof(q)));
out:
	cJSON_Delete(obj);
	cJSON_Delete(fresh);
	crt_material_free(&cur);
	crt_material_free(&want);
	kube_resp_free(&resp);
	return r;
}

int crt_run(struct kube_client *kc, const struct crt_run_opts *o, struct crt_run_result *res)
{
	struct crt_material final = {NULL, NULL, NULL, NULL};
	struct crt_cert_info info;
	char err[512], q[600];
	int r;

	if (!kc || !o || !o->ns || !o->secret || !o->pol || !res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	r = reconcile_secret(kc, o, &final, res);
	if (r < 0)
		goto out;
	if (crt_cert_info(final.tls_crt, &info) == 0) {
		snprintf(res->serial, sizeof(res->serial), "%s", info.serial);
		res->leaf_left_s = info.seconds_left;
	}
	r = publish(kc, o, final.ca_crt, res);
	if (r < 0)
		goto out;
	if (o->out_dir && o->out_dir[0]) {
		if (res->secret_written && res->action == CRT_NEW_CA && res->configs_patched) {
			/* The API server picks up a changed caBundle through its own watch; give
			 * it a moment before a local webhook can serve a leaf of the new CA. */
			struct timespec ts = {.tv_sec = CRT_TRUST_DELAY_S, .tv_nsec = 0};

			nanosleep(&ts, NULL);
		}
		r = crt_write_dir(o->out_dir, &final, &res->files_written, err, sizeof(err));
		if (r < 0) {
			LOG_ERRORF("write_failed", "dir=%s message=%s", o->out_dir,
				   log_quote(err, q, sizeof(q)));
			goto out;
		}
		if (res->files_written)
			LOG_INFOF("files_written", "dir=%s files=%d", o->out_dir,
				  res->files_written);
	}
out:
	crt_material_free(&final);
	return r;
}
