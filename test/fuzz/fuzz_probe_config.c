/* libFuzzer target for probe/spec.c: the same bytes as OKG_PROBES (JSON) and as the OKG
 * sidecar's config.yaml. Checks what a parse promises: on success a usable spec (names unique
 * and non-empty, one handler per probe with what it needs, timings and thresholds >= 1), on
 * failure an empty spec and a message. Everything is freed; ASan reports any leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/spec.h"

static void check_probe(const struct pr_probe *p, bool sidecar)
{
	if (!p->name || !p->name[0])
		abort();
	if (p->period < 1 || p->timeout < 1 || p->success_th < 1 || p->failure_th < 1 ||
	    p->initial_delay < 0)
		abort();
	switch (p->kind) {
	case PR_EXEC:
		if (sidecar || !p->argv || p->argc == 0 || !p->argv[0] || !p->argv[0][0] ||
		    p->argv[p->argc])
			abort();
		break;
	case PR_HTTP:
		if (!p->method)
			abort();
		if (sidecar ? !p->url : (!p->path || p->path[0] != '/'))
			abort();
		/* fall through */
	case PR_TCP:
		if (!sidecar && !p->port_name && (p->port < 1 || p->port > 65535))
			abort();
		break;
	default:
		abort();
	}
	for (size_t i = 0; i < p->n_headers; i++) {
		if (strpbrk(p->headers[i].value, "\r\n") || !p->headers[i].name[0])
			abort();
	}
	for (size_t i = 0; i < p->n_markers; i++)
		if (!p->markers[i].state)
			abort();
}

static void check(int r, const struct pr_spec *s, const char *err, size_t errlen)
{
	if (!memchr(err, '\0', errlen))
		abort();
	if (r != 0) {
		if (r > 0 || !err[0] || s->probes || s->n || s->warnings)
			abort();
		return;
	}
	if (s->n == 0 || s->n > PR_MAX_PROBES)
		abort();
	for (size_t i = 0; i < s->n; i++) {
		check_probe(&s->probes[i], s->sidecar);
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->probes[i].name, s->probes[j].name) == 0)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pr_spec s;
	char err[512];
	int r;

	r = pr_spec_parse_probes((const char *)data, size, &s, err, sizeof(err));
	check(r, &s, err, sizeof(err));
	pr_spec_free(&s);
	r = pr_spec_parse_sidecar((const char *)data, size, "fuzz.yaml", &s, err, sizeof(err));
	check(r, &s, err, sizeof(err));
	pr_spec_free(&s);
	return 0;
}
