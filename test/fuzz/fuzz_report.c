/* libFuzzer target for controller/report.c and the pure parts of controller/sq.c: rp_parse() on
 * the raw bytes (not NUL-terminated) and, when it accepts them, rp_results_view() and an
 * evaluation of the results against a fixed GameServerSet; then sq_render() with the input as
 * template and as result, and sq_normalize() of the input. Invariants abort(). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "controller/report.h"
#include "controller/sq.h"

#define GSS                                                                                        \
	"{\"spec\":{\"serviceQualities\":[{\"name\":\"healthy\",\"permanent\":false,"              \
	"\"serviceQualityAction\":[{\"state\":true,\"result\":\"gate\","                           \
	"\"opsState\":\"GateMaintaining\"},{\"state\":false,\"opsState\":\"None\"},"               \
	"{\"state\":true,\"deletionPriority\":\"{{.Result}}\",\"labels\":{\"r\":\"{{.Result}}\"}," \
	"\"annotations\":{\"l\":\"{{if gt .Result 80}}high{{else}}low{{end}}\"}}]},"               \
	"{\"name\":\"once\",\"permanent\":true,\"serviceQualityAction\":[{\"state\":true,"         \
	"\"updatePriority\":3,\"networkDisabled\":true,\"containers\":[{\"name\":\"c\","           \
	"\"image\":\"i:2\"}]}]}]}}"
#define GS                                                                                         \
	"{\"metadata\":{\"name\":\"gs-0\",\"labels\":{\"r\":\"x\"}},\"spec\":{\"opsState\":"       \
	"\"None\",\"containers\":[{\"name\":\"c\",\"image\":\"i:1\"}]},\"status\":{"               \
	"\"serviceQualitiesConditions\":[{\"name\":\"once\",\"status\":\"False\",\"result\":\"\"," \
	"\"lastActionTransitionTime\":\"2024-01-01T00:00:00Z\"}]}}"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_report rep;
	char err[160], *copy, *s;
	int ok, rc;

	rc = rp_parse((const char *)data, size, &rep, err, sizeof(err));
	if (rc == 0) {
		struct sq_result *view = NULL;
		size_t n = 0;

		if (!rep.results || !cJSON_IsArray(rep.results) || !rep.ns[0] || !rep.pod[0] ||
		    !rep.uid[0])
			abort();
		if (rp_results_view(rep.results, &view, &n) == 0) {
			cJSON *gss = cJSON_Parse(GSS), *gs = cJSON_Parse(GS);
			struct sq_outcome out;

			if (n != (size_t)cJSON_GetArraySize(rep.results))
				abort();
			for (size_t i = 0; i < n; i++)
				if (!view[i].name || !view[i].result || view[i].state < -1 ||
				    view[i].state > 1)
					abort();
			if (gss && gs &&
			    sq_evaluate(gss, gs, view, n, "2024-05-01T10:00:00Z", &out) == 0) {
				/* the patches are JSON objects */
				for (int k = 0; k < 2; k++) {
					const char *t = k ? out.status_patch : out.gs_patch;
					cJSON *p = t ? cJSON_Parse(t) : NULL;

					if (t && !cJSON_IsObject(p))
						abort();
					cJSON_Delete(p);
				}
				for (size_t i = 0; i < out.n_events; i++)
					if (!memchr(out.events[i].message, '\0',
						    sizeof(out.events[i].message)))
						abort();
				sq_outcome_free(&out);
			}
			cJSON_Delete(gss);
			cJSON_Delete(gs);
			free(view);
		}
		rp_report_free(&rep);
	} else {
		if (rep.results || !memchr(err, '\0', sizeof(err)) || !err[0])
			abort();
	}

	copy = malloc(size + 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	copy[size] = '\0';

	/* the input as a template, with a fixed result */
	s = sq_render(copy, "42", &ok);
	if (s) {
		if (ok != 0 && ok != 1)
			abort();
		if ((!ok || !strstr(copy, "{{")) && strcmp(s, copy) != 0)
			abort();
		free(s);
	}
	/* the input as a result: data, never template text */
	s = sq_render("{{if ge .Result \"80\"}}high{{else}}<{{.Result}}>{{end}}", copy, &ok);
	if (s) {
		if (!ok)
			abort();
		free(s);
	}
	s = sq_normalize(copy);
	if (s) {
		if (strlen(s) > 1024 || strpbrk(s, "|\n\r"))
			abort();
		free(s);
	}
	free(copy);
	return 0;
}
