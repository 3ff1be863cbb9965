#include "cli/cli_kube.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_json.h"
#include "controller/objects.h"
#include "lib/ordinal.h"

#define PAGE_LIMIT   500
#define MAX_ITEMS    200000
#define PATH_MAX_LEN 4096

/* ---- the real API ----------------------------------------------------------------------- */

static void resp_msg(const struct kube_resp *resp, int r, char *msg, size_t msglen)
{
	if (resp->message[0])
		snprintf(msg, msglen, "%s", resp->message);
	else if (resp->status)
		snprintf(msg, msglen, "HTTP %ld (%s)", resp->status, kube_strerror(r));
	else
		snprintf(msg, msglen, "%s", kube_strerror(r));
}

static int kube_api_get(void *ud, const char *path, cJSON **out, char *msg, size_t msglen)
{
	struct kube_resp resp;
	int r = kube_get(ud, path, out, &resp);

	if (r < 0)
		resp_msg(&resp, r, msg, msglen);
	kube_resp_free(&resp);
	return r;
}

static int kube_api_patch(void *ud, const char *path, const char *patch, cJSON **out, char *msg,
			  size_t msglen)
{
	struct kube_resp resp;
	int r = kube_patch(ud, path, KUBE_PATCH_MERGE, patch, out, &resp);

	if (r < 0)
		resp_msg(&resp, r, msg, msglen);
	kube_resp_free(&resp);
	return r;
}

void cli_api_kube(struct kube_client *kc, struct cli_api *api)
{
	api->ud = kc;
	api->get = kube_api_get;
	api->patch = kube_api_patch;
}

/* ---- paths ------------------------------------------------------------------------------ */

bool cli_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return s[0] != '-' && s[0] != '.' && s[n - 1] != '-' && s[n - 1] != '.';
}

int cli_path(char *buf, size_t buflen, const char *ns, const char *resource, const char *name)
{
	const char *prefix = strcmp(resource, "pods") == 0 ? "/api/v1" : CLI_GROUP_PATH;
	int n;

	if (name)
		n = snprintf(buf, buflen, "%s/namespaces/%s/%s/%s", prefix, ns, resource, name);
	else
		n = snprintf(buf, buflen, "%s/namespaces/%s/%s", prefix, ns, resource);
	return n < 0 || (size_t)n >= buflen ? -E2BIG : 0;
}

/* ---- lists ------------------------------------------------------------------------------ */

int cli_list(const struct cli_api *api, const char *path, const char *label_selector, cJSON **items,
	     char *msg, size_t msglen)
{
	char url[PATH_MAX_LEN], esc_sel[1024], esc_cont[2048];
	char *cont = NULL; /* owned: the continue token of the last page */
	cJSON *all = NULL, *page = NULL;
	int count = 0, r;

	*items = NULL;
	esc_sel[0] = '\0';
	if (label_selector && kube_escape(label_selector, esc_sel, sizeof(esc_sel)) < 0) {
		snprintf(msg, msglen, "label selector too long");
		return KUBE_EBADREQ;
	}
	all = cJSON_CreateArray();
	if (!all) {
		r = KUBE_ENOMEM;
		goto nomem;
	}
	for (;;) {
		cJSON *arr, *it;
		const char *next;
		int n;

		esc_cont[0] = '\0';
		if (cont && kube_escape(cont, esc_cont, sizeof(esc_cont)) < 0) {
			snprintf(msg, msglen, "continue token too long");
			r = KUBE_EPARSE;
			goto out;
		}
		n = snprintf(url, sizeof(url), "%s?limit=%d%s%s%s%s", path, PAGE_LIMIT,
			     esc_sel[0] ? "&labelSelector=" : "", esc_sel,
			     esc_cont[0] ? "&continue=" : "", esc_cont);
		if (n < 0 || (size_t)n >= sizeof(url)) {
			snprintf(msg, msglen, "request path too long");
			r = KUBE_EBADREQ;
			goto out;
		}
		r = api->get(api->ud, url, &page, msg, msglen);
		if (r < 0)
			goto out;
		arr = cJSON_GetObjectItemCaseSensitive(page, "items");
		if (!cJSON_IsArray(arr) && !cJSON_IsNull(arr) && arr) {
			snprintf(msg, msglen, "list answer without items");
			r = KUBE_EPARSE;
			goto out;
		}
		while (arr && (it = arr->child) != NULL) {
			if (++count > MAX_ITEMS) {
				snprintf(msg, msglen, "more than %d objects", MAX_ITEMS);
				r = KUBE_E2BIG;
				goto out;
			}
			cJSON_AddItemToArray(all, cJSON_DetachItemViaPointer(arr, it));
		}
		next = cli_jstr(page, "metadata.continue");
		free(cont);
		cont = next && next[0] ? strdup(next) : NULL;
		if (next && next[0] && !cont) {
			r = KUBE_ENOMEM;
			goto nomem;
		}
		cJSON_Delete(page);
		page = NULL;
		if (!cont)
			break;
	}
	*items = all;
	all = NULL;
	r = 0;
	goto out;
nomem:
	snprintf(msg, msglen, "out of memory");
out:
	free(cont);
	cJSON_Delete(page);
	cJSON_Delete(all);
	return r;
}

/* ---- a set's servers -------------------------------------------------------------------- */

/* Whether sets[i] already appeared before index i (--gss a,a reads a once). */
static bool dup_before(char **sets, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(sets[j], sets[i]) == 0)
			return true;
	return false;
}

static int cmp_server(const void *a, const void *b)
{
	const struct cli_server *x = a, *y = b;
	int c = strcmp(x->set, y->set);
	int ox = x->ord < 0 ? INT_MAX : x->ord, oy = y->ord < 0 ? INT_MAX : y->ord;

	if (c)
		return c;
	if (ox != oy)
		return ox < oy ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const char *pod_name(const cJSON *pod)
{
	const char *n = cli_jstr(pod, "metadata.name");

	return n ? n : "";
}

static int cmp_pod(const void *a, const void *b)
{
	return strcmp(pod_name(*(cJSON *const *)a), pod_name(*(cJSON *const *)b));
}

cJSON *cli_data_pod(const struct cli_data *d, const char *name)
{
	size_t lo = 0, hi = d->n_pods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(pod_name(d->pod_index[mid]), name);

		if (c == 0)
			return d->pod_index[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Moves every item of *src to the end of dst and deletes *src. */
static void append_all(cJSON *dst, cJSON **src)
{
	cJSON *it;

	while (*src && (it = (*src)->child) != NULL)
		cJSON_AddItemToArray(dst, cJSON_DetachItemViaPointer(*src, it));
	cJSON_Delete(*src);
	*src = NULL;
}

/* Whether name is one of the sets in d->sets. */
static bool in_sets(const struct cli_data *d, const char *name)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, d->sets)
	{
		const char *n = cli_jstr(s, "metadata.name");

		if (n && name && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

/* GET one named set into d->sets. */
static int fetch_set(const struct cli_api *api, const char *ns, const char *name,
		     struct cli_data *d, char *msg, size_t msglen)
{
	char path[PATH_MAX_LEN];
	cJSON *gss = NULL;
	int r;

	if (cli_path(path, sizeof(path), ns, "gameserversets", name) < 0) {
		snprintf(msg, msglen, "name too long");
		return KUBE_EBADREQ;
	}
	r = api->get(api->ud, path, &gss, msg, msglen);
	if (r == KUBE_ENOTFOUND && strstr(msg, "could not find the requested resource")) {
		/* The resource itself is unknown: the CRDs are not installed. */
		snprintf(msg, msglen,
			 "the API server does not serve gameserversets.game.kruise.io (are "
			 "the CRDs applied?)");
		return KUBE_EHTTP;
	}
	if (r == KUBE_ENOTFOUND) {
		snprintf(msg, msglen, "GameServerSet \"%s\" not found in namespace \"%s\"", name,
			 ns);
		return r;
	}
	if (r < 0)
		return r;
	cJSON_AddItemToArray(d->sets, gss);
	return 0;
}

static int build_index(struct cli_data *d, char *msg, size_t msglen)
{
	size_t n = (size_t)cJSON_GetArraySize(d->gs), i = 0;
	const cJSON *it;

	if (d->pods) {
		size_t np = (size_t)cJSON_GetArraySize(d->pods), j = 0;

		d->pod_index = calloc(np ? np : 1, sizeof(*d->pod_index));
		if (!d->pod_index)
			goto nomem;
		cJSON_ArrayForEach(it, d->pods)
		{
			if (j < np && cJSON_IsObject(it))
				d->pod_index[j++] = (cJSON *)it;
		}
		d->n_pods = j;
		qsort(d->pod_index, d->n_pods, sizeof(*d->pod_index), cmp_pod);
	}
	d->servers = calloc(n ? n : 1, sizeof(*d->servers));
	if (!d->servers)
		goto nomem;
	cJSON_ArrayForEach(it, d->gs)
	{
		struct cli_server *s;
		const char *name = cli_jstr(it, "metadata.name");
		const char *set = cli_jlabel(it, OKG_LABEL_OWNER_GSS);

		if (!name || i >= n)
			continue;
		if (d->sets && !in_sets(d, set))
			continue;
		s = &d->servers[i++];
		s->gs = (cJSON *)it;
		s->name = name;
		s->set = set ? set : "";
		s->ord = ord_from_name(name, s->set);
		s->pod = d->pods ? cli_data_pod(d, name) : NULL;
	}
	d->n = i;
	qsort(d->servers, d->n, sizeof(*d->servers), cmp_server);
	return 0;
nomem:
	snprintf(msg, msglen, "out of memory");
	return KUBE_ENOMEM;
}

int cli_fetch(const struct cli_api *api, const char *ns, enum cli_scope scope, char **sets,
	      size_t n_sets, bool want_pods, struct cli_data *d, char *msg, size_t msglen)
{
	char gs_path[PATH_MAX_LEN], pod_path[PATH_MAX_LEN], sel[600];
	cJSON *part = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	if (cli_path(gs_path, sizeof(gs_path), ns, "gameservers", NULL) < 0 ||
	    cli_path(pod_path, sizeof(pod_path), ns, "pods", NULL) < 0) {
		snprintf(msg, msglen, "namespace too long");
		return KUBE_EBADREQ;
	}
	d->gs = cJSON_CreateArray();
	d->pods = want_pods ? cJSON_CreateArray() : NULL;
	if (!d->gs || (want_pods && !d->pods))
		goto nomem;
	if (scope == CLI_SCOPE_NAMED) {
		d->sets = cJSON_CreateArray();
		if (!d->sets)
			goto nomem;
		/* Every set first: an unknown one ends the command before anything is read or
		 * written for the others. */
		for (size_t i = 0; i < n_sets; i++) {
			if (dup_before(sets, i))
				continue;
			r = fetch_set(api, ns, sets[i], d, msg, msglen);
			if (r < 0)
				goto fail;
		}
		for (size_t i = 0; i < n_sets; i++) {
			if (dup_before(sets, i))
				continue;
			snprintf(sel, sizeof(sel), "%s=%s", OKG_LABEL_OWNER_GSS, sets[i]);
			r = cli_list(api, gs_path, sel, &part, msg, msglen);
			if (r < 0)
				goto fail;
			append_all(d->gs, &part);
			if (!want_pods)
				continue;
			r = cli_list(api, pod_path, sel, &part, msg, msglen);
			if (r < 0)
				goto fail;
			append_all(d->pods, &part);
		}
	} else {
		if (scope == CLI_SCOPE_ALL) {
			char path[PATH_MAX_LEN];

			if (cli_path(path, sizeof(path), ns, "gameserversets", NULL) < 0) {
				snprintf(msg, msglen, "namespace too long");
				r = KUBE_EBADREQ;
				goto fail;
			}
			r = cli_list(api, path, NULL, &d->sets, msg, msglen);
			if (r < 0)
				goto fail;
			if (cJSON_GetArraySize(d->sets) == 0) {
				snprintf(msg, msglen, "no GameServerSet in namespace \"%s\"", ns);
				r = KUBE_ENOTFOUND;
				goto fail;
			}
		}
		r = cli_list(api, gs_path, scope == CLI_SCOPE_ALL ? OKG_LABEL_OWNER_GSS : NULL,
			     &part, msg, msglen);
		if (r < 0)
			goto fail;
		append_all(d->gs, &part);
		if (want_pods) {
			r = cli_list(api, pod_path, OKG_LABEL_OWNER_GSS, &part, msg, msglen);
			if (r < 0)
				goto fail;
			append_all(d->pods, &part);
		}
	}
	d->n_sets = d->sets ? (size_t)cJSON_GetArraySize(d->sets) : 0;
	r = build_index(d, msg, msglen);
	if (r < 0)
		goto fail;
	return 0;
nomem:
	snprintf(msg, msglen, "out of memory");
	r = KUBE_ENOMEM;
fail:
	cJSON_Delete(part);
	cli_data_free(d);
	return r;
}

void cli_data_free(struct cli_data *d)
{
	if (!d)
		return;
	cJSON_Delete(d->sets);
	cJSON_Delete(d->gs);
	cJSON_Delete(d->pods);
	free(d->pod_index);
	free(d->servers);
	memset(d, 0, sizeof(*d));
}
