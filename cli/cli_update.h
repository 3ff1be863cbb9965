/* cli_update: `okg update`, the batch GameServer updater.
 *
 * Selects the GameServers of the sets named (cli_select_match), and writes the setters into
 * each one's spec as a JSON merge patch that carries metadata.resourceVersion, so a GameServer
 * that changed since it was read is never overwritten blindly: a 409 reads it again, checks the
 * selectors again (a server that got a player meanwhile is skipped) and retries, bounded.
 * Output: one line per GameServer changed, skipped or failed, then one summary line; the exit
 * code says whether everything, nothing or part of it was applied (enum cli_exit). */
#ifndef OKG_CLI_UPDATE_H
#define OKG_CLI_UPDATE_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/cli_kube.h"

/* What writing the setters into one GameServer changes. */
struct cli_plan {
	char *patch; /* owned: the merge patch, or NULL when every value is already set */
	char *diff;  /* owned: "opsState None -> WaitToBeDeleted, deletionPriority 0 -> 10" */
};

/* Plans set for gs (borrowed). Returns 0 (p->patch NULL: nothing to change), -EINVAL when gs
 * has no metadata.name, or -ENOMEM. Free p with cli_plan_free() on every path. */
int cli_plan_gs(const struct cli_setters *set, const cJSON *gs, struct cli_plan *p);
void cli_plan_free(struct cli_plan *p); /* NULL-safe */

/* Runs `okg update` for o in namespace ns through api. Per-server lines and the summary go to
 * out, the closing error line (exit codes 2..6) to err. Returns an enum cli_exit. */
int cli_update_run(const struct cli_opts *o, const struct cli_api *api, const char *ns, FILE *out,
		   FILE *err);

#endif
