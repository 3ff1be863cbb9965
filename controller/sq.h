/* sq: service quality, from probe results to GameServer changes. Pure.
 *
 * For each quality of the set, in the set's order, the newest probe outcome (state, result)
 * is compared with the condition stored in the GameServer's status. Only a change fires
 * actions (edge-triggered): every action whose state matches, and whose result matches when
 * it names one, applies its opsState, priorities, networkDisabled, containers, labels and
 * annotations. Later actions and later qualities overwrite earlier ones: the quality listed
 * last wins. A permanent quality fires at most once. Because the last outcome lives in the
 * GameServer, restarts of the probe helper or of the controller fire nothing again. */
#ifndef OKG_CONTROLLER_SQ_H
#define OKG_CONTROLLER_SQ_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct sq_result {
	const char *name;
	int state;	    /* 1 true, 0 false, -1 unknown (not probed yet) */
	const char *result; /* the probe's output */
	const char *probe_time;
	const char *ops_state; /* sidecar mode: the opsState the helper asks for, or NULL */
};

struct sq_event {
	char type[8]; /* Normal or Warning */
	char reason[40];
	char message[1400];
};

struct sq_outcome {
	char *gs_patch;	    /* merge patch for the GameServer (metadata + spec), or NULL */
	char *status_patch; /* merge patch for its status, or NULL */
	struct sq_event *events;
	size_t n_events;
};

void sq_outcome_free(struct sq_outcome *o); /* NULL-safe */

/* gss and gs are borrowed. now: RFC 3339. Returns 0 or -ENOMEM. */
int sq_evaluate(const cJSON *gss, const cJSON *gs, const struct sq_result *results, size_t n,
		const char *now, struct sq_outcome *out);

/* Renders an action value: "{{.Result}}" and "{{if OP A B}}x{{else}}y{{end}}" with OP one of
 * eq ne lt le gt ge (numbers compare as numbers), A/B .Result or a "quoted" string or a
 * number. A template that does not parse renders as written, *ok = 0. New string. */
char *sq_render(const char *tmpl, const char *result, int *ok);

/* The probe output as matched against actions: '|' and newlines removed. New string. */
char *sq_normalize(const char *result);

#endif
