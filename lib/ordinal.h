/* ordinal: sets of game-server ordinals and their two text forms.
 *
 * spec.reserveGameServerIds holds ints and "a-b" ranges (inclusive); the annotation
 * game.kruise.io/reserve-ids holds "1,2,5-7,10". A set is a sorted array of unique ordinals,
 * capped so a range such as "0-2000000000" cannot exhaust memory. */
#ifndef OKG_ORDINAL_H
#define OKG_ORDINAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define ORD_MAX_IDS   100000 /* most ordinals a reserve list may expand to */
#define ORD_MAX_VALUE 999999 /* largest ordinal accepted (pod names stay short) */

struct ordset {
	int *v; /* sorted, unique; owned */
	size_t n, cap;
};

void ordset_init(struct ordset *s);
void ordset_free(struct ordset *s);	   /* NULL-safe; leaves an empty set */
int ordset_add(struct ordset *s, int ord); /* 0, -ENOMEM, -E2BIG past ORD_MAX_IDS */
bool ordset_has(const struct ordset *s, int ord);
void ordset_remove(struct ordset *s, int ord);
int ordset_copy(const struct ordset *src, struct ordset *dst);
int ordset_union(struct ordset *dst, const struct ordset *src);	 /* dst |= src */
void ordset_minus(struct ordset *dst, const struct ordset *src); /* dst -= src */
bool ordset_equal(const struct ordset *a, const struct ordset *b);

/* Parses one reserveGameServerIds entry: a whole number >= 0 or a string "a-b" with
 * 0 <= a <= b (spaces around numbers allowed). On error returns -EINVAL and *why says why
 * (a static string suitable after "Invalid value: ...: "). */
int ord_parse_entry(const cJSON *item, int *lo, int *hi, const char **why);

/* Parses a whole reserveGameServerIds array (NULL or missing = empty set) into out.
 * Returns 0, -EINVAL (err names the index: "[2]: ...") or -E2BIG (err says the cap). */
int ord_parse_reserve(const cJSON *arr, struct ordset *out, char *err, size_t errlen);

/* Parses the tolerant annotation form "1-3, 5,7-9"; invalid items are skipped. */
int ord_parse_string(const char *s, struct ordset *out);

/* "1,2,5-7,10" (runs of three or more as ranges). New string, caller frees; NULL on ENOMEM. */
char *ord_to_string(const struct ordset *s);

/* The compact spec form: runs of one or two as ints, longer runs as "a-b". New array. */
cJSON *ord_to_json(const struct ordset *s);

/* The ordinal of a pod or GameServer name "<set>-<n>" for set name set; -1 if not of that set. */
int ord_from_name(const char *name, const char *set);

#endif
