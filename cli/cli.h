/* cli: the okg command line (`okg`, and `kubectl okg` as a kubectl plugin).
 *
 * Shared types: the parsed command line, selectors and setters, and the exit codes that a
 * workflow step can branch on. Every cli_* module is pure but for cli_kube.c (the API server)
 * and main.c, so arguments, selectors, plans and whole update runs are unit-tested against an
 * in-memory API. */
#ifndef OKG_CLI_H
#define OKG_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/ordinal.h"

/* Exit codes. Stable: workflows and scripts branch on them. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_INTERNAL = 1, /* out of memory, a bug */
	CLI_EXIT_USAGE = 2,    /* bad flag or value, unusable kubeconfig */
	CLI_EXIT_NOSET = 3,    /* a GameServerSet named does not exist */
	CLI_EXIT_EMPTY = 4,    /* the selectors matched no GameServer (and no --allow-empty) */
	CLI_EXIT_API = 5,      /* the API server refused or failed; nothing was changed */
	CLI_EXIT_PARTIAL = 6,  /* some GameServers changed and some did not */
};

enum cli_cmd {
	CLI_CMD_NONE,
	CLI_CMD_HELP,
	CLI_CMD_VERSION,
	CLI_CMD_GET_GS,
	CLI_CMD_GET_GSS,
	CLI_CMD_UPDATE,
};

enum cli_output { CLI_OUT_TABLE, CLI_OUT_JSON };

/* Which image a pod "runs" for the image selectors: the pod's spec (what the seed's release
 * check and GameServers-Updater read; set when the pod is created, so under OnDelete it is the
 * version the server was started with), or what the kubelet reports in
 * status.containerStatuses (the image actually running; differs from spec while an in-place
 * update is pending, and may be normalised, e.g. docker.io/library/...). */
enum cli_image_source { CLI_IMAGE_SPEC, CLI_IMAGE_STATUS };

struct cli_image_sel {
	char *container; /* owned */
	char *image;	 /* owned */
};

enum cli_label_op { CLI_LABEL_EQ, CLI_LABEL_NE, CLI_LABEL_EXISTS, CLI_LABEL_NOT_EXISTS };

struct cli_label_req {
	char *key;   /* owned */
	char *value; /* owned; NULL for EXISTS / NOT_EXISTS */
	enum cli_label_op op;
};

/* Selectors: every one given must hold (AND); within one list flag, see each field. */
struct cli_select {
	char **ops_states; /* owned; spec.opsState ("None" when unset) is one of them */
	size_t n_ops_states;
	struct cli_image_sel *images; /* owned; container C runs image I, for every entry */
	size_t n_images;
	struct cli_image_sel *not_images; /* owned; container C does not run I, for every entry */
	size_t n_not_images;
	struct cli_label_req *labels; /* owned; GameServer labels, every requirement */
	size_t n_labels;
	struct ordset ordinals; /* the ordinal is one of these (when has_ordinals) */
	bool has_ordinals;
	int network_disabled; /* -1: any; else spec.networkDisabled (false when unset) equals it */
	enum cli_image_source image_source;
};

/* Setters: what `okg update` writes into each selected GameServer's spec. */
struct cli_setters {
	char *ops_state; /* owned, or NULL */
	bool has_deletion_priority;
	long deletion_priority;
	bool has_update_priority;
	long update_priority;
	int network_disabled; /* -1: leave; 0 or 1 */
};

struct cli_opts {
	enum cli_cmd cmd;
	const char *prog; /* borrowed: "okg" or "kubectl okg" */
	char *namespace;  /* owned; NULL = the kubeconfig's namespace */
	char *kubeconfig; /* owned; NULL = $KUBECONFIG, in-cluster, ~/.kube/config */
	char **sets;	  /* owned; GameServerSet names (--gss, --gss-name) */
	size_t n_sets;
	bool all_sets; /* --all-sets: every GameServerSet of the namespace */
	char **names;  /* owned; positional object names of `get` */
	size_t n_names;
	struct cli_select sel;
	struct cli_setters set;
	bool dry_run;
	bool allow_empty;
	long max_retries; /* conflict retries per GameServer */
	long timeout_s;	  /* the whole command */
	enum cli_output output;
	char *log_level; /* owned; NULL = "error" */
	bool help;	 /* --help: print the usage of cmd (CLI_CMD_NONE: of every command) */
};

#define CLI_DEFAULT_MAX_RETRIES 5
#define CLI_DEFAULT_TIMEOUT_S	300

#endif
