/* cpack: a compact, lossless byte encoding of cJSON trees, for caches that hold many objects.
 *
 * A cJSON tree spends about 80 bytes of heap per node plus an allocation per key and string;
 * a Kubernetes object trimmed to what a controller reads still costs 10-20 KiB that way. The
 * packed form is one allocation: a header byte per node, keys and common values as one-byte
 * references into a built-in dictionary of Kubernetes and okg words, other strings inline with
 * a varint length, integers as zigzag varints. Typical trimmed pods pack to under 1 KiB.
 *
 * Decoding rebuilds an equal tree (same member order, same types; numbers that are integral
 * and fit in 53 bits come back exact, other numbers bit-exact). Dictionary keys come back as
 * constant strings (cJSON_StringIsConst), which cJSON copies and frees correctly. */
#ifndef OKG_CPACK_H
#define OKG_CPACK_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Deepest nesting encoded or decoded; deeper trees are refused with -E2BIG. */
#define CPACK_MAX_DEPTH 64

/* Encodes tree. *out: malloc'ed bytes owned by the caller (free()), *outlen their count.
 * Returns 0, -EINVAL (NULL tree, a node of an unknown type, NaN or infinity), -E2BIG (too deep, or
 * a string longer than 4 GiB) or -ENOMEM. */
int cpack_encode(const cJSON *tree, unsigned char **out, size_t *outlen);

/* Decodes bytes produced by cpack_encode. *out: a new tree owned by the caller
 * (cJSON_Delete()). Malformed or truncated input gives -EINVAL, never a crash. */
int cpack_decode(const unsigned char *data, size_t len, cJSON **out);

#endif
