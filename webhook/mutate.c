#include "webhook/mutate.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "webhook/jparse.h"
#include "webhook/wjson.h"

#define PATCH_MAX (64 * 1024)

static const cJSON *member(const cJSON *o, const char *key)
{
	return jp_get(o, key);
}

static const char *str_of(const cJSON *v)
{
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static bool has_container(const cJSON *list, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, list)
	{
		const char *n = str_of(member(c, "name"));

		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

/* Is s a JSON array with at least one element? Parsing it fully also proves the helper will
 * be able to read it. (cJSON does not tell out-of-memory from bad syntax; either way the pod
 * is left alone, which is the safe outcome.) */
static bool probes_usable(const char *s)
{
	cJSON *v = cJSON_ParseWithOpts(s, NULL, 1);
	bool ok = cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0;

	cJSON_Delete(v);
	return ok;
}

static void env_field(struct wj *w, const char *name, const char *path, bool first)
{
	if (!first)
		wj_raw(w, ",");
	wj_raw(w, "{\"name\":");
	wj_str(w, name);
	wj_raw(w, ",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":");
	wj_str(w, path);
	wj_raw(w, "}}}");
}

/* Writes "key":{"cpu":"..","memory":".."} with the non-empty ones; nothing when both are empty. */
static void resource_pair(struct wj *w, const char *key, const char *cpu, const char *mem)
{
	bool c = cpu && cpu[0], m = mem && mem[0];

	if (!c && !m)
		return;
	wj_key(w, key);
	wj_raw(w, "{");
	if (c) {
		wj_key(w, "cpu");
		wj_str(w, cpu);
	}
	if (m) {
		if (c)
			wj_raw(w, ",");
		wj_key(w, "memory");
		wj_str(w, mem);
	}
	wj_raw(w, "}");
}

static void env_value(struct wj *w, const char *name, const char *value)
{
	wj_raw(w, ",{\"name\":");
	wj_str(w, name);
	wj_raw(w, ",\"value\":");
	wj_str(w, value);
	wj_raw(w, "}");
}

/* The helper's environment as a JSON array: the pod's identity, what to probe (the set's
 * probes, or in sidecar mode the OKG sidecar's config file), the report token and URL. */
static void helper_env(struct wj *w, const struct mut_opts *o, bool sidecar)
{
	wj_raw(w, "[");
	env_field(w, "POD_NAME", "metadata.name", true);
	env_field(w, "POD_NAMESPACE", "metadata.namespace", false);
	env_field(w, "POD_UID", "metadata.uid", false);
	env_field(w, "POD_IP", "status.podIP", false);
	if (sidecar)
		env_value(w, "OKG_SIDECAR_CONFIG", MUT_SIDECAR_CONFIG);
	else
		env_field(w, "OKG_PROBES", "metadata.annotations['" MUT_PROBES_ANNOTATION "']",
			  false);
	/* The token the controller put on the pod: the helper presents it with each report. */
	env_field(w, "OKG_PROBE_TOKEN", "metadata.annotations['" MUT_TOKEN_ANNOTATION "']", false);
	if (o->report_url && o->report_url[0])
		env_value(w, "OKG_REPORT_URL", o->report_url);
	wj_raw(w, "]");
}

static bool has_env(const cJSON *ctr, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, member(ctr, "env"))
	{
		const char *n = str_of(member(e, "name"));

		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

/* Should the set's probes helper be added? Warns (and says no) when it cannot be. */
static bool helper_wanted(const cJSON *spec, const char *probes, struct fe_list *warn)
{
	if (!probes || !probes[0])
		return false;
	if (has_container(member(spec, "containers"), MUT_HELPER_NAME))
		return false; /* injected already: re-invocation must not inject twice */
	if (has_container(member(spec, "initContainers"), MUT_HELPER_NAME)) {
		if (warn)
			fe_warn(warn,
				"spec.initContainers: a container is named \"%s\"; the probe "
				"helper was not injected",
				MUT_HELPER_NAME);
		return false;
	}
	if (!probes_usable(probes)) {
		if (warn)
			fe_warn(warn,
				"metadata.annotations[%s] is not a non-empty JSON array; the "
				"probe helper was not injected",
				MUT_PROBES_ANNOTATION);
		return false;
	}
	return true;
}

/* The index of the OKG sidecar container to turn into the helper, or -1: none named, or done
 * already (it has OKG_SIDECAR_CONFIG: re-invocation changes nothing). */
static int sidecar_index(const cJSON *containers, const char *name, struct fe_list *warn)
{
	const cJSON *c;
	int i = 0;

	if (!name || !name[0])
		return -1;
	cJSON_ArrayForEach(c, containers)
	{
		const char *n = str_of(member(c, "name"));

		if (n && strcmp(n, name) == 0)
			return has_env(c, "OKG_SIDECAR_CONFIG") ? -1 : i;
		i++;
	}
	if (warn)
		fe_warn(warn,
			"metadata.annotations[%s]: no container is named \"%s\"; the sidecar was "
			"not replaced",
			MUT_SIDECAR_ANNOTATION, name);
	return -1;
}

static void op_add(struct wj *w, int idx, const char *field, const char *json_value)
{
	char path[80];

	snprintf(path, sizeof(path), "/spec/containers/%d/%s", idx, field);
	wj_raw(w, ",{\"op\":\"add\",\"path\":");
	wj_str(w, path);
	wj_raw(w, ",\"value\":");
	if (json_value)
		wj_raw(w, json_value);
}

/* Turns the OKG sidecar container (index idx) into okg-probe in sidecar mode: the helper's
 * image, command and environment; its name, volume mounts (the ConfigMap with config.yaml),
 * ports and resources stay. Its args and probes are for the OKG sidecar's own program and
 * server, so they go. It only makes HTTP requests and reports: no capability at all. Every op
 * starts with a comma (an earlier op always precedes). */
static void sidecar_ops(struct wj *w, const cJSON *ctr, int idx, const struct mut_opts *o)
{
	static const char *const gone[] = {"args", "livenessProbe", "readinessProbe",
					   "startupProbe"};
	char path[80];

	op_add(w, idx, "image", NULL);
	wj_str(w, o->image ? o->image : "");
	wj_raw(w, "}");
	op_add(w, idx, "command", "[");
	wj_str(w, o->command ? o->command : "");
	wj_raw(w, "]}");
	for (size_t k = 0; k < sizeof(gone) / sizeof(gone[0]); k++) {
		if (!member(ctr, gone[k]))
			continue;
		snprintf(path, sizeof(path), "/spec/containers/%d/%s", idx, gone[k]);
		wj_raw(w, ",{\"op\":\"remove\",\"path\":");
		wj_str(w, path);
		wj_raw(w, "}");
	}
	if (o->pull_policy && o->pull_policy[0]) {
		op_add(w, idx, "imagePullPolicy", NULL);
		wj_str(w, o->pull_policy);
		wj_raw(w, "}");
	}
	op_add(w, idx, "env", NULL);
	helper_env(w, o, true);
	wj_raw(w, "}");
	op_add(w, idx, "securityContext",
	       "{\"allowPrivilegeEscalation\":false,"
	       "\"readOnlyRootFilesystem\":true,"
	       "\"capabilities\":{\"drop\":[\"ALL\"]}}}");
}

static void injected_op(struct wj *w)
{
	wj_raw(w, "{\"op\":\"add\",\"path\":\"/metadata/annotations/");
	wj_ptr_token(w, MUT_INJECTED_ANNOTATION);
	wj_raw(w, "\",\"value\":\"true\"}");
}

static void helper_container(struct wj *w, const struct mut_opts *o)
{
	bool req =
	    (o->cpu_request && o->cpu_request[0]) || (o->memory_request && o->memory_request[0]);

	wj_raw(w, "{\"name\":\"" MUT_HELPER_NAME "\",\"image\":");
	wj_str(w, o->image ? o->image : "");
	if (o->pull_policy && o->pull_policy[0]) {
		wj_raw(w, ",\"imagePullPolicy\":");
		wj_str(w, o->pull_policy);
	}
	wj_raw(w, ",\"command\":[");
	wj_str(w, o->command ? o->command : "");
	wj_raw(w, "],\"env\":");
	helper_env(w, o, false);
	wj_raw(w, ",\"resources\":{");
	resource_pair(w, "requests", o->cpu_request, o->memory_request);
	if (req && ((o->cpu_limit && o->cpu_limit[0]) || (o->memory_limit && o->memory_limit[0])))
		wj_raw(w, ",");
	resource_pair(w, "limits", o->cpu_limit, o->memory_limit);
	/* The helper enters the target container's mount namespace to run exec probes in its
	 * filesystem (SYS_ADMIN for setns, SYS_CHROOT, SYS_PTRACE to reach /proc/<pid>/ns of
	 * another container's process), runs them as that container's user (SETUID, SETGID)
	 * and kills a probe that overruns (KILL). It runs as uid 0 so that a pod-wide runAsUser
	 * cannot strip those; everything else is dropped. See probe/README.md. */
	wj_raw(w, "},\"securityContext\":{\"runAsUser\":0,\"runAsNonRoot\":false,"
		  "\"allowPrivilegeEscalation\":false,"
		  "\"readOnlyRootFilesystem\":true,\"capabilities\":{\"drop\":[\"ALL\"],"
		  "\"add\":[\"SYS_PTRACE\",\"SYS_ADMIN\",\"SYS_CHROOT\",\"SETUID\",\"SETGID\","
		  "\"KILL\"]}},"
		  "\"terminationMessagePolicy\":\"FallbackToLogsOnError\"}");
}

int mut_pod(const cJSON *pod, const struct mut_opts *o, char **patch, size_t *len,
	    struct fe_list *warn)
{
	const cJSON *meta = member(pod, "metadata");
	const cJSON *labels = member(meta, "labels");
	const cJSON *ann = member(meta, "annotations");
	const cJSON *spec = member(pod, "spec");
	const cJSON *containers = member(spec, "containers");
	const char *owner = str_of(member(labels, MUT_OWNER_LABEL));
	const char *probes = str_of(member(ann, MUT_PROBES_ANNOTATION));
	const char *sidecar = str_of(member(ann, MUT_SIDECAR_ANNOTATION));
	bool helper;
	int side;
	struct wj w;

	*patch = NULL;
	*len = 0;
	if (!owner || !owner[0] || ((!probes || !probes[0]) && (!sidecar || !sidecar[0])))
		return 0;
	if (member(ann, MUT_MIRROR_ANNOTATION))
		return 0; /* static pods are the kubelet's; never change them */
	if (!cJSON_IsArray(containers))
		return 0;
	helper = helper_wanted(spec, probes, warn);
	side = sidecar_index(containers, sidecar, warn);
	if (!helper && side < 0)
		return 0;

	wj_init(&w, PATCH_MAX);
	wj_raw(&w, "[");
	if (helper) {
		/* Every game container says which container and pod it is, in its environment:
		 * the helper finds a container's processes by it (no container runtime to ask). */
		const cJSON *c;
		int i = 0;

		cJSON_ArrayForEach(c, containers)
		{
			const char *name = str_of(member(c, "name"));
			bool has_env = cJSON_IsArray(member(c, "env"));
			char path[64];

			snprintf(path, sizeof(path), "/spec/containers/%d/env%s", i,
				 has_env ? "/-" : "");
			wj_raw(&w, "{\"op\":\"add\",\"path\":");
			wj_str(&w, path);
			wj_raw(&w, has_env ? ",\"value\":" : ",\"value\":[");
			wj_raw(&w, "{\"name\":\"OKG_CONTAINER_NAME\",\"value\":");
			wj_str(&w, name ? name : "");
			wj_raw(&w, "}");
			wj_raw(&w, has_env ? "}," : "");
			if (has_env) {
				wj_raw(&w, "{\"op\":\"add\",\"path\":");
				wj_str(&w, path);
				wj_raw(&w, ",\"value\":");
			} else {
				wj_raw(&w, ",");
			}
			env_field(&w, "OKG_POD_UID", "metadata.uid", true);
			wj_raw(&w, has_env ? "}," : "]},");
			i++;
		}
		wj_raw(&w, "{\"op\":\"add\",\"path\":\"/spec/containers/-\",\"value\":");
		helper_container(&w, o);
		wj_raw(&w, "}");
		/* Exec probes look at the pod's processes (e.g. "ps -ef | grep gate"), so the
		 * helper and the game containers share one PID namespace. hostPID excludes it
		 * (and already shares the node's). "add" replaces an existing member, so false
		 * becomes true. */
		if (!cJSON_IsTrue(member(spec, "hostPID")) &&
		    !cJSON_IsTrue(member(spec, "shareProcessNamespace")))
			wj_raw(&w, ",{\"op\":\"add\",\"path\":\"/spec/shareProcessNamespace\","
				   "\"value\":true}");
	} else {
		/* The marker first, so every sidecar op below can start with a comma. */
		injected_op(&w);
	}
	if (side >= 0)
		sidecar_ops(&w, cJSON_GetArrayItem(containers, side), side, o);
	if (helper) {
		wj_raw(&w, ",");
		injected_op(&w);
	}
	wj_raw(&w, "]");
	return wj_finish(&w, patch, len);
}
