/* libFuzzer target for the pure parsers of lib/kube.c: kube_parse_status() on the raw bytes
 * (not NUL-terminated), kube_parse_retry_after() and kube_escape() on a NUL-terminated copy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kube.h"

static void terminated(const char *s, size_t n)
{
	if (n && !memchr(s, '\0', n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[64], message[512], small_r[3], small_m[5];
	char esc[96];
	char *copy;
	unsigned ra;
	int e;

	kube_parse_status((const char *)data, size, reason, sizeof(reason), message,
			  sizeof(message));
	terminated(reason, sizeof(reason));
	terminated(message, sizeof(message));
	kube_parse_status((const char *)data, size, small_r, sizeof(small_r), small_m,
			  sizeof(small_m));
	terminated(small_r, sizeof(small_r));
	terminated(small_m, sizeof(small_m));
	kube_parse_status((const char *)data, size, NULL, 0, NULL, 0);
	e = kube_status_to_err(size ? 100 + data[0] * 2 : 0, reason);
	if (e > 0 || (e != 0 && !kube_strerror(e)))
		abort();

	copy = malloc(size + 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	copy[size] = '\0';
	ra = kube_parse_retry_after(copy);
	if (ra > 3600)
		abort();
	if (kube_escape(copy, esc, sizeof(esc)) == 0) {
		/* only unreserved characters and %XX escapes come out */
		for (const char *p = esc; *p; p++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				    "-_.~%",
				    *p))
				abort();
	}
	free(copy);
	return 0;
}
