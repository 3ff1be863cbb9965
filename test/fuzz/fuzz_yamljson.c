/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for lib/yamljson.c: every entry point that takes text, plus
 * printing the result so a malformed tree would show up under ASan/UBSan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/yamljson.h"

static void yj_fuzz_check_err(const char *err, size_t errlen)
{
	/* The message must be terminated within the buffer and be one line. */
	if (!memchr(err, '\0', errlen) || strchr(err, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	char tiny[5];
	cJSON *out = NULL;
	char *txt;
	int rc;

	/* data is not NUL-terminated; the parser must stay within [0, size). */
	rc = yj_parse((const char *)data, size, &out, err, sizeof(err));
	yj_fuzz_check_err(err, sizeof(err));
	if (rc == 0) {
		if (!out)
			abort();
		txt = cJSON_PrintUnformatted(out);
		free(txt);
		cJSON_Delete(out);
	} else if (out) {
		abort();
	}

	out = NULL;
	rc = yj_parse_all((const char *)data, size, &out, tiny, sizeof(tiny));
	yj_fuzz_check_err(tiny, sizeof(tiny));
	if (rc == 0) {
		if (!cJSON_IsArray(out))
			abort();
		txt = cJSON_PrintUnformatted(out);
		free(txt);
		cJSON_Delete(out);
	} else if (out) {
		abort();
	}
	return 0;
}
