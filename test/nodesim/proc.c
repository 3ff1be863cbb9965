#include "test/nodesim/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child, before exec: only async-signal-safe calls (the parent has threads). */
static void child_common(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL); /* ignored dispositions survive exec; the simulator ignores it */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

void proc_pod_init(void)
{
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	for (;;) {
		/* SIGCHLD is ignored by default, so pause() would not wake for new orphans:
		 * poll once a second while there is no child to wait for. */
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			sleep(1);
	}
}

int proc_start_sandbox(bool isolate, pid_t *out, bool *isolated)
{
	int ready[2];
	pid_t pid;
	char ok = 0;
	ssize_t got;

	*isolated = false;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(ready[0]);
		close(ready[1]);
		return -e;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		char yes = 1, no = 0;

		setpgid(0, 0);
		child_common();
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		if (isolate && unshare(CLONE_NEWPID | CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
			pid_t init = fork();

			if (init == 0) {
				static char *const argv[] = {"/pause", NULL};

				prctl(PR_SET_PDEATHSIG, SIGKILL);
				/* Re-exec as "/pause", so ps in the pod shows what a real pod
				 * shows rather than the simulator's command line. */
				execv("/proc/self/exe", argv);
				proc_pod_init();
			}
			if (write(ready[1], init > 0 ? &yes : &no, 1) < 0)
				_exit(1);
			/* Stay as the group leader the simulator knows; end with the pod. */
			while (init > 0 && waitpid(init, NULL, 0) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		if (write(ready[1], &no, 1) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	setpgid(pid, pid); /* also in the parent: no race with the first container */
	do {
		got = read(ready[0], &ok, 1);
	} while (got < 0 && errno == EINTR);
	close(ready[0]);
	*isolated = got == 1 && ok == 1;
	*out = pid;
	return 0;
}

/* Opens the namespace files of the sandbox whose namespaces a container joins. */
static int open_pod_ns(pid_t sandbox, int *pidns, int *mntns)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/pid_for_children", (int)sandbox);
	*pidns = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)sandbox);
	*mntns = open(path, O_RDONLY | O_CLOEXEC);
	if (*pidns < 0 || *mntns < 0) {
		int e = errno;

		if (*pidns >= 0)
			close(*pidns);
		if (*mntns >= 0)
			close(*mntns);
		*pidns = *mntns = -1;
		return -e;
	}
	return 0;
}

static char **env_with(char *const *envp, const char *extra)
{
	size_t n = 0;
	char **v;

	while (envp && envp[n])
		n++;
	v = calloc(n + 2, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = envp[i];
	if (extra)
		v[n] = (char *)extra;
	return v;
}

int proc_start(const struct ps_container *c, pid_t pgid, bool isolated, const char *log_path,
	       const char *extra_env, pid_t *out, char *msg, size_t msglen)
{
	static char *const idle_argv[] = {"sleep", "infinity", NULL};
	char *const *argv = c->idle ? idle_argv : c->argv;
	char **envp = NULL;
	int pipefd[2] = {-1, -1}, go[2] = {-1, -1};
	int logfd = -1, child_errno = 0, r = 0;
	int pidns = -1, mntns = -1, selfns = -1;
	struct stat st;
	pid_t pid;
	ssize_t got;

	msg[0] = '\0';
	if (!argv || !argv[0] || !argv[0][0]) {
		snprintf(msg, msglen, "container %s: empty command", c->name);
		return -EINVAL;
	}
	if (c->working_dir && (stat(c->working_dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		snprintf(msg, msglen, "container %s: workingDir %s: no such directory", c->name,
			 c->working_dir);
		return -ENOENT;
	}
	envp = env_with(c->envp, extra_env);
	if (!envp)
		return -ENOMEM;
	logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		r = -errno;
		snprintf(msg, msglen, "container %s: log %s: %s", c->name, log_path, strerror(-r));
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	if (isolated) {
		r = open_pod_ns(pgid, &pidns, &mntns);
		if (r == 0) {
			selfns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
			/* Children of this thread are born in the pod's PID namespace. */
			if (selfns < 0 || setns(pidns, CLONE_NEWPID) < 0)
				r = -errno;
		}
		if (r < 0) {
			snprintf(msg, msglen, "container %s: cannot join the pod's namespaces: %s",
				 c->name, strerror(-r));
			goto out;
		}
	}
	pid = fork();
	if (isolated && setns(selfns, CLONE_NEWPID) < 0 && pid > 0) {
		/* Cannot return to our own namespace: later pods would land in this one. */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		r = -errno;
		snprintf(msg, msglen, "container %s: setns back failed", c->name);
		goto out;
	}
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		int devnull;
		char byte;
		int e;

		child_common();
		/* Wait until the parent has put us in the pod's process group. */
		close(go[1]);
		while (read(go[0], &byte, 1) < 0 && errno == EINTR)
			;
		if (mntns >= 0 && setns(mntns, CLONE_NEWNS) < 0)
			_exit(126);
		devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		/* Nothing of the simulator's (sockets, files) leaks into the game's processes. */
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		if (c->working_dir && chdir(c->working_dir) < 0)
			_exit(127);
		execvpe(argv[0], argv, envp);
		e = errno;
		if (write(pipefd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(pid, pgid);
	close(go[1]); /* releases the child */
	go[1] = -1;
	close(pipefd[1]);
	pipefd[1] = -1;
	/* The pipe closes on a successful exec; otherwise it carries the exec errno. */
	do {
		got = read(pipefd[0], &child_errno, sizeof(child_errno));
	} while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(child_errno)) {
		r = -child_errno;
		snprintf(msg, msglen, "container %s: cannot run %s: %s", c->name, argv[0],
			 strerror(child_errno));
		dprintf(logfd, "okg-nodesim: %s\n", msg);
		waitpid(pid, NULL, 0);
		goto out;
	}
	*out = pid;
out:
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	if (pidns >= 0)
		close(pidns);
	if (mntns >= 0)
		close(mntns);
	if (selfns >= 0)
		close(selfns);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (logfd >= 0)
		close(logfd);
	free(envp);
	return r;
}

/* The parent pid of pid from /proc/PID/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], line[512];
	FILE *f;
	char *close_paren;
	long ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		/* The command name may hold spaces and parentheses: parse after the last ')'. */
		close_paren = strrchr(line, ')');
		if (close_paren && sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
			ppid = -1;
	}
	fclose(f);
	return (pid_t)ppid;
}

static void kill_descendants(pid_t root, int sig, int depth)
{
	DIR *d;
	struct dirent *de;

	if (depth > 32)
		return;
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 1)
			continue;
		if (parent_of((pid_t)pid) == root) {
			kill_descendants((pid_t)pid, sig, depth + 1);
			kill((pid_t)pid, sig);
		}
	}
	closedir(d);
}

void proc_kill_tree(pid_t pid, int sig)
{
	if (pid <= 1)
		return;
	/* Children first: once the parent dies they are re-parented and lost to the walk. */
	kill_descendants(pid, sig, 0);
	kill(pid, sig);
}

void proc_kill_group(pid_t pgid, int sig)
{
	if (pgid > 1)
		kill(-pgid, sig);
}
