/* proc: the node simulator's processes. A pod is a process group led by a sandbox process
 * (like the pause container); each container is a child in that group. */
#ifndef OKG_NODESIM_PROC_H
#define OKG_NODESIM_PROC_H

#include <sys/types.h>

#include "test/nodesim/podspec.h"

/* Starts a pod sandbox: a placeholder that leads a new process group (pgid == *out). The
 * sandbox dies with the simulator. Returns 0 or -errno. */
int proc_start_sandbox(pid_t *out);

/* Starts container c in process group pgid with stdout and stderr appended to log_path.
 * extra_env ("NAME=value", may be NULL) is added to the container's environment. A container
 * marked idle runs a placeholder. Returns 0, or -errno when the program could not be started
 * (the reason is also written to the log), with msg describing it. */
int proc_start(const struct ps_container *c, pid_t pgid, const char *log_path,
	       const char *extra_env, pid_t *out, char *msg, size_t msglen);

/* Sends sig to pid and every descendant of it (found through /proc). */
void proc_kill_tree(pid_t pid, int sig);

/* Sends sig to the whole process group. */
void proc_kill_group(pid_t pgid, int sig);

#endif
