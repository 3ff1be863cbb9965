/* queue: the controller's work queue of object keys ("namespace/name").
 *
 * A key is queued at most once; a key being processed is never handed to a second worker, and
 * if it is added meanwhile it comes back once the first worker is done. Failed keys return
 * after a per-key exponential backoff. Thread-safe. */
#ifndef OKG_CONTROLLER_QUEUE_H
#define OKG_CONTROLLER_QUEUE_H

#include <stddef.h>

struct wq;

int wq_new(unsigned backoff_base_ms, unsigned backoff_cap_ms, struct wq **out);
void wq_free(struct wq *q); /* NULL-safe */

/* key is copied. */
void wq_add(struct wq *q, const char *key);
void wq_add_after(struct wq *q, const char *key, unsigned delay_ms);

/* Blocks until a key is ready. *key is a new string the caller frees, and must be passed to
 * wq_done() afterwards. Returns 0, or -ECANCELED after wq_shutdown(). */
int wq_get(struct wq *q, char **key);

/* Ends processing of key. ok: forget its failures; else requeue it after its backoff. */
void wq_done(struct wq *q, const char *key, int ok);

void wq_shutdown(struct wq *q);
size_t wq_len(struct wq *q);

#endif
