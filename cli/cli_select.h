/* cli_select: the selector and setter values of the command line, and whether one GameServer
 * (with its pod) matches the selectors. Pure.
 *
 * Parsers append to their targets and, on a bad value, return -EINVAL with one line in err that
 * names the flag as the user spelled it ("--select-image: \"x\" is not CONTAINER/IMAGE"). */
#ifndef OKG_CLI_SELECT_H
#define OKG_CLI_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

/* "C/IMAGE[,C/IMAGE...]": split at the first '/' (image references hold slashes themselves). */
int cli_parse_images(const char *flag, const char *v, struct cli_image_sel **arr, size_t *n,
		     char *err, size_t errlen);
/* "k=v,k==v,k!=v,k,!k" (equality-based Kubernetes label selector). */
int cli_parse_labels(const char *flag, const char *v, struct cli_label_req **arr, size_t *n,
		     char *err, size_t errlen);
/* "0,2,5-7": whole numbers and inclusive ranges, 0..ORD_MAX_VALUE. */
int cli_parse_ordinals(const char *flag, const char *v, struct ordset *s, char *err, size_t errlen);
/* "A[,B...]": non-empty words, appended as new strings. */
int cli_parse_words(const char *flag, const char *v, char ***arr, size_t *n, char *err,
		    size_t errlen);
/* true/false (any case). */
int cli_parse_bool(const char *flag, const char *v, bool *out, char *err, size_t errlen);
/* A whole number in the int32 range. */
int cli_parse_int32(const char *flag, const char *v, long *out, char *err, size_t errlen);
/* One of OpenKruiseGame's opsStates (None, WaitToBeDeleted, Maintaining, Allocated, Kill). */
int cli_parse_ops_state(const char *flag, const char *v, char **out, char *err, size_t errlen);

/* Whether gs (with its pod, NULL when it has none) of set gss matches every selector of s.
 * When it does not and why is not NULL, why says the first selector that failed
 * ("opsState is Allocated"). */
bool cli_select_match(const struct cli_select *s, const char *gss, const cJSON *gs,
		      const cJSON *pod, char *why, size_t whylen);

/* Whether any selector needs the pods (the image selectors). */
bool cli_select_needs_pods(const struct cli_select *s);

void cli_select_free(struct cli_select *s); /* NULL-safe; leaves s empty */

#endif
