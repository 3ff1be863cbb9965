/* proc: the node simulator's processes. A pod is a process group led by a sandbox process
 * (like the pause container); each container is a child in that group. */
#ifndef OKG_NODESIM_PROC_H
#define OKG_NODESIM_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "test/nodesim/podspec.h"

/* Starts a pod sandbox: a placeholder that leads a new process group (pgid == *out). The
 * sandbox dies with the simulator. With isolate, the pod also gets its own PID and mount
 * namespaces (a private /proc), as a pod with shareProcessNamespace has: `ps -ef` in a
 * container shows that pod's processes only. *isolated tells whether that worked (it needs
 * CAP_SYS_ADMIN). Returns 0 or -errno. */
int proc_start_sandbox(bool isolate, pid_t *out, bool *isolated);

/* The pod's init, pid 1 of an isolated pod (main() runs it when started as "/pause"): mounts
 * the pod's own /proc and reaps orphans; when it dies the kernel ends every process of the
 * pod. Never returns. */
void proc_pod_init(void) __attribute__((noreturn));

/* Starts container c in process group pgid with stdout and stderr appended to log_path.
 * When the sandbox is isolated, the container joins its PID and mount namespaces.
 * extra_env ("NAME=value", may be NULL) is added to the container's environment. A container
 * marked idle runs a placeholder. Returns 0, or -errno when the program could not be started
 * (the reason is also written to the log), with msg describing it. */
int proc_start(const struct ps_container *c, pid_t pgid, bool isolated, const char *log_path,
	       const char *extra_env, pid_t *out, char *msg, size_t msglen);

/* Sends sig to pid and every descendant of it (found through /proc). */
void proc_kill_tree(pid_t pid, int sig);

/* Sends sig to the whole process group. */
void proc_kill_group(pid_t pgid, int sig);

#endif
