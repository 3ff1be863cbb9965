#include "controller/objects.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

const cJSON *obj_get(const cJSON *obj, const char *path)
{
	char part[128];

	while (obj && path && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		obj = cJSON_GetObjectItemCaseSensitive(obj, part);
		path += n;
		if (*path == '.')
			path++;
	}
	return obj;
}

const char *obj_str(const cJSON *obj, const char *path)
{
	const cJSON *v = obj_get(obj, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *obj_label(const cJSON *obj, const char *key)
{
	const cJSON *labels = obj_get(obj, "metadata.labels");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *obj_intstr(const cJSON *v, char *buf, size_t buflen, const char *def)
{
	if (cJSON_IsString(v) && v->valuestring)
		return v->valuestring;
	if (cJSON_IsNumber(v)) {
		snprintf(buf, buflen, "%.0f", v->valuedouble);
		return buf;
	}
	return def;
}

const char *obj_gs_ops_state(const cJSON *gs)
{
	const char *s = obj_str(gs, "spec.opsState");

	return s && *s ? s : "None";
}

/* Canonical JSON: cJSON keeps member order as parsed, so members are sorted first. */
static void sort_members(cJSON *o)
{
	cJSON *child;

	if (cJSON_IsObject(o) && o->child) {
		bool swapped = true;

		/* Objects here are small: a bubble sort over the linked list is enough. */
		while (swapped) {
			swapped = false;
			for (cJSON *a = o->child; a && a->next; a = a->next) {
				cJSON *b = a->next;

				if (strcmp(a->string, b->string) > 0) {
					cJSON tmp = *a;

					/* swap payloads, keep links */
					a->type = b->type;
					a->valuestring = b->valuestring;
					a->valueint = b->valueint;
					a->valuedouble = b->valuedouble;
					a->string = b->string;
					a->child = b->child;
					b->type = tmp.type;
					b->valuestring = tmp.valuestring;
					b->valueint = tmp.valueint;
					b->valuedouble = tmp.valuedouble;
					b->string = tmp.string;
					b->child = tmp.child;
					swapped = true;
				}
			}
		}
	}
	for (child = o ? o->child : NULL; child; child = child->next)
		sort_members(child);
}

int obj_template_hash(const cJSON *gss, bool images, char out[17])
{
	const cJSON *tpl = obj_get(gss, "spec.gameServerTemplate");
	cJSON *copy;
	char *text;
	uint64_t h = 1469598103934665603ULL;

	copy = tpl ? cJSON_Duplicate(tpl, 1) : cJSON_CreateObject();
	if (!copy)
		return -ENOMEM;
	/* Fields that never reach a pod do not make pods outdated. */
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "reclaimPolicy");
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "volumeClaimTemplates");
	if (!images) {
		cJSON *c;

		cJSON_ArrayForEach(c, (cJSON *)obj_get(copy, "spec.containers"))
		{
			cJSON_DeleteItemFromObjectCaseSensitive(c, "image");
		}
	}
	sort_members(copy);
	text = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	if (!text)
		return -ENOMEM;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	cJSON_free(text);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
	return 0;
}

static cJSON *ensure_object(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);

	if (cJSON_IsObject(o))
		return o;
	cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
	return cJSON_AddObjectToObject(parent, key);
}

static int set_str(cJSON *o, const char *key, const char *value)
{
	cJSON *s = cJSON_CreateString(value);

	if (!s)
		return -ENOMEM;
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	return cJSON_AddItemToObject(o, key, s) ? 0 : -ENOMEM;
}

/* The service qualities as the probe helper needs them: without their actions. */
static char *probes_annotation(const cJSON *gss)
{
	const cJSON *sqs = obj_get(gss, "spec.serviceQualities");
	cJSON *copy, *sq;
	char *text;

	if (!cJSON_IsArray(sqs) || cJSON_GetArraySize(sqs) == 0)
		return NULL;
	copy = cJSON_Duplicate(sqs, 1);
	if (!copy)
		return NULL;
	cJSON_ArrayForEach(sq, copy)
	{
		const char *first =
		    obj_str(cJSON_GetArrayItem(obj_get(gss, "spec.gameServerTemplate."
							    "spec.containers"),
					       0),
			    "name");

		cJSON_DeleteItemFromObjectCaseSensitive(sq, "serviceQualityAction");
		/* The helper cannot see the pod spec: name the target when the set leaves it
		 * to the default, the first container. */
		if (!obj_str(sq, "containerName") && first)
			cJSON_AddStringToObject(sq, "containerName", first);
	}
	text = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	return text;
}

/* Is image's repository name (the last path segment, without tag or digest) want? */
static bool image_repository_is(const char *image, const char *want)
{
	const char *slash = strrchr(image, '/');
	const char *name = slash ? slash + 1 : image;
	size_t n = strcspn(name, ":@");

	return strlen(want) == n && strncmp(name, want, n) == 0;
}

static bool mounts_at(const cJSON *ctr, const char *dir)
{
	const cJSON *m;
	size_t dl = strlen(dir);

	cJSON_ArrayForEach(m, obj_get(ctr, "volumeMounts"))
	{
		const char *path = obj_str(m, "mountPath");

		if (path && strncmp(path, dir, dl) == 0 &&
		    (path[dl] == '\0' || (path[dl] == '/' && path[dl + 1] == '\0')))
			return true;
	}
	return false;
}

const char *obj_sidecar_container(const cJSON *gss)
{
	const cJSON *sqs = obj_get(gss, "spec.serviceQualities");
	const cJSON *c;

	if (cJSON_IsArray(sqs) && cJSON_GetArraySize(sqs) > 0)
		return NULL;
	cJSON_ArrayForEach(c, obj_get(gss, "spec.gameServerTemplate.spec.containers"))
	{
		const char *name = obj_str(c, "name");
		const char *image = obj_str(c, "image");

		if (name && name[0] && image && image_repository_is(image, "okg-sidecar") &&
		    mounts_at(c, OKG_SIDECAR_MOUNT_PATH))
			return name;
	}
	return NULL;
}

int obj_build_pod(const cJSON *gss, int ord, const cJSON *gs, cJSON **out)
{
	const char *sidecar = obj_sidecar_container(gss);
	const char *name = obj_str(gss, "metadata.name");
	const char *ns = obj_str(gss, "metadata.namespace");
	const char *uid = obj_str(gss, "metadata.uid");
	const char *svc = obj_str(gss, "spec.serviceName");
	const cJSON *tpl = obj_get(gss, "spec.gameServerTemplate");
	cJSON *pod = NULL, *meta, *labels, *annotations, *spec, *refs, *ref;
	char podname[300], ordtext[16], hash[17], noimage[17];
	char *probes = NULL;
	int r = -ENOMEM;

	*out = NULL;
	if (!name || !ns || !uid || !cJSON_IsObject(obj_get(tpl, "spec")))
		return -EINVAL;
	snprintf(podname, sizeof(podname), "%s-%d", name, ord);
	snprintf(ordtext, sizeof(ordtext), "%d", ord);
	r = obj_template_hash(gss, true, hash);
	if (r == 0)
		r = obj_template_hash(gss, false, noimage);
	if (r < 0)
		return r;
	r = -ENOMEM;
	pod = cJSON_CreateObject();
	if (!pod || !cJSON_AddStringToObject(pod, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(pod, "kind", "Pod"))
		goto fail;
	meta = cJSON_Duplicate(obj_get(tpl, "metadata"), 1);
	if (!meta || !cJSON_IsObject(meta)) {
		cJSON_Delete(meta);
		meta = cJSON_CreateObject();
	}
	if (!meta || !cJSON_AddItemToObject(pod, "metadata", meta))
		goto fail;
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "name");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "generateName");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "ownerReferences");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "creationTimestamp");
	if (set_str(meta, "name", podname) < 0 || set_str(meta, "namespace", ns) < 0)
		goto fail;
	labels = ensure_object(meta, "labels");
	if (!labels || set_str(labels, OKG_LABEL_OWNER_GSS, name) < 0 ||
	    set_str(labels, OKG_LABEL_ORDINAL, ordtext) < 0 ||
	    set_str(labels, OKG_LABEL_TEMPLATE_HASH, hash) < 0 ||
	    set_str(labels, OKG_LABEL_TEMPLATE_HASH_NOIMAGE, noimage) < 0 ||
	    set_str(labels, OKG_LABEL_OPS_STATE, obj_gs_ops_state(gs)) < 0)
		goto fail;
	{
		char b1[32], b2[32];
		const cJSON *nd = obj_get(gs, "spec.networkDisabled");

		if (set_str(labels, OKG_LABEL_DELETE_PRIORITY,
			    obj_intstr(obj_get(gs, "spec.deletionPriority"), b1, sizeof(b1), "0")) <
			0 ||
		    set_str(labels, OKG_LABEL_UPDATE_PRIORITY,
			    obj_intstr(obj_get(gs, "spec.updatePriority"), b2, sizeof(b2), "0")) <
			0 ||
		    set_str(labels, OKG_LABEL_NETWORK_DISABLED,
			    cJSON_IsTrue(nd) ? "true" : "false") < 0)
			goto fail;
	}
	probes = probes_annotation(gss);
	if (probes) {
		annotations = ensure_object(meta, "annotations");
		if (!annotations || set_str(annotations, OKG_ANNOTATION_PROBES, probes) < 0)
			goto fail;
	}
	if (sidecar) {
		annotations = ensure_object(meta, "annotations");
		if (!annotations || set_str(annotations, OKG_ANNOTATION_SIDECAR, sidecar) < 0)
			goto fail;
	}
	refs = cJSON_AddArrayToObject(meta, "ownerReferences");
	ref = cJSON_CreateObject();
	if (!refs || !ref || !cJSON_AddItemToArray(refs, ref)) {
		cJSON_Delete(ref);
		goto fail;
	}
	if (!cJSON_AddStringToObject(ref, "apiVersion", "game.kruise.io/v1alpha1") ||
	    !cJSON_AddStringToObject(ref, "kind", "GameServerSet") ||
	    !cJSON_AddStringToObject(ref, "name", name) ||
	    !cJSON_AddStringToObject(ref, "uid", uid) ||
	    !cJSON_AddBoolToObject(ref, "controller", 1) ||
	    !cJSON_AddBoolToObject(ref, "blockOwnerDeletion", 1))
		goto fail;
	spec = cJSON_Duplicate(obj_get(tpl, "spec"), 1);
	if (!spec || !cJSON_AddItemToObject(pod, "spec", spec)) {
		cJSON_Delete(spec);
		goto fail;
	}
	/* Stable network identity, as a StatefulSet gives its pods. */
	if (!cJSON_GetObjectItemCaseSensitive(spec, "hostname") &&
	    set_str(spec, "hostname", podname) < 0)
		goto fail;
	if (!cJSON_GetObjectItemCaseSensitive(spec, "subdomain") &&
	    set_str(spec, "subdomain", svc && *svc ? svc : name) < 0)
		goto fail;
	/* A GameServer's containers override the template's images for its own pod. */
	{
		const cJSON *want = obj_get(gs, "spec.containers"), *w;
		cJSON *ctrs = cJSON_GetObjectItemCaseSensitive(spec, "containers"), *c;

		cJSON_ArrayForEach(w, want)
		{
			const char *wn = obj_str(w, "name"), *wi = obj_str(w, "image");

			if (!wn || !wi || !*wi)
				continue;
			cJSON_ArrayForEach(c, ctrs)
			{
				const char *cn = obj_str(c, "name");

				if (cn && strcmp(cn, wn) == 0 && set_str(c, "image", wi) < 0)
					goto fail;
			}
		}
	}
	free(probes);
	*out = pod;
	return 0;
fail:
	free(probes);
	cJSON_Delete(pod);
	return r;
}

int obj_build_gameserver(const cJSON *pod, const char *gss_name, cJSON **out)
{
	const char *name = obj_str(pod, "metadata.name");
	const char *ns = obj_str(pod, "metadata.namespace");
	const char *uid = obj_str(pod, "metadata.uid");
	cJSON *gs, *meta, *labels, *refs, *ref, *spec;

	*out = NULL;
	if (!name || !ns || !uid || !gss_name)
		return -EINVAL;
	gs = cJSON_CreateObject();
	if (!gs || !cJSON_AddStringToObject(gs, "apiVersion", "game.kruise.io/v1alpha1") ||
	    !cJSON_AddStringToObject(gs, "kind", "GameServer"))
		goto fail;
	meta = cJSON_AddObjectToObject(gs, "metadata");
	if (!meta || !cJSON_AddStringToObject(meta, "name", name) ||
	    !cJSON_AddStringToObject(meta, "namespace", ns))
		goto fail;
	labels = cJSON_AddObjectToObject(meta, "labels");
	if (!labels || !cJSON_AddStringToObject(labels, OKG_LABEL_OWNER_GSS, gss_name))
		goto fail;
	/* Owned by its pod: the GameServer lives and dies with it. */
	refs = cJSON_AddArrayToObject(meta, "ownerReferences");
	ref = cJSON_CreateObject();
	if (!refs || !ref || !cJSON_AddItemToArray(refs, ref)) {
		cJSON_Delete(ref);
		goto fail;
	}
	if (!cJSON_AddStringToObject(ref, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(ref, "kind", "Pod") ||
	    !cJSON_AddStringToObject(ref, "name", name) ||
	    !cJSON_AddStringToObject(ref, "uid", uid) ||
	    !cJSON_AddBoolToObject(ref, "controller", 1) ||
	    !cJSON_AddBoolToObject(ref, "blockOwnerDeletion", 1))
		goto fail;
	spec = cJSON_AddObjectToObject(gs, "spec");
	if (!spec || !cJSON_AddStringToObject(spec, "opsState", "None") ||
	    !cJSON_AddNumberToObject(spec, "updatePriority", 0) ||
	    !cJSON_AddNumberToObject(spec, "deletionPriority", 0) ||
	    !cJSON_AddBoolToObject(spec, "networkDisabled", 0))
		goto fail;
	*out = gs;
	return 0;
fail:
	cJSON_Delete(gs);
	return -ENOMEM;
}

static bool condition_true(const cJSON *pod, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, obj_get(pod, "status.conditions"))
	{
		const char *t = obj_str(c, "type"), *s = obj_str(c, "status");

		if (t && s && strcmp(t, type) == 0)
			return strcmp(s, "True") == 0;
	}
	return false;
}

/* The canonical form of an image reference: registry and "library/" spelled out, ":latest"
 * when no tag or digest is given, as container runtimes report them. */
static void canonical_image(const char *in, char *out, size_t outlen)
{
	const char *slash = strchr(in, '/');
	const char *last = strrchr(in, '/');
	bool has_registry = false;
	bool has_tag;

	if (slash) {
		size_t n = (size_t)(slash - in);

		has_registry = memchr(in, '.', n) || memchr(in, ':', n) ||
			       (n == 9 && strncmp(in, "localhost", 9) == 0);
	}
	has_tag = strchr(last ? last : in, ':') || strchr(in, '@');
	snprintf(out, outlen, "%s%s%s%s", has_registry ? "" : "docker.io/",
		 !has_registry && !slash ? "library/" : "", in, has_tag ? "" : ":latest");
}

bool obj_image_equal(const char *a, const char *b)
{
	char ca[512], cb[512];

	if (strcmp(a, b) == 0)
		return true;
	/* Some runtimes report an image ID instead of the reference: nothing to compare. */
	if (strncmp(b, "sha256:", 7) == 0 || strncmp(a, "sha256:", 7) == 0)
		return true;
	canonical_image(a, ca, sizeof(ca));
	canonical_image(b, cb, sizeof(cb));
	return strcmp(ca, cb) == 0;
}

const char *obj_gs_state(const cJSON *pod)
{
	const cJSON *cs, *c;
	const char *phase = obj_str(pod, "status.phase");

	if (!pod)
		return "Deleting";
	if (obj_str(pod, "metadata.deletionTimestamp"))
		return "Deleting";
	if (!phase || strcmp(phase, "Pending") == 0)
		return "Creating";
	if (strcmp(phase, "Failed") == 0)
		return "Crash";
	cs = obj_get(pod, "status.containerStatuses");
	cJSON_ArrayForEach(c, cs)
	{
		const char *reason = obj_str(c, "state.waiting.reason");

		if (reason && (strcmp(reason, "CrashLoopBackOff") == 0 ||
			       strcmp(reason, "RunContainerError") == 0 ||
			       strcmp(reason, "CreateContainerError") == 0 ||
			       strcmp(reason, "ErrImagePull") == 0 ||
			       strcmp(reason, "ImagePullBackOff") == 0))
			return "Crash";
	}
	/* An image changed in place and the container has not caught up yet. */
	cJSON_ArrayForEach(c, obj_get(pod, "spec.containers"))
	{
		const char *n = obj_str(c, "name"), *img = obj_str(c, "image");
		const cJSON *s;

		cJSON_ArrayForEach(s, cs)
		{
			const char *sn = obj_str(s, "name"), *si = obj_str(s, "image");

			if (n && sn && img && si && strcmp(n, sn) == 0 && !obj_image_equal(img, si))
				return "Updating";
		}
	}
	if (condition_true(pod, "Ready"))
		return "Ready";
	return "NotReady";
}

static int add_label_if_differs(cJSON *labels, const cJSON *pod, const char *key, const char *want)
{
	const char *have = obj_label(pod, key);

	if (have && strcmp(have, want) == 0)
		return 0;
	return cJSON_AddStringToObject(labels, key, want) ? 1 : -ENOMEM;
}

char *obj_pod_label_patch(const cJSON *gs, const cJSON *pod)
{
	cJSON *root = cJSON_CreateObject(), *meta, *labels;
	char b1[32], b2[32];
	char *text = NULL;
	int changed = 0, r;

	if (!root)
		return NULL;
	meta = cJSON_AddObjectToObject(root, "metadata");
	labels = meta ? cJSON_AddObjectToObject(meta, "labels") : NULL;
	if (!labels)
		goto out;
	r = add_label_if_differs(labels, pod, OKG_LABEL_OPS_STATE, obj_gs_ops_state(gs));
	changed |= r > 0;
	r = add_label_if_differs(
	    labels, pod, OKG_LABEL_DELETE_PRIORITY,
	    obj_intstr(obj_get(gs, "spec.deletionPriority"), b1, sizeof(b1), "0"));
	changed |= r > 0;
	r = add_label_if_differs(
	    labels, pod, OKG_LABEL_UPDATE_PRIORITY,
	    obj_intstr(obj_get(gs, "spec.updatePriority"), b2, sizeof(b2), "0"));
	changed |= r > 0;
	r = add_label_if_differs(labels, pod, OKG_LABEL_NETWORK_DISABLED,
				 cJSON_IsTrue(obj_get(gs, "spec.networkDisabled")) ? "true"
										   : "false");
	changed |= r > 0;
	r = add_label_if_differs(labels, pod, OKG_LABEL_STATE, obj_gs_state(pod));
	changed |= r > 0;
	if (changed)
		text = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return text;
}

char *obj_pod_image_patch(const cJSON *gs, const cJSON *pod)
{
	const cJSON *want = obj_get(gs, "spec.containers"), *w, *c;
	cJSON *root = cJSON_CreateObject(), *spec, *ctrs;
	char *text = NULL;
	bool changed = false;

	if (!root)
		return NULL;
	spec = cJSON_AddObjectToObject(root, "spec");
	ctrs = spec ? cJSON_AddArrayToObject(spec, "containers") : NULL;
	if (!ctrs)
		goto out;
	cJSON_ArrayForEach(w, want)
	{
		const char *wn = obj_str(w, "name"), *wi = obj_str(w, "image");

		if (!wn || !wi || !*wi)
			continue;
		cJSON_ArrayForEach(c, obj_get(pod, "spec.containers"))
		{
			const char *cn = obj_str(c, "name"), *ci = obj_str(c, "image");
			cJSON *item;

			if (!cn || strcmp(cn, wn) != 0 || (ci && strcmp(ci, wi) == 0))
				continue;
			item = cJSON_CreateObject();
			if (!item || !cJSON_AddItemToArray(ctrs, item) ||
			    !cJSON_AddStringToObject(item, "name", wn) ||
			    !cJSON_AddStringToObject(item, "image", wi))
				goto out;
			changed = true;
		}
	}
	if (changed)
		text = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return text;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

char *obj_gs_status_patch(const cJSON *gs, const cJSON *pod, const char *now)
{
	const char *state = obj_gs_state(pod);
	const char *old_state = obj_str(gs, "status.currentState");
	char b1[32], b2[32];
	const char *dp = obj_intstr(obj_get(gs, "spec.deletionPriority"), b1, sizeof(b1), "0");
	const char *up = obj_intstr(obj_get(gs, "spec.updatePriority"), b2, sizeof(b2), "0");
	const char *fields[][2] = {
	    {"phase", "status.phase"}, {"podIP", "status.podIP"}, {"hostIP", "status.hostIP"}};
	cJSON *root = NULL, *st, *ps;
	char *text = NULL;
	bool changed = false;

	root = cJSON_CreateObject();
	st = root ? cJSON_AddObjectToObject(root, "status") : NULL;
	if (!st)
		goto out;
	if (!str_eq(obj_str(gs, "status.desiredState"), "Ready")) {
		changed = true;
		if (!cJSON_AddStringToObject(st, "desiredState", "Ready"))
			goto out;
	}
	if (!str_eq(old_state, state)) {
		changed = true;
		if (!cJSON_AddStringToObject(st, "currentState", state) ||
		    !cJSON_AddStringToObject(st, "lastTransitionTime", now))
			goto out;
	}
	if (!str_eq(obj_str(gs, "status.deletionPriority"), dp) ||
	    cJSON_IsNumber(obj_get(gs, "status.deletionPriority"))) {
		changed = true;
		if (!cJSON_AddStringToObject(st, "deletionPriority", dp))
			goto out;
	}
	if (!str_eq(obj_str(gs, "status.updatePriority"), up) ||
	    cJSON_IsNumber(obj_get(gs, "status.updatePriority"))) {
		changed = true;
		if (!cJSON_AddStringToObject(st, "updatePriority", up))
			goto out;
	}
	/* A small summary of the pod, not its whole status: every pod status change would
	 * otherwise become a GameServer write. */
	ps = cJSON_AddObjectToObject(st, "podStatus");
	if (!ps)
		goto out;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char path[64];
		const char *v = obj_str(pod, fields[i][1]);

		snprintf(path, sizeof(path), "status.podStatus.%s", fields[i][0]);
		if (v && !str_eq(obj_str(gs, path), v)) {
			changed = true;
			if (!cJSON_AddStringToObject(ps, fields[i][0], v))
				goto out;
		}
	}
	if (changed)
		text = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return text;
}

static void keep_only(cJSON *obj, const char *const *keep)
{
	cJSON *it = obj ? obj->child : NULL;

	while (it) {
		cJSON *next = it->next;
		bool wanted = false;

		for (const char *const *k = keep; *k; k++)
			wanted |= it->string && strcmp(it->string, *k) == 0;
		if (!wanted)
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, it));
		it = next;
	}
}

void obj_trim_meta(cJSON *obj)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
						"managedFields");
}

void obj_trim_gs(cJSON *gs)
{
	cJSON *ann = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(gs, "metadata"), "annotations");

	obj_trim_meta(gs);
	/* kubectl apply's copy of the whole object: large, and nothing here reads it. */
	cJSON_DeleteItemFromObjectCaseSensitive(ann,
						"kubectl.kubernetes.io/last-applied-configuration");
}

void obj_trim_pod(cJSON *pod)
{
	static const char *const top[] = {"metadata", "spec", "status", NULL};
	static const char *const meta[] = {
	    "name",   "namespace",   "uid", "resourceVersion", "deletionTimestamp",
	    "labels", "annotations", NULL};
	static const char *const spec[] = {"containers", "nodeName", NULL};
	static const char *const ctr[] = {"name", "image", NULL};
	static const char *const status[] = {
	    "phase", "podIP", "hostIP", "conditions", "containerStatuses", NULL};
	static const char *const cond[] = {"type", "status", NULL};
	static const char *const cstat[] = {"name",  "image",	     "state",
					    "ready", "restartCount", NULL};
	cJSON *m, *sp, *st, *it, *ann;

	keep_only(pod, top);
	m = cJSON_GetObjectItemCaseSensitive(pod, "metadata");
	keep_only(m, meta);
	/* Annotations: only okg's own are read (the probe token and spec). */
	ann = cJSON_GetObjectItemCaseSensitive(m, "annotations");
	for (it = ann ? ann->child : NULL; it;) {
		cJSON *next = it->next;

		if (!it->string || strncmp(it->string, "okg.game.kruise.io/", 19) != 0 ||
		    strcmp(it->string, OKG_ANNOTATION_PROBES) == 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(ann, it));
		it = next;
	}
	sp = cJSON_GetObjectItemCaseSensitive(pod, "spec");
	keep_only(sp, spec);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sp, "containers"))
	{
		keep_only(it, ctr);
	}
	st = cJSON_GetObjectItemCaseSensitive(pod, "status");
	keep_only(st, status);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(st, "conditions"))
	{
		keep_only(it, cond);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(st, "containerStatuses"))
	{
		cJSON *state = cJSON_GetObjectItemCaseSensitive(it, "state");
		cJSON *w;

		keep_only(it, cstat);
		/* Only the kind of state and a waiting reason matter here. */
		for (w = state ? state->child : NULL; w; w = w->next)
			if (strcmp(w->string, "waiting") == 0) {
				static const char *const reason[] = {"reason", NULL};

				keep_only(w, reason);
			} else {
				cJSON *child = w->child;

				while (child) {
					cJSON *next = child->next;

					cJSON_Delete(cJSON_DetachItemViaPointer(w, child));
					child = next;
				}
			}
	}
}
