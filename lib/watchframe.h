/* watchframe: the framing of a Kubernetes watch stream, pure (bytes in, events out).
 *
 * A watch response is a sequence of JSON objects, one per line:
 *   {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}
 * The transport hands over arbitrary slices; wf_feed() accepts any split and parses each
 * complete line exactly once. */
#ifndef OKG_WATCHFRAME_H
#define OKG_WATCHFRAME_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "lib/buf.h"

enum wf_type { WF_ADDED, WF_MODIFIED, WF_DELETED, WF_BOOKMARK, WF_ERROR };

/* Called once per event. object is borrowed: valid only during the call (detach or duplicate it
 * to keep it). A non-zero return stops wf_feed(), which returns that value. */
typedef int (*wf_event_fn)(void *ud, enum wf_type type, cJSON *object);

struct wf {
	struct buf line; /* the incomplete line carried between slices */
	size_t events;	 /* events delivered so far */
	char err[160];	 /* the last framing error, for logs */
};

/* max_line caps one event (an object larger than that is refused with -E2BIG). */
void wf_init(struct wf *w, size_t max_line);
void wf_free(struct wf *w);

/* Feeds n bytes. Returns 0, a callback's non-zero value, -EBADMSG for a line that is not a
 * watch event (w->err says why), -E2BIG for an oversized line, or -ENOMEM. */
int wf_feed(struct wf *w, const char *data, size_t n, wf_event_fn fn, void *ud);

/* At end of stream: a complete event without its final newline is delivered; anything else
 * left over is reported as -EBADMSG (the stream was cut). */
int wf_finish(struct wf *w, wf_event_fn fn, void *ud);

const char *wf_type_name(enum wf_type t);

#endif
