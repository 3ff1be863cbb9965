/* text: what a probe printed, made fit for a report. Pure: no I/O, no allocation.
 *
 * A probe's output becomes its result as follows: leading whitespace is skipped, the next
 * PR_RESULT_MAX bytes are kept and everything after them is counted and dropped (so megabytes
 * of output cost no memory), a UTF-8 character cut by the cap is removed, bytes that are not
 * UTF-8 (and NUL) become '?', and trailing whitespace is trimmed. Whitespace is ASCII space,
 * tab, newline, carriage return, vertical tab and form feed. */
#ifndef OKG_PROBE_TEXT_H
#define OKG_PROBE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define PR_RESULT_MAX  1024 /* bytes of a result, without the NUL */
#define PR_MESSAGE_MAX 1024 /* bytes of a message, without the NUL */

struct pr_capture {
	char *buf;  /* borrowed storage of cap + 1 bytes */
	size_t cap; /* bytes kept at most */
	size_t len;
	bool started;		 /* a non-whitespace byte was seen */
	bool truncated;		 /* something after the first cap bytes was dropped */
	unsigned long long seen; /* bytes fed in total */
};

/* storage must hold cap + 1 bytes and outlive the capture. */
void pr_capture_init(struct pr_capture *c, char *storage, size_t cap);

/* Feeds n bytes; never fails, never allocates. */
void pr_capture_feed(struct pr_capture *c, const char *p, size_t n);

/* Cleans what was kept (see above) and NUL-terminates it. Returns c->buf. May be called once. */
const char *pr_capture_finish(struct pr_capture *c);

/* The same cleaning for a whole buffer: at most outlen - 1 bytes of in[0, n) end up in out,
 * NUL-terminated. Returns the length written. outlen must be at least 1. */
size_t pr_text_clean(const char *in, size_t n, char *out, size_t outlen);

/* Copies s into out (outlen >= 1) cut at a UTF-8 character boundary. Returns out. */
char *pr_text_copy(char *out, size_t outlen, const char *s);

#endif
