#include "test/nodesim/podfs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_OPS 96

enum op_kind { OP_BIND, OP_TMPFS, OP_MKDIR, OP_OVERLAY };

/* One step in the pod's mount namespace, prepared before fork (the child only makes system
 * calls: the simulator has threads). */
struct op {
	enum op_kind kind;
	char src[PATH_MAX]; /* OP_BIND source; OP_OVERLAY options */
	char dst[PATH_MAX];
};

struct plan {
	struct op *ops;
	size_t n;
};

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *jobj(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void add_msg(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	size_t used = strlen(msg);
	va_list ap;

	if (used + 3 >= msglen)
		return;
	if (used) {
		snprintf(msg + used, msglen - used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(msg + used, msglen - used, fmt, ap);
	va_end(ap);
}

int pf_hosts_text(const char *pod_ip, const char *pod_name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen,
			 "# okg-nodesim: pods share the host's network, so this pod's "
			 "localhost is its own IP\n"
			 "%s\tlocalhost %s\n",
			 pod_ip, pod_name && pod_name[0] ? pod_name : "");

	return n < 0 || (size_t)n >= outlen ? -ENOSPC : n;
}

static const cJSON *find_volume(const cJSON *pod, const char *name)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, jobj(jobj(pod, "spec"), "volumes"))
	{
		const char *n = jstr(v, "name");

		if (n && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

static bool has_path(const cJSON *list, const char *path)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, list)
	{
		const char *p = jstr(m, "mountPath");

		if (p && strcmp(p, path) == 0)
			return true;
	}
	return false;
}

int pf_configmap_mounts(const cJSON *pod, cJSON **out, char *warn, size_t warnlen)
{
	const cJSON *c, *vm;
	cJSON *list = cJSON_CreateArray();

	*out = NULL;
	if (warn && warnlen)
		warn[0] = '\0';
	if (!list)
		return -ENOMEM;
	cJSON_ArrayForEach(c, jobj(jobj(pod, "spec"), "containers")){
	    cJSON_ArrayForEach(vm, jobj(c, "volumeMounts")){const char *name = jstr(vm, "name"),
							    *path = jstr(vm, "mountPath");
	const cJSON *vol = name ? find_volume(pod, name) : NULL;
	const cJSON *cm = jobj(vol, "configMap");
	const char *sub = jstr(vm, "subPath");
	cJSON *m;

	if (!cJSON_IsObject(cm) || !path || path[0] != '/' || has_path(list, path))
		continue;
	if ((sub && sub[0]) || !jstr(cm, "name")) {
		if (warn)
			add_msg(warn, warnlen, "volume %s at %s: %s is not simulated", name, path,
				sub && sub[0] ? "a subPath mount" : "no name");
		continue;
	}
	m = cJSON_CreateObject();
	if (!m || !cJSON_AddItemToArray(list, m) ||
	    !cJSON_AddStringToObject(m, "mountPath", path) ||
	    !cJSON_AddStringToObject(m, "configMap", jstr(cm, "name")) ||
	    !cJSON_AddBoolToObject(m, "optional", cJSON_IsTrue(jobj(cm, "optional"))) ||
	    (jobj(cm, "items") &&
	     !cJSON_AddItemToObject(m, "items", cJSON_Duplicate(jobj(cm, "items"), 1)))) {
		cJSON_Delete(list);
		return -ENOMEM;
	}
}
}
*out = list;
return 0;
}

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = 0;

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* out = a "/" b; -ENAMETOOLONG when it does not fit. */
static int join(char *out, size_t outlen, const char *a, const char *b)
{
	int n = snprintf(out, outlen, "%s/%s", a, b);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static bool plain_name(const char *s)
{
	return s && s[0] && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* Writes the ConfigMap's keys (or its items) as files in voldir. */
static int write_volume(const char *voldir, const cJSON *cm, const cJSON *items, char *msg,
			size_t msglen)
{
	const cJSON *data = jobj(cm, "data"), *it;
	char path[PATH_MAX];
	int r;

	if (cJSON_IsArray(items)) {
		cJSON_ArrayForEach(it, items)
		{
			const char *key = jstr(it, "key"), *p = jstr(it, "path");
			const char *v = key ? jstr(data, key) : NULL;

			if (!v || !plain_name(p)) {
				add_msg(msg, msglen, "configMap item %s: not simulated",
					key ? key : "?");
				continue;
			}
			r = join(path, sizeof(path), voldir, p);
			if (r == 0)
				r = write_file(path, v, strlen(v));
			if (r < 0)
				return r;
		}
		return 0;
	}
	cJSON_ArrayForEach(it, data)
	{
		if (!cJSON_IsString(it) || !plain_name(it->string))
			continue;
		r = join(path, sizeof(path), voldir, it->string);
		if (r == 0)
			r = write_file(path, it->valuestring, strlen(it->valuestring));
		if (r < 0)
			return r;
	}
	return 0;
}

static struct op *add_op(struct plan *pl, enum op_kind kind, const char *src, const char *dst)
{
	struct op *o;

	if (pl->n >= MAX_OPS)
		return NULL;
	o = &pl->ops[pl->n++];
	o->kind = kind;
	snprintf(o->src, sizeof(o->src), "%s", src ? src : "");
	snprintf(o->dst, sizeof(o->dst), "%s", dst);
	return o;
}

/* Plans mounting voldir at target. A target missing on the host is made in an overlay of its
 * nearest existing parent, whose upper layer is a tmpfs private to the pod. */
static int plan_mount(struct plan *pl, const char *dir, size_t k, const char *voldir,
		      const char *target, char *msg, size_t msglen)
{
	char parent[PATH_MAX], ovl[PATH_MAX], up[PATH_MAX], wk[PATH_MAX], opts[PATH_MAX];
	struct stat st;
	size_t plen;
	const char *p;

	if (stat(target, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			add_msg(msg, msglen, "%s: not a directory on this host", target);
			return 0;
		}
		return add_op(pl, OP_BIND, voldir, target) ? 0 : -E2BIG;
	}
	snprintf(parent, sizeof(parent), "%s", target);
	do {
		char *slash = strrchr(parent, '/');

		if (!slash || slash == parent) {
			parent[1] = '\0';
			break;
		}
		*slash = '\0';
	} while (stat(parent, &st) < 0);
	if (strcmp(parent, "/") == 0 || !S_ISDIR(st.st_mode) || strpbrk(parent, ",:\\")) {
		add_msg(msg, msglen, "%s: cannot make it here (parent %s)", target, parent);
		return 0;
	}
	snprintf(ovl, sizeof(ovl), "%s/ovl%zu", dir, k);
	if (join(up, sizeof(up), ovl, "up") < 0 || join(wk, sizeof(wk), ovl, "wk") < 0)
		return -ENAMETOOLONG;
	if (mkdir(ovl, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", parent, up, wk) >=
	    (int)sizeof(opts))
		return -ENAMETOOLONG;
	if (!add_op(pl, OP_TMPFS, NULL, ovl) || !add_op(pl, OP_MKDIR, NULL, up) ||
	    !add_op(pl, OP_MKDIR, NULL, wk) || !add_op(pl, OP_OVERLAY, opts, parent))
		return -E2BIG;
	/* Each missing component below parent, then the mount itself. */
	plen = strlen(parent);
	for (p = target + plen + 1;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - target) : strlen(target);
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%.*s", (int)n, target);
		if (!add_op(pl, OP_MKDIR, NULL, sub))
			return -E2BIG;
		if (!slash || !slash[1])
			break;
		p = slash + 1;
	}
	return add_op(pl, OP_BIND, voldir, target) ? 0 : -E2BIG;
}

/* In the child: join the pod's mount namespace and run the plan. Only system calls. On the
 * first failure, writes {op index, errno} to fd. */
static void run_plan(int mntns, const struct plan *pl, int fd)
{
	int res[2] = {-1, 0};

	if (setns(mntns, CLONE_NEWNS) < 0) {
		res[1] = errno;
		goto out;
	}
	for (size_t i = 0; i < pl->n; i++) {
		const struct op *o = &pl->ops[i];
		int r = 0;

		switch (o->kind) {
		case OP_BIND:
			r = mount(o->src, o->dst, NULL, MS_BIND, NULL);
			break;
		case OP_TMPFS:
			r = mount("tmpfs", o->dst, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
			break;
		case OP_MKDIR:
			r = mkdir(o->dst, 0755) < 0 && errno != EEXIST ? -1 : 0;
			break;
		case OP_OVERLAY:
			r = mount("overlay", o->dst, "overlay", 0, o->src);
			break;
		}
		if (r < 0) {
			res[0] = (int)i;
			res[1] = errno;
			goto out;
		}
	}
	_exit(0);
out:
	if (write(fd, res, sizeof(res)) < 0)
		_exit(2);
	_exit(1);
}

static int apply_plan(pid_t sandbox, const struct plan *pl, char *msg, size_t msglen)
{
	char path[64];
	int mntns, fds[2], res[2] = {0, 0}, status = 0;
	pid_t pid;
	ssize_t got;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)sandbox);
	mntns = open(path, O_RDONLY | O_CLOEXEC);
	if (mntns < 0)
		return -errno;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		int e = errno;

		close(mntns);
		return -e;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		run_plan(mntns, pl, fds[1]);
	}
	close(fds[1]);
	close(mntns);
	if (pid < 0) {
		int e = errno;

		close(fds[0]);
		return -e;
	}
	do {
		got = read(fds[0], res, sizeof(res));
	} while (got < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == (ssize_t)sizeof(res)) {
		if (res[0] < 0)
			add_msg(msg, msglen, "cannot join the pod's mount namespace: %s",
				strerror(res[1]));
		else
			add_msg(msg, msglen, "mounting %s: %s", pl->ops[res[0]].dst,
				strerror(res[1]));
		return -res[1];
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int mkdirs(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int pf_setup(pid_t sandbox, const char *dir, const char *pod_ip, const cJSON *pod,
	     pf_get_configmap get, void *ud, char *msg, size_t msglen)
{
	const char *ns = jstr(jobj(pod, "metadata"), "namespace");
	struct plan pl = {0};
	cJSON *mounts = NULL, *m;
	char path[PATH_MAX], text[512];
	size_t k = 0;
	int n, r;

	msg[0] = '\0';
	r = mkdirs(dir);
	if (r < 0) {
		add_msg(msg, msglen, "%s: %s", dir, strerror(-r));
		return r;
	}
	pl.ops = calloc(MAX_OPS, sizeof(*pl.ops));
	if (!pl.ops)
		return -ENOMEM;
	r = pf_configmap_mounts(pod, &mounts, msg, msglen);
	if (r < 0)
		goto out;
	cJSON_ArrayForEach(m, mounts)
	{
		const char *target = jstr(m, "mountPath"), *cmname = jstr(m, "configMap");
		cJSON *cm = NULL;
		char voldir[PATH_MAX];

		snprintf(voldir, sizeof(voldir), "%s/vol%zu", dir, k);
		if (mkdir(voldir, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			goto out;
		}
		r = get(ud, ns ? ns : "default", cmname, &cm);
		if (r == -ENOENT && cJSON_IsTrue(jobj(m, "optional")))
			r = 0;
		if (r < 0) {
			/* The kubelet would wait for it; here the containers start without. */
			add_msg(msg, msglen, "configMap %s for %s: %s", cmname, target,
				r == -ENOENT ? "not found" : strerror(-r));
			r = 0;
			k++;
			continue;
		}
		r = write_volume(voldir, cm, jobj(m, "items"), msg, msglen);
		cJSON_Delete(cm);
		if (r == 0)
			r = plan_mount(&pl, dir, k, voldir, target, msg, msglen);
		if (r < 0)
			goto out;
		k++;
	}
	n = pf_hosts_text(pod_ip, jstr(jobj(pod, "metadata"), "name"), text, sizeof(text));
	if (n < 0) {
		r = n;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/hosts", dir);
	r = write_file(path, text, (size_t)n);
	if (r == 0 && !add_op(&pl, OP_BIND, path, "/etc/hosts"))
		r = -E2BIG;
	if (r == 0)
		r = apply_plan(sandbox, &pl, msg, msglen);
out:
	if (r < 0 && !msg[0])
		add_msg(msg, msglen, "%s", strerror(-r));
	cJSON_Delete(mounts);
	free(pl.ops);
	return r;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void pf_remove(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
