#include "lib/watchframe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

const char *wf_type_name(enum wf_type t)
{
	if ((int)t < 0 || t > WF_ERROR)
		return "UNKNOWN";
	return type_names[t];
}

void wf_init(struct wf *w, size_t max_line)
{
	buf_init(&w->line, max_line);
	w->events = 0;
	w->err[0] = '\0';
}

void wf_free(struct wf *w)
{
	if (w)
		buf_free(&w->line);
}

static int only_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

static int parse_line(struct wf *w, const char *p, size_t n, wf_event_fn fn, void *ud)
{
	cJSON *root = NULL;
	const cJSON *type;
	cJSON *object;
	const char *end = NULL;
	int t = -1, r;

	if (only_space(p, n))
		return 0;
	root = cJSON_ParseWithLengthOpts(p, n, &end, 0);
	if (!root) {
		snprintf(w->err, sizeof(w->err), "event %zu: not valid JSON", w->events + 1);
		return -EBADMSG;
	}
	if (end && !only_space(end, n - (size_t)(end - p))) {
		snprintf(w->err, sizeof(w->err), "event %zu: trailing bytes after the object",
			 w->events + 1);
		r = -EBADMSG;
		goto out;
	}
	type = cJSON_GetObjectItemCaseSensitive(root, "type");
	object = cJSON_GetObjectItemCaseSensitive(root, "object");
	if (cJSON_IsString(type) && type->valuestring) {
		for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
			if (strcmp(type->valuestring, type_names[i]) == 0)
				t = (int)i;
	}
	if (t < 0) {
		snprintf(w->err, sizeof(w->err), "event %zu: missing or unknown type",
			 w->events + 1);
		r = -EBADMSG;
		goto out;
	}
	if (!cJSON_IsObject(object)) {
		snprintf(w->err, sizeof(w->err), "event %zu (%s): object is not a JSON object",
			 w->events + 1, type_names[t]);
		r = -EBADMSG;
		goto out;
	}
	w->events++;
	r = fn(ud, (enum wf_type)t, object);
out:
	cJSON_Delete(root);
	return r;
}

int wf_feed(struct wf *w, const char *data, size_t n, wf_event_fn fn, void *ud)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) + 1 : n;
		int r;

		if (!nl) {
			r = buf_append(&w->line, data, take);
			if (r == -E2BIG)
				snprintf(w->err, sizeof(w->err), "event longer than %zu bytes",
					 w->line.max);
			return r;
		}
		if (w->line.len == 0 && take - 1 <= w->line.max) {
			/* Fast path: the whole line is in this slice; no copy. */
			r = parse_line(w, data, take - 1, fn, ud);
		} else {
			r = buf_append(&w->line, data, take - 1);
			if (r == -E2BIG)
				snprintf(w->err, sizeof(w->err), "event longer than %zu bytes",
					 w->line.max);
			if (r == 0)
				r = parse_line(w, w->line.data, w->line.len, fn, ud);
			buf_reset(&w->line);
		}
		if (r != 0)
			return r;
		data += take;
		n -= take;
	}
	return 0;
}

int wf_finish(struct wf *w, wf_event_fn fn, void *ud)
{
	int r = 0;

	if (w->line.len && !only_space(w->line.data, w->line.len)) {
		r = parse_line(w, w->line.data, w->line.len, fn, ud);
		if (r == -EBADMSG)
			snprintf(w->err, sizeof(w->err), "stream ended inside an event");
	}
	buf_reset(&w->line);
	return r;
}
