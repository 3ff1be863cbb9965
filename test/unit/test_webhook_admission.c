/* Unit tests for webhook/admission.c: the AdmissionReview envelope (v1 and v1beta1), bad
 * requests, misrouted kinds, operations and dryRun. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webhook/admission.h"

#define GSS_KIND                                                                                   \
	"{\"group\":\"game.kruise.io\",\"version\":\"v1alpha1\",\"kind\":\"GameServerSet\"}"
#define GSS_OBJ                                                                                    \
	"{\"apiVersion\":\"game.kruise.io/v1alpha1\",\"kind\":\"GameServerSet\",\"metadata\":{"    \
	"\"name\":\"minecraft\",\"namespace\":\"default\"},\"spec\":{\"replicas\":3,"              \
	"\"gameServerTemplate\":{\"spec\":{\"containers\":[{\"name\":\"minecraft\",\"image\":"     \
	"\"m:1\"}]}}}}"
#define BAD_GSS_OBJ                                                                                \
	"{\"apiVersion\":\"game.kruise.io/v1alpha1\",\"kind\":\"GameServerSet\",\"metadata\":{"    \
	"\"name\":\"minecraft\"},\"spec\":{\"replicas\":-3,\"gameServerTemplate\":{\"spec\":{"     \
	"\"containers\":[{\"name\":\"minecraft\",\"image\":\"m:1\"}]}}}}"

static const struct adm_opts opts = {
    .mut = {.image = "okg:latest", .command = "/usr/local/bin/okg-probe"},
};

struct answer {
	struct adm_result res;
	cJSON *json; /* the parsed body */
};

static void ask(const char *path, const char *body, struct answer *a)
{
	int r = adm_handle(path, body, strlen(body), &opts, &a->res);

	assert_int_equal(r, 0);
	assert_non_null(a->res.body);
	assert_int_equal(a->res.len, strlen(a->res.body));
	a->json = cJSON_Parse(a->res.body);
	assert_non_null(a->json); /* every answer is JSON */
}

static void done(struct answer *a)
{
	cJSON_Delete(a->json);
	adm_result_free(&a->res);
}

static const cJSON *at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

	return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

/* A 400 with a Status body carrying msg. */
static void expect_bad_request(const char *body, const char *msg)
{
	struct answer a;

	ask("/validate-v1alpha1-gss", body, &a);
	assert_int_equal(a.res.http_status, 400);
	assert_false(a.res.allowed);
	assert_string_equal(at(a.json, "kind", NULL)->valuestring, "Status");
	assert_int_equal(at(a.json, "code", NULL)->valueint, 400);
	assert_string_equal(at(a.json, "reason", NULL)->valuestring, "BadRequest");
	assert_string_equal(at(a.json, "message", NULL)->valuestring, msg);
	done(&a);
}

static char *review_text(const char *api, const char *uid_json, const char *kind, const char *op,
			 const char *obj, const char *old, const char *extra)
{
	size_t n = 8192 + strlen(obj) + (old ? strlen(old) : 0);
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n,
		 "{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":%s,"
		 "\"kind\":%s,\"resource\":{\"group\":\"game.kruise.io\",\"version\":\"v1alpha1\","
		 "\"resource\":\"gameserversets\"},\"name\":\"minecraft\",\"namespace\":"
		 "\"default\",\"operation\":\"%s\",\"userInfo\":{\"username\":\"admin\"},"
		 "\"object\":%s,\"oldObject\":%s%s}}",
		 api, uid_json, kind, op, obj, old ? old : "null", extra ? extra : "");
	return s;
}

static void test_v1_and_v1beta1_echoed(void **state)
{
	static const char *const apis[] = {"admission.k8s.io/v1", "admission.k8s.io/v1beta1"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char *body = review_text(apis[i], "\"705ab4f5-6393-11e8\"", GSS_KIND, "CREATE",
					 GSS_OBJ, NULL, NULL);
		struct answer a;

		ask("/validate-v1alpha1-gss", body, &a);
		assert_int_equal(a.res.http_status, 200);
		assert_string_equal(at(a.json, "apiVersion", NULL)->valuestring, apis[i]);
		assert_string_equal(at(a.json, "kind", NULL)->valuestring, "AdmissionReview");
		assert_string_equal(at(a.json, "response", "uid")->valuestring,
				    "705ab4f5-6393-11e8");
		assert_true(cJSON_IsTrue(at(a.json, "response", "allowed")));
		assert_null(at(a.json, "request", NULL));
		/* the fields the server logs */
		assert_string_equal(a.res.uid, "705ab4f5-6393-11e8");
		assert_string_equal(a.res.op, "CREATE");
		assert_string_equal(a.res.ns, "default");
		assert_string_equal(a.res.name, "minecraft");
		assert_int_equal(a.res.route, ADM_VALIDATE);
		assert_true(a.res.allowed);
		done(&a);
		free(body);
	}
}

static void test_paths(void **state)
{
	char *body =
	    review_text("admission.k8s.io/v1", "\"u\"", GSS_KIND, "CREATE", GSS_OBJ, NULL, NULL);
	struct adm_result res;
	struct answer a;

	(void)state;
	assert_int_equal(adm_route_of("/validate"), ADM_VALIDATE);
	assert_int_equal(adm_route_of("/validate-v1alpha1-gss"), ADM_VALIDATE);
	assert_int_equal(adm_route_of("/mutate-v1-pod"), ADM_MUTATE);
	assert_int_equal(adm_route_of("/validate/"), ADM_NONE);
	assert_int_equal(adm_route_of(NULL), ADM_NONE);
	assert_int_equal(adm_handle("/nope", body, strlen(body), &opts, &res), -ENOENT);
	assert_null(res.body);
	ask("/validate", body, &a);
	assert_true(a.res.allowed);
	done(&a);
	adm_result_free(NULL);
	free(body);
}

static void test_bad_envelopes(void **state)
{
	(void)state;
	expect_bad_request("", "the request body is empty; expected an AdmissionReview");
	expect_bad_request(
	    "{\"apiVersion\":",
	    "the request body is not valid JSON: unexpected end of input at byte 14");
	expect_bad_request("<xml/>",
			   "the request body is not valid JSON: unexpected character at byte 0");
	expect_bad_request(
	    "{} {}", "the request body is not valid JSON: data after the JSON value at byte 3");
	expect_bad_request("[1,2]", "the request body must be a JSON object (an AdmissionReview)");
	expect_bad_request("{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\"}}",
			   "apiVersion must be \"admission.k8s.io/v1\" or "
			   "\"admission.k8s.io/v1beta1\"");
	expect_bad_request("{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\","
			   "\"request\":{\"uid\":\"u\"}}",
			   "apiVersion must be \"admission.k8s.io/v1\" or "
			   "\"admission.k8s.io/v1beta1\"");
	expect_bad_request("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Review\","
			   "\"request\":{\"uid\":\"u\"}}",
			   "kind must be \"AdmissionReview\"");
	expect_bad_request("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
			   "request is missing");
	expect_bad_request("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			   "\"request\":[]}",
			   "request is missing");
	expect_bad_request("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			   "\"request\":{\"operation\":\"CREATE\"}}",
			   "request.uid is missing");
	expect_bad_request("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			   "\"request\":{\"uid\":\"\"}}",
			   "request.uid is missing");
	expect_bad_request("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			   "\"request\":{\"uid\":42}}",
			   "request.uid is missing");
	{
		/* the body need not be NUL-terminated: only [0, len) is read */
		static const char body[] = "{}XXXX";
		struct adm_result res;

		assert_int_equal(adm_handle("/mutate-v1-pod", body, 2, &opts, &res), 0);
		assert_int_equal(res.http_status, 400);
		assert_int_equal(res.route, ADM_MUTATE);
		adm_result_free(&res);
	}
}

/* A denial inside a valid review: HTTP 200, allowed false, the uid kept. */
static void expect_denied(const char *body, int code, const char *msg_part)
{
	struct answer a;
	const cJSON *st;

	ask("/validate-v1alpha1-gss", body, &a);
	assert_int_equal(a.res.http_status, 200);
	assert_false(cJSON_IsTrue(at(a.json, "response", "allowed")));
	assert_string_equal(at(a.json, "response", "uid")->valuestring, "u-1");
	st = at(a.json, "response", "status");
	assert_int_equal(at(st, "code", NULL)->valueint, code);
	assert_int_equal(a.res.code, code);
	if (!strstr(at(st, "message", NULL)->valuestring, msg_part)) {
		print_message("message: %s\n", at(st, "message", NULL)->valuestring);
		fail();
	}
	done(&a);
}

static void test_wrong_kind_on_validate(void **state)
{
	char *b;

	(void)state;
	b = review_text("admission.k8s.io/v1", "\"u-1\"",
			"{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}", "CREATE",
			"{\"kind\":\"Pod\"}", NULL, NULL);
	expect_denied(b, 400,
		      "okg-webhook validates GameServerSet.game.kruise.io only, not Pod: check the "
		      "rules of the ValidatingWebhookConfiguration");
	free(b);
	b = review_text("admission.k8s.io/v1", "\"u-1\"",
			"{\"group\":\"autoscaling\",\"version\":\"v1\",\"kind\":\"Scale\"}",
			"UPDATE", "{\"kind\":\"Scale\"}", "{\"kind\":\"Scale\"}", NULL);
	expect_denied(b, 400, "not Scale.autoscaling");
	free(b);
	/* no request.kind: the object's own apiVersion and kind decide */
	b = review_text("admission.k8s.io/v1", "\"u-1\"", "null", "CREATE",
			"{\"apiVersion\":\"apps/v1\",\"kind\":\"GameServerSet\"}", NULL, NULL);
	expect_denied(b, 400, "not GameServerSet.apps");
	free(b);
	b = review_text("admission.k8s.io/v1", "\"u-1\"", "null", "CREATE", GSS_OBJ, NULL, NULL);
	{
		struct answer a;

		ask("/validate-v1alpha1-gss", b, &a);
		assert_true(a.res.allowed);
		done(&a);
	}
	free(b);
	b = review_text("admission.k8s.io/v1", "\"u-1\"", "null", "CREATE", "{}", NULL, NULL);
	expect_denied(b, 400, "not an object without a kind");
	free(b);
}

static void test_operations(void **state)
{
	char *b;
	struct answer a;

	(void)state;
	/* DELETE and CONNECT: nothing to check */
	b = review_text("admission.k8s.io/v1", "\"u-1\"", GSS_KIND, "DELETE", "null", BAD_GSS_OBJ,
			NULL);
	ask("/validate-v1alpha1-gss", b, &a);
	assert_true(a.res.allowed);
	done(&a);
	free(b);
	b = review_text("admission.k8s.io/v1", "\"u-1\"", GSS_KIND, "", GSS_OBJ, NULL, NULL);
	ask("/validate-v1alpha1-gss", b, &a);
	assert_true(a.res.allowed); /* an unknown operation is not ours to refuse */
	done(&a);
	free(b);
	/* CREATE without an object, UPDATE without the old one */
	b = review_text("admission.k8s.io/v1", "\"u-1\"", GSS_KIND, "CREATE", "null", NULL, NULL);
	expect_denied(b, 400, "request.object is missing");
	free(b);
	b = review_text("admission.k8s.io/v1", "\"u-1\"", GSS_KIND, "UPDATE", GSS_OBJ, NULL, NULL);
	expect_denied(b, 400, "request.oldObject is missing on an UPDATE");
	free(b);
	/* no operation at all */
	b = strdup("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
		   "\"request\":{\"uid\":\"u-1\",\"kind\":" GSS_KIND ",\"object\":" GSS_OBJ "}}");
	expect_denied(b, 400, "request.operation is missing");
	free(b);
	/* invalid objects: 422 with the API server's message */
	b = review_text("admission.k8s.io/v1", "\"u-1\"", GSS_KIND, "CREATE", BAD_GSS_OBJ, NULL,
			NULL);
	expect_denied(b, 422,
		      "GameServerSet.game.kruise.io \"minecraft\" is invalid: spec.replicas: "
		      "Invalid value: -3: must be greater than or equal to 0");
	free(b);
	/* UPDATE of an unchanged spec: allowed even though invalid */
	b = review_text("admission.k8s.io/v1", "\"u-1\"", GSS_KIND, "UPDATE", BAD_GSS_OBJ,
			BAD_GSS_OBJ, NULL);
	ask("/validate-v1alpha1-gss", b, &a);
	assert_true(a.res.allowed);
	done(&a);
	free(b);
}

static void test_dry_run_identical(void **state)
{
	static const char *const objs[] = {GSS_OBJ, BAD_GSS_OBJ};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char *wet = review_text("admission.k8s.io/v1", "\"u-1\"", GSS_KIND, "CREATE",
					objs[i], NULL, ",\"dryRun\":false");
		char *dry = review_text("admission.k8s.io/v1", "\"u-1\"", GSS_KIND, "CREATE",
					objs[i], NULL, ",\"dryRun\":true");
		struct answer a, b;

		ask("/validate-v1alpha1-gss", wet, &a);
		ask("/validate-v1alpha1-gss", dry, &b);
		assert_false(a.res.dry_run);
		assert_true(b.res.dry_run);
		assert_string_equal(a.res.body, b.res.body);
		done(&a);
		done(&b);
		free(wet);
		free(dry);
	}
}

static void test_uid_escaped(void **state)
{
	char *b = review_text("admission.k8s.io/v1", "\"a\\\"b\\\\c\\u0001d\u00e9\"", GSS_KIND,
			      "CREATE", GSS_OBJ, NULL, NULL);
	struct answer a;

	(void)state;
	ask("/validate-v1alpha1-gss", b, &a);
	assert_string_equal(at(a.json, "response", "uid")->valuestring, "a\"b\\c\001d\u00e9");
	done(&a);
	free(b);
}

static void test_warnings_in_response(void **state)
{
	char *b = review_text(
	    "admission.k8s.io/v1", "\"u-1\"", GSS_KIND, "CREATE",
	    "{\"metadata\":{\"name\":\"m\"},\"spec\":{\"replicas\":1,\"updateStrategy\":{"
	    "\"rollingUpdate\":{\"podUpdatePolicy\":\"InPlaceOnly\"}},\"gameServerTemplate\":{"
	    "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"b\"}]}}}}",
	    NULL, NULL);
	struct answer a;
	const cJSON *w;

	(void)state;
	ask("/validate-v1alpha1-gss", b, &a);
	assert_true(a.res.allowed);
	w = at(a.json, "response", "warnings");
	assert_int_equal(cJSON_GetArraySize(w), 1);
	assert_int_equal(a.res.n_warnings, 1);
	assert_non_null(strstr(cJSON_GetArrayItem(w, 0)->valuestring, "InPlaceOnly"));
	done(&a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v1_and_v1beta1_echoed),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_bad_envelopes),
	    cmocka_unit_test(test_wrong_kind_on_validate),
	    cmocka_unit_test(test_operations),
	    cmocka_unit_test(test_dry_run_identical),
	    cmocka_unit_test(test_uid_escaped),
	    cmocka_unit_test(test_warnings_in_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
