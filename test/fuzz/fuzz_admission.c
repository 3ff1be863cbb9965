/* libFuzzer target for webhook/admission.c (and through it jparse.c, validate.c, mutate.c,
 * fielderr.c, wjson.c): the bytes are one request body, sent to both admission endpoints. Every
 * answer must be JSON; when the body is an AdmissionReview with a uid the answer is an HTTP 200
 * AdmissionReview of the same apiVersion and uid; a patch must decode to a JSON array. And
 * jparse must build the same tree as cJSON whenever both accept the bytes. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "webhook/admission.h"
#include "webhook/jparse.h"

static const struct adm_opts fuzz_opts = {
    .mut = {.image = "okg:latest",
	    .command = "/usr/local/bin/okg-probe",
	    .cpu_request = "10m",
	    .memory_limit = "32Mi"},
};

static const cJSON *fz_member(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static int fz_b64(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes the patch and requires a JSON array. */
static void fz_check_patch(const char *b64)
{
	size_t n = strlen(b64), o = 0;
	char *out;
	cJSON *p;

	if (n % 4)
		abort();
	out = malloc(n + 1);
	if (!out)
		abort();
	for (size_t i = 0; i < n; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++) {
			v[k] = b64[i + k] == '=' ? 0 : fz_b64(b64[i + k]);
			if (v[k] < 0)
				abort();
		}
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (b64[i + 2] != '=')
			out[o++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (b64[i + 3] != '=')
			out[o++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	out[o] = '\0';
	p = cJSON_Parse(out);
	if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) == 0)
		abort();
	cJSON_Delete(p);
	free(out);
}

static void fz_one(const char *path, const uint8_t *data, size_t size, const char *uid,
		   const char *api)
{
	struct adm_result res;
	cJSON *out;
	const cJSON *resp;
	int r = adm_handle(path, (const char *)data, size, &fuzz_opts, &res);

	if (r == -12) /* -ENOMEM: possible only if the process is out of memory */
		return;
	if (r != 0 || !res.body || res.len != strlen(res.body))
		abort();
	out = cJSON_ParseWithLength(res.body, res.len);
	if (!cJSON_IsObject(out))
		abort();
	if (uid) {
		/* a request we can answer: a review with the same uid and apiVersion */
		resp = fz_member(out, "response");
		if (res.http_status != 200 || !cJSON_IsString(fz_member(resp, "uid")) ||
		    strcmp(fz_member(resp, "uid")->valuestring, uid) != 0 ||
		    strcmp(fz_member(out, "apiVersion")->valuestring, api) != 0 ||
		    !cJSON_IsBool(fz_member(resp, "allowed")))
			abort();
		if (cJSON_IsString(fz_member(resp, "patch")))
			fz_check_patch(fz_member(resp, "patch")->valuestring);
	} else if (res.http_status != 400 || !cJSON_IsString(fz_member(out, "message"))) {
		abort();
	}
	cJSON_Delete(out);
	adm_result_free(&res);
}

/* Exact structural equality, member order included. */
static int fz_same(const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y;

	if ((a->type & 0xFF) != (b->type & 0xFF) || (a->string == NULL) != (b->string == NULL) ||
	    (a->string && strcmp(a->string, b->string) != 0))
		return 0;
	switch (a->type & 0xFF) {
	case cJSON_String:
		return strcmp(a->valuestring, b->valuestring) == 0;
	case cJSON_Number:
		return a->valuedouble == b->valuedouble ||
		       (isnan(a->valuedouble) && isnan(b->valuedouble));
	case cJSON_Array:
	case cJSON_Object:
		for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
			if (!fz_same(x, y))
				return 0;
		return !x && !y;
	default:
		return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *end = NULL;
	struct jp_arena arena;
	cJSON *in = NULL, *ref;
	const cJSON *req, *uid, *api, *kind;
	const char *u = NULL, *a = NULL;
	int jr;

	jp_arena_init(&arena, 0);
	jr = jp_parse(&arena, text, size, NULL, &in, NULL, NULL);
	/* differential: where cJSON accepts the same bytes (nothing after the value), the trees
	 * are equal */
	ref = cJSON_ParseWithLengthOpts(text, size, &end, 0);
	if (jr == 0 && ref) {
		int trailing = 0;

		for (; end && end < text + size; end++)
			if (*end != ' ' && *end != '\n' && *end != '\r' && *end != '\t')
				trailing = 1;
		if (!trailing && !fz_same(in, ref))
			abort();
	}
	cJSON_Delete(ref);

	/* The oracle: what makes a body an answerable AdmissionReview. */
	req = jp_get(in, "request");
	uid = jp_get(req, "uid");
	api = jp_get(in, "apiVersion");
	kind = jp_get(in, "kind");
	if (jr == 0 && cJSON_IsString(uid) && uid->valuestring[0] && cJSON_IsString(api) &&
	    (strcmp(api->valuestring, "admission.k8s.io/v1") == 0 ||
	     strcmp(api->valuestring, "admission.k8s.io/v1beta1") == 0) &&
	    cJSON_IsString(kind) && strcmp(kind->valuestring, "AdmissionReview") == 0) {
		u = uid->valuestring;
		a = api->valuestring;
	}
	/* Anything else is a 400 with a Status. */
	fz_one(ADM_PATH_VALIDATE, data, size, u, a);
	fz_one(ADM_PATH_MUTATE, data, size, u, a);
	jp_arena_free(&arena);
	return 0;
}
