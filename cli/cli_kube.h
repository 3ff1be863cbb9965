/* cli_kube: what the CLI reads from and writes to the API server, behind a two-call interface
 * (GET, merge PATCH) so whole commands run against an in-memory API in the unit tests. */
#ifndef OKG_CLI_KUBE_H
#define OKG_CLI_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "lib/kube.h"

struct cli_api {
	void *ud;
	/* GET path (query included). *out: the parsed answer, caller deletes. Returns 0 or a
	 * negative enum kube_err; on error msg holds the API server's message (or the transport
	 * error), one line. */
	int (*get)(void *ud, const char *path, cJSON **out, char *msg, size_t msglen);
	/* PATCH path with a JSON merge patch. out may be NULL. Same returns as get. */
	int (*patch)(void *ud, const char *path, const char *patch, cJSON **out, char *msg,
		     size_t msglen);
};

/* The API server through kc (borrowed; must outlive api). */
void cli_api_kube(struct kube_client *kc, struct cli_api *api);

#define CLI_GROUP_PATH "/apis/game.kruise.io/v1alpha1"

/* Object or collection paths (name NULL = the collection). 0, or -E2BIG if buf is too small. */
int cli_path(char *buf, size_t buflen, const char *ns, const char *resource, const char *name);

/* Whether s is a DNS-1123 subdomain (a valid object or namespace name). */
bool cli_valid_name(const char *s);

/* Lists a collection, following continue tokens (500 per page, at most 200000 items).
 * label_selector may be NULL. *items: a new array, caller deletes. */
int cli_list(const struct cli_api *api, const char *path, const char *label_selector, cJSON **items,
	     char *msg, size_t msglen);

/* One GameServer with its pod; pointers borrowed from struct cli_data's arrays. */
struct cli_server {
	const char *set;  /* owner-gss label, "" when missing */
	const char *name; /* metadata.name */
	int ord;	  /* ordinal in the set, -1 when the name is not "<set>-<n>" */
	cJSON *gs;
	cJSON *pod; /* NULL when the GameServer has no pod (or pods were not read) */
};

struct cli_data {
	cJSON *sets;	   /* owned array of GameServerSets; NULL when no set was named */
	cJSON *gs;	   /* owned array of GameServers */
	cJSON *pods;	   /* owned array of pods, or NULL */
	cJSON **pod_index; /* owned; the pods sorted by name (items borrowed from pods) */
	size_t n_pods;
	struct cli_server *servers; /* owned; sorted by set, ordinal, name */
	size_t n;
	size_t n_sets;
};

enum cli_scope {
	CLI_SCOPE_NAMED, /* the sets named; each must exist */
	CLI_SCOPE_ALL,	 /* every set of the namespace (at least one must exist) */
	CLI_SCOPE_NONE,	 /* every GameServer of the namespace, sets not read */
};

/* Reads the sets in scope, their GameServers and (want_pods) their pods in namespace ns.
 * Returns 0; KUBE_ENOTFOUND when a named set does not exist (or, for CLI_SCOPE_ALL, there is
 * none), with msg saying which; another enum kube_err with the API server's message. */
int cli_fetch(const struct cli_api *api, const char *ns, enum cli_scope scope, char **sets,
	      size_t n_sets, bool want_pods, struct cli_data *d, char *msg, size_t msglen);
void cli_data_free(struct cli_data *d); /* NULL-safe */

/* The pod named name in d (binary search), or NULL. */
cJSON *cli_data_pod(const struct cli_data *d, const char *name);

#endif
