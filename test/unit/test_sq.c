/* Unit tests for controller/sq.c: service quality, from probe results to GameServer changes.
 *
 * Fixtures are JSON written with ' for " (templates keep their quotes as \"). Each test builds a
 * GameServerSet and a GameServer, evaluates probe results and checks the two merge patches and
 * the events. Sequences apply the patches to the GameServer (RFC 7386 merge), as the controller
 * does, before the next evaluation: that is how edge triggering and permanent are observed.
 *
 * okg differs from OpenKruiseGame by design in two places, both tested: a quality with no
 * result yet keeps the GameServer's condition (OpenKruiseGame resets it to {name}), and when a
 * change matches no action, lastActionTransitionTime keeps its old value. */
#include <errno.h>
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
#include "controller/sq.h"

#define OLD "2024-04-01T00:00:00Z"
#define NOW "2024-05-01T10:00:00Z"
#define PT  "2024-05-01T09:59:58Z"

/* ---- helpers ------------------------------------------------------------------------------ */

/* Parses JSON written with ' instead of ". */
static cJSON *J(const char *text)
{
	char *s = strdup(text);
	cJSON *o;

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	o = cJSON_Parse(s);
	if (!o)
		fail_msg("not JSON: %s", s);
	free(s);
	return o;
}

static cJSON *parse_json(const char *text)
{
	cJSON *o = cJSON_Parse(text);

	if (!o)
		fail_msg("not JSON: %s", text);
	return o;
}

/* RFC 7386 merge patch: what the API server does with the controller's patches. */
static void merge(cJSON *target, const cJSON *patch)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, patch)
	{
		cJSON *t = cJSON_GetObjectItemCaseSensitive(target, p->string);

		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
		} else if (cJSON_IsObject(p) && cJSON_IsObject(t)) {
			merge(t, p);
		} else {
			cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
			assert_true(
			    cJSON_AddItemToObject(target, p->string, cJSON_Duplicate(p, 1)));
		}
	}
}

static struct sq_result R(const char *name, int state, const char *result) {
	struct sq_result r = {.name = name, .state = state, .result = result, .probe_time = PT};

	return r;
}

struct ev {
	cJSON *gss, *gs;
	struct sq_outcome o;
	cJSON *gsp, *stp; /* the patches, parsed */
	const char *now;
};

static void ev_init(struct ev *e, const char *gss, const char *gs)
{
	memset(e, 0, sizeof(*e));
	e->gss = J(gss);
	e->gs = J(gs);
	e->now = NOW;
}

static void ev_clear(struct ev *e)
{
	sq_outcome_free(&e->o);
	cJSON_Delete(e->gsp);
	cJSON_Delete(e->stp);
	e->gsp = e->stp = NULL;
}

static void ev_free(struct ev *e)
{
	ev_clear(e);
	cJSON_Delete(e->gss);
	cJSON_Delete(e->gs);
}

static void eval(struct ev *e, const struct sq_result *res, size_t n)
{
	ev_clear(e);
	assert_int_equal(sq_evaluate(e->gss, e->gs, res, n, e->now, &e->o), 0);
	if (e->o.gs_patch)
		e->gsp = parse_json(e->o.gs_patch);
	if (e->o.status_patch)
		e->stp = parse_json(e->o.status_patch);
	assert_true(e->o.n_events == 0 || e->o.events);
}

/* Evaluates, then applies both patches to the GameServer. */
static void step(struct ev *e, const struct sq_result *res, size_t n)
{
	eval(e, res, n);
	if (e->gsp)
		merge(e->gs, e->gsp);
	if (e->stp)
		merge(e->gs, e->stp);
}

static void eval1(struct ev *e, const char *name, int state, const char *result)
{
	struct sq_result r = R(name, state, result);

	eval(e, &r, 1);
}

static void step1(struct ev *e, const char *name, int state, const char *result)
{
	struct sq_result r = R(name, state, result);

	step(e, &r, 1);
}

/* The new condition of a quality in the status patch (NULL when absent). */
static const cJSON *cond(const struct ev *e, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj_get(e->stp, "status.serviceQualitiesConditions"))
	{
		const char *n = obj_str(it, "name");

		if (n && !strcmp(n, name))
			return it;
	}
	return NULL;
}

static int n_conds(const struct ev *e)
{
	return cJSON_GetArraySize(obj_get(e->stp, "status.serviceQualitiesConditions"));
}

static void assert_str_at(const cJSON *o, const char *path, const char *want)
{
	const char *got = obj_str(o, path);

	if (!want) {
		if (obj_get(o, path))
			fail_msg("%s: expected absent", path);
		return;
	}
	/* An empty result is written as an absent one (kube-apiserver 1.20 refuses "" there). */
	if (!got && !want[0] && !strcmp(path, "result"))
		return;
	if (!got)
		fail_msg("%s: missing (want \"%s\")", path, want);
	assert_string_equal(got, want);
}

static void assert_num_at(const cJSON *o, const char *path, double want)
{
	const cJSON *v = obj_get(o, path);

	if (!cJSON_IsNumber(v))
		fail_msg("%s: not a number", path);
	assert_true(v->valuedouble == want);
}

static void assert_cond(const struct ev *e, const char *name, const char *status,
			const char *result, const char *action_time)
{
	const cJSON *c = cond(e, name);

	if (!c)
		fail_msg("no condition %s in %s", name, e->o.status_patch);
	assert_str_at(c, "status", status);
	assert_str_at(c, "result", result);
	assert_str_at(c, "lastActionTransitionTime", action_time);
}

/* Number of members of an object, 0 for NULL. */
static int size_of(const cJSON *o)
{
	return o ? cJSON_GetArraySize(o) : 0;
}

/* The spec members of the gs patch, plus labels and annotations: changes in all. */
static int changed_fields(const struct ev *e)
{
	return size_of(obj_get(e->gsp, "spec")) + size_of(obj_get(e->gsp, "metadata.labels")) +
	       size_of(obj_get(e->gsp, "metadata.annotations"));
}

static const struct sq_event *event_by_reason(const struct ev *e, const char *reason)
{
	for (size_t i = 0; i < e->o.n_events; i++)
		if (!strcmp(e->o.events[i].reason, reason))
			return &e->o.events[i];
	return NULL;
}

static char *render(const char *tmpl, const char *result, int *ok)
{
	char *s;

	*ok = -1;
	s = sq_render(tmpl, result, ok);
	assert_non_null(s);
	assert_true(*ok == 0 || *ok == 1);
	return s;
}

static void assert_render(const char *tmpl, const char *result, const char *want)
{
	int ok;
	char *s = render(tmpl, result, &ok);

	if (!ok)
		fail_msg("template did not parse: %s", tmpl);
	if (strcmp(s, want))
		fail_msg("%s with \"%s\": got \"%s\", want \"%s\"", tmpl,
			 result ? result : "(null)", s, want);
	free(s);
}

static void assert_malformed(const char *tmpl)
{
	int ok;
	char *s = render(tmpl, "0", &ok);

	if (ok)
		fail_msg("accepted: %s (rendered \"%s\")", tmpl, s);
	assert_string_equal(s, tmpl);
	free(s);
}

/* OpenKruiseGame's TestSyncServiceQualities: up=20, dp=10, A1={state:true, updatePriority:20},
 * A2={state:false, deletionPriority:10}. */
#define A1	 "{'state':true,'updatePriority':20}"
#define A2	 "{'state':false,'deletionPriority':10}"
#define GS_PLAIN "{'metadata':{'name':'gs-0'},'spec':{}}"

/* ---- OpenKruiseGame TestSyncServiceQualities ------------------------------------------------- */

static void test_okg_vec0_first_observation_fires(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'healthy','permanent':true,"
		"'serviceQualityAction':[" A1 "," A2 "]}]}}",
		GS_PLAIN);
	eval1(&e, "healthy", 1, "");
	assert_non_null(e.gsp);
	assert_num_at(e.gsp, "spec.updatePriority", 20);
	assert_null(obj_get(e.gsp, "spec.deletionPriority"));
	assert_int_equal(changed_fields(&e), 1);
	assert_cond(&e, "healthy", "True", "", NOW);
	assert_str_at(cond(&e, "healthy"), "lastProbeTime", PT);
	assert_str_at(cond(&e, "healthy"), "lastTransitionTime", NOW);
	ev_free(&e);
}

static void test_okg_vec1_permanent_acted_does_not_refire(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'healthy','permanent':true,"
		"'serviceQualityAction':[" A1 "," A2 "]}]}}",
		"{'metadata':{'name':'gs-0'},'spec':{},'status':{'serviceQualitiesConditions':["
		"{'name':'healthy','status':'False','result':'','lastActionTransitionTime':'" OLD
		"'}]}}");
	eval1(&e, "healthy", 1, "");
	assert_null(e.o.gs_patch);
	assert_int_equal(e.o.n_events, 0);
	assert_cond(&e, "healthy", "True", "", OLD);
	assert_str_at(cond(&e, "healthy"), "lastTransitionTime", NOW);
	ev_free(&e);
}

/* OpenKruiseGame resets the condition to {name} when the pod condition is absent; okg keeps
 * what the GameServer says until the helper reports. */
static void test_okg_vec2_absent_result_keeps_condition(void **state)
{
	struct ev e;
	struct sq_result other = R("other", 1, "x");

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'healthy','permanent':true,"
		"'serviceQualityAction':[" A1 "," A2 "]}]}}",
		GS_PLAIN);
	eval(&e, &other, 1);
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	assert_int_equal(e.o.n_events, 0);
	eval(&e, NULL, 0);
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	ev_free(&e);

	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'healthy','permanent':true,"
		"'serviceQualityAction':[" A1 "," A2 "]}]}}",
		"{'metadata':{'name':'gs-0'},'spec':{},'status':{'serviceQualitiesConditions':["
		"{'name':'healthy','status':'True','result':'r','lastActionTransitionTime':'" OLD
		"'}]}}");
	eval(&e, &other, 1);
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	ev_free(&e);
}

static void test_okg_vec3_no_matching_action(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'healthy','permanent':true,"
		"'serviceQualityAction':[" A1 "]}]}}",
		GS_PLAIN);
	eval1(&e, "healthy", 0, "");
	assert_null(e.o.gs_patch);
	assert_int_equal(e.o.n_events, 0);
	assert_cond(&e, "healthy", "False", "", NULL);
	ev_free(&e);
}

static void test_okg_vec4_not_permanent_refires(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'healthy','permanent':false,"
		"'serviceQualityAction':[{'state':true,'updatePriority':20,"
		"'annotations':{'case-4':'new'}}," A2 "]}]}}",
		"{'metadata':{'name':'gs-0','annotations':{'case-4':'old'}},'spec':{},"
		"'status':{'serviceQualitiesConditions':[{'name':'healthy','status':'False',"
		"'result':'','lastActionTransitionTime':'" OLD "'}]}}");
	eval1(&e, "healthy", 1, "");
	assert_num_at(e.gsp, "spec.updatePriority", 20);
	assert_str_at(e.gsp, "metadata.annotations.case-4", "new");
	assert_int_equal(changed_fields(&e), 2);
	assert_cond(&e, "healthy", "True", "", NOW);
	ev_free(&e);
}

#define MULTI_RETURN                                                                               \
	"{'spec':{'serviceQualities':[{'name':'multi-return','permanent':false,"                   \
	"'serviceQualityAction':[{'state':true,'result':'A','opsState':'A'},"                      \
	"{'state':true,'result':'B','opsState':'B'},{'state':true,'result':'C','opsState':'C'}]}]" \
	"}}"

static void test_okg_vec5_result_selects_action(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e, MULTI_RETURN, GS_PLAIN);
	eval1(&e, "multi-return", 1, "B");
	assert_str_at(e.gsp, "spec.opsState", "B");
	assert_int_equal(changed_fields(&e), 1);
	assert_cond(&e, "multi-return", "True", "B", NOW);
	ev_free(&e);
}

static void test_okg_vec6_result_change_refires(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e, MULTI_RETURN,
		"{'metadata':{'name':'gs-0'},'spec':{'opsState':'B'},'status':{"
		"'serviceQualitiesConditions':[{'name':'multi-return','status':'True','result':'B',"
		"'lastActionTransitionTime':'" OLD "'}]}}");
	eval1(&e, "multi-return", 1, "A");
	assert_str_at(e.gsp, "spec.opsState", "A");
	assert_cond(&e, "multi-return", "True", "A", NOW);
	ev_free(&e);
}

/* okg: a change that matches no action keeps the old lastActionTransitionTime. */
static void test_unmatched_change_keeps_action_time(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e, MULTI_RETURN,
		"{'metadata':{'name':'gs-0'},'spec':{'opsState':'B'},'status':{"
		"'serviceQualitiesConditions':[{'name':'multi-return','status':'True','result':'B',"
		"'lastActionTransitionTime':'" OLD "'}]}}");
	eval1(&e, "multi-return", 1, "Z");
	assert_null(e.o.gs_patch);
	assert_int_equal(e.o.n_events, 0);
	assert_cond(&e, "multi-return", "True", "Z", OLD);
	ev_free(&e);
}

/* ---- OpenKruiseGame TestSyncServiceQualities_WithTemplate ------------------------------------ */

static struct ev template_case(const char *action, const char *message)
{
	struct ev e;
	char gss[1024];

	snprintf(gss, sizeof(gss),
		 "{'spec':{'serviceQualities':[{'name':'tpl','permanent':false,"
		 "'serviceQualityAction':[%s]}]}}",
		 action);
	ev_init(&e, gss, GS_PLAIN);
	eval1(&e, "tpl", 1, message);
	return e;
}

static void test_okg_template_result_in_labels_annotations(void **state)
{
	struct ev e =
	    template_case("{'state':true,'annotations':{'player-count':'{{.Result}}',"
			  "'info':'players-{{.Result}}'},'labels':{'count':'{{.Result}}'}}",
			  "42");

	(void)state;
	assert_str_at(e.gsp, "metadata.annotations.player-count", "42");
	assert_str_at(e.gsp, "metadata.annotations.info", "players-42");
	assert_str_at(e.gsp, "metadata.labels.count", "42");
	ev_free(&e);
}

static void test_okg_template_if_eq_opsstate_and_label(void **state)
{
	struct ev e = template_case(
	    "{'state':true,'opsState':'{{if eq .Result "
	    "\\\"0\\\"}}WaitToBeDeleted{{else}}None{{end}}',"
	    "'labels':{'status':'{{if eq .Result \\\"0\\\"}}empty{{else}}active{{end}}'}}",
	    "0");

	(void)state;
	assert_str_at(e.gsp, "spec.opsState", "WaitToBeDeleted");
	assert_str_at(e.gsp, "metadata.labels.status", "empty");
	ev_free(&e);
}

static void test_okg_template_if_gt_label(void **state)
{
	struct ev e = template_case(
	    "{'state':true,'labels':{'load-level':'{{if gt .Result \\\"80\\\"}}high{{else}}normal"
	    "{{end}}'}}",
	    "85");

	(void)state;
	assert_str_at(e.gsp, "metadata.labels.load-level", "high");
	ev_free(&e);
}

static void test_okg_template_update_priority_string(void **state)
{
	struct ev e = template_case("{'state':true,'updatePriority':'{{.Result}}'}", "75");

	(void)state;
	assert_num_at(e.gsp, "spec.updatePriority", 75);
	assert_null(event_by_reason(&e, "InvalidUpdatePriority"));
	ev_free(&e);
}

static void test_okg_template_deletion_priority_if(void **state)
{
	struct ev e = template_case(
	    "{'state':true,'deletionPriority':'{{if eq .Result \\\"0\\\"}}1{{else}}100{{end}}'}",
	    "0");

	(void)state;
	assert_num_at(e.gsp, "spec.deletionPriority", 1);
	ev_free(&e);
}

/* ---- the seeds: gate/data, idle, healthy ------------------------------------------------------
 */

#define GATE_DATA                                                                                  \
	"{'spec':{'serviceQualities':[{'name':'healthy','containerName':'minecraft',"              \
	"'permanent':false,'exec':{'command':['bash','./probe.sh']},'serviceQualityAction':["      \
	"{'state':true,'result':'gate','opsState':'GateMaintaining'},"                             \
	"{'state':true,'result':'data','opsState':'DataMaintaining'},"                             \
	"{'state':false,'opsState':'None'}]}]}}"
#define GS_NONE "{'metadata':{'name':'minecraft-0'},'spec':{'opsState':'None'}}"

static void test_seed_gate_data_sequence(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e, GATE_DATA, GS_NONE);
	/* all processes up: exit 1, no output; already None */
	step1(&e, "healthy", 0, "");
	assert_null(e.o.gs_patch);
	assert_cond(&e, "healthy", "False", "", NOW);
	/* gate killed */
	e.now = "2024-05-01T10:01:00Z";
	step1(&e, "healthy", 1, "gate\n");
	assert_str_at(e.gsp, "spec.opsState", "GateMaintaining");
	assert_cond(&e, "healthy", "True", "gate", "2024-05-01T10:01:00Z");
	assert_int_equal(e.o.n_events, 1);
	assert_string_equal(e.o.events[0].type, "Normal");
	assert_string_equal(e.o.events[0].reason, "ServiceQualityAction");
	assert_non_null(strstr(e.o.events[0].message, "minecraft-0"));
	assert_non_null(strstr(e.o.events[0].message, "\"gate\""));
	assert_non_null(strstr(e.o.events[0].message, "GateMaintaining"));
	/* gate restarted, data killed */
	step1(&e, "healthy", 1, "data\n");
	assert_str_at(e.gsp, "spec.opsState", "DataMaintaining");
	/* everything restarted */
	step1(&e, "healthy", 0, "");
	assert_str_at(e.gsp, "spec.opsState", "None");
	assert_cond(&e, "healthy", "False", "", "2024-05-01T10:01:00Z");
	assert_str_at(e.gs, "spec.opsState", "None");
	ev_free(&e);
}

static void test_seed_data_maintaining(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e, GATE_DATA, GS_NONE);
	eval1(&e, "healthy", 1, "data");
	assert_str_at(e.gsp, "spec.opsState", "DataMaintaining");
	assert_cond(&e, "healthy", "True", "data", NOW);
	ev_free(&e);
}

static void test_seed_false_sets_none(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e, GATE_DATA,
		"{'metadata':{'name':'minecraft-0'},'spec':{'opsState':'GateMaintaining'},"
		"'status':{'serviceQualitiesConditions':[{'name':'healthy','status':'True',"
		"'result':'gate','lastActionTransitionTime':'" OLD "'}]}}");
	eval1(&e, "healthy", 0, "");
	assert_str_at(e.gsp, "spec.opsState", "None");
	assert_cond(&e, "healthy", "False", "", NOW);
	/* an unknown result with state true matches none of the result-bound actions */
	ev_clear(&e);
	eval1(&e, "healthy", 1, "other");
	assert_null(e.o.gs_patch);
	assert_cond(&e, "healthy", "True", "other", OLD);
	ev_free(&e);
}

static void test_seed_idle(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'idle','permanent':false,"
		"'serviceQualityAction':[{'state':true,'opsState':'WaitToBeDeleted'},"
		"{'state':false,'opsState':'None'}]}]}}",
		GS_NONE);
	step1(&e, "idle", 1, "");
	assert_str_at(e.gsp, "spec.opsState", "WaitToBeDeleted");
	step1(&e, "idle", 0, "");
	assert_str_at(e.gsp, "spec.opsState", "None");
	ev_free(&e);

	/* English variant: exit 0 always, the output tells idle from active */
	ev_init(
	    &e,
	    "{'spec':{'serviceQualities':[{'name':'idle','permanent':false,"
	    "'serviceQualityAction':[{'state':true,'result':'idle','opsState':'WaitToBeDeleted'},"
	    "{'state':true,'result':'active','opsState':'None'}]}]}}",
	    GS_NONE);
	step1(&e, "idle", 1, "idle\n");
	assert_str_at(e.gsp, "spec.opsState", "WaitToBeDeleted");
	step1(&e, "idle", 1, "active\n");
	assert_str_at(e.gsp, "spec.opsState", "None");
	step1(&e, "idle", 1, "active\n");
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	ev_free(&e);
}

static void test_seed_healthy_warning_on_maintaining(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'healthy','permanent':false,"
		"'serviceQualityAction':[{'state':true,'result':'healthy','opsState':'None'},"
		"{'state':true,'result':'unhealthy','opsState':'Maintaining'}]}]}}",
		"{'metadata':{'name':'demo-gs-0'},'spec':{'opsState':'None'}}");
	step1(&e, "healthy", 1, "healthy\n");
	assert_int_equal(e.o.n_events, 1);
	assert_string_equal(e.o.events[0].type, "Normal");
	step1(&e, "healthy", 1, "unhealthy\n");
	assert_str_at(e.gsp, "spec.opsState", "Maintaining");
	assert_int_equal(e.o.n_events, 1);
	assert_string_equal(e.o.events[0].type, "Warning");
	assert_string_equal(e.o.events[0].reason, "ServiceQualityAction");
	assert_non_null(strstr(e.o.events[0].message, "demo-gs-0"));
	assert_non_null(strstr(e.o.events[0].message, "\"unhealthy\""));
	assert_non_null(strstr(e.o.events[0].message, "Maintaining"));
	step1(&e, "healthy", 1, "healthy\n");
	assert_str_at(e.gsp, "spec.opsState", "None");
	assert_int_equal(e.o.n_events, 1);
	assert_string_equal(e.o.events[0].type, "Normal");
	ev_free(&e);
}

/* ---- edge triggering, permanent, precedence ----------------------------------------------------
 */

static void test_edge_same_outcome_twice(void **state)
{
	struct ev e;
	struct sq_result r = R("healthy", 1, "gate");

	(void)state;
	ev_init(&e, GATE_DATA, GS_NONE);
	step(&e, &r, 1);
	assert_non_null(e.o.gs_patch);
	assert_non_null(e.o.status_patch);
	assert_int_equal(e.o.n_events, 1);
	/* same outcome, a newer probe time: nothing to write, nothing to say */
	r.probe_time = "2024-05-01T10:05:00Z";
	e.now = "2024-05-01T10:05:01Z";
	step(&e, &r, 1);
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	assert_int_equal(e.o.n_events, 0);
	/* a manual edit of opsState sticks until the outcome changes */
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(e.gs, "spec"),
					       "opsState", cJSON_CreateString("Allocated"));
	step(&e, &r, 1);
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	ev_free(&e);
}

static void test_edge_status_or_result_change_fires(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'labels':{'r':'{{.Result}}'}},{'state':false,'labels':{'r':'down'}}]"
		"}]}}",
		GS_PLAIN);
	step1(&e, "q", 1, "a");
	assert_str_at(e.gsp, "metadata.labels.r", "a");
	step1(&e, "q", 1, "b"); /* same state, new result */
	assert_str_at(e.gsp, "metadata.labels.r", "b");
	step1(&e, "q", 0, "b"); /* same result, new state */
	assert_str_at(e.gsp, "metadata.labels.r", "down");
	step1(&e, "q", 0, "b");
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	ev_free(&e);
}

static void test_permanent_fires_once(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'once','permanent':true,"
		"'serviceQualityAction':[{'state':true,'opsState':'WaitToBeDeleted'},"
		"{'state':false,'opsState':'None'}]}]}}",
		GS_NONE);
	step1(&e, "once", 1, "");
	assert_str_at(e.gsp, "spec.opsState", "WaitToBeDeleted");
	assert_cond(&e, "once", "True", "", NOW);
	e.now = "2024-05-01T11:00:00Z";
	step1(&e, "once", 0, "");
	assert_null(e.o.gs_patch);
	assert_int_equal(e.o.n_events, 0);
	assert_cond(&e, "once", "False", "", NOW);
	step1(&e, "once", 1, "x");
	assert_null(e.o.gs_patch);
	assert_int_equal(e.o.n_events, 0);
	assert_cond(&e, "once", "True", "x", NOW);
	assert_str_at(e.gs, "spec.opsState", "WaitToBeDeleted");
	ev_free(&e);
}

static void test_permanent_unmatched_first_can_fire_later(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'once','permanent':true,"
		"'serviceQualityAction':[{'state':true,'opsState':'WaitToBeDeleted'}]}]}}",
		GS_NONE);
	step1(&e, "once", 0, "");
	assert_null(e.o.gs_patch);
	assert_cond(&e, "once", "False", "", NULL);
	e.now = "2024-05-01T11:00:00Z";
	step1(&e, "once", 1, "");
	assert_str_at(e.gsp, "spec.opsState", "WaitToBeDeleted");
	assert_cond(&e, "once", "True", "", "2024-05-01T11:00:00Z");
	step1(&e, "once", 0, "");
	step1(&e, "once", 1, "");
	assert_null(e.o.gs_patch);
	ev_free(&e);
}

static void test_precedence_later_quality_wins(void **state)
{
	struct ev e;
	struct sq_result r[2] = {R("a", 1, ""), R("b", 1, "")};

	(void)state;
	ev_init(
	    &e,
	    "{'spec':{'serviceQualities':["
	    "{'name':'a','serviceQualityAction':[{'state':true,'opsState':'Maintaining',"
	    "'deletionPriority':1}]},"
	    "{'name':'b','serviceQualityAction':[{'state':true,'opsState':'WaitToBeDeleted'}]}]}}",
	    GS_NONE);
	eval(&e, r, 2);
	assert_str_at(e.gsp, "spec.opsState", "WaitToBeDeleted");
	assert_num_at(e.gsp, "spec.deletionPriority", 1); /* a's other fields stay */
	assert_int_equal(e.o.n_events, 2);
	ev_free(&e);

	/* the set's order decides, not the order of the results */
	ev_init(&e,
		"{'spec':{'serviceQualities':["
		"{'name':'b','serviceQualityAction':[{'state':true,'opsState':'WaitToBeDeleted'}]},"
		"{'name':'a','serviceQualityAction':[{'state':true,'opsState':'Maintaining'}]}]}}",
		GS_NONE);
	eval(&e, r, 2);
	assert_str_at(e.gsp, "spec.opsState", "Maintaining");
	ev_free(&e);
}

static void test_precedence_later_action_wins(void **state)
{
	struct ev e;

	(void)state;
	ev_init(
	    &e,
	    "{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
	    "{'state':true,'opsState':'Maintaining','labels':{'first':'1','both':'first'}},"
	    "{'state':true,'result':'x','opsState':'Allocated','labels':{'both':'second'}}]}]}}",
	    GS_NONE);
	eval1(&e, "q", 1, "x");
	assert_str_at(e.gsp, "spec.opsState", "Allocated");
	assert_str_at(e.gsp, "metadata.labels.first", "1");
	assert_str_at(e.gsp, "metadata.labels.both", "second");
	eval1(&e, "q", 1, "y"); /* only the first matches */
	assert_str_at(e.gsp, "spec.opsState", "Maintaining");
	assert_str_at(e.gsp, "metadata.labels.both", "first");
	ev_free(&e);
}

/* ---- the fields an action sets -----------------------------------------------------------------
 */

static void test_priorities_as_numbers(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'deletionPriority':10,'updatePriority':-3}]}]}}",
		"{'metadata':{'name':'gs-0'},'spec':{'deletionPriority':0,'updatePriority':'5'}}");
	eval1(&e, "q", 1, "");
	assert_num_at(e.gsp, "spec.deletionPriority", 10);
	assert_num_at(e.gsp, "spec.updatePriority", -3);
	ev_free(&e);
}

static void test_priorities_as_template_strings(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'deletionPriority':'{{.Result}}','updatePriority':'7'}]}]}}",
		GS_PLAIN);
	eval1(&e, "q", 1, "-12");
	assert_num_at(e.gsp, "spec.deletionPriority", -12);
	assert_num_at(e.gsp, "spec.updatePriority", 7);
	assert_null(event_by_reason(&e, "InvalidDeletionPriority"));
	ev_free(&e);
}

static void test_priority_not_a_number_warns(void **state)
{
	/* rendered values Atoi would refuse: the field stays, a Warning says why */
	static const char *const bad[] = {
	    "abc", "12abc", "", "1.5", " 5", "5 ", "99999999999999999999", "3000000000"};
	struct ev e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct sq_event *w;

		ev_init(&e,
			"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
			"{'state':true,'deletionPriority':'{{.Result}}'}]}]}}",
			"{'metadata':{'name':'gs-0'},'spec':{'deletionPriority':4}}");
		eval1(&e, "q", 1, bad[i]);
		if (e.gsp)
			fail_msg("\"%s\": patched %s", bad[i], e.o.gs_patch);
		w = event_by_reason(&e, "InvalidDeletionPriority");
		assert_non_null(w);
		assert_string_equal(w->type, "Warning");
		assert_non_null(strstr(w->message, "{{.Result}}"));
		assert_null(event_by_reason(&e, "InvalidUpdatePriority"));
		assert_cond(&e, "q", "True", bad[i], NOW);
		ev_free(&e);
	}

	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'updatePriority':'{{if gt .Result 3}}x{{else}}1{{end}}',"
		"'opsState':'Maintaining'}]}]}}",
		GS_NONE);
	eval1(&e, "q", 1, "9");
	assert_non_null(event_by_reason(&e, "InvalidUpdatePriority"));
	assert_string_equal(event_by_reason(&e, "InvalidUpdatePriority")->type, "Warning");
	assert_null(obj_get(e.gsp, "spec.updatePriority"));
	assert_str_at(e.gsp, "spec.opsState", "Maintaining"); /* the rest of the action applies */
	/* a malformed template is not a number either */
	ev_free(&e);
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'updatePriority':'{{.Nope}}'}]}]}}",
		GS_PLAIN);
	eval1(&e, "q", 1, "9");
	assert_non_null(event_by_reason(&e, "InvalidUpdatePriority"));
	assert_null(e.o.gs_patch);
	ev_free(&e);
}

static void test_network_disabled(void **state)
{
	struct ev e;

	(void)state;
	ev_init(
	    &e,
	    "{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
	    "{'state':false,'networkDisabled':true},{'state':true,'networkDisabled':false}]}]}}",
	    "{'metadata':{'name':'gs-0'},'spec':{'networkDisabled':false}}");
	step1(&e, "q", 0, "");
	assert_true(cJSON_IsTrue(obj_get(e.gsp, "spec.networkDisabled")));
	assert_int_equal(changed_fields(&e), 1);
	step1(&e, "q", 1, "");
	assert_true(cJSON_IsFalse(obj_get(e.gsp, "spec.networkDisabled")));
	ev_free(&e);
}

static void test_containers_merge_by_name(void **state)
{
	struct ev e;
	const cJSON *list;

	(void)state;
	ev_init(
	    &e,
	    "{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
	    "{'state':true,'containers':[{'name':'game','image':'game:v2'},"
	    "{'name':'extra','image':'extra:v1'},{'image':'nameless'}]}]}]}}",
	    "{'metadata':{'name':'gs-0'},'spec':{'containers':[{'name':'side','image':'side:v1'},"
	    "{'name':'game','image':'game:v1'}]}}");
	eval1(&e, "q", 1, "");
	list = obj_get(e.gsp, "spec.containers");
	assert_true(cJSON_IsArray(list));
	assert_int_equal(cJSON_GetArraySize(list), 3);
	assert_str_at(cJSON_GetArrayItem(list, 0), "name", "side");
	assert_str_at(cJSON_GetArrayItem(list, 0), "image", "side:v1");
	assert_str_at(cJSON_GetArrayItem(list, 1), "name", "game");
	assert_str_at(cJSON_GetArrayItem(list, 1), "image", "game:v2");
	assert_str_at(cJSON_GetArrayItem(list, 2), "name", "extra");
	assert_str_at(cJSON_GetArrayItem(list, 2), "image", "extra:v1");
	ev_free(&e);

	/* no list yet: created */
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'containers':[{'name':'game','image':'game:v2'}]}]}]}}",
		GS_PLAIN);
	eval1(&e, "q", 1, "");
	list = obj_get(e.gsp, "spec.containers");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_str_at(cJSON_GetArrayItem(list, 0), "image", "game:v2");
	ev_free(&e);
}

static void test_labels_annotations_templates(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'players','serviceQualityAction':["
		"{'state':true,'labels':{'game.io/players':'{{.Result}}','fixed':'yes'},"
		"'annotations':{'game.io/load':'{{if ge .Result 100}}full{{else}}open{{end}}',"
		"'game.io/raw':'n={{.Result}}'}}]}]}}",
		"{'metadata':{'name':'gs-0','labels':{'fixed':'yes','other':'o'},"
		"'annotations':{'game.io/raw':'n=0'}},'spec':{}}");
	step1(&e, "players", 1, "100");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(obj_get(e.gsp, "metadata.labels"), "game.io/players")
		->valuestring,
	    "100");
	assert_null(cJSON_GetObjectItemCaseSensitive(obj_get(e.gsp, "metadata.labels"), "fixed"));
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(obj_get(e.gsp, "metadata.annotations"), "game.io/load")
		->valuestring,
	    "full");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(obj_get(e.gsp, "metadata.annotations"), "game.io/raw")
		->valuestring,
	    "n=100");
	assert_int_equal(changed_fields(&e), 3);
	step1(&e, "players", 1, "7");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(obj_get(e.gsp, "metadata.annotations"), "game.io/load")
		->valuestring,
	    "open");
	assert_int_equal(changed_fields(&e), 3);
	ev_free(&e);
}

static void test_gs_patch_only_changed_fields(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'opsState':'None','updatePriority':5,'networkDisabled':false,"
		"'labels':{'keep':'1','new':'2'},'annotations':{'a':'b'}}]}]}}",
		"{'metadata':{'name':'gs-0','labels':{'keep':'1'},'annotations':{'a':'b'}},"
		"'spec':{'opsState':'None','updatePriority':5,'networkDisabled':false,"
		"'deletionPriority':3,'containers':[{'name':'c','image':'i'}]}}");
	eval1(&e, "q", 1, "");
	assert_non_null(e.gsp);
	assert_int_equal(changed_fields(&e), 1);
	assert_str_at(e.gsp, "metadata.labels.new", "2");
	assert_int_equal(size_of(obj_get(e.gsp, "spec")), 0);
	assert_null(obj_get(e.gsp, "metadata.annotations"));
	ev_free(&e);

	/* an action that changes nothing: no GameServer patch, the condition still updates */
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'opsState':'None','labels':{'keep':'1'}}]}]}}",
		"{'metadata':{'name':'gs-0','labels':{'keep':'1'}},'spec':{'opsState':'None'}}");
	eval1(&e, "q", 1, "");
	assert_null(e.o.gs_patch);
	assert_cond(&e, "q", "True", "", NOW);
	ev_free(&e);
}

/* ---- sidecar results, normalisation, unknown state --------------------------------------------
 */

static void test_sidecar_result_applies_ops_state(void **state)
{
	struct ev e;
	struct sq_result r[3] = {R("healthy", 0, ""), R("http-probe", 1, "idle"),
				 R("no-ops", 1, "x")};

	(void)state;
	r[1].ops_state = "WaitToBeDeleted";
	ev_init(&e, GATE_DATA, GS_NONE);
	step(&e, r, 3);
	assert_str_at(e.gsp, "spec.opsState", "WaitToBeDeleted"); /* after the declared ones */
	assert_cond(&e, "http-probe", "True", "idle", NOW);
	assert_cond(&e, "healthy", "False", "", NOW);
	assert_null(cond(&e, "no-ops")); /* neither declared nor asking for anything */
	assert_int_equal(n_conds(&e), 2);
	assert_int_equal(e.o.n_events, 2);
	step(&e, r, 3);
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	r[1].result = "busy";
	r[1].ops_state = "None";
	step(&e, r, 3);
	assert_str_at(e.gsp, "spec.opsState", "None");
	assert_cond(&e, "http-probe", "True", "busy", NOW);
	assert_cond(&e, "healthy", "False", "", NOW); /* kept */
	ev_free(&e);
}

static void test_sidecar_declared_name_uses_actions(void **state)
{
	struct ev e;
	struct sq_result r = R("healthy", 1, "gate");

	(void)state;
	r.ops_state = "Allocated"; /* ignored: the quality is declared */
	ev_init(&e, GATE_DATA, GS_NONE);
	eval(&e, &r, 1);
	assert_str_at(e.gsp, "spec.opsState", "GateMaintaining");
	assert_int_equal(n_conds(&e), 1);
	ev_free(&e);
}

static void test_sidecar_duplicate_names_one_condition(void **state)
{
	struct ev e;
	struct sq_result r[2] = {R("side", 1, "a"), R("side", 1, "b")};

	(void)state;
	r[0].ops_state = "Maintaining";
	r[1].ops_state = "None";
	ev_init(&e, GATE_DATA, GS_NONE);
	eval(&e, r, 2);
	assert_int_equal(n_conds(&e), 1);
	assert_int_equal(e.o.n_events, 1);
	ev_free(&e);
}

static void test_normalisation_in_matching(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e, GATE_DATA, GS_NONE);
	step1(&e, "healthy", 1, "ga|te\r\n");
	assert_str_at(e.gsp, "spec.opsState", "GateMaintaining");
	assert_cond(&e, "healthy", "True", "gate", NOW);
	step1(&e, "healthy", 1, "gate"); /* the same once normalised: no change */
	assert_null(e.o.status_patch);
	ev_free(&e);
}

static void test_unknown_state_keeps_condition(void **state)
{
	struct ev e;
	struct sq_result r[2] = {R("a", -1, "whatever"), R("b", 1, "")};
	const cJSON *old_a;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':["
		"{'name':'a','serviceQualityAction':[{'state':false,'opsState':'Maintaining'}]},"
		"{'name':'b','serviceQualityAction':[{'state':true,'labels':{'b':'1'}}]}]}}",
		"{'metadata':{'name':'gs-0'},'spec':{},'status':{'serviceQualitiesConditions':["
		"{'name':'a','status':'True','result':'r','lastProbeTime':'" OLD
		"','lastTransitionTime':'" OLD "','lastActionTransitionTime':'" OLD "'},"
		"{'name':'gone','status':'True','result':''}]}}");
	eval(&e, r, 1); /* a unknown only */
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	assert_int_equal(e.o.n_events, 0);
	eval(&e, r, 2); /* b changes: a's condition is written back as it was */
	assert_str_at(e.gsp, "metadata.labels.b", "1");
	old_a = cJSON_GetArrayItem(obj_get(e.gs, "status.serviceQualitiesConditions"), 0);
	assert_true(cJSON_Compare(cond(&e, "a"), old_a, 1));
	assert_cond(&e, "b", "True", "", NOW);
	assert_null(cond(&e, "gone")); /* no longer declared */
	ev_free(&e);
}

static void test_state_must_match(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'opsState':'A'},{'result':'x','opsState':'B'},"
		"{'state':'false','opsState':'C'},{'state':false,'result':'','opsState':'D'}]}]}}",
		GS_PLAIN);
	eval1(&e, "q", 0, "x"); /* an action without a boolean state never matches */
	assert_str_at(e.gsp, "spec.opsState", "D");
	assert_int_equal(e.o.n_events, 1);
	eval1(&e, "q", 1, "x");
	assert_str_at(e.gsp, "spec.opsState", "A");
	ev_free(&e);
}

static void test_malformed_template_in_ops_state_kept_verbatim(void **state)
{
	struct ev e;

	(void)state;
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'opsState':'{{.Bad}}'}]}]}}",
		GS_PLAIN);
	eval1(&e, "q", 1, "x");
	assert_str_at(e.gsp, "spec.opsState", "{{.Bad}}");
	ev_free(&e);
}

static void test_no_qualities_no_results(void **state)
{
	struct ev e;
	struct sq_result r = R("q", 1, "x");

	(void)state;
	ev_init(&e, "{'spec':{}}", "{'metadata':{'name':'gs-0'}}");
	eval(&e, &r, 1);
	assert_null(e.o.gs_patch);
	assert_null(e.o.status_patch);
	eval(&e, NULL, 0);
	assert_null(e.o.status_patch);
	ev_free(&e);
	/* a GameServer without spec: an action still produces a patch */
	ev_init(&e,
		"{'spec':{'serviceQualities':[{'name':'q','serviceQualityAction':["
		"{'state':true,'opsState':'Maintaining'}]},{'noname':1},7]}}",
		"{'metadata':{'name':'gs-0'}}");
	eval(&e, &r, 1);
	assert_str_at(e.gsp, "spec.opsState", "Maintaining");
	assert_int_equal(n_conds(&e), 1);
	ev_free(&e);
}

/* ---- sq_render, sq_normalize ------------------------------------------------------------------
 */

static void test_render_result(void **state)
{
	(void)state;
	assert_render("{{.Result}}", "42", "42");
	assert_render("p-{{.Result}}-{{.Result}}", "42", "p-42-42");
	assert_render("{{.Result}}", "", "");
	assert_render("[{{.Result}}]", NULL, "[]");
	/* the result is data, never template text */
	assert_render("{{.Result}}", "{{if eq 1 1}}x{{end}}", "{{if eq 1 1}}x{{end}}");
}

static void test_render_if_else_eq_ne(void **state)
{
	(void)state;
	assert_render("{{if eq .Result \"0\"}}A{{else}}B{{end}}", "0", "A");
	assert_render("{{if eq .Result \"0\"}}A{{else}}B{{end}}", "1", "B");
	assert_render("{{if ne .Result \"0\"}}A{{else}}B{{end}}", "1", "A");
	assert_render("{{if ne .Result \"0\"}}A{{else}}B{{end}}", "0", "B");
	assert_render("{{if eq .Result \"idle\"}}yes{{end}}", "idle", "yes");
	assert_render("{{if eq .Result \"idle\"}}yes{{end}}", "busy", "");
	assert_render("a{{if eq 1 1}}b{{end}}c", "", "abc");
	assert_render("{{if   eq   .Result   \"x\"  }}y{{end}}", "x", "y");
	assert_render("{{if eq \"x\" .Result}}{{.Result}}!{{end}}", "x", "x!");
}

static void test_render_ordering_numeric_and_string(void **state)
{
	static const struct {
		const char *tmpl, *result, *want;
	} v[] = {
	    /* numbers compare as numbers: "9" < "10" */
	    {"{{if lt .Result \"10\"}}y{{else}}n{{end}}", "9", "y"},
	    {"{{if gt .Result 80}}y{{else}}n{{end}}", "100", "y"},
	    {"{{if gt .Result -1}}y{{else}}n{{end}}", "-0.5", "y"},
	    {"{{if eq .Result 0}}y{{else}}n{{end}}", "0.0", "y"},
	    {"{{if le .Result 5}}y{{else}}n{{end}}", "5", "y"},
	    {"{{if le .Result 5}}y{{else}}n{{end}}", "6", "n"},
	    {"{{if ge .Result 5}}y{{else}}n{{end}}", "5", "y"},
	    {"{{if ge .Result 5}}y{{else}}n{{end}}", "4", "n"},
	    {"{{if lt .Result 5}}y{{else}}n{{end}}", "5", "n"},
	    {"{{if gt .Result 5}}y{{else}}n{{end}}", "5", "n"},
	    {"{{if gt .Result 1e3}}y{{else}}n{{end}}", "1001", "y"},
	    /* otherwise as strings */
	    {"{{if lt .Result \"abd\"}}y{{else}}n{{end}}", "abc", "y"},
	    {"{{if gt .Result \"abc\"}}y{{else}}n{{end}}", "abd", "y"},
	    {"{{if ge .Result \"abc\"}}y{{else}}n{{end}}", "abc", "y"},
	    {"{{if lt .Result \"a\"}}y{{else}}n{{end}}", "10", "y"}, /* "1" < "a" */
	    {"{{if gt .Result \"9\"}}y{{else}}n{{end}}", "10x", "n"},
	    {"{{if eq .Result \"\"}}empty{{else}}set{{end}}", "", "empty"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_render(v[i].tmpl, v[i].result, v[i].want);
}

static void test_render_nested_if(void **state)
{
	static const char *t = "<{{if gt .Result 10}}{{if gt .Result 100}}huge{{else}}big{{end}}"
			       "{{else}}{{if eq .Result 0}}none{{else}}small{{end}}{{end}}>";

	(void)state;
	assert_render(t, "500", "<huge>");
	assert_render(t, "50", "<big>");
	assert_render(t, "5", "<small>");
	assert_render(t, "0", "<none>");
}

static void test_render_malformed(void **state)
{
	static const char *const bad[] = {
	    "{{.Res}}",
	    "{{ .Result }}x",
	    "{{.Result}",
	    "{{",
	    "a{{b",
	    "{{end}}",
	    "{{else}}",
	    "{{if eq .Result \"0\"}}x",
	    "{{if eq .Result \"0\"}}x{{else}}y",
	    "{{if eq .Result \"0\"}}x{{else}}y{{else}}z{{end}}",
	    "{{if eq .Result}}x{{end}}",
	    "{{if eq .Result \"0}}x{{end}}",
	    "{{if xx .Result 1}}x{{end}}",
	    "{{if equal .Result 1}}x{{end}}",
	    "{{if .Result}}x{{end}}",
	    "{{if eq .Result 1 2}}x{{end}}",
	    "{{if eq .Result 1}}x{{if eq 1 1}}y{{end}}",
	    "{{if eq .Result 1 }x{{end}}",
	    "ok {{.Result}} then {{bad}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_malformed(bad[i]);
}

static void test_render_deep_nesting_refused(void **state)
{
	/* a template from a GameServerSet must not exhaust the controller's stack */
	const char *open = "{{if eq 1 1}}", *close = "{{end}}";
	size_t depth = 20000, lo = strlen(open), lc = strlen(close);
	char *t = malloc(depth * (lo + lc) + 2), *p = t, *s;
	int ok;

	(void)state;
	assert_non_null(t);
	for (size_t i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	*p++ = 'x';
	for (size_t i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	s = render(t, "1", &ok);
	assert_int_equal(ok, 0);
	assert_string_equal(s, t);
	free(s);
	free(t);
	/* modest nesting is fine */
	assert_render("{{if eq 1 1}}{{if eq 1 1}}{{if eq 1 1}}{{if eq 1 1}}x{{end}}{{end}}{{end}}"
		      "{{end}}",
		      "", "x");
}

static void test_render_fast_path(void **state)
{
	static const char *const plain[] = {"", "plain", "}}", "{ {.Result}}", "a{b}c", "{"};
	int ok;

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char *s = render(plain[i], "r", &ok);

		assert_int_equal(ok, 1);
		assert_string_equal(s, plain[i]);
		assert_ptr_not_equal(s, plain[i]);
		free(s);
	}
}

static void test_normalize(void **state)
{
	char *s, big[3000];

	(void)state;
	s = sq_normalize("a|b\nc\r\n|");
	assert_string_equal(s, "abc");
	free(s);
	s = sq_normalize(NULL);
	assert_string_equal(s, "");
	free(s);
	s = sq_normalize("  spaces stay \t");
	assert_string_equal(s, "  spaces stay \t");
	free(s);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = sq_normalize(big);
	assert_int_equal(strlen(s), 1024);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_okg_vec0_first_observation_fires),
	    cmocka_unit_test(test_okg_vec1_permanent_acted_does_not_refire),
	    cmocka_unit_test(test_okg_vec2_absent_result_keeps_condition),
	    cmocka_unit_test(test_okg_vec3_no_matching_action),
	    cmocka_unit_test(test_okg_vec4_not_permanent_refires),
	    cmocka_unit_test(test_okg_vec5_result_selects_action),
	    cmocka_unit_test(test_okg_vec6_result_change_refires),
	    cmocka_unit_test(test_unmatched_change_keeps_action_time),
	    cmocka_unit_test(test_okg_template_result_in_labels_annotations),
	    cmocka_unit_test(test_okg_template_if_eq_opsstate_and_label),
	    cmocka_unit_test(test_okg_template_if_gt_label),
	    cmocka_unit_test(test_okg_template_update_priority_string),
	    cmocka_unit_test(test_okg_template_deletion_priority_if),
	    cmocka_unit_test(test_seed_gate_data_sequence),
	    cmocka_unit_test(test_seed_data_maintaining),
	    cmocka_unit_test(test_seed_false_sets_none),
	    cmocka_unit_test(test_seed_idle),
	    cmocka_unit_test(test_seed_healthy_warning_on_maintaining),
	    cmocka_unit_test(test_edge_same_outcome_twice),
	    cmocka_unit_test(test_edge_status_or_result_change_fires),
	    cmocka_unit_test(test_permanent_fires_once),
	    cmocka_unit_test(test_permanent_unmatched_first_can_fire_later),
	    cmocka_unit_test(test_precedence_later_quality_wins),
	    cmocka_unit_test(test_precedence_later_action_wins),
	    cmocka_unit_test(test_priorities_as_numbers),
	    cmocka_unit_test(test_priorities_as_template_strings),
	    cmocka_unit_test(test_priority_not_a_number_warns),
	    cmocka_unit_test(test_network_disabled),
	    cmocka_unit_test(test_containers_merge_by_name),
	    cmocka_unit_test(test_labels_annotations_templates),
	    cmocka_unit_test(test_gs_patch_only_changed_fields),
	    cmocka_unit_test(test_sidecar_result_applies_ops_state),
	    cmocka_unit_test(test_sidecar_declared_name_uses_actions),
	    cmocka_unit_test(test_sidecar_duplicate_names_one_condition),
	    cmocka_unit_test(test_normalisation_in_matching),
	    cmocka_unit_test(test_unknown_state_keeps_condition),
	    cmocka_unit_test(test_state_must_match),
	    cmocka_unit_test(test_malformed_template_in_ops_state_kept_verbatim),
	    cmocka_unit_test(test_no_qualities_no_results),
	    cmocka_unit_test(test_render_result),
	    cmocka_unit_test(test_render_if_else_eq_ne),
	    cmocka_unit_test(test_render_ordering_numeric_and_string),
	    cmocka_unit_test(test_render_nested_if),
	    cmocka_unit_test(test_render_malformed),
	    cmocka_unit_test(test_render_deep_nesting_refused),
	    cmocka_unit_test(test_render_fast_path),
	    cmocka_unit_test(test_normalize),
	};

	if (getenv("F"))
		cmocka_set_test_filter(getenv("F"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
