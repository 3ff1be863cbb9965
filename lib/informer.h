/* informer: a LIST+WATCH cache of one kind of object, kept by its own thread.
 *
 * It lists (in pages), then watches from the list's resourceVersion with bookmarks, re-watches
 * when a stream ends, re-lists on 410 Gone, and backs off with jitter while the API server is
 * away. The cache stays as it was while the server is unreachable; after a re-list, objects
 * that disappeared are reported as deleted. Handlers run on the informer's thread with no lock
 * held; the objects they receive are borrowed for the duration of the call.
 *
 * Objects are cached trimmed (opts.trim) and packed (lib/cpack.h); reads decode a fresh tree.
 * on_add and on_update get the new object as the server sent it; on_update's old object and
 * on_delete's object are the last state the cache held (trimmed), so handlers that keep
 * derived counts subtract exactly what they added. */
#ifndef OKG_INFORMER_H
#define OKG_INFORMER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "lib/kubeconfig.h"

struct inf_handlers {
	void (*on_add)(void *ud, const cJSON *obj);
	void (*on_update)(void *ud, const cJSON *old_obj, const cJSON *obj);
	void (*on_delete)(void *ud, const cJSON *obj);
	/* After every complete list: the cache now mirrors the server. */
	void (*on_synced)(void *ud);
};

struct inf_opts {
	const char *path;	    /* collection path, e.g. "/api/v1/pods" (copied) */
	const char *label_selector; /* optional (copied) */
	const char *field_selector; /* optional (copied) */
	int watch_timeout_s;	    /* server-side timeoutSeconds; 0 = 300..600 randomised */
	int page_size;		    /* list page size, default 500 */
	const char *name;	    /* for logs (copied), default path */
	/* Optional: trims a cached copy in place before it is stored (drop what the cache's
	 * readers never look at, to keep memory per object small). Handlers still receive the
	 * object as the server sent it. */
	void (*trim)(cJSON *obj);
	/* Optional label (copied) whose value is kept beside each cached object, so that
	 * inf_foreach_indexed() decodes only the objects carrying a given value. */
	const char *index_label;
};

struct informer;

/* cfg, opts and handlers are copied; ud is borrowed. *out: inf_free(). */
int inf_new(const struct kube_config *cfg, const struct inf_opts *opts,
	    const struct inf_handlers *handlers, void *ud, struct informer **out);
int inf_start(struct informer *inf);
/* Stops the thread (aborting a watch in progress) and waits for it. Idempotent. */
void inf_stop(struct informer *inf);
void inf_free(struct informer *inf); /* stops first; NULL-safe */

/* True once the first list has completed. */
bool inf_synced(struct informer *inf);
/* True while a watch stream is open (the cache is current). */
bool inf_watching(struct informer *inf);

/* A deep copy of the cached object, or NULL. Caller frees with cJSON_Delete(). */
cJSON *inf_get(struct informer *inf, const char *ns, const char *name);
/* Number of cached objects. */
size_t inf_count(struct informer *inf);
/* Calls fn for each cached object under the cache lock (fn must not call back into inf). The
 * object is decoded for the call and freed after it. */
void inf_foreach(struct informer *inf, void (*fn)(void *ud, const cJSON *obj), void *ud);
/* Calls fn for the cached objects in namespace ns whose opts.index_label has the value
 * index_value (either may be NULL: any); objects not selected are not even decoded. fn gets
 * a fresh tree: returning true keeps it (fn then owns it), false lets it be freed. */
void inf_foreach_indexed(struct informer *inf, const char *ns, const char *index_value,
			 bool (*fn)(void *ud, cJSON *obj), void *ud);

/* Counters for tests and metrics. */
struct inf_stats {
	unsigned long lists, watches, relists_gone, events, errors;
	size_t bytes; /* heap held by the cache entries (packed objects, keys, index values) */
};
void inf_get_stats(struct informer *inf, struct inf_stats *out);

#endif
