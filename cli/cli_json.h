/* cli_json: type-checked lookups in Kubernetes objects, and plain-text tables. Pure. */
#ifndef OKG_CLI_JSON_H
#define OKG_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* The value at a dotted path ("spec.opsState"), or NULL. Borrowed from obj. */
const cJSON *cli_jget(const cJSON *obj, const char *path);
/* A string at a dotted path, or NULL when absent or not a string. Borrowed. */
const char *cli_jstr(const cJSON *obj, const char *path);
/* A label value of obj, or NULL. Borrowed. */
const char *cli_jlabel(const cJSON *obj, const char *key);
/* An int-or-string value as text into buf ("10"); def when v is absent or another type. */
const char *cli_jintstr(const cJSON *v, char *buf, size_t buflen, const char *def);
/* An integer field (whole number, or a string holding one); def when absent or not one. */
long cli_jint(const cJSON *obj, const char *path, long def);

/* The opsState of a GameServer: spec.opsState, "None" when unset or empty. Borrowed. */
const char *cli_gs_ops_state(const cJSON *gs);

/* The image of container name in pod, from spec.containers (status false) or
 * status.containerStatuses (status true). NULL when the container or its image is unknown. */
const char *cli_pod_image(const cJSON *pod, const char *container, bool status);

/* A table of text cells printed as kubectl does: left-aligned columns three spaces apart. */
struct cli_table {
	size_t ncols;
	size_t nrows; /* the header is row 0 */
	char **cells; /* owned; nrows * ncols */
	size_t cap_rows;
};

/* header: ncols borrowed strings. 0 or -ENOMEM. */
int cli_table_init(struct cli_table *t, const char *const *header, size_t ncols);
/* Adds a row of ncols strings (copied; NULL prints as ""). 0 or -ENOMEM. */
int cli_table_add(struct cli_table *t, const char *const *cells);
void cli_table_print(const struct cli_table *t, FILE *f);
void cli_table_free(struct cli_table *t); /* NULL-safe */

#endif
