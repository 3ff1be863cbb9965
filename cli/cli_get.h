/* cli_get: `okg get gs` and `okg get gss`, read-only views of sets and their servers. */
#ifndef OKG_CLI_GET_H
#define OKG_CLI_GET_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/cli_kube.h"

/* The images of a containers array ([{name, image}]): "IMAGE" for one container,
 * "c1=IMAGE1,c2=IMAGE2" for several, "-" for none. New string, caller frees; NULL on ENOMEM. */
char *cli_images_text(const cJSON *containers);

/* status.serviceQualitiesConditions as "name=status/result,..." ("name=status" without a
 * result), "-" when there are none. New string, caller frees; NULL on ENOMEM. */
char *cli_probes_text(const cJSON *gs);

/* One table row (NAME STATE OPSSTATE DP UP IMAGE(S) PROBES) for gs and its pod (may be NULL),
 * images from the pod's spec or status. Adds it to t. 0 or -ENOMEM. */
struct cli_table;
int cli_gs_row(struct cli_table *t, const cJSON *gs, const cJSON *pod, bool status_images);

/* The JSON form of one server: name, gameServerSet, ordinal, state, opsState, priorities,
 * networkDisabled, images {container: image}, probes [{name, status, result}]. New object. */
cJSON *cli_gs_summary(const cJSON *gs, const cJSON *pod, bool status_images);

/* Runs `okg get gs` / `okg get gss`. Returns an enum cli_exit. */
int cli_get_run(const struct cli_opts *o, const struct cli_api *api, const char *ns, FILE *out,
		FILE *err);

#endif
