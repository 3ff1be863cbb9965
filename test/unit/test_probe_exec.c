/* Unit tests for probe/exec.c, for real: scripts under /bin/sh, targets spawned here with the
 * webhook's environment variables, timeouts that must kill whole process trees. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe/exec.h"
#include "probe/http.h"
#include "probe/procfs.h"
#include "probe/run.h"

static char tmpdir[128];
static char pod_uid[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/okg-probe-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(pod_uid, sizeof(pod_uid), "test-pod-%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "umount -q %s/m 2>/dev/null; rm -rf %s", tmpdir, tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void run(const char *const *argv, long timeout_ms, pid_t target, struct pr_outcome *out)
{
	struct pr_exec_req rq = {.argv = (char *const *)argv,
				 .timeout_ms = timeout_ms,
				 .target = target,
				 .container = "game",
				 .stop_fd = -1};

	pr_exec_run(&rq, out);
}

static void sh(const char *script, long timeout_ms, struct pr_outcome *out)
{
	const char *argv[] = {"/bin/sh", "-c", script, NULL};

	run(argv, timeout_ms, 0, out);
}

/* Is pid gone (or a zombie nobody reaped yet)? */
static bool dead(pid_t pid)
{
	struct pr_stat st;
	char path[64], text[512];
	long n;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = pr_read_small(path, text, sizeof(text));
	return n < 0 || (pr_stat_parse(text, (size_t)n, &st) == 0 && st.state == 'Z');
}

static pid_t read_pid(const char *name)
{
	char path[512], text[32];
	long n;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	for (int i = 0; i < 200; i++) {
		n = pr_read_small(path, text, sizeof(text));
		if (n > 1 && text[n - 1] == '\n')
			return (pid_t)strtol(text, NULL, 10);
		usleep(10000);
	}
	fail_msg("no pid in %s", path);
	return -1;
}

struct target_opts {
	const char *container;
	const char *uid; /* pod uid */
	const char *extra_env;
	uid_t user; /* 0: stay root */
	mode_t umask;
	const char *const *argv; /* default: sleep 100 */
};

/* Spawns a long-running "container process" in tmpdir with the webhook's variables and waits
 * until its environment is visible in /proc. It is not our child (a double fork), as a real
 * container's process is not the helper's: the helper never takes its own descendants (its
 * running probes carry the target's environment) for a target. Its output goes to /dev/null
 * so it cannot hold the test runner's pipe open. */
static pid_t spawn_target(const struct target_opts *o)
{
	const char *const sleep_argv[] = {"/bin/sleep", "100", NULL};
	int p[2];
	pid_t mid, pid = -1;

	assert_int_equal(pipe(p), 0);
	mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		const char *const *argv = o->argv ? o->argv : sleep_argv;
		char *env[8];
		char e1[300], e2[300], e3[300];
		int n = 0, null = open("/dev/null", O_RDWR);
		pid_t gc;

		close(p[0]);
		gc = fork();
		if (gc != 0) {
			ssize_t w = write(p[1], &gc, sizeof(gc));

			_exit(w == sizeof(gc) ? 0 : 1);
		}
		close(p[1]);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (chdir(tmpdir) < 0)
			_exit(120);
		snprintf(e1, sizeof(e1), "OKG_CONTAINER_NAME=%s", o->container);
		snprintf(e2, sizeof(e2), "OKG_POD_UID=%s", o->uid ? o->uid : pod_uid);
		env[n++] = e1;
		env[n++] = e2;
		snprintf(e3, sizeof(e3), "PATH=%s/bin:/usr/bin:/bin", tmpdir);
		env[n++] = e3;
		if (o->extra_env)
			env[n++] = (char *)o->extra_env;
		env[n] = NULL;
		umask(o->umask ? o->umask : 022);
		if (o->user &&
		    (setgid(o->user) < 0 || setgroups(0, NULL) < 0 || setuid(o->user) < 0))
			_exit(121);
		execve(argv[0], (char *const *)argv, env);
		_exit(122);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &pid, sizeof(pid)), sizeof(pid));
	close(p[0]);
	assert_int_equal(waitpid(mid, NULL, 0), mid);
	for (int i = 0; i < 300; i++) {
		char path[64], *env = NULL;
		size_t len;

		snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
		if (pr_read_file(path, 1 << 20, &env, &len) == 0 &&
		    pr_environ_has(env, len, "OKG_CONTAINER_NAME", o->container)) {
			free(env);
			return pid;
		}
		free(env);
		usleep(10000);
	}
	fail_msg("target did not start");
	return -1;
}

/* Kills a target (reaped by init, not by us) and waits until it is gone. */
static void stop_target(pid_t pid)
{
	kill(pid, SIGKILL);
	for (int i = 0; i < 200 && !dead(pid); i++)
		usleep(10000);
}

/* --- tests -------------------------------------------------------------------------------- */

static void test_exit_codes(void **state)
{
	struct pr_outcome o;

	(void)state;
	sh("echo '  ok  '; exit 0", 5000, &o);
	assert_int_equal(o.ok, 1);
	assert_true(o.has_exit_code);
	assert_int_equal(o.exit_code, 0);
	assert_string_equal(o.result, "ok");
	assert_string_equal(o.message, "");
	sh("exit 1", 5000, &o);
	assert_int_equal(o.ok, 0);
	assert_int_equal(o.exit_code, 1);
	assert_string_equal(o.result, "");
	/* stdout is the result for a failure too (OpenKruiseGame loses it) */
	sh("echo data; exit 7", 5000, &o);
	assert_int_equal(o.ok, 0);
	assert_int_equal(o.exit_code, 7);
	assert_string_equal(o.result, "data");
	sh("kill -TERM $$", 5000, &o);
	assert_int_equal(o.ok, 0);
	assert_int_equal(o.exit_code, 128 + SIGTERM);
	assert_string_equal(o.message, "killed by signal SIGTERM");
}

static void test_stderr_fallback(void **state)
{
	struct pr_outcome o;

	(void)state;
	sh("echo oops >&2; exit 1", 5000, &o);
	assert_int_equal(o.ok, 0);
	assert_string_equal(o.result, "oops");
	assert_string_equal(o.message, "");
	sh("echo out; echo err >&2", 5000, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "out");
	assert_string_equal(o.message, "err");
	sh("echo '   ' ; echo ' only err ' >&2", 5000, &o);
	assert_string_equal(o.result, "only err");
}

static void test_exec_failures(void **state)
{
	const char *missing[] = {"okg-no-such-command", NULL};
	const char *notexec[] = {"./plain.txt", NULL};
	const char *script[] = {"./noshebang.sh", "arg1", NULL};
	struct pr_outcome o;
	char cwd[512];

	(void)state;
	run(missing, 5000, 0, &o);
	assert_int_equal(o.ok, 0);
	assert_int_equal(o.exit_code, 127);
	assert_string_equal(o.result, "cannot run okg-no-such-command: No such file or directory");
	/* a script without #! runs under /bin/sh, as execvp does */
	write_file("noshebang.sh", "echo \"no shebang $1\"\n", 0755);
	write_file("plain.txt", "text\n", 0644);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	run(notexec, 5000, 0, &o);
	assert_int_equal(o.exit_code, 126);
	assert_string_equal(o.result, "cannot run ./plain.txt: Permission denied");
	run(script, 5000, 0, &o);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "no shebang arg1");
}

static void test_timeout_kills_tree(void **state)
{
	char script[800];
	struct pr_outcome o;
	int64_t t0;
	pid_t bg, sess;

	(void)state;
	snprintf(script, sizeof(script),
		 "sleep 1000 & echo $! > %s/bg.pid; "
		 "setsid sleep 1000 & echo $! > %s/sess.pid; "
		 "echo partial; sleep 1000",
		 tmpdir, tmpdir);
	t0 = pr_now_ms();
	sh(script, 1000, &o);
	assert_true(pr_now_ms() - t0 < 3500);
	assert_int_equal(o.ok, 0);
	assert_false(o.has_exit_code);
	assert_string_equal(o.result, "probe timed out after 1s");
	assert_string_equal(o.message, "partial");
	bg = read_pid("bg.pid");
	sess = read_pid("sess.pid"); /* left the process group: found through its parent */
	for (int i = 0; i < 100 && !(dead(bg) && dead(sess)); i++)
		usleep(20000);
	assert_true(dead(bg));
	assert_true(dead(sess));
}

static void test_background_does_not_hold(void **state)
{
	char script[300];
	struct pr_outcome o;
	int64_t t0;
	pid_t bg;

	(void)state;
	/* the command exits while a background process keeps stdout open: not waited for */
	snprintf(script, sizeof(script), "sleep 3 & echo $! > %s/bg2.pid; echo done", tmpdir);
	t0 = pr_now_ms();
	sh(script, 5000, &o);
	assert_true(pr_now_ms() - t0 < 1500);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "done");
	bg = read_pid("bg2.pid");
	kill(bg, SIGKILL);
}

static void test_megabytes_truncated(void **state)
{
	struct pr_outcome o;
	int64_t t0 = pr_now_ms();

	(void)state;
	sh("head -c 5000000 /dev/zero | tr '\\0' x; head -c 5000000 /dev/zero >&2", 10000, &o);
	assert_true(pr_now_ms() - t0 < 3000);
	assert_int_equal(o.ok, 1);
	assert_int_equal(strlen(o.result), PR_RESULT_MAX);
	assert_int_equal(strspn(o.result, "x"), PR_RESULT_MAX);
	/* stderr: NUL bytes, replaced */
	assert_int_equal(strlen(o.message), PR_MESSAGE_MAX);
	assert_int_equal(strspn(o.message, "?"), PR_MESSAGE_MAX);
}

static void test_stop_fd(void **state)
{
	const char *argv[] = {"/bin/sh", "-c", "sleep 1000", NULL};
	struct pr_exec_req rq = {.argv = (char *const *)argv, .timeout_ms = 60000};
	struct pr_outcome o;
	int p[2];
	int64_t t0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	rq.stop_fd = p[0];
	t0 = pr_now_ms();
	pr_exec_run(&rq, &o);
	assert_true(pr_now_ms() - t0 < 2500);
	assert_true(o.canceled);
	close(p[0]);
	close(p[1]);
}

static void test_find_target(void **state)
{
	struct target_opts helper = {.container = "okg-probe"};
	struct target_opts other = {.container = "game", .uid = "some-other-pod"};
	struct target_opts game = {.container = "game"};
	struct target_opts side = {.container = "sidecar"};
	struct pr_target t;
	pid_t ph, po, pg, ps;

	(void)state;
	ph = spawn_target(&helper);
	po = spawn_target(&other);
	pg = spawn_target(&game);
	ps = spawn_target(&side);
	assert_int_equal(pr_target_find("game", pod_uid, &t), 0);
	assert_int_equal(t.pid, pg);
	assert_string_equal(t.container, "game");
	assert_true(pr_target_alive(&t));
	/* unnamed: the first game container, never the helper's own */
	assert_int_equal(pr_target_find(NULL, pod_uid, &t), 0);
	assert_int_equal(t.pid, pg < ps ? pg : ps);
	assert_int_equal(pr_target_find("sidecar", pod_uid, &t), 0);
	assert_int_equal(t.pid, ps);
	assert_int_equal(pr_target_find("nope", pod_uid, &t), -ESRCH);
	assert_int_equal(pr_target_find("game", "", &t), -EINVAL);
	assert_int_equal(pr_target_find("game", pod_uid, &t), 0);
	stop_target(pg);
	assert_false(pr_target_alive(&t));
	/* a target that is gone */
	{
		const char *argv[] = {"true", NULL};
		struct pr_outcome o;

		run(argv, 5000, pg, &o);
		assert_int_equal(o.ok, 0);
		assert_string_equal(o.result, "container game is not running");
	}
	stop_target(ph);
	stop_target(po);
	stop_target(ps);
}

static void test_target_context(void **state)
{
	struct target_opts game = {
	    .container = "game", .extra_env = "MYVAR=from-target", .umask = 027};
	const char *argv[] = {"sh", "./probe.sh", NULL};
	const char *path_argv[] = {"myprobe", NULL};
	struct pr_outcome o;
	char want[600], bindir[400];
	pid_t pg;

	(void)state;
	write_file("probe.sh", "echo \"in $(pwd) $MYVAR $OKG_CONTAINER_NAME\"; umask\n", 0644);
	snprintf(bindir, sizeof(bindir), "%s/bin", tmpdir);
	assert_int_equal(mkdir(bindir, 0755), 0);
	write_file("bin/myprobe", "#!/bin/sh\necho found-in-target-path\n", 0755);
	pg = spawn_target(&game);
	/* the helper's own directory is elsewhere: cwd, env and umask come from the target */
	run(argv, 5000, pg, &o);
	snprintf(want, sizeof(want), "in %s from-target game\n0027", tmpdir);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, want);
	/* PATH is searched in the target's environment */
	run(path_argv, 5000, pg, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "found-in-target-path");
	stop_target(pg);
}

static void test_target_user(void **state)
{
	struct target_opts game = {.container = "game", .user = 65534};
	const char *argv[] = {"/bin/sh", "-c",
			      "id -u; id -g; id -G; grep -E '^Cap(Eff|Prm|Amb):' /proc/self/status;"
			      " grep NoNewPrivs /proc/self/status",
			      NULL};
	struct pr_outcome o;
	pid_t pg;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(tmpdir, 0755), 0);
	pg = spawn_target(&game);
	run(argv, 5000, pg, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "65534\n65534\n65534\nCapPrm:\t0000000000000000\n"
				      "CapEff:\t0000000000000000\nCapAmb:\t0000000000000000\n"
				      "NoNewPrivs:\t1");
	stop_target(pg);
}

/* Spawns a target in its own mount namespace, where tmpdir/m holds a tmpfs with a file. */
static pid_t spawn_ns_target(char *m, size_t mlen)
{
	char script[1200];
	pid_t pg;

	snprintf(m, mlen, "%s/m", tmpdir);
	mkdir(m, 0755);
	snprintf(script, sizeof(script),
		 "mount -t tmpfs none %s && echo only-in-the-container > %s/f && exec sleep 100", m,
		 m);
	{
		const char *targv[] = {"/usr/bin/unshare", "-m", "--propagation", "private",
				       "/bin/sh",	   "-c", script,	  NULL};
		struct target_opts game = {.container = "game", .argv = targv};

		pg = spawn_target(&game);
	}
	/* wait for the exec of sleep (the mount is made by then) */
	for (int i = 0; i < 200; i++) {
		char path[64], comm[64];

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pg);
		if (pr_read_small(path, comm, sizeof(comm)) > 0 && strncmp(comm, "sleep", 5) == 0)
			break;
		usleep(10000);
	}
	return pg;
}

static void test_target_mount_namespace(void **state)
{
	char script[600], m[400], f[500];
	const char *argv[] = {"/bin/sh", "-c", NULL, NULL};
	struct pr_outcome o;
	pid_t pg;

	(void)state;
	if (geteuid() != 0 || system("unshare -m true 2>/dev/null") != 0)
		skip();
	pg = spawn_ns_target(m, sizeof(m));
	snprintf(script, sizeof(script), "cat %s/f", m);
	argv[2] = script;
	run(argv, 5000, pg, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "only-in-the-container");
	/* and not in the helper's */
	snprintf(f, sizeof(f), "%s/f", m);
	assert_int_not_equal(access(f, F_OK), 0);
	stop_target(pg);
}

/* Runs argv against target in a child that lacks the capabilities in drop (a mask of the low
 * 32), as a helper container without them would; returns the child's result line. */
static void run_without_caps(const char *const *argv, pid_t target, uint32_t drop, char *res,
			     size_t reslen)
{
	int p[2];
	pid_t c;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct d[2];
		struct pr_outcome o;

		close(p[0]);
		if (syscall(SYS_capget, &hdr, d) < 0)
			_exit(1);
		d[0].effective &= ~drop;
		d[0].permitted &= ~drop;
		d[0].inheritable &= ~drop;
		if (syscall(SYS_capset, &hdr, d) < 0)
			_exit(2);
		run(argv, 5000, target, &o);
		n = write(p[1], o.result, strlen(o.result));
		_exit(n < 0 ? 3 : 0);
	}
	close(p[1]);
	n = read(p[0], res, reslen - 1);
	res[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(c, NULL, 0), c);
}

static void test_setns_fallbacks(void **state)
{
	char script[600], m[400], res[PR_RESULT_MAX + 1], want[600];
	const char *argv[] = {"/bin/sh", "-c", NULL, NULL};
	pid_t pg;

	(void)state;
	if (geteuid() != 0 || system("unshare -m true 2>/dev/null") != 0)
		skip();
	pg = spawn_ns_target(m, sizeof(m));
	snprintf(script, sizeof(script), "cat %s/f; pwd", m);
	argv[2] = script;
	/* no CAP_SYS_ADMIN: setns is refused, chroot into /proc/PID/root sees the same files */
	run_without_caps(argv, pg, 1u << CAP_SYS_ADMIN, res, sizeof(res));
	snprintf(want, sizeof(want), "only-in-the-container\n%s", tmpdir);
	assert_string_equal(res, want);
	/* no CAP_SYS_CHROOT either: the helper's own filesystem (the target's cwd still holds) */
	snprintf(script, sizeof(script), "cat %s/f 2>/dev/null || echo missing", m);
	run_without_caps(argv, pg, (1u << CAP_SYS_ADMIN) | (1u << CAP_SYS_CHROOT), res,
			 sizeof(res));
	assert_string_equal(res, "missing");
	stop_target(pg);
}

static void test_probe_once_exec(void **state)
{
	char *argv[] = {(char *)"sh", (char *)"-c", (char *)"echo gate", NULL};
	struct pr_probe p = {.name = (char *)"healthy",
			     .container = (char *)"game",
			     .kind = PR_EXEC,
			     .argv = argv,
			     .argc = 3,
			     .timeout = 5};
	struct pr_ctx ctx = {.pod_uid = pod_uid, .stop_fd = -1};
	struct target_opts game = {.container = "game"};
	struct pr_target t = {0};
	struct pr_outcome o;
	pid_t pg, pg2;

	(void)state;
	pr_probe_once(&p, &ctx, &t, &o);
	assert_int_equal(o.ok, 0);
	assert_string_equal(o.result, "container game is not running");
	pg = spawn_target(&game);
	pr_probe_once(&p, &ctx, &t, &o);
	assert_int_equal(o.ok, 1);
	assert_string_equal(o.result, "gate");
	assert_int_equal(t.pid, pg);
	/* the container restarts: the new process is found */
	stop_target(pg);
	pg2 = spawn_target(&game);
	pr_probe_once(&p, &ctx, &t, &o);
	assert_int_equal(o.ok, 1);
	assert_int_equal(t.pid, pg2);
	stop_target(pg2);
	ctx.pod_uid = NULL;
	memset(&t, 0, sizeof(t));
	pr_probe_once(&p, &ctx, &t, &o);
	assert_string_equal(o.result, "POD_UID is not set: cannot find the containers");
}

static void test_kill_tree_direct(void **state)
{
	pid_t child = fork();
	char path[512];
	pid_t gc;

	(void)state;
	assert_true(child >= 0);
	if (child == 0) {
		char cmd[600];

		setpgid(0, 0);
		snprintf(cmd, sizeof(cmd), "sh -c 'sleep 1000 & echo $! > %s/gc.pid; wait' & wait",
			 tmpdir);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(1);
	}
	snprintf(path, sizeof(path), "%s/gc.pid", tmpdir);
	gc = read_pid("gc.pid");
	pr_kill_tree(child);
	assert_int_equal(waitpid(child, NULL, 0), child);
	for (int i = 0; i < 100 && !dead(gc); i++)
		usleep(20000);
	assert_true(dead(gc));
	pr_kill_tree(0); /* harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_codes),
	    cmocka_unit_test(test_stderr_fallback),
	    cmocka_unit_test(test_exec_failures),
	    cmocka_unit_test(test_timeout_kills_tree),
	    cmocka_unit_test(test_background_does_not_hold),
	    cmocka_unit_test(test_megabytes_truncated),
	    cmocka_unit_test(test_stop_fd),
	    cmocka_unit_test(test_find_target),
	    cmocka_unit_test(test_target_context),
	    cmocka_unit_test(test_target_user),
	    cmocka_unit_test(test_target_mount_namespace),
	    cmocka_unit_test(test_setns_fallbacks),
	    cmocka_unit_test(test_probe_once_exec),
	    cmocka_unit_test(test_kill_tree_direct),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
