/* buf: a growing byte buffer with a hard cap, always NUL-terminated for convenience. */
#ifndef OKG_BUF_H
#define OKG_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len */
};

/* Initialises an empty buffer that refuses to hold more than max bytes. */
void buf_init(struct buf *b, size_t max);

/* Appends n bytes. Returns 0, -E2BIG past the cap (buffer unchanged) or -ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string. Same returns as buf_append(). */
int buf_append_str(struct buf *b, const char *s);

/* Appends printf-formatted text. Same returns as buf_append(), -EINVAL on a format error. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drops the first n bytes (all of them when n >= len). */
void buf_consume(struct buf *b, size_t n);

/* Empties the buffer and keeps its memory. */
void buf_reset(struct buf *b);

/* Releases the memory; the buffer may be reused after buf_init(). NULL-safe. */
void buf_free(struct buf *b);

/* Hands the data to the caller (caller frees; never NULL unless out of memory) and empties b. */
char *buf_steal(struct buf *b);

#endif
