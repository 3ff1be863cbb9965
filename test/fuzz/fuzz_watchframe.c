/* libFuzzer target for lib/watchframe.c: the same bytes fed whole, in two slices split at a
 * boundary taken from the first byte, and (for small inputs) byte by byte must give the same
 * events and the same result. abort() when they differ. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/watchframe.h"

#define FUZZ_MAX_LINE 4096

struct tally {
	size_t n;
	uint64_t hash; /* over the types and the object sizes, in order */
};

static int on_event(void *ud, enum wf_type type, cJSON *object)
{
	struct tally *t = ud;
	const cJSON *it;
	size_t members = 0;

	if (!cJSON_IsObject(object) || (int)type < WF_ADDED || type > WF_ERROR)
		abort();
	cJSON_ArrayForEach(it, object)
	{
		members++;
	}
	t->n++;
	t->hash = (t->hash ^ ((uint64_t)type << 32 | members)) * 0x100000001b3ULL;
	/* an object with a "stop" member stops the feed, to cover the callback's return path */
	if (cJSON_GetObjectItemCaseSensitive(object, "stop"))
		return 7;
	return 0;
}

struct result {
	int feed, fin;
	size_t events;
	struct tally t;
};

/* Feeds data[0, n) in the given slices (cut points, ascending), then finishes. */
static void run(const char *data, size_t n, const size_t *cuts, size_t ncuts, struct result *out)
{
	struct wf w;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	wf_init(&w, FUZZ_MAX_LINE);
	for (size_t i = 0; i <= ncuts && out->feed == 0; i++) {
		size_t end = cuts && i < ncuts ? cuts[i] : n;

		out->feed = wf_feed(&w, data + pos, end - pos, on_event, &out->t);
		pos = end;
	}
	if (out->feed == 0)
		out->fin = wf_finish(&w, on_event, &out->t);
	out->events = w.events;
	if (!memchr(w.err, '\0', sizeof(w.err)))
		abort();
	if ((out->feed == -EBADMSG || out->feed == -E2BIG || out->fin == -EBADMSG) && !w.err[0])
		abort(); /* a framing error always says why */
	if (w.events != out->t.n)
		abort();
	wf_free(&w);
}

static void same(const struct result *a, const struct result *b)
{
	if (a->feed != b->feed || a->fin != b->fin || a->events != b->events || a->t.n != b->t.n ||
	    a->t.hash != b->t.hash)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, split;
	const char *p;
	size_t n, cut;

	if (size == 0)
		return 0;
	p = (const char *)data + 1;
	n = size - 1;
	cut = data[0] % (n + 1);

	run(p, n, NULL, 0, &whole);
	run(p, n, &cut, 1, &split);
	same(&whole, &split);
	if (n <= 2048) {
		size_t *cuts = malloc((n ? n : 1) * sizeof(*cuts));
		struct result bytes;

		if (!cuts)
			return 0;
		for (size_t i = 1; i < n; i++)
			cuts[i - 1] = i;
		run(p, n, cuts, n ? n - 1 : 0, &bytes);
		same(&whole, &bytes);
		free(cuts);
	}
	return 0;
}
