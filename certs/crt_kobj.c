#include "certs/crt_kobj.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certs/crt_pem.h"
#include "lib/kubeconfig.h"

struct key_slot {
	const char *key;
	size_t off;
};

static const struct key_slot slots[] = {
    {"tls.crt", offsetof(struct crt_material, tls_crt)},
    {"tls.key", offsetof(struct crt_material, tls_key)},
    {"ca.crt", offsetof(struct crt_material, ca_crt)},
    {"ca.key", offsetof(struct crt_material, ca_key)},
};
#define N_SLOTS (sizeof(slots) / sizeof(slots[0]))

static char **slot(struct crt_material *m, size_t i)
{
	return (char **)((char *)m + slots[i].off);
}

static const char *slot_c(const struct crt_material *m, size_t i)
{
	return *(char *const *)((const char *)m + slots[i].off);
}

static void wipe_free(char *s, size_t len)
{
	if (s) {
		OPENSSL_cleanse(s, len);
		free(s);
	}
}

int crt_secret_read(const cJSON *secret, struct crt_material *out, char *warn, size_t warnlen)
{
	struct crt_material m = {NULL, NULL, NULL, NULL};
	const cJSON *data;

	if (!cJSON_IsObject(secret) || !out || !warn || !warnlen)
		return -EINVAL;
	warn[0] = '\0';
	data = cJSON_GetObjectItemCaseSensitive(secret, "data");
	if (data && !cJSON_IsNull(data) && !cJSON_IsObject(data))
		return -EINVAL;
	for (size_t i = 0; data && i < N_SLOTS; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, slots[i].key);
		const char *why = NULL;
		char *dec = NULL;
		size_t len = 0;
		int r;

		if (!v || cJSON_IsNull(v))
			continue;
		if (!cJSON_IsString(v)) {
			why = "not a string";
		} else if (strlen(v->valuestring) > CRT_MAX_PEM * 4 / 3 + 4) {
			why = "too large";
		} else {
			r = kcfg_base64_decode(v->valuestring, strlen(v->valuestring), &dec, &len);
			if (r == -ENOMEM) {
				crt_material_free(&m);
				return r;
			}
			if (r < 0)
				why = "not base64";
			else if (strlen(dec) != len)
				why = "holds a NUL byte";
			else if (len == 0)
				why = "empty";
		}
		if (why) {
			wipe_free(dec, len);
			if (!warn[0])
				snprintf(warn, warnlen, "data[%s] %s, treated as absent",
					 slots[i].key, why);
			continue;
		}
		*slot(&m, i) = dec;
	}
	*out = m;
	return 0;
}

static int set_b64(cJSON *data, const char *key, const char *value, bool *changed)
{
	cJSON *cur = cJSON_GetObjectItemCaseSensitive(data, key);
	cJSON *n;
	char *b64 = NULL;
	int r;

	r = crt_b64_encode(value, strlen(value), &b64);
	if (r < 0)
		return r;
	if (cJSON_IsString(cur) && !strcmp(cur->valuestring, b64)) {
		free(b64);
		return 0;
	}
	n = cJSON_CreateString(b64);
	OPENSSL_cleanse(b64, strlen(b64));
	free(b64);
	if (!n)
		return -ENOMEM;
	if (cur) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(data, key, n)) {
			cJSON_Delete(n);
			return -ENOMEM;
		}
	} else if (!cJSON_AddItemToObject(data, key, n)) {
		cJSON_Delete(n);
		return -ENOMEM;
	}
	*changed = true;
	return 0;
}

int crt_secret_set(cJSON *secret, const struct crt_material *m, bool *changed)
{
	cJSON *data;
	int r = 0;

	if (!cJSON_IsObject(secret) || !m || !changed)
		return -EINVAL;
	*changed = false;
	for (size_t i = 0; i < N_SLOTS; i++)
		if (!slot_c(m, i))
			return -EINVAL;
	data = cJSON_GetObjectItemCaseSensitive(secret, "data");
	if (!cJSON_IsObject(data)) {
		cJSON_DeleteItemFromObjectCaseSensitive(secret, "data");
		data = cJSON_AddObjectToObject(secret, "data");
		if (!data)
			return -ENOMEM;
	}
	for (size_t i = 0; i < N_SLOTS && r == 0; i++)
		r = set_b64(data, slots[i].key, slot_c(m, i), changed);
	return r;
}

int crt_secret_new(const char *ns, const char *name, const struct crt_material *m, cJSON **out)
{
	cJSON *s = cJSON_CreateObject();
	cJSON *md, *labels;
	bool changed;
	int r = -ENOMEM;

	if (!ns || !name || !m || !out) {
		cJSON_Delete(s);
		return -EINVAL;
	}
	if (!s || !cJSON_AddStringToObject(s, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(s, "kind", "Secret"))
		goto out;
	md = cJSON_AddObjectToObject(s, "metadata");
	if (!md || !cJSON_AddStringToObject(md, "name", name) ||
	    !cJSON_AddStringToObject(md, "namespace", ns))
		goto out;
	labels = cJSON_AddObjectToObject(md, "labels");
	if (!labels || !cJSON_AddStringToObject(labels, "app.kubernetes.io/name", "okg") ||
	    !cJSON_AddStringToObject(labels, "app.kubernetes.io/component", "webhook-certs") ||
	    !cJSON_AddStringToObject(labels, "app.kubernetes.io/managed-by", "okg-certs"))
		goto out;
	if (!cJSON_AddStringToObject(s, "type", CRT_SECRET_TYPE))
		goto out;
	r = crt_secret_set(s, m, &changed);
	if (r < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	cJSON_Delete(s);
	return r;
}

const char *crt_secret_cert_manager(const cJSON *secret)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(secret, "metadata");
	const cJSON *an = cJSON_GetObjectItemCaseSensitive(md, "annotations");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(an, "cert-manager.io/certificate-name");

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int crt_webhooks_set_ca(cJSON *conf, const char *b64, int *changed, int *total, char *err,
			size_t errlen)
{
	cJSON *hooks, *h;
	int i = 0;

	if (!cJSON_IsObject(conf) || !b64 || !changed || !total || !err || !errlen)
		return -EINVAL;
	*changed = 0;
	*total = 0;
	err[0] = '\0';
	hooks = cJSON_GetObjectItemCaseSensitive(conf, "webhooks");
	if (!hooks || cJSON_IsNull(hooks))
		return 0; /* a configuration with no webhooks: nothing to trust */
	if (!cJSON_IsArray(hooks)) {
		snprintf(err, errlen, "webhooks: not a list");
		return -EINVAL;
	}
	cJSON_ArrayForEach(h, hooks)
	{
		cJSON *cc = cJSON_GetObjectItemCaseSensitive(h, "clientConfig");
		cJSON *cur, *n;

		if (!cJSON_IsObject(h) || !cJSON_IsObject(cc)) {
			snprintf(err, errlen, "webhooks[%d].clientConfig: not an object", i);
			return -EINVAL;
		}
		(*total)++;
		i++;
		cur = cJSON_GetObjectItemCaseSensitive(cc, "caBundle");
		if (cJSON_IsString(cur) && !strcmp(cur->valuestring, b64))
			continue;
		n = cJSON_CreateString(b64);
		if (!n)
			return -ENOMEM;
		if (cur) {
			if (!cJSON_ReplaceItemInObjectCaseSensitive(cc, "caBundle", n)) {
				cJSON_Delete(n);
				return -ENOMEM;
			}
		} else if (!cJSON_AddItemToObject(cc, "caBundle", n)) {
			cJSON_Delete(n);
			return -ENOMEM;
		}
		(*changed)++;
	}
	return 0;
}

bool crt_dns_subdomain(const char *s)
{
	size_t n, label = 0;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!islower((unsigned char)c) && !isdigit((unsigned char)c) && c != '-')
			return false;
		if (label == 0 && c == '-')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[n - 1] != '-';
}
