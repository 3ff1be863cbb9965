/* jparse: a strict RFC 8259 JSON parser that builds read-only cJSON trees in an arena.
 *
 * Why not cJSON_Parse: it allocates every node and string with malloc and scans byte by byte;
 * on a 64 KiB AdmissionReview that was three quarters of the webhook's CPU time per request.
 * Here nodes and strings come from a few large blocks that are dropped at once.
 *
 * The trees are ordinary cJSON structures (children linked as cJSON links them, object keys in
 * ->string), so every read-only cJSON function works on them: GetObjectItemCaseSensitive,
 * GetArraySize, ArrayForEach, Compare, PrintUnformatted, Duplicate. They must never be passed
 * to cJSON_Delete or to functions that add, detach or replace items: the arena owns them.
 *
 * Strictness (what RFC 8259 says; the API server sends nothing else): no trailing commas, no
 * leading zeros or "+", no raw control characters in strings, nothing but white space after
 * the value. Unpaired UTF-16 surrogates in \u escapes become U+FFFD, as Go decodes them;
 * "\u0000" is kept as a NUL byte, so the C string ends there. Nesting is limited to
 * JP_MAX_DEPTH. */
#ifndef OKG_WEBHOOK_JPARSE_H
#define OKG_WEBHOOK_JPARSE_H

#include <stddef.h>
#include <string.h>

#include <cjson/cJSON.h>

#define JP_MAX_DEPTH 512

struct jp_block;

/* Owns every node and string of the trees parsed into it. */
struct jp_arena {
	struct jp_block *blocks; /* owned list, newest first */
	size_t block_size;	 /* size of the next regular block */
};

/* Prepares an empty arena whose first block will hold about hint bytes. */
void jp_arena_init(struct jp_arena *a, size_t hint);

/* Frees every tree parsed into a. NULL-safe; a may be reused after jp_arena_init(). */
void jp_arena_free(struct jp_arena *a);

/* Values the caller never reads, left out of the tree (their syntax is still checked). Each
 * path is a NULL-terminated list of object keys from the root, e.g. {"request", "object",
 * "metadata", "managedFields", NULL}; paths do not go through arrays. At most 32 paths. */
struct jp_opts {
	const char *const *const *drop; /* borrowed */
	size_t n_drop;
};

/* Parses text[0, len) (borrowed, need not be NUL-terminated) into a new tree in a; *out
 * borrows from the arena. o may be NULL. Returns 0, -EINVAL for bad syntax (then *err_off is
 * the byte offset of the problem and *why a static description), -E2BIG when nested deeper than
 * JP_MAX_DEPTH, or -ENOMEM. *out is NULL on error. err_off and why may be NULL. */
int jp_parse(struct jp_arena *a, const char *text, size_t len, const struct jp_opts *o, cJSON **out,
	     size_t *err_off, const char **why);

/* cJSON_GetObjectItemCaseSensitive for hot paths: the member key of o, or NULL when o is not an
 * object or has no such member. Compares the first byte before calling strcmp: most keys of
 * an object differ there. Works on any cJSON tree. */
static inline const cJSON *jp_get(const cJSON *o, const char *key)
{
	const cJSON *c;

	if (!cJSON_IsObject(o))
		return NULL;
	for (c = o->child; c; c = c->next)
		if (c->string && c->string[0] == key[0] && strcmp(c->string, key) == 0)
			return c;
	return NULL;
}

#endif
