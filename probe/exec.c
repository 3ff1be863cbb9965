#include "probe/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "probe/http.h"
#include "probe/procfs.h"
#include "probe/spec.h"

#define DEFAULT_PATH  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DRAIN_MS      200  /* after the command exits, wait this long for the pipes to close */
#define REAP_WAIT_MS  2000 /* after SIGKILL, wait this long for the child to die */
#define MAX_ANCESTRY  64   /* parent links followed when telling our descendants apart */
#define MAX_LATE_REAP 64

extern char **environ;

/* --- finding the target --------------------------------------------------------------------- */

static int read_stat(pid_t pid, struct pr_stat *st)
{
	char path[64], text[1024];
	long n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = pr_read_small(path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	return pr_stat_parse(text, (size_t)n, st);
}

/* Is pid the helper or one of its descendants? */
static bool ours(pid_t pid, pid_t self)
{
	for (int i = 0; i < MAX_ANCESTRY && pid > 1; i++) {
		struct pr_stat st;

		if (pid == self)
			return true;
		if (read_stat(pid, &st) < 0)
			return false;
		pid = st.ppid;
	}
	return pid == self;
}

static pid_t parse_pid(const char *s)
{
	long v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 0x7fffffff / 10)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return (pid_t)v;
}

int pr_target_find(const char *container, const char *pod_uid, struct pr_target *t)
{
	pid_t self = getpid(), best = 0;
	struct pr_target found = {0};
	struct dirent *de;
	DIR *d;

	memset(t, 0, sizeof(*t));
	if (!pod_uid || !pod_uid[0])
		return -EINVAL;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid = parse_pid(de->d_name);
		char path[64], *env = NULL;
		size_t len, vl = 0;
		const char *name;
		struct pr_stat st;

		if (pid <= 0 || pid == self || (best && pid > best))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
		if (pr_read_file(path, PR_MAX_ENVIRON, &env, &len) < 0)
			continue; /* gone, a kernel thread, or not ours to read */
		name = pr_environ_get(env, len, "OKG_CONTAINER_NAME", &vl);
		if (!name || vl == 0 || vl >= sizeof(found.container) ||
		    !pr_environ_has(env, len, "OKG_POD_UID", pod_uid) ||
		    (container && container[0] &&
		     (strlen(container) != vl || memcmp(name, container, vl) != 0)) ||
		    ((!container || !container[0]) && vl == strlen(PR_HELPER_CONTAINER) &&
		     memcmp(name, PR_HELPER_CONTAINER, vl) == 0)) {
			free(env);
			continue;
		}
		memcpy(found.container, name, vl);
		found.container[vl] = '\0';
		free(env);
		if (read_stat(pid, &st) < 0 || st.state == 'Z' || ours(pid, self))
			continue;
		found.pid = pid;
		found.start = st.start;
		best = pid;
		*t = found;
	}
	closedir(d);
	return best ? 0 : -ESRCH;
}

bool pr_target_alive(const struct pr_target *t)
{
	struct pr_stat st;

	return t->pid > 0 && read_stat(t->pid, &st) == 0 && st.start == t->start && st.state != 'Z';
}

/* --- killing a tree --------------------------------------------------------------------------- */

struct pidset {
	pid_t *v;
	size_t n, cap;
};

static bool set_has(const struct pidset *s, pid_t p)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == p)
			return true;
	return false;
}

static int set_add(struct pidset *s, pid_t p)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		pid_t *nv;

		if (nc > 65536)
			return -E2BIG;
		nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = p;
	return 0;
}

/* One pass over /proc: stops and adds every process whose parent is in s. Returns how many
 * were added. */
static size_t stop_children_of(struct pidset *s)
{
	struct dirent *de;
	size_t added = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		pid_t pid = parse_pid(de->d_name);
		struct pr_stat st;

		if (pid <= 1 || set_has(s, pid) || read_stat(pid, &st) < 0 || !set_has(s, st.ppid))
			continue;
		kill(pid, SIGSTOP);
		if (set_add(s, pid) == 0)
			added++;
	}
	closedir(d);
	return added;
}

void pr_kill_tree(pid_t child)
{
	struct pidset s = {0};

	if (child <= 1)
		return;
	/* Stop first, so nothing forks or gets reparented while we look. */
	kill(-child, SIGSTOP);
	kill(child, SIGSTOP);
	if (set_add(&s, child) == 0) {
		for (int round = 0; round < 16 && stop_children_of(&s) > 0; round++)
			;
	}
	for (size_t i = 1; i < s.n; i++)
		kill(s.v[i], SIGKILL);
	kill(-child, SIGKILL);
	kill(child, SIGKILL);
	free(s.v);
}

/* Children that would not die in time: reaped on a later run. */
static pthread_mutex_t late_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t late[MAX_LATE_REAP];

static void late_reap(pid_t add)
{
	pthread_mutex_lock(&late_mu);
	for (size_t i = 0; i < MAX_LATE_REAP; i++) {
		if (late[i] > 0 && waitpid(late[i], NULL, WNOHANG) != 0)
			late[i] = 0;
		if (add > 0 && late[i] == 0) {
			late[i] = add;
			add = 0;
		}
	}
	pthread_mutex_unlock(&late_mu);
	if (add > 0)
		LOG_WARNF("probe_unreaped", "pid=%d", (int)add);
}

/* --- the child ----------------------------------------------------------------------------------
 */

enum stage {
	NOTE_CHROOT = 1, /* setns refused: entered through /proc/PID/root instead */
	NOTE_OWN_FS,	 /* setns and chroot refused: runs in the helper's filesystem */
	FAIL_SETNS,
	FAIL_CHDIR,
	FAIL_IDS,
	FAIL_CAPS,
	FAIL_FDS,
	FAIL_EXEC,
};

struct note {
	int stage;
	int err;
};

/* Everything the child needs, prepared before fork(): after it only async-signal-safe calls
 * run, on memory that is already there. */
struct prep {
	int in_fd, out_fd, err_fd, note_fd;
	int ns_fd, root_fd, cwd_fd; /* -1 when not used */
	bool set_ids;
	uid_t uid;
	gid_t gid;
	gid_t groups[PR_MAX_GROUPS];
	size_t n_groups;
	bool set_caps;
	bool target_root;
	struct __user_cap_data_struct caps[2];
	bool set_umask;
	mode_t umask;
	char *const *argv;
	char **sh_argv; /* "sh", <path>, argv[1..]: for scripts without #! (ENOEXEC) */
	char **envp;
	const char *path; /* PATH to search */
};

static void note(int fd, int stage, int err)
{
	struct note n = {stage, err};
	ssize_t w = write(fd, &n, sizeof(n));

	(void)w;
}

static void try_exec(const struct prep *pp, const char *file)
{
	execve(file, pp->argv, pp->envp);
	if (errno == ENOEXEC) {
		pp->sh_argv[1] = (char *)file;
		execve("/bin/sh", pp->sh_argv, pp->envp);
		errno = ENOEXEC;
	}
}

/* execvp() with the target's PATH, without malloc. Returns the errno to report. */
static int exec_search(const struct prep *pp)
{
	const char *file = pp->argv[0], *p = pp->path;
	size_t fl = strlen(file);
	bool eacces = false;
	int last = ENOENT;

	if (strchr(file, '/')) {
		try_exec(pp, file);
		return errno;
	}
	if (fl > NAME_MAX)
		return ENAMETOOLONG;
	for (;;) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);
		char buf[PATH_MAX];

		if (dl + 1 + fl < sizeof(buf)) {
			if (dl == 0) {
				buf[0] = '.';
				dl = 1;
			} else {
				memcpy(buf, p, dl);
			}
			buf[dl] = '/';
			memcpy(buf + dl + 1, file, fl + 1);
			try_exec(pp, buf);
			switch (errno) {
			case EACCES:
				eacces = true;
				/* fall through */
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
			case ELOOP:
			case ENAMETOOLONG:
				last = errno;
				break;
			default:
				return errno;
			}
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	return eacces ? EACCES : last;
}

static __attribute__((noreturn)) void child(const struct prep *pp)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int e;

	/* Default dispositions (SIGPIPE is ignored in the helper); signals are still blocked. */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);
	setpgid(0, 0);

	if (pp->ns_fd >= 0 && setns(pp->ns_fd, CLONE_NEWNS) < 0) {
		if (errno != EPERM) {
			note(pp->note_fd, FAIL_SETNS, errno);
			_exit(126);
		}
		if (pp->root_fd >= 0 && fchdir(pp->root_fd) == 0 && chroot(".") == 0)
			note(pp->note_fd, NOTE_CHROOT, EPERM);
		else
			note(pp->note_fd, NOTE_OWN_FS, EPERM);
	}
	if (pp->cwd_fd >= 0 && fchdir(pp->cwd_fd) < 0) {
		note(pp->note_fd, FAIL_CHDIR, errno);
		_exit(126);
	}
	if (pp->set_umask)
		umask(pp->umask);
	/* Raw system calls: this process has one thread, and glibc's wrappers would try to
	 * change every thread's ids in a program that once had several. */
	if (pp->set_ids && (syscall(SYS_setgroups, pp->n_groups, pp->groups) < 0 ||
			    syscall(SYS_setresgid, pp->gid, pp->gid, pp->gid) < 0 ||
			    syscall(SYS_setresuid, pp->uid, pp->uid, pp->uid) < 0)) {
		note(pp->note_fd, FAIL_IDS, errno);
		_exit(126);
	}
	/* No capability beyond the target's, now or after exec (no_new_privs caps what a root
	 * execve would otherwise take from the bounding set). */
	if (pp->set_caps) {
		struct __user_cap_data_struct zero[2] = {{0}};

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
		     errno != EINVAL) ||
		    syscall(SYS_capset, &hdr, pp->target_root ? pp->caps : zero) < 0) {
			note(pp->note_fd, FAIL_CAPS, errno);
			_exit(126);
		}
	}
	if (dup2(pp->in_fd, 0) < 0 || dup2(pp->out_fd, 1) < 0 || dup2(pp->err_fd, 2) < 0) {
		note(pp->note_fd, FAIL_FDS, errno);
		_exit(126);
	}
#ifdef SYS_close_range
	/* Everything the helper opens is close-on-exec; this covers what a library might not. */
	syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
#endif
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	e = exec_search(pp);
	note(pp->note_fd, FAIL_EXEC, e);
	_exit(e == ENOENT ? 127 : 126);
}

/* --- the parent ------------------------------------------------------------------------------- */

static atomic_int fallback_logged;

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void fail_out(struct pr_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_out(struct pr_outcome *out, const char *fmt, ...)
{
	va_list ap;

	out->ok = 0;
	va_start(ap, fmt);
	vsnprintf(out->result, sizeof(out->result), fmt, ap);
	va_end(ap);
}

static bool same_groups(const struct pr_status *st)
{
	gid_t mine[PR_MAX_GROUPS];
	int n = getgroups(PR_MAX_GROUPS, mine);

	if (n < 0 || (size_t)n != st->n_groups || st->groups_truncated)
		return false;
	for (size_t i = 0; i < st->n_groups; i++) {
		bool f = false;

		for (int j = 0; j < n; j++)
			f |= mine[j] == st->groups[i];
		if (!f)
			return false;
	}
	return true;
}

/* Takes the target's context into pp. env_text/env_vec/path receive allocations the caller
 * frees. Returns 0, -ESRCH when the target is gone, or another negative errno with why set. */
static int prepare_target(pid_t pid, struct prep *pp, char **env_text, char ***env_vec, char **path,
			  char *why, size_t whylen)
{
	char p[64], status[4096];
	struct pr_status st;
	struct stat a, b;
	size_t len;
	const char *pv;
	size_t pvl = 0;
	long n;
	int r;

	snprintf(p, sizeof(p), "/proc/%d/environ", (int)pid);
	r = pr_read_file(p, PR_MAX_ENVIRON, env_text, &len);
	if (r < 0) {
		snprintf(why, whylen, "reading %s: %s", p, strerror(-r));
		return r == -ENOENT || r == -ESRCH ? -ESRCH : r;
	}
	if (pr_environ_vec(*env_text, len, env_vec) < 0)
		return -ENOMEM;
	pv = pr_environ_get(*env_text, len, "PATH", &pvl);
	*path = pv ? strndup(pv, pvl) : strdup(DEFAULT_PATH);
	if (!*path)
		return -ENOMEM;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	n = pr_read_small(p, status, sizeof(status));
	if (n < 0 || pr_status_parse(status, (size_t)n, &st) < 0) {
		snprintf(why, whylen, "reading %s: %s", p, n < 0 ? strerror((int)-n) : "malformed");
		return n == -ENOENT || n == -ESRCH ? -ESRCH : -EIO;
	}
	snprintf(p, sizeof(p), "/proc/%d/cwd", (int)pid);
	pp->cwd_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pp->cwd_fd < 0) {
		r = -errno;
		snprintf(why, whylen, "opening %s: %s", p, strerror(errno));
		return r == -ENOENT ? -ESRCH : r;
	}
	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)pid);
	pp->ns_fd = open(p, O_RDONLY | O_CLOEXEC);
	if (pp->ns_fd < 0) {
		r = -errno;
		snprintf(why, whylen, "opening %s: %s", p, strerror(errno));
		return r == -ENOENT ? -ESRCH : r;
	}
	if (fstat(pp->ns_fd, &a) == 0 && stat("/proc/self/ns/mnt", &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		close_fd(&pp->ns_fd); /* the same filesystem view already */
	} else {
		snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
		pp->root_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}

	pp->uid = st.uid;
	pp->gid = st.gid;
	memcpy(pp->groups, st.groups, st.n_groups * sizeof(gid_t));
	pp->n_groups = st.n_groups;
	pp->set_ids = st.uid != geteuid() || st.gid != getegid() || !same_groups(&st);
	pp->set_umask = st.has_umask;
	pp->umask = (mode_t)st.umask;
	pp->target_root = st.uid == 0;
	pp->set_caps = true;
	if (pp->target_root) {
		struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
		uint64_t te = st.has_cap_eff ? st.cap_eff : 0;

		if (syscall(SYS_capget, &hdr, pp->caps) < 0) {
			snprintf(why, whylen, "capget: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < 2; i++) {
			uint32_t mask = (uint32_t)(te >> (32 * i));

			pp->caps[i].effective = pp->caps[i].permitted & mask;
			pp->caps[i].permitted &= mask;
			pp->caps[i].inheritable &= mask;
		}
	}
	return 0;
}

/* Reads what is there on *fd into c (at most 1 MiB per call, so a command that writes
 * without pause cannot keep the caller from its deadline); closes *fd at EOF or on error. */
static void drain(int *fd, struct pr_capture *c)
{
	char chunk[4096]; /* small: every touched stack page stays resident */

	for (int i = 0; i < 256; i++) {
		ssize_t k = read(*fd, chunk, sizeof(chunk));

		if (k > 0) {
			pr_capture_feed(c, chunk, (size_t)k);
			if ((size_t)k < sizeof(chunk))
				return;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return;
		close_fd(fd);
		return;
	}
}

static const char *stage_text(int stage)
{
	switch (stage) {
	case FAIL_SETNS:
		return "entering the container's filesystem";
	case FAIL_CHDIR:
		return "entering the working directory";
	case FAIL_IDS:
		return "switching to the container's user";
	case FAIL_CAPS:
		return "dropping capabilities";
	case FAIL_FDS:
		return "setting up stdin/stdout/stderr";
	default:
		return "starting";
	}
}

static int pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

void pr_exec_run(const struct pr_exec_req *rq, struct pr_outcome *out)
{
	struct prep pp = {.in_fd = -1,
			  .out_fd = -1,
			  .err_fd = -1,
			  .note_fd = -1,
			  .ns_fd = -1,
			  .root_fd = -1,
			  .cwd_fd = -1};
	int out_r = -1, err_r = -1, note_r = -1, pidfd = -1;
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, pn[2] = {-1, -1};
	char *env_text = NULL, **env_vec = NULL, *path = NULL, **sh_argv = NULL;
	char so[PR_RESULT_MAX + 1], se[PR_RESULT_MAX + 1], why[300] = "";
	struct pr_capture cout, cerr;
	struct note fail_note = {0};
	sigset_t all, old;
	int64_t deadline, drain_until = 0;
	bool exited = false, timed_out = false, canceled = false;
	size_t argc = 0, note_got = 0;
	char note_buf[sizeof(struct note) * 4];
	struct rusage ru;
	int status = 0, r;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	memset(&ru, 0, sizeof(ru));
	out->cpu_us = -1;
	pr_capture_init(&cout, so, PR_RESULT_MAX);
	pr_capture_init(&cerr, se, PR_RESULT_MAX);
	late_reap(0);
	deadline = pr_now_ms() + (rq->timeout_ms > 0 ? rq->timeout_ms : 1000);

	while (rq->argv[argc])
		argc++;
	sh_argv = calloc(argc + 2, sizeof(char *));
	if (!sh_argv) {
		fail_out(out, "out of memory");
		goto out;
	}
	sh_argv[0] = (char *)"sh";
	for (size_t i = 1; i < argc; i++)
		sh_argv[i + 1] = rq->argv[i];
	pp.sh_argv = sh_argv;
	pp.argv = rq->argv;

	if (rq->target > 0) {
		struct pr_target t = {.pid = rq->target, .start = rq->target_start};

		r = prepare_target(rq->target, &pp, &env_text, &env_vec, &path, why, sizeof(why));
		/* the PID could have been reused between finding it and opening its files */
		if (r == 0 && rq->target_start && !pr_target_alive(&t))
			r = -ESRCH;
		if (r == -ESRCH) {
			if (rq->container && rq->container[0])
				fail_out(out, "container %s is not running", rq->container);
			else
				fail_out(out, "no game container is running");
			goto out;
		}
		if (r < 0) {
			fail_out(out, "cannot enter the container: %s", why);
			goto out;
		}
		pp.envp = env_vec;
		pp.path = path;
	} else {
		const char *pv = getenv("PATH");

		pp.envp = environ;
		path = strdup(pv ? pv : DEFAULT_PATH);
		if (!path) {
			fail_out(out, "out of memory");
			goto out;
		}
		pp.path = path;
	}

	pp.in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (pp.in_fd < 0 || pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 ||
	    pipe2(pn, O_CLOEXEC) < 0) {
		fail_out(out, "cannot start the probe: %s", strerror(errno));
		goto out;
	}
	out_r = po[0];
	err_r = pe[0];
	note_r = pn[0];
	pp.out_fd = po[1];
	pp.err_fd = pe[1];
	pp.note_fd = pn[1];

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child(&pp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		fail_out(out, "cannot start the probe: fork: %s", strerror(errno));
		goto out;
	}
	close_fd(&po[1]);
	close_fd(&pe[1]);
	close_fd(&pn[1]);
	pp.out_fd = pp.err_fd = pp.note_fd = -1;
	setpgid(pid, pid); /* also done by the child: whichever runs first */
	fcntl(out_r, F_SETFL, O_NONBLOCK);
	fcntl(err_r, F_SETFL, O_NONBLOCK);
	pidfd = pidfd_open_compat(pid);

	for (;;) {
		struct pollfd pf[5];
		nfds_t n = 0;
		int i_out = -1, i_err = -1, i_note = -1, i_pid = -1, i_stop = -1;
		int64_t now = pr_now_ms(), until = exited ? drain_until : deadline;
		int wait_ms;

		if (exited && out_r < 0 && err_r < 0)
			break;
		if (now >= until) {
			timed_out = !exited;
			break;
		}
		wait_ms = (int)(until - now);
		if (out_r >= 0) {
			i_out = (int)n;
			pf[n++] = (struct pollfd){.fd = out_r, .events = POLLIN};
		}
		if (err_r >= 0) {
			i_err = (int)n;
			pf[n++] = (struct pollfd){.fd = err_r, .events = POLLIN};
		}
		if (note_r >= 0) {
			i_note = (int)n;
			pf[n++] = (struct pollfd){.fd = note_r, .events = POLLIN};
		}
		if (!exited && pidfd >= 0) {
			i_pid = (int)n;
			pf[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		} else if (!exited && wait_ms > 20) {
			wait_ms = 20; /* no pidfd: look for the exit regularly */
		}
		if (rq->stop_fd >= 0) {
			i_stop = (int)n;
			pf[n++] = (struct pollfd){.fd = rq->stop_fd, .events = POLLIN};
		}
		r = poll(pf, n, wait_ms);
		if (r < 0 && errno != EINTR) {
			timed_out = !exited;
			break;
		}
		if (r > 0 && i_stop >= 0 && pf[i_stop].revents) {
			canceled = true;
			break;
		}
		if (r > 0 && i_out >= 0 && pf[i_out].revents)
			drain(&out_r, &cout);
		if (r > 0 && i_err >= 0 && pf[i_err].revents)
			drain(&err_r, &cerr);
		if (r > 0 && i_note >= 0 && pf[i_note].revents) {
			ssize_t k = read(note_r, note_buf + note_got, sizeof(note_buf) - note_got);

			if (k > 0)
				note_got += (size_t)k;
			else if (k == 0 || errno != EINTR)
				close_fd(&note_r);
			if (note_got == sizeof(note_buf))
				close_fd(&note_r);
		}
		if (!exited && (i_pid < 0 || (r > 0 && pf[i_pid].revents))) {
			pid_t w = wait4(pid, &status, WNOHANG, &ru);

			if (w == pid) {
				exited = true;
				drain_until = pr_now_ms() + DRAIN_MS;
			}
		}
	}
	if (!exited) {
		int64_t end;

		pr_kill_tree(pid);
		end = pr_now_ms() + REAP_WAIT_MS;
		while (!exited && pr_now_ms() < end) {
			if (wait4(pid, &status, WNOHANG, &ru) == pid) {
				exited = true;
				break;
			}
			if (pidfd >= 0) {
				struct pollfd pf = {.fd = pidfd, .events = POLLIN};

				poll(&pf, 1, 50);
			} else {
				usleep(10000);
			}
		}
		if (!exited)
			late_reap(pid);
	}
	/* notes: fallbacks the child took, or why it could not exec */
	if (note_r >= 0) {
		ssize_t k = read(note_r, note_buf + note_got, sizeof(note_buf) - note_got);

		if (k > 0)
			note_got += (size_t)k;
	}
	for (size_t off = 0; off + sizeof(struct note) <= note_got; off += sizeof(struct note)) {
		struct note nt;

		memcpy(&nt, note_buf + off, sizeof(nt));
		if (nt.stage == NOTE_CHROOT || nt.stage == NOTE_OWN_FS) {
			if (atomic_exchange(&fallback_logged, 1) == 0)
				LOG_WARNF("setns_refused",
					  "container=%s fallback=%s detail=\"setns(CLONE_NEWNS): "
					  "%s; grant CAP_SYS_ADMIN and CAP_SYS_CHROOT\"",
					  rq->container ? rq->container : "-",
					  nt.stage == NOTE_CHROOT ? "chroot" : "own-filesystem",
					  strerror(nt.err));
		} else if (!fail_note.stage) {
			fail_note = nt;
		}
	}
	pr_capture_finish(&cout);
	pr_capture_finish(&cerr);
	if (exited)
		out->cpu_us = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
			      (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;

	if (canceled) {
		out->canceled = true;
		fail_out(out, "probe canceled");
		goto out;
	}
	if (timed_out) {
		long s = (rq->timeout_ms + 999) / 1000;

		fail_out(out, "probe timed out after %lds", s);
		pr_text_copy(out->message, sizeof(out->message), cout.len ? so : se);
		goto out;
	}
	if (fail_note.stage) {
		out->has_exit_code = WIFEXITED(status);
		out->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (fail_note.stage == FAIL_EXEC)
			fail_out(out, "cannot run %s: %s", rq->argv[0], strerror(fail_note.err));
		else
			fail_out(out, "cannot run %s: %s: %s", rq->argv[0],
				 stage_text(fail_note.stage), strerror(fail_note.err));
		goto out;
	}
	out->has_exit_code = true;
	if (WIFEXITED(status)) {
		out->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		const char *sn = sigabbrev_np(WTERMSIG(status));

		out->exit_code = 128 + WTERMSIG(status);
		snprintf(out->message, sizeof(out->message), "killed by signal SIG%s",
			 sn ? sn : "?");
	} else {
		out->exit_code = -1;
	}
	out->ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	pr_text_copy(out->result, sizeof(out->result), cout.len ? so : se);
	if (cout.len && cerr.len && !out->message[0])
		pr_text_copy(out->message, sizeof(out->message), se);
out:
	close_fd(&out_r);
	close_fd(&err_r);
	close_fd(&note_r);
	close_fd(&pidfd);
	close_fd(&po[1]);
	close_fd(&pe[1]);
	close_fd(&pn[1]);
	close_fd(&pp.in_fd);
	close_fd(&pp.ns_fd);
	close_fd(&pp.root_fd);
	close_fd(&pp.cwd_fd);
	free(env_vec);
	free(env_text);
	free(path);
	free(sh_argv);
}
