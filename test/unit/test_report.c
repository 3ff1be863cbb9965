/* Unit tests for controller/report.c: the probe helpers' reports, parsed, validated and kept
 * per pod.
 *
 * Bodies are JSON written with ' for ". Every rejected body must name the offending field in
 * err, since the helper logs it and a user reads it. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/objects.h"
#include "controller/report.h"
#include "lib/buf.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* A copy of text with ' turned into ". Caller frees. */
static char *Q(const char *text)
{
	char *s = strdup(text);

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

#define HEAD "'namespace':'default','pod':'minecraft-0','podUID':'uid-0','seq':3"

static int parse(const char *body_q, struct rp_report *r, char *err, size_t errlen)
{
	char *body = Q(body_q);
	int rc;

	err[0] = '\0';
	rc = rp_parse(body, strlen(body), r, err, errlen);
	free(body);
	if (rc == 0)
		assert_non_null(r->results);
	else
		assert_null(r->results);
	return rc;
}

/* The body must be refused with -EINVAL and an err that names field. */
static void assert_rejected(const char *body_q, const char *field)
{
	struct rp_report r;
	char err[256];
	int rc = parse(body_q, &r, err, sizeof(err));

	if (rc != -EINVAL)
		fail_msg("accepted (%d): %s", rc, body_q);
	if (!strstr(err, field))
		fail_msg("err \"%s\" does not name %s", err, field);
	rp_report_free(&r);
}

static struct rp_report report(const char *ns, const char *pod, const char *uid,
			       const char *results_q)
{
	struct rp_report r;
	char err[256], body[2048];

	snprintf(body, sizeof(body), "{'namespace':'%s','pod':'%s','podUID':'%s','results':%s}", ns,
		 pod, uid, results_q);
	if (parse(body, &r, err, sizeof(err)) != 0)
		fail_msg("%s: %s", body, err);
	return r;
}

static void put(struct rp_store *s, const char *ns, const char *pod, const char *uid,
		const char *results_q)
{
	struct rp_report r = report(ns, pod, uid, results_q);

	assert_true(rp_store_put(s, &r) >= 0);
	assert_null(r.results); /* ownership moved */
	rp_report_free(&r);
}

static struct rp_store *store(void)
{
	struct rp_store *s = NULL;

	assert_int_equal(rp_store_new(&s), 0);
	assert_non_null(s);
	return s;
}

/* The result of the first entry stored for the pod, or NULL. Caller frees. */
static char *first_result(struct rp_store *s, const char *ns, const char *pod, const char *uid)
{
	cJSON *res = rp_store_get(s, ns, pod, uid);
	char *out = NULL;

	if (res) {
		const char *v = obj_str(cJSON_GetArrayItem(res, 0), "result");

		out = strdup(v ? v : "");
		assert_non_null(out);
		cJSON_Delete(res);
	}
	return out;
}

static void assert_first_result(struct rp_store *s, const char *ns, const char *pod,
				const char *uid, const char *want)
{
	char *got = first_result(s, ns, pod, uid);

	if (!want) {
		if (got)
			fail_msg("%s/%s uid %s: expected nothing, got \"%s\"", ns, pod,
				 uid ? uid : "(null)", got);
		return;
	}
	if (!got)
		fail_msg("%s/%s uid %s: nothing stored", ns, pod, uid ? uid : "(null)");
	assert_string_equal(got, want);
	free(got);
}

/* ---- rp_parse ----------------------------------------------------------------------------- */

static void test_parse_valid(void **state)
{
	struct rp_report r;
	char err[256];

	(void)state;
	assert_int_equal(parse("{" HEAD
			       ",'results':[{'name':'healthy','state':true,'result':'gate',"
			       "'probeTime':'2024-05-01T10:00:00Z','exitCode':0,'message':'m'},"
			       "{'name':'idle','state':null},{'name':'side','state':false,"
			       "'result':'','opsState':'None'}],'extra':1}",
			       &r, err, sizeof(err)),
			 0);
	assert_string_equal(r.ns, "default");
	assert_string_equal(r.pod, "minecraft-0");
	assert_string_equal(r.uid, "uid-0");
	assert_true(cJSON_IsArray(r.results));
	assert_int_equal(cJSON_GetArraySize(r.results), 3);
	assert_string_equal(obj_str(cJSON_GetArrayItem(r.results, 0), "result"), "gate");
	rp_report_free(&r);
	assert_null(r.results);
	rp_report_free(&r); /* twice is fine */
	rp_report_free(NULL);

	/* an empty list is a valid report (no qualities yet) */
	assert_int_equal(parse("{" HEAD ",'results':[]}", &r, err, sizeof(err)), 0);
	assert_int_equal(cJSON_GetArraySize(r.results), 0);
	rp_report_free(&r);
}

static void test_parse_not_nul_terminated(void **state)
{
	char *body = Q("{" HEAD ",'results':[{'name':'q','state':true}]}garbage");
	size_t len = strlen(body) - strlen("garbage");
	struct rp_report r;
	char err[256];

	(void)state;
	assert_int_equal(rp_parse(body, len, &r, err, sizeof(err)), 0);
	rp_report_free(&r);
	/* cut short: not JSON */
	assert_int_equal(rp_parse(body, len - 1, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "body"));
	free(body);
}

static void test_parse_namespace(void **state)
{
	char body[1024], long_ns[300];

	(void)state;
	assert_rejected("{'pod':'p','podUID':'u','results':[]}", "namespace");
	assert_rejected("{'namespace':'','pod':'p','podUID':'u','results':[]}", "namespace");
	assert_rejected("{'namespace':7,'pod':'p','podUID':'u','results':[]}", "namespace");
	assert_rejected("{'namespace':null,'pod':'p','podUID':'u','results':[]}", "namespace");
	memset(long_ns, 'n', 254);
	long_ns[254] = '\0';
	snprintf(body, sizeof(body), "{'namespace':'%s','pod':'p','podUID':'u','results':[]}",
		 long_ns);
	assert_rejected(body, "namespace");
}

static void test_parse_pod(void **state)
{
	char body[1024], long_pod[300];
	struct rp_report r;
	char err[256];

	(void)state;
	assert_rejected("{'namespace':'n','podUID':'u','results':[]}", "pod:");
	assert_rejected("{'namespace':'n','pod':'','podUID':'u','results':[]}", "pod:");
	assert_rejected("{'namespace':'n','pod':['p'],'podUID':'u','results':[]}", "pod:");
	memset(long_pod, 'p', 254);
	long_pod[254] = '\0';
	snprintf(body, sizeof(body), "{'namespace':'n','pod':'%s','podUID':'u','results':[]}",
		 long_pod);
	assert_rejected(body, "pod:");
	long_pod[253] = '\0'; /* the longest name Kubernetes allows */
	snprintf(body, sizeof(body), "{'namespace':'n','pod':'%s','podUID':'u','results':[]}",
		 long_pod);
	assert_int_equal(parse(body, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.pod), 253);
	rp_report_free(&r);
}

static void test_parse_pod_uid(void **state)
{
	char body[1024], uid[80];

	(void)state;
	assert_rejected("{'namespace':'n','pod':'p','results':[]}", "podUID");
	assert_rejected("{'namespace':'n','pod':'p','podUID':'','results':[]}", "podUID");
	assert_rejected("{'namespace':'n','pod':'p','podUID':true,'results':[]}", "podUID");
	memset(uid, 'u', 64);
	uid[64] = '\0';
	snprintf(body, sizeof(body), "{'namespace':'n','pod':'p','podUID':'%s','results':[]}", uid);
	assert_rejected(body, "podUID");
}

static void test_parse_results_not_a_list(void **state)
{
	(void)state;
	assert_rejected("{" HEAD "}", "results");
	assert_rejected("{" HEAD ",'results':null}", "results");
	assert_rejected("{" HEAD ",'results':{'name':'q','state':true}}", "results");
	assert_rejected("{" HEAD ",'results':'[]'}", "results");
	assert_rejected("{" HEAD ",'results':[7]}", "results[0].name");
}

static void test_parse_too_many_results(void **state)
{
	struct buf b;
	struct rp_report r;
	char err[256];

	(void)state;
	for (int count = 64; count <= 65; count++) {
		int rc;

		buf_init(&b, 1u << 20);
		assert_int_equal(buf_append_str(&b, "{" HEAD ",'results':["), 0);
		for (int i = 0; i < count; i++)
			assert_int_equal(
			    buf_printf(&b, "%s{'name':'q%d','state':true}", i ? "," : "", i), 0);
		assert_int_equal(buf_append_str(&b, "]}"), 0);
		rc = parse(b.data, &r, err, sizeof(err));
		if (count == 64) {
			assert_int_equal(rc, 0);
			assert_int_equal(cJSON_GetArraySize(r.results), 64);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_non_null(strstr(err, "results"));
			assert_non_null(strstr(err, "64"));
		}
		rp_report_free(&r);
		buf_free(&b);
	}
}

static void test_parse_result_name(void **state)
{
	char body[1024], name[80];
	struct rp_report r;
	char err[256];

	(void)state;
	assert_rejected("{" HEAD ",'results':[{'state':true}]}", "results[0].name");
	assert_rejected("{" HEAD ",'results':[{'name':'','state':true}]}", "results[0].name");
	assert_rejected("{" HEAD ",'results':[{'name':1,'state':true}]}", "results[0].name");
	memset(name, 'q', 64);
	name[64] = '\0';
	snprintf(body, sizeof(body),
		 "{" HEAD ",'results':[{'name':'ok','state':true},{'name':'%s','state':true}]}",
		 name);
	assert_rejected(body, "results[1].name");
	name[63] = '\0';
	snprintf(body, sizeof(body), "{" HEAD ",'results':[{'name':'%s','state':true}]}", name);
	assert_int_equal(parse(body, &r, err, sizeof(err)), 0);
	rp_report_free(&r);
}

static void test_parse_result_state(void **state)
{
	(void)state;
	assert_rejected("{" HEAD ",'results':[{'name':'q','state':'true'}]}", "results[0].state");
	assert_rejected("{" HEAD ",'results':[{'name':'q','state':1}]}", "results[0].state");
	assert_rejected("{" HEAD ",'results':[{'name':'q','state':{}}]}", "results[0].state");
	assert_rejected("{" HEAD ",'results':[{'name':'a','state':true},{'name':'q'}]}",
			"results[1].state");
}

static void test_parse_result_text(void **state)
{
	struct buf b;
	struct rp_report r;
	char err[256];

	(void)state;
	assert_rejected("{" HEAD ",'results':[{'name':'q','state':true,'result':5}]}",
			"results[0].result");
	assert_rejected("{" HEAD ",'results':[{'name':'q','state':true,'result':null}]}",
			"results[0].result");
	for (int len = 1024; len <= 1025; len++) {
		int rc;

		buf_init(&b, 1u << 20);
		assert_int_equal(buf_append_str(&b,
						"{" HEAD ",'results':[{'name':'q','state':false,"
						"'result':'"),
				 0);
		for (int i = 0; i < len; i++)
			assert_int_equal(buf_append_str(&b, "r"), 0);
		assert_int_equal(buf_append_str(&b, "'}]}"), 0);
		rc = parse(b.data, &r, err, sizeof(err));
		if (len == 1024) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_non_null(strstr(err, "results[0].result"));
		}
		rp_report_free(&r);
		buf_free(&b);
	}
}

static void test_parse_probe_time(void **state)
{
	static const char *const good[] = {
	    "2024-05-01T10:00:00Z", "2024-12-31T23:59:60Z", "2024-05-01T10:00:00.123456789Z",
	    "2024-05-01T10:00:00+02:00", "2024-05-01T10:00:00-05:30"};
	static const char *const bad[] = {"",
					  "T1",
					  "2024-05-01",
					  "2024-05-01 10:00:00Z",
					  "2024-05-01T10:00:00",
					  "2024-13-01T10:00:00Z",
					  "2024-05-00T10:00:00Z",
					  "2024-05-01T24:00:00Z",
					  "2024-05-01T10:00:00.Z",
					  "2024-05-01T10:00:00Zx",
					  "2024-05-01T10:00:00+0200",
					  "2024-05-01t10:00:00z"};
	char body[512];
	struct rp_report r;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(body, sizeof(body),
			 "{" HEAD ",'results':[{'name':'q','state':true,'probeTime':'%s'}]}",
			 good[i]);
		if (parse(body, &r, err, sizeof(err)) != 0)
			fail_msg("%s refused: %s", good[i], err);
		rp_report_free(&r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body),
			 "{" HEAD ",'results':[{'name':'q','state':true,'probeTime':'%s'}]}",
			 bad[i]);
		assert_rejected(body, "results[0].probeTime");
	}
	assert_rejected("{" HEAD ",'results':[{'name':'q','state':true,'probeTime':5}]}",
			"results[0].probeTime");
	assert_int_equal(parse("{" HEAD ",'results':[{'name':'q','state':null,'probeTime':null}]}",
			       &r, err, sizeof(err)),
			 0);
	rp_report_free(&r);
}

static void test_parse_body_too_large(void **state)
{
	size_t len = RP_BODY_MAX + 1;
	char *body = malloc(len);
	struct rp_report r;
	char err[256] = "";

	(void)state;
	assert_non_null(body);
	memset(body, ' ', len);
	assert_int_equal(rp_parse(body, len, &r, err, sizeof(err)), -E2BIG);
	assert_null(r.results);
	assert_non_null(strstr(err, "body"));
	/* exactly the limit is parsed (here: whitespace, so not an object) */
	assert_int_equal(rp_parse(body, RP_BODY_MAX, &r, err, sizeof(err)), -EINVAL);
	free(body);
}

static void test_parse_not_json(void **state)
{
	static const char *const bad[] = {"",	  "{",	   "not json", "[]",
					  "null", "\"s\"", "42",       "{'namespace':'n',}"};
	struct rp_report r;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &r, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err, "body"));
	}
	assert_int_equal(rp_parse(NULL, 0, &r, err, sizeof(err)), -EINVAL);
	/* a tiny err buffer is still NUL-terminated */
	{
		char tiny[6];

		assert_int_equal(rp_parse("[]", 2, &r, tiny, sizeof(tiny)), -EINVAL);
		assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	}
}

/* ---- rp_results_view ---------------------------------------------------------------------- */

static void test_results_view_mapping(void **state)
{
	struct rp_report r;
	struct sq_result *v = NULL;
	size_t n = 99;
	char err[256];

	(void)state;
	assert_int_equal(parse("{" HEAD ",'results':["
			       "{'name':'a','state':true,'result':'gate',"
			       "'probeTime':'2024-05-01T10:00:00Z'},"
			       "{'name':'b','state':false,'result':'x','opsState':'None'},"
			       "{'name':'c','state':null,'probeTime':null},"
			       "{'name':'d','state':true,'opsState':7}]}",
			       &r, err, sizeof(err)),
			 0);
	assert_int_equal(rp_results_view(r.results, &v, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].name, "a");
	assert_int_equal(v[0].state, 1);
	assert_string_equal(v[0].result, "gate");
	assert_string_equal(v[0].probe_time, "2024-05-01T10:00:00Z");
	assert_null(v[0].ops_state);
	assert_int_equal(v[1].state, 0);
	assert_string_equal(v[1].result, "x");
	assert_string_equal(v[1].ops_state, "None");
	assert_int_equal(v[2].state, -1);
	assert_string_equal(v[2].result, "");
	assert_null(v[2].probe_time);
	assert_string_equal(v[3].result, "");
	assert_null(v[3].probe_time);
	assert_null(v[3].ops_state); /* not a string: absent */
	free(v);
	rp_report_free(&r);
}

static void test_results_view_empty(void **state)
{
	cJSON *empty = cJSON_CreateArray();
	struct sq_result *v = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(rp_results_view(empty, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_non_null(v);
	free(v);
	v = NULL;
	n = 99;
	assert_int_equal(rp_results_view(NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	cJSON_Delete(empty);
}

/* ---- the store ---------------------------------------------------------------------------- */

static void test_store_put_get_by_uid(void **state)
{
	struct rp_store *s = store();

	(void)state;
	assert_first_result(s, "ns", "pod-0", "uid-0", NULL);
	put(s, "ns", "pod-0", "uid-0", "[{'name':'q','state':true,'result':'zero'}]");
	put(s, "ns", "pod-1", "uid-1", "[{'name':'q','state':true,'result':'one'}]");
	put(s, "other", "pod-0", "uid-2", "[{'name':'q','state':true,'result':'other'}]");
	assert_first_result(s, "ns", "pod-0", "uid-0", "zero");
	assert_first_result(s, "ns", "pod-1", "uid-1", "one");
	assert_first_result(s, "other", "pod-0", "uid-2", "other");
	/* a pod recreated under the same name has a new uid: its predecessor's results are not
	 * its own */
	assert_first_result(s, "ns", "pod-0", "uid-1", NULL);
	assert_first_result(s, "ns", "pod-0", NULL, NULL);
	assert_first_result(s, "ns", "pod-2", "uid-0", NULL);
	assert_first_result(s, "ns", "pod", "uid-0", NULL);
	rp_store_free(s);
	rp_store_free(NULL);
}

static void test_store_get_returns_copy(void **state)
{
	struct rp_store *s = store();
	cJSON *a;

	(void)state;
	put(s, "ns", "p", "u", "[{'name':'q','state':true,'result':'orig'}]");
	a = rp_store_get(s, "ns", "p", "u");
	assert_non_null(a);
	cJSON_DeleteItemFromArray(a, 0);
	cJSON_Delete(a);
	assert_first_result(s, "ns", "p", "u", "orig");
	rp_store_free(s);
}

static void test_store_replace_on_newer_report(void **state)
{
	struct rp_store *s = store();
	cJSON *res;

	(void)state;
	put(s, "ns", "p", "u",
	    "[{'name':'q','state':true,'result':'old'},{'name':'r','state':true}]");
	put(s, "ns", "p", "u", "[{'name':'q','state':false,'result':'new'}]");
	res = rp_store_get(s, "ns", "p", "u");
	assert_int_equal(cJSON_GetArraySize(res), 1); /* replaced, not merged */
	assert_string_equal(obj_str(cJSON_GetArrayItem(res, 0), "result"), "new");
	cJSON_Delete(res);
	/* the pod was recreated: the new uid's report replaces the old one */
	put(s, "ns", "p", "u2", "[{'name':'q','state':true,'result':'recreated'}]");
	assert_first_result(s, "ns", "p", "u", NULL);
	assert_first_result(s, "ns", "p", "u2", "recreated");
	rp_store_free(s);
}

/* rp_store_put's answer: 1 when there is something for sq_evaluate to do, 0 for a heartbeat. */
static int put_rc(struct rp_store *s, const char *uid, const char *results_q)
{
	struct rp_report r = report("ns", "p", uid, results_q);
	int rc = rp_store_put(s, &r);

	rp_report_free(&r);
	return rc;
}

static void test_store_put_says_what_changed(void **state)
{
	struct rp_store *s = store();

	(void)state;
	assert_int_equal(put_rc(s, "u",
				"[{'name':'q','state':true,'result':'ok','probeTime':"
				"'2024-05-01T10:00:00Z','message':'a'},{'name':'r','state':null}]"),
			 1); /* new pod */
	/* heartbeat: newer probe time, other message, same outcome */
	assert_int_equal(put_rc(s, "u",
				"[{'name':'q','state':true,'result':'ok','probeTime':"
				"'2024-05-01T10:01:00Z','message':'b'},{'name':'r','state':null}]"),
			 0);
	assert_int_equal(put_rc(s, "u",
				"[{'name':'q','state':false,'result':'ok'},"
				"{'name':'r','state':null}]"),
			 1); /* state */
	assert_int_equal(put_rc(s, "u",
				"[{'name':'q','state':false,'result':'ok'},"
				"{'name':'r','state':null}]"),
			 0);
	assert_int_equal(put_rc(s, "u",
				"[{'name':'q','state':false,'result':'ok'},"
				"{'name':'r','state':false}]"),
			 1); /* null -> false */
	assert_int_equal(put_rc(s, "u",
				"[{'name':'q','state':false,'result':'busy'},"
				"{'name':'r','state':false}]"),
			 1); /* result */
	assert_int_equal(put_rc(s, "u",
				"[{'name':'q','state':false,'result':'busy',"
				"'opsState':'Maintaining'},{'name':'r','state':false}]"),
			 1); /* opsState asked for */
	assert_int_equal(put_rc(s, "u",
				"[{'name':'q','state':false,'result':'busy',"
				"'opsState':'Maintaining'}]"),
			 1); /* a quality fewer */
	assert_int_equal(put_rc(s, "u",
				"[{'name':'x','state':false,'result':'busy',"
				"'opsState':'Maintaining'}]"),
			 1); /* another name */
	assert_int_equal(put_rc(s, "u2",
				"[{'name':'x','state':false,'result':'busy',"
				"'opsState':'Maintaining'}]"),
			 1); /* the pod was recreated */
	rp_store_remove(s, "ns", "p");
	assert_int_equal(put_rc(s, "u2",
				"[{'name':'x','state':false,'result':'busy',"
				"'opsState':'Maintaining'}]"),
			 1); /* known again after a removal (or a controller restart) */
	rp_store_free(s);
}

static void test_store_remove(void **state)
{
	struct rp_store *s = store();

	(void)state;
	put(s, "ns", "a", "ua", "[{'name':'q','state':true,'result':'a'}]");
	put(s, "ns", "b", "ub", "[{'name':'q','state':true,'result':'b'}]");
	put(s, "ns", "c", "uc", "[{'name':'q','state':true,'result':'c'}]");
	rp_store_remove(s, "ns", "b");
	assert_first_result(s, "ns", "b", "ub", NULL);
	assert_first_result(s, "ns", "a", "ua", "a");
	assert_first_result(s, "ns", "c", "uc", "c");
	rp_store_remove(s, "ns", "b"); /* again: nothing */
	rp_store_remove(s, "ns", "zzz");
	rp_store_remove(s, "ns", "c"); /* the newest entry (list head) */
	rp_store_remove(s, "ns", "a"); /* the oldest */
	assert_first_result(s, "ns", "a", "ua", NULL);
	put(s, "ns", "a", "ua", "[{'name':'q','state':true,'result':'again'}]");
	assert_first_result(s, "ns", "a", "ua", "again");
	rp_store_free(s);
}

static void test_store_awaiting(void **state)
{
	struct rp_store *s = store();

	(void)state;
	/* unknown pod: never awaiting, marking it does nothing */
	rp_store_mark_applied(s, "ns", "p", "5");
	assert_false(rp_store_awaiting(s, "ns", "p", "5"));
	put(s, "ns", "p", "u", "[{'name':'q','state':true}]");
	assert_false(rp_store_awaiting(s, "ns", "p", "5"));
	rp_store_mark_applied(s, "ns", "p", "5");
	assert_true(rp_store_awaiting(s, "ns", "p", "5"));   /* cache still at 5 */
	assert_false(rp_store_awaiting(s, "ns", "p", "6"));  /* our write (or a newer) is seen */
	assert_false(rp_store_awaiting(s, "ns", "p", NULL)); /* no version: evaluate */
	assert_false(rp_store_awaiting(s, "ns", "q", "5"));
	/* a newer report of the same pod keeps the mark */
	put(s, "ns", "p", "u", "[{'name':'q','state':false}]");
	assert_true(rp_store_awaiting(s, "ns", "p", "5"));
	/* a recreated pod starts clean */
	put(s, "ns", "p", "u2", "[{'name':'q','state':false}]");
	assert_false(rp_store_awaiting(s, "ns", "p", "5"));
	rp_store_mark_applied(s, "ns", "p", "7");
	assert_true(rp_store_awaiting(s, "ns", "p", "7"));
	rp_store_mark_applied(s, "ns", "p", "");
	assert_false(rp_store_awaiting(s, "ns", "p", ""));
	rp_store_mark_applied(s, "ns", "p", NULL);
	assert_false(rp_store_awaiting(s, "ns", "p", "7"));
	/* removed: forgotten */
	rp_store_mark_applied(s, "ns", "p", "8");
	rp_store_remove(s, "ns", "p");
	assert_false(rp_store_awaiting(s, "ns", "p", "8"));
	rp_store_free(s);
}

/* ---- concurrency smoke test --------------------------------------------------------------- */

#define THREADS 4
#define ROUNDS	300
#define PODS	8

struct worker {
	struct rp_store *s;
	int id;
	int bad;
	int hits;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ROUNDS; i++) {
		char pod[32], uid[32], body[256], err[128], want[32];
		struct rp_report r;
		cJSON *res;
		int k = (i + w->id) % PODS;

		snprintf(pod, sizeof(pod), "pod-%d", k);
		snprintf(uid, sizeof(uid), "uid-%d", k);
		snprintf(body, sizeof(body),
			 "{\"namespace\":\"ns\",\"pod\":\"%s\",\"podUID\":\"%s\",\"results\":[{"
			 "\"name\":\"q\",\"state\":true,\"result\":\"%d-%d\"}]}",
			 pod, uid, w->id, i);
		if (rp_parse(body, strlen(body), &r, err, sizeof(err)) != 0 ||
		    rp_store_put(w->s, &r) < 0)
			w->bad++;
		rp_report_free(&r);
		res = rp_store_get(w->s, "ns", pod, uid);
		/* someone's report for that pod, whole (or none: another thread removed it) */
		if (res && (cJSON_GetArraySize(res) != 1 ||
			    !obj_str(cJSON_GetArrayItem(res, 0), "result")))
			w->bad++;
		w->hits += res != NULL;
		cJSON_Delete(res);
		snprintf(want, sizeof(want), "%d", i);
		rp_store_mark_applied(w->s, "ns", pod, want);
		(void)rp_store_awaiting(w->s, "ns", pod, want);
		if (i % 50 == 49)
			rp_store_remove(w->s, "ns", pod);
	}
	return NULL;
}

static void test_store_concurrency(void **state)
{
	struct rp_store *s = store();
	struct worker w[THREADS];
	pthread_t th[THREADS];

	(void)state;
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.s = s, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
		assert_true(w[i].hits > ROUNDS / 2);
	}
	rp_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_valid),
	    cmocka_unit_test(test_parse_not_nul_terminated),
	    cmocka_unit_test(test_parse_namespace),
	    cmocka_unit_test(test_parse_pod),
	    cmocka_unit_test(test_parse_pod_uid),
	    cmocka_unit_test(test_parse_results_not_a_list),
	    cmocka_unit_test(test_parse_too_many_results),
	    cmocka_unit_test(test_parse_result_name),
	    cmocka_unit_test(test_parse_result_state),
	    cmocka_unit_test(test_parse_result_text),
	    cmocka_unit_test(test_parse_probe_time),
	    cmocka_unit_test(test_parse_body_too_large),
	    cmocka_unit_test(test_parse_not_json),
	    cmocka_unit_test(test_results_view_mapping),
	    cmocka_unit_test(test_results_view_empty),
	    cmocka_unit_test(test_store_put_get_by_uid),
	    cmocka_unit_test(test_store_get_returns_copy),
	    cmocka_unit_test(test_store_replace_on_newer_report),
	    cmocka_unit_test(test_store_put_says_what_changed),
	    cmocka_unit_test(test_store_remove),
	    cmocka_unit_test(test_store_awaiting),
	    cmocka_unit_test(test_store_concurrency),
	};

	if (getenv("F"))
		cmocka_set_test_filter(getenv("F"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
