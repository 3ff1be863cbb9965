#include "lib/informer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/backoff.h"
#include "lib/buf.h"
#include "lib/cpack.h"
#include "lib/kube.h"
#include "lib/log.h"

/* The cache: a chained hash table from "namespace/name" to an object, kept packed (lib/cpack.h):
 * a cJSON tree costs 10-20 times the bytes, and tens of thousands of objects are cached. */
struct entry {
	char *key;
	unsigned char *packed; /* the (trimmed) object, cpack-encoded */
	size_t plen;
	char *index_value; /* value of opts.index_label, or NULL */
	size_t bytes;	   /* what this entry holds on the heap */
	unsigned mark;	   /* generation of the last list that saw it */
	struct entry *next;
};

struct informer {
	struct kube_config cfg;
	struct inf_opts opts;
	struct inf_handlers h;
	void *ud;
	pthread_t thread;
	bool running;
	volatile int stop;
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets, count;
	unsigned generation;
	char resource_version[128];
	atomic_bool synced, watching;
	struct inf_stats stats;
};

/* Heap bytes of one allocation: malloc adds about 16 bytes of bookkeeping, rounded to 16. */
static size_t alloc_size(size_t n)
{
	return (n + 16 + 15) & ~(size_t)15;
}

static void entry_free(struct entry *e)
{
	if (!e)
		return;
	free(e->key);
	free(e->packed);
	free(e->index_value);
	free(e);
}

/* The cached object as a new tree (caller deletes), or NULL when out of memory. */
static cJSON *entry_object(struct informer *inf, const struct entry *e)
{
	cJSON *o = NULL;

	if (cpack_decode(e->packed, e->plen, &o) < 0) {
		inf->stats.errors++;
		return NULL;
	}
	return o;
}

static unsigned long hash_key(const char *s)
{
	unsigned long h = 1469598103934665603UL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211UL;
	return h;
}

static const char *meta_str(const cJSON *obj, const char *field)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, field);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int object_key(const cJSON *obj, char *out, size_t outlen)
{
	const char *ns = meta_str(obj, "namespace");
	const char *name = meta_str(obj, "name");
	int n;

	if (!name)
		return -EINVAL;
	n = snprintf(out, outlen, "%s/%s", ns ? ns : "", name);
	return n < 0 || (size_t)n >= outlen ? -E2BIG : 0;
}

static struct entry **find_slot(struct informer *inf, const char *key)
{
	struct entry **pp = &inf->buckets[hash_key(key) % inf->nbuckets];

	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

static int grow(struct informer *inf)
{
	size_t n = inf->nbuckets * 2;
	struct entry **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	for (size_t i = 0; i < inf->nbuckets; i++) {
		struct entry *e = inf->buckets[i];

		while (e) {
			struct entry *next = e->next;
			size_t b = hash_key(e->key) % n;

			e->next = nb[b];
			nb[b] = e;
			e = next;
		}
	}
	free(inf->buckets);
	inf->buckets = nb;
	inf->nbuckets = n;
	return 0;
}

static const char *label_of(const cJSON *obj, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *v =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "labels"), key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Stores a packed copy of obj (trimmed first); returns the entry it replaced, if any, through
 * *old (caller frees with entry_free()). */
static int store_put(struct informer *inf, const cJSON *obj, struct entry **old)
{
	char key[512];
	struct entry **pp, *e;
	cJSON *copy;
	const char *idx;
	int r;

	*old = NULL;
	if (object_key(obj, key, sizeof(key)) < 0)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->key = strdup(key);
	idx = inf->opts.index_label ? label_of(obj, inf->opts.index_label) : NULL;
	e->index_value = idx ? strdup(idx) : NULL;
	copy = inf->opts.trim ? cJSON_Duplicate(obj, 1) : NULL;
	if (copy)
		inf->opts.trim(copy);
	r = !e->key || (idx && !e->index_value) || (inf->opts.trim && !copy)
		? -ENOMEM
		: cpack_encode(copy ? copy : obj, &e->packed, &e->plen);
	cJSON_Delete(copy);
	if (r < 0) {
		entry_free(e);
		return r;
	}
	e->bytes = alloc_size(sizeof(*e)) + alloc_size(strlen(key) + 1) + alloc_size(e->plen) +
		   (e->index_value ? alloc_size(strlen(e->index_value) + 1) : 0);
	pthread_mutex_lock(&inf->lock);
	e->mark = inf->generation;
	pp = find_slot(inf, key);
	if (*pp) {
		*old = *pp;
		e->next = (*pp)->next;
		inf->stats.bytes -= (*pp)->bytes;
	} else {
		inf->count++;
	}
	*pp = e;
	inf->stats.bytes += e->bytes;
	if (!*old && inf->count > inf->nbuckets * 2)
		grow(inf); /* a failed grow only makes chains longer */
	pthread_mutex_unlock(&inf->lock);
	return 0;
}

/* Unlinks the object's entry and returns it (caller frees), or NULL. */
static struct entry *store_remove(struct informer *inf, const cJSON *obj)
{
	char key[512];
	struct entry **pp, *e;

	if (object_key(obj, key, sizeof(key)) < 0)
		return NULL;
	pthread_mutex_lock(&inf->lock);
	pp = find_slot(inf, key);
	e = *pp;
	if (e) {
		*pp = e->next;
		inf->stats.bytes -= e->bytes;
		inf->count--;
	}
	pthread_mutex_unlock(&inf->lock);
	return e;
}

static void deliver_upsert(struct informer *inf, const cJSON *obj)
{
	struct entry *old_e = NULL;

	if (store_put(inf, obj, &old_e) < 0) {
		inf->stats.errors++;
		return;
	}
	if (old_e) {
		cJSON *old = inf->h.on_update ? entry_object(inf, old_e) : NULL;
		const char *a = meta_str(old, "resourceVersion");
		const char *b = meta_str(obj, "resourceVersion");

		/* A re-list sees unchanged objects again: no update for those. */
		if (old && !(a && b && strcmp(a, b) == 0))
			inf->h.on_update(inf->ud, old, obj);
		cJSON_Delete(old);
		entry_free(old_e);
	} else if (inf->h.on_add) {
		inf->h.on_add(inf->ud, obj);
	}
}

static void deliver_delete(struct informer *inf, const cJSON *obj)
{
	struct entry *old_e = store_remove(inf, obj);
	cJSON *old = old_e && inf->h.on_delete ? entry_object(inf, old_e) : NULL;

	if (inf->h.on_delete)
		inf->h.on_delete(inf->ud, old ? old : obj);
	cJSON_Delete(old);
	entry_free(old_e);
}

/* After a list: objects the list did not see were deleted while we were not watching. */
static void sweep_unmarked(struct informer *inf)
{
	for (;;) {
		struct entry *gone = NULL;
		cJSON *obj;

		pthread_mutex_lock(&inf->lock);
		for (size_t i = 0; i < inf->nbuckets && !gone; i++) {
			for (struct entry **pp = &inf->buckets[i]; *pp; pp = &(*pp)->next) {
				struct entry *e = *pp;

				if (e->mark != inf->generation) {
					*pp = e->next;
					gone = e;
					inf->stats.bytes -= e->bytes;
					inf->count--;
					break;
				}
			}
		}
		pthread_mutex_unlock(&inf->lock);
		if (!gone)
			return;
		obj = inf->h.on_delete ? entry_object(inf, gone) : NULL;
		if (obj)
			inf->h.on_delete(inf->ud, obj);
		cJSON_Delete(obj);
		entry_free(gone);
	}
}

static int build_path(struct informer *inf, struct buf *b, bool watch, const char *cont)
{
	char esc[1024];
	char sep = strchr(inf->opts.path, '?') ? '&' : '?';
	int r = buf_printf(b, "%s", inf->opts.path);

	if (r == 0 && inf->opts.label_selector &&
	    kube_escape(inf->opts.label_selector, esc, sizeof(esc)) == 0) {
		r = buf_printf(b, "%clabelSelector=%s", sep, esc);
		sep = '&';
	}
	if (r == 0 && inf->opts.field_selector &&
	    kube_escape(inf->opts.field_selector, esc, sizeof(esc)) == 0) {
		r = buf_printf(b, "%cfieldSelector=%s", sep, esc);
		sep = '&';
	}
	if (r == 0 && watch) {
		int t = inf->opts.watch_timeout_s;

		if (t <= 0) {
			struct backoff rng;

			backoff_init(&rng, 1, 1, 0);
			t = 300 + (int)backoff_rand(&rng, 300);
		}
		kube_escape(inf->resource_version, esc, sizeof(esc));
		r = buf_printf(b,
			       "%cwatch=1&allowWatchBookmarks=true&timeoutSeconds=%d"
			       "&resourceVersion=%s",
			       sep, t, esc);
	} else if (r == 0) {
		r = buf_printf(b, "%climit=%d", sep, inf->opts.page_size);
		if (r == 0 && cont && kube_escape(cont, esc, sizeof(esc)) == 0)
			r = buf_printf(b, "&continue=%s", esc);
	}
	return r;
}

/* LIST in pages; returns 0 and sets resource_version, or a KUBE_E* code. */
static int do_list(struct informer *inf, struct kube_client *kc)
{
	char *cont = NULL;
	int r = 0;

	inf->generation++;
	for (;;) {
		struct buf path;
		struct kube_resp resp;
		cJSON *list = NULL;
		const cJSON *items, *it, *meta, *rv, *c;

		buf_init(&path, 8192);
		r = build_path(inf, &path, false, cont);
		if (r < 0) {
			buf_free(&path);
			r = KUBE_ECONFIG;
			break;
		}
		r = kube_get(kc, path.data, &list, &resp);
		buf_free(&path);
		if (r < 0) {
			char q[600];

			LOG_WARNF("list_failed", "informer=%s status=%ld err=%s message=%s",
				  inf->opts.name, resp.status, kube_strerror(r),
				  log_quote(resp.message, q, sizeof(q)));
			kube_resp_free(&resp);
			break;
		}
		kube_resp_free(&resp);
		items = cJSON_GetObjectItemCaseSensitive(list, "items");
		cJSON_ArrayForEach(it, items)
		{
			deliver_upsert(inf, it);
		}
		meta = cJSON_GetObjectItemCaseSensitive(list, "metadata");
		rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
		c = cJSON_GetObjectItemCaseSensitive(meta, "continue");
		if (cJSON_IsString(rv) && rv->valuestring)
			snprintf(inf->resource_version, sizeof(inf->resource_version), "%s",
				 rv->valuestring);
		free(cont);
		cont = NULL;
		if (cJSON_IsString(c) && c->valuestring && c->valuestring[0]) {
			cont = strdup(c->valuestring);
			cJSON_Delete(list);
			if (!cont) {
				r = KUBE_ENOMEM;
				break;
			}
			continue;
		}
		cJSON_Delete(list);
		break;
	}
	free(cont);
	if (r == 0) {
		inf->stats.lists++;
		sweep_unmarked(inf);
		atomic_store(&inf->synced, true);
		if (inf->h.on_synced)
			inf->h.on_synced(inf->ud);
	}
	return r;
}

static int on_watch_event(void *ud, enum wf_type type, cJSON *obj)
{
	struct informer *inf = ud;
	const char *rv = meta_str(obj, "resourceVersion");

	inf->stats.events++;
	switch (type) {
	case WF_ADDED:
	case WF_MODIFIED:
		deliver_upsert(inf, obj);
		break;
	case WF_DELETED:
		deliver_delete(inf, obj);
		break;
	case WF_BOOKMARK:
		break;
	case WF_ERROR: {
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(obj, "message");
		char q[600];

		LOG_WARNF("watch_error_event", "informer=%s message=%s", inf->opts.name,
			  log_quote(cJSON_IsString(msg) ? msg->valuestring : "", q, sizeof(q)));
		return KUBE_ESERVER; /* re-watch from the last good version */
	}
	}
	if (rv && type != WF_ERROR)
		snprintf(inf->resource_version, sizeof(inf->resource_version), "%s", rv);
	return 0;
}

static void *inf_thread(void *arg)
{
	struct informer *inf = arg;
	struct kube_client *kc = NULL;
	struct kube_client_opts ko = {.stop = &inf->stop, .user_agent = "okg-informer"};
	struct backoff bo;
	bool need_list = true;
	int r;

	backoff_init(&bo, 250, 15000, 0);
	r = kube_client_new(&inf->cfg, &ko, &kc);
	if (r < 0) {
		LOG_ERRORF("informer_failed", "informer=%s err=%s", inf->opts.name,
			   kube_strerror(r));
		return NULL;
	}
	while (!inf->stop) {
		if (need_list) {
			r = do_list(inf, kc);
			if (r < 0) {
				inf->stats.errors++;
				if (r != KUBE_ECANCELED)
					backoff_sleep_ms(backoff_next_ms(&bo));
				continue;
			}
			need_list = false;
			LOG_INFOF("listed", "informer=%s objects=%zu rv=%s", inf->opts.name,
				  inf_count(inf), inf->resource_version);
		}
		{
			struct buf path;
			struct kube_resp resp;
			int t = inf->opts.watch_timeout_s > 0 ? inf->opts.watch_timeout_s : 600;

			buf_init(&path, 8192);
			if (build_path(inf, &path, true, NULL) < 0) {
				buf_free(&path);
				break;
			}
			atomic_store(&inf->watching, true);
			inf->stats.watches++;
			r = kube_watch(kc, path.data, t + 30, on_watch_event, inf, &resp);
			atomic_store(&inf->watching, false);
			buf_free(&path);
			if (r == 0) {
				backoff_reset(&bo);
			} else if (r == KUBE_EGONE) {
				LOG_INFOF("watch_expired", "informer=%s action=relist",
					  inf->opts.name);
				inf->stats.relists_gone++;
				need_list = true;
			} else if (r != KUBE_ECANCELED) {
				char q[600];

				inf->stats.errors++;
				LOG_WARNF("watch_failed",
					  "informer=%s status=%ld err=%s message=%s",
					  inf->opts.name, resp.status, kube_strerror(r),
					  log_quote(resp.message, q, sizeof(q)));
				backoff_sleep_ms(backoff_next_ms(&bo));
			}
			kube_resp_free(&resp);
		}
	}
	kube_client_free(kc);
	return NULL;
}

static char *dup_or_null(const char *s, bool *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

int inf_new(const struct kube_config *cfg, const struct inf_opts *opts,
	    const struct inf_handlers *handlers, void *ud, struct informer **out)
{
	struct informer *inf;
	bool fail = false;

	*out = NULL;
	if (!opts || !opts->path)
		return -EINVAL;
	inf = calloc(1, sizeof(*inf));
	if (!inf)
		return -ENOMEM;
	pthread_mutex_init(&inf->lock, NULL);
	inf->nbuckets = 64;
	inf->buckets = calloc(inf->nbuckets, sizeof(*inf->buckets));
	if (!inf->buckets || kcfg_copy(cfg, &inf->cfg) < 0) {
		inf_free(inf);
		return -ENOMEM;
	}
	inf->opts = *opts;
	inf->opts.path = dup_or_null(opts->path, &fail);
	inf->opts.label_selector = dup_or_null(opts->label_selector, &fail);
	inf->opts.field_selector = dup_or_null(opts->field_selector, &fail);
	inf->opts.name = dup_or_null(opts->name ? opts->name : opts->path, &fail);
	inf->opts.index_label = dup_or_null(opts->index_label, &fail);
	if (inf->opts.page_size <= 0)
		inf->opts.page_size = 500;
	if (handlers)
		inf->h = *handlers;
	inf->ud = ud;
	if (fail) {
		inf_free(inf);
		return -ENOMEM;
	}
	*out = inf;
	return 0;
}

int inf_start(struct informer *inf)
{
	if (inf->running)
		return -EALREADY;
	inf->stop = 0;
	if (pthread_create(&inf->thread, NULL, inf_thread, inf) != 0)
		return -EAGAIN;
	inf->running = true;
	return 0;
}

void inf_stop(struct informer *inf)
{
	if (!inf || !inf->running)
		return;
	inf->stop = 1;
	pthread_join(inf->thread, NULL);
	inf->running = false;
}

void inf_free(struct informer *inf)
{
	if (!inf)
		return;
	inf_stop(inf);
	if (inf->buckets) {
		for (size_t i = 0; i < inf->nbuckets; i++) {
			struct entry *e = inf->buckets[i];

			while (e) {
				struct entry *next = e->next;

				entry_free(e);
				e = next;
			}
		}
		free(inf->buckets);
	}
	free((char *)inf->opts.path);
	free((char *)inf->opts.label_selector);
	free((char *)inf->opts.field_selector);
	free((char *)inf->opts.name);
	free((char *)inf->opts.index_label);
	kcfg_free(&inf->cfg);
	pthread_mutex_destroy(&inf->lock);
	free(inf);
}

bool inf_synced(struct informer *inf)
{
	return atomic_load(&inf->synced);
}

bool inf_watching(struct informer *inf)
{
	return atomic_load(&inf->watching);
}

cJSON *inf_get(struct informer *inf, const char *ns, const char *name)
{
	char key[512];
	struct entry **pp;
	cJSON *copy = NULL;
	int n = snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);

	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	pthread_mutex_lock(&inf->lock);
	pp = find_slot(inf, key);
	if (*pp)
		copy = entry_object(inf, *pp);
	pthread_mutex_unlock(&inf->lock);
	return copy;
}

size_t inf_count(struct informer *inf)
{
	size_t n;

	pthread_mutex_lock(&inf->lock);
	n = inf->count;
	pthread_mutex_unlock(&inf->lock);
	return n;
}

void inf_foreach(struct informer *inf, void (*fn)(void *ud, const cJSON *obj), void *ud)
{
	pthread_mutex_lock(&inf->lock);
	for (size_t i = 0; i < inf->nbuckets; i++)
		for (struct entry *e = inf->buckets[i]; e; e = e->next) {
			cJSON *o = entry_object(inf, e);

			if (o)
				fn(ud, o);
			cJSON_Delete(o);
		}
	pthread_mutex_unlock(&inf->lock);
}

void inf_foreach_indexed(struct informer *inf, const char *ns, const char *index_value,
			 bool (*fn)(void *ud, cJSON *obj), void *ud)
{
	size_t nslen = ns ? strlen(ns) : 0;

	pthread_mutex_lock(&inf->lock);
	for (size_t i = 0; i < inf->nbuckets; i++)
		for (struct entry *e = inf->buckets[i]; e; e = e->next) {
			cJSON *o;

			if (ns && (strncmp(e->key, ns, nslen) != 0 || e->key[nslen] != '/'))
				continue;
			if (index_value &&
			    (!e->index_value || strcmp(e->index_value, index_value) != 0))
				continue;
			o = entry_object(inf, e);
			if (o && !fn(ud, o))
				cJSON_Delete(o);
		}
	pthread_mutex_unlock(&inf->lock);
}

void inf_get_stats(struct informer *inf, struct inf_stats *out)
{
	pthread_mutex_lock(&inf->lock);
	*out = inf->stats;
	pthread_mutex_unlock(&inf->lock);
}
