/* libFuzzer target for lib/cpack.c. The input is used twice: as packed bytes (decode must
 * refuse or give a tree that packs and unpacks to an equal tree), and as JSON text (a parsed
 * tree must survive a round trip unchanged). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cpack.h"

/* Printed text is compared, not cJSON_Compare: that one is order-blind and trips over
 * duplicate keys, which are legal in a tree. */
static void round_trip(const cJSON *tree)
{
	unsigned char *p = NULL;
	size_t n = 0;
	cJSON *back = NULL;
	char *a, *b;

	if (cpack_encode(tree, &p, &n) != 0)
		return; /* too deep, or out of memory */
	if (cpack_decode(p, n, &back) != 0)
		abort();
	a = cJSON_PrintUnformatted(tree);
	b = cJSON_PrintUnformatted(back);
	if (a && b && strcmp(a, b) != 0)
		abort();
	free(a);
	free(b);
	cJSON_Delete(back);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *tree = NULL;
	char *text;

	if (cpack_decode(data, size, &tree) == 0) {
		round_trip(tree);
		cJSON_Delete(tree);
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';
	tree = cJSON_Parse(text);
	if (tree)
		round_trip(tree);
	cJSON_Delete(tree);
	free(text);
	return 0;
}
