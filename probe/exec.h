/* exec: running an exec probe inside a game container of the same pod.
 *
 * The pod shares one PID namespace (the webhook sets shareProcessNamespace), so the helper
 * sees every container's processes. A container is recognised by its processes' environment:
 * the webhook gives every container OKG_CONTAINER_NAME=<name> and OKG_POD_UID=<pod uid>. The
 * lowest PID that has both is the container's target process (its first process).
 *
 * The probe runs as a child of the helper that takes the target's context: its mount
 * namespace (setns, needs CAP_SYS_ADMIN and CAP_SYS_CHROOT; when that is refused the helper
 * chroots into /proc/PID/root, needing CAP_SYS_CHROOT, and when that is refused too it runs in
 * its own filesystem and says so once in the log), its working directory, its environment
 * (from /proc/PID/environ; PATH is searched in it), its user, group and supplementary groups
 * (CAP_SETUID, CAP_SETGID), its umask, and no capability the target does not have: the
 * child sets no_new_privs and drops every capability outside target's ∩ helper's. It gets its
 * own process group, /dev/null as stdin, and pipes as stdout and stderr. Between fork and exec
 * only async-signal-safe calls run.
 *
 * Output is read until the command exits (then at most 200 ms more for what is still in the
 * pipes: background processes that keep them open are not waited for) or the timeout. Only
 * the first PR_RESULT_MAX bytes of each stream are kept; the rest is read and dropped, so the
 * command never blocks on a full pipe and the helper never grows. On timeout the whole tree is
 * stopped and killed: the process group, and every descendant found through /proc parent
 * links (those that left the group too). */
#ifndef OKG_PROBE_EXEC_H
#define OKG_PROBE_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "probe/outcome.h"

struct pr_target {
	pid_t pid; /* 0: none known */
	unsigned long long start;
	char container[254]; /* its OKG_CONTAINER_NAME */
};

/* Finds the target process of container (NULL or "": the first game container, i.e. the
 * lowest PID of any container but the helper's own) in the pod whose uid is pod_uid. The
 * helper's own descendants (running probes carry the target's environment) never count.
 * Returns 0 with *t filled, -ESRCH when no process matches, or another negative errno. */
int pr_target_find(const char *container, const char *pod_uid, struct pr_target *t);

/* Is the process t names still alive and still the same process (not a reused PID)? */
bool pr_target_alive(const struct pr_target *t);

struct pr_exec_req {
	char *const *argv; /* NULL-terminated, argv[0] searched in PATH when it has no '/' */
	long timeout_ms;
	pid_t target; /* take this process's context; 0 = the helper's own (tests) */
	unsigned long long target_start; /* its start time (pr_target.start), 0 = unchecked */
	const char *container;		 /* for messages */
	int stop_fd;			 /* readable = stop now (-1: none) */
};

/* Runs the command and fills out: ok = exit code 0; result = stdout cleaned (text.h), or
 * stderr when stdout is empty; message = stderr when stdout was the result; exit_code. */
void pr_exec_run(const struct pr_exec_req *rq, struct pr_outcome *out);

/* Stops and kills child's process tree: its process group (pgid == child) and every
 * descendant reachable through parent links, including those that changed group. The caller
 * still reaps child. */
void pr_kill_tree(pid_t child);

#endif
