#include "test/nodesim/podspec.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/yamljson.h"

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* A growing NULL-terminated string vector. */
struct strv {
	char **v;
	size_t n, cap;
};

static int strv_push(struct strv *s, char *owned)
{
	if (!owned)
		return -ENOMEM;
	if (s->n + 2 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		char **p = realloc(s->v, nc * sizeof(*p));

		if (!p) {
			free(owned);
			return -ENOMEM;
		}
		s->v = p;
		s->cap = nc;
	}
	s->v[s->n++] = owned;
	s->v[s->n] = NULL;
	return 0;
}

/* Sets "NAME=value" (owned): a later definition of a name replaces the earlier one, as in the
 * kubelet, so a pod's own PATH or HOME wins over the runtime's. */
static int env_set(struct strv *s, char *owned)
{
	size_t nl;

	if (!owned)
		return -ENOMEM;
	nl = strcspn(owned, "=");
	for (size_t i = 0; i < s->n; i++) {
		if (strncmp(s->v[i], owned, nl) == 0 && s->v[i][nl] == '=') {
			free(s->v[i]);
			s->v[i] = owned;
			return 0;
		}
	}
	return strv_push(s, owned);
}

static char **strv_take(struct strv *s)
{
	char **v = s->v;

	if (!v)
		v = calloc(1, sizeof(*v));
	s->v = NULL;
	s->n = s->cap = 0;
	return v;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *jobj(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

void ps_image_map_free(struct ps_image_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->rules[i].pattern);
		free(m->rules[i].working_dir);
		strv_free(m->rules[i].argv);
	}
	free(m->rules);
	m->rules = NULL;
	m->n = 0;
}

int ps_image_map_from_doc(const cJSON *doc, struct ps_image_map *out, char *err, size_t errlen)
{
	const cJSON *images, *it;
	size_t i = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	images = jobj(doc, "images");
	if (!cJSON_IsArray(images)) {
		snprintf(err, errlen, "images: must be a list");
		return -EINVAL;
	}
	out->rules = calloc((size_t)cJSON_GetArraySize(images) + 1, sizeof(*out->rules));
	if (!out->rules)
		return -ENOMEM;
	cJSON_ArrayForEach(it, images)
	{
		struct ps_image_rule *rule = &out->rules[i];
		const char *pat = jstr(it, "image");
		const char *wd = jstr(it, "workingDir");
		const cJSON *cmd = jobj(it, "command"), *a;
		struct strv argv = {0};

		if (!pat || !*pat) {
			snprintf(err, errlen, "images[%zu].image: required (an image or a pattern)",
				 i);
			r = -EINVAL;
			goto fail;
		}
		if (!cJSON_IsArray(cmd) || cJSON_GetArraySize(cmd) == 0) {
			snprintf(err, errlen, "images[%zu].command: must be a non-empty list", i);
			r = -EINVAL;
			goto fail;
		}
		cJSON_ArrayForEach(a, cmd)
		{
			if (!cJSON_IsString(a)) {
				snprintf(err, errlen,
					 "images[%zu].command: every entry is a string", i);
				strv_free(strv_take(&argv));
				r = -EINVAL;
				goto fail;
			}
			r = strv_push(&argv, strdup(a->valuestring));
			if (r < 0) {
				strv_free(strv_take(&argv));
				goto fail;
			}
		}
		rule->pattern = strdup(pat);
		rule->argv = strv_take(&argv);
		rule->working_dir = wd ? strdup(wd) : NULL;
		out->n = ++i;
		if (!rule->pattern || !rule->argv || (wd && !rule->working_dir)) {
			r = -ENOMEM;
			goto fail;
		}
	}
	return 0;
fail:
	ps_image_map_free(out);
	return r;
}

int ps_image_map_load(const char *path, struct ps_image_map *out, char *err, size_t errlen)
{
	cJSON *doc = NULL;
	char inner[256];
	int r;

	memset(out, 0, sizeof(*out));
	r = yj_parse_file(path, &doc, inner, sizeof(inner));
	if (r < 0) {
		snprintf(err, errlen, "%s", inner); /* inner starts with "<path>: " */
		return r;
	}
	r = ps_image_map_from_doc(doc, out, inner, sizeof(inner));
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, inner);
	cJSON_Delete(doc);
	return r;
}

void ps_pod_free(struct ps_pod *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nc; i++) {
		free(p->c[i].name);
		free(p->c[i].image);
		free(p->c[i].working_dir);
		strv_free(p->c[i].argv);
		strv_free(p->c[i].envp);
	}
	free(p->c);
	free(p->uid);
	free(p->ns);
	free(p->name);
	free(p->node);
	free(p->scheduler);
	free(p->restart_policy);
	free(p->phase);
	memset(p, 0, sizeof(*p));
}

static const char *env_lookup(char *const *envp, const char *name, size_t nl)
{
	for (char *const *e = envp; e && *e; e++)
		if (strncmp(*e, name, nl) == 0 && (*e)[nl] == '=')
			return *e + nl + 1;
	return NULL;
}

char *ps_expand(const char *s, char *const *envp)
{
	struct buf b;

	buf_init(&b, 1u << 20);
	while (*s) {
		if (s[0] == '$' && s[1] == '$') {
			if (buf_append(&b, "$", 1) < 0)
				goto fail;
			s += 2;
			continue;
		}
		if (s[0] == '$' && s[1] == '(') {
			const char *close = strchr(s + 2, ')');

			if (close) {
				const char *v = env_lookup(envp, s + 2, (size_t)(close - s - 2));

				if (v) {
					if (buf_append_str(&b, v) < 0)
						goto fail;
					s = close + 1;
					continue;
				}
			}
		}
		if (buf_append(&b, s, 1) < 0)
			goto fail;
		s++;
	}
	return buf_steal(&b);
fail:
	buf_free(&b);
	return NULL;
}

/* A fieldRef as the downward API resolves it. */
static const char *field_ref(const cJSON *pod, const char *path, const char *pod_ip,
			     const char *host_ip, char *tmp, size_t tmplen)
{
	const cJSON *meta = jobj(pod, "metadata");
	const cJSON *spec = jobj(pod, "spec");

	if (!strcmp(path, "metadata.name"))
		return jstr(meta, "name");
	if (!strcmp(path, "metadata.namespace"))
		return jstr(meta, "namespace");
	if (!strcmp(path, "metadata.uid"))
		return jstr(meta, "uid");
	if (!strcmp(path, "spec.nodeName"))
		return jstr(spec, "nodeName");
	if (!strcmp(path, "spec.serviceAccountName"))
		return jstr(spec, "serviceAccountName");
	if (!strcmp(path, "status.podIP") || !strcmp(path, "status.podIPs"))
		return pod_ip;
	if (!strcmp(path, "status.hostIP"))
		return host_ip;
	if (!strncmp(path, "metadata.labels['", 17) ||
	    !strncmp(path, "metadata.annotations['", 22)) {
		bool labels = path[9] == 'l';
		const char *k = path + (labels ? 17 : 22);
		size_t kl = strcspn(k, "'");

		if (kl >= tmplen)
			return NULL;
		memcpy(tmp, k, kl);
		tmp[kl] = '\0';
		return jstr(jobj(meta, labels ? "labels" : "annotations"), tmp);
	}
	return NULL;
}

static int build_env(const cJSON *pod, const cJSON *ctr, const char *pod_ip, const char *host_ip,
		     char ***out)
{
	struct strv env = {0};
	const cJSON *list = jobj(ctr, "env"), *e;
	const char *name = jstr(jobj(pod, "metadata"), "name");
	char line[8192];
	int r;

	*out = NULL;
	/* What every container gets from its runtime. */
	snprintf(line, sizeof(line),
		 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	r = env_set(&env, strdup(line));
	snprintf(line, sizeof(line), "HOSTNAME=%s", name ? name : "");
	if (!r)
		r = env_set(&env, strdup(line));
	snprintf(line, sizeof(line), "HOME=/root");
	if (!r)
		r = env_set(&env, strdup(line));
	cJSON_ArrayForEach(e, list)
	{
		const char *n = jstr(e, "name");
		const char *v = jstr(e, "value");
		const cJSON *from = jobj(e, "valueFrom");
		char tmp[256];
		char *expanded;

		if (r < 0)
			break;
		if (!n)
			continue;
		if (!v && from) {
			const char *fp = jstr(jobj(from, "fieldRef"), "fieldPath");

			v = fp ? field_ref(pod, fp, pod_ip, host_ip, tmp, sizeof(tmp)) : NULL;
		}
		/* Later values may refer to earlier ones, as in the kubelet. */
		expanded = ps_expand(v ? v : "", env.v);
		if (!expanded) {
			r = -ENOMEM;
			break;
		}
		snprintf(line, sizeof(line), "%s=%s", n, expanded);
		free(expanded);
		r = env_set(&env, strdup(line));
	}
	if (r < 0) {
		strv_free(strv_take(&env));
		return r;
	}
	*out = strv_take(&env);
	return 0;
}

static const struct ps_image_rule *match_image(const struct ps_image_map *map, const char *image)
{
	for (size_t i = 0; map && image && i < map->n; i++)
		if (fnmatch(map->rules[i].pattern, image, 0) == 0)
			return &map->rules[i];
	return NULL;
}

static int build_container(const cJSON *pod, const cJSON *ctr, const struct ps_image_map *map,
			   const char *pod_ip, const char *host_ip, struct ps_container *c)
{
	const cJSON *cmd = jobj(ctr, "command"), *args = jobj(ctr, "args"), *a;
	const char *image = jstr(ctr, "image");
	const char *wd = jstr(ctr, "workingDir");
	const struct ps_image_rule *rule = NULL;
	struct strv argv = {0};
	int r;

	c->name = strdup(jstr(ctr, "name") ? jstr(ctr, "name") : "");
	c->image = strdup(image ? image : "");
	if (!c->name || !c->image)
		return -ENOMEM;
	r = build_env(pod, ctr, pod_ip, host_ip, &c->envp);
	if (r < 0)
		return r;
	if (cJSON_GetArraySize(cmd) == 0) {
		rule = match_image(map, image);
		if (!rule) {
			c->idle = true;
			return 0;
		}
		for (char **p = rule->argv; *p; p++) {
			r = strv_push(&argv, ps_expand(*p, c->envp));
			if (r < 0)
				goto fail;
		}
		if (!wd)
			wd = rule->working_dir;
	} else {
		cJSON_ArrayForEach(a, cmd)
		{
			r = strv_push(&argv,
				      ps_expand(cJSON_IsString(a) ? a->valuestring : "", c->envp));
			if (r < 0)
				goto fail;
		}
	}
	cJSON_ArrayForEach(a, args)
	{
		r = strv_push(&argv, ps_expand(cJSON_IsString(a) ? a->valuestring : "", c->envp));
		if (r < 0)
			goto fail;
	}
	c->argv = strv_take(&argv);
	if (wd && !(c->working_dir = strdup(wd)))
		return -ENOMEM;
	return c->argv ? 0 : -ENOMEM;
fail:
	strv_free(strv_take(&argv));
	return r;
}

static char *dup_opt(const char *s, bool *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

int ps_pod_parse(const cJSON *pod, const struct ps_image_map *map, const char *pod_ip,
		 const char *host_ip, struct ps_pod *out, char *err, size_t errlen)
{
	const cJSON *meta = jobj(pod, "metadata"), *spec = jobj(pod, "spec");
	const cJSON *ctrs = jobj(spec, "containers"), *ctr, *g;
	const char *sched = jstr(spec, "schedulerName");
	const char *rp = jstr(spec, "restartPolicy");
	bool fail = false;
	size_t i = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(meta) || !jstr(meta, "name") || !cJSON_IsObject(spec)) {
		snprintf(err, errlen, "pod: metadata.name and spec are required");
		return -EINVAL;
	}
	out->uid = dup_opt(jstr(meta, "uid") ? jstr(meta, "uid") : "", &fail);
	out->ns = dup_opt(jstr(meta, "namespace") ? jstr(meta, "namespace") : "default", &fail);
	out->name = dup_opt(jstr(meta, "name"), &fail);
	out->node = dup_opt(jstr(spec, "nodeName"), &fail);
	out->scheduler = dup_opt(sched ? sched : "default-scheduler", &fail);
	out->restart_policy = dup_opt(rp ? rp : "Always", &fail);
	out->phase = dup_opt(jstr(jobj(pod, "status"), "phase"), &fail);
	out->deleting = cJSON_IsString(jobj(meta, "deletionTimestamp"));
	out->grace_s = 30;
	g = jobj(spec, "terminationGracePeriodSeconds");
	if (cJSON_IsNumber(g))
		out->grace_s = (long)g->valuedouble;
	g = jobj(meta, "deletionGracePeriodSeconds");
	if (cJSON_IsNumber(g))
		out->grace_s = (long)g->valuedouble;
	if (fail) {
		r = -ENOMEM;
		goto fail;
	}
	if (!cJSON_IsArray(ctrs) || cJSON_GetArraySize(ctrs) == 0) {
		snprintf(err, errlen, "pod %s/%s: spec.containers is empty", out->ns, out->name);
		r = -EINVAL;
		goto fail;
	}
	out->c = calloc((size_t)cJSON_GetArraySize(ctrs), sizeof(*out->c));
	if (!out->c) {
		r = -ENOMEM;
		goto fail;
	}
	cJSON_ArrayForEach(ctr, ctrs)
	{
		out->nc = i + 1;
		r = build_container(pod, ctr, map, pod_ip, host_ip, &out->c[i]);
		if (r < 0) {
			snprintf(err, errlen, "pod %s/%s: spec.containers[%zu]: out of memory",
				 out->ns, out->name, i);
			goto fail;
		}
		i++;
	}
	return 0;
fail:
	ps_pod_free(out);
	return r;
}

const char *ps_phase(const struct ps_cstate *c, size_t nc, const char *restart_policy)
{
	size_t terminated = 0, failed = 0, waiting = 0;
	bool always = !restart_policy || !strcmp(restart_policy, "Always");
	bool never = restart_policy && !strcmp(restart_policy, "Never");

	for (size_t i = 0; i < nc; i++) {
		if (c[i].kind == PS_TERMINATED) {
			terminated++;
			if (c[i].term.exit_code != 0)
				failed++;
		} else if (c[i].kind == PS_WAITING) {
			waiting++;
		}
	}
	if (nc && terminated == nc && !always) {
		if (failed == 0)
			return "Succeeded";
		if (never)
			return "Failed";
	}
	if (waiting == nc && nc && terminated == 0) {
		/* Nothing started yet (or everything waits for a restart after a first run). */
		for (size_t i = 0; i < nc; i++)
			if (c[i].restart_count > 0 || c[i].has_last)
				return "Running";
		return "Pending";
	}
	return "Running";
}

void ps_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int add_str(cJSON *o, const char *k, const char *v)
{
	return cJSON_AddStringToObject(o, k, v ? v : "") ? 0 : -ENOMEM;
}

static int add_time(cJSON *o, const char *k, time_t t)
{
	char ts[32];

	ps_time(t, ts, sizeof(ts));
	return add_str(o, k, ts);
}

static int add_term(cJSON *parent, const char *key, const struct ps_term *t)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	int r = 0;

	if (!o)
		return -ENOMEM;
	if (!cJSON_AddNumberToObject(o, "exitCode", t->exit_code))
		return -ENOMEM;
	if (t->signal && !cJSON_AddNumberToObject(o, "signal", t->signal))
		return -ENOMEM;
	r |= add_str(o, "reason", t->reason ? t->reason : (t->exit_code ? "Error" : "Completed"));
	r |= add_time(o, "startedAt", t->started_at);
	r |= add_time(o, "finishedAt", t->finished_at);
	if (t->container_id[0])
		r |= add_str(o, "containerID", t->container_id);
	return r ? -ENOMEM : 0;
}

static int add_condition(cJSON *arr, const char *type, bool status, time_t when)
{
	cJSON *c = cJSON_CreateObject();
	int r = 0;

	if (!c || !cJSON_AddItemToArray(arr, c)) {
		cJSON_Delete(c);
		return -ENOMEM;
	}
	r |= add_str(c, "type", type);
	r |= add_str(c, "status", status ? "True" : "False");
	r |= add_time(c, "lastTransitionTime", when);
	if (!status) {
		r |= add_str(c, "reason", "ContainersNotReady");
	}
	return r ? -ENOMEM : 0;
}

char *ps_status_patch(const struct ps_status_in *in)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *st, *conds, *ips, *ip, *cs;
	char *text = NULL;
	int r = 0;

	if (!root)
		return NULL;
	st = cJSON_AddObjectToObject(root, "status");
	if (!st)
		goto out;
	r |= add_str(st, "phase", in->phase);
	if (in->host_ip)
		r |= add_str(st, "hostIP", in->host_ip);
	if (in->pod_ip) {
		r |= add_str(st, "podIP", in->pod_ip);
		ips = cJSON_AddArrayToObject(st, "podIPs");
		ip = cJSON_CreateObject();
		if (!ips || !ip || !cJSON_AddItemToArray(ips, ip)) {
			cJSON_Delete(ip);
			goto out;
		}
		r |= add_str(ip, "ip", in->pod_ip);
	}
	r |= add_time(st, "startTime", in->start_time);
	r |= add_str(st, "qosClass", "BestEffort");
	conds = cJSON_AddArrayToObject(st, "conditions");
	if (!conds)
		goto out;
	r |= add_condition(conds, "Initialized", true, in->start_time);
	r |= add_condition(conds, "Ready", in->ready, in->ready_changed);
	r |= add_condition(conds, "ContainersReady", in->ready, in->ready_changed);
	r |= add_condition(conds, "PodScheduled", true, in->start_time);
	cs = cJSON_AddArrayToObject(st, "containerStatuses");
	if (!cs)
		goto out;
	for (size_t i = 0; i < in->nc; i++) {
		const struct ps_cstate *c = &in->c[i];
		cJSON *o = cJSON_CreateObject(), *state;
		char imgid[512];

		if (!o || !cJSON_AddItemToArray(cs, o)) {
			cJSON_Delete(o);
			goto out;
		}
		snprintf(imgid, sizeof(imgid), "okg-sim://%s", c->image ? c->image : "");
		r |= add_str(o, "name", c->name);
		r |= add_str(o, "image", c->image);
		r |= add_str(o, "imageID", imgid);
		if (c->container_id[0])
			r |= add_str(o, "containerID", c->container_id);
		if (!cJSON_AddBoolToObject(o, "ready", c->ready) ||
		    !cJSON_AddNumberToObject(o, "restartCount", c->restart_count) ||
		    !cJSON_AddBoolToObject(o, "started", c->kind == PS_RUNNING))
			goto out;
		state = cJSON_AddObjectToObject(o, "state");
		if (!state)
			goto out;
		if (c->kind == PS_RUNNING) {
			cJSON *run = cJSON_AddObjectToObject(state, "running");

			if (!run)
				goto out;
			r |= add_time(run, "startedAt", c->started_at);
		} else if (c->kind == PS_TERMINATED) {
			r |= add_term(state, "terminated", &c->term);
		} else {
			cJSON *w = cJSON_AddObjectToObject(state, "waiting");

			if (!w)
				goto out;
			r |= add_str(w, "reason",
				     c->wait_reason ? c->wait_reason : "ContainerCreating");
			if (c->wait_message)
				r |= add_str(w, "message", c->wait_message);
		}
		if (c->has_last) {
			cJSON *last = cJSON_AddObjectToObject(o, "lastState");

			if (!last)
				goto out;
			r |= add_term(last, "terminated", &c->last);
		} else if (!cJSON_AddObjectToObject(o, "lastState")) {
			goto out;
		}
	}
	if (r == 0)
		text = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return text;
}
