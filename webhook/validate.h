/* validate: the meaning checks for GameServerSets (game.kruise.io/v1alpha1) that the CRD schema
 * cannot express. Pure: no I/O, no globals; safe from any thread.
 *
 * Every violation is reported, each with its field path, in the API server's words (see
 * fielderr.h). Legal but suspicious specs produce warnings. */
#ifndef OKG_WEBHOOK_VALIDATE_H
#define OKG_WEBHOOK_VALIDATE_H

#include <cjson/cJSON.h>

#include "webhook/fielderr.h"

enum val_op { VAL_CREATE, VAL_UPDATE };

#define VAL_MAX_SECONDS 86400 /* upper bound of probe timings and thresholds */

/* Checks the GameServerSet obj (borrowed). For VAL_UPDATE, old (borrowed) is the stored object:
 * an UPDATE whose spec equals old's spec is never refused (objects admitted before stay
 * updatable, e.g. for labels and finalizers), and metadata.name may not change. Errors and
 * warnings are appended to l. Returns 0 or -ENOMEM (l->err). */
int val_gss(const cJSON *obj, const cJSON *old, enum val_op op, struct fe_list *l);

#endif
