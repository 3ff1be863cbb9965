/* wjson: a JSON text writer with a sticky error, for the webhook's responses and patches.
 *
 * Responses are small and built on every request, so they are written straight into one capped
 * buffer instead of going through a cJSON tree. Every append is a no-op once an error occurred;
 * the error is reported once, by wj_finish(). Callers place commas themselves. */
#ifndef OKG_WEBHOOK_WJSON_H
#define OKG_WEBHOOK_WJSON_H

#include <stddef.h>

#include "lib/buf.h"

struct wj {
	struct buf b;
	int err; /* first error (-ENOMEM, -E2BIG), sticky */
};

/* Starts an empty writer that refuses to grow past max bytes. */
void wj_init(struct wj *w, size_t max);

/* Releases the text. NULL-safe; the writer may be reused after wj_init(). */
void wj_free(struct wj *w);

/* Appends raw text (must already be valid JSON where JSON is expected). */
void wj_raw(struct wj *w, const char *s);
void wj_rawn(struct wj *w, const char *s, size_t n);

/* Appends s (NUL-terminated, borrowed) as a quoted JSON string, escaping as RFC 8259 requires.
 * Bytes >= 0x80 pass through unchanged (the input is UTF-8 from a JSON parser). */
void wj_str(struct wj *w, const char *s);

/* Appends "key": (a quoted key and a colon). */
void wj_key(struct wj *w, const char *key);

/* Appends a whole number. */
void wj_int(struct wj *w, long long v);

/* Appends the base64 (RFC 4648, padded) encoding of data[0, n), without quotes. */
void wj_base64(struct wj *w, const void *data, size_t n);

/* Appends s as one RFC 6901 JSON Pointer reference token ("~" -> "~0", "/" -> "~1"), without
 * quotes or the leading slash. Characters that need JSON escaping are escaped too, so the result
 * can sit inside a JSON string literal. */
void wj_ptr_token(struct wj *w, const char *s);

/* Appends s as Go's %q would print it: double-quoted, with \" \\ \n \t \r and other control
 * bytes escaped, printable UTF-8 kept. At most max input bytes are shown, then "..." inside the
 * quotes. Used for values in field errors, in the API server's style. */
void wj_goquote(struct wj *w, const char *s, size_t max);

/* On success hands the NUL-terminated text to the caller (*out, caller frees; never NULL) and
 * its length, and empties w. On failure returns the sticky error, frees the text and leaves
 * *out NULL. */
int wj_finish(struct wj *w, char **out, size_t *len);

#endif
