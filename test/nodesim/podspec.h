/* podspec: the node simulator's pure half. It reads a Pod into the processes to run and
 * writes the Pod status the simulator reports; no I/O, so it is unit-tested directly. */
#ifndef OKG_NODESIM_PODSPEC_H
#define OKG_NODESIM_PODSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

/* A rule of the simulator config: containers whose image matches pattern (fnmatch) and that
 * declare no command run argv instead (the container's args are appended). */
struct ps_image_rule {
	char *pattern;
	char **argv;	   /* NULL-terminated */
	char *working_dir; /* optional */
};

struct ps_image_map {
	struct ps_image_rule *rules;
	size_t n;
};

/* Reads {"images":[{"image":PATTERN,"command":[...],"workingDir":DIR}]} (JSON or YAML text
 * already parsed; doc borrowed). Errors name the entry: "images[2].command: ...". */
int ps_image_map_from_doc(const cJSON *doc, struct ps_image_map *out, char *err, size_t errlen);
int ps_image_map_load(const char *path, struct ps_image_map *out, char *err, size_t errlen);
void ps_image_map_free(struct ps_image_map *m);

struct ps_container {
	char *name;
	char *image;
	char **argv;	   /* NULL-terminated; argv[0] resolved through PATH at exec time */
	bool idle;	   /* no command anywhere: run a placeholder */
	char **envp;	   /* NULL-terminated "NAME=value" */
	char *working_dir; /* or NULL */
};

struct ps_pod {
	char *uid, *ns, *name;
	char *node;	      /* spec.nodeName or NULL */
	char *scheduler;      /* spec.schedulerName or "default-scheduler" */
	char *restart_policy; /* Always, OnFailure, Never */
	long grace_s;	      /* deletion grace: metadata.deletionGracePeriodSeconds, else spec */
	bool deleting;	      /* metadata.deletionTimestamp set */
	char *phase;	      /* status.phase or NULL */
	struct ps_container *c;
	size_t nc;
};

/* Parses pod (borrowed) with the values the simulator assigns (pod_ip, host_ip). map may be
 * NULL. Containers' env (value and fieldRef valueFrom) and $(VAR) references in command and
 * args are resolved as the kubelet does. *out: ps_pod_free(). */
int ps_pod_parse(const cJSON *pod, const struct ps_image_map *map, const char *pod_ip,
		 const char *host_ip, struct ps_pod *out, char *err, size_t errlen);
void ps_pod_free(struct ps_pod *p);

/* Expands $(NAME) from envp ("$$" gives "$", unknown references stay as written). Returns a
 * new string (caller frees) or NULL on out-of-memory. */
char *ps_expand(const char *s, char *const *envp);

enum ps_cstate_kind { PS_WAITING, PS_RUNNING, PS_TERMINATED };

struct ps_term {
	int exit_code;
	int signal;
	const char *reason; /* "Completed", "Error", ... */
	time_t started_at, finished_at;
	char container_id[96];
};

struct ps_cstate {
	const char *name, *image;
	enum ps_cstate_kind kind;
	bool ready;
	int restart_count;
	time_t started_at;	 /* running */
	const char *wait_reason; /* waiting: "ContainerCreating", "CrashLoopBackOff", ... */
	const char *wait_message;
	struct ps_term term; /* terminated (kind == PS_TERMINATED) */
	bool has_last;
	struct ps_term last; /* lastState.terminated */
	char container_id[96];
};

/* The pod phase from its containers and restart policy. */
const char *ps_phase(const struct ps_cstate *c, size_t nc, const char *restart_policy);

struct ps_status_in {
	const char *phase;
	const char *pod_ip, *host_ip;
	time_t start_time;
	bool ready;
	time_t ready_changed; /* lastTransitionTime of Ready / ContainersReady */
	const struct ps_cstate *c;
	size_t nc;
};

/* The merge patch for the status subresource: {"status":{...}}. New string; caller frees with
 * free(). NULL on out-of-memory. */
char *ps_status_patch(const struct ps_status_in *in);

/* RFC 3339 UTC time ("2026-11-22T05:10:00Z") into out (>= 21 bytes). */
void ps_time(time_t t, char *out, size_t outlen);

#endif
